"""Process-wide settings: `noodle.config`, read from the `NOODLE_*` environment variables
when noodle is imported; assigning an attribute changes the setting from then on.
Per-function keyword arguments of `@jit` take precedence over these."""
from __future__ import annotations

import os
from dataclasses import dataclass


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


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
                   gpu_threshold=int(os.environ.get("NOODLE_GPU_THRESHOLD", 1 << 20)))


config = Config.from_environment()
