"""Views of an array's axes (np.transpose, swapaxes, flip/fliplr/flipud, expand_dims: the
same buffer, so writes reach the array), NumPy functions composed of other operations
(np.outer, np.diff, np.trace, np.count_nonzero, np.round/around, np.ptp, np.nan_to_num),
and the methods a.dot, a.fill, a.item, a.round, a.transpose, a.swapaxes; NumPy's own
Python functions are refused by name (np.cross), and so is rounding bools."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import noodle

from .harness import HYPOTHESIS, assert_same


def axis_views(m):
    return (np.transpose(m), m.transpose(), m.transpose(1, 0), m.transpose((1, 0)),
            np.swapaxes(m, 0, 1), m.swapaxes(-1, 0), np.flip(m), np.flip(m, 0),
            np.flip(m, axis=(0, 1)), np.fliplr(m), np.flipud(m), np.expand_dims(m, 0),
            np.expand_dims(m, axis=-1))


def writes_through_views(m):
    t = np.transpose(m)
    t[0, -1] = -1.0
    f = np.flip(m, 1)
    f[0, 0] = -2.0
    e = np.expand_dims(m, 1)
    e[-1, 0, 0] = -3.0
    return m


@pytest.mark.parametrize("m", [
    np.arange(12.0).reshape(3, 4), np.arange(12.0).reshape(4, 3).T[::-1],
    np.ones((0, 3)), np.arange(4.0).reshape(1, 4),
], ids=["c", "transposed-reversed", "empty", "one-row"])
def test_axis_views_and_writes_through_them(m):
    assert_same(axis_views, m)
    if m.size:
        assert_same(writes_through_views, m)


def composed(a, m):
    return (np.outer(a, a[:3]), np.outer(m, a), np.diff(a), np.diff(m, axis=0),
            np.diff(m, 2), np.diff(a, 0), np.trace(m), np.count_nonzero(a),
            np.diff(a > 0), a.dot(a), m.dot(a[:m.shape[1]]))


@HYPOTHESIS
@given(st.lists(st.sampled_from([0.0, -1.5, 2.25, np.nan, np.inf, 7.0]), min_size=4,
                max_size=9), st.integers(1, 3))
def test_composed_functions_as_numpy(values, rows):
    a = np.array(values)
    m = np.arange(rows * 4.0).reshape(rows, 4) - 3
    with np.errstate(all="ignore"):
        assert_same(composed, a, m)


def rounded(a, x, ints):
    return (np.round(a), np.around(a, 1), np.round(a, -1), a.round(2), np.round(x),
            np.round(ints), np.round(np.float32(2.5)))


@pytest.mark.parametrize("x", [2.5, -0.5, 3], ids=repr)
def test_round_halves_to_even_as_numpy(x):
    a = np.array([-2.5, -1.5, 0.5, 1.25, 2.5, 3.456, 1e300, np.nan, -0.0])
    with np.errstate(all="ignore"):
        assert_same(rounded, a, x, np.array([1, -2, 3], np.int32))


def fill_and_item(a, m):
    b = a.copy()
    b.fill(3)
    return b, m[0, 1].item(), a[1:2].item(), np.float32(1.5).item()


def test_fill_and_item():
    assert_same(fill_and_item, np.zeros(3, np.int8), np.arange(6.0).reshape(2, 3))


def item_of_many(a):
    return a.item()


def test_item_of_an_array_of_other_than_one_element_raises_value_error():
    assert_same(item_of_many, np.arange(3.0), raises=ValueError)


def numpy_internal(a):
    return np.cross(a, a)


def test_numpy_s_own_python_functions_are_refused_by_name():
    with pytest.raises(noodle.UnsupportedError, match="`numpy.cross` is not supported"):
        noodle.jit(numpy_internal, fallback=False, cache=False)(np.ones(2))


def peak_to_peak(m):
    return np.ptp(m), np.ptp(m, axis=0), np.ptp(m, axis=-1, keepdims=True)


def cleaned(m):
    return (np.nan_to_num(m), np.nan_to_num(m, nan=-1.0, posinf=7, neginf=None),
            np.nan_to_num(m[0, 0]))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int8", "uint8", "bool"])
def test_ptp_and_nan_to_num_as_numpy(dtype):
    with np.errstate(all="ignore"):
        m = np.array([[0.0, np.nan, np.inf], [-np.inf, 200.0, -3.5]]).astype(dtype)
    if dtype != "bool":  # NumPy's ptp subtracts, which bools do not
        assert_same(peak_to_peak, m)
        assert_same(peak_to_peak, m[::-1, 1:])
    assert_same(cleaned, m)
    assert_same(cleaned, m[:, ::-2])


def empty_ptp(m):
    return np.ptp(m)


def test_ptp_of_nothing_is_numpy_s_value_error():
    assert_same(empty_ptp, np.zeros((0, 3)), raises=ValueError)


def rounded_bools(a):
    return np.round(a)


def test_rounding_bools_is_refused():
    """NumPy gives float16, a dtype noodle does not have."""
    with pytest.raises(noodle.UnsupportedError, match="float16"):
        noodle.jit(rounded_bools, fallback=False, cache=False)(np.array([True, False]))


def at_least(a):
    return np.atleast_1d(a), np.atleast_2d(a), np.atleast_3d(a)


@pytest.mark.parametrize("a", [np.array(5.0), 2.5, np.float32(3), np.arange(3), np.ones((2, 3)),
                               np.ones((2, 3, 4)), np.arange(6).reshape(2, 3)[:, ::-1]],
                         ids=["0d", "float", "float32", "1d", "2d", "3d", "view"])
def test_atleast_nd_as_numpy(a):
    assert_same(at_least, a)


def write_through_atleast_2d(a):
    np.atleast_2d(a)[0, 0] = -7.0
    return a


def test_atleast_nd_is_a_view():
    assert_same(write_through_atleast_2d, np.arange(3.0))


def step(x, at_zero):
    return np.heaviside(x, at_zero)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
@pytest.mark.parametrize("at_zero", [0.5, 2, np.float32(2), np.array([7.0, np.nan, 3.0, 1.0, 2.0])],
                         ids=["float", "int", "float32", "array"])
def test_heaviside_as_numpy(dtype, at_zero):
    with np.errstate(invalid="ignore"):
        x = np.array([-1.0, 0.0, -0.0, 2.0, np.nan]).astype(dtype)
    assert_same(step, x, at_zero)


def copied_into(dst, src):
    np.copyto(dst, src)
    return dst


@pytest.mark.parametrize("dst, src", [
    (np.zeros(3, np.int64), 2), (np.zeros(3, np.int64), np.array([True, False, True])),
    (np.zeros(3), 7), (np.zeros((2, 3)), np.arange(3.0)), (np.zeros(3, np.float32), 1.5),
], ids=["int", "bools", "float-from-int", "broadcast", "float32"])
def test_copyto_as_numpy(dst, src):
    assert_same(copied_into, dst, src)


def test_copyto_refuses_what_same_kind_refuses_and_checks_values():
    with pytest.raises(noodle.TypingError, match="same_kind"):
        noodle.jit(copied_into, fallback=False, cache=False)(np.zeros(3, np.int64), 1.5)
    assert_same(copied_into, np.zeros(3, np.uint8), 300, raises=OverflowError)


def taken(a, indices):
    return np.take(a, indices), a.take(indices), np.take(a, indices, axis=0), \
        np.take(a, 4), np.take(a, -1)


@pytest.mark.parametrize("indices", [np.array([0, 2, -1]), np.array([[1, 0], [2, 2]]),
                                     np.array([], dtype=np.int64)], ids=["1d", "2d", "empty"])
def test_take_as_numpy(indices):
    assert_same(taken, np.arange(12.0).reshape(3, 4), indices)
    assert_same(taken, np.arange(12.0).reshape(3, 4), np.array([5]), raises=IndexError)


def polynomial(p, x):
    return np.polyval(p, x)


def polynomial_of_literals(x):
    return np.polyval([1.0, -2.0, 3.0], x), np.polyval((2, 1), x)


@pytest.mark.parametrize("p_dtype", ["float64", "float32", "int64", "int8"])
@pytest.mark.parametrize("x", [np.array([0.5, -1.0, np.inf, np.nan, 3.0]),
                               np.array([1, 2, 3], np.int16), np.array([1.5, 2], np.float32),
                               2.5, 3, np.float32(1.5), np.arange(6.0).reshape(2, 3)[:, ::-1]],
                         ids=["floats", "int16", "float32", "float", "int", "np.float32", "2d"])
def test_polyval_as_numpy(p_dtype, x):
    """Horner's rule from zeros_like(x): the dtype is x's promoted with p's, and the first
    step is 0 * x (NaN at infinity), as NumPy's."""
    with np.errstate(all="ignore"):
        assert_same(polynomial, np.array([1, -2, 3]).astype(p_dtype), x)
    assert_same(polynomial_of_literals, x)


