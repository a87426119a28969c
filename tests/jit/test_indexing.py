"""Indexing and slicing: element reads and writes (negative indices, NumPy integer
indices, gathers), slices with steps (read and assignment, clamped bounds), views
that write through to the caller's array, aliasing (overlapping assignment reads the
old values, as NumPy does), attributes (shape, len, ndim, size, T)."""
import importlib.util

import numpy as np
import pytest
from hypothesis import given, strategies as st

from .harness import HYPOTHESIS, assert_same, jitted

RNG = np.random.default_rng(42)
VEC = RNG.random(11)
MAT = RNG.random((5, 7))
CUBE = RNG.random((3, 4, 5))


def get1(a, i):
    return a[i]


@HYPOTHESIS
@given(st.integers(-11, 10))
def test_read_element_negative_indices(i):
    assert_same(get1, VEC, i)


@pytest.mark.parametrize("a", [VEC[::-1], VEC[1::3], np.arange(11, dtype=np.int32)],
                         ids=["reversed", "strided", "int32"])
def test_read_element_from_views(a):
    for i in (0, 2, -1, -2):
        assert_same(get1, a, i)


def test_numpy_integer_index():
    assert_same(get1, VEC, np.int32(-3))
    assert_same(get1, VEC, np.uint8(4))


def get2(a, i, j):
    return a[i, j], a[i][j], a[-i - 1, -j - 1]


@pytest.mark.parametrize("a", [MAT, MAT.T, MAT[::-1, ::2], np.asfortranarray(MAT)],
                         ids=["C", "transposed", "reversed-strided", "fortran"])
def test_read_2d_element(a):
    for i, j in [(0, 0), (1, 2), (-1, -2), (a.shape[0] - 1, a.shape[1] - 1)]:
        assert_same(get2, a, i, j)


def get3(a, i, j, k):
    return a[i, j, k], a[i, j], a[i]


def test_read_3d_element_and_subviews():
    assert_same(get3, CUBE, 1, -1, 2)
    assert_same(get3, CUBE.transpose(2, 0, 1), 4, 1, -1)


def slices(a):
    return (a[1:], a[:-1], a[::2], a[::-1], a[1:7:3], a[-3:], a[5:2], a[-1:0:-2],
            a[100:], a[-100:2], a[::-100])


@pytest.mark.parametrize("a", [VEC, VEC[::-2], np.arange(3.0), np.zeros(0)],
                         ids=["contiguous", "reversed-strided", "short", "empty"])
def test_constant_slices(a):
    assert_same(slices, a)


#: constant slice ends: the frontend writes unit-step slices with constant ends in closed
#: forms (`unit_slice`), each checked here on every length up to past the largest end
ENDS = [None, -9, -5, -2, -1, 0, 1, 3, 6, 9]


