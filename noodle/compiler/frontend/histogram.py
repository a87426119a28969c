"""`np.histogram(a, bins=10, range=None)` with equal bins: (counts, edges) as NumPy 2
computes them (numpy/lib/_histograms_impl.py), so that every value lands in NumPy's
bin:

- the outer edges: `range`, else a's minimum and maximum (0 and 1 for no values), a
  range of one value widened by 0.5 each way; NumPy's ValueErrors for a range that is
  not finite or whose maximum is below its minimum, and for bins < 1;
- the edges: `np.linspace(first, last, bins + 1)` in `result_type(first, last, a)`
  (float64 for integers), bit for bit;
- each value in [first, last], in the edges' dtype: bin `int((x - first) / (last -
  first) * bins)`, the last edge in the last bin, then moved down or up one where the
  edges say otherwise (NumPy's correction for the rounding of that formula).

The counts are int64. One simplification: the outer edges are taken in the float dtype
throughout, where NumPy keeps integer ones integers until it divides (the same values
for integers below 2**53).
"""
from __future__ import annotations

import ast

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.compiler.frontend import reshape
from noodle.compiler.frontend.linspace import linspace
from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import (INT64, PY_FLOAT, PY_INT, Array, Scalar, TupleType,
                                   result_dtype)


def histogram(gen, a: Val, bins: Val, value_range: Val | None, node: ast.AST) -> Val:
    if isinstance(a.type, Scalar):
        a = gen.as_rank0(gen.cast_scalar(a, Scalar(a.type.dtype)))
    if not isinstance(a.type, Array) or a.type.dtype.kind not in "iuf":
        raise gen.typing_error(node, f"np.histogram counts numbers, not {a.type}")
    if not isinstance(bins.type, Scalar) or bins.type.dtype.kind not in "iu":
        raise gen.unsupported(node, "np.histogram takes a number of bins here (no edges "
                              "or estimators)")
    values = reshape.ravel(gen, a, node, "histogram")
    count = gen.cast_scalar(bins, Scalar(INT64))
    # NumPy checks the number of bins first
    no_bins = arith.cmpi(arith.CmpIPredicate.slt, count.ir, gen.const_scalar(
        Scalar(INT64), 1).ir)
    gen.raise_if(no_bins, "histogram_bins", node)
    first, last, bad_edges = _outer_edges(gen, values, value_range, node)
    # NumPy's `result_type(first_edge, last_edge, a)`, of the edges as given
    bounds = ([v.type for v in value_range.items] if value_range is not None
              else [Scalar(a.type.dtype)] * 2)
    edge_dtype = result_dtype(*bounds, Array(a.type.dtype, 1))
    if edge_dtype.kind != "f":
        edge_dtype = np.result_type(edge_dtype, float)
    # past an error, one bin and no values: nothing is read or counted
    bad = arith.ori(no_bins, bad_edges)
    count = Val(count.type, arith.select(bad, gen.const_scalar(Scalar(INT64), 1).ir,
                                         count.ir))
    one = gen.const_scalar(PY_INT, 1)
    points = gen.apply_ufunc(np.add, [count, one], node, operator=False)
    edges = linspace(gen, first, last, points, True, edge_dtype, node)
    if value_range is None and edge_dtype == np.float32:
        # of no values, NumPy's edges come from the Python ints 0 and 1: its linspace
        # computes them in float64 (float32 for a float32 minimum and maximum)
        zero_and_one = [gen.const_scalar(PY_FLOAT, v) for v in (0.0, 1.0)]
        unit = linspace(gen, *zero_and_one, points, True, edge_dtype, node)
        empty = arith.cmpi(arith.CmpIPredicate.eq, gen.dims(values)[0], index_constant(0))
        edges = gen.elementwise_select(Val(Scalar(np.dtype(bool)), empty), unit, edges,
                                       edge_dtype, node)
    n = arith.index_cast(ir.IndexType.get(), count.ir)
    # edges that do not increase: NumPy's "Too many bins for data range"
    flat = _not_increasing(gen, edges, n, node)
    gen.raise_if(arith.andi(flat, gen.logical_not(bad)), "histogram_too_many_bins", node)
    bad = arith.ori(bad, flat)
    counts = gen.allocate([n], np.dtype(np.int64), 0, node, checked=False)
    _count_into(gen, values, edges, first, last, count, counts, bad, node)
    return Val(TupleType((counts.type, edges.type)), items=(counts, edges))