def convolutions(a, v):
    return np.convolve(a, v), np.convolve(a, v, mode="same"), np.convolve(a, v, "valid")


@pytest.mark.parametrize("lengths", [(5, 3), (3, 5), (1, 1), (4, 4), (7, 1), (2, 7)],
                         ids=lambda n: f"{n[0]}x{n[1]}")
@pytest.mark.parametrize("dtypes", [("float64", "float64"), ("float32", "int32"),
                                    ("int8", "int32"), ("bool", "bool")], ids="-".join)
def test_convolve_as_numpy(lengths, dtypes):
    """NumPy sums with its dot products (BLAS for floats): equal to rounding."""
    rng = np.random.default_rng(sum(lengths))
    a, v = ((rng.normal(size=n) * 5).astype(d) for n, d in zip(lengths, dtypes))
    assert_same(convolutions, a, v, rtol=1e-6)


def test_convolve_of_nothing_is_numpy_s_value_error():
    assert_same(convolutions, np.zeros(0), np.ones(3), raises=ValueError)
    assert_same(convolutions, np.ones(3), np.zeros(0), raises=ValueError)


def triangles(m, k):
    return np.triu(m), np.tril(m), np.triu(m, k), np.tril(m, k=k), np.triu(m, -k)


@pytest.mark.parametrize("m", [np.arange(12.0).reshape(3, 4), np.arange(12).reshape(4, 3)[::-1],
                               np.arange(24).reshape(2, 3, 4), np.arange(5.0), np.ones((0, 3)),
                               np.array([True, False, True])],
                         ids=["3x4", "view", "3d", "vector", "empty", "bools"])
