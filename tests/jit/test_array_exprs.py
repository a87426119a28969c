"""Array expressions: elementwise chains (fusion), broadcasting (``x[:, None]``,
size-1 axes, rank mismatch, empty axes), mixed dtypes, ufuncs (NaN semantics of
maximum/minimum), ``np.clip`` (NumPy 2's rules for Python int bounds), ``np.where``,
0-d arrays, ``copy``/``astype``, and random shapes."""
import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import noodle

from .harness import HYPOTHESIS, assert_same, float_array_pairs

RNG = np.random.default_rng(5)


def fused(a, b, c):
    return np.exp(-a * a) * np.sin(b) + c / (1.0 + a * a) - np.sqrt(np.abs(b))


@pytest.mark.parametrize("a, b, c", [
    (RNG.random(1000), RNG.random(1000), RNG.random(1000)),
    (RNG.random((40, 30)), RNG.random((30, 40)).T, RNG.random((40, 30))[::-1]),
    (RNG.random(99)[::3], RNG.random(66)[::-2], RNG.random(33)),
    (RNG.random(17).astype(np.float32), RNG.random(17).astype(np.float32),
     RNG.random(17).astype(np.float32)),
], ids=["contiguous", "mixed-layouts", "strided", "float32"])
def test_fused_elementwise_chain(a, b, c):
    assert_same(fused, a, b, c)


def expr2(a, b):
    return (a - b) * (a + b) / (1.0 + b * b) + 3.0


@HYPOTHESIS
@given(float_array_pairs(0, 70))
def test_random_lengths_cover_vector_remainders(ab):
    a, b = ab
    assert_same(expr2, a, b)


@HYPOTHESIS
@given(hnp.array_shapes(min_dims=2, max_dims=2, min_side=0, max_side=9).flatmap(
    lambda s: st.tuples(hnp.arrays(np.float32, s, elements=st.floats(-100, 100, width=32)),
                        hnp.arrays(np.float32, s, elements=st.floats(-100, 100, width=32)))))
def test_random_2d_float32(ab):
    a, b = ab
    assert_same(expr2, a, b, atol=1e-6)


def axpy_broadcast(a, x, b):
    return a * x[:, None] + b


def outer_difference(x):
    return x[None, :] - x[:, None]


def broadcast_3d(a, b):
    return a + b, a * b


@pytest.mark.parametrize("a, x, b", [
    (RNG.random((4, 3)), RNG.random(4), RNG.random(3)),
    (RNG.random((4, 1)), RNG.random(4), RNG.random(3)),
    (RNG.random((1, 3)), RNG.random(4), RNG.random((1, 3))),
    (RNG.random((0, 3)), RNG.random(0), RNG.random(3)),
], ids=["full", "size1-col", "size1-row", "empty"])
def test_broadcast_column_times_row(a, x, b):
    assert_same(axpy_broadcast, a, x, b)


def test_outer_difference():
    assert_same(outer_difference, RNG.random(6))
    assert_same(outer_difference, RNG.random(12)[::-2])


@pytest.mark.parametrize("a, b", [
    (RNG.random((2, 1, 4)), RNG.random((3, 1))),
    (RNG.random((2, 3, 4)), RNG.random(4)),
    (RNG.random((2, 3, 4)), 2.5),
    (RNG.random((1, 1, 1)), RNG.random((2, 3, 4))),
    (np.arange(12).reshape(3, 4), np.arange(4, dtype=np.int8)),
], ids=["2x1x4+3x1", "rank-mismatch", "scalar", "all-ones", "int"])
def test_broadcast_ranks(a, b):
    assert_same(broadcast_3d, a, b)


def mixed(a, b):
    return a + b, a * b, a > b


@pytest.mark.parametrize("da, db", [("int8", "float32"), ("int32", "float32"),
                                    ("uint8", "int8"), ("uint64", "int64"),
                                    ("bool", "bool"), ("bool", "int16"), ("uint32", "float64")])
