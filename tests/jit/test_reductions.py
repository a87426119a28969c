"""Reductions and linear algebra: np.sum/min/max/mean/prod with axis= and keepdims=,
the method forms, NumPy's result dtypes (small ints sum to int64, mean of ints is
float64), empty inputs, NaN propagation; np.cumsum/np.cumprod; ``@``, np.dot, np.matmul."""
import math
import re

import numpy as np
import pytest
from hypothesis import given, strategies as st

import noodle

from .harness import HYPOTHESIS, assert_same, float_array_pairs

RNG = np.random.default_rng(11)


def full_reductions(a):
    return np.sum(a), np.min(a), np.max(a), np.mean(a), np.prod(a)


def method_reductions(a):
    return a.sum(), a.min(), a.max(), a.mean(), a.prod()


@pytest.mark.parametrize("a", [
    RNG.standard_normal(200),
    RNG.standard_normal((7, 9)),
    RNG.standard_normal((9, 7)).T[::-1],
    RNG.random(100).astype(np.float32) + 0.5,
    RNG.integers(-9, 10, 30),
    RNG.integers(-9, 10, 30).astype(np.int32),
    RNG.integers(0, 20, 30).astype(np.uint8),
    RNG.random(20) > 0.5,
], ids=["f64-1d", "f64-2d", "f64-view", "f32", "int64", "int32", "uint8", "bool"])
def test_full_reductions_and_result_types(a):
    # np.sum(int32) is int64, np.sum(uint8) uint64, np.mean(int) float64, np.max(int32) int32
    assert_same(full_reductions, a)
    assert_same(method_reductions, a)


def test_reductions_propagate_nan():
    assert_same(full_reductions, np.array([1.0, np.nan, -2.0, 5.0]))
    assert_same(full_reductions, np.array([np.nan, 1.0]))
    assert_same(full_reductions, np.array([np.inf, 1.0, -np.inf]))


def empty_ok(a):
    return np.sum(a), np.prod(a), a.sum()


def test_empty_sum_and_prod():
    assert_same(empty_ok, np.zeros(0))
    assert_same(empty_ok, np.zeros((0, 4)))


def empty_max(a):
    return np.max(a)


def test_max_of_empty_raises_value_error():
    assert_same(empty_max, np.zeros(0), raises=ValueError)


def axis_reductions(a):
    return (np.sum(a, axis=0), np.sum(a, axis=1), np.sum(a, axis=-1),
            np.max(a, axis=0), np.min(a, axis=1), np.mean(a, axis=0), np.prod(a, axis=1),
            np.sum(a, axis=0, keepdims=True), np.max(a, axis=-1, keepdims=True),
            np.mean(a, axis=1, keepdims=True), np.sum(a, keepdims=True),
            a.sum(axis=1), a.max(axis=0, keepdims=True), a.min(axis=-1), a.mean(axis=1))


@pytest.mark.parametrize("a", [
    RNG.standard_normal((6, 5)),
    RNG.standard_normal((5, 6)).T,
    RNG.standard_normal((12, 10))[::-2, 1::3],
    RNG.integers(-5, 5, (4, 7)),
    RNG.random((3, 8)).astype(np.float32),
    np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]]),
], ids=["f64", "transposed", "reversed-strided", "int64", "f32", "nan"])
def test_axis_and_keepdims(a):
    assert_same(axis_reductions, a)


def test_axis_reductions_with_empty_axis():
    # sum/prod over an empty axis give 0/1; max over the non-empty axis is empty
    assert_same(axis_reductions_empty_ok, np.zeros((0, 3)))


def axis_reductions_empty_ok(a):
    return np.sum(a, axis=0), np.prod(a, axis=0), np.max(a, axis=1), np.sum(a, axis=1)


def reductions_3d(a):
    return np.sum(a, axis=1), np.max(a, axis=0), np.mean(a, axis=2, keepdims=True), a.sum()


def test_3d_reductions():
    assert_same(reductions_3d, RNG.standard_normal((3, 4, 5)))
    assert_same(reductions_3d, RNG.standard_normal((5, 4, 3)).transpose(2, 1, 0))


def runtime_axis(a, ax):
    return np.sum(a, axis=ax)


def test_axis_given_as_a_variable():
    a = RNG.standard_normal((4, 6))
    for ax in (0, 1, -1):
        assert_same(runtime_axis, a, ax)


def any_all(a):
    return np.any(a), np.all(a), a.any(axis=0), a.all(axis=-1, keepdims=True)


