"""The `catseq-flatten` pass: padding and barriers resolved into absolute start times.

Each sequence function's composition ops (`compose`, `serial`, `tensor`, `repeat`) are
replaced by one `catseq.schedule` listing every primitive occurrence with the cycle it
starts at, in composition order (the order events of equal time keep). The primitive
ops stay, one per distinct primitive, and a repeated one is an operand several times.
The start times come from catseq's compiler (`flatten_occurrences`), the same walk
that produces the event table. Channels must be disjoint where they meet in `|` (as
everywhere); channel states are not checked here: that is `catseq-verify`'s work.
"""
from __future__ import annotations

from mlir import ir

from noodle.catseq.arena import ARENA
from noodle.catseq.compiler import flatten_occurrences
from noodle.catseq.mlir_import import as_pass, erase_unused, import_sequences
from noodle.dialects import catseq as D
from noodle.passes.catseq_verify import check_tensors

PASS_NAME = "catseq-flatten"
#: the op this pass runs on (registry.PASS_ANCHORS): it rewrites the sequence functions at
#: the module's top level
PASS_ANCHOR = "builtin.module"


def flatten(module: ir.Operation) -> None:
    """Rewrites every sequence function of `module` into its flat schedule."""
    for seq in import_sequences(module):
        if seq.flat:
            continue  # flattened already
        check_tensors(seq)
        leaf_node, leaf_start = flatten_occurrences(seq.node, ARENA.columns(upto=seq.node))
        with ir.InsertionPoint(seq.return_op), seq.return_op.location:
            schedule = D.schedule([seq.values[int(n)] for n in leaf_node],
                                  leaf_start.tolist(), seq.root.duration)
        seq.return_op.operands[0] = schedule
        erase_unused(seq.function)


catseq_flatten_pass = as_pass(flatten)
