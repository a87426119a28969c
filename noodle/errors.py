"""noodle's exceptions and warnings: errors as data, rendered once at the edge.

A source problem carries a `SourceLocation`; `str(error)` renders it compiler-style, as
clang and mlir-opt do: the source line as written (tabs expanded to 8-column stops), the
caret under the column.

    kernels.py:12:12: error: cannot add array(float64, 1d) and tuple
        return a + (1, 2)
               ^
    hint: ...
"""
from __future__ import annotations

import linecache
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLocation:
    """A position in a source file: line 1-based, column a 0-based offset in UTF-8 bytes
    (as `ast`'s `col_offset`; MLIR's columns are the same bytes, 1-based)."""
    filename: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.col + 1}"

    def source_line(self) -> str:
        return linecache.getline(self.filename, self.line).rstrip("\n")


#: the tab stops of a printed source line, as LLVM's SourceMgr (clang, mlir-opt) expands them
TAB_STOP = 8


def caret_column(line: str, col: int) -> int:
    """The screen column (0-based) under which a caret marks byte offset `col` of `line`
    once its tabs are expanded: the bytes are UTF-8, so a multi-byte character before
    the column takes one column, not one per byte."""
    before = line.encode()[:max(col, 0)].decode("utf-8", errors="ignore")
    return len(before.expandtabs(TAB_STOP))


class NoodleError(Exception):
    """Base class of the errors noodle raises: a message, where, and what to do."""

    def __init__(self, message: str, loc: SourceLocation | None = None,
                 hint: str | None = None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        if self.loc is None:
            head = f"error: {self.message}"
            return head if self.hint is None else f"{head}\nhint: {self.hint}"
        lines = [f"{self.loc}: error: {self.message}"]
        source = self.loc.source_line()
        if source.strip():
            lines.append(source.expandtabs(TAB_STOP))
            lines.append(" " * caret_column(source, self.loc.col) + "^")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class TypingError(NoodleError):
    """The code is valid Python but its types do not fit together for compilation."""


class UnsupportedError(NoodleError):
    """The code uses a construct, function or argument type noodle does not compile."""


class LoweringError(NoodleError):
    """An internal failure while lowering or generating code (a noodle bug)."""


class CacheError(NoodleError):
    """The kernel cache could not be read or written."""


class NoodleFallbackWarning(UserWarning):
    """A function runs as plain Python because it could not be compiled."""


class NoodleCacheWarning(UserWarning):
    """A kernel cache entry was unreadable or could not be written; noodle recompiles."""


class NoodleConfigWarning(UserWarning):
    """A `NOODLE_*` setting could not be used as given; noodle goes on without it."""
