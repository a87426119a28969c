"""The `approximate-exp` and `approximate-log` passes against the correctly rounded
functions: within 1 ulp over the whole range of f64 and f32 (the bound their
docstrings state), subnormal inputs and results, the overflow and underflow
thresholds, NaN, infinities, zeros and negative numbers included; and no call of the
C library's function is left (a loop of calls would not vectorise).

The reference is the function computed in a wider format (long double for f64, where
the platform has one; f64 for f32), then rounded."""
from __future__ import annotations

import re

import numpy as np
import pytest

import noodle
from noodle.compiler import backend, pipeline
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import typeof

WIDER = {np.float64: np.longdouble, np.float32: np.float64}
EXP_EDGES = {
    np.float64: [0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf, 5e-324, -5e-324, 1e-300,
                 709.782712893384, 709.7827128933841, 710.0, -708.3964185322641,
                 -708.4, -745.1332191019411, -745.1332191019412, -746.0, 1e308, -1e308],
    np.float32: [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-45, -1e-45, 88.72283, 88.72284,
                 -87.33654, -87.33655, -103.27893, -103.97208, -104.0, 3e38, -3e38],
}


def exponential(x):
    return np.exp(x)


def logarithm(x):
    return np.log(x)


def ulps_from(got: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """|got - reference| in units of the last place of the reference (0 where both are
    the same value, NaN included)."""
    same = (got == reference) | (np.isnan(got) & np.isnan(reference))
    spacing = np.spacing(np.abs(reference))
    spacing = np.where(np.isfinite(spacing) & (spacing > 0), spacing,
                       np.finfo(reference.dtype).smallest_subnormal)
    with np.errstate(all="ignore"):
        error = np.abs(got.astype(np.float64) - reference.astype(np.float64)) / spacing
    return np.where(same, 0.0, error)


def on_both_tiers(function, *args: np.ndarray) -> np.ndarray:
    """`function(*args)` compiled by the baseline tier, after asserting that the
    optimising tier gives the same bits (the same NaNs and signed zeros): a key's
    promotion must never change a result."""
    baseline = noodle.jit(function, cache=False)(*args)
    optimised = noodle.jit(function, cache=False, eager=True)(*args)
    np.testing.assert_array_equal(optimised, baseline)
    assert np.array_equal(np.signbit(optimised), np.signbit(baseline))
    return baseline


def assert_within_one_ulp(function, reference, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Asserts that `function` compiled (at both tiers) gives `reference(x)` within 1 ulp
    of the correctly rounded result (computed in the wider format, then rounded); returns
    (compiled result, correctly rounded result). Skips where the platform has no wider
    format."""
    dtype = x.dtype.type
    wider = WIDER[dtype]
    if np.finfo(wider).nmant <= np.finfo(dtype).nmant:
        pytest.skip("this platform's long double is no wider than double")
    with np.errstate(all="ignore"):
        expected = reference(x.astype(wider)).astype(dtype)
    got = on_both_tiers(function, x)
    assert got.dtype == dtype
    error = ulps_from(got, expected)
    worst = int(np.argmax(error))
    assert error[worst] <= 1.0, (x[worst], got[worst], expected[worst])
    return got, expected


def exp_inputs(dtype) -> np.ndarray:
    rng = np.random.default_rng(7)
    low, high = (-760.0, 720.0) if dtype is np.float64 else (-110.0, 95.0)
    return np.concatenate([
        rng.uniform(low, high, 300_000),  # the whole range, both ends beyond it
        rng.uniform(-1.0, 1.0, 50_000),  # near 0, where exp is near 1
        rng.uniform(-745.2, -708.3, 50_000) if dtype is np.float64
        else rng.uniform(-103.98, -87.3, 50_000),  # subnormal results
        np.array(EXP_EDGES[dtype]),
    ]).astype(dtype)


def log_inputs(dtype) -> np.ndarray:
    rng = np.random.default_rng(8)
    info = np.finfo(dtype)
    logs = rng.uniform(np.log(float(info.smallest_subnormal)), np.log(float(info.max)),
                       300_000)
    return np.concatenate([
        np.exp(logs),  # every binade, subnormals included
        rng.uniform(0.5, 2.0, 50_000),  # around 1, where log is near 0
        1.0 + rng.uniform(-1e-6, 1e-6, 10_000),
        [0.0, -0.0, -1.0, -info.max, np.nan, np.inf, -np.inf, 1.0, info.max, info.tiny,
         info.smallest_subnormal, np.sqrt(2.0), np.sqrt(0.5)],
    ]).astype(dtype)


@pytest.mark.parametrize("function, make_inputs, reference", [
    (exponential, exp_inputs, np.exp), (logarithm, log_inputs, np.log)],
    ids=["exp", "log"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_within_one_ulp_of_the_correctly_rounded_result(function, make_inputs, reference,
                                                        dtype):
    x = make_inputs(dtype)
    got, expected = assert_within_one_ulp(function, reference, x)
    # the special values exactly
    special = np.isnan(x) | np.isinf(x) | (x == 0)
    if function is logarithm:
        special |= x < 0
    np.testing.assert_array_equal(got[special], expected[special])


@pytest.mark.parametrize("function, name", [(exponential, "exp"), (logarithm, "log")])
@pytest.mark.parametrize("dtype, suffix", [(np.float64, ""), (np.float32, "f")])
def test_no_call_is_left(function, name, dtype, suffix):
    assert_no_call_left(function, name, dtype, suffix)


def assert_no_call_left(function, name: str, dtype, suffix: str) -> None:
    """Neither LLVM's intrinsic nor the C library's `name` is called in the compiled
    `function` of arrays of `dtype`, one per parameter (`suffix`: "f" for the float
    variant)."""
    arg_types = (typeof(np.zeros(3, dtype)),) * function.__code__.co_argcount
    kernel = pipeline.compile_function(function, arg_types, CompileOptions())
    assert f"@llvm.{name}." not in kernel.stages["llvm"]
    assert f" @{name}{suffix}(" not in kernel.stages["llvm"]


@pytest.mark.parametrize("ldexp", [False, True], ids=["bits", "ldexp"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_exp_is_within_one_ulp_with_either_scaling(dtype, ldexp, monkeypatch):
    """Both ways of scaling by 2^n, whatever this machine would pick: from the bits in
    two factors, and with `llvm.ldexp` (one instruction with AVX-512, a libm call per
    element elsewhere, which is slow but as exact)."""
    monkeypatch.setattr(backend, "has_vector_ldexp", lambda: ldexp)
    x = exp_inputs(dtype)
    got, expected = assert_within_one_ulp(exponential, np.exp, x)
    special = np.isnan(x) | np.isinf(x) | (x == 0)
    np.testing.assert_array_equal(got[special], expected[special])


def test_a_loop_of_exp_scales_with_one_instruction_on_avx512():
    """With AVX-512 the vector loop scales by 2^n with vscalefpd, no call of libm's ldexp
    (on 512-bit registers, or on 256-bit ones where LLVM tunes for them, as on Intel's
    Rocket Lake); without it, the pass builds 2^n from its bits and LLVM's IR has no
    ldexp at all."""
    options = CompileOptions(tier="optimising")
    kernel = pipeline.compile_function(exponential, (typeof(np.zeros(3)),), options)
    assembly = pipeline.assembly(kernel, options)
    assert not re.search(r"call\w*\s+ldexp", assembly)
    if backend.has_vector_ldexp():
        assert re.search(r"\tvscalefpd\t.*%[yz]mm", assembly)
    else:
        assert "ldexp" not in kernel.stages["llvm"]
