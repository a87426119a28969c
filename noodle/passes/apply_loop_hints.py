"""The `apply-loop-hints` pass: a loop whose `scf.for` was given `no_unroll_location`
tells LLVM not to unroll it (`llvm.loop.unroll.disable` on its back edge), once the loop
is LLVM-dialect branches.

Why: LLVM unrolls a small loop of unknown trip count 4 times (with a loop for the rest)
on CPUs with a loop buffer, Zen 4 among them. The inner loop of a `vectorize-outer-loops`
vector loop already does `lanes` iterations' work per trip, and loads one scalar per
lane: unrolled, each of the 4 copies strength-reduced those loads into pointers of their
own, 20 for pairwise distance, which spilled to the stack and cost a third of the time
(1.58 ms unrolled, 0.9 ms not, for 1000x3).

The hint travels as the loop's location, a name wrapping the source location: no
attribute of an `scf.for` survives `convert-scf-to-cf`, while the branches it becomes
keep the loop's location. Of those, the one back to the loop's header (a block before
it) is the back edge, where LLVM reads loop metadata.
"""
from __future__ import annotations

from mlir import ir

from noodle.passes.ir_walk import ops_where

PASS_NAME = "apply-loop-hints"

_NO_UNROLL = "noodle.no_unroll"


def no_unroll_location(location: ir.Location) -> ir.Location:
    """`location`, marked: a loop there is not to be unrolled."""
    return ir.Location.name(_NO_UNROLL, childLoc=location)


def apply_loop_hints(root: ir.Operation) -> None:
    """Annotates the back edges of marked loops in `root` (LLVM dialect), in place."""
    annotation = ir.Attribute.parse("#llvm.loop_annotation<unroll = <disable = true>>")
    for branch in ops_where(root, lambda op: op.name == "llvm.br" and _marked(op.location)):
        if _goes_back(branch):
            branch.attributes["loop_annotation"] = annotation


def apply_loop_hints_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(apply_loop_hints_pass, name=PASS_NAME)`."""
    apply_loop_hints(op)


def _marked(location: ir.Location) -> bool:
    return location.is_a_name() and location.name_str == _NO_UNROLL


def _goes_back(branch: ir.Operation) -> bool:
    """Whether `branch` jumps to a block at or before its own in the region."""
    target = branch.successors[0]
    for block in branch.block.region.blocks:
        if block == target:
            return True
        if block == branch.block:
            return False
    return False
