"""noodle's exceptions and warnings: errors as data, rendered once at the edge.

A source problem carries a `SourceLocation`; `str(error)` renders it compiler-style:

    kernels.py:12:8: error: cannot add array(float64, 1d) and tuple
        return a + (1, 2)
               ^
    hint: ...
"""
from __future__ import annotations

import linecache
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceLocation:
    """A position in a Python source file (line 1-based, column 0-based like `ast`)."""
    filename: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.col + 1}"

    def source_line(self) -> str:
        return linecache.getline(self.filename, self.line).rstrip("\n")


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
        if source:
            indent = len(source) - len(source.lstrip())
            lines.append("    " + source.strip())
            lines.append("    " + " " * max(self.loc.col - indent, 0) + "^")
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
