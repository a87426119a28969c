"""noodle's own passes by command-line name, for `noodle-opt --pass` and pipelines.

Each pass module declares its name (`PASS_NAME`) and its pass callable, named after the
module with `_pass` appended, for `PassManager.add(callable, name=PASS_NAME)`; its
description is the first sentence of the module docstring ("The `name` pass: what it does").
A pass with options declares `PASS_OPTIONS` (option name -> (default, help, type), the
type as MLIR's option parsers name it, "bool" or "string", for `--list-passes`) and
`configure_pass(**options)`, which returns the pass callable for those options (as text,
the way they are written in a pipeline: `apply-fastmath{flags=nnan,ninf}`).
A pass that works on a whole module (its top-level functions or gpu.modules, function
signatures with their callers) declares `PASS_ANCHOR = "builtin.module"`, the op it runs
on, as an MLIR `OperationPass<ModuleOp>` is restricted to one; without it a pass runs on
any op it is given (`"any"`), under any anchor of a pipeline. noodle-opt refuses a
restricted pass nested under another anchor, as mlir-opt does.
This module only collects them (Python passes cannot be named in a textual MLIR
pipeline, hence a registry of noodle's own), and says how a pass that raised failed
(`report_failure`): wherever noodle runs its passes, an exception becomes one MLIR error
diagnostic and a pass failure, never a Python traceback.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from types import ModuleType

from mlir import ir
from mlir.passmanager import PassManager

from noodle.dialects.context import source_location
from noodle.errors import NoodleError
from noodle.passes.ir_walk import op_at_fault
from noodle.passes import (apply_loop_hints, approximate_exp, approximate_log,
                           approximate_pow, approximate_sin_cos, approximate_tanh,
                           catseq_flatten, catseq_to_events, catseq_verify, check_allocations,
                           fastmath,
                           fuse_multiply_adds, gpu_libdevice_calls, gpu_map_loops, gpu_matmul,
                           gpu_merge_modules, gpu_reduce, gpu_serial_loops,
                           guided_parallel_loops, huge_page_allocations, lower_nir,
                           nir_cleanup, nir_fold, nir_fusion, nir_never_negative,
                           nir_simplify, return_on_failed_allocation, reuse_buffers,
                           skip_empty_loop_nests, unswitch_loops, vectorize_outer_loops,
                           version_broadcasts, widen_bool_memrefs)

PassCallable = Callable[[ir.Operation, object], None]

_MODULES = (nir_simplify, nir_never_negative, nir_fold, nir_cleanup, nir_fusion, lower_nir,
            version_broadcasts, fastmath, approximate_exp, approximate_log,
            approximate_sin_cos, approximate_tanh, approximate_pow, fuse_multiply_adds,
            reuse_buffers, check_allocations, skip_empty_loop_nests, guided_parallel_loops,
            unswitch_loops, vectorize_outer_loops, widen_bool_memrefs, apply_loop_hints,
            return_on_failed_allocation, huge_page_allocations,
            gpu_reduce, gpu_matmul, gpu_serial_loops, gpu_map_loops, gpu_merge_modules,
            gpu_libdevice_calls, catseq_verify, catseq_flatten, catseq_to_events)


def _entry(module: ModuleType) -> tuple[str, tuple[PassCallable, str]]:
    run = getattr(module, module.__name__.rsplit(".", 1)[1] + "_pass")
    # the first sentence of the docstring, which may run over several lines
    paragraph = " ".join(module.__doc__.strip().split("\n\n", 1)[0].split())
    summary = re.split(r"(?<=\.)\s", paragraph, maxsplit=1)[0]
    return module.PASS_NAME, (run, summary.split(" pass: ", 1)[-1])


#: pass name -> (pass callable, one-line description)
PASSES: dict[str, tuple[PassCallable, str]] = dict(map(_entry, _MODULES))

_BY_NAME: dict[str, ModuleType] = {module.PASS_NAME: module for module in _MODULES}

#: pass name -> {option name: (default, help, type)}, for the passes that take options
PASS_OPTIONS: dict[str, dict[str, tuple[str, str, str]]] = {
    module.PASS_NAME: module.PASS_OPTIONS for module in _MODULES
    if getattr(module, "PASS_OPTIONS", None)}

#: pass name -> the op name it runs on (`PASS_ANCHOR`), or "any"
PASS_ANCHORS: dict[str, str] = {module.PASS_NAME: getattr(module, "PASS_ANCHOR", "any")
                                for module in _MODULES}


def configured_pass(name: str, options: dict[str, str]) -> PassCallable:
    """The callable of pass `name` with `options` (option name -> value text); no options
    gives the registered callable. An option the pass does not take, or a value it
    rejects, is a ValueError saying which."""
    if not options:
        return PASSES[name][0]
    known = PASS_OPTIONS.get(name, {})
    for option in options:
        if option not in known:
            listed = ", ".join(known) or "none"
            raise ValueError(f"pass '{name}' has no option '{option}' (its options: {listed})")
    return _BY_NAME[name].configure_pass(**options)


#: how the bindings report an exception raised in a Python callback they called (a walk,
#: a rewrite pattern): a RuntimeError holding the traceback's text, its last line the
#: exception itself
_CALLBACK_TRACEBACK = "Exception raised in callback: Traceback"


def report_failure(name: str, error: Exception, target: ir.Operation) -> None:
    """Emits `error`, raised by pass `name` run on `target`, as one MLIR error diagnostic.
    A NoodleError is the pass's own diagnosis: its message, at its location (else at
    `target`). Any other exception is a case the pass did not foresee (a bug, or IR its
    verifier let through): `<name> failed on this op: <type>: <message>`, at the op the
    pass was working on where it is known (`ir_walk.rewriting`), else at `target`."""
    if isinstance(error, NoodleError):
        message = error.message if error.hint is None \
            else f"{error.message} (hint: {error.hint})"
        where = target.location if error.loc is None else ir.Location.file(
            error.loc.filename, error.loc.line, error.loc.col + 1, context=target.context)
        where.emit_error(message)
        return
    described = f"{type(error).__name__}: {error}"
    if isinstance(error, RuntimeError) and str(error).startswith(_CALLBACK_TRACEBACK):
        lines = [line for line in str(error).splitlines() if line.strip()]
        described = lines[-1].strip()  # the exception the callback raised, not its frames
    at = op_at_fault(error) or target
    at.location.emit_error(f"{name} failed on this op: {described}")


def _reporting(name: str, run: PassCallable) -> PassCallable:
    """`run` with an exception turned into a diagnostic and a pass failure."""
    def run_reporting(op: ir.Operation, pass_: object) -> None:
        try:
            run(op, pass_)
        except Exception as e:  # noqa: BLE001 -- reported as a diagnostic instead
            report_failure(name, e, op)
            pass_.signal_pass_failure()
    return run_reporting


def run_passes(module: ir.Module, names: list[str]) -> None:
    """Runs the named passes in order on `module` (in its context); a failure, or an
    exception in a pass, raises a NoodleError at the location of MLIR's first error
    diagnostic."""
    pm = PassManager()
    for name in names:
        pm.add(_reporting(name, PASSES[name][0]), name=name)
    try:
        pm.run(module.operation)
    except ir.MLIRError as e:
        if not e.error_diagnostics:
            raise NoodleError(f"{', '.join(names)} failed: {e}") from None
        first, *others = e.error_diagnostics
        message = "\n".join([first.message, *(f"{d.location}: error: {d.message}"
                                               for d in others)])
        raise NoodleError(message, source_location(first.location)) from None
