"""A call's arguments as compiled code takes them: tuples flattened, Nones dropped."""
from __future__ import annotations

from collections.abc import Sequence


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
