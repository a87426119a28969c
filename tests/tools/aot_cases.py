"""The calls the AOT round-trip tests make on `examples/kernels.py`'s library: random
inputs and edge cases (empty, strided, reversed, transposed, 1x1, errors), the same in
every process (a fixed seed), so that the C program, a fresh Python process and `@jit`
can be compared call by call."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SEED = 20261205


@dataclass
class Case:
    c_name: str  # the C function (`trace` has one per signature)
    function: str  # the Python function
    args: tuple
    #: the arrays the arguments view (a C program declares these and points into them)
    bases: tuple = ()


def cases() -> list[Case]:
    rng = np.random.default_rng(SEED)
    out: list[Case] = []

    def add(c_name: str, function: str, *args) -> None:
        bases = tuple(a.base if isinstance(a, np.ndarray) and a.base is not None else a
                      for a in args)
        out.append(Case(c_name, function, args, bases))

    for n in (7, 0, 1, 64):
        add("axpy", "axpy", 1.5, rng.standard_normal(n), rng.standard_normal(n))
    x, y = rng.standard_normal(12), rng.standard_normal(18)
    add("axpy", "axpy", -2.0, x[::2], y[::-3])  # strided and reversed
    add("axpy", "axpy", 0.5, rng.standard_normal(5), rng.standard_normal(4))  # broadcast
    special = np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, 1.7e308])
    add("axpy", "axpy", 2.0, special, special[::-1].copy())

    for n in (9, 1, 100):
        add("rms", "rms", rng.standard_normal(n))
    add("rms", "rms", rng.standard_normal(20)[3:17:4])
    add("rms", "rms", np.array([1e300, -1e300]))  # inf: x * x overflows

    for shape in ((5, 6), (1, 1), (2, 3), (0, 4)):
        add("smooth", "smooth", rng.standard_normal(shape), 0.25)
    add("smooth", "smooth", rng.standard_normal((6, 4)).T, 0.5)  # transposed
    add("smooth", "smooth", rng.standard_normal((7, 9))[1::2, ::-2], 1.0)

    for base, exponent, modulus in ((3, 200, 13), (2, 0, 7), (-5, 3, 11), (7, 12, 1),
                                    (12345, 6789, 1000003), (4, 5, 0)):
        add("power_mod", "power_mod", base, exponent, modulus)

    for n in (6, 1):
        add("normalized", "normalized", rng.standard_normal(n))
    add("normalized", "normalized", rng.standard_normal(10)[::-3])

    add("trace__f64a2", "trace", rng.standard_normal((4, 4)))
    add("trace__f64a2", "trace", rng.standard_normal((3, 5))[:, ::2])
    add("trace__f64a2", "trace", np.full((1, 1), -2.5))
    add("trace__i64a2", "trace", rng.integers(-100, 100, (5, 3)))
    add("trace__i64a2", "trace", rng.integers(-100, 100, (4, 4)).T)

    add("clip_below", "clip_below", rng.standard_normal(8).astype(np.float32),
        np.float32(0.1))
    add("clip_below", "clip_below", np.zeros(0, np.float32), np.float32(0.0))
    add("clip_below", "clip_below", rng.standard_normal(8).astype(np.float32)[::2],
        np.float32(0.0))  # strided where C-contiguous is declared: refused
    return out


def outcome(call) -> object:
    """What a call gives, comparable across processes: its result, or ("raises", type
    name, message)."""
    try:
        with np.errstate(all="ignore"):
            return call()
    except Exception as e:  # noqa: BLE001 - the comparison is of the exception itself
        return ("raises", type(e).__name__, str(e))
