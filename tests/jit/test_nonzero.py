"""np.nonzero, a.nonzero(), np.argwhere and np.flatnonzero as NumPy gives them: the
indices in C order (NaN counts as nonzero, -0.0 does not), in NumPy's layouts (nonzero's
arrays are columns of one table, argwhere's result is F-ordered), on every dtype, views,
empty and 0-d arrays (nonzero of a 0-d array is NumPy's ValueError); writing into one of
nonzero's arrays leaves the others be. np.count_nonzero of a 0-d array too."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from .harness import HYPOTHESIS, assert_same

DTYPES = ["bool", "int8", "uint8", "int64", "uint64", "float32", "float64"]
VALUES = [0.0, -0.0, 1.0, np.nan, 0.0, -3.0, np.inf]


def indices(a):
    return np.nonzero(a), a.nonzero(), np.argwhere(a), np.flatnonzero(a)


def layouts(m):
    rows, columns = np.nonzero(m)
    table = np.argwhere(m)
    return rows.strides, columns.strides, table.strides


def write_into_one(m):
    rows, columns = np.nonzero(m)
    rows[:] = -1
    return rows, columns


def as_dtype(values, dtype):
    with np.errstate(all="ignore"):
        return np.asarray(values).astype(dtype)


@HYPOTHESIS
@given(st.sampled_from(DTYPES), st.lists(st.sampled_from(VALUES), min_size=12, max_size=12))
def test_indices_as_numpy(dtype, values):
    m = as_dtype(values, dtype).reshape(3, 4)
    assert_same(indices, m)
    assert_same(indices, m[::-1, 1::2])
    assert_same(indices, m.reshape(2, 3, 2))
    assert_same(indices, m[:, :0])
    assert_same(indices, m[1])


def test_layouts_as_numpy():
    m = np.array([[0.0, 1.5, 2.0], [3.0, 0.0, np.nan]])
    assert_same(layouts, m)
    assert_same(write_into_one, m)


def zero_d(a):
    return np.argwhere(a), np.count_nonzero(a), np.flatnonzero(a)


def nonzero_of_zero_d(a):
    return np.nonzero(a)


@pytest.mark.parametrize("a", [np.array(2.5), np.array(0), np.float64(0.0), True], ids=repr)
def test_zero_d_arrays_and_scalars(a):
    assert_same(zero_d, a)
    assert_same(nonzero_of_zero_d, a, raises=ValueError)
