"""Calls compiled kernels from Python: NumPy arrays and Python scalars in, the same
kinds out. This is the general path, through ctypes; calls whose arguments are exactly
the kinds a kernel was compiled for take its native entry point instead
(`native_entry.py`), and come here only when a kernel has none.

The kernel's C interface (`llvm.emit_c_interface`) takes each memref as a pointer to
its descriptor {allocated, aligned, offset, sizes[], strides[]} (strides in elements)
and returns several results (or one memref) through a pointer to a result struct.
Arrays the kernel allocated are handed to NumPy, which frees them with the C library's
`free` when the last view goes away; a returned view of an argument keeps that
argument alive instead.
"""
from __future__ import annotations

import ctypes
from functools import cache

import numpy as np

from noodle.compiler.backend import LoadedObject
from noodle.compiler.kernel import Kernel
from noodle.compiler.python_entry import STATUS_UNOWNED_RESULT
from noodle.compiler.types import Array, Scalar, box_scalar, leaf_types
from noodle.runtime.kernel_swap import LoadedLibrary
from noodle.runtime.leaves import leaves, rebuild
from noodle.runtime.native_entry import (NativeEntry, entry_addresses, layouts_ok,
                                         register_cpython_symbols)

_libc = ctypes.CDLL(None)
_libc.free.argtypes = [ctypes.c_void_p]

_CTYPES = {"b": ctypes.c_bool, "i1": ctypes.c_int8, "i2": ctypes.c_int16,
           "i4": ctypes.c_int32, "i8": ctypes.c_int64, "u1": ctypes.c_uint8,
           "u2": ctypes.c_uint16, "u4": ctypes.c_uint32, "u8": ctypes.c_uint64,
           "f4": ctypes.c_float, "f8": ctypes.c_double}


def scalar_ctype(dtype: np.dtype):
    return _CTYPES["b" if dtype.kind == "b" else f"{dtype.kind}{dtype.itemsize}"]


@cache
def descriptor_type(rank: int) -> type[ctypes.Structure]:
    fields = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
              ("offset", ctypes.c_int64)]
    if rank:
        fields += [("sizes", ctypes.c_int64 * rank), ("strides", ctypes.c_int64 * rank)]
    return type(f"MemRef{rank}D", (ctypes.Structure,), {"_fields_": fields})


def _ctype_of(t: Scalar | Array):
    return descriptor_type(t.ndim) if isinstance(t, Array) else scalar_ctype(t.dtype)


class MallocedBuffer:
    """Owns memory malloc'ed by compiled code; frees it when no array uses it."""

    def __init__(self, address: int):
        self._address = address

    def __del__(self) -> None:
        _libc.free(self._address)


class _ArrayView:
    """The `__array_interface__` of a result, keeping the owner of its memory alive."""

    def __init__(self, owner: object, interface: dict):
        self._owner = owner
        self.__array_interface__ = interface


def array_at(owner: object, start: int, t: Array, shape: tuple, strides: tuple,
             readonly: bool = False) -> np.ndarray:
    """The array of type `t` at address `start` (`strides` in bytes), which keeps
    `owner`, whatever owns that memory, alive as long as it lives."""
    interface = {"data": (start, readonly), "shape": shape, "strides": strides,
                 "typestr": t.dtype.str, "version": 3}
    return np.asarray(_ArrayView(owner, interface))


#: the Python number type a scalar parameter of each dtype kind is passed as
_PYTHON_NUMBER = {"b": bool, "i": int, "u": int, "f": float}