def _outer_edges(gen, values: Val, value_range: Val | None, node: ast.AST
                 ) -> tuple[Val, Val, ir.Value]:
    """(first, last) in one float type (a Python float's where the range was Python
    numbers), checked as NumPy checks them (and whether a check failed), widened where
    they are equal."""
    def finite(x: Val) -> ir.Value:
        return gen.apply_ufunc(np.isfinite, [x], node, kind="isfinite", operator=False).ir

    if value_range is not None:
        if not isinstance(value_range.type, TupleType) or len(value_range.items) != 2:
            raise gen.typing_error(node, "np.histogram's range must be (min, max)")
        low, high = value_range.items
        weak = low.type.weak and high.type.weak
        edge = Scalar(result_dtype(low.type, high.type, PY_FLOAT), weak)
        first, last = gen.cast_scalar(low, edge), gen.cast_scalar(high, edge)
        backwards = gen.apply_ufunc(np.greater, [first, last], node, kind="gt",
                                    operator=False).ir
        gen.raise_if(backwards, "histogram_range_order", node)
        infinite = gen.logical_not(arith.andi(finite(first), finite(last)))
        gen.raise_if(infinite, "histogram_range", node)
        bad = arith.ori(backwards, infinite)
    else:
        edge = Scalar(result_dtype(Scalar(values.type.dtype), PY_FLOAT))
        n = gen.dims(values)[0]
        empty = arith.cmpi(arith.CmpIPredicate.eq, n, index_constant(0))
        extremes = [gen.unless_failed(empty, Scalar(values.type.dtype), lambda kind=kind:
                                      gen.reduce_axes(kind, values, (0,), False, node))
                    for kind in ("min", "max")]
        first, last = (Val(edge, arith.select(empty, gen.const_scalar(edge, default).ir,
                                              gen.cast_scalar(x, edge).ir))
                       for x, default in zip(extremes, (0.0, 1.0)))
        bad = gen.logical_not(arith.andi(finite(first), finite(last)))
        gen.raise_if(bad, "histogram_autodetected", node)
    same = gen.apply_ufunc(np.equal, [first, last], node, kind="eq", operator=False).ir
    half = gen.const_scalar(PY_FLOAT, 0.5)
    widened = [gen.cast_scalar(gen.apply_ufunc(ufunc, [x, half], node, operator=False), edge)
               for ufunc, x in ((np.subtract, first), (np.add, last))]
    first, last = (Val(edge, arith.select(same, w.ir, x.ir))
                   for w, x in zip(widened, (first, last)))
    return first, last, bad


def _not_increasing(gen, edges: Val, n: ir.Value, node: ast.AST) -> ir.Value:
    """Whether some edge is not below the next (of n + 1 edges)."""
    i1 = ir.IntegerType.get_signless(1)
    loop = scf.ForOp(index_constant(0), n, index_constant(1), [arith.constant(i1, 0)])
    with ir.InsertionPoint(loop.body):
        i = loop.induction_variable
        edge = Scalar(edges.type.dtype)
        here, following = (Val(edge, memref.load(edges.ir, [j]))
                           for j in (i, arith.addi(i, index_constant(1))))
        flat = gen.apply_ufunc(np.greater_equal, [here, following], node, kind="ge",
                               operator=False).ir
        scf.YieldOp([arith.ori(loop.inner_iter_args[0], flat)])
    return loop.results[0]


def _count_into(gen, values: Val, edges: Val, first: Val, last: Val, bins: Val,
                counts: Val, bad: ir.Value, node: ast.AST) -> None:
    """Adds one to the bin of each value in [first, last] (none where `bad`)."""
    def ufunc(function: np.ufunc, *operands: Val, kind: str | None = None) -> Val:
        return gen.apply_ufunc(function, list(operands), node, kind=kind, operator=False)

    edge_type = Scalar(edges.type.dtype)
    width = ufunc(np.subtract, last, first)
    index, i64 = ir.IndexType.get(), ir.IntegerType.get_signless(64)
    last_bin = arith.subi(bins.ir, arith.constant(i64, 1))
    n = arith.select(bad, index_constant(0), gen.dims(values)[0])
    loop = scf.ForOp(index_constant(0), n, index_constant(1), [])
    with ir.InsertionPoint(loop.body):
        raw = Val(Scalar(values.type.dtype), memref.load(values.ir, [loop.induction_variable]))
        keep = arith.andi(ufunc(np.greater_equal, raw, first, kind="ge").ir,
                          ufunc(np.less_equal, raw, last, kind="le").ir)
        inside = scf.IfOp(keep)
        with ir.InsertionPoint(inside.then_block):
            x = gen.cast_scalar(raw, edge_type)
            scaled = ufunc(np.multiply, ufunc(np.true_divide, ufunc(np.subtract, x, first),
                                              width), Val(PY_INT, bins.ir))
            place = gen.cast_scalar(scaled, Scalar(INT64)).ir
            place = arith.select(arith.cmpi(arith.CmpIPredicate.eq, place, bins.ir),
                                 last_bin, place)

            def edge(k: ir.Value) -> Val:
                return Val(edge_type, memref.load(edges.ir, [arith.index_cast(index, k)]))

            below = ufunc(np.less, x, edge(place), kind="lt").ir
            place = arith.select(below, arith.subi(place, arith.constant(i64, 1)), place)
            above = arith.andi(
                ufunc(np.greater_equal, x, edge(arith.addi(place, arith.constant(i64, 1))),
                      kind="ge").ir,
                arith.cmpi(arith.CmpIPredicate.ne, place, last_bin))
            place = arith.select(above, arith.addi(place, arith.constant(i64, 1)), place)
            at = [arith.index_cast(index, place)]
            memref.store(arith.addi(memref.load(counts.ir, at), arith.constant(i64, 1)),
                         counts.ir, at)
            scf.YieldOp([])
        scf.YieldOp([])
