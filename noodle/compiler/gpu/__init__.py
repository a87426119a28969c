"""The GPU compile path: NIR -> gpu dialect -> NVVM -> PTX, and the host plan that the
runtime's GPU launcher (`noodle.runtime.gpu_launcher`) runs with CuPy.

`compile_to_ptx` is the entry point (`compile_mlir_to_ptx` for the functions of an
`.mlir` file); `gpu_pipeline` is the same pipeline as text for noodle-opt. Nothing
here imports CuPy or needs a GPU.

The names are imported on first use (PEP 562): the runtime imports
`noodle.compiler.gpu.program` to run a program from the disk cache, and that must not
load `compile.py`, hence MLIR (~150 ms, and nothing a cached program needs).
"""
from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from noodle.compiler.gpu.compile import (assemble_ptx, compile_to_ptx, gpu_pipeline,
                                             merge_gpu_modules, merge_programs)
    from noodle.compiler.gpu.mlir_file import MlirGpuModule, compile_mlir_to_ptx
    from noodle.compiler.gpu.program import DEFAULT_CHIP, GpuProgram

#: public name -> the module defining it
_WHERE = {"DEFAULT_CHIP": "program", "assemble_ptx": "compile", "compile_to_ptx": "compile",
          "gpu_pipeline": "compile", "merge_gpu_modules": "compile",
          "merge_programs": "compile", "GpuProgram": "program",
          "MlirGpuModule": "mlir_file", "compile_mlir_to_ptx": "mlir_file"}

__all__ = ["DEFAULT_CHIP", "GpuProgram", "MlirGpuModule", "assemble_ptx",
           "compile_mlir_to_ptx", "compile_to_ptx", "gpu_pipeline", "merge_gpu_modules",
           "merge_programs"]


def __getattr__(name: str) -> object:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
