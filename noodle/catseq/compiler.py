"""From a morphism to its event table.

1. flatten: every primitive occurrence with its absolute start (kernels.flatten);
   padding and barriers need no work: they are where the durations put things.
2. check what composition left to the compiler: `|` operands whose channel ranges
   overlapped (PAR_UNCHECKED), and the channel states along time.
3. events: each primitive emits its start (and end) event; a stable sort by time keeps
   composition order for equal times.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from noodle.catseq import arena as A
from noodle.catseq.arena import ARENA
from noodle.catseq.channels import board_by_id, channel_boards, channel_by_id
from noodle.catseq.errors import StateError
from noodle.catseq.kernels import (count_events, event_times, flatten, replay_states,
                                   write_events)
from noodle.catseq.morphism import Morphism, overlap_error
from noodle.catseq.states import EVENT_RULES, OPCODE_OPERATIONS, PRIMITIVES, Opcode, State
from noodle.catseq.timebase import clock_hz

# 40 bytes with no padding (opcode is 8 bytes wide for that): NumPy copies only fields
# when it gathers records, so padding bytes would be garbage, and every field is
# naturally aligned, so compiled kernels can write each through a strided view.
EVENT_DTYPE = np.dtype([("time", "i8"), ("board", "i4"), ("channel", "i4"),
                        ("opcode", "i8"), ("value", "f8"), ("duration", "i8")])
assert EVENT_DTYPE.itemsize == sum(EVENT_DTYPE[name].itemsize for name in EVENT_DTYPE.names)


def _lookup(values: dict[int, int], size: int, default: int) -> np.ndarray:
    table = np.full(size, default, dtype=np.int64)
    for k, v in values.items():
        table[k] = v
    return table


_START_OPCODE = _lookup({p.code: p.start or 0 for p in PRIMITIVES}, len(PRIMITIVES), 0)
_END_OPCODE = _lookup({p.code: p.end or 0 for p in PRIMITIVES}, len(PRIMITIVES), 0)
_EVENTS_PER_PRIMITIVE = (_START_OPCODE != 0).astype(np.int64) + (_END_OPCODE != 0)
_NEEDS_MASK = _lookup({op: sum(1 << s for s in r.needs) for op, r in EVENT_RULES.items()},
                      max(Opcode) + 1, 0)
_LEAVES = _lookup({op: -1 if r.leaves is None else int(r.leaves)
                   for op, r in EVENT_RULES.items()}, max(Opcode) + 1, -1)


def flatten_occurrences(root: int, cols: dict[str, np.ndarray]
                        ) -> tuple[np.ndarray, np.ndarray]:
    """(node, start) of every primitive occurrence under `root`, in composition order."""
    total = ARENA.leaves[root]
    leaf_node = np.empty(total, dtype=np.int64)
    leaf_start = np.empty(total, dtype=np.int64)
    # pending entries never exceed the occurrences plus the nesting depth
    stack = total + len(cols["kind"]) + 1
    n = flatten(cols["kind"], cols["a"], cols["b"], cols["duration"], root, leaf_node,
                leaf_start, np.empty(stack, dtype=np.int64), np.empty(stack, dtype=np.int64))
    assert n == total
    return leaf_node, leaf_start


def check_deferred_overlaps(root: int, cols: dict[str, np.ndarray]) -> None:
    """`|` nodes whose operands' channels composition could not cheaply compare."""
    kind, a, b = cols["kind"], cols["a"], cols["b"]
    if not np.any(kind[:root + 1] == A.PAR_UNCHECKED):
        return
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if kind[node] == A.PAR_UNCHECKED:
            x, y = int(a[node]), int(b[node])
            common = ARENA.channel_ids(x) & ARENA.channel_ids(y)
            if common:
                raise overlap_error(x, y, common)
        if kind[node] == A.REPEAT:
            stack.append(int(a[node]))
        elif kind[node] != A.PRIM:
            stack += (int(a[node]), int(b[node]))


def compile_events(seq: Morphism) -> EventTable:
    root = seq._node
    cols = ARENA.columns(upto=root)
    check_deferred_overlaps(root, cols)
    leaf_node, leaf_start = flatten_occurrences(root, cols)
    table = events_from_occurrences(leaf_node, leaf_start, cols)
    table.clock_hz = seq.clock_hz or clock_hz()
    return table


