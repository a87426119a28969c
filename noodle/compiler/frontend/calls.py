"""Calls: builtins, `math`, NumPy functions and array methods, and calls to other
Python functions (compiled into the same module)."""
from __future__ import annotations

import ast
import builtins
import inspect
import math
import types

import numpy as np
from mlir import ir
from mlir.dialects import arith, func, memref, scf

from noodle.compiler.frontend import (composites, joining, library, nonzero, repetition,
                                      reshape, scans, sorting, views)
from noodle.compiler.frontend.arg_reductions import ARG_REDUCTIONS, arg_extreme
from noodle.compiler.frontend.array_literals import array_from
from noodle.compiler.frontend.linspace import linspace
from noodle.compiler.frontend.numpy_errors import INT_TOO_LARGE
from noodle.compiler.frontend.values import (NO_CONST, NONE_VAL, Val, any_true, flatten,
                                             index_constant, mlir_types, unflatten)
from noodle.compiler.types import (BOOL, FLOAT64, INT64, PY_BOOL, PY_FLOAT, PY_INT, Array,
                                   NoneType, NType, Scalar, TupleType, first_fitting,
                                   is_supported_dtype, result_dtype, typeof, ufunc_result)
from noodle.dialects import nir

UNARY_UFUNCS = {
    np.exp: "exp", np.exp2: "exp2", np.expm1: "expm1", np.log: "log", np.log2: "log2",
    np.log10: "log10", np.log1p: "log1p", np.sqrt: "sqrt", np.cbrt: "cbrt", np.sin: "sin",
    np.cos: "cos", np.tan: "tan", np.arcsin: "arcsin", np.arccos: "arccos",
    np.arctan: "arctan", np.sinh: "sinh", np.cosh: "cosh", np.tanh: "tanh",
    np.arcsinh: "arcsinh", np.arccosh: "arccosh", np.arctanh: "arctanh", np.floor: "floor",
    np.ceil: "ceil", np.trunc: "trunc", np.rint: "rint", np.absolute: "abs",
    np.negative: "neg", np.positive: "positive", np.sign: "sign", np.square: "square",
    np.reciprocal: "reciprocal", np.isnan: "isnan", np.isinf: "isinf",
    np.isfinite: "isfinite", np.logical_not: "logical_not", np.invert: "invert",
}
BINARY_UFUNC_NAMES = {np.add, np.subtract, np.multiply, np.true_divide, np.floor_divide,
                      np.remainder, np.fmod, np.power, np.maximum, np.minimum, np.fmax, np.fmin,
                      np.arctan2, np.hypot, np.copysign, np.bitwise_and, np.bitwise_or,
                      np.bitwise_xor, np.left_shift, np.right_shift}
COMPARE_UFUNCS = {np.equal: "eq", np.not_equal: "ne", np.less: "lt", np.less_equal: "le",
                  np.greater: "gt", np.greater_equal: "ge"}
#: math functions: (ufunc, domain check kind or None). Results are Python floats.
MATH_FUNCTIONS = {
    math.sqrt: (np.sqrt, "negative"), math.exp: (np.exp, None), math.log: (np.log, "positive"),
    math.log2: (np.log2, "positive"), math.log10: (np.log10, "positive"),
    math.log1p: (np.log1p, "above_minus_one"), math.expm1: (np.expm1, None),
    math.sin: (np.sin, "finite"), math.cos: (np.cos, "finite"), math.tan: (np.tan, "finite"),
    math.asin: (np.arcsin, "unit"), math.acos: (np.arccos, "unit"),
    math.atan: (np.arctan, None), math.sinh: (np.sinh, None), math.cosh: (np.cosh, None),
    math.tanh: (np.tanh, None), math.asinh: (np.arcsinh, None),
    math.acosh: (np.arccosh, "at_least_one"), math.atanh: (np.arctanh, "open_unit"),
    math.fabs: (np.absolute, None), math.atan2: (np.arctan2, None),
    math.hypot: (np.hypot, None), math.copysign: (np.copysign, None),
    math.pow: (np.power, "pow"), math.fmod: (np.fmod, "fmod"),
}
#: math functions whose result is finite wherever their argument is and the domain check
#: passes: no overflow check (it would cost a branch in every loop that calls them)
NEVER_OVERFLOW = {math.sqrt, math.log, math.log2, math.log10, math.log1p, math.sin, math.cos,
                  math.tan, math.asin, math.acos, math.atan, math.tanh, math.asinh,
                  math.acosh, math.atanh, math.fabs, math.atan2, math.copysign, math.fmod,
                  math.erf, math.erfc}
#: math functions NumPy has no ufunc for: the nir.unary kind, and the domain check
MATH_ONLY = {math.erf: ("erf", None), math.erfc: ("erfc", None),
             math.gamma: ("gamma", "gamma"), math.lgamma: ("lgamma", "gamma")}
#: degrees <-> radians, computed as NumPy and math do: a multiplication by a constant
ANGLE_FACTORS = {math.degrees: (180.0 / math.pi, True), math.radians: (math.pi / 180.0, True),
                 np.degrees: (180.0 / math.pi, False), np.rad2deg: (180.0 / math.pi, False),
                 np.radians: (math.pi / 180.0, False), np.deg2rad: (math.pi / 180.0, False)}
MATH_TO_INT = {math.floor: "floor", math.ceil: "ceil", math.trunc: "trunc"}
MATH_PREDICATES = {math.isnan: np.isnan, math.isinf: np.isinf, math.isfinite: np.isfinite}
REDUCTIONS = {np.sum: "sum", np.prod: "prod", np.min: "min", np.max: "max", np.amin: "min",
              np.amax: "max", np.any: "any", np.all: "all", np.mean: "mean"}
METHOD_REDUCTIONS = {"sum": "sum", "prod": "prod", "min": "min", "max": "max", "any": "any",
                     "all": "all", "mean": "mean"}
CREATION = {np.empty: None, np.zeros: 0, np.ones: 1}
CREATION_LIKE = {np.empty_like: None, np.zeros_like: 0, np.ones_like: 1}
SCALAR_TYPES = {int: PY_INT, float: PY_FLOAT, bool: PY_BOOL}
#: NumPy functions of `views` and `composites`: (the names of their constant
#: parameters after the arrays, in order, how many arrays they take first)
ARRANGEMENTS = {np.transpose: (("axes",), 1), np.swapaxes: (("axis1", "axis2"), 1),
                np.flip: (("axis",), 1), np.fliplr: ((), 1), np.flipud: ((), 1),
                np.expand_dims: (("axis",), 1), np.outer: ((), 2),
                np.diff: (("n", "axis"), 1), np.trace: ((), 1), np.count_nonzero: ((), 1),
                np.round: (("decimals",), 1), np.around: (("decimals",), 1)}
#: functions of an array and an axis (and keywords), by position or by name (`axis_call`):
#: the scans, argmax/argmin, var/std and the NaN-ignoring reductions
AXIS_FUNCTIONS = {np.cumsum, np.cumprod, np.argmax, np.argmin, np.var, np.std, np.nansum,
                  np.nanprod, np.nanmax, np.nanmin, np.nanmean}
#: those that are array methods too
AXIS_METHODS = {"cumsum", "cumprod", "argmax", "argmin", "var", "std"}
#: array methods that are these functions of the array
METHOD_ARRANGEMENTS = {"transpose": np.transpose, "swapaxes": np.swapaxes,
                       "round": np.round}
#: functions -> the position of their `dtype` parameter
DTYPE_POSITION = {np.empty: 1, np.zeros: 1, np.ones: 1, np.full: 2, np.empty_like: 1,
                  np.zeros_like: 1, np.ones_like: 1, np.full_like: 2, np.arange: 3,
                  np.cumsum: 2, np.cumprod: 2, np.array: 1, np.asarray: 1}

#: ufunc methods -> ufunc -> the reduction or scan they are
UFUNC_METHODS = {
    "reduce": {np.add: "sum", np.multiply: "prod", np.maximum: "max", np.minimum: "min",
               np.logical_and: "all", np.logical_or: "any"},
    "accumulate": {np.add: "cumsum", np.multiply: "cumprod"},
}
#: functions -> (the position, the name) of their parameter that takes a string
STRING_POSITION = {np.searchsorted: (2, "side"), np.convolve: (2, "mode")}


def ufunc_dtype(ufunc: np.ufunc, t: Scalar | Array) -> np.dtype:
    """The dtype NumPy computes `ufunc` in for one operand of type `t` (and a float)."""
    return ufunc_result(ufunc, t, PY_FLOAT)[0]


