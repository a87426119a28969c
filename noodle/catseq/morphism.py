"""`Morphism`: a timed operation on channels, and the algebra on it.

    a >> b   b starts when a ends; a channel used on one side only holds (is padded
             with identity) for the other side's duration
    a @ b    the same, and each channel's end state in a must be the state b starts from
    a | b    side by side on disjoint channels; the shorter side is padded so both end
             together, and what follows starts at that shared end (a barrier)

A Morphism is a handle on an arena row (`arena.py`): composing appends one row.
"""
from __future__ import annotations

from noodle.catseq import arena as A
from noodle.catseq.arena import ARENA
from noodle.catseq.channels import Channel, channel_by_id
from noodle.catseq.errors import ChannelOverlapError, StateError
from noodle.catseq.states import PRIMITIVES, State, primitive_leaves, primitive_needs


class Morphism:
    __slots__ = ("_node",)

    def __init__(self, node: int):
        self._node = node

    # -- algebra ---------------------------------------------------------------------
    def __rshift__(self, other: "Morphism") -> "Morphism":
        return Morphism(ARENA.sequence(self._node, _node_of(other, ">>")))

    def __matmul__(self, other: "Morphism") -> "Morphism":
        other_node = _node_of(other, "@")
        check_serial_states(self._node, other_node)
        return Morphism(ARENA.sequence(self._node, other_node, serial=True))

    def __or__(self, other: "Morphism") -> "Morphism":
        other_node = _node_of(other, "|")
        return Morphism(ARENA.parallel(self._node, other_node,
                                       checked=check_disjoint(self._node, other_node)))

    def repeat(self, n: int) -> "Morphism":
        """This morphism n times in a row."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"repeat needs a positive integer count, not {n!r}")
        return Morphism(ARENA.repeat(self._node, n))

    # -- queries ---------------------------------------------------------------------
    @property
    def duration(self) -> int:
        """Length in cycles, from the first operation's start to the last one's end."""
        return ARENA.duration[self._node]

    @property
    def channels(self) -> frozenset[Channel]:
        return frozenset(channel_by_id(c) for c in ARENA.channel_ids(self._node))

    def channel_duration(self, ch: Channel) -> int:
        """When `ch`'s own last operation ends (it holds its state from then on)."""
        from noodle.catseq.compiler import channel_end_times
        return channel_end_times(self._node).get(ch.id, 0)

    def __repr__(self) -> str:
        names = ", ".join(sorted(map(repr, self.channels)))
        return f"<Morphism {self.duration} cycles on [{names}]>"

    # -- output ----------------------------------------------------------------------
    def compile(self):
        """The event table (see `noodle.catseq.compile`)."""
        from noodle.catseq.compiler import compile_events
        return compile_events(self)

    def to_mlir(self) -> str:
        """This sequence in the `catseq` MLIR dialect (text)."""
        from noodle.catseq.mlir_export import to_mlir
        return to_mlir(self)

    def text_timeline(self, width: int = 72) -> str:
        from noodle.catseq.timeline import text_timeline
        return text_timeline(self, width)

    def plot(self, ax=None):
        """A matplotlib figure of the timeline (needs matplotlib)."""
        from noodle.catseq.timeline import plot
        return plot(self, ax)


def _node_of(other: object, op: str) -> int:
    if not isinstance(other, Morphism):
        raise TypeError(f"cannot compose a Morphism with {type(other).__name__} using {op}")
    return other._node


def check_disjoint(x: int, y: int) -> bool:
    """Raise if x and y share a channel, when that is cheap to tell; False when the
    check is left to the compiler."""
    if not ARENA.ranges_overlap(x, y):
        return True
    if ARENA.leaves[x] + ARENA.leaves[y] > A.EXACT_CHECK_LIMIT:
        return False
    common = ARENA.channel_ids(x) & ARENA.channel_ids(y)
    if common:
        raise overlap_error(common)
    return True


def overlap_error(common: set[int]) -> ChannelOverlapError:
    names = ", ".join(repr(channel_by_id(c)) for c in sorted(common))
    return ChannelOverlapError(f"a | b needs disjoint channels, but both use {names}",
                               hint="compose them in sequence with >> instead")


# -- states across @ ---------------------------------------------------------------------
_TRANSPARENT = "transparent"  # no operation on the channel constrains or sets its state


def start_needs(node: int, ch: int) -> frozenset[State] | str | None:
    """The states `ch` must be in when `node` starts: a set, None when the first
    operation that matters sets the state itself, `_TRANSPARENT` when nothing matters."""
    if not ARENA.chmin[node] <= ch <= ARENA.chmax[node]:
        return _TRANSPARENT
    kind = ARENA.kind[node]
    if kind == A.PRIM:
        if ARENA.b[node] != ch:
            return _TRANSPARENT
        p = PRIMITIVES[ARENA.a[node]]
        needs = primitive_needs(p)
        if len(needs) == len(State):
            return _TRANSPARENT if primitive_leaves(p) is None else None
        return needs
    if kind == A.REPEAT:
        return start_needs(ARENA.a[node], ch)
    first = start_needs(ARENA.a[node], ch)
    if kind in (A.PAR, A.PAR_UNCHECKED) or first == _TRANSPARENT:
        return start_needs(ARENA.b[node], ch) if first == _TRANSPARENT else first
    return first


def end_state(node: int, ch: int) -> State | None:
    """The state `node` leaves `ch` in, or None when that depends on what came before."""
    if not ARENA.chmin[node] <= ch <= ARENA.chmax[node]:
        return None
    kind = ARENA.kind[node]
    if kind == A.PRIM:
        return primitive_leaves(PRIMITIVES[ARENA.a[node]]) if ARENA.b[node] == ch else None
    if kind == A.REPEAT:
        return end_state(ARENA.a[node], ch)
    last = end_state(ARENA.b[node], ch)
    return last if last is not None else end_state(ARENA.a[node], ch)


def check_serial_states(x: int, y: int) -> None:
    """a @ b: every channel b starts from a state must be left in it by a."""
    for ch in sorted(ARENA.channel_ids(y)):
        needs = start_needs(y, ch)
        if needs is None or needs == _TRANSPARENT:
            continue
        state = end_state(x, ch)
        if state is not None and state not in needs:
            wanted = " or ".join(s.name.lower() for s in sorted(needs))
            raise StateError(
                f"a @ b: at {ARENA.duration[x]} cycles {channel_by_id(ch)!r} is "
                f"{state.name.lower()} at the end of a, but b starts it from {wanted}",
                hint="insert the operation that brings it there, or compose with >>")
