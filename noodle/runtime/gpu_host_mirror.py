"""NumPy arguments of one GPU call, mirrored in device memory.

Only the bytes the arguments cover are copied: `f(big[:10])` moves ten elements, not
`big`. Arguments whose bytes overlap (`f(a, a)`, `f(a[1:], a[:-1])`, `a[::2]` and
`a[1::2]`) are copied as one span, so they share memory on the device as they do on the
host. Nothing is assumed of the buffer an argument views (it may be a strided view of a
strided view, `as_strided`, a foreign buffer): the span is its own extent in memory.
After the call, the extent of each argument the run may have written is copied back;
a result that views an argument comes back as a view of the caller's memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from noodle.runtime.gpu_plan import View, contiguous_strides

#: device placement of a span keeps each host address's alignment modulo this (no
#: NumPy dtype the GPU path takes needs more), so element views stay aligned
_ALIGNMENT = 16


class CopyingDevice(Protocol):
    """What mirroring needs of a device with memory of its own."""

    def copy_in(self, host: np.ndarray, pad: int) -> Any:
        """A new allocation of `pad + host.size` bytes holding `host` (contiguous bytes)
        from byte `pad` on."""

    def owner_at(self, owner: Any, byte_offset: int) -> Any:
        """An owner whose first byte is byte `byte_offset` of `owner`."""

    def copy_out(self, owner: Any, byte_offset: int, host: np.ndarray) -> None:
        """`host` (contiguous bytes) overwritten by `owner`'s bytes from `byte_offset`."""


def extent(array: np.ndarray) -> tuple[int, int]:
    """[first, last + 1) byte addresses of `array`'s elements, whatever its strides."""
    low = high = array.ctypes.data
    for size, stride in zip(array.shape, array.strides):
        reach = (size - 1) * stride
        low, high = (low + reach, high) if reach < 0 else (low, high + reach)
    return low, high + array.itemsize


class _HostBytes:
    """`__array_interface__` of host bytes, keeping the array they belong to alive."""

    def __init__(self, keep: np.ndarray, address: int, size: int):
        self.keep = keep
        self.__array_interface__ = {"data": (address, False), "shape": (size,),
                                    "typestr": "|u1", "version": 3}


def host_bytes(keep: np.ndarray, address: int, size: int) -> np.ndarray:
    return np.asarray(_HostBytes(keep, address, size))


@dataclass
class _Argument:
    array: np.ndarray
    position: int
    low: int
    high: int
    owner: Any = None


@dataclass
class _Span:
    low: int
    high: int
    arguments: list[_Argument] = field(default_factory=list)
    owner: Any = None
    pad: int = 0


class HostMirror:
    """`add` each NumPy argument, `to_device` them all, run the plan on the views, then
    `copy_back` what it may have written."""

    def __init__(self, device: CopyingDevice):
        self._device = device
        self._arguments: list[_Argument] = []
        self._spans: list[_Span] = []
        #: id of an argument's device owner -> its host array
        self._hosts: dict[int, np.ndarray] = {}

    def add(self, array: np.ndarray, position: int) -> None:
        low, high = extent(array) if array.size else (array.ctypes.data,) * 2
        self._arguments.append(_Argument(array, position, low, high))

    def to_device(self) -> dict[int, View]:
        """Argument position -> its view in device memory."""
        for argument in sorted(self._arguments, key=lambda a: a.low):
            span = self._spans[-1] if self._spans else None
            if span is None or argument.low >= span.high or not argument.array.size:
                span = _Span(argument.low, argument.high)
                self._spans.append(span)
            span.high = max(span.high, argument.high)
            span.arguments.append(argument)
        views: dict[int, View] = {}
        for span in self._spans:
            keep = span.arguments[0].array
            span.pad = span.low % _ALIGNMENT
            span.owner = self._device.copy_in(
                host_bytes(keep, span.low, span.high - span.low), span.pad)
            for argument in span.arguments:
                argument.owner = self._device.owner_at(
                    span.owner, span.pad + argument.array.ctypes.data - span.low)
                self._hosts[id(argument.owner)] = argument.array
                views[argument.position] = array_view(argument.array, argument.owner,
                                                      argument.position)
        return views

    def copy_back(self, written_positions: set[int]) -> None:
        """The extent of every written argument, from the device to the caller's memory
        (a read-only array is left alone: it is not the caller's to change)."""
        for span in self._spans:
            for argument in span.arguments:
                if argument.position in written_positions and argument.array.flags.writeable \
                        and argument.high > argument.low:
                    size = argument.high - argument.low
                    self._device.copy_out(span.owner, span.pad + argument.low - span.low,
                                          host_bytes(argument.array, argument.low, size))

    def host_view(self, view: View) -> np.ndarray | None:
        """The caller's memory behind a result that views an argument, else None."""
        argument = self._hosts.get(id(view.owner))
        if argument is None:
            return None
        itemsize = view.dtype.itemsize
        holder = _HostBytes(argument, 0, 0)
        holder.__array_interface__ = {
            "data": (argument.ctypes.data + view.offset * itemsize,
                     not argument.flags.writeable),
            "shape": view.sizes, "strides": tuple(s * itemsize for s in view.strides),
            "typestr": view.dtype.str, "version": 3}
        return np.asarray(holder)


def array_view(array: Any, owner: Any, position: int) -> View:
    """The plan value of array argument `array` (NumPy or CuPy) at `position`, its
    elements at `owner`'s address: a view with element strides."""
    dtype = np.dtype(array.dtype)
    itemsize = dtype.itemsize
    if any(s % itemsize for s in array.strides):
        raise ValueError("an array argument's strides are not a multiple of its item "
                         "size, which the GPU path cannot address")
    strides = tuple(s // itemsize for s in array.strides) if array.size else \
        contiguous_strides(array.shape)
    return View(owner, dtype, 0, tuple(array.shape), strides, root=position)
