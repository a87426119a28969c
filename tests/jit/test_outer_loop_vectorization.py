"""Loops vectorised around an inner loop (`vectorize-outer-loops`, optimising tier)
against CPython: each lane does its iteration's ops in their order, so results are the
serial ones bit for bit (compared with rtol=0) on every length (whole groups of lanes
and the iterations left over), on strided, reversed and transposed inputs, NaN and inf;
inner while loops and branches whose conditions vary by lane (run under a mask, their
results selected and their loads and stores masked); and loops the pass must leave
alone (a result written into an argument that may be the input, a bound that varies, a
division a lane must not do) still compute what Python does."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from noodle.compiler.backend import simd_bits

from .harness import HYPOTHESIS, assert_same, jitted

OPTIMISING = {"eager": True}


def pairwise_distance(x):
    n = x.shape[0]
    d = np.empty((n, n), dtype=x.dtype)
    for i in range(n):
        for j in range(n):
            s = 0.0
            for k in range(x.shape[1]):
                t = x[i, k] - x[j, k]
                s += t * t
            d[i, j] = math.sqrt(s)
    return d


def column_sums(a):
    out = np.zeros(a.shape[1], dtype=a.dtype)
    for j in range(a.shape[1]):
        s = 0.0
        for k in range(a.shape[0]):
            s += a[k, j]
        out[j] = s
    return out


def integer_column_sums(a):
    out = np.zeros(a.shape[1], dtype=a.dtype)
    for j in range(a.shape[1]):
        s = 0
        for k in range(a.shape[0]):
            s += a[k, j] * 3 - k
        out[j] = s
    return out


def column_sums_into(a, out):
    for j in range(a.shape[1]):
        s = 0.0
        for k in range(a.shape[0]):
            s += a[k, j]
        out[j] = s


def scaled_column_norms(a, scale):
    out = np.empty(a.shape[1])
    for j in range(a.shape[1]):
        s = 0.0
        for k in range(a.shape[0]):
            v = a[k, j]
            if scale > 0.0:  # the same branch for every lane
                v = v * scale
            s += v * v
        out[j] = math.sqrt(s) + j
    return out


def two_outputs(a, first, second):
    t = a * 2.0
    for j in range(a.shape[1]):
        s = 0.0
        for k in range(a.shape[0]):
            s += t[k, j]
        first[j] = s
        second[j] = -s


def lower_triangle_sums(a):
    out = np.zeros(a.shape[1])
    for j in range(a.shape[1]):
        s = 0.0
        for k in range(j):  # a bound that varies with j: not vectorised
            s += a[k, j]
        out[j] = s
    return out


def escape_times(xmin, xmax, ymin, ymax, width, height, maxiter):
    out = np.zeros((height, width), dtype=np.int64)
    for j in range(height):
        y = ymin + (ymax - ymin) * j / (height - 1)
        for i in range(width):
            x = xmin + (xmax - xmin) * i / (width - 1)
            zr = 0.0
            zi = 0.0
            n = 0
            while n < maxiter and zr * zr + zi * zi <= 4.0:
                zr, zi = zr * zr - zi * zi + x, 2.0 * zr * zi + y
                n += 1
            out[j, i] = n
    return out


def clipped_column_sums(a):
    out = np.zeros(a.shape[1])
    for j in range(a.shape[1]):
        s = 0.0
        for k in range(a.shape[0]):
            v = a[k, j]
            if v > 0.5:  # a branch that varies with j: both run, lanes select
                s += v * 2.0
            else:
                s -= 1.0
        out[j] = s
    return out


def escape_radii(xs, maxiter):
    """What a lane keeps when it leaves the loop: floats, not only the count."""
    out = np.zeros(xs.shape[0])
    for i in range(xs.shape[0]):
        x = xs[i]
        zr = 0.0
        zi = 0.0
        n = 0
        while n < maxiter and zr * zr + zi * zi <= 4.0:
            zr, zi = zr * zr - zi * zi + x, 2.0 * zr * zi + 0.25
            n += 1
        out[i] = zr * zr + zi * zi + n
    return out


def banded_column_sums(a):
    out = np.zeros(a.shape[1])
    for j in range(a.shape[1]):
        s = 0.0
        for k in range(a.shape[0]):
            v = a[k, j]
            if v > 0.3:  # branches in branches, all varying
                if v > 0.6:
                    s += v
                else:
                    s -= v
            else:
                s *= 0.5
        out[j] = s
    return out


def positive_column_sums(a):
    out = np.full(a.shape[1], -1.0)
    for j in range(a.shape[1]):
        s = 0.0
        for k in range(a.shape[0]):
            s += a[k, j]
        if s > 0.0:  # a store only some lanes make: masked
            out[j] = s
    return out


def rows_within(table, limits):
    """For each limit, how many of the table's first entries are within it."""
    out = np.zeros(limits.shape[0], dtype=np.int64)
    for j in range(limits.shape[0]):
        limit = limits[j]
        k = 0
        # a lane past the table's end must not load table[k]: each lane's load is masked
        while k < table.shape[0] and table[k] <= limit:
            k += 1
        out[j] = k
    return out


