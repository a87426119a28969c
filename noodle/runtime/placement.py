"""Where a call of a `@jit(target=...)` function runs: on the CPU or on the GPU.

- `"cpu"` (the default): always the CPU; nothing here runs.
- `"cuda"`: always the GPU. With no usable GPU (no CuPy, no device), or where the GPU
  path cannot lower the function, the call raises `NoodleError` saying why, unless the
  function was made with `fallback=True`: then it runs on the CPU, with one warning.
- `"auto"`: the GPU when the call has a CuPy array (its data is there already), or when
  a GPU is usable and the call's arrays hold at least `config.gpu_threshold` elements
  (copying them in and out only pays for large work); else the CPU. No usable GPU, or a
  function the GPU path cannot lower: the CPU, with one warning saying why.

Whether a GPU is usable is asked once per process, and only by a function whose target
is not the CPU: asking imports CuPy.
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence
from functools import cache

from noodle.errors import NoodleError, NoodleFallbackWarning, SourceLocation
from noodle.runtime.leaves import leaves

TARGETS = ("cpu", "cuda", "auto")


def check_target(target: str) -> str:
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}: use one of {', '.join(TARGETS)}")
    return target


@cache
def gpu_status() -> tuple[bool, str]:
    """(whether CuPy is installed and sees a GPU, why not when it does not), asked once."""
    from noodle.runtime.gpu_launcher import gpu_available

    return gpu_available()


def has_device_array(args: Sequence[object]) -> bool:
    """Whether any argument (or item of a tuple argument) is a CuPy array (recognised
    without importing CuPy)."""
    from noodle.runtime.gpu_launcher import is_device_array

    return any(is_device_array(a) for a in leaves(args))


def array_elements(args: Sequence[object]) -> int:
    """The elements of a call's array arguments (tuple items included), all together:
    the size of its work."""
    return sum(int(getattr(a, "size", 0)) for a in leaves(args) if hasattr(a, "ndim"))


class Placement:
    """The placement decisions of one function (warning once per reason)."""

    def __init__(self, target: str, fallback: bool, qualname: str, where: SourceLocation,
                 threshold: int):
        self.target = check_target(target)
        self.fallback = fallback
        self.threshold = threshold
        self._qualname = qualname
        self._where = where
        self._warned: set[str] = set()

    def may_use_gpu(self) -> bool:
        """Whether a call may go to the GPU: if not, every call takes the CPU path (and
        its native entries, with no decision per call)."""
        if self.target == "cpu":
            return False
        return gpu_status()[0] or self.target == "cuda" and not self.fallback

    def on_gpu(self, args: Sequence[object]) -> bool:
        """Whether this call runs on the GPU; raises where `target="cuda"` cannot."""
        if self.target == "cpu":
            return False
        usable, why = gpu_status()
        if not usable:
            self.cannot_use_gpu(why)
            return False
        return (self.target == "cuda" or has_device_array(args)
                or array_elements(args) >= self.threshold)

    def cannot_use_gpu(self, why: str, device_args: bool = False) -> None:
        """Say once why calls run on the CPU; an error where they must not
        (`target="cuda"` without `fallback=True`, or CuPy arrays, which the CPU path
        cannot read)."""
        if device_args:
            raise NoodleError(f"{self._qualname} cannot run on the GPU: {why}", self._where,
                              "pass NumPy arrays to run it on the CPU")
        if self.target == "cuda" and not self.fallback:
            raise NoodleError(f"{self._qualname} has target='cuda', but {why}", self._where,
                              "use target='auto' (or fallback=True) to run on the CPU "
                              "where the GPU cannot")
        if why not in self._warned:
            self._warned.add(why)
            warnings.warn_explicit(
                NoodleFallbackWarning(f"{self._qualname} runs on the CPU: {why}"),
                NoodleFallbackWarning, self._where.filename, self._where.line)
