"""The `lower-nir` pass: every `nir` op becomes upstream MLIR on memrefs.

Elementwise ops become `linalg.generic` ops over broadcast views (`nir_elementwise`)
with NumPy-exact scalar bodies (`nir_binary`, `nir_unary`, `nir_compare`, `nir_cast`);
reductions and matmul are generics with reduction iterators (`nir_reduce`); creation ops
allocate (`nir_creation`). Results are fresh `memref.alloc` buffers cast to the canonical
array type; the bufferization pipeline that follows frees them.

After this pass a module holds only func, arith, math, memref, scf and linalg ops (and
calls to libm), ready for `convert-linalg-to-loops` and the LLVM lowering.
"""
from __future__ import annotations

from collections.abc import Callable

from mlir import ir
from mlir.dialects import arith

from noodle.passes.nir_binary import binary_builder
from noodle.passes.nir_buffers import sizes_of
from noodle.passes.nir_cast import cast_scalar
from noodle.passes.nir_compare import compare_builder
from noodle.passes.nir_creation import lower_arange, lower_empty, lower_full
from noodle.passes.nir_dtypes import dtype_attr
from noodle.passes.nir_elementwise import elementwise, write_elementwise
from noodle.passes.nir_reduce import lower_matmul, lower_reduce
from noodle.passes.nir_unary import unary_builder

PASS_NAME = "lower-nir"

#: Builds the replacement of a nir op at its position; returns its result, if any.
Lowering = Callable[[ir.Operation], ir.Value | None]


def lower_nir(module: ir.Module) -> None:
    """Rewrites every nir op in `module` in place."""
    lower_nir_in(module.operation)


def lower_nir_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(lower_nir_pass, name=PASS_NAME)`."""
    lower_nir_in(op)


def lower_nir_in(root: ir.Operation) -> None:
    """Rewrites every nir op nested in `root`, in program order."""
    for op in _nir_ops(root):
        with ir.InsertionPoint(op), op.location:
            replacement = _LOWERINGS[op.name](op)
        if replacement is not None:
            op.result.replace_all_uses_with(replacement)
        op.erase()


def _nir_ops(root: ir.Operation) -> list[ir.Operation]:
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name.startswith("nir."):
            found.append(op)
        return ir.WalkResult.ADVANCE

    root.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found


def _string_attr(op: ir.Operation, name: str) -> str:
    return ir.StringAttr(op.attributes[name]).value


def _lower_binary(op: ir.Operation) -> ir.Value:
    dtype = dtype_attr(op)
    build = binary_builder(_string_attr(op, "kind"), dtype)
    return elementwise(op.operands, op.result.type, lambda a, b: build(dtype, a, b))


def _lower_compare(op: ir.Operation) -> ir.Value:
    dtype = dtype_attr(op)
    build = compare_builder(_string_attr(op, "predicate"), dtype)
    return elementwise(op.operands, op.result.type, lambda a, b: build(dtype, a, b))


def _lower_unary(op: ir.Operation) -> ir.Value:
    dtype = dtype_attr(op)
    build = unary_builder(_string_attr(op, "kind"), dtype)
    return elementwise(op.operands, op.result.type, lambda x: build(dtype, x))


def _lower_select(op: ir.Operation) -> ir.Value:
    return elementwise(op.operands, op.result.type, arith.select)


def _lower_cast(op: ir.Operation) -> ir.Value:
    source, target = dtype_attr(op, "from"), dtype_attr(op, "to")
    return elementwise(op.operands, op.result.type, lambda x: cast_scalar(source, target, x))


def _lower_copy(op: ir.Operation) -> ir.Value:
    return elementwise(op.operands, op.result.type, lambda x: x)


def _lower_assign(op: ir.Operation) -> None:
    dst, src = op.operands
    write_elementwise(dst, sizes_of(dst), [src], lambda x: x)


_LOWERINGS: dict[str, Lowering] = {
    "nir.binary": _lower_binary,
    "nir.compare": _lower_compare,
    "nir.unary": _lower_unary,
    "nir.select": _lower_select,
    "nir.cast": _lower_cast,
    "nir.copy": _lower_copy,
    "nir.assign": _lower_assign,
    "nir.reduce": lower_reduce,
    "nir.matmul": lower_matmul,
    "nir.empty": lower_empty,
    "nir.full": lower_full,
    "nir.arange": lower_arange,
}
