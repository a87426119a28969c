"""Joining arrays: np.concatenate (any axis, axis=None, tuples and list displays),
np.stack, np.hstack and np.vstack, of arrays of mixed dtypes and layouts (views,
transposes, empty axes) and of scalars, with NumPy's result dtype and NumPy's errors for
sizes, ranks and axes that do not fit."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from .harness import HYPOTHESIS, assert_same


def concatenate_axis_0(a, b):
    return np.concatenate((a, b))


def concatenate_axis_1(a, b):
    return np.concatenate([a, b, a], axis=1)


def concatenate_last_axis(a, b):
    return np.concatenate((a, b), -1)


def concatenate_flat(a, b):
    return np.concatenate((a, b), axis=None)


def stack_axis_0(a, b):
    return np.stack((a, b))


def stack_last_axis(a, b):
    return np.stack([a, b], axis=-1)


def horizontal(a, b):
    return np.hstack((a, b))


def vertical(a, b):
    return np.vstack((a, b))


DTYPES = [np.float64, np.float32, np.int64, np.int8, np.uint16, np.bool_]


@st.composite
def pairs(draw, same_shape: bool):
    """Two arrays of one rank (1 to 3), of sizes that agree off one axis (or
    everywhere), of random dtypes, maybe reversed or transposed views."""
    rank = draw(st.integers(1, 3))
    shape = [draw(st.integers(0, 4)) for _ in range(rank)]
    other = list(shape)
    if not same_shape:
        other[draw(st.integers(0, rank - 1))] = draw(st.integers(0, 4))
    arrays = []
    for s in (shape, other):
        dtype = draw(st.sampled_from(DTYPES))
        a = (np.arange(float(np.prod(s))).reshape(s) * 1.5 - 2).astype(dtype)
        if rank > 1 and draw(st.booleans()):
            a = np.ascontiguousarray(a.T).T  # the same shape, transposed strides
        if draw(st.booleans()):
            a = a[::-1]
        arrays.append(a)
    return tuple(arrays)


@HYPOTHESIS
@given(pairs(same_shape=True))
def test_joining_arrays_of_one_shape(pair):
    for func in (concatenate_axis_0, concatenate_last_axis, concatenate_flat, stack_axis_0,
                 stack_last_axis, horizontal, vertical):
        assert_same(func, *pair)


@HYPOTHESIS
@given(pairs(same_shape=False))
def test_concatenate_checks_the_sizes_off_the_axis(pair):
    a, b = pair
    for func, axis in ((concatenate_axis_0, 0), (concatenate_last_axis, a.ndim - 1)):
        fits = all(x == y for k, (x, y) in enumerate(zip(a.shape, b.shape)) if k != axis)
        assert_same(func, a, b, raises=None if fits else ValueError)
    assert_same(concatenate_flat, a, b)


@pytest.mark.parametrize("func, a, b", [
    (concatenate_axis_0, np.ones(2), np.ones((2, 2))),      # ranks differ
    (concatenate_axis_1, np.ones(2), np.ones(2)),           # no axis 1
    (concatenate_axis_0, np.float64(1.0), np.float64(2.0)),  # zero-dimensional
    (stack_axis_0, np.ones(2), np.ones(3)),                 # shapes differ
    (stack_axis_0, np.ones(2), np.ones((1, 2))),
    (vertical, np.ones(2), np.ones(3)),
], ids=["ranks", "axis", "zero-d", "stack-shapes", "stack-ranks", "vstack"])
def test_what_numpy_refuses_raises_its_error(func, a, b):
    expected = ValueError
    try:
        func(a, b)
    except np.exceptions.AxisError:
        expected = np.exceptions.AxisError
    except ValueError:
        pass
    assert_same(func, a, b, raises=expected)


def join_scalars(x, a):
    return np.stack((x, 2.0)), np.hstack((x, a)), np.vstack((a, a)), np.stack((x, x), axis=0)


@pytest.mark.parametrize("x", [1.5, 3, np.float32(0.5)], ids=repr)
@pytest.mark.parametrize("options", [{}, {"eager": True}], ids=["baseline", "optimising"])
def test_scalars_join_as_arrays_of_their_own_dtype(x, options):
    assert_same(join_scalars, x, np.arange(3, dtype=np.int16), jit_options=options)
