"""PTX for every GPU-lowerable acceptance case and benchmark kernel, assembled by ptxas
for sm_90; a clear `UnsupportedError` for the others. No GPU needed."""
from __future__ import annotations

import re

import numpy as np
import pytest

from noodle.compiler.gpu import assemble_ptx, compile_to_ptx, gpu_pipeline
from noodle.compiler.gpu.toolkit import libdevice_path, ptxas_path
from noodle.errors import UnsupportedError

from . import kernels
from .cases import (
    ACCEPTANCE_ON_GPU,
    ACCEPTANCE_REJECTED,
    BENCHMARKS_ON_GPU,
    BENCHMARKS_REJECTED,
    acceptance_cases,
    arg_types,
    benchmark_cases,
    small_args,
)

ACCEPTANCE = acceptance_cases()
BENCHMARKS = benchmark_cases()
needs_acceptance = pytest.mark.skipif(not ACCEPTANCE, reason="acceptance cases not found "
                                      "(the repository's sibling shared/ directory)")


def _assemble(program) -> None:
    if ptxas_path() is None:
        pytest.skip("ptxas not found (CUDA toolkit or nvidia-cuda-nvcc-cu12): PTX not assembled")
    assert assemble_ptx(program.ptx, "sm_90")


def _check_ptx(program) -> None:
    assert ".target sm_90" in program.ptx
    entries = set(re.findall(r"\.entry (\w+)", program.ptx))
    assert entries == set(program.params), (entries, set(program.params))
    assert program.params, "no kernel at all"


@needs_acceptance
@pytest.mark.parametrize("name", ACCEPTANCE_ON_GPU)
def test_acceptance_case_gives_ptx(name):
    case = ACCEPTANCE[name]
    program = compile_to_ptx(case.func, arg_types(small_args(case.make_args)))
    _check_ptx(program)
    _assemble(program)


@needs_acceptance
@pytest.mark.parametrize("name", sorted(ACCEPTANCE_REJECTED))
def test_acceptance_case_rejected_with_reason(name):
    case = ACCEPTANCE[name]
    with pytest.raises(UnsupportedError, match=ACCEPTANCE_REJECTED[name]) as info:
        compile_to_ptx(case.func, arg_types(small_args(case.make_args)))
    assert "jit_cases.py:" in str(info.value) or name == "normalize_rows"


def test_every_acceptance_case_is_classified():
    if ACCEPTANCE:
        assert set(ACCEPTANCE) == set(ACCEPTANCE_ON_GPU) | set(ACCEPTANCE_REJECTED)


@pytest.mark.parametrize("name", BENCHMARKS_ON_GPU)
def test_benchmark_kernel_gives_ptx(name):
    case = BENCHMARKS[name]
    program = compile_to_ptx(case.kernel, arg_types(small_args(case.make_args)))
    _check_ptx(program)
    _assemble(program)


@pytest.mark.parametrize("name", sorted(BENCHMARKS_REJECTED))
def test_benchmark_kernel_rejected_with_reason(name):
    case = BENCHMARKS[name]
    with pytest.raises(UnsupportedError, match=BENCHMARKS_REJECTED[name]):
        compile_to_ptx(case.kernel, arg_types(small_args(case.make_args)))


def test_every_benchmark_kernel_is_classified():
    assert set(BENCHMARKS) == set(BENCHMARKS_ON_GPU) | set(BENCHMARKS_REJECTED)


def test_reduction_is_a_block_tree_without_atomics():
    case = BENCHMARKS["sum"]
    program = compile_to_ptx(case.kernel, arg_types(small_args(case.make_args)))
    assert len(program.params) == 2  # per-block partials, then their combination
    assert "atom." not in program.ptx
    assert "shfl.sync" in program.ptx and "bar.sync" in program.ptx
    # the product is fused into the reduction: one pass over the inputs
    assert "mul.rn.f64" in program.ptx or "mul.f64" in program.ptx


def test_matmul_is_tiled_in_shared_memory():
    case = BENCHMARKS["gemm"]
    program = compile_to_ptx(case.kernel, arg_types(small_args(case.make_args)))
    assert ".shared" in program.ptx and "bar.sync" in program.ptx
    assert "ld.shared." in program.ptx  # the products read the tiles from shared memory


def test_fused_expression_is_one_kernel_calling_libdevice_exp():
    case = BENCHMARKS["exp_f32"]
    program = compile_to_ptx(case.kernel, arg_types(small_args(case.make_args)))
    assert len(program.params) == 1
    if libdevice_path() is None:
        pytest.skip("libdevice not found: math functions cannot be linked")
    # libdevice's expf linked in and inlined: no call to an external function left
    assert ".extern" not in program.ptx and "__nv_" not in program.ptx


def test_target_chip_is_followed():
    case = BENCHMARKS["exp_f64"]
    program = compile_to_ptx(case.kernel, arg_types(small_args(case.make_args)), chip="sm_80")
    assert ".target sm_80" in program.ptx and program.chip == "sm_80"


def test_pipeline_text_names_noodle_and_upstream_passes():
    text = gpu_pipeline("sm_90")
    for name in ("gpu-reduce", "gpu-matmul", "lower-nir", "gpu-map-loops",
                 "gpu-kernel-outlining", "gpu-merge-modules", "nvvm-attach-target{chip=sm_90",
                 "convert-gpu-to-nvvm", "gpu-module-to-binary{format=isa"):
        assert name in text, name


