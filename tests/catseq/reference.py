"""A slow, obviously-correct model of catseq, written from issue 3 and not from the
arena or the compiler, to test them against.

A sequence is an explicit tree of frozen dataclasses. Nothing is shared or cached:
durations and channel sets are recomputed by walking the tree, and the event table is
the list of every primitive occurrence's events in composition order (left before
right, a repeat's body once per repetition), stably sorted by time. Times are integer
cycles; channels are `cs.Channel` objects (for their `.id` and board).
"""
from __future__ import annotations

from dataclasses import dataclass

from noodle.catseq import Channel, Opcode

UNINITIALIZED, OFF, ON = "uninitialized", "off", "on"
ANY = {UNINITIALIZED, OFF, ON}
INITIALIZED = {OFF, ON}

#: primitive -> (event at its start, event at its end); None: no event
EVENTS = {
    "initialize": (Opcode.TTL_INIT, None),
    "on": (Opcode.TTL_ON, None),
    "off": (Opcode.TTL_OFF, None),
    "hold": (None, None),
    "pulse": (Opcode.TTL_ON, Opcode.TTL_OFF),
    "rf_initialize": (Opcode.RF_INIT, None),
    "set_freq": (Opcode.SET_FREQ, None),
    "set_amp": (Opcode.SET_AMP, None),
    "set_phase": (Opcode.SET_PHASE, None),
    "rf_on": (Opcode.RF_ON, None),
    "rf_off": (Opcode.RF_OFF, None),
    "rf_pulse": (Opcode.RF_ON, Opcode.RF_OFF),
    "linear_ramp": (Opcode.RAMP_AMP, None),
    "wait": (None, None),
}

#: event -> (states it may start from, state it leaves; None: unchanged)
RULES = {
    Opcode.TTL_INIT: (ANY, OFF), Opcode.RF_INIT: (ANY, OFF),
    Opcode.TTL_ON: ({OFF}, ON), Opcode.RF_ON: ({OFF}, ON),
    Opcode.TTL_OFF: ({ON}, OFF), Opcode.RF_OFF: ({ON}, OFF),
    Opcode.SET_FREQ: (INITIALIZED, None), Opcode.SET_AMP: (INITIALIZED, None),
    Opcode.SET_PHASE: (INITIALIZED, None), Opcode.RAMP_AMP: (INITIALIZED, None),
}


class RefOverlap(Exception):
    """`a | b` on a shared channel."""


@dataclass
class RefStateError(Exception):
    """An event whose channel is in a state it cannot start from."""
    channel: Channel
    time: int
    state: str


# -- the tree --------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Prim:
    name: str
    channel: Channel | None
    cycles: int = 0
    value: float = 0.0


@dataclass(frozen=True, eq=False)
class Seq:
    first: object
    second: object


@dataclass(frozen=True, eq=False)
class Par:
    left: object
    right: object


@dataclass(frozen=True, eq=False)
class Repeat:
    body: object
    times: int


def duration(node) -> int:
    if isinstance(node, Prim):
        return node.cycles
    if isinstance(node, Seq):
        return duration(node.first) + duration(node.second)
    if isinstance(node, Par):
        return max(duration(node.left), duration(node.right))
    return duration(node.body) * node.times


def channels(node) -> set[Channel]:
    return {prim.channel for _, prim in occurrences(node) if prim.channel is not None}


def occurrences(node, start: int = 0):
    """(absolute start, primitive) of every primitive occurrence, in composition order."""
    if isinstance(node, Prim):
        yield start, node
    elif isinstance(node, Seq):
        yield from occurrences(node.first, start)
        yield from occurrences(node.second, start + duration(node.first))
    elif isinstance(node, Par):  # both sides start together; padding emits nothing
        yield from occurrences(node.left, start)
        yield from occurrences(node.right, start)
    else:
        for i in range(node.times):
            yield from occurrences(node.body, start + i * duration(node.body))


def channel_end(node, ch: Channel) -> int:
    """When ch's own last operation ends (0 if it has none)."""
    return max((t + p.cycles for t, p in occurrences(node) if p.channel is ch), default=0)


# -- composition, with the checks the issue asks for at build time ----------------------
def then(first, second) -> Seq:
    """a >> b"""
    return Seq(first, second)


def par(left, right) -> Par:
    """a | b"""
    if channels(left) & channels(right):
        raise RefOverlap(sorted(c.id for c in channels(left) & channels(right)))
    return Par(left, right)


def strict(first, second) -> Seq:
    """a @ b: each channel b starts from a required state must be left in it by a
    (channels checked in id order, so the first reported is the lowest id)."""
    for ch in sorted(channels(second), key=lambda c: c.id):
        set_states = [RULES[op][1] for op in opcodes(first, ch) if RULES[op][1] is not None]
        needed = [RULES[op][0] for op in opcodes(second, ch)]
        if set_states and needed and set_states[-1] not in needed[0]:
            raise RefStateError(ch, duration(first), set_states[-1])
    return Seq(first, second)


def opcodes(node, ch: Channel) -> list[Opcode]:
    """ch's events under `node`, in table order."""
    return [Opcode(row[3]) for row in events(node) if row[2] == ch.id]


# -- the event table ------------------------------------------------------------------
def events(node) -> list[tuple[int, int, int, int, float, int]]:
    """(time, board, channel, opcode, value, duration) rows, stably sorted by time."""
    rows = []
    for start, p in occurrences(node):
        begin, end = EVENTS[p.name]
        if begin is not None:
            ramp = p.cycles if begin == Opcode.RAMP_AMP else 0
            rows.append((start, p.channel.board.id, p.channel.id, int(begin), p.value, ramp))
        if end is not None:
            rows.append((start + p.cycles, p.channel.board.id, p.channel.id, int(end), 0.0, 0))
    return sorted(rows, key=lambda row: row[0])


def compile(node) -> list[tuple[int, int, int, int, float, int]]:
    """The event table, after replaying every channel's states (RefStateError on the
    first event, in table order, that starts from a wrong state)."""
    table = events(node)
    state: dict[int, str] = {}
    by_id = {c.id: c for c in channels(node)}
    for time, _, channel, opcode, _, _ in table:
        now = state.get(channel, UNINITIALIZED)
        needs, leaves = RULES[Opcode(opcode)]
        if now not in needs:
            raise RefStateError(by_id[channel], time, now)
        if leaves is not None:
            state[channel] = leaves
    return table
