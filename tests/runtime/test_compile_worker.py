"""The compile worker on its own, with jobs simpler than compiles: results come back in
the order sent, whether a standby serves them or the program has to fork for them (a
job the standby does not know, a standby that died), and failures reach the future."""
from __future__ import annotations

import os
import signal
import sys
import time

import pytest

from noodle.runtime import compile_worker
from noodle.runtime.compile_worker import CompileWorker, WorkerCrashed, describe

pytestmark = pytest.mark.skipif(not compile_worker.available(), reason="no os.fork here")

#: what jobs can be asked for; a name added after a standby was forked is unknown there
KNOWN: dict[str, object] = {}


def resolve(spec: tuple):
    name, argument = spec
    if name not in KNOWN:
        raise LookupError(name)
    function = KNOWN[name]
    return lambda: (function(argument), os.getpid())


def square(x):
    return x * x


def fail(x):
    raise ValueError(f"bad {x}")


def crash(x):
    os.abort()


@pytest.fixture(autouse=True)
def known_jobs():
    KNOWN.clear()
    KNOWN.update(square=square, fail=fail, crash=crash)
    yield
    KNOWN.clear()


def results(futures) -> list:
    return [future.result(timeout=60)[0] for future in futures]


def test_a_ping_is_answered_by_the_standby_itself_in_order():
    worker = CompileWorker(resolve)
    worker.refresh_standby()
    first = worker.submit(describe(("square", 3)))
    ping = worker.submit(compile_worker.PING)
    assert ping.result(timeout=60) is None  # no child, no resolving: just the round trip
    assert first.result(timeout=60)[0] == 9


def test_a_standby_serves_jobs_in_the_order_they_were_sent():
    worker = CompileWorker(resolve)
    worker.refresh_standby()
    futures = [worker.submit(describe(("square", x))) for x in range(6)]
    assert results(futures) == [x * x for x in range(6)]
    pids = {future.result()[1] for future in futures}
    assert os.getpid() not in pids and len(pids) == 6  # a child per job


def test_failures_reach_the_future_and_the_standby_goes_on():
    worker = CompileWorker(resolve)
    worker.refresh_standby()
    failing, crashing = worker.submit(describe(("fail", 3))), worker.submit(
        describe(("crash", 0)))
    with pytest.raises(ValueError, match="bad 3"):
        failing.result(timeout=60)
    with pytest.raises(WorkerCrashed, match="SIGABRT"):
        crashing.result(timeout=60)
    assert results([worker.submit(describe(("square", 7)))]) == [49]


def test_a_job_the_standby_does_not_know_is_forked_from_the_program():
    worker = CompileWorker(resolve)
    worker.refresh_standby()
    KNOWN["cube"] = lambda x: x ** 3  # made after the standby was forked
    assert results([worker.submit(describe(("cube", 3))),
                    worker.submit(describe(("square", 3)))]) == [27, 9]


def test_jobs_outlive_a_killed_standby():
    worker = CompileWorker(resolve)
    worker.refresh_standby()
    os.kill(worker._standby.pid, signal.SIGKILL)
    futures = [worker.submit(describe(("square", x))) for x in range(3)]
    assert results(futures) == [0, 1, 4]


def test_without_a_standby_the_program_forks_for_each_job():
    worker = CompileWorker(resolve)
    assert results([worker.submit(describe(("square", 5)))]) == [25]


def test_a_replaced_standby_finishes_its_jobs_and_exits():
    worker = CompileWorker(resolve)
    worker.refresh_standby()
    old = worker._standby
    in_flight = worker.submit(describe(("square", 4)))
    worker.refresh_standby()
    assert worker._standby is not old
    assert results([in_flight, worker.submit(describe(("square", 6)))]) == [16, 36]
    deadline = time.monotonic() + 60
    while old.results >= 0:  # its collector reaps it once its results pipe ends
        assert time.monotonic() < deadline, "the replaced standby never exited"
        time.sleep(0.01)
    with pytest.raises(ChildProcessError):
        os.waitpid(old.pid, os.WNOHANG)


def test_the_switch_interval_comes_back_when_the_jobs_are_done():
    normal = sys.getswitchinterval()
    worker = CompileWorker(resolve)
    worker.refresh_standby()
    future = worker.submit(describe(("square", 2)))
    assert sys.getswitchinterval() < normal  # short slices while a job runs
    future.result(timeout=60)
    deadline = time.monotonic() + 10
    while sys.getswitchinterval() != normal:  # set after the done-callbacks ran
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_a_fork_of_the_program_gets_workers_of_its_own():
    """A job submitted in a fork of the program (multiprocessing, a test runner) must not
    go down the parent's standby, whose answer would reach the parent with no such job
    pending (that killed the parent's collector thread); both keep getting results."""
    worker = CompileWorker(resolve)
    worker.refresh_standby()
    assert results([worker.submit(describe(("square", 2)))]) == [4]
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            status = 0 if results([worker.submit(describe(("square", 3)))]) == [9] else 1
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert results([worker.submit(describe(("square", 5)))]) == [25]


class _UnreadableHere:
    """Pickles in the worker; unpickling it in the program fails, as a result truncated
    by a worker killed while it wrote it does."""

    def __reduce__(self):
        return (_fail_to_read, ())


def _fail_to_read():
    raise EOFError("Ran out of input")


def test_a_result_the_program_cannot_read_is_a_crash_not_the_job_s_error():
    with pytest.raises(WorkerCrashed, match="unreadable result"):
        compile_worker.run_forked(_UnreadableHere)
    assert compile_worker.run_forked(lambda: 42) == 42


def test_a_ping_without_a_standby_is_answered_without_a_fork():
    """A rehearsal (PING, an empty job) with no standby to answer it, one that died
    first, say, goes to the forking thread, which answered it with EOFError from
    unpickling nothing: the program's call that waited for it raised that."""
    worker = CompileWorker(resolve)  # no standby
    assert worker.submit(compile_worker.PING).result(timeout=60) is None
    assert worker.submit(describe(("square", 4))).result(timeout=60)[0] == 16
