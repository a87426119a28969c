"""`noodle.load("kernels.so")`: the functions of a library noodlec made, as Python
callables that take NumPy arrays and numbers, through the library's C ABI
(`noodle/compiler/c_abi.py`) and ctypes. The library carries its own description
(functions, signatures, error texts), so nothing but the `.so` is needed.

A call checks its arguments against the signatures before any native code runs (dtype,
rank, contiguity where declared, strides in whole elements), raising TypeError or
ValueError that name the parameter; errors the compiled code raises come back as the
same exceptions as under `@noodle.jit`. Array results own the library's allocation
(freed with the C library's `free` when NumPy lets go) or keep the arguments and
results they view alive.
"""
from __future__ import annotations

import ctypes
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from noodle.compiler.c_abi import (MAX_NDIM, METADATA_SYMBOL, METADATA_VERSION,
                                   STATUS_BAD_SHAPE, STATUS_BAD_STRIDES)
from noodle.compiler.kernel import decode_type, resolve_name
from noodle.compiler.types import (Array, NType, Scalar, TupleType, box_scalar, leaf_types,
                                   matches, typeof)
from noodle.runtime.executor import MallocedBuffer, array_at, scalar_ctype
from noodle.runtime.leaves import rebuild


class NoodleArray(ctypes.Structure):
    """`noodle_array` of the generated header."""
    _fields_ = [("data", ctypes.c_void_p), ("base", ctypes.c_void_p), ("ndim", ctypes.c_int64),
                ("shape", ctypes.c_int64 * MAX_NDIM), ("strides", ctypes.c_int64 * MAX_NDIM)]


@dataclass
class _ErrorInfo:
    exc_type: str
    message: str

    def exception(self) -> Exception:
        try:
            exc_type = resolve_name(self.exc_type)
        except LookupError:  # a class of the compiled module, which is not imported here
            return RuntimeError(f"{self.exc_type}: {self.message}")
        return exc_type(self.message)


