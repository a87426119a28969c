"""noodle-opt's diagnostics: MLIR's diagnostics collected as data and rendered once, at
the edge, the way mlir-opt's source-manager handler renders them
(`file:line:col: error: message`, the source line, a caret)."""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mlir import ir

from noodle.errors import TAB_STOP

#: Notes MLIR attaches to a diagnostic when it prints the op; mlir-opt turns them off
#: under --verify-diagnostics, the bindings cannot, so they are dropped there.
OP_NOTE_PREFIX = "see current operation:"


@dataclass
class Diag:
    """One diagnostic: severity ("error", "warning", "note", "remark"), message, and its
    file location (filename None when the location has no file position, then `where`
    is how MLIR prints that location, or "" for an unknown one)."""
    severity: str
    message: str
    filename: str | None
    line: int = 0
    column: int = 0
    where: str = ""
    notes: list[Diag] = field(default_factory=list)


def from_mlir(diagnostic, renamed: dict[str, str] | None = None) -> Diag:
    """A Diag from an `ir.Diagnostic` (valid only in its handler) or `ir.DiagnosticInfo`
    (from an MLIRError); `renamed` maps file names to the names to report."""
    location = _file_location(diagnostic.location)
    severity = diagnostic.severity.name.lower()
    notes = [from_mlir(note, renamed) for note in diagnostic.notes]
    if location is None:
        where = "" if str(diagnostic.location) == "loc(unknown)" else str(diagnostic.location)
        return Diag(severity, diagnostic.message, None, where=where, notes=notes)
    filename = location.filename
    if renamed:
        filename = renamed.get(filename, filename)
    return Diag(severity, diagnostic.message, filename, location.start_line,
                location.start_col, notes=notes)


def _file_location(location: ir.Location) -> ir.Location | None:
    """The first file location inside `location` (MLIR's findInstanceOf<FileLineColLoc>)."""
    if location.is_a_file():
        return location
    if location.is_a_name():
        return _file_location(location.child_loc)
    if location.is_a_callsite():
        return _file_location(location.callee) or _file_location(location.caller)
    if location.is_a_fused():
        for inner in location.locations:
            found = _file_location(inner)
            if found is not None:
                return found
    return None


class Collector:
    """Collects every diagnostic of a context while attached, errors included (they are
    routed to handlers instead of MLIRError, so they keep their order among warnings and
    IR dumps), and with `sources` writes each to `fd` at once, as mlir-opt does."""

    def __init__(self, context: ir.Context, sources: Sources | None = None,
                 renamed: dict[str, str] | None = None):
        self.diagnostics: list[Diag] = []
        self.sources = sources
        self.renamed = renamed
        self.fd: int | None = None  # None: sys.stderr; else a descriptor to write to
        self._held: list[Diag] | None = None
        context.emit_error_diagnostics = True
        self._handler = context.attach_diagnostic_handler(self._handle)

    def _handle(self, diagnostic) -> bool:
        diag = from_mlir(diagnostic, self.renamed)
        if self._held is not None:
            self._held.append(diag)
        else:
            self.add(diag)
        return True

    def add(self, diag: Diag) -> None:
        self.diagnostics.append(diag)
        if self.sources is None:
            return
        if self.fd is None:
            write_stderr(render(diag, self.sources))
        else:
            os.write(self.fd, render(diag, self.sources).encode("utf-8", "surrogateescape"))

    def hold(self) -> None:
        """Keeps the next diagnostics aside (for an attempt that may be retried)."""
        self._held = []

    def release(self, keep: bool) -> None:
        """Ends `hold`: the held diagnostics are reported if `keep`, else dropped."""
        held, self._held = self._held or [], None
        if keep:
            for diag in held:
                self.add(diag)

    @property
    def errors(self) -> int:
        return sum(d.severity == "error" for d in self.diagnostics)

    def detach(self) -> None:
        self._handler.detach()


class Sources:
    """Source text by file name: the input (which may be stdin) and files read on demand,
    to show the line a diagnostic points at."""

    def __init__(self, name: str, text: str):
        self._texts: dict[str, list[str] | None] = {name: text.split("\n")}

    def line(self, filename: str, number: int) -> str | None:
        if filename not in self._texts:
            try:
                self._texts[filename] = Path(filename).read_text().split("\n")
            except (OSError, UnicodeDecodeError):
                self._texts[filename] = None
        lines = self._texts[filename]
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]


def render_at(filename: str | None, line: int, column: int, severity: str, message: str,
              sources: Sources, where: str = "", show_line: bool = True,
              width: int = 1) -> str:
    """`file:line:col: severity: message` and, when known, the source line with a caret
    (`width` > 1 underlines a range, as mlir-opt does for annotations)."""
    if filename is None:
        # mlir-opt: an unknown location as `<unknown>:0:`, another one before the message
        if not where:
            return f"<unknown>:0: {severity}: {message}\n"
        return f"{severity}: {where}: {message}\n"
    text = f"{filename}:{line}:{column}: {severity}: {message}\n"
    source = sources.line(filename, line) if show_line and line > 0 else None
    if source is not None:
        text += _source_and_caret(source, column, width)
    return text


def _source_and_caret(source: str, column: int, width: int) -> str:
    """The source line and the caret under `column` (1-based, in bytes) as LLVM's
    SourceMgr prints them: tabs expanded, in the caret line alike; a line with a byte
    that is not ASCII printed without a caret, since its columns would not line up."""
    if not source.isascii():
        return _expand_tabs(source, source) + "\n"
    caret = f"{' ' * max(column - 1, 0)}^{'~' * (width - 1)}"
    return f"{_expand_tabs(source, source)}\n{_expand_tabs(caret, source)}\n"


def _expand_tabs(text: str, source: str) -> str:
    """`text` (the source line, or a line of markers under it) with each character under a
    tab of `source` repeated up to the next tab stop (spaces for the tabs themselves)."""
    out: list[str] = []
    for i, char in enumerate(text):
        if i < len(source) and source[i] == "\t":
            fill = " " if char == "\t" else char
            out.append(fill)
            while len(out) % TAB_STOP:
                out.append(fill)
        else:
            out.append(char)
    return "".join(out)


def render(diag: Diag, sources: Sources) -> str:
    """A diagnostic and its notes; a note repeats its source line only when its location
    differs from the one before (as in MLIR's SourceMgrDiagnosticHandler)."""
    text = render_at(diag.filename, diag.line, diag.column, diag.severity, diag.message,
                     sources, diag.where)
    previous = (diag.filename, diag.line, diag.column, diag.where)
    for note in diag.notes:
        here = (note.filename, note.line, note.column, note.where)
        text += render_at(note.filename, note.line, note.column, note.severity, note.message,
                          sources, note.where, show_line=here != previous)
        previous = here
    return text


def report(diagnostics: list[Diag], sources: Sources) -> None:
    """Writes `diagnostics` to stderr."""
    write_stderr("".join(render(diag, sources) for diag in diagnostics))


def write_stderr(text: str) -> None:
    """Writes `text` to stderr, with the bytes of the input that are not UTF-8 (held in
    the text as surrogate escapes) as they were, as mlir-opt echoes a source line."""
    sys.stderr.flush()
    buffer = getattr(sys.stderr, "buffer", None)
    if buffer is None:  # a text-only stream: the escapes as Python writes them
        sys.stderr.write(text)
    else:
        buffer.write(text.encode("utf-8", "surrogateescape"))
        buffer.flush()
