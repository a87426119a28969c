"""Arrays compiled code cannot allocate raise what NumPy raises, never crash the process
(`check-allocations`, `return-on-failed-allocation`): a size in bytes past the largest
signed 64-bit size is NumPy's "array is too big" ValueError, a size the system cannot
give a MemoryError. Where the failing allocation is (a callee, a loop, a prange task)
does not matter, and the function works again afterwards.

Sizes of 2**60 bytes and more fail on every machine (no 64-bit address space has room
for them); a failure at a realistic size is made certain by limiting the address space
of a child process."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import noodle
from tests.jit.harness import assert_same, jitted

TIERS = pytest.mark.parametrize("options", [{}, {"eager": True}],
                                ids=["baseline", "optimising"])


def zeros_2d(n, m):
    return np.zeros((n, m))


def empty_f32(n):
    return np.empty(n, np.float32)


def ones_cube(n):
    return np.ones((n, n, n), np.int8)


def full_f64(n):
    return np.full(n, 2.5)


@TIERS
@pytest.mark.parametrize("func, args", [
    (zeros_2d, (2**32, 2**32)),  # 2**67 bytes: the element count itself wraps to zero
    (zeros_2d, (2**31, 2**31)),
    (empty_f32, (2**61,)),       # 2**63 bytes: one past the largest size
    (ones_cube, (2**21,)),
    (full_f64, (2**60,)),
])
def test_an_array_too_big_raises_value_error(func, args, options):
    assert_same(func, *args, raises=ValueError, jit_options=options)


@TIERS
@pytest.mark.parametrize("func, args", [
    (empty_f32, (2**60,)),       # 4 EiB, a valid size no machine has
    (full_f64, (2**60 - 1,)),    # the largest size whose bytes fit
    (zeros_2d, (2**29, 2**30)),
])
def test_an_array_the_system_cannot_give_raises_memory_error(func, args, options):
    assert_same(func, *args, raises=MemoryError, jit_options=options)


def test_the_error_names_the_line_that_allocates():
    compiled = jitted(empty_f32)
    line = empty_f32.__code__.co_firstlineno + 1
    with pytest.raises(MemoryError, match=rf"out of memory \(at .*{os.path.basename(__file__)}"
                                          rf":{line}:"):
        compiled(2**60)
    with pytest.raises(ValueError, match=rf"array is too big.*:{line}:"):
        compiled(2**61)
    np.testing.assert_array_equal(compiled(0), np.empty(0, np.float32))
    assert compiled(5).shape == (5,)


def callee_zeros(n):
    return np.zeros(n)


def calls_a_callee(n):
    return callee_zeros(n) + 1.0


def temporary_in_a_loop(n, big):
    total = 0.0
    for i in range(4):
        x = np.ones(big if i == 2 else n)
        total += x.sum()
    return total


@TIERS
def test_a_callee_that_cannot_allocate_stops_its_caller(options):
    assert_same(calls_a_callee, 2**59, raises=MemoryError, jit_options=options)
    assert_same(calls_a_callee, 2**60, raises=ValueError, jit_options=options)
    assert_same(calls_a_callee, 7, jit_options=options)


@TIERS
def test_a_loop_stops_at_the_iteration_that_cannot_allocate(options):
    assert_same(temporary_in_a_loop, 3, 2**59, raises=MemoryError, jit_options=options)
    assert_same(temporary_in_a_loop, 3, 2**62, raises=ValueError, jit_options=options)
    assert_same(temporary_in_a_loop, 3, 5, jit_options=options)


def rows_with_temporaries(n, big):
    total = 0.0
    for i in noodle.prange(n):
        row = np.zeros(big if i == n - 3 else 4) + i
        total += row.sum()
    return total


def test_a_prange_task_that_cannot_allocate_raises_in_the_caller():
    options = {"parallel": True}
    assert_same(rows_with_temporaries, 200, 2**59, raises=MemoryError, jit_options=options)
    assert_same(rows_with_temporaries, 200, 2**60, raises=ValueError, jit_options=options)
    assert_same(rows_with_temporaries, 200, 4, jit_options=options)


_LIMITED_ADDRESS_SPACE = textwrap.dedent("""
    import resource, sys
    import numpy as np
    import noodle

    def outer(a, b):
        return a[:, None] * b[None, :] + 1.0

    compiled = noodle.jit(outer, cache=False, fallback=False, eager=EAGER)
    small = np.arange(3.0)
    np.testing.assert_array_equal(compiled(small, small), outer(small, small))
    # 2 GiB more address space than now: a 20000 x 20000 float64 result (3.2 GB) does
    # not fit
    with open("/proc/self/statm") as statm:
        in_use = int(statm.read().split()[0]) * resource.getpagesize()
    limit = in_use + 2 * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    big = np.ones(20000)
    for name, call in (("numpy", outer), ("noodle", compiled)):
        try:
            call(big, big)
            print(name, "allocated")
        except MemoryError as e:
            print(name, "MemoryError", e)
    np.testing.assert_array_equal(compiled(small, small), outer(small, small))
    print("still works")
""")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux's /proc")
@pytest.mark.parametrize("eager", [False, True], ids=["baseline", "optimising"])
def test_a_realistic_size_beyond_the_memory_left_raises_memory_error(eager, tmp_path):
    script = tmp_path / "limited.py"
    script.write_text(_LIMITED_ADDRESS_SPACE.replace("EAGER", str(eager)))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=os.path.dirname(noodle.__path__[0]),
                          env={**os.environ, "NOODLE_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    numpy_line, noodle_line, last = done.stdout.splitlines()
    assert numpy_line.startswith("numpy MemoryError"), done.stdout
    assert noodle_line.startswith("noodle MemoryError"), done.stdout
    assert "out of memory (at " in noodle_line and "limited.py:7:" in noodle_line, noodle_line
    assert last == "still works", done.stdout
