"""What issue 3 pins down about catseq's meaning: the barrier, padding, durations and
clocks, every error (specific type, channel and time in the message, operands left as
they were), the queries, the event table and its outputs, and the timelines."""
from __future__ import annotations

import json
import re
import sys

import numpy as np
import pytest

import noodle.catseq as cs
from noodle.catseq import arena
from noodle.catseq.states import Opcode

BOARD, OTHER = cs.Board("sem0"), cs.Board("sem1")
T0, T1, T2, T3 = (cs.ttl(BOARD, i) for i in range(4))
R0, R1 = cs.rf(OTHER, 0), cs.rf(OTHER, 1)
C = cs.cycles


def rows(table) -> list[tuple]:
    """(time, channel, opcode) of each event, in table order."""
    return [(int(e["time"]), int(e["channel"]), Opcode(int(e["opcode"]))) for e in table.events]


def snapshot(seq: cs.Morphism) -> tuple:
    """Everything observable about a sequence, to check a failed operation left it alone."""
    try:
        table = cs.compile(seq).events.tobytes()
    except cs.CatseqError as error:
        table = str(error)
    return (seq.duration, seq.channels, {ch: seq.channel_duration(ch) for ch in seq.channels},
            table)


def init_all(*channels) -> cs.Morphism:
    seq = None
    for ch in channels:
        step = cs.initialize(ch) if ch.kind == cs.TTL else cs.rf_initialize(ch, 80e6)
        seq = step if seq is None else seq | step
    return seq


# -- barrier and padding ------------------------------------------------------------------
@pytest.mark.parametrize("swap", [False, True])
def test_barrier_next_block_starts_when_the_longest_side_ends(swap):
    a, b = cs.pulse(T0, C(100)), cs.pulse(T1, C(200))
    block = (b | a) if swap else (a | b)
    seq = init_all(T0, T1, T2, R0) >> block >> (cs.pulse(T2, C(10)) | cs.rf_pulse(R0, C(30)))
    starts = {ch: t for t, ch, op in rows(cs.compile(seq)) if op in (Opcode.TTL_ON, Opcode.RF_ON)}
    assert starts[T2.id] == starts[R0.id] == 200
    assert seq.duration == 230


def test_padding_holds_the_shorter_channel_in_its_final_state():
    seq = cs.pulse(T0, C(10)) | cs.pulse(T1, C(15))
    assert seq.duration == 15
    assert seq.channel_duration(T0) == 10 and seq.channel_duration(T1) == 15
    then = init_all(T0, T1) >> seq >> cs.pulse(T0, C(5))
    ch0 = [(t, op) for t, ch, op in rows(cs.compile(then)) if ch == T0.id]
    # off at 10, nothing while padded, the next pulse at the shared end, 15
    assert ch0 == [(0, Opcode.TTL_INIT), (0, Opcode.TTL_ON), (10, Opcode.TTL_OFF),
                   (15, Opcode.TTL_ON), (20, Opcode.TTL_OFF)]


def test_padding_keeps_a_channel_that_was_left_on_on():
    seq = init_all(T0, T1) >> ((cs.on(T0) >> cs.hold(T0, C(5))) | cs.pulse(T1, C(50))) \
        >> cs.off(T0)
    ch0 = [(t, op) for t, ch, op in rows(cs.compile(seq)) if ch == T0.id]
    assert ch0 == [(0, Opcode.TTL_INIT), (0, Opcode.TTL_ON), (50, Opcode.TTL_OFF)]


def test_a_channel_on_one_side_of_sequence_is_padded_for_the_other_side():
    seq = init_all(T0, T1) >> cs.pulse(T0, C(40)) >> cs.pulse(T1, C(7))
    assert seq.duration == 47
    assert seq.channel_duration(T0) == 40 and seq.channel_duration(T1) == 47
    assert (40, T1.id, Opcode.TTL_ON) in rows(cs.compile(seq))


