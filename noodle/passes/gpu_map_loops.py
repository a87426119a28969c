"""The `gpu-map-loops` pass: each outermost `scf.parallel` loop becomes a `gpu.launch`.

The loop's iteration space, of any rank, is numbered linearly (last dim fastest, so
neighbouring threads touch neighbouring elements of a C-ordered array) and spread over
a 1-d grid of `BLOCK_SIZE`-thread blocks; each thread runs a grid-stride loop over that
numbering, so any trip count fits the grid-size limit. Upstream's `gpu-map-parallel-loops`
maps each loop dim to a grid dim with one thread per block unless the loop is tiled first,
and a tile size fits only some shapes: one linear numbering fits all.

`scf.parallel` loops nested in the outermost one stay in the kernel, where
`convert-scf-to-cf` makes them sequential loops of a thread. A loop with reductions
(results) is not mapped: `UnsupportedError` names it.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith, gpu, scf

from noodle.dialects.context import source_location
from noodle.errors import UnsupportedError
from noodle.passes.gpu_launch import grid_stride, launch_1d
from noodle.passes.ir_walk import inside, ops_where

PASS_NAME = "gpu-map-loops"

#: Threads per block: a multiple of the warp size that leaves each multiprocessor room
#: for several blocks, and the usual choice for memory-bound elementwise kernels
BLOCK_SIZE = 256

#: CUDA's limit on gridDim.x
MAX_GRID = 2**31 - 1


def outermost_parallel_loops(root: ir.Operation) -> list[ir.Operation]:
    """The `scf.parallel` ops in `root` not nested in another one or in a kernel."""
    return ops_where(root, lambda op: op.name == "scf.parallel" and not inside(
        op, ("scf.parallel", "gpu.launch", "gpu.func")))


def gpu_map_loops(module: ir.Operation) -> None:
    """Rewrites `module` (a module operation) in place; usable as a PassManager pass."""
    for loop in outermost_parallel_loops(module):
        with ir.InsertionPoint(loop), loop.location:
            _launch(loop)
        loop.erase()


def gpu_map_loops_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(gpu_map_loops_pass, name=PASS_NAME)`."""
    gpu_map_loops(op)


def delinearize(position: ir.Value, sizes: list[ir.Value]) -> list[ir.Value]:
    """The indices of linear `position` (< the product of `sizes`) in a C-ordered space.
    The first index needs no division (the quotient left is it), and each other one
    costs one: a 64-bit division is dozens of instructions on a GPU, and a 1-d loop, the
    common case, does none."""
    indices = []
    for size in reversed(sizes[1:]):
        quotient = arith.divsi(position, size)
        indices.append(arith.subi(position, arith.muli(quotient, size)))
        position = quotient
    indices.append(position)
    return indices[::-1]


def _local(value: ir.Value) -> ir.Value:
    """A constant defined again at the insertion point (in the kernel, where `x * 1` and
    `0 + x` then fold), else `value` itself (a kernel argument)."""
    owner = value.owner
    if not isinstance(owner, ir.Block) and owner.name == "arith.constant":
        return arith.constant(value.type, owner.attributes["value"])
    return value


def _launch(loop: ir.Operation) -> None:
    if len(loop.results):
        raise UnsupportedError(
            "a parallel loop with a reduction (a prange loop accumulating into a variable) "
            "is not lowered to the GPU", source_location(loop.location),
            hint="reduce an array expression instead (np.sum(...)), or run the function "
            "on the CPU")
    rank = len(loop.regions[0].blocks[0].arguments)
    lower, upper, step = (list(loop.operands[k * rank:(k + 1) * rank]) for k in range(3))
    index = ir.IndexType.get()
    zero, one = arith.constant(index, 0), arith.constant(index, 1)
    # host: trip count of each dim (none below zero) and of the whole space
    counts = [arith.maxsi(arith.ceildivsi(arith.subi(u, lo), s), zero)
              for lo, u, s in zip(lower, upper, step)]
    total = one
    for count in counts:
        total = arith.muli(total, count)
    block = arith.constant(index, BLOCK_SIZE)
    blocks = arith.ceildivsi(total, block)
    # an empty space still launches one block (whose threads do nothing): a grid of
    # zero blocks is a launch error
    grid = arith.maxsi(arith.minsi(blocks, arith.constant(index, MAX_GRID)), one)
    launch = launch_1d(grid, block)
    with ir.InsertionPoint(launch.body):
        first, stride = grid_stride(launch)
        threads = scf.ForOp(first, total, stride)
        with ir.InsertionPoint(threads.body):
            positions = delinearize(threads.induction_variable, counts)
            ivs = [arith.addi(_local(lo), arith.muli(p, _local(s)))
                   for lo, p, s in zip(lower, positions, step)]
            anchor = scf.YieldOp([])
        gpu.TerminatorOp()
    loop_body = loop.regions[0].blocks[0]
    for old, new in zip(loop_body.arguments, ivs):
        old.replace_all_uses_with(new)
    operations = list(loop_body.operations)
    for op in operations[:-1]:  # all but the loop's terminator (scf.reduce)
        op.move_before(anchor)
