"""mlir-opt's command line as LLVM's parser reads it, for noodle-opt's click command.

LLVM's parser takes `-name` for `--name`, `--flag=false`, a value after `=` or as the next
argument; a flag that names no option but a pass (`--canonicalize`, `--nir-fold`,
`--apply-fastmath=flags=nnan`) is a per-pass flag, run in order. Its errors (an argument
that names no option or pass, a bad value, a second input file) are said in LLVM's words
and in the order of the arguments. `LlvmStyleCommand` does that reading and hands click a
command line click accepts; the per-pass flags and the errors wait in `ctx.meta`
(`PASS_FLAGS`, `ERRORS`) for the command to use.
"""
from __future__ import annotations

import click

from noodle.passes.registry import PASSES
from noodle.tools.opt_list_passes import upstream_pass_names
from noodle.tools.opt_pipeline import is_pass_name
from noodle.tools.opt_split import DEFAULT_MARKER

PASS_FLAGS = "noodle_opt.pass_flags"
#: the command line's errors, in LLVM's words and in the order of the arguments
ERRORS = "noodle_opt.errors"
PROG = "noodle-opt"

#: Options whose value is optional and, as in mlir-opt, given only with `=`: alone, they
#: take this value (click would otherwise take the next argument, the input file, as it).
#: The IR-printing lists take "" then, which names no pass, as in mlir-opt.
_BARE_VALUES = {"--split-input-file": DEFAULT_MARKER, "--verify-diagnostics": "all",
                "--verify-each": "true", "--mlir-print-ir-before": "",
                "--mlir-print-ir-after": ""}
#: Options whose value is a comma-separated list of pass names (mlir-opt's pass-name
#: parser: upstream passes and pipelines, and here noodle's passes too)
_PASS_LISTS = ("--mlir-print-ir-before", "--mlir-print-ir-after")
#: A bool's value as LLVM's parser spells it
_TRUE, _FALSE = ("", "true", "TRUE", "True", "1"), ("false", "FALSE", "False", "0")


class LlvmStyleCommand(click.Command):
    """Reads the arguments as LLVM's command-line parser reads mlir-opt's: per-pass flags
    taken out in order, values checked, every error kept (in `ctx.meta`, for the command to
    report after `--help` and the like have had their turn); click then gets a command
    line it accepts."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        params = {o: p for p in self.get_params(ctx) for o in (*p.opts, *p.secondary_opts)}
        rest: list[str] = []
        passes: list[tuple[str, str]] = []
        errors: list[str] = []
        positional: list[str] = []
        pending = list(args)
        while pending:
            arg = pending.pop(0)
            if arg == "--":
                positional.extend(pending)
                break
            if arg == "-" or not arg.startswith("-"):
                positional.append(arg)
                continue
            flag, has_value, value = arg.partition("=")
            flag = _spelt(flag, params)
            param = params.get(flag)
            if param is None:
                if is_pass_name(flag[2:]):
                    passes.append((flag[2:], value))
                else:
                    errors.append(_unknown_argument(arg, params))
                continue
            if isinstance(param, click.Option) and param.is_flag:
                if value in _TRUE or not has_value:
                    rest.append(flag)
                elif value not in _FALSE:
                    errors.append(_option_error(flag, f"'{value}' is invalid value for "
                                                      "boolean argument! Try 0 or 1"))
                continue
            if not has_value:
                if flag in _BARE_VALUES:
                    value = _BARE_VALUES[flag]
                elif pending:
                    value = pending.pop(0)
                else:
                    errors.append(_option_error(flag, "requires a value!"))
                    continue
            problem = _bad_value(flag, param, value)
            if problem is not None:
                errors.append(_option_error(flag, problem))
                continue
            rest += [flag, _as_click_value(param, value)]
        if len(positional) > 1:
            errors.append(f"{PROG}: Too many positional arguments specified!\n"
                          f"Can specify at most 1 positional arguments: See: {PROG} --help")
        ctx.meta[PASS_FLAGS] = passes
        ctx.meta[ERRORS] = errors
        return super().parse_args(ctx, [*rest, "--", *positional[:1]])


def _spelt(flag: str, params: dict[str, click.Parameter]) -> str:
    """`flag` as click knows it: LLVM takes `-name` for `--name` and `--o` for `-o`."""
    if not flag.startswith("--") and len(flag) > 2:
        return "-" + flag
    if flag.startswith("--") and len(flag) == 3 and flag[1:] in params:
        return flag[1:]
    return flag


def _option_error(flag: str, problem: str) -> str:
    return f"{PROG}: for the {flag} option: {problem}"


def _bad_value(flag: str, param: click.Parameter, value: str) -> str | None:
    """What LLVM's parser says of `value` for option `flag`, None if it takes it."""
    if flag in _PASS_LISTS:
        unknown = next((name for name in value.split(",") if not is_pass_name(name)), None)
        return None if unknown is None else f"Cannot find option named '{unknown}'!"
    if isinstance(param.type, click.Choice):
        return None if value in param.type.choices else f"Cannot find option named '{value}'!"
    if param.type is click.BOOL:
        return None if value in _TRUE + _FALSE else \
            f"'{value}' is invalid value for boolean argument! Try 0 or 1"
    if param.type is click.INT:  # the only integer option, mlir-opt's, is unsigned
        return None if _unsigned(value) is not None else \
            f"'{value}' value invalid for uint argument!"
    return None


def _unsigned(value: str) -> int | None:
    """`value` read as LLVM reads an unsigned number (decimal, 0x hexadecimal, 0b binary,
    0 octal), None if it is none."""
    text = value.lower()
    base = 16 if text.startswith("0x") else 2 if text.startswith("0b") else \
        8 if text.startswith("0") and len(text) > 1 else 10
    digits = text[2:] if base in (16, 2) else text
    try:
        return int(digits, base) if digits and digits.isalnum() else None
    except ValueError:
        return None


def _as_click_value(param: click.Parameter, value: str) -> str:
    """A checked value as click's type for `param` reads it."""
    if param.type is click.BOOL:
        return "true" if value in _TRUE else "false"
    if param.type is click.INT:
        return str(_unsigned(value))
    return value


def _unknown_argument(arg: str, params: dict[str, click.Parameter]) -> str:
    """LLVM's command-line error, as mlir-opt prints it, for a flag that names no option
    or pass (noodle's or upstream), e.g. a misspelt option."""
    options = [opt.lstrip("-") for opt in params if opt.startswith("-")]
    names = [*options, *PASSES, *upstream_pass_names()]
    lines = [f"{PROG}: Unknown command line argument '{arg}'.  Try: '{PROG} --help'"]
    nearest = _nearest(arg, names)
    if nearest:
        lines.append(f"{PROG}: Did you mean '{nearest}'?")
    return "\n".join(lines)


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
