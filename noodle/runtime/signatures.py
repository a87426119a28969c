"""Explicit signatures in Numba's spelling: "float64(float64[:], int64)"."""
from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from noodle.compiler.types import Array, NType, Scalar, TupleType, is_supported_dtype

_ALIASES = {"boolean": "bool", "bool_": "bool", "b1": "bool", "float": "float64",
            "double": "float64", "int": "int64", "f8": "float64", "f4": "float32",
            "i8": "int64", "i4": "int32", "intp": "int64", "void": "none", "none": "none"}


def parse_type(text: str) -> NType | None:
    text = text.strip()
    readonly = re.match(r"readonly\s+", text)
    if readonly:  # "readonly float64[:]": an array whose writeable flag is off
        t = parse_type(text[readonly.end():])
        if not isinstance(t, Array):
            raise ValueError(f"{text!r}: only an array type can be readonly")
        return replace(t, readonly=True)
    m = re.fullmatch(r"(\w+)\s*\[([:,\s0-9]*)\]", text)
    if m:
        dtype = _dtype(m.group(1))
        dims = [d.replace(" ", "") for d in m.group(2).split(",")]
        if not all(d in (":", "::1") for d in dims) or "::1" in dims[:-1]:
            raise ValueError(f"array type {text!r}: write ':' for each dim, and '::1' for "
                             "the last one of a C-contiguous array ('float64[:, ::1]')")
        return Array(dtype, len(dims), "C" if dims[-1] == "::1" else "A")
    uniform = re.fullmatch(r"UniTuple\s*\((.*),\s*(\d+)\s*\)", text)
    if uniform:  # Numba's tuple of n items of one type
        return TupleType((parse_type(uniform.group(1)),) * int(uniform.group(2)))
    if text.startswith("(") or text.startswith("Tuple("):
        inner = text[text.index("(") + 1:text.rindex(")")]
        return TupleType(tuple(parse_type(p) for p in _split(inner) if p.strip()))
    name = _ALIASES.get(text, text)
    if name == "none":
        return None
    # scalars written as NumPy dtypes match Python scalars of the same kind too
    return Scalar(_dtype(name), weak=name in ("int64", "float64", "bool"))


def _dtype(name: str) -> np.dtype:
    try:
        dtype = np.dtype(_ALIASES.get(name, name))
    except (TypeError, ValueError, SyntaxError):  # what NumPy's parser raises varies
        raise ValueError(f"unknown type {name!r} in signature") from None
    if not is_supported_dtype(dtype):
        raise ValueError(f"dtype {dtype} is not supported")
    return dtype


def _split(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def parse_signature(sig: str) -> tuple[NType | None, tuple[NType, ...]]:
    """(return type or None when unspecified, argument types)."""
    sig = sig.strip()
    start = _argument_list_start(sig)
    if start is None:
        raise ValueError(f"cannot parse signature {sig!r}: expected 'ret(arg, ...)'")
    ret = parse_type(sig[:start]) if sig[:start].strip() else None
    args = tuple(parse_type(p) for p in _split(sig[start + 1:-1]) if p.strip())
    return ret, args


def _argument_list_start(sig: str) -> int | None:
    """Where the argument list's "(" is: the one matching the final ")" (a tuple return
    type has parentheses of its own: "Tuple(float64[:], float64)(float64[:])")."""
    if not sig.endswith(")"):
        return None
    depth = 0
    for i in range(len(sig) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(sig[i], 0)
        if depth == 0:
            return i
    return None
