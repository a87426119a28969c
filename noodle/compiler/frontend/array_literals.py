"""`np.array(...)` and `np.asarray(...)` in compiled code: of a (nested) list or tuple
of numbers, of a tuple of arrays of one shape (and of sequences of their shape), of an
array or of a scalar.

A list display is read as a tuple (calls.py), so its shape is known at compile time.
As NumPy's array coercion does, Python numbers count as int64, float64 or bool (not as
weak scalars): `np.array([np.float32(1), 2.0])` is float64. Nested sequences of unequal
lengths are NumPy's ValueError ("inhomogeneous shape"), raised when the call runs.
`np.array` copies an array; `np.asarray` returns it as it is where the dtype agrees.
"""
from __future__ import annotations

import ast

import numpy as np
from mlir.dialects import memref

from noodle.compiler.frontend import joining
from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import Array, Scalar, TupleType, is_supported_dtype
from noodle.dialects import nir


def array_from(gen, value: Val, dtype: object, copy: bool, node: ast.AST) -> Val:
    """np.array(value, dtype) (`copy`) or np.asarray(value, dtype)."""
    wanted = np.dtype(dtype) if dtype is not None else None
    if wanted is not None and not is_supported_dtype(wanted):
        raise gen.unsupported(node, f"dtype {wanted} is not supported")
    if isinstance(value.type, Array):
        if wanted is not None and wanted != value.type.dtype:
            return gen.cast_array(value, wanted)
        if not copy:
            return value
        return Val(value.type, nir.copy(value.type.dtype.name, value.ir), fresh=True)
    if isinstance(value.type, Scalar):
        strong = gen.cast_scalar(value, Scalar(wanted or value.type.dtype))
        return gen.as_rank0(strong)
    if not isinstance(value.type, TupleType):
        raise gen.typing_error(node, f"np.array does not take {value.type}")
    if value.items and any(_holds_array(item) for item in value.items):
        # arrays, and sequences beside them: each an array, the arrays stacked (the
        # shapes must agree at run time, as NumPy's coercion requires)
        items = [item if isinstance(item.type, Array) else array_from(gen, item, None, True,
                                                                       node)
                 for item in value.items]
        stacked = joining.join(gen, "stack", items, 0, node)
        return array_from(gen, stacked, wanted, False, node)
    shape, leaves = _shape_and_leaves(value)
    if shape is None:
        gen.raise_here("inhomogeneous", node)
        shape, leaves = (0,), []
    if any(not isinstance(leaf.type, Scalar) for leaf in leaves):
        raise gen.unsupported(node, "np.array takes numbers, or arrays of one shape, here")
    result = wanted or (np.result_type(*(leaf.type.dtype for leaf in leaves)) if leaves
                        else np.dtype(np.float64))
    out = Val(Array(result, len(shape)),
              nir.empty(result.name, [index_constant(n) for n in shape]), fresh=True)
    for position, leaf in zip(np.ndindex(*shape), leaves):
        element = gen.cast_scalar(leaf, Scalar(result))
        memref.store(element.ir, out.ir, [index_constant(i) for i in position])
    return out


def _shape_and_leaves(value: Val) -> tuple[tuple[int, ...] | None, list[Val]]:
    """The shape of nested tuples and their items in C order; None for a ragged one."""
    if not isinstance(value.type, TupleType):
        return (), [value]
    parts = [_shape_and_leaves(item) for item in value.items]
    shapes = {shape for shape, _ in parts}
    if len(shapes) > 1 or None in shapes:
        return None, []
    inner = shapes.pop() if shapes else ()
    return (len(parts),) + inner, [leaf for _, leaves in parts for leaf in leaves]


def _holds_array(value: Val) -> bool:
    if isinstance(value.type, Array):
        return True
    return isinstance(value.type, TupleType) and any(_holds_array(item)
                                                     for item in value.items)
