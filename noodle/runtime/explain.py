"""What `NOODLE_EXPLAIN` says of a key compiled for new argument types: which arguments'
types differ from those of the nearest key compiled before, in this process or, found
in the on-disk cache, in an earlier one."""
from __future__ import annotations

from collections.abc import Sequence


def new_argument_types(names: Sequence[str], known: Sequence[Sequence[str]],
                       key: Sequence[str]) -> str | None:
    """"new argument types: 'b' was X, now Y; ..." against the key of `known` (argument
    types as text, by position) that differs from `key` in the fewest arguments; None
    when no known key has as many arguments."""
    known = [k for k in known if len(k) == len(key) and list(k) != list(key)]
    if not known:
        return None
    nearest = min(known, key=lambda k: sum(a != b for a, b in zip(k, key)))
    changed = [f"'{names[i]}' was {old}, now {new}"
               for i, (old, new) in enumerate(zip(nearest, key)) if old != new]
    return "new argument types: " + "; ".join(changed)
