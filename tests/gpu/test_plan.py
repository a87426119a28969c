"""The host side of GPU programs, run without a GPU: the plan interpreter over a device
in host memory (`host_device.HostDevice`) whose launches are recorded, not run. Checks
shapes and dtypes of results, in-place copy-back sets, grid and block sizes, parameter
packing, error statuses, and the cache round trip. Values computed by kernels are the
GPU tests' business (`test_device.py`)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from noodle.compiler.gpu import GpuProgram, compile_to_ptx
from noodle.compiler.options import CompileOptions
from noodle.errors import UnsupportedError
from noodle.runtime import gpu_plan
from noodle.runtime.cache_store import CacheStore
from noodle.runtime.gpu_cache import GpuCache
from noodle.runtime.gpu_launcher import GpuLauncher, kernels_take

from . import kernels
from .cases import ACCEPTANCE_ON_GPU, ROOT, acceptance_cases, arg_types, small_args
from .host_device import HostDevice

ACCEPTANCE = acceptance_cases()


def _run(func, *args, chip="sm_90"):
    program = compile_to_ptx(func, arg_types(args), chip=chip)
    device = HostDevice()
    result = GpuLauncher(program, device)(*args)
    return program, device, result


def _same_structure(got, want):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _same_structure(g, w)
    elif isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray)
        assert (got.shape, got.dtype) == (want.shape, want.dtype)
    else:
        assert type(got) is type(want), (type(got), type(want))


@pytest.mark.skipif(not ACCEPTANCE, reason="acceptance cases not found")
@pytest.mark.parametrize("name", ACCEPTANCE_ON_GPU)
def test_result_structure_matches_python(name):
    case = ACCEPTANCE[name]
    _, device, got = _run(case.func, *small_args(case.make_args))
    _same_structure(got, case.func(*small_args(case.make_args)))
    assert device.launches


def test_elementwise_launch_covers_every_element_and_passes_the_arrays():
    a, s = np.random.default_rng(0).random(1000), 2.0
    program, device, out = _run(kernels.scaled_exp, a, s)
    (launch,) = device.launches
    assert launch.block == (256, 1, 1)
    assert launch.grid[0] * 256 >= a.size and (launch.grid[0] - 1) * 256 < a.size
    params = [int(p) for p in launch.params]
    # the argument and the result appear as descriptors: pointer, pointer, offset, size,
    # stride, each a NumPy scalar of the PTX parameter's type
    for array in (a, out):
        address = array.ctypes.data
        at = params.index(address)
        assert params[at:at + 5] == [address, address, 0, array.size, 1]
    kinds = program.params[launch.kernel]
    assert [_param_size(p) for p in launch.params] == \
        [np.dtype(gpu_plan.PARAM_TYPES[k]).itemsize for k in kinds]


def _param_size(value) -> int:
    """The bytes CuPy passes for a kernel argument: NumPy scalars as their type, Python
    ints and floats as 8 bytes."""
    if isinstance(value, np.generic):
        return value.itemsize
    assert isinstance(value, (int, float)) and not isinstance(value, bool)
    return 8


def test_strided_view_is_passed_with_its_strides():
    base = np.random.default_rng(1).random(100)
    view = base[::-3]
    _, device, out = _run(kernels.scaled_exp, view, 1.0)
    params = [int(p) for p in device.launches[0].params]
    at = params.index(view.ctypes.data)
    assert params[at + 2:at + 5] == [0, view.size, -3]
    assert out.shape == view.shape


def test_empty_array_still_launches_a_valid_grid():
    _, device, out = _run(kernels.scaled_exp, np.empty(0), 1.0)
    assert device.launches[0].grid == (1, 1, 1) and out.shape == (0,)


def test_full_reduction_is_two_launches_of_partials():
    a = np.ones(1_000_000)
    program, device, total = _run(kernels.sum_of_squares, a)
    first, second = device.launches
    assert first.grid == (1024, 1, 1) and first.block == (256, 1, 1)
    assert second.grid == (1, 1, 1)
    assert isinstance(total, np.float64)
    small = _run(kernels.sum_of_squares, np.ones(300))[1].launches[0]
    assert small.grid == (2, 1, 1)


def test_matmul_grid_is_tiles_of_the_result():
    a, b = np.ones((33, 7)), np.ones((7, 50))
    _, device, c = _run(kernels.matmul, a, b)
    tiled = [launch for launch in device.launches if launch.block == (16, 16, 1)]
    assert len(tiled) == 1 and tiled[0].grid == (4, 3, 1)
    assert c.shape == (33, 50)


def test_numpy_arguments_written_by_kernels_are_the_ones_copied_back():
    x, y = np.ones(10), np.ones(10)
    program = compile_to_ptx(kernels.axpy_in_place, arg_types((2.0, x, y)))
    device = HostDevice()
    launcher = GpuLauncher(program, device)
    run = gpu_plan.PlanRun(program.plan, program.params, device, program.writes)
    status = gpu_plan.View(np.zeros(1, np.int64), np.dtype(np.int64), 0, (), ())
    views = [2.0, *(gpu_plan.View(v, v.dtype, 0, v.shape, (1,), root=i)
                    for i, v in ((2, x), (3, y)))]
    run.run([status, *views])
    assert run.written == {3}  # y (argument 3, after the status and alpha), not x
    assert launcher(2.0, x, y) is None


def test_status_set_on_the_host_raises_like_python():
    case = ACCEPTANCE.get("broadcast_axpy")
    if case is None:
        pytest.skip("acceptance cases not found")
    rng = np.random.default_rng(0)
    program = compile_to_ptx(case.func, arg_types((rng.random((4, 3)), rng.random(4),
                                                   rng.random(3))))
    assert not kernels_take(program.plan, program.plan["args"][0])
    with pytest.raises(ValueError):
        case.func(rng.random((4, 3)), rng.random(4), rng.random(5))
    with pytest.raises(ValueError):
        GpuLauncher(program, HostDevice())(rng.random((4, 3)), rng.random(4), rng.random(5))


def test_program_round_trips_through_json_and_the_disk_cache(tmp_path):
    a = np.ones(100)
    program = compile_to_ptx(kernels.sum_of_squares, arg_types((a,)))
    again = GpuProgram.from_metadata(json.loads(json.dumps(program.metadata())), program.ptx)
    assert again.plan == program.plan and again.params == program.params
    first, second = HostDevice(), HostDevice()
    GpuLauncher(program, first)(a)
    GpuLauncher(again, second)(a)
    assert [(x.kernel, x.grid, x.block) for x in first.launches] == \
        [(x.kernel, x.grid, x.block) for x in second.launches]

    cache = GpuCache(CacheStore(tmp_path))
    options = CompileOptions()
    assert cache.load(kernels.sum_of_squares, arg_types((a,)), options, "sm_90") is None
    cache.save(kernels.sum_of_squares, program, options)
    loaded = cache.load(kernels.sum_of_squares, arg_types((a,)), options, "sm_90")
    assert loaded is not None and loaded.ptx == program.ptx and loaded.plan == program.plan
    assert cache.load(kernels.sum_of_squares, arg_types((a,)), options, "sm_80") is None


def test_keepdims_reduction_result_is_an_array_of_unit_dims():
    _, device, got = _run(kernels.keepdims_total, np.ones((3, 4)))
    assert got.shape == (1, 1) and len(device.launches) == 2


def test_noodle_does_not_import_cupy_to_compile_or_plan():
    code = ("import sys, numpy as np\n"
            "from noodle.compiler.gpu import compile_to_ptx\n"
            "from noodle.runtime.gpu_launcher import GpuLauncher\n"
            "from tests.gpu import kernels\n"
            "from tests.gpu.host_device import HostDevice\n"
            "from noodle.compiler.types import typeof\n"
            "a = np.ones(5)\n"
            "p = compile_to_ptx(kernels.sum_of_squares, (typeof(a),))\n"
            "GpuLauncher(p, HostDevice())(a)\n"
            "assert 'cupy' not in sys.modules, 'cupy imported'\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("op,a,b,t,want", [
    ("arith.addi", 2**63 - 1, 1, "index", -2**63),
    ("arith.divsi", -7, 2, "i64", -3),
    ("arith.remsi", -7, 2, "i64", -1),
    ("arith.ceildivsi", -7, 2, "i64", -3),
    ("arith.ceildivsi", 7, 2, "i64", 4),
    ("arith.floordivsi", -7, 2, "i64", -4),
    ("arith.muli", 2**31, 2, "i32", 0),
    ("arith.divui", -2, 2, "i64", 2**63 - 1),
    ("arith.minui", -1, 3, "i64", 3),
    ("arith.shrui", -1, 60, "i64", 15),
])
def test_integer_ops_follow_mlir_semantics(op, a, b, t, want):
    assert gpu_plan._INT_BINARY[op](a, b, t) == want


def test_float_comparisons_follow_ordered_and_unordered_predicates():
    nan, one = np.float64("nan"), np.float64(1.0)
    assert not gpu_plan._cmpf(1, nan, nan)  # oeq
    assert gpu_plan._cmpf(8, nan, one)  # ueq
    assert gpu_plan._cmpf(13, nan, nan)  # une
    assert not gpu_plan._cmpf(6, nan, one)  # one
    assert gpu_plan._cmpf(4, np.float64(0.5), one)  # olt


def test_rank_reducing_subview_drops_static_unit_dims():
    dynamic = gpu_plan.DYNAMIC
    assert gpu_plan._kept_dims([1, dynamic], [None]) == [1]
    assert gpu_plan._kept_dims([dynamic, 1, dynamic], [None, None]) == [0, 2]
    assert gpu_plan._kept_dims([dynamic, 1], [None, 1]) == [0, 1]


def test_kernel_that_may_raise_keeps_the_status_on_the_device():
    args = (np.ones(10), np.zeros(10), 3)
    program = compile_to_ptx(kernels.shifted_copy, arg_types(args),
                             CompileOptions(boundscheck=True))
    assert kernels_take(program.plan, program.plan["args"][0])
    device = HostDevice()
    GpuLauncher(program, device)(*args)
    (launch,) = device.launches
    status = device.allocations[0]  # the first allocation: the status cell, zeroed
    assert status.dtype == np.int64 and status.size == 1 and status[0] == 0
    assert status.ctypes.data in [int(p) for p in launch.params]


def test_programs_come_from_memory_then_disk_and_rejections_are_remembered(tmp_path,
                                                                          monkeypatch):
    from noodle.runtime import gpu_programs

    compiled = []

    def counting_compile(*args, **kwargs):
        compiled.append(args[0])
        return compile_to_ptx(*args, **kwargs)

    monkeypatch.setattr(gpu_programs, "compile_to_ptx", counting_compile)
    monkeypatch.setattr(gpu_programs, "GpuLauncher", lambda program: program)
    a = np.ones(8)
    options = CompileOptions()
    first = gpu_programs.GpuPrograms(CacheStore(tmp_path))
    program = first.launcher(kernels.sum_of_squares, arg_types((a,)), options, "sm_90")
    assert first.launcher(kernels.sum_of_squares, arg_types((a,)), options, "sm_90") is program
    fresh = gpu_programs.GpuPrograms(CacheStore(tmp_path))  # another process, same disk
    again = fresh.launcher(kernels.sum_of_squares, arg_types((a,)), options, "sm_90")
    assert again.ptx == program.ptx and compiled == [kernels.sum_of_squares]
    for _ in range(2):
        with pytest.raises(UnsupportedError, match="sequential loop"):
            first.launcher(kernels.running_max, arg_types((a,)), options, "sm_90")
    assert compiled.count(kernels.running_max) == 1


@pytest.mark.parametrize("name", sorted(kernels.EXAMPLES))
def test_example_result_structure_matches_python(name):
    func, make_args = kernels.EXAMPLES[name]
    _, device, got = _run(func, *make_args(0))
    _same_structure(got, func(*make_args(0)))


def test_host_scalar_math_and_unsigned_values():
    handler = gpu_plan._handler("math.sqrt")
    assert handler(None, [np.float32(2.0)], {"types": ["f32"]}) == [np.float32(np.sqrt(2))]
    assert gpu_plan._param_value(255, "i8") == -1
    assert gpu_plan._param_value(-1, "u64") == 2**64 - 1
    from noodle.compiler.types import Scalar
    from noodle.runtime.gpu_launcher import _argument, _box
    assert _box(Scalar(np.dtype(np.uint8)), -1) == np.uint8(255)
    assert _argument(np.uint8(200), 1) == -56


def test_result_viewing_an_argument_keeps_its_memory():
    a = np.arange(10.0)
    _, device, got = _run(kernels.doubled_tail, a)
    assert got.ctypes.data == a.ctypes.data + 8 and got.shape == (9,)


def test_last_dim_reduction_is_a_block_per_row():
    _, device, got = _run(kernels.row_sums, np.ones((300, 77)))
    (launch,) = device.launches
    assert launch.grid == (300, 1, 1) and launch.block == (96, 1, 1)  # 77 -> 3 warps
    assert got.shape == (300,)
    wide = _run(kernels.row_sums, np.ones((5, 10_000)))[1].launches[0]
    assert wide.grid == (5, 1, 1) and wide.block == (256, 1, 1)
    # a reduction keeping the last dim: one thread per kept element
    columns = _run(kernels.mean_of_columns, np.ones((300, 7)))[1].launches
    assert all(launch.block == (256, 1, 1) for launch in columns)


def test_matmul_with_more_row_tiles_than_grid_y_allows():
    a, b = np.ones((16 * 65535 + 1, 1)), np.ones((1, 2))
    _, device, c = _run(kernels.matmul, a, b)
    tiled = [launch for launch in device.launches if launch.block == (16, 16, 1)]
    assert tiled[0].grid == (1, 65535, 1) and c.shape == (16 * 65535 + 1, 2)


def _all_examples():
    examples = [(name, func, make_args(0)) for name, (func, make_args)
                in sorted(kernels.EXAMPLES.items())]
    examples += [(name, ACCEPTANCE[name].func, small_args(ACCEPTANCE[name].make_args))
                 for name in ACCEPTANCE_ON_GPU if name in ACCEPTANCE]
    return examples


@pytest.mark.parametrize("name,func,args", _all_examples(), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_generated_plan_function_matches_the_interpreter(name, func, args):
    """The launcher runs the plan as generated Python (`gpu_plan_source`); the
    interpreter is the reference: same kernels, grids, blocks, scalar parameters and
    written arguments."""
    from noodle.runtime.gpu_launcher import _argument
    from noodle.runtime.gpu_plan_source import plan_function

    program = compile_to_ptx(func, arg_types(args))
    prepared = gpu_plan.PreparedPlan(program.plan)

    def launches(run_with):
        device = HostDevice()
        values = [_argument(a, i) for i, a in enumerate(
            (a.copy() if isinstance(a, np.ndarray) else a for a in args), start=1)]
        status = gpu_plan.View(np.zeros(1, np.int64), np.dtype(np.int64), 0, (), ())
        run = gpu_plan.PlanRun(prepared, program.params, device, program.writes)
        results = run_with(run, [status, *values])
        kinds = program.params
        return ([(x.kernel, x.grid, x.block,
                  [float(p) if k[0] == "f" else int(p)
                   for p, k in zip(x.params, kinds[x.kernel]) if k != "u64"])
                 for x in device.launches], run.written,
                [(r.sizes, r.strides) if isinstance(r, gpu_plan.View) else r for r in results])

    interpreted = launches(lambda run, values: run.run(values))
    generated = launches(plan_function(prepared))
    assert generated == interpreted
    assert interpreted[0], "no launch"


def _halved_scale(a, n):
    return a * (n / 2)


@pytest.mark.parametrize("n", [np.uint8(200), np.uint16(40_000), np.uint32(3_000_000_000)])
def test_unsigned_scalar_above_the_signed_range_converts_to_its_value(n):
    a = np.ones(4)
    _, device, _ = _run(_halved_scale, a, n)
    floats = [float(p) for p in device.launches[0].params
              if isinstance(p, (float, np.floating))]
    assert floats == [int(n) / 2]


def _launch_plan(segments: list[int]) -> dict:
    """A plan of one launch of kernel `k` with no operands, every size operand value 1
    and the dynamic shared memory size (if any) 4096."""
    sizes = sum(segments[1:10])
    return {"args": [0], "body": [
        {"op": "arith.constant", "in": [], "out": [1], "types": ["index"],
         "attrs": {"value": 1}},
        {"op": "arith.constant", "in": [], "out": [2], "types": ["i32"],
         "attrs": {"value": 4096}},
        {"op": "gpu.launch_func", "in": [1] * sizes + [2] * segments[10], "out": [],
         "types": [], "attrs": {"kernel": ["m", "k"], "operandSegmentSizes": segments}},
        {"op": "func.return", "in": [], "out": [], "types": []}]}


def test_launch_passes_the_dynamic_shared_memory_size_and_refuses_clusters():
    device = HostDevice()
    plain = [0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    gpu_plan.PlanRun(_launch_plan(plain), {"k": []}, device).run([None])
    shared = [0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0]
    gpu_plan.PlanRun(_launch_plan(shared), {"k": []}, device).run([None])
    assert [launch.shared_mem for launch in device.launches] == [0, 4096]
    clusters = [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
    with pytest.raises(gpu_plan.PlanError, match="clusters"):
        gpu_plan.PlanRun(_launch_plan(clusters), {"k": []}, device).run([None])


class _DriverError(Exception):
    """Stands for CuPy's CUDADriverError, which needs CuPy."""


