"""Tests of the differential harness itself, with a hand-written stand-in for the
compiled function (no compiler involved): the harness must catch every kind of
difference it claims to check, and copy arguments without losing layout or aliasing."""
import numpy as np
import pytest

from . import harness
from .harness import assert_same, clone_args


class FakeFallbackWarning(UserWarning):
    pass


class FakeNoodleError(Exception):
    pass


@pytest.fixture(autouse=True)
def _no_noodle(monkeypatch):
    monkeypatch.setattr(harness, "noodle_error_types",
                        lambda: (FakeFallbackWarning, FakeNoodleError))


def scale_in_place(a, s):
    a *= s
    return a.sum()


def test_identical_function_passes():
    a = np.arange(10.0)
    assert_same(scale_in_place, a[::-2], 3.0, compiled=scale_in_place)
    assert a[0] == 0.0 and a[9] == 9.0  # the caller's arrays are never touched


def _fails(func, *args, compiled, **kw):
    with pytest.raises(AssertionError):
        assert_same(func, *args, compiled=compiled, **kw)


def as_float64(a):
    return a + 1


def test_dtype_difference_is_caught():
    _fails(as_float64, np.ones(3, np.float32), compiled=lambda a: (a + 1).astype(np.float64))


def test_shape_difference_is_caught():
    _fails(as_float64, np.ones((2, 3)), compiled=lambda a: (a + 1).reshape(3, 2))


def test_value_difference_is_caught():
    _fails(as_float64, np.ones(3), compiled=lambda a: a + 1 + 1e-6)
    assert_same(as_float64, np.ones(3), compiled=lambda a: a + 1 + 1e-12)


def test_float32_tolerance():
    a = np.ones(3, np.float32)
    assert_same(as_float64, a, compiled=lambda a: (a + 1) * np.float32(1 + 2e-7))
    _fails(as_float64, a, compiled=lambda a: (a + 1) * np.float32(1 + 1e-3))


def test_scalar_returned_as_zero_d_array_is_caught():
    _fails(scale_in_place, np.ones(3), 2.0, compiled=lambda a, s: np.asarray(scale_in_place(a, s)))


def py_int(x):
    return x + 1


def py_float(x):
    return x * 0.5


def test_scalar_kind_is_caught():
    _fails(py_int, 3, compiled=lambda x: np.int64(x + 1))
    _fails(py_int, 3, compiled=lambda x: float(x + 1))
    _fails(py_int, np.int32(3), compiled=lambda x: np.int64(x + 1))
    _fails(py_int, True, compiled=lambda x: True)
    _fails(py_float, 3.0, compiled=lambda x: np.float64(x * 0.5))
    assert_same(py_float, 3.0, compiled=lambda x: np.float64(x * 0.5), np_float_for_py_float=True)


def nan_result(x):
    return x * np.nan, np.array([np.nan, np.inf])


def test_nan_equal_and_inf_sign():
    assert_same(nan_result, 1.0, compiled=nan_result)
    _fails(nan_result, 1.0, compiled=lambda x: (x * np.nan, np.array([np.nan, -np.inf])))


def pair(a, b):
    return a, b


def test_tuple_structure_is_caught():
    _fails(pair, 1, 2.0, compiled=lambda a, b: [a, b])
    _fails(pair, 1, 2.0, compiled=lambda a, b: (a, b, None))


def test_in_place_difference_is_caught():
    _fails(scale_in_place, np.ones(4), 2.0, compiled=lambda a, s: scale_in_place(a.copy(), s))


def fill_view(a):
    a[:] = 5.0


def _write_outside(a):
    a[:] = 5.0
    owner = a
    while owner.base is not None:
        owner = owner.base
    owner.reshape(-1)[1] = 99.0  # not an element of a[::2]


def test_write_outside_a_view_is_caught():
    base = np.zeros(10)
    assert_same(fill_view, base[::2], compiled=fill_view)
    _fails(fill_view, base[::2], compiled=_write_outside)


def divide(a, b):
    return a // b


def test_exceptions():
    assert_same(divide, 1, 0, raises=ZeroDivisionError, compiled=divide)

    def raise_value_error(a, b):
        raise ValueError("no")

    _fails(divide, 1, 0, raises=ZeroDivisionError, compiled=raise_value_error)
    _fails(divide, 1, 0, raises=ZeroDivisionError, compiled=lambda a, b: 0)
    with pytest.raises(AssertionError, match="Python reference raised"):
        assert_same(divide, 1, 0, compiled=divide)
    with pytest.raises(AssertionError, match="instead of raising"):
        assert_same(divide, 1, 1, raises=ZeroDivisionError, compiled=divide)


def test_noodle_errors_propagate():
    def compile_error(a, b):
        raise FakeNoodleError("cannot compile")

    with pytest.raises(FakeNoodleError):
        assert_same(divide, 4, 2, compiled=compile_error)


def test_fallback_warning_is_an_error():
    import warnings

    def falls_back(a, b):
        warnings.warn("fell back", FakeFallbackWarning)
        return a // b

    with pytest.raises(FakeFallbackWarning):
        assert_same(divide, 4, 2, compiled=falls_back)


def test_clone_keeps_layout_and_aliasing():
    base = np.arange(24.0).reshape(4, 6)
    views = (base[::-1], base.T, base[1:3, ::-2], base[:, 1], base[3:1], np.asfortranarray(base))
    (cloned, buffers) = clone_args(views)
    for orig, copy in zip(views, cloned):
        assert copy.strides == orig.strides
        assert copy.flags.c_contiguous == orig.flags.c_contiguous
        assert copy.flags.f_contiguous == orig.flags.f_contiguous
        np.testing.assert_array_equal(copy, orig)
        assert not np.shares_memory(copy, base)
    assert np.shares_memory(cloned[0], cloned[1])
    assert len(buffers) == 2  # base and the Fortran copy

    r = np.arange(3.0)
    r.flags.writeable = False
    (rc,), _ = clone_args((r,))
    assert not rc.flags.writeable

    a = np.arange(5)
    (x, y, z), _ = clone_args((a, a, a[1:]))
    assert x is y
    assert np.shares_memory(x, z)
    z[0] = 100
    assert x[1] == 100 and a[1] == 1
