"""NumPy functions compiled as the operations NumPy itself composes them of, so that
dtypes, rounding and edge cases follow: `np.outer`, `np.diff`, `np.trace`,
`np.count_nonzero`, `np.round` / `np.around`, `np.eye` / `np.identity`, `np.isclose` /
`np.allclose`, `np.logical_and/or/xor`, `np.ptp`, `np.array_equal`, `np.nan_to_num`,
`np.heaviside`, `np.average`, `np.polyval`, and the NaN-ignoring reductions.
"""
from __future__ import annotations

import ast

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.compiler.frontend import reshape
from noodle.compiler.frontend.element_loops import loop_nest
from noodle.compiler.frontend.values import Val, any_true, index_constant
from noodle.compiler.types import (INT64, PY_BOOL, PY_FLOAT, PY_INT, Array, Scalar,
                                   TupleType, ufunc_result)
from noodle.dialects import nir


def outer(gen, a: Val, b: Val, node: ast.AST) -> Val:
    """np.outer: the flattened a as a column times the flattened b as a row."""
    column, row = (_flat(gen, x, node, role) for x, role in ((a, "outer a"), (b, "outer b")))
    buffer, offset, sizes, strides = gen.layout(column)
    column = gen.make_view(column, buffer, offset, sizes + [index_constant(1)],
                           strides + [index_constant(0)])
    buffer, offset, sizes, strides = gen.layout(row)
    row = gen.make_view(row, buffer, offset, [index_constant(1)] + sizes,
                        [index_constant(0)] + strides)
    return gen.apply_ufunc(np.multiply, [column, row], node, operator=False)


def diff(gen, a: Val, n: object, axis: object, node: ast.AST) -> Val:
    """np.diff: `a[1:] - a[:-1]` along the axis, n times (not_equal for bools, as NumPy
    does); n=0 gives `a` itself."""
    if not isinstance(a.type, Array) or a.type.ndim == 0:
        raise gen.typing_error(node, "np.diff needs an array of at least one dimension")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise gen.unsupported(node, "np.diff's n must be a constant int >= 0")
    ndim = a.type.ndim
    if not isinstance(axis, int) or not -ndim <= axis < ndim:
        raise gen.typing_error(node, f"axis {axis} is out of bounds for {a.type}")
    axis %= ndim
    for _ in range(n):
        buffer, offset, sizes, strides = gen.layout(a)
        shorter = list(sizes)
        shorter[axis] = arith.maxsi(arith.subi(sizes[axis], index_constant(1)),
                                    index_constant(0))
        head = gen.make_view(a, buffer, offset, shorter, strides)
        tail = gen.make_view(a, buffer, arith.addi(offset, strides[axis]), shorter, strides)
        if a.type.dtype.kind == "b":
            a = gen.apply_ufunc(np.not_equal, [tail, head], node, kind="ne", operator=False)
        else:
            a = gen.apply_ufunc(np.subtract, [tail, head], node, operator=False)
    return a


def trace(gen, a: Val, node: ast.AST) -> Val:
    """np.trace of a matrix: the sum of its diagonal, in np.sum's dtype."""
    if not isinstance(a.type, Array) or a.type.ndim != 2:
        raise gen.unsupported(node, "np.trace takes a matrix here (no offset= or axes)")
    buffer, offset, sizes, strides = gen.layout(a)
    diagonal = gen.make_view(a, buffer, offset, [arith.minsi(sizes[0], sizes[1])],
                             [arith.addi(strides[0], strides[1])])
    return gen.reduce_axes("sum", diagonal, (0,), False, node)


def count_nonzero(gen, a: Val, node: ast.AST) -> Val:
    """np.count_nonzero(a): how many elements are not zero (NaN counts), an np.int64."""
    if isinstance(a.type, Scalar):
        a = gen.as_rank0(a)
    nonzero = gen.apply_ufunc(np.not_equal, [a, gen.const_scalar(PY_INT, 0)], node,
                              kind="ne", operator=False)
    if isinstance(nonzero.type, Scalar):  # of a 0-d array: its one element
        return gen.cast_scalar(nonzero, Scalar(INT64))
    total = gen.reduce_axes("sum", nonzero, tuple(range(a.type.ndim)), False, node)
    return gen.cast_scalar(total, Scalar(INT64))


