"""The `approximate-tanh` pass: `math.tanh` on f32 and f64 as inline arithmetic.

As with exp (`approximate_exp`), LLVM would call the C library's scalar `tanh` and keep
the loop scalar; written out in arith and math ops (`math.fma`, `math.floor`,
`math.absf`, `math.copysign`: LLVM intrinsics with vector instructions) it vectorises.

tanh is odd: tanh(x) = copysign(tanh |x|, x), which keeps the sign of a zero. For
a = |x|:

- f64, a < 1/4: a + a^3 P(a^2), P the Taylor polynomial of (tanh(a) - a) / a^3 to
  a^22 (coefficients from the Bernoulli numbers; its truncation error is below 2^-60
  relative). The correction is at most a^2/3 < 0.021 of the result, so its rounding
  errors barely show: the final addition's half ulp is the error.
- f64, a >= 1/4: 1 - 2q / (1 + q) with q = exp(-2a) (2a is exact) to 2^-58 from
  `exp_double_word`, and the quotient and the difference carried as double-words (the
  quotient's remainder from a fused multiply-add), rounded once at the end. This is the
  expm1-free form that stays accurate near 0 only because the polynomial takes over
  there: the error of q counts relative to 1 - tanh(a) <= 0.76 of tanh(a), never to a
  small result. a is clamped to 22 first, where tanh rounds to 1 (1 - tanh(22) < 2^-62):
  +-inf gives +-1 and q never underflows.
- f64: the two are the sides of an `scf.if`, so that a scalar loop computes one.
- f32: in f64, 1 - 2 / (1 + exp(2a)) with `exp_of` (within 1 ulp of f64), then rounded
  to f32 once: the f64 value is within 2^-49 absolute of tanh, which for a >= 2^-12 is
  2^-37 relative, far below an f32 ulp; below 2^-12, tanh(a) rounds to a itself (a^3/3
  is under half an ulp of it), which is the result.

The bound, checked by tests/passes/test_approximate_tanh_pow.py over the whole range of
both formats: within 1 ulp of the correctly rounded tanh (measured: 0.51 ulp for f64;
f32 the correctly rounded result but where tanh is within about 2^-13 ulp of a midpoint
between two floats). NaN stays NaN; +-0, subnormals and tiny x give x itself.
"""
from __future__ import annotations

import functools
import math
from fractions import Fraction

from mlir import ir
from mlir.dialects import arith, scf
from mlir.dialects import math as math_dialect

from noodle.passes.approximate_exp import exp_double_word, exp_of
from noodle.passes.float_arith import (
    F64, FloatFormat, estrin_polynomial, fast_two_sum, format_of, power_of_two,
    replace_scalar_ops)

PASS_NAME = "approximate-tanh"

#: below it (f64), tanh comes from its Taylor polynomial
_POLYNOMIAL_LIMIT = 0.25
#: terms of P: the Taylor coefficients of a^3 ... a^(2 TERMS + 1)
_POLYNOMIAL_TERMS = 12
#: from it, tanh rounds to 1 in f64 (and so in f32)
_SATURATION = 22.0
#: below it, tanh rounds to x in f32
_F32_IDENTITY_LIMIT = 2.0 ** -12


def approximate_tanh(module: ir.Module) -> None:
    approximate_tanh_in(module.operation)


