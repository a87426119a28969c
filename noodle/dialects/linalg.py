"""linalg's op classes for the MLIR bindings, without `mlir.dialects.linalg`.

When the bindings first meet an op of a dialect they import the dialect's Python module
(see `context.py`): for linalg, `mlir.dialects.linalg` also loads linalg's op DSL, ~55 ms
of a fresh process's first compile, for nothing noodle uses. This module is found first
and gives the bindings the generated op classes only; `import mlir.dialects.linalg`
still works for anyone who wants the rest.
"""
from mlir.dialects._linalg_ops_gen import *  # noqa: F403 - registers the op classes
