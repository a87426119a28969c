"""Where the CUDA toolkit's pieces are: libdevice (math functions for NVVM) and ptxas.

The GPU pipeline links `math` ops to libdevice's bitcode, which MLIR's NVVM target looks
for under a CUDA installation. It is searched where CUDA puts it: `$CUDA_HOME` (or
`$CUDA_PATH`), the conventional `/usr/local/cuda`, or the `nvidia-cuda-nvcc-cu12` wheel
(the `gpu` extra), which ships both libdevice and ptxas. Nothing here needs a GPU.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

LIBDEVICE = Path("nvvm") / "libdevice" / "libdevice.10.bc"


def _candidate_roots() -> list[Path]:
    roots = [Path(os.environ[name]) for name in ("CUDA_HOME", "CUDA_PATH") if os.environ.get(name)]
    roots.append(Path("/usr/local/cuda"))
    spec = importlib.util.find_spec("nvidia")
    if spec is not None and spec.submodule_search_locations:
        roots += [Path(p) / "cuda_nvcc" for p in spec.submodule_search_locations]
    return roots


def cuda_root() -> Path | None:
    """The first CUDA installation that holds libdevice, or None."""
    for root in _candidate_roots():
        if (root / LIBDEVICE).is_file():
            return root
    return None


def libdevice_path() -> Path | None:
    root = cuda_root()
    return None if root is None else root / LIBDEVICE


def ptxas_path() -> str | None:
    """ptxas from the CUDA installation found, else from PATH, else None."""
    for root in _candidate_roots():
        candidate = root / "bin" / "ptxas"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("ptxas")


def chip_of(compute_capability: str | int | tuple[int, int]) -> str:
    """`sm_XX` for a compute capability given as "90", 90, "9.0" or (9, 0)."""
    if isinstance(compute_capability, tuple):
        major, minor = compute_capability
        return f"sm_{major}{minor}"
    text = str(compute_capability).replace(".", "")
    if not text.isdigit():
        raise ValueError(f"not a compute capability: {compute_capability!r}")
    return f"sm_{text}"
