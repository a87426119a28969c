"""The GPU side of one `@jit(target="cuda"|"auto")` function: its calls that
`placement` sends to the GPU, each run by the `GpuLauncher` of its argument types.

A function the GPU path cannot lower (`UnsupportedError`: a sequential loop over array
elements, say) is remembered per argument types, and its calls go back to the CPU
as `Placement.cannot_use_gpu` says (a warning, or an error for `target="cuda"`), naming the
refused construct's `file:line:col`.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from functools import cache
from types import FunctionType

from noodle.compiler.gpu.program import DEFAULT_CHIP
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import NType
from noodle.errors import UnsupportedError
from noodle.runtime.placement import Placement, gpu_status, has_device_array
from noodle.runtime.profiler import KeyProfile

#: What `GpuCalls.call` returns when the call must run on the CPU after all
ON_CPU = object()


def _located(e: UnsupportedError) -> str:
    """The refusal's message and where in the source the refused construct is: the
    warning or error built from it is filed at the function's `def` line, and the
    message itself does not say which loop (the location is `e.loc`, not text)."""
    return e.message if e.loc is None else f"{e.message} (at {e.loc})"


@cache
def _programs():
    from noodle.runtime.gpu_programs import GpuPrograms

    return GpuPrograms()


class GpuCalls:
    """The GPU calls of one function: a launcher per argument types (from memory, the
    disk cache or the compiler), and a profile per argument types for `noodle.stats()`
    (tier "gpu", or "cpu" with the reason where the GPU path refused it)."""

    def __init__(self, pyfunc: FunctionType, options: CompileOptions, placement: Placement):
        self.py_func = pyfunc
        self.options = options
        self.placement = placement
        self._profiles: dict[tuple, KeyProfile] = {}
        self.last_key: tuple | None = None  # the argument types of the latest call

    def call(self, args: Sequence[object]) -> object:
        """The call run on the GPU, or `ON_CPU` where the function does not lower there
        (after `placement` has warned, or raised)."""
        from noodle.runtime.gpu_launcher import argument_types, device_chip

        key = argument_types(args)
        self.last_key = key
        profile = self._profiles.setdefault(
            key, KeyProfile("gpu: " + ", ".join(map(str, key)), tier="gpu"))
        try:
            if any(t is None for t in key):
                raise UnsupportedError("an argument is neither an array nor a number")
            start = time.perf_counter()
            launcher = _programs().launcher(self.py_func, key, self.options, device_chip())
            if "gpu" not in profile.compile_seconds:
                profile.compile_seconds["gpu"] = time.perf_counter() - start
        except UnsupportedError as e:
            profile.tier, profile.fallback = "cpu", e.message
            self.placement.cannot_use_gpu(f"the GPU path cannot compile it: {_located(e)}",
                                          device_args=has_device_array(args))
            return ON_CPU
        start = time.perf_counter()
        try:
            return launcher(*args)
        finally:
            profile.python_calls += 1
            profile.python_seconds += time.perf_counter() - start

    def profiles(self) -> list[KeyProfile]:
        return list(self._profiles.values())


def ptx_of(pyfunc: FunctionType, arg_types: tuple[NType, ...],
           options: CompileOptions) -> str:
    """The PTX of `pyfunc` for `arg_types`, for the current GPU's chip (or `DEFAULT_CHIP`
    where there is none); UnsupportedError where it does not lower."""
    from noodle.compiler.gpu import compile_to_ptx
    from noodle.runtime.gpu_launcher import device_chip

    chip = device_chip() if gpu_status()[0] else DEFAULT_CHIP
    return compile_to_ptx(pyfunc, arg_types, options, chip).ptx
