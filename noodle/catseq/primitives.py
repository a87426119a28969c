"""The primitive operations: functions that take the channel first and return a
Morphism. Templates are plain functions of these."""
from __future__ import annotations

import numbers

from noodle.catseq import timebase
from noodle.catseq.arena import ARENA, EMPTY_MIN, NO_CHANNEL, PRIM
from noodle.catseq.channels import RF, TTL, Channel
from noodle.catseq.morphism import Morphism, make
from noodle.catseq.states import BY_NAME, Primitive
from noodle.catseq.timebase import Duration, as_cycles, clock_hz


def _channel_id(p: Primitive, ch: object) -> int:
    """The id of `ch`, after checking it is a channel of the kind `p` works on."""
    if ch.__class__ is Channel and (ch.kind == p.channel_kind or p.channel_kind is None):
        return ch.id
    if ch.__class__ is not Channel:
        raise TypeError(f"{p.name}() takes a channel first, not {ch!r}")
    raise TypeError(f"{p.name}() needs a {p.channel_kind.upper()} channel, got {ch!r}")


def _param(p: Primitive, value: object) -> int:
    """The pool index of a primitive's value (floats seen before: one dict lookup)."""
    if value.__class__ is float:
        index = _pool_index.get(value)
        if index is not None:
            return index
    elif isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{p.name}() needs a number, not {value!r}")
    return ARENA.value(float(value))


_pool_index = ARENA.value_index


def _clock_of(duration: Duration) -> int:
    """The clock a duration was converted at: 0 for a cycle count, which means the
    same number of cycles at any clock."""
    return 0 if duration.whole_cycles is not None else clock_hz()


def _instant(p: Primitive, ch: Channel, value: float | None = None) -> Morphism:
    i = _channel_id(p, ch)
    param = _param(p, value) if p.has_value else -1
    return make(PRIM, p.code, i, param, 0, i, i, 1, 1 << (i & 63), 0)


def _timed(p: Primitive, ch: Channel, duration: Duration,
           value: float | None = None) -> Morphism:
    i = _channel_id(p, ch)
    # the common case, a duration already converted at this clock, without calls
    hz = timebase._clock_hz
    if duration.__class__ is Duration and duration._hz == hz:
        cycles = duration._cycles
    else:  # before the value pool grows: a failure leaves no trace
        cycles, hz = as_cycles(duration), _clock_of(duration)
    param = _param(p, value) if p.has_value else -1
    return make(PRIM, p.code, i, param, cycles, i, i, 1, 1 << (i & 63), hz)


_P = BY_NAME


# TTL
def initialize(ch: Channel) -> Morphism:
    return _instant(_P["initialize"], ch)


def on(ch: Channel) -> Morphism:
    return _instant(_P["on"], ch)


def off(ch: Channel) -> Morphism:
    return _instant(_P["off"], ch)


def hold(ch: Channel, duration: Duration) -> Morphism:
    """Keep `ch` as it is for `duration` (any channel kind)."""
    return _timed(_P["hold"], ch, duration)


def pulse(ch: Channel, duration: Duration) -> Morphism:
    """On at the start, off after `duration`."""
    return _timed(_PULSE, ch, duration)


# RF
def rf_initialize(ch: Channel, carrier: float) -> Morphism:
    """Initialise an RF channel, off, at carrier frequency `carrier` (Hz)."""
    return _instant(_P["rf_initialize"], ch, carrier)


def set_freq(ch: Channel, frequency: float) -> Morphism:
    return _instant(_P["set_freq"], ch, frequency)


def set_amp(ch: Channel, amplitude: float) -> Morphism:
    return _instant(_P["set_amp"], ch, amplitude)


def set_phase(ch: Channel, phase: float) -> Morphism:
    return _instant(_P["set_phase"], ch, phase)


def rf_on(ch: Channel) -> Morphism:
    return _instant(_P["rf_on"], ch)


def rf_off(ch: Channel) -> Morphism:
    return _instant(_P["rf_off"], ch)


def rf_pulse(ch: Channel, duration: Duration) -> Morphism:
    return _timed(_P["rf_pulse"], ch, duration)


def linear_ramp(ch: Channel, target: float, duration: Duration) -> Morphism:
    """Ramp the amplitude linearly to `target` over `duration`."""
    return _timed(_P["linear_ramp"], ch, duration, target)


# no channel
def wait(duration: Duration) -> Morphism:
    """Let `duration` pass (on no channel)."""
    return make(PRIM, _P["wait"].code, NO_CHANNEL, -1, as_cycles(duration), EMPTY_MIN, -1, 1,
                0, _clock_of(duration))


identity = wait
_PULSE = _P["pulse"]

__all__ = ["initialize", "on", "off", "hold", "pulse", "rf_initialize", "set_freq",
           "set_amp", "set_phase", "rf_on", "rf_off", "rf_pulse", "linear_ramp", "wait",
           "identity", "TTL", "RF"]
