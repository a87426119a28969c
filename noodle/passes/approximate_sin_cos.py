"""The `approximate-sin-cos` pass: `math.sin` and `math.cos` as inline arithmetic (f32, f64).

As with exp (`approximate_exp`), LLVM would call the C library's scalar `sin` and `cos`
and keep the loop scalar; written out in arith and math ops (`math.fma`, `math.floor`,
`math.roundeven`, `math.absf`: LLVM intrinsics with vector instructions) it vectorises.

Argument reduction. sin and cos of |x| come from r = |x| - q pi/2, |r| <= pi/4, and
q mod 4 (which of +-sin r, +-cos r). Below pi/4, r = |x|. Above, r comes from the bits
of 2/pi (Payne and Hanek), for every |x| up to the largest float, in one branch-free
sequence: a loop cannot branch per element and still vectorise, and a Cody-Waite
reduction (x - q pi/2, pi/2 in three parts) is only exact while q is small, where the
arguments that come closest to a multiple of pi/2 are huge. With |x| = M 2^E (M the
integer significand), the table row of E holds V = 2^E 2/pi mod 4 in chunks c0 + c1 +
... at fixed bit positions (the bits of 2^E 2/pi worth a multiple of 4 do not change
q mod 4, and are left out), and x 2/pi = sum M c_k mod 4. The rows are a constant
`memref.global` per format, read with a computed index (a gather, or scalar loads
where LLVM finds gathers slow):

- f64: rows for E in [-53, 971], 4 chunks (bits 2^1..2^-48, 2^-49..2^-101, then two
  of 53 bits down to 2^-207), 32 KiB. Each M c_k is split exactly by a fused
  multiply-add into a rounded product and its error; the integer parts are taken out
  as they appear, and the bit positions of the chunks keep every sum exact (error-free
  sums, `float_arith`) but the last, which only adds what is below 2^-100: the fraction
  f of x 2/pi is right to 2^-104 |f| + 2^-150. The closest a double comes to a multiple
  of pi/2 is 6381956970095103 2^797, 4.7e-19 from it (|f| ~ 2^-62): f is still right to
  2^-88 relative there. r = f pi/2 is carried as a double-word r_hi + r_lo.
- f32, computed in f64 throughout: 3 chunks of 29 bits (so that each M c_k, 24 + 29
  bits, is exact in a double) down to 2^-85, 3 KiB. The closest a float comes to a
  multiple of pi/2 is 16367173 2^72 (|f| ~ 2^-30): f is right to 2^-31 relative there,
  2^-50 elsewhere.

Polynomials. sin r and cos r on |r| <= pi/4 are their Taylor polynomials (as in
`approximate_exp`), evaluated by Estrin's scheme (the loop's critical path is long
enough). f64: to r^17 and r^16, truncation below 2^-58 relative, in fdlibm's kernels
(Sun, 1993): r_hi plus a correction of at most r^2/6 = 0.11 of it (and r_lo), and w =
1 - r^2/2 rounded, plus its exact rounding error, the rounding error of r^2, and the
small terms. The final rounding is 0.5 ulp; the correction's own rounding errors (~3.5
roundings of r^3/6 and two of the sums) are damped by the 0.11: below 0.9 ulp in all
(0.74 is the largest measured). f32: to
r^13 and r^14 in f64 (2^-45 relative), so that the rounding to f32 is the only one
that shows, but where sin or cos is within 2^-21 ulp (2^-7 at the hardest reductions)
of a midpoint between two floats.

The bound, checked by tests/passes/test_approximate_sin_cos.py over the whole range of
both formats (the hardest reductions, huge and subnormal arguments included): within
1 ulp of the correctly rounded result (and f32 almost always correctly rounded). NaN
and +-inf give NaN, sin(+-0) = +-0, sin of a tiny x is x, cos(0) = 1, and every result
is in [-1, 1].
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref
from mlir.dialects import math as math_dialect

from noodle.passes.float_arith import (
    F32, F64, FloatFormat, estrin_polynomial, fast_two_sum, format_of, multiply_add,
    replace_scalar_ops, two_product)

PASS_NAME = "approximate-sin-cos"


@dataclass(frozen=True)
class _Reduction:
    """The table of 2^E 2/pi mod 4 for one float format, one row per exponent E of
    |x| = M 2^E (M the significand as an integer)."""
    symbol: str  # of the table's `memref.global`
    first_exponent: int  # E of row 0: the smallest for |x| >= pi/4
    last_exponent: int  # E of the largest finite number
    # (weight of the highest bit, number of bits) of each chunk: contiguous, from 2^1 down
    chunks: tuple[tuple[int, int], ...]

    @property
    def rows(self) -> int:
        return self.last_exponent - self.first_exponent + 1


_REDUCTIONS = {
    F64: _Reduction("__noodle_2_over_pi_f64", -53, 971,
                    ((1, 50), (-49, 53), (-102, 53), (-155, 53))),
    F32: _Reduction("__noodle_2_over_pi_f32", -24, 104, ((1, 29), (-28, 29), (-57, 29))),
}

#: Taylor coefficients (-1)^k / (2k + 1)! of sin r = r + r^3 (S1 + r^2 S2 + ...), and
#: (-1)^(k+1) / (2k + 2)! of cos r = 1 - r^2/2 + r^4 (C1 + r^2 C2 + ...)
_SIN = [(-1) ** k / math.factorial(2 * k + 1) for k in range(1, 9)]
_COS = [(-1) ** (k + 1) / math.factorial(2 * k + 2) for k in range(1, 8)]
_PI_OVER_2_HIGH = math.pi / 2
_PI_OVER_2_LOW = 6.123233995736766e-17  # pi/2 - _PI_OVER_2_HIGH


def approximate_sin_cos(module: ir.Module) -> None:
    approximate_sin_cos_in(module.operation)


def approximate_sin_cos_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(approximate_sin_cos_pass, name=PASS_NAME)`."""
    approximate_sin_cos_in(op)