def test_mixed_dtype_arrays(da, db):
    a = (RNG.random(10) * 100).astype(da)
    b = (RNG.random(10) * 100).astype(db)
    assert_same(mixed, a, b)


def ufuncs(a):
    return (np.exp(a), np.log(a), np.log1p(a), np.expm1(a), np.sin(a), np.cos(a), np.tan(a),
            np.tanh(a), np.sqrt(a), np.abs(a), np.floor(a), np.ceil(a), np.square(a),
            np.arctan(a), np.sinh(a), np.cosh(a), np.log2(a), np.log10(a), np.sign(a),
            np.isnan(a), np.isinf(a), np.isfinite(a), np.negative(a), np.trunc(a), np.rint(a))


@pytest.mark.parametrize("a", [
    np.concatenate([RNG.random(40) * 10, -RNG.random(5), [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-300, 700.0, 710.0]]),
    (RNG.random(37) * 10).astype(np.float32),
], ids=["float64-with-specials", "float32"])
def test_unary_ufuncs(a):
    assert_same(ufuncs, a)


def int_ufuncs(a):
    return np.sqrt(a), np.exp(a), np.abs(a), np.sign(a), np.negative(a), np.square(a)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int16"])
def test_unary_ufuncs_on_ints_follow_numpy_result_types(dtype):
    # int16 -> float32, int32/int64 -> float64 for sqrt and exp
    assert_same(int_ufuncs, np.arange(-5, 6).astype(dtype))


def int_rounding(a):
    return np.floor(a), np.ceil(a), np.trunc(a[::-1]), np.reciprocal(a), np.floor(a[0])


@pytest.mark.parametrize("a", [
    np.array([3, 1, -1, -7, 2**62, -2**63], np.int64),
    np.array([1, 2, 255, 7], np.uint8),
    np.array([-128, -1, 1, 127], np.int8),
    np.array([1, 0, 1, 1], np.int32)[::2],
    np.array([True, False, True]),
], ids=["int64", "uint8", "int8", "int32-view", "bool"])
def test_integer_floor_ceil_trunc_reciprocal(a):
    # NumPy 2 rounds integers to themselves, in their dtype, and their reciprocal is C's
    # 1 / x (1, -1 or 0); these once had no lowering (x = 0 is left out: its reciprocal
    # is NumPy's platform's)
    assert_same(int_rounding, a)


def binary_ufuncs(a, b):
    return (np.maximum(a, b), np.minimum(a, b), np.fmax(a, b), np.fmin(a, b),
            np.arctan2(a, b), np.hypot(a, b), np.power(np.abs(a), b), np.copysign(a, b),
            np.mod(a, b), np.floor_divide(a, b), np.add(a, b),
            np.subtract(a, b), np.multiply(a, b), np.divide(a, b), np.true_divide(a, b))


def test_binary_ufuncs_with_nan_propagation():
    # np.maximum/np.minimum propagate NaN; np.fmax/np.fmin ignore it
    a = np.array([1.0, np.nan, 3.0, np.nan, -0.5, 2.0, np.inf, -3.0])
    b = np.array([2.0, 1.0, np.nan, np.nan, -0.25, -1.0, 1.0, 0.0])
    assert_same(binary_ufuncs, a, b)
    assert_same(binary_ufuncs, RNG.standard_normal(50), RNG.standard_normal(50))


def fmod_remainder(a, b):
    return np.fmod(a, b), np.remainder(a, b)


def test_fmod_and_remainder_signs():
    a = np.array([7.5, -7.5, 7.5, -7.5, 1.0, np.inf, 3.0])
    b = np.array([2.0, 2.0, -2.0, -2.0, 0.0, 2.0, np.inf])
    assert_same(fmod_remainder, a, b)
    assert_same(fmod_remainder, np.array([7, -7, 7, -7]), np.array([2, 2, -2, -2]))


