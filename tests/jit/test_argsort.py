"""np.argsort and a.argsort() as NumPy's stable sort orders the indices (NaN last, equal
elements in their order), along the last axis or of the flattened array, on every
dtype, strided views and empty arrays; NumPy's other sort kinds give the same indices
wherever the elements are distinct; np.sort takes kind= too."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import noodle

from .harness import HYPOTHESIS, assert_same

DTYPES = ["bool", "int8", "uint8", "int64", "uint64", "float32", "float64"]
VALUES = [0.0, -0.0, 1.0, 2.5, -3.0, 7.0, 200.0, -1.0, np.nan, np.inf, -np.inf]


def stable_orders(m):
    return (np.argsort(m, kind="stable"), np.argsort(m, axis=None, kind="stable"),
            m.argsort(kind="mergesort"), np.argsort(m[::-1, ::2], -1, kind="stable"),
            np.sort(m, kind="heapsort"))


@HYPOTHESIS
@given(st.sampled_from(DTYPES), st.lists(st.sampled_from(VALUES), min_size=6, max_size=24))
def test_stable_argsort_as_numpy(dtype, values):
    with np.errstate(all="ignore"):
        m = np.asarray(values[:len(values) // 3 * 3]).astype(dtype).reshape(3, -1)
    assert_same(stable_orders, m)
    assert_same(stable_orders, m[:, :0])


def default_kind(a):
    return np.argsort(a), a.argsort()


@pytest.mark.parametrize("dtype", ["int16", "uint32", "float32", "float64"])
def test_any_kind_orders_distinct_elements_as_numpy(dtype):
    a = np.random.default_rng(4).permutation(300).astype(dtype)
    assert_same(default_kind, a)
    assert_same(default_kind, a[::-3], jit_options={"eager": True})


def unknown_kind(a):
    return np.argsort(a, kind="bubble")


def test_an_unknown_kind_is_refused():
    with pytest.raises(noodle.TypingError, match="sort kind must be one of"):
        noodle.jit(unknown_kind, fallback=False, cache=False)(np.ones(3))


def method_forms(m):
    return m.argsort(axis=-1), m.argsort(-1, kind="stable"), m.argsort(axis=None)


def along_the_first(m):
    return m.argsort(axis=0)


def test_the_method_takes_an_axis_as_the_function_does():
    m = np.array([[3.0, 1.0, 2.0], [2.5, 0.5, 9.0]])  # distinct: any kind agrees
    assert_same(method_forms, m)
    with pytest.raises(noodle.UnsupportedError, match="sorts along the last axis"):
        noodle.jit(along_the_first, cache=False, fallback=False)(m)
