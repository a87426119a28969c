"""The shared acceptance cases (``shared/acceptance/jit_cases.py``), differentially.

Each case runs compiled with ``fallback=False`` (so a fallback is an error) on its own
inputs, on fresh random inputs from several seeds, and on edge inputs: empty arrays,
non-contiguous and negative-step views, transposes, NaN/inf, other dtypes.
"""
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import noodle

from .harness import assert_same

SHARED = Path(__file__).resolve().parents[2].parent / "shared"

if not (SHARED / "acceptance" / "jit_cases.py").is_file():
    pytest.skip(f"acceptance cases not found: {SHARED / 'acceptance' / 'jit_cases.py'} "
                "is absent (the repository's sibling shared/ directory)",
                allow_module_level=True)

if str(SHARED) not in sys.path:
    sys.path.insert(0, str(SHARED))

from acceptance import jit_cases
from acceptance.jit_cases import CASES

BY_NAME = {case.name: case for case in CASES}
SEEDS = [0, 1, 2, 12345]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_on_random_inputs(case):
    # all seeds in one test so that they share one compiled kernel (same type key)
    for seed in SEEDS:
        try:
            assert_same(case.func, *case.make_args(np.random.default_rng(seed)))
        except AssertionError as exc:
            raise AssertionError(f"{case.name} with inputs from seed {seed}: {exc}") from exc


HOT_CASES = ["go_fast", "softmax_rows", "jacobi_2d", "mandelbrot", "crc16", "prefix_sum"]


@pytest.mark.parametrize("name", HOT_CASES)
def test_hot_function_stays_correct(name, monkeypatch):
    """Many calls (so the profiler sees the key as hot and the optimising tier may swap
    its kernel in, in the background): every call must still match Python."""
    monkeypatch.setenv("NOODLE_HOT_THRESHOLD", "3")
    case = BY_NAME[name]
    compiled = noodle.jit(case.func, fallback=False)
    deadline = time.monotonic() + 3.0
    calls = 0
    while calls < 40 or time.monotonic() < deadline:
        args = case.make_args(np.random.default_rng(calls % 3))
        assert_same(case.func, *args, compiled=compiled, calls=1)
        calls += 1
        if calls >= 40:
            time.sleep(0.2)


def test_every_case_has_edge_inputs():
    assert set(EDGES) == set(BY_NAME), set(BY_NAME) ^ set(EDGES)


def _rng():
    return np.random.default_rng(7)


def _with_specials(a):
    a = a.copy()
    flat = a.reshape(-1)
    specials = [np.nan, np.inf, -np.inf, -0.0, 0.0]
    for k, v in enumerate(specials[: flat.size]):
        flat[(k * 7) % flat.size] = v
    return a


