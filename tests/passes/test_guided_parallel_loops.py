"""guided-parallel-loops' chunk schedule, run as machine code: the chunks cover a loop's
iterations once, in order, from long to short, for any trip count up to 2^64 - 1 (the
arithmetic must not overflow). tests/filecheck/guided-parallel-loops.mlir shows the
rewrite; tests/jit/test_parallel.py, prange loops run in chunks."""
import ctypes

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from mlir import ir, passmanager
from mlir.dialects import arith, func, memref, scf
from mlir.execution_engine import ExecutionEngine
from mlir.runtime import get_ranked_memref_descriptor

from noodle.dialects import make_context
from noodle.passes.guided_parallel_loops import MAX_CHUNKS, chunk_start

TO_LLVM = ("builtin.module(convert-scf-to-cf,expand-strided-metadata,finalize-memref-to-llvm,"
           "convert-arith-to-llvm,convert-cf-to-llvm,convert-func-to-llvm,"
           "reconcile-unrealized-casts)")


@pytest.fixture(scope="module")
def schedule():
    """schedule(count, chunks) -> the first iteration of each chunk and the end, as the
    pass computes them (uint64)."""
    context = make_context()
    with context, ir.Location.unknown():
        module = ir.Module.create()
        index = ir.IndexType.get()
        starts_type = ir.MemRefType.get([ir.ShapedType.get_dynamic_size()], index)
        with ir.InsertionPoint(module.body):
            function = func.FuncOp("schedule", ([index, index, starts_type], []))
            function.attributes["llvm.emit_c_interface"] = ir.UnitAttr.get()
            with ir.InsertionPoint(function.add_entry_block()):
                count, chunks, starts = function.arguments
                one = arith.constant(index, 1)
                square, twice = arith.muli(chunks, chunks), arith.addi(chunks, chunks)
                loop = scf.ForOp(arith.constant(index, 0), arith.addi(chunks, one), one)
                with ir.InsertionPoint(loop.body):
                    chunk = loop.induction_variable
                    memref.store(chunk_start(chunk, twice, square, count), starts, [chunk])
                    scf.YieldOp([])
                func.ReturnOp([])
        passmanager.PassManager.parse(TO_LLVM).run(module.operation)
        engine = ExecutionEngine(module, opt_level=2)

    def run(count: int, chunks: int) -> list[int]:
        starts = np.zeros(chunks + 1, dtype=np.uint64)
        descriptor = ctypes.pointer(ctypes.pointer(get_ranked_memref_descriptor(starts)))
        engine.invoke("schedule", ctypes.pointer(ctypes.c_uint64(count)),
                      ctypes.pointer(ctypes.c_uint64(chunks)), descriptor)
        return [int(s) for s in starts]

    run.engine = engine
    return run


def assert_guided(starts: list[int], count: int, chunks: int) -> None:
    """Exactly the formula, and the properties the runtime relies on."""
    assert starts == [count * c * (2 * chunks - c) // chunks**2 for c in range(chunks + 1)]
    lengths = [b - a for a, b in zip(starts, starts[1:])]
    assert starts[0] == 0 and starts[-1] == count and min(lengths) >= 0
    # long first, short last: at least an even share first, a length at most one above
    # the one before (rounding), and at most about count / chunks^2 last
    assert lengths[0] >= count // chunks
    assert all(b <= a + 1 for a, b in zip(lengths, lengths[1:]))
    assert lengths[-1] <= count // chunks**2 + 1


@pytest.mark.parametrize("count, chunks", [
    (1, 1), (2, 2), (3, 2), (300, 32), (1000, 32), (33, 32), (10**6, 256),
    (2**64 - 1, 32), (2**64 - 1, MAX_CHUNKS), (2**63 + 12345, 4095), (MAX_CHUNKS, MAX_CHUNKS)])
def test_chunks_cover_the_iterations_from_long_to_short(schedule, count, chunks):
    assert_guided(schedule(count, chunks), count, chunks)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2**64 - 1), st.integers(1, MAX_CHUNKS))
def test_any_trip_count_and_chunk_count(schedule, count, chunks):
    chunks = min(chunks, count)  # the pass never makes more chunks than iterations
    assert_guided(schedule(count, chunks), count, chunks)
