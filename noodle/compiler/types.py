"""noodle's types: what the frontend knows about a value at compile time.

A Python scalar (bool, int, float) is *weak* and a NumPy scalar is *strong*, as in
NumPy 2's promotion rules (NEP 50): `float32_array * 2.0` stays float32, while
`float32_array * np.float64(2)` becomes float64. Result dtypes of ufuncs are asked of
NumPy itself (on dummy values), so noodle's promotion cannot drift from NumPy's.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Union

import numpy as np

from noodle.dialects.dtypes import SUPPORTED_DTYPES

BOOL = np.dtype(np.bool_)
INT64 = np.dtype(np.int64)
FLOAT64 = np.dtype(np.float64)
INTP = INT64


@dataclass(frozen=True)
class Scalar:
    dtype: np.dtype
    weak: bool = False  # a Python bool/int/float rather than a NumPy scalar

    def __str__(self) -> str:
        if self.weak:
            return {"b": "bool", "i": "int", "f": "float"}[self.dtype.kind]
        return self.dtype.name


@dataclass(frozen=True)
class Array:
    dtype: np.dtype
    ndim: int
    #: "C": C-contiguous (a vector's stride is then known to be 1, see
    #: `ArrayMixin.with_known_strides`); "A": any strides
    layout: str = "A"
    #: NumPy's writeable flag is off (np.broadcast_to, np.frombuffer of bytes,
    #: `a.setflags(write=False)`), as are the views of such an array: a store into it
    #: raises ValueError at run time, as NumPy does (`ArrayMixin.store_subscript`).
    #: Part of the key, as in Numba, so writable arrays' code is unchanged.
    readonly: bool = False

    def __str__(self) -> str:
        layout = ", C" if self.layout == "C" else ""
        readonly = "readonly " if self.readonly else ""
        return f"{readonly}array({self.dtype.name}, {self.ndim}d{layout})"


@dataclass(frozen=True)
class TupleType:
    items: tuple[NType, ...]

    def __str__(self) -> str:
        return "tuple(" + ", ".join(map(str, self.items)) + ")"


@dataclass(frozen=True)
class NoneType:
    def __str__(self) -> str:
        return "None"


NType = Union[Scalar, Array, TupleType, NoneType]

PY_BOOL = Scalar(BOOL, weak=True)
PY_INT = Scalar(INT64, weak=True)
PY_FLOAT = Scalar(FLOAT64, weak=True)
NONE = NoneType()


_SUPPORTED = frozenset(np.dtype(name) for name in SUPPORTED_DTYPES)


def is_supported_dtype(dtype: np.dtype) -> bool:
    """Native byte order only: a dtype with the other order compares unequal."""
    return dtype in _SUPPORTED


def typeof(value: object) -> NType | None:
    """The noodle type of a runtime value, or None when noodle cannot compile it."""
    if isinstance(value, np.generic):  # before float: np.float64 subclasses float
        return Scalar(value.dtype) if is_supported_dtype(value.dtype) else None
    if isinstance(value, bool):
        return PY_BOOL
    if isinstance(value, int):
        return PY_INT if -2**63 <= value < 2**63 else None
    if isinstance(value, float):
        return PY_FLOAT
    if isinstance(value, np.ndarray):
        if not is_supported_dtype(value.dtype) or not _strides_are_whole_elements(value):
            return None
        flags = value.flags
        contiguous = value.ndim > 0 and flags.c_contiguous
        return Array(value.dtype, value.ndim, "C" if contiguous else "A",
                     readonly=not flags.writeable)
    if isinstance(value, tuple):
        items = tuple(typeof(v) for v in value)
        return None if any(t is None for t in items) else TupleType(items)
    if value is None:
        return NONE
    return None


def _strides_are_whole_elements(a: np.ndarray) -> bool:
    return all(s % a.itemsize == 0 for s in a.strides)


def _dummy(t: Scalar | Array, value: int = 1) -> object:
    if isinstance(t, Array):
        return np.full(1, value, dtype=t.dtype)
    if t.weak:
        return {"b": bool, "i": int, "f": float}[t.dtype.kind](value)
    return t.dtype.type(value)


@lru_cache(maxsize=None)
def ufunc_result(ufunc: np.ufunc, *types: Scalar | Array) -> tuple[np.dtype, bool] | None:
    """(dtype, weak) of `ufunc(*values of types)` as NumPy computes it, or None if NumPy
    refuses the combination. Weak only when every input is a Python scalar."""
    try:
        with np.errstate(all="ignore"):
            out = ufunc(*(_dummy(t) for t in types))
    except (TypeError, ValueError):
        return None
    if isinstance(out, tuple):
        out = out[0]
    dtype = np.asarray(out).dtype
    weak = all(isinstance(t, Scalar) and t.weak for t in types)
    return dtype, weak


def result_dtype(*types: Scalar | Array) -> np.dtype:
    """NumPy's common dtype of the operands (np.result_type, NEP 50 weak scalars)."""
    return np.result_type(*(_dummy(t) for t in types))


