"""Finding ops to rewrite: a pass collects them first, since erasing or replacing ops
during `Operation.walk` would pull the IR out from under the walk.

An unexpected exception (a bug, or IR a pass did not expect) raised while a pass looks at
or rewrites an op is tagged with that op (`rewriting`, `op_at_fault`), so the error is
reported there rather than at the module the pass was given."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mlir import ir

_OP_AT_FAULT = "noodle_op_at_fault"


@contextmanager
def rewriting(op: ir.Operation) -> Iterator[None]:
    """Tags an exception escaping the block with `op` (the innermost tag wins: the op
    nearest the fault)."""
    try:
        yield
    except Exception as e:
        _tag(e, op)
        raise


def _tag(error: Exception, op: ir.Operation) -> None:
    if getattr(error, _OP_AT_FAULT, None) is None:
        try:
            setattr(error, _OP_AT_FAULT, op.operation)
        except AttributeError:  # an exception type with __slots__: no tag, still raised
            pass


def op_at_fault(error: BaseException) -> ir.Operation | None:
    """The op a pass was working on when `error` was raised, if it was tagged."""
    return getattr(error, _OP_AT_FAULT, None)


def ops_where(root: ir.Operation, keep: Callable[[ir.Operation], bool]) -> list[ir.Operation]:
    """The ops nested in `root` (itself included) for which `keep` is true, in program
    order (an op before the ops in its regions)."""
    found: list[ir.Operation] = []
    raised: list[Exception] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        # a plain try (free when nothing is raised), not `rewriting`: this runs for every
        # op of every pass of a compile
        try:
            if keep(op):
                found.append(op.operation)
        except Exception as e:  # noqa: BLE001 -- raised again below, as it was
            # the bindings would turn it into a RuntimeError holding the traceback's text
            _tag(e, op)
            raised.append(e)
            return ir.WalkResult.INTERRUPT
        return ir.WalkResult.ADVANCE

    root.walk(visit, ir.WalkOrder.PRE_ORDER)
    if raised:
        raise raised[0]
    return found


def top_level_ops(module: ir.Operation) -> list[ir.Operation]:
    """The ops in `module`'s body, in order, as plain `ir.Operation`s. Iterating the
    body's `operations` would make each an OpView, which imports its dialect's Python
    module (the LLVM dialect's takes ~18 ms, on the way to a process's first kernel)."""
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op == module:
            return ir.WalkResult.ADVANCE
        found.append(op)
        return ir.WalkResult.SKIP

    module.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found


def inside(op: ir.Operation, names: tuple[str, ...]) -> bool:
    """Whether an op enclosing `op` within its function (a `func.func`, not included) is
    named one of `names`."""
    parent = op.parent
    while parent is not None and parent.name != "func.func":
        if parent.name in names:
            return True
        parent = parent.parent
    return False


def nested_in(op: ir.Operation, outer: ir.Operation) -> bool:
    """Whether `op` is nested in `outer`, within its function."""
    parent = op.parent
    while parent is not None and parent.name != "func.func":
        if parent == outer:
            return True
        parent = parent.parent
    return False


def defined_outside(value: ir.Value, op: ir.Operation) -> bool:
    """Whether `value` is made outside `op` (not by it, nor in its regions)."""
    definer = (value.owner.owner.operation if isinstance(value, ir.BlockArgument)
               else value.owner)
    return definer != op and not nested_in(definer, op)
