"""The `approximate-pow` pass: `math.powf` (x ** y) on f32 and f64 as inline arithmetic.

As with exp (`approximate_exp`), LLVM would call the C library's scalar `pow` and keep
the loop scalar; written out in arith and math ops (`math.fma`, `math.floor`,
`math.absf`: LLVM intrinsics with vector instructions, and a gather from a small
table) it vectorises.

|x|^y = exp(y log |x|); an error d in y log |x| is an error d relative in the result, and
y log |x| reaches 745 before the result underflows, so log must be right to far more
than the 2^-53 of a double:

- f64: log |x| as a double-word to about 2^-68 relative (`log_double_word`: table-driven,
  after glibc's pow), y times it exactly (`two_product`) and exp of that double-word to
  2^-58 (`exp_double_word`); the one rounding that counts is the last, of 2^n (y_high +
  y_low). A result in the subnormals is rounded once there too: 1 + y 2^(n + 1022)
  rounds on the grid of 2^-52, which 2^-1022 scales onto the subnormals' grid. The
  bound: 0.5 ulp plus about 2^-66 * 745 + 2^-58 relative, within 0.52 ulp of pow (1
  ulp of the correctly rounded result); 0.501 is the largest measured.
- f32: in f64, with `log_of` and `exp_of` (each within 1 ulp of f64): y log |x| is right
  to 2^-51 relative and below 104 where the result is not 0 or inf, so the f64 result
  is within 2^-44 relative, and rounding it to f32 once gives the correctly rounded
  result but where pow is within 2^-20 ulp of a midpoint between two floats.

Special values as C99 (F.9.4.4) and NumPy have them: x ** +-0 = 1 and 1 ** y = 1, NaN
included; (-1) ** +-inf = 1; a negative finite x to a finite non-integer y is NaN; a
negative x (-0 and -inf included) to an odd integer y gives the negated |x| ** y, so that
(+-0) ** (negative odd) = +-inf and (+-0) ** (positive odd) = +-0; every float of
magnitude 2^53 (f32: 2^24) or more is an even integer. The others come out of exp(y log
|x|) with log(0) = -inf and log(inf) = inf: 0 or inf as y log |x| is -inf or inf.
"""
from __future__ import annotations

import math

from mlir import ir
from mlir.dialects import arith
from mlir.dialects import math as math_dialect

from noodle.passes.approximate_exp import exp_double_word, exp_of
from noodle.passes.approximate_log import log_double_word, log_of
from noodle.passes.float_arith import (
    F64, FloatFormat, fast_two_sum, format_of, power_of_two, replace_scalar_ops,
    two_product)

PASS_NAME = "approximate-pow"

#: exp of y log |x| beyond these is 0 (below: under half the smallest subnormal) or inf
_CLAMP = (-746.0, 710.0)
_SMALLEST_NORMAL_EXPONENT = -1022


def approximate_pow(module: ir.Module) -> None:
    approximate_pow_in(module.operation)


