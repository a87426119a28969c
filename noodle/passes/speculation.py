"""Which ops may run where the program would not have run them: computed before a loop
from a test inside it (`unswitch-loops`), or in a vector lane whose iteration took the
other branch or left its loop already (`vectorize-outer-loops`)."""
from __future__ import annotations

from mlir import ir

#: arith ops undefined for some operands (a zero divisor, and the signed ones for the
#: most negative number divided by -1)
UNDEFINED_FOR_SOME_OPERANDS = ("arith.divsi", "arith.divui", "arith.remsi", "arith.remui",
                               "arith.ceildivsi", "arith.ceildivui", "arith.floordivsi")


def speculatable(op: ir.Operation) -> bool:
    """Whether `op` (not its regions) reads and writes no memory and is defined for every
    operand: running it for nothing changes nothing but its results."""
    return (op.name.startswith(("arith.", "math."))
            and op.name not in UNDEFINED_FOR_SOME_OPERANDS and not len(op.regions))
