"""noodle-opt's driver: for each input chunk, parse (noodle's and upstream dialects), run the
pipeline (upstream and noodle passes), print the result or the diagnostics, as mlir-opt's
MlirOptMain does. The click command in `noodle_opt` only turns flags into an OptConfig."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

from mlir import ir
from mlir.passmanager import PassDisplayMode

from noodle.dialects import make_context
from noodle.tools import opt_printing
from noodle.tools.opt_diagnostics import Collector, Diag, Sources, report, write_stderr
from noodle.tools.opt_pipeline import (Element, FailureRecord, PipelineError,
                                       build_pass_manager, canonical_pipeline,
                                       dump_pipeline)
from noodle.tools.opt_printing import PrintingOptions
from noodle.tools.opt_reproducer import (PendingReproducer, reproducer_text, run_forked,
                                         signal_name, write_reproducer)
from noodle.tools.opt_source import SourceError, parse_chunk
from noodle.tools.opt_split import DEFAULT_MARKER, Chunk, join_outputs, split_input
from noodle.tools.opt_verify_diagnostics import verify


@dataclass
class OptConfig:
    """Everything one noodle-opt run does (mlir-opt's flags, by their meaning)."""
    input_name: str
    input_text: str
    elements: list[Element] = field(default_factory=list)
    #: the elements' text in `--pass-pipeline` (None for per-pass flags), to point at
    pipeline_text: str | None = None
    #: the op the pipeline's pass manager is anchored on (`--pass-pipeline=any(...)`)
    anchor: str = "builtin.module"
    split_marker: str | None = None
    output_split_marker: str = DEFAULT_MARKER
    verify_diagnostics: bool = False
    only_expected: bool = False
    verify_each: bool = True
    disable_threading: bool = False
    allow_unregistered: bool = False
    printing: PrintingOptions = field(default_factory=PrintingOptions)
    timing: bool = False
    statistics: bool = False
    statistics_display: str = "pipeline"
    reproducer: str | None = None
    local_reproducer: bool = False
    dump_pipeline: bool = False
    #: filled while running: what to print after the last chunk
    missing_annotations: list[str] = field(default_factory=list)
    #: while running with a reproducer: the reproducer of the step the child is running
    pending_reproducer: PendingReproducer | None = None


def run(config: OptConfig) -> tuple[int, str]:
    """The exit status (0 success, 1 any failure) and the output text; diagnostics go to
    stderr as they arise."""
    if config.printing.module_scope and not config.disable_threading:
        # as mlir-opt (and the bindings would abort the process instead of saying so)
        sys.stderr.write("<unknown>:0: error: IR print for module scope can't be setup on a "
                         "pass-manager without disabling multi-threading first.\n\n")
        return 1, ""
    if config.reproducer and config.local_reproducer and not config.disable_threading:
        # mlir-opt's words, its spelling included
        sys.stderr.write("<unknown>:0: error: Local crash reproduction may not be used without "
                         "disabling mutli-threading first.\n")
        return 1, ""
    if not _pipeline_builds(config):
        return 1, ""
    sources = Sources(config.input_name, config.input_text)
    outputs, ok = [], True
    if config.reproducer:
        config.pending_reproducer = PendingReproducer()
    try:
        for chunk in split_input(config.input_text, config.split_marker):
            if config.reproducer:
                chunk_ok, output = _process_forked(config, chunk, sources)
            else:
                chunk_ok, output = _process(config, chunk, sources)
            ok &= chunk_ok
            outputs.append(output)
    finally:
        if config.pending_reproducer is not None:
            config.pending_reproducer.close()
            config.pending_reproducer = None
    write_stderr("".join(config.missing_annotations))
    marker = config.output_split_marker if config.split_marker else ""
    return (0 if ok else 1), join_outputs(outputs, marker)


def _process_forked(config: OptConfig, chunk: Chunk, sources: Sources) -> tuple[bool, str]:
    """`_process` in a forked child; if the child dies (an assertion of MLIR's, say), the
    reproducer of the step it was running is written here, and the crash reported."""
    pending = config.pending_reproducer
    pending.clear()
    ok, output, killed = run_forked(lambda: _process(config, chunk, sources))
    if killed is not None:
        held = pending.held()
        error = write_reproducer(config.reproducer, held) if held else None
        _report_crash(config, sources, killed, bool(held), error)
    return ok, output


def _pipeline_builds(config: OptConfig) -> bool:
    """Unknown passes and bad options are reported once, before any input is read."""
    if not config.elements:
        return True
    with make_context():
        try:
            build_pass_manager(config.elements, config.pipeline_text, FailureRecord(),
                               config.anchor)
        except PipelineError as e:
            sys.stderr.write(e.render() + "\n")
            return False
    return True


def _context(config: OptConfig) -> ir.Context:
    context = make_context()
    if config.disable_threading:
        context.enable_multithreading(False)
    context.allow_unregistered_dialects = config.allow_unregistered
    return context


def _process(config: OptConfig, chunk: Chunk, sources: Sources) -> tuple[bool, str]:
    """One chunk: success, and its printed module ("" when it failed)."""
    context = _context(config)
    with context:
        # under --verify-diagnostics nothing is printed until the annotations are checked
        collector = Collector(context, None if config.verify_diagnostics else sources)
        output = ""
        try:
            module = parse_chunk(chunk, config.input_name, collector)
        except SourceError:
            ok = False
        else:
            if config.dump_pipeline:
                sys.stderr.write(dump_pipeline(config.elements, config.anchor))
            ok = _run_pipeline(config, module, collector)
            if ok:
                output = config.printing.asm.print(module) + "\n"
        collector.detach()
    if config.verify_diagnostics:
        matched, errors = verify(chunk, collector.diagnostics, config.input_name, sources,
                                 config.only_expected)
        write_stderr(errors)
        return matched, output
    if not ok and "expected-" in chunk.text:
        # mlir-opt 22, without --verify-diagnostics, lists every annotation of a failing
        # chunk as not produced (its diagnostics went to the plain handler, unmatched),
        # after the last chunk
        missing = verify(chunk, [], config.input_name, sources)[1]
        if config.reproducer:
            write_stderr(missing)  # from a forked child: now
        else:
            config.missing_annotations.append(missing)
    return ok, output


def _run_pipeline(config: OptConfig, module: ir.Operation, collector: Collector) -> bool:
    if not config.elements and config.anchor in ("builtin.module", "any"):
        return True  # (a manager on another op fails on the module even when empty)
    if not config.reproducer:
        return _run_passes(config, config.elements, module, FailureRecord(), collector)
    steps = [[element] for element in config.elements] if config.local_reproducer \
        else [config.elements]
    for elements in steps:
        record = FailureRecord()
        # the IR before the step, as MLIR snapshots it; written only if the step fails
        text = reproducer_text(module, canonical_pipeline(elements, config.anchor),
                               config.disable_threading, config.verify_each)
        config.pending_reproducer.hold(text)  # for the parent, should this process die
        if not _run_passes(config, elements, module, record, collector):
            config.pending_reproducer.clear()
            error = write_reproducer(config.reproducer, text)
            collector.add(_reproducer_note(config, record, module, error))
            return False
    config.pending_reproducer.clear()
    return True


def _run_passes(config: OptConfig, elements: list[Element], module: ir.Operation,
                record: FailureRecord, collector: Collector) -> bool:
    pm = build_pass_manager(elements, config.pipeline_text, record, config.anchor)
    pm.enable_verifier(config.verify_each)
    printing = config.printing
    if config.reproducer and not printing.enabled:
        # the reproducer's note names the failing pass: MLIR's after-failure header says it
        printing = PrintingOptions(after_failure=True, probe_failure=True)
    opt_printing.enable(pm, printing)
    if config.timing:
        pm.enable_timing()
    if config.statistics:
        pm.enable_statistics(PassDisplayMode.LIST if config.statistics_display == "list"
                             else PassDisplayMode.PIPELINE)
    errors = collector.errors
    try:
        with opt_printing.filtered_stderr(printing, record.upstream) as stderr_fd:
            collector.fd = stderr_fd
            try:
                pm.run(module)
            finally:
                collector.fd = None
                del pm  # timing and statistics reports are printed when the manager goes
    except ir.MLIRError:
        # the collector has had the pass's diagnostics; a failure may come with none
        if collector.errors == errors:
            collector.add(Diag("error", "pass pipeline failed (no pass said why)",
                               config.input_name))
        return False
    return True


def _reproducer_note(config: OptConfig, record: FailureRecord, module: ir.Operation,
                     error: str | None) -> Diag:
    """mlir-opt's two diagnostics that point at the reproducer (`error`: why it could not
    be written, None if it was)."""
    where = None
    if record.failed:
        name, op_name = record.failed[-1]
        where = f"`{name}` on '{op_name}' operation"
    elif record.upstream:
        where = record.upstream[-1]
    outcome = error or f"reproducer generated at `{config.reproducer}`"
    if where is not None:
        where = f"[{where}]" if not config.local_reproducer else where
        note = f"Pipeline failed while executing {where}: {outcome}"
    else:
        note = f"Pipeline failed: {outcome}"
    at = module.location  # as mlir-opt: at the module (line 0 for the first chunk)
    line, column = (at.start_line, at.start_col) if at.is_a_file() else (0, 0)
    return Diag("error", "Failures have been detected while processing an MLIR pass "
                         "pipeline", config.input_name, line, column,
                notes=[Diag("note", note, config.input_name, line, column)])


def _report_crash(config: OptConfig, sources: Sources, killed: int, held: bool,
                  error: str | None) -> None:
    """The crash of a child (`held`: whether it was running a pipeline step, whose
    reproducer was written unless `error` says why not)."""
    note = f"Pipeline crashed ({signal_name(killed)})"
    if held:
        note += f": {error or f'reproducer generated at `{config.reproducer}`'}"
    report([Diag("error", "Failures have been detected while processing an MLIR pass "
                          "pipeline", config.input_name, notes=[
                      Diag("note", note, config.input_name)])], sources)
