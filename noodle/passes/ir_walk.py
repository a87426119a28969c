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


def inside(op: ir.Operation, names: tuple[str, ...]) -> bool:
    """Whether an op enclosing `op` within its function (a `func.func`, not included) is
    named one of `names`."""
    parent = op.parent
    while parent is not None and parent.name != "func.func":
        if parent.name in names:
            return True
        parent = parent.parent
    return False


def nested_in(op: ir.Operation, outer: ir.Operation) -> bool:
    """Whether `op` is nested in `outer`, within its function."""
    parent = op.parent
    while parent is not None and parent.name != "func.func":
        if parent == outer:
            return True
        parent = parent.parent
    return False
