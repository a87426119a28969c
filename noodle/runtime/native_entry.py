"""Turning a kernel's compiled Python entry point (`compiler/python_entry.py`) into a
callable: CPython's symbols made resolvable, NumPy's parts written into the kernel's
runtime table, and a builtin function object (`PyCMethod_New`) around the code.

The entry reads CPython and NumPy objects at fixed offsets; `layouts_ok()` checks those
offsets on live objects once, and where they do not hold (another Python build, say)
no native entry is made and calls take the Python-level path.
"""
from __future__ import annotations

import ctypes
from functools import cache
from typing import NamedTuple

import llvmlite.binding as llvm
import numpy as np

from noodle.compiler import python_entry as E
from noodle.compiler.backend import LoadedObject
from noodle.dialects.dtypes import SUPPORTED_DTYPES

_METH_FASTCALL, _METH_KEYWORDS = 0x80, 0x02
# positions in NumPy's C-API table (numpy/__multiarray_api.h; fixed by NumPy's ABI)
_API_ARRAY_SCALAR, _API_NEW_FROM_DESCR, _API_SET_BASE_OBJECT = 60, 94, 282


class _MethodDef(ctypes.Structure):
    _fields_ = [("ml_name", ctypes.c_char_p), ("ml_meth", ctypes.c_void_p),
                ("ml_flags", ctypes.c_int), ("ml_doc", ctypes.c_char_p)]


_new_function = ctypes.pythonapi.PyCMethod_New
_new_function.restype = ctypes.py_object
_new_function.argtypes = [ctypes.c_void_p, ctypes.py_object, ctypes.c_void_p, ctypes.c_void_p]


#: Where a loaded kernel's entry point and the structures it uses lie
EntryAddresses = NamedTuple("EntryAddresses", [(name, int) for name in E.ADDRESSES])


def entry_addresses(loaded: LoadedObject, symbol: str) -> EntryAddresses:
    """The addresses of the entry of `symbol`, read from its address table: one symbol
    lookup for them all. A lookup is an llvmlite call, which lets go of the GIL and takes
    it back; made one after another by the thread that swaps a kernel in while the
    program runs, each made the program's thread wait for the GIL once more (calls of
    ~10 us took 0.3-0.4 ms while an optimised kernel was loaded with six lookups)."""
    table = (ctypes.c_void_p * len(E.ADDRESSES)).from_address(
        loaded.global_address(E.addresses_name(symbol)))
    return EntryAddresses(*table)


class NativeEntry:
    """The builtin function that calls one loaded kernel from Python, with the counters
    the entry keeps (the C structures it points to live as long as this object)."""

    def __init__(self, loaded: LoadedObject, symbol: str, addresses: EntryAddresses):
        self.symbol, self.addresses = symbol, addresses
        _fill_runtime_table(addresses.runtime_table)
        self._profile = (ctypes.c_uint64 * 2).from_address(addresses.profile)
        self._hot = (ctypes.c_uint64 * 2).from_address(addresses.hot_thresholds)
        self._name = symbol.encode()
        self._def = _MethodDef(self._name, addresses.python_entry,
                               _METH_FASTCALL | _METH_KEYWORDS, None)
        self._loaded = loaded
        #: reads the cycle counter the profile counts in
        self.read_cycles = ctypes.CFUNCTYPE(ctypes.c_uint64)(addresses.cycle_reader)

    @property
    def method_address(self) -> int:
        """The PyMethodDef of the builtin functions `function` makes (kernel_swap.c
        changes which code they call)."""
        return ctypes.addressof(self._def)

    def function(self, fallback: object, on_error: object, on_hot: object) -> object:
        """A builtin function calling the entry with this context (see CTX_*); it keeps
        this object alive through its `__self__`."""
        ctx = (fallback, on_error, on_hot, self)
        return _new_function(ctypes.addressof(self._def), ctx, None, None)

    @property
    def calls(self) -> int:
        return self._profile[0]

    @property
    def cycles(self) -> int:
        return self._profile[1]

    def set_hot_thresholds(self, calls: int, cycles: int) -> None:
        """The entry calls ctx[CTX_ON_HOT] once, when either count is reached."""
        self._hot[0], self._hot[1] = calls, cycles


@cache
def layouts_ok() -> bool:
    """Whether this process's objects lie where the entry points read them."""
    def word(address: int, ctype=ctypes.c_int64):
        return ctype.from_address(address).value

    x, t = 1.5, (object(),)
    a = np.zeros((3, 4))[:, ::2]
    s = np.float32(2.5)
    try:
        return (word(id(x) + 16, ctypes.c_double) == x
                and word(id(s) + 16, ctypes.c_float) == 2.5
                and word(id(t) + 16) == 1 and word(id(t) + 24) == id(t[0])
                and word(id(a) + 8) == id(np.ndarray)
                and word(id(a) + 16) == a.ctypes.data
                and word(id(a) + 24, ctypes.c_int) == a.ndim
                and list((ctypes.c_int64 * 2).from_address(word(id(a) + 32))) == [3, 2]
                and list((ctypes.c_int64 * 2).from_address(word(id(a) + 40))) == [32, 16]
                and word(id(a) + 56) == id(a.dtype)
                and word(id(a) + 64, ctypes.c_int) == a.flags.num)
    except (ValueError, OverflowError):
        return False


@cache
def register_cpython_symbols() -> None:
    """Give MCJIT the addresses of the CPython functions and objects entries use
    (whether the interpreter exports them dynamically depends on how it was built)."""
    api = ctypes.pythonapi
    for name in E.CPYTHON_SYMBOLS:
        if name[0] == "_" or name.endswith("_Type"):  # objects, not functions
            address = ctypes.addressof(ctypes.c_char.in_dll(api, name))
        else:
            address = ctypes.cast(getattr(api, name), ctypes.c_void_p).value
        llvm.add_symbol(name, address)
    libc = ctypes.CDLL(None)
    llvm.add_symbol("free", ctypes.cast(libc.free, ctypes.c_void_p).value)


@cache
def _runtime_table() -> tuple[int, ...]:
    from numpy._core import _multiarray_umath

    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    api = ctypes.cast(get_pointer(_multiarray_umath._ARRAY_API, None),
                      ctypes.POINTER(ctypes.c_void_p))
    table = [0] * E.RT_SIZE
    table[E.RT_ARRAY_TYPE] = id(np.ndarray)
    table[E.RT_ARRAY_SCALAR] = api[_API_ARRAY_SCALAR]
    table[E.RT_NEW_FROM_DESCR] = api[_API_NEW_FROM_DESCR]
    table[E.RT_SET_BASE_OBJECT] = api[_API_SET_BASE_OBJECT]
    for name in SUPPORTED_DTYPES:
        dtype = np.dtype(name)
        # the singletons: kept alive by NumPy for the life of the process
        table[E.rt_descr_slot(dtype)] = id(dtype)
        table[E.rt_scalar_type_slot(dtype)] = id(dtype.type)
    return tuple(table)


def _fill_runtime_table(address: int) -> None:
    (ctypes.c_void_p * E.RT_SIZE).from_address(address)[:] = _runtime_table()
