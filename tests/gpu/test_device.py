"""GPU programs run on a GPU through CuPy, against NumPy: NumPy arrays in and out, CuPy
arrays in and out. Skipped (with the reason) where there is no NVIDIA GPU or no CuPy."""
from __future__ import annotations

import numpy as np
import pytest

from noodle.compiler.gpu import compile_to_ptx
from noodle.runtime.gpu_launcher import (
    NO_GPU,
    GpuLauncher,
    argument_types,
    device_chip,
    gpu_available,
)

from . import kernels
from .cases import ACCEPTANCE_ON_GPU, acceptance_cases, arg_types

AVAILABLE, WHY = gpu_available()
pytestmark = pytest.mark.skipif(not AVAILABLE, reason=f"{NO_GPU}: {WHY}")

ACCEPTANCE = acceptance_cases()
_PROGRAMS: dict = {}


def gpu(func):
    """`func` compiled for this GPU (per argument types), called like `func`."""
    def call(*args):
        key = (func, argument_types(args))
        if key not in _PROGRAMS:
            _PROGRAMS[key] = GpuLauncher(compile_to_ptx(func, key[1], chip=device_chip()))
        return _PROGRAMS[key](*args)
    return call


def _host(value):
    if isinstance(value, tuple):
        return tuple(_host(v) for v in value)
    return value.get() if hasattr(value, "get") and not isinstance(value, np.generic) else value


def _to_device(value):
    import cupy
    if isinstance(value, tuple):
        return tuple(_to_device(v) for v in value)
    return cupy.asarray(value) if isinstance(value, np.ndarray) else value


