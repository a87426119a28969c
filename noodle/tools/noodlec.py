"""`noodlec`: the ahead-of-time compiler. `noodlec FILE...` (or `noodlec compile FILE...`)
compiles (`noodlec_compile.py`); `noodlec cache ...` manages the kernel cache."""
from __future__ import annotations

import click

import noodle
from noodle.tools.noodlec_cache import cache
from noodle.tools.noodlec_compile import compile_command, no_input_files

#: `-h` as well as `--help`, as noodle-opt, clang and nvcc take it; the subcommands'
#: contexts inherit it
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}


class _CompileByDefault(click.Group):
    """A group whose arguments go to `compile` unless they name another command, so that
    `noodlec kernels.py -o kernels.so` reads like a compiler's command line."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # a command is named first (`noodlec cache list`); the group's own options are
        # -h/--help and --version alone
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help",
                                                                     "--version"):
            args = ["compile", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_CompileByDefault, invoke_without_command=True,
             context_settings=CONTEXT_SETTINGS)
@click.version_option(noodle.__version__, prog_name="noodlec")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Compile Python kernels and .mlir files ahead of time (`noodlec FILE...`, see
    `noodlec compile --help`); manage the kernel cache (`noodlec cache`)."""
    if ctx.invoked_subcommand is None:  # plain `noodlec`: as `cc` says, exit status 1
        no_input_files()


main.add_command(compile_command)
main.add_command(cache)


if __name__ == "__main__":
    main()
