"""Scalar bodies of `nir.binary` kinds with NumPy's semantics, one small builder each.

Every builder takes `(dtype, lhs, rhs)` element values and returns the result element.
Integer arithmetic wraps (arith ops are two's complement); division and shift are
guarded where LLVM would give poison or x86 would trap, yielding NumPy's results.
"""
from __future__ import annotations

from collections.abc import Callable

from mlir import ir
from mlir.dialects import arith, math, scf

from noodle.passes.nir_dtypes import DType, constant, rule_for
from noodle.passes.nir_libm import libm_call

BinaryBuilder = Callable[[DType, ir.Value, ir.Value], ir.Value]

_I = arith.CmpIPredicate
_F = arith.CmpFPredicate


def binary_builder(kind: str, dtype: DType) -> BinaryBuilder:
    """The scalar builder for `nir.binary` kind `kind` on `dtype`."""
    return rule_for(_RULES, dtype, kind, "nir.binary")


def _plain(op: Callable[[ir.Value, ir.Value], ir.Value]) -> BinaryBuilder:
    """A builder for an arith/math op whose semantics need no dtype."""
    return lambda dtype, a, b: op(a, b)


def _eq(a: ir.Value, value: ir.Value) -> ir.Value:
    return arith.cmpi(_I.eq, a, value)


# --- integer division ----------------------------------------------------------------

