"""The `nir-never-negative` pass: a float comparison `x < c`, c <= 0, is false where x
can never be negative (a sum of squares, a square root, an absolute value...).

The frontend guards `math.sqrt(x)` with `x < 0` (Python raises ValueError where NumPy
gives NaN), and `math.sqrt` of a sum of squares, a distance or a norm, is where that
check costs a compare and a branch in the innermost loop for nothing. The pass proves
"x < 0 is false" from how x is computed, and the check folds away (canonicalize then
erases the dead raise).

"Never negative" means x is +-0, positive, +inf or NaN (NaN < c is false too). It holds
for constants that are, for squares (a * a, `square`), `sqrt`, `abs`, `exp`, `exp2`,
`cosh` and `hypot` of anything, for sums, products, minima and `fmax` of values that hold
it, for NaN-propagating maxima of one that does, and for the results of `scf.if`,
`arith.select` and `scf.for` (a loop-carried value: its initial value and every value
the body yields for it). Not for quotients (1 / -0.0 is -inf). The proof of a
loop-carried value assumes the value itself while it looks at the body, which is sound:
the property holds initially, and each iteration keeps it.
"""
from __future__ import annotations

import math

from mlir import ir
from mlir.dialects import arith

from noodle.passes.ir_walk import ops_where

PASS_NAME = "nir-never-negative"

#: nir.unary float kinds whose result is never negative, whatever the operand
_NEVER_NEGATIVE_UNARY = frozenset({"sqrt", "abs", "exp", "exp2", "cosh", "square"})
#: nir.binary / arith kinds: never negative where both operands are, where either is.
#: fmax (maxnumf) needs both: it drops a NaN, so fmax(NaN, -5) is -5
_BOTH = frozenset({"add", "mul", "minimum", "fmin", "fmax", "arith.addf", "arith.mulf",
                   "arith.minimumf", "arith.minnumf", "arith.maxnumf"})
_EITHER = frozenset({"maximum", "arith.maximumf"})
_ANY_OPERAND = frozenset({"math.sqrt", "math.absf", "math.exp", "math.exp2", "math.cosh"})
_SAME_SIGN = frozenset({"arith.extf", "arith.truncf"})


def nir_never_negative(module: ir.Module) -> None:
    nir_never_negative_in(module.operation)


def nir_never_negative_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(nir_never_negative_pass, name=PASS_NAME)`."""
    nir_never_negative_in(op)


def nir_never_negative_in(root: ir.Operation) -> None:
    """Replaces each scalar float `nir.compare` nested in `root` that is `x lt c` (c <= 0)
    or `x le c` (c < 0) with x never negative by the constant false."""
    for op in ops_where(root, _is_float_compare_with_constant):
        x, c = op.operands
        predicate = ir.StringAttr(op.attributes["predicate"]).value
        bound = _float_constant(c)
        below = bound <= 0.0 if predicate == "lt" else bound < 0.0
        if below and never_negative(x):
            with ir.InsertionPoint(op), op.location:
                false = arith.constant(op.result.type, 0)
            op.result.replace_all_uses_with(false)
            op.erase()


def _is_float_compare_with_constant(op: ir.Operation) -> bool:
    return (op.name == "nir.compare"
            and ir.StringAttr(op.attributes["predicate"]).value in ("lt", "le")
            and isinstance(op.operands[0].type, ir.FloatType)
            and _float_constant(op.operands[1]) is not None)


def _float_constant(value: ir.Value) -> float | None:
    owner = value.owner
    if not isinstance(owner, ir.Block) and owner.operation.name == "arith.constant":
        attr = owner.attributes["value"]
        if isinstance(attr, ir.FloatAttr):
            return attr.value
    return None


def never_negative(value: ir.Value) -> bool:
    """Whether `value` (a scalar float) is provably +-0, positive, +inf or NaN."""
    return _Proof().holds(value, frozenset(), 0)


#: how deep a proof may look (an expression unrolled by the user could be thousands of
#: ops deep): beyond it, the value counts as possibly negative
_MAX_DEPTH = 64


class _Proof:
    """One query of `never_negative`, with its answers so far: each (value, assumptions)
    is examined once, so a value used many times costs one look."""

    def __init__(self) -> None:
        self.answers: dict[tuple[ir.Value, frozenset], bool] = {}

    def holds(self, value: ir.Value, assumed: frozenset, depth: int) -> bool:
        """`assumed`: loop-carried values taken to be never negative while their loop
        body is examined."""
        if value in assumed:
            return True
        if depth > _MAX_DEPTH:
            return False
        key = (value, assumed)
        if key not in self.answers:
            self.answers[key] = self._examine(value, assumed, depth + 1)
        return self.answers[key]

    def _examine(self, value: ir.Value, assumed: frozenset, depth: int) -> bool:
        def every(values) -> bool:
            return all(self.holds(x, assumed, depth) for x in values)

        owner = value.owner
        if isinstance(owner, ir.Block):
            return self._loop_carried(ir.BlockArgument(value), assumed, depth)
        op = owner.operation
        operands = list(op.operands)
        name = op.name
        if name == "arith.constant":
            constant = _float_constant(value)
            return constant is not None and (math.isnan(constant) or constant >= 0.0)
        if name in ("nir.unary", "nir.binary"):
            name = ir.StringAttr(op.attributes["kind"]).value
            if op.name == "nir.unary":
                return name in _NEVER_NEGATIVE_UNARY or (name == "positive"
                                                         and every(operands))
            if name == "hypot" or (name == "mul" and operands[0] == operands[1]):
                return True
        if name == "arith.mulf" and operands[0] == operands[1]:
            return True
        if name in _ANY_OPERAND:
            return True
        if name in _BOTH:
            return every(operands)
        if name in _EITHER:
            return any(self.holds(x, assumed, depth) for x in operands)
        if name in _SAME_SIGN:
            return every(operands[:1])
        if name == "arith.select":
            return every(operands[1:])
        index = ir.OpResult(value).result_number
        if name == "scf.if":
            return every(_yielded(region, index) for region in op.regions)
        if name == "scf.for":
            argument = op.regions[0].blocks[0].arguments[index + 1]
            return self._loop_carried(argument, assumed, depth)
        return False

    def _loop_carried(self, argument: ir.BlockArgument, assumed: frozenset,
                      depth: int) -> bool:
        """An `scf.for` iteration argument: its initial value and the value the body
        yields for it are never negative, the latter assuming the argument is."""
        loop = argument.owner.owner
        if loop.name != "scf.for" or argument.arg_number == 0:  # 0: the induction variable
            return False
        index = argument.arg_number - 1
        initial = loop.operands[3 + index]  # after lower bound, upper bound and step
        return (self.holds(initial, assumed, depth)
                and self.holds(_yielded(loop.regions[0], index), assumed | {argument},
                               depth))


def _yielded(region: ir.Region, index: int) -> ir.Value:
    return region.blocks[0].operations[len(region.blocks[0].operations) - 1].operands[index]
