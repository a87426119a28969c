"""Fused elementwise code against NumPy: chains and reductions of fused expressions over
broadcast, strided, reversed and empty operands, NaN and inf, integer wrap-around, mixed
dtypes (casts fused too), `np.where`; shapes that do not broadcast still raise (the op
then runs unguarded, in bounds); and the cases fusion must not change: an operand
written between the producer and its user, a temporary read twice or returned."""
import numpy as np
import pytest

import noodle
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from .harness import HYPOTHESIS, assert_same

RNG = np.random.default_rng(11)


def exp_chain(a, b):
    return np.exp(a * b + a)


def sum_of_products(a, b):
    return np.sum(a * b)


def row_norms(m, w):
    return np.sqrt(np.sum((m - w) * (m - w), axis=1, keepdims=True))


def column_max(m, v):
    return np.max(np.abs(m * v - 1.0), axis=0)


def mixed_dtypes(i, f):
    return (i * 3 + 1) * f - i  # int64 chain cast to float64 inside the loop


def wrapping(i, j):
    return np.sum(i * j + i)  # int64 overflow wraps, like NumPy


def where_chain(a, b):
    return np.where(a > b, a - b, b * 2.0) + 1.0


def written_in_between(a, b):
    t = a * b
    if a.shape[0] > 0:
        a[0] = 100.0
    return t + a


def read_twice(a, b):
    t = a * b
    return t + t


def returned_and_used(a, b):
    t = a * b
    return t, np.sum(t + 1.0)


def vector_pairs():
    yield RNG.random(1000), RNG.random(1000)
    yield RNG.random(301)[::-3], RNG.random(202)[::2]
    yield np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e308]), np.array(
        [1.0, -np.inf, np.inf, np.nan, 5e-324, 10.0])
    yield np.zeros(0), np.zeros(0)
    yield RNG.random(7), RNG.random(1)  # size-1 stretches


@pytest.mark.parametrize("function", [exp_chain, sum_of_products, where_chain,
                                      written_in_between, read_twice, returned_and_used])
@pytest.mark.parametrize("a, b", list(vector_pairs()),
                         ids=["contiguous", "strided", "special", "empty", "stretch"])
def test_vectors(function, a, b):
    assert_same(function, a, b)


@pytest.mark.parametrize("m, v", [
    (RNG.random((40, 30)), RNG.random(30)),
    (RNG.random((30, 40)).T, RNG.random((1, 30))),
    (RNG.random((40, 30))[::-2, ::3], RNG.random(10)[::-1]),
    (np.zeros((0, 5)), np.ones(5)),
    (np.zeros((4, 0)), np.ones((4, 1))[:, :0]),
], ids=["contiguous", "transposed", "reversed-steps", "no-rows", "no-columns"])
def test_reductions_over_fused_matrices(m, v):
    assert_same(row_norms, m, v)
    if m.shape[0]:
        assert_same(column_max, m, v)


def test_mixed_dtypes_and_wrapping():
    i = RNG.integers(-2**62, 2**62, 500)
    assert_same(mixed_dtypes, i, RNG.random(500))
    assert_same(wrapping, i, RNG.integers(-2**62, 2**62, 500))


@pytest.mark.parametrize("a, b", [(np.ones(4), np.ones(3)), (np.ones(3), np.ones(4)),
                                  (np.ones((2, 3)), np.ones(4))])
def test_shapes_that_do_not_broadcast_still_raise(a, b):
    assert_same(exp_chain, a, b, raises=ValueError)
    assert_same(sum_of_products, a, b, raises=ValueError)


@HYPOTHESIS
@given(st.integers(0, 40).flatmap(lambda n: st.tuples(
    hnp.arrays(np.float64, n, elements=st.floats(allow_nan=True, allow_infinity=True)),
    hnp.arrays(np.float64, n, elements=st.floats(-1e3, 1e3)))))
def test_fused_chains_on_random_values(pair):
    a, b = pair
    assert_same(where_chain, a, b)
    assert_same(sum_of_products, a, b)


