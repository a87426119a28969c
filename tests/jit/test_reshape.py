"""Reshaping: a.reshape / np.reshape (a shape tuple, sizes as arguments, one size to
infer), a.ravel / np.ravel and a.flatten, on contiguous arrays and on every kind of view
(steps, negative steps, transposes, size-1 and size-0 axes). A view or a copy exactly
where NumPy makes one: each function writes through its result, so the harness, which
compares the arguments' buffers afterwards, sees any difference. Refused shapes raise
NumPy's ValueError."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from .harness import HYPOTHESIS, assert_same


def reshape_1(a, n):
    r = a.reshape(n)
    if r.size > 0:
        r[-1] = -7.0
        r[0] = -8.0
    return r


def reshape_2(a, n, m):
    r = a.reshape((n, m))
    if r.size > 0:
        r[-1, -1] = -7.0
        r[0, 0] = -8.0
    return r


def reshape_3(a, n, m, k):
    r = np.reshape(a, (n, m, k))
    if r.size > 0:
        r[-1, -1, -1] = -7.0
        r[0, -1, 0] = -8.0
    return r


WRITERS = {1: reshape_1, 2: reshape_2, 3: reshape_3}


@st.composite
def views(draw):
    """A view of a fresh array: any rank up to 3, sizes 0 to 5, random slices with
    steps of either sign on each axis, maybe transposed."""
    rank = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=rank, max_size=rank)))
    base = np.arange(float(np.prod(shape))).reshape(shape)
    index = []
    for size in shape:
        step = draw(st.sampled_from([1, 1, 2, -1, -2]))
        start = draw(st.integers(0, max(size - 1, 0)))
        index.append(slice(start, None, step) if draw(st.booleans()) else slice(None, None,
                                                                                step))
    view = base[tuple(index)]
    if draw(st.booleans()):
        view = view.T
    return view


@st.composite
def view_and_shape(draw):
    a = draw(views())
    size = a.size
    rank = draw(st.integers(1, 3))
    sizes = []
    left = size
    for _ in range(rank - 1):
        divisors = [d for d in range(1, max(left, 1) + 1) if left % d == 0] if left else [0, 1, 2]
        d = draw(st.sampled_from(divisors))
        sizes.append(d)
        left = left // d if d else 0
    sizes.append(left if size else draw(st.integers(0, 3)))
    if size == 0 and 0 not in sizes:
        sizes[0] = 0
    if draw(st.booleans()) and size:
        sizes[draw(st.integers(0, rank - 1))] = -1
    return a, sizes


@HYPOTHESIS
@given(view_and_shape())
def test_reshape_views_and_copies_as_numpy(case):
    a, sizes = case
    assert_same(WRITERS[len(sizes)], a, *sizes)


@pytest.mark.parametrize("a, sizes", [
    (np.arange(24.0).reshape(4, 6)[:, :3], (2, 2, 3)),     # view: splits the rows
    (np.arange(24.0).reshape(4, 6)[:, :3], (12,)),         # copy: rows are apart
    (np.arange(24.0)[::2], (3, 4)),                        # view of a strided vector
    (np.arange(24.0).reshape(4, 6).T, (6, 4)),             # copy
    (np.arange(24.0).reshape(4, 6).T, (3, 2, 4)),          # view: splits the first axis
    (np.arange(24.0).reshape(4, 1, 6)[:, :, ::-1], (4, 6)),  # size-1 axis left out
    (np.arange(6.0)[::-1], (-1, 2, 1)),
    (np.zeros((0, 4))[:, ::2], (2, 0, 0)),
], ids=["split-rows", "rows-apart", "strided-vector", "transpose-copy", "transpose-view",
        "size-one-axis", "reversed-infer", "empty"])
@pytest.mark.parametrize("options", [{}, {"eager": True}], ids=["baseline", "optimising"])
def test_reshape_cases(a, sizes, options):
    assert_same(WRITERS[len(sizes)], a, *sizes, jit_options=options)


@pytest.mark.parametrize("sizes", [(4, 5), (-1, 5), (-1, -1), (0, -1), (7,)],
                         ids=["size", "infer-size", "two-unknown", "zero-and-unknown",
                              "one-size"])
def test_a_shape_that_does_not_fit_raises_value_error(sizes):
    assert_same(WRITERS[len(sizes)], np.arange(12.0), *sizes, raises=ValueError)


def ravel_and_flatten(a):
    r = a.ravel()
    f = a.flatten()
    g = np.ravel(a)
    if r.size > 0:
        r[0] = -1.0
        f[-1] = -2.0
        g[-1] = -3.0
    return r, f, g, a.reshape(-1).sum()


@HYPOTHESIS
@given(views())
def test_ravel_is_a_view_only_of_a_contiguous_array_and_flatten_always_copies(a):
    assert_same(ravel_and_flatten, a)


def reshape_of_fresh_results(a):
    b = (a * 2.0).reshape(2, -1)
    c = np.arange(12).reshape(3, 4).T.ravel()
    return b, c, np.ones(6, np.int8).reshape(3, 2)


def test_results_of_operations_reshape_without_checks():
    assert_same(reshape_of_fresh_results, np.arange(6.0))


def zero_d_reshapes(z):
    return z.reshape(()), z.reshape(z.shape), np.reshape(z, (1, 1)).reshape(())


def test_reshapes_to_and_from_zero_d():
    assert_same(zero_d_reshapes, np.array(2.5))
    assert_same(zero_d_reshapes, np.array(7, dtype=np.int8))


def flattened_views(a):
    return a[::-1].ravel(), a[1:].reshape(-1, 1), np.unique(a[1:]), np.median(a[::2])


def test_views_of_a_read_only_array_flatten():
    """The view-or-copy branches of a reshape agree on one type (read-only)."""
    a = np.array([3.0, 1.0, 2.0, 1.0], np.float32)
    a.setflags(write=False)
    assert_same(flattened_views, a)
