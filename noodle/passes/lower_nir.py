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

import functools
from collections.abc import Callable

from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.passes.blas_symbols import BlasInterface
from noodle.passes.nir_binary import binary_builder
from noodle.passes.ir_walk import ops_where, rewriting
from noodle.passes.nir_buffers import (
    alloc_buffer, element_type_of, is_array, may_overlap, rank_of, same_view, sizes_of)
from noodle.passes.nir_cast import cast_scalar
from noodle.passes.nir_compare import compare_builder
from noodle.passes.nir_creation import lower_arange, lower_empty, lower_full
from noodle.passes.nir_dtypes import dtype_attr
from noodle.passes.nir_elementwise import Form, ScalarBody, elementwise, write_elementwise
from noodle.passes.nir_fusion import FUSED, fused_producer
from noodle.passes.nir_reduce import lower_matmul, lower_reduce
from noodle.passes.nir_unary import unary_builder

PASS_NAME = "lower-nir"

#: Builds the replacement of a nir op at its position; returns its result, if any.
Lowering = Callable[[ir.Operation], ir.Value | None]


def lower_nir(module: ir.Module, blas: BlasInterface | None = None,
              parallel: bool = False) -> None:
    """Rewrites every nir op in `module` in place; matrix products call `blas` where
    they can (a BLAS the compiled code will be able to call), else loop; `parallel`:
    reductions to one element are split into chunks that run in parallel."""
    lower_nir_in(module.operation, blas, parallel)


def lower_nir_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(lower_nir_pass, name=PASS_NAME)`."""
    lower_nir_in(op)


def lower_nir_in(root: ir.Operation, blas: BlasInterface | None = None,
                 parallel: bool = False) -> None:
    """Rewrites every nir op nested in `root`, in program order. An op marked fused
    (`nir_fusion`) is left for its user, which computes it in its own loop; it goes
    once its user has been replaced."""
    lowerings = {**_LOWERINGS, "nir.matmul": functools.partial(lower_matmul, blas=blas),
                 "nir.reduce": functools.partial(_lower_reduce, parallel=parallel)}
    fused: list[ir.Operation] = []
    for op in ops_where(root, lambda op: op.name.startswith("nir.")):
        if FUSED in op.attributes:
            fused.append(op)
            continue
        with rewriting(op), ir.InsertionPoint(op), op.location:
            replacement = lowerings[op.name](op)
        if replacement is not None:
            op.result.replace_all_uses_with(replacement)
        op.erase()
    for op in reversed(fused):
        op.erase()


def _string_attr(op: ir.Operation, name: str) -> str:
    return ir.StringAttr(op.attributes[name]).value


def _binary_form(op: ir.Operation) -> Form:
    dtype = dtype_attr(op)
    build = binary_builder(_string_attr(op, "kind"), dtype)
    return list(op.operands), lambda a, b: build(dtype, a, b)


def _compare_form(op: ir.Operation) -> Form:
    dtype = dtype_attr(op)
    build = compare_builder(_string_attr(op, "predicate"), dtype)
    return list(op.operands), lambda a, b: build(dtype, a, b)


def _unary_form(op: ir.Operation) -> Form:
    dtype = dtype_attr(op)
    build = unary_builder(_string_attr(op, "kind"), dtype)
    return list(op.operands), lambda x: build(dtype, x)


def _select_form(op: ir.Operation) -> Form:
    return list(op.operands), arith.select


def _cast_form(op: ir.Operation) -> Form:
    source, target = dtype_attr(op, "from"), dtype_attr(op, "to")
    return list(op.operands), lambda x: cast_scalar(source, target, x)


def _copy_form(op: ir.Operation) -> Form:
    return list(op.operands), lambda x: x


_FORMS: dict[str, Callable[[ir.Operation], Form]] = {
    "nir.binary": _binary_form,
    "nir.compare": _compare_form,
    "nir.unary": _unary_form,
    "nir.select": _select_form,
    "nir.cast": _cast_form,
    "nir.copy": _copy_form,
}


def fused_form(op: ir.Operation) -> Form:
    """`op`'s form with the ops fused into it inlined: the operands are those of the
    whole fused tree, the body computes the tree's value from their elements. Each op of
    the tree is built under its own location (its scalar ops keep it, and an error in
    its lowering points at it, not at the user it was fused into)."""
    with rewriting(op), op.location:
        operands, body = _FORMS[op.name](op)
    leaves: list[ir.Value] = []
    parts: list[tuple[int, ScalarBody | None]] = []  # per operand: leaves taken, body
    for operand in operands:
        producer = fused_producer(operand)
        if producer is None:
            leaves.append(operand)
            parts.append((1, None))
        else:
            inner_leaves, inner_body = fused_form(producer)
            leaves += inner_leaves
            parts.append((len(inner_leaves), inner_body))

    def fused_body(*elements: ir.Value) -> ir.Value:
        values, position = [], 0
        for count, inner_body in parts:
            taken = elements[position:position + count]
            position += count
            values.append(taken[0] if inner_body is None else inner_body(*taken))
        with rewriting(op), op.location:
            return body(*values)

    return leaves, fused_body


def _lower_elementwise(op: ir.Operation) -> ir.Value:
    operands, body = fused_form(op)
    return elementwise(operands, op.result.type, body)


def _lower_assign(op: ir.Operation) -> None:
    dst, src = op.operands
    producer = fused_producer(src)
    if producer is None:
        write_elementwise(dst, sizes_of(dst), [src], lambda x: x)
        return
    # NumPy computes the whole right-hand side before it writes: straight into `dst`
    # only where no operand overlaps it, other than as the very same view (each element
    # is then read before it is written, by the same iteration)
    operands, body = fused_form(producer)
    hazard = arith.constant(ir.IntegerType.get_signless(1), 0)
    for operand in filter(is_array, operands):
        overlapping = may_overlap(dst, operand)
        if rank_of(operand) == rank_of(dst):
            not_same = arith.xori(same_view(dst, operand),
                                  arith.constant(ir.IntegerType.get_signless(1), 1))
            overlapping = arith.andi(overlapping, not_same)
        hazard = arith.ori(hazard, overlapping)
    # one loop nest, into `dst` or (where an operand overlaps it) into a temporary that
    # is copied into `dst` afterwards: two versions of the fused loop took LLVM ~50%
    # longer to compile
    shape = sizes_of(dst)
    choice = scf.IfOp(hazard, [dst.type], has_else=True)
    with ir.InsertionPoint(choice.then_block):
        scf.YieldOp([memref.cast(dst.type, alloc_buffer(element_type_of(dst), shape))])
    with ir.InsertionPoint(choice.else_block):
        scf.YieldOp([dst])
    target = choice.results[0]
    write_elementwise(target, shape, operands, body)
    copy_back = scf.IfOp(hazard)
    with ir.InsertionPoint(copy_back.then_block):
        write_elementwise(dst, shape, [target], lambda x: x)
        scf.YieldOp([])


def _lower_reduce(op: ir.Operation, parallel: bool = False) -> ir.Value:
    producer = fused_producer(op.operands[0])
    return lower_reduce(op, None if producer is None else fused_form(producer), parallel)


_LOWERINGS: dict[str, Lowering] = {
    **{name: _lower_elementwise for name in _FORMS},
    "nir.assign": _lower_assign,
    "nir.reduce": _lower_reduce,
    "nir.matmul": lower_matmul,
    "nir.empty": lower_empty,
    "nir.full": lower_full,
    "nir.arange": lower_arange,
}
