"""The `guided-parallel-loops` pass: each one-dimensional `scf.parallel` loop runs its
iterations in contiguous chunks that shrink towards the end of the range, so the threads
that share them out finish together (guided scheduling, as OpenMP's `schedule(guided)`).

Why: `async-parallel-for` cuts a loop into blocks of equal length, and a thread takes the
next block when it is done with one. When iterations cost unequal time (a prange over
the rows of an image, where a row costs what its pixels do), the last block to finish
decides the kernel's end, and its thread works alone meanwhile: for mandelbrot 400x300
on 2 threads that wait was ~60 us, 1.3% of the kernel. With chunks that shrink, the last
ones are an iteration or less long. They are taken in order only if the tasks run in the
order they were made: `pipeline.PRANGE_TO_TASKS` makes them one after another
(`async-dispatch=false`) onto noodle's runtime, whose queue runs them first in, first
out.

A loop of `n` iterations becomes `C = min(n, CHUNKS_PER_THREAD * threads)` chunks, the
threads those of the async runtime when the loop runs. Chunk `c` ends at iteration
`floor(n * (1 - (1 - (c+1)/C)^2))`: the chunks' lengths fall linearly from about 2n/C to
nothing (trapezoid self-scheduling), so the first round of chunks, one per thread, is
7/16 of the work (with 4 chunks per thread). The split depends only on `n` and the
thread count, and each iteration still runs once, by itself, in order within its chunk.

Loops with results (reductions on `scf.parallel`, which `async-parallel-for` leaves
serial) and loops inside GPU kernels are left alone.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith, scf

from noodle.passes.ir_walk import inside, ops_where, rewriting

PASS_NAME = "guided-parallel-loops"

#: Chunks per thread. Each chunk is a task, which costs about a microsecond to make,
#: queue and finish: a prange loop storing 120,000 elements took 12 us with 4 chunks
#: per thread, 17 us with 8 and 26 us with 16, on 2 threads (16 us serially). Speed-ups
#: of mandelbrot 400x300's parallel kernel over its serial one on 2 threads, three runs
#: each: 4 per thread 2.05-2.06x, 8 per thread 2.05-2.06x, 16 per thread 2.03-2.04x
#: (Intel); earlier, on AMD: 16 1.91-1.99x, 32 1.91-1.98x, 64 1.92-1.97x, 154 equal
#: blocks (async-parallel-for alone) 1.89-1.96x. A prange whose rows cost i**2 kept
#: its speed-up with 4 per thread (1.92-2.17x, 16 per thread 1.88-2.03x).
CHUNKS_PER_THREAD = 4

#: At most this many chunks, so that `chunk_start`'s products fit in 64 bits
MAX_CHUNKS = 4096

#: Marks a loop this pass made (a loop over chunks), so that running it twice changes
#: nothing
_CHUNKED = "noodle.guided_chunks"


def guided_parallel_loops(root: ir.Operation) -> None:
    """Rewrites the parallel loops in `root` in place; usable as a PassManager pass."""
    loops = ops_where(root, lambda op: op.name == "scf.parallel" and _chunkable(op))
    for loop in loops:
        with rewriting(loop), ir.InsertionPoint(loop), loop.location:
            _split_into_chunks(loop)
        loop.erase()


def guided_parallel_loops_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(guided_parallel_loops_pass, name=PASS_NAME)`."""
    guided_parallel_loops(op)


def _chunkable(loop: ir.Operation) -> bool:
    return (len(loop.regions[0].blocks[0].arguments) == 1 and len(loop.results) == 0
            and _CHUNKED not in loop.attributes
            and not inside(loop, ("gpu.launch", "gpu.func")))


def _split_into_chunks(loop: ir.Operation) -> None:
    """Builds the loop over chunks in front of `loop`, and moves `loop`'s body into it."""
    index = ir.IndexType.get()
    lower, upper, step = loop.operands[0], loop.operands[1], loop.operands[2]
    zero, one = arith.constant(index, 0), arith.constant(index, 1)
    # steps are positive; the distance, wrapped, is right as an unsigned number
    ahead = arith.cmpi(arith.CmpIPredicate.sgt, upper, lower)
    count = arith.select(ahead, arith.ceildivui(arith.subi(upper, lower), step), zero)
    threads = ir.Operation.create("async.runtime.num_worker_threads", results=[index]).result
    wanted = arith.muli(threads, arith.constant(index, CHUNKS_PER_THREAD))
    chunks = arith.minui(count, arith.minui(wanted, arith.constant(index, MAX_CHUNKS)))

    square, twice = arith.muli(chunks, chunks), arith.addi(chunks, chunks)
    outer = scf.ParallelOp([], [zero], [chunks], [one], [])
    outer.attributes[_CHUNKED] = ir.UnitAttr.get()
    chunk = outer.regions[0].blocks.append(index).arguments[0]
    with ir.InsertionPoint(outer.regions[0].blocks[0]):
        first = chunk_start(chunk, twice, square, count)
        end = chunk_start(arith.addi(chunk, one), twice, square, count)
        inner = scf.ForOp(first, end, one)
        with ir.InsertionPoint(inner.body):
            iteration = arith.addi(lower, arith.muli(inner.induction_variable, step))
            inner_end = scf.YieldOp([])
        scf.ReduceOp([], 0)

    body = loop.regions[0].blocks[0]
    body.arguments[0].replace_all_uses_with(iteration)
    for op in list(body.operations)[:-1]:  # all but its terminator, scf.reduce
        op.move_before(inner_end)


def chunk_start(chunk: ir.Value, twice_chunks: ir.Value, square_chunks: ir.Value,
                count: ir.Value) -> ir.Value:
    """The first iteration of chunk `chunk` of C (0 <= chunk <= C; all unsigned), given
    2C and C^2: floor(count * chunk * (2C - chunk) / C^2), without overflow. With
    count = q C^2 + r and f = chunk (2C - chunk) <= C^2, it is q f + floor(r f / C^2),
    and r f < C^4 <= 2^48."""
    share = arith.muli(chunk, arith.subi(twice_chunks, chunk))
    whole = arith.muli(arith.divui(count, square_chunks), share)
    rest = arith.muli(arith.remui(count, square_chunks), share)
    return arith.addi(whole, arith.divui(rest, square_chunks))
