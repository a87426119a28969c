"""`Kernel`: everything compiled for one specialisation, and its metadata as JSON-able
data, so that a kernel comes back from the on-disk cache without the compiler."""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import numpy as np

from noodle.compiler.dependencies import Manifest
from noodle.compiler.errors_table import ErrorSite
from noodle.compiler.types import Array, NoneType, NType, Scalar, TupleType
from noodle.errors import SourceLocation

STAGES = ("nir", "mlir", "llvm", "asm", "obj")


@dataclass
class Kernel:
    """Everything compiled for one specialisation."""
    symbol: str
    entry: str  # the public C-interface wrapper (see `pipeline.add_entry_point`)
    arg_types: tuple[NType, ...]
    result_type: NType
    sites: list[ErrorSite]
    #: what else the code depends on (`dependencies.py`); None: cannot be cached
    dependencies: Manifest | None = None
    #: functions the object code calls from outside (the C library, MLIR's runtime)
    externals: list[str] = field(default_factory=list)
    #: whether the object code has a Python entry point (`python_entry.py`)
    python_entry: bool = False
    stages: dict[str, str | bytes] = field(default_factory=dict)

    def metadata(self) -> dict:
        """All but the stages, as JSON-able data (`from_metadata` reverses it)."""
        return {"symbol": self.symbol, "entry": self.entry,
                "arg_types": [encode_type(t) for t in self.arg_types],
                "result_type": encode_type(self.result_type),
                "sites": [_encode_site(s) for s in self.sites],
                "dependencies": self.dependencies, "externals": self.externals,
                "python_entry": self.python_entry}

    @classmethod
    def from_metadata(cls, meta: dict, stages: dict[str, str | bytes]) -> Kernel:
        """Raises LookupError when an exception class the kernel raises is gone."""
        return cls(meta["symbol"], meta["entry"],
                   tuple(decode_type(t) for t in meta["arg_types"]),
                   decode_type(meta["result_type"]),
                   [_decode_site(s) for s in meta["sites"]], meta["dependencies"],
                   meta["externals"], meta["python_entry"], stages)


def encode_type(t: NType) -> list:
    if isinstance(t, Scalar):
        return ["scalar", t.dtype.name, t.weak]
    if isinstance(t, Array):
        return ["array", t.dtype.name, t.ndim, t.layout, t.readonly]
    if isinstance(t, TupleType):
        return ["tuple", [encode_type(item) for item in t.items]]
    return ["none"]


def decode_type(data: list) -> NType:
    kind = data[0]
    if kind == "scalar":
        return Scalar(np.dtype(data[1]), data[2])
    if kind == "array":
        # entries written before layouts were kept read strides: "A"; before the
        # writeable flag was kept, writable (an AOT library's metadata may be that old)
        return Array(np.dtype(data[1]), data[2], data[3] if len(data) > 3 else "A",
                     bool(data[4]) if len(data) > 4 else False)
    if kind == "tuple":
        return TupleType(tuple(decode_type(item) for item in data[1]))
    return NoneType()


def qualified_name(obj: type) -> str:
    return f"{obj.__module__}:{obj.__qualname__}"


def resolve_name(name: str) -> object:
    """The object a `qualified_name` names (LookupError if it no longer exists)."""
    module, _, qualname = name.partition(":")
    try:
        found: object = importlib.import_module(module)
        for part in qualname.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as e:
        raise LookupError(f"{name} no longer exists: {e}") from None
    return found


def _encode_site(site: ErrorSite) -> dict:
    where = site.where
    return {"exc_type": qualified_name(site.exc_type), "message": site.message,
            "where": None if where is None else [where.filename, where.line, where.col],
            "raised_by_user": site.raised_by_user}


def _decode_site(data: dict) -> ErrorSite:
    where = data["where"]
    return ErrorSite(resolve_name(data["exc_type"]), data["message"],
                     None if where is None else SourceLocation(*where),
                     data["raised_by_user"])
