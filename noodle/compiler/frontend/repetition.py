"""`np.roll`, `np.repeat` and `np.tile`: new arrays whose every element is one of the
input's, at an index computed from its own, in one loop nest over the result:

- roll: `out[i] = a[(i - shift) mod n]` along the axis (of the flattened array where
  axis=None, reshaped back);
- repeat: `out[i] = a[i // repeats]` along the axis (of the flattened array where
  axis=None);
- tile: `out[i] = a[i mod shape]` on every axis, `a` taken with as many leading axes of 1
  as `reps` needs, and `reps` with as many leading 1s as `a` has axes beyond it.

NumPy's errors: an axis out of range (AxisError), a negative count (ValueError).
"""
from __future__ import annotations

import ast
from collections.abc import Callable

from mlir import ir
from mlir.dialects import arith, memref

from noodle.compiler.frontend import reshape
from noodle.compiler.frontend.element_loops import loop_nest
from noodle.compiler.frontend.values import Val, index_constant
from noodle.compiler.types import INT64, Array, Scalar, TupleType
from noodle.dialects import nir

#: the result's indices -> the input's
IndexMap = Callable[[list[ir.Value]], list[ir.Value]]


def roll(gen, a: Val, shift: Val, axis: object, node: ast.AST) -> Val:
    """np.roll(a, shift, axis): a copy with the elements moved `shift` places along the
    axis, those past the end coming round to the start."""
    a = _as_array(gen, a, "roll", node)
    steps = _count(gen, shift, "roll's shift", node)
    axis = _checked_axis(gen, a, axis, node)
    if axis is None:
        rolled = roll(gen, reshape.ravel(gen, a, node, "roll"), shift, 0, node)
        buffer, offset, _, _ = gen.layout(rolled)
        sizes = gen.dims(a)
        return gen.make_view(rolled, buffer, offset, sizes, reshape.contiguous_strides(sizes))
    along = axis
    n = gen.dims(a)[along]
    # Python's modulo of an index that may be negative: ((i - shift) % n + n) % n, with
    # shift taken mod n first, so that nothing overflows; n == 0 leaves no elements
    safe_n = arith.maxsi(n, index_constant(1))
    # NumPy takes the shift modulo n with Python's ints: an unsigned one as unsigned
    unsigned = shift.type.dtype.kind == "u"
    offset = (arith.remui if unsigned else arith.remsi)(steps, safe_n)

    def source(at: list[ir.Value]) -> list[ir.Value]:
        moved = arith.remsi(arith.addi(arith.subi(at[along], offset), safe_n), safe_n)
        return at[:along] + [moved] + at[along + 1:]

    return _gathered(gen, a, gen.dims(a), source)


def repeat(gen, a: Val, repeats: Val, axis: object, node: ast.AST) -> Val:
    """np.repeat(a, repeats, axis) with one count for every element."""
    a = _as_array(gen, a, "repeat", node)
    if a.type.ndim == 0:  # NumPy repeats a 0-d array as a 1-d one, along axis 0 or -1
        a = reshape.ravel(gen, a, node, "repeat 0-d")
    count = _count(gen, repeats, "repeat's repeats", node)
    axis = _checked_axis(gen, a, axis, node)
    if axis is None:
        a, axis = reshape.ravel(gen, a, node, "repeat"), 0
    sizes = gen.dims(a)
    # NumPy checks the count of each element: of none, none
    _refuse_negative(gen, [count], sizes[axis], node)
    sizes[axis] = arith.muli(sizes[axis], arith.maxsi(count, index_constant(0)))
    divisor = arith.maxsi(count, index_constant(1))  # past the error: never 0

    def source(at: list[ir.Value]) -> list[ir.Value]:
        return at[:axis] + [arith.divui(at[axis], divisor)] + at[axis + 1:]

    return _gathered(gen, a, sizes, source)


def tile(gen, a: Val, reps: Val, node: ast.AST) -> Val:
    """np.tile(a, reps), reps an int or a tuple of them."""
    a = _as_array(gen, a, "tile", node)
    given = list(reps.items) if isinstance(reps.type, TupleType) else [reps]
    counts = [_count(gen, r, "tile's reps", node) for r in given]
    size = index_constant(1)
    for d in gen.dims(a):
        size = arith.muli(size, d)
    _refuse_negative(gen, counts, size, node)  # NumPy repeats only what has elements
    rank = max(a.type.ndim, len(counts))
    counts = [index_constant(1)] * (rank - len(counts)) + [
        arith.maxsi(c, index_constant(0)) for c in counts]
    extra = rank - a.type.ndim
    in_sizes = [index_constant(1)] * extra + gen.dims(a)
    sizes = [arith.muli(s, c) for s, c in zip(in_sizes, counts)]

    def source(at: list[ir.Value]) -> list[ir.Value]:
        # an index into the output is within a size of 0 only where there is none
        return [arith.remui(i, arith.maxsi(s, index_constant(1)))
                for i, s in zip(at[extra:], in_sizes[extra:])]

    return _gathered(gen, a, sizes, source)


def _gathered(gen, a: Val, sizes: list[ir.Value], source: IndexMap) -> Val:
    """A new C-ordered array of `sizes`, each element read from `a` at `source(index)`."""
    out = Val(Array(a.type.dtype, len(sizes)), nir.empty(a.type.dtype.name, sizes),
              fresh=True)

    def copy(at: list[ir.Value], carried: list[ir.Value]) -> list[ir.Value]:
        memref.store(memref.load(a.ir, source(at)), out.ir, at)
        return carried

    loop_nest(sizes, copy)
    return out


def _as_array(gen, a: Val, name: str, node: ast.AST) -> Val:
    if isinstance(a.type, Scalar):
        a = gen.as_rank0(gen.cast_scalar(a, Scalar(a.type.dtype)))
    if not isinstance(a.type, Array):
        raise gen.typing_error(node, f"np.{name} needs an array, not {a.type}")
    return a


def _count(gen, value: Val, what: str, node: ast.AST) -> ir.Value:
    """An integer argument as an `index`."""
    if not isinstance(value.type, Scalar) or value.type.dtype.kind not in "biu":
        raise gen.typing_error(node, f"np.{what} must be an integer, not {value.type}")
    return arith.index_cast(ir.IndexType.get(), gen.cast_scalar(value, Scalar(INT64)).ir)


def _refuse_negative(gen, counts: list[ir.Value], elements: ir.Value, node: ast.AST
                     ) -> None:
    """NumPy's ValueError for a negative count, where there are elements to repeat."""
    some = arith.cmpi(arith.CmpIPredicate.ne, elements, index_constant(0))
    for count in counts:
        negative = arith.cmpi(arith.CmpIPredicate.slt, count, index_constant(0))
        gen.raise_if(arith.andi(negative, some), "negative_dimension", node)


def _checked_axis(gen, a: Val, axis: object, node: ast.AST) -> int | None:
    """The axis (non-negative), or None; NumPy's AxisError where `a` has no such axis
    (after which the code goes on as for axis=None, never reached)."""
    if axis is None:
        return None
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise gen.unsupported(node, "the axis must be a constant int or None here")
    if not -a.type.ndim <= axis < a.type.ndim:
        gen.raise_here("axis", node, f"axis {axis} is out of bounds for array of "
                                     f"dimension {a.type.ndim}")
        return None
    return axis % a.type.ndim
