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
from noodle.catseq.errors import ChannelOverlapError, DurationError, StateError
from noodle.catseq.states import PRIMITIVES, State, primitive_leaves, primitive_needs


class Morphism:
    """A handle on an arena row. It also keeps the row's duration, channel-id range and
    leaf count, which is all composition reads, so composing never reads the arena, and
    a 64-bit mask of its channel ids (bit id % 64): `|` on operands whose masks do not
    meet is disjoint at once, and the clock its durations were converted at (0: written
    in cycles only), so parts built for different clocks never mix. The mask and the
    clock live on handles only, not in the arena."""
    __slots__ = ("_node", "_duration", "_chmin", "_chmax", "_leaves", "_mask", "_hz")

    def __init__(self, node: int, duration: int, chmin: int, chmax: int, leaves: int,
                 mask: int, hz: int):
        self._node = node
        self._duration = duration
        self._chmin = chmin
        self._chmax = chmax
        self._leaves = leaves
        self._mask = mask
        self._hz = hz

    # -- algebra (the hot path of building: kept to one call each) ------------------------
    def __rshift__(self, other: "Morphism") -> "Morphism":
        if other.__class__ is not Morphism:
            raise _bad_operand(other, ">>")
        return self._then(A.SEQ, other)

    def __matmul__(self, other: "Morphism") -> "Morphism":
        if other.__class__ is not Morphism:
            raise _bad_operand(other, "@")
        check_serial_states(self, other)
        return self._then(A.SERIAL, other)

    def _then(self, kind: int, other: "Morphism") -> "Morphism":
        """`other` starting when this ends, as a `kind` (SEQ or SERIAL) node."""
        hz = self._hz if self._hz == other._hz else _common_clock(self, other)
        return make(kind, self._node, other._node, -1, self._duration + other._duration,
                    min(self._chmin, other._chmin), max(self._chmax, other._chmax),
                    self._leaves + other._leaves, self._mask | other._mask, hz)

    def __or__(self, other: "Morphism") -> "Morphism":
        if other.__class__ is not Morphism:
            raise _bad_operand(other, "|")
        hz = self._hz if self._hz == other._hz else _common_clock(self, other)
        kind = A.PAR if check_disjoint(self, other) else A.PAR_UNCHECKED
        return make(kind, self._node, other._node, -1, max(self._duration, other._duration),
                    min(self._chmin, other._chmin), max(self._chmax, other._chmax),
                    self._leaves + other._leaves, self._mask | other._mask, hz)

    def repeat(self, n: int) -> "Morphism":
        """This morphism n times in a row."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"repeat needs a positive integer count, not {n!r}")
        return make(A.REPEAT, self._node, n, -1, self._duration * n, self._chmin,
                    self._chmax, self._leaves * n, self._mask, self._hz)

    # -- queries ---------------------------------------------------------------------
    @property
    def duration(self) -> int:
        """Length in cycles, from the first operation's start to the last one's end."""
        return self._duration

    @property
    def clock_hz(self) -> int | None:
        """The clock its durations were converted at (None: written in cycles only)."""
        return self._hz or None

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


_pack = A.ROW.pack


def make(kind: int, a: int, b: int, param: int, duration: int, chmin: int, chmax: int,
         leaves: int, mask: int, hz: int) -> Morphism:
    """Append a row to the arena and return its handle (`Arena.add`, inlined: this runs
    once per node built)."""
    arena = ARENA
    arena.rows += _pack(kind, a, b, param, duration, chmin, chmax, leaves)
    node = arena.count
    arena.count = node + 1
    return Morphism(node, duration, chmin, chmax, leaves, mask, hz)


def _common_clock(x: Morphism, y: Morphism) -> int:
    """The clock of a composition of operands with different clocks: the one that has
    one (0 means cycle counts only); two different clocks are an error."""
    if x._hz and y._hz:
        raise DurationError(f"cannot compose parts built for different clocks: "
                            f"{x._hz / 1e6:g} MHz and {y._hz / 1e6:g} MHz (their cycle "
                            f"counts mean different times)",
                            hint="build the whole sequence inside one `with cs.clock(hz):`")
    return x._hz or y._hz


def _bad_operand(other: object, op: str) -> TypeError:
    return TypeError(f"cannot compose a Morphism with {type(other).__name__} using {op}")


def check_disjoint(x: Morphism, y: Morphism) -> bool:
    """Raise if x and y share a channel, when that is cheap to tell; False when the
    check is left to the compiler."""
    if not x._mask & y._mask:  # no channel id in common, even modulo 64
        return True
    if x._chmax < y._chmin or y._chmax < x._chmin:  # id ranges apart (or one is empty)
        return True
    if x._leaves + y._leaves > A.EXACT_CHECK_LIMIT:
        return False
    common = ARENA.channel_ids(x._node) & ARENA.channel_ids(y._node)
    if common:
        raise overlap_error(x._node, y._node, common)
    return True


def overlap_error(x: int, y: int, common: set[int]) -> ChannelOverlapError:
    """The error for `x | y` sharing `common`, with where each side first uses the first
    shared channel."""
    names = ", ".join(repr(channel_by_id(c)) for c in sorted(common))
    ch = min(common)
    return ChannelOverlapError(
        f"a | b needs disjoint channels, but both use {names}: a uses "
        f"{channel_by_id(ch)!r} from {first_use(x, ch)} cycles and b from "
        f"{first_use(y, ch)} cycles after a | b starts",
        hint="compose them in sequence with >> instead")


def first_use(node: int, ch: int) -> int | None:
    """When the first operation on `ch` starts within `node` (None: it has none)."""
    if not ARENA.chmin[node] <= ch <= ARENA.chmax[node]:
        return None
    kind = ARENA.kind[node]
    if kind == A.PRIM:
        return 0 if ARENA.b[node] == ch else None
    if kind == A.REPEAT:
        return first_use(ARENA.a[node], ch)
    left, right = ARENA.a[node], ARENA.b[node]
    t_left, t_right = first_use(left, ch), first_use(right, ch)
    if kind in (A.SEQ, A.SERIAL) and t_right is not None:
        t_right += ARENA.duration[left]
    found = [t for t in (t_left, t_right) if t is not None]
    return min(found) if found else None


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


def check_serial_states(a: Morphism, b: Morphism) -> None:
    """a @ b: every channel b starts from a state must be left in it by a."""
    x, y = a._node, b._node
    for ch in sorted(ARENA.channel_ids(y)):
        needs = start_needs(y, ch)
        if needs is None or needs == _TRANSPARENT:
            continue
        state = end_state(x, ch)
        if state is not None and state not in needs:
            wanted = " or ".join(s.name.lower() for s in sorted(needs))
            raise StateError(
                f"a @ b: at {a._duration} cycles {channel_by_id(ch)!r} is "
                f"{state.name.lower()} at the end of a, but b starts it from {wanted}",
                hint="insert the operation that brings it there, or compose with >>")
