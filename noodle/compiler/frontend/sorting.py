"""`np.sort(a, axis=-1)` and `a.sort()` (in place): each row along the last axis (or the
flattened array, axis=None) in ascending order, NaN last, as NumPy orders it;
`np.argsort`, the same sort of the indices; `np.unique` of a whole array from its
sorted values; and `np.median` of one or along an axis, from the middle values put in
their sorted places (frontend/selection.py).

A bottom-up merge sort: runs of 1, 2, 4, ... elements merged pairwise into a scratch
row and copied back, O(n log n) whatever the input. Equal elements keep their order
(NumPy's default quicksort does not promise any; equal values are equal either way).
"""
from __future__ import annotations

import ast
from collections.abc import Callable

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.compiler.frontend import reshape, views
from noodle.compiler.frontend.element_loops import loop_nest, sub_array, while_loop
from noodle.compiler.frontend.selection import select_ranks
from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import INT64, Array, Scalar, TupleType
from noodle.dialects import nir


def sorted_copy(gen, a: Val, axis: object, node: ast.AST) -> Val:
    """np.sort: a sorted copy."""
    a = _rows_to_sort(gen, a, axis, "sort", node)
    out = Val(Array(a.type.dtype, a.type.ndim), nir.copy(a.type.dtype.name, a.ir),
              fresh=True)
    sort_rows(gen, out, node)
    return out


def _rows_to_sort(gen, a: Val, axis: object, name: str, node: ast.AST) -> Val:
    """`a` with the axis to sort along last: the flattened array for axis=None (an axis
    other than the last is refused)."""
    if not isinstance(a.type, Array) or a.type.ndim == 0:
        raise gen.typing_error(node, f"np.{name} needs an array of at least one dimension")
    if axis is None:
        return reshape.ravel(gen, a, node, name)
    if axis not in (-1, a.type.ndim - 1):
        raise gen.unsupported(node, f"np.{name} sorts along the last axis here (axis=-1 or "
                              "None)")
    return a


def lanes(gen, a: Val, axis: object, name: str, node: ast.AST) -> Val:
    """A C-ordered copy of `a` whose last axis is `axis` (of the flattened array, 1-D,
    for axis=None): the rows that np.median and np.quantile select from."""
    if axis is None:
        flat = reshape.ravel(gen, a, node, name)
        return Val(Array(a.type.dtype, 1), nir.copy(a.type.dtype.name, flat.ir), fresh=True)
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise gen.unsupported(node, f"np.{name}'s axis must be a constant int or None here")
    if not -a.type.ndim <= axis < a.type.ndim:
        raise gen.typing_error(node, f"axis {axis} is out of bounds for array of dimension "
                               f"{a.type.ndim}")
    along = axis % a.type.ndim
    others = [d for d in range(a.type.ndim) if d != along]
    moved = views.transpose(gen, a, others + [along], node)
    return Val(Array(a.type.dtype, a.type.ndim), nir.copy(a.type.dtype.name, moved.ir),
               fresh=True)


def rank_placer(gen, rows: Val, node: ast.AST) -> Callable[[Val, list[ir.Value]], None]:
    """A function that puts the given ranks (largest first) of a row of `rows` in their
    sorted places (NaN last), the row's largest rank included where asked: a
    quickselect, falling back to the merge sort (through scratch of one row)."""
    n = gen.dims(rows)[-1]
    dtype = rows.type.dtype
    scratch = Val(Array(dtype, 1), nir.empty(dtype.name, [n]), fresh=True)
    before = lambda x, y: sorts_before(gen, x, y, dtype, node)  # noqa: E731

    def place(row: Val, ranks: list[ir.Value]) -> None:
        def sort_range(offset: ir.Value, length: ir.Value) -> None:
            buffer, start, _, strides = gen.layout(row)
            part = gen.make_view(row, buffer, arith.addi(start, arith.muli(offset,
                                                                           strides[0])),
                                 [length], strides)
            scratch_buffer, scratch_start, _, scratch_strides = gen.layout(scratch)
            room = gen.make_view(scratch, scratch_buffer, scratch_start, [length],
                                 scratch_strides)
            _merge_sort(gen, part.ir, room.ir, length, before)

        some = arith.cmpi(arith.CmpIPredicate.ne, n, index_constant(0))
        branch = scf.IfOp(some)
        with ir.InsertionPoint(branch.then_block):
            select_ranks(row.ir, n, ranks, before, sort_range)
            scf.YieldOp([])

    return place


