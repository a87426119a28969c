"""Indexing with an array (NumPy's advanced indexing) as the only index: `a[mask]` with a
boolean array over the leading axes of `a`, and `a[idx]` with an integer array over its
first axis, to read (a copy, as NumPy's) and to store (`a[a < 0] = 0`, `a[idx] = v`,
`a[idx] += 1`).

Reads and stores are loops over the index's elements in C order. What NumPy checks is
checked before the loop, so that a statement that raises leaves the arrays as they were:
a mask whose shape is not that of the axes it covers, an integer index out of bounds
(always, not only with `boundscheck`), a value that does not broadcast to the selection.
A repeated integer index stores its last value, as NumPy's does; `a[idx] += 1` reads
all, adds, then stores, so a repeated index adds once, as in NumPy.
"""
from __future__ import annotations

import ast
from collections.abc import Callable

from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.compiler.frontend.element_loops import loop_nest, sub_array
from noodle.compiler.frontend.values import Val, any_true, index_constant
from noodle.compiler.types import INT64, Array, Scalar
from noodle.dialects import nir

def read(gen, a: Val, index: Val, node: ast.AST) -> Val:
    """`a[index]`: the selected elements, or sub-arrays, in a new array."""
    if _is_mask(index):
        return _read_masked(gen, a, index, node)
    positions, outside = _checked_positions(gen, a, index, node)
    # after a failed check, an empty result: no row is read (`a` may have none)
    selected = [arith.select(outside, index_constant(0), d) for d in gen.dims(index)]
    out = _new(gen, a, selected + gen.dims(a)[1:])

    def copy_one(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        _copy(gen, sub_array(gen, out, at), sub_array(gen, a, [positions(at)]))
        return carried

    loop_nest(selected, copy_one, [])
    return out


def write(gen, a: Val, index: Val, value: Val, node: ast.AST) -> None:
    """`a[index] = value`, `value` broadcast to the selection."""
    if a.type.readonly:
        gen.raise_here("readonly", node)
        return
    if _is_mask(index):
        _write_masked(gen, a, index, value, node)
        return
    selection = gen.dims(index) + gen.dims(a)[1:]
    # NumPy converts and broadcasts the value before it checks the indices
    source = _broadcast_source(gen, a, value, selection, node)
    positions, _ = _checked_positions(gen, a, index, node)

    def store_one(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        row = positions(at)
        _copy(gen, sub_array(gen, a, [row]), source(at))
        return carried

    gen.store_unless_failed(lambda: loop_nest(gen.dims(index), store_one, []))


# -- boolean masks ---------------------------------------------------------------------
def _is_mask(index: Val) -> bool:
    return index.type.dtype.kind == "b"


def _checked_mask(gen, a: Val, mask: Val, node) -> ir.Value:
    """How many elements of `mask` are true, after checking that its shape is that of
    the leading axes of `a` (NumPy's IndexError)."""
    if mask.type.ndim > a.type.ndim:
        raise gen.typing_error(node, f"too many indices for {a.type}: a boolean index of "
                               f"{mask.type.ndim} dimensions")
    differs = any_true([arith.cmpi(arith.CmpIPredicate.ne, m, d)
                        for m, d in zip(gen.dims(mask), gen.dims(a))])
    if differs is not None and mask.type.ndim == 1:
        # NumPy takes an empty 1-D bool array as an empty integer index: it selects
        # nothing, whatever the axis' length
        empty = arith.cmpi(arith.CmpIPredicate.eq, gen.dims(mask)[0], index_constant(0))
        differs = arith.andi(differs, gen.logical_not(empty))
    if differs is not None:
        gen.raise_if(differs, "mask_shape", node)

    def count_one(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        true = memref.load(mask.ir, at)
        one = arith.index_cast(ir.IndexType.get(), arith.extui(
            ir.IntegerType.get_signless(64), true))
        return [arith.addi(carried[0], one)]

    count = loop_nest(_safe_dims(gen, mask, differs), count_one, [index_constant(0)])[0]
    return count if differs is None else arith.select(differs, index_constant(0), count)


def _read_masked(gen, a: Val, mask: Val, node) -> Val:
    count = _checked_mask(gen, a, mask, node)
    out = _new(gen, a, [count] + gen.dims(a)[mask.type.ndim:])

    def copy_if_true(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        return _if_true(gen, mask, at, carried,
                        lambda k: _copy(gen, sub_array(gen, out, [k]), sub_array(gen, a, at)))

    loop_nest(_mask_dims(gen, mask, count), copy_if_true, [index_constant(0)])
    return out


def _write_masked(gen, a: Val, mask: Val, value: Val, node) -> None:
    count = _checked_mask(gen, a, mask, node)
    source = _broadcast_source(gen, a, value, [count] + gen.dims(a)[mask.type.ndim:], node)

    def store_if_true(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        return _if_true(gen, mask, at, carried,
                        lambda k: _copy(gen, sub_array(gen, a, at), source([k])))

    gen.store_unless_failed(lambda: loop_nest(_mask_dims(gen, mask, count), store_if_true,
                                              [index_constant(0)]))


def _if_true(gen, mask: Val, at: list[ir.Value], carried: list[ir.Value],
             action: Callable[[ir.Value], None]) -> list[ir.Value]:
    """`action(k)` where the mask is true at `at`, k counting the true elements so far."""
    k = carried[0]
    branch = scf.IfOp(memref.load(mask.ir, at))
    with ir.InsertionPoint(branch.then_block):
        action(k)
        scf.YieldOp([])
    true = arith.index_cast(ir.IndexType.get(), arith.extui(
        ir.IntegerType.get_signless(64), memref.load(mask.ir, at)))
    return [arith.addi(k, true)]


def _safe_dims(gen, mask: Val, differs: ir.Value | None) -> list[ir.Value]:
    """The mask's sizes, or none to loop over where its shape was refused."""
    dims = gen.dims(mask)
    if differs is None:
        return dims
    return [arith.select(differs, index_constant(0), d) for d in dims]


def _mask_dims(gen, mask: Val, count: ir.Value) -> list[ir.Value]:
    # a refused mask counts zero: loop over nothing then
    empty = arith.cmpi(arith.CmpIPredicate.eq, count, index_constant(0))
    return [arith.select(empty, index_constant(0), d) for d in gen.dims(mask)]


# -- integer indices -------------------------------------------------------------------
def _checked_positions(gen, a: Val, index: Val, node
                       ) -> tuple[Callable[[list[ir.Value]], ir.Value], ir.Value]:
    """The row of `a` that each element of an integer index selects (negative ones
    count from the end), after checking them all against the first axis (IndexError,
    as NumPy always checks); and whether one was outside."""
    if index.type.dtype.kind not in "iu":
        raise gen.typing_error(_index_node(node), f"arrays used as indices must be of "
                               f"integer (or boolean) type, not {index.type.dtype}")
    if a.type.ndim == 0:
        raise gen.typing_error(node, "a 0-d array cannot be indexed with an array")
    size = gen.dims(a)[0]
    i64 = ir.IntegerType.get_signless(64)
    size64 = arith.index_cast(i64, size)

    def position(at: list[ir.Value]) -> ir.Value:
        value = gen.cast_scalar(Val(Scalar(index.type.dtype), memref.load(index.ir, at)),
                                Scalar(INT64)).ir
        negative = arith.cmpi(arith.CmpIPredicate.slt, value, arith.constant(i64, 0))
        return arith.select(negative, arith.addi(value, size64), value)

    def check_one(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        row = position(at)
        outside = arith.cmpi(arith.CmpIPredicate.uge, row, size64)
        return [arith.ori(carried[0], outside)]

    false = arith.constant(ir.IntegerType.get_signless(1), 0)
    outside = loop_nest(gen.dims(index), check_one, [false])[0]
    gen.raise_if(outside, "index", node)

    def row_of(at: list[ir.Value]) -> ir.Value:
        return arith.index_cast(ir.IndexType.get(), position(at))
    return row_of, outside


def _index_node(node: ast.AST) -> ast.AST:
    return node.slice if isinstance(node, ast.Subscript) else node


# -- values stored ---------------------------------------------------------------------
def _broadcast_source(gen, a: Val, value: Val, selection: list[ir.Value], node
                      ) -> Callable[[list[ir.Value]], Val]:
    """For the selected position `at` (its leading indices), the part of `value` to
    store there: `value` cast to the array's dtype and broadcast to the selection's
    shape, NumPy's ValueError where it does not broadcast."""
    value = gen.load_rank0(value)
    if isinstance(value.type, Scalar):
        gen.stored_scalar_checks(value, a.type.dtype, node)
        element = gen.cast_scalar(value, Scalar(a.type.dtype))
        return lambda at: element
    if not isinstance(value.type, Array):
        raise gen.typing_error(node, f"cannot assign {value.type} to {a.type}")
    if value.type.ndim > len(selection):
        raise gen.typing_error(node, f"cannot assign {value.type} to a selection of "
                               f"{len(selection)} dimensions")
    source = gen.cast_array(value, a.type.dtype)
    if not source.fresh:  # it may be a view of `a`: NumPy reads it all before storing
        source = Val(source.type, nir.copy(source.type.dtype.name, source.ir), fresh=True)
    buffer, offset, sizes, strides = gen.layout(source)
    target = selection[len(selection) - source.type.ndim:]
    one = index_constant(1)
    bad = any_true([arith.andi(arith.cmpi(arith.CmpIPredicate.ne, s, t),
                               arith.cmpi(arith.CmpIPredicate.ne, s, one))
                    for s, t in zip(sizes, target)])
    if bad is not None:
        gen.raise_if(bad, "broadcast", node)
    # broadcast: size-1 axes of the value step by 0; missing leading axes are not there
    steps = [arith.select(arith.cmpi(arith.CmpIPredicate.eq, s, one), index_constant(0), st)
             for s, st in zip(sizes, strides)]
    missing = len(selection) - source.type.ndim

    def part(at: list[ir.Value]) -> Val:
        start = offset
        used = [(i, k - missing) for k, i in enumerate(at) if k >= missing]
        for i, axis in used:
            start = arith.addi(start, arith.muli(i, steps[axis]))
        rest = len(used)
        view_sizes = [arith.select(bad, one, t) if bad is not None else t
                      for t in target[rest:]]
        return gen.make_view(source, buffer, start, view_sizes, steps[rest:])
    return part


# -- helpers ---------------------------------------------------------------------------
def _copy(gen, dst: Val, src: Val) -> None:
    """Copies `src` (a scalar, or an array of `dst`'s shape or one that broadcasts to
    it) into `dst` (an element: a 0-d view)."""
    if isinstance(src.type, Scalar):
        if dst.type.ndim == 0:
            memref.store(src.ir, dst.ir, [])
        else:
            nir.assign(dst.ir, src.ir)
        return
    if dst.type.ndim == 0 and src.type.ndim == 0:
        memref.store(memref.load(src.ir, []), dst.ir, [])
        return
    nir.assign(dst.ir, src.ir)


def _new(gen, a: Val, sizes: list[ir.Value]) -> Val:
    return Val(Array(a.type.dtype, len(sizes)), nir.empty(a.type.dtype.name, sizes),
               fresh=True)
