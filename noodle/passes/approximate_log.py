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

import math
from dataclasses import dataclass

from mlir import ir
from mlir.dialects import arith

from noodle.passes.float_arith import (
    F32, F64, FloatFormat, format_of, multiply_add, replace_scalar_ops)

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


def log_of(x: ir.Value) -> ir.Value:
    """log(x) for a scalar f32 or f64 `x`, at the insertion point."""
    fmt: FloatFormat = format_of(x.type)
    method = _METHODS[fmt]

    def const(value: float) -> ir.Value:
        return arith.constant(x.type, value)

    def int_const(value: int) -> ir.Value:
        return arith.constant(fmt.int_type, value)

    F = arith.CmpFPredicate
    subnormal = arith.cmpf(F.OLT, x, const(method.smallest_normal))
    scaled = arith.select(subnormal, arith.mulf(x, const(2.0 ** fmt.mantissa_bits)), x)
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