class Overload:
    """One C function of the library: one signature."""

    def __init__(self, library: ctypes.CDLL, meta: dict, errors: list[_ErrorInfo]):
        self.name = meta["name"]
        self.symbol = meta["symbol"]
        self.signature = meta["signature"]
        self.arg_types = tuple(decode_type(t) for t in meta["arg_types"])
        self.result_type = decode_type(meta["result_type"])
        self._results = leaf_types(self.result_type)
        self._errors = errors
        self._cfunc = getattr(library, self.symbol)
        self._cfunc.restype = ctypes.c_int

    def accepts(self, types: tuple[NType | None, ...]) -> bool:
        return len(types) == len(self.arg_types) and all(
            t is not None and matches(d, t) for d, t in zip(self.arg_types, types))

    def __call__(self, args: tuple) -> object:
        c_args: list = []
        arrays: list[np.ndarray] = []
        for declared, value, index in zip(self.arg_types, args, range(len(args))):
            self._pass(declared, value, f"argument {index + 1}", c_args, arrays)
        outs = [NoodleArray() if isinstance(t, Array) else scalar_ctype(t.dtype)()
                for t in self._results]
        status = self._cfunc(*c_args, *(ctypes.byref(o) for o in outs))
        if status:
            raise self._error(status)
        owners = [MallocedBuffer(o.base) if isinstance(o, NoodleArray) and o.base else None
                  for o in outs]
        everything = (tuple(arrays), tuple(o for o in owners if o is not None))
        values = []
        for t, out, owner in zip(self._results, outs, owners):
            if isinstance(t, Array):
                values.append(_as_array(out, t, owner if owner is not None else everything))
            else:
                values.append(box_scalar(t, out.value))
        return rebuild(self.result_type, iter(values))

    def _pass(self, declared: NType, value: object, what: str, c_args: list,
              arrays: list[np.ndarray]) -> None:
        if isinstance(declared, TupleType):
            for i, (item, v) in enumerate(zip(declared.items, value)):
                self._pass(item, v, f"{what}[{i}]", c_args, arrays)
        elif isinstance(declared, Array):
            itemsize = value.itemsize
            if any(s % itemsize for s in value.strides):
                raise ValueError(f"{self.name}(): {what} has strides {value.strides}, not "
                                 f"whole elements of {itemsize} bytes (copy it first)")
            arrays.append(value)
            c_args += [ctypes.c_void_p(value.ctypes.data),
                       (ctypes.c_int64 * max(value.ndim, 1))(*value.shape),
                       (ctypes.c_int64 * max(value.ndim, 1))(
                           *(s // itemsize for s in value.strides))]
        elif isinstance(declared, Scalar):
            c_args.append(scalar_ctype(declared.dtype)(declared.dtype.type(value).item()))

    def _error(self, status: int) -> Exception:
        if status == STATUS_BAD_STRIDES:
            return ValueError(f"{self.name}(): an array argument is not C-contiguous, as "
                              f"{self.signature} declares")
        if status == STATUS_BAD_SHAPE:
            return ValueError(f"{self.name}(): an array argument's shape does not fit "
                              f"{self.signature}")
        if 0 < status <= len(self._errors):
            return self._errors[status - 1].exception()
        return RuntimeError(f"{self.name}() returned the unknown status {status}")


class LibraryFunction:
    """A Python function of the library, with each signature it was compiled for."""

    def __init__(self, name: str, overloads: list[Overload]):
        self.__name__ = name
        self.overloads = overloads

    @property
    def signatures(self) -> list[str]:
        return [o.signature for o in self.overloads]

    def __call__(self, *args: object) -> object:
        types = tuple(typeof(a) for a in args)
        for overload in self.overloads:
            if overload.accepts(types):
                return overload(args)
        raise TypeError(self._mismatch(args, types))

    def _mismatch(self, args: tuple, types: tuple) -> str:
        """Which argument does not fit, for a function of one signature; else the list."""
        head = f"{self.__name__}()"
        if len(self.overloads) == 1:
            declared = self.overloads[0].arg_types
            if len(args) != len(declared):
                return f"{head} takes {len(declared)} arguments, {len(args)} given"
            for i, (d, t, a) in enumerate(zip(declared, types, args)):
                if t is None or not matches(d, t):
                    got = type(a).__name__ if t is None else str(t)
                    if (isinstance(d, Array) and isinstance(t, Array)
                            and (d.dtype, d.ndim) == (t.dtype, t.ndim)
                            and d.readonly != t.readonly):
                        what = ("read-only; its signature declares a writable array"
                                if t.readonly else "writable; its signature declares a "
                                "read-only one")
                        return (f"{head}: argument {i + 1} is {what} ("
                                f"{self.overloads[0].signature})")
                    if (isinstance(d, Array) and isinstance(t, Array)
                            and (d.dtype, d.ndim) == (t.dtype, t.ndim)):
                        return (f"{head}: argument {i + 1} must be C-contiguous, as "
                                f"{self.overloads[0].signature} declares "
                                "(np.ascontiguousarray makes a copy that is)")
                    if (t is None and isinstance(a, int) and isinstance(d, Scalar)
                            and d.dtype.kind in "iu"):
                        # a Python int no C integer type holds (typeof gives none)
                        return (f"{head}: argument {i + 1} is {a}, out of range for "
                                f"{d.dtype.name} ({np.iinfo(d.dtype).min} .. "
                                f"{np.iinfo(d.dtype).max})")
                    return f"{head}: argument {i + 1} is {got}; expected {d}"
        shown = ", ".join("?" if t is None else str(t) for t in types)
        return (f"{head} has no compiled signature for ({shown}); the library has: "
                f"{'; '.join(self.signatures)}")

    def __repr__(self) -> str:
        return f"<noodle library function {self.__name__}: {'; '.join(self.signatures)}>"


class Library:
    """The functions of a noodlec library, as attributes (`lib.axpy(...)`)."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self._handle = ctypes.CDLL(str(path))
        except OSError as e:  # dlopen's own words ("invalid ELF header") say too little
            hint = (f": compile it first (noodlec {path.name} -o {path.stem}.so)"
                    if path.suffix == ".mlir" else "")
            raise ValueError(f"{path} is neither a shared library made by noodlec nor a "
                             f"Python source (.py); noodle.load takes one of those{hint} "
                             f"(loading it said: {e})") from None
        meta = _metadata(self._handle, path)
        self.name = meta["name"]
        errors = [_ErrorInfo(e["exc_type"], e["message"]) for e in meta["errors"]]
        grouped: dict[str, list[Overload]] = {}
        for f in meta["functions"]:
            grouped.setdefault(f["name"], []).append(Overload(self._handle, f, errors))
        self.functions = {name: LibraryFunction(name, overloads)
                          for name, overloads in grouped.items()}

    def __getattr__(self, name: str) -> LibraryFunction:
        functions = self.__dict__.get("functions", {})
        if name in functions:
            return functions[name]
        raise AttributeError(f"{self.path} has no function {name!r}; it has "
                             f"{', '.join(functions) or 'none'}")

    def __dir__(self) -> list[str]:
        return [*super().__dir__(), *self.functions]

    def __repr__(self) -> str:
        return f"<noodle library {self.path}: {', '.join(self.functions)}>"


def _metadata(handle: ctypes.CDLL, path: Path) -> dict:
    try:
        first = ctypes.c_char.in_dll(handle, METADATA_SYMBOL)
    except ValueError:
        raise ValueError(f"{path} was not made by noodlec (it has no "
                         f"{METADATA_SYMBOL})") from None
    meta = json.loads(ctypes.string_at(ctypes.addressof(first)).decode())
    if meta.get("version") != METADATA_VERSION:
        raise ValueError(f"{path} was made by another version of noodlec (metadata "
                         f"version {meta.get('version')}, this noodle reads "
                         f"{METADATA_VERSION}): compile it again")
    return meta


@cache
def _load(path: str, mtime: float) -> Library:
    return Library(Path(path))


def load(path: str | os.PathLike) -> Library:
    """The functions of the shared library `path` that `noodlec` made, as Python
    callables; or, for a Python source (`kernels.py`), of the library noodlec makes of
    it, from the kernel cache (`aot_source.py`). Loaded once per file (and again when the
    file changes)."""
    resolved = Path(path).resolve()
    if not resolved.exists():
        raise FileNotFoundError(f"no such library: {path}")
    if resolved.suffix == ".py":
        return _load_source(str(resolved), resolved.stat().st_mtime)
    return _load(str(resolved), resolved.stat().st_mtime)


@cache
def _load_source(path: str, mtime: float) -> Library:
    from noodle.runtime.aot_source import library_file

    materialised = library_file(Path(path))
    try:
        return Library(materialised)
    finally:
        materialised.unlink()  # mapped by now


def _as_array(out: NoodleArray, t: Array, owner: object) -> np.ndarray:
    itemsize = t.dtype.itemsize
    shape = tuple(out.shape[:t.ndim])
    strides = tuple(s * itemsize for s in out.strides[:t.ndim])
    # a view of a read-only argument has a read-only type, and stays read-only
    return array_at(owner, out.data or 0, t, shape, strides, t.readonly)