def test_prange_reduction_gives_kernels_for_chunks_and_their_combination():
    import numpy as np

    from .kernels import prange_total

    program = compile_to_ptx(prange_total, arg_types((np.ones(10),)))
    # the chunks in parallel; the partials combined by one thread, on the device
    assert len(program.params) == 2
    _assemble(program)


def test_sequential_loop_writing_a_temporary_is_rejected():
    import numpy as np

    from .kernels import running_max

    with pytest.raises(UnsupportedError, match="sequential loop") as info:
        compile_to_ptx(running_max, arg_types((np.ones(10),)))
    # a located error, rendered as the frontend's are: file:line:col, the line, a caret
    where = info.value.loc
    assert where is not None and where.filename.endswith("kernels.py") and where.line == 19
    lines = str(info.value).splitlines()
    assert lines[0].startswith(f"{where}: error: a sequential loop reads or writes")
    assert lines[1:3] == ["        m = max(m, a[i])", " " * 19 + "^"]  # under a[i]


def _split_top_level(pipeline: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in pipeline:
        depth += char in "({"
        depth -= char in ")}"
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


def _ptx_of_pipeline_text(function, types) -> str:
    """What noodle-opt will do with `gpu_pipeline()`: noodle's passes by name (each
    module's `<module>_pass` callable, as the registry collects them), the rest as
    upstream pipeline text, on the `nir` stage with its entry function public."""
    import importlib
    import pkgutil

    from mlir import ir, passmanager
    from mlir.dialects import gpu

    import noodle.passes
    from noodle.compiler.options import CompileOptions
    from noodle.compiler.pipeline import make_nir

    noodle_passes = {}
    for info in pkgutil.iter_modules(noodle.passes.__path__):
        module = importlib.import_module(f"noodle.passes.{info.name}")
        name = getattr(module, "PASS_NAME", None)
        if name is not None and hasattr(module, f"{info.name}_pass"):
            noodle_passes[name] = getattr(module, f"{info.name}_pass")
    unit, symbol, _ = make_nir(function, types, CompileOptions(parallel=True))
    with unit.context:
        del unit.module.body.operations[0].attributes["sym_visibility"]
        manager = passmanager.PassManager()
        for step in _split_top_level(gpu_pipeline("sm_90")):
            if step in noodle_passes:
                manager.add(noodle_passes[step], name=step)
            else:
                manager.add(step)
        manager.run(unit.module.operation)
        (binary,) = [op for op in unit.module.body.operations if op.name == "gpu.binary"]
        return gpu.ObjectAttr(ir.ArrayAttr(binary.attributes["objects"])[0]).object.decode()


def test_pipeline_text_run_pass_by_pass_gives_the_same_ptx():
    import numpy as np

    from .kernels import scaled_exp

    types = arg_types((np.ones(4), 1.0))
    ptx = _ptx_of_pipeline_text(scaled_exp, types)
    assert ".entry noodle_fn_scaled_exp_kernel" in ptx
    assert ptx == compile_to_ptx(scaled_exp, types).ptx


def test_pipeline_text_points_libm_calls_at_libdevice():
    if libdevice_path() is None:
        pytest.skip("libdevice not found")
    types = arg_types((np.ones(64), np.ones(64)))
    ptx = _ptx_of_pipeline_text(libm_functions, types)
    assert "_mlir_ciface_" not in ptx and ptx == compile_to_ptx(libm_functions, types).ptx


@pytest.mark.parametrize("name", sorted(kernels.EXAMPLES))
def test_example_kernel_gives_ptx(name):
    func, make_args = kernels.EXAMPLES[name]
    program = compile_to_ptx(func, arg_types(make_args(0)))
    _check_ptx(program)
    _assemble(program)


def test_scalar_only_function_is_rejected():
    with pytest.raises(UnsupportedError, match="no array work for the GPU"):
        compile_to_ptx(kernels.scalar_only, arg_types((1.5, 2.0)))


def test_unlinked_libdevice_functions_are_found():
    from noodle.compiler.gpu.compile import unresolved_libdevice
    ptx = (".extern .func  (.param .b64 func_retval0) __nv_exp\n(\n\t.param .b64 __nv_exp_param_0"
           "\n)\n;\n.visible .entry k() { ret; }\n")
    assert unresolved_libdevice(ptx) == ["__nv_exp"]
    assert unresolved_libdevice(".visible .entry k() { ret; }") == []


def libm_functions(a, b):
    return np.sum(np.expm1(a) + np.log1p(np.abs(b)) + np.hypot(a, b))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_libm_functions_call_libdevice(dtype):
    # these lower to C math library calls; on the GPU they were left as unresolved
    # `_mlir_ciface_expm1` calls that ptxas refused
    if libdevice_path() is None:
        pytest.skip("libdevice not found")
    args = (np.ones(64, dtype), np.ones(64, dtype))
    program = compile_to_ptx(libm_functions, arg_types(args))
    assert "_mlir_ciface_" not in program.ptx
    _assemble(program)


def test_row_reductions_of_softmax_are_block_reductions():
    case = BENCHMARKS["softmax"]
    program = compile_to_ptx(case.kernel, arg_types(small_args(case.make_args)))
    # max of rows, exp, sum of rows, division
    assert len(program.params) == 4
    assert "shfl.sync" in program.ptx and "atom." not in program.ptx
