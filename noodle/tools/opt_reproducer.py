"""Crash reproducers (`--mlir-pass-pipeline-crash-reproducer=FILE`): when a pipeline fails
or crashes, FILE holds the IR it started from and the pipeline, in mlir-opt's format
(the module, then `{-# external_resources: { mlir_reproducer: { pipeline: "...",
disable_threading: ..., verify_each: ... } } #-}`), so `mlir-opt --run-reproducer FILE`
replays it where every pass is upstream, and `noodle-opt --run-reproducer FILE` always.

As in mlir-opt, FILE is written only when the pipeline fails: a run that succeeds leaves
whatever is at FILE alone (an earlier chunk's reproducer included), and a FILE that cannot
be written is said so in the failure's note. A failing pass can abort the process (these
MLIR builds assert), so the pipeline runs in a forked child, which keeps the reproducer of
the step it is running in a `PendingReproducer` the parent shares: the child writes FILE
when a pass fails, the parent when the child dies. The fork happens before the child's
MLIR context exists: no MLIR thread pool is copied half-alive."""
from __future__ import annotations

import os
import re
import signal
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

from mlir import ir

from noodle.tools.opt_source import quoted

_RESOURCE = re.compile(r"\{-#\s*external_resources:\s*\{\s*mlir_reproducer:\s*\{(.*?)\}\s*\}"
                       r"\s*#-\}", re.S)


def reproducer_text(module: ir.Operation, pipeline: str, disable_threading: bool,
                    verify_each: bool) -> str:
    """The module as mlir-opt prints it in a reproducer, with the pipeline resource."""
    return (f"{module.get_asm()}\n{{-#\n  external_resources: {{\n    mlir_reproducer: {{\n"
            f"      pipeline: {quoted(pipeline)},\n"
            f"      disable_threading: {str(disable_threading).lower()},\n"
            f"      verify_each: {str(verify_each).lower()}\n    }}\n  }}\n#-}}\n")


def write_reproducer(path: str, text: str) -> str | None:
    """Writes reproducer `text` to `path`: None, or why it could not, in mlir-opt's words
    (which its note puts where it would have said where the reproducer is)."""
    try:
        with open(path, "w") as file:
            file.write(text)
    except OSError as e:
        return ("failed to create output stream: Failed to create reproducer stream: "
                f"cannot open output file '{path}': {e.strerror}")
    return None


class PendingReproducer:
    """The reproducer of the pipeline step a forked child is running, in an anonymous
    temporary file that the parent and the child share (read and written at offset 0,
    so neither process's file position or buffer matters)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()

    def hold(self, text: str) -> None:
        data = text.encode()
        os.ftruncate(self._file.fileno(), 0)
        os.pwrite(self._file.fileno(), data, 0)

    def clear(self) -> None:
        os.ftruncate(self._file.fileno(), 0)

    def held(self) -> str:
        """The text held ("" if none)."""
        size = os.fstat(self._file.fileno()).st_size
        return os.pread(self._file.fileno(), size, 0).decode()

    def close(self) -> None:
        self._file.close()


@dataclass
class Reproducer:
    """What `--run-reproducer` needs from a reproducer file."""
    source: str
    pipeline: str
    disable_threading: bool
    verify_each: bool


def read_reproducer(text: str) -> Reproducer | None:
    """The reproducer in `text` (its resource blanked out of the source, lines kept), or
    None if `text` carries no `mlir_reproducer` resource."""
    match = _RESOURCE.search(text)
    if match is None:
        return None
    fields = dict(re.findall(r'(\w+):\s*("(?:[^"\\]|\\.)*"|\w+)', match.group(1)))
    pipeline = re.sub(r"\\([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)),
                      fields.get("pipeline", '""')[1:-1])
    blank = re.sub(r"[^\n]", " ", match.group())
    return Reproducer(text[:match.start()] + blank + text[match.end():], pipeline,
                      fields.get("disable_threading") == "true",
                      fields.get("verify_each", "true") == "true")


def run_forked(work: Callable[[], tuple[bool, str]]) -> tuple[bool, str, int | None]:
    """Runs `work` (-> success, output text) in a forked child; returns its success, its
    output, and the number of the signal that killed it (None if it exited)."""
    sys.stdout.flush()
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        code = 2
        try:
            ok, output = work()
            with os.fdopen(write_end, "w") as pipe:
                pipe.write(output)
            code = 0 if ok else 1
        except Exception as e:  # noqa: BLE001 -- one line, as in the parent, never a traceback
            sys.stderr.write(f"noodle-opt: internal error: {type(e).__name__}: {e}\n")
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        output = pipe.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return False, output, os.WTERMSIG(status)
    if os.WEXITSTATUS(status) == 2:
        raise RuntimeError("the pipeline's child process failed (see above)")
    return os.WEXITSTATUS(status) == 0, output, None


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
