"""noodle's async runtime (noodle/runtime/async_runtime.c), which runs `parallel=True`
loops: its C API called directly (tokens, values, groups, errors, tasks on the pool and
continuations), and kernels on it in processes of their own (the library the kernels
use, NOODLE_NUM_THREADS, a fork after the pool started)."""
import ctypes
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from noodle.compiler.backend import async_runtime_path

REPO = Path(__file__).resolve().parents[2]
RESUME = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


@pytest.fixture(scope="module")
def runtime():
    lib = ctypes.CDLL(async_runtime_path())
    p, i64 = ctypes.c_void_p, ctypes.c_int64
    for name, result, args in [
        ("CreateToken", p, []), ("CreateValue", p, [i64]), ("CreateGroup", p, [i64]),
        ("AddTokenToGroup", i64, [p, p]), ("AddRef", None, [p, i64]),
        ("DropRef", None, [p, i64]), ("EmplaceToken", None, [p]),
        ("EmplaceValue", None, [p]), ("SetTokenError", None, [p]),
        ("SetValueError", None, [p]), ("IsTokenError", ctypes.c_bool, [p]),
        ("IsValueError", ctypes.c_bool, [p]), ("IsGroupError", ctypes.c_bool, [p]),
        ("AwaitToken", None, [p]), ("AwaitValue", None, [p]),
        ("AwaitAllInGroup", None, [p]), ("GetValueStorage", p, [p]),
        ("Execute", None, [p, RESUME]), ("AwaitTokenAndExecute", None, [p, p, RESUME]),
        ("AwaitValueAndExecute", None, [p, p, RESUME]),
        ("AwaitAllInGroupAndExecute", None, [p, p, RESUME]),
    ]:
        function = getattr(lib, f"mlirAsyncRuntime{name}")
        function.restype, function.argtypes = result, args
    return lib


def test_a_group_waits_for_every_task_on_the_pool(runtime):
    n = 200
    tokens = [runtime.mlirAsyncRuntimeCreateToken() for _ in range(n)]
    group = runtime.mlirAsyncRuntimeCreateGroup(n)
    ranks = [runtime.mlirAsyncRuntimeAddTokenToGroup(t, group) for t in tokens]
    ran = []

    @RESUME
    def task(handle):  # what a coroutine's resume function does: its work, then its token
        ran.append(handle)
        runtime.mlirAsyncRuntimeEmplaceToken(tokens[handle - 1])

    for handle in range(1, n + 1):  # a coroutine handle is never NULL (ctypes: None)
        runtime.mlirAsyncRuntimeExecute(handle, task)
    runtime.mlirAsyncRuntimeAwaitAllInGroup(group)
    assert ranks == list(range(n))
    assert sorted(ran) == list(range(1, n + 1))  # each task once
    assert not runtime.mlirAsyncRuntimeIsGroupError(group)
    for t in tokens:
        runtime.mlirAsyncRuntimeDropRef(t, 1)
    runtime.mlirAsyncRuntimeDropRef(group, 1)


def test_an_error_in_one_token_is_the_groups(runtime):
    ready, failed, pending = (runtime.mlirAsyncRuntimeCreateToken() for _ in range(3))
    runtime.mlirAsyncRuntimeEmplaceToken(ready)
    group = runtime.mlirAsyncRuntimeCreateGroup(3)
    for token in (ready, failed, pending):  # one ready before it joins, two after
        runtime.mlirAsyncRuntimeAddTokenToGroup(token, group)
    runtime.mlirAsyncRuntimeSetTokenError(failed)
    runtime.mlirAsyncRuntimeEmplaceToken(pending)
    runtime.mlirAsyncRuntimeAwaitAllInGroup(group)
    assert runtime.mlirAsyncRuntimeIsGroupError(group)
    assert runtime.mlirAsyncRuntimeIsTokenError(failed)
    assert not runtime.mlirAsyncRuntimeIsTokenError(ready)
    for token in (ready, failed, pending):
        runtime.mlirAsyncRuntimeDropRef(token, 1)
    runtime.mlirAsyncRuntimeDropRef(group, 1)


