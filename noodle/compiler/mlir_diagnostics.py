"""MLIR's diagnostics as noodle's errors: a failed pass or parse reports `ir.MLIRError`,
whose diagnostics carry `loc("file":line:col)` locations; noodle renders them once, as
`file:line:col: error: message`, the source line and a caret (`noodle.errors`), so that
an `.mlir` input's failures read as a Python input's do.

Also the check that a lowered module is wholly in the LLVM dialect: the bindings'
`translate_module_to_llvmir` crashes the process (a null module dereferenced) on any op
it cannot translate, so translation runs only on a module that passed `check_lowered`.
"""
from __future__ import annotations

import re
from pathlib import Path

from mlir import ir

from noodle.errors import LoweringError, NoodleError, SourceLocation

#: ops that LLVM IR translation accepts besides the `llvm` dialect's own (the module)
TRANSLATABLE_OPS = frozenset({"builtin.module"})
#: dialects whose ops LLVM IR translation accepts (registered translation interfaces)
TRANSLATABLE_DIALECTS = frozenset({"llvm"})


def mlir_location(loc: ir.Location, path: Path | str | None = None) -> SourceLocation | None:
    """The file position of an op or diagnostic (None where it has none): MLIR's columns
    are 1-based, SourceLocation's 0-based. A location in "-" or "" (a module parsed from
    a string) is taken to be in `path` where one is given."""
    # the first file position in it (a name, call site or fused location wraps some)
    found = re.search(r'"([^"]*)":(\d+):(\d+)', str(loc))
    if found is None:
        return None
    name = found.group(1)
    if name in ("-", "") and path is not None:
        name = str(path)
    return SourceLocation(name, int(found.group(2)), int(found.group(3)) - 1)


def error_from_mlir(e: ir.MLIRError, what: str | None, path: Path | str | None = None,
                    kind: type[NoodleError] = NoodleError) -> NoodleError:
    """`e` as a NoodleError located at its first located diagnostic: `what` (what was
    being done, "the tensors of this module do not bufferize") goes first, the
    diagnostic's message after (alone where `what` is None); its notes become the hint,
    but for the op printed in generic form, of which only the name is kept. Without a
    located diagnostic, the first diagnostic's message is kept, unlocated."""
    for diagnostic in e.error_diagnostics:
        where = mlir_location(diagnostic.location, path)
        if where is None:
            continue
        message, notes = diagnostic.message, []
        for note in diagnostic.notes:
            # "see current operation: %3 = "arith.addf"(...) ..." is the op in generic
            # form, which the caret shows as written: only its name is worth saying
            current = re.match(r'see current operation: .*?"([\w.]+)"\(', note.message)
            if current is not None:
                if f"'{current.group(1)}'" not in message:
                    message = f"'{current.group(1)}': {message}"
            elif not note.message.startswith("see current operation"):
                notes.append(note.message)
        return kind(message if what is None else f"{what}: {message}", where,
                    "; ".join(notes) or None)
    first = e.error_diagnostics[0].message if e.error_diagnostics else str(e)
    return kind(first if what is None else f"{what}: {first}")


def check_lowered(module: ir.Module, path: Path | str | None = None) -> None:
    """Raise a located LoweringError at the first op of `module` that LLVM IR translation
    would not accept (an op of a dialect the pipeline has no lowering for, or a cast
    left unresolved), instead of letting translation crash the process."""
    left: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        name = op.name
        if name in TRANSLATABLE_OPS or name.split(".", 1)[0] in TRANSLATABLE_DIALECTS:
            return ir.WalkResult.ADVANCE
        left.append(op)
        return ir.WalkResult.INTERRUPT

    module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    if not left:
        return
    op = left[0]
    hint = None
    if op.name == "builtin.unrealized_conversion_cast":
        # a cast between a type that was converted and one that was not: the op that
        # was not lowered is what produced or uses the value
        hint = "a value of this op has a type nothing converts to the LLVM dialect"
    raise LoweringError(f"cannot lower '{op.name}' to LLVM", mlir_location(op.location, path),
                        hint)