def _safe_divisor(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
    """b, with 1 where dividing would trap: b == 0, and INT_MIN / -1 for signed types.

    With 1, INT_MIN // -1 comes out as INT_MIN and INT_MIN % -1 as 0, NumPy's results.
    """
    unsafe = _eq(b, constant(dtype, 0))
    if dtype.is_signed:
        overflow = arith.andi(_eq(a, constant(dtype, dtype.min_value)),
                              _eq(b, constant(dtype, -1)))
        unsafe = arith.ori(unsafe, overflow)
    return arith.select(unsafe, constant(dtype, 1), b)


def _zero_if_divisor_zero(dtype: DType, b: ir.Value, value: ir.Value) -> ir.Value:
    """NumPy gives 0 (and a warning) for integer division or modulo by zero."""
    zero = constant(dtype, 0)
    return arith.select(_eq(b, zero), zero, value)


def _signed_floor_divmod(dtype: DType, a: ir.Value, b: ir.Value) -> tuple[ir.Value, ir.Value]:
    """Python's (a // b, a % b): truncating division stepped down when signs differ."""
    divisor = _safe_divisor(dtype, a, b)
    quotient, remainder = arith.divsi(a, divisor), arith.remsi(a, divisor)
    zero = constant(dtype, 0)
    signs_differ = arith.cmpi(_I.slt, arith.xori(remainder, divisor), zero)
    adjust = arith.andi(arith.cmpi(_I.ne, remainder, zero), signs_differ)
    quotient = arith.select(adjust, arith.subi(quotient, constant(dtype, 1)), quotient)
    remainder = arith.select(adjust, arith.addi(remainder, divisor), remainder)
    return quotient, remainder


def _signed_floordiv(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
    return _zero_if_divisor_zero(dtype, b, _signed_floor_divmod(dtype, a, b)[0])


def _signed_mod(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
    return _zero_if_divisor_zero(dtype, b, _signed_floor_divmod(dtype, a, b)[1])


def _signed_fmod(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
    """np.fmod: C's truncating remainder (sign of the dividend)."""
    return _zero_if_divisor_zero(dtype, b, arith.remsi(a, _safe_divisor(dtype, a, b)))


def _unsigned_floordiv(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
    return _zero_if_divisor_zero(dtype, b, arith.divui(a, _safe_divisor(dtype, a, b)))


def _unsigned_mod(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
    return _zero_if_divisor_zero(dtype, b, arith.remui(a, _safe_divisor(dtype, a, b)))


# --- float division: NumPy's npy_divmod ------------------------------------------------

def _float_divmod(dtype: DType, a: ir.Value, b: ir.Value) -> tuple[ir.Value, ir.Value]:
    """NumPy's npy_divmod: floor quotient and remainder with the divisor's sign."""
    zero, one = constant(dtype, 0), constant(dtype, 1)
    mod = arith.remf(a, b)  # C fmod
    div = arith.divf(arith.subf(a, mod), b)
    # `if (mod)` in C is true for NaN too, hence "unordered or not equal".
    mod_nonzero = arith.cmpf(_F.UNE, mod, zero)
    signs_differ = arith.xori(arith.cmpf(_F.OLT, b, zero), arith.cmpf(_F.OLT, mod, zero))
    shift = arith.andi(mod_nonzero, signs_differ)
    div = arith.select(shift, arith.subf(div, one), div)
    mod = arith.select(mod_nonzero, arith.select(shift, arith.addf(mod, b), mod),
                       math.copysign(zero, b))
    floor = math.floor(div)
    half = constant(dtype, 0.5)
    rounded = arith.select(arith.cmpf(_F.OGT, arith.subf(div, floor), half),
                           arith.addf(floor, one), floor)
    quotient = arith.select(arith.cmpf(_F.UNE, div, zero), rounded,
                            math.copysign(zero, arith.divf(a, b)))
    return quotient, mod


def _float_floordiv(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
    """np.floor_divide: a / b itself (inf or nan) when b == 0."""
    by_zero = arith.cmpf(_F.OEQ, b, constant(dtype, 0))
    return arith.select(by_zero, arith.divf(a, b), _float_divmod(dtype, a, b)[0])


def _float_mod(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
    """np.remainder (fmod(a, 0) = nan falls out of npy_divmod unchanged)."""
    return _float_divmod(dtype, a, b)[1]


# --- integer power -----------------------------------------------------------------------

def _power_by_squaring(dtype: DType, base: ir.Value, exponent: ir.Value) -> ir.Value:
    """base ** exponent for an exponent read as unsigned, wrapping like NumPy."""
    t = dtype.element_type
    loop = scf.WhileOp([t, t, t], [constant(dtype, 1), base, exponent])
    before = loop.before.blocks.append(t, t, t)
    with ir.InsertionPoint(before):
        remaining = before.arguments[2]
        scf.ConditionOp(arith.cmpi(_I.ne, remaining, constant(dtype, 0)),
                        list(before.arguments))
    after = loop.after.blocks.append(t, t, t)
    with ir.InsertionPoint(after):
        result, square, remaining = after.arguments
        odd = _is_odd(dtype, remaining)
        scf.YieldOp([arith.select(odd, arith.muli(result, square), result),
                     arith.muli(square, square),
                     arith.shrui(remaining, constant(dtype, 1))])
    return loop.results[0]


def _is_odd(dtype: DType, value: ir.Value) -> ir.Value:
    return arith.cmpi(_I.ne, arith.andi(value, constant(dtype, 1)), constant(dtype, 0))


def _signed_pow(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
    """Negative exponents give 0, except bases 1 (1) and -1 (+-1 by parity)."""
    zero, one, minus_one = constant(dtype, 0), constant(dtype, 1), constant(dtype, -1)
    negative = arith.cmpi(_I.slt, b, zero)
    power = _power_by_squaring(dtype, a, arith.select(negative, zero, b))
    minus_one_power = arith.select(_is_odd(dtype, b), minus_one, one)
    reciprocal = arith.select(_eq(a, one), one,
                              arith.select(_eq(a, minus_one), minus_one_power, zero))
    return arith.select(negative, reciprocal, power)


# --- shifts --------------------------------------------------------------------------------

def _shift_in_range(dtype: DType, count: ir.Value) -> ir.Value:
    """count < bit width, read unsigned (so negative counts are out of range, as in C)."""
    return arith.cmpi(_I.ult, count, constant(dtype, dtype.width))


def _lshift(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
    return arith.select(_shift_in_range(dtype, b), arith.shli(a, b), constant(dtype, 0))


def _unsigned_rshift(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
    return arith.select(_shift_in_range(dtype, b), arith.shrui(a, b), constant(dtype, 0))


def _signed_rshift(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
    """Shifting by width - 1 gives NumPy's 0 or -1 for out-of-range counts."""
    return arith.shrsi(a, arith.minui(b, constant(dtype, dtype.width - 1)))


def _hypot(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
    return libm_call("hypot", a, b)


_RULES: dict[str, dict[str, BinaryBuilder]] = {
    "float": {
        "add": _plain(arith.addf), "sub": _plain(arith.subf), "mul": _plain(arith.mulf),
        "truediv": _plain(arith.divf), "floordiv": _float_floordiv, "mod": _float_mod,
        "fmod": _plain(arith.remf), "pow": _plain(math.powf),
        "maximum": _plain(arith.maximumf), "minimum": _plain(arith.minimumf),
        "fmax": _plain(arith.maxnumf), "fmin": _plain(arith.minnumf),
        "arctan2": _plain(math.atan2), "hypot": _hypot, "copysign": _plain(math.copysign),
    },
    "integer": {
        "add": _plain(arith.addi), "sub": _plain(arith.subi), "mul": _plain(arith.muli),
        "bitand": _plain(arith.andi), "bitor": _plain(arith.ori),
        "bitxor": _plain(arith.xori), "lshift": _lshift,
    },
    "signed": {
        "floordiv": _signed_floordiv, "mod": _signed_mod, "fmod": _signed_fmod,
        "pow": _signed_pow,
        "rshift": _signed_rshift,
        "maximum": _plain(arith.maxsi), "minimum": _plain(arith.minsi),
        "fmax": _plain(arith.maxsi), "fmin": _plain(arith.minsi),
    },
    "unsigned": {
        "floordiv": _unsigned_floordiv, "mod": _unsigned_mod, "fmod": _unsigned_mod,
        "pow": _power_by_squaring,
        "rshift": _unsigned_rshift,
        "maximum": _plain(arith.maxui), "minimum": _plain(arith.minui),
        "fmax": _plain(arith.maxui), "fmin": _plain(arith.minui),
    },
    # NumPy's logical meaning of arithmetic on booleans.
    "bool": {"add": _plain(arith.ori), "mul": _plain(arith.andi)},
}
