"""The one place that creates an MLIR context for noodle.

Upstream dialects come registered with the bindings; noodle's own dialects are IRDL
text shipped beside this module and loaded into every new context.
"""
from __future__ import annotations

from functools import cache
from importlib import resources

from mlir import ir
from mlir.dialects import irdl

IRDL_DIALECTS = ("nir.irdl",)


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
