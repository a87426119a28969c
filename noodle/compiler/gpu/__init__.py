"""The GPU compile path: NIR -> gpu dialect -> NVVM -> PTX, and the host plan that the
runtime's GPU launcher (`noodle.runtime.gpu_launcher`) runs with CuPy.

`compile_to_ptx` is the entry point; `gpu_pipeline` is the same pipeline as text for
noodle-opt. Nothing here imports CuPy or needs a GPU.
"""
from noodle.compiler.gpu.compile import DEFAULT_CHIP, assemble_ptx, compile_to_ptx, gpu_pipeline
from noodle.compiler.gpu.program import GpuProgram

__all__ = ["DEFAULT_CHIP", "GpuProgram", "assemble_ptx", "compile_to_ptx", "gpu_pipeline"]
