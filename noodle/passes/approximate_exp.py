"""The `approximate-exp` pass: `math.exp` on f32 and f64 as inline arithmetic.

LLVM lowers `math.exp` to a call of the C library's scalar `exp`, and a loop that calls
a function stays a scalar loop. Written out in arith ops the same loop vectorises.
(Upstream's `math-polynomial-approximation` is a test pass, absent from the registry
of the bindings, and covers f32 only.)

The method is the classic one (Cody and Waite; Tang): exp(x) = 2^n * exp(r) with
n = round(x / ln 2) and r = x - n ln 2, |r| <= ln(2)/2; ln 2 is split into a short high
part, whose product with n is exact, and a low part. exp(r) = 1 + r + r^2 q(r), with q
the Taylor polynomial of degree 5 for f32 (truncation error below 4e-9 relative) and,
for f64, the polynomial of degree 9 that interpolates (exp(r) - 1 - r) / r^2 at the
Chebyshev nodes of [-ln(2)/2, ln(2)/2] (error below 1.7e-17 relative once its
coefficients are rounded to f64: two multiply-adds fewer than the Taylor polynomial of
the same error). The error then comes from rounding in the evaluation: within 1 ulp of the correctly
rounded result over the whole range (tests/passes/test_math_approximations.py checks it
against a wider format, subnormal results included).

2^n scales with a single rounding, so that the result overflows to inf, or underflows
gradually through the subnormals to 0, as `exp` does. Where the target has AVX-512 this
is `llvm.intr.ldexp` (option `ldexp=true`), one instruction (vscalefpd) in a vector
loop; elsewhere LLVM would make it a libm call per element, so by default 2^n is built
from its bits in two factors 2^(n//2) and 2^(n - n//2), each a normal number over the
whole clamped range. NaN stays NaN; -inf gives 0 and +inf gives inf through the clamp.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from mlir import ir
from mlir.dialects import arith
from mlir.dialects import math as math_dialect

from noodle.passes.float_arith import (
    F32, F64, FloatFormat, estrin_polynomial, fast_two_sum, format_of, multiply_add,
    power_of_two, replace_scalar_ops, two_product, two_sum)

PASS_NAME = "approximate-exp"


@dataclass(frozen=True)
class _Method:
    """The constants of the method for one float format."""
    clamp: tuple[float, float]  # beyond these, exp is 0 (below) or inf (above)
    ln2_high: float  # ln 2 with trailing zero bits: n * ln2_high is exact
    ln2_low: float  # ln 2 - ln2_high
    q: tuple[float, ...]  # coefficients of q(r), from r^0 up, in exp(r) = 1 + r + r^2 q(r)


#: Chebyshev interpolation of (exp(r) - 1 - r) / r^2 at 10 nodes, computed with exact
#: rationals (the series of the function summed to 1e-40), then rounded to f64
_Q_F64 = (0.5000000000000001, 0.16666666666666669, 0.04166666666662413,
          0.008333333333330062, 0.0013888888917213717, 0.00019841269863053618,
          2.4801521295954376e-05, 2.7557268459997064e-06, 2.7620088445409746e-07,
          2.510038549551032e-08)

_METHODS = {
    F64: _Method((-746.0, 710.0), 6.93147180369123816490e-01, 1.90821492927058770002e-10,
                 _Q_F64),
    F32: _Method((-104.0, 89.0), 0.693359375, -2.12194440e-4,
                 tuple(1 / math.factorial(k + 2) for k in range(6))),
}

PASS_OPTIONS = {"ldexp": ("false", "scale by 2^n with llvm.intr.ldexp: one instruction "
                                   "with AVX-512, a libm call per element elsewhere", "bool")}


def approximate_exp(module: ir.Module, ldexp: bool = False) -> None:
    approximate_exp_in(module.operation, ldexp)


def approximate_exp_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(approximate_exp_pass, name=PASS_NAME)`."""
    approximate_exp_in(op)


def configure_pass(ldexp: str = "false") -> Callable[[ir.Operation, object], None]:
    """The pass callable for `approximate-exp{ldexp=true|false}`."""
    flag = {"true": True, "1": True, "false": False, "0": False}.get(ldexp.lower())
    if flag is None:
        raise ValueError(f"option ldexp takes true or false, not {ldexp!r}")
    return lambda op, pass_: approximate_exp_in(op, flag)


def approximate_exp_in(root: ir.Operation, ldexp: bool = False) -> None:
    """Replaces every scalar f32/f64 `math.exp` nested in `root`; `ldexp`: scale with
    `llvm.intr.ldexp` (for targets that have it as an instruction)."""
    replace_scalar_ops(root, "math.exp", lambda x: exp_of(x, ldexp))


