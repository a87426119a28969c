"""The `nir-cleanup` pass: which repeated nir ops it merges and which it must keep
apart, and that unused ones go. Results against NumPy for the same functions are in
tests/jit/test_fusion.py (`test_repeated_expressions`)."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from mlir import ir

from noodle.compiler import pipeline
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import typeof
from noodle.passes.nir_cleanup import nir_cleanup

VECTOR = np.zeros(3)


def squared_sum(a, b):
    return (a + b) * (a + b)


def returned_twice(a, b):
    return a + b, a + b


def one_written(a, b):
    t = a + b
    u = a + b
    t[0] = 100.0
    return u


def input_written_between(a, b):
    t = a + b
    a[0] = 100.0
    return t * (a + b)


def scalar_repeats(x, y):
    return (x * y + 1.0) * (x * y + 1.0)


def unused(a, b):
    t = a * b  # noqa: F841 - never used: the pass removes it
    return a + b


def nir_ops_after_cleanup(function, *args) -> Counter:
    unit, _, _ = pipeline.make_nir(function, tuple(typeof(a) for a in args),
                                   CompileOptions())
    with unit.context:
        nir_cleanup(unit.module)
        kinds: Counter = Counter()

        def visit(op: ir.Operation) -> ir.WalkResult:
            if op.name in ("nir.binary", "nir.unary"):
                kinds[ir.StringAttr(op.attributes["kind"]).value] += 1
            return ir.WalkResult.ADVANCE

        unit.module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    return kinds


@pytest.mark.parametrize("function, args, expected", [
    (squared_sum, (VECTOR, VECTOR), {"add": 1, "mul": 1}),
    (scalar_repeats, (1.0, 2.0), {"mul": 2, "add": 1}),
    (unused, (VECTOR, VECTOR), {"add": 1}),
    # kept apart: two arrays returned, one written, an operand written in between
    (returned_twice, (VECTOR, VECTOR), {"add": 2}),
    (one_written, (VECTOR, VECTOR), {"add": 2}),
    (input_written_between, (VECTOR, VECTOR), {"add": 2, "mul": 1}),
], ids=lambda v: v.__name__ if callable(v) else "")
def test_what_the_cleanup_merges_and_keeps(function, args, expected):
    assert nir_ops_after_cleanup(function, *args) == Counter(expected)