class CompiledKernel:
    """A loaded kernel and the ctypes function that calls its C interface.

    The entry returns the result's leaves (scalars and array descriptors), then one
    flag per array: whether the caller owns its buffer. An array it does not own is a
    view of an argument (or of another result)."""

    def __init__(self, kernel: Kernel, loaded: LoadedObject | LoadedLibrary | None = None):
        """`loaded`: the kernel's code, loaded already (by the kernel swap, say);
        otherwise its object code is loaded here."""
        self.kernel = kernel
        native = kernel.python_entry and layouts_ok()
        if loaded is None:
            if kernel.python_entry:
                register_cpython_symbols()  # the object refers to them
            loaded = LoadedObject(kernel.stages["obj"], kernel.externals)
        self._object = loaded
        #: the compiled Python entry point, when there is one this process can use
        self.native_entry = None
        if kernel.python_entry:
            addresses = entry_addresses(self._object, kernel.symbol)
            if native:
                self.native_entry = NativeEntry(self._object, kernel.symbol, addresses)
            address = addresses.c_interface
        else:
            address = self._object.address("_mlir_ciface_" + kernel.entry)
        self.arg_leaves = [x for t in kernel.arg_types for x in leaf_types(t)]
        self.result_leaves = leaf_types(kernel.result_type)
        n_arrays = sum(isinstance(t, Array) for t in self.result_leaves)
        params = [ctypes.POINTER(descriptor_type(0))]  # the status cell
        params += [ctypes.POINTER(_ctype_of(t)) if isinstance(t, Array) else _ctype_of(t)
                   for t in self.arg_leaves]
        restype = None
        self._result_struct = None
        if len(self.result_leaves) == 1 and not n_arrays:
            restype = _ctype_of(self.result_leaves[0])
        elif self.result_leaves:
            fields = [(f"r{i}", _ctype_of(t)) for i, t in enumerate(self.result_leaves)]
            fields += [(f"owned{i}", ctypes.c_bool) for i in range(n_arrays)]
            self._result_struct = type("Results", (ctypes.Structure,), {"_fields_": fields})
            params.insert(0, ctypes.POINTER(self._result_struct))
        self._cfunc = ctypes.CFUNCTYPE(restype, *params)(address)

    def __call__(self, args: tuple) -> object:
        status_cell = ctypes.c_int64(0)
        status = descriptor_type(0)(ctypes.addressof(status_cell),
                                    ctypes.addressof(status_cell), 0)
        c_args: list = [ctypes.byref(status)]
        buffers: dict[int, object] = {}  # allocated pointer -> object keeping it alive
        for value, t in zip(leaves(args), self.arg_leaves):
            if isinstance(value, np.ndarray):
                desc = _descriptor(value)
                buffers[desc.allocated or 0] = value
                c_args.append(ctypes.byref(desc))
            else:
                # as a Python number of the parameter's kind: ctypes refuses NumPy scalars
                # of another kind (np.True_ where a signature declares an int64)
                c_args.append(_PYTHON_NUMBER[t.dtype.kind](value))
        results = None
        if self._result_struct is not None:
            results = self._result_struct()
            c_args.insert(0, ctypes.byref(results))
        ret = self._cfunc(*c_args)
        arrays = self._arrays(results)
        owned = {desc.allocated for desc, is_owned in arrays if is_owned} - buffers.keys()
        if status_cell.value:
            for address in owned:
                _libc.free(address)
            raise self.kernel.sites[status_cell.value - 1].exception()
        if not self.result_leaves:
            return None
        if results is None:
            value = box_scalar(self.result_leaves[0], ret)
            return rebuild(self.kernel.result_type, iter([value]))  # `return x,` too
        for address in owned:  # owners first, so views of results find them
            buffers[address] = MallocedBuffer(address)
        boxed = []
        for i, t in enumerate(self.result_leaves):
            value = getattr(results, f"r{i}")
            boxed.append(_array(value, t, buffers) if isinstance(t, Array)
                         else box_scalar(t, value))
        return rebuild(self.kernel.result_type, iter(boxed))

    def raise_status(self, status: int) -> None:
        """What the native entry calls when the kernel stopped with an error."""
        if status == STATUS_UNOWNED_RESULT:
            raise RuntimeError("compiled code returned an array whose memory nothing owns "
                               "(a noodle bug)")
        raise self.kernel.sites[status - 1].exception()

    def _arrays(self, results) -> list[tuple[ctypes.Structure, bool]]:
        """(descriptor, owned) of each array result."""
        if results is None:
            return []
        descs = [getattr(results, f"r{i}") for i, t in enumerate(self.result_leaves)
                 if isinstance(t, Array)]
        return [(d, getattr(results, f"owned{i}")) for i, d in enumerate(descs)]


def _descriptor(a: np.ndarray) -> ctypes.Structure:
    rank = a.ndim
    desc = descriptor_type(rank)()
    address = a.ctypes.data
    desc.allocated = address
    desc.aligned = address
    desc.offset = 0
    if rank:
        desc.sizes[:] = a.shape
        desc.strides[:] = [s // a.itemsize for s in a.strides]
    return desc


def _array(desc: ctypes.Structure, t: Array, buffers: dict[int, object]) -> np.ndarray:
    itemsize = t.dtype.itemsize
    start = (desc.aligned or 0) + desc.offset * itemsize
    shape = tuple(desc.sizes) if t.ndim else ()
    strides = tuple(s * itemsize for s in desc.strides) if t.ndim else ()
    owner = buffers.get(desc.allocated or 0)
    if owner is None:
        raise RuntimeError("compiled code returned an array whose memory nothing owns "
                           "(a noodle bug)")
    readonly = isinstance(owner, np.ndarray) and not owner.flags.writeable
    return array_at(owner, start, t, shape, strides, readonly)

