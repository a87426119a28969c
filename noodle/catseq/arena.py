"""The arena: every morphism is a row in a few typed columns, so building is an append
and composing is O(1) and copies nothing.

Columns (one row = one node, 37 bytes):
    kind      PRIM, SEQ (>>), SERIAL (@), PAR (|), PAR_UNCHECKED (| checked at compile
              time), REPEAT
    a, b      PRIM: primitive code, channel id (-1: none); SEQ/SERIAL/PAR: lhs, rhs;
              REPEAT: child, count
    param     PRIM: index into the deduplicated value pool (-1: no value)
    duration  cycles
    chmin/chmax  the range of channel ids in the subtree (an empty range when none)
    leaves    how many primitive occurrences the subtree expands to

A node never stores its channel set: that is what made the earlier design quadratic
(a flat fold of n channels held n^2/2 entries). `|` checks disjointness with the id
ranges (O(1), and enough for channels composed in creation order), exactly on small
operands, and otherwise marks the node PAR_UNCHECKED for the compiler to check before it
produces any event. Padding is not stored either: the compiler derives it from durations.
The columns are `array.array`s (append ~40 ns); the compiler reads them as NumPy arrays.
"""
from __future__ import annotations

from array import array

import numpy as np

PRIM, SEQ, SERIAL, PAR, PAR_UNCHECKED, REPEAT = range(6)
NO_CHANNEL = -1
EMPTY_MIN = 2**31 - 1
#: operands with at most this many primitive occurrences together are checked exactly
EXACT_CHECK_LIMIT = 512


class Arena:
    def __init__(self) -> None:
        self.kind = array("B")
        self.a = array("i")
        self.b = array("i")
        self.param = array("i")
        self.duration = array("q")
        self.chmin = array("i")
        self.chmax = array("i")
        self.leaves = array("q")
        self.values = array("d")
        self._value_index: dict[float, int] = {}

    def __len__(self) -> int:
        return len(self.kind)

    def nbytes(self) -> int:
        columns = (self.kind, self.a, self.b, self.param, self.duration, self.chmin,
                   self.chmax, self.leaves, self.values)
        return sum(c.itemsize * len(c) for c in columns)

    def _add(self, kind: int, a: int, b: int, param: int, duration: int, chmin: int,
             chmax: int, leaves: int) -> int:
        self.kind.append(kind)
        self.a.append(a)
        self.b.append(b)
        self.param.append(param)
        self.duration.append(duration)
        self.chmin.append(chmin)
        self.chmax.append(chmax)
        self.leaves.append(leaves)
        return len(self.kind) - 1

    def value(self, v: float) -> int:
        """The pool index of a parameter value (each distinct value stored once)."""
        index = self._value_index.get(v)
        if index is None:
            index = self._value_index[v] = len(self.values)
            self.values.append(v)
        return index

    def primitive(self, code: int, channel: int, duration: int, param: int) -> int:
        if channel == NO_CHANNEL:
            return self._add(PRIM, code, channel, param, duration, EMPTY_MIN, -1, 1)
        return self._add(PRIM, code, channel, param, duration, channel, channel, 1)

    def _pair(self, kind: int, x: int, y: int, duration: int) -> int:
        return self._add(kind, x, y, -1, duration, min(self.chmin[x], self.chmin[y]),
                         max(self.chmax[x], self.chmax[y]), self.leaves[x] + self.leaves[y])

    def sequence(self, x: int, y: int, serial: bool = False) -> int:
        return self._pair(SERIAL if serial else SEQ, x, y, self.duration[x] + self.duration[y])

    def parallel(self, x: int, y: int, checked: bool) -> int:
        return self._pair(PAR if checked else PAR_UNCHECKED, x, y,
                          max(self.duration[x], self.duration[y]))

    def repeat(self, x: int, count: int) -> int:
        return self._add(REPEAT, x, count, -1, self.duration[x] * count, self.chmin[x],
                         self.chmax[x], self.leaves[x] * count)

    # -- queries ---------------------------------------------------------------------
    def ranges_overlap(self, x: int, y: int) -> bool:
        return self.chmin[x] <= self.chmax[y] and self.chmin[y] <= self.chmax[x]

    def channel_ids(self, root: int) -> set[int]:
        """The channels of a subtree: a walk over its distinct nodes."""
        found: set[int] = set()
        seen: set[int] = set()
        stack = [root]
        while stack:
            node = stack.pop()
            if node in seen or self.chmax[node] < 0:
                continue
            seen.add(node)
            kind = self.kind[node]
            if kind == PRIM:
                found.add(self.b[node])
            elif kind == REPEAT:
                stack.append(self.a[node])
            else:
                stack += (self.a[node], self.b[node])
        return found

    def columns(self) -> dict[str, np.ndarray]:
        """The columns as NumPy arrays (copies: the arena keeps growing meanwhile)."""
        return {name: np.array(getattr(self, name)) for name in
                ("kind", "a", "b", "param", "duration", "leaves", "values")}


#: the arena every morphism of this process lives in
ARENA = Arena()
