"""The `approximate-log` pass: `math.log` on f32 and f64 as inline arithmetic.

As with exp (`approximate_exp`), LLVM would call the C library's scalar `log` and keep
the loop scalar; written out in arith ops it vectorises.

The method: x = 2^e * m with m in [sqrt(1/2), sqrt(2)), read from the bits (subnormal
x scaled by 2^mantissa_bits first); with f = m - 1 and s = f / (2 + f),
log(m) = log((1 + s) / (1 - s)) = 2s + s R(s^2), R(z) = sum 2 z^k / (2k + 1), of
degree 10 (f64) or 4 (f32) in z, where z <= 0.0295 keeps the truncation error under
1e-17 (3e-8) relative. The terms are summed as f - (f^2/2 - s (f^2/2 + R)), small
ones first, and e ln 2 is added in two parts (Tang's split of ln 2): within 1 ulp of
the correctly rounded log over the whole range (tests/passes/test_approximate_log.py).
log(0) is -inf, log of a negative number or NaN is NaN, log(inf) is inf.
"""
from __future__ import annotations

import decimal
import functools
import math
from dataclasses import dataclass

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref
from mlir.dialects import math as math_dialect

from noodle.passes.float_arith import (
    F32, F64, FloatFormat, constant_table, fast_two_sum, format_of, multiply_add,
    replace_scalar_ops, two_product, two_sum)

PASS_NAME = "approximate-log"


@dataclass(frozen=True)
class _Method:
    ln2_high: float  # ln 2 with trailing zero bits: e * ln2_high is exact
    ln2_low: float  # ln 2 - ln2_high
    degree: int  # of R in z = s^2
    smallest_normal: float


_METHODS = {
    F64: _Method(6.93147180369123816490e-01, 1.90821492927058770002e-10, 10,
                 2.2250738585072014e-308),
    F32: _Method(0.693145751953125, 1.428606765330187e-06, 4, 1.1754943508222875e-38),
}


def approximate_log(module: ir.Module) -> None:
    approximate_log_in(module.operation)


