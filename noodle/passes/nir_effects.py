"""Which ops may write memory, for the nir passes that move or merge computations
(`nir_fusion`, `nir_cleanup`): an array read later must hold what it held earlier."""
from __future__ import annotations

from mlir import ir

_MEMORY_WRITES = frozenset({"nir.assign", "memref.store", "memref.copy", "func.call",
                            "memref.dealloc"})


def writes_between(first: ir.Operation, last: ir.OpView) -> bool:
    """Whether an op of their block between `first` and `last` may write memory other
    than the kernel's status cell."""
    status = _status_cell(first)
    first, last = first.operation, last.operation
    between = False
    for op in first.block.operations:
        op = op.operation
        if op == last:
            return False
        if between and _writes_memory(op, status):
            return True
        between = between or op == first
    return False


def _status_cell(op: ir.Operation) -> ir.Value | None:
    """The kernel's status argument (the first argument of the enclosing function)."""
    parent = op.operation.parent
    while parent is not None and parent.name != "func.func":
        parent = parent.parent
    if parent is None:
        return None
    arguments = parent.regions[0].blocks[0].arguments
    return arguments[0] if len(arguments) else None


def _writes_memory(op: ir.Operation, status: ir.Value | None) -> bool:
    """Whether `op` (or an op nested in it) may write memory other than the status."""
    found = False

    def visit(inner: ir.Operation) -> ir.WalkResult:
        nonlocal found
        if inner.name in _MEMORY_WRITES or inner.name.startswith("linalg."):
            if not (inner.name == "memref.store" and inner.operands[1] == status):
                found = True
                return ir.WalkResult.INTERRUPT
        return ir.WalkResult.ADVANCE

    op.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found
