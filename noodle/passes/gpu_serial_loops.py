"""The `gpu-serial-loops` pass: a sequential loop that only reads the function's own
temporary arrays, into scalars, runs as a one-thread kernel.

Such a loop is the tail of a parallel computation, such as the combination of the
per-chunk partials of a `prange` reduction: its data are on the device already, and
few, so one GPU thread beats copying them to the host. Its scalar results go through
rank-0 device buffers that the host reads after the launch.

Any other sequential loop touching arrays (reading the caller's arrays, writing arrays,
launching kernels) is left alone: that is the function's main work done one element at
a time, which the host plan rejects so that the function runs on the CPU.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith, gpu, memref

from noodle.passes.ir_walk import inside, nested_in, ops_where
from noodle.passes.memref_views import origin

PASS_NAME = "gpu-serial-loops"

_LOOPS = ("scf.for", "scf.while")


def _is_caller_array(value: ir.Value) -> bool:
    root = origin(value)
    return (isinstance(root, ir.BlockArgument)
            and root.owner.owner.operation.name == "func.func" and root.arg_number > 0)


def _is_status(value: ir.Value) -> bool:
    return (isinstance(value, ir.BlockArgument)
            and value.owner.owner.operation.name == "func.func" and value.arg_number == 0)


def runs_on_device(loop: ir.Operation) -> bool:
    """A host loop that reads only the function's temporaries, writes no array (the
    error status aside), launches nothing, and gives scalars."""
    if any(not isinstance(r.type, (ir.IntegerType, ir.IndexType, ir.FloatType))
           for r in loop.results):
        return False
    accesses = ops_where(loop, lambda op: op.name in ("memref.load", "memref.store"))
    if not accesses or ops_where(loop, lambda op: op.name == "gpu.launch"):
        return False
    if any(op.name == "memref.store" and not _is_status(op.operands[1]) for op in accesses):
        return False
    return not any(_is_caller_array(op.operands[0]) for op in accesses
                   if op.name == "memref.load")


def gpu_serial_loops(module: ir.Operation) -> None:
    """Rewrites `module` (a module operation) in place; usable as a PassManager pass."""
    chosen: list[ir.Operation] = []
    for loop in ops_where(module, lambda op: op.name in _LOOPS
                          and not inside(op, ("gpu.launch",))):
        if any(nested_in(loop, outer) for outer in chosen):
            continue
        if runs_on_device(loop):
            chosen.append(loop)
    for loop in chosen:
        with ir.InsertionPoint(loop), loop.location:
            _one_thread(loop)


def gpu_serial_loops_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(gpu_serial_loops_pass, name=PASS_NAME)`."""
    gpu_serial_loops(op)


def _one_thread(loop: ir.Operation) -> None:
    buffers = [memref.alloc(ir.MemRefType.get([], r.type), [], []) for r in loop.results]
    one = arith.constant(ir.IndexType.get(), 1)
    launch = gpu.LaunchOp((one, one, one), (one, one, one))
    body = launch.regions[0].blocks[0]
    with ir.InsertionPoint(body):
        end = gpu.TerminatorOp()
    for result, buffer in zip(loop.results, buffers):
        result.replace_all_uses_with(memref.load(buffer, []))
    loop.move_before(end)
    with ir.InsertionPoint(end):
        for result, buffer in zip(loop.results, buffers):
            memref.store(result, buffer, [])