def test_driver_rejecting_the_ptx_is_unsupported_with_its_message():
    from noodle.runtime.gpu_launcher import driver_rejections

    message = "CUDA_ERROR_UNSUPPORTED_PTX_VERSION: the provided PTX was compiled with an " \
        "unsupported toolchain."
    with pytest.raises(UnsupportedError, match="UNSUPPORTED_PTX_VERSION") as info:
        with driver_rejections(_DriverError):
            raise _DriverError(message)
    assert "driver" in str(info.value)
    with pytest.raises(KeyError):  # only the driver's errors
        with driver_rejections(_DriverError):
            raise KeyError("x")


def test_module_load_rejection_is_remembered_per_key(tmp_path, monkeypatch):
    from noodle.runtime import gpu_launcher, gpu_programs

    loads = []

    def rejecting_launcher(program):
        loads.append(program)
        with gpu_launcher.driver_rejections(_DriverError):
            raise _DriverError("CUDA_ERROR_INVALID_PTX")

    monkeypatch.setattr(gpu_programs, "GpuLauncher", rejecting_launcher)
    programs = gpu_programs.GpuPrograms(CacheStore(tmp_path))
    a = np.ones(8)
    for _ in range(2):
        with pytest.raises(UnsupportedError, match="INVALID_PTX"):
            programs.launcher(kernels.sum_of_squares, arg_types((a,)), CompileOptions(),
                              "sm_90")
    assert len(loads) == 1


