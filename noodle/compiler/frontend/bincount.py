"""`np.bincount(x, weights=None, minlength=0)`: how many times each value of a 1-D array
of non-negative integers occurs (or the sum of the weights at its positions), as NumPy
counts: one pass finds the largest value (and refuses a negative one), the next adds
into a zeroed result of `max(largest + 1, minlength)` elements, in x's order, so that
weighted sums round as NumPy's do.

NumPy checks in this order: minlength, negative values, then the weights' length; of
an empty x it checks no weights, and gives int64 zeros even with weights. The last one
compiled code cannot follow (a dtype known only at run time): it gives float64 zeros.
"""
from __future__ import annotations

import ast

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import FLOAT64, INT64, Array, Scalar


def bincount(gen, x: Val, weights: Val | None, minlength: Val | None,
             node: ast.AST) -> Val:
    if not isinstance(x.type, Array) or x.type.ndim != 1:
        raise gen.typing_error(node, f"np.bincount counts the values of a 1-D array, not "
                               f"of {x.type}")
    if x.type.dtype.kind not in "biu":
        raise gen.typing_error(node, f"np.bincount counts integers: cannot cast "
                               f"{x.type.dtype} to int64 according to the rule 'safe'")
    if weights is not None and (not isinstance(weights.type, Array)
                                or weights.type.ndim != 1
                                or weights.type.dtype.kind not in "biuf"):
        raise gen.typing_error(node, f"np.bincount's weights must be a 1-D array of "
                               f"numbers, not {weights.type}")
    i64, index = ir.IntegerType.get_signless(64), ir.IndexType.get()
    if minlength is None:
        least = arith.constant(i64, 0)
    else:
        if not isinstance(minlength.type, Scalar) or minlength.type.dtype.kind not in "iu":
            raise gen.typing_error(node, "np.bincount's minlength must be an integer")
        least = gen.cast_scalar(minlength, Scalar(INT64)).ir
        gen.raise_if(arith.cmpi(arith.CmpIPredicate.slt, least, arith.constant(i64, 0)),
                     "bincount_minlength", node)
    n = gen.dims(x)[0]

    def value(i: ir.Value) -> ir.Value:
        return gen.cast_scalar(Val(Scalar(x.type.dtype), memref.load(x.ir, [i])),
                               Scalar(INT64)).ir

    extremes = scf.ForOp(index_constant(0), n, index_constant(1),
                         [arith.constant(i64, -1), arith.constant(i64, 0)])
    with ir.InsertionPoint(extremes.body):
        largest, smallest = extremes.inner_iter_args
        v = value(extremes.induction_variable)
        scf.YieldOp([arith.maxsi(largest, v), arith.minsi(smallest, v)])
    largest, smallest = extremes.results
    negative = arith.cmpi(arith.CmpIPredicate.slt, smallest, arith.constant(i64, 0))
    gen.raise_if(negative, "bincount_negative", node)
    bad = negative
    if weights is not None:
        mismatch = arith.cmpi(arith.CmpIPredicate.ne, gen.dims(weights)[0], n)
        nonempty = arith.cmpi(arith.CmpIPredicate.ne, n, index_constant(0))
        mismatch = arith.andi(mismatch, nonempty)
        gen.raise_if(mismatch, "bincount_weights", node)
        bad = arith.ori(bad, mismatch)
    dtype = INT64 if weights is None else FLOAT64

    def count() -> Val:
        size = arith.index_cast(index, arith.maxsi(
            arith.addi(largest, arith.constant(i64, 1)), least))
        counts = gen.allocate([size], dtype, 0, node, checked=False)
        adding = scf.ForOp(index_constant(0), n, index_constant(1), [])
        with ir.InsertionPoint(adding.body):
            i = adding.induction_variable
            at = [arith.index_cast(index, value(i))]
            before = Val(Scalar(dtype), memref.load(counts.ir, at))
            if weights is None:
                total = arith.addi(before.ir, arith.constant(i64, 1))
            else:
                weight = gen.cast_scalar(Val(Scalar(weights.type.dtype),
                                             memref.load(weights.ir, [i])), Scalar(FLOAT64))
                total = gen.apply_ufunc(np.add, [before, weight], node, operator=False).ir
            memref.store(total, counts.ir, at)
            scf.YieldOp([])
        return counts

    # never an index below 0, nor a weight beyond the weights
    return gen.unless_failed(bad, Array(dtype, 1), count)