def any_all_runtime_axis(a, ax):
    return np.any(a, axis=ax), np.all(a, axis=ax)


@pytest.mark.parametrize("a", [
    np.array([[1, 2], [0, 3]]),
    np.array([[0, 0], [0, 200]], np.uint8),
    np.array([[np.nan, 0.0], [-0.0, 0.0]]),
    np.array([[1.5, 0.0, 2.0]], np.float32).T[::-1],
    np.zeros((0, 3), np.int32),
    np.array([[True, False], [True, True]]),
], ids=["int64", "uint8", "nan-and-zeros", "f32-view", "empty", "bool"])
def test_any_all_of_numbers_test_each_against_zero(a):
    # as NumPy: NaN is true and -0.0 false; a non-bool array once failed to lower
    assert_same(any_all, a)
    assert_same(any_all, a, jit_options={"eager": True, "parallel": True})
    for ax in (0, -1):
        assert_same(any_all_runtime_axis, a, ax)


def reduce_expression(a, b):
    return np.sum(a * b), np.max(np.abs(a - b)), np.mean((a - b) ** 2), np.min(a + 1.0)


@HYPOTHESIS
@given(float_array_pairs(1, 60))
def test_reductions_of_expressions(ab):
    a, b = ab
    assert_same(reduce_expression, a, b, atol=1e-6)


def reduce_in_loop(m):
    out = np.empty(m.shape[0])
    for i in range(m.shape[0]):
        out[i] = m[i].sum() / m[i].max()
    return out


def test_reduction_of_row_views_in_a_loop():
    assert_same(reduce_in_loop, RNG.random((6, 9)) + 0.1)


def matmuls(a, b):
    return a @ b, np.dot(a, b), np.matmul(a, b)


@pytest.mark.parametrize("a, b", [
    (RNG.random((3, 4)), RNG.random((4, 5))),
    (RNG.random((4, 3)).T, RNG.random((5, 4)).T),
    (RNG.random((6, 8))[::2, ::-2], RNG.random((4, 2))),
    (RNG.random((3, 4)), RNG.random(4)),
    (RNG.random(3), RNG.random((3, 5))),
    (RNG.random(7), RNG.random(7)),
    (RNG.random((3, 0)), RNG.random((0, 2))),
    (RNG.integers(-5, 5, (3, 4)), RNG.integers(-5, 5, (4, 2))),
    (RNG.random((3, 4)).astype(np.float32), RNG.random((4, 5)).astype(np.float32)),
    # the layouts BLAS takes (row or column contiguous, leading dimension > the size),
    # and those it does not (zero strides, both strides > 1)
    (np.asfortranarray(RNG.random((70, 90))), RNG.random((90, 33))),
    (RNG.random((40, 90))[:, 5:60], np.asfortranarray(RNG.random((80, 20)))[10:65]),
    (np.broadcast_to(RNG.random(6), (4, 6)), RNG.random((6, 3))),
    (RNG.random((8, 12))[::2, ::3], RNG.random((4, 5))),
    (np.asfortranarray(RNG.random((5, 7)).astype(np.float32)),
     RNG.random((5, 7)).astype(np.float32).T),
    (np.array([[np.nan, 1.0], [np.inf, 2.0]]), np.array([[1.0, 0.0], [-np.inf, 1.0]])),
    (RNG.random((0, 4)), RNG.random((4, 3))),
], ids=["2d@2d", "transposed", "strided", "2d@1d", "1d@2d", "1d@1d-scalar",
        "empty-inner", "int64", "float32", "fortran@c", "sliced-leading-dims",
        "zero-strides", "both-strided", "float32-fortran", "nan-inf", "no-rows"])
def test_matmul_dot(a, b):
    assert_same(matmuls, a, b)


def test_float_matrix_products_call_blas():
    from noodle.compiler import pipeline
    from noodle.compiler.blas import numpy_blas
    from noodle.compiler.options import CompileOptions
    from noodle.compiler.types import typeof

    if numpy_blas() is None:
        pytest.skip("this NumPy's BLAS is not one noodle can call: matmul loops")
    for dtype, routine in ((np.float64, "noodle_blas_dgemm"), (np.float32, "noodle_blas_sgemm")):
        a = np.zeros((2, 2), dtype)
        kernel = pipeline.compile_function(matmuls, (typeof(a), typeof(a)), CompileOptions())
        assert f"call void @{routine}(" in kernel.stages["llvm"]


