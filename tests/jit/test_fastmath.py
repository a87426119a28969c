"""`@jit(fastmath=...)`: LLVM's fast-math flags on the program's float arithmetic, asked
for explicitly and never applied otherwise; part of the key; the math approximations
keep their own strict evaluation under it."""
import numpy as np
import pytest

import noodle
from noodle.compiler import backend

from .harness import assert_same

RNG = np.random.default_rng(5)


def dot_loop(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


def sum_of_products(a, b):
    return np.sum(a * b)


def exponential(a):
    return np.exp(a)


@pytest.mark.parametrize("function", [dot_loop, sum_of_products])
@pytest.mark.parametrize("fastmath", [True, frozenset({"reassoc"}), "fast",
                                      ("reassoc", "contract")])
def test_a_regrouped_sum_equals_numpy_up_to_rounding(function, fastmath):
    for n in (0, 1, 7, 100_003):
        assert_same(function, RNG.random(n), RNG.random(n), rtol=1e-12,
                    np_float_for_py_float=True, jit_options={"fastmath": fastmath})


def llvm_ir(function, fastmath):
    compiled = noodle.jit(function, fastmath=fastmath, fallback=False, cache=False,
                          eager=True)
    compiled(RNG.random(10), RNG.random(10))
    return compiled.inspect("llvm")


def test_flags_are_applied_only_when_asked_for():
    assert "reassoc" not in llvm_ir(dot_loop, False)
    assert "fadd reassoc" in llvm_ir(dot_loop, {"reassoc"})
    assert "fadd fast" in llvm_ir(dot_loop, True)


def test_fastmath_is_part_of_the_key():
    a, b = RNG.random(10), RNG.random(10)
    strict = noodle.jit(dot_loop, cache=False)
    fast = noodle.jit(dot_loop, cache=False, fastmath=True)
    strict(a, b), fast(a, b)
    assert strict.inspect("llvm") != fast.inspect("llvm")


def test_the_approximations_keep_their_bound():
    # the flags go on the program's arithmetic only: exp is evaluated as strictly, so
    # its results are the same bits
    a = RNG.uniform(-700.0, 700.0, 10_000)
    strict = noodle.jit(exponential, cache=False, fallback=False)(a)
    fast = noodle.jit(exponential, cache=False, fallback=False, fastmath=True)(a)
    np.testing.assert_array_equal(strict, fast)


def horner(x):
    return ((x * 0.25 - 1.5) * x + 3.0) * x - 1.0 / 3.0


@pytest.mark.skipif("+fma" not in backend.host_cpu()[1].split(","),
                    reason="this CPU has no fused multiply-add: nothing is rounded once")
def test_contracted_arithmetic_is_fused_the_same_at_both_tiers():
    """`contract` lets a multiply-add round once; both tiers then fuse the same pairs
    (`fuse-multiply-adds`), so a promotion does not change the result."""
    x = RNG.uniform(-10.0, 10.0, 100_000)
    baseline = noodle.jit(horner, cache=False, fallback=False, fastmath={"contract"})
    optimised = noodle.jit(horner, cache=False, fallback=False, fastmath={"contract"},
                           eager=True)
    fused = baseline(x)
    np.testing.assert_array_equal(optimised(x), fused)
    assert "llvm.fmuladd.f64" in baseline.inspect("llvm")
    np.testing.assert_allclose(fused, horner(x), rtol=1e-13, atol=1e-13)
    assert np.any(fused != horner(x))  # rounded once where Python rounds twice


@pytest.mark.parametrize("value", [{"fast2"}, "quick", ["reassoc", "bogus"]])
def test_an_unknown_flag_is_refused_with_the_known_ones(value):
    with pytest.raises(ValueError, match="unknown fastmath flag.*reassoc, contract"):
        noodle.jit(dot_loop, fastmath=value)
