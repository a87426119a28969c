"""GPU programs on disk: PTX as the payload, the plan and types as metadata, in the same
store as CPU kernels (`cache_store`), under keys of their own.

The key (`gpu_key`) is the CPU kernel's key (function, source, argument types, compile
options, versions: `kernel_cache.kernel_key`) plus the target chip, since the PTX is
made for one compute capability. What the code read (its dependency manifest) is checked
on every load, as for CPU kernels.
"""
from __future__ import annotations

import json
from types import FunctionType

from noodle.compiler.dependencies import stale_reason
from noodle.compiler.gpu.program import GpuProgram
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import NType
from noodle.runtime.cache_store import CacheStore
from noodle.runtime.kernel_cache import kernel_key


def gpu_key(pyfunc: FunctionType, arg_types: tuple[NType, ...], options: CompileOptions,
            chip: str) -> str:
    """Inputs: everything in `kernel_key` (function, source, argument types, options,
    versions) and `chip`."""
    return json.dumps({"kind": "gpu", "chip": chip,
                       "kernel": kernel_key(pyfunc, arg_types, options)}, sort_keys=True)


class GpuCache:
    """GPU programs in a `CacheStore`: `load` one (None when missing or stale), `save`
    one (unless what it read cannot be fingerprinted)."""

    def __init__(self, store: CacheStore):
        self.store = store

    def load(self, pyfunc: FunctionType, arg_types: tuple[NType, ...],
             options: CompileOptions, chip: str) -> GpuProgram | None:
        """The cached program, or None (missing, unreadable, or stale)."""
        entry = self.store.get(gpu_key(pyfunc, arg_types, options, chip))
        if entry is None:
            return None
        try:
            program = GpuProgram.from_metadata(entry.meta["program"], entry.payload.decode())
        except (KeyError, TypeError, ValueError, LookupError, UnicodeDecodeError):
            return None
        if stale_reason(pyfunc, program.kernel.dependencies or []) is not None:
            return None
        return program

    def save(self, pyfunc: FunctionType, program: GpuProgram, options: CompileOptions) -> None:
        """Stores `program` under its key; a program whose dependencies noodle could not
        fingerprint is not stored (it could never be checked for staleness)."""
        if program.kernel.dependencies is None:  # it read a value noodle cannot fingerprint
            return
        arg_types = program.kernel.arg_types
        meta = {"function": pyfunc.__qualname__, "module": pyfunc.__module__,
                "signature": ", ".join(map(str, arg_types)), "target": program.chip,
                "program": program.metadata()}
        self.store.put(gpu_key(pyfunc, arg_types, options, program.chip),
                       program.ptx.encode(), meta)