def where3(a, b):
    return np.where(a > b, a, b), np.where(a > 0.5, 1.0, 0.0), np.where(a > 0.5, a, -1.0)


@pytest.mark.parametrize("a, b", [
    (RNG.random((3, 4)), RNG.random((3, 4))),
    (RNG.random((3, 4)), RNG.random(4)),
    (RNG.random(6).astype(np.float32), RNG.random(6).astype(np.float32)),
    (RNG.random((4, 3)).T, RNG.random((3, 4))[::-1]),
], ids=["same-shape", "broadcast", "float32-weak-scalars", "views"])
def test_where(a, b):
    assert_same(where3, a, b)


def where_int_cond(a):
    return np.where(a, a * 2, -a), np.where(a % 2 == 0, a, 0)


def test_where_with_int_condition():
    assert_same(where_int_cond, np.arange(-4, 5))


def zero_d(a, b):
    return a * 2.0, a + b, np.exp(a)


def test_zero_d_arrays_give_scalars_like_numpy():
    assert_same(zero_d, np.array(1.5), np.arange(3.0))


def copy_and_astype(a):
    c = a.copy()
    c[0] = 99
    return (c, a.astype(np.float32), a.astype(np.int32), a.astype(np.int64), a.astype(bool),
            a.astype(np.float64))


@pytest.mark.parametrize("a", [
    # (float -> int conversions only of values in range: out of range is undefined)
    np.array([1.9, -1.9, 0.0, 2.5, -2.5, 100.7, -0.0, 1e-300, 2e9]),
    np.array([0, 1, -1, 255, 256, -129, 2**40], np.int64),
    np.array([True, False, True]),
    np.array([0.1, 1e-46, -7.9, 3e4], np.float32),
], ids=["float64", "int64", "bool", "float32"])
def test_copy_and_astype(a):
    assert_same(copy_and_astype, a)


def astype_wrap(a):
    return a.astype(np.uint8), a.astype(np.int8), a.astype(np.uint64), a.astype(np.int16)


def test_integer_astype_wraps_modulo():
    assert_same(astype_wrap, np.array([0, 1, -1, 255, 256, -129, 2**40 + 7, -2**63], np.int64))


def copy_of_views(a):
    return a[::-2].copy(), a.T.copy(), a[1:, ::2].copy()


def test_copy_of_views():
    assert_same(copy_of_views, RNG.random((5, 6)))


def astype_dtype_objects(a):
    return a.astype(float), a.astype(int), a.astype(np.int8)


def test_astype_with_python_types():
    assert_same(astype_dtype_objects, np.array([1.5, -2.5, 130.0]))


def in_place_broadcast(a, v):
    a *= v
    a += v[::-1]
    return a


def test_in_place_broadcasting():
    assert_same(in_place_broadcast, RNG.random((3, 4)), RNG.random(4))
    assert_same(in_place_broadcast, RNG.random((4, 3)).T, RNG.random(8)[::2])


def as_integers(a):
    return a.astype(np.int64), a.astype(np.int32), a.astype(np.uint64), a.astype(np.int8)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_undefined_float_to_integer_casts_agree_at_both_tiers(dtype):
    """NaN, infinities and values out of range have no integer: NumPy's astype gives a
    machine-dependent one. noodle gives the same one at both tiers (LLVM's conversion of
    such a value is poison, which the optimiser may turn into anything), and it is the
    int64 minimum's bits, wrapped to narrower dtypes."""
    a = np.array([np.nan, np.inf, -np.inf, 1e300, -1e300, 2.0 ** 63, 2.0 ** 64, 3e9,
                  -7.5, 250.9], dtype)
    baseline = noodle.jit(as_integers, fallback=False, cache=False)(a)
    optimised = noodle.jit(as_integers, fallback=False, cache=False, eager=True)(a)
    minimum = np.iinfo(np.int64).min
    for low, high in zip(baseline, optimised):
        np.testing.assert_array_equal(low, high)
        np.testing.assert_array_equal(low[:5], np.array(minimum).astype(low.dtype))
    assert baseline[0][-2:].tolist() == [-7, 250]