def test_a_value_carries_its_bytes_and_its_error(runtime):
    value = runtime.mlirAsyncRuntimeCreateValue(8)
    storage = runtime.mlirAsyncRuntimeGetValueStorage(value)
    assert storage % 8 == 0
    ctypes.c_int64.from_address(storage).value = -12345
    runtime.mlirAsyncRuntimeEmplaceValue(value)
    runtime.mlirAsyncRuntimeAwaitValue(value)
    assert not runtime.mlirAsyncRuntimeIsValueError(value)
    assert ctypes.c_int64.from_address(storage).value == -12345
    runtime.mlirAsyncRuntimeDropRef(value, 1)

    failed = runtime.mlirAsyncRuntimeCreateValue(8)
    runtime.mlirAsyncRuntimeSetValueError(failed)
    runtime.mlirAsyncRuntimeAwaitValue(failed)
    assert runtime.mlirAsyncRuntimeIsValueError(failed)
    runtime.mlirAsyncRuntimeDropRef(failed, 1)


@pytest.mark.parametrize("kind", ["Token", "Value", "AllInGroup"])
def test_a_continuation_runs_once_its_object_is_ready(runtime, kind):
    resumed = []

    @RESUME
    def resume(handle):
        resumed.append(handle)

    def make():
        if kind == "Token":
            token = runtime.mlirAsyncRuntimeCreateToken()
            return token, lambda: runtime.mlirAsyncRuntimeEmplaceToken(token)
        if kind == "Value":
            value = runtime.mlirAsyncRuntimeCreateValue(4)
            return value, lambda: runtime.mlirAsyncRuntimeEmplaceValue(value)
        token = runtime.mlirAsyncRuntimeCreateToken()
        group = runtime.mlirAsyncRuntimeCreateGroup(1)
        runtime.mlirAsyncRuntimeAddTokenToGroup(token, group)

        def ready():
            runtime.mlirAsyncRuntimeEmplaceToken(token)
            runtime.mlirAsyncRuntimeDropRef(token, 1)
        return group, ready

    await_and_execute = getattr(runtime, f"mlirAsyncRuntimeAwait{kind}AndExecute")
    later, make_ready = make()
    await_and_execute(later, 7, resume)
    assert resumed == []  # not ready: the continuation waits
    make_ready()
    assert resumed == [7]  # run by whoever made it ready
    await_and_execute(later, 8, resume)
    assert resumed == [7, 8]  # already ready: run at once
    runtime.mlirAsyncRuntimeDropRef(later, 1)


def run_script(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(code))
    environment = {**os.environ, "PYTHONPATH": str(REPO), **env}
    return subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=environment,
                          capture_output=True, text=True, timeout=120)


PROGRAM = """
import numpy as np
import noodle

@noodle.jit(parallel=True)
def row_sums(m):
    out = np.empty(m.shape[0])
    for i in noodle.prange(m.shape[0]):
        s = 0.0
        for j in range(m.shape[1]):
            s += m[i, j]
        out[i] = s
    return out

m = np.arange(300.0 * 50).reshape(300, 50)
assert np.array_equal(row_sums(m), m.sum(axis=1)), "wrong sums"
{rest}
"""


def program(rest: str = "") -> str:
    return PROGRAM.format(rest=textwrap.dedent(rest))


def test_kernels_run_on_noodles_runtime_not_mlirs(tmp_path):
    done = run_script(tmp_path, program("""
        import ctypes
        maps = open("/proc/self/maps").read()
        assert "_async_runtime" in maps and "libmlir_async_runtime" not in maps, maps
        count = ctypes.CDLL(noodle.compiler.backend.async_runtime_path())
        print(count.mlirAsyncRuntimGetNumWorkerThreads())
    """), NOODLE_NUM_THREADS="3")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3"]


@pytest.mark.parametrize("threads", ["1", "2", "5"])
def test_any_number_of_threads_gives_the_same_results(tmp_path, threads):
    done = run_script(tmp_path, program(), NOODLE_NUM_THREADS=threads)
    assert done.returncode == 0, done.stderr


