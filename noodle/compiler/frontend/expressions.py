"""Expressions: names, constants, operators, comparisons, conditionals, tuples.

Operators follow NumPy 2: the result dtype of `a op b` is what the ufunc gives for
those operand types (`types.ufunc_result`). Where both operands are Python scalars,
Python's own rules apply on top (True + True == 2, division by zero raises).
"""
from __future__ import annotations

import ast
import builtins
import contextlib
from collections.abc import Iterator
from dataclasses import replace
from types import ModuleType
from typing import Any

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.compiler.frontend.analysis import RETURNED, unbound_flag
from noodle.compiler.frontend.arrays import ArrayMixin
from noodle.compiler.frontend.numpy_errors import (UINT64, NumpyErrorsMixin, fits,
                                                 fold_python_ints, is_python_int)
from noodle.compiler.frontend.values import (NO_CONST, Val, close_block, flatten, known_false,
                                             mlir_types, open_block)
from noodle.compiler.types import (BOOL, INT64, NONE, PY_BOOL, PY_FLOAT, PY_INT,
                                   Array, NoneType, NType, Scalar, TupleType, result_dtype,
                                   typeof, ufunc_result, unify)
from noodle.dialects import nir
from noodle.dialects.dtypes import SUPPORTED_DTYPES
from noodle.errors import SourceLocation, TypingError, UnsupportedError

BINARY_UFUNCS = {
    ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.true_divide,
    ast.FloorDiv: np.floor_divide, ast.Mod: np.remainder, ast.Pow: np.power,
    ast.BitAnd: np.bitwise_and, ast.BitOr: np.bitwise_or, ast.BitXor: np.bitwise_xor,
    ast.LShift: np.left_shift, ast.RShift: np.right_shift,
}
#: nir.binary kind of each ufunc noodle emits as a binary op
BINARY_KINDS = {
    np.add: "add", np.subtract: "sub", np.multiply: "mul", np.true_divide: "truediv",
    np.floor_divide: "floordiv", np.remainder: "mod", np.fmod: "fmod", np.power: "pow",
    np.bitwise_and: "bitand", np.bitwise_or: "bitor", np.bitwise_xor: "bitxor",
    np.left_shift: "lshift", np.right_shift: "rshift", np.maximum: "maximum",
    np.minimum: "minimum", np.fmax: "fmax", np.fmin: "fmin", np.arctan2: "arctan2",
    np.hypot: "hypot", np.copysign: "copysign",
}
COMPARE_PREDICATES = {
    ast.Eq: ("eq", np.equal), ast.NotEq: ("ne", np.not_equal), ast.Lt: ("lt", np.less),
    ast.LtE: ("le", np.less_equal), ast.Gt: ("gt", np.greater),
    ast.GtE: ("ge", np.greater_equal),
}
PY_ARITHMETIC = {np.add, np.subtract, np.multiply, np.true_divide, np.floor_divide,
                 np.remainder, np.power, np.left_shift, np.right_shift}
PY_ZERO_DIVISION = {np.true_divide, np.floor_divide, np.remainder, np.power}


