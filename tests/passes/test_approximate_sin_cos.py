"""The `approximate-sin-cos` pass against the correctly rounded sin and cos: within 1 ulp
over the whole range of f64 and f32 (the bound its docstring states), with the arguments
that make argument reduction hard: the floats closest to multiples of pi/2 in every
binade (found here from the continued fraction of 2^E 2/pi, which finds the known
worst case 6381956970095103 2^797), huge and subnormal arguments; the special values
exactly as NumPy has them; no call of the C library left; and a vectorised loop.

The reference is the function computed in a wider format (long double for f64, where
the platform has one; f64 for f32), then rounded (`test_math_approximations`)."""
from __future__ import annotations

import functools
import math
import re

import numpy as np
import pytest

from mlir import ir

from noodle.compiler import backend, pipeline
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import typeof
from noodle.dialects import make_context
from noodle.passes import approximate_sin_cos
from noodle.passes.registry import PASSES, run_passes
from tests.passes.test_math_approximations import (WIDER, assert_no_call_left,
                                                   assert_within_one_ulp, on_both_tiers,
                                                   ulps_from)

#: (significand bits after the point, smallest and largest E of |x| = M 2^E >= pi/4)
LAYOUT = {np.float64: (52, -53, 971), np.float32: (23, -24, 104)}


def sine(x):
    return np.sin(x)


def cosine(x):
    return np.cos(x)


FUNCTIONS = [(sine, np.sin), (cosine, np.cos)]


def _atan_of_inverse(n: int, one: int) -> int:
    total, power, k = 0, one // n, 1
    while power:
        total += power // k if k % 4 == 1 else -(power // k)
        power //= n * n
        k += 2
    return total


#: bits of 2/pi after the point, enough for the largest exponent of f64
TWO_OVER_PI_BITS = 1300


