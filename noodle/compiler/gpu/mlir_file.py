"""`.mlir` files -> PTX: noodlec's `--emit ptx` of a file in nir and upstream dialects.

The file is read as for the CPU (`compiler.mlir_input`: parsed with noodle's dialects,
code on tensors bufferized first), and all its public functions go through the GPU
stages of a Python kernel together (`compile.gpu_steps`: nir lowered, linalg ops and
`scf.parallel` loops mapped to blocks and threads, kernels outlined into one gpu.module,
NVVM, PTX at the `-O` level). The PTX holds the device code only, as nvcc's `.ptx` does;
each function's kernels are named after it (`@scale` launches `scale_kernel`, ...).

A function is held to what the GPU path runs for a Python kernel, so that its PTX is the
function's work and not part of it: its code outside the kernels must be host code the
launcher could run (no sequential loop over array elements: `host_plan`), and it must
have a kernel at all. Either refusal is an `UnsupportedError` at the function's (or the
op's) location in the file.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from mlir import ir

from noodle.compiler.gpu.compile import (check_libdevice_linked, gpu_steps, make_nvvm,
                                         make_ptx)
from noodle.compiler.gpu.host_plan import host_plan
from noodle.compiler.gpu.program import DEFAULT_CHIP
from noodle.compiler.mlir_diagnostics import error_from_mlir
from noodle.compiler.mlir_input import bufferize, mlir_location, parse_file
from noodle.compiler.options import CompileOptions
from noodle.dialects import make_context
from noodle.errors import LoweringError, UnsupportedError


_HOST_HINT = ("write the loop as a linalg op or an scf.parallel loop, or compile the "
              "function for the CPU")


@dataclass
class MlirGpuModule:
    """The GPU code of one `.mlir` file: its gpu.module lowered to NVVM (text, which
    `merge_gpu_modules` reads), that module's PTX, and each public function's kernels."""
    path: Path
    nvvm: str
    ptx: str
    #: function name -> (its signature as the file writes it, its kernels' names in order)
    functions: dict[str, tuple[str, list[str]]] = field(default_factory=dict)


def _public_functions(module: ir.Module) -> list[ir.Operation]:
    """The public `func.func` definitions of `module`, as the CPU path exports them."""
    return [op.operation for op in module.body.operations
            if op.operation.name == "func.func" and "sym_visibility" not in op.attributes
            and len(op.regions[0].blocks)]


def _name(function: ir.Operation) -> str:
    return ir.StringAttr(function.attributes["sym_name"]).value


def _launched_kernels(function: ir.Operation) -> list[str]:
    """The kernels `function` launches, in program order, each once."""
    found: dict[str, None] = {}

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == "gpu.launch_func":
            found[ir.SymbolRefAttr(op.attributes["kernel"]).value[-1]] = None
        return ir.WalkResult.ADVANCE

    function.walk(visit)
    return list(found)


def compile_mlir_to_ptx(path: Path, options: CompileOptions | None = None,
                        chip: str = DEFAULT_CHIP) -> MlirGpuModule:
    """The PTX for `chip` of the public functions of the `.mlir` file `path`.

    Raises NoodleError for a file that does not parse (at the first diagnostic),
    `UnsupportedError` for a function the GPU path does not run (located), and
    `LoweringError` where the GPU stages fail on what they accepted."""
    # parallel loops are what the GPU runs in parallel, whatever the CPU option says
    options = replace(options or CompileOptions(), parallel=True)
    context = make_context()
    module = parse_file(path, context)
    with context, ir.Location.unknown():
        # as the file writes them: on tensors, before they become memrefs
        signatures = {_name(f): str(ir.TypeAttr(f.attributes["function_type"]).value)
                      for f in _public_functions(module)}
        if not signatures:
            raise UnsupportedError(f"{path}: no public func.func to compile")
        if "tensor<" in str(module):
            bufferize(module)
        try:
            module.operation.verify()
            for _, step in gpu_steps(options):
                step(module)
            table = ir.SymbolTable(module.operation)
            kernels = {}
            for name in signatures:
                function = table[name].operation
                try:
                    host_plan(function)  # raises where the host part could not run
                except UnsupportedError as e:  # with a hint in this file's terms
                    raise UnsupportedError(e.message, e.loc, _HOST_HINT) from None
                kernels[name] = _launched_kernels(function)
                if not kernels[name]:
                    raise UnsupportedError(
                        f"@{name} has no parallel loop for the GPU (no linalg op, "
                        "scf.parallel loop or nir array op): it would have no kernel",
                        mlir_location(function.location, path),
                        hint="compile it for the CPU, or write its loops as linalg ops "
                        "or scf.parallel loops")
            make_nvvm(module, chip, options.opt_level)
            nvvm = str(module)
            ptx = make_ptx(module)
        except ir.MLIRError as e:
            raise error_from_mlir(e, "GPU lowering failed", path, LoweringError) from None
    check_libdevice_linked(ptx)
    return MlirGpuModule(path, nvvm, ptx,
                         {name: (signatures[name], kernels[name]) for name in signatures})