@pytest.fixture(scope="module")
def every_constant_slice(tmp_path_factory):
    items = ", ".join(f"a[{'' if lo is None else lo}:{'' if hi is None else hi}]"
                      for lo in ENDS for hi in ENDS)
    folder = tmp_path_factory.mktemp("slices")
    (folder / "constant_slices.py").write_text(f"def every_slice(a):\n    return ({items})\n")
    spec = importlib.util.spec_from_file_location("constant_slices",
                                                  folder / "constant_slices.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.every_slice, jitted(module.every_slice)


@pytest.mark.parametrize("n", range(11))
def test_constant_unit_slices_on_every_length(every_constant_slice, n):
    python, compiled = every_constant_slice
    assert_same(python, np.arange(float(n)), compiled=compiled)
    assert_same(python, np.arange(float(2 * n))[::-2], compiled=compiled)  # strided too


def slice_var(a, lo, hi, step):
    return a[lo:hi:step].copy(), a[lo:hi], a[:hi:step], a[lo::step]


@HYPOTHESIS
@given(st.integers(-15, 15), st.integers(-15, 15),
       st.integers(-4, 4).filter(lambda s: s != 0))
def test_variable_slices_clamp_like_python(lo, hi, step):
    assert_same(slice_var, VEC, lo, hi, step)


def slices_2d(m, i):
    return m[1:-1, ::2], m[:, 0], m[0, :], m[::-1, 1], m[i, 1:], m[:, i], m[i], m[-1:, ::-3]


@pytest.mark.parametrize("m", [MAT, MAT.T, MAT[::-1, ::-1]], ids=["C", "transposed", "reversed"])
def test_2d_slices(m):
    assert_same(slices_2d, m, 2)


def write_elements(a, i, v):
    a[i] = v
    a[-1] = a[0] + 1
    return a[i]


@pytest.mark.parametrize("a, v", [(np.zeros(5), 2.5), (np.zeros(5, np.int32), 7),
                                  (np.zeros(5, np.int64), 3.7), (np.zeros(5, np.int64), -3.7),
                                  (np.zeros(5, np.float32), 0.1), (np.zeros(5, bool), 1),
                                  (np.zeros(5, np.uint8), np.int64(300))],
                         ids=["f64", "i32", "trunc", "trunc-neg", "f32", "bool", "u8-wrap"])
def test_element_assignment_casts(a, v):
    # storing a float into an int array truncates towards zero; NumPy int64 wraps to uint8
    assert_same(write_elements, a, 2, v)


def write_zero_d_arrays(a):
    a[0] = np.where(a[1] > 0, a[1], 2 * a[1])  # np.where on scalars is a 0-d array
    a[-1] = np.where(True, 5, 6)
    for i in range(1, a.shape[0] - 1):
        a[i] = np.maximum(np.where(a[i] < 0, a[i], -a[i]), a[i - 1])
    return a


@pytest.mark.parametrize("a", [np.array([1.0, -2.0, np.nan, 4.0]), np.array([3, -4, 5], np.int8),
                               np.arange(12)[::-3], np.zeros(2, np.uint16)],
                         ids=["f64-nan", "i8", "reversed-view", "u16-length-2"])
def test_element_assignment_of_a_zero_d_array(a):
    # NumPy stores the element of a 0-d array; this was refused as an array
    assert_same(write_zero_d_arrays, a)


def store_python_int(a, i, v):
    a[0] = 1
    a[i] = v  # raises where v is outside a's dtype: nothing after it runs
    a[1:2] = 2
    return a


def fill_python_int(a, v):
    a[:1] = 3
    a[1:] = v
    return a


def store_hundreds(a):
    for i in range(a.shape[0]):
        a[i] = i * 100  # 300 is outside uint8: the stores before it are done
    return a


def store_constant(a, flag):
    a[0] = 1
    if flag:
        a[-1] = -1
    return a


STORE_TIERS = pytest.mark.parametrize("options", [{}, {"eager": True}],
                                      ids=["baseline", "optimising"])


@STORE_TIERS
@pytest.mark.parametrize("a, v", [
    (np.zeros(4, np.uint8), 300), (np.zeros(4, np.uint8), -1),
    (np.zeros(9, np.int8)[::-2], -129), (np.zeros(4, np.uint64), -1),
    (np.zeros(4, np.int32), 2**62),
], ids=["uint8", "uint8-negative", "int8-view", "uint64", "int32"])
def test_storing_a_python_int_outside_the_dtype_raises(options, a, v):
    # NumPy 2 raises OverflowError for a Python int its dtype cannot hold; it was wrapped
    assert_same(store_python_int, a, 2, v, raises=OverflowError, jit_options=options)
    assert_same(fill_python_int, a, v, raises=OverflowError, jit_options=options)


@STORE_TIERS
@pytest.mark.parametrize("a, v", [
    (np.zeros(4, np.uint8), 255), (np.zeros(9, np.int8)[::-2], -128),
    (np.zeros(4, np.uint64), 2**63 - 1), (np.zeros(4, np.int64), -2**63),
    (np.zeros(4, bool), 300), (np.zeros(4, np.float32), -2**63),
], ids=["uint8", "int8-view", "uint64", "int64", "bool", "float32"])
def test_storing_a_python_int_the_dtype_holds(options, a, v):
    assert_same(store_python_int, a, 2, v, jit_options=options)
    assert_same(fill_python_int, a, v, jit_options=options)


@STORE_TIERS
def test_storing_python_ints_outside_the_dtype_in_a_loop_or_a_branch(options):
    assert_same(store_hundreds, np.zeros(5, np.uint8), raises=OverflowError,
                jit_options=options)
    assert_same(store_hundreds, np.zeros(3, np.uint8), jit_options=options)
    assert_same(store_hundreds, np.zeros(5, np.int16), jit_options=options)
    assert_same(store_constant, np.zeros(3, np.uint16), True, raises=OverflowError,
                jit_options=options)
    assert_same(store_constant, np.zeros(3, np.uint16), False, jit_options=options)
    assert_same(store_constant, np.zeros(3, np.int8), True, jit_options=options)


def write_2d(m):
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            m[i, j] = i * 10 + j
    m[-1, -1] = -5


@pytest.mark.parametrize("m", [np.zeros((3, 4)), np.zeros((4, 3)).T, np.zeros((6, 8))[::-2, 1::2]],
                         ids=["C", "transposed", "reversed-strided"])
def test_write_2d_through_views(m):
    assert_same(write_2d, m)


def slice_assign(a, b):
    a[1:-1] = b[2:] - b[:-2]
    a[::3] = 0.5
    a[-2:] = b[:2]
    return a


@pytest.mark.parametrize("a, b", [(np.zeros(10), np.arange(10.0) ** 2),
                                  (np.zeros(20)[::-2], np.arange(30.0)[::3]),
                                  (np.zeros(10, np.int32), np.arange(10.0) * 1.5)],
                         ids=["contiguous", "views", "float-into-int"])
def test_slice_assignment(a, b):
    assert_same(slice_assign, a, b)


def assign_2d(m, v, w):
    m[:, 1:] = v[1:]          # broadcast a row
    m[1:3, :] = w             # a block
    m[0] = 9.0                # a whole row from a scalar
    m[:, 0] = v[0]            # a column from a scalar
    m[-1, ::2] = -1.0
    return m


def test_2d_slice_assignment_with_broadcasting():
    assert_same(assign_2d, np.zeros((4, 5)), np.arange(5.0), np.ones((2, 5)) * 3.0)
    assert_same(assign_2d, np.zeros((5, 4)).T, np.arange(5.0), np.ones((5, 2)).T * 3.0)


def stencil(A, B):
    B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] +
                           A[2:, 1:-1] + A[:-2, 1:-1])


