"""Profiler-driven tiers: a hot key is recompiled by the optimising tier in a worker and
swapped in between calls; a crashing worker costs nothing but the promotion; and what
happened is visible in `noodle.stats()`, `NOODLE_EXPLAIN` and `NOODLE_METRICS_FILE`."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import noodle
from noodle.runtime import profiler
from noodle.runtime.cache_store import CacheStore

REPO = Path(__file__).resolve().parents[2]


def dot(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


def key_stats(function) -> dict:
    [profile] = function.profiles()
    return profile.report()


def test_a_hot_key_reaches_the_optimising_tier_between_calls():
    f = noodle.jit(dot, cache=False, hot_threshold=20)
    rng = np.random.default_rng(0)
    deadline = time.monotonic() + 120
    assert f(np.ones(2), np.ones(2)) == 2.0
    # the baseline compile rehearsed the hand-over to the worker; nothing is promoted yet
    assert key_stats(f)["promotion"] is None and key_stats(f)["tier"] == "baseline"
    calls = 1
    while key_stats(f)["tier"] != "optimising":
        assert time.monotonic() < deadline, key_stats(f)
        a, b = rng.random(50), rng.random(50)
        assert f(a, b) == pytest.approx(float(a @ b), rel=1e-12)
        calls += 1
        if calls > 40:
            time.sleep(0.01)
    report = key_stats(f)
    assert report["promotion"] == "done"
    assert set(report["compile_seconds"]) == {"baseline", "optimising"}
    a, b = rng.random(50), rng.random(50)
    assert f(a, b) == pytest.approx(float(a @ b), rel=1e-12)
    assert key_stats(f)["calls"] == calls + 1  # counts survive the swap
    reported = json.loads(noodle.stats(format="json"))
    assert any(key["tier"] == "optimising" and key["promotion"] == "done"
               for name, keys in reported.items() if name.startswith(f"{__name__}.dot")
               for key in keys.values())


def halves(a):
    return a[: a.shape[0] // 2], a[a.shape[0] // 2:]


def test_a_key_called_through_the_python_level_path_is_promoted_too():
    f = noodle.jit(halves, cache=False, hot_threshold=5)
    a = np.arange(10.0)
    f(a)
    deadline = time.monotonic() + 120
    while key_stats(f)["tier"] != "optimising":
        assert time.monotonic() < deadline, key_stats(f)
        low, high = f(a=a)  # a keyword: no native entry takes it
        assert low.tolist() == a[:5].tolist() and high.tolist() == a[5:].tolist()
        time.sleep(0.001)
    assert key_stats(f)["promotion"] == "done"


_OFFSET = 1.0


def plus_offset(x):
    return x + _OFFSET


def twice(x):
    return x * 2.0


def test_a_global_rebound_after_the_compile_is_not_promoted_into_the_kernel():
    """A kernel keeps the global values it was compiled with; a worker forked after the
    program rebound one (here by the baseline compile of another function) must not
    swap in a kernel with the new value: a promotion never changes a result."""
    global _OFFSET
    f = noodle.jit(plus_offset, cache=False, hot_threshold=5)
    assert f(1.0) == 2.0
    try:
        _OFFSET = 5.0
        assert noodle.jit(twice, cache=False)(1.0) == 2.0  # a standby that sees 5.0
        deadline = time.monotonic() + 120
        with pytest.warns(noodle.NoodleFallbackWarning, match="_OFFSET: its value changed"):
            while key_stats(f)["promotion"] in (None, "compiling"):
                assert time.monotonic() < deadline, key_stats(f)
                assert f(1.0) == 2.0
                time.sleep(0.001)
    finally:
        _OFFSET = 1.0
    assert key_stats(f)["tier"] == "baseline" and f(1.0) == 2.0


def test_eager_and_noodle_compile_start_at_the_optimising_tier():
    f = noodle.jit(dot, cache=False, eager=True)
    assert f(np.ones(3), np.ones(3)) == 3.0
    assert key_stats(f)["tier"] == "optimising"
    g = noodle.jit(dot, cache=False)
    assert noodle.compile(g, np.ones(3), np.ones(3)) is g
    assert key_stats(g)["tier"] == "optimising" and key_stats(g)["calls"] == 0
    assert g(np.ones(4), np.full(4, 2.0)) == 8.0
    with pytest.raises(TypeError, match="@noodle.jit"):
        noodle.compile(dot, np.ones(3), np.ones(3))


def test_noodle_compile_of_a_key_already_called_keeps_its_counts():
    f = noodle.jit(dot, cache=False, hot_threshold=10**6)
    for _ in range(10):
        assert f(np.ones(3), np.ones(3)) == 3.0
    noodle.compile(f, np.ones(3), np.ones(3))
    assert key_stats(f)["tier"] == "optimising" and key_stats(f)["calls"] == 10
    assert f(np.ones(3), np.ones(3)) == 3.0 and key_stats(f)["calls"] == 11


def slow_sum(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i] + 1.0
    return s


def test_a_key_that_ran_hot_seconds_is_promoted_before_hot_threshold_calls():
    f = noodle.jit(slow_sum, cache=False, hot_threshold=10**9, hot_seconds=0.02)
    a = np.random.default_rng(2).random(200_000)  # ~0.2 ms a call at the baseline tier
    expected = float(np.sum(a * a + 1.0))
    assert f(a) == pytest.approx(expected, rel=1e-9)
    deadline = time.monotonic() + 120
    while key_stats(f)["promotion"] is None:
        assert time.monotonic() < deadline, key_stats(f)
        assert f(a) == pytest.approx(expected, rel=1e-9)
    # hot by time: counted when it turned hot, not once the (machine-paced) compile ends
    assert key_stats(f)["calls"] < 10**4
    while key_stats(f)["promotion"] == "compiling":
        assert time.monotonic() < deadline, key_stats(f)
        assert f(a) == pytest.approx(expected, rel=1e-9)
    assert key_stats(f)["promotion"] == "done"


RATE_PROGRAM = """
import threading, time
import numpy as np
import noodle
from noodle.runtime import profiler
from test_tiers import dot

