"""Finding ops to rewrite: a pass collects them first, since erasing or replacing ops
during `Operation.walk` would pull the IR out from under the walk."""
from __future__ import annotations

from collections.abc import Callable

from mlir import ir


def ops_where(root: ir.Operation, keep: Callable[[ir.Operation], bool]) -> list[ir.Operation]:
    """The ops nested in `root` (itself included) for which `keep` is true, in program
    order (an op before the ops in its regions)."""
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if keep(op):
            found.append(op.operation)
        return ir.WalkResult.ADVANCE

    root.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found
