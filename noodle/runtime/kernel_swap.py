"""The program's side of the kernel swap (`kernel_swap.c`): a hot key's optimised kernel
put in place of its baseline kernel by a native thread, with no Python in between, so
the program's calls never wait for the GIL while it arrives.

The dispatcher prepares a `Swap` per baseline key (the cell the thread reads and
writes); the compile worker links the optimised kernel into a shared library beside its
metadata and object code (`SwapFiles`) and sends the thread the cell's address and the
library's path (`request`). The dispatcher settles a swap later, in Python, whenever
the program next asks about its functions: it adopts the library the thread loaded, or,
where the thread could not load it, loads the object code itself.
"""
from __future__ import annotations

import atexit
import ctypes
import json
import os
import shutil
import struct
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import NamedTuple

from noodle.compiler import python_entry as E
from noodle.runtime import profiler

try:
    from noodle.runtime import _kernel_swap
except ImportError:  # built with noodle; absent where it could not be compiled
    _kernel_swap = None

PENDING, LOADING, DONE, FAILED, CANCELLED = range(5)


class _Cell(ctypes.Structure):
    """`swap_cell` in kernel_swap.c."""
    _fields_ = [("state", ctypes.c_uint64), ("method", ctypes.c_void_p),
                ("runtime_table", ctypes.c_void_p), ("runtime_table_words", ctypes.c_uint64),
                ("runtime_table_index", ctypes.c_uint64), ("entry_index", ctypes.c_uint64),
                ("handle", ctypes.c_void_p), ("symbol", ctypes.c_char * 256),
                ("error", ctypes.c_char * 512)]


class SwapFiles(NamedTuple):
    """Where a worker leaves an optimised kernel: the shared library the thread loads,
    and the kernel's metadata and object code, which the program reads when it settles
    the swap (and loads, if the thread could not)."""
    library: str
    metadata: str
    obj: str

    @classmethod
    def at(cls, base: str) -> SwapFiles:
        return cls(f"{base}.so", f"{base}.json", f"{base}.o")

    def write_kernel(self, metadata: dict, obj: bytes, compile_seconds: float) -> None:
        Path(self.obj).write_bytes(obj)
        Path(self.metadata).write_text(json.dumps({"kernel": metadata,
                                                   "compile_seconds": compile_seconds}))

    def read_kernel(self) -> tuple[dict, bytes, float]:
        """(metadata, object code, compile seconds), and the files are removed."""
        saved = json.loads(Path(self.metadata).read_text())
        obj = Path(self.obj).read_bytes()
        self.remove()
        return saved["kernel"], obj, saved["compile_seconds"]

    def remove(self) -> None:
        for path in self:
            Path(path).unlink(missing_ok=True)


@cache
def _swapper(pid: int) -> tuple[int, str]:
    """This process's swap thread, started on first use: the write end of its requests
    pipe (inherited by the compile workers forked after it), and the directory workers
    leave their kernels in. Keyed by the process, since a fork has no such thread."""
    read_end, write_end = os.pipe()
    _kernel_swap.start(read_end)
    directory = tempfile.mkdtemp(prefix="noodle-swap-")
    atexit.register(_at_exit, directory, pid)
    return write_end, directory


def _at_exit(directory: str, owner: int) -> None:
    """Before the interpreter frees the entries: stop the swaps that have not begun, let
    those under way finish (a dlopen: milliseconds), settle those done, whose files
    their settling reads (exit hooks run in any order: the metrics file's asks for
    `noodle.stats()`), and only then remove the directory. A fork of the program that
    exits through atexit leaves its parent's alone."""
    if os.getpid() != owner:
        return
    for swap in list(_IN_FLIGHT):
        if not swap.cancel():
            for _ in range(10_000):
                if swap.state != LOADING:
                    break
                time.sleep(0.0001)
    for dispatcher in profiler.tracked():
        dispatcher.profiles()
    shutil.rmtree(directory, ignore_errors=True)


def available() -> bool:
    """Whether this process swaps kernels natively (starting its thread if need be):
    not where the extension is missing, nor where no thread, pipe or temporary
    directory can be made (a full /tmp), where promotions take the Python way."""
    if not (_kernel_swap is not None and hasattr(os, "fork")
            and ctypes.sizeof(_Cell) == _kernel_swap.cell_size()):
        return False
    try:
        _swapper(os.getpid())
    except OSError:
        return False
    return True


def requests_fd() -> int:
    """Where workers write requests (`request`); -1 where swaps are not available."""
    return _swapper(os.getpid())[0] if available() else -1


def request(cell: int, library: str) -> bytes:
    """The request to swap in the library at `library` for the swap whose cell is at
    `cell` (one write: at most PIPE_BUF bytes)."""
    path = library.encode()
    return struct.pack("<QI", cell, len(path)) + path


def cancel(cell: int) -> bool:
    """Stop the swap of `cell` if it has not begun: True if it now never will."""
    return _kernel_swap.cancel(cell)


class Swap:
    """One baseline key's swap: its cell, and the baseline entry it changes.

    The thread writes into that entry's method definition, so from `begin` until `end`
    (the swap settled) the swap is kept here, and the entry with it, even if its function
    is let go; and a swap still in flight when the program exits is stopped (`_at_exit`)."""

    def __init__(self, entry: object, name: str):
        self.entry = entry
        self.files = SwapFiles.at(os.path.join(_swapper(os.getpid())[1], name))
        self._cell = _Cell.from_address(_kernel_swap.new_cell())
        self._cell.method = entry.method_address
        self._cell.runtime_table = entry.addresses.runtime_table
        self._cell.runtime_table_words = E.RT_SIZE
        self._cell.runtime_table_index = E.ADDRESSES.index("runtime_table")
        self._cell.entry_index = E.ADDRESSES.index("python_entry")
        self._cell.symbol = E.addresses_name(entry.symbol).encode()

    def begin(self) -> None:
        _IN_FLIGHT.add(self)

    def end(self) -> None:
        _IN_FLIGHT.discard(self)

    @property
    def cell(self) -> int:
        return ctypes.addressof(self._cell)

    @property
    def state(self) -> int:
        return self._cell.state

    @property
    def error(self) -> str:
        return self._cell.error.decode(errors="replace")

    def cancel(self) -> bool:
        return cancel(self.cell)

    def library(self) -> LoadedLibrary:
        return LoadedLibrary(self._cell.handle)


_IN_FLIGHT: set[Swap] = set()


class LoadedLibrary:
    """A shared library the swap thread loaded, as `LoadedObject` presents an object."""

    def __init__(self, handle: int):
        self._library = ctypes.CDLL(None, handle=handle)

    def address(self, symbol: str) -> int:
        try:
            return ctypes.cast(getattr(self._library, symbol), ctypes.c_void_p).value
        except AttributeError:
            raise RuntimeError(f"symbol {symbol} not found in compiled object") from None

    global_address = address
