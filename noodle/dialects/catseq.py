"""Thin builders over the `catseq` ops (defined in `catseq.irdl`) and its two types.

Like `nir.py`: builders take MLIR values and plain Python numbers, create the generic
op, and leave verification to MLIR. Call them inside an `ir.InsertionPoint` and an
`ir.Location`. `PRIMITIVE_OPS` describes the primitive ops' operands and attributes, so
one builder (and one reader, in `noodle.catseq.mlir_import`) serves all of them.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mlir import ir

CHANNEL_KINDS = ("ttl", "rf")


@dataclass(frozen=True)
class PrimitiveOp:
    """The shape of a primitive op: a channel operand or none, a `duration` attribute
    (cycles) or none, and the name of its f64 attribute, if any."""
    channel: bool
    timed: bool
    value: str | None = None


#: op name (without the `catseq.` prefix) -> its shape
PRIMITIVE_OPS = {
    "initialize": PrimitiveOp(True, False),
    "on": PrimitiveOp(True, False),
    "off": PrimitiveOp(True, False),
    "hold": PrimitiveOp(True, True),
    "pulse": PrimitiveOp(True, True),
    "rf_initialize": PrimitiveOp(True, False, "carrier"),
    "set_freq": PrimitiveOp(True, False, "frequency"),
    "set_amp": PrimitiveOp(True, False, "amplitude"),
    "set_phase": PrimitiveOp(True, False, "phase"),
    "rf_on": PrimitiveOp(True, False),
    "rf_off": PrimitiveOp(True, False),
    "rf_pulse": PrimitiveOp(True, True),
    "linear_ramp": PrimitiveOp(True, True, "target"),
    "identity": PrimitiveOp(False, True),
}

#: the binary composition ops: `>>`, `@`, `|`
COMPOSE, SERIAL, TENSOR = "catseq.compose", "catseq.serial", "catseq.tensor"


def morphism_type() -> ir.Type:
    # IRDL types have no Python builder: parsing the type is the only way to get one
    return ir.Type.parse("!catseq.morphism")


def channel_type(kind: str) -> ir.Type:
    if kind not in CHANNEL_KINDS:
        raise ValueError(f"unknown channel kind {kind!r}; use 'ttl' or 'rf'")
    return ir.Type.parse(f'!catseq.chan<"{kind}">')


def channel_kind(t: ir.Type) -> str:
    """The kind ("ttl" or "rf") of a `!catseq.chan` type."""
    for kind in CHANNEL_KINDS:
        if t == channel_type(kind):
            return kind
    raise ValueError(f"{t} is not a catseq channel type")


def _i64(value: int) -> ir.IntegerAttr:
    return ir.IntegerAttr.get(ir.IntegerType.get_signless(64), value)


def _create(name: str, result: ir.Type | None, operands: Sequence[ir.Value],
            **attributes: ir.Attribute) -> ir.Operation:
    return ir.Operation.create(
        name, results=[] if result is None else [result], operands=list(operands),
        attributes=attributes)


def channel(board: str, kind: str, index: int) -> ir.Value:
    return _create("catseq.channel", channel_type(kind), [],
                   board=ir.StringAttr.get(board), index=_i64(index)).result


def primitive(name: str, ch: ir.Value | None, duration: int | None = None,
              value: float | None = None) -> ir.Value:
    """`catseq.<name>`: `ch` is its channel (None for identity), `duration` its cycles
    when timed, `value` its parameter when it has one."""
    shape = PRIMITIVE_OPS[name]
    attributes: dict[str, ir.Attribute] = {}
    if shape.timed:
        attributes["duration"] = _i64(duration)
    if shape.value is not None:
        attributes[shape.value] = ir.FloatAttr.get_f64(value)
    return _create(f"catseq.{name}", morphism_type(), [ch] if shape.channel else [],
                   **attributes).result


def binary(op_name: str, lhs: ir.Value, rhs: ir.Value) -> ir.Value:
    """One of COMPOSE, SERIAL, TENSOR."""
    return _create(op_name, morphism_type(), [lhs, rhs]).result


def repeat(body: ir.Value, count: int) -> ir.Value:
    return _create("catseq.repeat", morphism_type(), [body], count=_i64(count)).result


def schedule(occurrences: Sequence[ir.Value], starts: Sequence[int],
             duration: int) -> ir.Value:
    return _create("catseq.schedule", morphism_type(), occurrences,
                   start=ir.DenseI64ArrayAttr.get(list(starts)),
                   duration=_i64(duration)).result


def events(board: str, time: Sequence[int], channel: Sequence[int], opcode: Sequence[int],
           value: Sequence[float], duration: Sequence[int]) -> ir.Operation:
    return _create("catseq.events", None, [], board=ir.StringAttr.get(board),
                   time=ir.DenseI64ArrayAttr.get(list(time)),
                   channel=ir.DenseI32ArrayAttr.get(list(channel)),
                   opcode=ir.DenseI32ArrayAttr.get(list(opcode)),
                   value=ir.DenseF64ArrayAttr.get(list(value)),
                   duration=ir.DenseI64ArrayAttr.get(list(duration)))
