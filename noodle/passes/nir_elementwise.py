"""Elementwise maps with NumPy broadcasting, as `linalg.generic` ops on memrefs.

Every elementwise nir op (binary, compare, unary, select, cast, copy, full, assign)
is "apply a scalar body to broadcast operands". Array operands become broadcast views
of the result's shape, so the generic has identity maps only (what a vectoriser
wants); scalar operands are captured by the body instead of being operands.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from mlir import ir

from noodle.passes.nir_buffers import (
    alloc_buffer, as_canonical, broadcast_shape, broadcast_view, element_type_of, is_array)
from noodle.passes.nir_linalg import PARALLEL, generic

#: Builds the result element from the operand elements, inside the loop body.
ScalarBody = Callable[..., ir.Value]
#: An elementwise computation as "its operands, and the scalar body that combines them".
Form = tuple[list[ir.Value], ScalarBody]


def elementwise(operands: Sequence[ir.Value], result_type: ir.Type,
                body: ScalarBody) -> ir.Value:
    """`body` applied to the broadcast `operands`: a scalar or a fresh array."""
    if not isinstance(result_type, ir.MemRefType):
        return body(*operands)
    shape = broadcast_shape(operands, ir.MemRefType(result_type).rank)
    buffer = alloc_buffer(element_type_of(result_type), shape)
    write_elementwise(buffer, shape, operands, body)
    return as_canonical(buffer)


def write_elementwise(out: ir.Value, shape: Sequence[ir.Value],
                      operands: Sequence[ir.Value], body: ScalarBody) -> None:
    """out[...] = body(*operands), operands broadcast to `shape` (out's shape)."""
    views = array_views(operands, shape)
    identity = ir.AffineMap.get_identity(len(shape))
    generic(views, [out], [identity] * (len(views) + 1), [PARALLEL] * len(shape),
            of_array_elements(operands, body))


def array_views(operands: Sequence[ir.Value], shape: Sequence[ir.Value]) -> list[ir.Value]:
    """The array operands as broadcast views of `shape`: a generic's inputs."""
    return [broadcast_view(operand, shape) for operand in operands if is_array(operand)]


def of_array_elements(operands: Sequence[ir.Value], body: ScalarBody) -> ScalarBody:
    """`body` as a function of the array operands' elements only (the generic's block
    arguments): the scalar operands are captured."""
    def body_of_elements(*elements: ir.Value) -> ir.Value:
        array_elements = iter(elements)
        return body(*(next(array_elements) if is_array(operand) else operand
                      for operand in operands))

    return body_of_elements
