"""Building 1-d kernel launches: the `gpu.launch` of a 1-d grid of 1-d blocks, and the
grid-stride loop bounds each thread starts from. Shared by `gpu-map-loops` and
`gpu-reduce`, so that both number threads the same way."""
from __future__ import annotations

from dataclasses import dataclass

from mlir import ir
from mlir.dialects import arith, gpu


@dataclass
class Launch1d:
    """A `gpu.launch` of `grid` blocks of `block` threads: its body and the ids in it."""
    body: ir.Block
    block_id: ir.Value
    thread_id: ir.Value
    grid_dim: ir.Value
    block_dim: ir.Value


def launch_1d(grid: ir.Value, block: ir.Value) -> Launch1d:
    """A new `gpu.launch` at the insertion point, its body empty (the caller fills it and
    ends it with `gpu.TerminatorOp`)."""
    one = arith.constant(ir.IndexType.get(), 1)
    launch = gpu.LaunchOp((grid, one, one), (block, one, one))
    body = launch.regions[0].blocks[0]
    # the body's arguments: block ids, thread ids, grid and block sizes, x y z each
    return Launch1d(body, *(body.arguments[k] for k in (0, 3, 6, 9)))


def grid_stride(launch: Launch1d) -> tuple[ir.Value, ir.Value]:
    """(this thread's first position, the stride to its next) of a grid-stride loop, at
    the insertion point in the launch's body."""
    first = arith.addi(arith.muli(launch.block_id, launch.block_dim), launch.thread_id)
    return first, arith.muli(launch.grid_dim, launch.block_dim)
