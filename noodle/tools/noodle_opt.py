"""`noodle-opt`: an mlir-opt-style driver for upstream and noodle passes in one pipeline.

This module is only the command line: mlir-opt's flag names turned into an OptConfig for
`opt_driver`. Flags that name no option (`--canonicalize`, `--cse`,
`--nir-fuse-elementwise`, `--apply-fastmath=flags=nnan`) are passes, run in order, as
mlir-opt's per-pass flags are; one that names no pass either is an unknown argument,
reported in LLVM's words. No Python traceback ever reaches the user: a bug in
noodle-opt itself is one line on stderr and exit status 2."""
from __future__ import annotations

import sys

import click

import noodle
from noodle.passes.registry import PASSES
from noodle.tools.opt_driver import OptConfig, run
from noodle.tools.opt_list_passes import listing, upstream_pass_names
from noodle.tools.opt_pipeline import (PipelineError, is_pass_name, parse_pipeline,
                                       pipeline_from_flags)
from noodle.tools.opt_printing import AsmOptions, PrintingOptions
from noodle.tools.opt_reproducer import read_reproducer
from noodle.tools.opt_split import DEFAULT_MARKER

_PASS_FLAGS = "noodle_opt.pass_flags"
#: the per-pass flags as written, to name them in mlir-opt's unknown-argument error
_PASS_ARGS = "noodle_opt.pass_args"
_PROG = "noodle-opt"

#: Options whose value is optional and, as in mlir-opt, given only with `=`: alone, they
#: take this value (click would otherwise take the next argument, the input file, as it).
_BARE_VALUES = {"--split-input-file": DEFAULT_MARKER, "--verify-diagnostics": "all",
                "--verify-each": "true"}


class _OptCommand(click.Command):
    """Takes the flags that name no option out as per-pass flags, in order."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        known = {o for p in self.get_params(ctx) for o in (*p.opts, *p.secondary_opts)}
        rest: list[str] = []
        passes: list[tuple[str, str]] = []
        written: list[str] = []
        for i, arg in enumerate(args):
            if arg == "--":
                rest.extend(args[i:])
                break
            flag, _, value = arg.partition("=")
            if arg.startswith("--") and flag not in known:
                passes.append((flag[2:], value))
                written.append(arg)
            elif arg in _BARE_VALUES:
                rest.append(f"{arg}={_BARE_VALUES[arg]}")
            else:
                rest.append(arg)
        ctx.meta[_PASS_FLAGS] = passes
        ctx.meta[_PASS_ARGS] = written
        return super().parse_args(ctx, rest)


def _list_passes(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(listing(), nl=False)
    ctx.exit()


def _unknown_arguments(ctx: click.Context) -> str:
    """LLVM's command-line error, as mlir-opt prints it, for each per-pass flag that names
    no pass (noodle's or upstream), e.g. a misspelt option: "" when there is none."""
    unknown = [arg for arg in ctx.meta[_PASS_ARGS]
               if not is_pass_name(arg[2:].partition("=")[0])]
    if not unknown:
        return ""
    options = [opt.lstrip("-") for param in ctx.command.get_params(ctx)
               for opt in (*param.opts, *param.secondary_opts) if opt.startswith("-")]
    names = [*options, *PASSES, *upstream_pass_names()]
    lines: list[str] = []
    for arg in unknown:
        lines.append(f"{_PROG}: Unknown command line argument '{arg}'.  "
                     f"Try: '{_PROG} --help'")
        nearest = _nearest(arg, names)
        if nearest:
            lines.append(f"{_PROG}: Did you mean '{nearest}'?")
    return "\n".join(lines) + "\n"


def _nearest(arg: str, names: list[str]) -> str | None:
    """LLVM's suggestion for an unknown `arg`: the name nearest the part before any `=` (by
    edit distance; the first on ties), spelt as a flag with `arg`'s value kept."""
    flag, _, value = arg.lstrip("-").partition("=")
    if not flag or not names:
        return None
    best = min(names, key=lambda name: _edit_distance(name, flag))
    spelt = ("-" if len(best) == 1 else "--") + best
    return f"{spelt}={value}" if value else spelt


def _edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions and replacements), as LLVM's
    `StringRef::edit_distance` with replacements allowed."""
    previous = list(range(len(b) + 1))
    for i, char in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (char != other)))
        previous = current
    return previous[-1]


def _names(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for value in values for name in value.split(",") if name)


@click.command(cls=_OptCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(noodle.__version__, prog_name="noodle-opt")
@click.argument("input_file", type=click.File("r"), default="-")
@click.option("-o", "output", type=click.Path(dir_okay=False), default="-",
              help="Output file (default: stdout).")
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
def main(ctx: click.Context, input_file, output: str, pipeline: str | None,
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


def _main(ctx: click.Context, input_file, output: str, pipeline: str | None,
          legacy_passes: tuple[str, ...], run_reproducer: bool, flags: dict) -> int:
    # mlir-opt rejects unknown arguments while parsing its command line, before all else
    unknown = _unknown_arguments(ctx)
    if unknown:
        click.echo(unknown, err=True, nl=False)
        return 1
    pass_flags = [*((name, "") for name in legacy_passes), *ctx.meta[_PASS_FLAGS]]
    name = "<stdin>" if input_file.name in ("-", "<stdin>") else input_file.name
    text = input_file.read()
    if run_reproducer:
        reproducer = read_reproducer(text)
        if reproducer is None:
            click.echo(f"{name}:0:0: error: no mlir_reproducer resource in the input",
                       err=True)
            return 1
        text, pipeline = reproducer.source, reproducer.pipeline
        flags["disable_threading"] |= reproducer.disable_threading
        flags["verify_each"] = reproducer.verify_each
    if pipeline is not None and pass_flags:
        click.echo("<unknown>:0: error: '-pass-pipeline' option can't be used with "
                   "individual pass options", err=True)
        return 1
    try:
        elements = parse_pipeline(pipeline) if pipeline is not None \
            else pipeline_from_flags(pass_flags)
    except PipelineError as e:
        click.echo(e.render(), err=True)
        return 1
    printing = PrintingOptions(
        before=_names(flags.pop("before")), after=_names(flags.pop("after")),
        before_all=flags.pop("before_all"), after_all=flags.pop("after_all"),
        after_change=flags.pop("after_change"), after_failure=flags.pop("after_failure"),
        module_scope=flags.pop("module_scope"),
        asm=AsmOptions(debug_info=flags["debug_info"], generic=flags["generic"],
                       local_scope=flags["local_scope"], large_elements_limit=flags["elide"]))
    config = OptConfig(
        input_name=name, input_text=text, elements=elements, pipeline_text=pipeline,
        split_marker=flags["split_marker"], output_split_marker=flags["output_split_marker"],
        verify_diagnostics=flags["verify_diagnostics"] is not None,
        only_expected=flags["verify_diagnostics"] == "only-expected",
        verify_each=flags["verify_each"],
        disable_threading=flags["disable_threading"],
        allow_unregistered=flags["allow_unregistered"], printing=printing,
        timing=flags["timing"], statistics=flags["statistics"],
        statistics_display=flags["statistics_display"], reproducer=flags["reproducer"],
        local_reproducer=flags["local_reproducer"], dump_pipeline=flags["dump_pipeline"])
    status, result = run(config)
    if output == "-":
        sys.stdout.write(result)
        sys.stdout.flush()
    elif status == 0:
        with open(output, "w") as file:
            file.write(result)
    return status


if __name__ == "__main__":
    main()