def clip_bounds(a, low, high):
    return np.clip(a, low, high)


def clip_forms(a):
    return (a.clip(-1000, 1000), a.clip(min=5), np.clip(a, None, 3),
            np.clip(a, a_max=2, a_min=np.int64(1)), np.clip(a, None, None))


#: Python ints at and just beyond the ends of the integer dtypes
EDGES = st.sampled_from([e + d for e in (0, 2**7, 2**8, 2**15, 2**16, 2**31, 2**32)
                         for d in (-1, 0)] + [-2**7 - 1, -2**15 - 1, -2**31 - 1, -2**63])
INT_DTYPES = [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
              np.uint64]


@HYPOTHESIS
@given(st.sampled_from(INT_DTYPES), st.one_of(st.integers(-2**63, 2**63 - 1), EDGES),
       st.one_of(st.integers(-2**63, 2**63 - 1), EDGES))
def test_clip_clamps_python_int_bounds_into_the_dtype(dtype, low, high):
    """NumPy 2: a Python int bound beyond the array's integer dtype on the side where it
    clips nothing clips as the nearest value the dtype holds (np.maximum would raise);
    beyond it on the other side (a low bound above the maximum) is an OverflowError."""
    info = np.iinfo(dtype)
    a = np.array([info.min, 0, 1, info.max, 7], dtype)
    refused = low > info.max or high < info.min
    assert_same(clip_bounds, a, low, high, raises=OverflowError if refused else None)


@pytest.mark.parametrize("a, low, high", [
    (np.array([np.nan, -1.0, 2.0, np.inf, -np.inf]), 0, 1),
    (np.array([np.nan, -1.0, 2.0]), np.nan, 1.0),       # a NaN bound: NaN everywhere
    (np.array([-1.0, 0.5, 2.0]), 1.0, 0.0),             # low > high: high
    (np.array([True, False]), 0, 1),                    # bool and a Python int: int64
    (np.float32([1, 2, -3]), 0, 1.5),                   # stays float32
    (np.float32([1, 2, -3]), 0, np.float64(1.5)),       # float64
    (np.array([-100, 0, 100], np.int8), -5.5, 5.5),     # a float bound: float64
    (np.arange(5.0), np.arange(5.0)[::-1], 3.0),        # array bounds broadcast
    (3.7, 0, 1), (5, 0, 3),                             # scalars: NumPy scalars
], ids=["nan-and-inf", "nan-bound", "crossed", "bool", "float32", "float32-f64-bound",
        "float-bound", "array-bound", "py-float", "py-int"])
def test_clip_as_numpy(a, low, high):
    assert_same(clip_bounds, a, low, high)


@pytest.mark.parametrize("a", [np.array([-100, 0, 100], np.int8), np.arange(6.0)[::-1]],
                         ids=["int8", "reversed"])
def test_clip_methods_keywords_and_missing_bounds(a):
    assert_same(clip_forms, a)


def clipped_zeros(a, low, high):
    return np.clip(a, low, high), np.clip(a[0], low, high)


@pytest.mark.parametrize("low, high", [(0.0, 1.0), (-0.0, 1.0), (0, -0.0), (np.nan, 1.0),
                                       (0.0, np.nan)], ids=repr)
def test_clip_keeps_the_sign_of_a_zero_at_its_bound(low, high):
    """NumPy's loop keeps x where x equals the bound: -0.0 stays at a bound of 0.0."""
    a = np.array([-0.0, 0.0, 2.0, -1.0, np.nan])
    for x in (a, a.astype(np.float32)):
        expected = assert_same(clipped_zeros, x, low, high)
        got = noodle.jit(clipped_zeros, cache=False, fallback=False)(x, low, high)
        for g, e in zip(got, expected):  # equal values; the signs of zeros too
            np.testing.assert_array_equal(np.signbit(g), np.signbit(e))
