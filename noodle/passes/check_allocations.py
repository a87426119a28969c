"""The `check-allocations` pass: a function stops with an error, as NumPy raises one, at
an allocation that cannot be made, instead of writing through a null or too small buffer.

Runs on memrefs after buffer deallocation, on the functions the frontend made: those
marked `noodle.status_cell`, whose first argument is the status cell (codegen). For each
`memref.alloc`:
- before it, its size in bytes is checked for overflow of a signed 64-bit size (NumPy's
  "array is too big", a ValueError): `np.zeros((2**32, 2**32))` would otherwise ask
  malloc for a wrapped, small size. Such an allocation asks for zero elements instead;
- after it, a null pointer means malloc failed (a MemoryError: `np.zeros((10**6,
  10**6))`). The allocation functions never return null for a size of zero
  (`huge-page-allocations`), so null means failure.

Either failure stores the allocation's error site in the status cell and calls
`noodle_allocation_failed`. scf has no early exit, so that call is a marker:
`return-on-failed-allocation` turns it into a return from the enclosing LLVM function
once control flow is no longer structured. By then the body of a parallel loop is a
function of its own (`async-parallel-for`), so a failing task ends its own block of
iterations; the function checks the status cell after the loop, as after a call. What
the function allocated before the failure is not freed: memory is short or the request
absurd, and the error ends the call.
"""
from __future__ import annotations

from collections.abc import Callable

from mlir import ir
from mlir.dialects import arith, func, memref, scf

from noodle.dialects.context import source_location
from noodle.errors import SourceLocation
from noodle.passes.ir_walk import ops_where, rewriting, top_level_ops

PASS_NAME = "check-allocations"
#: the op this pass runs on (registry.PASS_ANCHORS): it declares the marker in the module
PASS_ANCHOR = "builtin.module"

#: the unit attribute of a function whose first argument is the status cell
STATUS_CELL = "noodle.status_cell"
#: the function whose calls `return-on-failed-allocation` turns into returns
MARKER = "noodle_allocation_failed"

#: (error kind, where) -> the status code to store; the JIT makes one site per
#: allocation, so the error names the line that allocated
ErrorSites = Callable[[str, SourceLocation | None], int]


def check_allocations_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(check_allocations_pass, name=PASS_NAME)`;
    without error sites of a compile, every failure stores status code 1."""
    check_allocations_in(op)


def check_allocations_in(module: ir.Operation, error_site: ErrorSites | None = None) -> None:
    """Checks every `memref.alloc` in the status-cell functions of `module`."""
    sites = error_site or (lambda kind, where: 1)
    functions = [op for op in top_level_ops(module)
                 if op.name == "func.func" and STATUS_CELL in op.attributes]
    checked = False
    for function in functions:
        del function.attributes[STATUS_CELL]
        status = function.regions[0].blocks[0].arguments[0]
        for alloc in ops_where(function, lambda op: op.name == "memref.alloc"):
            with rewriting(alloc), alloc.location:
                _check(alloc, status, sites)
            checked = True
    if checked:
        _declare_marker(module)


def _check(alloc: ir.Operation, status: ir.Value, sites: ErrorSites) -> None:
    where = _source_location(alloc.location)
    too_big = _too_big(alloc)
    if too_big is not None:
        # no allocation at all rather than one of a wrapped size; the code after it
        # returns before anything uses the sizes
        dynamic = _dynamic_sizes(ir.MemRefType(alloc.result.type))
        with ir.InsertionPoint(alloc):
            zero = arith.constant(ir.IndexType.get(), 0)
            for k in range(dynamic):
                alloc.operands[k] = arith.select(too_big, zero, alloc.operands[k])
    with ir.InsertionPoint.after(alloc):
        pointer = memref.extract_aligned_pointer_as_index(alloc.result)
        failed = arith.cmpi(arith.CmpIPredicate.eq, pointer,
                            arith.constant(ir.IndexType.get(), 0))
        i64 = ir.IntegerType.get_signless(64)
        out_of_memory = arith.constant(i64, sites("out_of_memory", where))
        code = out_of_memory
        if too_big is not None:
            failed = arith.ori(too_big, failed)
            code = arith.select(too_big, arith.constant(i64, sites("array_too_big", where)),
                                out_of_memory)
        branch = scf.IfOp(failed)
        with ir.InsertionPoint(branch.then_block):
            memref.store(code, status, [])
            func.call([], MARKER, [])
            scf.yield_([])


def _too_big(alloc: ir.Operation) -> ir.Value | None:
    """Whether the allocation's size in bytes exceeds the largest signed 64-bit size (an
    i1 value computed before it), or None where its sizes are all static."""
    memref_type = ir.MemRefType(alloc.result.type)
    dynamic = _dynamic_sizes(memref_type)
    if dynamic == 0:
        return None
    element_bytes = _element_bytes(memref_type.element_type)
    static = element_bytes
    for size in memref_type.shape:
        if size != ir.ShapedType.get_dynamic_size():
            static *= size
    i64 = ir.IntegerType.get_signless(64)
    with ir.InsertionPoint(alloc):
        zero = arith.constant(i64, 0)
        total = arith.constant(i64, static)
        overflow = None
        for k in range(dynamic):
            size = arith.index_cast(i64, alloc.operands[k])
            # the sizes are never negative (the frontend checks): unsigned products
            product = arith.MulUIExtendedOp(total, size)
            total = product.low
            high = arith.cmpi(arith.CmpIPredicate.ne, product.high, zero)
            overflow = high if overflow is None else arith.ori(overflow, high)
        negative = arith.cmpi(arith.CmpIPredicate.slt, total, zero)
        return arith.ori(overflow, negative)


def _dynamic_sizes(memref_type: ir.MemRefType) -> int:
    """How many sizes of the type are dynamic (the allocation's first operands)."""
    return sum(size == ir.ShapedType.get_dynamic_size() for size in memref_type.shape)


def _element_bytes(element_type: ir.Type) -> int:
    if isinstance(element_type, ir.ComplexType):
        return 2 * _element_bytes(element_type.element_type)
    if isinstance(element_type, ir.IndexType):
        return 8
    return (element_type.width + 7) // 8  # integers and floats; a bool is a byte


def _source_location(location: ir.Location) -> SourceLocation | None:
    """The first file location in `location` (fused, named or call-site locations hold
    the frontend's file location of the allocating expression)."""
    if location.is_a_file():
        return source_location(location)
    if location.is_a_fused():
        return next(filter(None, map(_source_location, location.locations)), None)
    if location.is_a_name():
        return _source_location(location.child_loc)
    if location.is_a_callsite():
        return _source_location(location.callee)
    return None


def _declare_marker(module: ir.Operation) -> None:
    if any(op.name == "func.func" and ir.StringAttr(op.attributes["sym_name"]).value == MARKER
           for op in top_level_ops(module)):
        return
    with ir.InsertionPoint(module.regions[0].blocks[0]), ir.Location.unknown():
        func.FuncOp(MARKER, ir.FunctionType.get([], []), visibility="private")
