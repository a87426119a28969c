"""The native kernel swap: a hot key's optimised kernel is loaded and put in place by a
thread that runs no Python, and the dispatcher settles the swap when it is next asked.
Between the two, calls run the optimised kernel through the baseline entry's context:
results, errors and call counts must be the same as ever."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import noodle
from noodle.compiler.backend import LoadedObject
from noodle.runtime import compile_worker, dispatcher, kernel_swap
from noodle.runtime.compile_worker import CompileWorker, describe
from noodle.runtime.kernel_swap import LoadedLibrary, Swap, SwapFiles

pytestmark = pytest.mark.skipif(
    not kernel_swap.available(),
    reason="no native kernel swap here (extension not built, no fork, or no temporary "
           "directory)")


def dot(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


def element(a, i):
    return a[i] * 2.0


def wait_until(condition, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.002)


def the_swap(f) -> Swap:
    [(_, swap)] = f._jobs.values()
    return swap


def call_until_hot(f, args: tuple, expected: float) -> int:
    """Call `f` until its key turns hot, checking each result; the number of calls.
    (The profile is read as it is: `profiles()` would settle the swap.)"""
    calls = 0
    while not f._profiles or next(iter(f._profiles.values())).promotion is None:
        assert f(*args) == pytest.approx(expected, rel=1e-12)
        calls += 1
    return calls


def test_calls_run_the_swapped_in_kernel_before_the_swap_settles():
    f = noodle.jit(dot, cache=False, hot_threshold=20)
    rng = np.random.default_rng(1)
    a, b = rng.random(300), rng.random(300)
    calls = call_until_hot(f, (a, b), float(a @ b))
    swap = the_swap(f)
    wait_until(lambda: swap.state == kernel_swap.DONE, "the native swap")
    assert f._swapping  # nothing has settled it yet
    for _ in range(5):
        a, b = rng.random(300), rng.random(300)
        assert f(a, b) == pytest.approx(float(a @ b), rel=1e-12)
        calls += 1
    [profile] = f.profiles()  # settles
    assert not f._swapping
    report = profile.report()
    assert (report["tier"], report["promotion"]) == ("optimising", "done")
    assert report["calls"] == calls  # those before the swap, and those before it settled
    assert isinstance(next(iter(f._kernels.values()))._object, LoadedLibrary)
    assert report["compile_seconds"]["optimising"] > 0


def test_the_swapped_in_kernel_raises_through_the_baseline_entry_until_it_settles():
    f = noodle.jit(element, cache=False, hot_threshold=20, boundscheck=True)
    a = np.arange(5.0)
    call_until_hot(f, (a, 3), 6.0)
    wait_until(lambda: the_swap(f).state == kernel_swap.DONE, "the native swap")
    with pytest.raises(IndexError) as before:
        f(a, 7)
    assert f._swapping and f(a, -1) == 8.0
    f.profiles()
    with pytest.raises(IndexError) as after:
        f(a, 7)
    assert str(before.value) == str(after.value)


def test_a_library_the_thread_cannot_load_is_loaded_in_python(monkeypatch, capsys):
    def link_garbage(current, optimised, files: SwapFiles, opt_level: int) -> bool:
        Path(files.library).write_bytes(b"not a shared library")
        return True

    # before the first call: the standby forked then inherits it
    monkeypatch.setattr(dispatcher, "_link_for_swap", link_garbage)
    monkeypatch.setattr(noodle.config, "explain", True)
    f = noodle.jit(dot, cache=False, hot_threshold=20)
    a = np.arange(4.0)
    call_until_hot(f, (a, a), 14.0)
    swap = the_swap(f)
    wait_until(lambda: swap.state == kernel_swap.FAILED, "the failed swap")
    assert "dlopen" in swap.error
    assert f(a, a) == 14.0  # the baseline kernel, still
    [profile] = f.profiles()
    assert (profile.tier, profile.promotion) == ("optimising", "done")
    assert isinstance(next(iter(f._kernels.values()))._object, LoadedObject)
    assert f(a, a) == 14.0
    assert "the swap thread could not (dlopen" in capsys.readouterr().err
    assert not any(Path(p).exists() for p in swap.files)


def test_a_cancelled_swap_is_skipped_and_its_library_removed():
    f = noodle.jit(dot, cache=False, hot_threshold=10**9)
    a = np.arange(3.0)
    assert f(a, a) == 5.0
    swap = the_swap(f)
    Path(swap.files.library).write_bytes(b"never loaded")
    assert swap.cancel()
    assert not swap.cancel()  # once only
    os.write(kernel_swap.requests_fd(), kernel_swap.request(swap.cell, swap.files.library))
    wait_until(lambda: not Path(swap.files.library).exists(), "the library's removal")
    assert swap.state == kernel_swap.CANCELLED and swap.error == ""
    assert f(a, a) == 5.0


def swap_job(spec: tuple):
    name, library = spec
    files = SwapFiles.at(library)
    return lambda: files if name == "swap" else ("plain", files.library)


@pytest.mark.skipif(not compile_worker.available(), reason="no os.fork here")
@pytest.mark.parametrize("from_standby", [True, False])
def test_a_job_with_a_swap_cell_goes_to_the_thread_and_the_others_come_back(
        tmp_path, from_standby):
    f = noodle.jit(dot, cache=False, hot_threshold=10**9)
    assert f(np.ones(2), np.ones(2)) == 2.0
    swap = the_swap(f)
    worker = CompileWorker(swap_job)
    if from_standby:
        worker.refresh_standby()
    base = str(tmp_path / "k")
    # no library at that path: the thread records its dlopen failure, so it did get it
    handed = worker.submit(describe(("swap", base)), swap.cell)
    wait_until(lambda: swap.state == kernel_swap.FAILED, "the thread's attempt")
    assert base in swap.error and not handed.done()
    # the same job with no cell, or another result with a cell, comes back to Python
    assert worker.submit(describe(("swap", base))).result(timeout=60) == SwapFiles.at(base)
    assert worker.submit(describe(("plain", base)), swap.cell).result(timeout=60) == (
        "plain", f"{base}.so")


def scaled_exp(a):
    return np.exp(a * 0.5)


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="reads /proc/self/maps")
def test_a_parallel_kernel_swapped_in_shares_the_process_thread_pool():
    """The library links noodle's async runtime by path: loaded by the swap thread, it
    must be the same copy the baseline kernel uses (one thread pool), not a second."""
    from noodle.compiler.backend import async_runtime_path

    f = noodle.jit(scaled_exp, cache=False, hot_threshold=5, parallel=True)
    a = np.random.default_rng(3).random(300_000)  # several tasks
    expected = np.exp(a * 0.5)
    np.testing.assert_allclose(f(a), expected, rtol=1e-15)
    while not f._profiles or next(iter(f._profiles.values())).promotion is None:
        np.testing.assert_allclose(f(a), expected, rtol=1e-15)
    wait_until(lambda: the_swap(f).state == kernel_swap.DONE, "the native swap")
    np.testing.assert_allclose(f(a), expected, rtol=1e-15)
    assert [p.tier for p in f.profiles()] == ["optimising"]
    runtime = os.path.realpath(async_runtime_path())
    with open("/proc/self/maps") as maps:
        code = [line for line in maps if line.split()[1] == "r-xp" and
                line.rstrip().endswith(runtime)]
    assert len(code) == 1, code


EXITS_UNSETTLED = """
import time
import numpy as np
import noodle
from noodle.runtime import kernel_swap
from test_kernel_swap import call_until_hot, dot, the_swap

