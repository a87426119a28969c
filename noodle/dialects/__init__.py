"""noodle's MLIR dialects (`nir` and `catseq`, defined in IRDL), their thin builders, and the
one context that loads them.

`make_context` is imported on first use, so that importing `noodle.dialects.dtypes`
does not load the MLIR bindings."""
from __future__ import annotations

__all__ = ["make_context"]


def __getattr__(name: str):
    if name == "make_context":
        from noodle.dialects.context import make_context
        return make_context
    raise AttributeError(f"module 'noodle.dialects' has no attribute {name!r}")