@pytest.mark.parametrize("k", [0, 1, -1, 5])
def test_triu_and_tril_as_numpy(m, k):
    assert_same(triangles, m, k)


def grids(x, y):
    return (np.meshgrid(x, y), np.meshgrid(x, y, indexing="ij"), np.meshgrid(x),
            np.meshgrid(x, y, x))


@pytest.mark.parametrize("x, y", [(np.arange(3.0), np.arange(4)),
                                  (np.arange(6).reshape(2, 3), np.array([1.5])),
                                  (np.zeros(0), np.arange(2.0)), (2.5, np.arange(3))],
                         ids=["vectors", "flattened", "empty", "scalar"])
def test_meshgrid_as_numpy(x, y):
    assert_same(grids, x, y)


def where_nonzero(c):
    return np.where(c)


def test_where_of_a_condition_alone_is_nonzero():
    assert_same(where_nonzero, np.array([[0, 1], [2, 0]]))
    assert_same(where_nonzero, np.array([0.0, 1.0, np.nan]))


def of_zero_d(a, w):
    return (np.heaviside(a, 0.5), np.nan_to_num(a), np.median(a), np.average(a, weights=w),
            np.median(a.reshape(1), axis=0))


@pytest.mark.parametrize("a", [np.array(np.nan), np.array(-2.0), np.array(0.0)], ids=repr)
def test_zero_d_arrays_give_numpy_scalars(a):
    assert_same(of_zero_d, a, np.array(2.0))