class ExpressionMixin(NumpyErrorsMixin, ArrayMixin):
    # -- diagnostics and locations -----------------------------------------------------
    def where(self, node: ast.AST | None) -> SourceLocation | None:
        if node is None or not hasattr(node, "lineno"):
            return None
        return SourceLocation(self.source.filename, self.source.first_line + node.lineno - 1,
                              node.col_offset)

    def typing_error(self, node, message: str, hint: str | None = None) -> TypingError:
        return TypingError(message, self.where(node), hint)

    def unsupported(self, node, message: str, hint: str | None = None) -> UnsupportedError:
        return UnsupportedError(message, self.where(node), hint)

    @contextlib.contextmanager
    def loc(self, node: ast.AST) -> Iterator[None]:
        w = self.where(node)
        location = (ir.Location.file(w.filename, w.line, w.col + 1) if w
                    else ir.Location.unknown())
        with location:
            yield

    # -- constants and conversions -------------------------------------------------------
    def const_bool(self, value: bool) -> Val:
        i1 = ir.IntegerType.get_signless(1)
        return Val(PY_BOOL, arith.constant(i1, int(value)), const=bool(value))

    def const_scalar(self, t: Scalar, value: Any) -> Val:
        etype = nir.element_type(t.dtype)
        if t.dtype.kind == "f":
            attr = ir.FloatAttr.get(etype, float(value))
        else:
            bits = t.dtype.itemsize * 8
            v = int(value) & ((1 << bits) - 1)
            if bits > 1 and v >= 1 << (bits - 1):
                v -= 1 << bits  # MLIR integer attributes are signed
            attr = ir.IntegerAttr.get(etype, v if t.dtype.kind != "b" else int(bool(value)))
        return Val(t, arith.ConstantOp(etype, attr).result, const=value)

    def const_index(self, n: int) -> ir.Value:
        return arith.constant(ir.IndexType.get(), n)

    def logical_not(self, value: ir.Value) -> ir.Value:
        return arith.xori(value, arith.constant(ir.IntegerType.get_signless(1), 1))

    def zero_values(self, t: NType) -> list[ir.Value]:
        if isinstance(t, Scalar):
            return [self.const_scalar(t, 0).ir]
        if isinstance(t, Array):
            return [nir.empty(t.dtype.name, [self.const_index(0)] * t.ndim)]
        if isinstance(t, TupleType):
            return [v for item in t.items for v in self.zero_values(item)]
        return []

    def cast_scalar(self, v: Val, t: Scalar) -> Val:
        if v.type == t:
            return v
        if v.type.dtype == t.dtype:
            return Val(t, v.ir, const=v.const)
        result = nir.cast(v.type.dtype.name, t.dtype.name, v.ir, nir.element_type(t.dtype))
        const = NO_CONST
        if v.is_const:
            try:
                with np.errstate(all="ignore"):
                    const = t.dtype.type(v.const).item() if t.weak else t.dtype.type(v.const)
            except (OverflowError, ValueError):  # NumPy 2 refuses out-of-range Python ints
                const = NO_CONST  # the run-time cast wraps it instead
        return Val(t, result, const=const)

    def cast_array(self, v: Val, dtype: np.dtype) -> Val:
        if v.type.dtype == dtype:
            return v
        t = Array(dtype, v.type.ndim)
        return Val(t, nir.cast(v.type.dtype.name, dtype.name, v.ir, mlir_types(t)[0]),
                   fresh=True)

    def cast_to_dtype(self, v: Val, dtype: np.dtype, weak: bool = False) -> Val:
        if isinstance(v.type, Array):
            return self.cast_array(v, dtype)
        return self.cast_scalar(v, Scalar(dtype, weak))

    def coerce(self, v: Val, t: NType, node) -> Val:
        """`v` as type `t` where paths merge (t is wider than, or equal to, v's type)."""
        if v.type == t:
            return v
        if isinstance(t, Scalar) and isinstance(v.type, Scalar):
            return self.cast_scalar(v, t)
        if isinstance(t, TupleType) and isinstance(v.type, TupleType):
            return Val(t, items=tuple(self.coerce(x, tt, node)
                                      for x, tt in zip(v.items, t.items)))
        if isinstance(t, Array) and unify(v.type, t) == t:  # any layout goes as "any"
            return replace(v, type=t)
        raise self.typing_error(node, f"cannot use {v.type} where {t} is expected")

    def truth(self, v: Val, node) -> ir.Value:
        """Python truth value of a scalar, as i1."""
        if not isinstance(v.type, Scalar):
            if isinstance(v.type, NoneType):
                return self.const_bool(False).ir
            raise self.typing_error(node, f"the truth value of {v.type} is ambiguous",
                                    "use a.any() or a.all()")
        if v.type.dtype == BOOL:
            return v.ir
        zero = self.const_scalar(Scalar(v.type.dtype), 0)
        return nir.compare("ne", v.type.dtype.name, v.ir, zero.ir,
                           ir.IntegerType.get_signless(1))

    def to_index(self, v: Val, node) -> ir.Value:
        if not isinstance(v.type, Scalar) or v.type.dtype.kind not in "biu":
            raise self.typing_error(node, f"an index must be an integer, not {v.type}")
        as_i64 = self.cast_scalar(v, PY_INT)
        return arith.index_cast(ir.IndexType.get(), as_i64.ir)

    def from_index(self, value: ir.Value) -> Val:
        return Val(PY_INT, arith.index_cast(ir.IntegerType.get_signless(64), value))

    def lt_index(self, a: ir.Value, b: ir.Value) -> ir.Value:
        return arith.cmpi(arith.CmpIPredicate.slt, a, b)

    # -- errors raised by compiled code ------------------------------------------------------
    def raise_if(self, cond: ir.Value, kind: str, node, message: str | None = None) -> None:
        """If `cond` holds at run time: record error `kind` at `node` and stop."""
        self.fail_if(cond, self.unit.error_site(kind, self.where(node), message))

    def raise_here(self, kind: str, node, message: str | None = None) -> None:
        """Record error `kind` at `node` and stop, whenever this point is reached (a
        statement that always fails, on a path that may never be taken)."""
        self.raise_if(self.const_bool(True).ir, kind, node, message)

    def fail_if(self, cond: ir.Value, code: int) -> None:
        """If `cond` holds at run time: store error site `code` in the status cell and
        set the flag that skips the rest of the function."""
        i64 = ir.IntegerType.get_signless(64)
        # only the first failure counts: Python would have stopped there
        cond = arith.andi(cond, self.logical_not(self.env[RETURNED].ir))
        op = scf.IfOp(cond)
        with open_block(op.then_block):
            memref.store(arith.constant(i64, code), self.status, [])
        close_block(op.then_block, [])
        self.mark_failed(cond)

    def mark_failed(self, cond: ir.Value) -> None:
        """Set the flag that skips the rest of the function where `cond` holds."""
        self.env[RETURNED] = Val(PY_BOOL, arith.ori(self.env[RETURNED].ir, cond))

    def unless_failed(self, bad: ir.Value, result_type: NType, build) -> Val:
        """`build()` when `bad` is false, else a harmless placeholder of the same type;
        keeps a failed check from running an op on operands it cannot take."""
        if known_false(bad):
            return build()
        types = mlir_types(result_type)
        # a check `build` makes sets the flag inside the branch: it comes out as a result
        # (unused, and folded away, where `build` made none)
        failed = self.env[RETURNED]
        op = scf.IfOp(bad, types + [failed.ir.type], has_else=True)
        with ir.InsertionPoint(op.then_block):
            scf.YieldOp(self.zero_values(result_type) + [failed.ir])
        with ir.InsertionPoint(op.else_block):
            value = build()
            scf.YieldOp(flatten(value) + [self.env[RETURNED].ir])
        if self.env[RETURNED] is not failed:
            self.env[RETURNED] = Val(PY_BOOL, op.results[len(types)])
        return Val(result_type, op.results[0] if types else None, fresh=value.fresh)

    # -- names -----------------------------------------------------------------------------
    def expr(self, node: ast.expr) -> Val:
        method = getattr(self, "expr_" + type(node).__name__, None)
        if method is None:
            raise self.unsupported(node, f"the Python expression `{type(node).__name__}` is "
                                   "not supported in compiled code")
        with self.loc(node):
            return method(node)

    def lookup(self, name: str, node) -> Val:
        if name in self.env:
            unbound = self.env.get(unbound_flag(name))
            if unbound is not None and not (unbound.is_const and not unbound.const):
                self.raise_if(unbound.ir, "unbound_local", node,
                              f"cannot access local variable '{name}' where it is not "
                              "associated with a value")
            return self.env[name]
        value = self.resolve_global(name, node)
        t = typeof(value)
        if isinstance(t, Scalar):
            return self.const_scalar(t, value)
        if isinstance(t, TupleType) and all(isinstance(x, Scalar) for x in t.items):
            return Val(t, items=tuple(self.const_scalar(x, v) for x, v in zip(t.items, value)),
                       const=value)
        raise self.unsupported(node, f"global '{name}' is a {type(value).__name__}, which "
                               "compiled code cannot use as a value",
                               "pass it as an argument")

    def resolve_global(self, name: str, node) -> Any:
        value = self.resolve_static(ast.Name(id=name))
        if value is NO_CONST:
            raise self.typing_error(node, f"name '{name}' is not defined")
        return value

    def resolve_static(self, node: ast.expr) -> Any:
        """The Python object a dotted name (`np.exp`, `math.pi`) denotes, or NO_CONST when
        `node` is not a name of a global object."""
        if isinstance(node, ast.Name):
            if node.id in self.env:
                return NO_CONST
            scope = self.source.globals_and_closure()
            value = scope[node.id] if node.id in scope else getattr(builtins, node.id,
                                                                     NO_CONST)
            if value is not NO_CONST:
                self.source.reads[node.id] = value
            return value
        if isinstance(node, ast.Attribute):
            base = self.resolve_static(node.value)
            if base is NO_CONST or isinstance(base, (int, float, np.ndarray)):
                return NO_CONST
            value = getattr(base, node.attr, NO_CONST)
            if isinstance(base, ModuleType) and value is not NO_CONST:
                # another module's global: its value at compile time is part of the kernel
                self.source.reads[ast.unparse(node)] = value
            return value
        return NO_CONST

    def expr_Name(self, node: ast.Name) -> Val:
        return self.lookup(node.id, node)

    def expr_Constant(self, node: ast.Constant) -> Val:
        value = node.value
        if value is None:
            return Val(NONE, const=None)
        t = typeof(value)
        if not isinstance(t, Scalar):
            raise self.unsupported(node, f"constants of type {type(value).__name__} are not "
                                   "supported in compiled code")
        return self.const_scalar(t, value)

    def expr_Tuple(self, node: ast.Tuple) -> Val:
        items = tuple(self.expr(e) for e in node.elts)
        return Val(TupleType(tuple(i.type for i in items)), items=items)

    def unpack_sequence(self, value: Val, n: int, node) -> list[Val]:
        if isinstance(value.type, TupleType):
            if len(value.items) != n:
                raise self.typing_error(node, f"cannot unpack {len(value.items)} values "
                                        f"into {n} names")
            return list(value.items)
        raise self.unsupported(node, f"cannot unpack {value.type}", "unpack tuples only")

    def expr_Attribute(self, node: ast.Attribute) -> Val:
        static = self.resolve_static(node)
        if static is not NO_CONST:
            t = typeof(static)
            if isinstance(t, Scalar):
                return self.const_scalar(t, static)
            raise self.unsupported(node, f"`{ast.unparse(node)}` is not a number")
        base = self.expr(node.value)
        if isinstance(base.type, Array):
            return self.array_attribute(base, node.attr, node)
        raise self.unsupported(node, f"{base.type} has no attribute '{node.attr}' in "
                               "compiled code")

    # -- operators ---------------------------------------------------------------------------
    def expr_BinOp(self, node: ast.BinOp) -> Val:
        return self.binary_op(node.op, self.expr(node.left), self.expr(node.right), node)

    def binary_op(self, op: ast.operator, a: Val, b: Val, node) -> Val:
        if isinstance(op, ast.MatMult):
            return self.matmul(a, b, node)
        ufunc = BINARY_UFUNCS.get(type(op))
        if ufunc is None:
            raise self.unsupported(node, f"operator {type(op).__name__} is not supported")
        if isinstance(a.type, TupleType) or isinstance(b.type, TupleType):
            raise self.unsupported(node, "tuple arithmetic is not supported in compiled code")
        return self.apply_ufunc(ufunc, [a, b], node)

    def python_scalar_rules(self, ufunc: np.ufunc,
                            args: list[Val]) -> tuple[list[Val], Scalar | None]:
        """Python's rules where they differ from NumPy's, for Python-scalar operands."""
        if not all(isinstance(a.type, Scalar) and a.type.weak for a in args):
            return args, None
        if ufunc in PY_ARITHMETIC and all(a.type.dtype == BOOL for a in args):
            args = [self.cast_scalar(a, PY_INT) for a in args]
        if ufunc is np.power and all(a.type.dtype.kind in "bi" for a in args):
            args = [self.cast_scalar(a, PY_INT) for a in args]  # a Python bool is an int
            exponent = args[1]
            if not (exponent.is_const and exponent.const >= 0):
                return [self.cast_scalar(a, PY_FLOAT) for a in args], PY_FLOAT
        return args, None

    def apply_ufunc(self, ufunc: np.ufunc, args: list[Val], node, kind: str | None = None,
                    operator: bool = True) -> Val:
        """A NumPy ufunc on scalars and arrays, with NumPy's casting and broadcasting.
        `operator`: a Python operator (Python scalars in, Python scalar out), rather than
        a call of the NumPy function (which always gives NumPy scalars)."""
        # NumPy computes on 0-d arrays as on NumPy scalars, and returns scalars
        args = [self.load_rank0(a) for a in args]
        if operator:
            args, forced = self.python_scalar_rules(ufunc, args)
        else:
            forced = None
        for a in args:
            if not isinstance(a.type, (Scalar, Array)):
                raise self.typing_error(node, f"{ufunc.__name__} does not take {a.type}")
        resolved = ufunc_result(ufunc, *(a.type for a in args))
        if resolved is None:
            names = " and ".join(str(a.type) for a in args)
            raise self.typing_error(node, f"NumPy's {ufunc.__name__} does not take {names}")
        dtype, weak = resolved
        weak = weak and operator
        if forced is not None:
            dtype, weak = forced.dtype, True
        if weak and dtype == INT64 and all(a.is_const for a in args):
            folded = fold_python_ints(ufunc, [a.const for a in args])
            if folded is not None:
                return self.const_scalar(PY_INT, folded)
        if not nir_supports(dtype):
            raise self.unsupported(node, f"{ufunc.__name__} here gives {dtype}, which noodle "
                                   "does not support")
        is_compare = ufunc in (np.equal, np.not_equal, np.less, np.less_equal, np.greater,
                               np.greater_equal)
        # a predicate (comparison, isnan...) looks at its inputs in their common dtype;
        # every other ufunc computes in its result dtype
        in_dtype = result_dtype(*(a.type for a in args)) if dtype == BOOL else dtype
        if is_compare and in_dtype.kind in "iu" and in_dtype != INT64 and any(
                is_python_int(a) and not fits(a, in_dtype) for a in args):
            # NumPy compares a Python int by its value, in range of the other operand's
            # dtype or not (`uint8_array > -1` is all true): int64 holds both, except
            # for uint64, where `negative_python_int` settles what int64 cannot
            in_dtype = INT64 if in_dtype != UINT64 else in_dtype
        if dtype != BOOL:  # NumPy converts a Python int to the dtype it computes in
            for a in args:
                self.python_int_in_range(a, in_dtype, node)
        operands = [self.cast_to_dtype(a, in_dtype, a.type.weak if isinstance(a.type, Scalar)
                                       else False) for a in args]
        if weak and ufunc in PY_ZERO_DIVISION:
            self.python_zero_division(operands, in_dtype, node, ufunc)
        if weak and ufunc in (np.left_shift, np.right_shift):
            self.negative_python_shift(operands[1], node)
        rank = max((a.type.ndim for a in operands if isinstance(a.type, Array)), default=None)
        result_t: NType = Scalar(dtype, weak) if rank is None else Array(dtype, rank)
        rtype = mlir_types(result_t)[0]

        def build() -> Val:
            irs = [o.ir for o in operands]
            if is_compare:
                value = nir.compare(kind, in_dtype.name, *irs, rtype)
                if in_dtype == UINT64 and not all(fits(a, UINT64) for a in args
                                                  if is_python_int(a)):
                    value = self.negative_python_int(kind, args, value, rtype)
            elif len(irs) == 3:
                value = nir.select(*irs, rtype)
            elif len(irs) == 2:
                value = nir.binary(kind or BINARY_KINDS[ufunc], in_dtype.name, *irs, rtype)
            else:
                value = nir.unary(kind, in_dtype.name, irs[0], rtype)
            return Val(result_t, value, fresh=rank is not None)

        if rank is not None:
            # no guard around the op: its lowering stays in bounds whatever the shapes
            # (`broadcast_shape`), and an unguarded op can fuse with its neighbours
            self.broadcast_mismatch(operands, node)
        if ufunc is np.power and in_dtype.kind == "i":
            self.negative_integer_power(operands, in_dtype, node)
        result = build()
        if weak and ufunc is np.power and in_dtype.kind == "f":
            self.python_power_errors(operands, result, node)
        return result

    def expr_UnaryOp(self, node: ast.UnaryOp) -> Val:
        v = self.expr(node.operand)
        if isinstance(node.op, ast.Not):
            return Val(PY_BOOL, self.logical_not(self.truth(v, node)))
        if isinstance(node.op, ast.UAdd):
            v = self.load_rank0(v)  # NumPy's positive of a 0-d array is a scalar
            if not (isinstance(v.type, (Scalar, Array)) and v.type.dtype == BOOL):
                return v
            if isinstance(v.type, Scalar) and v.type.weak:
                return self.cast_scalar(v, PY_INT)  # +True is 1
            raise self.typing_error(node, f"NumPy's positive does not take {v.type}",
                                    "convert it to an integer first: +x.astype(int)")
        if isinstance(node.op, ast.USub):
            if isinstance(v.type, Scalar) and v.type.weak and v.type.dtype == BOOL:
                v = self.cast_scalar(v, PY_INT)
            if v.is_const:
                return self.const_scalar(v.type, -v.const)
            return self.apply_ufunc(np.negative, [v], node, kind="neg")
        if isinstance(v.type, Scalar) and v.type.weak and v.type.dtype == BOOL:
            v = self.cast_scalar(v, PY_INT)  # Python: ~True == -2
        return self.apply_ufunc(np.invert, [v], node, kind="invert")

    def expr_Compare(self, node: ast.Compare) -> Val:
        left = self.expr(node.left)
        result = None
        for op, comparator in zip(node.ops, node.comparators):
            right = self.expr(comparator)
            if isinstance(op, (ast.Is, ast.IsNot)):
                value = self.identity_with_none(left, right, isinstance(op, ast.Is), node)
            elif type(op) in COMPARE_PREDICATES:
                predicate, ufunc = COMPARE_PREDICATES[type(op)]
                value = self.apply_ufunc(ufunc, [left, right], node, kind=predicate)
            else:
                raise self.unsupported(node, f"comparison {type(op).__name__} is not "
                                       "supported in compiled code")
            if result is None:
                result = value
            elif result.is_const and value.is_const:
                result = self.const_bool(result.const and value.const)
            elif isinstance(value.type, Scalar) and isinstance(result.type, Scalar):
                result = Val(PY_BOOL, arith.andi(result.ir, value.ir))
            else:
                raise self.unsupported(node, "chained comparisons of arrays are ambiguous")
            left = right
        return result

    def identity_with_none(self, left: Val, right: Val, is_: bool, node) -> Val:
        """`x is None`, `x is not None`: known from the types, so that `if b is None:`
        keeps only the branch for the argument types being compiled (an optional
        argument, as in Numba)."""
        if not isinstance(left.type, NoneType) and not isinstance(right.type, NoneType):
            raise self.unsupported(node, "compiled code compares identity (`is`) only with "
                                   "None", "compare values with ==")
        same = isinstance(left.type, NoneType) and isinstance(right.type, NoneType)
        return self.const_bool(same == is_)

    def expr_BoolOp(self, node: ast.BoolOp) -> Val:
        """`a and b` / `a or b`, short-circuiting like Python."""
        result = self.expr(node.values[0])
        for operand in node.values[1:]:
            cond = self.truth(result, node)
            if isinstance(node.op, ast.Or):
                cond = self.logical_not(cond)
            first = result
            result = self.emit_if_value(cond, (id(operand), "boolop"), [operand],
                                        lambda operand=operand: self.expr(operand),
                                        lambda first=first: first)
        return result

    def expr_IfExp(self, node: ast.IfExp) -> Val:
        test = self.expr(node.test)
        if test.is_const:
            return self.expr(node.body if test.const else node.orelse)
        return self.emit_if_value(self.truth(test, node.test), (id(node), "ifexp"),
                                  [node.body, node.orelse],
                                  lambda: self.expr(node.body), lambda: self.expr(node.orelse))


def nir_supports(dtype: np.dtype) -> bool:
    return dtype.name in SUPPORTED_DTYPES
