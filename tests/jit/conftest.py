"""Configuration for the differential tests of ``@noodle.jit`` (the cache directory and
environment are set for the whole session in ``tests/conftest.py``).
"""
# The MLIR/LLVM builds noodle uses have assertions on: a compiler bug aborts the whole
# process, which would end the test session at the first such bug and report nothing
# about the rest. So each test here runs in a forked child: a crash (or a hang past
# NOODLE_TEST_TIMEOUT seconds, default 300) fails that test only, and the report shows
# the tail of the crash output (from a re-run of the test in a subprocess).
# NOODLE_TEST_NO_FORK=1 runs the tests in-process (for pdb, or where fork is missing).
import os
import pickle
import select
import signal
import subprocess
import sys

_FORK = hasattr(os, "fork") and os.environ.get("NOODLE_TEST_NO_FORK") != "1"
_TIMEOUT = float(os.environ.get("NOODLE_TEST_TIMEOUT", "300"))


def _crash_output(item) -> str:
    """Re-runs one test in-process in a subprocess and returns the tail of its output."""
    env = dict(os.environ, NOODLE_TEST_NO_FORK="1")
    cmd = [sys.executable, "-X", "faulthandler", "-m", "pytest", "-q", "-s",
           "-p", "no:cacheprovider", item.nodeid]
    try:
        proc = subprocess.run(cmd, cwd=str(item.config.rootpath), env=env,
                              capture_output=True, text=True, timeout=_TIMEOUT)
    except subprocess.TimeoutExpired:
        return "(the re-run timed out too)"
    lines = (proc.stdout + proc.stderr).splitlines()
    keep = [ln for ln in lines if not ln.startswith('  File "/') or "/noodle/" in ln
            or "/tests/" in ln]
    return "\n".join(keep[-40:])


def _failed_report(item, message: str):
    from _pytest.reports import TestReport

    return TestReport(item.nodeid, item.location, {k: 1 for k in item.keywords},
                      "failed", message, "call")


def pytest_runtest_protocol(item, nextitem):
    if not _FORK or item.config.getoption("usepdb", False):
        return None
    from _pytest.runner import runtestprotocol

    config = item.config
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: run the test, send the serialised reports, never return
        os.close(read_fd)
        import faulthandler

        faulthandler.disable()  # a crash is reported by the parent, with a re-run's output
        status = 0
        try:
            reports = runtestprotocol(item, log=False, nextitem=nextitem)
            data = [config.hook.pytest_report_to_serializable(config=config, report=r)
                    for r in reports]
            payload = pickle.dumps(data)
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(payload)
        except BaseException:
            status = 1
        finally:
            os._exit(status)

    os.close(write_fd)
    chunks = []
    timed_out = False
    with os.fdopen(read_fd, "rb") as pipe:
        while True:
            ready, _, _ = select.select([pipe], [], [], _TIMEOUT)
            if not ready:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(pipe.fileno(), 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    payload = b"".join(chunks)
    if payload and not timed_out:
        reports = [config.hook.pytest_report_from_serializable(config=config, data=d)
                   for d in pickle.loads(payload)]
    elif timed_out:
        reports = [_failed_report(item, f"the test ran past {_TIMEOUT:.0f} s and was killed "
                                        "(a hang in compiled code or in the compiler?)")]
    else:
        how = (f"signal {signal.Signals(os.WTERMSIG(status)).name}"
               if os.WIFSIGNALED(status) else f"exit status {os.WEXITSTATUS(status)}")
        reports = [_failed_report(
            item, f"the test process crashed ({how}); tail of a re-run's output:\n"
                  + _crash_output(item))]
    for report in reports:
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
