"""NumPy's library functions beyond the ufuncs, creation, reshaping and reductions
(sorting and searching, statistics, histograms, index functions, grids, repetition,
comparisons of arrays...): a handler per function that reads its arguments as NumPy's
signature has them and hands them to the module that builds it. `CallMixin.call_object`
looks the callee up in `HANDLERS`.
"""
from __future__ import annotations

import ast

import numpy as np

from noodle.compiler.frontend import (composites, fancy_indexing, grids, nonzero, repetition,
                                      reshape, searching, sorting, views)
from noodle.compiler.frontend.bincount import bincount
from noodle.compiler.frontend.convolve import convolve
from noodle.compiler.frontend.element_loops import sub_array
from noodle.compiler.frontend.histogram import histogram
from noodle.compiler.frontend.interp import interp
from noodle.compiler.frontend.quantiles import quantile
from noodle.compiler.frontend.values import NONE_VAL, Val
from noodle.compiler.types import PY_FLOAT, PY_INT, Array, NoneType, Scalar

#: the functions of the indices of nonzero elements
_NONZERO = {np.argwhere: nonzero.argwhere, np.nonzero: nonzero.nonzero,
            np.flatnonzero: nonzero.flatnonzero}
#: functions of two arguments, none by keyword -> what builds them
_OF_TWO = {np.polyval: composites.polyval, np.heaviside: composites.heaviside,
           np.tile: repetition.tile}
#: np.atleast_<n>d -> n
AT_LEAST = {np.atleast_1d: 1, np.atleast_2d: 2, np.atleast_3d: 3}


def _unsupported_call(gen, callee, node: ast.Call) -> Exception:
    return gen.unsupported(node, f"this call of np.{callee.__name__} is not supported in "
                           "compiled code (see the README for the arguments it takes)")


def _parameters(gen, args: list[Val], first: int, kwargs: dict, names: tuple[str, ...],
                node: ast.Call, what: str) -> dict[str, Val]:
    """The parameters after the `first` arguments (which must be given), by position or
    by name, as values; `what` says what the function takes where the call does not
    fit (too few or many arguments, an unknown keyword, one given twice)."""
    given = dict(zip(names, args[first:]))
    if not first <= len(args) <= first + len(names) or set(kwargs) - set(names) or (
            set(given) & set(kwargs)):
        raise gen.unsupported(node, what)
    given.update((name, gen.expr(value)) for name, value in kwargs.items())
    return given


