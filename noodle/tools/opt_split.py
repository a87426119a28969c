"""`--split-input-file`: an input split into chunks at a marker line (`// -----`), each
processed on its own, their outputs joined by the output marker, as mlir-opt does.

A chunk keeps where it starts in the file, so that its locations and diagnostics carry
the file's own line and column numbers (mlir-opt 22 reports them so, and a
`--verify-diagnostics` annotation then names lines of the whole file)."""
from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MARKER = "// -----"


@dataclass
class Chunk:
    """A piece of the input: its text, and the line and column (1-based, columns in
    bytes as MLIR counts them) of its first character in the whole input."""
    text: str
    line: int
    column: int
    index: int

    def padded(self) -> str:
        """The text preceded by blank lines and spaces, so a parser that starts at
        line 1, column 1 finds every character at its place in the whole input."""
        return "\n" * (self.line - 1) + " " * (self.column - 1) + self.text


def split_input(text: str, marker: str | None) -> list[Chunk]:
    """The chunks of `text` between occurrences of `marker` (the whole text if None)."""
    if not marker:
        return [Chunk(text, 1, 1, 0)]
    chunks: list[Chunk] = []
    start, line, column = 0, 1, 1
    while True:
        at = text.find(marker, start)
        end = len(text) if at < 0 else at
        chunks.append(Chunk(text[start:end], line, column, len(chunks)))
        if at < 0:
            return chunks
        start = at + len(marker)
        line = text.count("\n", 0, start) + 1
        line_start = text.rfind("\n", 0, start) + 1
        column = len(text[line_start:start].encode("utf-8", "surrogateescape")) + 1


def join_outputs(outputs: list[str], marker: str) -> str:
    """The chunks' outputs joined as mlir-opt joins them (an empty marker: no separator)."""
    separator = f"{marker}\n" if marker else ""
    return separator.join(outputs)