def approximate_sin_cos_in(root: ir.Operation) -> None:
    """Replaces every scalar f32/f64 `math.sin` and `math.cos` nested in `root` (a module,
    or an op inside one: the tables go into the enclosing module)."""
    replace_scalar_ops(root, "math.sin", sin_of)
    replace_scalar_ops(root, "math.cos", cos_of)


def sin_of(x: ir.Value) -> ir.Value:
    """sin(x) for a scalar f32 or f64 `x`, at the insertion point (inside a module)."""
    return _sin_or_cos(x, cosine=False)


def cos_of(x: ir.Value) -> ir.Value:
    """cos(x) for a scalar f32 or f64 `x`, at the insertion point (inside a module)."""
    return _sin_or_cos(x, cosine=True)


def _sin_or_cos(x: ir.Value, cosine: bool) -> ir.Value:
    fmt: FloatFormat = format_of(x.type)
    f64 = ir.F64Type.get()

    def const(value: float) -> ir.Value:
        return arith.constant(f64, value)

    def int_const(value: int) -> ir.Value:
        return arith.constant(F64.int_type, value)

    wide = x if fmt is F64 else arith.extf(f64, x)
    a = math_dialect.absf(wide)
    # below pi/4 there is nothing to reduce (and the tables have no rows for it)
    small = arith.cmpf(arith.CmpFPredicate.OLT, a, const(math.pi / 4))
    if fmt is F64:
        quadrant, r_high, r_low = _reduce_f64(a)
        sin_r, cos_r = _sin_cos_f64(arith.select(small, a, r_high),
                                    arith.select(small, const(0.0), r_low))
    else:
        quadrant, r = _reduce_f32(arith.bitcast(F32.int_type, x))
        sin_r, cos_r = _sin_cos_f32(arith.select(small, a, r))
    quadrant = arith.select(small, const(0.0), quadrant)
    # sin |x| is sin r, cos r, -sin r, -cos r for quadrant mod 4 = 0, 1, 2, 3, and
    # cos x = sin(|x| + pi/2). The quadrant, a small integer in a float, lands in the low
    # bits of a sum with 1.5 * 2^52 (no float-to-integer conversion: `power_of_two`).
    magic = 1.5 * 2.0 ** F64.mantissa_bits
    quadrant_bits = arith.bitcast(F64.int_type, arith.addf(
        quadrant, const(magic + 1.0 if cosine else magic)))
    odd = arith.trunci(ir.IntegerType.get_signless(1), quadrant_bits)
    result = arith.bitcast(F64.int_type, arith.select(odd, cos_r, sin_r))
    sign = int_const(-1 << 63)
    # bit 1 of the quadrant into the sign bit; sin, being odd, also takes the sign of x
    # (and so keeps the sign of a zero)
    flip = arith.andi(arith.shli(quadrant_bits, int_const(62)), sign)
    if not cosine:
        flip = arith.xori(flip, arith.andi(arith.bitcast(F64.int_type, wide), sign))
    result = arith.bitcast(f64, arith.xori(result, flip))
    # NaN and +-inf (the reduction made something finite of them)
    finite = arith.cmpf(arith.CmpFPredicate.OLT, a, const(math.inf))
    result = arith.select(finite, result, const(math.nan))
    return result if fmt is F64 else arith.truncf(x.type, result)


