"""Scalar bodies of `nir.compare`: arith predicates chosen by the operands' dtype.

Float comparisons are ordered (false when either side is NaN) except `ne`, which is
unordered so that NaN != x holds, as in NumPy. bool compares as unsigned (True > False).
"""
from __future__ import annotations

from collections.abc import Callable

from mlir import ir
from mlir.dialects import arith

from noodle.passes.nir_dtypes import DType, rule_for

CompareBuilder = Callable[[DType, ir.Value, ir.Value], ir.Value]

_I = arith.CmpIPredicate
_F = arith.CmpFPredicate

_PREDICATES = {
    "float": {"eq": _F.OEQ, "ne": _F.UNE, "lt": _F.OLT, "le": _F.OLE, "gt": _F.OGT,
              "ge": _F.OGE},
    "integer": {"eq": _I.eq, "ne": _I.ne},
    "signed": {"lt": _I.slt, "le": _I.sle, "gt": _I.sgt, "ge": _I.sge},
    "unsigned": {"lt": _I.ult, "le": _I.ule, "gt": _I.ugt, "ge": _I.uge},
}


def compare_builder(predicate: str, dtype: DType) -> CompareBuilder:
    """The scalar builder for `nir.compare` predicate `predicate` on operand dtype `dtype`."""
    arith_predicate = rule_for(_PREDICATES, dtype, predicate, "nir.compare")
    compare = arith.cmpf if dtype.is_float else arith.cmpi
    return lambda dtype, a, b: compare(arith_predicate, a, b)
