"""`noodle-opt`: an mlir-opt-style driver. For now it parses a file with noodle's
dialects loaded, verifies it, runs the noodle passes named by `--pass` in order, and
prints the result (issue 6 adds upstream pipelines and the other flags)."""
from __future__ import annotations

import sys

import click
from mlir import ir

import noodle
from noodle.dialects import make_context
from noodle.errors import NoodleError
from noodle.passes.registry import PASSES, run_passes


def _list_passes(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    width = max(map(len, PASSES))
    for name, (_run, description) in PASSES.items():
        click.echo(f"  {name:<{width}}  {description}")
    ctx.exit()


@click.command()
@click.version_option(noodle.__version__, prog_name="noodle-opt")
@click.option("--pass", "passes", multiple=True, type=click.Choice(list(PASSES)),
              metavar="NAME", help="Run noodle pass NAME (repeatable; in order).")
@click.option("--list-passes", is_flag=True, expose_value=False, is_eager=True,
              callback=_list_passes, help="List noodle's passes and exit.")
@click.argument("input_file", type=click.File("r"), default="-")
def main(passes: tuple[str, ...], input_file) -> None:
    """Parse and verify INPUT_FILE (MLIR with noodle's and upstream dialects), run the
    passes given with --pass, print the result."""
    with make_context():
        try:
            module = ir.Module.parse(input_file.read())
        except ir.MLIRError as e:
            click.echo(str(e), err=True)
            sys.exit(1)
        try:
            run_passes(module, list(passes))
        except NoodleError as e:
            click.echo(str(e), err=True)
            sys.exit(1)
        click.echo(str(module))