def around(gen, a: Val, decimals: object, node: ast.AST) -> Val:
    """np.round / np.around: halves to even; with decimals, NumPy's `rint(a * 10**d) /
    10**d` (`rint(a / 10**-d) * 10**-d` for negative d). Integers with decimals >= 0
    come back as they are (a copy); a Python number gives a NumPy scalar."""
    if not isinstance(decimals, int) or isinstance(decimals, bool):
        raise gen.unsupported(node, "np.round's decimals must be a constant int")
    if isinstance(a.type, Scalar):
        a = gen.cast_scalar(a, Scalar(a.type.dtype))
    if not isinstance(a.type, (Scalar, Array)):
        raise gen.typing_error(node, f"np.round does not take {a.type}")
    if a.type.dtype.kind == "b":  # NumPy rounds bools to float16, which noodle lacks
        raise gen.unsupported(node, "np.round of bools gives float16 in NumPy, a dtype "
                              "noodle does not support", "round a.astype(np.float32)")
    if a.type.dtype.kind in "iu":
        if decimals < 0:
            raise gen.unsupported(node, "np.round of integers to negative decimals is not "
                                  "supported")
        if isinstance(a.type, Array):
            return Val(a.type, nir.copy(a.type.dtype.name, a.ir), fresh=True)
        return a
    rint = lambda x: gen.apply_ufunc(np.rint, [x], node, kind="rint", operator=False)
    if decimals == 0:
        return rint(a)
    factor = gen.const_scalar(Scalar(a.type.dtype), 10.0 ** abs(decimals))
    if decimals > 0:
        scaled = gen.apply_ufunc(np.multiply, [a, factor], node, operator=False)
        return gen.apply_ufunc(np.true_divide, [rint(scaled), factor], node, operator=False)
    scaled = gen.apply_ufunc(np.true_divide, [a, factor], node, operator=False)
    return gen.apply_ufunc(np.multiply, [rint(scaled), factor], node, operator=False)


def _flat(gen, a: Val, node, role: str) -> Val:
    if isinstance(a.type, Scalar):
        a = gen.as_rank0(gen.cast_scalar(a, Scalar(a.type.dtype)))
    if not isinstance(a.type, Array):
        raise gen.typing_error(node, f"np.outer does not take {a.type}")
    return reshape.ravel(gen, a, node, role) if a.type.ndim != 1 else a


def nan_reduction(gen, kind: str, a: Val, axes: tuple[int, ...], keepdims: bool,
                  node: ast.AST) -> Val:
    """np.nansum / nanprod / nanmax / nanmin / nanmean of floats: NaN left out, as
    NumPy's do (an all-NaN slice gives NaN for max, min and mean, where NumPy also
    warns, and the sum's identity for sum and prod); of other dtypes, the plain
    reduction."""
    plain = {"nansum": "sum", "nanprod": "prod", "nanmax": "max", "nanmin": "min",
             "nanmean": "mean"}[kind]
    if a.type.dtype.kind != "f":
        return gen.reduce_axes(plain, a, axes, keepdims, node)
    nan = gen.apply_ufunc(np.isnan, [a], node, kind="isnan", operator=False)
    element = Scalar(a.type.dtype)
    neutral = {"sum": 0.0, "mean": 0.0, "prod": 1.0, "max": -np.inf, "min": np.inf}[plain]
    cleaned = gen.elementwise_select(nan, gen.const_scalar(element, neutral), a,
                                     a.type.dtype, node)
    if plain in ("sum", "prod"):
        return gen.reduce_axes(plain, cleaned, axes, keepdims, node)
    numbers = gen.apply_ufunc(np.logical_not, [nan], node, kind="logical_not",
                              operator=False)
    if plain == "mean":
        total = gen.reduce_axes("sum", cleaned, axes, keepdims, node)
        count = gen.reduce_axes("sum", numbers, axes, keepdims, node)
        # NumPy divides in the total's dtype (float32 stays float32)
        count = (gen.cast_array(count, total.type.dtype) if isinstance(count.type, Array)
                 else gen.cast_scalar(count, Scalar(total.type.dtype)))
        return gen.apply_ufunc(np.true_divide, [total, count], node, operator=False)
    extreme = gen.reduce_axes(plain, cleaned, axes, keepdims, node)
    any_number = gen.reduce_axes("any", numbers, axes, keepdims, node)
    return _where(gen, any_number, extreme, gen.const_scalar(element, np.nan), node)


