"""The `nir-fuse-elementwise` pass: which ops it fuses, which it must leave alone, and
that the lowered code then allocates only what is left (one buffer per unfused array).

Results of fused code against NumPy are in tests/jit/test_fusion.py."""
from __future__ import annotations

import numpy as np
import pytest
from mlir import ir

from noodle.compiler import pipeline
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import typeof
from noodle.passes.nir_fusion import FUSED, fuse_elementwise

VECTOR, MATRIX = np.zeros(3), np.zeros((2, 3))


def exp_chain(a, b):
    return np.exp(a * b + a)


def sum_of_products(a, b):
    return np.sum(a * b)


def written_in_between(a, b):
    t = a * b
    a[0] = 100.0
    return t + a


def read_twice(a, b):
    t = a * b
    return t + t


def used_in_a_loop(a, b):
    t = a * b
    s = 0.0
    for _ in range(3):
        s += np.sum(t + 1.0)
    return s


def into_a_higher_rank(m, a, b):
    return m + a * b


def returned(a, b):
    t = a * b
    return t, t + 1.0


def row_sums_of_squares(m):
    return np.sum(m * m, axis=1)


def fusion_marks(function, *args) -> list[tuple[str, bool]]:
    """(op kind, fused) of each elementwise nir op, in program order, after the pass."""
    options = CompileOptions()
    unit, _, _ = pipeline.make_nir(function, tuple(typeof(a) for a in args), options)
    with unit.context:
        fuse_elementwise(unit.module)
        marks: list[tuple[str, bool]] = []

        def visit(op: ir.Operation) -> ir.WalkResult:
            if op.name in ("nir.binary", "nir.unary"):
                kind = ir.StringAttr(op.attributes["kind"]).value
                marks.append((kind, FUSED in op.attributes))
            return ir.WalkResult.ADVANCE

        unit.module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    return marks


@pytest.mark.parametrize("function, args, expected", [
    (exp_chain, (VECTOR, VECTOR), [("mul", True), ("add", True), ("exp", False)]),
    (sum_of_products, (VECTOR, VECTOR), [("mul", True)]),
    (row_sums_of_squares, (MATRIX,), [("mul", True)]),
    (written_in_between, (VECTOR, VECTOR), [("mul", False), ("add", False)]),
    (read_twice, (VECTOR, VECTOR), [("mul", False), ("add", False)]),
    # `s += ...` is a scalar add
    (used_in_a_loop, (VECTOR, VECTOR), [("mul", False), ("add", True), ("add", False)]),
    (into_a_higher_rank, (MATRIX, VECTOR, VECTOR), [("add", False), ("mul", False)]),
    (returned, (VECTOR, VECTOR), [("mul", False), ("add", False)]),
], ids=lambda v: v.__name__ if callable(v) else "")
def test_which_ops_fuse(function, args, expected):
    marks = fusion_marks(function, *args)
    assert sorted(marks) == sorted(expected)


@pytest.mark.parametrize("function, args, buffers", [
    (exp_chain, (VECTOR, VECTOR), 1),  # the result only
    (sum_of_products, (VECTOR, VECTOR), 1),  # the accumulator only
    # the product (read twice), the sum, and the empty array returned where the
    # operands' shapes do not match
    (read_twice, (VECTOR, VECTOR), 3),
], ids=lambda v: v.__name__ if callable(v) else "")
def test_fused_code_allocates_only_the_buffers_left(function, args, buffers):
    kernel = pipeline.compile_function(function, tuple(typeof(a) for a in args),
                                       CompileOptions())
    # every buffer comes from the one allocation function of memref-to-llvm
    assert kernel.stages["llvm"].count("call ptr @_mlir_memref_to_llvm_alloc(") == buffers


def assign_stencil(A, B):
    B[1:-1] = 0.5 * (A[:-2] + A[2:])


def assign_broadcast_row(M, v):
    M[:, :] = v * 2.0  # a rank-1 source over rank-2 rows: computing it per row


def test_assignments_fuse_into_their_destination_of_the_same_rank():
    assert sorted(fusion_marks(assign_stencil, VECTOR, VECTOR)) == [("add", True),
                                                                    ("mul", True)]
    assert fusion_marks(assign_broadcast_row, MATRIX, VECTOR) == [("mul", False)]