def test_stencil_assignment():
    assert_same(stencil, RNG.random((6, 7)), np.zeros((6, 7)))


def shift_right(a):
    a[1:] = a[:-1] + 1


def copy_overlap(a):
    a[1:] = a[:-1]


def reverse_in_place(a):
    a[::-1] = a


def self_reverse(a):
    a[:] = a[::-1]


def transpose_in_place(m):
    m[:] = m.T


# bools too: their views' byte spans once came out empty (an itemsize of 1 bit // 8),
# so they were never found to overlap
OVERLAPPED = [np.arange(9.0), np.arange(9, dtype=np.int8), np.arange(9) % 3 == 0,
              np.arange(9.0, dtype=np.float32)]


@pytest.mark.parametrize("a", OVERLAPPED, ids=lambda a: a.dtype.name)
@pytest.mark.parametrize("func", [shift_right, copy_overlap, reverse_in_place, self_reverse])
def test_overlapping_assignment_reads_old_values(func, a):
    assert_same(func, a)


@pytest.mark.parametrize("m", [np.arange(16.0).reshape(4, 4),
                               np.arange(16).reshape(4, 4) % 3 == 0], ids=["float64", "bool"])
def test_transpose_in_place_reads_old_values(m):
    assert_same(transpose_in_place, m)


def copy_between(a, b):
    a[1:] = b[:-1]


def test_overlap_through_a_view_of_another_dtype():
    """The destination and the source share memory, as bool and as uint8."""
    a = np.array([True, False, True, False, True])
    assert_same(copy_between, a, a.view(np.uint8))


