"""The `catseq-verify` pass: every sequence function describes a valid sequence.

IRDL checks only types and attribute kinds, so this pass checks the rest by reading
each sequence back through catseq's own builders and compiler: durations and values
(as the primitives check them), disjoint channels on both sides of every
`catseq.tensor`, the end states of `catseq.serial`'s left side against its right side's
start states, and each channel's states along time. A failure is an MLIR error at the
op at fault (the op defining the sequence's result for states found along time, with
the channel and time in the message). The IR is left unchanged.
"""
from __future__ import annotations

from mlir import ir

from noodle.catseq import arena as A
from noodle.catseq.compiler import check_deferred_overlaps
from noodle.catseq.mlir_import import ImportedSequence, as_pass, at, import_sequences

PASS_NAME = "catseq-verify"
#: the op this pass runs on (registry.PASS_ANCHORS): it reads the sequence functions at the
#: module's top level
PASS_ANCHOR = "builtin.module"


def verify(module: ir.Operation) -> None:
    """Raises a SequenceIRError (a NoodleError) for the first invalid op in `module`."""
    for seq in import_sequences(module):
        check_tensors(seq)
        with at(seq.location):
            seq.root.compile()


def check_tensors(seq: ImportedSequence) -> None:
    """`|` on large operands is checked by the compiler, not when built: check each
    such tensor op on its own, innermost first, to name the op at fault."""
    cols = A.ARENA.columns()
    for node, value in seq.values.items():
        if cols["kind"][node] == A.PAR_UNCHECKED:
            with at(value.owner.location):
                check_deferred_overlaps(node, cols)


catseq_verify_pass = as_pass(verify)
