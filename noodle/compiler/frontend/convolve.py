"""`np.convolve(a, v, mode="full")` of two 1-D arrays: each element of the result a sum
of products, `out[k] = sum_j a[k - j] * v[j]` over the j where both exist, in
`result_type(a, v)`; mode "same" keeps the middle max(n, m) elements, "valid" those
where v overlaps a whole. As NumPy: the longer array slides past the shorter one, an
empty one is a ValueError. NumPy sums each element with its dtype's dot product (BLAS
for floats), so float results agree to rounding, not bit for bit.
"""
from __future__ import annotations

import ast

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.compiler.frontend.element_loops import loop_nest
from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import Array, Scalar
from noodle.dialects import nir

MODES = ("full", "same", "valid")


def convolve(gen, a: Val, v: Val, mode: object, node: ast.AST) -> Val:
    for x in (a, v):
        if not isinstance(x.type, Array) or x.type.ndim != 1 or x.type.dtype.kind not in "biuf":
            raise gen.typing_error(node, f"np.convolve takes two 1-D arrays of numbers, not "
                                   f"{x.type}")
    if mode not in MODES:
        raise gen.typing_error(node, f"np.convolve's mode must be one of {MODES}")
    dtype = np.result_type(a.type.dtype, v.type.dtype)
    element = Scalar(dtype)
    n, m = gen.dims(a)[0], gen.dims(v)[0]
    empty = arith.ori(*(arith.cmpi(arith.CmpIPredicate.eq, d, index_constant(0))
                        for d in (n, m)))
    gen.raise_if(empty, "convolve_empty", node)
    # the longer one slides past the shorter one, as NumPy swaps them
    swap = arith.cmpi(arith.CmpIPredicate.ult, n, m)
    long_n, short_m = arith.maxui(n, m), arith.minui(n, m)
    one = index_constant(1)
    full = arith.subi(arith.addi(long_n, short_m), one)
    size, shift = {"full": (full, index_constant(0)),
                   "same": (long_n, arith.divui(arith.subi(short_m, one), index_constant(2))),
                   "valid": (arith.addi(arith.subi(long_n, short_m), one),
                             arith.subi(short_m, one))}[mode]
    size = arith.select(empty, index_constant(0), size)  # past the error: nothing read
    out = Val(Array(dtype, 1), nir.empty(dtype.name, [size]), fresh=True)

    def load(x: Val, i: ir.Value) -> Val:
        return gen.cast_scalar(Val(Scalar(x.type.dtype), memref.load(x.ir, [i])), element)

    def element_at(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        k = arith.addi(at[0], shift)
        # j over the short one, where k - j lies in the long one
        low = arith.select(arith.cmpi(arith.CmpIPredicate.uge, k, long_n),
                           arith.addi(arith.subi(k, long_n), one), index_constant(0))
        high = arith.minui(arith.addi(k, one), short_m)
        total = scf.ForOp(low, high, one, [gen.const_scalar(element, 0).ir])
        with ir.InsertionPoint(total.body):
            j = total.induction_variable
            i = arith.subi(k, j)
            # a[k - j] * v[j] over the short one's j; swapped, a is the short one
            x = load(a, arith.select(swap, j, i))
            y = load(v, arith.select(swap, i, j))
            product = gen.apply_ufunc(np.multiply, [x, y], node, operator=False)
            scf.YieldOp([gen.apply_ufunc(np.add, [Val(element, total.inner_iter_args[0]),
                                                  product], node, operator=False).ir])
        memref.store(total.results[0], out.ir, at)
        return carried

    loop_nest([size], element_at)
    return out
