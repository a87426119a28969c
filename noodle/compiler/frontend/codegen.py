"""Statements and structured control flow: one Python function -> one `func.func`.

The generated function takes the status cell (`memref<i64>`, where a failing check
stores its error site) and then the flattened arguments. Control flow is structured
(scf), because the buffer deallocation and the later loop passes need it:
`return`, `break`, `continue` and failing checks set flags (`analysis.FLAGS`), and the
statements after one that may set a flag run under `scf.if (no flag set)`.
"""
from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Hashable
from dataclasses import replace

import numpy as np
from mlir import ir
from mlir.dialects import arith, func, scf

from noodle.compiler.frontend import analysis
from noodle.compiler.frontend.analysis import (BROKE, CONTINUED, FLAGS, RETURNED, RETVAL,
                                               is_unbound_flag, unbound_flag)
from noodle.compiler.frontend.calls import CallMixin
from noodle.compiler.frontend.expressions import ExpressionMixin
from noodle.compiler.frontend.parallel_loops import ParallelLoopMixin
from noodle.compiler.frontend.regions import Hints, Region, names_for, region_key
from noodle.compiler.frontend.values import (NONE_VAL, Val, any_true, close_block, flatten,
                                             mlir_types, open_block, unflatten)
from noodle.compiler.types import (NONE, PY_BOOL, Array, NoneType, NType, Scalar, TupleType,
                                   unify)
from noodle.passes.check_allocations import STATUS_CELL


