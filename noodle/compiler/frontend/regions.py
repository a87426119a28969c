"""Variables across structured regions (scf.if / scf.for / scf.while).

Python code rebinds variables freely; MLIR regions pass values only through block
arguments and yields. For each region the code generator asks which variables to carry
(`carried`), packs their current values (`pack`), and rebinds them from the region's
results (`unpack`). What a region carries is first guessed from the syntax; whatever
the guess missed (a variable first bound inside and read after, a flag set by an
error check, a type that widens in a loop) is recorded in `Hints`, and the function is
generated again. Hints only grow and types only widen, so this ends after a few rounds.
"""
from __future__ import annotations

import ast
from collections.abc import Hashable
from dataclasses import dataclass, field

from noodle.compiler.frontend.analysis import (CONTINUED, RETVAL, assigned_names,
                                               is_unbound_flag)
from noodle.compiler.frontend.values import Val
from noodle.compiler.types import NType, unify


@dataclass
class Hints:
    """What earlier rounds of code generation learned about one function."""
    #: the type a variable (or an expression node) takes where paths merge
    types: dict[Hashable, NType] = field(default_factory=dict)
    #: variables a region must carry beyond what its syntax shows
    extra: dict[Hashable, set[str]] = field(default_factory=dict)
    changed: bool = False

    def widen(self, key: Hashable, t: NType) -> NType | None:
        """Record that `key` also takes type `t`; the merged type, or None if none fits."""
        old = self.types.get(key)
        new = t if old is None else unify(old, t)
        if new is not None and new != old:
            self.types[key] = new
            self.changed = True
        return new

    def carry(self, region: Hashable, name: str) -> None:
        names = self.extra.setdefault(region, set())
        if name not in names:
            names.add(name)
            self.changed = True


@dataclass
class Region:
    """The carried variables of one structured region and their merged types."""
    key: Hashable
    names: list[str]
    types: list[NType]
    entry_env: dict[str, Val]
    #: variables read somewhere outside the region (so live after it)
    read_outside: set[str]


def region_key(node: ast.AST, role: str = "") -> Hashable:
    return (id(node), role)


def names_for(nodes: list[ast.AST], key: Hashable, hints: Hints, env: dict[str, Val],
              read_outside: set[str]) -> list[str]:
    """The variables a region over `nodes` carries, as far as is known this round."""
    candidates = assigned_names(nodes) | hints.extra.get(key, set())
    names = []
    for name in sorted(c for c in candidates if not is_unbound_flag(c)):
        if name == CONTINUED and name not in env:
            continue  # `continue` is local to one iteration of the loop it is in
        live = name in read_outside or name == RETVAL
        if name in env or (live and name in hints.types):
            names.append(name)
    # a variable's unbound flag goes with it, once a path was seen not to bind it
    return names + sorted(c for c in candidates if is_unbound_flag(c) and c[1:] in names)
