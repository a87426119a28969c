"""Calls compiled kernels: NumPy arrays and Python scalars in, the same kinds out.

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
from noodle.compiler.pipeline import Kernel
from noodle.compiler.types import Array, NoneType, NType, Scalar, TupleType, box_scalar

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


def _leaves(t: NType) -> list[Scalar | Array]:
    if isinstance(t, TupleType):
        return [x for item in t.items for x in _leaves(item)]
    return [] if isinstance(t, NoneType) else [t]


def _ctype_of(t: Scalar | Array):
    return descriptor_type(t.ndim) if isinstance(t, Array) else scalar_ctype(t.dtype)


class _Buffer:
    """Owns memory malloc'ed by compiled code; NumPy arrays over it keep it alive."""

    def __init__(self, address: int, interface: dict):
        self._address = address
        self.__array_interface__ = interface

    def __del__(self) -> None:
        _libc.free(self._address)


class _View:
    """Describes memory owned by another object (an argument), keeping it alive."""

    def __init__(self, owner: object, interface: dict):
        self._owner = owner
        self.__array_interface__ = interface


class CompiledKernel:
    """A loaded kernel and the ctypes function that calls its C interface."""

    def __init__(self, kernel: Kernel):
        self.kernel = kernel
        self._object = LoadedObject(kernel.stages["obj"])
        address = self._object.address("_mlir_ciface_" + kernel.symbol)
        self.arg_leaves = [x for t in kernel.arg_types for x in _leaves(t)]
        self.result_leaves = _leaves(kernel.result_type)
        params = [ctypes.POINTER(descriptor_type(0))]  # the status cell
        params += [ctypes.POINTER(_ctype_of(t)) if isinstance(t, Array) else _ctype_of(t)
                   for t in self.arg_leaves]
        restype = None
        self._result_struct = None
        if len(self.result_leaves) == 1 and isinstance(self.result_leaves[0], Scalar):
            restype = _ctype_of(self.result_leaves[0])
        elif self.result_leaves:
            if len(self.result_leaves) == 1:
                self._result_struct = descriptor_type(self.result_leaves[0].ndim)
            else:
                fields = [(f"r{i}", _ctype_of(t)) for i, t in enumerate(self.result_leaves)]
                self._result_struct = type("Results", (ctypes.Structure,), {"_fields_": fields})
            params.insert(0, ctypes.POINTER(self._result_struct))
        self._cfunc = ctypes.CFUNCTYPE(restype, *params)(address)

    def __call__(self, args: tuple) -> object:
        status_cell = ctypes.c_int64(0)
        status = descriptor_type(0)(ctypes.addressof(status_cell),
                                    ctypes.addressof(status_cell), 0)
        c_args: list = [ctypes.byref(status)]
        arrays: dict[int, np.ndarray] = {}
        for value in _leaf_values(args):
            if isinstance(value, np.ndarray):
                desc = _descriptor(value)
                arrays[desc.allocated or 0] = value
                c_args.append(ctypes.byref(desc))
            else:
                c_args.append(value)
        results = None
        if self._result_struct is not None:
            results = self._result_struct()
            c_args.insert(0, ctypes.byref(results))
        ret = self._cfunc(*c_args)
        if status_cell.value:
            _free_results(results, self.result_leaves, arrays)
            raise self.kernel.sites[status_cell.value - 1].exception()
        if not self.result_leaves:
            return None
        if results is None:
            values = [ret]
        elif len(self.result_leaves) == 1:
            values = [results]
        else:
            values = [getattr(results, f"r{i}") for i in range(len(self.result_leaves))]
        owners: dict[int, object] = {}
        boxed = iter([_box(v, t, arrays, owners) for v, t in zip(values, self.result_leaves)])
        return _rebuild(self.kernel.result_type, boxed)


def _leaf_values(args) -> list:
    out = []
    for a in args:
        if isinstance(a, tuple):
            out += _leaf_values(a)
        elif a is not None:
            out.append(a)
    return out


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


def _box(value, t: Scalar | Array, arrays: dict[int, np.ndarray], owners: dict[int, object]):
    if isinstance(t, Scalar):
        return box_scalar(t, value)
    itemsize = t.dtype.itemsize
    start = (value.aligned or 0) + value.offset * itemsize
    shape = tuple(value.sizes) if t.ndim else ()
    strides = tuple(s * itemsize for s in value.strides) if t.ndim else ()
    interface = {"data": (start, False), "shape": shape, "strides": strides,
                 "typestr": t.dtype.str, "version": 3}
    allocated = value.allocated or 0
    if allocated in arrays:
        return np.asarray(_View(arrays[allocated], interface))
    owner = owners.get(allocated)
    if owner is None:
        owner = owners[allocated] = _Buffer(allocated, interface)
        return np.asarray(owner)
    return np.asarray(_View(owner, interface))


def _free_results(results, leaves, arrays) -> None:
    if results is None:
        return
    structs = [results] if len(leaves) == 1 else [getattr(results, f"r{i}")
                                                   for i in range(len(leaves))]
    freed = set()
    for s, t in zip(structs, leaves):
        if isinstance(t, Array) and s.allocated and s.allocated not in arrays \
                and s.allocated not in freed:
            freed.add(s.allocated)
            _libc.free(s.allocated)


def _rebuild(t: NType, values):
    if isinstance(t, TupleType):
        return tuple(_rebuild(item, values) for item in t.items)
    if isinstance(t, NoneType):
        return None
    return next(values)
