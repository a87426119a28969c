"""np.bincount as NumPy counts: plain counts and weighted sums (added in x's order, so
they round as NumPy's), minlength, every integer dtype and bool, strided arrays; its
errors in NumPy's order (minlength, negative values, the weights' length), and the one
place it differs, documented: weights with an empty x give float64 zeros, not int64."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import noodle

from .harness import HYPOTHESIS, assert_same

DTYPES = ["bool", "int8", "uint8", "int32", "int64", "uint64"]


def counts(x, weights, minlength):
    return (np.bincount(x), np.bincount(x, minlength=minlength),
            np.bincount(x, weights=weights), np.bincount(x, weights, minlength),
            np.bincount(x, None, 3))


@HYPOTHESIS
@given(st.sampled_from(DTYPES), st.lists(st.integers(0, 12), min_size=1, max_size=40),
       st.integers(0, 20), st.sampled_from(["float64", "float32", "int16", "bool"]))
def test_counts_as_numpy(dtype, values, minlength, weight_dtype):
    x = np.asarray(values).astype(dtype)
    weights = np.random.default_rng(len(values)).normal(size=x.size).astype(weight_dtype)
    assert_same(counts, x, weights, minlength)
    assert_same(counts, x[::-2], weights[::-2], minlength)


def weighted(x, weights):
    return np.bincount(x, weights=weights)


def with_minlength(x, minlength):
    return np.bincount(x, minlength=minlength)


@pytest.mark.parametrize("x, weights, minlength", [
    (np.array([1, -2, 3]), np.ones(2), -1),    # minlength first
    (np.array([1, -2, 3]), np.ones(2), 0),     # then a negative value
    (np.array([1, 2, 3]), np.ones(2), 0),      # then the weights' length
])
def test_errors_in_numpy_s_order(x, weights, minlength):
    def both(x, weights, minlength):
        return np.bincount(x, weights, minlength)
    assert_same(both, x, weights, minlength, raises=ValueError)


def test_weighted_sums_keep_nan_and_overflow():
    assert_same(weighted, np.array([1, 5, 1]), np.array([np.nan, 1e308, 2.0]))
    assert_same(weighted, np.array([1, 1]), np.array([1e308, 1e308]))


def test_an_empty_x_with_weights_gives_float64_zeros():
    f = noodle.jit(with_minlength, fallback=False, cache=False)
    np.testing.assert_array_equal(f(np.array([], dtype=np.int64), 4), np.zeros(4, np.int64))
    got = noodle.jit(weighted, fallback=False, cache=False)(np.array([], np.int64),
                                                             np.ones(3))
    assert got.dtype == np.float64 and got.size == 0  # NumPy: int64, and no length check


def test_what_numpy_refuses_by_type_is_refused():
    with pytest.raises(noodle.TypingError, match="counts integers"):
        noodle.jit(weighted, fallback=False, cache=False)(np.ones(2), np.ones(2))
    with pytest.raises(noodle.TypingError, match="1-D array"):
        noodle.jit(weighted, fallback=False, cache=False)(np.ones((2, 2), int), np.ones(2))
