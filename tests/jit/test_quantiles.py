"""np.percentile and np.quantile (the linear method, one q) as NumPy 2 computes them,
values and dtypes: Python and NumPy numbers for q (a Python float keeps a float32 array's
dtype, an np.float64 q does not), an integer q taking the element as it is, integer
arrays whose differences wrap as NumPy's do, NaN sorted last and returned, along an axis
or of the whole array; NumPy's errors for q out of range or NaN, and for no values."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from .harness import HYPOTHESIS, assert_same

DTYPES = ["float64", "float32", "int64", "int8", "uint8"]
VALUES = [0.0, 1.0, 2.5, -3.0, 7.0, 100.0, -100.0, 1e30]


def percentiles(a, q):
    return np.percentile(a, q), np.quantile(a, q / 100)


def along(m, q):
    return np.percentile(m, q, axis=0), np.percentile(m, q, axis=-1), np.quantile(m, 0.25, 1)


@HYPOTHESIS
@given(st.sampled_from(DTYPES), st.lists(st.sampled_from(VALUES), min_size=1, max_size=9),
       st.one_of(st.sampled_from([0, 50, 100, 30, 99.9]), st.floats(0, 100)))
def test_percentiles_as_numpy(dtype, values, q):
    with np.errstate(all="ignore"):
        a = np.asarray(values).astype(dtype)
        assert_same(percentiles, a, q)
        assert_same(percentiles, a[::-1], np.float64(q))
        assert_same(percentiles, a, np.float32(q))


@pytest.mark.parametrize("dtype", DTYPES)
def test_along_an_axis(dtype):
    with np.errstate(all="ignore"):
        m = np.asarray(VALUES * 2)[:12].astype(dtype).reshape(3, 4)
        for q in (0, 30, 50, 100, 12.5):
            assert_same(along, m, q)
            assert_same(along, m[::-1, ::2], q)


def integer_q(a):
    return np.quantile(a, 0), np.quantile(a, 1), np.quantile(a, np.int64(1))


def test_an_integer_q_takes_the_element_in_its_dtype():
    assert_same(integer_q, np.array([-100, 100, 3], dtype=np.int8))
    assert_same(integer_q, np.array([2.5, np.nan, 1.0]))


def test_nan_is_the_answer():
    assert_same(percentiles, np.array([1.0, np.nan, 3.0]), 30)
    assert_same(along, np.array([[1.0, np.nan], [2.0, 3.0]]), 40)


def bad_percentile(a, q):
    return np.percentile(a, q)


@pytest.mark.parametrize("q", [-1, 101, np.nan], ids=repr)
def test_q_out_of_range_is_numpy_s_value_error(q):
    assert_same(bad_percentile, np.arange(3.0), q, raises=ValueError)
    assert_same(bad_percentile, np.arange(3, dtype=np.int8), q, raises=ValueError)


def test_no_values_is_numpy_s_index_error():
    assert_same(bad_percentile, np.zeros(0), 30, raises=IndexError)
    assert_same(along, np.zeros((0, 3)), 30, raises=IndexError)


def median_and_percentile(a):
    return np.median(a), np.percentile(a, 37.5)


def median_of_three_killer(n):
    """Musser's input that makes a median-of-three quickselect quadratic."""
    half, a = n // 2, np.zeros(n)
    for i in range(1, half + 1):
        if i % 2:
            a[i - 1], a[i] = i, half + i
        a[half + i - 1] = 2 * i
    return a


@pytest.mark.parametrize("kind", ["random", "sorted", "reversed", "equal", "duplicates",
                                  "nan", "organ-pipe", "killer"])
@pytest.mark.parametrize("n", [1, 2, 5, 8, 33, 1000, 4096])
def test_selection_on_hard_inputs(kind, n):
    """The ranks are selected, not sorted: inputs that trouble a quickselect (and its
    fall-back to the merge sort) give NumPy's answers."""
    rng = np.random.default_rng(n)
    a = {"random": lambda: rng.normal(size=n), "sorted": lambda: np.arange(n) * 1.0,
         "reversed": lambda: np.arange(n)[::-1] * 1.0, "equal": lambda: np.ones(n),
         "duplicates": lambda: rng.integers(0, 3, n) * 1.0,
         "nan": lambda: np.where(np.arange(n) % 7 == 3, np.nan, rng.normal(size=n)),
         "organ-pipe": lambda: np.concatenate([np.arange(n // 2),
                                               np.arange(n - n // 2)[::-1]]) * 1.0,
         "killer": lambda: median_of_three_killer(n + n % 2)}[kind]()
    assert_same(median_and_percentile, a)
