"""noodle-opt's pass pipelines: MLIR's textual syntax (`builtin.module(canonicalize,
func.func(cse), nir-fuse-elementwise, apply-fastmath{flags=nnan})`) with upstream and
noodle passes mixed, parsed here and built into one PassManager.

Python-defined passes cannot be named in a textual pipeline (`PassManager.parse` knows only
registered C++ passes), so the pipeline is parsed in Python: each run of upstream elements
goes to `PassManager.add(text)` exactly as the user wrote it (so upstream-only pipelines are
the very pipelines mlir-opt builds), and each noodle pass to `PassManager.add(callable)`.

A noodle pass under an anchor (`func.func(nir-simplify)`) cannot be added to a nested
pass manager (`add(callable, op_name=...)` fails at run time), so it runs as a module-level
pass that applies itself to every op the anchor path names, as a nested pass manager would
(ops directly nested in the parent's regions, with the anchor's name; `any` matches all).
A noodle pass restricted to one op (`PASS_ANCHOR`: the catseq passes work on a whole
module) is refused under another anchor with mlir-opt's "did you intend to nest?", and
under `any` runs only on the ops it is restricted to, as MLIR schedules such a pass.
Upstream passes beside it in the same anchor stay nested: `func.func(canonicalize,
nir-simplify, cse)` becomes `func.func(canonicalize)`, nir-simplify on each function,
`func.func(cse)`, which computes the same thing for function-local passes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from mlir import ir
from mlir.passmanager import PassManager

from noodle.passes.registry import (PASS_ANCHORS, PASS_OPTIONS, PASSES, PassCallable,
                                   configured_pass, report_failure)

_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
_OPTION_KEY = re.compile(r"[^\s=]+")
_SEPARATOR = re.compile(r"[,(){]")
_UNKNOWN_UPSTREAM = re.compile(r"'([^']+)' does not refer to a registered pass")


@dataclass
class PassElement:
    """One pass: `name` or `name{options}` (options as written, braces excluded)."""
    name: str
    options: str
    offset: int
    text: str

    @property
    def is_noodle(self) -> bool:
        return self.name in PASSES


@dataclass
class AnchorElement:
    """`op_name(elements)`: the elements run on each op named `op_name`."""
    op_name: str
    elements: list[Element]
    offset: int
    text: str

    @property
    def is_noodle(self) -> bool:
        """Whether any noodle pass is nested in it (it then cannot be upstream text)."""
        return any(e.is_noodle for e in self.elements)


Element = PassElement | AnchorElement


class PipelineError(Exception):
    """A pipeline that does not parse or names a pass or option that does not exist;
    rendered as mlir-opt prints it: `<unknown>:0: error: `, then (for an error in the
    pipeline's text) MLIR's pipeline parser's own diagnostic: position, text, caret."""

    def __init__(self, message: str, text: str | None = None, offset: int = 0):
        super().__init__(message)
        self.message, self.text, self.offset = message, text, offset

    def render(self) -> str:
        if self.text is None:
            return f"<unknown>:0: error: {self.message}"
        return (f"<unknown>:0: error: MLIR Textual PassPipeline Parser:1:{self.offset + 1}: "
                f"error: {self.message}\n{self.text}\n{' ' * self.offset}^\n")


#: what LLVM's StringRef::trim takes for white space
_SPACE = " \t\n\v\f\r"


def _parse_text(text: str) -> list[Element]:
    """The elements of `text` (a pipeline without its anchor: `a,b{opts},op(c)`), read as
    MLIR's TextualPipeline reads it, so that what it accepts and the position and words of
    each error are mlir-opt's: a name runs to the next `,(){` and is trimmed; options run
    to the `}` that balances their `{` (quotes are not special there); after `)` or
    options only white space, `,` or `)` may follow."""
    root: list[Element] = []
    if not text:
        return root
    stack: list[list[Element]] = [root]
    pos = 0
    while True:
        match = _SEPARATOR.search(text, pos)
        stop = match.start() if match else len(text)
        raw = text[pos:stop]
        name = raw.strip(_SPACE)
        offset = pos + len(raw) - len(raw.lstrip(_SPACE))
        element = PassElement(name, "", offset, name)
        stack[-1].append(element)
        if match is None:
            break  # MLIR reports unbalanced parentheses at the start of this last name
        pos = stop
        if text[pos] == "{":
            depth, close = 0, None
            for index in range(pos, len(text)):
                depth += {"{": 1, "}": -1}.get(text[index], 0)
                if depth == 0:
                    close = index
                    break
            if close is None:
                raise PipelineError("missing closing '}' while processing pass options",
                                    text, pos)
            element.options = text[pos + 1:close]
            element.text = f"{name}{{{element.options}}}"
            pos = close + 1
        elif text[pos] == "(":
            anchor = AnchorElement(name, [], offset, name)
            stack[-1][-1] = anchor
            stack.append(anchor.elements)
            pos += 1
            continue
        pos = _skip_space(text, pos)
        while text.startswith(")", pos):
            if len(stack) == 1:
                raise PipelineError("encountered extra closing ')' creating unbalanced "
                                    "parentheses while parsing pipeline", text, pos)
            stack.pop()
            anchor = stack[-1][-1]
            anchor.text = f"{anchor.op_name}({','.join(e.text for e in anchor.elements)})"
            pos = _skip_space(text, pos + 1)
        if pos == len(text):
            break
        if not text.startswith(",", pos):
            raise PipelineError("expected ',' after parsing pipeline", text, pos)
        pos += 1
    if len(stack) > 1:
        raise PipelineError("encountered unbalanced parentheses while parsing pipeline",
                            text, pos)
    return root


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _SPACE:
        pos += 1
    return pos


def _group_end(text: str, start: int) -> int | None:
    """The index just past the group opening at `text[start]` (a quote, or a `{` closed by
    its matching `}`, nested braces and quoted text within counted), None if it is never
    closed. MLIR's option syntax lets a value hold a nested pipeline or option list
    (`a={b={c}}`), so the first `}` need not end it."""
    opening = text[start]
    if opening in "\"'":
        end = text.find(opening, start + 1)
        return None if end < 0 else end + 1
    depth, pos = 0, start
    while pos < len(text):
        char = text[pos]
        if char in "\"'":
            end = _group_end(text, pos)
            if end is None:
                return None
            pos = end
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        pos += 1
        if depth == 0:
            return pos
    return None


@dataclass
class Pipeline:
    """A `--pass-pipeline`: the op its pass manager is anchored on (`builtin.module`,
    `any`, or another op, which mlir-opt refuses only when it runs on the module) and
    its elements; `text` is what the elements' offsets count in."""
    anchor: str
    elements: list[Element]
    text: str


def parse_pipeline(text: str) -> Pipeline:
    """`op(elements)`, the form `--pass-pipeline` takes, read as mlir-opt reads it: the
    whole text trimmed, the anchor up to the first `(`, the elements up to the last `)`;
    then every pass name must be noodle's or upstream's, and noodle passes' options are
    checked."""
    text = text.strip(_SPACE)
    start = text.find("(")
    if start <= 0 or not text.endswith(")"):
        raise PipelineError("expected pass pipeline to be wrapped with the anchor operation "
                            "type, e.g. 'builtin.module(...)'")
    anchor, inner = text[:start].rstrip(_SPACE), text[start + 1:-1]
    elements = _parse_text(inner)
    _check_names(elements, inner)
    return Pipeline(anchor, elements, inner)


def pipeline_from_flags(flags: list[tuple[str, str]]) -> list[Element]:
    """The elements of per-pass flags (`--canonicalize`, `--cse=...`) in their order;
    a flag's value holds its options as mlir-opt takes them (`--canonicalize="a=1 b=2"`)."""
    elements: list[Element] = []
    for name, options in flags:
        text = f"{name}{{{options}}}" if options else name
        elements.append(PassElement(name, options, 0, text))
    # as in a pipeline, a noodle pass's options are checked before any input is read
    _check_names(elements, None)
    return elements


def is_pass_name(name: str) -> bool:
    """Whether `name` is a noodle pass or a registered upstream pass or pass pipeline: what
    mlir-opt takes as a per-pass flag `--name` (anything else is an unknown argument)."""
    if name in PASSES:
        return True
    if not _NAME.fullmatch(name):
        return False  # `a,b` or `a(b)` would parse as a pipeline, yet are no one pass
    try:
        with ir.Context():
            PassManager.parse(f"builtin.module({name})")
    except ValueError as e:
        # a pass that merely wants options fails otherwise, and is still a pass
        return _UNKNOWN_UPSTREAM.search(str(e)) is None
    return True


def _check_names(elements: list[Element], text: str | None) -> None:
    """Pass names and noodle passes' options are checked now, before any input is read,
    in order, as MLIR resolves a pipeline (`text`: the pipeline to point the error at;
    None for per-pass flags, whose names the command line has checked)."""
    for element in elements:
        if isinstance(element, AnchorElement):
            _check_names(element.elements, text)
            continue
        if text is not None and not is_pass_name(element.name):
            raise PipelineError(f"'{element.name}' does not refer to a registered pass or "
                                f"pass pipeline", text, element.offset)
        if element.is_noodle:
            try:
                configured_pass(element.name, parse_options(element.options))
            except ValueError as e:
                raise PipelineError(str(e), text, element.offset) from None


def parse_options(options: str) -> dict[str, str]:
    """`a=1 b="x y" c={d={e} f}` -> {"a": "1", "b": "x y", "c": "d={e} f"}; a bare `a` is
    "true". As in MLIR, a value runs to the first space outside quotes and braces, and one
    pair of quotes or braces around the whole value is removed."""
    parsed: dict[str, str] = {}
    pos = 0
    while True:
        while pos < len(options) and options[pos].isspace():
            pos += 1
        if pos == len(options):
            return parsed
        key = _OPTION_KEY.match(options, pos)
        if key is None:  # a stray `=`: MLIR would reject it; skip it rather than loop
            pos += 1
            continue
        pos = key.end()
        if not options.startswith("=", pos):
            parsed[key.group()] = "true"
            continue
        start = pos = pos + 1
        while pos < len(options) and not options[pos].isspace():
            end = _group_end(options, pos) if options[pos] in "{\"'" else None
            pos = end if end is not None else pos + 1
        value = options[start:pos]
        if len(value) >= 2 and _group_end(value, 0) == len(value):
            value = value[1:-1]  # `{...}` or a quoted string, as one whole value
        parsed[key.group()] = value


@dataclass
class FailureRecord:
    """Which noodle pass failed, and on which op, and which upstream passes failed (as
    MLIR's IR printer names them), for the crash reproducer's note."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    upstream: list[str] = field(default_factory=list)


def _noodle_pass(element: PassElement, path: list[str], record: FailureRecord) -> PassCallable:
    """The callable for noodle pass `element` at anchor `path` (op names below the
    module): errors become MLIR diagnostics and a pass failure, never a Python traceback."""
    run = configured_pass(element.name, parse_options(element.options))

    anchor = PASS_ANCHORS[element.name]

    def run_checked(op: ir.Operation, pass_: object) -> None:
        for target in _ops_at(op, path):
            if anchor != "any" and target.name != anchor:
                continue  # under `any`: MLIR does not schedule the pass on other ops
            try:
                run(target, _Recorded(pass_, record, element.name, target.name))
            except Exception as e:  # noqa: BLE001 -- a diagnostic, never a traceback
                report_failure(element.name, e, target)
                record.failed.append((element.name, target.name))
                pass_.signal_pass_failure()
                return
    return run_checked


class _Recorded:
    """The pass object a noodle pass sees: its failure signal is also recorded."""

    def __init__(self, pass_: object, record: FailureRecord, name: str, op_name: str):
        self._pass, self._record, self._failed = pass_, record, (name, op_name)

    def signal_pass_failure(self) -> None:
        self._record.failed.append(self._failed)
        self._pass.signal_pass_failure()

    def __getattr__(self, name: str):
        return getattr(self._pass, name)


def _ops_at(root: ir.Operation, path: list[str]) -> list[ir.Operation]:
    ops = [root]
    for name in path:
        ops = [child.operation for op in ops for region in op.regions
               for block in region.blocks for child in block.operations
               if name == "any" or child.operation.name == name]
    return ops


def _upstream_text(elements: list[Element], path: list[str]) -> str:
    text = ",".join(e.text for e in elements)
    for name in reversed(path):
        text = f"{name}({text})"
    return text


def _steps(elements: list[Element], path: list[str]) \
        -> list[tuple[str, list[Element], list[str]]]:
    """The pipeline as steps: ("upstream", elements, path) for a run of upstream elements
    nested at `path`, ("noodle", [pass], path) for a noodle pass."""
    steps: list[tuple[str, list[Element], list[str]]] = []
    run: list[Element] = []
    for element in elements:
        if not element.is_noodle:
            run.append(element)
            continue
        if run:
            steps.append(("upstream", run, path))
            run = []
        if isinstance(element, AnchorElement):
            steps.extend(_steps(element.elements, [*path, element.op_name]))
        else:
            steps.append(("noodle", [element], path))
    if run:
        steps.append(("upstream", run, path))
    return steps


def build_pass_manager(elements: list[Element], text: str | None,
                       record: FailureRecord, anchor: str = "builtin.module") -> PassManager:
    """One PassManager on `anchor` (in the current context) running `elements`; `text` is
    the pipeline as the user wrote it, to point errors at. Under an anchor other than
    `builtin.module` or `any` the manager cannot run on the module (MLIR says so when it
    is run, as in mlir-opt), and noodle passes are left out of it: adding a Python pass
    to a manager on another op aborts the process."""
    pm = PassManager(anchor)
    for kind, run, path in _steps(elements, []):
        if kind == "noodle":
            element = run[0]
            try:
                pass_ = _noodle_pass(element, path, record)
            except ValueError as e:  # an option the pass does not take, or a bad value
                raise PipelineError(str(e), text, element.offset) from None
            _check_anchor(element, [anchor, *path])
            if anchor not in ("builtin.module", "any"):
                continue
            pm.add(pass_, name=element.name, argument=element.name,
                   description=PASSES[element.name][1])
            continue
        try:
            pm.add(_upstream_text(run, path))
        except ValueError as e:
            raise _upstream_error(str(e), run, text) from None
    return pm


def _check_anchor(element: PassElement, path: list[str]) -> None:
    """Refuses noodle pass `element` nested at `path` (the pipeline's anchor first) where
    it is restricted to another op, in mlir-opt's words (the nesting named from the
    inside out)."""
    anchor = PASS_ANCHORS[element.name]
    nested_on = path[-1]
    if anchor in ("any", nested_on) or nested_on == "any":
        return
    lines = [f"Can't add pass '{element.name}' restricted to '{anchor}' on a PassManager "
             f"intended to run on '{nested_on}', did you intend to nest?",
             f"failed to add `{element.name}` with options `{element.options}`",
             *(f"failed to add `{name}` with options `` to inner pipeline"
               for name in reversed(path[1:]))]
    raise PipelineError("\n".join(lines) + "\n")


def _upstream_error(message: str, run: list[Element], text: str | None) -> PipelineError:
    unknown = _UNKNOWN_UPSTREAM.search(message)
    if unknown:
        name = unknown.group(1)
        offset = next((e.offset for e in _walk(run) if e.name == name), 0) \
            if text is not None else 0
        return PipelineError(f"'{name}' does not refer to a registered pass or pass "
                             f"pipeline (upstream or noodle's)", text, offset)
    if text is None:
        # per-pass flags: mlir-opt's option parser says what is wrong, and nothing of
        # adding a pass to a pipeline
        message = message.split("\nfailed to add ", 1)[0]
    # MLIR's text as it is, blank lines included: mlir-opt prints it so
    return PipelineError(message)


def _walk(elements: list[Element]):
    for element in elements:
        yield element
        if isinstance(element, AnchorElement):
            yield from _walk(element.elements)


def canonical_pipeline(elements: list[Element], anchor: str = "builtin.module") -> str:
    """The pipeline as `anchor(...)` text with every option spelt out, the way an MLIR
    crash reproducer records it (upstream passes as MLIR prints them)."""
    return f"{anchor}({_canonical(elements)})"


def _canonical(elements: list[Element]) -> str:
    pieces: list[str] = []
    for kind, run, path in _steps(elements, []):
        if kind == "noodle":
            piece = _noodle_text(run[0])
            for name in reversed(path):
                piece = f"{name}({piece})"
            pieces.append(piece)
        else:
            # MLIR's reproducer separates top-level passes with ", ", nested ones with ","
            groups = [run] if path else [[element] for element in run]
            for group in groups:
                printed = str(PassManager.parse(
                    f"builtin.module({_upstream_text(group, path)})"))
                pieces.append(printed[len("builtin.module("):-1])
    return ", ".join(pieces)


def _noodle_text(element: PassElement) -> str:
    defaults = {name: default for name, (default, *_help_and_type) in
                PASS_OPTIONS.get(element.name, {}).items()}
    if not defaults:
        return element.name
    chosen = {**defaults, **parse_options(element.options)}
    return element.name + "{" + " ".join(f"{k}={v}" for k, v in sorted(chosen.items())) + "}"


def dump_pipeline(elements: list[Element], anchor: str = "builtin.module") -> str:
    """The pipeline as `--dump-pass-pipeline` prints it: mlir-opt's indented layout, every
    upstream option spelt out, noodle passes where the user put them."""
    body = _pretty(elements, [], "  ")
    return f"Pass Manager with {len(elements)} passes:\n{anchor}(\n{body}\n)\n\n"


def _pretty(elements: list[Element], path: list[str], indent: str) -> str:
    lines = []
    for element in elements:
        if isinstance(element, AnchorElement):
            nested = _pretty(element.elements, [*path, element.op_name], indent + "  ")
            lines.append(f"{indent}{element.op_name}(\n{nested}\n{indent})")
        elif element.is_noodle:
            lines.append(indent + _noodle_text(element))
        else:
            # printed where it is nested (a pass tied to an op kind parses only there), then
            # cut out of "builtin.module(a(b(PASS)))"
            printed = str(PassManager.parse(f"builtin.module({_upstream_text([element], path)})"))
            start = len("builtin.module(") + sum(len(name) + 1 for name in path)
            lines.append(indent + printed[start:-(len(path) + 1)])
    return ",\n".join(lines)
