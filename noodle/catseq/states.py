"""What each operation does to its channel: the state it needs, the state it leaves,
and the events it puts in the table.

A channel is uninitialised, off or on (an RF channel also has a frequency, amplitude
and phase, which operations set but never require). An operation names the states it
may start from; starting from another is a `StateError`.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from noodle.catseq.channels import RF, TTL


class State(IntEnum):
    UNINITIALIZED = 0
    OFF = 1
    ON = 2


ANY = frozenset(State)
INITIALIZED = frozenset({State.OFF, State.ON})


class Opcode(IntEnum):
    """The event table's `opcode` column."""
    TTL_INIT = 1
    TTL_ON = 2
    TTL_OFF = 3
    RF_INIT = 10
    RF_ON = 11
    RF_OFF = 12
    SET_FREQ = 13
    SET_AMP = 14
    SET_PHASE = 15
    RAMP_AMP = 16  # value: target amplitude; the ramp lasts the event's `duration`


#: the operations an opcode comes from, as users wrote them
OPCODE_OPERATIONS = {
    Opcode.TTL_INIT: "initialize", Opcode.TTL_ON: "on (or the start of pulse)",
    Opcode.TTL_OFF: "off (or the end of pulse)", Opcode.RF_INIT: "rf_initialize",
    Opcode.RF_ON: "rf_on (or the start of rf_pulse)",
    Opcode.RF_OFF: "rf_off (or the end of rf_pulse)", Opcode.SET_FREQ: "set_freq",
    Opcode.SET_AMP: "set_amp", Opcode.SET_PHASE: "set_phase",
    Opcode.RAMP_AMP: "linear_ramp",
}


@dataclass(frozen=True)
class EventRule:
    """An event an operation emits, and the channel states it needs and leaves."""
    opcode: Opcode
    needs: frozenset[State]
    leaves: State | None  # None: the state stays as it was


EVENT_RULES = {
    Opcode.TTL_INIT: EventRule(Opcode.TTL_INIT, ANY, State.OFF),
    Opcode.TTL_ON: EventRule(Opcode.TTL_ON, frozenset({State.OFF}), State.ON),
    Opcode.TTL_OFF: EventRule(Opcode.TTL_OFF, frozenset({State.ON}), State.OFF),
    Opcode.RF_INIT: EventRule(Opcode.RF_INIT, ANY, State.OFF),
    Opcode.RF_ON: EventRule(Opcode.RF_ON, frozenset({State.OFF}), State.ON),
    Opcode.RF_OFF: EventRule(Opcode.RF_OFF, frozenset({State.ON}), State.OFF),
    Opcode.SET_FREQ: EventRule(Opcode.SET_FREQ, INITIALIZED, None),
    Opcode.SET_AMP: EventRule(Opcode.SET_AMP, INITIALIZED, None),
    Opcode.SET_PHASE: EventRule(Opcode.SET_PHASE, INITIALIZED, None),
    Opcode.RAMP_AMP: EventRule(Opcode.RAMP_AMP, INITIALIZED, None),
}


@dataclass(frozen=True)
class Primitive:
    """A primitive operation: its name, channel kind, whether it takes a duration and a
    value, and the events it emits at its start and (optionally) at its end."""
    code: int
    name: str
    channel_kind: str | None  # None: channel-less (wait)
    timed: bool
    start: Opcode | None
    end: Opcode | None = None
    has_value: bool = False


PRIMITIVES = [
    Primitive(0, "initialize", TTL, False, Opcode.TTL_INIT),
    Primitive(1, "on", TTL, False, Opcode.TTL_ON),
    Primitive(2, "off", TTL, False, Opcode.TTL_OFF),
    Primitive(3, "hold", None, True, None),  # any channel kind: time passes, no event
    Primitive(4, "pulse", TTL, True, Opcode.TTL_ON, Opcode.TTL_OFF),
    Primitive(5, "rf_initialize", RF, False, Opcode.RF_INIT, has_value=True),
    Primitive(6, "set_freq", RF, False, Opcode.SET_FREQ, has_value=True),
    Primitive(7, "set_amp", RF, False, Opcode.SET_AMP, has_value=True),
    Primitive(8, "set_phase", RF, False, Opcode.SET_PHASE, has_value=True),
    Primitive(9, "rf_on", RF, False, Opcode.RF_ON),
    Primitive(10, "rf_off", RF, False, Opcode.RF_OFF),
    Primitive(11, "rf_pulse", RF, True, Opcode.RF_ON, Opcode.RF_OFF),
    Primitive(12, "linear_ramp", RF, True, Opcode.RAMP_AMP, has_value=True),
    Primitive(13, "wait", None, True, None),
]
BY_NAME = {p.name: p for p in PRIMITIVES}


def primitive_needs(p: Primitive) -> frozenset[State]:
    """The states a primitive may start from (its first event's needs)."""
    return EVENT_RULES[p.start].needs if p.start is not None else ANY


def primitive_leaves(p: Primitive) -> State | None:
    """The state a primitive leaves (None: as it was)."""
    last = p.end if p.end is not None else p.start
    return EVENT_RULES[last].leaves if last is not None else None
