"""The errors NumPy and Python raise at run time that compiled code raises too, where
a plain lowering would compute something instead: a Python int outside the integer
dtype it meets (OverflowError, NEP 50), a negative power of a signed integer
(ValueError), and division by zero in Python scalar arithmetic (ZeroDivisionError).
Each check costs nothing where the operands are constants that cannot fail."""
from __future__ import annotations

import operator

import numpy as np
from mlir import ir
from mlir.dialects import arith

from noodle.compiler.frontend.values import Val
from noodle.compiler.types import BOOL, INT64, PY_INT, Array, Scalar
from noodle.dialects import nir

UINT64 = np.dtype(np.uint64)
#: Python's operator for a ufunc on two constant Python ints, folded while compiling
PY_INT_FOLDS = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
                np.power: operator.pow, np.left_shift: operator.lshift,
                np.right_shift: operator.rshift, np.bitwise_and: operator.and_,
                np.bitwise_or: operator.or_, np.bitwise_xor: operator.xor}


def is_python_int(v: Val) -> bool:
    return isinstance(v.type, Scalar) and v.type.weak and v.type.dtype == INT64


def fold_python_ints(ufunc: np.ufunc, values: list[int]) -> int | None:
    """`ufunc` of constant Python ints, where its exact value is an int64 (what compiled
    code computes too), so that `int8_array + 2**6` stays a constant that `fits`."""
    fold = PY_INT_FOLDS.get(ufunc)
    if fold is None or len(values) != 2:
        return None
    if ufunc in (np.power, np.left_shift, np.right_shift) and not 0 <= values[1] < 64:
        return None  # Python raises or builds a huge int: left to run time
    value = fold(*values)
    return value if -2**63 <= value < 2**63 else None


def fits(v: Val, dtype: np.dtype) -> bool:
    """Whether `v` is a constant that `dtype` holds (a run-time value may not be)."""
    info = np.iinfo(dtype)
    return v.is_const and info.min <= v.const <= info.max


class NumpyErrorsMixin:
    """The checks, for the code generator (they use its `raise_if`, `raise_here`,
    `const_scalar` and `reduce_axes`)."""

    def python_int_in_range(self, v: Val, dtype: np.dtype, node) -> None:
        """NumPy 2 refuses a Python int that the integer dtype it is converted to cannot
        hold (`uint8_array + 300`, `a[i] = -1`: OverflowError), where noodle's cast would
        wrap it. No check for a constant in range; one that is not raises when reached."""
        if not is_python_int(v) or dtype.kind not in "iu" or dtype == INT64 or fits(v, dtype):
            return
        if v.is_const:
            self.raise_here("python_int", node,
                            f"Python integer {v.const} out of bounds for {dtype}")
            return
        i1 = ir.IntegerType.get_signless(1)
        info = np.iinfo(dtype)
        bad = nir.compare("lt", INT64.name, v.ir, self.const_scalar(PY_INT, info.min).ir, i1)
        if info.max < np.iinfo(INT64).max:  # uint64 holds every non-negative int64
            above = self.const_scalar(PY_INT, info.max)
            bad = arith.ori(bad, nir.compare("gt", INT64.name, v.ir, above.ir, i1))
        # the value is not known here: NumPy's message without it
        self.raise_if(bad, "python_int", node, f"Python integer out of bounds for {dtype}")

    def negative_python_int(self, predicate: str, args: list[Val], value: ir.Value,
                            rtype: ir.Type) -> ir.Value:
        """A comparison of a uint64 with a Python int, where the int is negative: the
        uint64 is the larger whatever its value (the comparison in uint64 saw the int
        wrapped to a huge number)."""
        larger_right = {"lt": True, "le": True, "eq": False, "ne": True, "gt": False,
                        "ge": False}  # `int OP uint64`; the other order is the mirror
        for position, a in enumerate(args):
            if not is_python_int(a):
                continue
            zero = self.const_scalar(PY_INT, 0)
            negative = nir.compare("lt", INT64.name, a.ir, zero.ir,
                                   ir.IntegerType.get_signless(1))
            known = larger_right[predicate] if position == 0 else (
                predicate in ("ne", "gt", "ge"))
            value = nir.select(negative, self.const_bool(known).ir, value, rtype)
        return value

    def negative_integer_power(self, operands: list[Val], dtype: np.dtype, node) -> None:
        """NumPy refuses a signed integer power with a negative exponent (ValueError),
        looking only at the exponents the result uses: one broadcast against an empty
        base is never read, so the check runs over the broadcast shape."""
        base, exponent = operands
        if exponent.is_const and exponent.const >= 0:
            return
        zero = self.const_scalar(Scalar(dtype), 0)

        def bool_type(v: Val) -> ir.Type:
            if isinstance(v.type, Array):
                return nir.array_type(BOOL, v.type.ndim)
            return ir.IntegerType.get_signless(1)

        negative = nir.compare("lt", dtype.name, exponent.ir, zero.ir, bool_type(exponent))
        if isinstance(base.type, Array):
            # true wherever the base has an element: `negative` broadcast to the result
            every = nir.compare("eq", dtype.name, base.ir, base.ir, bool_type(base))
            rank = max(base.type.ndim, getattr(exponent.type, "ndim", 0))
            negative = nir.select(negative, every, negative, nir.array_type(BOOL, rank))
            negative = self.reduce_axes("any", Val(Array(BOOL, rank), negative, fresh=True),
                                        tuple(range(rank)), False, node).ir
        elif isinstance(exponent.type, Array):
            negative = self.reduce_axes("any", Val(Array(BOOL, exponent.type.ndim), negative,
                                                   fresh=True),
                                        tuple(range(exponent.type.ndim)), False, node).ir
        self.raise_if(negative, "negative_power", node)

    def python_zero_division(self, operands: list[Val], dtype: np.dtype, node, ufunc) -> None:
        """Python raises ZeroDivisionError where NumPy gives inf/nan/0: for `x / 0`,
        `x // 0`, `x % 0`, and `0.0 ** negative`. The divisor is then replaced so that
        the operation itself stays harmless."""
        i1 = ir.IntegerType.get_signless(1)
        zero = self.const_scalar(Scalar(dtype), 0)
        if ufunc is np.power:
            base_zero = nir.compare("eq", dtype.name, operands[0].ir, zero.ir, i1)
            negative = nir.compare("lt", dtype.name, operands[1].ir, zero.ir, i1)
            self.raise_if(arith.andi(base_zero, negative), "zero_division", node)
            return
        is_zero = nir.compare("eq", dtype.name, operands[1].ir, zero.ir, i1)
        self.raise_if(is_zero, "zero_division", node)
        one = self.const_scalar(Scalar(dtype), 1)
        operands[1] = Val(operands[1].type, nir.select(is_zero, one.ir, operands[1].ir,
                                                        one.ir.type))
