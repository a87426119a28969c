"""`np.linspace(start, stop, num=50, endpoint=True, dtype=None)` of scalars, computed as
NumPy 2 computes it, so that results agree bit for bit.

NumPy works in the inexact dtype of start and stop (float64 for ints): `step = (stop -
start) / div` with `div = num - 1` (`num` without the endpoint), then `i * step + start`
for each i (where step underflows to zero, `i / div * delta + start`; where div is zero,
`i * delta + start`), the last element set to `stop` when the endpoint is included, and
for an integer dtype the values floored before the conversion.
"""
from __future__ import annotations

import ast

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import PY_FLOAT, Array, Scalar, is_supported_dtype, result_dtype
from noodle.dialects import nir


def linspace(gen, start: Val, stop: Val, num: Val, endpoint: bool, dtype: object,
             node: ast.AST) -> Val:
    for value, name in ((start, "start"), (stop, "stop")):
        if not isinstance(value.type, Scalar):
            raise gen.unsupported(node, f"np.linspace takes a scalar {name} here, not "
                                  f"{value.type}")
    if not isinstance(num.type, Scalar) or num.type.dtype.kind not in "iu":
        raise gen.typing_error(node, f"np.linspace's num must be an integer, not {num.type}")
    work = Scalar(result_dtype(start.type, stop.type, PY_FLOAT))
    out_dtype = np.dtype(dtype) if dtype is not None else work.dtype
    if not is_supported_dtype(out_dtype):
        raise gen.unsupported(node, f"dtype {out_dtype} is not supported")
    count = gen.to_index(num, node)
    negative = arith.cmpi(arith.CmpIPredicate.slt, count, index_constant(0))
    gen.raise_if(negative, "linspace_num", node)
    count = arith.select(negative, index_constant(0), count)
    first, last = gen.cast_scalar(start, work), gen.cast_scalar(stop, work)
    delta = _binary(gen, np.subtract, last, first, node)
    div_index = arith.subi(count, index_constant(1)) if endpoint else count
    div = gen.cast_scalar(gen.from_index(div_index), work)
    positive = arith.cmpi(arith.CmpIPredicate.sgt, div_index, index_constant(0))
    step = _binary(gen, np.true_divide, delta, div, node)
    zero = gen.const_scalar(work, 0)
    step_zero = nir.compare("eq", work.dtype.name, step.ir, zero.ir,
                            ir.IntegerType.get_signless(1))
    out = Val(Array(out_dtype, 1), nir.empty(out_dtype.name, [count]), fresh=True)
    loop = scf.ForOp(index_constant(0), count, index_constant(1), [])
    with ir.InsertionPoint(loop.body):
        i = gen.cast_scalar(gen.from_index(loop.induction_variable), work)
        by_step = _binary(gen, np.multiply, i, step, node)
        by_fraction = _binary(gen, np.multiply, _binary(gen, np.true_divide, i, div, node),
                              delta, node)
        by_delta = _binary(gen, np.multiply, i, delta, node)
        scaled = arith.select(positive, arith.select(step_zero, by_fraction.ir, by_step.ir),
                              by_delta.ir)
        value = _binary(gen, np.add, Val(work, scaled), first, node)
        if endpoint:
            is_last = arith.andi(arith.cmpi(arith.CmpIPredicate.eq, loop.induction_variable,
                                            div_index), positive)
            value = Val(work, arith.select(is_last, last.ir, value.ir))
        if out_dtype.kind in "iu":  # not bool: NumPy floors integer dtypes only
            value = gen.apply_ufunc(np.floor, [value], node, kind="floor", operator=False)
        memref.store(gen.cast_scalar(value, Scalar(out_dtype)).ir, out.ir,
                     [loop.induction_variable])
        scf.YieldOp([])
    return out


def _binary(gen, ufunc: np.ufunc, a: Val, b: Val, node) -> Val:
    return gen.apply_ufunc(ufunc, [a, b], node, operator=False)
