"""Joining arrays: `np.concatenate`, `np.stack`, `np.hstack` and `np.vstack` of a tuple
(or list display) of arrays, with NumPy's result dtype and its errors.

The result is allocated once and each array stored into its slab, a view of the result
along the axis (the stores cast, as NumPy's `same_kind` casting of `out` does). The
arrays' ranks are known at compile time, their sizes only at run time: a rank that
differs, an axis out of range or an empty sequence is NumPy's error at the call, raised
when it runs, as sizes that differ are.
"""
from __future__ import annotations

import ast
from dataclasses import replace

import numpy as np
from mlir.dialects import arith

from noodle.compiler.frontend import reshape, views
from noodle.compiler.frontend.values import Val, any_true, index_constant
from noodle.compiler.types import FLOAT64, Array, NType, Scalar, TupleType, result_dtype

#: the joining functions, by name
JOINERS = {np.concatenate: "concatenate", np.stack: "stack", np.hstack: "hstack",
           np.vstack: "vstack"}


def items_of(gen, sequence: Val, node: ast.AST) -> list[Val]:
    """The arrays of the sequence argument (a tuple; a list display arrives as one)."""
    if not isinstance(sequence.type, TupleType):
        raise gen.unsupported(node, "the arrays to join must be a tuple or list of arrays "
                              "written in the call, e.g. np.concatenate((a, b))")
    return list(sequence.items)


def join(gen, name: str, arrays: list[Val], axis: object, node: ast.AST) -> Val:
    """np.<name>(arrays, axis). An error NumPy raises that the types already show is
    raised when the call runs, and the value is then a placeholder."""
    if not arrays:
        return _fails(gen, "join_empty", node, Array(FLOAT64, 1))
    arrays = [_as_array(gen, a, node) for a in arrays]
    if name == "hstack":
        arrays = [views.expand_dims(gen, a, 0, node) if a.type.ndim == 0 else a
                  for a in arrays]
        axis = 0 if arrays[0].type.ndim == 1 else 1
        name = "concatenate"
    elif name == "vstack":
        arrays = [_at_least_2d(gen, a, node) for a in arrays]
        axis, name = 0, "concatenate"
    if axis is not None and (not isinstance(axis, int) or isinstance(axis, bool)):
        raise gen.unsupported(node, f"np.{name}'s axis must be a constant int or None")
    if name == "stack":
        return _stack(gen, arrays, axis, node)
    if axis is None:
        arrays = [reshape.ravel(gen, a, node, f"ravel {k}") for k, a in enumerate(arrays)]
        axis = 0
    return _concatenate(gen, arrays, axis, node)


def _concatenate(gen, arrays: list[Val], axis: int, node, checked: bool = False) -> Val:
    """`checked`: the sizes off the axis were checked already (np.stack's)."""
    ndim = arrays[0].type.ndim
    dtype = result_dtype(*(a.type for a in arrays))
    for failed, kind in ((ndim == 0, "join_zero_d"),
                         (any(a.type.ndim != ndim for a in arrays), "join_ndim"),
                         (not -ndim <= axis < ndim, "axis")):
        if failed:
            return _fails(gen, kind, node, Array(dtype, max(ndim, 1)))
    axis %= ndim
    dims = [gen.dims(a) for a in arrays]
    mismatch = None if checked else any_true([
        arith.cmpi(arith.CmpIPredicate.ne, d[k], dims[0][k])
        for d in dims[1:] for k in range(ndim) if k != axis])
    sizes = list(dims[0])  # off the axis: the first array's, which any other must match
    for d in dims[1:]:
        sizes[axis] = arith.addi(sizes[axis], d[axis])
    if mismatch is not None:
        gen.raise_if(mismatch, "join_shape", node)
        # no slab may run past the result: the result of the first array's sizes
        sizes = [arith.select(mismatch, dims[0][k], sizes[k]) for k in range(ndim)]
    out = gen.allocate(sizes, dtype, None, node, checked=False)
    buffer, offset, out_sizes, strides = gen.layout(out)
    start = index_constant(0)
    for a, d in zip(arrays, dims):
        slab_sizes = list(out_sizes)
        slab_sizes[axis] = d[axis]
        slab = gen.make_view(out, buffer, arith.addi(offset, arith.muli(start, strides[axis])),
                             slab_sizes, strides)
        # the result is fresh: no array being joined overlaps it, so none is copied
        # first; after a failed check the store is skipped (`store_unless_failed`)
        gen.store_into_view(slab, replace(a, fresh=True), node)
        start = arith.addi(start, d[axis])
    return out


def _stack(gen, arrays: list[Val], axis: object, node) -> Val:
    ndim = arrays[0].type.ndim
    result_type = Array(result_dtype(*(a.type for a in arrays)), ndim + 1)
    if axis is None:
        raise gen.unsupported(node, "np.stack needs an int axis")
    if any(a.type.ndim != ndim for a in arrays):
        return _fails(gen, "stack_shape", node, result_type)
    if not -(ndim + 1) <= axis <= ndim:
        return _fails(gen, "axis", node, result_type)
    axis %= ndim + 1
    dims = [gen.dims(a) for a in arrays]
    mismatch = any_true([arith.cmpi(arith.CmpIPredicate.ne, d[k], dims[0][k])
                         for d in dims[1:] for k in range(ndim)])
    if mismatch is not None:
        gen.raise_if(mismatch, "stack_shape", node)
    # each array with a new axis of size 1, joined along it: the result takes the first
    # array's sizes, and after a failed check no store is made
    expanded = [views.expand_dims(gen, a, axis, node) for a in arrays]
    return _concatenate(gen, expanded, axis, node, checked=True)


def _as_array(gen, a: Val, node) -> Val:
    """An array, or a scalar as NumPy's asarray makes it (its own dtype, not weak)."""
    if isinstance(a.type, Array):
        return a
    if not isinstance(a.type, Scalar):
        raise gen.typing_error(node, f"cannot join {a.type} to arrays")
    strong = gen.cast_scalar(a, Scalar(a.type.dtype))
    return gen.as_rank0(strong)


def _at_least_2d(gen, a: Val, node) -> Val:
    """np.atleast_2d: a vector as one row, a 0-d array as a 1x1 matrix."""
    while a.type.ndim < 2:
        a = views.expand_dims(gen, a, 0, node)
    return a


def _fails(gen, kind: str, node, result_type: NType) -> Val:
    """Raise NumPy's error `kind` when the call runs; a placeholder value meanwhile."""
    gen.raise_here(kind, node)
    return Val(result_type, gen.zero_values(result_type)[0])