def unify(a: NType, b: NType) -> NType | None:
    """The type a variable takes where paths with types a and b meet, or None."""
    if a == b:
        return a
    if isinstance(a, Scalar) and isinstance(b, Scalar):
        # NEP 50: a Python scalar meeting a NumPy scalar takes the NumPy scalar's type
        # where it can (0.0 then np.float32 gives float32)
        dtype = result_dtype(a, b)
        return Scalar(dtype, weak=a.weak and b.weak) if is_supported_dtype(dtype) else None
    if (isinstance(a, Array) and isinstance(b, Array) and a.dtype == b.dtype
            and a.ndim == b.ndim and a.readonly == b.readonly):
        # of two layouts, only "any" holds for both; a read-only array and a writable
        # one do not merge: a store after the merge would raise on one path only
        return Array(a.dtype, a.ndim, "A", a.readonly)
    if isinstance(a, TupleType) and isinstance(b, TupleType) and len(a.items) == len(b.items):
        items = tuple(unify(x, y) for x, y in zip(a.items, b.items))
        return None if any(t is None for t in items) else TupleType(items)
    return None


def matches(declared: NType, actual: NType) -> bool:
    """Whether a value of type `actual` may be passed where `declared` is declared."""
    if declared == actual:
        return True
    if isinstance(declared, Scalar) and isinstance(actual, Scalar):
        return np.can_cast(actual.dtype, declared.dtype, "safe")
    if isinstance(declared, Array) and isinstance(actual, Array):
        # the writeable flag must agree: a writable array's code would write into a
        # read-only array, and a read-only array's code raises where a writable one's
        # store would succeed ("readonly float64[:]" declares the read-only one)
        return declared.layout == "A" and declared == replace(actual, layout="A")
    if isinstance(declared, TupleType) and isinstance(actual, TupleType):
        return len(declared.items) == len(actual.items) and all(
            matches(d, a) for d, a in zip(declared.items, actual.items))
    return False


def first_fitting(signatures: Sequence[tuple[NType, ...]],
                  actual: Sequence[NType]) -> tuple[NType, ...] | None:
    """The first declared argument list that takes arguments of types `actual`
    (`matches`, item by item), as Numba picks a signature; None if none does."""
    return next((declared for declared in signatures if len(declared) == len(actual)
                 and all(matches(d, a) for d, a in zip(declared, actual))), None)


def leaf_types(t: NType) -> list[Scalar | Array]:
    """The scalars and arrays a value of type `t` holds, in order (tuples flattened,
    None dropped): how compiled code passes and returns it."""
    if isinstance(t, TupleType):
        return [x for item in t.items for x in leaf_types(item)]
    return [] if isinstance(t, NoneType) else [t]


def scalar_of(t: Scalar | Array) -> Scalar:
    """The element type of an array (a NumPy scalar), or the scalar itself."""
    return Scalar(t.dtype) if isinstance(t, Array) else t


def box_scalar(t: Scalar, value: object) -> object:
    """The Python object a compiled scalar result becomes (Python or NumPy scalar)."""
    if t.weak:
        return {"b": bool, "i": int, "f": float}[t.dtype.kind](value)
    return t.dtype.type(value)
