"""Compiled kernels on disk: what makes a kernel reusable (the key), saving one, and
finding one again in a fresh process without loading the compiler.

The key holds what can be known before compiling: the function (module, name, source,
where it is), its argument types, the compile options and tier, and the versions of
everything that shapes the code (noodle, MLIR, LLVM, Python, NumPy, the host CPU). What
is only known after compiling (the globals and callees the code read) is stored with
the kernel as its dependency manifest and checked on every load. Next to each kernel an
index entry without the source and versions remembers the last ones seen, and one entry
per function lists the argument types it was compiled for, so that a miss can say what
changed (`NOODLE_EXPLAIN`).
"""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import FunctionType

import numpy as np

import noodle
from noodle.compiler.dependencies import (digest, source_files, source_fingerprint,
                                         stale_reason)
from noodle.compiler.kernel import Kernel, encode_type
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import NType
from noodle.errors import NoodleCacheWarning
from noodle.runtime.cache_store import CacheStore
from noodle.runtime.explain import new_argument_types
from noodle.runtime.user_warnings import warn_in_user_code


#: Argument-type keys remembered per function and tier, to say which argument's type is
#: new on a miss
MAX_SIGNATURES = 16


@dataclass(frozen=True)
class Lookup:
    """A kernel found (or None), and when none was, why (for NOODLE_EXPLAIN)."""
    kernel: Kernel | None
    reason: str = ""


class KernelCache:
    def __init__(self, store: CacheStore):
        self.store = store

    def load(self, pyfunc: FunctionType, arg_types: tuple[NType, ...],
             options: CompileOptions, returns: NType | None = None) -> Lookup:
        """The kernel of `pyfunc` for `arg_types` (and the return type a signature
        declares, `returns`)."""
        entry = self.store.get(kernel_key(pyfunc, arg_types, options, returns))
        if entry is None:
            return Lookup(None, self._why_missing(pyfunc, arg_types, options, returns))
        meta = entry.meta
        try:
            kernel = Kernel.from_metadata(meta["kernel"], {"obj": entry.payload})
        except (KeyError, TypeError, ValueError, LookupError) as e:
            return Lookup(None, f"the cached kernel cannot be used ({e})")
        reason = stale_reason(pyfunc, kernel.dependencies or [])
        if reason is not None:
            return Lookup(None, reason)
        return Lookup(kernel)

    def save(self, pyfunc: FunctionType, kernel: Kernel, options: CompileOptions,
             defined_at: float | None = None, returns: NType | None = None) -> None:
        """Keep `kernel` (only its object code among the stages: the others are text a
        user may ask for, and are recompiled then), compiled for the declared return
        type `returns`, if any.

        `defined_at` (`time.time()` when `pyfunc` was decorated) guards the key: it is
        made from the code Python compiled at import, but the compiler read the source
        file's text, which may have been edited since; saved, the kernel of the new text
        would be found by any later process that runs the old one (an edit reverted, a
        branch checked out again)."""
        if kernel.dependencies is None:  # it read a value noodle cannot fingerprint
            return
        if defined_at is not None:
            edited = _edited_since(source_files(pyfunc, kernel.dependencies), defined_at)
            if edited is not None:
                warn_in_user_code(NoodleCacheWarning(
                    f"{pyfunc.__qualname__} was compiled from {edited} as it is now, which "
                    "was edited after the function was defined: the compiled code follows "
                    "the new text, the interpreter the old one; the kernel is not cached"))
                return
        arg_types = kernel.arg_types
        meta = {"function": pyfunc.__qualname__, "module": pyfunc.__module__,
                "signature": ", ".join(map(str, arg_types)), "tier": options.tier,
                "kernel": kernel.metadata()}
        self.store.put(_index_key(pyfunc, arg_types, options, returns), b"",
                       {"function": pyfunc.__qualname__, "tier": options.tier, "index": True,
                        "source": source_fingerprint(pyfunc), "versions": versions()})
        self._remember_signature(pyfunc, arg_types, options)
        # the kernel last: a write evicts least recently used entries but never its own
        self.store.put(kernel_key(pyfunc, arg_types, options, returns), kernel.stages["obj"],
                       meta)

    def _remember_signature(self, pyfunc: FunctionType, arg_types: tuple[NType, ...],
                            options: CompileOptions) -> None:
        """Add `arg_types` to the function's list of the argument types it was compiled
        for (the newest first), from which a miss says which argument's type is new.
        Processes saving at once may each drop the other's: a line of NOODLE_EXPLAIN is
        all that is lost."""
        key = _signatures_key(pyfunc, options)
        found = self.store.get(key)
        seen = found.meta.get("signatures", []) if found is not None else []
        this = _as_text(arg_types)
        if seen[:1] != [this]:
            kept = [this] + [s for s in seen if s != this][:MAX_SIGNATURES - 1]
            self.store.put(key, b"", {"function": pyfunc.__qualname__, "tier": options.tier,
                                      "index": True, "signatures": kept})

    def _why_missing(self, pyfunc: FunctionType, arg_types: tuple[NType, ...],
                     options: CompileOptions, returns: NType | None) -> str:
        index = self.store.get(_index_key(pyfunc, arg_types, options, returns))
        if index is None:
            known = self.store.get(_signatures_key(pyfunc, options))
            seen = known.meta.get("signatures", []) if known is not None else []
            this = _as_text(arg_types)
            code = pyfunc.__code__
            new_types = (None if this in seen else  # compiled before, since evicted
                         new_argument_types(code.co_varnames[:code.co_argcount], seen, this))
            return f"not in the cache ({new_types})" if new_types else "not in the cache"
        if index.meta.get("source") != source_fingerprint(pyfunc):
            return "its source changed"
        old = index.meta.get("versions", {})
        changed = [f"{name} {old.get(name)} -> {now}" for name, now in versions().items()
                   if old.get(name) != now]
        return ("versions changed: " + ", ".join(changed)) if changed else "not in the cache"