f = noodle.jit(dot, cache=False)
f(np.ones(3), np.ones(3))
assert "noodle-calibrate" not in [t.name for t in threading.enumerate()]
rate = profiler.cycles_per_second()
read = f.profiles()[0].native.read_cycles
c0, t0 = read(), time.perf_counter()
time.sleep(0.05)
c1, t1 = read(), time.perf_counter()
print(rate, (c1 - c0) / (t1 - t0))
"""


@pytest.mark.skipif(profiler._read_counter() is None,
                    reason="noodle does not read the entries' cycle counter on this CPU")
def test_the_cycle_rate_is_known_after_the_first_compile_with_no_thread():
    """hot_seconds needs the counter's rate: measured across the first compile, which
    the caller waits for anyway, since a thread measuring it would take the GIL from a
    program busy calling its first kernel."""
    done = subprocess.run([sys.executable, "-c", RATE_PROGRAM], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).parent,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO),
                               "NOODLE_CACHE": "0"})
    assert done.returncode == 0, done.stderr
    rate, measured = map(float, done.stdout.split())
    assert rate == pytest.approx(measured, rel=0.05)


PROGRAM = """
import json, sys, warnings
import numpy as np
import noodle

@noodle.jit(hot_threshold=5)
def dot(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s

rng = np.random.default_rng(1)
for _ in range({calls}):
    a, b = rng.random(30), rng.random(30)
    assert abs(dot(a, b) - float(a @ b)) < 1e-9
{wait}
[report] = noodle.stats()["__main__.dot"].values()
print(json.dumps(report))
"""
WAIT_FOR_PROMOTION = """
import time
deadline = time.monotonic() + 120
while noodle.stats()["__main__.dot"]["array(float64, 1d, C), array(float64, 1d, C)"]["promotion"] \\
        in (None, "compiling") and time.monotonic() < deadline:
    time.sleep(0.05)
    dot(np.ones(2), np.ones(2))
"""


KILL_THE_COMPILE = """
import os, signal

def children_of(parents):
    found = set()
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as stat:  # the parent is the 2nd field after ")"
                if int(stat.read().rsplit(")", 1)[1].split()[1]) in parents:
                    found.add(int(entry))
        except (OSError, ValueError, IndexError):
            continue  # not a process, or one gone meanwhile
    return found

def promotion():
    return noodle.stats()["__main__.dot"]["array(float64, 1d, C), array(float64, 1d, C)"][
        "promotion"]

# the optimising compile runs in a child of the standby worker, itself a child of ours
compiles = set()
while not compiles and promotion() == "compiling":
    compiles = children_of(children_of({os.getpid()}))
assert compiles, f"the compile ended before it was found: {promotion()}"
for pid in compiles:
    os.kill(pid, signal.SIGKILL)
for _ in range(20):
    a, b = rng.random(30), rng.random(30)
    assert abs(dot(a, b) - float(a @ b)) < 1e-9
"""


def run_program(tmp_path: Path, calls: int = 50, wait: bool = True, then: str = "",
                **env: str) -> tuple[dict, str]:
    """Run PROGRAM: `calls` calls, the code `then`, and (`wait`) the promotion's end."""
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(PROGRAM.format(
        calls=calls, wait=then + (WAIT_FOR_PROMOTION if wait else ""))))
    environment = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO),
                   "NOODLE_CACHE_DIR": str(tmp_path / "cache"), **env}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1]), done.stderr


