"""np.interp bit for bit as NumPy's C code computes it: inside, below and above the
sample points (left=/right= by name or position), at them (repeated ones too), one
sample point, NaN and infinite x, xp and fp (the slope retried from the right end), huge
values, integer and float32 inputs, scalars, 0-d and N-d x; NumPy's ValueErrors for no
sample points and for fp of another length."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from .harness import HYPOTHESIS, assert_same

SPECIAL = [0.0, 1.0, 2.0, 2.5, -3.0, 7.0, np.nan, np.inf, -np.inf, 1e308, -1e308]


def interpolated(x, xp, fp):
    return (np.interp(x, xp, fp), np.interp(x, xp, fp, left=-1.5, right=np.nan),
            np.interp(x, xp, fp, 7, 8))


@HYPOTHESIS
@given(st.lists(st.floats(-10, 10), min_size=1, max_size=8),
       st.lists(st.sampled_from(SPECIAL + [0.5, -0.25]), min_size=1, max_size=12),
       st.sampled_from(["float64", "float32", "int16"]))
def test_interp_as_numpy(points, at, fp_dtype):
    xp = np.sort(np.asarray(points))
    fp = (np.random.default_rng(len(points)).normal(size=xp.size) * 4).astype(fp_dtype)
    x = np.concatenate([np.asarray(at), xp])
    assert_same(interpolated, x, xp, fp)
    assert_same(interpolated, x[::-1].reshape(1, -1), xp, fp)
    assert_same(interpolated, x[0], xp, fp)
    assert_same(interpolated, np.array(x[-1]), xp, fp)


@pytest.mark.parametrize("xp, fp", [
    ([1.0], [5.0]),                                # one point: fp[0] at it, and for NaN
    ([0.0, 1.0, 1.0, 2.0], [0.0, 1.0, 5.0, 9.0]),  # a repeated point
    ([-np.inf, 0.0, np.inf], [1.0, 2.0, 3.0]),
    ([1.0, 2.0], [np.inf, np.inf]),                # NaN from the left, the ends equal
    ([1.0, 2.0], [-np.inf, np.inf]),               # NaN both ways
    ([-1e308, 1e308], [0.0, 1.0]),                 # a slope past float64
], ids=repr)
def test_edge_cases(xp, fp):
    x = np.array(SPECIAL + [1.5, 0.5, -0.5])
    assert_same(interpolated, x, np.array(xp), np.array(fp))
    assert_same(interpolated, x, np.array(xp), np.array(fp), jit_options={"eager": True})
    assert_same(interpolated, 2, np.array(xp, dtype=np.float32), np.array(fp))


@pytest.mark.parametrize("xp, fp", [([], []), ([1.0, 2.0], [1.0]), ([], [1.0])], ids=repr)
def test_numpy_s_value_errors(xp, fp):
    assert_same(interpolated, np.arange(3.0), np.array(xp), np.array(fp), raises=ValueError)