def reduction_dtype(kind: str, dtype: np.dtype) -> np.dtype:
    """The result dtype NumPy gives for reduction `kind` of an array of `dtype`."""
    probe = np.ones(1, dtype=dtype)
    reducer = {"sum": np.sum, "prod": np.prod, "min": np.min, "max": np.max,
               "any": np.any, "all": np.all, "mean": np.mean}[kind]
    return np.asarray(reducer(probe)).dtype


class CallMixin:
    def expr_Call(self, node: ast.Call) -> Val:
        callee = self.resolve_static(node.func)
        if callee is NO_CONST:
            if isinstance(node.func, ast.Attribute):
                return self.method_call(self.expr(node.func.value), node.func.attr, node)
            raise self.unsupported(node, f"cannot call `{ast.unparse(node.func)}` in compiled "
                                   "code")
        if any(k.arg is None for k in node.keywords) or any(
                isinstance(a, ast.Starred) for a in node.args):
            raise self.unsupported(node, "*args and **kwargs are not supported in calls")
        positional = node.args
        kwargs = {k.arg: k.value for k in node.keywords}
        if (callee in joining.JOINERS or callee in (np.array, np.asarray, np.polyval)) and \
                positional:
            # np.concatenate([a, b]), np.array([[1, 2], [3, 4]]): list displays are read
            # as tuples, of a shape known at compile time
            positional = [_lists_as_tuples(positional[0]), *positional[1:]]
        where = DTYPE_POSITION.get(callee)
        if where is not None and len(positional) == where + 1 and "dtype" not in kwargs:
            # `np.zeros(n, np.float32)`: a type, not a value to evaluate
            positional, kwargs["dtype"] = positional[:where], positional[where]
        named = STRING_POSITION.get(callee)
        if named is not None and len(positional) == named[0] + 1 and named[1] not in kwargs:
            positional, kwargs[named[1]] = positional[:named[0]], positional[named[0]]
        args = [self.expr(a) for a in positional]
        return self.call_object(callee, args, kwargs, node)

    def call_object(self, callee, args: list[Val], kwargs: dict, node) -> Val:
        static_kwargs = lambda: {k: self.static_value(v) for k, v in kwargs.items()}
        if callee in UNARY_UFUNCS and len(args) == 1 and not kwargs:
            return self.apply_ufunc(callee, args, node, kind=UNARY_UFUNCS[callee],
                                    operator=False)
        if callee in BINARY_UFUNC_NAMES and len(args) == 2 and not kwargs:
            return self.apply_ufunc(callee, args, node, operator=False)
        if callee in COMPARE_UFUNCS and len(args) == 2 and not kwargs:
            return self.apply_ufunc(callee, args, node, kind=COMPARE_UFUNCS[callee],
                                    operator=False)
        if callee in REDUCTIONS and len(args) == 1:
            rest = {k: v for k, v in kwargs.items() if k != "axis"}
            return self.reduction(REDUCTIONS[callee], args[0], kwargs.get("axis"), rest, node)
        if callee in MATH_FUNCTIONS and not kwargs:
            return self.math_function(callee, args, node)
        if callee in MATH_ONLY and len(args) == 1:
            kind, domain = MATH_ONLY[callee]
            x = self.cast_scalar(self.scalar_arg(args[0], node), PY_FLOAT)
            if domain is not None:
                self.check_domain([x], domain, node)
            result = Val(PY_FLOAT, nir.unary(kind, "float64", x.ir, x.ir.type))
            if callee not in NEVER_OVERFLOW:
                self.check_overflow([x], result, node)
            return result
        if callee in ANGLE_FACTORS and len(args) == 1:
            factor, is_math = ANGLE_FACTORS[callee]
            x = args[0]
            if is_math:
                x = self.cast_scalar(self.scalar_arg(x, node), PY_FLOAT)
            else:
                x = self.cast_to_dtype(x, ufunc_dtype(np.multiply, x.type), False)
            scale = self.const_scalar(PY_FLOAT, factor)
            return self.apply_ufunc(np.multiply, [x, scale], node, operator=is_math)
        if callee in MATH_TO_INT and len(args) == 1:
            if self.scalar_arg(args[0], node).type.dtype.kind in "biu":
                return self.cast_scalar(args[0], PY_INT)  # an int as it is, exactly
            x = self.cast_scalar(args[0], PY_FLOAT)
            rounded = self.apply_ufunc(np.floor if callee is math.floor else
                                       np.ceil if callee is math.ceil else np.trunc,
                                       [x], node, kind=MATH_TO_INT[callee])
            self.float_to_int_checks(rounded, INT64, node, INT_TOO_LARGE)
            return self.cast_scalar(rounded, PY_INT)
        if callee in MATH_PREDICATES and len(args) == 1:
            x = self.cast_scalar(self.scalar_arg(args[0], node), PY_FLOAT)
            kind = callee.__name__
            return self.cast_scalar(self.apply_ufunc(MATH_PREDICATES[callee], [x], node,
                                                     kind=kind), PY_BOOL)
        if callee is np.where and len(args) == 1 and not kwargs:  # np.where(condition)
            return nonzero.nonzero(self, args[0], node)
        if callee is np.where and len(args) == 3:
            cond = self.cast_to_dtype(args[0], BOOL) if not (
                isinstance(args[0].type, Scalar) and args[0].type.dtype == BOOL) else args[0]
            dtype = result_dtype(args[1].type, args[2].type)
            a, b = (self.cast_to_dtype(x, dtype) for x in args[1:])
            if not any(isinstance(x.type, Array) for x in (cond, a, b)):
                # NumPy gives a 0-d array here
                chosen = nir.select(cond.ir, a.ir, b.ir, nir.element_type(dtype))
                return self.as_rank0(Val(Scalar(dtype), chosen))
            return self.elementwise_select(cond, a, b, dtype, node)
        if callee in (np.dot, np.matmul) and len(args) == 2:
            return self.matmul(args[0], args[1], node)
        if callee in CREATION:
            return self.create(args, static_kwargs(), CREATION[callee], node)
        if callee is np.full:
            fill, kw = args[1], static_kwargs()
            return self.create(args[:1], kw, fill, node)
        if callee in CREATION_LIKE or callee is np.full_like:
            like = args[0]
            if not isinstance(like.type, Array):
                raise self.typing_error(node, f"{callee.__name__} needs an array")
            kw = static_kwargs()
            dtype = np.dtype(kw.get("dtype", like.type.dtype))
            fill = args[1] if callee is np.full_like else CREATION_LIKE[callee]
            return self.allocate(self.dims(like), dtype, fill, node, checked=False)
        if callee is np.arange:
            return self.arange(args, static_kwargs(), node)
        if callee is np.reshape and len(args) == 2 and isinstance(args[0].type, Array):
            _c_order_only(self, kwargs, node)
            return reshape.reshape(self, args[0], reshape.shape_arguments(self, args[1:], node),
                                   node)
        if callee is np.ravel and len(args) == 1 and isinstance(args[0].type, Array):
            _c_order_only(self, kwargs, node)
            return reshape.ravel(self, args[0], node)
        if callee in AXIS_FUNCTIONS and args:
            # the parameters after the array as AST nodes (a dtype given by position is in
            # kwargs already, DTYPE_POSITION)
            return self.axis_call(callee.__name__, args[0], node.args[1:len(args)], kwargs,
                                  node)
        if callee in joining.JOINERS and len(args) in (1, 2):
            name = joining.JOINERS[callee]
            axis_node = node.args[1] if len(args) == 2 else kwargs.get("axis")
            takes_axis = callee in (np.concatenate, np.stack)
            if set(kwargs) - {"axis"} or (len(args) == 2 and "axis" in kwargs) or (
                    axis_node is not None and not takes_axis):
                raise self.unsupported(node, f"np.{name} takes the arrays"
                                       f"{' and axis=' if takes_axis else ''} here (no out=, "
                                       "dtype= or casting=)")
            axis = self.static_value(axis_node) if axis_node is not None else 0
            return joining.join(self, name, joining.items_of(self, args[0], node), axis, node)
        if callee in ARRANGEMENTS:
            arrays = ARRANGEMENTS[callee][1]
            return self.arrangement(callee, args[:arrays], node.args[arrays:], kwargs, node)
        if callee in (np.array, np.asarray) and len(args) == 1:
            if set(kwargs) - {"dtype"}:
                raise self.unsupported(node, f"np.{callee.__name__} takes dtype= here (no "
                                       "copy=, order= or ndmin=)")
            dtype = self.static_value(kwargs["dtype"]) if "dtype" in kwargs else None
            return array_from(self, args[0], dtype, callee is np.array, node)
        if callee is np.linspace and 2 <= len(args) <= 4:
            return self.call_linspace(args, kwargs, node)
        if callee is np.clip and args:
            bounds = _clip_bounds(self, args[1:], kwargs, node)
            return self.clip(args[0], *bounds, node)
        if callee is np.copy and len(args) == 1:
            return self.method_call(args[0], "copy", node)
        if callee in (builtins.len,) and len(args) == 1:
            return self.builtin_len(args[0], node)
        if callee is builtins.abs and len(args) == 1:
            x = args[0]
            if isinstance(x.type, Scalar) and x.type.weak and x.type.dtype == BOOL:
                x = self.cast_scalar(x, PY_INT)  # Python: abs(True) == 1, an int
            return self.apply_ufunc(np.absolute, [x], node, kind="abs")
        if callee is builtins.pow and len(args) == 2 and not kwargs:
            return self.binary_op(ast.Pow(), args[0], args[1], node)  # pow(x, y) is x ** y
        if callee is builtins.round and len(args) == 1 and not kwargs:
            return self.builtin_round(args[0], node)
        if callee is builtins.round:
            raise self.unsupported(node, "round() with ndigits is not supported in compiled "
                                   "code", "Python rounds to decimal digits exactly: round "
                                   "outside the compiled function")
        if callee in (builtins.divmod, np.divmod) and len(args) == 2 and not kwargs:
            python = callee is builtins.divmod  # Python's rules for Python scalars
            quotient = self.apply_ufunc(np.floor_divide, args, node, operator=python)
            remainder = self.apply_ufunc(np.remainder, args, node, operator=python)
            return Val(TupleType((quotient.type, remainder.type)), items=(quotient, remainder))
        if callee is builtins.sum and len(args) in (1, 2) and set(kwargs) <= {"start"}:
            start = args[1] if len(args) == 2 else (
                self.expr(kwargs["start"]) if kwargs else self.const_scalar(PY_INT, 0))
            return self.builtin_sum(args[0], start, node)
        if callee in (builtins.any, builtins.all) and len(args) == 1 and not kwargs:
            return self.builtin_any_all(callee, args[0], node)
        if callee in (builtins.min, builtins.max) and len(args) >= 1:
            return self.builtin_min_max(callee, args, node)
        if callee in SCALAR_TYPES and len(args) == 1:
            return self.scalar_conversion(args[0], SCALAR_TYPES[callee], node)
        if isinstance(callee, type) and issubclass(callee, np.generic) and len(args) == 1:
            dtype = np.dtype(callee)
            if not is_supported_dtype(dtype):
                raise self.unsupported(node, f"dtype {dtype} is not supported")
            value = self.scalar_or_array(args[0], node)
            self.python_int_in_range(value, dtype, node)  # np.uint8(300) raises
            if isinstance(value.type, Scalar) and value.type.weak:
                # np.int8(151.5) raises; np.int8(np.float64(151.5)) wraps
                self.float_to_int_checks(value, dtype, node)
            return self.cast_to_dtype(value, dtype)
        if callee in (np.eye, np.identity):
            return self.call_eye(callee, args, kwargs, node)
        handler = library.HANDLERS.get(callee)
        if handler is not None:
            return handler(self, callee, args, kwargs, node)
        owner = getattr(callee, "__self__", None)
        if isinstance(owner, np.ufunc) and getattr(callee, "__name__", None) in UFUNC_METHODS:
            return self.ufunc_method(owner, callee.__name__, args, kwargs, node)
        target = getattr(callee, "py_func", callee)
        if isinstance(target, types.FunctionType) and (target.__module__ or "").startswith(
                "numpy"):  # NumPy's own Python code is not compiled: say which function
            raise self.unsupported(node, f"`numpy.{target.__name__}` is not supported in "
                                   "compiled code")
        if isinstance(target, types.FunctionType):
            args = self.bind_arguments(target, args, kwargs, node)
            if getattr(callee, "declared_signatures", None):
                return self.call_declared(callee, args, node)
            return self.call_function(target, args, node)
        name = getattr(callee, "__qualname__", None) or type(callee).__name__
        module = getattr(callee, "__module__", None)
        full = f"{module}.{name}" if module and module != "builtins" else name
        raise self.unsupported(node, f"`{full}` is not supported in compiled code")

    # -- helpers ------------------------------------------------------------------------
    def static_or_value(self, node: ast.expr):
        """The compile-time value of an argument such as axis= or dtype= when it has one,
        else its run-time Val (its code emitted once)."""
        static = self.resolve_static(node)
        if static is not NO_CONST:
            return static
        if isinstance(node, ast.Name) and node.id in SCALAR_TYPES and node.id not in self.env:
            return SCALAR_TYPES[node.id].dtype
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Tuple):
            return tuple(self.static_value(e) for e in node.elts)
        if isinstance(node, ast.Attribute) and node.attr == "dtype":
            owner = self.expr(node.value)
            if isinstance(owner.type, (Array, Scalar)):
                return owner.type.dtype
        v = self.expr(node)  # constant folding makes e.g. -1 known here
        return v.const if v.is_const else v

    def static_value(self, node: ast.expr):
        """An argument that must be known at compile time (axis=, dtype=...)."""
        value = self.static_or_value(node)
        if isinstance(value, Val):
            raise self.unsupported(node, f"`{ast.unparse(node)}` must be a constant here")
        return value

    def scalar_arg(self, v: Val, node) -> Val:
        if not isinstance(v.type, Scalar):
            raise self.typing_error(node, f"expected a number, got {v.type}")
        return v

    def scalar_or_array(self, v: Val, node) -> Val:
        if not isinstance(v.type, (Scalar, Array)):
            raise self.typing_error(node, f"expected a number or an array, got {v.type}")
        return v

    def math_function(self, callee, args: list[Val], node) -> Val:
        ufunc, domain = MATH_FUNCTIONS[callee]
        if callee is math.log and len(args) == 2:
            num = self.math_function(math.log, args[:1], node)
            den = self.math_function(math.log, args[1:], node)
            return self.apply_ufunc(np.true_divide, [num, den], node)
        xs = [self.cast_scalar(self.scalar_arg(a, node), PY_FLOAT) for a in args]
        if len(xs) != ufunc.nin:
            raise self.typing_error(node, f"math.{callee.__name__} takes {ufunc.nin} "
                                    f"argument(s), got {len(xs)}")
        if domain is not None:
            self.check_domain(xs, domain, node)
        kind = UNARY_UFUNCS.get(ufunc)
        result = self.apply_ufunc(ufunc, xs, node, kind=kind)
        if callee not in NEVER_OVERFLOW:
            self.check_overflow(xs, result, node)
        return result

    def check_overflow(self, xs: list[Val], result: Val, node) -> None:
        """math raises OverflowError where a finite input gives an infinite result."""
        i1 = ir.IntegerType.get_signless(1)
        bad = nir.unary("isinf", "float64", result.ir, i1)
        for x in xs:
            bad = arith.andi(bad, nir.unary("isfinite", "float64", x.ir, i1))
        self.raise_if(bad, "math_range", node)

    def check_domain(self, xs: list[Val], domain: str, node) -> None:
        """math raises ValueError where NumPy would give NaN."""
        x = xs[0]
        f64 = lambda v: self.const_scalar(PY_FLOAT, v).ir
        i1 = ir.IntegerType.get_signless(1)
        lt = lambda a, b: nir.compare("lt", "float64", a, b, i1)
        le = lambda a, b: nir.compare("le", "float64", a, b, i1)
        if domain == "negative":
            bad = lt(x.ir, f64(0.0))
        elif domain == "positive":
            bad = le(x.ir, f64(0.0))
        elif domain == "above_minus_one":
            bad = le(x.ir, f64(-1.0))
        elif domain == "finite":  # sin, cos and tan of an infinity
            bad = nir.unary("isinf", "float64", x.ir, i1)
        elif domain == "at_least_one":
            bad = lt(x.ir, f64(1.0))
        elif domain == "open_unit":
            bad = arith.ori(le(x.ir, f64(-1.0)), le(f64(1.0), x.ir))
        elif domain == "gamma":  # poles at 0, -1, -2, ...
            whole = nir.compare("eq", "float64", nir.unary("floor", "float64", x.ir, x.ir.type),
                                x.ir, i1)
            bad = arith.andi(whole, le(x.ir, f64(0.0)))
        elif domain == "pow":  # 0 ** negative, and negative ** non-integer
            y = xs[1].ir
            zero_neg = arith.andi(nir.compare("eq", "float64", x.ir, f64(0.0), i1),
                                  lt(y, f64(0.0)))
            fractional = nir.compare("ne", "float64", nir.unary("floor", "float64", y, y.type),
                                     y, i1)
            finite_y = nir.unary("isfinite", "float64", y, i1)
            neg_frac = arith.andi(arith.andi(lt(x.ir, f64(0.0)), fractional), finite_y)
            bad = arith.ori(zero_neg, neg_frac)
        elif domain == "fmod":
            infinite = nir.unary("isinf", "float64", x.ir, i1)
            bad = arith.ori(infinite, nir.compare("eq", "float64", xs[1].ir, f64(0.0), i1))
        else:
            bad = arith.ori(lt(x.ir, f64(-1.0)), lt(f64(1.0), x.ir))
        self.raise_if(bad, "math_domain", node)

    def builtin_len(self, v: Val, node) -> Val:
        if isinstance(v.type, TupleType):
            return self.const_scalar(PY_INT, len(v.items))
        if isinstance(v.type, Array) and v.type.ndim >= 1:
            return self.from_index(self.dims(v)[0])
        raise self.typing_error(node, f"len() of {v.type}")

    def builtin_min_max(self, callee, args: list[Val], node) -> Val:
        if len(args) == 1:
            seq = args[0]
            if isinstance(seq.type, Array):
                return self.reduction("min" if callee is builtins.min else "max", seq, None,
                                      {}, node)
            if isinstance(seq.type, TupleType):
                args = list(seq.items)
        result = args[0]
        for other in args[1:]:
            pair = [self.scalar_arg(other, node), self.scalar_arg(result, node)]
            # Python keeps the first of equal items; `other < result` picks other
            less = self.apply_ufunc(np.less if callee is builtins.min else np.greater, pair,
                                    node, kind="lt" if callee is builtins.min else "gt")
            weak = all(a.type.weak for a in pair)
            # the result is one of the two objects, so its type must hold both values:
            # NEP 50 would make max(np.int8(3), 300) an int8 (44); np.result_type of the
            # dtypes themselves gives int64
            t = Scalar(result_dtype(*(a.type for a in pair)) if weak
                       else np.result_type(*(a.type.dtype for a in pair)), weak)
            a, b = (self.cast_scalar(x, t) for x in pair)
            result = Val(t, arith.select(less.ir, a.ir, b.ir))
        return result

    def builtin_sum(self, items: Val, start: Val, node) -> Val:
        """sum(items, start): start + each item in turn, by Python's `+` (a 1-D array's
        items are NumPy scalars: `0 + np.float64(x)` is an np.float64; a tuple's items are
        added as they are). Of an empty array, `start` in the type the items would have
        given (Python gives `start` itself, an int 0 where the items are floats; Numba
        gives the float too)."""
        if isinstance(items.type, TupleType):
            total = start
            for item in items.items:
                total = self.binary_op(ast.Add(), total, item, node)
            return total
        if not isinstance(items.type, Array) or items.type.ndim != 1:
            raise self.unsupported(node, f"sum() adds the items of a 1-D array or a tuple "
                                   f"here, not of {items.type}", "use np.sum")
        n = self.dims(items)[0]
        element = lambda i: self.load_element(items, [i], node)  # noqa: E731
        empty = arith.cmpi(arith.CmpIPredicate.eq, n, self.const_index(0))
        start = self.scalar_arg(start, node)
        total_type = Scalar(ufunc_result(np.add, start.type, Scalar(items.type.dtype))[0])

        def add_all() -> Val:
            # the first addition as Python makes it, start's rules and checks included
            first = self.cast_scalar(self.binary_op(ast.Add(), start,
                                                    element(self.const_index(0)), node),
                                     total_type)
            loop = scf.ForOp(self.const_index(1), n, self.const_index(1), [first.ir])
            with ir.InsertionPoint(loop.body):
                total = Val(total_type, loop.inner_iter_args[0])
                added = self.binary_op(ast.Add(), total, element(loop.induction_variable),
                                       node)
                scf.YieldOp([self.cast_scalar(added, total_type).ir])
            return Val(total_type, loop.results[0])

        added = self.unless_failed(empty, total_type, add_all)
        return Val(total_type, arith.select(empty, self.cast_scalar(start, total_type).ir,
                                            added.ir))

    def builtin_any_all(self, callee, items: Val, node) -> Val:
        """any(items) / all(items) of a 1-D array or a tuple: a Python bool."""
        if isinstance(items.type, TupleType):
            truths = [self.truth(self.scalar_arg(item, node), node) for item in items.items]
            combine = arith.ori if callee is builtins.any else arith.andi
            result = self.const_bool(callee is builtins.all).ir
            for truth in truths:
                result = combine(result, truth)
            return Val(PY_BOOL, result)
        if not isinstance(items.type, Array) or items.type.ndim != 1:
            raise self.unsupported(node, f"{callee.__name__}() takes a 1-D array or a tuple "
                                   f"here, not {items.type}", f"use np.{callee.__name__}")
        found = self.reduce_axes(callee.__name__, items, (0,), False, node)
        return self.cast_scalar(found, PY_BOOL)

    def builtin_round(self, v: Val, node) -> Val:
        """round(x): the int nearest to x, halves to even, raising as int() does for NaN
        and infinity; an int or a Python bool as an int."""
        if not isinstance(v.type, Scalar) or v.type == Scalar(BOOL):
            raise self.typing_error(node, f"type {v.type} doesn't define __round__")
        if v.type.dtype.kind != "f":
            return self.cast_scalar(v, PY_INT)
        nearest = self.apply_ufunc(np.rint, [v], node, kind="rint", operator=False)
        self.float_to_int_checks(nearest, INT64, node, INT_TOO_LARGE)
        return self.cast_scalar(nearest, PY_INT)

    def scalar_conversion(self, v: Val, t: Scalar, node) -> Val:
        v = self.scalar_arg(v, node)
        if t == PY_BOOL:
            return Val(PY_BOOL, self.truth(v, node))
        if t == PY_INT and v.type.dtype.kind == "f":
            self.float_to_int_checks(v, INT64, node, INT_TOO_LARGE)
            return self.cast_scalar(v, PY_INT)  # truncation toward zero, like int()
        return self.cast_scalar(v, t)

    def elementwise_select(self, cond: Val, a: Val, b: Val, dtype, node) -> Val:
        operands = [cond, a, b]
        rank = max(x.type.ndim for x in operands if isinstance(x.type, Array))
        t = Array(dtype, rank)
        self.broadcast_mismatch(operands, node)  # unguarded: see `apply_ufunc`
        return Val(t, nir.select(cond.ir, a.ir, b.ir, nir.array_type(dtype, rank)),
                   fresh=True)

    # -- reductions ---------------------------------------------------------------------
    def reduction(self, kind: str, a: Val, axis: ast.expr | None, kw: dict, node) -> Val:
        """np.sum & co. `axis` is None, a constant (int or tuple) or a run-time int."""
        if isinstance(a.type, Scalar):
            a = self.as_rank0(a)
        if not isinstance(a.type, Array):
            raise self.typing_error(node, f"cannot reduce {a.type}")
        unknown = set(kw) - {"keepdims"}
        if unknown:
            raise self.unsupported(node, f"argument(s) {', '.join(sorted(unknown))} of "
                                   f"{kind} are not supported")
        keepdims = bool(self.static_value(kw["keepdims"])) if "keepdims" in kw else False
        value = None if axis is None else self.static_or_value(axis)
        if isinstance(value, Val):
            return self.reduce_runtime_axis(kind, a, value, keepdims, node)
        axes = self.constant_axes(a, value, node)
        if kind in ("min", "max"):
            self.check_not_empty(a, axes, node)
        return self.reduce_axes(kind, a, axes, keepdims, node)

    def constant_axes(self, a: Val, axis: object, node) -> tuple[int, ...]:
        """A reduction's constant axis= (None: all, an int or a tuple) as sorted axes."""
        ndim = a.type.ndim
        axes = tuple(range(ndim)) if axis is None else (
            axis if isinstance(axis, tuple) else (axis,))
        if not all(isinstance(x, (int, np.integer)) and -ndim <= x < ndim for x in axes):
            raise self.typing_error(node, f"axis {axis} is out of bounds for {a.type}")
        return tuple(sorted({int(x) % ndim for x in axes}))

    def check_not_empty(self, a: Val, axes: tuple[int, ...], node) -> None:
        """NumPy's ValueError for a reduction without identity (min, max) over no
        elements."""
        dims = self.dims(a)
        empty = any_true([self.index_eq(dims[d], 0) for d in axes])
        if empty is not None:
            self.raise_if(empty, "empty_reduction", node)

    def reduce_runtime_axis(self, kind: str, a: Val, axis: Val, keepdims: bool, node) -> Val:
        """A reduction over one axis chosen at run time: a switch over the axes (every
        choice gives the same type)."""
        ndim = a.type.ndim
        i = self.normalize_index(axis, self.const_index(ndim), node, error="axis")
        if kind in ("min", "max"):
            dims = self.dims(a)
            size = dims[-1]
            for d in range(ndim - 2, -1, -1):
                size = arith.select(self.index_eq(i, d), dims[d], size)
            self.raise_if(self.index_eq(size, 0), "empty_reduction", node)

        def over(d: int) -> Val:
            if d == ndim - 1:
                return self.reduce_axes(kind, a, (d,), keepdims, node)
            probe_t = self.reduce_axes_type(kind, a, 1, keepdims)
            op = scf.IfOp(self.index_eq(i, d), mlir_types(probe_t), has_else=True)
            with ir.InsertionPoint(op.then_block):
                scf.YieldOp(flatten(self.reduce_axes(kind, a, (d,), keepdims, node)))
            with ir.InsertionPoint(op.else_block):
                scf.YieldOp(flatten(over(d + 1)))
            return Val(probe_t, op.results[0], fresh=isinstance(probe_t, Array))

        return over(0)

    def index_eq(self, value: ir.Value, n: int) -> ir.Value:
        return arith.cmpi(arith.CmpIPredicate.eq, value, self.const_index(n))

    def reduce_axes_type(self, kind: str, a: Val, n_axes: int, keepdims: bool):
        dtype = reduction_dtype(kind, a.type.dtype)
        rank = a.type.ndim if keepdims else a.type.ndim - n_axes
        return Array(dtype, rank) if rank else Scalar(dtype)

    def reduce_axes(self, kind: str, a: Val, axes: tuple[int, ...], keepdims: bool,
                    node) -> Val:
        """The reduction itself over constant `axes`, checks done (touches no variable)."""
        result_t = self.reduce_axes_type(kind, a, len(axes), keepdims)
        dtype = result_t.dtype
        # any/all reduce bools (the lowering's bitor/bitand): other dtypes are tested
        # against zero first, as NumPy does (NaN is true); the others reduce in their
        # result dtype
        source = self.cast_array(a, dtype)
        value = Val(result_t, nir.reduce("sum" if kind == "mean" else kind,
                                         source.type.dtype.name, source.ir, axes, keepdims,
                                         mlir_types(result_t)[0]),
                    fresh=isinstance(result_t, Array))
        if kind != "mean":
            return value
        count = self.const_index(1)
        for d in axes:
            count = arith.muli(count, self.dims(a)[d])
        n = self.cast_scalar(self.from_index(count), Scalar(dtype))
        return self.apply_ufunc(np.true_divide, [value, n], node)

    def as_rank0(self, v: Val) -> Val:
        buf = nir.full(v.type.dtype.name, v.ir, [])
        return Val(Array(v.type.dtype, 0), buf, fresh=True)

    # -- creation -----------------------------------------------------------------------
    def shape_dims(self, shape: Val, node) -> list[ir.Value]:
        items = shape.items if isinstance(shape.type, TupleType) else (shape,)
        return [self.to_index(x, node) for x in items]

    def create(self, args: list[Val], kw: dict, fill, node) -> Val:
        if not args:
            raise self.typing_error(node, "missing the shape argument")
        default = fill.type.dtype if isinstance(fill, Val) else FLOAT64
        dtype = np.dtype(kw.get("dtype") or default)
        return self.allocate(self.shape_dims(args[0], node), dtype, fill, node)

    def allocate(self, dims: list[ir.Value], dtype: np.dtype, fill, node,
                 checked: bool = True) -> Val:
        """A new array; `checked` is False where dims come from an existing array and so
        cannot be negative."""
        if not is_supported_dtype(dtype):
            raise self.unsupported(node, f"dtype {dtype} is not supported")
        negative = any_true([arith.cmpi(arith.CmpIPredicate.slt, d, self.const_index(0))
                             for d in (dims if checked else ())])
        if negative is not None:
            self.raise_if(negative, "negative_dimension", node)
            dims = [arith.maxsi(d, self.const_index(0)) for d in dims]
        t = Array(dtype, len(dims))
        if fill is None:
            return Val(t, nir.empty(dtype.name, dims), fresh=True)
        value = fill if isinstance(fill, Val) else self.const_scalar(Scalar(dtype), fill)
        self.python_int_in_range(value, dtype, node)  # np.full(n, 300, np.uint8) raises
        value = self.cast_scalar(self.scalar_arg(value, node), Scalar(dtype))
        return Val(t, nir.full(dtype.name, value.ir, dims), fresh=True)

    def arange(self, args: list[Val], kw: dict, node) -> Val:
        if not 1 <= len(args) <= 3:
            raise self.typing_error(node, "np.arange takes 1 to 3 positional arguments")
        if len(args) == 1:
            args = [self.const_scalar(PY_INT, 0), args[0]]
        if len(args) == 2:
            args.append(self.const_scalar(PY_INT, 1))
        start, stop, step = (self.scalar_arg(a, node) for a in args)
        dtype = np.dtype(kw["dtype"]) if "dtype" in kw else result_dtype(
            *(a.type for a in args))
        if dtype == BOOL:
            raise self.unsupported(node, "np.arange of bools is not supported",
                                   "NumPy makes at most two: write them out")
        if not is_supported_dtype(dtype):
            raise self.unsupported(node, f"dtype {dtype} is not supported")
        calc = Scalar(FLOAT64) if dtype.kind == "f" or any(
            a.type.dtype.kind == "f" for a in args) else Scalar(INT64)
        s, e, st = (self.cast_scalar(a, calc) for a in (start, stop, step))
        zero = self.const_scalar(calc, 0)
        i1 = ir.IntegerType.get_signless(1)
        self.raise_if(nir.compare("eq", calc.dtype.name, st.ir, zero.ir, i1), "arange_step",
                      node)
        span = nir.binary("sub", calc.dtype.name, e.ir, s.ir, e.ir.type)
        if calc.dtype.kind == "f":
            q = nir.binary("truediv", "float64", span, st.ir, span.type)
            q = nir.unary("ceil", "float64", q, q.type)
            # NumPy's length must be an int64 (NaN, infinite or huge: ValueError)
            fits = arith.andi(
                arith.cmpf(arith.CmpFPredicate.OGE, q, self.const_scalar(calc, -2.0**63).ir),
                arith.cmpf(arith.CmpFPredicate.OLT, q, self.const_scalar(calc, 2.0**63).ir))
            self.raise_if(self.logical_not(fits), "arange_size", node)
            count = nir.cast("float64", "int64", q, ir.IntegerType.get_signless(64))
        else:
            one = self.const_scalar(calc, 1).ir
            positive = nir.compare("gt", "int64", st.ir, zero.ir, i1)
            adjust = arith.select(positive, arith.subi(st.ir, one), arith.addi(st.ir, one))
            count = nir.binary("floordiv", "int64", arith.addi(span, adjust), st.ir, span.type)
        count = arith.maxsi(count, arith.constant(ir.IntegerType.get_signless(64), 0))
        n = arith.index_cast(ir.IndexType.get(), count)
        if "dtype" in kw and dtype.kind in "iu":
            # NumPy converts the first two values to the dtype as Python ints do
            self.arange_value_in_range(s, dtype, None, node)
            after = Val(calc, nir.binary("add", calc.dtype.name, s.ir, st.ir, s.ir.type))
            self.arange_value_in_range(after, dtype, arith.cmpi(
                arith.CmpIPredicate.sgt, count, arith.constant(count.type, 1)), node)
        first = self.cast_scalar(start, Scalar(dtype))
        delta = self.cast_scalar(step, Scalar(dtype))
        if dtype.kind in "iu" and calc.dtype.kind == "f":
            # NumPy steps by the difference of its first two values in the dtype:
            # arange(0.5, 5, 1.5, dtype=int) is 0, 2, 4, and arange(0, 5, 0.5, dtype=int)
            # all zeros
            after = Val(calc, nir.binary("add", "float64", s.ir, st.ir, s.ir.type))
            second = self.cast_scalar(after, Scalar(dtype))
            delta = Val(Scalar(dtype), nir.binary("sub", dtype.name, second.ir, first.ir,
                                                  first.ir.type))
        return Val(Array(dtype, 1), nir.arange(dtype.name, first.ir, delta.ir, n), fresh=True)

    def arange_value_in_range(self, value: Val, dtype: np.dtype, when: ir.Value | None,
                              node) -> None:
        """NumPy's OverflowError where a value of np.arange (as an int: a float
        truncated) lies outside the integer `dtype` (only `when` it is made, if given)."""
        as_int = self.cast_scalar(value, PY_INT).ir
        info, i64 = np.iinfo(dtype), np.iinfo(np.int64)
        outside = [arith.cmpi(arith.CmpIPredicate.slt, as_int,
                              self.const_scalar(PY_INT, max(int(info.min), int(i64.min))).ir)]
        if info.max < i64.max:
            outside.append(arith.cmpi(arith.CmpIPredicate.sgt, as_int,
                                      self.const_scalar(PY_INT, int(info.max)).ir))
        bad = any_true(outside)
        self.raise_if(bad if when is None else arith.andi(bad, when), "python_int", node)

    # -- methods ------------------------------------------------------------------------
    def method_call(self, obj: Val, name: str, node: ast.Call) -> Val:
        if name == "item" and not node.args and not node.keywords:
            return self.item(obj, node)
        if not isinstance(obj.type, Array):
            raise self.unsupported(node, f"{obj.type} has no method '{name}' in compiled code")
        if name in METHOD_ARRANGEMENTS:
            callee = METHOD_ARRANGEMENTS[name]
            if name == "transpose" and len(node.args) > 1:  # a.transpose(1, 0)
                axes = ast.copy_location(ast.Tuple(node.args, ast.Load()), node)
                return views.transpose(self, obj, self.static_value(axes), node)
            return self.arrangement(callee, [obj], node.args,
                                    {k.arg: k.value for k in node.keywords}, node)
        if name == "repeat" and node.args and len(node.args) <= 2:
            keywords = {k.arg: k.value for k in node.keywords}
            axis_node = node.args[1] if len(node.args) == 2 else keywords.get("axis")
            if set(keywords) - {"axis"} or (len(node.args) == 2 and keywords):
                raise self.unsupported(node, "a.repeat takes a count and axis= here")
            axis = self.static_value(axis_node) if axis_node is not None else None
            return repetition.repeat(self, obj, self.expr(node.args[0]), axis, node)
        if name == "take" and 1 <= len(node.args) <= 2:
            return library.take(self, obj, self.expr(node.args[0]),
                             node.args[1] if len(node.args) == 2 else None,
                             {k.arg: k.value for k in node.keywords}, node)
        if name == "nonzero" and not node.args and not node.keywords:
            return nonzero.nonzero(self, obj, node)
        keywords = {k.arg: k.value for k in node.keywords}
        if name == "argsort" and len(node.args) <= 1 and set(keywords) <= {"axis", "kind"}:
            library.sort_kind(self, keywords, node)
            axis_node = node.args[0] if node.args else keywords.get("axis")
            axis = self.static_value(axis_node) if axis_node is not None else -1
            return sorting.argsort(self, obj, axis, node)
        if name == "sort" and not node.args and not node.keywords:  # in place, as NumPy's
            if obj.type.ndim == 0:
                raise self.typing_error(node, "a 0-d array cannot be sorted")
            if obj.type.readonly:
                self.raise_here("readonly", node)
            else:
                self.store_unless_failed(lambda: sorting.sort_rows(self, obj, node))
            return NONE_VAL
        if name == "dot" and len(node.args) == 1 and not node.keywords:
            return self.matmul(obj, self.expr(node.args[0]), node)
        if name == "fill" and len(node.args) == 1 and not node.keywords:
            self.store_into_view(obj, self.expr(node.args[0]), node)
            return NONE_VAL
        if name in METHOD_REDUCTIONS:
            kw_nodes = {k.arg: k.value for k in node.keywords}
            axis = node.args[0] if node.args else kw_nodes.pop("axis", None)
            return self.reduction(METHOD_REDUCTIONS[name], obj, axis, kw_nodes, node)
        if name in ("reshape", "ravel", "flatten"):
            _c_order_only(self, {k.arg: k.value for k in node.keywords}, node)
            if name == "reshape":
                shape = reshape.shape_arguments(self, [self.expr(a) for a in node.args], node)
                return reshape.reshape(self, obj, shape, node)
            if node.args:
                raise self.unsupported(node, f"{name}() takes no positional arguments here")
            return reshape.ravel(self, obj, node) if name == "ravel" else reshape.flatten(self,
                                                                                         obj)
        if name in AXIS_METHODS:
            return self.axis_call(name, obj, node.args, {k.arg: k.value for k in node.keywords},
                                  node)
        if name == "clip":
            args = [self.expr(a) for a in node.args]
            bounds = _clip_bounds(self, args, {k.arg: k.value for k in node.keywords}, node)
            return self.clip(obj, *bounds, node)
        if name == "copy":
            return Val(obj.type, nir.copy(obj.type.dtype.name, obj.ir), fresh=True)
        kw = {k.arg: self.static_value(k.value) for k in node.keywords}
        if name == "astype":
            dtype = np.dtype(self.static_value(node.args[0]) if node.args else kw["dtype"])
            if not is_supported_dtype(dtype):
                raise self.unsupported(node, f"dtype {dtype} is not supported")
            if dtype == obj.type.dtype:
                return Val(obj.type, nir.copy(dtype.name, obj.ir), fresh=True)
            return self.cast_array(obj, dtype)
        raise self.unsupported(node, f"the array method '{name}' is not supported in "
                               "compiled code")

    def axis_call(self, name: str, a: Val, positional: list[ast.expr], kwargs: dict,
                  node) -> Val:
        """np.<name>(a, axis, ...) or a.<name>(axis, ...) of AXIS_FUNCTIONS: the parameters
        after the array, by position (the axis, then a scan's dtype) or by name (AST
        nodes), to the function's handler."""
        names = ("axis", "dtype") if name in scans.SCANS else ("axis",)
        if len(positional) > len(names):
            raise self.unsupported(node, f"{name} takes {' and '.join(names)} by position")
        given = dict(zip(names, positional))
        if set(given) & set(kwargs):
            raise self.typing_error(node, f"{name}() got {', '.join(set(given) & set(kwargs))} "
                                    "twice")
        kwargs = {**given, **kwargs}
        if name in scans.SCANS:
            return self.scan(name, a, kwargs, node)
        if name in ARG_REDUCTIONS:
            return self.arg_reduction(name, a, kwargs, node)
        if name in ("var", "std"):
            return self.variance(name, a, kwargs, node)
        return self.nan_reduction(name, a, kwargs, node)

    def call_linspace(self, args: list[Val], kwargs: dict, node) -> Val:
        """np.linspace(start, stop, num=50, endpoint=True, dtype=None): num as a value,
        the others constants."""
        if set(kwargs) - {"num", "endpoint", "dtype", "retstep", "axis"} or (
                "retstep" in kwargs and self.static_value(kwargs["retstep"])) or (
                "axis" in kwargs and self.static_value(kwargs["axis"]) != 0):
            raise self.unsupported(node, "np.linspace takes num=, endpoint= and dtype= here "
                                   "(no retstep=True, no other axis)")
        num = args[2] if len(args) > 2 else (self.expr(kwargs["num"]) if "num" in kwargs
                                             else self.const_scalar(PY_INT, 50))
        if len(args) > 3:
            if not args[3].is_const:
                raise self.unsupported(node, "np.linspace's endpoint must be a constant")
            endpoint = bool(args[3].const)
        else:
            endpoint = bool(self.static_value(kwargs["endpoint"])) if "endpoint" in kwargs \
                else True
        dtype = self.static_value(kwargs["dtype"]) if "dtype" in kwargs else None
        return linspace(self, args[0], args[1], num, endpoint, dtype, node)

    def item(self, v: Val, node) -> Val:
        """`x.item()`: a Python number of a NumPy scalar or of an array of one element
        (NumPy's ValueError for other sizes)."""
        if isinstance(v.type, Array):
            size = index_constant(1)
            for d in self.dims(v):
                size = arith.muli(size, d)
            bad = arith.cmpi(arith.CmpIPredicate.ne, size, index_constant(1))
            self.raise_if(bad, "item_size", node)
            flat = reshape.ravel(self, v, node, "item")
            v = self.unless_failed(bad, Scalar(v.type.dtype), lambda: self.load_element(
                flat, [index_constant(0)], node))
        if not isinstance(v.type, Scalar):
            raise self.typing_error(node, f"{v.type} has no method 'item'")
        python = {"b": PY_BOOL, "i": PY_INT, "u": PY_INT, "f": PY_FLOAT}[v.type.dtype.kind]
        return self.cast_scalar(v, python)

    def call_eye(self, callee, args: list[Val], kwargs: dict, node) -> Val:
        """np.eye(N, M=None, k=0, dtype=float) / np.identity(n, dtype=float): sizes and k
        values, dtype a constant."""
        names = ("N", "M", "k") if callee is np.eye else ("n",)
        if len(args) > len(names) or set(kwargs) - {*names, "dtype"} or not (
                args or names[0] in kwargs):
            raise self.unsupported(node, f"np.{callee.__name__} takes "
                                   f"{', '.join(names)} and dtype= here")
        given = dict(zip(names, args))
        given.update({name: self.expr(v) for name, v in kwargs.items() if name != "dtype"})
        dtype = self.static_value(kwargs["dtype"]) if "dtype" in kwargs else None
        m = given.get("M")
        m = None if m is None or isinstance(m.type, NoneType) else m
        return composites.eye(self, given[names[0]], m,
                              given.get("k", self.const_scalar(PY_INT, 0)), dtype, node)

    def arrangement(self, callee, args: list[Val], constants: list[ast.expr], kwargs: dict,
                    node) -> Val:
        """The functions of ARRANGEMENTS: views of an array's axes, and NumPy functions
        composed of other operations. `args`: the arrays; `constants`: the parameters
        after them given by position (AST nodes), `kwargs` those given by name."""
        names, arrays = ARRANGEMENTS[callee]
        if len(args) < arrays:
            raise self.typing_error(node, f"np.{callee.__name__} takes {arrays} array(s)")
        given = dict(zip(names, constants))
        if len(constants) > len(names) or set(kwargs) - set(names) or (
                set(given) & set(kwargs)):
            raise self.unsupported(node, f"np.{callee.__name__} takes "
                                   f"{', '.join(names) or 'no other arguments'} here")
        static = {name: self.static_value(value) for name, value in {**given, **kwargs}.items()}
        a = args[0]
        if callee is np.transpose:
            return views.transpose(self, a, static.get("axes"), node)
        if callee is np.swapaxes:
            return views.swapaxes(self, a, static["axis1"], static["axis2"], node)
        if callee in (np.flip, np.fliplr, np.flipud):
            axis = {np.fliplr: 1, np.flipud: 0}.get(callee, static.get("axis"))
            return views.flip(self, a, axis, node)
        if callee is np.expand_dims:
            return views.expand_dims(self, a, static["axis"], node)
        if callee is np.outer:
            return composites.outer(self, a, args[1], node)
        if callee is np.diff:
            return composites.diff(self, a, static.get("n", 1), static.get("axis", -1), node)
        if callee is np.trace:
            return composites.trace(self, a, node)
        if callee is np.count_nonzero:
            return composites.count_nonzero(self, a, node)
        return composites.around(self, a, static.get("decimals", 0), node)

    def ufunc_method(self, ufunc: np.ufunc, method: str, args: list[Val], kwargs: dict,
                     node) -> Val:
        """`np.add.reduce(a, axis=0)` & co. and `np.add.accumulate(a, axis=0)`: the
        reductions and scans they are (np.sum, np.cumsum...), along axis 0 by default."""
        kind = UFUNC_METHODS[method].get(ufunc)
        allowed = {"axis", "keepdims"} if method == "reduce" else {"axis"}
        if kind is None or not 1 <= len(args) <= 2 or set(kwargs) - allowed or (
                len(args) == 2 and "axis" in kwargs):
            which = ", ".join(f.__name__ for f in UFUNC_METHODS[method])
            raise self.unsupported(node, f"np.{ufunc.__name__}.{method} is not supported "
                                   f"here (only of {which}; a and "
                                   f"{'= and '.join(sorted(allowed))}=)")
        axis = node.args[1] if len(args) == 2 else kwargs.get(
            "axis", ast.copy_location(ast.Constant(0), node))
        if method == "accumulate":
            if self.static_or_value(axis) is None:
                raise self.typing_error(node, f"np.{ufunc.__name__}.accumulate needs an axis")
            return self.scan(kind, args[0], {"axis": axis}, node)
        keepdims = {k: v for k, v in kwargs.items() if k == "keepdims"}
        return self.reduction(kind, args[0], axis, keepdims, node)

    def reduced_operand(self, kind: str, a: Val, kwargs: dict, allowed: tuple[str, ...],
                        node) -> tuple[Val, tuple[int, ...], bool]:
        """The array np.<kind> reduces (a scalar as a 0-d array), its axes (all for None)
        and keepdims, where axis= and keepdims= (AST nodes in `kwargs`) are constants
        and `allowed` names the keywords it takes."""
        if set(kwargs) - set(allowed):
            raise self.unsupported(node, f"np.{kind} takes "
                                   f"{', '.join(name + '=' for name in allowed)} here")
        if isinstance(a.type, Scalar):
            a = self.as_rank0(a)
        if not isinstance(a.type, Array):
            raise self.typing_error(node, f"np.{kind} needs an array, not {a.type}")
        axis = self.static_value(kwargs["axis"]) if "axis" in kwargs else None
        keepdims = bool(self.static_value(kwargs["keepdims"])) if "keepdims" in kwargs \
            else False
        return a, self.constant_axes(a, axis, node), keepdims

    def nan_reduction(self, kind: str, a: Val, kwargs: dict, node) -> Val:
        """np.nansum & co., with axis= and keepdims= (constants)."""
        a, axes, keepdims = self.reduced_operand(kind, a, kwargs, ("axis", "keepdims"), node)
        if kind in ("nanmax", "nanmin"):
            self.check_not_empty(a, axes, node)
        return composites.nan_reduction(self, kind, a, axes, keepdims, node)

    def variance(self, kind: str, a: Val, kwargs: dict, node) -> Val:
        """np.var / np.std as NumPy's _var computes them: the mean (kept as an axis, to
        broadcast), the sum of squared deviations, divided by max(n - ddof, 0) (NaN or
        inf where that is 0, as NumPy's); axis=, ddof= (a value) and keepdims=."""
        a, axes, keepdims = self.reduced_operand(kind, a, kwargs,
                                                 ("axis", "ddof", "keepdims"), node)
        ddof = self.expr(kwargs["ddof"]) if "ddof" in kwargs else self.const_scalar(PY_INT, 0)
        mean = self.reduce_axes("mean", a, axes, True, node)
        deviation = self.apply_ufunc(np.subtract, [a, mean], node, operator=False)
        squares = self.apply_ufunc(np.multiply, [deviation, deviation], node, operator=False)
        total = self.reduce_axes("sum", squares, axes, keepdims, node)
        count = index_constant(1)
        for d in axes:
            count = arith.muli(count, self.dims(a)[d])
        left = self.apply_ufunc(np.subtract, [self.from_index(count), ddof], node)
        left = self.builtin_min_max(builtins.max, [left, self.const_scalar(PY_INT, 0)], node)
        result = self.apply_ufunc(np.true_divide, [total, left], node, operator=False)
        if kind == "std":
            result = self.apply_ufunc(np.sqrt, [result], node, kind="sqrt", operator=False)
        return result

    def arg_reduction(self, kind: str, a: Val, kwargs: dict, node) -> Val:
        """np.argmax / np.argmin of `a`, with axis= (an AST node) if given."""
        if set(kwargs) - {"axis"}:
            raise self.unsupported(node, f"{kind} takes axis= here (no out= or keepdims=)")
        axis = self.static_value(kwargs["axis"]) if "axis" in kwargs else None
        return arg_extreme(self, kind, a, axis, node)

    def scan(self, kind: str, a: Val, kwargs: dict, node) -> Val:
        """np.cumsum / np.cumprod of `a`, with axis= and dtype= (AST nodes) if given."""
        if set(kwargs) - {"axis", "dtype"}:
            raise self.unsupported(node, f"{kind} takes axis= and dtype= here (no out=)")
        axis = self.static_value(kwargs["axis"]) if "axis" in kwargs else None
        dtype = self.static_value(kwargs["dtype"]) if "dtype" in kwargs else None
        return scans.cumulative(self, kind, a, axis, dtype, node)

    def clip(self, a: Val, low: Val, high: Val, node) -> Val:
        """np.clip as NumPy 2 computes it: np.minimum(np.maximum(a, low), high) in the
        operands' common dtype (NaN anywhere gives NaN; low > high gives high), except
        that a Python int bound beyond an integer dtype's range on the side where it
        clips nothing (a low bound below its minimum, a high one above its maximum) is
        clamped into it rather than refused; a None bound clips nothing."""
        given = [b for b in (low, high) if not isinstance(b.type, NoneType)]
        for b in (a, *given):
            if not isinstance(b.type, (Scalar, Array)):
                raise self.typing_error(node, f"np.clip does not take {b.type}")
        dtype = result_dtype(*(b.type for b in (a, *given)))
        if not given:
            if isinstance(a.type, Array):
                return Val(a.type, nir.copy(a.type.dtype.name, a.ir), fresh=True)
            return self.cast_scalar(a, Scalar(dtype))
        result = a
        for bound, ufunc in ((low, np.maximum), (high, np.minimum)):
            if isinstance(bound.type, NoneType):
                continue
            if (isinstance(bound.type, Scalar) and bound.type.weak
                    and bound.type.dtype.kind in "biu" and dtype.kind in "iu"):
                bound = self.clip_bound(bound, dtype, ufunc is np.maximum, node)
            if dtype.kind == "f" and len(given) == 2:  # NumPy's clip loop; with one
                # bound, NumPy calls np.maximum or np.minimum itself
                result = self.clip_float(result, bound, dtype, ufunc is np.maximum, node)
            else:
                result = self.apply_ufunc(ufunc, [result, bound], node, operator=False)
        return result

    def clip_float(self, x: Val, bound: Val, dtype: np.dtype, is_low: bool, node) -> Val:
        """One side of a float clip as NumPy's loop takes it: the bound where x is beyond
        it or the bound is NaN, else x itself (so -0.0 stays -0.0 at a bound of 0.0, where
        np.maximum would give 0.0); a NaN x stays."""
        x, bound = (self.cast_to_dtype(v, dtype) for v in (x, bound))
        beyond = self.apply_ufunc(np.less if is_low else np.greater, [x, bound], node,
                                  kind="lt" if is_low else "gt", operator=False)
        nan = self.apply_ufunc(np.isnan, [bound], node, kind="isnan", operator=False)
        take = self.apply_ufunc(np.bitwise_or, [beyond, nan], node, operator=False)
        if isinstance(take.type, Scalar):
            return Val(Scalar(dtype), arith.select(take.ir, bound.ir, x.ir))
        return self.elementwise_select(take, bound, x, dtype, node)

    def clip_bound(self, v: Val, dtype: np.dtype, is_low: bool, node) -> Val:
        """A Python int bound of np.clip as `dtype`: beyond the range on the side where
        it clips nothing, the nearest end of the range; on the other side NumPy's
        OverflowError."""
        info, i64 = np.iinfo(dtype), np.iinfo(np.int64)
        lowest = self.const_scalar(PY_INT, max(int(info.min), int(i64.min))).ir
        highest = self.const_scalar(PY_INT, min(int(info.max), int(i64.max))).ir
        value = self.cast_scalar(v, PY_INT).ir
        beyond = arith.cmpi(arith.CmpIPredicate.sgt, value, highest) if is_low else \
            arith.cmpi(arith.CmpIPredicate.slt, value, lowest)
        self.raise_if(beyond, "python_int", node)
        clamped = arith.maxsi(value, lowest) if is_low else arith.minsi(value, highest)
        return self.cast_scalar(Val(PY_INT, clamped), Scalar(dtype))

    # -- calls to Python functions --------------------------------------------------------
    def call_declared(self, callee, args: list[Val], node) -> Val:
        """A call of a `@jit` function with explicit signatures, as Numba makes it: by the
        first signature that takes the arguments' types, with the arguments converted to
        the declared types and the result to the declared return type."""
        signatures = callee.declared_signatures
        declared = first_fitting([types_ for _, _, types_ in signatures],
                                 [a.type for a in args])
        if declared is not None:
            returns = next(ret for _, ret, types_ in signatures if types_ == declared)
            converted = [_as_declared_argument(self, a, d) for a, d in zip(args, declared)]
            return self.call_function(callee.py_func, converted, node, returns)
        shown = ", ".join(str(a.type) for a in args)
        raise self.typing_error(node, f"{callee.py_func.__qualname__}() has no signature for "
                                f"({shown}); declared: "
                                f"{', '.join(s for s, _, _ in callee.declared_signatures)}")

    def bind_arguments(self, target: types.FunctionType, args: list[Val], kwargs: dict,
                       node) -> list[Val]:
        """The arguments of a call of `target`, one per parameter, in order, as Python
        binds them: keyword arguments by name (evaluated after the positional ones, as
        Python evaluates them), defaults where none is given. A default must be a
        constant compiled code can hold (a number, a bool, None, a tuple of those)."""
        signature = inspect.signature(target)
        if not kwargs and len(args) == len(signature.parameters):
            return args
        named = {name: self.expr(value) for name, value in kwargs.items()}
        try:
            bound = signature.bind(*args, **named)
        except TypeError as e:
            raise self.typing_error(node, f"{target.__qualname__}(): {e}") from None
        values = []
        for name, parameter in signature.parameters.items():
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise self.unsupported(node, f"{target.__qualname__} takes *args or "
                                       "**kwargs, which compiled code does not pass")
            if name in bound.arguments:
                values.append(bound.arguments[name])
                continue
            default = self.constant_value(parameter.default)
            if default is None:
                raise self.unsupported(node, f"the default of {target.__qualname__}'s "
                                       f"parameter '{name}' ({parameter.default!r}) is not "
                                       "a constant compiled code can hold",
                                       f"pass {name}= explicitly")
            values.append(default)
        return values

    def constant_value(self, value: object) -> Val | None:
        """A Python constant as a compiled value (numbers, bools, None, tuples of those);
        None for anything else."""
        if value is None:
            return NONE_VAL
        if isinstance(value, tuple):
            items = [self.constant_value(v) for v in value]
            if any(item is None for item in items):
                return None
            return Val(TupleType(tuple(item.type for item in items)), items=tuple(items),
                       const=value)
        t = typeof(value)
        return self.const_scalar(t, value) if isinstance(t, Scalar) else None

    def call_function(self, target: types.FunctionType, args: list[Val], node,
                      returns: NType | None = None) -> Val:
        symbol, result_type = self.unit.function(target, tuple(a.type for a in args), node,
                                                 returns)
        call = func.CallOp(mlir_types(result_type), symbol,
                           [self.status, *[x for a in args for x in flatten(a)]])
        failed = arith.cmpi(arith.CmpIPredicate.ne, memref.load(self.status, []),
                            arith.constant(ir.IntegerType.get_signless(64), 0))
        self.mark_failed(failed)  # the callee stored its own error site
        return unflatten(result_type, iter(call.results))