def test_launchers_are_kept_per_device(tmp_path, monkeypatch):
    from noodle.runtime import gpu_programs

    device = [0]
    monkeypatch.setattr(gpu_programs, "current_device_id", lambda: device[0])
    monkeypatch.setattr(gpu_programs, "GpuLauncher", lambda program: object())
    programs = gpu_programs.GpuPrograms(CacheStore(tmp_path))
    a = np.ones(8)

    def launcher():
        return programs.launcher(kernels.sum_of_squares, arg_types((a,)), CompileOptions(),
                                 "sm_90")

    on_0 = launcher()
    device[0] = 1
    on_1 = launcher()
    assert on_1 is not on_0 and launcher() is on_1
    device[0] = 0
    assert launcher() is on_0


def test_program_from_the_disk_cache_runs_without_loading_mlir_or_cupy(tmp_path):
    """A fresh process that finds the program on disk neither compiles nor loads MLIR
    (the first process compiles and saves; both import the kernel as the same module,
    which the cache key names)."""
    setup = ("import sys, numpy as np\n"
             "from noodle.compiler.options import CompileOptions\n"
             "from noodle.compiler.types import typeof\n"
             "from noodle.runtime.cache_store import CacheStore\n"
             "from noodle.runtime.gpu_launcher import GpuLauncher\n"
             "from noodle.runtime.gpu_programs import GpuPrograms\n"
             "from tests.gpu import kernels\n"
             "from tests.gpu.host_device import HostDevice\n"
             "a = np.ones(5)\n"
             f"programs = GpuPrograms(CacheStore({str(tmp_path)!r}))\n"
             "p = programs.program(kernels.sum_of_squares, (typeof(a),), CompileOptions(),"
             " 'sm_90')\n"
             "GpuLauncher(p, HostDevice())(a)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    for check in ("assert 'mlir' in sys.modules, 'not compiled'\n",
                  "assert 'mlir' not in sys.modules, 'mlir imported'\n"
                  "assert 'cupy' not in sys.modules, 'cupy imported'\n"):
        done = subprocess.run([sys.executable, "-c", setup + check], capture_output=True,
                              text=True, cwd=ROOT, env=env)
        assert done.returncode == 0, done.stderr