def approximate_log_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(approximate_log_pass, name=PASS_NAME)`."""
    approximate_log_in(op)


def approximate_log_in(root: ir.Operation) -> None:
    """Replaces every scalar f32/f64 `math.log` nested in `root`."""
    replace_scalar_ops(root, "math.log", log_of)


def _normalized(x: ir.Value, fmt: FloatFormat) -> tuple[ir.Value, ir.Value]:
    """(whether x is subnormal, x scaled by 2^mantissa_bits if so): a normal number,
    whose exponent field then reads off its binade."""
    smallest_normal = arith.constant(x.type, _METHODS[fmt].smallest_normal)
    subnormal = arith.cmpf(arith.CmpFPredicate.OLT, x, smallest_normal)
    scale = arith.constant(x.type, 2.0 ** fmt.mantissa_bits)
    return subnormal, arith.select(subnormal, arith.mulf(x, scale), x)


def log_of(x: ir.Value) -> ir.Value:
    """log(x) for a scalar f32 or f64 `x`, at the insertion point."""
    fmt: FloatFormat = format_of(x.type)
    method = _METHODS[fmt]

    def const(value: float) -> ir.Value:
        return arith.constant(x.type, value)

    def int_const(value: int) -> ir.Value:
        return arith.constant(fmt.int_type, value)

    F = arith.CmpFPredicate
    subnormal, scaled = _normalized(x, fmt)
    bits = arith.bitcast(fmt.int_type, scaled)
    exponent_field = arith.andi(arith.shrui(bits, int_const(fmt.mantissa_bits)),
                                int_const((1 << (fmt.width - 1 - fmt.mantissa_bits)) - 1))
    mantissa = arith.andi(bits, int_const((1 << fmt.mantissa_bits) - 1))
    m = arith.bitcast(x.type, arith.ori(mantissa, int_const(fmt.bits(1.0))))
    # the exponent as a float (sitofp of an i32 exists in every vector unit; the field
    # has at most 11 bits, so it fits)
    i32 = ir.IntegerType.get_signless(32)
    if fmt.width > 32:
        exponent_field = arith.trunci(i32, exponent_field)
    e = arith.sitofp(x.type, exponent_field)
    bias = arith.select(subnormal, const(float(fmt.exponent_bias + fmt.mantissa_bits)),
                        const(float(fmt.exponent_bias)))
    e = arith.subf(e, bias)
    above = arith.cmpf(F.OGT, m, const(math.sqrt(2.0)))
    m = arith.select(above, arith.mulf(m, const(0.5)), m)
    e = arith.select(above, arith.addf(e, const(1.0)), e)

    f = arith.subf(m, const(1.0))
    s = arith.divf(f, arith.addf(f, const(2.0)))
    z = arith.mulf(s, s)
    r = const(2.0 / (2 * method.degree + 1))
    for k in range(method.degree - 1, 0, -1):
        r = multiply_add(r, z, const(2.0 / (2 * k + 1)))
    r = arith.mulf(r, z)
    half_f_squared = arith.mulf(arith.mulf(f, f), const(0.5))
    low_part = multiply_add(s, arith.addf(half_f_squared, r),
                            arith.mulf(e, const(method.ln2_low)))
    result = arith.addf(arith.mulf(e, const(method.ln2_high)),
                        arith.subf(f, arith.subf(half_f_squared, low_part)))

    inf, nan = const(math.inf), const(math.nan)
    result = arith.select(arith.cmpf(F.OEQ, x, inf), inf, result)
    result = arith.select(arith.cmpf(F.OEQ, x, const(0.0)), const(-math.inf), result)
    # negative numbers and NaN (an unordered comparison is true for NaN)
    return arith.select(arith.cmpf(F.ULT, x, const(0.0)), nan, result)


# log past double precision (`log_double_word`), after glibc's pow (Szabolcs Nagy,
# 2018): x = 2^k z, z in [_LOG_Z_LOW, 2 _LOG_Z_LOW), and z in one of 128 intervals,
# each with a short 1/c (c in it) and log c to 106 bits in a table; r = z/c - 1 is
# then exact, |r| < 2^-7.
_LOG_Z_LOW = 0.70703125  # (1 + 53/128) / 2, about sqrt(1/2)
_LOG_INDEX_BITS = 7
_LOG_INVERSE_BITS = 8  # significant bits of 1/c: z (1/c) - 1 is a multiple of 2^-60
_LOG_TAIL_DEGREE = 11  # of log1p(r): r^12/12 < 2^-81, far under 2^-68 |log x|
_LOG_TABLE_SYMBOL = "__noodle_log_f64"


@functools.cache
def log_table() -> np.ndarray:
    """Row i: 1/c, and log c = -log(1/c) as a high and a low double, for the z whose
    bits are those of _LOG_Z_LOW plus i << (52 - 7) and below the next row's. The rows
    around z = 1 have 1/c = 1, so that log of an x near 1 has no cancellation."""
    low_bits, step = F64.bits(_LOG_Z_LOW), 1 << (F64.mantissa_bits - _LOG_INDEX_BITS)
    context = decimal.Context(prec=50)
    rows = []
    for i in range(1 << _LOG_INDEX_BITS):
        low, high = (np.uint64(low_bits + j * step).view(np.float64)
                     for j in (i, i + 1))
        mantissa, exponent = math.frexp(2 / (low + high))
        inverse = math.ldexp(round(math.ldexp(mantissa, _LOG_INVERSE_BITS)),
                             exponent - _LOG_INVERSE_BITS)
        if low <= 1.0 <= high:
            inverse = 1.0
        log_c = -context.ln(decimal.Decimal(inverse))
        log_c_high = float(log_c)
        rows.append((inverse, log_c_high, float(context.subtract(
            log_c, decimal.Decimal(log_c_high)))))
    return np.array(rows, dtype=np.float64)


def log_double_word(x: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(hi, lo) with log(x) = hi + lo to about 2^-68 relative (|lo| <= ulp(hi)/2), for a
    scalar f64 `x` at the insertion point (inside a module: the table goes there):
    for `approximate_pow`, where y log(x) up to 745 must be right to 2^-59 or better.
    log(0) is (-inf, 0), log(inf) is (inf, 0), log(NaN) and of a negative number NaN.

    log(x) = k ln 2 + log c + log1p(r): k ln2_high and r exact, log1p(r) = r - r^2/2 +
    r^3 P(r) with r^2/2 exact as two doubles (`two_product`), so that only terms below
    2^-22 relative to log(x) are rounded; the large ones are summed exactly
    (`two_sum`)."""
    method = _METHODS[F64]

    def const(value: float) -> ir.Value:
        return arith.constant(x.type, value)

    def int_const(value: int) -> ir.Value:
        return arith.constant(F64.int_type, value)

    F = arith.CmpFPredicate
    subnormal, scaled = _normalized(x, F64)
    offset = arith.subi(arith.bitcast(F64.int_type, scaled), int_const(F64.bits(_LOG_Z_LOW)))
    row = arith.andi(arith.shrui(offset, int_const(F64.mantissa_bits - _LOG_INDEX_BITS)),
                     int_const((1 << _LOG_INDEX_BITS) - 1))
    exponent = arith.shrsi(offset, int_const(F64.mantissa_bits))
    z = arith.bitcast(x.type, arith.subi(arith.bitcast(F64.int_type, scaled),
                                         arith.shli(exponent, int_const(F64.mantissa_bits))))
    # k as a float through i32 (x86 has no vector conversion from i64 before AVX-512)
    k = arith.sitofp(x.type, arith.trunci(ir.IntegerType.get_signless(32), exponent))
    k = arith.subf(k, arith.select(subnormal, const(float(F64.mantissa_bits)), const(0.0)))
    table = constant_table(_LOG_TABLE_SYMBOL, log_table())
    index = ir.IndexType.get()
    row = arith.index_cast(index, row)
    inverse, log_c_high, log_c_low = (
        memref.load(table, [row, arith.constant(index, column)]) for column in range(3))

    r = math_dialect.fma(z, inverse, const(-1.0))
    half_square, half_square_error = two_product(r, arith.mulf(r, const(-0.5)))
    # log1p(r) - r + r^2/2 = r^3 (1/3 - r/4 + ...)
    tail = const((-1) ** (_LOG_TAIL_DEGREE + 1) / _LOG_TAIL_DEGREE)
    for j in range(_LOG_TAIL_DEGREE - 1, 2, -1):
        tail = multiply_add(tail, r, const((-1) ** (j + 1) / j))
    tail = arith.mulf(arith.mulf(arith.mulf(r, r), r), tail)
    # k ln2_high + log_c_high: exact with k = 0, else |k ln 2| > |log c|
    high, error1 = fast_two_sum(arith.mulf(k, const(method.ln2_high)), log_c_high)
    high, error2 = two_sum(high, r)
    # |r^2/2| < 2^-15 is below |high| (or high = r, r^2/2 far below it)
    high, error3 = fast_two_sum(high, half_square)
    low = arith.addf(arith.addf(arith.addf(error1, error2), arith.addf(error3, half_square_error)),
                     multiply_add(k, const(method.ln2_low), log_c_low))
    high, low = fast_two_sum(high, arith.addf(low, tail))

    inf, nan, zero = const(math.inf), const(math.nan), const(0.0)
    high = arith.select(arith.cmpf(F.OEQ, x, inf), inf, high)
    high = arith.select(arith.cmpf(F.OEQ, x, zero), const(-math.inf), high)
    high = arith.select(arith.cmpf(F.ULT, x, zero), nan, high)
    special = arith.ori(arith.cmpf(F.UNO, x, x),
                        arith.ori(arith.cmpf(F.OEQ, x, inf), arith.cmpf(F.OLE, x, zero)))
    return high, arith.select(special, zero, low)
