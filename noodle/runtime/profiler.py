"""What the runtime knows about each specialisation: calls and time (native code counts
its own calls and cycles, see `native_entry.py`; the Python-level paths are timed
here), compile times per tier, cache hits and misses, fallbacks, and when a key is hot.

`noodle.stats()` reports it per function and key, as a dict or as JSON, and
`NOODLE_METRICS_FILE` receives the JSON at exit and after every compilation.
"""
from __future__ import annotations

import atexit
import contextlib
import json
import os
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from noodle.errors import NoodleConfigWarning
from noodle.runtime.config import environment_number
from noodle.runtime.user_warnings import warn_in_user_code

DEFAULT_HOT_CALLS = 1000
DEFAULT_HOT_SECONDS = 0.05


@dataclass
class HotThreshold:
    """A key is hot once it was called `calls` times or ran `seconds` in native code."""
    calls: int = DEFAULT_HOT_CALLS
    seconds: float = DEFAULT_HOT_SECONDS

    @classmethod
    def from_environment(cls, calls: int | None = None,
                         seconds: float | None = None) -> HotThreshold:
        """`calls` and `seconds` where given, else `NOODLE_HOT_THRESHOLD` and
        `NOODLE_HOT_SECONDS`, else the defaults."""
        return cls(
            calls if calls is not None else
            environment_number("NOODLE_HOT_THRESHOLD", DEFAULT_HOT_CALLS, int),
            seconds if seconds is not None else
            environment_number("NOODLE_HOT_SECONDS", DEFAULT_HOT_SECONDS, float))


@dataclass
class KeyProfile:
    """One specialisation (argument-type key) of one function."""
    signature: str
    tier: str = "none"
    python_calls: int = 0       # calls that took the Python-level path to native code
    python_seconds: float = 0.0
    interpreter_calls: int = 0  # calls run as plain Python (the key could not compile)
    interpreter_seconds: float = 0.0
    compile_seconds: dict[str, float] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0
    fallback: str | None = None
    promotion: str | None = None  # what happened to the optimising tier
    native: object = None         # the NativeEntry counting native calls, if any
    #: entries since replaced (a lower tier's), read when reported: a call the program
    #: makes through one while the promotion thread swaps it out still counts
    retired: list = field(default_factory=list)

    def retire(self, entry: object) -> None:
        """Keep counting the calls of an entry being replaced."""
        if entry is not None:
            self.retired.append(entry)

    def report(self) -> dict:
        entries = [*self.retired, *([self.native] if self.native is not None else [])]
        calls = sum(entry.calls for entry in entries)
        cycles = sum(entry.cycles for entry in entries)
        rate = cycles_per_second() if cycles else 1.0
        return {"signature": self.signature, "tier": self.tier,
                "calls": calls + self.python_calls + self.interpreter_calls,
                "native_calls": calls + self.python_calls,
                # None in the ~20 ms before the cycle counter's rate is known
                "native_seconds": (cycles / rate + self.python_seconds) if rate else None,
                "interpreter_calls": self.interpreter_calls,
                "interpreter_seconds": self.interpreter_seconds,
                "compile_seconds": dict(self.compile_seconds),
                "cache_hits": self.cache_hits, "cache_misses": self.cache_misses,
                "fallback": self.fallback, "promotion": self.promotion}


#: every dispatcher, for `stats()` (weakly: a dispatcher may go away)
_DISPATCHERS: weakref.WeakSet = weakref.WeakSet()


def track(dispatcher: object) -> None:
    _DISPATCHERS.add(dispatcher)


def tracked() -> list:
    return list(_DISPATCHERS)


def stats(format: str = "dict") -> dict | str:
    """Per function (`module.qualname`) and key: calls, time in native code and in the
    interpreter, compile time per tier, cache hits and misses, current tier, fallbacks
    with their reasons, and the optimising tier's progress. `format="json"` gives the
    same as JSON text."""
    report: dict[str, dict] = {}
    for dispatcher in tracked():
        func = dispatcher.py_func
        keys = {p.signature: p.report() for p in dispatcher.profiles()}
        if keys:
            name = f"{func.__module__}.{func.__qualname__}"
            copies = sum(1 for known in report if known.split("#")[0] == name)
            # the same function jitted twice (with other options, say): both reported
            report[f"{name}#{copies + 1}" if copies else name] = keys
    if format == "json":
        return json.dumps(report, indent=2, sort_keys=True)
    if format != "dict":
        raise ValueError(f"stats(format=...) takes 'dict' or 'json', not {format!r}")
    return report


