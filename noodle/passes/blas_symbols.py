"""What kernels and the loader agree on about BLAS calls: noodle's symbol for each
routine, and the width of the integer arguments. No MLIR here: the loader uses it on
cache hits, which must not import the bindings."""
from __future__ import annotations

from dataclasses import dataclass

#: BLAS routine -> the symbol kernels call it by
GEMM_SYMBOLS = {"dgemm": "noodle_blas_dgemm", "sgemm": "noodle_blas_sgemm"}


@dataclass(frozen=True)
class BlasInterface:
    """How to call the BLAS at hand: the width of its integer arguments (64 for an
    ILP64 build such as NumPy's)."""
    int_bits: int
