"""`noodlec`: the ahead-of-time compiler. Only `--version` exists yet (issue 6 builds it)."""
from __future__ import annotations

import click

import noodle


@click.group(invoke_without_command=True)
@click.version_option(noodle.__version__, prog_name="noodlec")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Compile Python kernels ahead of time (not implemented yet)."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
