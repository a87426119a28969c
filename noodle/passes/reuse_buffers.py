"""The `reuse-buffers` pass: a temporary takes over the buffer of an earlier one that is
no longer used, instead of allocating its own.

Runs on memrefs before buffer deallocation. Within one block, a `memref.alloc` is
replaced by an earlier `memref.alloc` of the same type and sizes (the same SSA values)
whose buffer is dead by then: every use of it, and of every view made of it, lies in
ops before the new allocation (uses inside a nested region count at the op in this
block that holds them). A buffer that escapes, returned, yielded out of a region,
passed to a call or used by an op this pass does not know, is never reused: its life
may go on where this block cannot see. Deallocation then frees the shared buffer after
its last use, so a function holds fewer temporaries at once and calls malloc less.
"""
from __future__ import annotations

from mlir import ir

from noodle.passes.ir_walk import ops_where

PASS_NAME = "reuse-buffers"

#: ops whose results view their memref operand's buffer (their uses are its uses)
_VIEWS = frozenset({"memref.cast", "memref.reinterpret_cast", "memref.subview",
                    "memref.collapse_shape", "memref.expand_shape", "memref.transpose",
                    "memref.extract_strided_metadata"})
#: ops that only read or write the elements of a buffer, or ask for its metadata
_ACCESSES = frozenset({"memref.load", "memref.store", "memref.dim", "memref.copy",
                       "memref.extract_aligned_pointer_as_index", "linalg.generic",
                       "linalg.fill", "linalg.copy"})


def reuse_buffers(module: ir.Module) -> None:
    reuse_buffers_in(module.operation)


def reuse_buffers_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(reuse_buffers_pass, name=PASS_NAME)`."""
    reuse_buffers_in(op)


def reuse_buffers_in(root: ir.Operation) -> None:
    """Reuses dead temporaries' buffers in every block nested in `root`."""
    blocks: list[ir.Block] = []
    for op in ops_where(root, lambda op: op.name == "memref.alloc"):
        if not any(op.block == b for b in blocks):
            blocks.append(op.block)
    for block in blocks:
        _reuse_in_block(block)


def _reuse_in_block(block: ir.Block) -> None:
    allocations = [op for op in block.operations if op.name == "memref.alloc"]
    # per allocation, as it comes: (its op, the op in this block that uses its buffer
    # last, or ESCAPES); a buffer is free for a later allocation past that op
    seen: list[tuple[ir.Operation, object]] = []
    for op in allocations:
        donor = next((k for k, (earlier, last) in enumerate(seen)
                      if last is not ESCAPES and _same_shape(earlier, op)
                      and (last is None or last.is_before_in_block(op))), None)
        last = _last_use(op.result, block)
        if donor is None:
            seen.append((op, last))
            continue
        earlier, _ = seen[donor]
        seen[donor] = (earlier, last)  # the donor now lives as long as `op` would have
        op.result.replace_all_uses_with(earlier.result)
        op.erase()


#: `_last_use` of a buffer whose life may go on outside the block
ESCAPES = object()


def _same_shape(a: ir.Operation, b: ir.Operation) -> bool:
    return a.result.type == b.result.type and list(a.operands) == list(b.operands)


def _last_use(buffer: ir.Value, block: ir.Block) -> ir.Operation | None | object:
    """The last op in `block` that uses `buffer` or a view of it (None if none does),
    or ESCAPES."""
    last = None
    pending = [buffer]
    while pending:
        value = pending.pop()
        for use in value.uses:
            user = use.owner.operation
            holder = _ancestor_in(user, block)
            if holder is None:
                return ESCAPES
            if user.name in _VIEWS:
                pending.extend(r for r in user.results if isinstance(r.type, ir.MemRefType))
            elif user.name not in _ACCESSES:
                return ESCAPES
            if last is None or last.is_before_in_block(holder):
                last = holder
    return last


def _ancestor_in(op: ir.Operation, block: ir.Block) -> ir.Operation | None:
    """`op` or the op holding it that lies in `block` (None if none does)."""
    while op is not None and op.name != "builtin.module":
        op = op.operation
        if op.block == block:
            return op
        op = op.parent
    return None
