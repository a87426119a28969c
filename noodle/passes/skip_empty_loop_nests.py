"""The `skip-empty-loop-nests` pass: a perfect nest of `scf.for` loops runs only when none
of its inner loops is empty.

Why: an array of no elements whose leading axis is long (`np.zeros((2**40, 0))`, or the
zero-size result a refused negative size leaves) was filled, and read, by a loop nest
whose outer loop ran 2**40 empty iterations: NumPy returns at once, compiled code never.
LLVM deletes such loops when it optimises, not at the baseline tier. A nest qualifies
when each loop's body holds only the next loop (and the yield), no loop carries values,
and the inner loops' bounds are made outside the nest; it is then put under one test
of those bounds.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith, scf

from noodle.passes.ir_walk import defined_outside, ops_where, rewriting, top_level_ops

PASS_NAME = "skip-empty-loop-nests"


def skip_empty_loop_nests(root: ir.Operation) -> None:
    """Puts each qualifying loop nest in `root` under a test that its inner loops run."""
    outer_loops = [op for op in ops_where(root, lambda op: op.name == "scf.for")
                   if not _perfectly_nests(op.parent, op)]
    for loop in outer_loops:
        inner = _inner_loops(loop)
        if inner:
            with rewriting(loop):
                _guard(loop, inner)


def skip_empty_loop_nests_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(skip_empty_loop_nests_pass, ...)`."""
    skip_empty_loop_nests(op)


def _body_ops(loop: ir.Operation) -> list[ir.Operation]:
    """The ops of a loop's (or an `scf.if`'s) first block, as plain operations: iterating
    the block would make OpViews, which import their dialects' Python modules (an
    `llvm.intr` op's, ~15 ms of a process's first compile)."""
    return top_level_ops(loop)


def _perfectly_nests(parent: ir.Operation | None, loop: ir.Operation) -> bool:
    """Whether `loop` is the only op (but the yield) of the body of `parent`, a loop."""
    if parent is None or parent.name != "scf.for" or len(parent.results) > 0:
        return False
    body = _body_ops(parent)
    return len(body) == 2 and body[0] == loop


def _inner_loops(outer: ir.Operation) -> list[ir.Operation]:
    """The loops perfectly nested in `outer` whose bounds are made outside `outer`."""
    if len(outer.results) > 0:
        return []
    found = []
    loop = outer
    while True:
        body = _body_ops(loop)
        if len(body) != 2 or body[0].name != "scf.for" or len(body[0].results) > 0:
            return found
        inner = body[0]
        if not all(defined_outside(bound, outer) for bound in list(inner.operands)[:2]):
            return found
        found.append(inner)
        loop = inner


def _guard(outer: ir.Operation, inner: list[ir.Operation]) -> None:
    with ir.InsertionPoint(outer), outer.location:
        runs = None
        for loop in inner:
            lower, upper = list(loop.operands)[:2]
            nonempty = arith.cmpi(arith.CmpIPredicate.slt, lower, upper)
            runs = nonempty if runs is None else arith.andi(runs, nonempty)
        branch = scf.IfOp(runs)
        with ir.InsertionPoint(branch.then_block):
            scf.YieldOp([])
    outer.move_before(_body_ops(branch.operation)[0])
