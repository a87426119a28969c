"""`noodle-opt`: an mlir-opt-style driver. For now it parses a file with noodle's
dialects loaded, verifies it, and prints it back (issue 6 adds pipelines and flags)."""
from __future__ import annotations

import sys

import click
from mlir import ir

import noodle
from noodle.dialects import make_context


@click.command()
@click.version_option(noodle.__version__, prog_name="noodle-opt")
@click.argument("input_file", type=click.File("r"), default="-")
def main(input_file) -> None:
    """Parse and verify INPUT_FILE (MLIR with nir and upstream dialects), print it."""
    with make_context():
        try:
            module = ir.Module.parse(input_file.read())
        except ir.MLIRError as e:
            click.echo(str(e), err=True)
            sys.exit(1)
        click.echo(str(module))
