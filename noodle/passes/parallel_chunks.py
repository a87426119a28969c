"""How `parallel=True` splits a reduction: into at most `MAX_CHUNKS` contiguous chunks
of at least a given number of iterations, each reduced in order on its own, their results
combined in chunk order. The split depends only on the trip count, never on the
machine's cores, so a parallel reduction gives the same result on every machine (and
equals the serial one up to the reassociation of floats)."""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith

#: Enough chunks for the cores of a large machine to share out unevenly long ones, few
#: enough that combining their results costs nothing.
MAX_CHUNKS = 64

#: Array elements worth a task of their own: smaller loops stay on the caller's thread
#: (a task costs a few microseconds to hand to another thread).
MIN_TASK_SIZE = 32768


def chunking(count: ir.Value, min_chunk: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(chunks, iterations per chunk) for `count` iterations (indices): at most
    `MAX_CHUNKS` chunks of at least `min_chunk` iterations (one chunk if there are
    fewer), none of them empty; no chunk when `count` is 0."""
    index = ir.IndexType.get()
    one = arith.constant(index, 1)
    wanted = arith.ceildivsi(count, min_chunk)
    chunks = arith.minsi(wanted, arith.constant(index, MAX_CHUNKS))
    per_chunk = arith.ceildivsi(count, arith.maxsi(chunks, one))
    # 65 iterations in 64 chunks take 2 each: 33 chunks, not 31 empty ones at the end
    return arith.ceildivsi(count, arith.maxsi(per_chunk, one)), per_chunk


def chunk_bounds(chunk: ir.Value, per_chunk: ir.Value,
                 count: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(first iteration, iterations) of chunk number `chunk`."""
    first = arith.muli(chunk, per_chunk)
    return first, arith.minsi(per_chunk, arith.subi(count, first))