def approximate_pow_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(approximate_pow_pass, name=PASS_NAME)`."""
    approximate_pow_in(op)


def approximate_pow_in(root: ir.Operation) -> None:
    """Replaces every scalar f32/f64 `math.powf` nested in `root` (a module, or an op
    inside one: the f64 log table goes into the enclosing module)."""
    replace_scalar_ops(root, "math.powf", pow_of)


def pow_of(x: ir.Value, y: ir.Value) -> ir.Value:
    """x ** y for scalar f32 or f64 `x` and `y` of one type, at the insertion point
    (inside a module)."""
    fmt: FloatFormat = format_of(x.type)
    if fmt is F64:
        return _with_special_values(x, y, _magnitude_f64(math_dialect.absf(x), y))
    f64 = ir.F64Type.get()
    wide_x, wide_y = arith.extf(f64, x), arith.extf(f64, y)
    magnitude = exp_of(arith.mulf(wide_y, log_of(math_dialect.absf(wide_x))))
    return arith.truncf(x.type, _with_special_values(wide_x, wide_y, magnitude))


def _magnitude_f64(a: ir.Value, y: ir.Value) -> ir.Value:
    """a ** y for an f64 a >= 0 (or NaN): exp(y log a), with 0 or inf where y log a
    is -inf or inf, and NaN where it is NaN."""
    def const(value: float) -> ir.Value:
        return arith.constant(a.type, value)

    log_high, log_low = log_double_word(a)
    z_high, z_error = two_product(y, log_high)
    z_low = math_dialect.fma(y, log_low, z_error)
    # beyond the clamp (infinities too) z_low is meaningless, maybe NaN: the result is 0
    # or inf whatever it is. NaN goes through the clamp.
    low, high = _CLAMP
    in_range = arith.cmpf(arith.CmpFPredicate.OLT, math_dialect.absf(z_high), const(-low))
    z_low = arith.select(in_range, z_low, const(0.0))
    z_high = arith.minimumf(arith.maximumf(z_high, const(low)), const(high))
    n, y_high, y_low = exp_double_word(z_high, z_low)
    return _scaled(n, y_high, y_low)


def _scaled(n: ir.Value, y_high: ir.Value, y_low: ir.Value) -> ir.Value:
    """2^n (y_high + y_low) rounded once, for an integral f64 n in [-1076, 1025] and
    y_high + y_low in [0.70, 1.42] (|y_low| <= ulp(y_high)/2): inf where it overflows,
    and rounded onto the subnormals' grid where it underflows."""
    def const(value: float) -> ir.Value:
        return arith.constant(n.type, value)

    # normal (or inf): y_high is y_high + y_low rounded, and the scaling is exact; in
    # two factors, each a normal number
    half = math_dialect.floor(arith.mulf(n, const(0.5)))
    normal = arith.mulf(arith.mulf(y_high, power_of_two(half, F64)),
                        power_of_two(arith.subf(n, half), F64))
    # subnormal: w = (y_high + y_low) 2^(n + 1022) < 1 (exactly scaled: n + 1022 >= -54),
    # and 1 + w rounded on the grid of 2^-52 in [1, 2]
    shift = arith.minimumf(arith.subf(n, const(float(_SMALLEST_NORMAL_EXPONENT))),
                           const(0.0))
    scale = power_of_two(shift, F64)
    w_high, w_low = arith.mulf(y_high, scale), arith.mulf(y_low, scale)
    one_plus, error = fast_two_sum(const(1.0), w_high)
    one_plus = arith.addf(one_plus, arith.addf(error, w_low))
    subnormal = arith.mulf(arith.subf(one_plus, const(1.0)),
                           const(2.0 ** _SMALLEST_NORMAL_EXPONENT))
    tiny = arith.andi(arith.cmpf(arith.CmpFPredicate.OLE, n,
                                 const(float(_SMALLEST_NORMAL_EXPONENT))),
                      arith.cmpf(arith.CmpFPredicate.OLT, w_high, const(1.0)))
    return arith.select(tiny, subnormal, normal)


def _with_special_values(x: ir.Value, y: ir.Value, magnitude: ir.Value) -> ir.Value:
    """x ** y from |x| ** y (`magnitude`, right for every |x| and y but |x| = 1, where y
    log |x| may be 0 * inf), in x's float type: the sign, and C99's special cases."""
    F = arith.CmpFPredicate

    def const(value: float) -> ir.Value:
        return arith.constant(x.type, value)

    fmt: FloatFormat = format_of(x.type)
    a = math_dialect.absf(x)
    # 1 ** y and (-1) ** y have magnitude 1 for every y but NaN (infinities included)
    magnitude = arith.select(arith.andi(arith.cmpf(F.OEQ, a, const(1.0)),
                                        arith.cmpf(F.ORD, y, y)),
                             const(1.0), magnitude)
    whole = math_dialect.floor(y)
    integral = arith.cmpf(F.OEQ, whole, y)  # infinities too, NaN not
    half_y = arith.mulf(y, const(0.5))
    odd = arith.andi(integral, arith.cmpf(F.ONE, math_dialect.floor(half_y), half_y))
    # the sign bit of x, so that -0 and -inf count as negative
    int_type = fmt.int_type
    sign_bit = arith.constant(int_type, -1 << (fmt.width - 1))
    negative = arith.cmpi(arith.CmpIPredicate.ne,
                          arith.andi(arith.bitcast(int_type, x), sign_bit),
                          arith.constant(int_type, 0))
    result = arith.select(arith.andi(negative, odd), arith.negf(magnitude), magnitude)
    finite_negative = arith.andi(arith.cmpf(F.OLT, x, const(0.0)),
                                 arith.cmpf(F.OGT, x, const(-math.inf)))
    finite_fraction = arith.andi(arith.cmpf(F.ONE, whole, y),
                                 arith.cmpf(F.OLT, math_dialect.absf(y), const(math.inf)))
    result = arith.select(arith.andi(finite_negative, finite_fraction),
                          const(math.nan), result)
    one = arith.ori(arith.cmpf(F.OEQ, y, const(0.0)), arith.cmpf(F.OEQ, x, const(1.0)))
    return arith.select(one, const(1.0), result)
