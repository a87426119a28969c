"""The `return-on-failed-allocation` pass: each call of the `noodle_allocation_failed`
marker, which `check-allocations` puts where an allocation failed, becomes a return from
the enclosing function.

Runs on the LLVM dialect, where control flow is no longer structured. The marker ends a
block of its own (an `scf.if` without else became one): the branch that ends the block
becomes `llvm.return`, with a zero value where the function returns one. A zero
memref descriptor is an empty array that nothing owns, so a caller that checks the
status cell after the call, and the entry points that do, never use or free it.
"""
from __future__ import annotations

from mlir import ir

from noodle.passes.check_allocations import MARKER
from noodle.passes.ir_walk import ops_where, rewriting, top_level_ops

PASS_NAME = "return-on-failed-allocation"
#: the op this pass runs on (registry.PASS_ANCHORS): it erases the marker's declaration
PASS_ANCHOR = "builtin.module"


def return_on_failed_allocation(module: ir.Module) -> None:
    return_on_failed_allocation_in(module.operation)


def return_on_failed_allocation_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(return_on_failed_allocation_pass, ...)`."""
    return_on_failed_allocation_in(op)


def return_on_failed_allocation_in(module: ir.Operation) -> None:
    """Replaces the marker's calls in `module` (in the LLVM dialect) by returns."""
    # every op, in program order, as plain ops: the bindings give an op's parent, or the
    # ops of a block, as OpViews, which import the dialect's Python module (ir_walk)
    ops = ops_where(module, lambda op: True)
    result_types: list[str | None] = []  # of each function, as text; None: it returns none
    calls: list[tuple[ir.Operation, ir.Operation | None, int]] = []
    for k, op in enumerate(ops):
        if op.name == "llvm.func":
            result_types.append(None)
        elif op.name == "llvm.return" and len(op.operands) > 0:
            # as printed: asking a value for an LLVM type imports the module too
            result_types[-1] = op.get_asm().rsplit(" : ", 1)[1].strip()
        elif _calls_marker(op):
            after = ops[k + 1] if k + 1 < len(ops) else None
            calls.append((op, after, len(result_types) - 1))
    for call, after, function in calls:
        with rewriting(call):
            if after is None or after.name != "llvm.br" or after.block != call.block:
                raise ValueError(f"the call of {MARKER} should be followed by the branch "
                                 "that ends its block")
            _return_before(after, result_types[function])
            after.erase()
            call.erase()
    for op in top_level_ops(module):
        if op.name == "llvm.func" and ir.StringAttr(op.attributes["sym_name"]).value == MARKER:
            op.erase()


def _calls_marker(op: ir.Operation) -> bool:
    return (op.name == "llvm.call" and "callee" in op.attributes
            and ir.FlatSymbolRefAttr(op.attributes["callee"]).value == MARKER)


def _return_before(op: ir.Operation, result_type: str | None) -> None:
    """Puts a return of zero (of `result_type`, or of nothing) before `op`. Parsed, not
    built: an op built from Python imports the LLVM dialect's Python module, ~15 ms on
    the way to a process's first kernel."""
    text = ("llvm.func @f() {\n  llvm.return\n}" if result_type is None else
            f"llvm.func @f() -> {result_type} {{\n  %0 = llvm.mlir.zero : {result_type}\n"
            f"  llvm.return %0 : {result_type}\n}}")
    parsed = ir.Module.parse(text, op.context)
    for new in ops_where(parsed.operation,
                         lambda new: new.name in ("llvm.mlir.zero", "llvm.return")):
        new.move_before(op)
