"""The one place that creates an MLIR context for noodle.

Upstream dialects come registered with the bindings; noodle's own dialects are IRDL
text shipped beside this module and loaded into every new context.
"""
from __future__ import annotations

import threading
from functools import cache
from importlib import resources

from mlir import ir
from mlir._mlir_libs import _mlir
from mlir.dialects import irdl

from noodle.errors import SourceLocation

IRDL_DIALECTS = ("nir.irdl", "catseq.irdl")

# When Python wraps an op, the bindings import the Python module of its dialect: the
# first `<prefix>.<namespace>` that imports, over the search prefixes in order, and they
# remember only successes. noodle's prefix comes first: our builder modules
# (`noodle.dialects.nir`, `.catseq`) are found at once (a failing import of
# `mlir.dialects.nir` was retried on every op, ~100 us each), and so is our light
# `linalg` module (see there).
_mlir.globals.dialect_search_modules = [
    __package__, *(p for p in _mlir.globals.dialect_search_modules if p != __package__)]


@cache
def _irdl_text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text()


def make_context() -> ir.Context:
    """A fresh context with the upstream dialects and noodle's IRDL dialects loaded."""
    ctx = ir.Context()
    with ctx, ir.Location.unknown():
        for name in IRDL_DIALECTS:
            irdl.load_dialects(ir.Module.parse(_irdl_text(name)))
    return ctx


#: Compiles one thread's context serves before a fresh one replaces it: a context keeps
#: every type and attribute made in it (names, locations, constants) until it dies, so
#: this bounds what reuse holds on to.
COMPILES_PER_CONTEXT = 32

_this_thread = threading.local()


def compile_context() -> ir.Context:
    """The calling thread's context for the JIT's compiles, replaced every
    `COMPILES_PER_CONTEXT` calls.

    Why reuse one: making a context and loading noodle's dialects costs ~7 ms, and each
    upstream dialect is loaded into a context on its first use; together about a quarter
    of a small function's first call. One per thread, so that no two compiles ever share
    one at once. Single-threaded, so that it owns no thread pool: a compile worker is
    forked from this process and inherits its contexts, and a pool's threads do not
    survive a fork."""
    uses = getattr(_this_thread, "uses", COMPILES_PER_CONTEXT)
    if uses >= COMPILES_PER_CONTEXT:
        _this_thread.context = make_context()
        _this_thread.context.enable_multithreading(False)
        uses = 0
    _this_thread.uses = uses + 1
    return _this_thread.context


def source_location(location: ir.Location) -> SourceLocation | None:
    """Where an MLIR location points in its source file, for a NoodleError (None for
    locations that are not file locations)."""
    if not location.is_a_file():
        return None
    # MLIR columns are 1-based, SourceLocation's 0-based like Python's ast
    return SourceLocation(location.filename, location.start_line, location.start_col - 1)