def _table_row(reduction: _Reduction, exponent_field: ir.Value, field_of_first: int,
               int_type: ir.Type) -> list[ir.Value]:
    """The chunks of 2^E 2/pi mod 4 in the row of E (the biased exponent
    `exponent_field`, `field_of_first` for the first row; clamped into the table, since
    out-of-range rows belong to arguments whose result is selected away)."""
    row = arith.subi(exponent_field, arith.constant(int_type, field_of_first))
    row = arith.minsi(arith.maxsi(row, arith.constant(int_type, 0)),
                      arith.constant(int_type, reduction.rows - 1))
    row = arith.index_cast(ir.IndexType.get(), row)
    table = _table(reduction)
    return [memref.load(table, [row, arith.constant(ir.IndexType.get(), k)])
            for k in range(len(reduction.chunks))]


def _reduce_f64(a: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value]:
    """(q, r_hi, r_lo) with |a| = q pi/2 + r_hi + r_lo (q mod 4 kept, |r| <= pi/4), for a
    finite f64 a >= pi/4.

    Every step is exact but the one that adds what is below 2^-100: the comments say
    why, and why `fast_two_sum`'s condition holds where it is used (the sequence is the
    critical path of a loop: the three-operation sum rather than Knuth's six)."""
    def const(value: float) -> ir.Value:
        return arith.constant(a.type, value)

    def nearest(v: ir.Value) -> ir.Value:
        # v - nearest(v) is exact, in [-1/2, 1/2]: a multiple of ulp(v)
        return math_dialect.roundeven(v)

    def int_const(value: int) -> ir.Value:
        return arith.constant(F64.int_type, value)

    bits = arith.bitcast(F64.int_type, a)
    exponent_field = arith.shrui(bits, int_const(F64.mantissa_bits))
    # M as a float: the mantissa bits under the exponent of 2^52
    significand = arith.bitcast(a.type, arith.ori(
        arith.andi(bits, int_const((1 << F64.mantissa_bits) - 1)),
        int_const(F64.bits(2.0 ** 52))))
    reduction = _REDUCTIONS[F64]
    c0, c1, c2, c3 = _table_row(
        reduction, exponent_field,
        reduction.first_exponent + F64.exponent_bias + F64.mantissa_bits, F64.int_type)
    # From M < 2^53 and the chunks' bit positions: M c0 < 2^55 is a multiple of 2^-48,
    # M c1 < 2^5 of 2^-101, M c2 < 2^-48, M c3 < 2^-101. The integers taken out go
    # into the quadrant (n0 only mod 4: it can reach 2^55).
    p0, e0 = two_product(significand, c0)
    p1, e1 = two_product(significand, c1)
    p2, e2 = two_product(significand, c2)
    n0, n1 = nearest(p0), nearest(p1)
    quadrant = arith.subf(n0, arith.mulf(math_dialect.floor(arith.mulf(n0, const(0.25))),
                                         const(4.0)))
    # |p0 - n0| <= 1/2 and |e0| <= 2, multiples of 2^-48: exact
    s0 = arith.addf(arith.subf(p0, n0), e0)
    # s0 is a multiple of 2^-48 below 2^5, p1 - n1 (below 1/2) one of its ulp <= 2^-54
    high, low = fast_two_sum(s0, arith.subf(p1, n1))
    k1 = nearest(high)
    high = arith.subf(high, k1)
    quadrant = arith.addf(quadrant, arith.addf(n1, k1))
    # |low| <= 2^-52 and |e1| <= 2^-49 are multiples of 2^-101: their sum is exact, and
    # below 2^-48, where |high| <= 1/2 is a multiple of 2^-101
    high, low = fast_two_sum(high, arith.addf(low, e1))
    # the same for high against M c2 < 2^-48 (a multiple of its ulp <= 2^-101)
    high, error = fast_two_sum(high, p2)
    # The one rounded sum, of terms below 2^-52 |high before| (low, error) and 2^-100
    # (e2, M c3): where the fraction is small its terms cancelled exactly above, and low
    # and error are below 2^-100 too. So its error is under 2^-104 of the fraction plus
    # 2^-150. The fraction is at least 2^-63 (the closest case above): |high| >= the
    # sum. It is in [-1/2 - 2^-47, 1/2 + 2^-47]: |r| may exceed pi/4 by 2^-46, which the
    # polynomials allow for.
    low = arith.addf(arith.addf(arith.addf(low, error), e2), arith.mulf(significand, c3))
    high, low = fast_two_sum(high, low)

    r_high, r_error = two_product(high, const(_PI_OVER_2_HIGH))
    # r_low may exceed ulp(r_high)/2 a little: the polynomials only scale it
    r_low = math_dialect.fma(high, const(_PI_OVER_2_LOW),
                             math_dialect.fma(low, const(_PI_OVER_2_HIGH), r_error))
    return quadrant, r_high, r_low


