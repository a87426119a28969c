"""Finding places in sorted arrays, in the order `np.sort` gives (NaN last):
`np.searchsorted`, and `np.digitize`, which checks its bins and searches them.
"""
from __future__ import annotations

import ast
from collections.abc import Callable

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.compiler.frontend.element_loops import loop_nest, while_loop
from noodle.compiler.frontend.sorting import sorts_before
from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import INT64, Array, Scalar
from noodle.dialects import nir


def searchsorted(gen, a: Val, v: Val, side: object, node: ast.AST,
                 descending: ir.Value | None = None) -> Val:
    """np.searchsorted(a, v, side): where each value of v would go into the sorted 1-D
    `a` to keep it sorted (NaN last): before the equal ones (side="left") or after them
    ("right"). An np.int64 for a scalar v (or a 0-d array), else an int64 array of v's
    shape. A binary search per value; `a` must be sorted, as NumPy requires.

    The two compare in the dtype NumPy gives them (`promote_types`, with a Python int
    as int64 and a Python float as float64: a float32 `a` is searched in float64).

    `descending` (an i1, for np.digitize): when it holds, `a` is sorted the other way
    round, searched as reversed, and the places count from its end."""
    if not isinstance(a.type, Array) or a.type.ndim != 1:
        raise gen.typing_error(node, f"np.searchsorted searches a 1-D array, not {a.type}")
    if side not in ("left", "right"):
        raise gen.typing_error(node, f"np.searchsorted's side must be 'left' or 'right' "
                               f"(got {side!r})")
    if not isinstance(v.type, (Scalar, Array)):
        raise gen.typing_error(node, f"np.searchsorted cannot look for {v.type}")
    common = Scalar(np.promote_types(a.type.dtype, v.type.dtype))
    n = gen.dims(a)[0]

    def place(key: ir.Value) -> ir.Value:
        """The index (an i64) of the place of `key` (in the common dtype)."""
        def goes_after(middle: ir.Value) -> ir.Value:
            at = middle
            if descending is not None:
                from_end = arith.subi(arith.subi(n, index_constant(1)), middle)
                at = arith.select(descending, from_end, middle)
            x = gen.cast_scalar(Val(Scalar(a.type.dtype), memref.load(a.ir, [at])),
                                common).ir
            return (sorts_before(gen, x, key, common.dtype, node) if side == "left" else
                    gen.logical_not(sorts_before(gen, key, x, common.dtype, node)))

        found = first_failing(n, goes_after)
        if descending is not None:
            found = arith.select(descending, arith.subi(n, found), found)
        return arith.index_cast(ir.IntegerType.get_signless(64), found)

    def key(x: Val) -> ir.Value:
        return gen.cast_scalar(x, common).ir

    if isinstance(v.type, Scalar) or v.type.ndim == 0:
        if isinstance(v.type, Array):
            v = Val(Scalar(v.type.dtype), memref.load(v.ir, []))
        return Val(Scalar(INT64), place(key(v)))
    sizes = gen.dims(v)
    out = Val(Array(INT64, v.type.ndim), nir.empty("int64", sizes), fresh=True)

    def store_place(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        value = Val(Scalar(v.type.dtype), memref.load(v.ir, at))
        memref.store(place(key(value)), out.ir, at)
        return carried

    loop_nest(sizes, store_place)
    return out


def first_failing(n: ir.Value, holds: Callable[[ir.Value], ir.Value]) -> ir.Value:
    """The first index of [0, n) where `holds` (an i1 of an index) fails, n where it never
    does, for a predicate that holds on a prefix: a binary search."""
    def halve(low: ir.Value, high: ir.Value) -> list[ir.Value]:
        middle = arith.addi(low, arith.shrui(arith.subi(high, low), index_constant(1)))
        after = holds(middle)
        return [arith.select(after, arith.addi(middle, index_constant(1)), low),
                arith.select(after, high, middle)]

    return while_loop([index_constant(0), n],
                      lambda low, high: arith.cmpi(arith.CmpIPredicate.ult, low, high),
                      halve)[0]


def digitize(gen, x: Val, bins: Val, right: bool, node: ast.AST) -> Val:
    """np.digitize(x, bins, right): the index of the bin of each x, as NumPy computes it:
    bins checked monotonic (as float64, NumPy's own check, NaN and all), then searched
    from the side `right` says, reversed when they decrease. A ValueError when they are
    neither increasing nor decreasing."""
    if not isinstance(bins.type, Array) or bins.type.ndim != 1:
        raise gen.typing_error(node, f"np.digitize's bins must be a 1-D array, not "
                               f"{bins.type}")
    if not isinstance(x.type, (Scalar, Array)) or x.type.dtype.kind not in "biuf":
        raise gen.typing_error(node, f"np.digitize cannot place {x.type}")
    increasing, monotonic = _monotonicity(gen, bins, node)
    gen.raise_if(gen.logical_not(monotonic), "digitize_bins", node)
    return searchsorted(gen, bins, x, "left" if right else "right", node,
                        descending=gen.logical_not(increasing))


def _monotonicity(gen, bins: Val, node: ast.AST) -> tuple[ir.Value, ir.Value]:
    """(whether the bins count as increasing, whether they are monotonic), as NumPy's
    `_monotonicity` finds them: past the values equal to the first, the first pair
    decides the direction (`first < next`, else decreasing, NaN included), and every
    later pair must not go the other way. No bins, or all equal: increasing."""
    n = gen.dims(bins)[0]
    f64 = Scalar(np.dtype(np.float64))

    def at(i: ir.Value) -> Val:
        return gen.cast_scalar(Val(Scalar(bins.type.dtype), memref.load(bins.ir, [i])), f64)

    def compare(kind: str, x: Val, y: Val) -> ir.Value:
        ufunc = {"lt": np.less, "gt": np.greater, "eq": np.equal}[kind]
        return gen.apply_ufunc(ufunc, [x, y], node, kind=kind, operator=False).ir

    nonempty = arith.cmpi(arith.CmpIPredicate.ne, n, index_constant(0))
    first = gen.unless_failed(gen.logical_not(nonempty), f64, lambda: at(index_constant(0)))
    # where the first value different from bins[0] is (n: none is)
    finding = scf.ForOp(index_constant(1), n, index_constant(1), [n])
    with ir.InsertionPoint(finding.body):
        i, found = finding.induction_variable, finding.inner_iter_args[0]
        new = arith.andi(arith.cmpi(arith.CmpIPredicate.eq, found, n),
                         gen.logical_not(compare("eq", at(i), first)))
        scf.YieldOp([arith.select(new, i, found)])
    change = finding.results[0]
    all_equal = arith.cmpi(arith.CmpIPredicate.eq, change, n)
    rises = gen.unless_failed(all_equal, Scalar(np.dtype(bool)),
                              lambda: Val(Scalar(np.dtype(bool)),
                                          compare("lt", first, at(change)))).ir
    increasing = arith.ori(all_equal, rises)
    checking = scf.ForOp(arith.addi(change, index_constant(1)), n, index_constant(1),
                         [arith.constant(ir.IntegerType.get_signless(1), 1)])
    with ir.InsertionPoint(checking.body):
        j = checking.induction_variable
        last, next_ = at(arith.subi(j, index_constant(1))), at(j)
        turns = arith.select(increasing, compare("gt", last, next_),
                             compare("lt", last, next_))
        scf.YieldOp([arith.andi(checking.inner_iter_args[0], gen.logical_not(turns))])
    return increasing, checking.results[0]
