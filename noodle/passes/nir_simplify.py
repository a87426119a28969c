"""The `nir-simplify` pass: arithmetic with an identity on arrays becomes a copy.

`a * 1.0`, `a + 0` (integers), `a - 0.0`, `a / 1.0` or `a + (-0.0)` give `a`'s values
exactly, so the op becomes a `nir.copy` of `a` (a fresh array, as NumPy gives), which
fusion then folds into its user's loop: the multiplication or addition is gone. Only
where the result has `a`'s dtype (no cast), and only with identities that are exact in
IEEE arithmetic: `a + 0.0` stays, since it turns -0.0
into 0.0; `0.0 - a` and `1.0 / a` are no identities at all.
"""
from __future__ import annotations

import math

from mlir import ir

from noodle.passes.ir_walk import ops_where, rewriting
from noodle.passes.nir_buffers import element_type_of, is_array
from noodle.passes.nir_dtypes import DType

PASS_NAME = "nir-simplify"

#: kind -> (identity of integers, identity of floats) as the right operand (None: none)
_RIGHT_IDENTITIES = {"add": (0, -0.0), "sub": (0, 0.0), "mul": (1, 1.0),
                     "truediv": (None, 1.0)}
#: the same as the left operand (x - y and x / y have none)
_LEFT_IDENTITIES = {"add": (0, -0.0), "mul": (1, 1.0)}


def nir_simplify(module: ir.Module) -> None:
    nir_simplify_in(module.operation)


def nir_simplify_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(nir_simplify_pass, name=PASS_NAME)`."""
    nir_simplify_in(op)


def nir_simplify_in(root: ir.Operation) -> None:
    """Replaces every `nir.binary` nested in `root` that applies an identity to an array
    by a copy of the array."""
    for op in ops_where(root, lambda op: op.name == "nir.binary" and is_array(op.result)):
        with rewriting(op):
            kept = _kept_operand(op)
        if kept is None:
            continue
        dtype = ir.StringAttr(op.attributes["dtype"]).value
        with ir.InsertionPoint(op), op.location:
            copy = ir.Operation.create("nir.copy", results=[op.result.type], operands=[kept],
                                       attributes={"dtype": ir.StringAttr.get(dtype)})
        op.result.replace_all_uses_with(copy.result)
        op.erase()


def _kept_operand(op: ir.Operation) -> ir.Value | None:
    """The array operand whose values `op` gives unchanged, if it has one."""
    kind = ir.StringAttr(op.attributes["kind"]).value
    dtype = DType(ir.StringAttr(op.attributes["dtype"]).value)
    if dtype.is_bool or dtype.element_type != element_type_of(op.result.type):
        return None
    lhs, rhs = op.operands
    for array, scalar, identities in ((lhs, rhs, _RIGHT_IDENTITIES),
                                      (rhs, lhs, _LEFT_IDENTITIES)):
        if kind not in identities or not is_array(array) or is_array(scalar):
            continue
        identity = identities[kind][1 if dtype.is_float else 0]
        if (identity is not None and array.type == op.result.type
                and _is_constant(scalar, identity)):
            return array
    return None


def _is_constant(value: ir.Value, expected: float) -> bool:
    """Whether `value` is an arith.constant equal to `expected`, sign of zero included."""
    owner = value.owner
    if isinstance(owner, ir.Block) or owner.name != "arith.constant":
        return False
    attribute = owner.attributes["value"]
    if isinstance(attribute.type, ir.IntegerType):
        return ir.IntegerAttr(attribute).value == expected
    constant = ir.FloatAttr(attribute).value
    return constant == expected and math.copysign(1.0, constant) == math.copysign(1.0, expected)
