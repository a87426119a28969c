"""np.searchsorted as NumPy finds places: both sides, NaN sorted last, repeated values,
every dtype pair (compared in NumPy's common dtype: a float32 array is searched in
float64 for a Python float), scalars, 0-d and N-d arrays of values, strided and empty
arrays; the side by position or by name, and refusals for what it does not take.
np.digitize as NumPy bins: increasing, decreasing, repeated, empty and single bins
(NaN last, where NumPy's answers do not depend on the order of x), and its ValueError
for bins that are neither."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import noodle

from .harness import HYPOTHESIS, assert_same

DTYPES = ["bool", "int8", "uint8", "int64", "uint64", "float32", "float64"]
VALUES = [0.0, -0.0, 1.0, 2.5, -3.0, 7.0, 200.0, -1.0, np.nan, np.inf, -np.inf]


def places(a, v):
    return np.searchsorted(a, v), np.searchsorted(a, v, side="right"), \
        np.searchsorted(a, v, "right"), np.searchsorted(a, v, side="left")


def as_dtype(values, dtype):
    with np.errstate(all="ignore"):
        return np.asarray(values).astype(dtype)


@HYPOTHESIS
@given(st.sampled_from(DTYPES), st.sampled_from(DTYPES),
       st.lists(st.sampled_from(VALUES), max_size=12),
       st.lists(st.sampled_from(VALUES), min_size=1, max_size=8))
def test_places_as_numpy(dtype_a, dtype_v, values, keys):
    a = np.sort(as_dtype(values, dtype_a))
    v = as_dtype(keys, dtype_v)
    assert_same(places, a, v)
    assert_same(places, a[::2], v[::-1].reshape(1, -1))  # strided; 2-d values
    assert_same(places, a, v[0])  # a NumPy scalar
    assert_same(places, a, np.array(v[0]))  # a 0-d array: an np.int64 back


@pytest.mark.parametrize("v", [2.0000001, 3, True, -7, np.float32(0.2)], ids=repr)
def test_python_and_numpy_scalars_compare_in_numpy_s_dtype(v):
    a = np.array([0.1, 0.2, 2.0, 2.0, 2.0, 3.0, np.nan], dtype=np.float32)
    assert_same(places, a, v)
    assert_same(places, a.astype(np.int8), v)


def test_at_the_optimising_tier():
    a = np.sort(np.random.default_rng(5).normal(size=1000))
    v = np.random.default_rng(6).normal(size=(30, 20))
    assert_same(places, a, v, jit_options={"eager": True})
    assert_same(places, a[:0], v, jit_options={"eager": True})


def with_sorter(a, v):
    return np.searchsorted(a, v, sorter=np.argsort(a))


def bad_side(a, v):
    return np.searchsorted(a, v, side="middle")


def test_what_it_does_not_take_is_refused():
    a = np.arange(3.0)
    with pytest.raises(noodle.UnsupportedError, match="no sorter="):
        noodle.jit(with_sorter, fallback=False, cache=False)(a, 1.0)
    with pytest.raises(noodle.TypingError, match="side must be 'left' or 'right'"):
        noodle.jit(bad_side, fallback=False, cache=False)(a, 1.0)
    with pytest.raises(noodle.TypingError, match="1-D"):
        noodle.jit(places, fallback=False, cache=False)(np.ones((2, 2)), 1.0)


def bins_of(x, bins):
    return np.digitize(x, bins), np.digitize(x, bins, right=True), np.digitize(x, bins, True)


BINS = [[0.0, 1.0, 2.5, 7.0], [7.0, 2.5, 1.0, 0.0], [1.0, 1.0, 2.0, 2.0], [3.0, 3.0, 1.0],
        [], [2.0], [2.0, 2.0], [0.0, 1.0, np.inf], [3.0, 2.0, 2.0, -1.0], [0.0, 2.0, np.nan]]


@HYPOTHESIS
@given(st.sampled_from(BINS), st.sampled_from(["float64", "int32", "uint8"]),
       st.lists(st.sampled_from(VALUES), min_size=1, max_size=10))
def test_digitize_as_numpy(bins, dtype, values):
    bins = as_dtype(bins, "float64")
    x = as_dtype(values, dtype)
    assert_same(bins_of, x, bins)
    assert_same(bins_of, x[::-1].reshape(1, -1), bins[::-1])  # the other way round
    assert_same(bins_of, x[0], bins)
    if np.isfinite(bins).all():
        assert_same(bins_of, float(x[0]), bins.astype(np.int8))


@pytest.mark.parametrize("bins", [[0.0, 2.0, 1.0], [3.0, 1.0, 2.0], [1, 2, 2, 1]], ids=repr)
def test_digitize_refuses_bins_neither_increasing_nor_decreasing(bins):
    assert_same(bins_of, np.arange(3.0), np.array(bins), raises=ValueError)
