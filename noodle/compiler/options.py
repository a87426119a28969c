"""Options that change the code noodle generates (and so belong in any cache key)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CompileOptions:
    boundscheck: bool = False
    opt_level: int = 2

    def key(self) -> tuple:
        return (self.boundscheck, self.opt_level)
