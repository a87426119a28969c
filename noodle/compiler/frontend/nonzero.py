"""`np.argwhere`, `np.nonzero` (and `a.nonzero()`) and `np.flatnonzero`: the indices of
an array's nonzero elements (NaN counts), in C order.

Two passes: `np.count_nonzero` sizes the result, then a loop over the elements writes
the indices of each nonzero one into an int64 table, in NumPy's layouts: nonzero's
arrays are the columns of a (count, ndim) table, argwhere's result the transpose of an
(ndim, count) one.
"""
from __future__ import annotations

import ast

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.compiler.frontend import composites, reshape
from noodle.compiler.frontend.element_loops import loop_nest
from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import INT64, PY_INT, Array, Scalar, TupleType
from noodle.dialects import nir


def argwhere(gen, a: Val, node: ast.AST) -> Val:
    """np.argwhere: an int64 (count, ndim) array, a row of indices per nonzero element;
    in NumPy's layout, the transpose of a C-ordered (ndim, count) array."""
    table = _index_table(gen, a, node, by_axis=True)
    buffer, offset, sizes, strides = gen.layout(table)
    return gen.make_view(table, buffer, offset, sizes[::-1], strides[::-1])


def _index_table(gen, a: Val, node: ast.AST, by_axis: bool) -> Val:
    """The indices of the nonzero elements of `a` in a fresh C-ordered int64 array: a
    row per axis (`by_axis`) or a row per element."""
    if isinstance(a.type, Scalar):
        a = gen.as_rank0(a)
    if not isinstance(a.type, Array):
        raise gen.typing_error(node, f"np.argwhere needs an array, not {a.type}")
    count = arith.index_cast(ir.IndexType.get(),
                             composites.count_nonzero(gen, a, node).ir)
    ndim = index_constant(a.type.ndim)
    shape = [ndim, count] if by_axis else [count, ndim]
    table = Val(Array(INT64, 2), nir.empty("int64", shape), fresh=True)
    i64 = ir.IntegerType.get_signless(64)
    zero = gen.const_scalar(PY_INT, 0)

    def visit(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        [element_number] = carried
        element = Val(Scalar(a.type.dtype), memref.load(a.ir, at))
        nonzero = gen.apply_ufunc(np.not_equal, [element, zero], node, kind="ne",
                                  operator=False).ir
        write = scf.IfOp(nonzero)
        with ir.InsertionPoint(write.then_block):
            for axis, i in enumerate(at):
                place = [index_constant(axis), element_number]
                memref.store(arith.index_cast(i64, i), table.ir,
                             place if by_axis else place[::-1])
            scf.YieldOp([])
        step = arith.index_cast(ir.IndexType.get(), arith.extui(i64, nonzero))
        return [arith.addi(element_number, step)]

    loop_nest(gen.dims(a), visit, [index_constant(0)])
    return table


def nonzero(gen, a: Val, node: ast.AST) -> Val:
    """np.nonzero: a tuple of int64 arrays, one per axis, the columns of argwhere's."""
    if isinstance(a.type, Scalar):
        a = gen.as_rank0(a)
    if isinstance(a.type, Array) and a.type.ndim == 0:
        gen.raise_here("nonzero_0d", node)
        a = reshape.ravel(gen, a, node, "nonzero")
    if not isinstance(a.type, Array):
        raise gen.typing_error(node, f"np.nonzero needs an array, not {a.type}")
    table = _index_table(gen, a, node, by_axis=False)
    buffer, offset, sizes, strides = gen.layout(table)
    columns = tuple(gen.make_view(table, buffer, arith.addi(offset, index_constant(axis)),
                                  sizes[:1], strides[:1]) for axis in range(a.type.ndim))
    return Val(TupleType(tuple(c.type for c in columns)), items=columns)


def flatnonzero(gen, a: Val, node: ast.AST) -> Val:
    """np.flatnonzero: the indices of the nonzero elements of the flattened array."""
    if isinstance(a.type, Scalar):
        a = gen.as_rank0(a)
    if not isinstance(a.type, Array):
        raise gen.typing_error(node, f"np.flatnonzero needs an array, not {a.type}")
    [indices] = nonzero(gen, reshape.ravel(gen, a, node, "flatnonzero"), node).items
    return indices
