"""np.isclose and np.allclose as NumPy computes them: every dtype pair, NaN and ±inf,
the tolerances by position, by name and as run-time values, equal_nan, NumPy and Python
scalars, empty and strided arrays; the result's type too (an np.bool_ from isclose of
scalars, a Python bool from allclose). np.array_equal (shapes that differ, ranks that
differ, equal_nan; twice in one function) and np.logical_and/or/xor (NaN is true)."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import noodle

from .harness import HYPOTHESIS, assert_same

DTYPES = ["bool", "int8", "uint8", "int64", "uint64", "float32", "float64"]
VALUES = [0.0, -0.0, 1.0, 1.0 + 1e-9, 1e-9, 2.5, -3.0, 1e30, np.nan, np.inf, -np.inf]


def default_tolerances(a, b):
    return np.isclose(a, b)


def tolerances_given(a, b):
    return np.isclose(a, b, 1e-3, atol=0.5, equal_nan=True)


def all_close(a, b):
    return np.allclose(a, b)


def all_close_within(a, b, tolerance):
    return np.allclose(a, b, rtol=0.0, atol=tolerance, equal_nan=False)


def as_dtype(values, dtype):
    with np.errstate(all="ignore"):
        return np.asarray(values).astype(dtype)


@HYPOTHESIS
@given(st.sampled_from(DTYPES), st.sampled_from(DTYPES),
       st.lists(st.sampled_from(VALUES), min_size=1, max_size=12), st.randoms())
def test_isclose_and_allclose_as_numpy(dtype_a, dtype_b, values, random):
    a = as_dtype(values, dtype_a)
    b = as_dtype(random.sample(values, len(values)), dtype_b)
    for function in (default_tolerances, tolerances_given, all_close):
        assert_same(function, a, b)
        assert_same(function, a[::-2], b[::-2])
        assert_same(function, a[0], b)  # a NumPy scalar against an array
    assert_same(all_close_within, a, b, 0.75)


@pytest.mark.parametrize("a, b", [(1.0, 1.0 + 1e-9), (3, 3.0), (2, np.float32(2.0)),
                                  (np.nan, np.nan), (np.inf, np.inf), (0.0, 1e-9),
                                  (np.float64(1.0), 1)], ids=repr)
def test_scalars_give_numpy_s_scalar_types(a, b):
    for function in (default_tolerances, tolerances_given, all_close):
        assert_same(function, a, b)


def test_empty_and_broadcast_arrays():
    empty = np.zeros((0, 3))
    assert_same(default_tolerances, empty, np.ones(3))
    assert_same(all_close, empty, np.ones(3))  # vacuously true
    assert_same(default_tolerances, np.ones((2, 1)), np.linspace(0.9, 1.1, 5))


def runtime_equal_nan(a, b, flag):
    return np.isclose(a, b, equal_nan=flag)


def test_equal_nan_must_be_a_constant():
    with pytest.raises(noodle.UnsupportedError, match="equal_nan= must be a constant"):
        noodle.jit(runtime_equal_nan, fallback=False, cache=False)(1.0, 2.0, True)


def equal_arrays(a, b):
    return (np.array_equal(a, b), np.array_equal(a, b, equal_nan=True),
            np.array_equal(a, a.copy()), np.array_equal(a, b[:1]), np.array_equal(a, b[0]))


def logical(a, b):
    return np.logical_and(a, b), np.logical_or(a, b), np.logical_xor(a, b)


@HYPOTHESIS
@given(st.sampled_from(DTYPES), st.sampled_from(DTYPES),
       st.lists(st.sampled_from(VALUES), min_size=6, max_size=6), st.randoms())
def test_array_equal_and_logical_functions_as_numpy(dtype_a, dtype_b, values, random):
    a = as_dtype(values, dtype_a).reshape(2, 3)
    b = as_dtype(random.sample(values, len(values)), dtype_b).reshape(2, 3)
    for x, y in ((a, b), (a[:, ::-1], b), (a[:, :0], b[:, :0])):
        assert_same(logical, x, y)
    assert_same(equal_arrays, a, b)
    assert_same(equal_arrays, a, a.copy())
    assert_same(logical, a[0, 0], 2.5)
    assert_same(logical, True, b)


def close_to_huge(a, y):
    return np.isclose(a, y), np.allclose(a, y)


def test_python_numbers_stay_weak_in_the_tolerance():
    """NumPy's `atol + rtol * abs(y)` of Python numbers is a Python float: against a
    float32 array it overflows to inf in float32, as the distance does."""
    with np.errstate(over="ignore"):
        assert_same(close_to_huge, np.array([-1.0, 2.0], np.float32), 1e300)