class FunctionCodegen(ExpressionMixin, CallMixin, ParallelLoopMixin, ast.NodeVisitor):
    """Generates one specialisation of one Python function into a `func.func`."""

    def __init__(self, unit, source, arg_types: tuple[NType, ...], symbol: str,
                 hints: Hints, returns: NType | None = None):
        self.unit = unit          # the CompilationUnit: module, callees, error sites
        self.source = source      # frontend.source.FunctionSource
        self.arg_types = arg_types
        self.declared_return = returns  # what a signature says the function returns
        self.symbol = symbol
        self.hints = hints
        self.env: dict[str, Val] = {}
        #: the flags as the statement being emitted found them
        self.statement_flags: dict[str, Val | None] = {}
        self.status: ir.Value | None = None
        body = source.tree.body
        self.loads_in_function = analysis.loaded_names(body)
        returns = [n for n in ast.walk(source.tree) if isinstance(n, ast.Return)]
        self.direct_return = (len(returns) == 1 and body[-1] is returns[0])
        self.return_type: NType = NONE

    # -- entry ---------------------------------------------------------------------
    def generate(self) -> func.FuncOp:
        tree = self.source.tree
        flat_args = [t for a in self.arg_types for t in mlir_types(a)]
        status_type = ir.MemRefType.get([], ir.IntegerType.get_signless(64))
        fn = func.FuncOp(self.symbol, ir.FunctionType.get([status_type, *flat_args], []),
                         visibility="private")
        fn.attributes[STATUS_CELL] = ir.UnitAttr.get()  # for `check-allocations`
        entry = fn.add_entry_block()
        self.fn = fn
        with ir.InsertionPoint(entry), self.loc(tree):
            self.status = entry.arguments[0]
            values = iter(entry.arguments[1:])
            indexed = analysis.subscripted_names(tree.body)
            for name, t in zip(self.source.arg_names, self.arg_types):
                value = unflatten(t, values)
                self.env[name] = self.with_known_strides(value) if name in indexed else value
            self.env[RETURNED] = self.const_bool(False)
            if (analysis.has_value_return(tree.body) and not self.direct_return
                    and not analysis.always_returns(tree.body)):
                raise self.unsupported(tree, "this function returns a value on some paths "
                                       "and None on others",
                                       "return a value on every path")
            self.emit_block(tree.body)
            self.finish(self.env.get(RETVAL, NONE_VAL))
        return fn

    def finish(self, result: Val) -> None:
        """Emit the function's return and fix its type to the returned value's."""
        if self.declared_return is not None:
            result = self.as_declared(result)
        self.return_type = result.type
        func.ReturnOp(flatten(result))
        ftype = ir.FunctionType(ir.TypeAttr(self.fn.attributes["function_type"]).value)
        self.fn.attributes["function_type"] = ir.TypeAttr.get(
            ir.FunctionType.get(ftype.inputs, mlir_types(result.type)))

    def as_declared(self, result: Val) -> Val:
        """The result as the signature declares it (see `_converted`)."""
        converted = _converted(self, result, self.declared_return)
        if converted is None:
            tree = self.source.tree
            raise self.typing_error(
                tree.body[-1] if self.direct_return else tree,
                f"{self.source.pyfunc.__qualname__} returns {result.type}, but its signature "
                f"declares {self.declared_return}", "fix the signature's return type")
        return converted

    # -- statements ------------------------------------------------------------------
    def emit_block(self, stmts: list[ast.stmt]) -> None:
        for k, stmt in enumerate(stmts):
            before = {f: self.env.get(f) for f in FLAGS}
            outer, self.statement_flags = self.statement_flags, before
            with self.loc(stmt):
                self.visit(stmt)
            self.statement_flags = outer
            rest = stmts[k + 1:]
            if any(self.env.get(f) is not None and self.env[f].is_const and self.env[f].const
                   for f in FLAGS):
                return  # a return or break that always runs (in a branch known at compile
                # time: `if b is None: return a`): the rest is never reached
            if rest and any(self.env.get(f) is not v for f, v in before.items()):
                # a flag may be set: the rest of the block runs only if none is
                self.emit_if(self.no_flag_set(), region_key(rest[0], "rest"), rest,
                             lambda rest=rest: self.emit_block(rest), None)
                return

    def no_flag_set(self) -> ir.Value:
        return self.logical_not(any_true([self.env[f].ir for f in FLAGS if f in self.env]))

    def generic_visit(self, node: ast.AST) -> None:
        raise self.unsupported(node, f"the Python construct `{type(node).__name__}` is not "
                               "supported in compiled code")

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):
            return  # a docstring or a bare constant
        self.expr(node.value)

    def visit_Pass(self, node: ast.Pass) -> None:
        pass

    def visit_Assign(self, node: ast.Assign) -> None:
        value = self.expr(node.value)
        for target in node.targets:
            self.assign(target, value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.assign(node.target, self.expr(node.value))

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        """`x op= v`: rebinds a scalar, but writes an array in place, as NumPy does."""
        target = node.target
        if isinstance(target, ast.Name):
            current = self.lookup(target.id, target)
            result = self.binary_op(node.op, current, self.expr(node.value), node)
            if isinstance(current.type, Array):
                self.check_inplace_cast(result, current, node)
                self.store_into_view(current, result, node)
            else:
                self.bind(target.id, result)
            return
        if isinstance(target, ast.Subscript):
            base = self.expr(target.value)
            values = self.index_values(target.slice)  # once, for the load and the store
            current = self.subscript(base, target.slice, target, values)
            result = self.binary_op(node.op, current, self.expr(node.value), node)
            if isinstance(current.type, Array):
                self.check_inplace_cast(result, current, node)
            self.store_subscript(base, target.slice, result, target, values)
            return
        raise self.unsupported(target, "this augmented assignment target is not supported")

    def check_inplace_cast(self, result: Val, target: Val, node) -> None:
        """An in-place ufunc casts its result back only under NumPy's 'same_kind' rule."""
        if not np.can_cast(result.type.dtype, target.type.dtype, "same_kind"):
            raise self.typing_error(node, f"cannot write {result.type.dtype} results into "
                                    f"{target.type} in place (NumPy refuses this cast too)",
                                    "write `a = a op b` for a new array, or cast with "
                                    ".astype()")

    def assign(self, target: ast.expr, value: Val) -> None:
        if isinstance(target, ast.Name):
            # once named, an array may be aliased by views of it: no longer fresh
            self.bind(target.id, replace(value, fresh=False) if value.fresh else value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            items = self.unpack_sequence(value, len(target.elts), target)
            for t, v in zip(target.elts, items):
                self.assign(t, v)
        elif isinstance(target, ast.Subscript):
            self.store_subscript(self.expr(target.value), target.slice, value, target)
        else:
            raise self.unsupported(target, "this assignment target is not supported")

    def visit_Return(self, node: ast.Return) -> None:
        value = NONE_VAL if node.value is None else self.expr(node.value)
        if self.direct_return:  # the last statement: nothing after it needs a flag
            self.env[RETVAL] = value
            return
        target = self.hints.widen(RETVAL, value.type)
        if target is None:
            raise self.typing_error(node, f"this function returns {value.type} here and "
                                    f"{self.hints.types[RETVAL]} elsewhere",
                                    "return values of one type on every path")
        self.env[RETVAL] = self.coerce(value, target, node)
        self.env[RETURNED] = self.const_bool(True)

    def visit_Break(self, node: ast.Break) -> None:
        self.env[BROKE] = self.const_bool(True)

    def visit_Continue(self, node: ast.Continue) -> None:
        self.env[CONTINUED] = self.const_bool(True)

    def visit_If(self, node: ast.If) -> None:
        test = self.expr(node.test)
        if test.is_const:  # resolved at compile time, like `if DEBUG:`
            self.emit_block(node.body if test.const else node.orelse)
            return
        self.emit_if(self.truth(test, node.test), region_key(node), node.body + node.orelse,
                     lambda: self.emit_block(node.body),
                     lambda: self.emit_block(node.orelse))

    def visit_Raise(self, node: ast.Raise) -> None:
        """`raise E` / `raise E("constant message")`: E is raised when the call returns."""
        exc, message = node.exc, ""
        if isinstance(exc, ast.Call):
            if len(exc.args) > 1 or exc.keywords or exc.args and not (
                    isinstance(exc.args[0], ast.Constant) and isinstance(exc.args[0].value, str)):
                raise self.unsupported(node, "an exception raised in compiled code can only "
                                       "take a constant string message")
            message = exc.args[0].value if exc.args else ""
            exc = exc.func
        exc_type = self.resolve_static(exc) if exc is not None else None
        if not (isinstance(exc_type, type) and issubclass(exc_type, Exception)):
            raise self.unsupported(node, "compiled code can only raise an exception class",
                                   "write `raise ValueError(\"message\")`")
        code = self.unit.error_site_for(exc_type, message, self.where(node))
        self.fail_if(self.const_bool(True).ir, code)

    def visit_Assert(self, node: ast.Assert) -> None:
        if sys.flags.optimize:  # `python -O` compiles asserts away, test and all
            return
        ok = self.truth(self.expr(node.test), node.test)
        message = node.msg
        if isinstance(message, ast.Constant) and isinstance(message.value, str):
            code = self.unit.error_site_for(AssertionError, message.value, self.where(node))
            self.fail_if(self.logical_not(ok), code)
        else:  # no message, or one Python would only work out on failure
            self.raise_if(self.logical_not(ok), "assert", node)

    # -- regions ---------------------------------------------------------------------
    def region(self, key: Hashable, nodes: list[ast.AST]) -> Region:
        loads = analysis.loaded_names(nodes)
        outside = {n for n, c in self.loads_in_function.items() if c > loads.get(n, 0)}
        names = names_for(nodes, key, self.hints, self.env, outside)
        types = []
        for name in names:
            t = self.env[name].type if name in self.env else self.hints.types[name]
            if name in self.hints.types:
                t = unify(t, self.hints.types[name]) or t
            types.append(t)
        return Region(key, names, types, dict(self.env), outside)

    def pack(self, region: Region, node: ast.AST) -> list[ir.Value]:
        """Current values of the region's variables, converted to the merged types; learns
        about variables the region should have carried but did not."""
        values: list[ir.Value] = []
        for name, t in zip(region.names, region.types):
            if is_unbound_flag(name):
                values.append(self.unbound(name[1:]).ir)
                continue
            v = self.env.get(name)
            if name not in FLAGS and name != RETVAL and (
                    v is None or unbound_flag(name) in self.env):
                # not bound on this path, or maybe not: carry whether it is (from the
                # next round of code generation)
                self.hints.carry(region.key, unbound_flag(name))
                self.hints.widen(unbound_flag(name), PY_BOOL)
            if v is None:
                values += self.zero_values(t)
                continue
            merged = unify(t, v.type)
            if merged != t:
                if merged is None:
                    raise self.typing_error(node, f"variable '{name}' is {t} on one path "
                                            f"and {v.type} on another",
                                            "give the variable one type on every path")
                self.hints.widen(name, merged)
                values += self.zero_values(t)
                continue
            values += flatten(self.coerce(v, t, node))
        self.learn_uncarried(region, node)
        return values

    def unbound(self, name: str) -> Val:
        """Whether variable `name` may be unbound here (an i1)."""
        if name not in self.env:
            return self.const_bool(True)
        return self.env.get(unbound_flag(name)) or self.const_bool(False)

    def bind(self, name: str, value: Val) -> None:
        """Assigns a variable, which is then bound on this path."""
        self.env[name] = value
        self.env.pop(unbound_flag(name), None)

    def learn_uncarried(self, region: Region, node: ast.AST) -> None:
        for name, v in self.env.items():
            if name in region.names or region.entry_env.get(name) is v:
                continue
            if name == CONTINUED and name not in region.entry_env:
                continue
            live = name in region.entry_env or name in region.read_outside or name == RETVAL
            if live:
                self.hints.carry(region.key, name)
                if name not in region.entry_env:
                    self.hints.widen(name, v.type)

    def unpack(self, region: Region, values) -> None:
        values = iter(values)
        for name, t in zip(region.names, region.types):
            self.env[name] = unflatten(t, values)

    def region_types(self, region: Region) -> list[ir.Type]:
        return [x for t in region.types for x in mlir_types(t)]

    def emit_if(self, cond: ir.Value, key: Hashable, nodes: list[ast.AST],
                then_fn: Callable[[], None], else_fn: Callable[[], None] | None) -> None:
        region = self.region(key, nodes)
        op = scf.IfOp(cond, self.region_types(region), has_else=True)
        for block, fn in ((op.then_block, then_fn), (op.else_block, else_fn)):
            self.env = dict(region.entry_env)
            with open_block(block):
                if fn is not None:
                    fn()
                values = self.pack(region, nodes[0] if nodes else None)
            close_block(block, values)
        self.env = dict(region.entry_env)
        self.unpack(region, op.results)

    def emit_if_value(self, cond: ir.Value, key: Hashable, nodes: list[ast.AST],
                      then_fn: Callable[[], Val], else_fn: Callable[[], Val]) -> Val:
        """An if-expression: both branches give a value, merged to one type."""
        region = self.region(key, nodes)
        result_type = self.hints.types.get(key)
        if result_type is None:  # first round: learn the branches' types
            saved = self.env
            values = []
            for fn in (then_fn, else_fn):
                self.env = dict(region.entry_env)
                values.append(fn())
            self.env = saved
            merged = unify(values[0].type, values[1].type)
            if merged is None:
                raise self.typing_error(nodes[0], f"the two branches give {values[0].type} "
                                        f"and {values[1].type}",
                                        "make both branches the same type")
            self.hints.widen(key, merged)
            result_type = merged
        value_types = mlir_types(result_type)
        op = scf.IfOp(cond, self.region_types(region) + value_types, has_else=True)
        for block, fn in ((op.then_block, then_fn), (op.else_block, else_fn)):
            self.env = dict(region.entry_env)
            with ir.InsertionPoint(block):
                value = fn()
                merged = unify(result_type, value.type)
                if merged != result_type and merged is not None:
                    self.hints.widen(key, merged)
                    value_ir = self.zero_values(result_type)
                else:
                    value_ir = flatten(self.coerce(value, result_type, nodes[0]))
                scf.YieldOp(self.pack(region, nodes[0]) + value_ir)
        self.env = dict(region.entry_env)
        n_state = len(self.region_types(region))
        self.unpack(region, list(op.results)[:n_state])
        return unflatten(result_type, iter(list(op.results)[n_state:]))

    # -- loops -----------------------------------------------------------------------
    def visit_For(self, node: ast.For) -> None:
        start, stop, step, item = self.loop_iteration(node.iter)
        broke = None
        if self.is_parallel_loop(node):
            if node.orelse:
                raise self.unsupported(node, "a prange loop cannot have an `else`",
                                       "put its statements after the loop")
            self.emit_parallel_loop(node, start, stop, step, item)
        elif analysis.exits_loop(node.body):
            broke = self.emit_while_loop(node, lambda k: self.lt_index(k, stop),
                                         start, step, item)
        else:
            self.emit_for_loop(node, start, stop, step, item)
        self.emit_loop_else(node, broke)

    def emit_loop_else(self, node: ast.For | ast.While, broke: Val | None) -> None:
        """The `else` of a loop: run unless it was left by `break` (`broke`) or the
        function stopped in it."""
        if not node.orelse:
            return
        stopped = self.env[RETURNED].ir
        if broke is not None:
            stopped = arith.ori(stopped, broke.ir)
        self.emit_if(self.logical_not(stopped), region_key(node, "else"), node.orelse,
                     lambda: self.emit_block(node.orelse), None)

    def emit_for_loop(self, node: ast.For, start: ir.Value, stop: ir.Value, step: ir.Value,
                      item: Callable[[ir.Value], Val]) -> None:
        """A loop that runs all its iterations: scf.for over `index` values."""
        region = self.region(region_key(node), node.body)
        op = scf.ForOp(start, stop, step, self.pack(region, node))
        with open_block(op.body):
            self.unpack(region, op.inner_iter_args)
            self.loop_body(node, item(op.induction_variable), region)
            values = self.pack(region, node)
        close_block(op.body, values)
        self.env = dict(region.entry_env)
        self.unpack(region, op.results)

    def loop_body(self, node: ast.For, item: Val, region: Region) -> None:
        def body() -> None:
            self.env[CONTINUED] = self.const_bool(False)
            self.assign(node.target, item)
            self.emit_block(node.body)
            self.env.pop(CONTINUED, None)
        if RETURNED in region.names:  # after a failed check the remaining iterations idle
            self.emit_if(self.logical_not(self.env[RETURNED].ir), region_key(node, "guard"),
                         node.body, body, None)
        else:
            body()

    def emit_while_loop(self, node: ast.stmt, in_range: Callable[[ir.Value], ir.Value] | None,
                        start: ir.Value | None = None, step: ir.Value | None = None,
                        item: Callable[[ir.Value], Val] | None = None) -> Val:
        """A loop that may stop early: scf.while whose condition checks the flags. Returns
        whether it was left by `break`.

        For a `for` loop, `in_range`, `start`, `step` and `item` describe the iteration
        (the counter is carried first); for a `while` loop they are None."""
        saved_broke = self.env.get(BROKE)
        self.env[BROKE] = self.const_bool(False)
        region = self.region(region_key(node), node.body)
        counter = [start] if start is not None else []
        types = [c.type for c in counter] + self.region_types(region)
        op = scf.WhileOp(types, counter + self.pack(region, node))
        before = op.before.blocks.append(*types)
        with ir.InsertionPoint(before):
            k = before.arguments[0] if counter else None
            self.unpack(region, before.arguments[len(counter):])
            go = self.logical_not(arith.ori(self.env[BROKE].ir, self.env[RETURNED].ir))
            if in_range is not None:
                cond = arith.andi(go, in_range(k))
            else:
                test = node.test
                cond = self.emit_if_value(
                    go, region_key(test, "test"), [test],
                    lambda: Val(PY_BOOL, self.truth(self.expr(test), test)),
                    lambda: self.const_bool(False)).ir
            scf.ConditionOp(cond, ([k] if counter else []) + self.pack(region, node))
        after = op.after.blocks.append(*types)
        with ir.InsertionPoint(after):
            k = after.arguments[0] if counter else None
            self.unpack(region, after.arguments[len(counter):])
            self.env[CONTINUED] = self.const_bool(False)
            if counter:
                self.assign(node.target, item(k))
            self.emit_block(node.body)
            self.env.pop(CONTINUED, None)
            next_k = [arith.addi(k, step)] if counter else []
            scf.YieldOp(next_k + self.pack(region, node))
        self.env = dict(region.entry_env)
        self.unpack(region, list(op.results)[len(counter):])
        broke = self.env[BROKE]
        if saved_broke is None:
            self.env.pop(BROKE, None)
        else:
            self.env[BROKE] = saved_broke
        return broke

    def visit_While(self, node: ast.While) -> None:
        self.emit_loop_else(node, self.emit_while_loop(node, None))


def _converted(gen: FunctionCodegen, v: Val, declared: NType) -> Val | None:
    """`v` as a signature declares it, or None where it cannot be. A scalar converts as
    NumPy's astype does (as Numba converts it: float to int truncates, NaN gives an
    unspecified value), in compiled code, so that the compiled entry returns it; a tuple
    converts item by item; an array must have the declared dtype and rank already (its
    layout and writeable flag may differ)."""
    if isinstance(declared, Scalar) and isinstance(v.type, Scalar):
        return gen.cast_scalar(v, declared)
    if isinstance(declared, Array) and isinstance(v.type, Array):
        same = (declared.dtype, declared.ndim) == (v.type.dtype, v.type.ndim)
        return v if same else None
    if (isinstance(declared, TupleType) and isinstance(v.type, TupleType)
            and len(declared.items) == len(v.items)):
        items = tuple(_converted(gen, item, d) for item, d in zip(v.items, declared.items))
        if any(item is None for item in items):
            return None
        return Val(TupleType(tuple(item.type for item in items)), items=items)
    return v if isinstance(declared, NoneType) and isinstance(v.type, NoneType) else None
