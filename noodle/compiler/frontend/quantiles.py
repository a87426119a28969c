"""`np.quantile(a, q, axis)` and `np.percentile(a, q, axis)` with NumPy's default
method ("linear"), for one q, step for step as NumPy 2 computes them
(numpy/lib/_function_base_impl.py: `_quantile`, `_get_indexes`, `_lerp`), so that
values and dtypes agree:

- percentile's q is `np.true_divide(q, 100)`; quantile's is q as an array (a Python
  float becomes a float64, an int an int64); outside [0, 1] (or NaN) is a ValueError;
- an integer q (quantile of 0 or 1) takes the element as it is, in a's dtype;
- else the place `(n - 1) * q` in the sorted values (the ranks needed put in their
  sorted places, as NumPy's partition does), its floor and the next (both the
  last at or past n - 1), and `gamma` its fraction (a Python float where q was a Python
  number: NumPy's weak promotion of the result); the value is NumPy's `_lerp`:
  `a + (b - a) * gamma`, or `b - (b - a) * (1 - gamma)` where gamma >= 0.5, with
  `b - a` in a's dtype (integers wrap, as NumPy's do);
- a NaN anywhere sorts last and is the answer; no values is NumPy's IndexError.

One difference: where a NaN is the answer, NumPy returns it in a's dtype even where
the result's would be another (a float32 array and an np.float64 q); here it is in
the result's.
"""
from __future__ import annotations

import ast

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref

from noodle.compiler.frontend.element_loops import loop_nest, sub_array
from noodle.compiler.frontend.sorting import lanes, rank_placer
from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import INT64, PY_FLOAT, PY_INT, Array, Scalar, ufunc_result
from noodle.dialects import nir