def batched_matmul(a, b):
    return a @ b, np.matmul(a, b)


def test_batched_matmul():
    assert_same(batched_matmul, RNG.random((2, 3, 4)), RNG.random((4, 5)))


def gemm_like(alpha, beta, C, A, B):
    C[:] = alpha * A @ B + beta * C
    return np.sum(C)


def test_gemm_in_place_update():
    assert_same(gemm_like, 1.5, -0.5, RNG.random((4, 5)), RNG.random((4, 3)), RNG.random((3, 5)))


def sum_of_products(a, b):
    return np.sum(a * b)


@pytest.mark.parametrize("dtype, packed_add", [(np.float64, "vaddpd"), (np.float32, "vaddps")],
                         ids=["f64", "f32"])
def test_float_sums_run_on_simd_lanes(dtype, packed_add):
    """np.sum may regroup (NumPy's own is pairwise): the optimising tier keeps partial
    sums in vector registers, ymm or zmm, instead of one scalar running total."""
    from noodle.compiler import backend, pipeline
    from noodle.compiler.options import CompileOptions
    from noodle.compiler.types import typeof

    if "+avx2" not in backend.host_cpu()[1].split(","):
        pytest.skip("needs a CPU with AVX2")
    options = CompileOptions(tier="optimising")
    a = np.zeros(3, dtype)
    kernel = pipeline.compile_function(sum_of_products, (typeof(a), typeof(a)), options)
    assert re.search(rf"\t{packed_add}\t.*%[yz]mm", pipeline.assembly(kernel, options))


def running_total(a):
    total = 0.0
    for i in range(a.shape[0]):
        total += a[i]
    return total


def test_a_sum_the_user_writes_as_a_loop_keeps_its_order():
    # regrouped, 1e16 + 1 + ... would keep some of the ones that a running total loses
    a = np.tile([1e16, 1.0, 1.0, -1e16], 64)
    compiled = noodle.jit(eager=True)(running_total)
    assert compiled(a) == running_total(a)
    assert compiled(a) != math.fsum(a)


def test_a_regrouped_float32_sum_is_closer_than_a_running_total():
    a = np.full(1_000_000, 0.1, np.float32)
    exact = math.fsum(a.astype(np.float64))
    running = float(np.cumsum(a)[-1])  # cumsum adds left to right
    regrouped = float(noodle.jit(eager=True)(sum_of_products)(a, np.ones_like(a)))
    assert abs(regrouped - exact) < abs(running - exact) / 10


