"""`--verify-diagnostics`: the diagnostics a chunk produces are checked against its
`expected-error`, `expected-warning`, `expected-note` and `expected-remark` annotations
(`// expected-error @+1 {{message}}`), as MLIR's SourceMgrDiagnosticVerifierHandler does.

A designator names the line: none (the annotation's own line), `@+N` / `@-N` (relative
to it), `@above` (the closest line above that holds no annotation) or `@below` (the closest
such line below). The message is a substring of the diagnostic's; in `expected-error-re`
the parts inside `{{...}}` are regular expressions. Unmatched diagnostics and annotations
nobody produced are reported as errors, in mlir-opt's words."""
from __future__ import annotations

import re
from dataclasses import dataclass

from noodle.tools.opt_diagnostics import OP_NOTE_PREFIX, Diag, Sources, render_at
from noodle.tools.opt_split import Chunk

_ANNOTATION = re.compile(
    r"expected-(error|note|remark|warning)(-re)? *(@([+-][0-9]+|above|below|[^ ]+))? *"
    r"\{\{(.*)\}\}$")


@dataclass
class Expectation:
    """One annotation: what it expects on which line, and where it is written."""
    severity: str
    pattern: str
    is_regex: bool
    line: int
    at_line: int
    at_column: int
    width: int
    matched: bool = False

    def matches(self, message: str) -> bool:
        if not self.is_regex:
            return self.pattern in message
        return re.search(_regex(self.pattern), message) is not None


def _regex(pattern: str) -> str:
    """`literal {{regex}} literal` -> a Python regex (literal parts escaped)."""
    parts = re.split(r"\{\{(.*?)\}\}", pattern)
    return "".join(part if i % 2 else re.escape(part) for i, part in enumerate(parts))


def expectations(chunk: Chunk) -> tuple[list[Expectation], list[str]]:
    """The chunk's annotations, and errors for designators that name no line."""
    found: list[Expectation] = []
    errors: list[str] = []
    below: list[Expectation] = []
    last_plain = 0
    for offset, text in enumerate(chunk.text.split("\n")):
        number = chunk.line + offset
        prefix = chunk.column - 1 if offset == 0 else 0
        match = _ANNOTATION.search(text)
        if not match:
            for expectation in below:
                expectation.line = number
            below = []
            last_plain = number
            continue
        severity, regex, _, designator, pattern = match.groups()
        column = len(text[:match.start()].encode("utf-8", "surrogateescape")) + 1 + prefix
        # mlir-opt underlines as many columns as the message has
        expectation = Expectation(severity, pattern, bool(regex), number, number, column,
                                  max(len(pattern.encode("utf-8", "surrogateescape")), 1))
        if designator is None:
            pass
        elif designator == "above":
            expectation.line = last_plain
        elif designator == "below":
            below.append(expectation)
        elif designator[0] in "+-":
            expectation.line = number + int(designator)
        else:
            errors.append(f"{number}:{column}: unsupported designator '@{designator}'")
            continue
        found.append(expectation)
    return found, errors


def verify(chunk: Chunk, diagnostics: list[Diag], filename: str, sources: Sources,
           only_expected: bool = False) -> tuple[bool, str]:
    """Whether `diagnostics` are exactly those the chunk's annotations expect, and the
    errors to print if not (`only_expected`: diagnostics no annotation names are let go,
    as mlir-opt's `--verify-diagnostics=only-expected` does)."""
    expected, errors = expectations(chunk)
    out = "".join(f"{filename}:{error.split(': ', 1)[0]}: error: {error.split(': ', 1)[1]}\n"
                  for error in errors)
    ok = not errors
    for diag in _flattened(diagnostics):
        if diag.filename == filename:
            candidate = next((e for e in expected if not e.matched and e.line == diag.line
                              and e.severity == diag.severity and e.matches(diag.message)),
                             None)
            if candidate is not None:
                candidate.matched = True
                continue
        if only_expected:
            continue
        ok = False
        out += render_at(diag.filename, diag.line, diag.column, "error",
                         f"unexpected {diag.severity}: {diag.message}", sources, diag.where)
    for expectation in expected:
        if not expectation.matched:
            ok = False
            out += render_at(filename, expectation.at_line, expectation.at_column, "error",
                             f'expected {expectation.severity} "{expectation.pattern}" was '
                             f"not produced", sources, width=expectation.width)
    return ok, out


def _flattened(diagnostics: list[Diag]) -> list[Diag]:
    flat: list[Diag] = []
    for diag in diagnostics:
        flat.append(diag)
        flat.extend(note for note in diag.notes if not note.message.startswith(OP_NOTE_PREFIX))
    return flat
