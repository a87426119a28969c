"""The GPU compile path: a Python function and argument types -> PTX and a host plan.

Stages, each a plain function of the previous one's module (as `pipeline.py` for the
CPU), which `compile_to_ptx` runs in order and keeps the text of:

    nir    the frontend's module (`pipeline.make_nir`)
    gpu    after `gpu_steps`: noodle's nir passes (fusion first, so that a fused
           expression makes one kernel), `gpu-reduce`, `gpu-matmul`, `lower-nir`, linalg
           to `scf.parallel` loops, `gpu-map-loops`, `gpu-serial-loops`, kernel
           outlining, `gpu-merge-modules`: a host function and one gpu.module
    nvvm   the gpu.module lowered to the NVVM/LLVM dialects for the target chip
    ptx    `gpu-module-to-binary{format=isa}`: PTX text, math functions from libdevice

What the GPU path does not lower raises `UnsupportedError` with the reason, so that the
caller can run the function on the CPU instead.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from types import FunctionType

from mlir import ir, passmanager
from mlir.dialects import gpu

from noodle.compiler.dependencies import make_manifest
from noodle.compiler.gpu import toolkit
from noodle.compiler.gpu.host_plan import host_plan
from noodle.compiler.gpu.program import DEFAULT_CHIP, PARAM_TYPES, GpuProgram
from noodle.compiler.kernel import Kernel
from noodle.compiler.mlir_diagnostics import error_from_mlir
from noodle.compiler.options import CompileOptions
from noodle.compiler.pipeline import entry_symbol, make_nir
from noodle.compiler.types import NType
from noodle.errors import LoweringError, NoodleError, UnsupportedError
from noodle.passes.fastmath import PASS_NAME as FASTMATH
from noodle.passes.fastmath import apply_fastmath
from noodle.passes.gpu_libdevice_calls import PASS_NAME as LIBDEVICE_CALLS
from noodle.passes.gpu_libdevice_calls import gpu_libdevice_calls
from noodle.passes.gpu_map_loops import PASS_NAME as MAP_LOOPS
from noodle.passes.gpu_map_loops import gpu_map_loops
from noodle.passes.gpu_matmul import PASS_NAME as GPU_MATMUL
from noodle.passes.gpu_matmul import gpu_matmul
from noodle.passes.gpu_merge_modules import PASS_NAME as MERGE_MODULES
from noodle.passes.gpu_merge_modules import gpu_merge_modules
from noodle.passes.gpu_reduce import PASS_NAME as GPU_REDUCE
from noodle.passes.gpu_reduce import gpu_reduce
from noodle.passes.gpu_serial_loops import PASS_NAME as SERIAL_LOOPS
from noodle.passes.gpu_serial_loops import gpu_serial_loops
from noodle.passes.lower_nir import PASS_NAME as LOWER_NIR
from noodle.passes.lower_nir import lower_nir
from noodle.passes.memref_views import may_be_written
from noodle.passes.nir_cleanup import PASS_NAME as NIR_CLEANUP
from noodle.passes.nir_cleanup import nir_cleanup
from noodle.passes.nir_fold import PASS_NAME as NIR_FOLD
from noodle.passes.nir_fold import nir_fold
from noodle.passes.nir_fusion import PASS_NAME as NIR_FUSION
from noodle.passes.nir_fusion import fuse_elementwise
from noodle.passes.nir_simplify import PASS_NAME as NIR_SIMPLIFY
from noodle.passes.nir_simplify import nir_simplify
from noodle.passes.widen_bool_memrefs import PASS_NAME as WIDEN_BOOLS
from noodle.passes.widen_bool_memrefs import widen_bool_memrefs

#: lowered nir (linalg on memrefs) -> `scf.parallel` loops, calls inlined: the host
#: function must end up holding no calls. No buffer deallocation: the launcher's arrays
#: are freed by their owner (CuPy's memory pool) when the plan drops them.
TO_PARALLEL_LOOPS = "inline,canonicalize,cse,convert-linalg-to-parallel-loops,canonicalize,cse"

OUTLINE = "gpu-kernel-outlining,canonicalize,cse"


def to_nvvm(chip: str, opt_level: int = 3) -> str:
    """Upstream passes from the gpu dialect to NVVM, inside each gpu.module. The target's
    `O` is the level of the LLVM pipeline `gpu-module-to-binary` runs before PTX code
    generation (-O0 PTX is about twice the size of -O3's)."""
    return (f"nvvm-attach-target{{chip={chip} O={opt_level}}},"
            "gpu.module(expand-strided-metadata,lower-affine,convert-scf-to-cf,"
            "convert-gpu-to-nvvm,canonicalize,cse,reconcile-unrealized-casts)")


def to_ptx() -> str:
    """The upstream pass from gpu.modules to PTX (`gpu-module-to-binary`, format isa),
    told where the CUDA toolkit is when noodle finds one: libdevice comes from there."""
    root = toolkit.cuda_root()
    toolkit_option = "" if root is None else f" toolkit={root}"
    return f"gpu-module-to-binary{{format=isa{toolkit_option}}}"


def _upstream(pipeline: str) -> Callable[[ir.Module], None]:
    return lambda module: _run(module, pipeline)


def _on_operation(rewrite: Callable[[ir.Operation], None]) -> Callable[[ir.Module], None]:
    return lambda module: rewrite(module.operation)


def gpu_steps(options: CompileOptions) -> list[tuple[str, Callable[[ir.Module], None]]]:
    """The steps from nir to the gpu stage, as (pipeline text, function on the module):
    the one table that `make_gpu` runs and `gpu_pipeline` prints."""
    flags = ",".join(sorted(options.fastmath))
    return [
        ("cse", _upstream("cse")),
        (NIR_SIMPLIFY, nir_simplify),
        (NIR_FOLD, nir_fold),
        (NIR_CLEANUP, nir_cleanup),
        (NIR_FUSION, fuse_elementwise),  # before the split into kernels, as on the CPU
        (GPU_REDUCE, _on_operation(gpu_reduce)),
        (GPU_MATMUL, _on_operation(gpu_matmul)),
        (LOWER_NIR, lower_nir),  # what is left of matmul as loops: no BLAS on the device
        *([(f"{FASTMATH}{{flags={flags}}}", lambda m: apply_fastmath(m, options.fastmath))]
          if flags else []),
        (TO_PARALLEL_LOOPS, _upstream(TO_PARALLEL_LOOPS)),
        (MAP_LOOPS, _on_operation(gpu_map_loops)),
        (SERIAL_LOOPS, _on_operation(gpu_serial_loops)),
        (WIDEN_BOOLS, _on_operation(widen_bool_memrefs)),
        (OUTLINE, _upstream(OUTLINE)),
        (MERGE_MODULES, _on_operation(gpu_merge_modules)),
    ]


def gpu_pipeline(chip: str = DEFAULT_CHIP, options: CompileOptions | None = None) -> str:
    """The whole GPU pipeline from the `nir` stage to PTX as one noodle-opt pipeline
    (noodle's passes by their registered names). Its `inline` pass drops private
    functions nothing calls: the entry function of the input must be public."""
    options = options or CompileOptions()
    steps = gpu_steps(options)
    return ",".join([name for name, _ in steps]
                    + [to_nvvm(chip, options.opt_level), LIBDEVICE_CALLS, to_ptx()])


def _run(module: ir.Module, pipeline: str) -> None:
    passmanager.PassManager.parse(f"builtin.module({pipeline})").run(module.operation)


def make_gpu(module: ir.Module, symbol: str, options: CompileOptions) -> None:
    """nir -> a host function `symbol` launching kernels of one gpu.module, in place."""
    # public, so that the inliner keeps it once its callees are inlined into it
    function = ir.SymbolTable(module.operation)[symbol]
    if "sym_visibility" in function.attributes:
        del function.attributes["sym_visibility"]
    for _, step in gpu_steps(options):
        step(module)


def make_nvvm(module: ir.Module, chip: str, opt_level: int = 3) -> None:
    """gpu stage -> nvvm stage: the gpu.module lowered to the NVVM and LLVM dialects for
    `chip`, PTX to be made at `opt_level`, in place."""
    _run(module, to_nvvm(chip, opt_level))
    gpu_libdevice_calls(module.operation)


def make_ptx(module: ir.Module) -> str:
    """Runs `gpu-module-to-binary` and returns the PTX of the (single) gpu.module."""
    _run(module, to_ptx())
    binaries = [op for op in module.body.operations if op.operation.name == "gpu.binary"]
    if not binaries:
        return ""
    objects = ir.ArrayAttr(binaries[0].attributes["objects"])
    return gpu.ObjectAttr(objects[0]).object.decode()


def kernel_writes(module: ir.Module) -> dict[str, list[int]]:
    """For each kernel (gpu.func), the positions of its memref arguments it may write:
    every argument but those all of whose uses (through views) are known reads
    (`memref_views.may_be_written`). The launcher copies back to a NumPy argument only
    what a kernel may have written, so an op not known here must count as a write."""
    writes: dict[str, list[int]] = {}
    for gpu_module in module.body.operations:
        if gpu_module.operation.name != "gpu.module":
            continue
        for fn in gpu_module.regions[0].blocks[0].operations:
            if fn.operation.name != "gpu.func":
                continue
            # workgroup (shared) memory is numbered after the arguments
            arguments = len(ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
                            .inputs)
            block = fn.regions[0].blocks[0]
            writes[ir.StringAttr(fn.attributes["sym_name"]).value] = [
                p for p in range(arguments)
                if isinstance(block.arguments[p].type, ir.MemRefType)
                and may_be_written(block.arguments[p])]
    return writes


def kernel_params(module: ir.Module) -> dict[str, list[str]]:
    """Parameter kinds of each kernel of the lowered (NVVM) gpu.module."""
    params: dict[str, list[str]] = {}
    for op in module.body.operations:
        if op.operation.name != "gpu.module":
            continue
        for fn in op.regions[0].blocks[0].operations:
            if fn.operation.name != "llvm.func" or "nvvm.kernel" not in fn.attributes:
                continue
            name = ir.StringAttr(fn.attributes["sym_name"]).value
            signature = str(ir.TypeAttr(fn.attributes["function_type"]).value)
            inside = signature[signature.index("(") + 1:signature.rindex(")")]
            kinds = ["u64" if t.strip() == "ptr" else t.strip()
                     for t in inside.split(",") if t.strip()]
            for kind in kinds:
                if kind not in PARAM_TYPES:
                    raise LoweringError(f"kernel {name} takes a parameter of type {kind}, "
                                        "which the GPU launcher cannot pass")
            params[name] = kinds
    return params


def compile_to_ptx(pyfunc: FunctionType, arg_types: tuple[NType, ...],
                   options: CompileOptions | None = None, chip: str = DEFAULT_CHIP
                   ) -> GpuProgram:
    """Python function + argument types -> PTX for `chip` ("sm_90") and the host plan,
    the PTX made at `options.opt_level`.

    Raises `UnsupportedError` (with the reason) for what the GPU path does not lower,
    `TypingError` as the CPU path does for code that does not type."""
    # prange loops are what the GPU runs in parallel, whatever the CPU option says
    options = replace(options or CompileOptions(), parallel=True)
    unit, symbol, result_type = make_nir(pyfunc, arg_types, options)
    reads = {f: source.reads for f, source in unit.sources.items()}
    kernel = Kernel(symbol, entry_symbol(symbol), arg_types, result_type, list(unit.sites),
                    make_manifest(pyfunc, reads))
    stages: dict[str, str] = {"nir": str(unit.module)}
    with unit.context:
        try:
            unit.module.operation.verify()
            make_gpu(unit.module, symbol, options)
            stages["gpu"] = str(unit.module)
            function = ir.SymbolTable(unit.module.operation)[symbol]
            plan = host_plan(function)
            writes = kernel_writes(unit.module)
            make_nvvm(unit.module, chip, options.opt_level)
            stages["nvvm"] = str(unit.module)
            params = kernel_params(unit.module)
            ptx = make_ptx(unit.module)
        except ir.MLIRError as e:
            raise error_from_mlir(e, "GPU lowering failed", kind=LoweringError) from None
    check_libdevice_linked(ptx)
    if not params:
        raise UnsupportedError(f"{pyfunc.__qualname__} has no array work for the GPU (no "
                               "array expression, reduction, matrix product or prange loop)")
    _check_launches(plan, params)
    stages["ptx"] = ptx
    kernel.stages.update(stages)
    return GpuProgram(kernel, chip, ptx, params, plan, writes, stages)


def merge_programs(programs: Sequence[tuple[GpuProgram, str]]) -> tuple[str, list[list[str]]]:
    """One PTX module holding the kernels of several programs (noodlec's `--emit ptx` of
    several functions: one .ptx file, as nvcc makes; PTX modules one after another are
    not PTX). Each program comes with the symbol its names are to derive from: a
    program's gpu.module names its kernels, workgroup buffers and helpers after its
    function's symbol (`noodle_fn_axpy_kernel`, `__wg_noodle_fn_axpy_kernel_0`), which
    two signatures of one function share.

    Returns the PTX and each program's kernel names in it; raises as `merge_gpu_modules`."""
    ptx, renamed = merge_gpu_modules([(program.stages["nvvm"], program.kernel.symbol, symbol)
                                      for program, symbol in programs])
    return ptx, [[names.get(name, name) for name in program.params]
                 for (program, _), names in zip(programs, renamed)]


def merge_gpu_modules(modules: Sequence[tuple[str, str, str]]
                      ) -> tuple[str, list[dict[str, str]]]:
    """The PTX of one gpu.module holding the symbols of several: each of `modules` is
    (the text of a module at the nvvm stage, holding one gpu.module; the part of its
    symbols' names to replace; what to replace it with: `_rename_symbols`). Declarations
    (libdevice's functions) are kept once; the PTX is made at the first module's chip and
    level.

    Returns the PTX and, for each module, its renamed symbols (old name -> new name);
    raises NoodleError when two modules would define one name (two inputs with a function
    of the same name)."""
    from noodle.dialects import make_context

    context = make_context()
    renames: list[dict[str, str]] = []
    with context, ir.Location.unknown():
        merged = ir.Module.create()
        block: ir.Block | None = None
        defined: dict[str, ir.Operation] = {}
        parsed = []  # alive until the end: their ops move into `merged`
        for text, old, new in modules:
            module = ir.Module.parse(text)
            parsed.append(module)
            [gpu_module] = [op for op in module.body.operations
                            if op.operation.name == "gpu.module"]
            renames.append(_rename_symbols(gpu_module.operation, old, new))
            if block is None:  # the first gpu.module (its target attribute) holds all
                gpu_module.operation.detach_from_parent()
                merged.body.append(gpu_module)
                block = gpu_module.regions[0].blocks[0]
                defined = {_symbol(op): op.operation for op in block.operations}
                continue
            for op in list(gpu_module.regions[0].blocks[0].operations):
                name = _symbol(op)
                if name in defined:
                    if _same_declaration(defined[name], op.operation):
                        continue
                    raise NoodleError(f"two compiled functions would both define the GPU "
                                      f"symbol {name}: rename one")
                defined[name] = op.operation
                op.operation.move_after(list(block.operations)[-1])
        try:
            merged.operation.verify()
            ptx = make_ptx(merged)
        except ir.MLIRError as e:
            raise error_from_mlir(e, "merging the GPU programs failed",
                                  kind=LoweringError) from None
    return ptx, renames


def _symbol(op: ir.OpView) -> str:
    return ir.StringAttr(op.attributes["sym_name"]).value if "sym_name" in op.attributes \
        else ""


def _rename_symbols(gpu_module: ir.Operation, old: str, new: str) -> dict[str, str]:
    """Renames each symbol of `gpu_module` whose name holds `old` (`__wg_<old>_kernel_0`)
    to hold `new` instead, uses included; returns {old name: new name}."""
    renamed: dict[str, str] = {}
    if old == new:
        return renamed
    for op in gpu_module.regions[0].blocks[0].operations:
        name = _symbol(op)
        if old in name:
            renamed[name] = name.replace(old, new, 1)
            ir.SymbolTable.set_symbol_name(op.operation, renamed[name])
            ir.SymbolTable.replace_all_symbol_uses(name, renamed[name], gpu_module)
    return renamed


def _same_declaration(first: ir.Operation, second: ir.Operation) -> bool:
    """Whether two ops are one external function, declared twice alike."""
    def declaration(op: ir.Operation) -> str | None:
        if op.name != "llvm.func" or len(op.regions[0].blocks):
            return None
        return str(op.attributes["function_type"])
    return declaration(first) is not None and declaration(first) == declaration(second)


def unresolved_libdevice(ptx: str) -> list[str]:
    """The libdevice functions `ptx` declares but does not define (libdevice was not
    linked: the driver would refuse the module)."""
    return sorted(set(re.findall(r"\.extern \.func[^;]*?(__nv_\w+)", ptx)))


def check_libdevice_linked(ptx: str) -> None:
    """Raises UnsupportedError, saying where libdevice comes from, if `ptx` calls
    libdevice functions it does not define (libdevice was not found)."""
    unresolved = unresolved_libdevice(ptx)
    if unresolved:
        raise UnsupportedError(
            f"the GPU code calls {', '.join(unresolved)} from libdevice, which was not found",
            hint="install the CUDA toolkit (or set CUDA_HOME) or the nvidia-cuda-nvcc-cu12 "
            "package: libdevice is nvvm/libdevice/libdevice.10.bc there")


def _check_launches(plan: dict, params: dict[str, list[str]]) -> None:
    """Every launch names a kernel of the PTX (a noodle bug otherwise)."""
    def visit(ops: list[dict]) -> None:
        for op in ops:
            if op["op"] == "gpu.launch_func" and op["attrs"]["kernel"][-1] not in params:
                raise LoweringError(f"the host launches {op['attrs']['kernel']}, which the "
                                    "PTX does not define (a noodle bug)")
            for region in op.get("regions", []):
                visit(region["body"])
    visit(plan["body"])


_PTXAS_ARCH = re.compile(r"^sm_\d+a?$")


def assemble_ptx(ptx: str, chip: str = DEFAULT_CHIP) -> bytes:
    """The cubin that ptxas makes of `ptx`; `UnsupportedError` when ptxas is not found,
    `LoweringError` with ptxas's messages when it rejects the PTX."""
    ptxas = toolkit.ptxas_path()
    if ptxas is None:
        raise UnsupportedError("ptxas is not installed (CUDA toolkit or the "
                               "nvidia-cuda-nvcc-cu12 package)")
    if not _PTXAS_ARCH.match(chip):
        raise ValueError(f"not a chip name: {chip!r}")
    with tempfile.TemporaryDirectory() as tmp:
        source, cubin = Path(tmp) / "kernel.ptx", Path(tmp) / "kernel.cubin"
        source.write_text(ptx)
        done = subprocess.run([ptxas, f"-arch={chip}", str(source), "-o", str(cubin)],
                              capture_output=True, text=True)
        if done.returncode:
            raise LoweringError(f"ptxas rejected the PTX: {done.stderr.strip()}")
        return cubin.read_bytes()
