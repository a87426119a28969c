"""np.roll, np.repeat (and a.repeat) and np.tile as NumPy builds them: counts and shifts
by value (negative, beyond the length, NumPy integers and bools), along an axis or of the
flattened array, on every kind of view, 0-d and empty arrays; NumPy's errors for an axis
out of range and for a negative count where there are elements to repeat."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from .harness import HYPOTHESIS, assert_same


def rolled(a, k):
    return np.roll(a, k), np.roll(a, k, axis=0), np.roll(a, -k, -1), np.roll(a, k, axis=None)


def repeated(a, k):
    return np.repeat(a, k), np.repeat(a, k, axis=0), np.repeat(a, k, -1), a.repeat(k), \
        a.repeat(k, axis=-1)


def tiled(a, k):
    return np.tile(a, k), np.tile(a, (k, 2)), np.tile(a, (2, 1, k))


@HYPOTHESIS
@given(st.sampled_from(["float64", "int8", "bool"]), st.integers(-7, 13),
       st.sampled_from([(3, 4), (1, 5), (4, 0)]))
def test_as_numpy(dtype, k, shape):
    m = np.random.default_rng(k + 7).normal(size=shape).astype(dtype)
    for a in (m, m[::-1, ::2], m[0] if shape[0] else m[:, 0]):
        assert_same(rolled, a, k)
        assert_same(repeated, a, abs(k))
        assert_same(tiled, a, abs(k))
    assert_same(rolled, m, np.int8(k))


def one(a, k):
    return np.roll(a, k), np.repeat(a, k), np.tile(a, k)


@pytest.mark.parametrize("a", [np.array(5.0), 2.5, np.zeros(0), np.zeros((0, 3))], ids=repr)
def test_zero_d_and_empty(a):
    assert_same(one, a, 3)
    assert_same(one, a, True)


def repeat_count(a, k):
    return np.repeat(a, k)


def tile_count(a, k):
    return np.tile(a, (1, k))


def roll_axis(a, k):
    return np.roll(a, k, axis=2)


def test_numpy_s_errors():
    m = np.ones((2, 3))
    assert_same(repeat_count, m, -1, raises=ValueError)
    assert_same(tile_count, m, -2, raises=ValueError)
    assert_same(repeat_count, m[:0], -1)  # nothing to repeat: no error
    assert_same(roll_axis, m, 1, raises=np.exceptions.AxisError)


def zero_d_along_its_axis(a):
    return np.repeat(a, 2, axis=0), np.repeat(a, 3, axis=-1), np.take(a, 0, axis=0)


def rolled_by(a, k):
    return np.roll(a, k)


def test_zero_d_along_axis_0_and_unsigned_shifts():
    """NumPy takes a 0-d array as a 1-d one; it takes an unsigned shift modulo n as an
    unsigned number (2**64 - 1 is 0 modulo 3)."""
    assert_same(zero_d_along_its_axis, np.array(5.0))
    assert_same(rolled_by, np.array([1, 2, 3], np.int8), np.uint64(2**64 - 1))
    assert_same(rolled_by, np.array([1, 2, 3, 4], np.int8), np.uint64(2**64 - 1))