def rows_picked_where_large(a, rows):
    out = np.zeros(a.shape[1])
    for j in range(a.shape[1]):
        s = 0.0
        for k in range(a.shape[0]):
            if a[k, j] > 0.5:  # a load only some lanes make: masked
                s += a[rows[k], j]
        out[j] = s
    return out


def quotients_where_nonzero(a):
    out = np.zeros(a.shape[1], dtype=np.int64)
    for j in range(a.shape[1]):
        s = 0
        for k in range(a.shape[0]):
            v = a[k, j]
            if v != 0:  # a branch around a division, which no lane runs for nothing
                s += 1000 // v
        out[j] = s
    return out


def points(dtype) -> st.SearchStrategy:
    shapes = st.tuples(st.integers(0, 13), st.integers(0, 5))
    return hnp.arrays(dtype, shapes, elements=st.floats(-1e3, 1e3, width=32))


@HYPOTHESIS
@given(points(np.float64))
def test_pairwise_distance_float64(x):
    assert_same(pairwise_distance, x, rtol=0.0, jit_options=OPTIMISING)


@HYPOTHESIS
@given(points(np.float32))
def test_pairwise_distance_float32(x):
    assert_same(pairwise_distance, x, jit_options=OPTIMISING)


@HYPOTHESIS
@given(hnp.arrays(np.float64, st.tuples(st.integers(0, 6), st.integers(0, 21)),
                  elements=st.floats(-1e3, 1e3)))
def test_column_sums(a):
    assert_same(column_sums, a, rtol=0.0, jit_options=OPTIMISING)


def test_column_sums_float32():
    a = np.random.default_rng(3).normal(size=(9, 37)).astype(np.float32)
    assert_same(column_sums, a, jit_options=OPTIMISING)


def test_integer_column_sums():
    a = np.random.default_rng(3).integers(-2**62, 2**62, size=(9, 37))
    assert_same(integer_column_sums, a, jit_options=OPTIMISING)  # wraps around as NumPy


@pytest.mark.parametrize("view", ["strided", "reversed", "transposed", "offset",
                                  "reversed_rows", "repeated_row", "repeated_column"])
def test_layouts(view):
    """The vector loop runs on arguments whose rows are contiguous (last stride 1: the
    offset view, rows in reverse order, a row repeated by a stride of 0), the original
    loop on the others."""
    base = np.random.default_rng(5).normal(size=(24, 18))
    x = {"strided": base[::2, ::3], "reversed": base[::-1, ::-2],
         "transposed": base.T, "offset": base[3:, 1:], "reversed_rows": base[::-1],
         "repeated_row": np.broadcast_to(base[2], (7, 18)),
         "repeated_column": np.broadcast_to(base[:, 2:3], (24, 9))}[view]
    assert_same(pairwise_distance, x[:, :4], rtol=0.0, jit_options=OPTIMISING)
    assert_same(column_sums, x, rtol=0.0, jit_options=OPTIMISING)


