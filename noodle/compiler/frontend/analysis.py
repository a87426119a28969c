"""Syntactic facts about a function body that structured code generation needs."""
from __future__ import annotations

import ast
from collections.abc import Iterable

#: Pseudo-variables that carry control flow through structured regions. Their names
#: cannot clash with Python identifiers.
RETURNED = ".ret"
RETVAL = ".retval"
BROKE = ".brk"
CONTINUED = ".cont"
FLAGS = (RETURNED, BROKE, CONTINUED)


def unbound_flag(name: str) -> str:
    """The pseudo-variable that is true where variable `name` may be unbound: on a path
    that reached a merge (after an `if`, a loop) without assigning it. Reading the
    variable there raises Python's UnboundLocalError."""
    return "?" + name


def is_unbound_flag(name: str) -> bool:
    return name.startswith("?")


def _walk_body(nodes: Iterable[ast.AST]) -> Iterable[ast.AST]:
    """All nodes under `nodes`, not entering nested function or class definitions."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                      ast.ClassDef)):
                stack.append(child)


def assigned_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Variables (and control-flow pseudo-variables) that `nodes` may assign."""
    names: set[str] = set()
    for node in _walk_body(nodes):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Return):
            names.update((RETURNED, RETVAL))
        elif isinstance(node, ast.Break):
            names.add(BROKE)
        elif isinstance(node, ast.Continue):
            names.add(CONTINUED)
    return names


def loaded_names(nodes: Iterable[ast.AST]) -> dict[str, int]:
    """How many times each variable is read in `nodes`."""
    counts: dict[str, int] = {}
    for node in _walk_body(nodes):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            counts[node.id] = counts.get(node.id, 0) + 1
    return counts


def subscripted_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Variables that `nodes` index or slice (`a[i]`, `a[1:]`)."""
    return {node.value.id for node in _walk_body(nodes)
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)}


def exits_loop(body: list[ast.stmt]) -> bool:
    """Whether a loop body can leave its loop early (break, or return from inside it)."""
    for node in _walk_body(body):
        if isinstance(node, ast.Return):
            return True
        if isinstance(node, ast.Break) and _break_belongs_to(body, node):
            return True
    return False


def _break_belongs_to(body: list[ast.stmt], brk: ast.Break) -> bool:
    """Whether `brk` breaks out of the loop whose body is `body` (not a nested loop; a
    `break` in a nested loop's `else` leaves this one)."""
    for node in _walk_body(body):
        if isinstance(node, (ast.For, ast.While)):
            if any(n is brk for n in _walk_body(node.body)):
                return False
    return True


def always_returns(body: list[ast.stmt]) -> bool:
    """Whether control can never fall off the end of `body`."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, (ast.Return, ast.Raise)):
        return True
    if isinstance(last, ast.If):
        return always_returns(last.body) and always_returns(last.orelse)
    return False


def has_value_return(body: list[ast.stmt]) -> bool:
    return any(isinstance(n, ast.Return) and n.value is not None for n in _walk_body(body))


#: Updates a parallel loop can split: the operator and how partial results combine.
_UPDATE_COMBINERS = {ast.Add: "add", ast.Sub: "add", ast.Mult: "mul", ast.Div: "mul"}
#: Of those, the ones whose operands can be swapped: `s = x + s` is an update too.
_COMMUTATIVE = (ast.Add, ast.Mult)


def reduction_combiner(body: list[ast.stmt], name: str) -> str | None:
    """How the iterations of a loop over `body` could combine their updates of `name`:
    "add", "mul", "min" or "max" when `body` only updates it, with one kind of operator
    (`name += e`, `name -= e`, `name = name * e`, `name = min(name, e)`, ...), and reads it
    nowhere else, `e` included; else None."""
    combiners: set[str | None] = set()
    reads_in_updates = 0
    for node in _walk_body(body):
        if isinstance(node, ast.AugAssign) and _is_name(node.target, name):
            combiners.add(_UPDATE_COMBINERS.get(type(node.op)))
        elif isinstance(node, ast.Assign) and any(_is_name(t, name) for t in node.targets):
            combiners.add(_update_combiner(node.value, name) if len(node.targets) == 1
                          else None)
            reads_in_updates += 1
    reads = loaded_names(body).get(name, 0)
    if len(combiners) != 1 or None in combiners or reads != reads_in_updates:
        return None
    return combiners.pop()


def _update_combiner(value: ast.expr, name: str) -> str | None:
    """The combiner of `name = value` if `value` is `name op e` (or `e op name` for + and
    *), `min(name, e)` or `max(name, e)` (either order); else None."""
    if isinstance(value, ast.BinOp) and type(value.op) in _UPDATE_COMBINERS:
        if _is_name(value.left, name) or (_is_name(value.right, name)
                                          and isinstance(value.op, _COMMUTATIVE)):
            return _UPDATE_COMBINERS[type(value.op)]
    if (isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
            and value.func.id in ("min", "max") and len(value.args) == 2
            and not value.keywords and any(_is_name(a, name) for a in value.args)):
        return value.func.id
    return None


def min_max_updates_lead(body: list[ast.stmt], name: str) -> bool:
    """Whether each `name = min(...)` / `max(...)` update in `body` passes `name` first:
    Python's min and max return their first argument unless the second is strictly
    smaller (larger), so `min(x, name)` takes a NaN `x` (and a -0.0 `x` over 0.0), which
    depends on the order of the iterations."""
    return all(isinstance(node.value.args[0], ast.Name) and node.value.args[0].id == name
               for node in _walk_body(body)
               if isinstance(node, ast.Assign) and any(_is_name(t, name) for t in node.targets)
               and isinstance(node.value, ast.Call))


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
