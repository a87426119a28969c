"""The compiled Python entry points: which calls they take, and that what they return is
what the Python-level path (and Python itself) returns."""
from __future__ import annotations

import gc
import sys

import numpy as np
import pytest

import noodle


def profile_of(function) -> dict:
    [profile] = function.profiles()
    return profile.report()


def add(a, b):
    return a + b


def test_exact_kinds_take_the_native_entry_and_others_the_python_path():
    f = noodle.jit(add, cache=False)
    assert f(1.5, 2.0) == 3.5  # compiles; the Python-level path runs this first call
    before = profile_of(f)
    assert f(2.5, 4.0) == 6.5
    assert type(f(2.5, 4.0)) is float
    after = profile_of(f)
    assert after["native_calls"] - before["native_calls"] == 2
    assert f.profiles()[0].python_calls == 1

    class MyFloat(float):
        pass

    assert f(MyFloat(1.0), 2.0) == 3.0  # a float subclass: same key, Python-level path
    assert f(a=1.0, b=2.0) == 3.0       # keywords: Python-level path
    assert f.profiles()[0].python_calls == 3
    with pytest.raises(TypeError, match="missing"):
        f(1.0)


@pytest.mark.parametrize("x, y", [(1, 2), (True, False), (np.float32(1.5), np.float32(2)),
                                  (np.int8(100), np.int8(100)), (np.uint64(2**63), 1),
                                  (np.bool_(True), np.bool_(True)), (2**62, -2**63)])
def test_scalar_kinds_and_results_match_python(x, y):
    f = noodle.jit(add, cache=False)
    for _ in range(3):  # the first call compiles; later ones are native
        with np.errstate(over="ignore"):
            expected = add(x, y)
            got = f(x, y)
        assert type(got) is type(expected) and got == expected


def test_int_beyond_int64_is_not_taken_by_the_entry():
    f = noodle.jit(add, cache=False)
    assert f(1, 2) == 3
    with pytest.warns(noodle.NoodleFallbackWarning):
        assert f(2**70, 1) == 2**70 + 1  # no int64 key: runs as Python


def first(a):
    return a[0]


def test_array_arguments_strided_reversed_unaligned_and_other_dtypes():
    f = noodle.jit(first, cache=False)
    data = np.arange(10.0)
    for a in (data, data[::3], data[::-1], data[5:], data.astype(np.float32),
              data.astype(np.int16)):
        for _ in range(2):
            got = f(a)
            assert got == a[0] and type(got) is type(a[0])
    raw = np.zeros(8 * 4 + 1, dtype=np.uint8)
    unaligned = raw[1:].view(np.float64)
    unaligned[:] = [7.0, 1.0, 2.0, 3.0]
    assert not unaligned.flags.aligned
    assert f(unaligned) == 7.0  # the entry refuses it; the Python-level path runs it
    swapped = np.arange(3.0).astype(">f8")
    with pytest.warns(noodle.NoodleFallbackWarning):
        assert f(swapped) == 0.0


def scale(a, k):
    return a * k


def view(a):
    return a[1:]


def pair(a, k):
    return a.sum() * k, k > 1.0


def test_array_results_own_their_memory_or_view_their_argument():
    f = noodle.jit(scale, cache=False)
    a = np.arange(6.0)
    for _ in range(3):
        out = f(a, 2.0)
        np.testing.assert_array_equal(out, a * 2.0)
        assert out.flags.writeable and out.base is not a
    g = noodle.jit(view, cache=False)
    for _ in range(3):
        v = g(a)
        np.testing.assert_array_equal(v, a[1:])
        assert np.shares_memory(v, a)
    v[0] = 100.0
    assert a[1] == 100.0
    readonly = np.arange(4.0)
    readonly.flags.writeable = False
    g(readonly)
    assert not g(readonly).flags.writeable


def test_results_outlive_arguments_and_are_freed_with_their_last_view():
    f = noodle.jit(scale, cache=False)
    g = noodle.jit(view, cache=False)
    a = np.arange(5.0)
    f(a, 1.0), g(a)  # compile both
    out = f(a, 3.0)
    owner = out.base  # the capsule that frees the kernel's buffer when released
    part = g(out)
    del out
    gc.collect()
    np.testing.assert_array_equal(part, (np.arange(5.0) * 3.0)[1:])
    assert sys.getrefcount(owner) > 2  # the view still holds it
    del part
    gc.collect()
    assert sys.getrefcount(owner) == 2  # only `owner` and the call's argument
    v = g(np.arange(4.0))  # the view keeps its (temporary) argument alive
    np.testing.assert_array_equal(v, [1.0, 2.0, 3.0])


def test_tuple_results_and_errors_raised_from_the_entry():
    f = noodle.jit(pair, cache=False)
    a = np.arange(4.0)
    for _ in range(3):
        assert f(a, 2.0) == (12.0, True)

    def divide(x, y):
        return x // y

    d = noodle.jit(divide, cache=False)
    assert d(7, 2) == 3
    for _ in range(2):
        with pytest.raises(ZeroDivisionError):
            d(7, 0)


def test_none_and_tuple_arguments():
    def total(t, nothing):
        return t[0] + t[1] * 2

    f = noodle.jit(total, cache=False, fallback=False)
    for _ in range(3):
        assert f((1.0, 2.0), None) == 5.0
    assert f((1.0, 2.0, 3.0), None) == 5.0  # another tuple length: another key
    assert f((1, 2), None) == 5
    assert f.profiles()[0].report()["native_calls"] == 3


def test_no_references_leak_through_the_entry():
    f = noodle.jit(scale, cache=False)
    a, k = np.arange(3.0), 2.5
    f(a, k)
    before = sys.getrefcount(a), sys.getrefcount(k)
    for _ in range(1000):
        f(a, k)
    assert (sys.getrefcount(a), sys.getrefcount(k)) == before
