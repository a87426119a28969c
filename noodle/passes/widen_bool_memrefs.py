"""The `widen-bool-memrefs` pass: memrefs of i1 become memrefs of i8.

LLVM 22's memref-to-LLVM conversion aborts on a store of i1, and both noodle's bool
arrays and upstream's buffer-deallocation helpers (ownership flags) use memrefs of i1.
A byte per bool is also NumPy's layout, so bool arrays are stored as i8 holding 0 or 1:
every memref value is retyped, loads truncate to i1 and stores zero-extend from i1.
Runs after bufferization, right before the memref-to-LLVM conversion.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith

PASS_NAME = "widen-bool-memrefs"
#: the op this pass runs on (registry.PASS_ANCHORS): it retypes function signatures: one
#: function alone would disagree with its callers
PASS_ANCHOR = "builtin.module"


def _is_i1(t: ir.Type) -> bool:
    return isinstance(t, ir.IntegerType) and t.width == 1


def _widened(t: ir.Type) -> ir.Type | None:
    """`t` with an i1 element type replaced by i8, or None if `t` has none."""
    if isinstance(t, ir.MemRefType):
        m = t
        if _is_i1(m.element_type):
            return ir.MemRefType.get(m.shape, ir.IntegerType.get_signless(8), m.layout,
                                     m.memory_space)
    elif isinstance(t, ir.UnrankedMemRefType):
        u = t
        if _is_i1(u.element_type):
            return ir.UnrankedMemRefType.get(ir.IntegerType.get_signless(8), u.memory_space)
    return None


def _retype(value: ir.Value) -> None:
    wide = _widened(value.type)
    if wide is not None:
        value.set_type(wide)


def widen_bool_memrefs(module: ir.Operation) -> None:
    """Rewrites `module` (a module operation) in place; usable as a PassManager pass."""
    ops: list[ir.Operation] = []

    def collect(op: ir.Operation) -> ir.WalkResult:
        ops.append(op)
        return ir.WalkResult.ADVANCE

    module.walk(collect)
    with module.context, ir.Location.unknown():
        for op in ops:
            for region in op.regions:
                for block in region.blocks:
                    for arg in block.arguments:
                        _retype(arg)
            for result in op.results:
                _retype(result)
        for op in ops:
            if op.name == "memref.load" and _is_i1(op.results[0].type):
                _widen_load(op)
            elif op.name == "memref.store" and _is_i1(op.operands[0].type):
                with ir.InsertionPoint(op), op.location:
                    op.operands[0] = arith.extui(ir.IntegerType.get_signless(8), op.operands[0])
            elif op.name == "func.func":
                _widen_signature(op)


def _widen_load(op: ir.Operation) -> None:
    loaded = op.results[0]
    loaded.set_type(ir.IntegerType.get_signless(8))
    users = [(use.owner, use.operand_number) for use in loaded.uses]
    with ir.InsertionPoint.after(op), op.location:
        as_bool = arith.trunci(ir.IntegerType.get_signless(1), loaded)
    for owner, index in users:
        owner.operands[index] = as_bool


def widen_bool_memrefs_pass(op: ir.Operation, pass_: object) -> None:
    widen_bool_memrefs(op)


def _widen_signature(op: ir.Operation) -> None:
    ftype = ir.FunctionType(ir.TypeAttr(op.attributes["function_type"]).value)
    inputs = [_widened(t) or t for t in ftype.inputs]
    results = [_widened(t) or t for t in ftype.results]
    op.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, results))
