"""The `nir-simplify` pass: which identities become copies (the multiplication or
addition gone) and which must stay (`a + 0.0` turns -0.0 into 0.0; casts); and the
values, signed zeros, NaN and infinities against NumPy."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from mlir import ir

from noodle.compiler import pipeline
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import typeof
from noodle.passes.nir_simplify import nir_simplify
from tests.jit.harness import assert_same

FLOATS = np.array([-0.0, 0.0, np.nan, np.inf, -np.inf, 2.5, -7.0, 5e-324])
INTS = np.arange(-3, 5)


def float_identities(a):
    return a * 1.0, 1.0 * a, a - 0.0, a / 1.0, a + (-0.0)


def integer_identities(i):
    return i + 0, 0 + i, i * 1, 1 * i, i - 0


def not_identities(a, i):
    # a + 0.0 makes -0.0 0.0; 0.0 - a and 1.0 / a are other functions; i / 1 is a float
    # array; a product of two arrays (ones, broadcast) is no scalar identity
    return a + 0.0, 0.0 - a, 1.0 / a, i / 1, a[None, :] * np.ones((2, 1))


def binary_kinds_after_simplify(function, *args) -> Counter:
    unit, _, _ = pipeline.make_nir(function, tuple(typeof(a) for a in args), CompileOptions())
    with unit.context:
        nir_simplify(unit.module)
        kinds: Counter = Counter()

        def visit(op: ir.Operation) -> ir.WalkResult:
            if op.name == "nir.binary":
                kinds[ir.StringAttr(op.attributes["kind"]).value] += 1
            elif op.name == "nir.copy":
                kinds["copy"] += 1
            return ir.WalkResult.ADVANCE

        unit.module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    return kinds


@pytest.mark.parametrize("function, args, expected", [
    (float_identities, (FLOATS,), {"copy": 5}),
    (integer_identities, (INTS,), {"copy": 5}),
    (not_identities, (FLOATS, INTS), {"add": 1, "sub": 1, "truediv": 2, "mul": 1}),
], ids=lambda v: v.__name__ if callable(v) else "")
def test_what_becomes_a_copy(function, args, expected):
    assert binary_kinds_after_simplify(function, *args) == Counter(expected)


@pytest.mark.parametrize("function, args", [
    (float_identities, (FLOATS,)), (float_identities, (FLOATS.astype(np.float32),)),
    (integer_identities, (INTS,)), (integer_identities, (INTS.astype(np.uint8),)),
    (not_identities, (FLOATS, INTS)),
], ids=lambda v: v.__name__ if callable(v) else "")
def test_the_values_are_numpys_signed_zeros_included(function, args):
    results = assert_same(function, *args)
    compiled = __import__("noodle").jit(function, cache=False, fallback=False)(*args)
    for got, expected in zip(compiled, results):
        np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))