def events_from_occurrences(leaf_node: np.ndarray, leaf_start: np.ndarray,
                            cols: dict[str, np.ndarray]) -> EventTable:
    """The checked event table of primitive occurrences (arena nodes and their starts)
    listed in composition order, which equal times keep."""
    # the exact count: allocating room for two events per occurrence doubled the memory
    # the emitter touches, which cost more than this count
    code = cols["a"]
    n = count_events(leaf_node, code, _EVENTS_PER_PRIMITIVE)
    times, source = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    emitted = event_times(leaf_node, leaf_start, code, cols["duration"], _START_OPCODE,
                          _END_OPCODE, times, source)
    assert emitted == n
    # events are in composition order, which a stable sort by time keeps for equal times
    order = np.argsort(times, kind="stable")
    events = np.empty(n, dtype=EVENT_DTYPE)
    pool = cols["values"] if len(cols["values"]) else np.zeros(1)
    write_events(order, times, source, leaf_node, code, cols["b"], cols["param"],
                 cols["duration"], _START_OPCODE, _END_OPCODE, int(Opcode.RAMP_AMP), pool,
                 np.array(channel_boards() or [0], dtype=np.int64), events["time"],
                 events["board"], events["channel"], events["opcode"], events["value"],
                 events["duration"])
    check_states(events)
    return EventTable(events)


def check_states(events: np.ndarray) -> None:
    """Replays the sorted events through each channel's state machine; the first
    mismatch is a StateError."""
    state = np.zeros(len(channel_boards()), dtype=np.int64)
    bad = replay_states(events["channel"], events["opcode"], _NEEDS_MASK, _LEAVES, state)
    if bad < 0:
        return
    event = events[bad]
    ch = channel_by_id(int(event["channel"]))
    op = Opcode(int(event["opcode"]))
    now = State(int(state[ch.id])).name.lower()
    wanted = " or ".join(s.name.lower() for s in sorted(EVENT_RULES[op].needs))
    raise StateError(f"{OPCODE_OPERATIONS[op]} on {ch!r} at {format_time(int(event['time']))}"
                     f": the channel is {now}, but this needs it {wanted}",
                     hint="initialise the channel first, or fix the order of operations")


def format_time(cycles: int) -> str:
    return f"{cycles} cycles ({cycles / clock_hz() * 1e6:g} us)"


def channel_end_times(root: int) -> dict[int, int]:
    """For each channel under `root`, when its last own operation ends."""
    cols = ARENA.columns(upto=root)
    leaf_node, leaf_start = flatten_occurrences(root, cols)
    channel = cols["b"][leaf_node]
    ends = leaf_start + cols["duration"][leaf_node]
    result: dict[int, int] = {}
    mine = channel >= 0
    if mine.any():
        last = np.zeros(int(channel[mine].max()) + 1, dtype=np.int64)
        np.maximum.at(last, channel[mine], ends[mine])
        for c in np.unique(channel[mine]):
            result[int(c)] = int(last[c])
    return result


class EventTable:
    """Events sorted by time (stable: equal times keep composition order), in cycles of
    the clock `clock_hz`."""

    def __init__(self, events: np.ndarray, clock_hz: int | None = None):
        self.events = events
        self.clock_hz = clock_hz

    def __len__(self) -> int:
        return len(self.events)

    def __getitem__(self, key):
        return self.events[key]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EventTable) and np.array_equal(self.events, other.events)

    def by_board(self) -> dict[str, np.ndarray]:
        """Each board's events, in time order."""
        return {board_by_id(int(b)).name: self.events[self.events["board"] == b]
                for b in np.unique(self.events["board"])}

    def to_records(self) -> list[dict]:
        return [{"time": int(e["time"]), "board": board_by_id(int(e["board"])).name,
                 "channel": int(e["channel"]), "channel_name": repr(channel_by_id(
                     int(e["channel"]))), "opcode": Opcode(int(e["opcode"])).name,
                 "value": float(e["value"]), "duration": int(e["duration"])}
                for e in self.events]

    def to_json(self) -> str:
        return json.dumps({"clock_hz": self.clock_hz, "events": self.to_records()})

    def save(self, path: str | Path) -> None:
        """JSON for a .json path, else NumPy's .npy format (the structured array)."""
        path = Path(path)
        if path.suffix == ".json":
            path.write_text(self.to_json())
        else:
            np.save(path, self.events)

    def __repr__(self) -> str:
        return f"<EventTable {len(self)} events>"
