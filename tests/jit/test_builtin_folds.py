"""Python's sum(), any() and all() over a 1-D array or a tuple, by Python's own rules:
items of an array are NumPy scalars, so `0 + np.uint8(x)` stays uint8 and wraps, a float32
sum stays float32 and adds in order (not NumPy's pairwise np.sum), start= by position or
name is added first. Of an empty array sum() gives start in the items' type (Python: start
itself), the one documented difference."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import noodle

from .harness import HYPOTHESIS, assert_same

DTYPES = ["bool", "int8", "uint8", "int64", "uint64", "float32", "float64"]
VALUES = [0.0, 1.0, 2.5, 100.0, -3.0, 200.0, np.nan, 1e30]


def folds(a):
    return (sum(a), sum(a, 10), sum(a, start=0.5), sum((a[0], a[-1], 3)), any(a), all(a),
            any((a[0], 0)), all((a[0], 1.5)))


@HYPOTHESIS
@given(st.sampled_from(DTYPES), st.lists(st.sampled_from(VALUES), min_size=1, max_size=30))
def test_folds_as_python(dtype, values):
    with np.errstate(all="ignore"):
        a = np.asarray(values).astype(dtype)
    with np.errstate(over="ignore"):  # uint8 and int8 sums wrap, as NumPy's scalars do
        assert_same(folds, a)
        assert_same(folds, a[::-2])


def total(a):
    return sum(a)


@pytest.mark.parametrize("dtype", ["float64", "int8", "bool"])
def test_the_sum_of_nothing_is_start_in_the_items_type(dtype):
    got = noodle.jit(total, cache=False, fallback=False)(np.zeros(0, dtype))
    assert got == 0 and isinstance(got, np.generic)
    assert got.dtype == np.result_type(np.zeros(1, dtype)[0] + 0)


def rows(m):
    return sum(m)


def test_the_rows_of_a_matrix_are_refused():
    with pytest.raises(noodle.UnsupportedError, match="1-D array or a tuple"):
        noodle.jit(rows, cache=False, fallback=False)(np.ones((2, 2)))
