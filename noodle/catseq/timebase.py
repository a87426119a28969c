"""Time in catseq: an integer count of machine cycles.

`us(1.5)`, `ns(40)`, `ms(2)` and `cycles(n)` make `Duration`s; a duration becomes cycles
exactly (rational arithmetic, so 1.5 us at 250 MHz is 375 cycles, never 374.99...) at the
clock in force where a primitive is built: 250 MHz unless a program sets another with
`with cs.clock(hz):`. A time that is not a whole number of cycles is an error.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from fractions import Fraction

from noodle.catseq.errors import DurationError

DEFAULT_CLOCK_HZ = 250_000_000
# A plain module variable, not thread-local: it is read for every primitive built, and
# sequences are built on one thread.
_clock_hz = DEFAULT_CLOCK_HZ


def clock_hz() -> int:
    """The clock frequency durations are converted with here and now."""
    return _clock_hz


@contextlib.contextmanager
def clock(hz: int) -> Iterator[None]:
    """Build the sequences inside the block for a machine clocked at `hz`."""
    if not isinstance(hz, int) or hz <= 0:
        raise DurationError(f"the clock must be a positive whole number of Hz, not {hz!r}")
    global _clock_hz
    previous, _clock_hz = _clock_hz, hz
    try:
        yield
    finally:
        _clock_hz = previous


class Duration:
    """A span of time, exact: `seconds` (a Fraction) or `whole_cycles`. Immutable; it
    remembers its cycle count at the last clock it was converted at, since a program
    converts the same few durations again and again."""
    __slots__ = ("seconds", "whole_cycles", "written", "_hz", "_cycles")

    def __init__(self, seconds: Fraction | None = None, whole_cycles: int | None = None,
                 written: str = ""):
        self.seconds = seconds
        self.whole_cycles = whole_cycles
        self.written = written  # how the user wrote it, for error messages
        self._hz = self._cycles = None

    def to_cycles(self, hz: int | None = None) -> int:
        if self.whole_cycles is not None:
            return self.whole_cycles
        hz = hz or clock_hz()
        if hz == self._hz:
            return self._cycles
        exact = self.seconds * hz
        if exact.denominator != 1:
            raise DurationError(f"{self.written} is {float(exact):g} cycles at "
                                f"{hz / 1e6:g} MHz, not a whole number",
                                hint="use a multiple of the clock period, or cs.cycles(n)")
        self._hz, self._cycles = hz, int(exact)
        return self._cycles

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Duration) and (self.seconds, self.whole_cycles) == (
            other.seconds, other.whole_cycles)

    def __hash__(self) -> int:
        return hash((self.seconds, self.whole_cycles))

    def __repr__(self) -> str:
        return self.written


def _exact(value: int | float | Fraction | str, unit: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction, str)):
        raise DurationError(f"a time in {unit} must be a number, not {value!r}")
    # str(float) is the shortest decimal that round-trips: 1.5 -> '1.5', exactly 3/2
    try:
        exact = Fraction(str(value)) if isinstance(value, float) else Fraction(value)
    except (ValueError, ZeroDivisionError):  # a string that is not a number, nan, inf
        raise DurationError(f"{value!r} is not a time in {unit}") from None
    if exact < 0:
        raise DurationError(f"a duration cannot be negative: {value!r} {unit}")
    return exact


def _unit(name: str, per_second: int):
    """The constructor of durations in one unit. The same literal (cs.us(4) written
    inline in a loop) gives the same Duration object, whose cycle count is then
    converted once: building stays ~1 us per primitive. A plain dict, not lru_cache:
    this runs once per primitive, and True == 1 must still be refused."""
    made: dict[object, Duration] = {}

    def make(value: int | float | Fraction | str) -> Duration:
        duration = made.get(value)
        if duration is None or value.__class__ is bool:
            duration = Duration(_exact(value, name) / per_second, written=f"{value} {name}")
            if len(made) < 4096:
                made[value] = duration
        return duration

    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"A duration of `value` {name} (exact: decimals are taken as written)."
    return make


us = _unit("us", 1_000_000)
ns = _unit("ns", 1_000_000_000)
ms = _unit("ms", 1_000)


def cycles(n: int) -> Duration:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise DurationError(f"cycles(n) needs a non-negative integer, not {n!r}")
    return Duration(whole_cycles=n, written=f"{n} cycles")


def as_cycles(duration: Duration) -> int:
    """The cycle count of a duration given to a primitive; bare numbers are refused,
    since 1.5 could mean seconds, microseconds or cycles."""
    if duration.__class__ is Duration:
        if duration.whole_cycles is not None:
            return duration.whole_cycles
        if duration._hz == _clock_hz:
            return duration._cycles
        return duration.to_cycles()
    if not isinstance(duration, Duration):
        raise DurationError(f"a duration must be written with its unit, not {duration!r}",
                            hint="write cs.us(1.5), cs.ns(40) or cs.cycles(375)")
    return duration.to_cycles()