@pytest.mark.parametrize("fault", ["abort", "kill"])
def test_a_crashing_worker_costs_only_the_promotion(tmp_path, fault):
    report, stderr = run_program(tmp_path, NOODLE_WORKER_FAULT=fault)
    assert report["tier"] == "baseline"
    signal_name = {"abort": "SIGABRT", "kill": "SIGKILL"}[fault]
    assert report["promotion"] == f"failed: the compile worker died (signal {signal_name})"
    assert stderr.count("stays at the baseline tier") == 1  # warned once
    assert "program.py" in stderr  # the warning points at the function


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="no /proc to find it in")
def test_a_compile_killed_from_outside_costs_only_the_promotion(tmp_path):
    """Not the worker killing itself (NOODLE_WORKER_FAULT): the program finds the process
    compiling its hot key and SIGKILLs it mid-compile, as an out-of-memory killer would;
    its calls go on, right, at the baseline tier."""
    report, stderr = run_program(tmp_path, then=KILL_THE_COMPILE)
    assert report["tier"] == "baseline" and report["calls"] >= 70  # and those waiting
    assert report["promotion"] == "failed: the compile worker died (signal SIGKILL)"
    assert stderr.count("stays at the baseline tier") == 1


def test_compiling_every_tier_in_a_worker(tmp_path):
    report, stderr = run_program(tmp_path, NOODLE_COMPILE_IN_WORKER="1")
    assert report["tier"] == "optimising" and report["promotion"] == "done"
    assert report["interpreter_calls"] == 0 and "Warning" not in stderr


def test_a_crash_while_compiling_in_a_worker_leaves_the_interpreter(tmp_path):
    report, stderr = run_program(tmp_path, wait=False, NOODLE_COMPILE_IN_WORKER="1",
                                 NOODLE_WORKER_FAULT="abort")
    assert report["tier"] == "interpreter" and report["interpreter_calls"] == 50
    assert "compile worker died (signal SIGABRT)" in report["fallback"]
    assert "NoodleFallbackWarning" in stderr


def test_a_fresh_process_starts_with_the_optimised_kernel_from_the_cache(tmp_path):
    first, _ = run_program(tmp_path)
    assert first["tier"] == "optimising" and first["cache_misses"] == 1
    tiers = sorted(entry.meta["tier"] for entry in CacheStore(tmp_path / "cache").entries()
                   if "kernel" in entry.meta)
    assert tiers == ["baseline", "optimising"]  # the cache keeps both
    second, stderr = run_program(tmp_path, calls=3, wait=False, NOODLE_EXPLAIN="1")
    assert second["tier"] == "optimising" and second["cache_hits"] == 1
    assert second["compile_seconds"] == {} and "noodle: compiling" not in stderr