def test_nan_and_inf():
    x = np.random.default_rng(7).normal(size=(11, 3))
    x[2, 1], x[5, 0], x[8, 2], x[9, 2] = np.nan, np.inf, -np.inf, np.inf
    assert_same(pairwise_distance, x, rtol=0.0, jit_options=OPTIMISING)
    assert_same(column_sums, x, rtol=0.0, jit_options=OPTIMISING)


@pytest.mark.parametrize("scale", [2.5, -1.0])
def test_uniform_branch(scale):
    a = np.random.default_rng(9).normal(size=(5, 23))
    assert_same(scaled_column_norms, a, scale, rtol=0.0, jit_options=OPTIMISING)


def test_output_that_aliases_the_input():
    """`out` is the input's first row: each column's sum is written where later columns
    read it, so the loop must run in order (it is left scalar)."""
    a = np.random.default_rng(13).normal(size=(6, 17))
    assert_same(column_sums_into, a, a[0], rtol=0.0, jit_options=OPTIMISING)
    assert_same(column_sums_into, a, np.zeros(17), rtol=0.0, jit_options=OPTIMISING)


def test_outputs_that_overlap():
    """`second` is `first` one element on: iteration j's second store is overwritten by
    iteration j+1's first, so the stores must stay in order (the loop is left scalar)."""
    a = np.random.default_rng(19).normal(size=(4, 13))
    buffer = np.zeros(14)
    assert_same(two_outputs, a, buffer[:13], buffer[1:], rtol=0.0, jit_options=OPTIMISING)


def test_varying_bound():
    a = np.random.default_rng(17).normal(size=(19, 19))
    assert_same(lower_triangle_sums, a, rtol=0.0, jit_options=OPTIMISING)


@HYPOTHESIS
@given(st.integers(2, 13), st.integers(2, 4), st.integers(0, 60),
       st.floats(-2.5, 0.5), st.floats(0.1, 2.0))
def test_escape_times(width, height, maxiter, xmin, span):
    """Lanes leave the while loop at different trips (widths that are not whole groups
    of lanes too)."""
    assert_same(escape_times, xmin, xmin + span, -1.0, 1.0, width, height, maxiter,
                rtol=0.0, jit_options=OPTIMISING)


@pytest.mark.parametrize("xmin, xmax", [(np.nan, 1.0), (-np.inf, 1.0), (-2.0, np.inf),
                                        (-1e308, 1e308)])
def test_escape_times_nan_and_inf(xmin, xmax):
    assert_same(escape_times, xmin, xmax, -1.0, 1.0, 9, 3, 20, rtol=0.0,
                jit_options=OPTIMISING)


@pytest.mark.parametrize("width, height", [(1, 3), (7, 1)])
def test_escape_times_division_by_zero(width, height):
    """`/ (width - 1)` fails in every iteration when width is 1: the loop copy that
    reports it (unswitch-loops) still raises as Python does."""
    assert_same(escape_times, -2.0, 1.0, -1.0, 1.0, width, height, 10,
                raises=ZeroDivisionError, jit_options=OPTIMISING)


@HYPOTHESIS
@given(hnp.arrays(np.float64, st.integers(0, 23), elements=st.floats(-2.5, 1.0)),
       st.integers(0, 40))
def test_escape_radii(xs, maxiter):
    assert_same(escape_radii, xs, maxiter, rtol=0.0, jit_options=OPTIMISING)


def test_banded_column_sums():
    a = np.random.default_rng(31).random((9, 27))
    assert_same(banded_column_sums, a, rtol=0.0, jit_options=OPTIMISING)


def test_clipped_column_sums():
    a = np.random.default_rng(23).random((7, 29))
    a[3, 4], a[5, 6] = np.nan, np.inf
    assert_same(clipped_column_sums, a, rtol=0.0, jit_options=OPTIMISING)


