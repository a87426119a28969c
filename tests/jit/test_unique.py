"""np.unique as NumPy 2 gives it: the sorted distinct values of the flattened array,
one NaN for all NaNs, in the input's dtype, and with return_counts=True how many times
each occurs (NaNs counted together); on every dtype, views, N-d, 0-d, scalars and empty
arrays; what it does not take is refused."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import noodle

from .harness import HYPOTHESIS, assert_same

DTYPES = ["bool", "int8", "uint8", "int64", "uint64", "float32", "float64"]
VALUES = [0.0, 1.0, 1.0, 2.5, -3.0, 7.0, 200.0, np.nan, np.nan, np.inf, -np.inf]


def distinct(a):
    return np.unique(a), np.unique(a, return_counts=True), np.unique(a, return_counts=False)


@HYPOTHESIS
@given(st.sampled_from(DTYPES), st.lists(st.sampled_from(VALUES), max_size=30))
def test_unique_as_numpy(dtype, values):
    with np.errstate(all="ignore"):
        a = np.asarray(values).astype(dtype)
    assert_same(distinct, a)
    assert_same(distinct, a[::-2])
    if a.size % 2 == 0:
        assert_same(distinct, a.reshape(2, -1) if a.size else a.reshape(0, 3))


@pytest.mark.parametrize("a", [np.array(3), np.float32(2.5), 7, np.zeros(1000)], ids=repr)
def test_zero_d_scalars_and_one_value(a):
    assert_same(distinct, a)


def with_indices(a):
    return np.unique(a, return_index=True)


def test_more_than_the_values_and_counts_is_refused():
    with pytest.raises(noodle.UnsupportedError, match="no return_index="):
        noodle.jit(with_indices, fallback=False, cache=False)(np.ones(3))
