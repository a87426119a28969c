"""`GpuProgram`: everything the GPU launcher needs for one specialisation, as PTX text
plus JSON-able metadata, so that it comes back from the on-disk cache without the
compiler (and without MLIR)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from noodle.compiler.kernel import Kernel

#: The chip PTX is made for when no GPU says which (`inspect(stage="ptx")` on a machine
#: without one): Hopper, the oldest architecture the benchmarks target
DEFAULT_CHIP = "sm_90"

#: Kernel parameter kinds, as the NVVM lowering passes them (a memref is expanded into
#: its descriptor's fields: allocated pointer, aligned pointer, offset, sizes, strides),
#: each with the NumPy scalar type the launcher packs it as. A kind is the LLVM type of
#: the parameter, but "u64" for a pointer.
PARAM_TYPES: dict[str, type[np.generic]] = {
    "u64": np.uint64, "i64": np.int64, "i32": np.int32, "i16": np.int16, "i8": np.int8,
    "i1": np.bool_, "f64": np.float64, "f32": np.float32, "f16": np.float16}


@dataclass
class GpuProgram:
    """One compiled function: PTX for one `gpu.module`, the parameter kinds of each of
    its kernels, and the host plan (`host_plan`) that allocates and launches."""
    kernel: Kernel  # types, error sites and dependencies, as for the CPU
    chip: str  # "sm_90"
    ptx: str
    #: kernel name -> parameter kinds (`PARAM_TYPES`), in the order the PTX declares them
    params: dict[str, list[str]]
    plan: dict
    #: kernel name -> positions of the memref operands it stores to
    writes: dict[str, list[int]] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)  # "gpu", "nvvm": IR text

    def metadata(self) -> dict:
        """All but the PTX and the stages, as JSON-able data (`from_metadata` reverses
        it)."""
        return {"kernel": self.kernel.metadata(), "chip": self.chip, "params": self.params,
                "plan": self.plan, "writes": self.writes}

    @classmethod
    def from_metadata(cls, meta: dict, ptx: str) -> GpuProgram:
        """Raises LookupError when an exception class the function raises is gone."""
        return cls(Kernel.from_metadata(meta["kernel"], {}), meta["chip"], ptx,
                   meta["params"], meta["plan"], meta["writes"])