def test_explain_says_which_argument_changed(capsys, monkeypatch):
    monkeypatch.setattr(noodle.config, "explain", True)
    f = noodle.jit(dot, cache=False)
    f(np.ones(2), np.ones(2))
    f(np.ones(2), np.ones(2, dtype=np.float32))
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("noodle:")]
    assert len(lines) == 2
    assert "first call" in lines[0]
    assert "'b' was array(float64, 1d, C), now array(float32, 1d, C)" in lines[1]


def test_metrics_file_is_written_at_exit(tmp_path):
    metrics = tmp_path / "metrics.json"
    report, _ = run_program(tmp_path, wait=False, calls=3, NOODLE_METRICS_FILE=str(metrics))
    written = json.loads(metrics.read_text())
    assert written["__main__.dot"]["array(float64, 1d, C), array(float64, 1d, C)"]["calls"] == 3
    assert report["calls"] == 3


def test_a_metrics_file_that_cannot_be_written_is_said_once_and_never_raises(
        tmp_path, monkeypatch):
    monkeypatch.setenv("NOODLE_METRICS_FILE", str(tmp_path / "no such directory" / "m.json"))
    with pytest.warns(noodle.errors.NoodleConfigWarning, match="NOODLE_METRICS_FILE") as told:
        assert noodle.jit(dot, cache=False)(np.ones(2), np.ones(2)) == 2.0
        assert noodle.jit(slow_sum, cache=False)(np.ones(2)) == 4.0
    assert len(told) == 1
    assert not list(tmp_path.iterdir())  # no temporary file left behind either


LATE_FUNCTION = """
import json, sys, time
import numpy as np
import noodle

@noodle.jit(cache=False)
def early(x):
    return x + 1.0

early(1.0)  # compiled in every run: the standby worker is forked here, before `dot` exists

@noodle.jit(hot_threshold=int(sys.argv[1]))
def dot(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s

for _ in range(50):
    a = np.random.rand(20)
    assert abs(dot(a, a) - float(a @ a)) < 1e-9
deadline = time.monotonic() + 120
while int(sys.argv[1]) < 1000 and dot.profiles()[0].tier != "optimising" \\
        and time.monotonic() < deadline:
    time.sleep(0.01)
    dot(np.ones(3), np.ones(3))
[report] = noodle.stats()["__main__.dot"].values()
print(json.dumps(report))
"""


def test_a_function_made_after_the_standby_worker_is_still_promoted(tmp_path):
    script = tmp_path / "late.py"
    script.write_text(textwrap.dedent(LATE_FUNCTION))

    def run(threshold: int) -> dict:
        done = subprocess.run([sys.executable, str(script), str(threshold)], cwd=tmp_path,
                              env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO),
                                   "NOODLE_CACHE_DIR": str(tmp_path / "cache")},
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.splitlines()[-1])

    assert run(10**6)["tier"] == "baseline"  # the cache gets the baseline kernel only
    # now `dot` comes from the cache (no standby is forked for it), turns hot, and the
    # standby forked for `early` does not know it: the program forks a worker itself
    report = run(5)
    assert report["cache_hits"] == 1 and report["compile_seconds"].keys() == {"optimising"}
    assert report["tier"] == "optimising" and report["promotion"] == "done"


def test_calls_through_a_retired_entry_still_count():
    """The promotion thread retires the baseline entry while the program may still be
    in a call through it: its count is read when reported, not when retired (a snapshot
    lost such a call: 48 calls reported for 49)."""
    from types import SimpleNamespace

    from noodle.runtime.profiler import KeyProfile
    profile = KeyProfile("f(float64)")
    baseline = SimpleNamespace(calls=5, cycles=100)
    profile.retire(baseline)
    profile.native = SimpleNamespace(calls=2, cycles=40)
    baseline.calls += 1  # a call that was under way through the old entry
    baseline.cycles += 20
    report = profile.report()
    assert report["calls"] == 8 and report["native_calls"] == 8