def shifted_in_place(a):
    a[1:] = a[:-1] * 2.0 + 1.0  # reads what it overwrites: NumPy reads all of it first


def same_view_in_place(a, b):
    a[:] = a * 2.0 + b  # each element read, then written, by the same iteration


def reversed_in_place(a):
    a[::-1] = a + 1.0


def copy_of_a_view(a, b):
    b[:] = a[::2]  # a plain view on the right: copied, or read straight if disjoint


def stencil(A, B):
    B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1]
                           + A[:-2, 1:-1])


@pytest.mark.parametrize("function, args", [
    (shifted_in_place, (RNG.random(50),)),
    (same_view_in_place, (RNG.random(50), RNG.random(50))),
    (same_view_in_place, (RNG.random(50)[::-1], RNG.random(50))),
    (reversed_in_place, (RNG.random(51),)),
    (copy_of_a_view, (RNG.random(40), RNG.random(20))),
    (stencil, (RNG.random((30, 40)), RNG.random((30, 40)))),
], ids=["shifted", "same-view", "same-reversed-view", "reversed", "view-copy", "stencil"])
def test_assignments_fused_into_their_destination(function, args):
    assert_same(function, *args)


def test_a_destination_that_is_also_an_operand():
    """The same array as source and destination of the stencil (aliased arguments): it
    overlaps its operands, so the right-hand side is computed first, as in NumPy."""
    a = RNG.random((12, 9))
    assert_same(stencil, a, a)
    # NumPy 2.4 itself gets this one wrong (b[:] = base[::2] for b = base[10:40] reads
    # elements it has already overwritten), so the expected result is spelled out
    base = RNG.random(60)
    expected = base.copy()
    expected[10:40] = base[::2].copy()
    noodle.jit(copy_of_a_view, fallback=False, cache=False)(base, base[10:40])
    np.testing.assert_array_equal(base, expected)


def repeated_sum(a, b):
    return (a + b) * (a + b)


def repeated_and_returned(a, b):
    return a + b, a + b


def repeated_one_written(a, b):
    t = a + b
    u = a + b
    t[0] = 100.0
    return u, t


def repeated_input_written(a, b):
    t = a + b
    a[0] = 100.0
    return t * (a + b)


@pytest.mark.parametrize("function", [repeated_sum, repeated_and_returned,
                                      repeated_one_written, repeated_input_written])
def test_repeated_expressions(function):
    assert_same(function, RNG.random(20), RNG.random(20))


def uniform_chain(n, x):
    return (np.zeros(n) + 1.0) * 3.0 - x


def uniform_compare_and_where(n, x):
    below = np.ones(n) < x
    return np.where(below, np.zeros(n), np.ones(n)).astype(np.float32)


def uniform_written_after(n):
    a = np.zeros(n, dtype=np.int32) + 1
    a[1] = 7
    return a


def uniform_written_before(n):
    g = np.zeros(n)
    g[0] = 5.0
    return g + 1.0


def uniform_of_two_shapes(n, m):
    return np.zeros((n, 1)) + np.ones((1, m))


def uniform_returned(n):
    a = np.ones(n)
    return a, a / 2


@pytest.mark.parametrize("function, args", [
    (uniform_chain, (6, 2.5)), (uniform_chain, (0, 1.0)),
    (uniform_compare_and_where, (6, 2.0)), (uniform_compare_and_where, (6, 0.5)),
    (uniform_written_after, (4,)), (uniform_written_before, (4,)),
    (uniform_of_two_shapes, (3, 4)), (uniform_returned, (5,)),
], ids=lambda v: v.__name__ if callable(v) else "")
def test_uniform_arrays(function, args):
    assert_same(function, *args)


def test_repeated_results_are_distinct_arrays():
    x, y = noodle.jit(repeated_and_returned, cache=False)(np.ones(3), np.ones(3))
    assert not np.shares_memory(x, y)
