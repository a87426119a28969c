"""Putting chosen ranks of a row in their sorted places without sorting it all (NumPy's
np.partition, which its median and percentile use): what `np.median` and
`np.quantile` read, in O(n) expected time where a sort takes O(n log n).

A quickselect (Hoare's partition around a median of three) per rank, the largest
first, each within the part left of the one placed before it (which holds only smaller
or equal elements). In the order np.sort gives (NaN last). A selection that has not
finished after 2 log2(n) + 8 partitions sorts what is left of its range with the merge
sort instead, so that no input costs more than O(n log n).
"""
from __future__ import annotations

from collections.abc import Callable

from mlir import ir
from mlir.dialects import arith, math, memref, scf

from noodle.compiler.frontend.element_loops import while_loop
from noodle.compiler.frontend.values import index_constant

#: whether one element sorts strictly before another
Before = Callable[[ir.Value, ir.Value], ir.Value]
#: sorts `length` elements from an offset of the row, through a scratch row
SortRange = Callable[[ir.Value, ir.Value], None]


def select_ranks(row: ir.Value, n: ir.Value, ranks: list[ir.Value], before: Before,
                 sort_range: SortRange) -> None:
    """Moves the elements of ranks `ranks` (largest first, each < n) of `row` (n
    elements, n > 0) to their sorted places, everything left of each no greater."""
    bound = n
    for k in ranks:
        # a rank placed already (equal to the one before) needs nothing
        needed = arith.cmpi(arith.CmpIPredicate.ult, k, bound)
        branch = scf.IfOp(needed)
        with ir.InsertionPoint(branch.then_block):
            _quickselect(row, arith.subi(bound, index_constant(1)), k, n, before, sort_range)
            scf.YieldOp([])
        bound = k


def _quickselect(row: ir.Value, last: ir.Value, k: ir.Value, n: ir.Value, before: Before,
                 sort_range: SortRange) -> None:
    one = index_constant(1)
    limit = arith.addi(index_constant(8), arith.muli(index_constant(2), _log2(n)))

    def going(lo: ir.Value, hi: ir.Value, rounds: ir.Value) -> ir.Value:
        return arith.andi(arith.cmpi(arith.CmpIPredicate.ult, lo, hi),
                          arith.cmpi(arith.CmpIPredicate.ult, rounds, limit))

    def narrow(lo: ir.Value, hi: ir.Value, rounds: ir.Value) -> list[ir.Value]:
        i, j = _partition(row, lo, hi, _median_of_three(row, lo, hi, before), before)
        # k in the left part, the right part, or between them (in place: done)
        left = _signed_le(k, j)
        right = arith.cmpi(arith.CmpIPredicate.uge, k, i)
        return [arith.select(left, lo, arith.select(right, i, k)),
                arith.select(left, j, arith.select(right, hi, k)), arith.addi(rounds, one)]

    lo, hi, _ = while_loop([index_constant(0), last, index_constant(0)], going, narrow)
    unfinished = arith.cmpi(arith.CmpIPredicate.ult, lo, hi)
    fallback = scf.IfOp(unfinished)
    with ir.InsertionPoint(fallback.then_block):
        sort_range(lo, arith.addi(arith.subi(hi, lo), one))
        scf.YieldOp([])


def _median_of_three(row: ir.Value, lo: ir.Value, hi: ir.Value, before: Before) -> ir.Value:
    middle = arith.addi(lo, arith.shrui(arith.subi(hi, lo), index_constant(1)))
    a, b, c = (memref.load(row, [i]) for i in (lo, middle, hi))
    # the middle one of a, b, c: max(min(a, b), min(max(a, b), c))
    low_ab, high_ab = (arith.select(before(b, a), b, a), arith.select(before(b, a), a, b))
    capped = arith.select(before(c, high_ab), c, high_ab)
    return arith.select(before(capped, low_ab), low_ab, capped)


def _partition(row: ir.Value, lo: ir.Value, hi: ir.Value, pivot: ir.Value, before: Before
               ) -> tuple[ir.Value, ir.Value]:
    """Hoare's partition of row[lo..hi] around `pivot` (a value in it): (i, j) with
    row[lo..j] <= pivot <= row[i..hi] and j < i; j may be lo - 1 (as i64 arithmetic)."""
    index = ir.IndexType.get()
    one = index_constant(1)

    def sweep(i: ir.Value, j: ir.Value) -> list[ir.Value]:
        # the scans stop at the pivot (or an element swapped past it) at the latest
        [i] = while_loop([i], lambda at: before(memref.load(row, [at]), pivot),
                         lambda at: [arith.addi(at, one)])
        [j] = while_loop([j], lambda at: before(pivot, memref.load(row, [at])),
                         lambda at: [arith.subi(at, one)])
        swap = scf.IfOp(_signed_le(i, j), [index, index], has_else=True)
        with ir.InsertionPoint(swap.then_block):
            x, y = memref.load(row, [i]), memref.load(row, [j])
            memref.store(y, row, [i])
            memref.store(x, row, [j])
            scf.YieldOp([arith.addi(i, one), arith.subi(j, one)])
        with ir.InsertionPoint(swap.else_block):
            scf.YieldOp([i, j])
        return list(swap.results)

    i, j = while_loop([lo, hi], _signed_le, sweep)
    return i, j


def _signed_le(x: ir.Value, y: ir.Value) -> ir.Value:
    i64 = ir.IntegerType.get_signless(64)
    return arith.cmpi(arith.CmpIPredicate.sle, arith.index_cast(i64, x),
                      arith.index_cast(i64, y))


def _log2(n: ir.Value) -> ir.Value:
    """floor(log2(n)) of a positive index, by its leading zeros."""
    i64 = ir.IntegerType.get_signless(64)
    zeros = arith.index_cast(ir.IndexType.get(), math.ctlz(arith.index_cast(i64, n)))
    return arith.subi(index_constant(63), zeros)
