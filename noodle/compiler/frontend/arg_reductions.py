"""`np.argmax` / `np.argmin` (and the methods): the index of the first largest (smallest)
element, of the array taken in C order or along one axis, as NumPy finds it.

NumPy's rules: the first of equal elements wins; a NaN counts as the extreme, so the
first NaN is the answer once one is seen; an axis of no elements is a ValueError. A loop
per result element carries the best value, its index and whether a NaN was seen.
"""
from __future__ import annotations

import ast

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.compiler.frontend import reshape
from noodle.compiler.frontend.element_loops import loop_nest
from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import INT64, Array, Scalar
from noodle.dialects import nir

#: kind -> (the ufunc that says a new element is better, its comparison's name)
ARG_REDUCTIONS = {"argmax": (np.greater, "gt"), "argmin": (np.less, "lt")}


def arg_extreme(gen, kind: str, a: Val, axis: object, node: ast.AST) -> Val:
    """np.argmax(a, axis) / np.argmin: an np.int64 without an axis, else an int64 array
    of the other axes."""
    if isinstance(a.type, Scalar):
        a = gen.as_rank0(gen.cast_scalar(a, Scalar(a.type.dtype)))
    if not isinstance(a.type, Array):
        raise gen.typing_error(node, f"{kind} needs an array, not {a.type}")
    if axis is None:
        a = reshape.ravel(gen, a, node, role=kind) if a.type.ndim != 1 else a
    elif not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise gen.unsupported(node, f"{kind}'s axis must be a constant int or None")
    elif not -a.type.ndim <= axis < a.type.ndim:
        gen.raise_here("axis", node)
        axis = 0
    along = 0 if axis is None else int(axis) % a.type.ndim
    sizes = gen.dims(a)
    empty = arith.cmpi(arith.CmpIPredicate.eq, sizes[along], index_constant(0))
    gen.raise_if(empty, "empty_arg", node, f"attempt to get {kind} of an empty sequence")
    others = [d for d in range(a.type.ndim) if d != along]
    # an axis of a 1-D array leaves nothing else: an np.int64, as without one
    result_type = Scalar(INT64) if not others else Array(INT64, len(others))

    def build() -> Val:
        if not others:
            return Val(Scalar(INT64), _best_along(gen, kind, a, along, {}, node))
        out = Val(result_type, nir.empty("int64", [sizes[d] for d in others]), fresh=True)
        def store_best(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
            best = _best_along(gen, kind, a, along, dict(zip(others, at)), node)
            memref.store(best, out.ir, at)
            return carried

        loop_nest([sizes[d] for d in others], store_best)
        return out
    return gen.unless_failed(empty, result_type, build)


def _best_along(gen, kind: str, a: Val, along: int, at: dict[int, ir.Value], node
                ) -> ir.Value:
    """The index (an i64) of the best element of `a` along axis `along`, the other axes
    at `at`."""
    element = Scalar(a.type.dtype)
    floats = a.type.dtype.kind == "f"

    def load(i: ir.Value) -> Val:
        indices = [at.get(d, i) for d in range(a.type.ndim)]
        return Val(element, memref.load(a.ir, indices))

    def is_nan(x: Val) -> ir.Value:
        return gen.apply_ufunc(np.isnan, [x], node, kind="isnan", operator=False).ir

    i64 = ir.IntegerType.get_signless(64)
    first = load(index_constant(0))
    seen_nan = is_nan(first) if floats else arith.constant(ir.IntegerType.get_signless(1), 0)
    loop = scf.ForOp(index_constant(1), gen.dims(a)[along], index_constant(1),
                     [first.ir, arith.constant(i64, 0), seen_nan])
    with ir.InsertionPoint(loop.body):
        best, best_index, nan = loop.inner_iter_args
        x = load(loop.induction_variable)
        ufunc, predicate = ARG_REDUCTIONS[kind]
        better = gen.apply_ufunc(ufunc, [x, Val(element, best)], node, kind=predicate,
                                 operator=False).ir
        if floats:
            x_nan = is_nan(x)
            better = arith.andi(gen.logical_not(nan), arith.ori(better, x_nan))
            nan = arith.ori(nan, arith.andi(better, x_nan))
        index = arith.index_cast(i64, loop.induction_variable)
        scf.YieldOp([arith.select(better, x.ir, best), arith.select(better, index, best_index),
                     nan])
    return loop.results[1]

