"""`catseq` MLIR back into morphisms, for `cs.from_mlir` and the catseq passes.

Every op is rebuilt through the public builders (the primitives, `>>`, `@`, `|`,
`.repeat`), so the IR gets exactly the checks a sequence built in Python gets; a check
that fails becomes a `SequenceIRError` at the location of the op at fault. A sequence
is a `func.func` with no arguments returning one `!catseq.morphism`.
"""
from __future__ import annotations

import contextlib
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from mlir import ir

from noodle.catseq import primitives
from noodle.catseq.channels import channel
from noodle.catseq.errors import CatseqError
from noodle.catseq.arena import ARENA
from noodle.catseq.compiler import events_from_occurrences
from noodle.catseq.mlir_export import CLOCK_ATTRIBUTE
from noodle.catseq.morphism import Morphism
from noodle.catseq.timebase import cycles
from noodle.dialects import catseq as D
from noodle.dialects import make_context
from noodle.dialects.context import source_location

_BINARY = {D.COMPOSE: operator.rshift, D.SERIAL: operator.matmul, D.TENSOR: operator.or_}
_STRUCTURED_ONLY = "the catseq passes read sequences before catseq-to-events"


class SequenceIRError(CatseqError):
    """A catseq op that does not make a valid sequence; `location` is the op's."""

    def __init__(self, message: str, location: ir.Location, hint: str | None = None):
        self.location = location
        self.diagnostic = message  # without the location, which MLIR prints itself
        where = source_location(location)
        if where is None and str(location) != "loc(unknown)":
            message = f"{location}: {message}"
        super().__init__(message, where, hint)

    def emit(self) -> None:
        """Reports this error as an MLIR diagnostic at its location."""
        hint = f" (hint: {self.hint})" if self.hint else ""
        self.location.emit_error(self.diagnostic + hint)


@contextlib.contextmanager
def at(location: ir.Location) -> Iterator[None]:
    """Turns a builder's error (catseq's own, or a TypeError/ValueError for arguments
    it refuses) into a SequenceIRError at `location`."""
    try:
        yield
    except SequenceIRError:
        raise
    except CatseqError as e:
        raise SequenceIRError(e.message, location, e.hint) from None
    except (TypeError, ValueError) as e:
        raise SequenceIRError(str(e), location) from None


@dataclass
class Schedule:
    """A `catseq.schedule` read back: primitive occurrences (arena nodes) and their
    absolute starts, in composition order; what `catseq-flatten` leaves."""
    nodes: list[int]
    starts: list[int]
    duration: int
    location: ir.Location

    def compile(self):
        """The event table of this schedule (checked like a compiled sequence)."""
        if not self.nodes:
            return events_from_occurrences(np.zeros(0, np.int64), np.zeros(0, np.int64),
                                           ARENA.columns(upto=0))
        return events_from_occurrences(np.array(self.nodes, dtype=np.int64),
                                       np.array(self.starts, dtype=np.int64),
                                       ARENA.columns(upto=max(self.nodes)))


@dataclass
class ImportedSequence:
    """A sequence function read back: its root (a morphism, or a schedule after
    catseq-flatten), and the value each arena node was read from (so that passes can
    write results next to the ops)."""
    function: ir.Operation
    return_op: ir.Operation
    root: Morphism | Schedule
    values: dict[int, ir.Value]

    @property
    def flat(self) -> bool:
        return isinstance(self.root, Schedule)

    @property
    def node(self) -> int:
        """The root's arena node (structured sequences only)."""
        return self.root._node

    @property
    def location(self) -> ir.Location:
        """Where the root is defined."""
        if self.flat:
            return self.root.location
        return self.values[self.node].owner.location


def is_sequence_function(op: ir.Operation) -> bool:
    if op.operation.name != "func.func":
        return False
    ftype = ir.FunctionType(ir.TypeAttr(op.attributes["function_type"]).value)
    return not ftype.inputs and list(ftype.results) == [D.morphism_type()]


def import_sequences(module: ir.Operation) -> list[ImportedSequence]:
    """Every sequence function in `module` (a module operation), in order."""
    return [import_function(op.operation) for op in module.regions[0].blocks[0].operations
            if is_sequence_function(op)]


