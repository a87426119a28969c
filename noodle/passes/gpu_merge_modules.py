"""The `gpu-merge-modules` pass: all kernels of a module in one `gpu.module`.

`gpu-kernel-outlining` gives each launch its own `gpu.module`, hence its own PTX text;
one module per compiled function means one PTX to assemble, cache and load (one
`cuModuleLoadData` instead of one per kernel). Each kernel takes its module's name,
which the outlining pass made unique (the kernels themselves may share a name, each in
its own module), and each `gpu.launch_func` is pointed at it in the first module.
"""
from __future__ import annotations

from mlir import ir

from noodle.passes.ir_walk import ops_where

PASS_NAME = "gpu-merge-modules"
#: the op this pass runs on (registry.PASS_ANCHORS): it merges the module's gpu.modules and
#: retargets the launches
PASS_ANCHOR = "builtin.module"


def gpu_merge_modules(module: ir.Operation) -> None:
    """Rewrites `module` (a module operation) in place; usable as a PassManager pass."""
    gpu_modules = [op for op in module.regions[0].blocks[0].operations
                   if op.operation.name == "gpu.module"]
    if len(gpu_modules) < 2:
        return
    first = gpu_modules[0]
    first_name = ir.StringAttr(first.attributes["sym_name"]).value
    target = first.regions[0].blocks[0]
    with module.context:
        for gpu_module in gpu_modules:
            name = ir.StringAttr(gpu_module.attributes["sym_name"]).value
            for op in list(gpu_module.regions[0].blocks[0].operations):
                if op.operation.name == "gpu.func":
                    op.attributes["sym_name"] = ir.StringAttr.get(name)
                if gpu_module is not first:
                    op.operation.move_after(list(target.operations)[-1])
        for launch in ops_where(module, lambda op: op.name == "gpu.launch_func"):
            gpu_module_name = ir.SymbolRefAttr(launch.attributes["kernel"]).value[0]
            launch.attributes["kernel"] = ir.SymbolRefAttr.get([first_name, gpu_module_name])
    for other in gpu_modules[1:]:
        other.operation.erase()


def gpu_merge_modules_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(gpu_merge_modules_pass, name=PASS_NAME)`."""
    gpu_merge_modules(op)