def approximate_tanh_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(approximate_tanh_pass, name=PASS_NAME)`."""
    approximate_tanh_in(op)


def approximate_tanh_in(root: ir.Operation) -> None:
    """Replaces every scalar f32/f64 `math.tanh` nested in `root`."""
    replace_scalar_ops(root, "math.tanh", tanh_of)


def tanh_of(x: ir.Value) -> ir.Value:
    """tanh(x) for a scalar f32 or f64 `x`, at the insertion point."""
    fmt: FloatFormat = format_of(x.type)
    if fmt is F64:
        return math_dialect.copysign(_tanh_f64(math_dialect.absf(x)), x)
    f64 = ir.F64Type.get()
    a = math_dialect.absf(arith.extf(f64, x))

    def const(value: float) -> ir.Value:
        return arith.constant(f64, value)

    # exp_of gives inf from 710 on, and 2 / inf = 0; NaN goes through
    large = arith.subf(const(1.0), arith.divf(
        const(2.0), arith.addf(const(1.0), exp_of(arith.addf(a, a)))))
    result = arith.truncf(x.type, large)
    small = arith.cmpf(arith.CmpFPredicate.OLT, a, const(_F32_IDENTITY_LIMIT))
    return arith.select(small, x, math_dialect.copysign(result, x))


def _tanh_f64(a: ir.Value) -> ir.Value:
    """tanh(a) for an f64 a >= 0 (or NaN, which takes the second branch).

    A branch, not a select of both: a scalar loop (a sum of tanh, which LLVM may not
    reorder) runs only one side, 20% faster; LLVM if-converts it in a loop it vectorises."""
    limit = arith.constant(a.type, _POLYNOMIAL_LIMIT)
    is_small = arith.cmpf(arith.CmpFPredicate.OLT, a, limit)
    branch = scf.IfOp(is_small, [a.type], has_else=True)
    with ir.InsertionPoint(branch.then_block):
        scf.YieldOp([_tanh_small(a)])
    with ir.InsertionPoint(branch.else_block):
        scf.YieldOp([_tanh_large(a)])
    return branch.result


def _tanh_small(a: ir.Value) -> ir.Value:
    """tanh(a) for f64 0 <= a < 1/4: a + a^3 P(a^2), P by Estrin's scheme."""
    square = arith.mulf(a, a)
    polynomial = estrin_polynomial(square, _taylor_coefficients())
    return math_dialect.fma(arith.mulf(a, square), polynomial, a)


def _tanh_large(a: ir.Value) -> ir.Value:
    """tanh(a) for f64 a >= 1/4 (or NaN): 1 - 2q / (1 + q), q = exp(-2a)."""
    def const(value: float) -> ir.Value:
        return arith.constant(a.type, value)

    # q = exp(-2a) = 2^n (y_high + y_low), scaled exactly: n >= -64
    clamped = arith.minimumf(a, const(_SATURATION))
    n, y_high, y_low = exp_double_word(arith.mulf(clamped, const(-2.0)), const(0.0))
    scale = power_of_two(n, F64)
    q_high, q_low = arith.mulf(y_high, scale), arith.mulf(y_low, scale)
    denominator, denominator_low = fast_two_sum(const(1.0), q_high)
    denominator_low = arith.addf(denominator_low, q_low)
    # u = 2q / (1 + q) <= 1: u_high rounded, and the remainder 2 q_high - u_high d exact
    numerator = arith.mulf(q_high, const(2.0))
    u_high = arith.divf(numerator, denominator)
    remainder = math_dialect.fma(arith.negf(u_high), denominator, numerator)
    u_low = arith.divf(
        arith.subf(arith.addf(remainder, arith.mulf(q_low, const(2.0))),
                   arith.mulf(u_high, denominator_low)),
        denominator)
    result, error = fast_two_sum(const(1.0), arith.negf(u_high))
    return arith.addf(result, arith.subf(error, u_low))


@functools.cache
def _taylor_coefficients() -> list[float]:
    """c_1, c_2, ... of tanh(a) = a + a^3 (c_1 + c_2 a^2 + ...): the coefficient of
    a^(2n-1) is 2^(2n) (2^(2n) - 1) B_(2n) / (2n)!, B the Bernoulli numbers."""
    count = _POLYNOMIAL_TERMS + 1
    bernoulli = [Fraction(1)]
    for m in range(1, 2 * count + 1):
        bernoulli.append(-sum(math.comb(m + 1, k) * bernoulli[k] for k in range(m))
                         / (m + 1))
    return [float(Fraction(4 ** n * (4 ** n - 1)) * bernoulli[2 * n] / math.factorial(2 * n))
            for n in range(2, count + 1)]