def test_masked_stores():
    a = np.random.default_rng(37).normal(size=(5, 27))
    assert_same(positive_column_sums, a, rtol=0.0, jit_options=OPTIMISING)


@HYPOTHESIS
@given(hnp.arrays(np.float64, st.integers(0, 9), elements=st.floats(-10, 10)),
       hnp.arrays(np.float64, st.integers(0, 21), elements=st.floats(-20, 20)))
def test_masked_loads_in_a_while_loop(table, limits):
    table = np.sort(table)
    assert_same(rows_within, table, limits, rtol=0.0, jit_options=OPTIMISING)


def test_masked_loads_in_a_branch():
    rng = np.random.default_rng(41)
    a = rng.random((8, 19))
    assert_same(rows_picked_where_large, a, rng.integers(0, 8, size=8), rtol=0.0,
                jit_options=OPTIMISING)


def test_division_in_a_varying_branch():
    a = np.random.default_rng(29).integers(-3, 4, size=(6, 21))
    a[:, 5] = 0
    assert_same(quotients_where_nonzero, a, jit_options=OPTIMISING)


def test_the_loops_are_vectorised():
    """The loops above that the pass takes are vector code at the optimising tier (else
    the tests above would check the scalar loops only), as wide as the host's vectors,
    and the inner loop of the vector loop is marked not to be unrolled."""
    lanes = simd_bits() // 64  # of 64-bit numbers; twice as many 32-bit ones
    x = np.ones((9, 3))
    compiled = jitted(pairwise_distance, **OPTIMISING)
    compiled(x)
    llvm_ir = compiled.inspect("llvm")
    assert f"<{lanes} x double> @llvm.sqrt.v{lanes}f64" in llvm_ir
    assert "llvm.loop.unroll.disable" in llvm_ir
    compiled = jitted(integer_column_sums, **OPTIMISING)
    compiled(x.astype(np.int64))
    assert f"phi <{lanes} x i64>" in compiled.inspect("llvm")
    # an argument's rows, loaded as vectors where its last stride is 1
    compiled = jitted(column_sums, **OPTIMISING)
    compiled(x.astype(np.float32))
    assert f"load <{2 * lanes} x float>" in compiled.inspect("llvm")
    compiled = jitted(lower_triangle_sums, **OPTIMISING)
    compiled(x)
    assert "vector<" not in compiled.inspect("mlir")
    # lanes in a while loop, under a mask; a varying branch as selects
    compiled = jitted(escape_times, **OPTIMISING)
    compiled(-2.0, 1.0, -1.0, 1.0, 9, 3, 20)
    assert f"llvm.vector.reduce.or.v{lanes}i1" in compiled.inspect("llvm")
    for vectorised in (clipped_column_sums, banded_column_sums):
        compiled = jitted(vectorised, **OPTIMISING)
        compiled(x)
        assert f"phi <{lanes} x double>" in compiled.inspect("llvm")
    compiled = jitted(escape_radii, **OPTIMISING)
    compiled(x[:, 0], 20)
    assert f"llvm.vector.reduce.or.v{lanes}i1" in compiled.inspect("llvm")
    compiled = jitted(positive_column_sums, **OPTIMISING)
    compiled(x)
    assert "@llvm.masked.store" in compiled.inspect("llvm")
    compiled = jitted(rows_picked_where_large, **OPTIMISING)
    compiled(x, np.zeros(9, dtype=np.int64))
    assert "@llvm.masked.load" in compiled.inspect("llvm")
    compiled = jitted(rows_within, **OPTIMISING)
    compiled(x[:, 0], x[:, 1])
    assert f"llvm.vector.reduce.or.v{lanes}i1" in compiled.inspect("llvm")
    compiled = jitted(quotients_where_nonzero, **OPTIMISING)
    compiled(x.astype(np.int64))
    assert "vector<" not in compiled.inspect("mlir")
