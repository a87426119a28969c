"""`noodlec compile` (also plain `noodlec FILE ...`): Python kernel files and `.mlir` files
-> NIR, MLIR, LLVM IR, assembly, object code, a shared library with a C header, or PTX.

Python files are imported (with `@noodle.jit` compiling nothing at import) to find the
functions that carry explicit signatures; `--sig NAME=SIG` adds signatures on the command
line. Errors in the sources print `file:line:col: error: ...` (the path as the command
line gave it) with the line and a caret, exit status 1, as no input files does; bad or
conflicting options print the usage, exit status 2. Output files are written whole or not
at all: each goes to a temporary file in its directory, renamed into place once
everything compiled, with the mode `cc` gives its outputs (0666, 0777 for a library, less
the umask).
"""
from __future__ import annotations

import importlib.util
import inspect
import os
import sys
import tempfile
import traceback
from collections.abc import Collection
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import FunctionType, ModuleType
from typing import NamedTuple

import click

import noodle
from noodle.compiler import aot
from noodle.compiler.c_abi import library_name, mangle
from noodle.compiler.options import CompileOptions, fastmath_flags
from noodle.errors import NoodleError, SourceLocation
from noodle.runtime.dispatcher import Dispatcher, signatures_only
from noodle.runtime.signatures import parse_signature

EMIT_CHOICES = (*aot.EMIT_KINDS, "ptx")
TEXT_KINDS = ("nir", "mlir", "llvm", "asm", "ptx")
DEFAULT_SUFFIX = {"nir": ".nir.mlir", "mlir": ".mlir", "llvm": ".ll", "asm": ".s",
                  "obj": ".o", "so": ".so", "ptx": ".ptx"}


# -- command-line values ------------------------------------------------------------------
def _target(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, str | None]:
    """"cpu", "cuda" or "cuda:sm_XX" -> (kind, chip)."""
    from noodle.compiler.gpu.program import NVPTX_CHIPS

    kind, _, chip = value.partition(":")
    if kind == "cpu" and not chip:
        return "cpu", None
    if kind == "cuda" and (not chip or chip in NVPTX_CHIPS):
        return "cuda", chip or None
    if kind == "cuda":
        raise click.BadParameter(f"{value!r}: {chip!r} is not an architecture LLVM's NVPTX "
                                 f"backend knows; use one of {', '.join(NVPTX_CHIPS)}")
    raise click.BadParameter(f"{value!r}: use cpu, cuda or cuda:sm_XX (e.g. cuda:sm_90)")


def _signatures(_ctx: click.Context, _param: click.Parameter,
                values: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for value in values:
        name, eq, sig = value.partition("=")
        if not eq or not name.strip() or not sig.strip():
            raise click.BadParameter(f"{value!r}: write NAME=SIG, e.g. "
                                     "'axpy=float64[:](float64, float64[:])'")
        try:
            parse_signature(sig)
        except ValueError as e:
            raise click.BadParameter(f"{value!r}: {e}") from None
        out.append((name.strip(), sig.strip()))
    return out


# -- Python inputs ------------------------------------------------------------------------
def _import_error(path: Path, e: BaseException) -> NoodleError:
    """An exception raised while importing `path`, at the line of `path` it came from."""
    if isinstance(e, SyntaxError) and e.lineno:
        # SyntaxError counts characters, SourceLocation UTF-8 bytes (as ast does)
        before = (e.text or "")[:max((e.offset or 1) - 1, 0)]
        where = SourceLocation(e.filename or str(path), e.lineno, len(before.encode()))
        return NoodleError(e.msg, where)
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if Path(f.filename).resolve() == path.resolve()]
    where = None
    if frames:
        frame = frames[-1]
        col = frame.colno if getattr(frame, "colno", None) is not None else 0
        where = SourceLocation(str(path), frame.lineno, col)
    return NoodleError(f"{type(e).__name__}: {e}", where)


@contextmanager
def _importable_from(directory: Path):
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        sys.path.remove(str(directory))


def import_file(path: Path) -> ModuleType:
    """Run the Python file `path` as a module, `@jit` signatures recorded, not compiled."""
    name = path.stem if path.stem.isidentifier() and path.stem not in sys.modules \
        else f"_noodlec_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with _importable_from(path.parent.resolve()), signatures_only():
            spec.loader.exec_module(module)
    except Exception as e:  # noqa: BLE001 - any error in the user's file is reported
        del sys.modules[name]
        raise _import_error(path, e) from None
    return module


