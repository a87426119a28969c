"""Process-wide settings: `noodle.config`, read from the `NOODLE_*` environment variables
when noodle is imported; assigning an attribute changes the setting from then on.
Per-function keyword arguments of `@jit` take precedence over these."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TypeVar

from noodle.errors import NoodleConfigWarning
from noodle.runtime.user_warnings import warn_in_user_code

Number = TypeVar("Number", int, float)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def environment_number(name: str, default: Number, kind: type[Number]) -> Number:
    """`$name` as a number >= 0 of `kind` (int: a whole number, which may be written
    `1e3`), or `default` when it is unset, or is not such a number (with a warning):
    these settings tune speed and space, and a typo in one must not stop the program."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or (kind is int and not value.is_integer()):
        warn_in_user_code(NoodleConfigWarning(
            f"{name}={text!r} is not a {'whole ' if kind is int else ''}number >= 0; "
            f"using {default}"))
        return default
    return int(text) if kind is int and text.isdigit() else kind(value)


@dataclass
class Config:
    #: print one line per compilation saying why it was needed (NOODLE_EXPLAIN)
    explain: bool = False
    #: the on-disk kernel cache (NOODLE_CACHE=0 turns it off for every function)
    cache: bool = True
    #: every compilation in a worker process, so that a compiler crash can never end
    #: the program (NOODLE_COMPILE_IN_WORKER; the optimising tier always is)
    compile_in_worker: bool = False
    #: where `@jit` functions run unless they say (`target=`): "cpu", "cuda" or "auto"
    #: (NOODLE_TARGET; `runtime/placement.py`)
    target: str = "cpu"
    #: array elements from which `target="auto"` sends a call to the GPU
    #: (NOODLE_GPU_THRESHOLD): about where copying the arrays in and out is paid for
    gpu_threshold: int = 1 << 20

    @classmethod
    def from_environment(cls) -> Config:
        return cls(explain=_flag("NOODLE_EXPLAIN"),
                   cache=os.environ.get("NOODLE_CACHE", "1").strip() != "0",
                   compile_in_worker=_flag("NOODLE_COMPILE_IN_WORKER"),
                   target=os.environ.get("NOODLE_TARGET", "cpu").strip().lower() or "cpu",
                   gpu_threshold=environment_number("NOODLE_GPU_THRESHOLD", 1 << 20, int))


config = Config.from_environment()