def import_function(function: ir.Operation) -> ImportedSequence:
    objects: dict[ir.Value, object] = {}
    values: dict[int, ir.Value] = {}
    for op in function.regions[0].blocks[0].operations:
        op = op.operation
        if op.name == "func.return":
            root = objects[op.operands[0]]
            if CLOCK_ATTRIBUTE in function.attributes and isinstance(root, Morphism):
                # durations come back as cycle counts: the handle gets their clock back
                root = root.with_clock(ir.IntegerAttr(function.attributes[CLOCK_ATTRIBUTE]).value)
            return ImportedSequence(function, op, root, values)
        with at(op.location):
            built = _build(op, [objects[v] for v in op.operands])
        objects[op.result] = built
        if isinstance(built, Morphism):
            values.setdefault(built._node, op.result)
    raise AssertionError("a verified func.func ends with func.return")


def _build(op: ir.Operation, args: list) -> object:
    """The channel or morphism `op` stands for, built from its operands' objects."""
    name = op.name
    short = name.removeprefix("catseq.")
    if name == "catseq.channel":
        index = ir.IntegerAttr(op.attributes["index"]).value
        return channel(ir.StringAttr(op.attributes["board"]).value,
                       D.channel_kind(op.result.type), index)
    if short in D.PRIMITIVE_OPS:
        shape = D.PRIMITIVE_OPS[short]
        if shape.value is not None:
            args.append(ir.FloatAttr(op.attributes[shape.value]).value)
        if shape.timed:
            args.append(cycles(ir.IntegerAttr(op.attributes["duration"]).value))
        # `identity` is cs.identity; every other op is the primitive of its name
        return getattr(primitives, short)(*args)
    if name in _BINARY:
        return _BINARY[name](*args)
    if name == "catseq.repeat":
        return args[0].repeat(ir.IntegerAttr(op.attributes["count"]).value)
    if name == "catseq.schedule":
        return Schedule([m._node for m in args],
                        list(ir.DenseI64ArrayAttr(op.attributes["start"])),
                        ir.IntegerAttr(op.attributes["duration"]).value, op.location)
    raise CatseqError(f"{name} is not part of a sequence's structured form",
                      hint=_STRUCTURED_ONLY)


def parse(text: str) -> ir.Module:
    """Parses and verifies `text` in the current context; MLIR's diagnostics become a
    SequenceIRError at the first error's location."""
    try:
        return ir.Module.parse(text)
    except ir.MLIRError as e:
        if not e.error_diagnostics:
            raise CatseqError(str(e)) from None
        # the first error is the cause; its notes only dump the op in generic form
        first = e.error_diagnostics[0]
        raise SequenceIRError(first.message, first.location) from None


def from_mlir(text: str) -> Morphism:
    """The morphism of the one sequence function in the MLIR module `text`."""
    with make_context():
        module = parse(text)
        sequences = import_sequences(module.operation)
        if len(sequences) == 1 and sequences[0].flat:
            raise CatseqError("this sequence was flattened by catseq-flatten, which "
                              "cannot be turned back into a morphism",
                              hint="read the module from before catseq-flatten")
        if len(sequences) != 1:
            raise CatseqError(f"the module has {len(sequences)} sequence functions; "
                              f"cs.from_mlir reads a module with exactly one",
                              hint="a sequence function takes no arguments and returns "
                                   "one !catseq.morphism")
        return sequences[0].root


def erase_unused(function: ir.Operation) -> None:
    """Erases the catseq ops of `function` whose results are no longer used."""
    for op in reversed(list(function.regions[0].blocks[0].operations)):
        op = op.operation
        if op.name.startswith("catseq.") and op.results and \
                all(not list(r.uses) for r in op.results):
            op.erase()


def as_pass(transform: Callable[[ir.Operation], None]) -> Callable[[ir.Operation, object],
                                                                    None]:
    """A pass callable for `PassManager.add` from `transform(module_op)`: a
    SequenceIRError becomes an MLIR error at its op and a pass failure."""

    def run(op: ir.Operation, pass_: object) -> None:
        try:
            transform(op)
        except SequenceIRError as e:
            e.emit()
            pass_.signal_pass_failure()

    run.__name__ = run.__qualname__ = f"{transform.__name__}_pass"
    run.__doc__ = transform.__doc__
    return run
