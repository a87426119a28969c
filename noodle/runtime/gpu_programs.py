"""Where a GPU program comes from: memory, else the disk cache, else the compiler.

`GpuPrograms.launcher(...)` is what a dispatcher calls for a `target="cuda"` call: the
key (function, argument types, options, chip) finds a ready `GpuLauncher` in memory; a
miss looks on disk (`gpu_cache`), then compiles (`compiler.gpu.compile_to_ptx`) and
stores the result. What the GPU path cannot lower raises `UnsupportedError` with the
reason, remembered per key, so that a caller falling back to the CPU does not pay for
the attempt again.
"""
from __future__ import annotations

from types import FunctionType

from noodle.compiler.gpu.program import GpuProgram
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import NType
from noodle.errors import UnsupportedError
from noodle.runtime.cache_store import CacheStore
from noodle.runtime.gpu_cache import GpuCache
from noodle.runtime.gpu_launcher import GpuLauncher, current_device_id


def compile_to_ptx(pyfunc: FunctionType, arg_types: tuple[NType, ...],
                   options: CompileOptions, chip: str) -> GpuProgram:
    """`compiler.gpu.compile_to_ptx`, imported on a cache miss only: a program from the
    disk cache runs without loading the compiler's MLIR."""
    from noodle.compiler.gpu.compile import compile_to_ptx as compile_

    return compile_(pyfunc, arg_types, options, chip)


class GpuPrograms:
    """The GPU programs of a process: a `GpuLauncher` per key in memory (or the
    `UnsupportedError` that its compilation or loading raised), backed by the disk
    cache."""

    def __init__(self, store: CacheStore | None = None):
        self.cache = GpuCache(store if store is not None else CacheStore())
        self._launchers: dict[tuple, GpuLauncher | UnsupportedError] = {}

    def launcher(self, pyfunc: FunctionType, arg_types: tuple[NType, ...],
                 options: CompileOptions, chip: str) -> GpuLauncher:
        """The launcher of `pyfunc` for `arg_types` on the current device; raises the
        remembered `UnsupportedError` where the GPU path cannot run it."""
        # a loaded module belongs to the device current when it was loaded
        key = (pyfunc, arg_types, options.key(), chip, current_device_id())
        found = self._launchers.get(key)
        if isinstance(found, UnsupportedError):
            raise found
        if found is None:
            try:
                found = GpuLauncher(self.program(pyfunc, arg_types, options, chip))
            except UnsupportedError as e:
                self._launchers[key] = e
                raise
            self._launchers[key] = found
        return found

    def program(self, pyfunc: FunctionType, arg_types: tuple[NType, ...],
                options: CompileOptions, chip: str) -> GpuProgram:
        """The program from disk, else compiled (and saved)."""
        program = self.cache.load(pyfunc, arg_types, options, chip)
        if program is None:
            program = compile_to_ptx(pyfunc, arg_types, options, chip)
            self.cache.save(pyfunc, program, options)
        return program