def _where(gen, cond: Val, x: Val, y: Val, node) -> Val:
    if isinstance(cond.type, Scalar):
        return Val(x.type, arith.select(cond.ir, x.ir, gen.cast_scalar(y, x.type).ir))
    return gen.elementwise_select(cond, x, y, x.type.dtype, node)


def eye(gen, n: Val, m: Val | None, k: Val, dtype: object, node: ast.AST) -> Val:
    """np.eye(N, M=None, k=0, dtype=float) and np.identity(n, dtype): zeros with ones on
    the k-th diagonal (a negative size is NumPy's ValueError, from np.zeros)."""
    dtype = np.dtype(dtype if dtype is not None else np.float64)
    rows = gen.to_index(n, node)
    columns = rows if m is None else gen.to_index(m, node)
    out = gen.allocate([rows, columns], dtype, 0, node)
    offset = gen.to_index(k, node)
    zero = index_constant(0)
    # the diagonal's rows: from max(0, -k) to min(rows, columns - k), none if fewer
    first = arith.maxsi(zero, arith.subi(zero, offset))
    last = arith.minsi(gen.dims(out)[0], arith.subi(gen.dims(out)[1], offset))
    last = arith.maxsi(last, first)
    one = gen.cast_scalar(gen.const_scalar(PY_INT, 1), Scalar(dtype))
    loop = scf.ForOp(first, last, index_constant(1), [])
    with ir.InsertionPoint(loop.body):
        i = loop.induction_variable
        memref.store(one.ir, out.ir, [i, arith.addi(i, offset)])
        scf.YieldOp([])
    return out


def isclose(gen, a: Val, b: Val, rtol: Val, atol: Val, equal_nan: bool, node: ast.AST
            ) -> Val:
    """np.isclose, composed as NumPy 2 composes it (numpy/_core/numeric.py):
    `abs(a - b) <= atol + rtol * abs(b)` where b is finite, or `a == b`; with equal_nan,
    NaN against NaN too. b is taken in a float dtype first (`result_type(b, 1.)`: a
    float32 b stays float32), so that integers never overflow."""
    def ufunc(function: np.ufunc, *operands: Val, kind: str | None = None) -> Val:
        return gen.apply_ufunc(function, list(operands), node, kind=kind, operator=False)

    def operator(function: np.ufunc, *operands: Val, kind: str | None = None) -> Val:
        # Python's operators (and abs()) where NumPy's code uses them: of Python
        # numbers they give Python numbers, which then count as weak
        return gen.apply_ufunc(function, list(operands), node, kind=kind)

    if isinstance(b.type, Scalar) and b.type.weak:
        if b.type.dtype.kind != "f":
            b = gen.cast_scalar(b, PY_FLOAT)
    elif isinstance(b.type, (Scalar, Array)):
        b = gen.cast_to_dtype(b, np.result_type(b.type.dtype, 1.0))
    distance = operator(np.absolute, operator(np.subtract, a, b), kind="abs")
    bound = operator(np.add, atol, operator(np.multiply, rtol,
                                            operator(np.absolute, b, kind="abs")))
    within = operator(np.bitwise_and, ufunc(np.less_equal, distance, bound, kind="le"),
                      ufunc(np.isfinite, b, kind="isfinite"))
    close = operator(np.bitwise_or, within, operator(np.equal, a, b, kind="eq"))
    if equal_nan:
        both_nan = operator(np.bitwise_and, ufunc(np.isnan, a, kind="isnan"),
                            ufunc(np.isnan, b, kind="isnan"))
        close = operator(np.bitwise_or, close, both_nan)
    return close


def allclose(gen, close: Val, node: ast.AST) -> Val:
    """np.allclose from np.isclose's result: whether all are close, a Python bool."""
    if isinstance(close.type, Scalar):
        close = gen.as_rank0(close)
    every = gen.reduce_axes("all", close, tuple(range(close.type.ndim)), False, node)
    return gen.cast_scalar(every, PY_BOOL)


