"""Arrays laid out from the indices of their elements: `np.triu` / `np.tril` (an array
with the elements below / above the k-th diagonal of its last two axes zeroed; a vector
is taken as the rows of a square matrix, as NumPy's broadcasting of it does) and
`np.meshgrid` (one array per input, each the input repeated along the other axes, in
"xy" or "ij" indexing).
"""
from __future__ import annotations

import ast

from mlir import ir
from mlir.dialects import arith, memref

from noodle.compiler.frontend import reshape
from noodle.compiler.frontend.element_loops import loop_nest
from noodle.compiler.frontend.values import Val
from noodle.compiler.types import INT64, Array, Scalar, TupleType
from noodle.dialects import nir


def triangle(gen, m: Val, k: Val, upper: bool, node: ast.AST) -> Val:
    """np.triu(m, k) (`upper`) or np.tril(m, k): a copy with the elements where
    `j - i < k` (triu) or `j - i > k` (tril) zeroed, i and j the last two indices."""
    name = "triu" if upper else "tril"
    if not isinstance(m.type, Array) or m.type.ndim == 0:
        raise gen.typing_error(node, f"np.{name} needs an array of at least one dimension")
    if not isinstance(k.type, Scalar) or k.type.dtype.kind not in "iu":
        raise gen.typing_error(node, f"np.{name}'s k must be an integer")
    offset = gen.cast_scalar(k, Scalar(INT64)).ir
    sizes = gen.dims(m)
    if m.type.ndim == 1:
        sizes = [sizes[0], sizes[0]]  # NumPy broadcasts the vector over its rows
    out = Val(Array(m.type.dtype, len(sizes)), nir.empty(m.type.dtype.name, sizes),
              fresh=True)
    zero = gen.const_scalar(Scalar(m.type.dtype), 0).ir
    i64 = ir.IntegerType.get_signless(64)

    def fill(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        i, j = (arith.index_cast(i64, x) for x in at[-2:])
        above = arith.subi(j, i)
        kept = arith.cmpi(arith.CmpIPredicate.sge if upper else arith.CmpIPredicate.sle,
                          above, offset)
        source = at[-1:] if m.type.ndim == 1 else at
        memref.store(arith.select(kept, memref.load(m.ir, source), zero), out.ir, at)
        return carried

    loop_nest(sizes, fill)
    return out


def meshgrid(gen, inputs: list[Val], indexing: object, node: ast.AST) -> Val:
    """np.meshgrid(*xi, indexing): a tuple of new arrays (NumPy's copy=True), each input
    flattened and repeated along the other axes; "xy" swaps the first two axes."""
    if indexing not in ("xy", "ij"):
        raise gen.typing_error(node, "np.meshgrid's indexing must be 'xy' or 'ij'")
    flat = []
    for x in inputs:
        if isinstance(x.type, Scalar):
            x = gen.as_rank0(gen.cast_scalar(x, Scalar(x.type.dtype)))
        if not isinstance(x.type, Array):
            raise gen.typing_error(node, f"np.meshgrid takes arrays, not {x.type}")
        flat.append(reshape.ravel(gen, x, node, f"meshgrid {len(flat)}"))
    lengths = [gen.dims(x)[0] for x in flat]
    # the axis of the result each input varies along
    axes = list(range(len(flat)))
    if indexing == "xy" and len(flat) > 1:
        axes[0], axes[1] = 1, 0
    sizes = [lengths[axes.index(d)] for d in range(len(flat))]
    grids = []
    for x, axis in zip(flat, axes):
        grid = Val(Array(x.type.dtype, len(sizes)), nir.empty(x.type.dtype.name, sizes),
                   fresh=True)

        def fill(at: list[ir.Value], carried: list[ir.Value], x=x, axis=axis,
                 grid=grid) -> list[ir.Value]:
            memref.store(memref.load(x.ir, [at[axis]]), grid.ir, at)
            return carried

        loop_nest(sizes, fill)
        grids.append(grid)
    return Val(TupleType(tuple(g.type for g in grids)), items=tuple(grids))
