"""A `Device` in host memory for running GPU plans without a GPU.

Memory is NumPy arrays (addresses are real host addresses), element reads and writes
are real; `launch` cannot run PTX on the CPU, so it records each launch (kernel, grid,
block, parameters) for the tests to check against the arrays they describe. Tests that
use it check the host side only: shapes, allocations, grid sizes, parameter packing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from noodle.runtime.gpu_plan import View


@dataclass
class Launch:
    kernel: str
    grid: tuple[int, int, int]
    block: tuple[int, int, int]
    params: list[np.generic]
    shared_mem: int = 0


class HostDevice:
    def __init__(self) -> None:
        self.launches: list[Launch] = []
        self.allocations: list[np.ndarray] = []

    def alloc(self, dtype: np.dtype, count: int) -> np.ndarray:
        buffer = np.zeros(count, dtype)
        self.allocations.append(buffer)
        return buffer

    def address(self, owner: np.ndarray) -> int:
        return owner.ctypes.data

    def read(self, owner: np.ndarray, byte_offset: int, dtype: np.dtype) -> np.generic:
        return np.frombuffer(_bytes_at(owner, byte_offset, dtype.itemsize), dtype)[0]

    def write(self, owner: np.ndarray, byte_offset: int, dtype: np.dtype, value) -> None:
        _bytes_at(owner, byte_offset, dtype.itemsize)[:] = np.asarray(value, dtype).tobytes()

    def array(self, owner: np.ndarray, view: View) -> np.ndarray:
        itemsize = view.dtype.itemsize
        start = owner.ctypes.data + view.offset * itemsize
        interface = {"data": (start, False), "shape": view.sizes,
                     "strides": tuple(s * itemsize for s in view.strides),
                     "typestr": view.dtype.str, "version": 3}
        holder = type("Holder", (), {"__array_interface__": interface, "owner": owner})()
        return np.asarray(holder)

    def launch(self, kernel, grid, block, params, shared_mem=0) -> None:
        self.launches.append(Launch(kernel, tuple(grid), tuple(block), list(params),
                                    shared_mem))


def _bytes_at(owner: np.ndarray, byte_offset: int, size: int) -> memoryview:
    """The bytes at an offset from the owner's first element (which may lie anywhere in
    its memory: negative strides)."""
    import ctypes
    address = owner.ctypes.data + byte_offset
    return memoryview((ctypes.c_char * size).from_address(address)).cast("B")


class CopyingHostDevice(HostDevice):
    """A `HostDevice` whose memory is apart from the arguments' (as a GPU's is): the
    launcher copies NumPy arguments in and back (`gpu_host_mirror`). `kernel`, when
    given, runs at each launch on (device, launch) to stand for the kernel's stores."""

    separate_memory = True

    def __init__(self, kernel=None) -> None:
        super().__init__()
        self.kernel = kernel
        self.copied_in = 0  # bytes

    def copy_in(self, host: np.ndarray, pad: int) -> np.ndarray:
        owner = self.alloc(np.dtype(np.uint8), pad + host.size)
        owner[pad:] = host
        self.copied_in += host.size
        return owner

    def owner_at(self, owner: np.ndarray, byte_offset: int) -> np.ndarray:
        return owner[byte_offset:]

    def copy_out(self, owner: np.ndarray, byte_offset: int, host: np.ndarray) -> None:
        host[...] = owner[byte_offset:byte_offset + host.size]

    def launch(self, kernel, grid, block, params, shared_mem=0) -> None:
        super().launch(kernel, grid, block, params, shared_mem)
        if self.kernel is not None:
            self.kernel(self, self.launches[-1])