def test_iterations_run_on_the_workers_too(tmp_path):
    """The workers' own CPU time (they sleep at once when idle: no spinning counted)
    shows they ran a good share of the iterations."""
    done = run_script(tmp_path, program("""
        import os, threading
        big = np.random.default_rng(0).random((2000, 2000))
        expected = big.sum(axis=1)
        for _ in range(20):
            assert np.allclose(row_sums(big), expected)

        def cpu_seconds(task: str) -> float:
            fields = open(f"/proc/self/task/{task}/stat").read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

        me = str(threading.get_native_id())
        tasks = os.listdir("/proc/self/task")
        workers = sum(cpu_seconds(t) for t in tasks if t != me)
        print(workers, cpu_seconds(me))
    """), NOODLE_NUM_THREADS="2", NOODLE_SPIN_US="0")
    assert done.returncode == 0, done.stderr
    workers, caller = map(float, done.stdout.split())
    # one thread alone: ~4% (noodle's own helper threads, which mostly sleep)
    assert workers >= 0.15 * (workers + caller), (workers, caller)


def test_a_bad_thread_count_is_said_and_the_cpus_are_used(tmp_path):
    done = run_script(tmp_path, program(), NOODLE_NUM_THREADS="lots")
    assert done.returncode == 0, done.stderr
    assert "NOODLE_NUM_THREADS=lots is not a number of threads" in done.stderr


def test_a_forked_child_runs_parallel_kernels(tmp_path):
    # the child has none of the parent's workers; the runtime must start its own
    done = run_script(tmp_path, program("""
        import os
        pid = os.fork()
        if pid == 0:
            right = np.array_equal(row_sums(m * 2.0), m.sum(axis=1) * 2.0)
            threads = len(os.listdir("/proc/self/task"))  # its own worker started
            os._exit(0 if right and threads >= 2 else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        print("child ok")
    """), NOODLE_NUM_THREADS="2")
    assert done.returncode == 0, done.stderr
    assert "child ok" in done.stdout


def test_nested_parallel_loops_from_several_threads(tmp_path):
    """A prange body with an array op long enough for tasks of its own: a task waits for
    inner tasks (a blocking await inside a worker) while other threads call kernels at
    once (kernels run without the GIL). A task queued when every thread that could run
    it was asleep in such a wait must still run: all calls finish, all results right."""
    done = run_script(tmp_path, program("""
        import threading

        @noodle.jit(parallel=True)
        def scaled_rows(m, k):
            out = np.empty_like(m)
            for i in noodle.prange(m.shape[0]):
                out[i, :] = m[i, :] * k + 1.0
            return out

        rows = np.random.default_rng(3).standard_normal((6, 70_000))
        failures = []

        def client(k):
            for _ in range(20):
                if not np.array_equal(scaled_rows(rows, k), rows * k + 1.0):
                    failures.append(k)

        threads = [threading.Thread(target=client, args=(float(k),)) for k in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads), "a call never finished"
        assert not failures, failures
        print("ok")
    """), NOODLE_NUM_THREADS="2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ok"]


IDLE_CPU = """
import resource, time
def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
row_sums(m)  # the worker ran a task: now it idles
start = cpu_seconds()
time.sleep(0.3)
print(f"{cpu_seconds() - start:.4f}")
"""


@pytest.mark.parametrize("spin_us, low, high", [("0", 0.0, 0.02), ("200000", 0.05, 0.35)])
def test_noodle_spin_us_sets_how_long_an_idle_worker_spins(tmp_path, spin_us, low, high):
    # CPU time used while the program sleeps 0.3 s is the idle worker's spinning: none
    # when it sleeps at once, about 0.2 s when it spins for 200 ms
    done = run_script(tmp_path, program(IDLE_CPU), NOODLE_NUM_THREADS="2",
                      NOODLE_SPIN_US=spin_us)
    assert done.returncode == 0, done.stderr
    assert low <= float(done.stdout.split()[-1]) <= high


def test_a_bad_spin_time_is_said_and_the_default_used(tmp_path):
    done = run_script(tmp_path, program(), NOODLE_SPIN_US="-5")
    assert done.returncode == 0, done.stderr
    assert ("NOODLE_SPIN_US=-5 is not a number of microseconds from 0 to 10000000; "
            "using 2000") in done.stderr