def _edited_since(files: set[str], moment: float) -> str | None:
    """One of `files` modified after `moment`, or None."""
    for name in sorted(files):
        try:
            if os.stat(name).st_mtime > moment:
                return name
        except OSError:
            continue  # no file (`<string>`): nothing the compiler could have read either
    return None


def kernel_key(pyfunc: FunctionType, arg_types: tuple[NType, ...],
               options: CompileOptions, returns: NType | None = None) -> str:
    return _key("kernel", pyfunc, arg_types, options, returns,
                source=source_fingerprint(pyfunc), versions=versions())


def _index_key(pyfunc: FunctionType, arg_types: tuple[NType, ...],
               options: CompileOptions, returns: NType | None) -> str:
    """The kernel's key without what a miss explains: its source and the versions."""
    return _key("index", pyfunc, arg_types, options, returns)


def _signatures_key(pyfunc: FunctionType, options: CompileOptions) -> str:
    """The key of the list of argument types `pyfunc` was compiled for."""
    return _key("signatures", pyfunc, (), options)


def _as_text(arg_types: tuple[NType, ...]) -> list[str]:
    return [str(t) for t in arg_types]


def _key(kind: str, pyfunc: FunctionType, arg_types: tuple[NType, ...],
         options: CompileOptions, returns: NType | None = None, **more: object) -> str:
    function = f"{pyfunc.__module__}:{pyfunc.__qualname__}@{pyfunc.__code__.co_filename}"
    if returns is not None:  # absent otherwise: the keys of entries saved before stay
        more["returns"] = encode_type(returns)
    return json.dumps({"kind": kind, "function": function,
                       "args": [encode_type(t) for t in arg_types],
                       "options": list(options.key()), **more}, sort_keys=True)


@cache
def versions() -> dict[str, str]:
    """Everything besides the source that shapes a kernel's code."""
    import llvmlite

    from noodle.compiler.backend import host_cpu

    cpu, features = host_cpu()
    return {"noodle": f"{noodle.__version__}+{_package_stamp()}",
            "mlir": _distribution_version("xtc_mlir_python_bindings"),
            "llvmlite": llvmlite.__version__,
            "python": f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}",
            "numpy": np.__version__,
            "cpu": f"{cpu}:{digest(features)}"}


def _package_stamp() -> str:
    """Changes whenever a file of noodle's changes: during development the version
    number stays while the compiler does not."""
    return digest(repr(sorted(_source_stats(os.path.dirname(noodle.__file__), ""))))


def _source_stats(directory: str, prefix: str) -> Iterator[tuple[str, int, int]]:
    """(path under the package, mtime, size) of each source file below `directory`.
    With `os.scandir`, one stat per file: pathlib's rglob took ~7 ms for noodle's 150
    files, most of a cache hit's first call in a fresh process."""
    with os.scandir(directory) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    yield from _source_stats(entry.path, f"{prefix}{entry.name}/")
            elif entry.name.endswith((".py", ".irdl")):
                stat = entry.stat()
                yield f"{prefix}{entry.name}", stat.st_mtime_ns, stat.st_size


def _distribution_version(name: str) -> str:
    """From the installed dist-info's name: importlib.metadata takes ~80 ms here."""
    for entry in sys.path:
        found = sorted(Path(entry or ".").glob(f"{name}-*.dist-info"))
        if found:
            return found[-1].name[len(name) + 1:-len(".dist-info")]
    return "unknown"

