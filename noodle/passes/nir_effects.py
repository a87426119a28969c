"""Which ops may write memory, for the nir passes that move or merge computations
(`nir_fusion`, `nir_cleanup`): an array read later must hold what it held earlier."""
from __future__ import annotations

from mlir import ir

_MEMORY_WRITES = frozenset({"nir.assign", "memref.store", "memref.copy", "func.call",
                            "memref.dealloc"})


class MemoryWrites:
    """Answers "is memory written between these two ops of a block?" for one pass run:
    each block's writing ops are found once, on its first question (scanning the block
    per question made the fusion pass quadratic in the size of a kernel). Ops a pass
    inserts later are not seen; the passes insert none that write memory."""

    def __init__(self) -> None:
        # (block, its ops that may write memory), searched by equality: the bindings'
        # ops compare equal without always hashing alike (a dict of them missed keys)
        self._blocks: list[tuple[ir.Block, list[ir.Operation]]] = []

    def between(self, first: ir.OpView, last: ir.OpView) -> bool:
        """Whether an op of their block between `first` and `last` may write memory
        other than the kernel's status cell."""
        first, last = first.operation, last.operation
        return any(first.is_before_in_block(w) and w.is_before_in_block(last)
                   for w in self._writers(first))

    def _writers(self, op: ir.Operation) -> list[ir.Operation]:
        block = op.block
        for known, writers in self._blocks:
            if known == block:
                return writers
        status = _status_cell(op)
        writers = [inner.operation for inner in block.operations
                   if _writes_memory(inner.operation, status)]
        self._blocks.append((block, writers))
        return writers


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
