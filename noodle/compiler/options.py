"""Options that change the code noodle generates (and so belong in any cache key), and
the tiers a kernel is compiled at."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

#: A new key is compiled at once by the baseline tier (cheap: no LLVM optimisation) so
#: its first call is quick; a hot key is recompiled by the optimising tier.
TIERS = ("baseline", "optimising")


#: LLVM's fast-math flags, which `@jit(fastmath=...)` may ask for (`passes.fastmath`
#: says what each allows)
FASTMATH_FLAGS = ("reassoc", "contract", "nnan", "ninf", "nsz", "arcp", "afn")


@dataclass(frozen=True)
class CompileOptions:
    boundscheck: bool = False
    opt_level: int = 3  # LLVM's, at the optimising tier
    tier: str = "optimising"
    parallel: bool = False  # array loops run on all cores
    fastmath: frozenset[str] = frozenset()  # LLVM's fast-math flags (`passes.fastmath`)
    #: matrix products call NumPy's BLAS (`compiler/blas.py`); False for code that must
    #: not depend on it (noodlec's shared libraries), which then runs noodle's loops
    blas: bool = True

    def at_tier(self, tier: str) -> CompileOptions:
        return replace(self, tier=tier)

    @property
    def llvm_opt_level(self) -> int:
        # LLVM's -O1 costs ~4x -O0 in code generation alone (~75 ms against ~7 ms for a
        # small kernel here): the baseline tier is -O0, and hot keys get the rest
        return 0 if self.tier == "baseline" else self.opt_level

    def tiers_differ(self) -> bool:
        """Whether the optimising tier would compile anything differently."""
        return (self.at_tier("optimising").llvm_opt_level
                != self.at_tier("baseline").llvm_opt_level)

    def key(self) -> tuple:
        return (self.boundscheck, self.opt_level, self.tier, self.parallel,
                tuple(sorted(self.fastmath)), self.blas)


def fastmath_flags(value: bool | str | Iterable[str]) -> frozenset[str]:
    """The flags `@jit(fastmath=value)` asks for: True (or "fast") for all of them, False
    for none, or a set of flag names; anything else is a ValueError that lists them."""
    if value is True or value == "fast":
        return frozenset(FASTMATH_FLAGS)
    if value is False or value is None:
        return frozenset()
    flags = frozenset([value] if isinstance(value, str) else value)
    unknown = sorted(flags - set(FASTMATH_FLAGS))
    if unknown:
        raise ValueError(f"unknown fastmath flag(s) {', '.join(map(repr, unknown))}: use "
                         f"True, or a set of {', '.join(FASTMATH_FLAGS)}")
    return flags
