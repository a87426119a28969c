"""Compiling away from the caller: each job runs in a forked worker process and its
result comes back through a pipe, collected by a background thread.

Why a process: MLIR holds the GIL while it parses and runs passes, so a compile in a
thread would still stall the program; and these MLIR/LLVM builds abort the process on
an internal assertion, which must cost the worker, never the program. Why fork: the
worker needs the very function object, its globals and closure and the functions it
calls, which a fresh interpreter could not rebuild for functions defined in `__main__`,
in a notebook or inside another function. Every job gets a fresh worker, so a crashed
one is simply not reused.
"""
from __future__ import annotations

import os
import pickle
import queue
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any


class WorkerCrashed(RuntimeError):
    """The worker process died before it returned a result."""


class CompileWorker:
    """Runs jobs (functions returning picklable results) one at a time in forked
    workers; `submit` never waits."""

    def __init__(self) -> None:
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], Any]) -> Future:
        future: Future = Future()
        self._jobs.put((job, future))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="noodle-compiler",
                                                daemon=True)
                self._thread.start()
        return future

    def _serve(self) -> None:
        while True:
            job, future = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            # What this thread does in Python (unpickling the result, loading the
            # kernel, the done-callbacks that swap it in) must not hold the program's
            # thread for a whole 5 ms switch interval: slices of 0.1 ms meanwhile.
            interval = sys.getswitchinterval()
            sys.setswitchinterval(min(interval, 1e-4))
            try:
                future.set_result(run_forked(job))
            except BaseException as e:  # noqa: BLE001 - handed to whoever waits
                future.set_exception(e)
            finally:
                sys.setswitchinterval(interval)


def run_forked(job: Callable[[], Any]) -> Any:
    """`job()` computed in a forked child: its result, or its exception re-raised here,
    or WorkerCrashed when the child died (a signal, or exit without a result)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: compute, send, and leave without running any cleanup
        os.close(read_fd)
        status = 0
        try:
            try:
                _injected_fault()
                payload = pickle.dumps(("ok", job()))
            except BaseException as e:  # noqa: BLE001 - sent to the parent
                payload = pickle.dumps(("error", _picklable(e)))
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(payload)
        except BaseException:  # noqa: BLE001 - nothing can be reported any more
            status = 1
        finally:
            os._exit(status)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not payload:
        if os.WIFSIGNALED(status):
            how = f"signal {signal.Signals(os.WTERMSIG(status)).name}"
        else:
            how = f"exit status {os.WEXITSTATUS(status)}"
        raise WorkerCrashed(f"the compile worker died ({how})")
    outcome, value = pickle.loads(payload)
    if outcome == "error":
        raise value
    return value


def _injected_fault() -> None:
    """NOODLE_WORKER_FAULT=abort|kill makes workers fail the way a compiler that hits
    an assertion, or one killed mid-compile (the OOM killer, a user), would: how the
    recovery is tested."""
    fault = os.environ.get("NOODLE_WORKER_FAULT")
    if fault == "abort":
        os.abort()
    elif fault == "kill":  # a few milliseconds into the compile
        threading.Timer(0.005, os.kill, (os.getpid(), signal.SIGKILL)).start()


def _picklable(e: BaseException) -> BaseException:
    try:
        pickle.dumps(e)
        return e
    except Exception:  # noqa: BLE001 - anything unpicklable becomes its text
        return RuntimeError("".join(traceback.format_exception_only(type(e), e)).strip())


def available() -> bool:
    """Forking is how workers start; where there is none, compiles stay in-process."""
    return hasattr(os, "fork") and sys.platform != "win32"
