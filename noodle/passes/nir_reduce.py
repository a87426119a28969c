"""Reductions: `nir.reduce` and `nir.matmul` (a sum of products) as linalg.generic ops.

Both fill a fresh accumulator with the reduction's identity, then run a generic with
reduction iterators whose output map drops the reduced loop dims. A scalar result is
loaded from a rank-0 accumulator; `keepdims` allocates size-1 dims and reduces into a
collapsed view of them.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.dialects.context import source_location
from noodle.errors import LoweringError
from noodle.passes.blas_symbols import BlasInterface
from noodle.passes.nir_binary import BinaryBuilder, binary_builder
from noodle.passes.nir_blas import gemm_or_loops
from noodle.passes.nir_buffers import (
    DYNAMIC, alloc_buffer, as_canonical, broadcast_shape, element_type_of, leading_rows, rank_of,
    sizes_of)
from noodle.passes.nir_dtypes import DType, constant, dtype_attr
from noodle.passes.nir_elementwise import (
    Form, array_views, of_array_elements, write_elementwise)
from noodle.passes.nir_linalg import PARALLEL, REDUCTION, dims_map, generic
from noodle.passes.parallel_chunks import MIN_TASK_SIZE, chunk_bounds, chunking

#: nir.reduce kind -> (nir.binary kind that combines, identity value by dtype).
REDUCTIONS = {
    "sum": ("add", lambda dtype: 0),
    "prod": ("mul", lambda dtype: 1),
    "min": ("minimum", lambda dtype: dtype.max_value),
    "max": ("maximum", lambda dtype: dtype.min_value),
    "any": ("bitor", lambda dtype: 0),
    "all": ("bitand", lambda dtype: 1),
}

#: (rank of a, rank of b) -> loop letters of a, b and the result (k is reduced).
_MATMUL_INDICES = {
    (2, 2): ("ik", "kj", "ij"),
    (1, 2): ("k", "kj", "j"),
    (2, 1): ("ik", "k", "i"),
    (1, 1): ("k", "k", ""),
}


def reduce_axes(op: ir.Operation) -> set[int]:
    """The dims `op` (a nir.reduce) reduces. The IRDL dialect checks only that `axes` is
    a dense array: axes that are not `array<i64: ...>` dims of the operand, or repeat, are
    a LoweringError at the op, said plainly (not a cast failure deep in a pass)."""
    attribute = op.attributes["axes"]
    if not isinstance(attribute, ir.DenseI64ArrayAttr):
        raise LoweringError(f"nir.reduce: axes must be an array<i64: ...> attribute, not "
                            f"{attribute}", source_location(op.location))
    axes = list(attribute)
    x = op.operands[0]
    rank = rank_of(x) if isinstance(x.type, ir.MemRefType) else 0
    for axis in axes:
        if not 0 <= axis < rank:
            raise LoweringError(f"nir.reduce: axis {axis} is out of range for its rank-{rank} "
                                f"operand", source_location(op.location))
    if len(set(axes)) != len(axes):
        raise LoweringError(f"nir.reduce: axes {axes} repeat an axis",
                            source_location(op.location))
    return set(axes)


def matmul_ranks(op: ir.Operation) -> tuple[int, int]:
    """The ranks of `op`'s (a nir.matmul) operands, which must be 1-d or 2-d arrays (as
    the frontend makes them); anything else is a LoweringError at the op."""
    ranks = tuple(rank_of(v) if isinstance(v.type, ir.MemRefType) else 0
                  for v in op.operands)
    if ranks not in _MATMUL_INDICES:
        raise LoweringError(f"nir.matmul takes 1-d and 2-d arrays, not rank {ranks[0]} @ "
                            f"rank {ranks[1]}", source_location(op.location))
    return ranks


def lower_reduce(op: ir.Operation, fused: Form | None = None,
                 parallel: bool = False) -> ir.Value:
    """The reduction of op's operand; or, when its producer was fused into it, of
    `fused` = (operands, body), the producer's elements computed in the same loop.
    `parallel`: a reduction to one element runs in chunks (`parallel_chunks`); the others
    are split along their kept dims by the lowering of linalg to parallel loops."""
    x = op.operands[0]
    dtype = dtype_attr(op)
    combine_kind, identity = REDUCTIONS[ir.StringAttr(op.attributes["kind"]).value]
    axes = reduce_axes(op)
    keepdims = ir.BoolAttr(op.attributes["keepdims"]).value
    rank = rank_of(x)
    kept = [d for d in range(rank) if d not in axes]
    operands, body = fused if fused is not None else ([x], lambda element: element)
    sizes = broadcast_shape(operands, rank)

    if keepdims:
        result, accumulator = _alloc_with_unit_dims(dtype.element_type, sizes, axes)
    else:
        result = accumulator = alloc_buffer(dtype.element_type, [sizes[d] for d in kept])
    _fill(accumulator, constant(dtype, identity(dtype)))
    combine = _combiner(combine_kind, dtype)
    views = array_views(operands, sizes)
    element_of = of_array_elements(operands, body)

    def reduce_into(target: ir.Value, views: list[ir.Value]) -> None:
        generic(views, [target],
                [dims_map(rank, range(rank))] * len(views) + [dims_map(rank, kept)],
                [PARALLEL if d in kept else REDUCTION for d in range(rank)],
                lambda *elements: combine(dtype, elements[-1], element_of(*elements[:-1])))

    if parallel and not kept and rank > 0:
        _reduce_in_chunks(views, sizes, accumulator, reduce_into,
                          lambda total, partial: combine(dtype, total, partial))
    elif dtype.is_float and combine_kind in _NAN_FLAGGED and rank - 1 not in kept:
        # the innermost loop reduces, so both running values stay in registers (along
        # a kept innermost dim they are arrays, and the flags' loads and stores cost
        # more than arith.maximumf does: a column max ran 1.35x slower)
        maps = [dims_map(rank, range(rank))] * len(views) + [dims_map(rank, kept)] * 2
        _float_min_max_into(accumulator, views, maps,
                            [PARALLEL if d in kept else REDUCTION for d in range(rank)],
                            _NAN_FLAGGED[combine_kind], element_of)
    else:
        reduce_into(accumulator, views)
    return _result(result, op.result.type)


#: nir.binary kind of a float min/max reduction -> the arith op that ignores NaN
_NAN_FLAGGED = {"maximum": arith.maxnumf, "minimum": arith.minnumf}


def _float_min_max_into(accumulator: ir.Value, views: list[ir.Value],
                        maps: list[ir.AffineMap], iterators: list[str],
                        ignoring_nan: Callable[..., ir.Value],
                        element_of: Callable[..., ir.Value]) -> None:
    """A float max (min) that propagates NaN as NumPy's does, in two reductions LLVM
    vectorises as one machine max per vector: the max of the elements as though none
    were NaN (`nnan`: a NaN makes that result poison, never read; `nsz`: max(-0.0, 0.0)
    may be either, as in NumPy, which LLVM needs to regroup the max), and whether any was
    NaN; then NaN wherever one was. (arith.maximumf's NaN semantics cost x86 five more
    instructions per vector: a.max() ran at 0.6x NumPy's speed, now 1.0x.)"""
    i1 = ir.IntegerType.get_signless(1)
    saw_nan = alloc_buffer(i1, sizes_of(accumulator))
    _fill(saw_nan, arith.constant(i1, 0))
    no_nan = ir.Attribute.parse("#arith.fastmath<nnan,nsz>")

    def step(*elements: ir.Value) -> tuple[ir.Value, ir.Value]:
        *inputs, best, seen = elements
        x = element_of(*inputs)
        is_nan = arith.cmpf(arith.CmpFPredicate.UNO, x, x)
        return ignoring_nan(best, x, fastmath=no_nan), arith.ori(seen, is_nan)

    generic(views, [accumulator, saw_nan], maps, iterators, step)
    kept_rank = len(sizes_of(accumulator))
    nan = arith.constant(element_type_of(accumulator), float("nan"))
    generic([saw_nan], [accumulator], [dims_map(kept_rank, range(kept_rank))] * 2,
            [PARALLEL] * kept_rank, lambda seen, best: arith.select(seen, nan, best))


def _combiner(kind: str, dtype: DType) -> BinaryBuilder:
    """The scalar combine of a reduction. A float sum or product may be regrouped
    (`reassoc`), so that LLVM keeps partial results in vector lanes and several
    registers: NumPy's own `sum` is pairwise, not left to right, so no order is promised,
    and partial sums are more accurate than one running total. Loops the user writes
    (`s += a[i]`) are not reductions of this kind and keep their order."""
    combine = binary_builder(kind, dtype)
    if not dtype.is_float or kind not in ("add", "mul"):
        return combine

    def regrouped(dtype: DType, a: ir.Value, b: ir.Value) -> ir.Value:
        result = combine(dtype, a, b)
        result.owner.attributes["fastmath"] = ir.Attribute.parse("#arith.fastmath<reassoc>")
        return result
    return regrouped


def _reduce_in_chunks(views: list[ir.Value], sizes: list[ir.Value], accumulator: ir.Value,
                      reduce_into: Callable[[ir.Value, list[ir.Value]], None],
                      combine: Callable[[ir.Value, ir.Value], ir.Value]) -> None:
    """A reduction to one element (`accumulator`, holding the identity) as chunks of
    whole rows of the first dim, reduced in parallel each into its own element, whose
    results are then combined in order."""
    index = ir.IndexType.get()
    one = arith.constant(index, 1)
    row_size = functools.reduce(arith.muli, sizes[1:], one)
    min_rows = arith.ceildivsi(arith.constant(index, MIN_TASK_SIZE), arith.maxsi(row_size, one))
    chunks, per_chunk = chunking(sizes[0], min_rows)
    element_type = element_type_of(accumulator)
    partials = alloc_buffer(element_type, [chunks])
    identity = memref.load(accumulator, [])
    loop = scf.ParallelOp([], [arith.constant(index, 0)], [chunks], [one], [])
    block = loop.regions[0].blocks.append(index)
    with ir.InsertionPoint(block):
        chunk = block.arguments[0]
        first, count = chunk_bounds(chunk, per_chunk, sizes[0])
        element = memref.alloca(ir.MemRefType.get([], element_type), [], [])
        memref.store(identity, element, [])
        reduce_into(element, [leading_rows(view, first, count) for view in views])
        memref.store(memref.load(element, []), partials, [chunk])
        scf.ReduceOp([], 0)
    generic([partials], [accumulator], [dims_map(1, [0]), dims_map(1, [])], [REDUCTION],
            lambda partial, total: combine(total, partial))


def lower_matmul(op: ir.Operation, blas: BlasInterface | None = None) -> ir.Value:
    """A matmul as a loop nest, or (f32/f64 matrices, `blas` given) a BLAS call where
    the operands' layouts allow it (`nir_blas`)."""
    a, b = op.operands
    dtype = dtype_attr(op)
    a_indices, b_indices, out_indices = _MATMUL_INDICES[matmul_ranks(op)]
    loops = out_indices + "k"
    a_sizes, b_sizes = sizes_of(a), sizes_of(b)
    out_sizes = [a_sizes[a_indices.index(i)] if i in a_indices else b_sizes[b_indices.index(i)]
                 for i in out_indices]
    accumulator = alloc_buffer(dtype.element_type, out_sizes)
    add, mul = binary_builder("add", dtype), binary_builder("mul", dtype)

    def loop_nest() -> None:
        _fill(accumulator, constant(dtype, 0))
        generic([a, b], [accumulator],
                [dims_map(len(loops), [loops.index(i) for i in indices])
                 for indices in (a_indices, b_indices, out_indices)],
                [PARALLEL] * len(out_indices) + [REDUCTION],
                lambda x, y, acc: add(dtype, acc, mul(dtype, x, y)))

    if blas is not None and dtype.is_float and loops == "ijk":
        gemm_or_loops(a, b, accumulator, dtype, blas, loop_nest)
    else:
        loop_nest()
    return _result(accumulator, op.result.type)


def _fill(buffer: ir.Value, value: ir.Value) -> None:
    write_elementwise(buffer, sizes_of(buffer), [value], lambda v: v)


def _alloc_with_unit_dims(element_type: ir.Type, sizes: Sequence[ir.Value],
                          axes: set[int]) -> tuple[ir.Value, ir.Value]:
    """A buffer of `sizes` with 1 along `axes`, and a view of it without those dims."""
    rank = len(sizes)
    buffer_type = ir.MemRefType.get([1 if d in axes else DYNAMIC for d in range(rank)],
                                    element_type)
    buffer = memref.alloc(buffer_type, [sizes[d] for d in range(rank) if d not in axes], [])
    kept_rank = rank - len(axes)
    view_type = ir.MemRefType.get([DYNAMIC] * kept_rank, element_type)
    return buffer, memref.collapse_shape(view_type, buffer, _unit_dim_groups(rank, axes))


def _unit_dim_groups(rank: int, axes: set[int]) -> list[list[int]]:
    """Reassociation folding each unit dim into a neighbouring kept dim's group."""
    groups: list[list[int]] = []
    leading: list[int] = []
    for d in range(rank):
        if d not in axes:
            groups.append(leading + [d])
            leading = []
        elif groups:
            groups[-1].append(d)
        else:
            leading.append(d)
    return groups


def _result(buffer: ir.Value, result_type: ir.Type) -> ir.Value:
    """The op's result from its accumulator: the element itself when a scalar."""
    if isinstance(result_type, ir.MemRefType):
        return as_canonical(buffer)
    return memref.load(buffer, [])