def assert_close(got, want):
    """Arrays by dtype, shape and values (rtol 1e-9 float64, 1e-5 float32, NaN equal);
    scalars by value and Python/NumPy kind; tuples element by element."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            assert_close(g, w)
        return
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), type(got)
        assert (got.dtype, got.shape) == (want.dtype, want.shape)
    else:
        assert type(got) is type(want), (type(got), type(want))
    dtype = np.asarray(want).dtype
    if dtype.kind == "f":
        rtol = 1e-5 if dtype == np.float32 else 1e-9
        np.testing.assert_allclose(got, want, rtol=rtol, atol=0, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, want)


def check_numpy_in_out(func, *args):
    want_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    got_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    want = func(*want_args)
    got = gpu(func)(*got_args)
    assert_close(got, want)
    for g, w in zip(got_args, want_args):  # in-place effects
        if isinstance(w, np.ndarray):
            assert_close(g, w)


def check_cupy_in_out(func, *args):
    import cupy
    want_args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    want = func(*want_args)
    device_args = _to_device(args)
    got = gpu(func)(*device_args)
    leaves = got if isinstance(got, tuple) else (got,)
    for leaf in leaves:
        if isinstance(leaf, np.ndarray) or hasattr(leaf, "get"):
            assert isinstance(leaf, cupy.ndarray), "array results of CuPy calls stay on device"
    assert_close(_host(got), want)
    for g, w in zip(device_args, want_args):
        if isinstance(w, np.ndarray):
            assert_close(g.get(), w)


@pytest.mark.skipif(not ACCEPTANCE, reason="acceptance cases not found")
@pytest.mark.parametrize("name", ACCEPTANCE_ON_GPU)
def test_acceptance_case_numpy_in_out(name):
    case = ACCEPTANCE[name]
    for seed in (0, 1, 2):
        check_numpy_in_out(case.func, *case.make_args(np.random.default_rng(seed)))


@pytest.mark.skipif(not ACCEPTANCE, reason="acceptance cases not found")
@pytest.mark.parametrize("name", ACCEPTANCE_ON_GPU)
def test_acceptance_case_cupy_in_out(name):
    case = ACCEPTANCE[name]
    check_cupy_in_out(case.func, *case.make_args(np.random.default_rng(3)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32])
@pytest.mark.parametrize("n", [1, 255, 256, 257, 3_000_001])
def test_reductions_of_every_kind(dtype, n):
    rng = np.random.default_rng(n)
    if np.dtype(dtype).kind == "f":
        # near 1, so that the product stays finite; a float32 product of millions of
        # terms depends on the order by more than 1e-5, so only sum/min/max there
        a = (1 + (rng.random(n) - 0.5) * 1e-3).astype(dtype)
        func = kernels.sum_min_max if dtype == np.float32 and n > 1000 else \
            kernels.all_reductions
    else:  # integer products wrap identically in any order
        a, func = rng.integers(-3, 4, n).astype(dtype), kernels.all_reductions
    check_numpy_in_out(func, a)
    check_cupy_in_out(func, a)


def test_min_max_propagate_nan_and_bool_reductions():
    a = np.random.default_rng(0).random(100_000)
    a[77_777] = np.nan
    check_numpy_in_out(kernels.all_reductions, a)
    check_numpy_in_out(kernels.bool_reductions, np.random.default_rng(1).random(70_001))


@pytest.mark.parametrize("shapes", [((1, 1), (1, 1)), ((17, 33), (33, 5)), ((64, 64), (64, 64)),
                                    ((100, 3), (3, 200)), ((0, 4), (4, 3))])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_tiled_matmul(shapes, dtype):
    rng = np.random.default_rng(0)
    a, b = (rng.integers(-5, 5, s).astype(dtype) for s in shapes)
    check_numpy_in_out(kernels.matmul, a, b)
    check_cupy_in_out(kernels.matmul, a, b)


def test_axis_reduction_prange_and_keepdims():
    rng = np.random.default_rng(0)
    check_numpy_in_out(kernels.row_sums, rng.random((300, 77)))
    check_numpy_in_out(kernels.prange_rows, rng.random((513, 9)), np.zeros(513))
    check_numpy_in_out(kernels.prange_total, rng.random(100_003))
    check_numpy_in_out(kernels.keepdims_total, rng.random((30, 31)))


def test_views_empty_arrays_and_in_place_writes():
    rng = np.random.default_rng(0)
    base = rng.random(1000)
    check_numpy_in_out(kernels.scaled_exp, base[::-3], 0.5)
    check_cupy_in_out(kernels.scaled_exp, base[::-3], 0.5)
    check_numpy_in_out(kernels.scaled_exp, np.empty(0), 0.5)
    check_numpy_in_out(kernels.axpy_in_place, 3.0, rng.random(5000), rng.random(5000))
    check_cupy_in_out(kernels.axpy_in_place, 3.0, rng.random(5000), rng.random(5000))


def test_kernels_run_on_the_current_stream():
    import cupy
    a = cupy.asarray(np.random.default_rng(0).random(1_000_000))
    stream = cupy.cuda.Stream(non_blocking=True)
    with stream:
        got = gpu(kernels.scaled_exp)(a, 2.0)
    stream.synchronize()
    np.testing.assert_allclose(got.get(), np.exp(a.get() * 2.0) - 1.0, rtol=1e-9)


def test_module_is_loaded_once_per_program():
    from noodle.runtime import gpu_launcher
    a = np.ones(10)
    program = compile_to_ptx(kernels.sum_of_squares, arg_types((a,)), chip=device_chip())
    GpuLauncher(program)(a)
    loaded = len(gpu_launcher._MODULES)
    GpuLauncher(program)(a)
    assert len(gpu_launcher._MODULES) == loaded


def test_index_error_in_a_kernel_raises_like_python():
    from noodle.compiler.options import CompileOptions
    a, out = np.arange(10.0), np.zeros(10)
    with pytest.raises(IndexError):
        kernels.shifted_copy(a, out.copy(), 3)
    program = compile_to_ptx(kernels.shifted_copy, arg_types((a, out, 3)),
                             CompileOptions(boundscheck=True), chip=device_chip())
    with pytest.raises(IndexError):
        GpuLauncher(program)(a, out, 3)
    GpuLauncher(program)(a, out, 0)
    np.testing.assert_array_equal(out, a)


@pytest.mark.parametrize("name", sorted(kernels.EXAMPLES))
def test_example_numpy_and_cupy_in_out(name):
    func, make_args = kernels.EXAMPLES[name]
    check_numpy_in_out(func, *make_args(0))
    check_cupy_in_out(func, *make_args(1))


def test_aliasing_arguments_share_memory_on_the_device():
    rng = np.random.default_rng(0)
    y = rng.random(1000)
    check_numpy_in_out(kernels.axpy_in_place, 2.0, y, y)  # the same array twice
    base = rng.random(1001)
    want = base.copy()
    kernels.axpy_in_place(2.0, want[:-1], want[1:])
    got = base.copy()
    gpu(kernels.axpy_in_place)(2.0, got[:-1], got[1:])  # two views of one buffer
    assert_close(got, want)
    check_numpy_in_out(kernels.shift_in_place, rng.random(777))


def test_result_viewing_an_argument_is_a_view_of_the_callers_array():
    a = np.arange(10.0)
    got = gpu(kernels.doubled_tail)(a)
    assert np.shares_memory(got, a) and np.array_equal(got, np.arange(1.0, 10.0) * 2)
    import cupy
    d = cupy.arange(10.0)
    got = gpu(kernels.doubled_tail)(d)
    assert isinstance(got, cupy.ndarray) and got.data.ptr == d.data.ptr + 8


def test_tall_matmul_walks_row_tiles_beyond_grid_y():
    rng = np.random.default_rng(0)
    check_numpy_in_out(kernels.matmul, rng.random((16 * 65535 + 100, 3)), rng.random((3, 5)))
