"""Compiling away from the caller: each job runs in a forked worker process and its
result comes back through a pipe, collected by a background thread.

Why a process: MLIR holds the GIL while it parses and runs passes, so a compile in a
thread would still stall the program; and these MLIR/LLVM builds abort the process on
an internal assertion, which must cost the worker, never the program. Why fork: the
worker needs the very function object, its globals and closure and the functions it
calls, which a fresh interpreter could not rebuild for functions defined in `__main__`,
in a notebook or inside another function.

Forking the program holds its GIL for milliseconds (the page tables of a process with
MLIR loaded), which would stall a caller in the middle of a hot loop. So the program
forks only where a caller waits anyway, at the end of a baseline compile: that fork is
a *standby* worker, idle until a job comes, which forks a child per job (a crashed
child costs nothing but its job). A standby knows the functions that existed when it
was forked, so a new one replaces it after every baseline compile; a job the standby
cannot serve (or one sent when it died) is forked from the program after all.

A job submitted with a swap cell (`kernel_swap.py`) that returns `SwapFiles` is handed
to the program's native swap thread instead of coming back: no thread of the program
that runs Python wakes up for it. Its future is left pending; the dispatcher settles
the swap itself. Anything else the job returns, errors and crashes included, comes back
through its future as usual.
"""
from __future__ import annotations

import faulthandler
import itertools
import os
import pickle
import queue
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from noodle.runtime import kernel_swap
from noodle.runtime.kernel_swap import SwapFiles

#: turns a job's description (picklable) into the job, in the process that runs it
Resolver = Callable[[Any], Callable[[], Any]]

#: The niceness of worker processes (the program's is 0)
_NICENESS = 10


def describe(spec: Any) -> bytes:
    """A job's description as `submit` takes it. Pickling is one C call that holds the
    GIL (~0.2 ms the first time in a process), so do it where the caller waits anyway,
    not inside the call that turns a key hot."""
    return pickle.dumps(spec)


class WorkerCrashed(RuntimeError):
    """The worker process died before it returned a result."""


class PreparedJob:
    """A job made ready to send: its future, and its message with a sequence number
    unique in the process. Made where the caller waits anyway, so that sending it, inside
    the call that turns a key hot, allocates next to nothing: each object allocated there
    landed on a page untouched since the standby was forked, and each such page cost a
    page fault of 5-10 us (10-16 of them made that call take ~0.11 ms)."""

    def __init__(self, job: bytes, swap_cell: int = 0):
        self.job, self.swap_cell = job, swap_cell
        self.future: Future = Future()
        self.future.set_running_or_notify_cancel()
        self.sequence = next(_SEQUENCE)
        self.message = _framed(struct.pack("<QQ", self.sequence, swap_cell) + job)


_SEQUENCE = itertools.count()