# -- durations and clocks -------------------------------------------------------------------
def test_unit_helpers_convert_exactly_at_250_mhz():
    assert cs.pulse(T0, cs.us(1.5)).duration == 375
    assert cs.pulse(T0, cs.ns(40)).duration == 10
    assert cs.pulse(T0, cs.ms(2)).duration == 500_000
    assert cs.pulse(T0, cs.cycles(7)).duration == 7
    assert cs.wait(cs.us(0.1)).duration == 25  # 0.1 is not exact in binary; time is


def test_clock_block_sets_the_conversion_and_restores_it():
    span = cs.us(1.5)
    with cs.clock(100_000_000):
        assert cs.pulse(T0, span).duration == 150
        with cs.clock(1_000_000_000):
            assert cs.pulse(T0, span).duration == 1500
        assert cs.pulse(T0, span).duration == 150
    assert cs.pulse(T0, span).duration == 375
    assert cs.pulse(T0, cs.cycles(9)).duration == 9  # cycles ignore the clock


@pytest.mark.parametrize("hz", [0, -5, 2.5e8, "250MHz"])
def test_clock_must_be_a_positive_whole_number_of_hz(hz):
    with pytest.raises(cs.DurationError), cs.clock(hz):
        pass


@pytest.mark.parametrize("span, written", [(cs.ns(1), "1 ns"), (cs.us(0.001), "0.001 us"),
                                           (cs.ns(6), "6 ns")])
def test_fractional_cycles_name_the_value_and_build_nothing(span, written):
    nodes = len(arena.ARENA)
    with pytest.raises(cs.DurationError, match=re.escape(written)):
        cs.linear_ramp(R0, 0.123456, span)
    assert len(arena.ARENA) == nodes


@pytest.mark.parametrize("bare", [1.5, 10, np.float64(2.0), "1 us", None])
def test_durations_without_a_unit_are_rejected(bare):
    with pytest.raises(cs.DurationError, match="unit"):
        cs.pulse(T0, bare)


@pytest.mark.parametrize("make", [lambda: cs.us(-1), lambda: cs.cycles(-1),
                                  lambda: cs.cycles(1.0), lambda: cs.ns(True)])
def test_negative_or_non_numeric_durations_are_rejected(make):
    with pytest.raises(cs.DurationError):
        make()


# -- errors: specific, with channel and time, operands unchanged ---------------------------
def test_overlapping_channels_in_parallel_name_channel_and_time():
    left = init_all(T0) >> cs.pulse(T0, C(30))
    right = cs.wait(C(10)) >> cs.pulse(T0, C(5))
    before = snapshot(left), snapshot(right)
    with pytest.raises(cs.ChannelOverlapError) as caught:
        left | right
    message = str(caught.value)
    assert repr(T0) in message
    assert (snapshot(left), snapshot(right)) == before
    assert re.search(r"\d+ cycles", message), f"no time in: {message!r}"


