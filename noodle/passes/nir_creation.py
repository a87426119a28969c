"""Array creation: `nir.empty`, `nir.full` and `nir.arange` as fresh buffers."""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith

from noodle.passes.nir_buffers import alloc_buffer, as_canonical, element_type_of
from noodle.passes.nir_cast import cast_scalar
from noodle.passes.nir_dtypes import DType, dtype_attr
from noodle.passes.nir_elementwise import write_elementwise
from noodle.passes.nir_linalg import PARALLEL, dims_map, generic, index

_I64 = DType("int64")


def lower_empty(op: ir.Operation) -> ir.Value:
    return as_canonical(alloc_buffer(element_type_of(op.result.type), list(op.operands)))


def lower_full(op: ir.Operation) -> ir.Value:
    value, *dims = op.operands
    buffer = alloc_buffer(element_type_of(op.result.type), dims)
    write_elementwise(buffer, dims, [value], lambda v: v)
    return as_canonical(buffer)


def lower_arange(op: ir.Operation) -> ir.Value:
    """start + i * delta, with NumPy's delta = (start + step) - start for floats.

    NumPy's fill computes the second element and then steps by the difference of the
    first two, which can differ from `step` in the last bit.
    """
    start, step, count = op.operands
    dtype = dtype_attr(op)
    delta = arith.subf(arith.addf(start, step), start) if dtype.is_float else step
    buffer = alloc_buffer(element_type_of(op.result.type), [count])

    def element(_: ir.Value) -> ir.Value:
        position = arith.index_cast(_I64.element_type, index(0))
        i = cast_scalar(_I64, dtype, position)
        multiply, add = (arith.mulf, arith.addf) if dtype.is_float else (arith.muli, arith.addi)
        return add(start, multiply(i, delta))

    generic([], [buffer], [dims_map(1, [0])], [PARALLEL], element)
    return as_canonical(buffer)
