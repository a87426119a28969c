"""The Python entry point compiled with each kernel: LLVM IR appended to the kernel's
module, for a C function that CPython calls directly (METH_FASTCALL | METH_KEYWORDS).

    PyObject *<symbol>__py(PyObject *ctx, PyObject *const *args, Py_ssize_t nargs,
                           PyObject *kwnames)

It checks and unboxes its arguments itself, reading CPython and NumPy objects in place
(float value, int via PyLong_AsLongLongAndOverflow, NumPy scalar value, array data,
shape, strides, dtype, alignment and writeable flag), calls the kernel, counts the call
and its cycles for the profiler, and boxes the result (Python or NumPy scalars, arrays
that NumPy frees through a capsule, one capsule for the arrays that share a buffer,
views of array arguments, tuples). A call whose arguments are not exactly the
kinds the kernel was compiled for goes, untouched, to `ctx[CTX_FALLBACK]`: the next
entry point or the Python-level dispatcher. So a warm call runs no Python at all.

`ctx` is a tuple (see CTX_*). Type objects and functions of NumPy, which exports no
symbols, come from a table the loader fills (see RT_*); CPython's are plain external
symbols (`CPYTHON_SYMBOLS`), which the loader makes resolvable.

Layouts read here (stable in CPython >= 3.11 and NumPy >= 1.20; the loader checks them
on live objects before using any entry point): PyObject {refcnt @0, type @8}; float
value @16; NumPy scalar value @16; tuple size @16, items @24; ndarray data @16, nd @24
(int), dimensions @32, strides @40, descr @56, flags @64 (int).
"""
from __future__ import annotations

import numpy as np

from noodle.dialects.dtypes import SUPPORTED_DTYPES

CTX_FALLBACK, CTX_ON_ERROR, CTX_ON_HOT = 0, 1, 2

#: NumPy's parts, by slot in the runtime table (`<symbol>__rt`)
RT_ARRAY_TYPE, RT_ARRAY_SCALAR, RT_NEW_FROM_DESCR, RT_SET_BASE_OBJECT = range(4)
_RT_DESCRS = 4
_RT_SCALAR_TYPES = _RT_DESCRS + len(SUPPORTED_DTYPES)
RT_SIZE = _RT_SCALAR_TYPES + len(SUPPORTED_DTYPES)


def rt_descr_slot(dtype: np.dtype) -> int:
    return _RT_DESCRS + SUPPORTED_DTYPES.index(dtype.name)


def rt_scalar_type_slot(dtype: np.dtype) -> int:
    return _RT_SCALAR_TYPES + SUPPORTED_DTYPES.index(dtype.name)


CPYTHON_SYMBOLS = (
    "PyFloat_Type", "PyLong_Type", "PyTuple_Type", "_Py_NoneStruct", "_Py_TrueStruct",
    "_Py_FalseStruct", "PyFloat_FromDouble", "PyLong_FromLongLong",
    "PyLong_AsLongLongAndOverflow", "PyBool_FromLong",
    "Py_IncRef", "Py_DecRef", "PyObject_Vectorcall", "PyObject_CallOneArg",
    "PyTuple_New", "PyTuple_SetItem", "PyCapsule_New", "PyCapsule_GetPointer",
    "PyErr_Clear",
)


#: status the entry passes to ctx[CTX_ON_ERROR] for an array result nothing owns
STATUS_UNOWNED_RESULT = -1


def python_entry_name(symbol: str) -> str:
    return f"{symbol}__py"


def runtime_table_name(symbol: str) -> str:
    return f"{symbol}__rt"


def profile_name(symbol: str) -> str:
    """Two i64: calls, cycles in the kernel."""
    return f"{symbol}__profile"


def cycle_reader_name(symbol: str) -> str:
    """`uint64_t f(void)`: the counter the profile counts in (to calibrate it)."""
    return f"{symbol}__cycles"


def hot_thresholds_name(symbol: str) -> str:
    """Two i64: calls and cycles at which the entry calls ctx[CTX_ON_HOT], once."""
    return f"{symbol}__hot"


def addresses_name(symbol: str) -> str:
    """A constant array of the addresses of the entry's globals and functions, in the
    order of `ADDRESSES`: finding them all takes one symbol lookup."""
    return f"{symbol}__addresses"


#: What `addresses_name`'s array holds, in order
ADDRESSES = ("runtime_table", "profile", "hot_thresholds", "python_entry", "cycle_reader",
             "c_interface")