f = noodle.jit(dot, cache=False, hot_threshold=20)
a = np.arange(4.0)
call_until_hot(f, (a, a), 14.0)
deadline = time.monotonic() + 120
while the_swap(f).state != kernel_swap.DONE:
    assert time.monotonic() < deadline
    time.sleep(0.002)
assert f(a, a) == 14.0  # and exit with the swap done, nothing having settled it
"""


def test_a_swap_done_but_not_settled_at_exit_is_reported(tmp_path):
    """At exit the metrics file is written (a settle); the swap's files must still be
    there for it, whatever order the exit hooks run in."""
    metrics = tmp_path / "metrics.json"
    done = subprocess.run([sys.executable, "-c", EXITS_UNSETTLED], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).parent,
                          env={**os.environ, "NOODLE_METRICS_FILE": str(metrics),
                               "NOODLE_CACHE": "0"})
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
    [keys] = json.loads(metrics.read_text()).values()
    [report] = keys.values()
    assert (report["tier"], report["promotion"]) == ("optimising", "done")


def test_without_a_temporary_directory_promotions_take_the_python_way(monkeypatch):
    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(kernel_swap, "_swapper", no_space)
    assert not kernel_swap.available()
    f = noodle.jit(dot, cache=False, hot_threshold=20)
    a = np.arange(4.0)
    assert f(a, a) == 14.0
    assert the_swap(f) is None
    wait_until(lambda: f(a, a) == 14.0 and f.profiles()[0].tier == "optimising",
               "the promotion")
    assert isinstance(next(iter(f._kernels.values()))._object, LoadedObject)
