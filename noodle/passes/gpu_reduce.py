"""The `gpu-reduce` pass: a `nir.reduce` over all of its operand's dims, or over its
last dim, becomes block tree reductions.

A reduction to one element has no parallel dim, so it gets its own kernels here, before
`lower-nir` would make a sequential loop of it:

1. `PARTIAL_BLOCKS` blocks of `BLOCK_SIZE` threads: each thread combines the elements
   of a grid-stride slice (the producer fused into the reduction computed on the fly,
   so `np.sum(a * b)` reads `a` and `b` once), then `gpu.all_reduce` combines the
   block's threads (upstream lowers it to warp shuffles and a shared-memory step), and
   thread 0 stores the block's partial.
2. one block combines the partials the same way and stores the result, which the host
   reads (a scalar result) or which stays on the device (`keepdims`).

A vector-vector `nir.matmul` (a dot product) is the sum of the products, reduced the
same way.

A reduction over the last dim (`np.max(x, axis=-1)`, a row of softmax) is one block per
kept element (grid-stride over them), its threads reading the row side by side, as a
warp reads memory best, and combining with `gpu.all_reduce`. A reduction that keeps the
last dim is left to `lower-nir` and `gpu-map-loops`: one thread per kept element, whose
neighbours read neighbouring elements already.

No atomics: the order of combination is fixed by the grid, so a result does not change
from run to run. The identity and the combining op are `nir_reduce`'s (NaN-propagating
min/max as in NumPy).
"""
from __future__ import annotations

import functools

from mlir import ir
from mlir.dialects import arith, gpu, memref, scf

from noodle.passes.gpu_launch import grid_stride, launch_1d
from noodle.passes.gpu_map_loops import BLOCK_SIZE, delinearize
from noodle.passes.ir_walk import ops_where, rewriting
from noodle.passes.lower_nir import fused_form
from noodle.passes.nir_binary import binary_builder
from noodle.passes.nir_buffers import broadcast_shape, rank_of
from noodle.passes.nir_dtypes import DType, constant, dtype_attr
from noodle.passes.nir_elementwise import array_views, of_array_elements
from noodle.passes.nir_fusion import fused_producer
from noodle.passes.nir_reduce import REDUCTIONS, reduce_axes

PASS_NAME = "gpu-reduce"

#: Blocks of the first kernel, at most: enough to fill a large GPU (132 multiprocessors
#: on an H100, several blocks each), few enough that one block combines the partials
PARTIAL_BLOCKS = 1024


def is_full_reduction(op: ir.Operation) -> bool:
    x = op.operands[0]
    axes = reduce_axes(op)
    return rank_of(x) > 0 and axes >= set(range(rank_of(x)))


def reduces_last_dim(op: ir.Operation) -> bool:
    x = op.operands[0]
    return rank_of(x) > 1 and rank_of(x) - 1 in reduce_axes(op)


def gpu_reduce(module: ir.Operation) -> None:
    """Rewrites each full or last-dim `nir.reduce` and each dot product in `module` (a
    module operation) in place."""
    def chosen(op: ir.Operation) -> bool:
        if op.name == "nir.reduce":
            return is_full_reduction(op) or reduces_last_dim(op)
        return op.name == "nir.matmul" and all(rank_of(v) == 1 for v in op.operands)

    for op in ops_where(module, chosen):
        with rewriting(op), ir.InsertionPoint(op), op.location:
            if op.name == "nir.matmul":
                reduced = _dot(op)
            elif is_full_reduction(op):
                reduced = _reduce(op)
            else:
                reduced = _reduce_rows(op)
            op.result.replace_all_uses_with(reduced)
        op.erase()


