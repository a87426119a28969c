"""`NOODLE_*` numbers read from the environment, and the per-function options that take
their place: a value that is not a number >= 0 is said and ignored, never fatal."""
import numpy as np
import pytest

import noodle
from noodle.errors import NoodleConfigWarning
from noodle.runtime.config import environment_number
from noodle.runtime.profiler import DEFAULT_HOT_CALLS, DEFAULT_HOT_SECONDS, HotThreshold


@pytest.mark.parametrize("text, kind, value", [
    ("12", int, 12), (" 1e3 ", int, 1000), ("12345678901234567890", int, 12345678901234567890),
    ("0", int, 0), ("0.25", float, 0.25), ("2", float, 2.0), ("inf", float, float("inf"))])
def test_numbers_are_read(monkeypatch, text, kind, value):
    monkeypatch.setenv("NOODLE_TEST_NUMBER", text)
    read = environment_number("NOODLE_TEST_NUMBER", kind(7), kind)
    assert read == value and type(read) is kind


@pytest.mark.parametrize("text, kind", [
    ("10MB", int), ("2.5", int), ("-1", int), ("nan", float), ("-0.5", float), ("x", float),
    ("inf", int)])
def test_what_is_not_a_number_is_said_and_ignored(monkeypatch, text, kind):
    monkeypatch.setenv("NOODLE_TEST_NUMBER", text)
    with pytest.warns(NoodleConfigWarning, match=f"NOODLE_TEST_NUMBER={text!r} is not a"):
        assert environment_number("NOODLE_TEST_NUMBER", kind(7), kind) == 7


def test_unset_or_empty_is_the_default(monkeypatch):
    monkeypatch.delenv("NOODLE_TEST_NUMBER", raising=False)
    assert environment_number("NOODLE_TEST_NUMBER", 7, int) == 7
    monkeypatch.setenv("NOODLE_TEST_NUMBER", " ")
    assert environment_number("NOODLE_TEST_NUMBER", 7, int) == 7


def test_hot_thresholds_come_from_options_then_the_environment(monkeypatch):
    monkeypatch.setenv("NOODLE_HOT_THRESHOLD", "1e3x")
    monkeypatch.setenv("NOODLE_HOT_SECONDS", "0.5")
    with pytest.warns(NoodleConfigWarning, match="NOODLE_HOT_THRESHOLD"):
        assert HotThreshold.from_environment() == HotThreshold(DEFAULT_HOT_CALLS, 0.5)
    assert HotThreshold.from_environment(3, 0.0) == HotThreshold(3, 0.0)
    monkeypatch.delenv("NOODLE_HOT_THRESHOLD")
    monkeypatch.delenv("NOODLE_HOT_SECONDS")
    assert HotThreshold.from_environment() == HotThreshold(DEFAULT_HOT_CALLS,
                                                          DEFAULT_HOT_SECONDS)


def double(x):
    return x * 2.0


def test_jit_takes_hot_seconds_and_refuses_thresholds_that_are_not_numbers():
    f = noodle.jit(double, hot_threshold=4, hot_seconds=0.25)
    assert f.hot == HotThreshold(4, 0.25) and f(np.float64(1.5)) == 3.0
    for options in ({"hot_threshold": "5"}, {"hot_threshold": 2.5}, {"hot_threshold": True},
                    {"hot_seconds": -1.0}, {"hot_threshold": -3}):
        with pytest.raises(ValueError, match="must be a"):
            noodle.jit(double, **options)
