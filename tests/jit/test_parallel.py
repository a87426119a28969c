"""`@jit(parallel=True)`: array loops run in tasks on noodle's async runtime. The results
equal NumPy's on arrays large enough to be split and on small ones, strided, broadcast,
overlapping and empty: exactly where nothing is reassociated (elementwise work, the kept
axes of reductions, integers), up to rounding where a float sum or product to one
element, or a prange reduction, is split into chunks; and the option is part of the
key."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import noodle
from noodle.compiler import pipeline
from noodle.compiler.options import CompileOptions
from noodle.compiler.pipeline import MIN_TASK_SIZE
from noodle.compiler.types import typeof

from .harness import HYPOTHESIS, assert_same

RNG = np.random.default_rng(21)
LARGE = 4 * MIN_TASK_SIZE + 3  # several tasks, and a remainder
PARALLEL = {"parallel": True}


def fused_exp(a, b):
    return np.exp(a * b + a)


def row_sums(m):
    return np.sum(m * 2.0, axis=1)


def broadcast_outer(x, y):
    return np.log(x[:, None] + y[None, :] + 1.0)


def stencil_steps(A, B, steps):
    for _ in range(steps):
        B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] + A[2:, 1:-1]
                               + A[:-2, 1:-1])
        A[1:-1, 1:-1] = B[1:-1, 1:-1]


def shifted_in_place(a):
    a[1:] = a[:-1] + 1.0


def integer_matmul(a, b):
    return a @ b  # noodle's loops (BLAS takes floats only): rows split across tasks


@pytest.mark.parametrize("a, b", [
    (RNG.random(LARGE), RNG.random(LARGE)),
    (RNG.random(2 * LARGE)[::-2], RNG.random(LARGE)),
    (RNG.random(100), RNG.random(100)),
    (np.zeros(0), np.zeros(0)),
    (RNG.random(LARGE).astype(np.float32), RNG.random(LARGE).astype(np.float32)),
], ids=["large", "strided", "small", "empty", "float32"])
def test_fused_elementwise(a, b):
    assert_same(fused_exp, a, b, jit_options=PARALLEL)


def test_reductions_split_along_kept_axes():
    assert_same(row_sums, RNG.random((300, 500)), jit_options=PARALLEL)
    assert_same(row_sums, RNG.random((500, 300))[::-1, ::2], jit_options=PARALLEL)


def full_reductions(a, b):
    return np.sum(a * b), np.prod(1.0 + a * 1e-7), a.min(), np.max(a), np.any(a > 0.999999)


def integer_sum(a):
    return np.sum(a)


@pytest.mark.parametrize("shape", [(LARGE,), (0,), (1,), (1000,), (700, 301), (3, LARGE),
                                   (LARGE, 2)])
def test_reductions_to_one_element_in_chunks(shape):
    a, b = RNG.random(shape), RNG.random(shape)
    if not a.size:  # min and max of nothing raise
        assert_same(full_reductions, a, b, raises=ValueError, jit_options=PARALLEL)
        return
    assert_same(full_reductions, a, b, rtol=1e-12, jit_options=PARALLEL)
    assert_same(full_reductions, a[::-1], b, rtol=1e-12, jit_options=PARALLEL)
    a.flat[a.size // 3] = np.nan  # the NaN reaches min and max through any chunk
    assert_same(full_reductions, a, b, rtol=1e-12, jit_options=PARALLEL)


def test_an_integer_sum_in_chunks_is_exact():
    assert_same(integer_sum, RNG.integers(-2**40, 2**40, 3 * LARGE), jit_options=PARALLEL)
    assert_same(integer_sum, RNG.integers(0, 9, (5, LARGE))[:, ::3], jit_options=PARALLEL)
    assert_same(integer_sum, np.zeros(0, np.int64), jit_options=PARALLEL)


def test_broadcasting_and_stencils():
    assert_same(broadcast_outer, RNG.random(700), RNG.random(400), jit_options=PARALLEL)
    a = RNG.random((300, 400))
    assert_same(stencil_steps, a, a.copy(), 3, jit_options=PARALLEL)


def test_an_overlapping_assignment_is_still_computed_first():
    assert_same(shifted_in_place, RNG.random(LARGE), jit_options=PARALLEL)


def test_integer_matmul():
    assert_same(integer_matmul, RNG.integers(-9, 9, (200, 300)),
                RNG.integers(-9, 9, (300, 250)), jit_options=PARALLEL)


OPTIMISED = {"parallel": True, "eager": True}


def test_the_optimising_tier_splits_the_same_work():
    """The tests above run the baseline tier; the optimising tier (LLVM -O3, outer-loop
    vectorisation) must give the same results from the same tasks."""
    a, b = RNG.random(LARGE), RNG.random(LARGE)
    assert_same(fused_exp, a, b, jit_options=OPTIMISED)
    assert_same(fused_exp, a[::-1].astype(np.float32), b[:LARGE].astype(np.float32),
                jit_options=OPTIMISED)
    assert_same(row_sums, RNG.random((500, 300))[::-1, ::2], jit_options=OPTIMISED)
    assert_same(full_reductions, RNG.random((700, 301)), RNG.random((700, 301)), rtol=1e-12,
                jit_options=OPTIMISED)
    assert_same(integer_sum, RNG.integers(-2**40, 2**40, 3 * LARGE), jit_options=OPTIMISED)
    m = RNG.random((300, 400))
    assert_same(stencil_steps, m, m.copy(), 3, jit_options=OPTIMISED)
    assert_same(shifted_in_place, RNG.random(LARGE), jit_options=OPTIMISED)
    assert_same(row_norms_prange, RNG.random((301, 77)), jit_options=OPTIMISED)
    for n in (LARGE, 65, 0):
        assert_same(sum_of_squares, RNG.random(n), rtol=1e-12, np_float_for_py_float=True,
                    jit_options=OPTIMISED)
    for start, stop, step in [(0, 5000, 1), (4999, -1, -1), (3, 4000, 7)]:
        assert_same(several_reductions, RNG.random(5000), start, stop, step, rtol=1e-12,
                    np_float_for_py_float=True, jit_options=OPTIMISED)


def test_parallel_is_part_of_the_key():
    serial = noodle.jit(fused_exp, cache=False)
    parallel = noodle.jit(fused_exp, cache=False, parallel=True)
    a = RNG.random(LARGE)
    np.testing.assert_array_equal(serial(a, a), parallel(a, a))
    assert "mlirAsyncRuntime" not in serial.inspect("llvm")
    assert "mlirAsyncRuntime" in parallel.inspect("llvm")


def row_norms_prange(m):
    out = np.empty(m.shape[0])
    for i in noodle.prange(m.shape[0]):
        s = 0.0  # assigned in the iteration: private to it
        for k in range(m.shape[1]):
            s += m[i, k] * m[i, k]
        out[i] = math.sqrt(s) + np.sum(m[i] * 0.0)
    return out


def strided_prange(a, start, stop, step):
    for i in noodle.prange(start, stop, step):
        a[i] = a[i] * 2.0 + i


def sum_of_squares(a):
    s = 0.0
    for i in noodle.prange(a.shape[0]):
        s += a[i] * a[i]
    return s


def several_reductions(a, start, stop, step):
    count = 0  # an integer sum: exact whatever the grouping
    product = 1.0
    low = high = a[0]
    negated = 0.0
    for i in noodle.prange(start, stop, step):
        count = count + i
        product *= 1.0 + a[i] * 1e-3
        low = min(low, a[i])
        high = max(high, a[i])
        if a[i] > 0.5:
            negated -= a[i]
    return count, product, low, high, negated


def widening_reduction(a):
    s = 0  # an int before the loop, a float after it, as in Python
    for i in noodle.prange(a.shape[0]):
        s += a[i]
    return s


def not_a_reduction(a):
    s = 0.0
    for i in noodle.prange(a.shape[0]):
        s = 2.0 * s + a[i]  # each iteration needs the one before
    return s


def read_besides_its_update(a):
    s = 0.0
    for i in noodle.prange(a.shape[0]):
        s += a[i]
        a[i] = s
    return s


def mixed_operators(a):
    s = 1.0
    for i in noodle.prange(a.shape[0]):
        s += a[i]
        s *= 2.0
    return s


def min_taking_the_item_first(a):
    low = a[0]
    for i in noodle.prange(a.shape[0]):
        low = min(a[i], low)  # a NaN a[i] replaces low: the order of iterations matters
    return low


def leaves_early(a):
    for i in noodle.prange(a.shape[0]):
        if a[i] < 0:
            break
        a[i] = 1.0


def fails_in_one_row(m):
    out = np.empty(m.shape[0])
    for i in noodle.prange(m.shape[0]):
        out[i] = math.sqrt(m[i, 0])
    return out


def counters_as_indices(a):
    out = np.zeros(a.shape[0])
    for i in noodle.prange(-4, 4):  # a counter from a negative start: wraps from the end
        out[i] += a[i]
    for i in noodle.prange(4, a.shape[0] - 4):
        out[i] += 2.0 * a[i]
    for i in range(-3, a.shape[0] - 3):
        out[i] += 0.5 * a[i]
    for i in range(a.shape[0] - 1, -1, -2):
        out[i] -= a[i - 1]  # i - 1 is -1 at the end: the last element
    return out


@pytest.mark.parametrize("options", [PARALLEL, {}])
def test_loop_counters_index_like_python(options):
    for n in (8, 9, 1000):
        assert_same(counters_as_indices, RNG.random(n), jit_options=options)


def store_each(a, start):
    for i in noodle.prange(a.shape[0]):
        a[i] = 1.0
    for i in noodle.prange(start, a.shape[0]):
        a[i] = 2.0


def test_a_counter_from_zero_needs_no_wrapping_from_the_end():
    """`a[i]` with i a prange counter from 0 is never a negative index: no compare with 0
    (in chunks, LLVM could not prove it itself, and stored elements one by one); with a
    start that may be negative, the wrapping stays."""
    unit, _, _ = pipeline.make_nir(store_each, (typeof(np.zeros(3)), typeof(0)),
                                   CompileOptions(parallel=True))
    text = str(unit.module)
    assert text.count("arith.cmpi slt") == 1


def test_prange_rows():
    assert_same(row_norms_prange, RNG.random((257, 33)), jit_options=PARALLEL)
    assert_same(row_norms_prange, RNG.random((3, 5)), jit_options=PARALLEL)


@pytest.mark.parametrize("start, stop, step", [(0, 100, 1), (99, -1, -1), (5, 90, 7),
                                               (10, 10, 1), (50, 0, -3)])
def test_prange_with_any_step(start, stop, step):
    assert_same(strided_prange, RNG.random(100), start, stop, step, jit_options=PARALLEL)
    assert_same(strided_prange, RNG.random(100), start, stop, step)  # range without parallel


def each_iteration_once(hits, start, stop, step):
    for i in noodle.prange(start, stop, step):
        hits[i] += 1 + i


EACH_ITERATION_ONCE = noodle.jit(each_iteration_once, fallback=False, parallel=True,
                                 cache=False)


@HYPOTHESIS
@given(st.integers(0, 5000), st.integers(-7, 7).filter(bool), st.integers(0, 40))
def test_a_prange_loop_runs_each_iteration_once(n, step, offset):
    # in chunks of any length (guided-parallel-loops), the last ones empty or not
    start, stop = (offset, n) if step > 0 else (n - 1, offset - 1)
    hits, expected = np.zeros(n + 1, dtype=np.int64), np.zeros(n + 1, dtype=np.int64)
    EACH_ITERATION_ONCE(hits, start, stop, step)
    each_iteration_once(expected, start, stop, step)
    assert np.array_equal(hits, expected)


@pytest.mark.parametrize("n", [LARGE, 1000, 63, 64, 65, 1, 0])
def test_prange_sum_reduction(n):
    assert_same(sum_of_squares, RNG.random(n), rtol=1e-12, np_float_for_py_float=True,
                jit_options=PARALLEL)


@pytest.mark.parametrize("start, stop, step", [(0, 5000, 1), (4999, -1, -1), (3, 4000, 7),
                                               (10, 10, 1), (0, 40, 1)])
def test_prange_reductions_of_each_operator(start, stop, step):
    a = RNG.random(5000)
    assert_same(several_reductions, a, start, stop, step, rtol=1e-12,
                np_float_for_py_float=True, jit_options=PARALLEL)


@HYPOTHESIS
@given(st.integers(0, 3000), st.integers(-5, 5).filter(bool), st.integers(0, 2**32))
def test_prange_reductions_on_any_range(n, step, seed):
    # any trip count and step: chunk boundaries fall anywhere, remainders included
    a = np.random.default_rng(seed).random(n + 1)
    start, stop = (0, n) if step > 0 else (n, -1)
    assert_same(several_reductions, a, start, stop, step, rtol=1e-12,
                np_float_for_py_float=True, jit_options=PARALLEL)


def min_max_of_items(a, low, high):
    for i in noodle.prange(a.shape[0]):
        low = min(low, a[i])
        high = max(high, a[i])
    return low, high


def min_max_of_integers_either_way(a):
    low = high = a[0]
    for i in noodle.prange(a.shape[0]):
        low = min(a[i], low)  # integers: no NaN, no signed zero, so either order is exact
        high = max(high, a[i])
    return low, high


@pytest.mark.parametrize("n", [LARGE, 200])
def test_min_max_reductions_are_bit_exact(n):
    # NaN and zeros of both signs anywhere in the chunks, and as the start values
    a = RNG.random(n)
    a[[5, n // 2, n - 1]] = [np.nan, -0.0, 0.0]
    compiled = noodle.jit(min_max_of_items, fallback=False, parallel=True, cache=False)
    for low, high in [(np.inf, -np.inf), (0.0, -0.0), (-0.0, 0.0), (np.nan, 1.0)]:
        for items in (a, -a, a * 0.0):
            expected, got = min_max_of_items(items, low, high), compiled(items, low, high)
            assert [(math.isnan(x), str(x)) for x in got] == \
                [(math.isnan(x), str(x)) for x in expected], (low, high)  # -0.0 vs 0.0 too
    assert_same(min_max_of_integers_either_way, RNG.integers(-9, 9, n), jit_options=PARALLEL)


def test_a_reduction_widens_like_python():
    assert_same(widening_reduction, RNG.random(3000), rtol=1e-12, np_float_for_py_float=True,
                jit_options=PARALLEL)


def test_a_reduction_runs_in_tasks():
    compiled = noodle.jit(sum_of_squares, fallback=False, parallel=True, cache=False)
    compiled(RNG.random(10))
    assert "mlirAsyncRuntime" in compiled.inspect("llvm")


@pytest.mark.parametrize("function, words", [
    (not_a_reduction, "carries `s`"), (read_besides_its_update, "carries `s`"),
    (mixed_operators, "carries `s`"), (leaves_early, "cannot be left early"),
    (min_taking_the_item_first, r"write `low = min\(low, x\)`")])
def test_prange_refuses_dependent_iterations(function, words):
    with pytest.raises(noodle.UnsupportedError, match=words):
        noodle.jit(function, fallback=False, parallel=True, cache=False)(RNG.random(10))


def sum_of_roots(a):
    s = 0.0
    for i in noodle.prange(a.shape[0]):
        s += math.sqrt(a[i])
    return s


def test_a_failing_iteration_of_a_reduction_raises():
    a = RNG.random(5000)
    assert_same(sum_of_roots, a, rtol=1e-12, jit_options=PARALLEL)
    a[4321] = -1.0
    assert_same(sum_of_roots, a, raises=ValueError, jit_options=PARALLEL)


def test_a_failing_iteration_raises():
    m = RNG.random((200, 2))
    m[137, 0] = -1.0
    with pytest.raises(ValueError, match="math domain error"):
        noodle.jit(fails_in_one_row, fallback=False, parallel=True, cache=False)(m)


def test_numba_prange_means_the_same():
    numba = pytest.importorskip("numba", reason="Numba is not installed")

    def numba_style(a):
        for i in numba.prange(a.shape[0]):
            a[i] += 1.0

    compiled = noodle.jit(numba_style, fallback=False, parallel=True, cache=False)
    a = np.zeros(100_000)
    compiled(a)
    assert (a == 1.0).all() and "mlirAsyncRuntime" in compiled.inspect("llvm")
