"""The BLAS that NumPy itself calls, found in this process, for kernels' matmuls.

NumPy's wheels ship OpenBLAS (its symbols renamed, e.g. `scipy_cblas_dgemm64_`) and
load it with NumPy; a kernel that multiplies f32/f64 matrices calls its `gemm`, so a
compiled `A @ B` runs as fast as NumPy's. Kernels name the routines by noodle's own
symbols (`passes/nir_blas.py`), bound here to the library's addresses when a kernel is
loaded. Where no such library is found (a NumPy built against Accelerate, say), matmul
stays noodle's own loop nest.
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np  # noqa: F401 - loads NumPy's BLAS into the process

from noodle.passes.blas_symbols import GEMM_SYMBOLS, BlasInterface

#: (prefix, suffix, integer bits) of the names the CBLAS routines go by in known builds
_NAMINGS = (("scipy_cblas_", "64_", 64), ("cblas_", "64_", 64), ("scipy_cblas_", "", 32),
            ("cblas_", "", 32))


@dataclass(frozen=True)
class Blas:
    interface: BlasInterface
    #: noodle's symbol -> the routine's address
    addresses: dict[str, int]


@cache
def numpy_blas() -> Blas | None:
    """NumPy's BLAS, if this process has loaded one noodle knows how to call."""
    for path in _loaded_libraries("blas"):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix, int_bits in _NAMINGS:
            routines = {symbol: getattr(library, f"{prefix}{name}{suffix}", None)
                        for name, symbol in GEMM_SYMBOLS.items()}
            if all(routines.values()):
                addresses = {symbol: ctypes.cast(f, ctypes.c_void_p).value
                             for symbol, f in routines.items()}
                return Blas(BlasInterface(int_bits), addresses)
    return None


def _loaded_libraries(word: str) -> list[str]:
    """Paths of the shared libraries mapped into this process whose file name has
    `word` in it (Linux: /proc/self/maps; elsewhere none are found)."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return []
    paths = {line.split()[-1] for line in maps.read_text().splitlines()
             if word in line.rsplit("/", 1)[-1].lower() and line.split()[-1].startswith("/")}
    return sorted(paths)
