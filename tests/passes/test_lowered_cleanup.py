"""Clean-up of the lowered IR (upstream `canonicalize` and `cse`, the first steps of
`pipeline.BEFORE_DEALLOCATION`): after lowering, the IR repeats pure ops (each use of a
size asks `memref.dim` again), computes with constants and leaves unused values; the
clean-up removes each kind, which a check before it shows there to remove."""
from __future__ import annotations

import numpy as np
from mlir import ir, passmanager

from noodle.compiler import pipeline
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import typeof
from noodle.passes.lower_nir import lower_nir
from noodle.passes.nir_fusion import fuse_elementwise


def stencil(a, b):
    b[1:-1] = 0.5 * (a[:-2] + a[2:]) + np.sum(a[1:-1] * 2.0)
    return b.max() - b.min()


def _pure(op: ir.Operation) -> bool:
    return (op.name.startswith("arith.") or op.name == "memref.dim") and len(op.results) == 1


def findings(module: ir.Module) -> dict[str, int]:
    """How many repeated pure ops (same name, operands and attributes in one block),
    arith ops on constants only, and unused pure ops `module` has."""
    repeated = constant_only = unused = 0
    seen: set[tuple] = set()

    def visit(op: ir.Operation) -> ir.WalkResult:
        nonlocal repeated, constant_only, unused
        if not _pure(op):
            return ir.WalkResult.ADVANCE
        key = (op.operation.block, op.name, tuple(op.operands),
               tuple(sorted((name, str(op.attributes[name])) for name in op.attributes)))
        repeated += key in seen
        seen.add(key)
        if op.name != "arith.constant" and op.operands and all(
                not isinstance(v.owner, ir.Block) and v.owner.name == "arith.constant"
                for v in op.operands):
            constant_only += 1
        unused += not list(op.result.uses)
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    return {"repeated": repeated, "constant_only": constant_only, "unused": unused}


def test_canonicalize_and_cse_clean_up_the_lowered_ir():
    a = np.zeros(10)
    unit, _, _ = pipeline.make_nir(stencil, (typeof(a), typeof(a)), CompileOptions())
    with unit.context:
        fuse_elementwise(unit.module)
        lower_nir(unit.module)
        before = findings(unit.module)
        passmanager.PassManager.parse("builtin.module(canonicalize,cse)").run(
            unit.module.operation)
        after = findings(unit.module)
    assert all(before[kind] > 0 for kind in before), before  # something to remove
    assert after == {"repeated": 0, "constant_only": 0, "unused": 0}, after