def _reduce_f32(bits: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(q, r) in f64 with |x| = q pi/2 + r (q mod 4 kept, |r| <= pi/4), for the bits of
    a finite f32 x with |x| >= pi/4."""
    f64 = ir.F64Type.get()

    def const(value: float) -> ir.Value:
        return arith.constant(f64, value)

    def int_const(value: int) -> ir.Value:
        return arith.constant(F32.int_type, value)

    exponent_field = arith.andi(arith.shrui(bits, int_const(F32.mantissa_bits)),
                                int_const(0xff))
    # M < 2^24 as a float, from the mantissa bits under the exponent of 2^23
    significand = arith.extf(f64, arith.bitcast(ir.F32Type.get(), arith.ori(
        arith.andi(bits, int_const((1 << F32.mantissa_bits) - 1)),
        int_const(F32.bits(2.0 ** 23)))))
    reduction = _REDUCTIONS[F32]
    c0, c1, c2 = _table_row(
        reduction, exponent_field,
        reduction.first_exponent + F32.exponent_bias + F32.mantissa_bits, F32.int_type)
    # every M c_k (24 + 29 bits) is exact; M c0 < 2^26 is a multiple of 2^-27
    p0 = arith.mulf(significand, c0)
    n0 = math_dialect.roundeven(p0)
    quadrant = arith.subf(n0, arith.mulf(
        math_dialect.floor(arith.mulf(n0, const(0.25))), const(4.0)))
    # |p0 - n0| <= 1/2 is exact; adding M c1 < 2^-3 (a multiple of 2^-56) is exact where
    # the sum is below 2^-3, and rounded relative to it elsewhere
    fraction = arith.addf(arith.subf(p0, n0), arith.mulf(significand, c1))
    fraction = arith.addf(fraction, arith.mulf(significand, c2))
    n1 = math_dialect.roundeven(fraction)
    fraction = arith.subf(fraction, n1)
    return arith.addf(quadrant, n1), arith.mulf(fraction, const(_PI_OVER_2_HIGH))


def _sin_cos_f64(r_high: ir.Value, r_low: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(sin r, cos r) for r = r_high + r_low, |r| <= pi/4, |r_low| <~ ulp(r_high): the
    kernels of fdlibm (k_sin.c, k_cos.c) with Taylor coefficients."""
    def const(value: float) -> ir.Value:
        return arith.constant(r_high.type, value)

    z = arith.mulf(r_high, r_high)
    v = arith.mulf(z, r_high)
    tail = estrin_polynomial(z, _SIN[1:])
    # sin(r_high + r_low) = r_high + v (S1 + z tail) + r_low (1 - z/2) + O(r_low r^3)
    correction = arith.subf(
        arith.mulf(z, arith.subf(arith.mulf(const(0.5), r_low), arith.mulf(v, tail))), r_low)
    sin_r = arith.subf(r_high, arith.subf(correction, arith.mulf(v, const(_SIN[0]))))

    # 1 - z/2 rounds to w; (1 - w) - z/2 is its exact error, and z's own error (z_error)
    # is put back, since z/2 is up to 0.31 of the result
    z_error = math_dialect.fma(r_high, r_high, arith.negf(z))
    half_z = arith.mulf(z, const(0.5))
    w = arith.subf(const(1.0), half_z)
    small_terms = arith.subf(arith.mulf(arith.mulf(z, z), estrin_polynomial(z, _COS)),
                             multiply_add(r_high, r_low, arith.mulf(z_error, const(0.5))))
    cos_r = arith.addf(w, arith.addf(arith.subf(arith.subf(const(1.0), w), half_z),
                                     small_terms))
    return sin_r, cos_r


def _sin_cos_f32(r: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(sin r, cos r) in f64 for an f64 r, |r| <= pi/4, to 2^-45 relative."""
    z = arith.mulf(r, r)
    sin_r = multiply_add(arith.mulf(r, z), estrin_polynomial(z, _SIN[:6]), r)
    cos_r = multiply_add(z, estrin_polynomial(z, [-0.5, *_COS[:6]]),
                         arith.constant(r.type, 1.0))
    return sin_r, cos_r


def _table(reduction: _Reduction) -> ir.Value:
    """The reduction's table (a constant `memref.global` of the enclosing module, made
    on first use) at the insertion point."""
    op = ir.InsertionPoint.current.block.owner
    while op.name != "builtin.module":
        op = op.parent
    module = op.operation
    memref_type = ir.MemRefType.get([reduction.rows, len(reduction.chunks)],
                                    ir.F64Type.get())
    symbols = ir.SymbolTable(module)
    if reduction.symbol not in symbols:
        with ir.InsertionPoint.at_block_begin(module.regions[0].blocks[0]):
            memref.GlobalOp(reduction.symbol, ir.TypeAttr.get(memref_type),
                            sym_visibility="private", constant=True,
                            initial_value=ir.DenseElementsAttr.get(_chunks(reduction)))
    return memref.get_global(memref_type, reduction.symbol)


@functools.cache
def _chunks(reduction: _Reduction) -> np.ndarray:
    """Row E - first_exponent: the bits of 2^E 2/pi mod 4 in the reduction's chunks,
    each chunk exactly a double."""
    lowest = reduction.chunks[-1][0] - reduction.chunks[-1][1] + 1
    precision = reduction.last_exponent - lowest
    two_over_pi = _two_over_pi(precision)
    rows = []
    for exponent in range(reduction.first_exponent, reduction.last_exponent + 1):
        # floor(2^E 2/pi / 2^lowest) mod 2^(2 - lowest): the bits from 2^1 to 2^lowest
        bits = (two_over_pi >> (precision - (exponent - lowest))) % (1 << (2 - lowest))
        rows.append([math.ldexp((bits >> (top - width + 1 - lowest)) % (1 << width),
                                top - width + 1)
                     for top, width in reduction.chunks])
    return np.array(rows, dtype=np.float64)


@functools.cache
def _two_over_pi(bits: int) -> int:
    """floor(2/pi 2^bits), from Machin's formula pi = 16 atan(1/5) - 4 atan(1/239) in
    integers with 64 guard bits (the truncation of the series' terms makes an error of
    some thousands of units of the last guard bit, which could reach the bits kept only
    through a run of 50 equal bits of 2/pi right after them)."""
    scale = bits + 64
    one = 1 << scale

    def atan_of_inverse(n: int) -> int:
        total, power, k = 0, one // n, 1
        while power:
            total += (power // k) if k % 4 == 1 else -(power // k)
            power //= n * n
            k += 2
        return total

    pi = 16 * atan_of_inverse(5) - 4 * atan_of_inverse(239)
    return ((one << (scale + 1)) // pi) >> 64
