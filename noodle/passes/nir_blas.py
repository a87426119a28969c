"""Matrix products of f32/f64 matrices as a call of a BLAS `gemm`, where the operands'
layouts let BLAS read them, else noodle's own loop nest.

BLAS reads a matrix whose rows (or columns) are contiguous, each `ld` elements after
the previous one: a C-ordered array, a Fortran-ordered one (passed transposed), or a
slice of either. Anything else (negative or zero strides, both strides > 1) and empty
products take the loops. The routines are named by noodle's own symbols, which the
compiler binds to the library's when it loads a kernel (`compiler/blas.py`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mlir import ir
from mlir.dialects import arith, func, scf

from noodle.passes.blas_symbols import GEMM_SYMBOLS, BlasInterface
from noodle.passes.nir_buffers import view_parts
from noodle.passes.nir_dtypes import DType
from noodle.passes.nir_libm import declare_function

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


def gemm_or_loops(a: ir.Value, b: ir.Value, out: ir.Value, dtype: DType,
                  blas: BlasInterface, loops: Callable[[], None]) -> None:
    """out = a @ b for 2-D a, b and a fresh C-ordered `out`: by BLAS where it can read
    both operands, else by `loops()`."""
    int_type = ir.IntegerType.get_signless(blas.int_bits)
    a_layout, b_layout = _layout(a, int_type), _layout(b, int_type)
    rows, inner = a_layout.sizes
    columns = b_layout.sizes[1]
    nonempty = _all([_positive(rows), _positive(inner), _positive(columns)])
    usable = _all([nonempty, a_layout.readable, b_layout.readable])
    branch = scf.IfOp(usable, [], has_else=True)
    with ir.InsertionPoint(branch.then_block):
        element = dtype.element_type
        one, zero = arith.constant(element, 1.0), arith.constant(element, 0.0)
        i32 = ir.IntegerType.get_signless(32)
        arguments = [arith.constant(i32, _ROW_MAJOR), a_layout.transpose, b_layout.transpose,
                     *(arith.index_cast(int_type, n) for n in (rows, columns, inner)),
                     one, a_layout.pointer, a_layout.leading, b_layout.pointer,
                     b_layout.leading, zero, _pointer(view_parts(out)[0]),
                     arith.index_cast(int_type, columns)]
        symbol = GEMM_SYMBOLS["dgemm" if dtype.width == 64 else "sgemm"]
        declare_function(symbol, ir.FunctionType.get([v.type for v in arguments], []))
        func.call([], ir.FlatSymbolRefAttr.get(symbol), arguments)
        scf.YieldOp([])
    with ir.InsertionPoint(branch.else_block):
        loops()
        scf.YieldOp([])


@dataclass
class _Layout:
    sizes: list[ir.Value]
    readable: ir.Value  # i1: rows or columns contiguous, at a valid distance
    transpose: ir.Value  # i32: CblasNoTrans for rows, CblasTrans for columns
    leading: ir.Value  # the distance between rows (or columns), in elements
    pointer: ir.Value  # the address of the first element, as an integer


def _layout(matrix: ir.Value, int_type: ir.Type) -> _Layout:
    start, sizes, strides = view_parts(matrix)
    one = arith.constant(ir.IndexType.get(), 1)
    rows_contiguous = _all([_equal(strides[1], one), _at_least(strides[0], sizes[1])])
    columns_contiguous = _all([_equal(strides[0], one), _at_least(strides[1], sizes[0])])
    i32 = ir.IntegerType.get_signless(32)
    transpose = arith.select(rows_contiguous, arith.constant(i32, _NO_TRANS),
                             arith.constant(i32, _TRANS))
    leading = arith.select(rows_contiguous, strides[0], strides[1])
    return _Layout(sizes, arith.ori(rows_contiguous, columns_contiguous), transpose,
                   arith.index_cast(int_type, leading), _pointer(start))


def _pointer(address: ir.Value) -> ir.Value:
    """An address as an i64 (which the C calling convention passes as it passes a
    pointer)."""
    return arith.index_cast(ir.IntegerType.get_signless(64), address)


def _all(conditions: list[ir.Value]) -> ir.Value:
    result = conditions[0]
    for condition in conditions[1:]:
        result = arith.andi(result, condition)
    return result


def _equal(a: ir.Value, b: ir.Value) -> ir.Value:
    return arith.cmpi(arith.CmpIPredicate.eq, a, b)


def _at_least(stride: ir.Value, size: ir.Value) -> ir.Value:
    """stride >= max(1, size): BLAS's rule for a leading dimension."""
    one = arith.constant(ir.IndexType.get(), 1)
    return arith.cmpi(arith.CmpIPredicate.sge, stride, arith.maxsi(size, one))


def _positive(n: ir.Value) -> ir.Value:
    return arith.cmpi(arith.CmpIPredicate.sgt, n, arith.constant(ir.IndexType.get(), 0))
