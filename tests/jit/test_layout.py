"""Array layout in the key: a C-contiguous argument gets code that computes its strides
from its sizes (so LLVM knows the innermost is 1), any other array code that reads them.
Both are compared with Python on every kind of view; the native entry of a "C" kernel
refuses arrays that are not C-contiguous; signatures say "C" as Numba does ('::1')."""
import numpy as np
import pytest

import noodle
from noodle.compiler.types import Array, matches
from noodle.runtime.signatures import parse_type

from .harness import assert_same

RNG = np.random.default_rng(3)


def weighted_rows(m, w):
    out = np.empty(m.shape[0])
    for i in range(m.shape[0]):
        s = 0.0
        for j in range(m.shape[1]):
            s += m[i, j] * w[j]
        out[i] = s
    return out


BASE = RNG.random((6, 8))
VIEWS = {
    "C": BASE,
    "fortran": np.asfortranarray(BASE),
    "strided rows": BASE[::2],
    "strided columns": BASE[:, ::3],
    "reversed": BASE[::-1, ::-1],
    "transposed": BASE.T,
    "a column as (n, 1)": BASE[:, 2:3],
    "broadcast (n, 1) of a vector": BASE[0][:, None],
    "empty rows": BASE[:0],
    "empty columns": BASE[:, :0],
    "one row": BASE[3:4],
}


@pytest.mark.parametrize("name", VIEWS)
def test_every_view_gives_pythons_result(name):
    m = VIEWS[name]
    assert_same(weighted_rows, m, RNG.random(m.shape[1]))
    assert_same(weighted_rows, m, RNG.random(2 * m.shape[1])[::2])


def test_a_c_kernel_is_not_used_for_a_strided_array():
    f = noodle.jit(weighted_rows, fallback=False, cache=False)
    w = RNG.random(8)
    f(BASE, w)  # compiles the "C" kernel, whose native entry then answers calls
    np.testing.assert_array_equal(f(BASE[::2], w), weighted_rows(BASE[::2], w))
    np.testing.assert_array_equal(f(BASE.T[:, :6].T, w), weighted_rows(BASE, w))
    layouts = sorted(sig[0].layout for sig in f.signatures)
    assert layouts == ["A", "C"]


@pytest.mark.parametrize("text, expected", [
    ("float64[:]", Array(np.dtype(np.float64), 1, "A")),
    ("float64[::1]", Array(np.dtype(np.float64), 1, "C")),
    ("float32[:, ::1]", Array(np.dtype(np.float32), 2, "C")),
    ("int64[:, :]", Array(np.dtype(np.int64), 2, "A")),
    ("readonly float64[:]", Array(np.dtype(np.float64), 1, "A", readonly=True)),
    ("readonly int32[:, ::1]", Array(np.dtype(np.int32), 2, "C", readonly=True)),
])
def test_signatures_spell_the_layout_as_numba_does(text, expected):
    assert parse_type(text) == expected


@pytest.mark.parametrize("text", ["float64[::1, :]", "float64[::2]", "float64[1:]"])
def test_a_layout_noodle_cannot_use_is_refused_with_the_spelling(text):
    with pytest.raises(ValueError, match="'::1' for the last one"):
        parse_type(text)


def test_an_any_layout_signature_accepts_c_arrays_and_not_the_reverse():
    any_layout, contiguous = parse_type("float64[:]"), parse_type("float64[::1]")
    assert matches(any_layout, contiguous)
    assert not matches(contiguous, any_layout)
    f = noodle.jit("float64[:](float64[:, ::1], float64[:])")(weighted_rows)
    w = RNG.random(8)
    np.testing.assert_array_equal(f(BASE, w), weighted_rows(BASE, w))
    with pytest.raises(TypeError, match="no compiled signature"):
        f(BASE[::2], w)


def test_only_arrays_are_readonly_and_the_writeable_flag_must_match():
    with pytest.raises(ValueError, match="only an array type can be readonly"):
        parse_type("readonly float64")
    writable, read_only = parse_type("float64[:]"), parse_type("readonly float64[:]")
    assert matches(read_only, parse_type("readonly float64[::1]"))
    assert not matches(writable, read_only) and not matches(read_only, writable)
    assert str(read_only) == "readonly array(float64, 1d)"


def byte_layout(a):
    fresh = np.zeros((3, 4), np.int16)
    return (a.strides, a.itemsize, a.nbytes, a.T.strides, a[::2, ::-1].strides,
            fresh.strides, fresh.nbytes, a[0].strides)


@pytest.mark.parametrize("dtype", [np.float64, np.int8, np.uint32, np.bool_])
def test_strides_itemsize_and_nbytes_as_numpy(dtype):
    m = np.arange(24).astype(dtype).reshape(4, 6)
    for view in (m, m[::-2, 1::3], m.T, m[:, :0]):
        assert_same(byte_layout, view)
