"""A call's arguments as compiled code takes them, and its result as compiled code gives
it back: tuples flattened, Nones dropped."""
from __future__ import annotations

from collections.abc import Iterator, Sequence

from noodle.compiler.types import NoneType, NType, TupleType


def leaves(args: Sequence[object]) -> list[object]:
    """The arguments in order, each tuple replaced by its own leaves and each None (an
    argument of no data) left out."""
    out: list[object] = []
    for a in args:
        if isinstance(a, tuple):
            out += leaves(a)
        elif a is not None:
            out.append(a)
    return out


def rebuild(t: NType, values: Iterator[object]) -> object:
    """A result of type `t` from the leaves compiled code returned (`leaf_types(t)`, in
    order): tuples rebuilt, None put back."""
    if isinstance(t, TupleType):
        return tuple(rebuild(item, values) for item in t.items)
    if isinstance(t, NoneType):
        return None
    return next(values)
