"""The `nir-fold` pass: which elementwise ops on uniform arrays (`nir.full`) it folds
into one `nir.full`, and which it must leave. The same functions against NumPy are in
tests/jit/test_fusion.py (`test_uniform_arrays`)."""
from __future__ import annotations

from collections import Counter

import pytest
from mlir import ir, passmanager

from noodle.compiler import pipeline
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import typeof
from noodle.passes.nir_cleanup import nir_cleanup
from noodle.passes.nir_fold import nir_fold
from tests.jit.test_fusion import (uniform_chain, uniform_compare_and_where,
                                   uniform_of_two_shapes, uniform_returned,
                                   uniform_written_after, uniform_written_before)


def array_ops_after_fold(function, *args) -> Counter:
    """The nir ops that make arrays in `function` after the pipeline's first steps
    (cse, nir-fold, nir-cleanup), by name."""
    unit, _, _ = pipeline.make_nir(function, tuple(typeof(a) for a in args),
                                   CompileOptions())
    with unit.context:
        passmanager.PassManager.parse("builtin.module(cse)").run(unit.module.operation)
        nir_fold(unit.module)
        nir_cleanup(unit.module)
        names: Counter = Counter()

        def visit(op: ir.Operation) -> ir.WalkResult:
            if (op.name.startswith("nir.") and op.name != "nir.empty" and op.results
                    and isinstance(op.results[0].type, ir.MemRefType)):
                names[op.name] += 1
            return ir.WalkResult.ADVANCE

        unit.module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    return names


@pytest.mark.parametrize("function, args, expected", [
    # folded: a chain of ops; compare, where and astype; a result written afterwards
    (uniform_chain, (5, 2.0), {"nir.full": 1}),
    (uniform_compare_and_where, (5, 2.0), {"nir.full": 1}),
    (uniform_written_after, (5,), {"nir.full": 1}),
    # kept: a full written before it is read, two shapes, a full that is returned
    (uniform_written_before, (5,), {"nir.full": 1, "nir.binary": 1}),
    (uniform_of_two_shapes, (5, 3), {"nir.full": 2, "nir.binary": 1}),
    (uniform_returned, (5,), {"nir.full": 1, "nir.binary": 1}),
], ids=lambda v: v.__name__ if callable(v) else "")
def test_what_the_fold_folds_and_keeps(function, args, expected):
    assert array_ops_after_fold(function, *args) == Counter(expected)
