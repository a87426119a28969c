"""`noodlec`: the ahead-of-time compiler. Only `--version` and the `cache` commands exist
yet (issue 6 builds the compiler)."""
from __future__ import annotations

import click

import noodle
from noodle.tools.noodlec_cache import cache


@click.group(invoke_without_command=True)
@click.version_option(noodle.__version__, prog_name="noodlec")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Compile Python kernels ahead of time (not implemented yet); manage the kernel cache."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


main.add_command(cache)
