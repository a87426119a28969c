"""The `approximate-exp` pass: `math.exp` on f32 and f64 as inline arithmetic.

LLVM lowers `math.exp` to a call of the C library's scalar `exp`, and a loop that calls
a function stays a scalar loop. Written out in arith ops the same loop vectorises.
(Upstream's `math-polynomial-approximation` is a test pass, absent from the registry
of the bindings, and covers f32 only.)

The method is the classic one (Cody and Waite; Tang): exp(x) = 2^n * exp(r) with
n = round(x / ln 2) and r = x - n ln 2, |r| <= ln(2)/2; ln 2 is split into a short high
part, whose product with n is exact, and a low part. exp(r) is its Taylor polynomial of
degree 13 (f64) or 7 (f32): the truncation error is below 1e-17 (4e-9) relative, far
under half an ulp, so the error comes from rounding in the evaluation, within 1 ulp
of the correctly rounded result over the whole range (tests/passes/test_approximate_exp.py
checks it against NumPy, subnormal results included).

2^n is built from its bits in two factors 2^(n//2) and 2^(n - n//2): each is a normal
number over the whole clamped range, so the result overflows to inf, or underflows
gradually through the subnormals to 0, with a single rounding, as `exp` does. NaN
stays NaN; -inf gives 0 and +inf gives inf through the clamp.
"""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from mlir import ir
from mlir.dialects import arith
from mlir.dialects import math as math_dialect

PASS_NAME = "approximate-exp"


@dataclass(frozen=True)
class _Format:
    """The constants of the method for one float format."""
    width: int
    mantissa_bits: int
    exponent_bias: int
    clamp: tuple[float, float]  # beyond these, exp is 0 (below) or inf (above)
    ln2_high: float  # ln 2 with trailing zero bits: n * ln2_high is exact
    ln2_low: float  # ln 2 - ln2_high
    degree: int  # of the Taylor polynomial of exp(r)


_FORMATS = {
    64: _Format(64, 52, 1023, (-746.0, 710.0),
                6.93147180369123816490e-01, 1.90821492927058770002e-10, 13),
    32: _Format(32, 23, 127, (-104.0, 89.0), 0.693359375, -2.12194440e-4, 7),
}


def approximate_exp(module: ir.Module) -> None:
    approximate_exp_in(module.operation)


def approximate_exp_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(approximate_exp_pass, name=PASS_NAME)`."""
    approximate_exp_in(op)


def approximate_exp_in(root: ir.Operation) -> None:
    """Replaces every scalar f32/f64 `math.exp` nested in `root`."""
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "math.exp" and _format_of(op.operands[0].type) is not None:
            found.append(op)
        return ir.WalkResult.ADVANCE

    root.walk(visit, ir.WalkOrder.PRE_ORDER)
    for op in found:
        with ir.InsertionPoint(op), op.location:
            value = exp_of(op.operands[0])
        op.result.replace_all_uses_with(value)
        op.erase()


def _format_of(t: ir.Type) -> _Format | None:
    if isinstance(t, (ir.F32Type, ir.F64Type)):
        return _FORMATS[ir.FloatType(t).width]
    return None


def exp_of(x: ir.Value) -> ir.Value:
    """exp(x) for a scalar f32 or f64 `x`, at the insertion point."""
    fmt = _format_of(x.type)

    def const(value: float) -> ir.Value:
        return arith.constant(x.type, value)

    # NaN goes through as NaN (arith.minimumf/maximumf propagate it), and is selected
    # at the end: the integer conversion of NaN below is poison, never used
    low, high = fmt.clamp
    clamped = arith.minimumf(arith.maximumf(x, const(low)), const(high))
    n = math_dialect.floor(_fma(clamped, const(1 / math.log(2)), const(0.5)))
    r = _fma(n, const(-fmt.ln2_high), clamped)
    r = _fma(n, const(-fmt.ln2_low), r)
    # exp(r) = 1 + r + r^2 (1/2! + r/3! + ...): the large terms are added last, which
    # keeps the rounding of the small ones from showing (f32 was 3 ulp off as a plain
    # Horner scheme, 1 ulp this way)
    tail = const(1 / math.factorial(fmt.degree))
    for k in range(fmt.degree - 1, 1, -1):
        tail = _fma(tail, r, const(1 / math.factorial(k)))
    polynomial = arith.addf(_fma(arith.mulf(r, r), tail, r), const(1.0))
    half = math_dialect.floor(arith.mulf(n, const(0.5)))
    result = arith.mulf(polynomial, _power_of_two(half, fmt))
    result = arith.mulf(result, _power_of_two(arith.subf(n, half), fmt))
    is_nan = arith.cmpf(arith.CmpFPredicate.UNO, x, x)
    return arith.select(is_nan, x, result)


def _fma(a: ir.Value, b: ir.Value, c: ir.Value) -> ir.Value:
    """a * b + c; LLVM may contract it into one fused multiply-add where the machine has
    one (it only gets more accurate)."""
    contract = ir.Attribute.parse("#arith.fastmath<contract>")
    return arith.addf(arith.mulf(a, b, fastmath=contract), c, fastmath=contract)


def _power_of_two(exponent: ir.Value, fmt: _Format) -> ir.Value:
    """2^exponent, for an integral float `exponent` of a normal number, from its bits.

    The integer comes out of the float without a conversion instruction (x86 has none
    from f64 to i64 before AVX-512, and LLVM makes a scalar loop of it): added to
    1.5 * 2^mantissa_bits, an integer lands in the low bits of the sum's mantissa."""
    float_type, int_type = exponent.type, ir.IntegerType.get_signless(fmt.width)
    magic = 1.5 * 2.0 ** fmt.mantissa_bits
    magic_bits = int.from_bytes(struct.pack("<d" if fmt.width == 64 else "<f", magic),
                                "little")
    shifted = arith.bitcast(int_type, arith.addf(exponent, arith.constant(float_type, magic)))
    biased = arith.subi(shifted, arith.constant(int_type, magic_bits - fmt.exponent_bias))
    bits = arith.shli(biased, arith.constant(int_type, fmt.mantissa_bits))
    return arith.bitcast(float_type, bits)