def exp_of(x: ir.Value, ldexp: bool = False) -> ir.Value:
    """exp(x) for a scalar f32 or f64 `x`, at the insertion point."""
    fmt: FloatFormat = format_of(x.type)
    method = _METHODS[fmt]

    def const(value: float) -> ir.Value:
        return arith.constant(x.type, value)

    # NaN goes through as NaN (arith.minimumf/maximumf propagate it), and is selected
    # at the end
    low, high = method.clamp
    clamped = arith.minimumf(arith.maximumf(x, const(low)), const(high))
    n = math_dialect.floor(multiply_add(clamped, const(1 / math.log(2)), const(0.5)))
    r = multiply_add(n, const(-method.ln2_high), clamped)
    r = multiply_add(n, const(-method.ln2_low), r)
    # 1 + r + r^2 q(r): the large terms are added last, which keeps the rounding of the
    # small ones from showing (f32 was 3 ulp off as a plain Horner scheme, 1 ulp this way)
    tail = const(method.q[-1])
    for coefficient in reversed(method.q[:-1]):
        tail = multiply_add(tail, r, const(coefficient))
    polynomial = arith.addf(multiply_add(arith.mulf(r, r), tail, r), const(1.0))
    if ldexp:
        # |n| <= 1077 over the clamped range
        # built generically: the LLVM dialect's Python module costs ~12 ms to import
        exponent = arith.fptosi(ir.IntegerType.get_signless(32), n)
        result = ir.Operation.create("llvm.intr.ldexp", results=[x.type],
                                     operands=[polynomial, exponent]).result
    else:
        half = math_dialect.floor(arith.mulf(n, const(0.5)))
        result = arith.mulf(polynomial, power_of_two(half, fmt))
        result = arith.mulf(result, power_of_two(arith.subf(n, half), fmt))
    is_nan = arith.cmpf(arith.CmpFPredicate.UNO, x, x)
    return arith.select(is_nan, x, result)


#: degree of the Taylor polynomial of exp(r) in `exp_double_word`: r^17/17! < 2^-70
_DOUBLE_WORD_DEGREE = 16


def exp_double_word(x_high: ir.Value, x_low: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value]:
    """(n, y_high, y_low) with exp(x_high + x_low) = 2^n (y_high + y_low) to about 2^-58
    relative, for f64 `x_high` in [-746, 710] and |x_low| <= 2^-40 (n an integral f64,
    y_high + y_low in [0.70, 1.42], |y_low| <= ulp(y_high)/2): for the callers that need
    exp past double precision (`approximate_pow`, `approximate_tanh`).

    The method of `exp_of`, with r = x - n ln 2 carried as a double-word (the product
    n ln2_low split exactly, and x_low) and exp(r) summed so that only terms below
    r^3/6 <= 0.007 are rounded: 1 + r and r^2/2 exactly (`fast_two_sum`,
    `two_product`), the rest of the Taylor polynomial and the rounding errors after."""
    method = _METHODS[F64]

    def const(value: float) -> ir.Value:
        return arith.constant(x_high.type, value)

    n = math_dialect.floor(multiply_add(x_high, const(1 / math.log(2)), const(0.5)))
    # exact: n ln2_high is (ln2_high has 32 significant bits), and so is the difference,
    # below 1/2 and a multiple of ulp(x_high) or 2^-32
    r_high = math_dialect.fma(n, const(-method.ln2_high), x_high)
    product, product_error = two_product(n, const(method.ln2_low))
    r, r_error = two_sum(r_high, arith.negf(product))
    r_low = arith.addf(arith.subf(r_error, product_error), x_low)
    s, s_error = fast_two_sum(const(1.0), r)
    half_square, half_square_error = two_product(r, arith.mulf(r, const(0.5)))
    s, s2_error = fast_two_sum(s, half_square)
    # sum_{k >= 3} r^k / k! = (r^3 / 2) (2/3! + 2r/4! + ...), by Estrin's scheme: a
    # chain of 13 multiply-adds was the critical path of a scalar loop of tanh or pow
    tail = estrin_polynomial(r, [2 / math.factorial(k)
                                 for k in range(3, _DOUBLE_WORD_DEGREE + 1)])
    errors = arith.addf(arith.addf(s_error, s2_error), half_square_error)
    tail = multiply_add(arith.mulf(half_square, r), tail, errors)
    # exp(r + r_low) = exp(r) + r_low exp(r) + O(r_low^2), and r_low^2 < 2^-80
    tail = multiply_add(r_low, arith.addf(s, tail), tail)
    y_high, y_low = fast_two_sum(s, tail)
    return n, y_high, y_low
