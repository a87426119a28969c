"""Temporaries. In loops: one whose size does not change in the loop and which does not
outlive an iteration is allocated once, before the loop (upstream's buffer hoisting in
`pipeline.BEFORE_DEALLOCATION`); one carried into the next iteration, or made in a
prange loop's iteration, stays where it is. Between statements: a temporary takes over
the buffer of an earlier one that is dead by then (`reuse-buffers`), never that of one
still used or returned. Results against Python for each."""
from __future__ import annotations

import numpy as np
import pytest
from mlir import ir, passmanager

import noodle
from noodle.compiler import pipeline
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import typeof
from noodle.passes.lower_nir import lower_nir
from noodle.passes.reuse_buffers import reuse_buffers
from tests.jit.harness import assert_same


def temporary_per_iteration(a, n):
    s = 0.0
    for _ in range(n):
        t = a * 2.0
        s += t[0] + t[-1]
    return s


def carried_to_the_next_iteration(a, n):
    x = a * 1.0
    for _ in range(n):
        x = x * 2.0
    return x


def per_parallel_iteration(m):
    out = np.empty(m.shape[0])
    for i in noodle.prange(m.shape[0]):
        t = m[i] * 2.0
        out[i] = t[0] + np.sum(t) + t[-1]
    return out


def allocations_in_loops(function, *args, parallel: bool = False,
                         arrays_only: bool = False) -> list[str]:
    """For each memref.alloc after the pipeline's loop stage (`to_loops`, but before
    prange loops become tasks), the name of the innermost loop around it ("" when none)."""
    options = CompileOptions(parallel=parallel)
    unit, _, _ = pipeline.make_nir(function, tuple(typeof(a) for a in args), options)
    with unit.context:
        passmanager.PassManager.parse("builtin.module(cse)").run(unit.module.operation)
        lower_nir(unit.module)
        before = pipeline.BEFORE_DEALLOCATION
        if parallel:
            before = before.replace("convert-linalg-to-loops,", "")
        passmanager.PassManager.parse(f"builtin.module({before})").run(unit.module.operation)
        reuse_buffers(unit.module)
        passmanager.PassManager.parse(f"builtin.module({pipeline.DEALLOCATION})").run(
            unit.module.operation)
        loops: list[str] = []

        def visit(op: ir.Operation) -> ir.WalkResult:
            if op.name == "memref.alloc" and (arrays_only is False
                                              or ir.MemRefType(op.result.type).rank > 0):
                parent = op.parent
                while parent.name not in ("scf.for", "scf.while", "scf.parallel",
                                          "func.func"):
                    parent = parent.parent
                loops.append("" if parent.name == "func.func" else parent.name)
            return ir.WalkResult.ADVANCE

        unit.module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    return loops


A = np.arange(8.0)


def test_a_temporary_of_one_iteration_is_allocated_before_the_loop():
    assert allocations_in_loops(temporary_per_iteration, A, 3) == [""]
    for n in (0, 1, 5):
        assert_same(temporary_per_iteration, A, n, np_float_for_py_float=True)


def test_a_carried_array_is_allocated_in_each_iteration():
    assert "scf.for" in allocations_in_loops(carried_to_the_next_iteration, A, 3)
    for n in (0, 1, 5):
        assert_same(carried_to_the_next_iteration, A, n)


@pytest.mark.parametrize("shape", [(40, 300), (3, 5)])
def test_each_parallel_iteration_keeps_its_own_temporary(shape):
    m = np.random.default_rng(2).random(shape)
    assert "scf.parallel" in allocations_in_loops(per_parallel_iteration, m, parallel=True)
    assert_same(per_parallel_iteration, m, rtol=1e-12, jit_options={"parallel": True})


def one_after_the_other(a):
    t = a * 2.0
    x = t[0] + t.sum()  # used twice: a temporary, dead after this line
    u = a + 1.0
    return x + u[-1] + u.sum()


def both_alive(a):
    t = a * 2.0
    u = a + 1.0
    return t[0] + t.sum() + u[-1] + u.sum()


def first_returned(a):
    t = a * 2.0
    x = t[0] + t.sum()
    u = a + 1.0
    return t, x + u[-1] + u.sum()


@pytest.mark.parametrize("function, arrays", [
    (one_after_the_other, 1), (both_alive, 2), (first_returned, 2)],
    ids=lambda v: v.__name__ if callable(v) else "")
def test_a_dead_temporary_lends_its_buffer(function, arrays):
    assert len(allocations_in_loops(function, A, arrays_only=True)) == arrays
    for a in (A, np.arange(1.0, 4.0), np.arange(20.0)[::-3]):
        assert_same(function, a, rtol=1e-15)
