"""Memref plumbing for the nir lowering: shapes, fresh buffers, broadcast views.

nir arrays are memrefs of the canonical type `nir.array_type` (dynamic sizes, strides
and offset). A result is a fresh identity-layout `memref.alloc` cast to that type, so
the bufferization pipeline sees a plain allocation it can free.
"""
from __future__ import annotations

from collections.abc import Sequence

from mlir import ir
from mlir.dialects import arith, memref

from noodle.passes.nir_dtypes import index_constant

DYNAMIC = ir.ShapedType.get_dynamic_size()
DYNAMIC_STRIDE = ir.ShapedType.get_dynamic_stride_or_offset()


def is_array(value: ir.Value) -> bool:
    return isinstance(value.type, ir.MemRefType)


def rank_of(value: ir.Value) -> int:
    return ir.MemRefType(value.type).rank


def element_type_of(value_or_type: ir.Value | ir.Type) -> ir.Type:
    """The element type of an array (value or type), or the scalar type itself."""
    t = value_or_type.type if isinstance(value_or_type, ir.Value) else value_or_type
    return ir.MemRefType(t).element_type if isinstance(t, ir.MemRefType) else t


def sizes_of(array: ir.Value) -> list[ir.Value]:
    return [memref.dim(array, index_constant(d)) for d in range(rank_of(array))]


def queried_dim(query: ir.OpView) -> int | None:
    """Which dim a `memref.dim` asks for, when that is a constant."""
    index = query.operands[1].owner
    if isinstance(index, ir.Block) or index.name != "arith.constant":
        return None
    return ir.IntegerAttr(index.attributes["value"]).value


def canonical_type(element_type: ir.Type, rank: int) -> ir.MemRefType:
    """`nir.array_type` from an element type rather than a dtype name."""
    layout = ir.StridedLayoutAttr.get(DYNAMIC_STRIDE, [DYNAMIC_STRIDE] * rank)
    return ir.MemRefType.get([DYNAMIC] * rank, element_type, layout=layout)


def alloc_buffer(element_type: ir.Type, sizes: Sequence[ir.Value]) -> ir.Value:
    """A fresh identity-layout buffer with dynamic sizes."""
    buffer_type = ir.MemRefType.get([DYNAMIC] * len(sizes), element_type)
    return memref.alloc(buffer_type, list(sizes), [])


def as_canonical(buffer: ir.Value) -> ir.Value:
    """`buffer` cast to the canonical nir array type of its rank."""
    buffer_type = ir.MemRefType(buffer.type)
    return memref.cast(canonical_type(buffer_type.element_type, buffer_type.rank), buffer)


def broadcast_shape(operands: Sequence[ir.Value], rank: int) -> list[ir.Value]:
    """The NumPy broadcast shape of `operands` (scalars included) at `rank`: along each
    axis, the aligned operand size that is not 1 (0 included: (1,) and (0,) broadcast
    to (0,)), or 1.

    The frontend checks compatibility, but does not keep the op from running when the
    check fails (the kernel then raises, after it returns). So where two sizes that are
    not 1 differ, the smaller one is taken: every read stays in bounds.
    """
    shape: list[ir.Value | None] = [None] * rank
    for array in filter(is_array, operands):
        first = rank - rank_of(array)
        for d, size in enumerate(sizes_of(array), start=first):
            shape[d] = size if shape[d] is None else broadcast_size(shape[d], size)
    return [index_constant(1) if size is None else size for size in shape]


def broadcast_size(a: ir.Value, b: ir.Value) -> ir.Value:
    """The broadcast of two sizes of one axis (the smaller where they conflict)."""
    one = index_constant(1)
    smaller = arith.minui(a, b)
    b_stretches = arith.select(arith.cmpi(arith.CmpIPredicate.eq, b, one), a, smaller)
    return arith.select(arith.cmpi(arith.CmpIPredicate.eq, a, one), b, b_stretches)


def broadcast_view(array: ir.Value, shape: Sequence[ir.Value]) -> ir.Value:
    """A view of `array` with shape `shape`: stride 0 along missing and size-1 dims."""
    metadata = memref.extract_strided_metadata(array)
    base, offset = metadata[0], metadata[1]
    rank = rank_of(array)
    sizes, strides = metadata[2:2 + rank], metadata[2 + rank:]
    zero, one = index_constant(0), index_constant(1)
    missing = len(shape) - rank
    view_strides = [zero] * missing + [
        arith.select(arith.cmpi(arith.CmpIPredicate.eq, size, one), zero, stride)
        for size, stride in zip(sizes, strides)]
    return strided_view(base, offset, shape, view_strides)