def _lists_as_tuples(node: ast.expr) -> ast.expr:
    """A list display, nested ones too, as the tuple display of the same items."""
    if not isinstance(node, (ast.List, ast.Tuple)):
        return node
    items = [_lists_as_tuples(item) for item in node.elts]
    return ast.copy_location(ast.Tuple(items, ast.Load()), node)


def _clip_bounds(gen: CallMixin, args: list[Val], kwargs: dict, node) -> tuple[Val, Val]:
    """(low, high) of np.clip(a, a_min, a_max), given by position or by name (a_min /
    min, a_max / max); a missing one is None."""
    names = (("a_min", "min"), ("a_max", "max"))
    unknown = set(kwargs) - {n for pair in names for n in pair}
    if unknown or len(args) > 2:
        raise gen.unsupported(node, "np.clip takes a and its two bounds here (no out= or "
                              "other keywords)")
    bounds = []
    for k, pair in enumerate(names):
        given = [kwargs[n] for n in pair if n in kwargs]
        if k < len(args):
            given.insert(0, args[k])
        if len(given) > 1:
            raise gen.typing_error(node, f"np.clip got the {pair[0]} bound twice")
        value = given[0] if given else NONE_VAL
        bounds.append(value if isinstance(value, Val) else gen.expr(value))
    return bounds[0], bounds[1]


def _c_order_only(gen: CallMixin, kwargs: dict, node) -> None:
    """Reshaping takes order="C" only (NumPy's default)."""
    order = kwargs.get("order")
    unknown = set(kwargs) - {"order"}
    if unknown or (order is not None and gen.static_value(order) != "C"):
        raise gen.unsupported(node, "reshaping is supported in C order only, without "
                              "other keywords", "drop order= (or convert with np.copy first)")


def _as_declared_argument(gen: CallMixin, v: Val, declared: NType) -> Val:
    """`v` passed where `declared` is declared (`matches` holds): a scalar converted, an
    array retyped (the declared one differs at most in its layout: "any"), tuples item by
    item."""
    if isinstance(declared, Scalar):
        return gen.cast_scalar(v, declared)
    if isinstance(declared, TupleType):
        return Val(declared, items=tuple(_as_declared_argument(gen, item, d)
                                         for item, d in zip(v.items, declared.items)))
    return Val(declared, v.ir)