def _triangle(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if not (len(args) in (1, 2) and set(kwargs) <= {"k"}):
        raise _unsupported_call(gen, callee, node)
    k = args[1] if len(args) == 2 else (gen.expr(kwargs["k"]) if kwargs else
                                        gen.const_scalar(PY_INT, 0))
    return grids.triangle(gen, args[0], k, callee is np.triu, node)


def _meshgrid(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if not (args and set(kwargs) <= {"indexing"}):
        raise _unsupported_call(gen, callee, node)
    indexing = gen.static_value(kwargs["indexing"]) if kwargs else "xy"
    return grids.meshgrid(gen, args, indexing, node)


def _sort(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if len(args) not in (1, 2):
        raise _unsupported_call(gen, callee, node)
    name = callee.__name__
    if set(kwargs) - {"axis", "kind"} or (len(args) == 2 and "axis" in kwargs):
        raise gen.unsupported(node, f"np.{name} takes axis= and kind= here (no "
                              "order=)")
    sort_kind(gen, kwargs, node)
    axis_node = node.args[1] if len(args) == 2 else kwargs.get("axis")
    axis = gen.static_value(axis_node) if axis_node is not None else -1
    sort = sorting.sorted_copy if callee is np.sort else sorting.argsort
    return sort(gen, args[0], axis, node)


def _quantile(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if len(args) not in (2, 3):
        raise _unsupported_call(gen, callee, node)
    name = callee.__name__
    if set(kwargs) - {"axis"} or (len(args) == 3 and kwargs):
        raise gen.unsupported(node, f"np.{name} takes a, q and axis= here (the "
                              "linear method; no out=, keepdims=, weights=)")
    axis_node = node.args[2] if len(args) == 3 else kwargs.get("axis")
    axis = gen.static_value(axis_node) if axis_node is not None else None
    return quantile(gen, args[0], args[1], axis, callee is np.percentile, node)


def _median(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if len(args) not in (1, 2):
        raise _unsupported_call(gen, callee, node)
    if set(kwargs) - {"axis"} or (len(args) == 2 and kwargs):
        raise gen.unsupported(node, "np.median takes a and axis= here (no out=, "
                              "overwrite_input= or keepdims=)")
    axis_node = node.args[1] if len(args) == 2 else kwargs.get("axis")
    axis = gen.static_value(axis_node) if axis_node is not None else None
    return sorting.median(gen, args[0], axis, node)


def _bincount(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    given = _parameters(gen, args, 1, kwargs, ("weights", "minlength"), node,
                        "np.bincount takes x, weights= and minlength=")
    weights = given.get("weights")
    if weights is not None and isinstance(weights.type, NoneType):
        weights = None
    return bincount(gen, args[0], weights, given.get("minlength"), node)


def _atleast(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if not (len(args) == 1 and not kwargs):
        raise _unsupported_call(gen, callee, node)
    return views.at_least(gen, args[0], AT_LEAST[callee], node)


def _average(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if len(args) not in (1, 2, 3):
        raise _unsupported_call(gen, callee, node)
    names = ("axis", "weights")
    given = dict(zip(names, node.args[1:]))
    if set(kwargs) - {"axis", "weights", "keepdims"} or set(given) & set(kwargs):
        raise gen.unsupported(node, "np.average takes a, axis=, weights= and "
                              "keepdims= here (no returned=)")
    given.update(kwargs)
    weights = gen.expr(given["weights"]) if "weights" in given else None
    if weights is not None and isinstance(weights.type, NoneType):
        weights = None
    a, axes, keepdims = gen.reduced_operand(
        "average", args[0], {k: v for k, v in given.items() if k != "weights"},
        ("axis", "keepdims"), node)
    axis_given = "axis" in given and gen.static_value(given["axis"]) is not None
    return composites.average(gen, a, weights, axes, axis_given, keepdims, node)


def _histogram(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    given = _parameters(gen, args, 1, kwargs, ("bins", "range"), node,
                        "np.histogram takes a, bins= and range= here (no weights= or "
                        "density=)")
    bins = given.get("bins") or gen.const_scalar(PY_INT, 10)
    value_range = given.get("range")
    if value_range is not None and isinstance(value_range.type, NoneType):
        value_range = None
    return histogram(gen, args[0], bins, value_range, node)


def _convolve(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if not (len(args) == 2 and set(kwargs) <= {"mode"}):
        raise _unsupported_call(gen, callee, node)
    mode = gen.static_value(kwargs["mode"]) if kwargs else "full"
    return convolve(gen, args[0], args[1], mode, node)


def _take(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if len(args) not in (2, 3):
        raise _unsupported_call(gen, callee, node)
    return take(gen, args[0], args[1], node.args[2] if len(args) == 3 else None, kwargs,
                node)


def _logical(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if not (len(args) == 2 and not kwargs):
        raise _unsupported_call(gen, callee, node)
    return composites.logical(gen, callee, args[0], args[1], node)


def _ptp(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if len(args) != 1:
        raise _unsupported_call(gen, callee, node)
    a, axes, keepdims = gen.reduced_operand("ptp", args[0], kwargs,
                                             ("axis", "keepdims"), node)
    gen.check_not_empty(a, axes, node)
    return composites.ptp(gen, a, axes, keepdims, node)


def _array_equal(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if len(args) != 2:
        raise _unsupported_call(gen, callee, node)
    if set(kwargs) - {"equal_nan"}:
        raise gen.unsupported(node, "np.array_equal takes a1, a2 and equal_nan=")
    equal_nan = gen.static_value(kwargs["equal_nan"]) if kwargs else False
    return composites.array_equal(gen, args[0], args[1], bool(equal_nan), node)


def _nan_to_num(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if len(args) != 1:
        raise _unsupported_call(gen, callee, node)
    if set(kwargs) - {"nan", "posinf", "neginf"}:
        raise gen.unsupported(node, "np.nan_to_num takes x, nan=, posinf= and "
                              "neginf= here (no copy=)")
    given = {name: gen.expr(value) for name, value in kwargs.items()}
    given = {name: None if isinstance(v.type, NoneType) else v
             for name, v in given.items()}
    nan = given.get("nan") or gen.const_scalar(PY_FLOAT, 0.0)
    return composites.nan_to_num(gen, args[0], nan, given.get("posinf"),
                                 given.get("neginf"), node)


def _roll_repeat(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if len(args) not in (2, 3):
        raise _unsupported_call(gen, callee, node)
    name = callee.__name__
    if set(kwargs) - {"axis"} or (len(args) == 3 and kwargs):
        raise gen.unsupported(node, f"np.{name} takes a, a count and axis= here")
    axis_node = node.args[2] if len(args) == 3 else kwargs.get("axis")
    axis = gen.static_value(axis_node) if axis_node is not None else None
    move = repetition.roll if callee is np.roll else repetition.repeat
    return move(gen, args[0], args[1], axis, node)


def _of_two(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if not (len(args) == 2 and not kwargs):
        raise _unsupported_call(gen, callee, node)
    return _OF_TWO[callee](gen, args[0], args[1], node)


def _interp(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    given = _parameters(gen, args, 3, kwargs, ("left", "right"), node,
                        "np.interp takes x, xp, fp, left= and right= here (no period=)")
    return interp(gen, *args[:3], given.get("left"), given.get("right"), node)


def _digitize(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if len(args) not in (2, 3):
        raise _unsupported_call(gen, callee, node)
    if set(kwargs) - {"right"} or (len(args) == 3 and kwargs):
        raise gen.unsupported(node, "np.digitize takes x, bins and right=")
    right = args[2] if len(args) == 3 else (gen.expr(kwargs["right"]) if kwargs
                                             else None)
    if right is not None and not right.is_const:
        raise gen.unsupported(node, "np.digitize's right= must be a constant here")
    return searching.digitize(gen, args[0], args[1],
                              bool(right is not None and right.const), node)


def _unique(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if len(args) != 1:
        raise _unsupported_call(gen, callee, node)
    if set(kwargs) - {"return_counts"}:
        raise gen.unsupported(node, "np.unique takes the array and return_counts= here "
                              "(no return_index=, return_inverse=, axis= ...)")
    counts = bool(gen.static_value(kwargs["return_counts"])) if kwargs else False
    return sorting.unique(gen, args[0], counts, node)


def _nonzero(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if not (len(args) == 1 and not kwargs):
        raise _unsupported_call(gen, callee, node)
    return _NONZERO[callee](gen, args[0], node)


def _searchsorted(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    if len(args) != 2:
        raise _unsupported_call(gen, callee, node)
    if set(kwargs) - {"side"}:
        raise gen.unsupported(node, "np.searchsorted takes a, v and side= here (no "
                              "sorter=)")
    side = gen.static_value(kwargs["side"]) if "side" in kwargs else "left"
    return searching.searchsorted(gen, args[0], args[1], side, node)


def _copyto(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    """np.copyto(dst, src): src broadcast into dst, cast by NumPy's default rule
    ('same_kind': no floats into an integer array, say); None."""
    if not (len(args) == 2 and not kwargs):
        raise _unsupported_call(gen, callee, node)
    dst, src = args
    if not isinstance(dst.type, Array) or not isinstance(src.type, (Scalar, Array)):
        raise gen.typing_error(node, f"np.copyto copies into an array, not {dst.type}")
    if isinstance(src.type, Scalar) and src.type.weak:
        # a Python number casts by its kind (its value is checked when stored)
        fits = dst.type.dtype.kind in {"b": "biuf", "i": "iuf", "f": "f"}[
            src.type.dtype.kind]
    else:
        fits = np.can_cast(src.type.dtype, dst.type.dtype, casting="same_kind")
    if not fits:
        raise gen.typing_error(node, f"Cannot cast {src.type} to {dst.type.dtype} "
                               "according to the rule 'same_kind'")
    gen.store_into_view(dst, src, node)
    return NONE_VAL


def take(gen, a: Val, indices: Val, axis_node: ast.expr | None, kwargs: dict,
         node) -> Val:
    """np.take(a, indices, axis=None) / a.take(...): the flattened array (or axis 0)
    indexed by an integer array or integer."""
    if set(kwargs) - {"axis"} or (axis_node is not None and kwargs):
        raise gen.unsupported(node, "np.take takes a, indices and axis= here (no out= "
                              "or mode=)")
    axis_node = axis_node if axis_node is not None else kwargs.get("axis")
    axis = gen.static_value(axis_node) if axis_node is not None else None
    if isinstance(a.type, Scalar):
        a = gen.as_rank0(gen.cast_scalar(a, Scalar(a.type.dtype)))
    if not isinstance(a.type, Array) or not isinstance(indices.type, (Scalar, Array)) \
            or indices.type.dtype.kind not in "iu":
        raise gen.typing_error(node, "np.take takes an array and integer indices")
    if axis is None or a.type.ndim == 0:  # NumPy takes from a 0-d array as a 1-d one
        a = reshape.ravel(gen, a, node, "take")
    if axis not in (None, 0, -a.type.ndim):
        raise gen.unsupported(node, "np.take takes axis=None or 0 here")
    if isinstance(indices.type, Scalar):
        index = gen.normalize_index(indices, gen.dims(a)[0], node, error="index")
        return gen.load_rank0(sub_array(gen, a, [index]))
    return fancy_indexing.read(gen, a, indices, node)


def _isclose(gen, callee, args: list[Val], kwargs: dict, node: ast.Call) -> Val:
    """np.isclose / np.allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False), the
    tolerances given by position or by name, equal_nan a constant."""
    given = _parameters(gen, args, 2, kwargs, ("rtol", "atol", "equal_nan"), node,
                        f"np.{callee.__name__} takes a, b, rtol=, atol= and equal_nan= here")
    rtol, atol = (given.get(name) or gen.const_scalar(PY_FLOAT, default)
                  for name, default in (("rtol", 1e-05), ("atol", 1e-08)))
    equal_nan = given.get("equal_nan")
    if equal_nan is not None and not equal_nan.is_const:
        raise gen.unsupported(node, f"np.{callee.__name__}'s equal_nan= must be a "
                              "constant here")
    close = composites.isclose(gen, args[0], args[1], rtol, atol,
                               bool(equal_nan is not None and equal_nan.const), node)
    return close if callee is np.isclose else composites.allclose(gen, close, node)


def sort_kind(gen, kwargs: dict, node: ast.Call) -> None:
    """Any of NumPy's sort kinds (a constant) is taken: the sort is stable, which each
    kind allows (their sorted values are the same; only `np.argsort` may order the
    indices of equal elements otherwise than NumPy's unstable kinds do)."""
    kinds = (None, "quicksort", "mergesort", "heapsort", "stable")
    if "kind" in kwargs and gen.static_value(kwargs["kind"]) not in kinds:
        raise gen.typing_error(node, f"the sort kind must be one of {kinds[1:]}")


#: the NumPy functions this module compiles -> their handlers
HANDLERS = {
    np.triu: _triangle,
    np.tril: _triangle,
    np.meshgrid: _meshgrid,
    np.sort: _sort,
    np.argsort: _sort,
    np.quantile: _quantile,
    np.percentile: _quantile,
    np.median: _median,
    np.bincount: _bincount,
    np.atleast_1d: _atleast,
    np.atleast_2d: _atleast,
    np.atleast_3d: _atleast,
    np.average: _average,
    np.histogram: _histogram,
    np.convolve: _convolve,
    np.polyval: _of_two,
    np.heaviside: _of_two,
    np.copyto: _copyto,
    np.take: _take,
    np.logical_and: _logical,
    np.logical_or: _logical,
    np.logical_xor: _logical,
    np.ptp: _ptp,
    np.array_equal: _array_equal,
    np.nan_to_num: _nan_to_num,
    np.roll: _roll_repeat,
    np.repeat: _roll_repeat,
    np.tile: _of_two,
    np.interp: _interp,
    np.digitize: _digitize,
    np.unique: _unique,
    np.argwhere: _nonzero,
    np.nonzero: _nonzero,
    np.flatnonzero: _nonzero,
    np.searchsorted: _searchsorted,
    np.isclose: _isclose,
    np.allclose: _isclose,
}
