"""Building blocks of the passes that write math functions out in arith ops
(`approximate_exp`, `approximate_log`): the float formats' bit layouts, contractible
multiply-adds, powers of two made from bits, and the walk that replaces scalar ops."""
from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref
from mlir.dialects import math as math_dialect


@dataclass(frozen=True)
class FloatFormat:
    """An IEEE binary format: its width, mantissa bits and exponent bias."""
    width: int
    mantissa_bits: int
    exponent_bias: int

    @property
    def int_type(self) -> ir.Type:
        return ir.IntegerType.get_signless(self.width)

    def bits(self, value: float) -> int:
        """The bit pattern of `value` in this format, as an unsigned integer."""
        return int.from_bytes(struct.pack("<d" if self.width == 64 else "<f", value),
                              "little")


F64, F32 = FloatFormat(64, 52, 1023), FloatFormat(32, 23, 127)


def format_of(t: ir.Type) -> FloatFormat | None:
    """The format of a scalar f32 or f64 type (None for anything else)."""
    if isinstance(t, ir.F64Type):
        return F64
    if isinstance(t, ir.F32Type):
        return F32
    return None


def replace_scalar_ops(root: ir.Operation, op_name: str,
                       build: Callable[..., ir.Value]) -> None:
    """Replaces every `op_name` op on a scalar f32/f64 nested in `root` by `build` of
    its operands (one argument per operand: `math.powf` has two), built in its place."""
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name == op_name and format_of(op.operands[0].type) is not None:
            found.append(op)
        return ir.WalkResult.ADVANCE

    root.walk(visit, ir.WalkOrder.PRE_ORDER)
    for op in found:
        with ir.InsertionPoint(op), op.location:
            value = build(*op.operands)
        op.result.replace_all_uses_with(value)
        op.erase()


def multiply_add(a: ir.Value, b: ir.Value, c: ir.Value) -> ir.Value:
    """a * b + c; LLVM may contract it into one fused multiply-add where the machine has
    one (it only gets more accurate)."""
    contract = ir.Attribute.parse("#arith.fastmath<contract>")
    return arith.addf(arith.mulf(a, b, fastmath=contract), c, fastmath=contract)


def power_of_two(exponent: ir.Value, fmt: FloatFormat) -> ir.Value:
    """2^exponent, for an integral float `exponent` of a normal number, from its bits.

    The integer comes out of the float without a conversion instruction (x86 has none
    from f64 to i64 before AVX-512, and LLVM makes a scalar loop of it): added to
    1.5 * 2^mantissa_bits, an integer lands in the low bits of the sum's mantissa."""
    magic = 1.5 * 2.0 ** fmt.mantissa_bits
    shifted = arith.bitcast(fmt.int_type,
                            arith.addf(exponent, arith.constant(exponent.type, magic)))
    biased = arith.subi(shifted, arith.constant(fmt.int_type,
                                                fmt.bits(magic) - fmt.exponent_bias))
    bits = arith.shli(biased, arith.constant(fmt.int_type, fmt.mantissa_bits))
    return arith.bitcast(exponent.type, bits)


def estrin_polynomial(z: ir.Value, coefficients: list[float]) -> ir.Value:
    """sum coefficients[k] z^k, by Estrin's scheme: the terms pair up in a tree of
    depth log2(degree), where Horner's rule is a chain as long as the degree (a loop
    that evaluates it has its critical path through it)."""
    terms = [arith.constant(z.type, c) for c in coefficients]
    power = z
    while len(terms) > 1:
        terms = [multiply_add(terms[k + 1], power, terms[k]) if k + 1 < len(terms)
                 else terms[k] for k in range(0, len(terms), 2)]
        power = arith.mulf(power, power) if len(terms) > 1 else power
    return terms[0]


# Error-free transformations: each returns the rounded result and its exact rounding
# error, so that a sum or product is carried in two floats (a "double-word") where one
# rounding would lose what the caller needs (`approximate_sin_cos`'s argument reduction).
# They hold in round-to-nearest without overflow, and only if LLVM leaves the operations
# as written: no fast-math flags on them, and the fused multiply-add spelled as one.

def fast_two_sum(a: ir.Value, b: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(s, e) with s = a + b rounded and s + e = a + b exactly (Dekker), in three
    operations, where |a| >= |b| or a = 0 or, more generally, a is a multiple of some 2^k
    with |a| < 2^(p+k) and b one of 2^j with |b| < 2^(p+j), k >= j (p: the format's
    significand bits, 53 for f64; Muller et al., Handbook of Floating-Point Arithmetic)."""
    s = arith.addf(a, b)
    return s, arith.subf(b, arith.subf(s, a))


def two_product(a: ir.Value, b: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(p, e) with p = a * b rounded and p + e = a * b exactly (unless e underflows): the
    error comes out of a fused multiply-add (`math.fma`, one instruction on a machine
    with FMA, a vector one in a vectorised loop)."""
    p = arith.mulf(a, b)
    return p, math_dialect.fma(a, b, arith.negf(p))


def two_sum(a: ir.Value, b: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(s, e) with s = a + b rounded and s + e = a + b exactly, whatever the magnitudes
    (Knuth), in six operations: for sums where `fast_two_sum`'s condition may fail."""
    s = arith.addf(a, b)
    a_rounded = arith.subf(s, b)
    b_rounded = arith.subf(s, a_rounded)
    return s, arith.addf(arith.subf(a, a_rounded), arith.subf(b, b_rounded))


def constant_table(symbol: str, values: np.ndarray) -> ir.Value:
    """A constant f64 table (a `memref.global` named `symbol` in the enclosing module,
    made on first use, holding `values`) at the insertion point; `memref.load` reads it
    with computed indices (a gather in a vectorised loop)."""
    op = ir.InsertionPoint.current.block.owner
    while op.name != "builtin.module":
        op = op.parent
    module = op.operation
    memref_type = ir.MemRefType.get(list(values.shape), ir.F64Type.get())
    if symbol not in ir.SymbolTable(module):
        with ir.InsertionPoint.at_block_begin(module.regions[0].blocks[0]):
            memref.GlobalOp(symbol, ir.TypeAttr.get(memref_type), sym_visibility="private",
                            constant=True, initial_value=ir.DenseElementsAttr.get(
                                np.ascontiguousarray(values, dtype=np.float64)))
    return memref.get_global(memref_type, symbol)