def python_signatures(path: Path, extra: list[tuple[str, str]],
                      options: CompileOptions) -> list[aot.PythonSignature]:
    """The signatures of `path`'s functions: their `@jit("...")` ones, then `extra`."""
    module = import_file(path)
    found: dict[str, tuple[FunctionType, CompileOptions, list[str]]] = {}
    for value in vars(module).values():
        if isinstance(value, Dispatcher) and value.py_func.__module__ == module.__name__ \
                and value.declared_signatures:
            found[value.py_func.__name__] = (value.py_func, _merged(options, value.options),
                                             [s for s, _, _ in value.declared_signatures])
    for name, sig in extra:  # (each input takes the --sig of the functions it has)
        value = getattr(module, name, None)
        if isinstance(value, Dispatcher):
            pyfunc, own = value.py_func, _merged(options, value.options)
        elif isinstance(value, FunctionType):
            pyfunc, own = value, options
        else:
            continue
        found.setdefault(name, (pyfunc, own, []))[2].append(sig)
    out = []
    for name, (pyfunc, own, sigs) in found.items():
        params = list(inspect.signature(pyfunc).parameters)
        for sig in dict.fromkeys(sigs):
            ret, args = parse_signature(sig)
            c_name = name if len(set(sigs)) == 1 else f"{name}__{mangle(args)}"
            out.append(aot.PythonSignature(pyfunc, sig, args, ret, c_name, params, own))
    return out


def _merged(cli: CompileOptions, own: CompileOptions) -> CompileOptions:
    """A function's own `@jit` options, with the command line's added."""
    return replace(cli, boundscheck=own.boundscheck, parallel=cli.parallel or own.parallel,
                   fastmath=cli.fastmath | own.fastmath)


