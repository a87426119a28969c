"""The arena: every morphism is one packed 37-byte row, so building is an append and
composing is O(1) and copies nothing.

Row fields:
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

Rows are packed into one bytearray (a `struct.pack` and one extend per node); the
compiler reads them as a NumPy structured array, and single fields are read through
column accessors (`ARENA.duration[i]`).
"""
from __future__ import annotations

import struct
from array import array

import numpy as np

PRIM, SEQ, SERIAL, PAR, PAR_UNCHECKED, REPEAT = range(6)
NO_CHANNEL = -1
EMPTY_MIN = 2**31 - 1
#: operands with at most this many primitive occurrences together are checked exactly
EXACT_CHECK_LIMIT = 512

FIELDS = ("kind", "a", "b", "param", "duration", "chmin", "chmax", "leaves")
ROW = struct.Struct("<Biiiqiiq")
ROW_DTYPE = np.dtype([("kind", "u1"), ("a", "<i4"), ("b", "<i4"), ("param", "<i4"),
                      ("duration", "<i8"), ("chmin", "<i4"), ("chmax", "<i4"),
                      ("leaves", "<i8")])
assert ROW.size == ROW_DTYPE.itemsize == 37


class _Column:
    """One field of every row, read by node index."""
    __slots__ = ("_rows", "_offset", "_unpack")

    def __init__(self, arena: Arena, field: str):
        self._rows = arena.rows
        self._offset = ROW_DTYPE.fields[field][1]
        self._unpack = struct.Struct("<" + ROW.format[1:][FIELDS.index(field)]).unpack_from

    def __getitem__(self, node: int) -> int:
        return self._unpack(self._rows, node * 37 + self._offset)[0]


class Arena:
    def __init__(self) -> None:
        self.rows = bytearray()
        self.count = 0
        self.values = array("d")
        self.value_index: dict[float, int] = {}  # value -> its pool index
        for field in FIELDS:
            setattr(self, field, _Column(self, field))

    def __len__(self) -> int:
        return self.count

    def nbytes(self) -> int:
        return len(self.rows) + self.values.itemsize * len(self.values)

    def value(self, v: float) -> int:
        """The pool index of a parameter value (each distinct value stored once)."""
        index = self.value_index.get(v)
        if index is None:
            index = self.value_index[v] = len(self.values)
            self.values.append(v)
        return index

    # -- queries ---------------------------------------------------------------------
    def channel_ids(self, root: int) -> set[int]:
        """The channels of a subtree: a walk over its distinct nodes."""
        found: set[int] = set()
        seen: set[int] = set()
        stack = [root]
        unpack = ROW.unpack_from
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            kind, a, b, _, _, _, chmax, _ = unpack(self.rows, node * 37)
            if chmax < 0:
                continue
            if kind == PRIM:
                found.add(b)
            elif kind == REPEAT:
                stack.append(a)
            else:
                stack += (a, b)
        return found

    #: the fields the compiler reads (leaves of a root comes from the row accessor)
    COMPILER_FIELDS = ("kind", "a", "b", "param", "duration")

    def columns(self, upto: int | None = None,
                fields: tuple[str, ...] = COMPILER_FIELDS) -> dict[str, np.ndarray]:
        """`fields` of rows [0, upto] as NumPy arrays, plus the value pool (copies: the
        arena keeps growing meanwhile, and a view would pin its buffer). A subtree lies
        within [0, its root]: children are always built before their parents."""
        end = len(self.rows) if upto is None else (upto + 1) * ROW.size
        with memoryview(self.rows) as rows:
            table = np.frombuffer(rows[:end], dtype=ROW_DTYPE)
            # np.array always copies (ascontiguousarray would keep a one-row column as an
            # unaligned view, which compiled kernels refuse), so nothing keeps the
            # memoryview, which would stop the arena from growing
            cols = {name: np.array(table[name]) for name in fields}
            del table
        cols["values"] = np.array(self.values)
        return cols


#: the arena every morphism of this process lives in
ARENA = Arena()
