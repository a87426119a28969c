"""The `unswitch-loops` pass: a loop that carries a flag, and whose body tests a condition
that is the same in every iteration, becomes two loops, one for each outcome of the
test, under one test before them (loop unswitching).

Why: noodle's checks inside a loop, such as "division by zero" in

    for i in range(width):
        x = xmin + (xmax - xmin) * i / (width - 1)

test a condition that no iteration changes (`width - 1 == 0`), and the error they
report is a flag carried from each iteration to the next, which stops the loop at the
first error. That carried flag makes each iteration depend on the one before, so
`vectorize-outer-loops` leaves such loops alone. In the copy of the loop for "no error",
the flag is false from start to end, and canonicalisation removes it and the checks;
the copy for "error" is the original loop.

A loop is unswitched when it carries an i1 value, and an `scf.if` in its body (not in a
loop within it) tests a condition that does not change in the loop, or the `and`/`or`
of such a condition with another: one made before the loop, or computed from values
made before the loop by ops that are safe to run whatever the condition guarding them
was (no integer division, which is undefined for a zero divisor). Such a condition is
then computed once before the loop. Each loop is unswitched on one condition per run,
and only while it is small, so code grows at most twice per loop and run.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith, scf

from noodle.passes.ir_walk import defined_outside, inside, ops_where, rewriting
from noodle.passes.speculation import speculatable

PASS_NAME = "unswitch-loops"

#: The most ops a loop's body may hold to be unswitched (it is copied whole)
MAX_BODY_OPS = 400


def unswitch_loops(root: ir.Operation) -> None:
    """Unswitches the loops in `root` that carry a flag and test an invariant condition,
    in place; usable as a PassManager pass."""
    # inner loops first: unswitching a loop erases it, with the loops inside it
    for loop in reversed(ops_where(root, _carries_a_flag)):
        with rewriting(loop):
            found = _invariant_condition(loop)
            if found is not None:
                _unswitch(loop, *found)


def unswitch_loops_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(unswitch_loops_pass, name=PASS_NAME)`."""
    unswitch_loops(op)


def _carries_a_flag(op: ir.Operation) -> bool:
    return (op.name == "scf.for"
            and any(isinstance(r.type, ir.IntegerType) and r.type.width == 1
                    for r in op.results)
            and not inside(op, ("gpu.launch", "gpu.func")))


def _invariant_condition(loop: ir.Operation) -> tuple[ir.Value, list[ir.Operation]] | None:
    """The first condition tested in `loop`'s body that does not change in the loop, and
    the ops in the loop that compute it."""
    body = ops_where(loop, lambda _: True)[1:]
    if len(body) > MAX_BODY_OPS:
        return None
    for op in body:
        if op.name != "scf.if" or _in_inner_loop(op, loop):
            continue
        tested = op.operands[0]
        candidates = [tested]
        if not isinstance(tested, ir.BlockArgument) and tested.owner.name in ("arith.andi",
                                                                             "arith.ori"):
            candidates += list(tested.owner.operands)
        for value in candidates:
            if _constant(value):
                continue
            computed = [] if defined_outside(value, loop) else _slice(value, loop)
            if computed is not None:
                return value, computed
    return None


def _constant(value: ir.Value) -> bool:
    return not isinstance(value, ir.BlockArgument) and value.owner.name == "arith.constant"


def _in_inner_loop(op: ir.Operation, loop: ir.Operation) -> bool:
    parent = op.parent
    while parent is not None and parent != loop:
        if parent.name in ("scf.for", "scf.while", "scf.parallel"):
            return True
        parent = parent.parent
    return False


def _slice(value: ir.Value, loop: ir.Operation) -> list[ir.Operation] | None:
    """The ops in `loop` that compute `value` from values made before it, each after
    the ops it uses; None when something else goes into it."""
    ops: list[ir.Operation] = []

    def visit(v: ir.Value) -> bool:
        if defined_outside(v, loop):
            return True
        if isinstance(v, ir.BlockArgument):
            return False
        op = v.owner
        if any(op == seen for seen in ops):
            return True
        if not speculatable(op) or not all(visit(operand) for operand in op.operands):
            return False
        ops.append(op)
        return True

    return ops if visit(value) else None


def _unswitch(loop: ir.Operation, condition: ir.Value,
              computed: list[ir.Operation]) -> None:
    with ir.InsertionPoint(loop), loop.location:
        hoisted: dict[ir.Value, ir.Value] = {}
        for op in computed:
            clone = op.clone()
            for i, operand in enumerate(op.operands):
                clone.operands[i] = hoisted.get(operand, operand)
            hoisted.update(zip(op.results, clone.results))
        test = hoisted.get(condition, condition)  # made before the loop already, or now
        if test != condition:
            condition.replace_all_uses_with(test)
        types = [r.type for r in loop.results]
        choice = scf.IfOp(test, types, has_else=True)
        for block, outcome in ((choice.then_block, True), (choice.else_block, False)):
            with ir.InsertionPoint(block):
                known = arith.constant(ir.IntegerType.get_signless(1), int(outcome))
                copy = loop.clone()
                for op in ops_where(copy, lambda _: True):
                    for i, operand in enumerate(op.operands):
                        if operand == test:
                            op.operands[i] = known
                scf.YieldOp(list(copy.results))
    for old, new in zip(loop.results, choice.results):
        old.replace_all_uses_with(new)
    loop.erase()