# name -> list of (id, args, harness options)
EDGES = {
    "go_fast": [
        ("strided", (_rng().random((60, 90))[::2, ::3],), {}),
        ("transposed", (_rng().random((30, 20)).T,), {}),
        ("reversed", (_rng().random((30, 30))[::-1, ::-1],), {}),
        ("nan_inf", (_with_specials(_rng().random((8, 8))),), {}),
        ("empty", (np.zeros((0, 0)),), {}),
        ("float32", (_rng().random((9, 9)).astype(np.float32),), {}),
    ],
    "broadcast_axpy": [
        ("empty_rows", (np.zeros((0, 5)), np.zeros(0), np.ones(5)), {}),
        ("empty_cols", (np.zeros((4, 0)), np.ones(4), np.ones(0)), {}),
        ("views", (_rng().random((33, 64)).T, _rng().random(128)[::-2], _rng().random((33, 2))[:, 1]), {}),
        ("float32", (_rng().random((5, 6)).astype(np.float32),
                     _rng().random(5).astype(np.float32), _rng().random(6).astype(np.float32)), {}),
        ("int64", (np.arange(12).reshape(3, 4), np.arange(3), np.arange(4)), {}),
        ("nan_inf", (_with_specials(_rng().random((6, 7))), _rng().random(6), _rng().random(7)), {}),
    ],
    "first_above": [
        ("empty", (np.zeros(0), 0.5), {}),
        ("none_above", (np.zeros(10), 0.5), {}),
        ("reversed", (np.linspace(0, 1, 101)[::-1], 0.5), {}),
        ("strided", (np.linspace(0, 1, 101)[::3], 0.5), {}),
        ("nan", (np.array([np.nan, 0.1, np.nan, 2.0]), 0.5), {}),
        ("int_threshold", (np.arange(20.0), 7), {}),
        ("int_array", (np.arange(20), 7.5), {}),
    ],
    "jacobi_2d": [
        ("no_steps", (1, _rng().random((6, 6)), _rng().random((6, 6))), {}),
        ("tiny", (3, _rng().random((3, 3)), _rng().random((3, 3))), {}),
        ("empty_interior", (3, _rng().random((2, 2)), _rng().random((2, 2))), {}),
        ("rectangular", (4, _rng().random((5, 9)), _rng().random((5, 9))), {}),
        ("views", (4, _rng().random((20, 20))[::2, ::-2], _rng().random((10, 10)).T), {}),
        ("float32", (5, _rng().random((8, 8)).astype(np.float32),
                     _rng().random((8, 8)).astype(np.float32)), {}),
    ],
    "gemm": [
        ("transposed", (1.5, 1.2, _rng().random((7, 5)), _rng().random((6, 7)).T,
                        _rng().random((5, 6)).T), {}),
        ("c_view", (0.5, -1.0, _rng().random((14, 10))[::2, ::-2], _rng().random((7, 3)),
                    _rng().random((3, 5))), {}),
        ("empty_inner", (1.5, 1.2, _rng().random((4, 5)), np.zeros((4, 0)), np.zeros((0, 5))), {}),
        ("empty_out", (1.5, 1.2, np.zeros((0, 5)), np.zeros((0, 3)), _rng().random((3, 5))), {}),
        ("float32", (1.5, 1.2, _rng().random((4, 5)).astype(np.float32),
                     _rng().random((4, 3)).astype(np.float32),
                     _rng().random((3, 5)).astype(np.float32)), {}),
        ("int_scalars", (2, 3, _rng().random((4, 5)), _rng().random((4, 3)), _rng().random((3, 5))), {}),
    ],
    "softmax_rows": [
        ("empty_rows", (np.zeros((0, 5)),), {}),
        ("one_column", (_rng().standard_normal((4, 1)),), {}),
        ("large_values", (np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]]),), {}),
        ("neg_inf", (np.array([[-np.inf, 0.0, 1.0], [2.0, -np.inf, 3.0]]),), {}),
        ("nan", (np.array([[np.nan, 0.0, 1.0], [2.0, 1.0, 3.0]]),), {}),
        ("transposed", (_rng().standard_normal((9, 6)).T,), {}),
        ("reversed", (_rng().standard_normal((6, 9))[::-1, ::-1],), {}),
        ("float32", (_rng().standard_normal((5, 7)).astype(np.float32),), {}),
    ],
    "prefix_sum": [
        ("empty", (np.zeros(0),), {}),
        ("one", (np.array([2.5]),), {}),
        ("reversed", (_rng().random(33)[::-1],), {}),
        ("strided", (_rng().random(99)[::3],), {}),
        ("nan_inf", (np.array([1.0, np.inf, 2.0, -np.inf, 3.0, np.nan, 4.0]),), {}),
        ("int64", (_rng().integers(-100, 100, 50),), {}),
    ],
    "mandelbrot": [
        ("tiny", (-2.0, 1.0, -1.0, 1.0, 2, 2, 5), {}),
        ("zero_iterations", (-2.0, 1.0, -1.0, 1.0, 5, 4, 0), {}),
        ("empty_width", (-2.0, 1.0, -1.0, 1.0, 0, 3, 10), {}),
        ("int_bounds", (-2, 1, -1, 1, 9, 7, 20), {}),
    ],
    "crc16": [
        ("empty", (np.zeros(0, np.uint8),), {}),
        ("reversed", (np.arange(200, dtype=np.uint8)[::-1],), {}),
        ("strided", (np.arange(256, dtype=np.uint8)[1::3],), {}),
        ("int64", (np.arange(-50, 300, dtype=np.int64),), {}),
        ("ascii", (np.frombuffer(b"123456789", dtype=np.uint8).copy(),), {}),
    ],
    "normalize_rows": [
        ("zero_row", (np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]]),), {}),
        ("empty", (np.zeros((0, 4)),), {}),
        ("no_columns", (np.zeros((3, 0)),), {}),
        ("transposed", (_rng().random((6, 9)).T,), {}),
        ("reversed", (_rng().random((9, 6))[::-1, ::-2],), {}),
        ("nan_row", (np.array([[np.nan, 1.0], [1.0, 2.0]]),), {}),
    ],
    "min_max_mean": [
        ("one", (np.array([4.5]),), {}),
        ("nan", (np.array([1.0, np.nan, -3.0]),), {}),
        ("inf", (np.array([1.0, np.inf, -np.inf]),), {}),
        ("pos_inf", (np.array([1.0, np.inf, 2.0]),), {}),
        ("reversed", (_rng().standard_normal(101)[::-1],), {}),
        ("strided", (_rng().standard_normal(300)[::7],), {}),
        ("int64", (_rng().integers(-1000, 1000, 77),), {}),
        ("int32", (_rng().integers(-1000, 1000, 77).astype(np.int32),), {}),
        ("float32", (_rng().random(100).astype(np.float32),), {}),
        ("two_d", (_rng().standard_normal((6, 5)),), {}),
        ("empty", (np.zeros(0),), {"raises": ValueError}),
    ],
    "clip_where": [
        ("nan_inf", (_with_specials(_rng().standard_normal((4, 5))), -0.5, 0.5), {}),
        ("empty", (np.zeros((0, 3)), -0.5, 0.5), {}),
        ("reversed", (_rng().standard_normal((7, 9))[::-1, ::-2], -0.5, 0.5), {}),
        ("float32_weak_scalars", (_rng().standard_normal(20).astype(np.float32), -0.5, 0.5), {}),
        ("int", (np.arange(-10, 10), -3, 4), {}),
        ("int_array_float_bounds", (np.arange(-10, 10), -3.5, 4.5), {}),
    ],
    "reverse_strided": [
        # Python gives 0.0 (a float) when the loop runs zero times and np.float64
        # otherwise: the documented deviation gives np.float64 on both paths.
        ("empty", (np.zeros(0),), {"np_float_for_py_float": True}),
        ("one", (np.array([3.0]),), {}),
        ("two", (np.array([3.0, 5.0]),), {}),
        ("reversed", (_rng().random(50)[::-1],), {}),
        ("strided", (_rng().random(150)[::3],), {}),
        ("nan", (np.array([1.0, np.nan, 2.0, 3.0, 4.0]),), {}),
        ("int64", (np.arange(40),), {}),
    ],
    "float32_stays": [
        ("strided", (_rng().random(64).astype(np.float32)[::2],
                     _rng().random(64).astype(np.float32)[::-2]), {}),
        ("empty", (np.zeros(0, np.float32), np.zeros(0, np.float32)), {}),
        ("broadcast", (_rng().random((3, 1)).astype(np.float32),
                       _rng().random(4).astype(np.float32)), {}),
        ("scalar_operand", (_rng().random(5).astype(np.float32), np.float32(2.5)), {}),
        ("python_float_operand", (_rng().random(5).astype(np.float32), 2.5), {}),
        ("nan_inf", (np.array([np.nan, np.inf, 1.0], np.float32),
                     np.array([1.0, 2.0, -np.inf], np.float32)), {}),
        ("float64", (_rng().random(5), _rng().random(5).astype(np.float32)), {}),
    ],
    "int_overflow_wraps": [
        ("extremes", (np.array([2**31 - 1, -2**31, 0, -1, 715827882, 715827883], np.int32),), {}),
        ("empty", (np.zeros(0, np.int32),), {}),
        ("reversed", (np.arange(-2**31, 2**31 - 1, 2**26, dtype=np.int32)[::-1],), {}),
        ("int8", (np.arange(-128, 128, dtype=np.int8),), {}),
        ("int64", (np.array([2**62, -2**63, 2**63 - 1, 3], np.int64),), {}),
        ("uint32", (np.array([0, 2**32 - 1, 2**31], np.uint32),), {}),
    ],
    "pairwise_distance": [
        ("empty", (np.zeros((0, 3)),), {}),
        ("no_columns", (np.zeros((3, 0)),), {}),
        ("transposed", (_rng().random((3, 12)).T,), {}),
        ("reversed", (_rng().random((10, 4))[::-1, ::-1],), {}),
        ("float32", (_rng().random((8, 3)).astype(np.float32),), {}),
        ("inf", (np.array([[0.0, np.inf], [1.0, 2.0]]),), {}),
    ],
}

EDGE_PARAMS = [
    pytest.param(name, args, options, id=f"{name}-{edge}")
    for name, edges in EDGES.items()
    for edge, args, options in edges
]


@pytest.mark.parametrize("name, args, options", EDGE_PARAMS)
def test_case_on_edge_inputs(name, args, options):
    assert_same(BY_NAME[name].func, *args, **options)


def test_go_fast_layout_keys_do_not_mix():
    """One compiled object called with C, transposed, strided and C again inputs."""
    from .harness import jitted

    compiled = jitted(jit_cases.go_fast)
    base = np.random.default_rng(3).random((12, 12))
    for a in (base, base.T, base[::-2, ::2], base[1:, :-1], base):
        assert_same(jit_cases.go_fast, a, compiled=compiled)


def test_crc16_known_value():
    """CRC-16/X-25 of b"123456789" is 0x906E; compiled must agree with Python too."""
    data = np.frombuffer(b"123456789", dtype=np.uint8).copy()
    expected = assert_same(jit_cases.crc16, data)
    assert expected == 0x6E90  # the function swaps the two bytes at the end
