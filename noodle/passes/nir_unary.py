"""Scalar bodies of `nir.unary` kinds with NumPy's semantics, one small builder each.

Every builder takes `(dtype, x)` (dtype: the operand's) and returns the result element.
Transcendental functions stay `math` ops (lowered by `convert-math-to-llvm` and
`convert-math-to-libm`) except where that lowering is inexact (see `nir_libm`).
"""
from __future__ import annotations

from collections.abc import Callable

from mlir import ir
from mlir.dialects import arith, math

from noodle.passes.nir_dtypes import DType, constant, rule_for
from noodle.passes.nir_libm import libm_call

UnaryBuilder = Callable[[DType, ir.Value], ir.Value]

_I = arith.CmpIPredicate
_F = arith.CmpFPredicate


def unary_builder(kind: str, dtype: DType) -> UnaryBuilder:
    """The scalar builder for `nir.unary` kind `kind` on operand dtype `dtype`."""
    return rule_for(_RULES, dtype, kind, "nir.unary")


def _plain(op: Callable[[ir.Value], ir.Value]) -> UnaryBuilder:
    """A builder for an arith/math op whose semantics need no dtype."""
    return lambda dtype, x: op(x)


def _identity(dtype: DType, x: ir.Value) -> ir.Value:
    return x


def _libm(name: str) -> UnaryBuilder:
    return lambda dtype, x: libm_call(name, x)


def _bool_constant(value: bool) -> UnaryBuilder:
    """isnan/isinf/isfinite on integers: known without looking at x."""
    return lambda dtype, x: arith.constant(ir.IntegerType.get_signless(1), int(value))


def _square(multiply: Callable[[ir.Value, ir.Value], ir.Value]) -> UnaryBuilder:
    return lambda dtype, x: multiply(x, x)


def _compare_with_zero(compare: Callable, predicate) -> UnaryBuilder:
    return lambda dtype, x: compare(predicate, x, constant(dtype, 0))


def _float_sign(dtype: DType, x: ir.Value) -> ir.Value:
    """-1, 0 or 1, and x itself for NaN (so sign(nan) is nan; -0.0 gives 0.0)."""
    zero = constant(dtype, 0)
    sign = arith.select(arith.cmpf(_F.OLT, x, zero), constant(dtype, -1),
                        arith.select(arith.cmpf(_F.OEQ, x, zero), zero, x))
    return arith.select(arith.cmpf(_F.OGT, x, zero), constant(dtype, 1), sign)


def _signed_sign(dtype: DType, x: ir.Value) -> ir.Value:
    zero = constant(dtype, 0)
    sign = arith.select(arith.cmpi(_I.slt, x, zero), constant(dtype, -1), zero)
    return arith.select(arith.cmpi(_I.sgt, x, zero), constant(dtype, 1), sign)


def _unsigned_sign(dtype: DType, x: ir.Value) -> ir.Value:
    nonzero = arith.cmpi(_I.ne, x, constant(dtype, 0))
    return arith.select(nonzero, constant(dtype, 1), constant(dtype, 0))


def _signed_abs(dtype: DType, x: ir.Value) -> ir.Value:
    """Wrapping: abs(INT_MIN) is INT_MIN, as in NumPy."""
    zero = constant(dtype, 0)
    return arith.select(arith.cmpi(_I.slt, x, zero), arith.subi(zero, x), x)


def _compare_abs_with_inf(predicate) -> UnaryBuilder:
    """isinf (|x| == inf) and isfinite (|x| < inf, false for NaN)."""
    return lambda dtype, x: arith.cmpf(predicate, math.absf(x), constant(dtype, float("inf")))


def _float_reciprocal(dtype: DType, x: ir.Value) -> ir.Value:
    return arith.divf(constant(dtype, 1), x)


def _integer_reciprocal(dtype: DType, x: ir.Value) -> ir.Value:
    """NumPy's integer reciprocal, `1.0 / x` converted back: 1 for 1, -1 for -1, else 0.
    For x = 0 that converts inf, which gives 0 or INT_MIN by platform; 0 here."""
    zero, one = constant(dtype, 0), constant(dtype, 1)
    result = arith.select(arith.cmpi(_I.eq, x, one), one, zero)
    if not dtype.is_signed:
        return result
    minus_one = constant(dtype, -1)
    return arith.select(arith.cmpi(_I.eq, x, minus_one), minus_one, result)


def _integer_neg(dtype: DType, x: ir.Value) -> ir.Value:
    return arith.subi(constant(dtype, 0), x)


def _invert(dtype: DType, x: ir.Value) -> ir.Value:
    """Bitwise not; on i1 this is also NumPy's logical not of a bool."""
    return arith.xori(x, constant(dtype, -1))


_FLOAT_MATH = {
    "exp": math.exp, "exp2": math.exp2, "log": math.log, "log2": math.log2,
    "log10": math.log10, "sqrt": math.sqrt, "cbrt": math.cbrt, "sin": math.sin,
    "cos": math.cos, "tan": math.tan, "arcsin": math.asin, "arccos": math.acos,
    "arctan": math.atan, "sinh": math.sinh, "cosh": math.cosh, "tanh": math.tanh,
    "arcsinh": math.asinh, "arccosh": math.acosh, "arctanh": math.atanh,
    "floor": math.floor, "ceil": math.ceil, "trunc": math.trunc, "rint": math.roundeven,
    "abs": math.absf, "neg": arith.negf,
}

_RULES: dict[str, dict[str, UnaryBuilder]] = {
    "float": {
        **{kind: _plain(op) for kind, op in _FLOAT_MATH.items()},
        "expm1": _libm("expm1"), "log1p": _libm("log1p"),
        "erf": _libm("erf"), "erfc": _libm("erfc"), "gamma": _libm("tgamma"),
        "lgamma": _libm("lgamma"),
        "positive": _identity, "sign": _float_sign, "square": _square(arith.mulf),
        "reciprocal": _float_reciprocal,
        "logical_not": _compare_with_zero(arith.cmpf, _F.OEQ),
        "isnan": lambda dtype, x: arith.cmpf(_F.UNO, x, x),
        "isinf": _compare_abs_with_inf(_F.OEQ), "isfinite": _compare_abs_with_inf(_F.OLT),
    },
    "integer": {
        "neg": _integer_neg, "positive": _identity, "invert": _invert,
        "square": _square(arith.muli), "reciprocal": _integer_reciprocal,
        # NumPy 2 rounds integers (and bools) to themselves, in their own dtype
        "floor": _identity, "ceil": _identity, "trunc": _identity,
        "logical_not": _compare_with_zero(arith.cmpi, _I.eq),
        "isnan": _bool_constant(False), "isinf": _bool_constant(False),
        "isfinite": _bool_constant(True),
    },
    "signed": {"abs": _signed_abs, "sign": _signed_sign},
    "unsigned": {"abs": _identity, "sign": _unsigned_sign},
}
