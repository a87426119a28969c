"""The errors NumPy and Python raise at run time that compiled code raises too, where
a plain lowering would compute something instead: a Python int outside the integer
dtype it meets (OverflowError, NEP 50), a float that `int()` cannot convert (NaN,
infinity) or whose integer the dtype cannot hold, a negative power of a signed integer
(ValueError), and division by zero in Python scalar arithmetic (ZeroDivisionError).
Each check costs nothing where the operands are constants that cannot fail."""
from __future__ import annotations

import math
import operator

import numpy as np
from mlir import ir
from mlir.dialects import arith

from noodle.compiler.frontend.values import Val, known_false
from noodle.compiler.types import BOOL, INT64, PY_INT, Array, Scalar
from noodle.dialects import nir

UINT64 = np.dtype(np.uint64)
#: what `int(x)` of a float beyond int64 raises: Python's int would be a big int
INT_TOO_LARGE = "the integer is too large for compiled code's int64"
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

    def stored_scalar_checks(self, v: Val, dtype: np.dtype, node) -> None:
        """NumPy 2's checks of a scalar stored into an integer array, an element or a
        view: a Python int or float goes through `int()` and the dtype's range; a NumPy
        scalar does only into a signed dtype, and is cast into an unsigned one. (A 0-d
        array is always cast: no checks.)"""
        if dtype.kind not in "iu" or not isinstance(v.type, Scalar):
            return
        if v.type.weak:
            self.python_int_in_range(v, dtype, node)
        elif dtype.kind != "i":
            return
        elif v.type.dtype.kind in "iu":
            self.numpy_int_in_range(v, dtype, node)
        self.float_to_int_checks(v, dtype, node)

    def numpy_int_in_range(self, v: Val, dtype: np.dtype, node) -> None:
        """OverflowError where the integer dtype cannot hold NumPy integer scalar `v`."""
        held, wanted = np.iinfo(v.type.dtype), np.iinfo(dtype)
        i1 = ir.IntegerType.get_signless(1)
        bad = arith.constant(i1, 0)
        for predicate, bound, needed in [("lt", wanted.min, wanted.min > held.min),
                                         ("gt", wanted.max, wanted.max < held.max)]:
            if needed:  # the bound is within v's dtype then
                limit = self.const_scalar(Scalar(v.type.dtype), bound)
                bad = arith.ori(bad, nir.compare(predicate, v.type.dtype.name, v.ir,
                                                 limit.ir, i1))
        if known_false(bad):
            return
        self.raise_if(bad, "python_int", node, f"Python integer out of bounds for {dtype}")

    def float_to_int_checks(self, v: Val, dtype: np.dtype, node,
                            too_large: str | None = None) -> None:
        """Python's `int()` of a float raises for NaN (ValueError) and for infinity
        (OverflowError), and NumPy refuses an integer its dtype cannot hold
        (OverflowError): a float stored into an integer array's element or view,
        `np.int8(x)` of a Python float, and `int(x)` or `math.floor(x)`, whose Python
        int compiled code holds in an int64 (`too_large`: the message then). Nothing for
        other values and types; the conversion itself is `cast_scalar`'s."""
        if not (isinstance(v.type, Scalar) and v.type.dtype.kind == "f"
                and dtype.kind in "iu"):
            return
        info = np.iinfo(dtype)
        if v.is_const:
            if math.isnan(v.const):
                self.raise_here("float_nan", node)
            elif math.isinf(v.const):
                self.raise_here("float_infinity", node)
            elif not info.min <= int(v.const) <= info.max:
                self.raise_here("python_int", node, too_large or
                                f"Python integer {int(v.const)} out of bounds for {dtype}")
            return
        i1 = ir.IntegerType.get_signless(1)
        float_type = Scalar(v.type.dtype)

        def compare(predicate: str, x: ir.Value, value: float) -> ir.Value:
            bound = self.const_scalar(float_type, value).ir
            return nir.compare(predicate, float_type.dtype.name, x, bound, i1)

        self.raise_if(nir.compare("ne", float_type.dtype.name, v.ir, v.ir, i1), "float_nan",
                      node)
        self.raise_if(arith.ori(compare("eq", v.ir, math.inf), compare("eq", v.ir, -math.inf)),
                      "float_infinity", node)
        # the bounds of the truncated value, both powers of two where the float's range
        # matters (int64, uint64), so that the float holds them exactly
        whole = nir.unary("trunc", float_type.dtype.name, v.ir, v.ir.type)
        outside = arith.ori(compare("lt", whole, info.min), compare("ge", whole, info.max + 1))
        self.raise_if(outside, "python_int", node,
                      too_large or f"Python integer out of bounds for {dtype}")

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

    def python_power_errors(self, operands: list[Val], result: Val, node) -> None:
        """Python's float power raises where NumPy's gives inf or NaN: OverflowError for
        a finite base and exponent whose power overflows, and (it would be a complex
        number) a negative base to a finite fractional exponent."""
        i1 = ir.IntegerType.get_signless(1)
        name = result.type.dtype.name

        def compare(predicate: str, x: ir.Value, y: ir.Value | float) -> ir.Value:
            if not isinstance(y, ir.Value):
                y = self.const_scalar(Scalar(result.type.dtype), y).ir
            return nir.compare(predicate, name, x, y, i1)

        def finite(x: ir.Value) -> ir.Value:
            return compare("lt", nir.unary("abs", name, x, x.type), math.inf)

        base, exponent = (o.ir for o in operands)
        fractional = compare("ne", nir.unary("floor", name, exponent, exponent.type), exponent)
        # a finite base: (-inf) ** 0.5 is inf
        complex_power = arith.andi(arith.andi(compare("lt", base, 0.0), finite(base)),
                                   arith.andi(finite(exponent), fractional))
        self.raise_if(complex_power, "complex_power", node)
        overflow = arith.andi(arith.andi(finite(base), finite(exponent)),
                              arith.xori(finite(result.ir), arith.constant(i1, 1)))
        # NaN is not finite either, but a power of finite numbers is NaN only when
        # complex, refused above
        self.raise_if(overflow, "power_range", node)

    def negative_python_shift(self, count: Val, node) -> None:
        """Python refuses a negative shift count (ValueError); NumPy's shift gives 0."""
        if count.is_const and count.const >= 0:
            return
        zero = self.const_scalar(count.type, 0)
        self.raise_if(nir.compare("lt", count.type.dtype.name, count.ir, zero.ir,
                                  ir.IntegerType.get_signless(1)), "negative_shift", node)

    def python_zero_division(self, operands: list[Val], dtype: np.dtype, node, ufunc) -> None:
        """Python raises ZeroDivisionError where NumPy gives inf/nan/0: for `x / 0`,
        `x // 0`, `x % 0`, and `0.0 ** negative`. The divisor is then replaced so that
        the operation itself stays harmless."""
        i1 = ir.IntegerType.get_signless(1)
        zero = self.const_scalar(Scalar(dtype), 0)
        if ufunc is np.power:
            base_zero = nir.compare("eq", dtype.name, operands[0].ir, zero.ir, i1)
            negative = nir.compare("lt", dtype.name, operands[1].ir, zero.ir, i1)
            self.raise_if(arith.andi(base_zero, negative), "zero_division", node,
                          "0.0 cannot be raised to a negative power")
            return
        is_zero = nir.compare("eq", dtype.name, operands[1].ir, zero.ir, i1)
        self.raise_if(is_zero, "zero_division", node)
        one = self.const_scalar(Scalar(dtype), 1)
        operands[1] = Val(operands[1].type, nir.select(is_zero, one.ir, operands[1].ir,
                                                        one.ir.type))