def gpu_reduce_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(gpu_reduce_pass, name=PASS_NAME)`."""
    gpu_reduce(op)


def _reduce(op: ir.Operation) -> ir.Value:
    x = op.operands[0]
    producer = fused_producer(x)
    operands, body = fused_form(producer) if producer is not None else ([x], lambda e: e)
    return _tree_reduce(op, operands, body, ir.StringAttr(op.attributes["kind"]).value,
                        rank_of(x))


def _reduce_rows(op: ir.Operation) -> ir.Value:
    """A reduction over some dims, the last among them: one block per kept element."""
    x = op.operands[0]
    producer = fused_producer(x)
    operands, body = fused_form(producer) if producer is not None else ([x], lambda e: e)
    dtype = dtype_attr(op)
    combine_kind, identity_of = REDUCTIONS[ir.StringAttr(op.attributes["kind"]).value]
    combine = functools.partial(binary_builder(combine_kind, dtype), dtype)
    rank = rank_of(x)
    axes = reduce_axes(op)
    keepdims = ir.BoolAttr(op.attributes["keepdims"]).value
    kept = [d for d in range(rank) if d not in axes]
    reduced = [d for d in range(rank) if d in axes]
    sizes = broadcast_shape(operands, rank)
    views = array_views(operands, sizes)
    element_of = of_array_elements(operands, body)

    index = ir.IndexType.get()
    one, zero = arith.constant(index, 1), arith.constant(index, 0)
    outputs = functools.reduce(arith.muli, [sizes[d] for d in kept], one)
    length = functools.reduce(arith.muli, [sizes[d] for d in reduced], one)
    # threads a block: the row length rounded up to whole warps, at most BLOCK_SIZE
    warp = arith.constant(index, 32)
    block = arith.minsi(arith.maxsi(arith.muli(arith.ceildivsi(length, warp), warp), warp),
                        arith.constant(index, BLOCK_SIZE))
    grid = arith.maxsi(arith.minsi(outputs, arith.constant(index, 2**31 - 1)), one)
    dynamic = ir.ShapedType.get_dynamic_size()
    if keepdims:
        shape = [1 if d in axes else dynamic for d in range(rank)]
    else:
        shape = [dynamic] * len(kept)
    result = memref.alloc(ir.MemRefType.get(shape, dtype.element_type),
                          [sizes[d] for d in kept], [])
    launch = launch_1d(grid, block)
    block_id, thread_id = launch.block_id, launch.thread_id
    grid_dim, block_dim = launch.grid_dim, launch.block_dim
    with ir.InsertionPoint(launch.body):
        rows = scf.ForOp(block_id, outputs, grid_dim)
        with ir.InsertionPoint(rows.body):
            kept_index = dict(zip(kept, delinearize(rows.induction_variable,
                                                    [sizes[d] for d in kept])))
            loop = scf.ForOp(thread_id, length, block_dim,
                             [constant(dtype, identity_of(dtype))])
            with ir.InsertionPoint(loop.body):
                reduced_index = dict(zip(reduced, delinearize(loop.induction_variable,
                                                              [sizes[d] for d in reduced])))
                indices = [kept_index.get(d, reduced_index.get(d)) for d in range(rank)]
                element = element_of(*[memref.load(view, indices) for view in views])
                scf.YieldOp([combine(loop.inner_iter_args[0], element)])
            total = _all_reduce(loop.results[0], dtype, combine)
            is_first = arith.cmpi(arith.CmpIPredicate.eq, thread_id, zero)
            store = scf.IfOp(is_first)
            with ir.InsertionPoint(store.then_block):
                target = [kept_index[d] if d in kept_index else zero for d in range(rank)] \
                    if keepdims else [kept_index[d] for d in kept]
                memref.store(total, result, target)
                scf.YieldOp([])
            # every thread has read the row's total before the next row's reduction
            # reuses the shared memory that handed it out
            gpu.BarrierOp()
            scf.YieldOp([])
        gpu.TerminatorOp()
    return memref.cast(op.result.type, result)


def _dot(op: ir.Operation) -> ir.Value:
    """A vector-vector matmul: the sum of the elementwise products."""
    dtype = dtype_attr(op)
    multiply = binary_builder("mul", dtype)
    return _tree_reduce(op, list(op.operands), lambda a, b: multiply(dtype, a, b), "sum", 1)


def _tree_reduce(op: ir.Operation, operands: list[ir.Value], body, kind: str,
                 rank: int) -> ir.Value:
    """The `kind` reduction of `body` over the elements of `operands` (broadcast to
    `rank` dims), as the two launches, in place of `op`."""
    dtype = dtype_attr(op)
    combine_kind, identity_of = REDUCTIONS[kind]
    combine = functools.partial(binary_builder(combine_kind, dtype), dtype)
    sizes = broadcast_shape(operands, rank)
    views = array_views(operands, sizes)
    element_of = of_array_elements(operands, body)

    index = ir.IndexType.get()
    one = arith.constant(index, 1)
    total = functools.reduce(arith.muli, sizes, one)
    block = arith.constant(index, BLOCK_SIZE)
    blocks = arith.maxsi(arith.minsi(arith.ceildivsi(total, block),
                                     arith.constant(index, PARTIAL_BLOCKS)), one)
    element_type = dtype.element_type
    partials = memref.alloc(ir.MemRefType.get([ir.ShapedType.get_dynamic_size()],
                                              element_type), [blocks], [])
    result = memref.alloc(ir.MemRefType.get([], element_type), [], [])

    def elements(position: ir.Value) -> ir.Value:
        indices = delinearize(position, sizes)
        return element_of(*[memref.load(view, indices) for view in views])

    _launch(blocks, block, total, elements, partials, lambda b: [b], dtype, identity_of, combine)
    _launch(one, block, blocks, lambda i: memref.load(partials, [i]), result, lambda b: [],
            dtype, identity_of, combine)
    if isinstance(op.result.type, ir.MemRefType):  # keepdims: a view of 1-sized dims
        view_type = ir.MemRefType.get([1] * rank, element_type)
        expanded = memref.expand_shape(view_type, result, [], [], [1] * rank)
        return memref.cast(op.result.type, expanded)
    return memref.load(result, [])


def _launch(grid: ir.Value, block: ir.Value, count: ir.Value, element, target: ir.Value,
            target_index, dtype: DType, identity_of, combine) -> None:
    """A launch of `grid` blocks in which each block reduces its grid-stride share of
    `element(i)`, i < `count`, and thread 0 stores it at `target[target_index(block)]`."""
    index = ir.IndexType.get()
    launch = launch_1d(grid, block)
    block_id, thread_id = launch.block_id, launch.thread_id
    with ir.InsertionPoint(launch.body):
        first, stride = grid_stride(launch)
        loop = scf.ForOp(first, count, stride, [constant(dtype, identity_of(dtype))])
        with ir.InsertionPoint(loop.body):
            scf.YieldOp([combine(loop.inner_iter_args[0], element(loop.induction_variable))])
        total = _all_reduce(loop.results[0], dtype, combine)
        is_first = arith.cmpi(arith.CmpIPredicate.eq, thread_id, arith.constant(index, 0))
        store = scf.IfOp(is_first)
        with ir.InsertionPoint(store.then_block):
            memref.store(total, target, target_index(block_id))
            scf.YieldOp([])
        gpu.TerminatorOp()


def _all_reduce(value: ir.Value, dtype: DType, combine) -> ir.Value:
    """The block-wide combination of `value`, in at least 32 bits (warp shuffles move
    32-bit words; a narrower value is widened and each combination narrows it again)."""
    element_type = value.type
    narrow = isinstance(element_type, ir.IntegerType) and element_type.width < 32
    wide_type = ir.IntegerType.get_signless(32) if narrow else element_type
    if narrow:
        value = arith.extui(wide_type, value)
    reduce = gpu.AllReduceOp(value, uniform=True)
    region_block = reduce.regions[0].blocks.append(wide_type, wide_type)
    with ir.InsertionPoint(region_block):
        a, b = region_block.arguments
        if narrow:
            a, b = arith.trunci(element_type, a), arith.trunci(element_type, b)
        combined = combine(a, b)
        gpu.YieldOp([arith.extui(wide_type, combined) if narrow else combined])
    result = reduce.result
    return arith.trunci(element_type, result) if narrow else result
