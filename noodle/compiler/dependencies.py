"""What a kernel depends on besides its own source and argument types: the globals,
closure values and other modules' attributes its code read, and the functions it
called (with what *they* read), each with a fingerprint of its value at compile time.

The on-disk cache keeps this manifest with the kernel and checks it again before
reusing the kernel, so an edited callee in another module or a changed global constant
in an imported module makes the kernel stale (the two cases where Numba's cache serves
stale code). Checking needs no compiler: names are resolved as the frontend resolves
them (closure cells, then globals, then builtins; dotted names through modules).

A manifest entry is `[scope, name, fingerprint]`: `scope` is the chain of names, from
the compiled function, through which the reading function was reached (`[]`: the
compiled function itself; `["helpers.smooth"]`: the function `helpers.smooth` it calls).
"""
from __future__ import annotations

import builtins
import enum
import hashlib
from collections.abc import Mapping
from types import CodeType, FunctionType, ModuleType

import numpy as np

Manifest = list[list]

_SCALARS = (bool, int, float, complex, str, bytes, type(None), np.generic)
#: `type.__flags__` bit of a class made by a `class` statement (not one written in C)
_HEAPTYPE = 1 << 9
#: class attributes that the machinery of `abc` keeps, which no compiled code reads
_CLASS_BOOKKEEPING = frozenset({"_abc_impl"})


def function_of(value: object) -> FunctionType | None:
    """The Python function behind a value (a `@jit` dispatcher's `py_func`), or None."""
    value = getattr(value, "py_func", value)
    return value if isinstance(value, FunctionType) else None


def source_fingerprint(pyfunc: FunctionType) -> str:
    """Changes when its code or where it is does (line numbers appear in error
    messages). Read from the code object, not the source text: `inspect.getsource`
    costs milliseconds, which a cache hit in a fresh process cannot spare."""
    return digest(_code_text(pyfunc.__code__))


def _code_text(code: CodeType) -> str:
    consts = ",".join(_code_text(c) if isinstance(c, CodeType) else f"{type(c).__name__}:{c!r}"
                      for c in code.co_consts)
    return "|".join([code.co_filename, code.co_qualname, str(code.co_firstlineno),
                     code.co_code.hex(), code.co_linetable.hex(), consts,
                     ",".join(code.co_names), ",".join(code.co_varnames),
                     ",".join(code.co_freevars), ",".join(code.co_cellvars)])


def fingerprint(value: object) -> str | None:
    """A string that changes when `value` would compile differently; None when noodle
    cannot tell (the kernel is then not cached)."""
    pyfunc = function_of(value)
    if pyfunc is not None:
        return "function:" + source_fingerprint(pyfunc)
    if isinstance(value, ModuleType):
        return "module:" + value.__name__
    if isinstance(value, enum.Enum):  # `Color.RED.value` compiles to RED's value
        inner = fingerprint(value.value)
        return None if inner is None else f"enum:{_name(type(value))}.{value.name}={inner}"
    if isinstance(value, type) and value.__flags__ & _HEAPTYPE:
        return _class_fingerprint(value, frozenset())
    if isinstance(value, _SCALARS):
        return f"value:{type(value).__qualname__}:{value!r}"
    if isinstance(value, tuple):
        items = [fingerprint(v) for v in value]
        return None if None in items else "tuple:(" + ",".join(items) + ")"
    if isinstance(value, np.ndarray):
        data = np.ascontiguousarray(value)
        return f"array:{data.dtype.str}:{data.shape}:{digest(data.tobytes())}"
    if isinstance(value, np.dtype):
        return "dtype:" + value.str
    if isinstance(value, dict):  # in classes: a NamedTuple's `_field_defaults`
        items = sorted((repr(k), fingerprint(v)) for k, v in value.items())
        return None if any(v is None for _, v in items) else f"dict:{items}"
    if callable(value):  # a library callable the frontend knows by identity (np.sum, len)
        module = getattr(value, "__module__", None) or "builtins"
        name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
        return f"object:{module}:{name}" if name else None
    return None


