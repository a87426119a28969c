"""Thin builders over the `nir` ops (defined in `nir.irdl`) and the types they use.

Builders take MLIR values and plain Python attributes and create the generic op; MLIR
verifies it. Call them inside an `ir.InsertionPoint` and `ir.Location` like upstream's.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from mlir import ir

DYNAMIC = ir.ShapedType.get_dynamic_size()


def element_type(dtype: np.dtype | str) -> ir.Type:
    """The MLIR element type of a NumPy dtype (integers are signless; bool is i1)."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return ir.IntegerType.get_signless(1)
    if dt.kind in "iu":
        return ir.IntegerType.get_signless(8 * dt.itemsize)
    if dt == np.float32:
        return ir.F32Type.get()
    if dt == np.float64:
        return ir.F64Type.get()
    raise ValueError(f"dtype {dt} has no nir element type")


def array_type(dtype: np.dtype | str, rank: int) -> ir.MemRefType:
    """The canonical memref type of a rank-`rank` array: dynamic sizes, strides, offset."""
    layout = ir.StridedLayoutAttr.get(DYNAMIC, [DYNAMIC] * rank)
    return ir.MemRefType.get([DYNAMIC] * rank, element_type(dtype), layout=layout)


def _str(value: str) -> ir.StringAttr:
    return ir.StringAttr.get(value)


def _create(name: str, result: ir.Type | None, operands: Sequence[ir.Value],
            **attributes: ir.Attribute) -> ir.Operation:
    return ir.Operation.create(
        name, results=[] if result is None else [result], operands=list(operands),
        attributes=attributes)


def binary(kind: str, dtype: str, lhs: ir.Value, rhs: ir.Value, result: ir.Type) -> ir.Value:
    return _create("nir.binary", result, [lhs, rhs], kind=_str(kind), dtype=_str(dtype)).result


def compare(predicate: str, dtype: str, lhs: ir.Value, rhs: ir.Value,
            result: ir.Type) -> ir.Value:
    return _create("nir.compare", result, [lhs, rhs], predicate=_str(predicate),
                   dtype=_str(dtype)).result


def unary(kind: str, dtype: str, x: ir.Value, result: ir.Type) -> ir.Value:
    return _create("nir.unary", result, [x], kind=_str(kind), dtype=_str(dtype)).result


def select(cond: ir.Value, a: ir.Value, b: ir.Value, result: ir.Type) -> ir.Value:
    return _create("nir.select", result, [cond, a, b]).result


def cast(from_dtype: str, to_dtype: str, x: ir.Value, result: ir.Type) -> ir.Value:
    attrs = {"from": _str(from_dtype), "to": _str(to_dtype)}
    return _create("nir.cast", result, [x], **attrs).result


def reduce(kind: str, dtype: str, x: ir.Value, axes: Sequence[int], keepdims: bool,
           result: ir.Type) -> ir.Value:
    return _create("nir.reduce", result, [x], kind=_str(kind), dtype=_str(dtype),
                   axes=ir.DenseI64ArrayAttr.get(list(axes)),
                   keepdims=ir.BoolAttr.get(keepdims)).result


def matmul(dtype: str, a: ir.Value, b: ir.Value, result: ir.Type) -> ir.Value:
    return _create("nir.matmul", result, [a, b], dtype=_str(dtype)).result


def empty(dtype: str, dims: Sequence[ir.Value]) -> ir.Value:
    return _create("nir.empty", array_type(dtype, len(dims)), dims, dtype=_str(dtype)).result


def full(dtype: str, value: ir.Value, dims: Sequence[ir.Value]) -> ir.Value:
    return _create("nir.full", array_type(dtype, len(dims)), [value, *dims],
                   dtype=_str(dtype)).result


def arange(dtype: str, start: ir.Value, step: ir.Value, count: ir.Value) -> ir.Value:
    return _create("nir.arange", array_type(dtype, 1), [start, step, count],
                   dtype=_str(dtype)).result


def copy(dtype: str, x: ir.Value) -> ir.Value:
    return _create("nir.copy", x.type, [x], dtype=_str(dtype)).result


def assign(dst: ir.Value, src: ir.Value) -> ir.Operation:
    return _create("nir.assign", None, [dst, src])