def stencil_same_array(A):
    A[1:-1] = 0.5 * (A[:-2] + A[2:])


def test_stencil_on_one_array_reads_old_values():
    assert_same(stencil_same_array, np.arange(10.0) ** 2)


def alias_names(a):
    x = a
    x += 1.0          # x is a: mutates a
    y = a[2:5]
    y[:] = 0.0        # a view: mutates a
    z = a.copy()
    z[0] = 100.0      # a copy: does not
    x = x + 1.0       # rebinding: does not mutate a
    return x, z


def test_aliasing_through_names_views_and_copies():
    assert_same(alias_names, np.arange(8.0))


def row_view_write(m, i):
    row = m[i]
    row[0] = 42.0
    row *= 2.0
    col = m[:, i]
    col[-1] = -1.0


def test_row_and_column_views_write_through():
    assert_same(row_view_write, np.ones((3, 4)), 1)
    assert_same(row_view_write, np.ones((4, 3)).T, 1)


def tail(a):
    return a[1:]


def test_returned_view_aliases_the_argument():
    a = np.arange(5.0)
    assert_same(tail, a)
    out = jitted(tail)(a)
    assert np.shares_memory(out, a), "a returned slice should be a view, as in NumPy"


def attrs(a):
    return a.shape, len(a), a.ndim, a.size, a.T.shape, a.shape[-1]


@pytest.mark.parametrize("a", [np.zeros(7), MAT, CUBE, np.zeros((0, 3)), CUBE[::2, ::-1, 1:]],
                         ids=["1d", "2d", "3d", "empty", "3d-view"])
def test_shape_len_ndim_size_T(a):
    assert_same(attrs, a)


def transpose_values(m):
    t = m.T
    return t, t[1, 0], t.T[1, 0]


def test_transpose_attribute():
    assert_same(transpose_values, MAT)
    assert_same(transpose_values, CUBE)


def read_only_sum(a):
    total = 0.0
    for i in range(a.shape[0]):
        total += a[i]
    return total, a * 2.0


def test_read_only_arrays_can_be_read():
    a = np.arange(6.0)
    a.flags.writeable = False
    assert_same(read_only_sum, a)
    b = np.broadcast_to(np.arange(3.0), (2, 3))[1]  # a read-only view
    assert_same(read_only_sum, b)


# -- read-only arrays (NumPy's writeable flag off): a store raises ValueError where NumPy's
# does, the stores before it done; their views are read-only too; a copy is writable

TIERS = pytest.mark.parametrize("options", [{}, {"eager": True}],
                                ids=["baseline", "optimising"])


