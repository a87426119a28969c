"""Elementwise expressions on arrays broadcast along their last axis at run time (a size-1
dimension of an argument): the optimising tier runs a copy of the loop that reads such
an array without that axis (`version-broadcasts`). Every combination of broadcast and
full operands, in 1, 2 and 3 dimensions, strided, reversed and empty, against NumPy, and
expressions with too many candidates for copies."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from .harness import HYPOTHESIS, assert_same

OPTIMISED = {"eager": True}
RNG = np.random.default_rng(17)


def exp_of_difference(x, m):
    return np.exp(x - m)


def scaled_sum(x, m):
    return x * m + 1.0


def normalised(x, m, s):
    return (x - m) / s  # three operands that may be broadcast: one loop, no copies


def subtract_into(out, x, m):
    out[...] = x - m


@pytest.mark.parametrize("function", [exp_of_difference, scaled_sum])
@pytest.mark.parametrize("x_shape, m_shape", [
    ((40, 33), (40, 1)),  # a column: the case the copies are for
    ((40, 33), (1, 33)),  # a row
    ((40, 1), (40, 33)),  # the first operand broadcast
    ((40, 1), (1, 33)),  # both, along different axes
    ((40, 1), (40, 1)),  # both along the last axis: the result has one column
    ((40, 33), (40, 33)),
    ((33,), (1,)), ((1,), (33,)), ((33,), (33,)),
    ((3, 5, 17), (3, 5, 1)), ((3, 1, 17), (1, 5, 1)),
    ((0, 7), (0, 1)), ((6, 0), (6, 1)), ((6, 0), (1, 0)),
], ids=str)
def test_each_combination_of_broadcast_operands(function, x_shape, m_shape):
    assert_same(function, RNG.random(x_shape), RNG.random(m_shape) + 0.5,
                jit_options=OPTIMISED)


def test_strided_and_reversed_operands():
    x, m = RNG.random((50, 70)), RNG.random((100, 3))
    assert_same(exp_of_difference, x[::-2, ::3], m[::-4, 1:2], jit_options=OPTIMISED)
    assert_same(exp_of_difference, x[:, ::-1], m[:50, 2:3], jit_options=OPTIMISED)
    assert_same(scaled_sum, x.T[::2], m[:70:2, :1], jit_options=OPTIMISED)


def test_more_candidates_than_copies():
    x = RNG.random((30, 20))
    assert_same(normalised, x, x[:, :1], x[:, 3:4] + 1.0, jit_options=OPTIMISED)
    assert_same(normalised, x, x[:1], x[:, :1] + 1.0, jit_options=OPTIMISED)


def test_assigned_into_an_argument():
    x, m = RNG.random((25, 40)), RNG.random((25, 1))
    assert_same(subtract_into, np.zeros((25, 40)), x, m, jit_options=OPTIMISED)
    out = np.zeros((25, 80))
    assert_same(subtract_into, out[:, ::2], x, m, jit_options=OPTIMISED)


def broadcastable_pair(dims: int) -> st.SearchStrategy:
    """Two shapes of `dims` axes that broadcast together: each axis has one size, which
    either operand may have as 1 instead."""
    def shapes(sizes: list[int], ones: list[int]) -> tuple[tuple, tuple]:
        x = tuple(1 if one == 1 else n for n, one in zip(sizes, ones))
        m = tuple(1 if one == 2 else n for n, one in zip(sizes, ones))
        return x, m

    return st.builds(shapes, st.lists(st.integers(0, 9), min_size=dims, max_size=dims),
                     st.lists(st.integers(0, 2), min_size=dims, max_size=dims))


@HYPOTHESIS
@given(st.integers(1, 3).flatmap(broadcastable_pair), st.sampled_from([np.float64,
                                                                       np.float32]))
def test_any_broadcast_matches_numpy(shapes, dtype):
    x_shape, m_shape = shapes
    x = RNG.uniform(-3.0, 3.0, x_shape).astype(dtype)
    m = RNG.uniform(-3.0, 3.0, m_shape).astype(dtype)
    assert_same(exp_of_difference, x, m, jit_options=OPTIMISED)