#: np.logical_* -> the bitwise ufunc that combines the operands' truths
LOGICAL_UFUNCS = {np.logical_and: np.bitwise_and, np.logical_or: np.bitwise_or,
                  np.logical_xor: np.bitwise_xor}


def logical(gen, ufunc: np.ufunc, a: Val, b: Val, node: ast.AST) -> Val:
    """np.logical_and/or/xor: the truth of each operand (nonzero; NaN is true), combined,
    as bools (NumPy scalars for scalars)."""
    truths = [gen.apply_ufunc(np.not_equal, [x, gen.const_scalar(PY_INT, 0)], node,
                              kind="ne", operator=False) for x in (a, b)]
    return gen.apply_ufunc(LOGICAL_UFUNCS[ufunc], truths, node, operator=False)


def ptp(gen, a: Val, axes: tuple[int, ...], keepdims: bool, node: ast.AST) -> Val:
    """np.ptp: the maximum minus the minimum, in the array's dtype (integers wrap, as
    NumPy's subtraction of the two does)."""
    extremes = [gen.reduce_axes(kind, a, axes, keepdims, node) for kind in ("max", "min")]
    return gen.apply_ufunc(np.subtract, extremes, node, operator=False)


def array_equal(gen, a: Val, b: Val, equal_nan: bool, node: ast.AST) -> Val:
    """np.array_equal: a Python bool, whether the shapes are the same and the elements
    equal (NaN to NaN too with equal_nan). Arrays of different ranks are never equal."""
    a, b = (gen.as_rank0(x) if isinstance(x.type, Scalar) else x for x in (a, b))
    if not (isinstance(a.type, Array) and isinstance(b.type, Array)):
        raise gen.typing_error(node, f"np.array_equal compares arrays, not {a.type} and "
                               f"{b.type}")
    if a.type.ndim != b.type.ndim:
        return gen.const_scalar(PY_BOOL, False)
    same_shape = arith.constant(ir.IntegerType.get_signless(1), 1)
    for x, y in zip(gen.dims(a), gen.dims(b)):
        same_shape = arith.andi(same_shape, arith.cmpi(arith.CmpIPredicate.eq, x, y))
    # compared as views that are empty where the shapes differ (so that they always
    # broadcast, and no check fails inside a branch)
    sizes = [arith.select(same_shape, d, index_constant(0)) for d in gen.dims(a)]
    a, b = (gen.make_view(x, buffer, offset, sizes, strides)
            for x in (a, b) for buffer, offset, _, strides in [gen.layout(x)])
    equal = gen.apply_ufunc(np.equal, [a, b], node, kind="eq", operator=False)
    if equal_nan:
        nan = [gen.apply_ufunc(np.isnan, [x], node, kind="isnan", operator=False)
               for x in (a, b)]
        both = gen.apply_ufunc(np.bitwise_and, nan, node, operator=False)
        equal = gen.apply_ufunc(np.bitwise_or, [equal, both], node, operator=False)
    return Val(PY_BOOL, arith.andi(same_shape, allclose(gen, equal, node).ir))


def nan_to_num(gen, x: Val, nan: Val, posinf: Val | None, neginf: Val | None,
               node: ast.AST) -> Val:
    """np.nan_to_num: NaN as `nan`, +inf as `posinf` (the dtype's largest finite value by
    default), -inf as `neginf` (its most negative); a copy. Integers and bools come back
    as they are."""
    if not isinstance(x.type, (Scalar, Array)):
        raise gen.typing_error(node, f"np.nan_to_num needs numbers, not {x.type}")
    x = gen.load_rank0(x)  # NumPy returns x[()] of a 0-d x: a scalar
    if x.type.dtype.kind != "f":
        if isinstance(x.type, Scalar):
            return gen.cast_scalar(x, Scalar(x.type.dtype))
        return Val(Array(x.type.dtype, x.type.ndim), nir.copy(x.type.dtype.name, x.ir),
                   fresh=True)
    scalar = isinstance(x.type, Scalar)
    dtype = Scalar(x.type.dtype)
    if scalar:  # as NumPy: a 0-d array, and its element at the end
        x = gen.as_rank0(gen.cast_scalar(x, dtype))
    info = np.finfo(x.type.dtype)
    posinf = posinf or gen.const_scalar(dtype, float(info.max))
    neginf = neginf or gen.const_scalar(dtype, float(info.min))
    # NumPy writes the replacements into an array of x's dtype: they are cast to it
    nan, posinf, neginf = (gen.cast_scalar(v, dtype) for v in (nan, posinf, neginf))

    def where(condition: Val, value: Val, otherwise: Val) -> Val:
        return gen.call_object(np.where, [condition, value, otherwise], {}, node)

    is_nan = gen.apply_ufunc(np.isnan, [x], node, kind="isnan", operator=False)
    infinite = gen.apply_ufunc(np.isinf, [x], node, kind="isinf", operator=False)
    positive = gen.apply_ufunc(np.greater, [x, gen.const_scalar(PY_INT, 0)], node, kind="gt",
                               operator=False)
    replaced = where(infinite, where(positive, posinf, neginf), x)
    result = where(is_nan, nan, replaced)
    return gen.load_rank0(result) if scalar else result


