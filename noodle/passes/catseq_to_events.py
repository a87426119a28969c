"""The `catseq-to-events` pass: each sequence function becomes per-board event lists.

The function is compiled by catseq's compiler (which also checks it) and its body
replaced by one `catseq.events` op per board, holding that board's rows of the event
table sorted by time; the function then returns nothing. The `channel` column there is
the channel's index on its board (the opcode says TTL or RF), since the global channel
ids of the event table exist only inside one Python process.
"""
from __future__ import annotations

import numpy as np
from mlir import ir
from mlir.dialects import func

from noodle.catseq.channels import channel_by_id
from noodle.catseq.mlir_import import as_pass, at, erase_unused, import_sequences
from noodle.dialects import catseq as D
from noodle.passes.catseq_verify import check_tensors

PASS_NAME = "catseq-to-events"
#: the op this pass runs on (registry.PASS_ANCHORS): it rewrites the sequence functions at
#: the module's top level
PASS_ANCHOR = "builtin.module"


def to_events(module: ir.Operation) -> None:
    """Replaces every sequence function's body in `module` by its board event lists."""
    for seq in import_sequences(module):
        check_tensors(seq)
        with at(seq.location):
            table = seq.root.compile()
        with ir.InsertionPoint(seq.return_op), seq.return_op.location:
            for board, events in table.by_board().items():
                ids, position = np.unique(events["channel"], return_inverse=True)
                index = np.array([channel_by_id(int(c)).index for c in ids])[position]
                D.events(board, events["time"].tolist(), index.tolist(),
                         events["opcode"].tolist(), events["value"].tolist(),
                         events["duration"].tolist())
            func.ReturnOp([])
        seq.return_op.erase()
        seq.function.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get([], []))
        erase_unused(seq.function)


catseq_to_events_pass = as_pass(to_events)