def strided_view(base: ir.Value, offset: ir.Value, sizes: Sequence[ir.Value],
                 strides: Sequence[ir.Value]) -> ir.Value:
    """`memref.reinterpret_cast` of `base` to the canonical type with dynamic metadata."""
    rank = len(sizes)
    return memref.reinterpret_cast(
        canonical_type(element_type_of(base), rank), base, [offset], list(sizes),
        list(strides), [DYNAMIC_STRIDE], [DYNAMIC] * rank, [DYNAMIC_STRIDE] * rank)


def leading_rows(view: ir.Value, first: ir.Value, count: ir.Value) -> ir.Value:
    """The view of `count` indices of `view`'s first dim from `first` on."""
    metadata = memref.extract_strided_metadata(view)
    base, offset = metadata[0], metadata[1]
    rank = rank_of(view)
    sizes, strides = list(metadata[2:2 + rank]), list(metadata[2 + rank:])
    offset = arith.addi(offset, arith.muli(first, strides[0]))
    return strided_view(base, offset, [count, *sizes[1:]], strides)


def may_overlap(a: ir.Value, b: ir.Value) -> ir.Value:
    """i1: whether the memory of views `a` and `b` may overlap, from the byte ranges
    their elements span (empty views overlap nothing)."""
    (a_low, a_high, a_empty), (b_low, b_high, b_empty) = _byte_span(a), _byte_span(b)
    below = arith.cmpi(arith.CmpIPredicate.ult, a_low, b_high)
    above = arith.cmpi(arith.CmpIPredicate.ult, b_low, a_high)
    either_empty = arith.ori(a_empty, b_empty)
    return arith.andi(arith.andi(below, above), arith.xori(
        either_empty, arith.constant(ir.IntegerType.get_signless(1), 1)))


def same_view(a: ir.Value, b: ir.Value) -> ir.Value:
    """i1: whether views `a` and `b` (of one rank) are the same elements in the same
    order: same first address, sizes and strides."""
    a_start, a_sizes, a_strides = view_parts(a)
    b_start, b_sizes, b_strides = view_parts(b)
    same = arith.cmpi(arith.CmpIPredicate.eq, a_start, b_start)
    for x, y in zip([*a_sizes, *a_strides], [*b_sizes, *b_strides]):
        same = arith.andi(same, arith.cmpi(arith.CmpIPredicate.eq, x, y))
    return same


def view_parts(view: ir.Value) -> tuple[ir.Value, list[ir.Value], list[ir.Value]]:
    """(address of the first element, sizes, strides in elements) of a view."""
    metadata = memref.extract_strided_metadata(view)
    rank = rank_of(view)
    offset, sizes, strides = metadata[1], metadata[2:2 + rank], metadata[2 + rank:]
    itemsize = _itemsize(view)
    start = arith.addi(memref.extract_aligned_pointer_as_index(view),
                       arith.muli(offset, itemsize))
    return start, list(sizes), list(strides)


def _byte_span(view: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value]:
    """(lowest byte, one past the highest byte, is empty) of a view's elements."""
    start, sizes, strides = view_parts(view)
    zero, one = index_constant(0), index_constant(1)
    itemsize = _itemsize(view)
    low, high = start, arith.addi(start, itemsize)
    empty = arith.constant(ir.IntegerType.get_signless(1), 0)
    for size, stride in zip(sizes, strides):
        reach = arith.muli(arith.muli(arith.subi(size, one), stride), itemsize)
        low = arith.addi(low, arith.minsi(reach, zero))
        high = arith.addi(high, arith.maxsi(reach, zero))
        empty = arith.ori(empty, arith.cmpi(arith.CmpIPredicate.eq, size, zero))
    return low, high, empty


def _itemsize(view: ir.Value) -> ir.Value:
    """The bytes an element of `view` takes in memory: a bool (i1) takes one, as in
    NumPy (`widen-bool-memrefs`)."""
    return index_constant(max(element_type_of(view).width // 8, 1))