def heaviside(gen, x1: Val, x2: Val, node: ast.AST) -> Val:
    """np.heaviside: 0 where x1 < 0, 1 where x1 > 0, x2 where x1 is 0 (-0.0 too), NaN
    where x1 is NaN; in the float dtype NumPy's loops give the pair."""
    resolved = ufunc_result(np.heaviside, x1.type, x2.type)
    if resolved is None or resolved[0] not in (np.float32, np.float64):
        raise gen.unsupported(node, "np.heaviside of these gives float16 or nothing in "
                              "NumPy; noodle takes float32 and float64 operands")
    dtype = resolved[0]
    # NumPy computes on 0-d arrays as on its scalars, and gives a scalar
    x1, x2 = (gen.cast_to_dtype(gen.load_rank0(x), dtype) for x in (x1, x2))
    zero, one = (gen.const_scalar(Scalar(dtype), v) for v in (0.0, 1.0))

    def where(condition: Val, yes: Val, no: Val) -> Val:
        if all(isinstance(v.type, Scalar) for v in (condition, yes, no)):
            return Val(Scalar(dtype), arith.select(condition.ir, yes.ir, no.ir))
        return gen.elementwise_select(condition, yes, no, dtype, node)

    compare = lambda ufunc, kind: gen.apply_ufunc(ufunc, [x1, zero], node, kind=kind,  # noqa: E731
                                                  operator=False)
    nan = gen.apply_ufunc(np.isnan, [x1], node, kind="isnan", operator=False)
    return where(nan, x1, where(compare(np.less, "lt"), zero,
                                where(compare(np.greater, "gt"), one, x2)))


def average(gen, a: Val, weights: Val | None, axes: tuple[int, ...], given_axis: bool,
            keepdims: bool, node: ast.AST) -> Val:
    """np.average as NumPy computes it: the mean without weights; with them, `sum(a * w)
    / sum(w)` in `result_type(a, w)` (at least float64 for integer or bool a), weights
    of a's shape or 1-D along the one axis given; NumPy's ZeroDivisionError where the
    weights sum to zero."""
    if weights is None:
        # NumPy then divides a.size by the result's size, in Python: ZeroDivisionError
        # where the result is empty
        others = [d for k, d in enumerate(gen.dims(a)) if k not in axes]
        if others:
            empty = any_true([arith.cmpi(arith.CmpIPredicate.eq, d, index_constant(0))
                              for d in others])
            gen.raise_if(empty, "zero_division", node)
        return gen.reduce_axes("mean", a, axes, keepdims, node)
    if not isinstance(weights.type, Array):
        raise gen.typing_error(node, f"np.average's weights must be an array, not "
                               f"{weights.type}")
    dtype = np.result_type(a.type.dtype, weights.type.dtype,
                           *(["f8"] if a.type.dtype.kind in "biu" else []))
    a_sizes = gen.dims(a)
    if weights.type.ndim == a.type.ndim:
        differs = any_true([arith.cmpi(arith.CmpIPredicate.ne, x, y)
                            for x, y in zip(gen.dims(weights), a_sizes)])
        # NumPy then wants an axis (TypeError), or weights that fit it (ValueError)
        kind = "average_axis" if given_axis else "average_shape"
    elif weights.type.ndim == 1 and given_axis and len(axes) == 1:
        # 1-D weights along the axis: a view of them with a's other axes, of size one
        along = axes[0]
        n = gen.dims(weights)[0]
        differs = arith.cmpi(arith.CmpIPredicate.ne, n, a_sizes[along])
        kind = "average_axis"
        buffer, offset, _, strides = gen.layout(weights)
        one, zero = index_constant(1), index_constant(0)
        weights = gen.make_view(weights, buffer, offset,
                                [n if d == along else one for d in range(a.type.ndim)],
                                [strides[0] if d == along else zero
                                 for d in range(a.type.ndim)])
    else:
        raise gen.unsupported(node, "np.average takes weights of a's shape, or 1-D ones "
                              "along one axis=, here")
    if differs is not None:
        gen.raise_if(differs, kind, node)
    a_cast, w_cast = gen.cast_array(a, dtype), gen.cast_array(weights, dtype)
    scale = gen.reduce_axes("sum", w_cast, axes, keepdims, node)
    zero = gen.apply_ufunc(np.equal, [scale, gen.const_scalar(PY_FLOAT, 0.0)], node,
                           kind="eq", operator=False)
    if isinstance(zero.type, Array):
        zero = gen.reduce_axes("any", zero, tuple(range(zero.type.ndim)), False, node)
    gen.raise_if(zero.ir, "average_zero", node)
    products = gen.apply_ufunc(np.multiply, [a_cast, w_cast], node, operator=False)
    if isinstance(products.type, Scalar):  # of 0-d operands
        products = gen.as_rank0(products)
    total = gen.reduce_axes("sum", products, axes, keepdims, node)
    return gen.apply_ufunc(np.true_divide, [total, scale], node, operator=False)


