"""Parsing one input chunk into a module the way mlir-opt does: locations name the input
file (`"<stdin>"` for stdin) with the chunk's lines and columns in the whole file, and ops
not inside a `module` are wrapped in one located at the chunk's start (line 0, column 0
for the first chunk).

The bindings set a source name only in `Operation.parse`, which takes exactly one
top-level op; several ops are wrapped in `module { ... } loc(...)` written into the
chunk's leading padding or over a comment line before the first op, so no position
moves. Where that is impossible (code from the first line on, a construct the wrapper
breaks, or bytes that are not UTF-8, which only `Module.parse` takes), the chunk is
parsed with `Module.parse` (file name "-") and reparsed from its generic form with the
locations renamed."""
from __future__ import annotations

from mlir import ir

from noodle.tools.opt_diagnostics import Collector
from noodle.tools.opt_split import Chunk

_WRAPPER = "module {"
_NOT_ONE_OP = "source must contain a single top-level operation"


class SourceError(Exception):
    """The chunk does not parse or verify; the collector has the diagnostics."""


def quoted(name: str) -> str:
    """`name` as MLIR prints a string in a location (non-printable bytes, `"` and `\\` as
    `\\XX` hexadecimal escapes)."""
    out = []
    for byte in name.encode("utf-8", "surrogateescape"):
        char = chr(byte)
        out.append(char if 32 <= byte < 127 and char not in '"\\' else f"\\{byte:02X}")
    return '"' + "".join(out) + '"'


def parse_chunk(chunk: Chunk, name: str, collector: Collector) -> ir.Operation:
    """The chunk as a `builtin.module` op in the current context (raises SourceError;
    `collector` gets the diagnostics, with the file named `name`)."""
    padded = chunk.padded()
    line, column = (0, 0) if chunk.index == 0 else (chunk.line, chunk.column)
    if _undecodable(padded):
        # bytes that are not UTF-8 reach the parser only as bytes, which only
        # `Module.parse` takes
        try:
            return _parse_renamed(padded, name, (line, column), collector)
        except ir.MLIRError:
            raise SourceError() from None
    collector.hold()  # a first try that finds several ops is no error of the input
    try:
        op = ir.Operation.parse(padded, source_name=name)
    except ir.MLIRError:
        several = any(_NOT_ONE_OP in d.message for d in collector._held or [])
        collector.release(keep=not several)
        if not several:
            raise SourceError() from None
    else:
        collector.release(keep=True)
        if op.name == "builtin.module":
            return op.operation
        op.operation.erase()
    wrapped = _wrapped(padded, f"loc({quoted(name)}:{line}:{column})")
    if wrapped is not None:
        collector.hold()  # errors are reported from the plain parse below, not from this
        try:
            op = ir.Operation.parse(wrapped, source_name=name).operation
            collector.release(keep=True)
            return op
        except ir.MLIRError:
            collector.release(keep=False)
    try:
        return _parse_renamed(padded, name, (line, column), collector)
    except ir.MLIRError:
        raise SourceError() from None


def _undecodable(text: str) -> bool:
    """Whether `text` holds bytes that were not UTF-8 (read with "surrogateescape")."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def _wrapped(padded: str, location: str) -> str | None:
    """`padded` inside `module { ... } loc(...)`, with `module {` written over a blank or
    comment-only line after the alias definitions (`!t = ...`, `#a = ...`, which must stay
    outside) and before the first op, so that no other character moves; None if there is
    no such line."""
    lines = padded.split("\n")
    slot = None
    for number, line in enumerate(lines):
        code = line.strip()
        if not code or code.startswith("//"):
            slot = number if slot is None else slot
        elif code[0] in "!#":
            slot = None  # an alias definition: the module must open after it
        else:
            break
    if slot is None:
        return None
    lines[slot] = _WRAPPER
    return "\n".join(lines) + f"\n}} {location}"


def _parse_renamed(padded: str, name: str, module_at: tuple[int, int],
                   collector: Collector) -> ir.Operation:
    collector.renamed = {"-": name}
    try:
        module = ir.Module.parse(padded.encode("utf-8", "surrogateescape"))
    finally:
        collector.renamed = None
    text = module.operation.get_asm(enable_debug_info=True, print_generic_op_form=True)
    # the implicit module is the one thing at line 0, column 0; it moves to the chunk start
    text = text.replace('loc("-":0:0)', f"loc({quoted(name)}:{module_at[0]}:{module_at[1]})")
    return ir.Operation.parse(text.replace('loc("-":', f"loc({quoted(name)}:"),
                              source_name=name).operation
