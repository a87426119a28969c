"""math.* functions and builtins on scalars (abs, min, max and their Python semantics:
return kinds, NaN order-dependence), NumPy ufuncs on scalars (NumPy scalar results)."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from tests.passes.test_math_approximations import on_both_tiers

from .harness import HYPOTHESIS, assert_same


def math_funcs(x):
    return (math.sqrt(x), math.exp(x), math.log(x), math.sin(x), math.cos(x), math.tan(x),
            math.atan(x), math.sinh(x), math.cosh(x), math.tanh(x), math.fabs(x),
            math.floor(x), math.ceil(x), math.isnan(x), math.isinf(x),
            math.isfinite(x), math.pow(x, 1.5), math.hypot(x, 2.0), math.atan2(x, -1.0))


@HYPOTHESIS
@given(st.floats(1e-300, 700.0))
def test_math_functions_on_positive_floats(x):
    # math.floor/ceil return Python ints
    assert_same(math_funcs, x, atol=1e-15)


def more_math_funcs(x):
    return (math.log10(x), math.log2(x), math.log1p(x), math.expm1(x), math.trunc(x),
            math.copysign(3.0, -x), math.fmod(x, 0.7), math.degrees(x), math.radians(x),
            math.erf(x), math.asinh(x), math.gamma(x), math.lgamma(x))


@HYPOTHESIS
@given(st.floats(1e-3, 170.0))
def test_more_math_functions(x):
    assert_same(more_math_funcs, x, atol=1e-15)


def math_on_float32(x):
    return math.sqrt(x), math.exp(x), math.sin(x), math.floor(x), math.isnan(x), math.pow(x, 2)


def test_math_functions_on_numpy_float32():
    # math.* on a NumPy float32 returns Python floats (computed in double)
    assert_same(math_on_float32, np.float32(1.7))


def test_math_functions_on_int():
    assert_same(math_funcs, 3)
    assert_same(more_math_funcs, 3)


def inverse_trig(x):
    return math.asin(x), math.acos(x), math.atanh(x * 0.5), math.acosh(2.0 + x)


@HYPOTHESIS
@given(st.floats(-1.0, 1.0))
def test_inverse_trig(x):
    assert_same(inverse_trig, x, atol=1e-15)


def constants():
    return math.pi, math.e, math.tau, math.inf, -math.inf


def test_math_constants():
    assert_same(constants)


def nan_constant_is_nan():
    return math.isnan(math.nan), math.nan != math.nan


def test_math_nan_constant():
    assert_same(nan_constant_is_nan)


def sqrt_of(x):
    return math.sqrt(x)


def log_of(x):
    return math.log(x)


def test_math_domain_error_raises_value_error():
    # Python raises ValueError ("math domain error"); it does not return NaN
    assert_same(sqrt_of, -1.0, raises=ValueError)
    assert_same(log_of, 0.0, raises=ValueError)


def sin(x):  # named like the C library's function, which the kernel calls
    return math.sin(x)


def cos(x):
    return math.cos(x)


def tan(x):
    return math.tan(x)


def acosh(x):
    return math.acosh(x)


def atanh(x):
    return math.atanh(x)


def sqrt(x):
    return math.sqrt(x)


def tanh(x):
    return math.tanh(x)


def exp(x):
    return math.exp(x)


@pytest.mark.parametrize("function", [sin, cos, tan, acosh, atanh, sqrt, tanh, exp],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("x", [math.inf, -math.inf, math.nan, 0.5, 1.0, -1.0, 2.0, 0.0,
                               -0.0, 1e300, 710.0, -710.0])
def test_math_errors_at_the_edges_of_each_domain(function, x):
    # the same exception as Python (ValueError for a domain error, OverflowError for a
    # finite argument with an infinite result) or the same value
    try:
        function(x)
    except (ValueError, OverflowError) as e:
        assert_same(function, x, raises=type(e))
    else:
        assert_same(function, x)


def builtins(a, b):
    return abs(a), abs(b), min(a, b), max(a, b), min(a, b, 0), max(b, a, -5)


@HYPOTHESIS
@given(st.integers(-10**9, 10**9), st.integers(-10**9, 10**9))
def test_abs_min_max_int(a, b):
    assert_same(builtins, a, b)


@HYPOTHESIS
@given(st.floats(-1e9, 1e9), st.floats(-1e9, 1e9))
def test_abs_min_max_float(a, b):
    assert_same(builtins_float, a, b)


def builtins_float(a, b):
    return abs(a), abs(b), min(a, b), max(a, b), min(a, b, 0.0), max(b, a, -5.0)


def max_nan(a, b):
    return max(a, b), min(a, b), max(b, a), min(b, a)


def test_min_max_with_nan_depend_on_order_like_python():
    # max(nan, 1.0) is nan but max(1.0, nan) is 1.0 in Python
    assert_same(max_nan, float("nan"), 1.0)


def numpy_scalar_builtins(a, b):
    return abs(a), min(a, b), max(a, b)


@pytest.mark.parametrize("a, b", [(np.int32(-5), np.int32(3)), (np.float32(-1.5), np.float32(2.0)),
                                  (np.int8(-128), np.int8(0))], ids=repr)
def test_builtins_on_numpy_scalars_keep_type(a, b):
    assert_same(numpy_scalar_builtins, a, b)


def np_on_scalars(x, i):
    return (np.exp(x), np.sqrt(x), np.log(i), np.abs(i), np.floor(x), np.maximum(i, x),
            np.sin(x), np.isnan(x), np.tanh(i))


@pytest.mark.parametrize("x, i", [(2.5, 3), (np.float32(2.5), np.int32(-3)),
                                  (np.float64(0.5), np.int64(4))], ids=repr)
def test_numpy_ufuncs_on_scalars_give_numpy_scalars(x, i):
    # np.exp(2.5) is np.float64, np.sqrt(np.float32) is np.float32, np.abs(3) is np.int64
    assert_same(np_on_scalars, x, i)


def where_on_scalars(x):
    return np.where(x > 1.0, x, 0.0)


def test_where_on_scalars_gives_a_zero_d_array():
    assert_same(where_on_scalars, 2.5)
    assert_same(where_on_scalars, 0.5)


def round_trip_int_float(x):
    return math.floor(x) + math.ceil(x), math.trunc(-x)


@HYPOTHESIS
@given(st.floats(-1e15, 1e15))
def test_floor_ceil_trunc_give_ints(x):
    assert_same(round_trip_int_float, x)


def square_root(x):
    return np.sqrt(x)


@pytest.mark.parametrize("dtype, bits", [(np.float64, np.uint64), (np.float32, np.uint32)],
                         ids=["f64", "f32"])
def test_sqrt_is_numpys_to_the_bit_over_the_whole_range(dtype, bits):
    """sqrt is the machine's instruction, correctly rounded as NumPy's is: the same bits
    at both tiers for every exponent, subnormals, zeros of both signs, infinities, NaN
    and negative numbers (NaN)."""
    rng = np.random.default_rng(11)
    info = np.finfo(dtype)
    every_pattern = rng.integers(0, np.iinfo(bits).max, 200_000, dtype=bits,
                                 endpoint=True).view(dtype)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, info.smallest_subnormal,
                        info.tiny, info.max, 1.0, 2.0, 4.0], dtype=dtype)
    x = np.concatenate([every_pattern, special])
    with np.errstate(invalid="ignore"):
        expected = np.sqrt(x)
    got = on_both_tiers(square_root, x)
    np.testing.assert_array_equal(got, expected)
    numbers = ~np.isnan(expected)
    # sqrt(-0.0) is -0.0
    assert np.array_equal(np.signbit(got[numbers]), np.signbit(expected[numbers]))