# -- output -------------------------------------------------------------------------------
def _temporary_next_to(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(name)


def _umask() -> int:
    # the only way to read it is to set it; noodlec runs no threads that create files
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def output_mode(executable: bool) -> int:
    """The mode `cc` gives a new output: 0777 for a library (`cc -shared`), 0666 for the
    rest (`cc -c`, `cc -S`), less the umask."""
    return (0o777 if executable else 0o666) & ~_umask()


def write_all(outputs: dict[Path, str | bytes], executable: Collection[Path] = ()) -> None:
    """Write every output or none: all to temporary files first, then renamed. The
    temporary files are mkstemp's (mode 0600, so nobody reads a half-written one); each
    gets `output_mode` before the rename."""
    temporaries: dict[Path, Path] = {}
    try:
        for path, data in outputs.items():
            temporary = _temporary_next_to(path)
            temporaries[path] = temporary
            if isinstance(data, bytes):
                temporary.write_bytes(data)
            else:
                temporary.write_text(data)
            os.chmod(temporary, output_mode(path in executable))
        for path, temporary in temporaries.items():
            os.replace(temporary, path)
            temporaries[path] = path
    finally:
        for path, temporary in temporaries.items():
            if temporary != path:
                temporary.unlink(missing_ok=True)


# -- the command --------------------------------------------------------------------------
def no_input_files() -> None:
    """What `cc` says, and its exit status, when given nothing to compile."""
    click.echo("noodlec: error: no input files", err=True)
    sys.exit(1)


def _as_given(error: NoodleError, inputs: tuple[Path, ...]) -> NoodleError:
    """`error` located in an input by the path the command line gave: Python knows a file
    it imported by its absolute path, which clang would not print for a relative one."""
    if error.loc is not None:
        for path in inputs:
            if Path(error.loc.filename).resolve() == path.resolve():
                error.loc = replace(error.loc, filename=str(path))
                break
    if error.hint is not None:  # a hint may name another location ("the other is at")
        for path in inputs:
            error.hint = error.hint.replace(f"{path.resolve()}:", f"{path}:")
    return error


@click.command("compile")
@click.argument("inputs", nargs=-1,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--emit", type=click.Choice(EMIT_CHOICES), default="so", show_default=True,
              help="What to produce (so also writes a C header next to the library).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Output file ('-': standard output). Default: text to standard output, "
                   "obj/so next to the first input's name in the current directory.")
@click.option("-O", "opt_level", type=click.IntRange(0, 3), default=3, show_default=True,
              metavar="0..3", help="LLVM optimisation level (-O0 .. -O3); also what "
                                   "--emit llvm prints and NVVM's level for PTX.")
@click.option("--target", default="cpu", callback=_target, show_default=True,
              help="cpu, cuda or cuda:sm_XX (cuda: --emit ptx or nir).")
@click.option("--parallel", is_flag=True, help="Array loops run on all cores.")
@click.option("--fastmath", is_flag=True, help="LLVM's fast-math flags on float arithmetic.")
@click.option("--sig", "sigs", multiple=True, callback=_signatures, metavar="NAME=SIG",
              help="Compile function NAME of the Python input for signature SIG "
                   "(repeatable).")
@click.option("--lib-name", default=None, metavar="NAME",
              help="Prefix of the library's own C symbols (NAME_error_message); default: "
                   "the output's file name.")
@click.option("-v", "--verbose", is_flag=True, help="Print each stage and its time.")
def compile_command(inputs: tuple[Path, ...], emit: str, output: Path | None, opt_level: int,
                    target: tuple[str, str | None], parallel: bool, fastmath: bool,
                    sigs: list[tuple[str, str]], lib_name: str | None, verbose: bool) -> None:
    """Compile INPUTS (Python files whose functions have explicit signatures, .mlir files)
    ahead of time."""
    if not inputs:
        no_input_files()
    for path in inputs:
        if path.suffix not in (".py", ".mlir"):
            raise click.BadParameter(f"{path}: expected a .py or .mlir file",
                                     param_hint="INPUTS")
    if sigs and not any(p.suffix == ".py" for p in inputs):
        raise click.BadParameter("--sig needs a Python input", param_hint="--sig")
    if target[0] == "cuda" and emit not in ("ptx", "nir"):
        raise click.UsageError(f"--emit {emit} is not available for --target cuda: use "
                               "--emit ptx (or nir)")
    if output is None and emit in ("obj", "so"):
        output = Path(inputs[0].stem + DEFAULT_SUFFIX[emit])
    if output is not None and str(output) != "-":
        _check_outputs(inputs, output, emit)
    lib = library_name(lib_name or (output.stem if output and str(output) != "-"
                                    else inputs[0].stem))
    options = CompileOptions(opt_level=opt_level, parallel=parallel,
                             fastmath=fastmath_flags(fastmath), blas=False)
    try:
        outputs = _compile(inputs, emit, output, target, sigs, lib, options, verbose)
        if output is None or str(output) == "-":
            [data] = outputs.values()
            click.echo(data, nl=False)
        else:
            try:
                write_all(outputs, executable={output} if emit == "so" else ())
            except OSError as e:
                raise CannotOpenOutput(output, e) from None
    except CannotOpenOutput as e:
        # as clang says it: the output as given, not the temporary file next to it
        click.echo(f"noodlec: error: cannot open output file '{e.path}': {e.reason}",
                   err=True)
        sys.exit(1)
    except NoodleError as e:
        click.echo(_as_given(e, inputs).render(), err=True)
        sys.exit(1)
    except OSError as e:
        click.echo(f"noodlec: error: {e}", err=True)
        sys.exit(1)


class CannotOpenOutput(Exception):
    """An output (or the temporary file next to it) could not be created."""

    def __init__(self, path: Path, error: OSError):
        super().__init__(path, error)
        self.path = path
        self.reason = error.strerror or str(error)


def _same_file(a: Path, b: Path) -> bool:
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def _check_outputs(inputs: tuple[Path, ...], output: Path, emit: str) -> None:
    """Refuse, before compiling, outputs that would overwrite an input (as gcc does) or
    each other (a library named `k.h` and its header `k.h`): exit status 1, nothing
    written."""
    written = [output]
    if emit == "so":
        header = output.with_suffix(".h")
        if _same_file(header, output):
            click.echo(f"noodlec: error: the header {header} would overwrite the library "
                       f"{output}: name the library with another suffix (-o "
                       f"{output.with_suffix('.so')})", err=True)
            sys.exit(1)
        written.append(header)
    for path in written:
        for source in inputs:
            if _same_file(path, source):
                click.echo(f"noodlec: error: input file '{source}' is the same as output "
                           f"file{' (the header)' if path is not output else ''}", err=True)
                sys.exit(1)


def _compile(inputs: tuple[Path, ...], emit: str, output: Path | None,
             target: tuple[str, str | None], sigs: list[tuple[str, str]], lib: str,
             options: CompileOptions, verbose: bool) -> dict[Path, str | bytes]:
    units: list[aot.PythonSignature | aot.MlirFile] = []
    without = []  # Python inputs with nothing to compile
    for path in inputs:
        if path.suffix == ".py":
            found = python_signatures(path, sigs, options)
            units += found
            without += [] if found else [path]
        else:
            units.append(aot.MlirFile(path))
    named = {u.pyfunc.__name__ for u in units if isinstance(u, aot.PythonSignature)}
    for name, _ in sigs:
        if name not in named:
            raise click.BadParameter(f"no Python input has a function {name!r}",
                                     param_hint="--sig")
    if without:
        raise NoodleError(f"{without[0]}: no function has an explicit signature",
                          hint='decorate one with @noodle.jit("float64(float64[:])") or '
                               "pass --sig NAME=SIG")
    timer = _print_time if verbose else None
    destination = output if output is not None else Path("-")
    if emit == "ptx" or target[0] == "cuda":
        return {destination: _gpu(units, emit, target[1], options, timer)}
    until = emit if emit in ("nir", "mlir") else "llvm"
    built = aot.build(units, lib, options, until, timer)
    if emit in ("nir", "mlir"):
        return {destination: aot.stage_text(built, emit)}
    if emit == "llvm":
        return {destination: aot.timed("opt", lib, timer,
                                       lambda: aot.make_llvm(built.llvm, options.opt_level))}
    if emit == "asm":
        return {destination: aot.timed("asm", lib, timer,
                                    lambda: aot.make_asm(built.llvm, options.opt_level))}
    obj = aot.timed("obj", lib, timer, lambda: aot.make_obj(built.llvm, options.opt_level))
    if emit == "obj":
        return {destination: obj}
    return _shared_library(built, obj, destination, lib, timer)


def _shared_library(built: aot.Built, obj: bytes, output: Path, lib: str,
                    timer) -> dict[Path, str | bytes]:
    from noodle.compiler.shared_library import link_shared

    if str(output) == "-":
        raise NoodleError("a shared library needs an output file: -o NAME.so")
    try:
        linked = _temporary_next_to(output)
    except OSError as e:
        raise CannotOpenOutput(output, e) from None
    try:
        aot.timed("so", lib, timer, lambda: link_shared(obj, linked, built.externals))
        data = linked.read_bytes()
    finally:
        linked.unlink(missing_ok=True)
    header = output.with_suffix(".h")
    return {output: data, header: aot.make_header(built, lib, noodle.__version__)}


class _GpuPart(NamedTuple):
    """The GPU code of one input unit (a Python signature, an `.mlir` file), to merge."""
    nvvm: str  # its gpu.module at the nvvm stage
    old: str  # the part of its symbols' names that the merge replaces (`merge_gpu_modules`)
    new: str  # ... and with what
    ptx: str  # its own PTX
    kernels: list[tuple[str, list[str]]]  # (what, its kernels' names before the merge)


def _gpu(units: list, emit: str, chip: str | None, options: CompileOptions, timer) -> str:
    """`nir` of each input, or one PTX module holding the kernels of all: each Python
    signature's, each `.mlir` file's functions' (one .ptx file that ptxas assembles, as
    nvcc makes: PTX modules one after the other are not PTX). Each signature's or
    function's kernels are listed in a comment at the top."""
    if emit == "nir":
        return aot.stage_text(aot.build(units, "gpu", CompileOptions(), "nir", timer), "nir")
    from noodle.compiler.gpu import (DEFAULT_CHIP, compile_mlir_to_ptx, compile_to_ptx,
                                     merge_gpu_modules)

    parts: list[_GpuPart] = []
    for unit in units:
        if isinstance(unit, aot.MlirFile):
            found = aot.timed("ptx", str(unit.path), timer, lambda u=unit: compile_mlir_to_ptx(
                u.path, options, chip or DEFAULT_CHIP))
            # an .mlir function's kernels keep the names made of its own: axpy_kernel
            parts.append(_GpuPart(found.nvvm, "", "", found.ptx,
                                  [(f"{name}{signature}", kernels)
                                   for name, (signature, kernels) in found.functions.items()]))
            continue
        what = f"{unit.pyfunc.__qualname__}({unit.signature})"
        program = aot.timed("ptx", what, timer, lambda u=unit: compile_to_ptx(
            u.pyfunc, u.arg_types, u.options, chip or DEFAULT_CHIP))
        # the kernels of a function's several signatures are told apart as its C
        # functions are: trace__f64a2's are noodle_fn_trace__f64a2_kernel...
        suffix = unit.c_name[len(unit.pyfunc.__name__):]
        parts.append(_GpuPart(program.stages["nvvm"], program.kernel.symbol,
                              program.kernel.symbol + suffix, program.ptx,
                              [(what, list(program.params))]))
    if len(parts) == 1 and parts[0].old == parts[0].new:  # nothing to merge or rename
        ptx, renames = parts[0].ptx, [{}]
    else:
        ptx, renames = aot.timed("link", f"{len(parts)} programs", timer,
                                 lambda: merge_gpu_modules([(p.nvvm, p.old, p.new)
                                                            for p in parts]))
    listing = "".join(
        f"// noodlec: {what}: {', '.join(renamed.get(k, k) for k in kernels)}\n"
        for part, renamed in zip(parts, renames) for what, kernels in part.kernels)
    return f"{listing}{ptx.rstrip()}\n"


def _print_time(stage: str, seconds: float, what: str) -> None:
    click.echo(f"noodlec: {stage:<5} {seconds * 1e3:8.1f} ms  {what}", err=True)
