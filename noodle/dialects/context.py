"""The one place that creates an MLIR context for noodle.

Upstream dialects come registered with the bindings; noodle's own dialects are IRDL
text shipped beside this module and loaded into every new context.
"""
from __future__ import annotations

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


def source_location(location: ir.Location) -> SourceLocation | None:
    """Where an MLIR location points in its source file, for a NoodleError (None for
    locations that are not file locations)."""
    if not location.is_a_file():
        return None
    # MLIR columns are 1-based, SourceLocation's 0-based like Python's ast
    return SourceLocation(location.filename, location.start_line, location.start_col - 1)