class CompileWorker:
    """Runs jobs in worker processes; `submit` never waits.

    A job goes straight down the standby's requests pipe, from the caller's thread: one
    small write. A thread per standby waits in a read of its results pipe, so nothing
    else in the program wakes up, or wants the GIL, until a result comes back."""

    def __init__(self, resolve: Resolver) -> None:
        self._resolve = resolve
        self._open: list[_Standby] = []  # whose pipe ends this process holds
        self._start_afresh()

    def _start_afresh(self) -> None:
        self._owner = os.getpid()
        self._lock = threading.Lock()
        self._standby: _Standby | None = None
        self._forked: queue.Queue = queue.Queue()  # jobs no standby can serve
        self._forking_thread: threading.Thread | None = None
        self._running: set[Future] = set()  # jobs submitted that come back here
        self._normal_interval: float | None = None  # the switch interval while jobs run

    def _in_this_process(self) -> None:
        """In a fork of the program that made this worker (multiprocessing, a test
        runner), its standbys, threads and jobs are the parent's: a job sent down a
        standby's inherited pipe would be answered to the parent, which has no such job
        pending. The child closes its copies of those pipes and starts afresh."""
        if os.getpid() == self._owner:
            return
        for standby in self._open:
            standby.close()
        self._open = []
        self._start_afresh()

    def refresh_standby(self) -> None:
        """Fork a standby worker that knows every function there is now (call this only
        where the caller waits anyway)."""
        self._in_this_process()
        with self._lock:
            fresh = _Standby(self._resolve, [fd for s in self._open for fd in s.fds()],
                             kernel_swap.requests_fd())
            self._open.append(fresh)
            old, self._standby = self._standby, fresh
            if old is not None:
                old.retire()
        # now, not when a job comes: starting a thread takes time
        threading.Thread(target=self._collect, args=(fresh,), name="noodle-compiler",
                         daemon=True).start()

    def submit(self, job: bytes | PreparedJob, swap_cell: int = 0) -> Future:
        """Run the job `job` describes (`describe`; see `Resolver`), or a job prepared
        with its swap cell. Cheap: this runs inside a caller's call, when its key turns
        hot. With a swap cell, a result of `SwapFiles` goes to the swap thread, and the
        future is never done."""
        self._in_this_process()
        prepared = job if isinstance(job, PreparedJob) else PreparedJob(job, swap_cell)
        with self._lock:
            if not prepared.swap_cell:
                self._count_running(prepared.future)
            if self._standby is not None and self._standby.send(prepared):
                return prepared.future
        self._fork_for(prepared.job, prepared.future, prepared.swap_cell)
        return prepared.future

    def _count_running(self, future: Future) -> None:
        """Count a job whose result the program handles in Python (under the lock)."""
        self._running.add(future)
        if self._normal_interval is None:
            # What the program then does in Python for the job (the result's
            # unpickling, loading the kernel, the done-callbacks that swap it in)
            # must not hold its thread for whole 5 ms switch intervals: slices of
            # 10 us until the last job is done (0.1 ms slices made calls of a few
            # us wait 0.2-0.3 ms while a kernel loaded).
            self._normal_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(self._normal_interval, 1e-5))

    def _collect(self, standby: _Standby) -> None:
        """The results of `standby`'s jobs, in the order they were sent, until it exits
        (let go, or killed); jobs it could not serve are forked from here."""
        while (payload := _receive(standby.results)) is not None:
            sequence, outcome = pickle.loads(payload)
            with self._lock:
                sent = standby.pending.pop(sequence)
            if outcome[0] == "unknown":  # a function made after it was forked
                self._fork_for(sent.job, sent.future, sent.swap_cell)
            else:
                self._finish(sent.future, outcome)
        with self._lock:
            if self._standby is standby:
                self._standby = None
            self._open.remove(standby)
            standby.close()
            orphans, standby.pending = standby.pending, {}
        standby.reap()
        for sent in orphans.values():
            # a job handed to the swap thread never came back: it is done unless its
            # swap can still be cancelled (it died first, or its request is in transit)
            if sent.swap_cell and sent.job != PING and not kernel_swap.cancel(sent.swap_cell):
                continue
            with self._lock:
                self._count_running(sent.future)
            self._fork_for(sent.job, sent.future, 0)

    def _fork_for(self, job: bytes, future: Future, swap_cell: int) -> None:
        self._forked.put((job, future, swap_cell))
        with self._lock:
            if self._forking_thread is None:
                self._forking_thread = threading.Thread(
                    target=self._fork_jobs, name="noodle-compiler-fork", daemon=True)
                self._forking_thread.start()

    def _fork_jobs(self) -> None:
        while True:
            job, future, cell = self._forked.get()
            if job == PING:  # a rehearsal left by a standby that went away: no compile
                self._finish(future, ("ok", None))
                continue
            try:
                spec = pickle.loads(job)
                outcome = _outcome_of_forked(lambda: self._resolve(spec)())
            except Exception as e:  # noqa: BLE001 - no fork (out of memory, say)
                outcome = ("error", e)
            if not _hand_over(kernel_swap.requests_fd(), cell, outcome):
                self._finish(future, outcome)

    def _finish(self, future: Future, outcome: tuple[str, Any]) -> None:
        try:
            future.set_result(_result(outcome))
        except BaseException as e:  # noqa: BLE001 - handed to whoever waits
            future.set_exception(e)
        finally:
            with self._lock:
                self._running.discard(future)
                if not self._running and self._normal_interval is not None:
                    sys.setswitchinterval(self._normal_interval)
                    self._normal_interval = None


class _Standby:
    """A worker forked now and kept idle; each job sent to it runs in a child it forks.
    It serves its requests in order, and exits once the program closes them."""

    def __init__(self, resolve: Resolver, inherited: list[int], swap_requests: int):
        """`swap_requests`: where the swap thread reads requests (-1: nowhere)."""
        #: the jobs sent and not answered, by sequence number
        self.pending: dict[int, PreparedJob] = {}
        with _FORKING:
            requests_in, self._requests = os.pipe()
            self.results, results_out = os.pipe()
            self.pid = _fork()
            if self.pid != 0:
                os.close(requests_in)
                os.close(results_out)
        if self.pid == 0:
            # without the other standbys' ends of their pipes, each sees its pipe end
            # when the program lets it go
            for fd in [self._requests, self.results, *inherited]:
                _close(fd)
            # the program comes first where cores are fewer than busy processes: the
            # fork of a job's child (page tables of a process with MLIR loaded) competes
            # with the call that handed the job over
            os.nice(_NICENESS)
            _standby_loop(requests_in, results_out, resolve, swap_requests)

    def send(self, job: PreparedJob) -> bool:
        """Queue `job` (under the worker's lock); False if the standby is gone."""
        if self._requests < 0:
            return False
        self.pending[job.sequence] = job
        try:
            _write_all(self._requests, job.message)
        except OSError:  # it died: its collector forks its pending jobs
            del self.pending[job.sequence]
            return False
        return True

    def retire(self) -> None:
        """Send no more: it exits after the jobs it has (its collector sees the end)."""
        _close(self._requests)
        self._requests = -1

    def fds(self) -> list[int]:
        return [fd for fd in (self._requests, self.results) if fd >= 0]

    def close(self) -> None:
        self.retire()
        _close(self.results)
        self.results = -1

    def reap(self) -> None:
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


