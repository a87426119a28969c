"""The `gpu-libdevice-calls` pass: the C math library calls of lowered gpu.modules made
calls of CUDA's libdevice.

The lowering calls the C library for the functions MLIR's math dialect has no op for
(`passes.nir_libm`: expm1, log1p, hypot, erf, ...), and `convert-gpu-to-nvvm` gives
every function declaration a C wrapper: a kernel then calls an external
`_mlir_ciface_expm1` (same scalar arguments), which ptxas cannot resolve. libdevice has
each function as `__nv_<name>` (`__nv_<name>f` for float), which `gpu-module-to-binary`
links: the declaration and its calls are renamed to it. Runs after the lowering to NVVM.
"""
from __future__ import annotations

from mlir import ir

PASS_NAME = "gpu-libdevice-calls"
#: the op this pass runs on (registry.PASS_ANCHORS): it renames declarations in the module's
#: gpu.modules
PASS_ANCHOR = "builtin.module"

#: The C library functions the lowering may call that libdevice has too
LIBM_IN_LIBDEVICE = frozenset(name + suffix for name in ("expm1", "log1p", "hypot", "erf",
                                                         "erfc", "tgamma", "lgamma")
                              for suffix in ("", "f"))
_WRAPPER = "_mlir_ciface_"


def gpu_libdevice_calls(module: ir.Operation) -> None:
    """Rewrites the gpu.modules of `module` (a module operation) in place."""
    for gpu_module in module.regions[0].blocks[0].operations:
        if gpu_module.operation.name != "gpu.module":
            continue
        for op in gpu_module.regions[0].blocks[0].operations:
            if op.operation.name != "llvm.func":
                continue
            name = ir.StringAttr(op.attributes["sym_name"]).value
            if not (name.startswith(_WRAPPER) and name[len(_WRAPPER):] in LIBM_IN_LIBDEVICE):
                continue
            libdevice = "__nv_" + name[len(_WRAPPER):]
            ir.SymbolTable.replace_all_symbol_uses(name, libdevice, gpu_module.operation)
            ir.SymbolTable.set_symbol_name(op.operation, libdevice)


def gpu_libdevice_calls_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(gpu_libdevice_calls_pass, name=PASS_NAME)`."""
    gpu_libdevice_calls(op)
