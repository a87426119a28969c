"""Views that rearrange an array's axes: `np.transpose` / `a.transpose(...)`,
`np.swapaxes` / `a.swapaxes(i, j)`, `np.flip` (and `np.fliplr`, `np.flipud`) and
`np.expand_dims`. Each is a new description (offset, sizes, strides) of the same
buffer, as NumPy's are, so writes through it reach the array.
"""
from __future__ import annotations

import ast

from mlir.dialects import arith

from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import Array, Scalar


def _axis(gen, axis: object, ndim: int, node: ast.AST) -> int:
    """A constant axis in range (negative ones count from the end)."""
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise gen.unsupported(node, "an axis must be a constant int here")
    if not -ndim <= axis < ndim:
        raise gen.typing_error(node, f"axis {axis} is out of bounds for an array of "
                               f"dimension {ndim}")
    return axis % ndim


def _array(gen, a: Val, name: str, node: ast.AST) -> Val:
    if not isinstance(a.type, Array):
        raise gen.typing_error(node, f"{name} needs an array, not {a.type}")
    return a


def transpose(gen, a: Val, axes: object, node: ast.AST) -> Val:
    """The axes reversed, or in the order `axes` (a permutation) gives."""
    a = _array(gen, a, "transpose", node)
    ndim = a.type.ndim
    order = list(reversed(range(ndim))) if axes is None else [
        _axis(gen, x, ndim, node) for x in axes]
    if sorted(order) != list(range(ndim)):
        raise gen.typing_error(node, f"axes {axes} don't match the array's {ndim} axes")
    buffer, offset, sizes, strides = gen.layout(a)
    return gen.make_view(a, buffer, offset, [sizes[k] for k in order],
                         [strides[k] for k in order])


def swapaxes(gen, a: Val, first: object, second: object, node: ast.AST) -> Val:
    ndim = _array(gen, a, "swapaxes", node).type.ndim
    order = list(range(ndim))
    i, j = _axis(gen, first, ndim, node), _axis(gen, second, ndim, node)
    order[i], order[j] = order[j], order[i]
    return transpose(gen, a, order, node)


def flip(gen, a: Val, axis: object, node: ast.AST) -> Val:
    """The elements in reverse order along `axis` (an int, a tuple, or None: all)."""
    ndim = _array(gen, a, "flip", node).type.ndim
    axes = range(ndim) if axis is None else [
        _axis(gen, x, ndim, node) for x in (axis if isinstance(axis, tuple) else (axis,))]
    buffer, offset, sizes, strides = gen.layout(a)
    strides = list(strides)
    for k in set(axes):
        # the last element first: an axis of no elements keeps its offset
        last = arith.maxsi(arith.subi(sizes[k], index_constant(1)), index_constant(0))
        offset = arith.addi(offset, arith.muli(last, strides[k]))
        strides[k] = arith.subi(index_constant(0), strides[k])
    return gen.make_view(a, buffer, offset, sizes, strides)


def expand_dims(gen, a: Val, axis: object, node: ast.AST) -> Val:
    """An axis of size one inserted at `axis` (of the result)."""
    ndim = _array(gen, a, "expand_dims", node).type.ndim
    at = _axis(gen, axis, ndim + 1, node)
    buffer, offset, sizes, strides = gen.layout(a)
    return gen.make_view(a, buffer, offset, sizes[:at] + [index_constant(1)] + sizes[at:],
                         strides[:at] + [index_constant(0)] + strides[at:])


def at_least(gen, a: Val, ndim: int, node: ast.AST) -> Val:
    """np.atleast_1d/2d/3d of one array: a view with axes of size one added as NumPy adds
    them (in front for 1d and 2d; around a vector and after a matrix for 3d)."""
    if isinstance(a.type, Scalar):
        a = gen.as_rank0(gen.cast_scalar(a, Scalar(a.type.dtype)))
    a = _array(gen, a, f"atleast_{ndim}d", node)
    if a.type.ndim >= ndim:
        return a
    buffer, offset, sizes, strides = gen.layout(a)
    one, zero = index_constant(1), index_constant(0)
    where = {0: (ndim, 0), 1: (1, ndim - 2), 2: (0, 1)}[a.type.ndim]  # (before, after)
    before, after = where
    return gen.make_view(a, buffer, offset, [one] * before + sizes + [one] * after,
                         [zero] * before + strides + [zero] * after)
