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
    """A handle on an arena row. Besides the node it keeps, in one tuple `_h`, all that
    composition reads, so composing never reads the arena:

        (node, duration, chmin, chmax, leaves, mask, hz)

    `mask` has bit (id % 64) set for each channel id: `|` on operands whose masks do not
    meet is disjoint at once. `hz` is the clock its durations were converted at (0:
    written in cycles only), so parts built for different clocks never mix. The mask
    and the clock live on handles only, not in the arena. (One tuple, unpacked in one
    step, is markedly faster than seven attributes on the building hot path.)"""
    __slots__ = ("_h",)

    def __init__(self, h: tuple[int, int, int, int, int, int, int]):
        self._h = h

    @property
    def _node(self) -> int:
        return self._h[0]

    # -- algebra (the hot path of building) -------------------------------------------
    def __rshift__(self, other: Morphism) -> Morphism:
        if other.__class__ is not Morphism:
            raise _bad_operand(other, ">>")
        return _compose(A.SEQ, self._h, other._h, False)

    def __matmul__(self, other: Morphism) -> Morphism:
        if other.__class__ is not Morphism:
            raise _bad_operand(other, "@")
        check_serial_states(self, other)
        return _compose(A.SERIAL, self._h, other._h, False)

    def __or__(self, other: Morphism) -> Morphism:
        if other.__class__ is not Morphism:
            raise _bad_operand(other, "|")
        x, y = self._h, other._h
        # no channel id in common even modulo 64: disjoint, without a call
        kind = A.PAR if not x[5] & y[5] or check_disjoint(x, y) else A.PAR_UNCHECKED
        return _compose(kind, x, y, True)

    def repeat(self, n: int) -> Morphism:
        """This morphism n times in a row."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"repeat needs a positive integer count, not {n!r}")
        node, duration, lo, hi, leaves, mask, hz = self._h
        return make(A.REPEAT, node, n, -1, duration * n, lo, hi, leaves * n, mask, hz)

    def with_clock(self, hz: int) -> Morphism:
        """The same sequence, marked as written for clock `hz` (for readers that get
        durations back as cycle counts)."""
        return Morphism(self._h[:6] + (hz,))

    # -- queries ---------------------------------------------------------------------
    @property
    def duration(self) -> int:
        """Length in cycles, from the first operation's start to the last one's end."""
        return self._h[1]

    @property
    def clock_hz(self) -> int | None:
        """The clock its durations were converted at (None: written in cycles only)."""
        return self._h[6] or None

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
_new_handle = object.__new__  # skips a Python-level __init__ call: ~50 ns of ~700 per node


def make(kind: int, a: int, b: int, param: int, duration: int, chmin: int, chmax: int,
         leaves: int, mask: int, hz: int) -> Morphism:
    """Append a row to the arena and return its handle (`_compose` is this, written
    out for compositions)."""
    arena = ARENA
    arena.rows += _pack(kind, a, b, param, duration, chmin, chmax, leaves)
    node = arena.count
    arena.count = node + 1
    m = _new_handle(Morphism)
    m._h = (node, duration, chmin, chmax, leaves, mask, hz)
    return m


def _compose(kind: int, x: tuple, y: tuple, parallel: bool) -> Morphism:
    """A `kind` node over handles x and y: side by side (lasting the longer) when
    `parallel`, else y starting when x ends. `make` written out: composing is the hot
    path of building, and a call is ~10% of a composition."""
    n1, d1, lo1, hi1, l1, m1, z1 = x
    n2, d2, lo2, hi2, l2, m2, z2 = y
    duration = (d1 if d1 > d2 else d2) if parallel else d1 + d2
    lo = lo1 if lo1 < lo2 else lo2
    hi = hi1 if hi1 > hi2 else hi2
    arena = ARENA
    arena.rows += _pack(kind, n1, n2, -1, duration, lo, hi, l1 + l2)
    node = arena.count
    arena.count = node + 1
    m = _new_handle(Morphism)
    m._h = (node, duration, lo, hi, l1 + l2, m1 | m2, z1 if z1 == z2 else _common_clock(z1, z2))
    return m


def _common_clock(x: int, y: int) -> int:
    """The clock of a composition of operands with different clocks: the one that has
    one (0 means cycle counts only); two different clocks are an error."""
    if x and y:
        raise DurationError(f"cannot compose parts built for different clocks: "
                            f"{x / 1e6:g} MHz and {y / 1e6:g} MHz (their cycle counts "
                            f"mean different times)",
                            hint="build the whole sequence inside one `with cs.clock(hz):`")
    return x or y


def _bad_operand(other: object, op: str) -> TypeError:
    return TypeError(f"cannot compose a Morphism with {type(other).__name__} using {op}")


def check_disjoint(x: tuple, y: tuple) -> bool:
    """Raise if the morphisms of handles x and y share a channel, when that is cheap to
    tell; False when the check is left to the compiler."""
    nx, _, lox, hix, lx, mx, _ = x
    ny, _, loy, hiy, ly, my, _ = y
    if not mx & my:  # no channel id in common, even modulo 64
        return True
    if hix < loy or hiy < lox:  # id ranges apart (or one is empty)
        return True
    if lx + ly > A.EXACT_CHECK_LIMIT:
        return False
    common = ARENA.channel_ids(nx) & ARENA.channel_ids(ny)
    if common:
        raise overlap_error(nx, ny, common)
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
                f"a @ b: at {a.duration} cycles {channel_by_id(ch)!r} is "
                f"{state.name.lower()} at the end of a, but b starts it from {wanted}",
                hint="insert the operation that brings it there, or compose with >>")