def min_max_every_way(a):
    return (np.max(a), np.min(a), a.max(axis=0), a.min(axis=1),
            np.max(a, axis=1, keepdims=True), np.min(a * 2.0 - 1.0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("where", ["none", "first", "last", "middle", "one-row", "all"])
def test_float_min_max_propagate_nan_wherever_it_is(dtype, where):
    """The float min/max reductions run on SIMD lanes as though no element were NaN, and
    put NaN back where one was: NaN must come out of exactly the rows, columns and
    totals that hold one, at any position in a vector or its remainder."""
    a = RNG.standard_normal((37, 70)).astype(dtype)
    a[3, 5], a[4, 6] = np.inf, -np.inf
    a[5, :3] = [0.0, -0.0, 0.0]
    if where == "first":
        a[0, 0] = np.nan
    elif where == "last":
        a[-1, -1] = np.nan
    elif where == "middle":
        a[20, 33] = np.nan
    elif where == "one-row":
        a[7] = np.nan
    elif where == "all":
        a[:] = np.nan
    for tier in ({}, {"eager": True}):  # LLVM's optimisations are where nnan could bite
        assert_same(min_max_every_way, a, jit_options=tier)
        assert_same(min_max_every_way, a[::-1, ::3], jit_options=tier)
        assert_same(min_max_every_way, np.asfortranarray(a), jit_options=tier)


@pytest.mark.parametrize("dtype, packed_max", [(np.float64, "vmaxpd"), (np.float32, "vmaxps")],
                         ids=["f64", "f32"])
def test_float_max_runs_on_simd_lanes(dtype, packed_max):
    """One packed max per vector (on ymm or zmm registers), not a scalar loop."""
    from noodle.compiler import backend, pipeline
    from noodle.compiler.options import CompileOptions
    from noodle.compiler.types import typeof

    if "+avx2" not in backend.host_cpu()[1].split(","):
        pytest.skip("needs a CPU with AVX2")
    options = CompileOptions(tier="optimising")
    kernel = pipeline.compile_function(max_of, (typeof(np.zeros(3, dtype)),), options)
    assert re.search(rf"\t{packed_max}\t.*%[yz]mm", pipeline.assembly(kernel, options))


def max_of(a):
    return np.max(a)


def scans_without_axis(a):
    return np.cumsum(a), np.cumprod(a), a.cumsum(), np.cumsum(a, dtype=np.float32)


def scans_along_axes(m):
    return (np.cumsum(m, axis=0), np.cumsum(m, 1), m.cumprod(axis=-1), np.cumsum(m),
            m.cumsum(0, np.int8), np.cumprod(m, 0, np.float64))


SCAN_DTYPES = [np.bool_, np.int8, np.uint8, np.int32, np.uint32, np.int64, np.float32,
               np.float64]


@HYPOTHESIS
@given(st.sampled_from(SCAN_DTYPES), st.integers(0, 40), st.integers(1, 3),
       st.sampled_from([1, -1]))
def test_cumulative_sums_and_products_of_vectors(dtype, n, step, direction):
    """Bit for bit: NumPy accumulates one element after another; small integers and
    bools accumulate as int64 (uint64), wrapping around."""
    base = (np.random.default_rng(n).random(n * step) * 9 - 3).astype(dtype)
    assert_same(scans_without_axis, base[::step * direction])


@pytest.mark.parametrize("m", [
    np.arange(12).reshape(3, 4),
    np.arange(12.0).reshape(3, 4).T[::-1],
    np.random.default_rng(2).random((5, 7)).astype(np.float32)[:, ::2],
    np.ones((0, 3), np.int16),
], ids=["int", "transposed-reversed", "float32-strided", "empty"])
def test_cumulative_sums_and_products_along_axes(m):
    assert_same(scans_along_axes, m)


def scan_of_a_scalar(x):
    return np.cumsum(x), np.cumprod(x)


def test_a_scalar_accumulates_as_a_vector_of_one():
    assert_same(scan_of_a_scalar, 2.5)
    assert_same(scan_of_a_scalar, 7)


def arg_extremes(a, m):
    return (np.argmax(a), np.argmin(a), a.argmax(), m.argmin(), np.argmax(m, axis=0),
            np.argmin(m, 1), m.argmax(axis=-1))


@pytest.mark.parametrize("a, m", [
    (np.array([3.0, 1.0, 3.0, 0.0]), np.arange(12.0).reshape(3, 4)[::-1]),  # first wins
    (np.array([1.0, np.nan, 5.0, np.nan]), np.array([[1.0, np.nan], [np.nan, 0.0]])),
    (np.array([5, 5, -1], np.int8), np.array([[True, False], [False, True]])),
    (np.array([-np.inf, np.inf]), np.random.default_rng(1).random((5, 7)).astype(np.float32).T),
    (np.array([7], np.uint64), np.ones((1, 3))),
], ids=["ties", "nan", "int-and-bool", "inf-and-float32", "one"])
def test_argmax_and_argmin_as_numpy(a, m):
    """The first extreme wins; the first NaN is the extreme once one is seen."""
    assert_same(arg_extremes, a, m)


@HYPOTHESIS
@given(st.lists(st.sampled_from([0.0, 1.0, -1.0, 2.5, np.nan, np.inf, -np.inf]),
                min_size=1, max_size=12), st.integers(1, 3))
def test_argmax_and_argmin_of_random_values(values, rows):
    a = np.array(values)
    assert_same(arg_extremes, a, np.tile(a, (rows, 1)))


def argmax_of_nothing(a):
    return np.argmax(a)


def test_argmax_of_an_empty_array_raises_value_error():
    assert_same(argmax_of_nothing, np.zeros(0), raises=ValueError)
    assert_same(argmax_of_nothing, np.zeros((3, 0)), raises=ValueError)


def variances(a, m, ddof):
    return (np.var(a), np.std(a), a.var(), m.std(axis=0), np.var(m, 1),
            np.var(m, axis=(0, 1), keepdims=True), np.std(m, ddof=1), np.var(a, ddof=ddof),
            m.var(axis=-1, ddof=ddof))


@pytest.mark.parametrize("a, m, ddof", [
    (np.arange(5.0), np.arange(12.0).reshape(3, 4)[::-1], 1),
    (np.arange(5, dtype=np.float32), RNG.random((4, 6)).astype(np.float32).T, 0),
    (np.arange(7), np.arange(12).reshape(3, 4), 2),          # ints: float64
    (np.zeros(0), np.ones((2, 0)), 0),                        # no elements: NaN
    (np.array([True, False]), np.array([[1.0, np.nan]]), 1),
    (np.arange(3.0), np.ones((2, 2)), 5),                     # ddof past n: inf or NaN
], ids=["float64", "float32", "int", "empty", "bool-and-nan", "big-ddof"])
def test_var_and_std_as_numpy(a, m, ddof):
    with np.errstate(all="ignore"):
        assert_same(variances, a, m, ddof, rtol=1e-6)


def nan_reductions(a, m, i):
    return (np.nansum(a), np.nanmax(a), np.nanmin(a), np.nanmean(a), np.nanprod(a),
            np.nanmax(m, axis=0), np.nansum(m, axis=1), np.nanmean(m, axis=0),
            np.nanmin(m, axis=1, keepdims=True),
            np.nansum(i), np.nanmax(i), np.nanmean(i))


@pytest.mark.parametrize("a, m, i", [
    (np.array([1.0, np.nan, 3.0]), np.array([[1.0, np.nan], [np.nan, np.nan]]), np.arange(4)),
    (np.array([np.nan, np.nan]), np.array([[np.nan, -np.inf]]), np.array([True, False])),
    (np.array([-np.inf, np.nan]), np.ones((2, 3), np.float32), np.arange(3, dtype=np.int8)),
], ids=["some-nan", "all-nan", "inf-and-float32"])
def test_nan_reductions_leave_nan_out_as_numpy(a, m, i):
    with np.errstate(all="ignore"):
        assert_same(nan_reductions, a, m, i)


def nanmax_of_nothing(a):
    return np.nanmax(a)


def test_nanmax_of_an_empty_array_raises_value_error():
    assert_same(nanmax_of_nothing, np.zeros(0), raises=ValueError)


def sorts(a, m):
    b = a.copy()
    b.sort()
    return np.sort(a), np.sort(m), np.sort(m, axis=None), b, np.sort(a[::-2])


@HYPOTHESIS
@given(st.lists(st.sampled_from([0.0, -0.0, 1.5, -2.0, 7.0, np.nan, np.inf, -np.inf]),
                max_size=40), st.integers(1, 4))
def test_sort_orders_as_numpy_with_nan_last(values, rows):
    a = np.array(values, dtype=np.float64)
    m = np.resize(a, (rows, max(len(values) // rows, 1))) if len(values) else np.ones((rows, 0))
    assert_same(sorts, a, m)


@pytest.mark.parametrize("a, m", [
    (np.random.default_rng(0).integers(-5, 5, 300),
     np.random.default_rng(1).integers(0, 9, (3, 7)).astype(np.uint8)),
    (np.array([True, False, True]), np.random.default_rng(2).random((4, 33)).astype(np.float32)),
], ids=["int-and-uint8", "bool-and-float32"])
@pytest.mark.parametrize("options", [{}, {"eager": True}], ids=["baseline", "optimising"])
def test_sort_of_integers_and_bools(a, m, options):
    assert_same(sorts, a, m, jit_options=options)


def sort_rows_in_place(m):
    v = m[:, ::-1]
    v.sort()  # the rows of a view, in place: m sees them
    return m


def test_sort_in_place_through_a_view():
    assert_same(sort_rows_in_place, np.random.default_rng(3).random((3, 5)))


def median_of(a):
    return np.median(a)


@pytest.mark.parametrize("a", [
    np.array([3.0, 1.0, 2.0]), np.array([4, 1, 3, 2]), np.array([1.0, np.nan, 3.0]),
    np.zeros(0), np.float32([1, 2, 4, 7]), np.array([True, False]),
    np.arange(6).reshape(2, 3)[:, ::-1], np.array([1e308, 1e308, 1e308]),
    np.random.default_rng(4).random(1001), 2.5,
], ids=["odd", "even-ints", "nan", "empty", "float32", "bool", "2d-view", "huge", "random",
        "scalar"])
def test_median_of_the_whole_array_as_numpy(a):
    with np.errstate(all="ignore"):
        assert_same(median_of, a)


def medians_along(a):
    return np.median(a, axis=0), np.median(a, axis=-1), np.median(a, 1)


@HYPOTHESIS
@given(st.sampled_from(["float64", "float32", "int64", "uint8", "bool"]),
       st.sampled_from([(3, 4), (4, 5), (1, 6), (3, 0), (0, 3)]),
       st.lists(st.sampled_from([0.0, 1.0, 2.5, -3.0, np.nan, np.inf, 1e308, 100.0]),
                min_size=30, max_size=30))
def test_median_along_an_axis_as_numpy(dtype, shape, values):
    with np.errstate(all="ignore"):
        a = np.asarray(values[:shape[0] * shape[1]]).astype(dtype).reshape(shape)
        assert_same(medians_along, a)
        assert_same(medians_along, a[::-1, ::2])


def median_of_3d(c):
    return np.median(c, axis=1), np.median(c.transpose(2, 0, 1), axis=2)


def test_median_along_an_axis_of_three():
    assert_same(median_of_3d, np.random.default_rng(9).normal(size=(2, 3, 4)))


def zero_signs(a):
    return np.cumsum(a), np.median(a), np.median(a[:1]), np.median(a[:2])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_signs_of_zero_as_numpy(dtype):
    """A cumulative sum keeps a leading -0.0; a median is a mean, a sum from 0.0."""
    a = np.array([-0.0, -0.0, 1.0], dtype=dtype)
    expected = assert_same(zero_signs, a)
    got = noodle.jit(zero_signs, cache=False, fallback=False)(a)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(np.signbit(g), np.signbit(e))


def arg_extremes_of_a_vector(a):
    return np.argmax(a, axis=0), np.argmin(a, axis=-1), a.argmax(axis=0)


def test_arg_extremes_along_the_only_axis_are_numpy_ints():
    assert_same(arg_extremes_of_a_vector, np.array([3.0, 7.0, 7.0, -1.0]))


def ufunc_reductions(m):
    return (np.add.reduce(m), np.add.reduce(m, axis=None), np.maximum.reduce(m, axis=1),
            np.logical_and.reduce(m), np.multiply.reduce(m), np.minimum.reduce(m, 0),
            np.logical_or.reduce(m, axis=-1), np.add.reduce(m, 0, keepdims=True),
            np.add.accumulate(m), np.multiply.accumulate(m, axis=1))


@pytest.mark.parametrize("dtype", ["float64", "float32", "int8", "uint8", "bool"])
def test_ufunc_reduce_and_accumulate_as_numpy(dtype):
    """Along axis 0 by default; small integers sum in int64, as np.sum's."""
    with np.errstate(all="ignore"):
        m = np.array([[100, 100, np.nan], [3, 4, -2]]).astype(dtype)
        assert_same(ufunc_reductions, m)
        assert_same(ufunc_reductions, m[:, ::-1])


def unsupported_ufunc_method(a):
    return np.subtract.reduce(a)


def test_other_ufunc_methods_are_refused_by_name():
    with pytest.raises(noodle.UnsupportedError, match="np.subtract.reduce"):
        noodle.jit(unsupported_ufunc_method, cache=False, fallback=False)(np.ones(3))


def averages(a, w):
    return (np.average(a), np.average(a, axis=0), np.average(a, weights=w),
            np.average(a, axis=1, weights=w), np.average(a, 0, w, keepdims=True))


def average_along(a, w):
    return np.average(a, axis=1, weights=w)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "uint8", "bool"])
@pytest.mark.parametrize("weight_dtype", ["float64", "float32", "int32"])
def test_average_as_numpy(dtype, weight_dtype):
    """Weighted sums in result_type(a, w) (float64 at least for integers and bools)."""
    a = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    w = (np.arange(12).reshape(3, 4) % 3 + 1).astype(weight_dtype)
    assert_same(averages, a, w, rtol=1e-6 if "float32" in (dtype, weight_dtype) else 1e-12)
    assert_same(average_along, a, np.array([1, 2, 0, 1]).astype(weight_dtype), rtol=1e-6)


def test_average_s_errors_as_numpy():
    assert_same(averages, np.ones((2, 2)), np.zeros((2, 2)), raises=ZeroDivisionError)
    assert_same(averages, np.ones((2, 2)), np.ones((2, 3)), raises=TypeError)
    assert_same(average_along, np.ones((2, 2)), np.ones(3), raises=ValueError)


def average_of_nothing(a):
    return np.average(a, axis=1)


def test_average_s_other_errors_as_numpy():
    """NumPy divides a.size by the result's size (ZeroDivisionError where it is empty),
    and wants weights that fit a given axis (ValueError)."""
    assert_same(average_of_nothing, np.zeros((0, 3)), raises=ZeroDivisionError)
    assert_same(average_along, np.ones((3, 1)), np.ones((2, 5)), raises=ValueError)
