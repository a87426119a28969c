"""The `approximate-tanh` and `approximate-pow` passes against the correctly rounded
functions: within 1 ulp over the whole range of f64 and f32 (the bound their
docstrings state), with the inputs where each is hard: tanh near 0 (the polynomial),
around the switch to exp and at saturation; pow with results near overflow and in the
subnormals, bases near 1 with huge exponents (where y log x must be right past double
precision), and C99's special values exactly as NumPy has them. No call of the C
library is left.

The reference is the function computed in a wider format (long double for f64, where
the platform has one; f64 for f32), then rounded (`test_math_approximations`)."""
from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

import noodle
from noodle.compiler import backend, pipeline
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import typeof
from tests.passes.test_math_approximations import (
    WIDER, assert_no_call_left, assert_within_one_ulp, on_both_tiers, ulps_from)


def hyperbolic_tangent(x):
    return np.tanh(x)


def power(x, y):
    return x ** y


def tanh_inputs(dtype) -> np.ndarray:
    rng = np.random.default_rng(11)
    info = np.finfo(dtype)
    magnitudes = np.exp(rng.uniform(np.log(float(info.smallest_subnormal)), np.log(30.0),
                                    200_000))
    return np.concatenate([
        magnitudes * rng.choice([-1.0, 1.0], magnitudes.size),  # every binade, both signs
        rng.uniform(-1.0, 1.0, 50_000),
        rng.uniform(0.24, 0.26, 20_000),  # where f64 leaves the polynomial
        rng.uniform(18.0, 23.0, 5_000),  # saturation
        [0.0, -0.0, np.nan, np.inf, -np.inf, 0.25, -0.25, 22.0, info.max, -info.max,
         info.tiny, info.smallest_subnormal, 2.0 ** -12, -(2.0 ** -12)],
    ]).astype(dtype)


def test_tanh_within_one_ulp_f64():
    x = tanh_inputs(np.float64)
    got, expected = assert_within_one_ulp(hyperbolic_tangent, np.tanh, x)
    special = np.isnan(x) | np.isinf(x) | (x == 0)
    np.testing.assert_array_equal(got[special], expected[special])
    assert np.array_equal(np.signbit(got[x == 0]), np.signbit(x[x == 0]))


def test_tanh_within_one_ulp_f32():
    x = tanh_inputs(np.float32)
    got, expected = assert_within_one_ulp(hyperbolic_tangent, np.tanh, x)
    special = np.isnan(x) | np.isinf(x) | (x == 0)
    np.testing.assert_array_equal(got[special], expected[special])
    # f32 rounds an f64 result once: correctly rounded almost everywhere
    assert np.mean(got == expected) > 0.9999


def pow_inputs(dtype) -> tuple[np.ndarray, np.ndarray]:
    """Random bases over every binade with exponents that keep most results finite, and
    the hard corners."""
    rng = np.random.default_rng(12)
    info = np.finfo(dtype)
    max_log = float(np.log(info.max))
    count = 200_000
    log_x = rng.uniform(np.log(float(info.smallest_subnormal)), max_log, count)
    # y log x spread over the range where the result is neither 0 nor inf, and past it
    target = rng.uniform(np.log(float(info.smallest_subnormal)) - 5, max_log + 5, count)
    y = target / np.where(np.abs(log_x) < 1e-3, 1e-3, log_x)
    x = np.exp(log_x)
    # near 1 with huge exponents: (1 + e)^y with y e of order 1
    near_one = 1.0 + rng.uniform(-1e-6, 1e-6, 20_000)
    near_one_y = rng.uniform(-3e8, 3e8, near_one.size)
    # negative bases with integer exponents (odd and even) and non-integers
    negative = -np.exp(rng.uniform(-20.0, 20.0, 20_000))
    negative_y = np.where(rng.random(negative.size) < 0.8,
                          np.round(rng.uniform(-30.0, 30.0, negative.size)),
                          rng.uniform(-30.0, 30.0, negative.size))
    specials = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, np.inf, -np.inf, np.nan,
                info.smallest_subnormal, info.max, -info.max]
    special_ys = [0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0, 0.5, -0.5, 2.5, np.inf,
                  -np.inf, np.nan, 2.0 ** 60, 2.0 ** 60 + 2.0 ** 8, info.max]
    sx, sy = zip(*itertools.product(specials, special_ys))
    xs = np.concatenate([x, near_one, negative, sx]).astype(dtype)
    ys = np.concatenate([y, near_one_y, negative_y, sy]).astype(dtype)
    return xs, ys


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_pow_within_one_ulp(dtype):
    x, y = pow_inputs(dtype)
    wider = WIDER[dtype]
    if np.finfo(wider).nmant <= np.finfo(dtype).nmant:
        pytest.skip("this platform's long double is no wider than double")
    with np.errstate(all="ignore"):
        expected = np.power(x.astype(wider), y.astype(wider)).astype(dtype)
        got = on_both_tiers(power, x, y)
    assert got.dtype == dtype
    error = ulps_from(got, expected)
    worst = int(np.argmax(error))
    assert error[worst] <= 1.0, (x[worst], y[worst], got[worst], expected[worst])
    # the special values exactly (NaN where NumPy gives NaN, the same zeros' signs)
    special = (np.isnan(x) | np.isinf(x) | (x == 0) | np.isnan(y) | np.isinf(y)
               | (y == 0) | (np.abs(x) == 1) | (np.isnan(expected)))
    np.testing.assert_array_equal(got[special], expected[special])
    zeros = special & (expected == 0)
    assert np.array_equal(np.signbit(got[zeros]), np.signbit(expected[zeros]))


def test_pow_of_scalars_matches_numpy():
    """A scalar `x ** y` on floats goes through the same pass (Python's `**` raises where
    C's pow gives inf or NaN, so only the ordinary cases are compared)."""
    compiled = noodle.jit(power, cache=False)
    for x, y in [(2.0, 10.0), (2.5, -3.5), (1e-3, 0.25), (7.0, 0.0), (0.9, 1234.5)]:
        assert compiled(x, y) == pytest.approx(x ** y, rel=2 ** -52)


@pytest.mark.parametrize("function, name", [(hyperbolic_tangent, "tanh"), (power, "pow")])
@pytest.mark.parametrize("dtype, suffix", [(np.float64, ""), (np.float32, "f")])
def test_no_call_is_left(function, name, dtype, suffix):
    assert_no_call_left(function, name, dtype, suffix)


def sum_of_tanh(x):
    total = 0.0
    for i in range(x.shape[0]):
        total += np.tanh(x[i])
    return total


def test_f64_tanh_branch_still_vectorises_in_an_array_loop():
    """The two methods of f64 tanh are the two sides of a branch (tests/filecheck/
    approximate.mlir), so that a scalar loop runs one of them per element: an elementwise
    loop is still vectorised (LLVM turns the branch into selects), and a sum is right."""
    features = backend.host_cpu()[1].split(",")
    if "+avx2" not in features or "+fma" not in features:
        pytest.skip("needs a CPU with AVX2 and FMA")
    options = CompileOptions(tier="optimising")
    array = (typeof(np.zeros(3)),)
    vector_loop = pipeline.assembly(
        pipeline.compile_function(hyperbolic_tangent, array, options), options)
    assert re.search(r"\tvfn?m(add|sub)\w*pd\t.*%[yz]mm", vector_loop)
    x = np.random.default_rng(3).uniform(-3.0, 3.0, 1001)
    assert noodle.jit(sum_of_tanh, cache=False)(x) == pytest.approx(
        float(np.sum(np.tanh(x))), rel=1e-14)
