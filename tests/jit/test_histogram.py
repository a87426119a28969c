"""np.histogram with equal bins as NumPy 2 counts: the same edges bit for bit (in
float32 for float32 data, and from 0 and 1 in float64 for no data), every value in
NumPy's bin including those on an edge, range= given or found, every real dtype; NumPy's
ValueErrors for bins < 1, a range backwards or not finite, and NaN in the data."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from .harness import HYPOTHESIS, assert_same

DTYPES = ["float64", "float32", "int64", "int8", "uint8"]


def histograms(a, bins):
    return (np.histogram(a), np.histogram(a, bins=bins), np.histogram(a, bins, range=(-1, 2)),
            np.histogram(a, bins, (np.float32(-1.5), np.float32(2.5))))


@HYPOTHESIS
@given(st.sampled_from(DTYPES), st.integers(1, 40),
       st.sampled_from(["normal", "integers", "constant", "edges", "empty"]), st.integers(0, 9))
def test_histograms_as_numpy(dtype, bins, kind, seed):
    rng = np.random.default_rng(seed)
    data = {"normal": rng.normal(size=300) * 3, "integers": rng.integers(-5, 6, 100) * 1.0,
            "constant": np.full(5, 2.0), "edges": np.linspace(-1, 2, 31),
            "empty": np.zeros(0)}[kind]
    with np.errstate(all="ignore"):
        a = data.astype(dtype)
    assert_same(histograms, a, bins)
    assert_same(histograms, a[::-3], bins)


def with_range(a, low, high):
    return np.histogram(a, 4, range=(low, high))


@pytest.mark.parametrize("low, high", [(2.0, 1.0), (0, np.inf), (np.nan, 1.0)],
                         ids=["backwards", "infinite", "nan"])
def test_a_bad_range_is_numpy_s_value_error(low, high):
    assert_same(with_range, np.arange(3.0), low, high, raises=ValueError)


@pytest.mark.parametrize("a, bins", [(np.arange(3.0), 0), (np.array([1.0, np.nan]), 3)],
                         ids=["no-bins", "nan-in-the-data"])
def test_no_bins_or_nan_data_is_numpy_s_value_error(a, bins):
    assert_same(histograms, a, bins, raises=ValueError)


def with_a_numpy_bound(a, low):
    return np.histogram(a, bins=2, range=(low, 5))


def test_edges_in_numpy_s_dtype_and_too_many_bins():
    """The edges' dtype is result_type of the bounds as given and the data; edges that
    collapse (one value of 1e20, widened by 0.5) are NumPy's ValueError."""
    data = np.array([1.0, 0.0, 2.0, 3.0], np.float32)
    assert_same(with_a_numpy_bound, data, np.int8(0))
    assert_same(with_a_numpy_bound, data, 0.0)
    assert_same(histograms, np.array([1e20]), 10, raises=ValueError)