def _class_fingerprint(cls: type, outer: frozenset[type]) -> str | None:
    """A class defined in Python, with the values of its attributes: compiled code reads
    `Config.N`, `helpers.Limits.HIGH` or `Color.RED.value` as constants, and the
    frontend records only the class it reached them through (methods count by their
    source). None when an attribute has no fingerprint, as for any value."""
    if issubclass(cls, enum.Enum):
        attrs: dict[str, object] = dict(cls.__members__)
    else:
        attrs = {}
        for klass in reversed(cls.__mro__):
            if klass.__flags__ & _HEAPTYPE:  # not `object`, `int`, `Exception`...
                attrs.update(vars(klass))
        attrs = {name: attr for name, attr in attrs.items()
                 if not (name.startswith("__") and name.endswith("__"))
                 and name not in _CLASS_BOOKKEEPING}
    parts = []
    for name, attr in sorted(attrs.items()):
        if isinstance(attr, (staticmethod, classmethod)):
            attr = attr.__func__
        elif isinstance(attr, property):
            attr = attr.fget
        if isinstance(attr, type) and attr.__flags__ & _HEAPTYPE:
            # a nested class, or one that refers back to a class being fingerprinted
            part = (_name(attr) if attr in outer or attr is cls
                    else _class_fingerprint(attr, outer | {cls}))
        else:
            part = fingerprint(attr)
        if part is None:
            return None
        parts.append(f"{name}={part}")
    return f"class:{_name(cls)}:{{{','.join(parts)}}}"


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def make_manifest(root: FunctionType, reads: Mapping[FunctionType, Mapping[str, object]]
                  ) -> Manifest | None:
    """The manifest of a kernel compiled from `root`, given what each compiled function
    read; None when some value has no fingerprint."""
    manifest: Manifest = []

    def visit(pyfunc: FunctionType, scope: list[str], path: set[FunctionType]) -> bool:
        for name, value in reads.get(pyfunc, {}).items():
            value_print = fingerprint(value)
            if value_print is None:
                return False
            manifest.append([scope, name, value_print])
            callee = function_of(value)
            # Every name a callee is reached through gets its reads, not only the first:
            # `a = b = make(1.0)` today may be `a = make(1.0); b = make(5.0)` in the next
            # run, two closures with the same code (the same fingerprint) that differ
            # only in what they read. `path` stops a cycle, not a second route.
            if callee is not None and callee in reads and callee not in path:
                if not visit(callee, [*scope, name], path | {callee}):
                    return False
        return True

    return manifest if visit(root, [], {root}) else None


def stale_reason(root: FunctionType, manifest: Manifest) -> str | None:
    """Why a kernel compiled from `root` with this manifest would now differ (the first
    difference found), or None when every dependency is as it was."""
    for scope, name, expected in manifest:
        try:
            reader = root
            for step in scope:
                reader = function_of(resolve(reader, step))
                if reader is None:
                    raise LookupError(f"'{step}' is no longer a function")
            now = fingerprint(resolve(reader, name))
        except LookupError as e:
            return f"{_where(scope, name)}: {e}"
        if now != expected:
            what = "source" if expected.startswith("function:") else "value"
            return f"{_where(scope, name)}: its {what} changed"
    return None


def source_files(root: FunctionType, manifest: Manifest) -> set[str]:
    """The files whose text was compiled into a kernel: `root`'s and those of the
    functions it called (as they resolve now)."""
    files = {root.__code__.co_filename}
    for scope, name, value_print in manifest:
        if value_print.startswith("function:"):
            try:
                reader = root
                for step in [*scope, name]:
                    reader = function_of(resolve(reader, step))
                    if reader is None:
                        break
            except LookupError:
                continue
            if reader is not None:
                files.add(reader.__code__.co_filename)
    return files


def resolve(pyfunc: FunctionType, name: str) -> object:
    """What a (dotted) name means inside `pyfunc`, as the frontend resolves it."""
    first, *attrs = name.split(".")
    value = _scope_value(pyfunc, first)
    for attr in attrs:
        try:
            value = getattr(value, attr)
        except AttributeError:
            raise LookupError(f"'{name}' no longer exists") from None
    return value


def _scope_value(pyfunc: FunctionType, name: str) -> object:
    code = pyfunc.__code__
    if pyfunc.__closure__ and name in code.co_freevars:
        try:
            return pyfunc.__closure__[code.co_freevars.index(name)].cell_contents
        except ValueError:
            pass
    if name in pyfunc.__globals__:
        return pyfunc.__globals__[name]
    if hasattr(builtins, name):
        return getattr(builtins, name)
    raise LookupError(f"'{name}' is no longer defined")


def _where(scope: list[str], name: str) -> str:
    return " -> ".join([*scope, name])


def digest(data: str | bytes) -> str:
    """A short SHA-256 of text or bytes, for fingerprints and cache keys."""
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()[:32]