def write_metrics_file() -> None:
    """Write `stats()` as JSON to NOODLE_METRICS_FILE, if set (atomically: a scraper
    never reads half a file)."""
    path = os.environ.get("NOODLE_METRICS_FILE")
    if not path:
        return
    # the thread in the name too: promotions write from a thread of their own
    temp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(temp, "w") as out:
            out.write(stats("json"))
        os.replace(temp, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.remove(temp)
        if error.errno not in _metrics_errors_told:
            _metrics_errors_told.add(error.errno)
            warn_in_user_code(NoodleConfigWarning(
                f"cannot write NOODLE_METRICS_FILE={path!r} ({error}); the metrics are not "
                "exported (set it to a file in a writable directory)"))


#: the errnos of failed metrics writes warned about already (each compile writes)
_metrics_errors_told: set[int | None] = set()


atexit.register(write_metrics_file)


class Stopwatch:
    """Time of a Python-level call, added to a profile field."""
    __slots__ = ("start",)

    def __init__(self) -> None:
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


# -- cycles to seconds -----------------------------------------------------------------------
# The rate is known at once where `_cycle_counter` reads the entries' counter: over the
# time since this module was imported, which includes the first compile (at least a few
# milliseconds). Elsewhere it is measured over ~20 ms, in a thread that sleeps
# meanwhile, so that no call waits for it; until it is known, hotness by time is off
# (`seconds_to_cycles` says "never"). Kernels are read through their own reader.
_rate: list[float] = []
_waiting: list[Callable[[], None]] = []
_rate_lock = threading.Lock()
_NEVER = 2**64 - 1
#: the shortest time over which the rate is measured
_MEASURED_OVER = 0.002


try:
    from noodle.runtime import _cycle_counter
except ImportError:  # built with noodle; absent where it could not be compiled
    _cycle_counter = None


def _read_counter() -> int | None:
    return _cycle_counter.read() if _cycle_counter is not None else None


_imported_at = (_read_counter(), time.perf_counter())


def cycles_per_second() -> float:
    """The rate of the cycle counter the entries read (0.0 while unknown)."""
    with _rate_lock:
        return _rate[0] if _rate else 0.0


def seconds_to_cycles(seconds: float, read_cycles: Callable[[], int],
                      when_known: Callable[[], None]) -> int:
    """`seconds` in cycles of the counter, or "never" while the rate is being measured
    (with `read_cycles`; `when_known` is called once it is)."""
    with _rate_lock:
        if not _rate:
            _measure_since_import(read_cycles)
        if _rate:
            return min(int(seconds * _rate[0]), _NEVER)
        _waiting.append(when_known)
        if len(_waiting) == 1:
            threading.Thread(target=_calibrate, args=(read_cycles,), name="noodle-calibrate",
                             daemon=True).start()
    return _NEVER


def _measure_since_import(read_cycles: Callable[[], int]) -> None:
    """The rate since this module was imported, if `_cycle_counter` reads the same
    counter as `read_cycles` and long enough has passed (under `_rate_lock`)."""
    (c0, t0), c1, t1 = _imported_at, _read_counter(), time.perf_counter()
    if c0 is None or c1 is None or t1 - t0 < _MEASURED_OVER:
        return
    rate = (c1 - c0) / (t1 - t0)
    # the same counter: the kernel's reader, read right after, is no further on than
    # a millisecond's worth of counts (another counter would be far off, or behind)
    if rate > 0 and 0 <= read_cycles() - c1 < rate * 1e-3:
        _rate.append(rate)


def _calibrate(read_cycles: Callable[[], int]) -> None:
    c0, t0 = read_cycles(), time.perf_counter()
    time.sleep(0.02)
    c1, t1 = read_cycles(), time.perf_counter()
    with _rate_lock:
        _rate.append(max((c1 - c0) / (t1 - t0), 1.0))
        waiting = list(_waiting)
        _waiting.clear()
    for callback in waiting:
        callback()