def polyval(gen, p: Val, x: Val, node: ast.AST) -> Val:
    """np.polyval(p, x): Horner's rule as NumPy runs it, `y = y * x + pv` for each
    coefficient from y = zeros_like(x), so the dtype is x's promoted with p's (and the
    first step is 0 * x: NaN at an infinite x, as NumPy's). Of no coefficients: zeros in
    that dtype (NumPy's are in x's)."""
    if isinstance(p.type, TupleType):
        p = gen.call_object(np.asarray, [p], {}, node)
    if not isinstance(p.type, Array) or p.type.ndim != 1:
        raise gen.typing_error(node, f"np.polyval takes 1-D coefficients, not {p.type}")
    if not isinstance(x.type, (Scalar, Array)):
        raise gen.typing_error(node, f"np.polyval cannot evaluate at {x.type}")
    start = Scalar(x.type.dtype)  # np.asanyarray(x): a Python number's own dtype
    coefficient = Scalar(p.type.dtype)
    result = Scalar(ufunc_result(np.add, start, coefficient)[0])
    n = gen.dims(p)[0]

    def at(value: Val) -> Val:
        def ufunc(function: np.ufunc, *operands: Val) -> Val:
            return gen.cast_scalar(gen.apply_ufunc(function, list(operands), node,
                                                   operator=False), result)

        def horner() -> Val:
            load = lambda k: Val(coefficient, memref.load(p.ir, [k]))  # noqa: E731
            zero = gen.cast_scalar(gen.const_scalar(PY_INT, 0), start)
            first = gen.apply_ufunc(np.multiply, [zero, value], node, operator=False)
            y = ufunc(np.add, first, load(index_constant(0)))
            loop = scf.ForOp(index_constant(1), n, index_constant(1), [y.ir])
            with ir.InsertionPoint(loop.body):
                y = Val(result, loop.inner_iter_args[0])
                scf.YieldOp([ufunc(np.add, ufunc(np.multiply, y, value),
                                   load(loop.induction_variable)).ir])
            return Val(result, loop.results[0])

        empty = arith.cmpi(arith.CmpIPredicate.eq, n, index_constant(0))
        return gen.unless_failed(empty, result, horner)

    if isinstance(x.type, Scalar) or x.type.ndim == 0:
        return at(gen.cast_scalar(gen.load_rank0(x), start))
    sizes = gen.dims(x)
    out = Val(Array(result.dtype, x.type.ndim), nir.empty(result.dtype.name, sizes),
              fresh=True)

    def store(indices: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        memref.store(at(Val(start, memref.load(x.ir, indices))).ir, out.ir, indices)
        return carried

    loop_nest(sizes, store)
    return out
