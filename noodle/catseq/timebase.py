"""Time in catseq: an integer count of machine cycles.

`us(1.5)`, `ns(40)`, `ms(2)` and `cycles(n)` make `Duration`s; a duration becomes cycles
exactly (rational arithmetic, so 1.5 us at 250 MHz is 375 cycles, never 374.99...) at the
clock in force where a primitive is built: 250 MHz unless a program sets another with
`with cs.clock(hz):`. A time that is not a whole number of cycles is an error.
"""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from fractions import Fraction
from typing import Iterator

from noodle.catseq.errors import DurationError

DEFAULT_CLOCK_HZ = 250_000_000
_state = threading.local()


def clock_hz() -> int:
    """The clock frequency durations are converted with here and now."""
    return getattr(_state, "hz", DEFAULT_CLOCK_HZ)


@contextlib.contextmanager
def clock(hz: int) -> Iterator[None]:
    """Build the sequences inside the block for a machine clocked at `hz`."""
    if not isinstance(hz, int) or hz <= 0:
        raise DurationError(f"the clock must be a positive whole number of Hz, not {hz!r}")
    previous = clock_hz()
    _state.hz = hz
    try:
        yield
    finally:
        _state.hz = previous


@dataclass(frozen=True)
class Duration:
    """A span of time, exact: `seconds` is a Fraction, or `whole_cycles` a cycle count."""
    seconds: Fraction | None = None
    whole_cycles: int | None = None
    written: str = ""  # how the user wrote it, for error messages

    def to_cycles(self, hz: int | None = None) -> int:
        if self.whole_cycles is not None:
            return self.whole_cycles
        exact = self.seconds * (hz or clock_hz())
        if exact.denominator != 1:
            raise DurationError(f"{self.written} is {float(exact):g} cycles at "
                                f"{(hz or clock_hz()) / 1e6:g} MHz, not a whole number",
                                hint="use a multiple of the clock period, or cs.cycles(n)")
        return int(exact)

    def __repr__(self) -> str:
        return self.written


def _exact(value: int | float | Fraction | str, unit: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, str)):
        raise DurationError(f"a time in {unit} must be a number, not {value!r}")
    # str(float) is the shortest decimal that round-trips: 1.5 -> '1.5', exactly 3/2
    exact = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    if exact < 0:
        raise DurationError(f"a duration cannot be negative: {value!r} {unit}")
    return exact


def us(value: int | float | Fraction | str) -> Duration:
    return Duration(_exact(value, "us") / 1_000_000, written=f"{value} us")


def ns(value: int | float | Fraction | str) -> Duration:
    return Duration(_exact(value, "ns") / 1_000_000_000, written=f"{value} ns")


def ms(value: int | float | Fraction | str) -> Duration:
    return Duration(_exact(value, "ms") / 1_000, written=f"{value} ms")


def cycles(n: int) -> Duration:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise DurationError(f"cycles(n) needs a non-negative integer, not {n!r}")
    return Duration(whole_cycles=n, written=f"{n} cycles")


def as_cycles(duration: Duration) -> int:
    """The cycle count of a duration given to a primitive; bare numbers are refused,
    since 1.5 could mean seconds, microseconds or cycles."""
    if duration.__class__ is Duration:
        cycles = duration.whole_cycles
        return cycles if cycles is not None else duration.to_cycles()
    if not isinstance(duration, Duration):
        raise DurationError(f"a duration must be written with its unit, not {duration!r}",
                            hint="write cs.us(1.5), cs.ns(40) or cs.cycles(375)")
    return duration.to_cycles()