def sorted_lanes(gen, a: Val, axis: object, name: str, node: ast.AST) -> Val:
    """`lanes`, each row sorted."""
    if a.type.ndim == 0:
        a = reshape.ravel(gen, a, node, name)
    rows = lanes(gen, a, axis, name, node)
    sort_rows(gen, rows, node)
    return rows


def sort_rows(gen, a: Val, node: ast.AST) -> None:
    """Sorts each row along the last axis of `a` in place."""
    sizes = gen.dims(a)
    n = sizes[-1]
    scratch = nir.empty(a.type.dtype.name, [n])
    before = lambda x, y: sorts_before(gen, x, y, a.type.dtype, node)  # noqa: E731

    def sort_row(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        _merge_sort(gen, sub_array(gen, a, at).ir, scratch, n, before)
        return carried

    loop_nest(sizes[:-1], sort_row)


def argsort(gen, a: Val, axis: object, node: ast.AST) -> Val:
    """np.argsort: an int64 array of `a`'s shape (flat for axis=None) whose rows along
    the last axis index `a`'s row in sorted order. The sort is stable, which is what
    NumPy's kind="stable" gives; its other kinds may order equal elements otherwise."""
    a = _rows_to_sort(gen, a, axis, "argsort", node)
    sizes = gen.dims(a)
    n = sizes[-1]
    out = Val(Array(INT64, a.type.ndim), nir.empty("int64", sizes), fresh=True)
    scratch = nir.empty("int64", [n])
    i64 = ir.IntegerType.get_signless(64)

    def sort_row(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        keys, row = sub_array(gen, a, at).ir, sub_array(gen, out, at).ir
        numbering = scf.ForOp(index_constant(0), n, index_constant(1), [])
        with ir.InsertionPoint(numbering.body):
            i = numbering.induction_variable
            memref.store(arith.index_cast(i64, i), row, [i])
            scf.YieldOp([])
        key = lambda i: memref.load(keys, [arith.index_cast(ir.IndexType.get(), i)])  # noqa: E731
        _merge_sort(gen, row, scratch, n,
                    lambda i, j: sorts_before(gen, key(i), key(j), a.type.dtype, node))
        return carried

    loop_nest(sizes[:-1], sort_row)
    return out


#: the length of the runs sorted by insertion before the merge passes
RUN = 16


def _merge_sort(gen, row: ir.Value, scratch: ir.Value, n: ir.Value,
                before: Callable[[ir.Value, ir.Value], ir.Value]) -> None:
    """Sorts `row` (n elements) in place, stably, by `before` (whether one element goes
    strictly before another), through `scratch` (n elements): runs of RUN elements by
    insertion, then merge passes from one buffer into the other and back (each pass
    reads and writes every element once), and a copy into `row` after an odd count."""
    _insertion_sort_runs(gen, row, n, before)
    i1 = ir.IntegerType.get_signless(1)
    # both as one type, so that a pass can take either as its source
    dynamic = _dynamic_type(row)
    row, scratch = (v if v.type == dynamic else memref.cast(dynamic, v)
                    for v in (row, scratch))
    two = index_constant(2)

    def merge_pass(width: ir.Value, flipped: ir.Value) -> list[ir.Value]:
        source = arith.select(flipped, scratch, row)
        target = arith.select(flipped, row, scratch)
        pairs = scf.ForOp(index_constant(0), n, arith.muli(width, two), [])
        with ir.InsertionPoint(pairs.body):
            low = pairs.induction_variable
            middle = arith.minui(arith.addi(low, width), n)
            high = arith.minui(arith.addi(middle, width), n)
            _merge(gen, source, target, (low, middle, high), n, before)
            scf.YieldOp([])
        return [arith.muli(width, two), gen.logical_not(flipped)]

    _, flipped = while_loop([index_constant(RUN), arith.constant(i1, 0)],
                            lambda width, _: arith.cmpi(arith.CmpIPredicate.ult, width, n),
                            merge_pass)
    in_scratch = scf.IfOp(flipped)
    with ir.InsertionPoint(in_scratch.then_block):
        memref.copy(scratch, row)
        scf.YieldOp([])


def _insertion_sort_runs(gen, row: ir.Value, n: ir.Value,
                         before: Callable[[ir.Value, ir.Value], ir.Value]) -> None:
    """Sorts each run of RUN elements of `row` in place, stably."""
    one = index_constant(1)
    runs = scf.ForOp(index_constant(0), n, index_constant(RUN), [])
    with ir.InsertionPoint(runs.body):
        low = runs.induction_variable
        high = arith.minui(arith.addi(low, index_constant(RUN)), n)
        inserting = scf.ForOp(arith.addi(low, one), high, one, [])
        with ir.InsertionPoint(inserting.body):
            i = inserting.induction_variable
            x = memref.load(row, [i])

            def goes_on(j: ir.Value) -> ir.Value:
                # row[j - 1] read within the run even at j == low (then not used)
                left = memref.load(row, [arith.maxui(arith.subi(j, one), low)])
                return arith.andi(arith.cmpi(arith.CmpIPredicate.ugt, j, low),
                                  before(x, left))

            def shift(j: ir.Value) -> list[ir.Value]:
                memref.store(memref.load(row, [arith.subi(j, one)]), row, [j])
                return [arith.subi(j, one)]

            [place] = while_loop([i], goes_on, shift)
            memref.store(x, row, [place])
            scf.YieldOp([])
        scf.YieldOp([])


def _dynamic_type(row: ir.Value) -> ir.Type:
    """The type of a 1-D view of any offset and stride with `row`'s elements."""
    element = ir.MemRefType(row.type).element_type
    dynamic = ir.ShapedType.get_dynamic_stride_or_offset()
    layout = ir.StridedLayoutAttr.get(dynamic, [dynamic])
    return ir.MemRefType.get([ir.ShapedType.get_dynamic_size()], element, layout=layout)


def _merge(gen, row: ir.Value, scratch: ir.Value, bounds: tuple[ir.Value, ...], n: ir.Value,
           before: Callable[[ir.Value, ir.Value], ir.Value]) -> None:
    """row[low:middle] and row[middle:high], each sorted, into scratch[low:high]."""
    low, middle, high = bounds
    last = arith.subi(n, index_constant(1))
    merge = scf.ForOp(low, high, index_constant(1), [low, middle])
    with ir.InsertionPoint(merge.body):
        i, j = merge.inner_iter_args
        left = memref.load(row, [arith.minui(i, last)])
        right = memref.load(row, [arith.minui(j, last)])
        left_open = arith.cmpi(arith.CmpIPredicate.ult, i, middle)
        right_open = arith.cmpi(arith.CmpIPredicate.ult, j, high)
        # the left one unless the right one is strictly before it: equal ones keep order
        right_first = arith.andi(right_open, before(right, left))
        take_left = arith.andi(left_open, gen.logical_not(right_first))
        memref.store(arith.select(take_left, left, right), scratch,
                     [merge.induction_variable])
        step_left = arith.index_cast(ir.IndexType.get(), arith.extui(
            ir.IntegerType.get_signless(64), take_left))
        scf.YieldOp([arith.addi(i, step_left),
                     arith.addi(j, arith.subi(index_constant(1), step_left))])


def sorts_before(gen, x: ir.Value, y: ir.Value, dtype: np.dtype, node) -> ir.Value:
    """Whether x sorts strictly before y: x < y, and a number before NaN."""
    t = Scalar(dtype)
    less = gen.apply_ufunc(np.less, [Val(t, x), Val(t, y)], node, kind="lt",
                           operator=False).ir
    if t.dtype.kind != "f":
        return less
    nan = lambda v: gen.apply_ufunc(np.isnan, [Val(t, v)], node, kind="isnan",
                                    operator=False).ir
    return arith.ori(less, arith.andi(nan(y), gen.logical_not(nan(x))))


def unique(gen, a: Val, with_counts: bool, node: ast.AST) -> Val:
    """np.unique(a, return_counts): the distinct values of the flattened array in sorted
    order, with one NaN for all of them (NumPy 2's equal_nan=True), in an array of their
    own (and how many times each occurs, an int64 array, `with_counts`). The first of
    equal values is kept, which tells -0.0 from 0.0 as NumPy does wherever their order
    before the sort decides (the sort is stable)."""
    if isinstance(a.type, Scalar):
        a = gen.as_rank0(gen.cast_scalar(a, Scalar(a.type.dtype)))
    if not isinstance(a.type, Array):
        raise gen.typing_error(node, f"np.unique needs an array, not {a.type}")
    values = sorted_lanes(gen, a, None, "unique", node)
    n = gen.dims(values)[0]
    element = Scalar(a.type.dtype)
    index, i64 = ir.IndexType.get(), ir.IntegerType.get_signless(64)

    def starts_a_run(i: ir.Value) -> ir.Value:
        """Whether values[i] differs from the one before it (the first always does)."""
        first = arith.cmpi(arith.CmpIPredicate.eq, i, index_constant(0))
        previous = arith.select(first, i, arith.subi(i, index_constant(1)))
        x, y = (Val(element, memref.load(values.ir, [j])) for j in (previous, i))
        differs = gen.apply_ufunc(np.not_equal, [x, y], node, kind="ne", operator=False).ir
        if element.dtype.kind == "f":
            both_nan = arith.andi(_nan(gen, x, node), _nan(gen, y, node))
            differs = arith.andi(differs, gen.logical_not(both_nan))
        return arith.ori(first, differs)

    def count_of(flag: ir.Value) -> ir.Value:
        return arith.index_cast(index, arith.extui(i64, flag))

    counting = scf.ForOp(index_constant(0), n, index_constant(1), [index_constant(0)])
    with ir.InsertionPoint(counting.body):
        i = counting.induction_variable
        scf.YieldOp([arith.addi(counting.inner_iter_args[0], count_of(starts_a_run(i)))])
    runs = [counting.results[0]]
    out = Val(Array(a.type.dtype, 1), nir.empty(a.type.dtype.name, runs), fresh=True)
    counts = Val(Array(INT64, 1), nir.empty("int64", runs), fresh=True)
    one = arith.constant(i64, 1)
    copying = scf.ForOp(index_constant(0), n, index_constant(1), [index_constant(0)])
    with ir.InsertionPoint(copying.body):
        i, k = copying.induction_variable, copying.inner_iter_args[0]
        kept = starts_a_run(i)
        store = scf.IfOp(kept, has_else=with_counts)
        with ir.InsertionPoint(store.then_block):
            memref.store(memref.load(values.ir, [i]), out.ir, [k])
            if with_counts:
                memref.store(one, counts.ir, [k])
            scf.YieldOp([])
        if with_counts:  # one more of the run before (the first element starts one)
            with ir.InsertionPoint(store.else_block):
                run = [arith.subi(k, index_constant(1))]
                memref.store(arith.addi(memref.load(counts.ir, run), one), counts.ir, run)
                scf.YieldOp([])
        scf.YieldOp([arith.addi(k, count_of(kept))])
    if not with_counts:
        return out
    return Val(TupleType((out.type, counts.type)), items=(out, counts))


def median(gen, a: Val, axis: object, node: ast.AST) -> Val:
    """np.median(a, axis): the middle element of the sorted values, or the mean of the two
    middle ones (in np.mean's dtype: float64, float32 for float32); NaN where any value is
    NaN (sorted last) or there is none. Of the whole array (an np.float64 or float32), or
    along one axis (an array of the other axes)."""
    if isinstance(a.type, Scalar):
        a = gen.as_rank0(gen.cast_scalar(a, Scalar(a.type.dtype)))
    if not isinstance(a.type, Array):
        raise gen.typing_error(node, f"np.median needs an array, not {a.type}")
    result = Scalar(np.dtype(np.float32 if a.type.dtype == np.float32 else np.float64))
    values = lanes(gen, a, axis, "median", node)
    place = rank_placer(gen, values, node)
    n = gen.dims(values)[-1]
    half = arith.divui(n, index_constant(2))
    odd = arith.cmpi(arith.CmpIPredicate.ne, arith.remui(n, index_constant(2)),
                     index_constant(0))
    # the middle one or two, and the last (NaN, if any is)
    ranks = [arith.subi(n, index_constant(1)), half,
             arith.select(odd, half, arith.subi(half, index_constant(1)))]

    def middle_of(row: Val) -> Val:
        place(row, ranks)
        return _middle_of_sorted(gen, row, result, node)

    sizes = gen.dims(values)[:-1]
    if not sizes:  # the whole array, or the one axis of a vector: a NumPy scalar
        return middle_of(values)
    out = Val(Array(result.dtype, len(sizes)), nir.empty(result.dtype.name, sizes),
              fresh=True)

    def store_middle(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        memref.store(middle_of(sub_array(gen, values, at)).ir, out.ir, at)
        return carried

    loop_nest(sizes, store_middle)
    return out


def _middle_of_sorted(gen, values: Val, result: Scalar, node: ast.AST) -> Val:
    """The median (of type `result`) of a 1-D array whose middle one or two and last
    elements are in their sorted places."""
    n = gen.dims(values)[0]
    empty = arith.cmpi(arith.CmpIPredicate.eq, n, index_constant(0))

    def middle() -> Val:
        half = arith.divui(n, index_constant(2))
        odd = arith.cmpi(arith.CmpIPredicate.ne, arith.remui(n, index_constant(2)),
                         index_constant(0))
        below = arith.select(odd, half, arith.subi(half, index_constant(1)))
        load = lambda i: gen.cast_scalar(Val(Scalar(values.type.dtype), memref.load(  # noqa: E731
            values.ir, [i])), result)
        # NumPy takes the mean of the middle one or two, a sum that starts at 0.0 (so
        # -0.0 comes out as 0.0)
        zero = gen.const_scalar(result, 0.0)
        add = lambda x, y: gen.apply_ufunc(np.add, [x, y], node, operator=False)  # noqa: E731
        upper = add(zero, load(half))
        total = add(add(zero, load(below)), load(half))
        two = gen.const_scalar(result, 2.0)
        mean = gen.apply_ufunc(np.true_divide, [total, two], node, operator=False)
        # of an odd count, the middle one itself (x + x could overflow)
        value = arith.select(odd, upper.ir, mean.ir)
        last = load(arith.subi(n, index_constant(1)))
        # a NaN anywhere sorts last, and makes the median NaN
        return Val(result, arith.select(_nan(gen, last, node), last.ir, value))
    found = gen.unless_failed(empty, result, middle)
    nan = gen.const_scalar(result, np.nan)
    return Val(result, arith.select(empty, nan.ir, found.ir))


def _nan(gen, x: Val, node) -> ir.Value:
    if x.type.dtype.kind != "f":
        return arith.constant(ir.IntegerType.get_signless(1), 0)
    return gen.apply_ufunc(np.isnan, [x], node, kind="isnan", operator=False).ir