@functools.cache
def two_over_pi() -> int:
    """floor(2/pi 2^TWO_OVER_PI_BITS) (up to a carry from 64 guard bits), from Gauss's
    formula pi/4 = 12 atan(1/18) + 8 atan(1/57) - 5 atan(1/239): not the pass's
    formula, so that a wrong bit in its table would not make the same inputs easy."""
    bits = TWO_OVER_PI_BITS
    one = 1 << (bits + 64)
    quarter_pi = (12 * _atan_of_inverse(18, one) + 8 * _atan_of_inverse(57, one)
                  - 5 * _atan_of_inverse(239, one))
    return ((one << (bits + 63)) // quarter_pi) >> 64


def closest_to_multiples_of_half_pi(exponent: int, mantissa_bits: int,
                                    count: int) -> list[int]:
    """The significands M in [2^p, 2^(p+1)) (p = mantissa_bits) whose M 2^E comes
    closest to a multiple of pi/2, among the candidates that the continued fraction of
    alpha = frac(2^E 2/pi) gives: the multiples of its convergents' denominators that
    fall in the range, and the semi-convergents at its ends (||M alpha|| is smallest
    there)."""
    low, high = 1 << mantissa_bits, 1 << (mantissa_bits + 1)
    fraction_bits = mantissa_bits + 120
    # floor(2^E 2/pi 2^fraction_bits) mod 2^fraction_bits
    numerator = (two_over_pi() >> (TWO_OVER_PI_BITS - exponent - fraction_bits)) % (
        1 << fraction_bits)
    denominator = 1 << fraction_bits
    candidates: set[int] = set()
    a, b = denominator, numerator
    previous, current = 0, 1  # convergents' denominators
    while b and current < high:
        quotient = a // b
        a, b = b, a - quotient * b
        first = max(1, -(-(low - previous) // current))
        last = min(quotient, (high - 1 - previous) // current)
        candidates.update(j * current + previous for j in (first, first + 1, last - 1, last)
                          if 1 <= j <= quotient and low <= j * current + previous < high)
        multiple = -(-low // current)
        candidates.update(k * current for k in (multiple, multiple + 1) if k * current < high)
        previous, current = current, quotient * current + previous

    def distance(m: int) -> float:
        r = m * numerator % denominator
        return min(r, denominator - r) / denominator

    return sorted(candidates, key=distance)[:count]


@functools.cache
def hardest_arguments(dtype) -> np.ndarray:
    """Per binade, the 3 floats closest to a multiple of pi/2 (positive)."""
    mantissa_bits, first, last = LAYOUT[dtype]
    return np.array([math.ldexp(m, e) for e in range(first, last + 1)
                     for m in closest_to_multiples_of_half_pi(e, mantissa_bits, 3)],
                    dtype=dtype)


def test_the_tables_come_from_the_right_bits_of_2_over_pi():
    bits = TWO_OVER_PI_BITS - 100
    assert approximate_sin_cos._two_over_pi(bits) == two_over_pi() >> 100


def test_the_hard_cases_are_hard():
    """The known worst case of double precision is among them, and they are far closer to
    multiples of pi/2 than random arguments would be."""
    hard = hardest_arguments(np.float64)
    assert 6381956970095103 * 2.0 ** 797 in hard
    # 4.7e-19 from a multiple of pi/2: sin or cos of it is that close to 0
    wide = hard.astype(np.longdouble)
    worst = np.minimum(np.abs(np.sin(wide)), np.abs(np.cos(wide)))
    assert worst.min() < 5e-19
    assert np.median(worst) < 1e-15
    assert 16367173 * 2.0 ** 72 in hardest_arguments(np.float32).astype(np.float64)


def near_multiples_of_half_pi(dtype, rng: np.random.Generator) -> np.ndarray:
    """The floats nearest k pi/2 (and their neighbours) for k up to 2^20 and 2^60."""
    wider = WIDER[dtype]
    k = np.concatenate([rng.integers(1, 2 ** 20, 20_000), rng.integers(1, 2 ** 60, 5_000),
                        np.arange(1, 200)]).astype(wider)
    x = (k * np.arccos(wider(0))).astype(dtype)
    return np.concatenate([x, np.nextafter(x, dtype(np.inf)), np.nextafter(x, dtype(0))])


def arguments(dtype) -> np.ndarray:
    rng = np.random.default_rng(11)
    info = np.finfo(dtype)
    magnitudes = np.exp(rng.uniform(np.log(float(info.smallest_subnormal)),
                                    np.log(float(info.max)), 300_000))
    hard = hardest_arguments(dtype)
    x = np.concatenate([
        magnitudes,  # every binade, subnormals included
        rng.uniform(0.0, 10.0, 100_000),
        near_multiples_of_half_pi(dtype, rng),
        hard, np.nextafter(hard, dtype(np.inf)), np.nextafter(hard, dtype(0)),
        info.max * rng.uniform(0.5, 1.0, 10_000),  # huge
        # around pi/4, where the reduction starts
        np.pi / 4 * (1 + rng.uniform(-1e-6, 1e-6, 1_000)),
        [info.max, info.tiny, info.smallest_subnormal, 1e-8, 1.0, np.pi / 2, np.pi, 2 ** 30],
    ]).astype(dtype)
    sign = rng.choice(np.array([-1, 1], dtype=dtype), x.size)
    return np.concatenate([x * sign, [0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf]]).astype(dtype)


@pytest.mark.parametrize("function, reference", FUNCTIONS, ids=["sin", "cos"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_within_one_ulp_of_the_correctly_rounded_result(function, reference, dtype):
    x = arguments(dtype)
    got, expected = assert_within_one_ulp(function, reference, x)
    wider = WIDER[dtype]
    finite = np.isfinite(x)
    assert np.all(np.abs(got[finite]) <= 1.0)
    if dtype is np.float64:
        # the error itself, against the long double value: the docstring's 0.9 ulp
        exact = reference(x[finite].astype(wider))
        spacing = np.spacing(np.abs(expected[finite])).astype(wider)
        true_error = (np.abs(got[finite].astype(wider) - exact) / spacing).astype(np.float64)
        worst = int(np.argmax(true_error))
        assert true_error[worst] < 0.9, (x[finite][worst], true_error[worst])
    else:
        # rounded once from a double that is far more accurate (test_every_f32_of_a_binade)
        assert np.count_nonzero(ulps_from(got, expected)) <= 16
    special = ~finite | (x == 0)
    np.testing.assert_array_equal(got[special], expected[special])


@pytest.mark.parametrize("function, reference", FUNCTIONS, ids=["sin", "cos"])
@pytest.mark.parametrize("exponent", [-24, 72], ids=["[0.5, 1)", "[2^95, 2^96)"])
def test_every_f32_of_a_binade(function, reference, exponent):
    """All 2^23 floats of [0.5, 1) (pi/4, where the reduction starts, is in it) and of
    the binade of the float closest to a multiple of pi/2, 16367173 2^72. The result
    comes from a double within 2^-45 of sin or cos (2^-31 at the hardest reduction),
    rounded once: the correctly rounded one, but where that double or the reference's
    lands on the wrong side of a midpoint (about once in 2^20 and 2^28 values)."""
    x = np.ldexp(np.arange(2 ** 23, 2 ** 24, dtype=np.float64), exponent).astype(np.float32)
    expected = reference(x.astype(np.float64)).astype(np.float32)
    got = on_both_tiers(function, x)
    error = ulps_from(got, expected)
    worst = int(np.argmax(error))
    assert error[worst] <= 1.0, (x[worst], got[worst], expected[worst])
    assert np.count_nonzero(error) <= 16


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_special_values_as_numpy(dtype):
    info = np.finfo(dtype)
    tiny = np.array([info.smallest_subnormal, info.tiny, 1e-30, 2.0 ** -27], dtype=dtype)
    x = np.concatenate([[0.0, -0.0, np.inf, -np.inf, np.nan], tiny, -tiny]).astype(dtype)
    sin, cos = on_both_tiers(sine, x), on_both_tiers(cosine, x)
    assert sin[0] == 0 and not np.signbit(sin[0])
    assert sin[1] == 0 and np.signbit(sin[1])
    assert np.all(cos[:2] == 1.0)
    assert np.all(np.isnan(sin[2:5])) and np.all(np.isnan(cos[2:5]))
    np.testing.assert_array_equal(sin[5:], x[5:])  # sin x = x, to the last bit
    np.testing.assert_array_equal(cos[5:], np.ones_like(x[5:]))


@pytest.mark.parametrize("function, name", [(sine, "sin"), (cosine, "cos")])
@pytest.mark.parametrize("dtype, suffix", [(np.float64, ""), (np.float32, "f")])
def test_no_call_is_left(function, name, dtype, suffix):
    assert_no_call_left(function, name, dtype, suffix)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_a_loop_of_sin_is_vectorised(dtype):
    """The optimising tier's code for a loop of sin works on 4 doubles or more at a time:
    packed fused multiply-adds on ymm registers, zmm where the CPU has AVX-512 (a loop
    of scalar code would use xmm ones)."""
    features = backend.host_cpu()[1].split(",")
    if "+avx2" not in features or "+fma" not in features:
        pytest.skip("needs a CPU with AVX2 and FMA")
    options = CompileOptions(tier="optimising")
    kernel = pipeline.compile_function(sine, (typeof(np.zeros(3, dtype)),), options)
    assembly = pipeline.assembly(kernel, options)
    assert re.search(r"\tvfn?m(add|sub)\w*pd\t.*%[yz]mm", assembly)


def test_the_registered_pass_rewrites_every_sin_and_cos_with_one_table_per_format():
    assert PASSES["approximate-sin-cos"][1].startswith("`math.sin` and `math.cos` as")
    with make_context():
        module = ir.Module.parse("""
            func.func @f(%a: f64, %b: f32) -> (f64, f64, f32, f32) {
              %0 = math.sin %a : f64
              %1 = math.cos %a : f64
              %2 = math.sin %b : f32
              %3 = math.cos %b : f32
              return %0, %1, %2, %3 : f64, f64, f32, f32
            }""")
        run_passes(module, ["approximate-sin-cos"])
        assert module.operation.verify()
        text = str(module)
    assert "math.sin" not in text and "math.cos" not in text
    assert text.count("memref.global") == 2
