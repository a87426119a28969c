"""`noodle.prange`: `range`, whose iterations a `parallel=True` function runs in
parallel (anywhere else, and in plain Python, it is `range`)."""
from __future__ import annotations


def prange(*args: int) -> range:
    """range(*args); in a function compiled with `parallel=True`, a loop over it runs
    its iterations in tasks on all cores, so they must not depend on each other: each
    may write its own elements of arrays, but no variable may carry a value from one
    iteration to the next (a reduction such as `s += x[i]` is not supported yet)."""
    return range(*args)


def is_prange(obj: object) -> bool:
    """noodle's prange, or Numba's (`numba.prange`), which code written for Numba uses
    and which means the same."""
    return obj is prange or (getattr(obj, "__name__", None) == "prange"
                             and getattr(obj, "__module__", "").startswith("numba."))