def _large(*channels: cs.Channel) -> cs.Morphism:
    """Pulses on `channels` side by side, repeated: more occurrences than composition
    checks exactly (EXACT_CHECK_LIMIT), so a shared channel may be found at compile time."""
    block = None
    for ch in channels:
        block = cs.pulse(ch, C(2)) if block is None else block | cs.pulse(ch, C(2))
    return block.repeat(arena.EXACT_CHECK_LIMIT // len(channels) + 1)


def test_overlap_between_large_interleaved_operands_is_found_before_any_event():
    evens, odds = _large(T0, T2), _large(T1, T2)  # id ranges interleave; T2 is shared
    before = snapshot(evens), snapshot(odds)
    with pytest.raises(cs.ChannelOverlapError) as caught:
        cs.compile(init_all(T0, T1, T2) >> (evens | odds) >> cs.pulse(T3, C(1)))
    assert repr(T2) in str(caught.value) and repr(T0) not in str(caught.value)
    assert (snapshot(evens), snapshot(odds)) == before
    assert re.search(r"\d+ cycles", str(caught.value)), f"no time in: {caught.value}"


def test_large_interleaved_but_disjoint_operands_compile():
    evens, odds = _large(T0, T2), _large(T1, T3)
    table = cs.compile(init_all(T0, T1, T2, T3) >> (evens | odds))
    repeats = arena.EXACT_CHECK_LIMIT // 2 + 1
    assert len(table) == 4 + 4 * 2 * repeats
    assert {int(c) for c in table["channel"]} == {T0.id, T1.id, T2.id, T3.id}


def test_serial_composition_checks_states_where_they_meet():
    left = init_all(T0) >> cs.on(T0) >> cs.hold(T0, C(50))
    right = cs.pulse(T0, C(10))
    before = snapshot(left), snapshot(right)
    with pytest.raises(cs.StateError) as caught:
        left @ right
    message = str(caught.value)
    assert repr(T0) in message and "50 cycles" in message
    assert "on" in message and "off" in message
    assert (snapshot(left), snapshot(right)) == before
    assert (init_all(T0) @ right).duration == 10  # the matching case composes


def test_serial_composition_ignores_channels_whose_state_is_unknown_or_set():
    assert (cs.pulse(T0, C(5)) @ cs.pulse(T0, C(5))).duration == 10
    assert (cs.pulse(T1, C(5)) @ (cs.initialize(T0) >> cs.on(T0))).duration == 5
    assert ((init_all(T0) >> cs.on(T0)) @ cs.initialize(T0)).duration == 0


@pytest.mark.parametrize("build, channel, time, states", [
    (lambda: cs.wait(C(20)) >> cs.on(T0), T0, 20, ("uninitialized", "off")),
    (lambda: cs.rf_initialize(R0, 1e6) >> cs.rf_on(R0) >> cs.hold(R0, C(100))
     >> cs.rf_pulse(R0, C(10)), R0, 100, ("on", "off")),
    (lambda: init_all(T0) >> cs.off(T0), T0, 0, ("off", "on")),
    (lambda: cs.hold(R1, C(3)) >> cs.set_amp(R1, 0.5), R1, 3, ("uninitialized", "on")),
])
def test_wrong_start_state_names_channel_time_and_both_states(build, channel, time, states):
    seq = build()
    before = snapshot(seq)
    with pytest.raises(cs.StateError) as caught:
        cs.compile(seq)
    message = str(caught.value)
    assert repr(channel) in message and f"{time} cycles" in message
    assert all(state in message for state in states)
    assert snapshot(seq) == before


def test_wrong_operands_are_type_errors():
    with pytest.raises(TypeError):
        cs.pulse(T0, C(1)) >> 3
    with pytest.raises(TypeError):
        cs.pulse(R0, C(1))  # a TTL primitive on an RF channel
    with pytest.raises(TypeError):
        cs.set_freq(R0, "80 MHz")


# -- queries --------------------------------------------------------------------------------
def test_duration_channels_and_channel_duration():
    seq = (cs.pulse(T0, C(10)) >> cs.hold(T0, C(5))) | (cs.wait(C(30)) >> cs.rf_on(R0))
    assert seq.duration == 30
    assert seq.channels == frozenset({T0, R0})
    assert seq.channel_duration(T0) == 15
    assert seq.channel_duration(R0) == 30
    assert seq.channel_duration(T3) == 0
    assert cs.wait(C(4)).channels == frozenset()


def test_repeat_runs_the_body_back_to_back():
    body = cs.pulse(T0, C(10)) >> cs.hold(T0, C(5))
    seq = init_all(T0) >> body.repeat(3)
    assert body.repeat(3).duration == 45
    ons = [t for t, ch, op in rows(cs.compile(seq)) if op == Opcode.TTL_ON]
    offs = [t for t, ch, op in rows(cs.compile(seq)) if op == Opcode.TTL_OFF]
    assert ons == [0, 15, 30] and offs == [10, 25, 40]
    assert body.repeat(1).duration == body.duration


@pytest.mark.parametrize("n", [0, -1, 1.5, True, "3"])
def test_repeat_needs_a_positive_integer(n):
    with pytest.raises(ValueError):
        cs.pulse(T0, C(1)).repeat(n)


# -- the event table ------------------------------------------------------------------------
def test_event_fields_and_values():
    seq = init_all(T0, R0) >> (cs.pulse(T0, C(8)) | cs.linear_ramp(R0, 0.25, C(12)))
    table = cs.compile(seq)
    assert {"time", "board", "channel", "opcode", "value", "duration"} <= set(table.events.dtype.names)
    by_op = {Opcode(int(e["opcode"])): e for e in table.events}
    assert by_op[Opcode.RF_INIT]["value"] == 80e6
    ramp = by_op[Opcode.RAMP_AMP]
    assert (ramp["value"], ramp["duration"], ramp["channel"], ramp["board"]) == \
        (0.25, 12, R0.id, OTHER.id)
    assert by_op[Opcode.TTL_OFF]["time"] == 8 and by_op[Opcode.TTL_OFF]["board"] == BOARD.id
    assert list(table["time"]) == sorted(table["time"])


@pytest.mark.parametrize("order", [(T0, T1, T2), (T2, T0, T1)])
def test_equal_times_keep_composition_order(order):
    seq = cs.initialize(order[0]) | cs.initialize(order[1]) | cs.initialize(order[2])
    assert [ch for _, ch, _ in rows(cs.compile(seq))] == [c.id for c in order]


def test_an_end_and_a_start_at_the_same_time_stay_in_composition_order():
    seq = init_all(T0) >> cs.pulse(T0, C(10)) >> cs.pulse(T0, C(10)) >> cs.pulse(T0, C(0))
    assert rows(cs.compile(seq))[1:] == [
        (0, T0.id, Opcode.TTL_ON), (10, T0.id, Opcode.TTL_OFF), (10, T0.id, Opcode.TTL_ON),
        (20, T0.id, Opcode.TTL_OFF), (20, T0.id, Opcode.TTL_ON), (20, T0.id, Opcode.TTL_OFF)]


def test_by_board_splits_and_keeps_time_order():
    table = cs.compile(init_all(T0, R0) >> (cs.pulse(T0, C(8)) | cs.rf_pulse(R0, C(3))))
    boards = table.by_board()
    assert set(boards) == {"sem0", "sem1"}
    assert set(boards["sem0"]["channel"]) == {T0.id}
    assert set(boards["sem1"]["channel"]) == {R0.id}
    assert sum(len(b) for b in boards.values()) == len(table)
    assert all(list(b["time"]) == sorted(b["time"]) for b in boards.values())


def test_to_json_and_save(tmp_path):
    table = cs.compile(init_all(T0, R0) >> (cs.pulse(T0, C(8)) | cs.set_freq(R0, 81e6)))
    document = json.loads(table.to_json())
    assert document["clock_hz"] == cs.DEFAULT_CLOCK_HZ
    records = document["events"]
    assert len(records) == len(table)
    assert records[-1] == {"time": 8, "board": "sem0", "channel": T0.id,
                           "channel_name": repr(T0), "opcode": "TTL_OFF", "value": 0.0,
                           "duration": 0}
    assert {"opcode": "SET_FREQ", "value": 81e6}.items() <= records[3].items()
    table.save(tmp_path / "seq.json")
    assert json.loads((tmp_path / "seq.json").read_text()) == document
    table.save(tmp_path / "seq.npy")
    loaded = np.load(tmp_path / "seq.npy")
    assert loaded.dtype == table.events.dtype and np.array_equal(loaded, table.events)


# -- timelines -------------------------------------------------------------------------------
def test_text_timeline_shows_channels_axis_bars_marks_and_padding():
    seq = init_all(T0, T1) >> (cs.pulse(T0, cs.us(1)) | cs.pulse(T1, cs.us(1.5)))
    text = seq.text_timeline(60)
    lines = text.splitlines()
    assert lines[0].startswith("375 cycles = 1.5 µs at 250 MHz")
    assert lines[1].startswith("cycles") and "|0" in lines[1]
    assert lines[2].startswith("µs") and "|0" in lines[2]
    ch0 = next(line for line in lines if line.startswith(repr(T0)))
    ch1 = next(line for line in lines if line.startswith(repr(T1)))
    assert all(len(line) <= 60 for line in (ch0, ch1))
    label = len(ch0) - len(ch0[len(repr(T0)):].lstrip())
    bar0, bar1 = ch0[label:], ch1[label:]
    assert bar0[0] == bar1[0] == "I"  # initialised at 0
    assert bar0.count("█") < bar1.count("█")  # the 1 µs pulse is shorter than 1.5 µs
    assert bar0.endswith("┄") and "┄" not in bar1  # only ch0 is padded, holding off
    assert "┄ padding, holds off" in text and "█ on" in text


def test_text_timeline_marks_settings_ramps_and_uses_the_program_clock():
    with cs.clock(100_000_000):
        seq = init_all(R0) >> cs.hold(R0, cs.us(1)) >> cs.set_amp(R0, 0.1) \
            >> cs.linear_ramp(R0, 0.9, cs.us(2)) >> cs.rf_pulse(R0, cs.us(1))
        text = seq.text_timeline()
    assert "400 cycles = 4 µs at 100 MHz" in text
    bar = text.splitlines()[3][len(repr(R0)):].strip()
    assert re.fullmatch("I▁+A╱+█+", bar), bar
    assert "╱ amplitude ramp" in text and "A set amp" in text
    # two different settings in one column: neither hides the other
    crowded = (init_all(R0) >> cs.set_amp(R0, 0.1) >> cs.hold(R0, cs.us(1))).text_timeline()
    assert crowded.splitlines()[3][len(repr(R0)):].strip()[0] == "*"


def test_text_timeline_of_a_channelless_sequence():
    assert "no channels" in cs.wait(cs.us(1)).text_timeline()


def test_plot_returns_a_figure():
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (extra 'plot')")
    from matplotlib.figure import Figure
    seq = init_all(T0, R0) >> (cs.pulse(T0, cs.us(1)) | cs.linear_ramp(R0, 0.5, cs.us(2)))
    fig = seq.plot()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [repr(R0), repr(T0)]
    other = Figure().add_subplot()
    assert seq.plot(ax=other) is other.figure


def test_plot_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"noodle\[plot\]"):
        cs.pulse(T0, C(1)).plot()


# -- clocks ---------------------------------------------------------------------------------
def test_a_sequence_remembers_its_clock_and_refuses_to_mix_clocks():
    with cs.clock(125_000_000):
        slow = cs.pulse(T0, cs.us(2))
    fast = cs.pulse(T1, cs.us(2))
    assert slow.duration == 250 and fast.duration == 500
    assert slow.clock_hz == 125_000_000 and fast.clock_hz == cs.DEFAULT_CLOCK_HZ
    for compose in (lambda a, b: a >> b, lambda a, b: a | b):
        with pytest.raises(cs.DurationError, match="different clocks"):
            compose(slow, fast)
    # a duration written in cycles means the same cycles at any clock: it mixes freely
    assert (slow >> cs.hold(T0, C(5))).clock_hz == 125_000_000
    with cs.clock(125_000_000):
        seq = init_all(T0, R0) >> slow
    table = cs.compile(seq)
    assert table.clock_hz == 125_000_000
    assert json.loads(table.to_json())["clock_hz"] == 125_000_000
    assert "125 MHz" in seq.text_timeline()
    assert cs.from_mlir(seq.to_mlir()).clock_hz == 125_000_000
