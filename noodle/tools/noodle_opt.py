"""`noodle-opt`: an mlir-opt-style driver for upstream and noodle passes in one pipeline.

This module is only the command line: mlir-opt's flag names turned into an OptConfig for
`opt_driver`. Flags that name no option (`--canonicalize`, `--cse`,
`--nir-fuse-elementwise`, `--apply-fastmath=flags=nnan`) are passes, run in order, as
mlir-opt's per-pass flags are. The command line is read as LLVM's parser reads
mlir-opt's (`opt_command_line`), and its errors are LLVM's, exit status 1; so are an input
or output file that cannot be opened. No Python traceback ever reaches the user: a bug in
noodle-opt itself is one line on stderr and exit status 2."""
from __future__ import annotations

import os
import sys

import click

import noodle
from noodle.passes.registry import PASSES
from noodle.tools.opt_command_line import ERRORS, PASS_FLAGS, LlvmStyleCommand
from noodle.tools.opt_driver import OptConfig, run
from noodle.tools.opt_list_passes import listing
from noodle.tools.opt_pipeline import PipelineError, parse_pipeline, pipeline_from_flags
from noodle.tools.opt_printing import AsmOptions, PrintingOptions
from noodle.tools.opt_reproducer import read_reproducer
from noodle.tools.opt_split import DEFAULT_MARKER


