"""The primitive operations: functions that take the channel first and return a
Morphism. Templates are plain functions of these."""
from __future__ import annotations

import numbers

from noodle.catseq.arena import ARENA, NO_CHANNEL
from noodle.catseq.channels import RF, TTL, Channel
from noodle.catseq.morphism import Morphism
from noodle.catseq.states import BY_NAME
from noodle.catseq.timebase import Duration, as_cycles


def _build(name: str, ch: Channel | None, duration: Duration | None = None,
           value: float | None = None) -> Morphism:
    p = BY_NAME[name]
    if p.channel_kind is not None or ch is not None:
        if not isinstance(ch, Channel):
            raise TypeError(f"{name}() takes a channel first, not {ch!r}")
        if p.channel_kind is not None and ch.kind != p.channel_kind:
            raise TypeError(f"{name}() needs a {p.channel_kind.upper()} channel, "
                            f"got {ch!r}")
    cycles = as_cycles(duration) if p.timed else 0
    param = -1
    if p.has_value:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name}() needs a number, not {value!r}")
        param = ARENA.value(float(value))
    channel_id = ch.id if ch is not None else NO_CHANNEL
    return Morphism(ARENA.primitive(p.code, channel_id, cycles, param))


# TTL
def initialize(ch: Channel) -> Morphism:
    return _build("initialize", ch)


def on(ch: Channel) -> Morphism:
    return _build("on", ch)


def off(ch: Channel) -> Morphism:
    return _build("off", ch)


def hold(ch: Channel, duration: Duration) -> Morphism:
    """Keep `ch` as it is for `duration` (any channel kind)."""
    return _build("hold", ch, duration)


def pulse(ch: Channel, duration: Duration) -> Morphism:
    """On at the start, off after `duration`."""
    return _build("pulse", ch, duration)


# RF
def rf_initialize(ch: Channel, carrier: float) -> Morphism:
    """Initialise an RF channel, off, at carrier frequency `carrier` (Hz)."""
    return _build("rf_initialize", ch, value=carrier)


def set_freq(ch: Channel, frequency: float) -> Morphism:
    return _build("set_freq", ch, value=frequency)


def set_amp(ch: Channel, amplitude: float) -> Morphism:
    return _build("set_amp", ch, value=amplitude)


def set_phase(ch: Channel, phase: float) -> Morphism:
    return _build("set_phase", ch, value=phase)


def rf_on(ch: Channel) -> Morphism:
    return _build("rf_on", ch)


def rf_off(ch: Channel) -> Morphism:
    return _build("rf_off", ch)


def rf_pulse(ch: Channel, duration: Duration) -> Morphism:
    return _build("rf_pulse", ch, duration)


def linear_ramp(ch: Channel, target: float, duration: Duration) -> Morphism:
    """Ramp the amplitude linearly to `target` over `duration`."""
    return _build("linear_ramp", ch, duration, value=target)


# no channel
def wait(duration: Duration) -> Morphism:
    """Let `duration` pass (on no channel)."""
    return _build("wait", None, duration)


identity = wait

__all__ = ["initialize", "on", "off", "hold", "pulse", "rf_initialize", "set_freq",
           "set_amp", "set_phase", "rf_on", "rf_off", "rf_pulse", "linear_ramp", "wait",
           "identity", "TTL", "RF"]
