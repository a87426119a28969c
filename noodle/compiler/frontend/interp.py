"""`np.interp(x, xp, fp, left=None, right=None)`: piecewise-linear interpolation, in
float64, step for step as NumPy's C code computes it (`arr_interp`), so that results
agree to the last bit:

- xp empty, or fp of another length: NumPy's ValueErrors, in that order;
- one sample point: `left` below it, `right` above it, fp[0] at it (and for NaN x);
- else a NaN x gives NaN; below xp[0] `left` (default fp[0]), above xp[-1] `right`
  (default fp[-1]); at a sample point its fp; between xp[j] and xp[j+1],
  `slope * (x - xp[j]) + fp[j]`, and where that is NaN the same from xp[j+1], and
  fp[j] where both are NaN but fp[j] == fp[j+1].

xp must be increasing, as NumPy requires (it checks nothing either).
"""
from __future__ import annotations

import ast

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref

from noodle.compiler.frontend.element_loops import loop_nest
from noodle.compiler.frontend.searching import first_failing
from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import FLOAT64, Array, NoneType, Scalar
from noodle.dialects import nir

F64 = Scalar(FLOAT64)


def interp(gen, x: Val, xp: Val, fp: Val, left: Val | None, right: Val | None,
           node: ast.AST) -> Val:
    for name, points in (("xp", xp), ("fp", fp)):
        if (not isinstance(points.type, Array) or points.type.ndim != 1
                or points.type.dtype.kind not in "biuf"):
            raise gen.typing_error(node, f"np.interp's {name} must be a 1-D array of real "
                                   f"numbers, not {points.type}")
    if not isinstance(x.type, (Scalar, Array)) or x.type.dtype.kind not in "biuf":
        raise gen.typing_error(node, f"np.interp cannot interpolate at {x.type}")
    n = gen.dims(xp)[0]
    empty = arith.cmpi(arith.CmpIPredicate.eq, n, index_constant(0))
    gen.raise_if(empty, "interp_empty", node)
    mismatch = arith.cmpi(arith.CmpIPredicate.ne, gen.dims(fp)[0], n)
    gen.raise_if(mismatch, "interp_lengths", node)
    result_type = F64 if isinstance(x.type, Scalar) or x.type.ndim == 0 else Array(
        FLOAT64, x.type.ndim)

    def build() -> Val:
        def sample(points: Val, i: ir.Value) -> Val:
            return gen.cast_scalar(Val(Scalar(points.type.dtype),
                                       memref.load(points.ir, [i])), F64)

        last = arith.subi(n, index_constant(1))
        low = sample(fp, index_constant(0)) if _absent(left) else gen.cast_scalar(left, F64)
        high = sample(fp, last) if _absent(right) else gen.cast_scalar(right, F64)
        at = lambda value: _interpolate(gen, value, xp, fp, low, high, sample, node)  # noqa: E731
        if result_type is F64:
            return at(gen.cast_scalar(gen.load_rank0(x), F64))
        sizes = gen.dims(x)
        out = Val(result_type, nir.empty("float64", sizes), fresh=True)

        def store(indices: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
            value = gen.cast_scalar(Val(Scalar(x.type.dtype), memref.load(x.ir, indices)),
                                    F64)
            memref.store(at(value).ir, out.ir, indices)
            return carried

        loop_nest(sizes, store)
        return out

    return gen.unless_failed(arith.ori(empty, mismatch), result_type, build)


def _absent(bound: Val | None) -> bool:
    return bound is None or isinstance(bound.type, NoneType)


def _interpolate(gen, x: Val, xp: Val, fp: Val, low: Val, high: Val, sample, node) -> Val:
    """The interpolated value at one x (a float64 Val)."""
    def ufunc(function: np.ufunc, *operands: Val, kind: str | None = None) -> Val:
        return gen.apply_ufunc(function, list(operands), node, kind=kind, operator=False)

    def select(flag: ir.Value, yes: Val, no: Val) -> Val:
        return Val(F64, arith.select(flag, yes.ir, no.ir))

    n = gen.dims(xp)[0]
    last = arith.subi(n, index_constant(1))
    first_x, last_x = sample(xp, index_constant(0)), sample(xp, last)
    below = ufunc(np.less, x, first_x, kind="lt").ir
    above = ufunc(np.greater, x, last_x, kind="gt").ir
    single = arith.cmpi(arith.CmpIPredicate.eq, n, index_constant(1))
    # of one point, NumPy looks no further (a NaN x gets fp[0])
    if_single = select(below, low, select(above, high, sample(fp, index_constant(0))))
    j = _last_at_or_below(gen, x, xp, sample, node)
    j_next = arith.minui(arith.addi(j, index_constant(1)), last)
    x_j, x_next, f_j, f_next = (sample(xp, j), sample(xp, j_next), sample(fp, j),
                                sample(fp, j_next))
    slope = ufunc(np.true_divide, ufunc(np.subtract, f_next, f_j),
                  ufunc(np.subtract, x_next, x_j))
    from_left = ufunc(np.add, ufunc(np.multiply, slope, ufunc(np.subtract, x, x_j)), f_j)
    from_right = ufunc(np.add, ufunc(np.multiply, slope, ufunc(np.subtract, x, x_next)),
                       f_next)
    nan = lambda v: ufunc(np.isnan, v, kind="isnan").ir  # noqa: E731
    equal_ends = ufunc(np.equal, f_j, f_next, kind="eq").ir
    between = select(nan(from_left),
                     select(arith.andi(nan(from_right), equal_ends), f_j, from_right),
                     from_left)
    on_a_point = arith.ori(arith.cmpi(arith.CmpIPredicate.eq, j, last),
                           ufunc(np.equal, x_j, x, kind="eq").ir)
    inside = select(on_a_point, f_j, between)
    several = select(nan(x), x, select(below, low, select(above, high, inside)))
    return select(single, if_single, several)


def _last_at_or_below(gen, x: Val, xp: Val, sample, node) -> ir.Value:
    """The last index j with xp[j] <= x (0 where there is none): a binary search."""
    def at_or_below(middle: ir.Value) -> ir.Value:
        return gen.apply_ufunc(np.less_equal, [sample(xp, middle), x], node, kind="le",
                               operator=False).ir

    after = first_failing(gen.dims(xp)[0], at_or_below)
    none = arith.cmpi(arith.CmpIPredicate.eq, after, index_constant(0))
    return arith.select(none, index_constant(0), arith.subi(after, index_constant(1)))