def _list_passes(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(listing(), nl=False)
    ctx.exit()


def _names(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for value in values for name in value.split(",") if name)


@click.command(cls=LlvmStyleCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(noodle.__version__, prog_name="noodle-opt")
# files are opened by _main, to report what cannot be opened as mlir-opt does
@click.argument("input_file", default="-")
@click.option("-o", "output", default="-", help="Output file (default: stdout).")
@click.option("--pass-pipeline", "-p", "pipeline", metavar="PIPELINE",
              help="Textual pipeline, e.g. 'builtin.module(canonicalize,nir-fold)'.")
@click.option("--pass", "legacy_passes", multiple=True, metavar="NAME",
              type=click.Choice(list(PASSES)),
              help="Run noodle pass NAME (repeatable, in order; same as --NAME).")
@click.option("--list-passes", is_flag=True, expose_value=False, is_eager=True,
              callback=_list_passes, help="List upstream and noodle passes and exit.")
@click.option("--mlir-print-ir-before", "before", multiple=True, metavar="PASSES",
              help="Print the IR before each of these passes (comma-separated).")
@click.option("--mlir-print-ir-after", "after", multiple=True, metavar="PASSES",
              help="Print the IR after each of these passes (comma-separated).")
@click.option("--mlir-print-ir-before-all", "before_all", is_flag=True)
@click.option("--mlir-print-ir-after-all", "after_all", is_flag=True)
@click.option("--mlir-print-ir-after-change", "after_change", is_flag=True,
              help="With an after flag: print only when the pass changed the IR.")
@click.option("--mlir-print-ir-after-failure", "after_failure", is_flag=True,
              help="Print the IR after a pass fails (only then).")
@click.option("--mlir-print-ir-module-scope", "module_scope", is_flag=True,
              help="Print the whole module (needs --mlir-disable-threading).")
@click.option("--mlir-timing", "timing", is_flag=True, help="Report the time of each pass.")
@click.option("--mlir-pass-statistics", "statistics", is_flag=True)
@click.option("--mlir-pass-statistics-display", "statistics_display", default="pipeline",
              type=click.Choice(["list", "pipeline"]))
@click.option("--verify-each", type=click.BOOL, default=True, metavar="[=BOOL]",
              help="Verify the IR after each pass (default true; --verify-each=false).")
@click.option("--split-input-file", "split_marker", default=None, metavar="[=MARKER]",
              help="Process the chunks between marker lines ('// -----') separately.")
@click.option("--output-split-marker", default=DEFAULT_MARKER,
              help="Marker joining the chunks' outputs.")
@click.option("--verify-diagnostics", "verify_diagnostics", default=None, metavar="[=MODE]",
              type=click.Choice(["all", "", "only-expected"]),
              help="Check diagnostics against expected-* annotations in the input "
                   "(only-expected: ignore diagnostics no annotation expects).")
@click.option("--mlir-print-debuginfo", "debug_info", is_flag=True)
@click.option("--mlir-print-op-generic", "generic", is_flag=True)
@click.option("--mlir-print-local-scope", "local_scope", is_flag=True)
@click.option("--mlir-elide-elementsattrs-if-larger", "elide", type=int, default=None)
@click.option("--mlir-disable-threading", "disable_threading", is_flag=True)
@click.option("--allow-unregistered-dialect", "allow_unregistered", is_flag=True)
@click.option("--mlir-pass-pipeline-crash-reproducer", "reproducer", metavar="FILE",
              # not checked here: as in mlir-opt, a path that cannot be written is said so
              # only if a pass fails
              help="On a pass failure or crash, write the IR and pipeline to FILE.")
@click.option("--mlir-pass-pipeline-local-reproducer", "local_reproducer", is_flag=True,
              help="Narrow the reproducer to the failing top-level pipeline element.")
@click.option("--dump-pass-pipeline", "dump_pipeline", is_flag=True,
              help="Print the pipeline (options spelt out) to stderr.")
@click.option("--run-reproducer", is_flag=True,
              help="Run the pipeline stored in the input (a crash reproducer).")
@click.pass_context
def main(ctx: click.Context, input_file: str, output: str, pipeline: str | None,
         legacy_passes: tuple[str, ...], run_reproducer: bool, **flags) -> None:
    """Parse INPUT_FILE (MLIR with noodle's and upstream dialects; '-' is stdin), run the
    passes, print the result, as mlir-opt does. A flag naming a pass (--canonicalize,
    --nir-fold, '--apply-fastmath=flags=nnan') runs it, in order; see --list-passes."""
    try:
        status = _main(ctx, input_file, output, pipeline, legacy_passes, run_reproducer,
                       flags)
    except Exception as e:  # noqa: BLE001 -- never a traceback, even for our own bugs
        click.echo(f"noodle-opt: internal error: {type(e).__name__}: {e}", err=True)
        status = 2
    ctx.exit(status)


def _main(ctx: click.Context, input_file: str, output: str, pipeline: str | None,
          legacy_passes: tuple[str, ...], run_reproducer: bool, flags: dict) -> int:
    # mlir-opt reports every error of its command line while parsing it, before all else
    errors = ctx.meta[ERRORS]
    if errors:
        click.echo("\n".join(errors), err=True)
        return 1
    # then it opens the input and the output, and only then reads the pipeline
    name = "<stdin>" if input_file == "-" else input_file
    try:
        data = _read_stdin() if input_file == "-" else _read(input_file)
    except OSError as e:
        click.echo(f"cannot open input file '{input_file}': {e.strerror}", err=True)
        return 1
    # bytes that are not UTF-8 stay as surrogate escapes: MLIR's parser gets them back as
    # they were (a parse error at them, as in mlir-opt, or a string attribute's bytes)
    text = data.decode("utf-8", "surrogateescape")
    out = None
    if output != "-":
        try:
            out = open(output, "w")
        except OSError as e:
            click.echo(f"cannot open output file '{output}': {e.strerror}", err=True)
            return 1
    status = 1
    try:
        status, result = _process(ctx, name, text, pipeline, legacy_passes, run_reproducer,
                                  flags)
        if out is None:
            sys.stdout.write(result)
            sys.stdout.flush()
        elif status == 0:
            out.write(result)
    finally:
        if out is not None:
            out.close()
            # as LLVM's ToolOutputFile: the output of a failed run is not kept
            if status != 0 and os.path.isfile(output):
                os.unlink(output)
    return status


def _read(path: str) -> bytes:
    with open(path, "rb") as file:
        return file.read()


def _read_stdin() -> bytes:
    buffer = getattr(sys.stdin, "buffer", None)  # a text-only stream has none
    return sys.stdin.read().encode() if buffer is None else buffer.read()


def _process(ctx: click.Context, name: str, text: str, pipeline: str | None,
             legacy_passes: tuple[str, ...], run_reproducer: bool,
             flags: dict) -> tuple[int, str]:
    """The exit status and output of the run the flags describe, on the input `text`."""
    pass_flags = [*((legacy, "") for legacy in legacy_passes), *ctx.meta[PASS_FLAGS]]
    if run_reproducer:
        reproducer = read_reproducer(text)
        if reproducer is None:
            click.echo(f"{name}:0:0: error: no mlir_reproducer resource in the input",
                       err=True)
            return 1, ""
        text, pipeline = reproducer.source, reproducer.pipeline
        flags["disable_threading"] |= reproducer.disable_threading
        flags["verify_each"] = reproducer.verify_each
    if pipeline is not None and pass_flags:
        click.echo("<unknown>:0: error: '-pass-pipeline' option can't be used with "
                   "individual pass options", err=True)
        return 1, ""
    try:
        if pipeline is not None:
            parsed = parse_pipeline(pipeline)
            elements, anchor, pipeline = parsed.elements, parsed.anchor, parsed.text
        else:
            elements, anchor = pipeline_from_flags(pass_flags), "builtin.module"
    except PipelineError as e:
        click.echo(e.render(), err=True)
        return 1, ""
    printing = PrintingOptions(
        before=_names(flags.pop("before")), after=_names(flags.pop("after")),
        before_all=flags.pop("before_all"), after_all=flags.pop("after_all"),
        after_change=flags.pop("after_change"), after_failure=flags.pop("after_failure"),
        module_scope=flags.pop("module_scope"),
        asm=AsmOptions(debug_info=flags["debug_info"], generic=flags["generic"],
                       local_scope=flags["local_scope"], large_elements_limit=flags["elide"]))
    config = OptConfig(
        input_name=name, input_text=text, elements=elements, pipeline_text=pipeline,
        anchor=anchor,
        split_marker=flags["split_marker"], output_split_marker=flags["output_split_marker"],
        verify_diagnostics=flags["verify_diagnostics"] is not None,
        only_expected=flags["verify_diagnostics"] == "only-expected",
        verify_each=flags["verify_each"],
        disable_threading=flags["disable_threading"],
        allow_unregistered=flags["allow_unregistered"], printing=printing,
        timing=flags["timing"], statistics=flags["statistics"],
        statistics_display=flags["statistics_display"], reproducer=flags["reproducer"],
        local_reproducer=flags["local_reproducer"], dump_pipeline=flags["dump_pipeline"])
    return run(config)


if __name__ == "__main__":
    main()
