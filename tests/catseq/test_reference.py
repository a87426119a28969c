"""Differential test: random sequences built with noodle.catseq and with the reference
model (`reference.py`) must give the same event table, durations and channels, and fail
the same way when their channel states do not fit.

The generator builds both side by side: random primitives on six channels of two boards
(created alternately, so channel id ranges interleave), `>>`, `@` and `|` (`|` only on
disjoint channel sets: a split of the channels allowed there), repeats, and subsequences
reused as the very same object (shared nodes in the arena).
"""
from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import noodle.catseq as cs
from tests.catseq import reference as ref

A, B = cs.Board("ref0"), cs.Board("ref1")
CHANNELS = [cs.ttl(A, 0), cs.rf(B, 0), cs.ttl(A, 1), cs.ttl(B, 1), cs.rf(A, 2), cs.rf(B, 2)]
SPANS = st.integers(0, 40)
VALUES = st.sampled_from([0.0, 0.25, 0.5, 1.0, 80e6, -1.5])


class Builder:
    """Draws a program and builds it twice: (reference tree, Morphism) pairs."""

    def __init__(self, data):
        self.draw = data.draw
        self.shared: list[tuple[frozenset, object, cs.Morphism]] = []
        self.serial_errors = 0
        self.reused = 0
        self.big_repeat_done = False

    def primitive(self, chans: frozenset) -> tuple[object, cs.Morphism]:
        ch = self.draw(st.sampled_from(sorted(chans, key=lambda c: c.id)))
        name = self.draw(st.sampled_from(
            ["pulse", "hold", "on_off", "wait", "on", "off"] if ch.kind == cs.TTL else
            ["rf_pulse", "hold", "set_freq", "set_amp", "set_phase", "linear_ramp", "on_off",
             "wait", "rf_on", "rf_off"]))
        if name == "on_off":  # a pulse written as on, hold, off
            on, off = ("on", "off") if ch.kind == cs.TTL else ("rf_on", "rf_off")
            span = self.draw(SPANS)
            return self.then(self.then(self.prim(on, ch), self.prim("hold", ch, span)),
                             self.prim(off, ch))
        if name in ("pulse", "rf_pulse", "hold"):
            return self.prim(name, ch, self.draw(SPANS))
        if name == "wait":
            return self.prim("wait", None, self.draw(SPANS))
        if name == "linear_ramp":
            return self.prim(name, ch, self.draw(SPANS), self.draw(VALUES))
        if name.startswith("set_"):
            return self.prim(name, ch, value=self.draw(VALUES))
        return self.prim(name, ch)  # on, off, rf_on, rf_off

    @staticmethod
    def prim(name: str, ch, span: int = 0, value: float = 0.0) -> tuple[object, cs.Morphism]:
        model = ref.Prim(name, ch, span, value)
        if name == "wait":
            return model, cs.wait(cs.cycles(span))
        args = [ch] + ([cs.cycles(span)] if name in ("pulse", "rf_pulse", "hold") else [])
        if name == "linear_ramp":
            args += [value, cs.cycles(span)]
        elif name in ("set_freq", "set_amp", "set_phase", "rf_initialize"):
            args.append(value)
        return model, getattr(cs, name)(*args)

    @staticmethod
    def then(x, y):
        return ref.then(x[0], y[0]), x[1] >> y[1]

    def serial(self, x, y):
        """a @ b, or a >> b where the reference says @ must fail (and noodle agrees)."""
        try:
            model = ref.strict(x[0], y[0])
        except ref.RefStateError as expected:
            try:
                x[1] @ y[1]
            except cs.StateError as error:
                assert_names(error, expected)
            else:
                raise AssertionError(f"@ should fail on {expected}")
            self.serial_errors += 1
            return self.then(x, y)
        return model, x[1] @ y[1]

    def sequence(self, chans: frozenset, depth: int) -> tuple[object, cs.Morphism]:
        reusable = [(m, s) for used, m, s in self.shared if used <= chans]
        kind = self.draw(st.sampled_from(
            ["prim"] + (["reuse"] if reusable else []) +
            (["then", "then", "serial", "repeat"] + (["par"] * 3 if len(chans) > 1 else [])
             if depth > 0 else [])))
        if kind == "prim":
            built = self.primitive(chans)
        elif kind == "reuse":
            self.reused += 1
            return self.draw(st.sampled_from(reusable))
        elif kind == "repeat":
            inner = self.sequence(chans, depth - 1)
            # once per program at most, enough repetitions that a `|` above defers its
            # check to the compiler (and no more: the reference is slow)
            times = self.draw(st.integers(1, 4) if self.big_repeat_done else
                              st.integers(1, 4) | st.integers(100, 300))
            self.big_repeat_done |= times >= 100
            built = ref.Repeat(inner[0], times), inner[1].repeat(times)
        elif kind == "par":
            order = sorted(chans, key=lambda c: c.id)
            left = frozenset(self.draw(st.lists(st.sampled_from(order), min_size=1,
                                                max_size=len(order) - 1, unique=True)))
            x, y = self.sequence(left, depth - 1), self.sequence(chans - left, depth - 1)
            built = ref.par(x[0], y[0]), x[1] | y[1]
        else:
            x, y = self.sequence(chans, depth - 1), self.sequence(chans, depth - 1)
            built = self.serial(x, y) if kind == "serial" else self.then(x, y)
        self.shared.append((frozenset(ref.channels(built[0])), *built))
        return built

    def program(self) -> tuple[object, cs.Morphism]:
        """Initialise most channels (so most programs are valid), then a random body."""
        chans = frozenset(self.draw(st.lists(st.sampled_from(CHANNELS), min_size=1,
                                             max_size=len(CHANNELS), unique=True)))
        init = None
        for ch in sorted(chans, key=lambda c: c.id):
            if self.draw(st.integers(0, 29)) == 0:
                continue  # left uninitialised: the state check must catch it
            step = (self.prim("initialize", ch) if ch.kind == cs.TTL
                    else self.prim("rf_initialize", ch, value=self.draw(VALUES)))
            init = step if init is None else (ref.par(init[0], step[0]), init[1] | step[1])
        body = self.sequence(chans, self.draw(st.integers(0, 6)))
        return body if init is None else self.then(init, body)


def assert_names(error: cs.StateError, expected: ref.RefStateError) -> None:
    message = str(error)
    assert repr(expected.channel) in message, message
    assert re.search(rf"\b{expected.time} cycles", message), (expected, message)
    assert expected.state in message, (expected, message)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_noodle_matches_the_reference(data):
    model, seq = Builder(data).program()
    assert seq.duration == ref.duration(model)
    assert seq.channels == frozenset(ref.channels(model))
    for ch in CHANNELS:
        assert seq.channel_duration(ch) == ref.channel_end(model, ch), ch
    try:
        expected = ref.compile(model)
    except ref.RefStateError as wrong:
        try:
            cs.compile(seq)
        except cs.StateError as error:
            assert_names(error, wrong)
            return
        raise AssertionError(f"compile should fail: {wrong}")
    got = [tuple(row.item()) for row in cs.compile(seq).events]
    assert got == expected