def read_only(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def element_store_after_other_writes(out, a, i):
    out[0] = 1.0
    a[i] = 2.0  # raises: nothing after it runs
    out[1] = 3.0


def slice_store_after_other_writes(out, a):
    out[:] = 7.0
    a[1:] = out[:a.shape[0] - 1]
    out[0] = 0.0


def store_in_loop(out, a):
    for i in range(out.shape[0]):
        out[i] = i + 1.0
        if i == 3:
            a[i] = out[i]  # the fourth iteration raises; out[0..3] are written


def in_place_operator(out, a):
    out += 1.0
    a += 1.0


def in_place_element(a, i):
    a[i] += 1.0


def in_place_slice(a):
    a[1:] *= 2.0


def store_if(a, flag):
    if flag:
        a[0] = -1.0
    return a.sum()


def store_through_slice_view(a):
    v = a[1:]
    v[0] = 5.0


def store_through_transpose(m):
    m.T[0, 1] = 5.0


def store_through_new_axis(a):
    a[None, :][0, 0] = 5.0


def store_through_row(m):
    for row in m:
        row[0] = 5.0


def store_through_strided_view_in_place(a):
    v = a[::-2]
    v += 1.0


def store_into_a_copy(a):
    c = a.copy()
    c[0] = 5.0
    d = a.astype(a.dtype)
    d[1:] += 1.0
    return c, d, a[1:]


def writes_its_argument(x):
    x[0] = 9.0


def calls_a_writer(out, a):
    out[0] = 1.0
    writes_its_argument(a)
    out[1] = 1.0


@TIERS
@pytest.mark.parametrize("i", [0, -1, 3])
def test_an_element_store_into_a_read_only_array_raises_after_earlier_writes(options, i):
    out = np.zeros(3)
    assert_same(element_store_after_other_writes, out, read_only(VEC), i, raises=ValueError,
                jit_options=options)
    assert_same(element_store_after_other_writes, out, VEC, i, jit_options=options)


@TIERS
@pytest.mark.parametrize("function, args", [
    (slice_store_after_other_writes, (np.zeros(4), read_only(np.arange(5.0)))),
    (store_in_loop, (np.zeros(6), read_only(np.arange(6.0)))),
    (in_place_operator, (np.zeros(3), read_only(np.arange(3.0)))),
    (in_place_element, (read_only(VEC), 2)),
    (in_place_slice, (read_only(VEC),)),
    (store_through_slice_view, (read_only(VEC),)),
    (store_through_transpose, (read_only(MAT),)),
    (store_through_new_axis, (read_only(VEC),)),
    (store_through_row, (read_only(MAT),)),
    (store_through_strided_view_in_place, (read_only(VEC),)),
    (calls_a_writer, (np.zeros(2), read_only(VEC))),
    (in_place_operator, (np.zeros(3), np.broadcast_to(np.arange(3.0), (3,)))),
    (store_through_row, (np.broadcast_to(np.arange(3.0), (4, 3)),)),
    (in_place_element, (np.frombuffer(b"\x01" * 16, dtype=np.float64), 1)),
], ids=["slice", "in-a-loop", "operator=", "element-op=", "slice-op=", "slice-view",
        "transpose", "new-axis", "row", "strided-view-op=", "callee", "broadcast_to-op=",
        "broadcast_to-row", "frombuffer"])
def test_stores_into_read_only_arrays_and_their_views_raise(options, function, args):
    assert_same(function, *args, raises=ValueError, jit_options=options)


@TIERS
def test_a_store_on_a_path_not_taken_raises_nothing(options):
    assert_same(store_if, read_only(VEC), False, jit_options=options)
    assert_same(store_if, read_only(VEC), True, raises=ValueError, jit_options=options)
    assert_same(store_if, VEC, True, jit_options=options)


@TIERS
def test_copies_of_read_only_arrays_are_writable_and_views_stay_read_only(options):
    assert_same(store_into_a_copy, read_only(VEC), jit_options=options)
    c, d, tail = jitted(store_into_a_copy, **options)(read_only(VEC))
    assert c.flags.writeable and d.flags.writeable and not tail.flags.writeable


@TIERS
@pytest.mark.parametrize("order", ["writable-first", "read-only-first"])
def test_read_only_and_writable_arrays_are_specialised_apart(options, order):
    import noodle

    f = noodle.jit(store_if, fallback=False, cache=False, **options)
    calls = [(VEC, None), (read_only(VEC), ValueError)]
    if order == "read-only-first":
        calls.reverse()
    for _ in range(2):  # the second round goes through the native entries
        for a, error in calls:
            assert_same(store_if, a, True, raises=error, compiled=f)
            assert_same(store_if, a, False, compiled=f)
    assert sorted(sig[0].readonly for sig in f.signatures) == [False, True]


def reads_2d(m):
    total = 0.0
    for row in m:
        total += row[-1]
    return total, m.sum(axis=0), m[1:, ::-1] * 2.0, m.T[0], m[-1, -1]


@TIERS
@pytest.mark.parametrize("a", [np.broadcast_to(VEC, (4, 11)),
                               np.broadcast_to(VEC[:, None], (11, 3)),
                               read_only(MAT).T,
                               np.frombuffer(MAT.tobytes()).reshape(MAT.shape)],
                         ids=["broadcast-rows", "broadcast-columns", "transposed",
                              "frombuffer"])
def test_read_only_inputs_read_fine(options, a):
    assert_same(reads_2d, a, jit_options=options)
    assert_same(transpose_values, a, jit_options=options)
    assert_same(read_only_sum, a[0], jit_options=options)


def gather(a, idx):
    out = np.empty(idx.shape[0])
    for k in range(idx.shape[0]):
        out[k] = a[idx[k]]
    return out


def test_gather_with_index_array_values():
    idx = np.array([0, -1, 3, -11, 10, 5], np.int32)
    assert_same(gather, VEC, idx)
    assert_same(gather, VEC, idx.astype(np.uint8) % 11)


def scatter_add(hist, values):
    for k in range(values.shape[0]):
        hist[values[k] % hist.shape[0]] += 1


def test_scatter_with_repeated_indices():
    assert_same(scatter_add, np.zeros(7, np.int64), RNG.integers(-50, 50, 200))


def write_first(a, v):
    a[0] = v
    return a


def write_all(a, v):
    a[:] = v
    return a


@pytest.mark.parametrize("function", [write_first, write_all])
@pytest.mark.parametrize("dtype, v, error", [
    (np.int64, float("nan"), ValueError), (np.int64, np.float64("inf"), OverflowError),
    (np.int8, 151.5, OverflowError), (np.int8, np.float32(-129.0), OverflowError),
    (np.uint8, -1.5, OverflowError), (np.uint64, 2.0 ** 64, OverflowError),
    (np.int64, 1e19, OverflowError)], ids=repr)
def test_a_float_that_the_integer_array_cannot_hold_raises(function, dtype, v, error):
    """NumPy stores a float into an integer array as `int(v)`, checked against the dtype,
    whether v is a Python or a NumPy float; values that fit are truncated."""
    assert_same(function, np.zeros(3, dtype), v, raises=error)
    assert_same(function, np.zeros(3, dtype), 7.9)
    assert_same(function, np.zeros(3, dtype), -0.5)
    assert_same(function, np.zeros(3, bool), v)  # a bool takes any float


def int8_of(x):
    return np.int8(x)


def test_a_numpy_integer_of_a_python_float_checks_its_range():
    assert_same(int8_of, 151.5, raises=OverflowError)
    assert_same(int8_of, -128.9)
    assert_same(int8_of, np.float64(151.5))  # of a NumPy float: a cast, which wraps


def write_first_of_rank0(a, x):
    a[0] = np.where(x > 0, x, 0.0)  # a 0-d array
    return a


@pytest.mark.parametrize("function", [write_first, write_all])
@pytest.mark.parametrize("dtype, v", [(np.int8, np.int16(300)), (np.int32, np.int64(2**40)),
                                      (np.int8, np.uint64(2**63)), (np.int64, np.float64("nan"))],
                         ids=repr)
def test_a_numpy_scalar_into_a_signed_array_is_range_checked(function, dtype, v):
    """NumPy 2 stores a NumPy scalar into a signed integer array through a Python int."""
    error = ValueError if isinstance(v, np.floating) else OverflowError
    assert_same(function, np.zeros(3, dtype), v, raises=error)


@pytest.mark.parametrize("function", [write_first, write_all])
@pytest.mark.parametrize("dtype, v", [(np.uint8, np.float64(-2.5)), (np.uint8, np.int64(300)),
                                      (np.uint16, np.float32(7e4)), (np.uint8, np.int8(-1))],
                         ids=repr)
def test_a_numpy_scalar_into_an_unsigned_array_is_cast(function, dtype, v):
    assert_same(function, np.zeros(3, dtype), v)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8])
def test_a_rank0_array_into_an_integer_element_is_cast(dtype):
    with np.errstate(invalid="ignore"):
        assert_same(write_first_of_rank0, np.zeros(3, dtype), 300.0)


def ellipsis_views(z, a):
    z[...] += 2
    a[..., 1] = 7.0
    return z[...] * 2, a[..., 0] + 1, z[()]


def test_an_ellipsis_gives_a_0d_view_where_every_axis_gets_an_integer():
    """As in NumPy: `a[..., 1]` of a vector and `z[...]` of a 0-d array are 0-d arrays
    (views), not scalars; `z[()]` is the element."""
    assert_same(ellipsis_views, np.array(3, np.int16), np.arange(3.0))
