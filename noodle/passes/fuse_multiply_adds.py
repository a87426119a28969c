"""The `fuse-multiply-adds` pass: a float product whose only use is a sum or difference,
both marked `contract` but not `reassoc`, becomes one `llvm.intr.fmuladd`.

Why: LLVM contracts such pairs only when it optimises, so a kernel compiled at the
baseline tier (LLVM -O0) and the same kernel at the optimising tier (-O3) rounded them
differently, and a promotion changed results (by an ulp, in exp, log, sin, cos, tanh
and pow, whose approximations mark their multiply-adds `contract`). `llvm.fmuladd` is
one fused multiply-add wherever the machine has one, and a multiply and an add where it
has none, at every optimisation level: the tiers agree. (`llvm.fma`, `math.fma`, would
be a call of libm's `fma` on a machine without the instruction.) The forms are those
LLVM fuses:

    a*b + c, c + a*b   ->  fmuladd(a, b, c)
    a*b - c            ->  fmuladd(a, b, -c)
    c - a*b            ->  fmuladd(-a, b, c)

(negation is exact, so each is `a*b ± c`, rounded once where fused). A product with
other uses stays as it is, as LLVM leaves it. So does arithmetic marked `reassoc`
(`fastmath=True`): it may be regrouped, at either tier, so the tiers need not agree on
it, and LLVM must keep seeing its sums of products as sums, to vectorise them as
reductions (an fmuladd would need its flags, whose LLVM-dialect attribute costs a
first compile an import of the dialect's Python module, ~18 ms).
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith

from noodle.passes.ir_walk import ops_where

PASS_NAME = "fuse-multiply-adds"

#: Made by name: importing the bindings' LLVM dialect module takes ~12 ms
FMULADD = "llvm.intr.fmuladd"

_SUMS = ("arith.addf", "arith.subf")


def fuse_multiply_adds(root: ir.Operation) -> None:
    """Rewrites `root` in place; usable as a PassManager pass."""
    # products by their result: asking a value for its owner would wrap the op in its
    # dialect's Python class, and import the LLVM dialect's module for an fmuladd
    products = {op.result: op for op in ops_where(root, _fusable_product)}
    for total in ops_where(root, lambda op: op.name in _SUMS and _contracts(op)):
        for product, product_first in ((products.get(total.operands[0]), True),
                                       (products.get(total.operands[1]), False)):
            if product is not None:
                with ir.InsertionPoint(total), total.location:
                    total.result.replace_all_uses_with(_fma(total, product, product_first))
                total.erase()
                product.erase()
                break


def fuse_multiply_adds_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(fuse_multiply_adds_pass, name=PASS_NAME)`."""
    fuse_multiply_adds(op)


def _fma(total: ir.Operation, product: ir.Operation, product_first: bool) -> ir.Value:
    """`llvm.intr.fmuladd` computing `total` (an addf or subf) with `product` (one of its
    operands, the first or the second) fused in."""
    a, b = product.operands
    other = total.operands[1 if product_first else 0]
    flags = total.attributes["fastmath"]
    if total.name == "arith.subf":
        if product_first:
            other = arith.negf(other, fastmath=flags)
        else:
            a = arith.negf(a, fastmath=flags)
    return ir.Operation.create(FMULADD, results=[total.result.type],
                               operands=[a, b, other]).result


def _fusable_product(op: ir.Operation) -> bool:
    """Whether `op` is a `contract` multiplication whose result has one use."""
    return op.name == "arith.mulf" and _contracts(op) and len(list(op.result.uses)) == 1


def _contracts(op: ir.Operation) -> bool:
    """Whether `op` carries the `contract` flag, and not `reassoc` (nor `fast`, which
    has both)."""
    if "fastmath" not in op.attributes:
        return False
    text = str(op.attributes["fastmath"])  # "#arith.fastmath<nnan,contract>"
    flags = set(text[text.find("<") + 1:text.rfind(">")].split(","))
    return "contract" in flags and not flags & {"reassoc", "fast"}