def quantile(gen, a: Val, q: Val, axis: object, percent: bool, node: ast.AST) -> Val:
    name = "percentile" if percent else "quantile"
    if isinstance(a.type, Scalar):
        a = gen.as_rank0(gen.cast_scalar(a, Scalar(a.type.dtype)))
    if not isinstance(a.type, Array) or a.type.dtype.kind not in "iuf":
        raise gen.typing_error(node, f"np.{name} needs an array of numbers (NumPy cannot "
                               f"subtract bools), not {a.type}")
    if not isinstance(q.type, Scalar) or q.type.dtype.kind not in "iuf":
        raise gen.unsupported(node, f"np.{name} takes one number for q here, not {q.type}")
    weak = q.type.weak
    if percent:
        q = gen.apply_ufunc(np.true_divide, [q, gen.const_scalar(PY_INT, 100)], node,
                            operator=False)
    elif weak:  # np.asanyarray(q)
        q = gen.cast_scalar(q, Scalar(q.type.dtype))
    valid = gen.apply_ufunc(np.bitwise_and, [
        gen.apply_ufunc(np.greater_equal, [q, gen.const_scalar(PY_INT, 0)], node, kind="ge",
                        operator=False),
        gen.apply_ufunc(np.less_equal, [q, gen.const_scalar(PY_INT, 1)], node, kind="le",
                        operator=False)], node, operator=False)
    invalid = gen.logical_not(valid.ir)
    gen.raise_if(invalid, f"{name}_range", node)

    rows = lanes(gen, a, axis, name, node)
    sizes = gen.dims(rows)[:-1]
    n = gen.dims(rows)[-1]
    empty = arith.cmpi(arith.CmpIPredicate.eq, n, index_constant(0))
    gen.raise_if(empty, "index", node, f"index -1 is out of bounds for axis "
                 f"{0 if axis is None else axis} with size 0")
    # after either error nothing is read: a NaN q places nowhere, and no values have none
    bad = arith.ori(invalid, empty)
    element = Scalar(a.type.dtype)
    places = _places(gen, n, q, weak, element, node)

    place = rank_placer(gen, rows, node)
    # the two neighbours of the place, and the last (NaN, if any is)
    ranks = [arith.subi(n, index_constant(1)), places.following, places.previous]

    def value_of(row: Val) -> Val:
        place(row, ranks)
        return _lerp(gen, row.ir, n, element, places, node)

    if not sizes:  # one answer, a NumPy scalar
        return gen.unless_failed(bad, places.result, lambda: value_of(rows))
    out = Val(Array(places.result.dtype, len(sizes)),
              nir.empty(places.result.dtype.name, sizes), fresh=True)

    def store(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        memref.store(value_of(sub_array(gen, rows, at)).ir, out.ir, at)
        return carried

    loop_nest([arith.select(bad, index_constant(0), size) for size in sizes[:1]] + sizes[1:],
              store)
    return out


class _Places:
    """Where the answer lies in n sorted values: the two indices and the weight of the
    second (None: an integer q, which takes the element at `previous`)."""

    def __init__(self, previous: ir.Value, following: ir.Value, gamma: Val | None,
                 result: Scalar):
        self.previous, self.following, self.gamma, self.result = (previous, following,
                                                                   gamma, result)


def _places(gen, n: ir.Value, q: Val, weak: bool, element: Scalar, node: ast.AST
            ) -> _Places:
    last = arith.subi(n, index_constant(1))
    count = Val(PY_INT, arith.index_cast(ir.IntegerType.get_signless(64), last))
    virtual = gen.apply_ufunc(np.multiply, [count, q], node, operator=False)
    if virtual.type.dtype.kind != "f":  # (n - 1) * 0 or (n - 1) * 1
        index = arith.index_cast(ir.IndexType.get(), gen.cast_scalar(virtual,
                                                                     Scalar(INT64)).ir)
        return _Places(index, index, None, element)
    floor = gen.apply_ufunc(np.floor, [virtual], node, kind="floor", operator=False)
    beyond = gen.apply_ufunc(np.greater_equal, [virtual, count], node, kind="ge",
                             operator=False).ir
    below = gen.apply_ufunc(np.less, [virtual, gen.const_scalar(PY_INT, 0)], node, kind="lt",
                            operator=False).ir
    floor_index = arith.index_cast(ir.IndexType.get(),
                                   gen.cast_scalar(floor, Scalar(INT64)).ir)
    previous = arith.select(beyond, last, arith.select(below, index_constant(0), floor_index))
    following = arith.select(beyond, last, arith.select(
        below, index_constant(0), arith.addi(floor_index, index_constant(1))))
    gamma = gen.apply_ufunc(np.subtract, [virtual, floor], node, operator=False)
    if weak:  # float(gamma): the result's dtype follows a's, as for a Python number
        gamma = gen.cast_scalar(gamma, PY_FLOAT)
    # the dtype of `a + (b - a) * gamma`, the differences in a's dtype
    scaled = ufunc_result(np.multiply, element, gamma.type)[0]
    return _Places(previous, following, gamma, Scalar(np.promote_types(element.dtype,
                                                                       scaled)))


def _lerp(gen, row: ir.Value, n: ir.Value, element: Scalar, places: _Places,
          node: ast.AST) -> Val:
    def load(i: ir.Value) -> Val:
        return Val(element, memref.load(row, [i]))

    def ufunc(function: np.ufunc, *operands: Val, kind: str | None = None) -> Val:
        return gen.apply_ufunc(function, list(operands), node, kind=kind, operator=False)

    before = load(places.previous)
    if places.gamma is None:
        value = before
    else:
        after, t = load(places.following), places.gamma
        difference = ufunc(np.subtract, after, before)
        from_before = ufunc(np.add, before, ufunc(np.multiply, difference, t))
        one_minus_t = gen.apply_ufunc(np.subtract, [gen.const_scalar(PY_INT, 1), t], node)
        from_after = ufunc(np.subtract, after, ufunc(np.multiply, difference, one_minus_t))
        upper_half = ufunc(np.greater_equal, t, gen.const_scalar(PY_FLOAT, 0.5),
                           kind="ge").ir
        value = Val(places.result, arith.select(
            upper_half, gen.cast_scalar(from_after, places.result).ir,
            gen.cast_scalar(from_before, places.result).ir))
    if element.dtype.kind != "f":
        return value
    # a NaN anywhere sorts last, and is the answer
    last = load(arith.subi(n, index_constant(1)))
    nan = ufunc(np.isnan, last, kind="isnan").ir
    return Val(value.type, arith.select(nan, gen.cast_scalar(last, value.type).ir, value.ir))