#: A job the standby answers at once, with None: a rehearsal of a hand-over (see
#: `Dispatcher._rehearse_promotion`)
PING = b""


def _standby_loop(requests: int, results: int, resolve: Resolver, swap_requests: int
                  ) -> None:
    status = 0
    try:
        while (message := _receive(requests)) is not None:
            sequence, cell = struct.unpack_from("<QQ", message)
            payload = message[16:]
            if payload == PING:
                outcome: tuple[str, Any] = ("ok", None)
            else:
                try:
                    job = resolve(pickle.loads(payload))
                except LookupError:  # made after this standby was forked
                    outcome = ("unknown", None)
                else:
                    outcome = _outcome_of_forked(job)
            if not _hand_over(swap_requests, cell, outcome):
                _send(results, pickle.dumps((sequence, outcome)))
    except BaseException:  # noqa: BLE001 - the program sees the standby gone
        status = 1
    finally:
        os._exit(status)


def _hand_over(swap_requests: int, cell: int, outcome: tuple[str, Any]) -> bool:
    """Send the swap thread its request, if `outcome` is a kernel for it."""
    if not (cell and swap_requests >= 0 and outcome[0] == "ok"
            and isinstance(outcome[1], SwapFiles)):
        return False
    os.write(swap_requests, kernel_swap.request(cell, outcome[1].library))
    return True


def run_forked(job: Callable[[], Any]) -> Any:
    """`job()` computed in a forked child: its result, or its exception re-raised here,
    or WorkerCrashed when the child died (a signal, or exit without a result)."""
    return _result(_outcome_of_forked(job))


def _result(outcome: tuple[str, Any]) -> Any:
    kind, value = outcome
    if kind == "ok":
        return value
    if kind == "crashed":
        raise WorkerCrashed(value)
    raise value


def _outcome_of_forked(job: Callable[[], Any]) -> tuple[str, Any]:
    """("ok", result), ("error", exception) or ("crashed", how) of `job` run in a
    forked child."""
    with _FORKING:
        read_fd, write_fd = os.pipe()
        pid = _fork()
        if pid != 0:
            os.close(write_fd)
    if pid == 0:  # the worker: compute, send, and leave without running any cleanup
        os.close(read_fd)
        status = 0
        try:
            try:
                # the program comes first where cores are fewer than busy processes
                # (a standby's children are at its niceness already)
                os.nice(max(0, _NICENESS - os.nice(0)))
                # a compiler that aborts must not print the program's stack as if the
                # program had crashed (pytest, for one, enables the fault handler)
                faulthandler.disable()
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
    with os.fdopen(read_fd, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    # only a child that exited cleanly sent all of its result: one killed while writing
    # it (the OOM killer, a user) leaves a truncated pickle
    if payload and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
        try:
            return pickle.loads(payload)
        except Exception as e:  # noqa: BLE001 - an incomplete result is a crash
            return ("crashed", f"the compile worker sent an unreadable result ({e})")
    if os.WIFSIGNALED(status):
        how = f"signal {signal.Signals(os.WTERMSIG(status)).name}"
    else:
        how = f"exit status {os.WEXITSTATUS(status)}"
    return ("crashed", f"the compile worker died ({how})")


# Every fork here creates its pipes and closes the parent's copies of the child's ends
# under this lock: a process forked in between would hold a pipe's write end open, and
# the reader of that pipe would never see its end (and never learn that its child died).
_FORKING = threading.Lock()


def _fork() -> int:
    """os.fork, holding llvmlite's lock meanwhile: the child has only the forking thread,
    and a copy of the lock held by another thread (loading a kernel, say) would stay
    held there for ever, deadlocking the child's first LLVM call."""
    import llvmlite.binding.ffi as llvm_ffi

    with llvm_ffi.lib._lock:
        return os.fork()


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:  # closed already
        pass


def _send(fd: int, payload: bytes) -> None:
    _write_all(fd, _framed(payload))


def _framed(payload: bytes) -> bytes:
    """A message as `_receive` reads it."""
    return struct.pack("<Q", len(payload)) + payload


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]


def _receive(fd: int) -> bytes | None:
    """One message, or None at the end of the pipe."""
    header = _read_exactly(fd, 8)
    if header is None:
        return None
    return _read_exactly(fd, struct.unpack("<Q", header)[0])


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


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
    return hasattr(os, "fork")
