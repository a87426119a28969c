"""Views of memrefs: the ops that make one memref a view of another, and what follows
from them (which memref a value is a view of; whether a memref may be written through
any of its views). Shared by the GPU passes and the GPU compiler's record of the
arguments each kernel writes."""
from __future__ import annotations

from mlir import ir

#: ops whose first operand is the memref their memref results are views of
VIEW_OPS = frozenset({"memref.reinterpret_cast", "memref.subview", "memref.cast",
                      "memref.collapse_shape", "memref.expand_shape",
                      "memref.extract_strided_metadata", "memref.transpose",
                      "memref.memory_space_cast", "memref.view"})

#: ops that read a memref operand and never write it. Anything else that takes a memref
#: (a store, an atomic, a copy, a vector store, a call) counts as a writer: a missed
#: writer loses data, a missed reader only costs a copy. Taking a memref's address
#: (`extract_aligned_pointer_as_index`) is not a read: the pointer may be stored through.
READ_ONLY_OPS = frozenset({"memref.load", "memref.dim", "memref.rank", "vector.load",
                           "vector.transfer_read", "vector.maskedload", "vector.gather",
                           "vector.expandload", "affine.load", "affine.vector_load"})

#: (op, operand number) of memref operands that an op writing another one only reads
READ_ONLY_OPERANDS = frozenset({("memref.copy", 0)})


def origin(value: ir.Value) -> ir.Value:
    """The memref `value` is a view of, through view ops (itself if none)."""
    while not isinstance(value, ir.BlockArgument) and value.owner.name in VIEW_OPS:
        value = value.owner.operands[0]
    return value


def may_be_written(value: ir.Value) -> bool:
    """Whether some use of memref `value`, directly or through views of it, is not known
    to be read-only."""
    for use in value.uses:
        user = use.owner
        name = user.name
        if name in VIEW_OPS and use.operand_number == 0:
            if any(isinstance(r.type, ir.MemRefType) and may_be_written(r)
                   for r in user.results):
                return True
        elif name not in READ_ONLY_OPS and (name, use.operand_number) not in READ_ONLY_OPERANDS:
            return True
    return False
