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


def halves(a):
    return a[: a.shape[0] // 2], a[a.shape[0] // 2:]


def two_fresh(a):
    return a * 2.0, a + 1.0


def one_buffer_twice(a):
    b = a * 2.0
    return b, 7, b


def views_and_fresh(a, k):
    b = a * k
    return a[1:], b, a[::-1], k + 1.0


def nested(a):
    b = a + 0.5
    return (a[1:], (b, 2)), b[::2]


def fresh_then_fails(a, d):
    b = a * 2.0
    return b, 10 // d  # ZeroDivisionError for d == 0, once b is made


@pytest.mark.parametrize("function, args", [
    (halves, (np.arange(7.0),)), (two_fresh, (np.arange(5.0),)),
    (one_buffer_twice, (np.arange(4.0),)), (views_and_fresh, (np.arange(6.0), 1.5)),
    (nested, (np.arange(9.0),)),
], ids=lambda v: v.__name__ if callable(v) else "")
def test_results_with_several_arrays_take_the_native_entry(function, args):
    f = noodle.jit(function, cache=False, fallback=False)
    f(*args)  # compiles
    for _ in range(3):
        assert_same_structure(f(*args), function(*args))
    assert f.profiles()[0].python_calls == 1  # the first call only


def assert_same_structure(got, expected) -> None:
    assert type(got) is type(expected)
    if isinstance(expected, tuple):
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            assert_same_structure(g, e)
    else:
        np.testing.assert_array_equal(got, expected)


def test_several_arrays_keep_the_right_owners():
    a = np.arange(8.0)
    f, g, h = (noodle.jit(function, cache=False)
               for function in (halves, one_buffer_twice, two_fresh))
    f(a), g(a), h(a)  # compile: the calls below take the native entries
    low, high = f(a)
    assert low.base is a and high.base is a  # views of the argument keep it alive
    b1, seven, b2 = g(a)
    assert seven == 7 and b1.base is b2.base  # one buffer, one capsule for both
    capsule = b1.base
    assert sys.getrefcount(capsule) == 4  # b1's, b2's, `capsule`, the call's argument
    del b1
    gc.collect()
    np.testing.assert_array_equal(b2, a * 2.0)  # b2 still holds the buffer
    assert sys.getrefcount(capsule) == 3
    x, y = h(a)
    assert x.base is not y.base and x.flags.writeable and y.flags.writeable
    assert [p.python_calls for fn in (f, g, h) for p in fn.profiles()] == [1, 1, 1]


def test_a_read_only_argument_stays_read_only_through_several_results():
    a = np.arange(6.0)
    a.flags.writeable = False
    f = noodle.jit(views_and_fresh, cache=False)
    f(a, 2.0)
    tail, scaled, reversed_, _ = f(a, 2.0)
    assert not tail.flags.writeable and not reversed_.flags.writeable
    assert scaled.flags.writeable  # a fresh array the caller owns


def test_an_error_after_arrays_were_made_raises_from_the_native_entry():
    f = noodle.jit(fresh_then_fails, cache=False)
    a = np.arange(4.0)
    f(a, 2)
    for _ in range(3):
        with pytest.raises(ZeroDivisionError):
            f(a, 0)
    assert f.profiles()[0].python_calls == 1


def test_no_references_leak_through_several_results():
    f, g = noodle.jit(views_and_fresh, cache=False), noodle.jit(halves, cache=False)
    a = np.arange(10.0)
    f(a, 2.0), g(a)
    before = sys.getrefcount(a)
    for _ in range(1000):
        f(a, 2.0)
        g(a)
    gc.collect()
    assert sys.getrefcount(a) == before


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
