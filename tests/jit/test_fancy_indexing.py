"""Indexing with an array, as the only index: boolean masks over all or the leading axes,
integer arrays (any integer dtype, negative, repeated) over the first axis; reads (new
arrays) and stores (scalars, arrays, broadcast values, `+=` with repeated indices), on
views of every layout, with NumPy's errors: a mask of the wrong shape or an index out of
bounds (IndexError, always), a value that does not broadcast (ValueError)."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import noodle

from .harness import HYPOTHESIS, assert_same


def read_masked(a, mask):
    return a[mask], a[a > 0.5], a[~mask]


def store_masked(a, mask, value):
    a[mask] = value
    return a


def add_masked(a, mask):
    a[mask] += 1.5
    return a


def read_indexed(a, idx):
    return a[idx], a[idx[::-1]]


def store_indexed(a, idx, value):
    a[idx] = value
    return a


def add_indexed(a, idx):
    a[idx] += 1  # repeated indices add once, as in NumPy
    return a


@st.composite
def arrays_and_masks(draw):
    rank = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(0, 4)) for _ in range(rank))
    a = np.random.default_rng(draw(st.integers(0, 99))).random(shape)
    if rank > 1 and draw(st.booleans()):
        a = np.ascontiguousarray(a.T).T
    if draw(st.booleans()):
        a = a[::-1]
    over = draw(st.integers(1, rank))  # the axes the mask covers
    mask = np.random.default_rng(draw(st.integers(0, 99))).random(shape[:over]) < 0.5
    return a, mask


@HYPOTHESIS
@given(arrays_and_masks())
def test_boolean_masks_read_and_store(case):
    a, mask = case
    if mask.ndim == a.ndim:  # read_masked also indexes with `a > 0.5`, of a's shape
        assert_same(read_masked, a, mask)
    assert_same(store_masked, a, mask, -2.0)
    assert_same(add_masked, a, mask)
    selected = a[mask]
    assert_same(store_masked, a, mask, np.arange(selected.size * 1.0).reshape(selected.shape))
    if selected.ndim > 1:  # a row broadcast to every selected sub-array
        assert_same(store_masked, a, mask, np.arange(float(selected.shape[-1])))


@st.composite
def arrays_and_indices(draw):
    rank = draw(st.integers(1, 3))
    shape = tuple([draw(st.integers(1, 5))] + [draw(st.integers(0, 3)) for _ in range(rank - 1)])
    a = np.arange(float(np.prod(shape))).reshape(shape)
    if draw(st.booleans()):
        a = a[::-1]
    n = shape[0]
    dtype = draw(st.sampled_from([np.int64, np.int32, np.int8, np.uint8]))
    low = 0 if np.dtype(dtype).kind == "u" else -n
    idx = np.array(draw(st.lists(st.integers(low, n - 1), max_size=6)), dtype=dtype)
    if draw(st.booleans()) and idx.size:
        idx = idx.reshape(1, -1)  # a 2-d index gives a result of its shape
    return a, idx


@HYPOTHESIS
@given(arrays_and_indices())
def test_integer_arrays_read_and_store(case):
    a, idx = case
    assert_same(read_indexed, a, idx.ravel())
    assert_same(store_indexed, a, idx, -1.0)
    assert_same(add_indexed, a, idx)
    values = np.arange(float(a[idx].size)).reshape(a[idx].shape)
    assert_same(store_indexed, a, idx, values)


@pytest.mark.parametrize("func, args, error", [
    (read_masked, (np.arange(4.0), np.array([True, False])), IndexError),
    (store_masked, (np.arange(4.0), np.ones(3, bool), 1.0), IndexError),
    (store_masked, (np.arange(4.0), np.ones(4, bool), np.arange(3.0)), ValueError),
    (read_indexed, (np.arange(4.0), np.array([0, 4])), IndexError),
    (read_indexed, (np.arange(4.0), np.array([-5])), IndexError),
    (read_indexed, (np.zeros((0, 2)), np.array([0])), IndexError),
    (store_indexed, (np.arange(4.0), np.array([1, 9]), 0.0), IndexError),
    (store_indexed, (np.arange(4.0), np.array([1, 2]), np.arange(3.0)), ValueError),
], ids=["mask-shape", "mask-shape-store", "mask-values", "index-beyond",
        "index-below", "index-into-empty", "index-store", "index-values"])
def test_what_numpy_refuses_raises_its_error_and_stores_nothing(func, args, error):
    assert_same(func, *args, raises=error)


def overlapping_value(a, mask):
    a[mask] = a[::-1][mask]  # the value is read whole before any store
    return a


def test_a_value_overlapping_the_array_is_read_before_the_stores():
    assert_same(overlapping_value, np.arange(6.0), np.array([1, 0, 1, 1, 0, 1], bool))


def bump(counter):
    counter[0] += 1
    return counter - 1  # [0] the first time: a second call would index 1


def index_evaluated_once(a, counter):
    a[bump(counter)] += 5.0
    return a


@pytest.mark.parametrize("options", [{}, {"eager": True}], ids=["baseline", "optimising"])
def test_the_index_of_an_augmented_store_is_evaluated_once(options):
    assert_same(index_evaluated_once, np.zeros(3), np.zeros(1, np.int64),
                jit_options=options)


def store_into_read_only(a, mask):
    a[mask] = 0.0


def test_a_read_only_array_refuses_the_store():
    a = np.arange(3.0)
    a.setflags(write=False)
    with pytest.raises(ValueError, match="read-only"):
        noodle.jit(store_into_read_only, fallback=False, cache=False)(a, a > 0)


def read_and_store_with(a, index):
    selected = a[index]
    a[index] = 5
    return selected, a


def test_an_empty_bool_array_selects_nothing():
    """NumPy takes an empty 1-D bool array as an empty integer index, whatever the
    axis' length."""
    assert_same(read_and_store_with, np.arange(3.0), np.array([], dtype=bool))
    assert_same(read_and_store_with, np.arange(6.0).reshape(2, 3), np.array([], dtype=bool))
    assert_same(read_and_store_with, np.arange(3.0), np.array([True]), raises=IndexError)


def store_nan(a, index):
    a[index] = np.nan
    return a


def store_300(a, index):
    a[index] = 300
    return a


def store_array(a, index, b):
    a[index] = b
    return a


def test_a_stored_value_is_checked_before_the_indices():
    """As NumPy does: the value's conversion and broadcast fail first."""
    outside = np.array([5])
    assert_same(store_nan, np.zeros(2, np.int64), outside, raises=ValueError)
    assert_same(store_300, np.zeros(2, np.uint8), outside, raises=OverflowError)
    assert_same(store_array, np.zeros(2), np.array([3]), np.zeros(0), raises=ValueError)
