"""The JIT's compiles share one MLIR context per thread (`compile_context`): kernels
compiled one after another in it, after a compile that failed half-way through building
its module, across the context's replacement, and in another thread, all give
CPython's results."""
import threading

import numpy as np
import pytest

import noodle
from noodle.dialects import context as contexts
from noodle.errors import NoodleError

from .harness import assert_same


@pytest.fixture
def fresh_contexts(monkeypatch):
    """Contexts of this test's own, replaced after every 2 compiles."""
    monkeypatch.setattr(contexts, "COMPILES_PER_CONTEXT", 2)
    monkeypatch.setattr(contexts, "_this_thread", threading.local())


def test_a_thread_reuses_its_context_until_it_is_replaced(fresh_contexts):
    seen = [contexts.compile_context() for _ in range(5)]
    assert seen[0] is seen[1]
    assert seen[2] is seen[3] and seen[2] is not seen[0]
    assert seen[4] is not seen[2]


def test_threads_never_share_a_context(fresh_contexts):
    mine = contexts.compile_context()
    theirs = []
    thread = threading.Thread(target=lambda: theirs.append(contexts.compile_context()))
    thread.start()
    thread.join()
    assert theirs[0] is not mine


def scaled_sum(a, k):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * k
    return s


def shifted(a, k):
    return a + k


def clipped(a, low, high):
    return np.minimum(np.maximum(a, low), high)


def unsupported(a):
    return a.no_such_attribute


def compiled_anew(function, *args) -> None:
    """`function` compiled afresh (no memo, no on-disk cache), against CPython."""
    assert_same(function, *args, compiled=noodle.jit(function, fallback=False, cache=False))


def test_kernels_compiled_one_after_another_across_replacements(fresh_contexts):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(37)
    # seven compiles in four contexts; each kernel is called again after its context is
    # replaced
    cases = [(scaled_sum, (a, 2.5)), (shifted, (a, 3)), (clipped, (a, -0.5, 0.5)),
             (scaled_sum, (a.astype(np.float32), np.float32(1.5))),
             (shifted, (a[::-2], -1.0)), (clipped, (np.arange(9), 2, 6)),
             (scaled_sum, (np.arange(5), 7))]
    kernels = [noodle.jit(function, fallback=False, cache=False) for function, _ in cases]
    for kernel, (function, args) in zip(kernels, cases):
        assert_same(function, *args, compiled=kernel)
    for kernel, (function, args) in zip(kernels, cases):
        assert_same(function, *args, compiled=kernel)


def test_a_failed_compile_leaves_the_context_usable(fresh_contexts):
    with pytest.raises(NoodleError, match="no_such_attribute"):
        noodle.jit(unsupported, fallback=False, cache=False)(np.ones(3))
    failed_in = contexts._this_thread.context
    compiled_anew(shifted, np.arange(6.0), 0.5)
    assert contexts._this_thread.context is failed_in  # it compiled `shifted` too


def test_compiling_in_another_thread(fresh_contexts):
    a = np.linspace(-2.0, 2.0, 11)
    failures = []

    def compile_and_compare():
        try:
            compiled_anew(clipped, a, -1.0, 1.5)
            compiled_anew(scaled_sum, a, 0.25)
        except BaseException as e:  # noqa: BLE001 - reported by the test's thread
            failures.append(e)

    thread = threading.Thread(target=compile_and_compare)
    thread.start()
    compiled_anew(shifted, a, 4.0)
    thread.join()
    assert not failures, failures
