"""The `approximate-exp` pass against the correctly rounded exp: within 1 ulp over the
whole range of f64 and f32 (the bound its docstring states), subnormal results, the
overflow and underflow thresholds, NaN, infinities and signed zeros included; and it
leaves no `math.exp` behind (a loop of exp calls would not vectorise).

The reference is exp computed in a wider format (long double for f64, where the
platform has one; f64 for f32), then rounded."""
from __future__ import annotations

import numpy as np
import pytest

import noodle
from noodle.compiler import pipeline
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import typeof

WIDER = {np.float64: np.longdouble, np.float32: np.float64}
EDGES = {
    np.float64: [0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf, 5e-324, -5e-324, 1e-300,
                 709.782712893384, 709.7827128933841, 710.0, -708.3964185322641,
                 -708.4, -745.1332191019411, -745.1332191019412, -746.0, 1e308, -1e308],
    np.float32: [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-45, -1e-45, 88.72283, 88.72284,
                 -87.33654, -87.33655, -103.27893, -103.97208, -104.0, 3e38, -3e38],
}


def exponential(x):
    return np.exp(x)


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


def inputs(dtype) -> np.ndarray:
    rng = np.random.default_rng(7)
    low, high = (-760.0, 720.0) if dtype is np.float64 else (-110.0, 95.0)
    return np.concatenate([
        rng.uniform(low, high, 300_000),  # the whole range, both ends beyond it
        rng.uniform(-1.0, 1.0, 50_000),  # near 0, where exp is near 1
        rng.uniform(-745.2, -708.3, 50_000) if dtype is np.float64
        else rng.uniform(-103.98, -87.3, 50_000),  # subnormal results
        np.array(EDGES[dtype]),
    ]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
def test_within_one_ulp_of_the_correctly_rounded_exp(dtype):
    wider = WIDER[dtype]
    if np.finfo(wider).nmant <= np.finfo(dtype).nmant:
        pytest.skip("this platform's long double is no wider than double")
    x = inputs(dtype)
    with np.errstate(all="ignore"):
        reference = np.exp(x.astype(wider)).astype(dtype)
    got = noodle.jit(exponential, cache=False)(x)
    assert got.dtype == dtype
    error = ulps_from(got, reference)
    worst = int(np.argmax(error))
    assert error[worst] <= 1.0, (x[worst], got[worst], reference[worst])
    # the special values exactly
    special = np.isnan(x) | np.isinf(x) | (x == 0)
    np.testing.assert_array_equal(got[special], reference[special])


def test_no_exp_call_is_left():
    kernel = pipeline.compile_function(exponential, (typeof(np.zeros(3)),),
                                       CompileOptions())
    assert "@llvm.exp" not in kernel.stages["llvm"]
    assert "call double @exp(" not in kernel.stages["llvm"]
