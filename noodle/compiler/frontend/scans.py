"""Cumulative sums and products: `np.cumsum`, `np.cumprod` and the methods `a.cumsum()`,
`a.cumprod()`, with NumPy's result dtype and its order of operations.

NumPy accumulates along the axis one element after another (`np.add.accumulate`, not the
pairwise sum of `np.sum`), so a plain loop gives its float results bit for bit. Without an
axis the array is taken in C order as a vector (`ravel`). Integers smaller than the
platform's (and bools) accumulate as int64, unsigned ones as uint64, unless `dtype=` says
otherwise; they wrap around as NumPy's do.
"""
from __future__ import annotations

import ast

import numpy as np
from mlir import ir
from mlir.dialects import memref, scf

from noodle.compiler.frontend import reshape
from noodle.compiler.frontend.element_loops import loop_nest
from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import Array, Scalar, is_supported_dtype
from noodle.dialects import nir

#: kind -> (the ufunc that accumulates, its identity)
SCANS = {"cumsum": (np.add, 0), "cumprod": (np.multiply, 1)}


def cumulative(gen, kind: str, a: Val, axis: object, dtype: object, node: ast.AST) -> Val:
    """`np.cumsum(a, axis, dtype)` or `np.cumprod(...)`: `axis` None or a constant int,
    `dtype` None or a dtype."""
    if not isinstance(a.type, Array):
        a = gen.as_rank0(gen.scalar_or_array(a, node))
    if axis is None:
        a = reshape.ravel(gen, a, node) if a.type.ndim != 1 else a
        axis = 0
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise gen.unsupported(node, "the axis of a cumulative sum must be a constant int")
    if not -a.type.ndim <= axis < a.type.ndim:
        raise gen.typing_error(node, f"axis {axis} is out of bounds for an array of "
                               f"dimension {a.type.ndim}")
    axis = int(axis) % a.type.ndim
    ufunc, identity = SCANS[kind]
    result_dtype = np.dtype(dtype) if dtype is not None else _accumulator_dtype(a.type.dtype)
    if not is_supported_dtype(result_dtype):
        raise gen.unsupported(node, f"dtype {result_dtype} is not supported")
    sizes = gen.dims(a)
    out = Val(Array(result_dtype, a.type.ndim), nir.empty(result_dtype.name, sizes),
              fresh=True)
    element = Scalar(result_dtype)
    others = [d for d in range(a.type.ndim) if d != axis]

    # of a float sum, -0.0: x + -0.0 is x for every x, -0.0 too (0.0 would make it 0.0)
    if kind == "cumsum" and result_dtype.kind == "f":
        identity = -0.0

    def along_axis(outer: dict[int, ir.Value]) -> None:
        start = gen.const_scalar(element, identity)
        loop = scf.ForOp(index_constant(0), sizes[axis], index_constant(1), [start.ir])
        with ir.InsertionPoint(loop.body):
            indices = [outer.get(d, loop.induction_variable) for d in range(a.type.ndim)]
            total = Val(element, loop.inner_iter_args[0])
            item = gen.cast_scalar(Val(Scalar(a.type.dtype), memref.load(a.ir, indices)),
                                   element)
            total = gen.apply_ufunc(ufunc, [total, item], node, operator=False)
            memref.store(total.ir, out.ir, indices)
            scf.YieldOp([total.ir])

    def at_position(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        along_axis(dict(zip(others, at)))
        return carried

    loop_nest([sizes[d] for d in others], at_position)
    return out


def _accumulator_dtype(dtype: np.dtype) -> np.dtype:
    """NumPy's: the platform's integer for smaller integers and bools (unsigned for
    unsigned ones), else the array's own dtype."""
    return np.cumsum(np.zeros(1, dtype)).dtype  # cumprod's is the same
