"""Reshaping arrays: `a.reshape(...)`, `np.reshape(a, shape)`, `a.ravel()`, `np.ravel(a)`
and `a.flatten()`, in C order, giving a view where NumPy gives one.

NumPy's reshape gives a view whenever the new shape can walk the old elements with
strides (`_attempt_nocopy_reshape`), a copy otherwise; ravel gives a view only of a
C-contiguous array; flatten always copies. Which one is observable (a write through the
result), so compiled code decides as NumPy does, at run time unless the array is known
to be C-contiguous. The rule, for ranks known at compile time: group the old axes (size-1
axes left out) into runs whose strides chain (`stride[k] == size[k+1] * stride[k+1]`);
a view exists when every boundary between runs falls on a boundary of the new axes (the
product of the old sizes before it is a product of the first new sizes). A new axis then
lies within one run, and its stride is the distance, in the old array, from the first
element to the one that many elements on in C order: the product of the new sizes after
it.
"""
from __future__ import annotations

import ast
from dataclasses import replace

from mlir import ir
from mlir.dialects import arith

from noodle.compiler.frontend.regions import region_key
from noodle.compiler.frontend.values import Val, any_true, index_constant
from noodle.compiler.types import Array, TupleType
from noodle.dialects import nir


def _eq(a: ir.Value, b: ir.Value) -> ir.Value:
    return arith.cmpi(arith.CmpIPredicate.eq, a, b)


def _product(values: list[ir.Value]) -> ir.Value:
    total = index_constant(1)
    for v in values:
        total = arith.muli(total, v)
    return total


def _not(flag: ir.Value) -> ir.Value:
    return arith.xori(flag, arith.constant(ir.IntegerType.get_signless(1), 1))


def _all(flags: list[ir.Value]) -> ir.Value:
    result = arith.constant(ir.IntegerType.get_signless(1), 1)
    for flag in flags:
        result = arith.andi(result, flag)
    return result


def contiguous_strides(sizes: list[ir.Value]) -> list[ir.Value]:
    if not sizes:  # a 0-d array has no strides
        return []
    strides = [index_constant(1)]
    for size in reversed(sizes[1:]):
        strides.insert(0, arith.muli(strides[0], size))
    return strides


def shape_arguments(gen, args: list[Val], node) -> list[Val]:
    """The new shape of `a.reshape(2, 3)`, `a.reshape((2, 3))` or `a.reshape(6)`."""
    if len(args) == 1 and isinstance(args[0].type, TupleType):
        return list(args[0].items)
    if not args:
        raise gen.typing_error(node, "reshape needs the new shape")
    return args


def reshape(gen, a: Val, shape: list[Val], node: ast.AST) -> Val:
    """`a` in `shape` (one size may be negative: the one to infer), as NumPy reshapes it
    in C order."""
    old = gen.dims(a)
    size = _product(old)
    new, bad = _new_sizes(gen, size, [gen.to_index(d, node) for d in shape], node)
    result_type = Array(a.type.dtype, len(new), readonly=a.type.readonly)

    def build() -> Val:
        if _known_contiguous(a):
            return _view(gen, a, new, contiguous_strides(new))
        buffer, offset, sizes, strides = gen.layout(a)
        viewable = arith.ori(_eq(size, index_constant(0)), _runs_fit(sizes, strides, new))
        return gen.emit_if_value(
            viewable, region_key(node, "reshape"), [node],
            lambda: gen.make_view(a, buffer, offset, new, _view_strides(sizes, strides, new)),
            lambda: _copy_as(gen, a, new))
    return gen.unless_failed(bad, result_type, build)


def ravel(gen, a: Val, node: ast.AST, role: str = "ravel") -> Val:
    """`a.ravel()`: a view of a C-contiguous array, else a copy. `role` tells apart the
    ravels of several arrays at one call (np.concatenate's with axis=None)."""
    flat = [_product(gen.dims(a))]
    if _known_contiguous(a):
        return _view(gen, a, flat, [index_constant(1)])
    _, _, sizes, strides = gen.layout(a)
    return gen.emit_if_value(is_c_contiguous(sizes, strides), region_key(node, role),
                             [node], lambda: _view(gen, a, flat, [index_constant(1)]),
                             lambda: _copy_as(gen, a, flat))


def flatten(gen, a: Val) -> Val:
    """`a.flatten()`: always a copy."""
    return _copy_as(gen, a, [_product(gen.dims(a))])


def is_c_contiguous(sizes: list[ir.Value], strides: list[ir.Value]) -> ir.Value:
    """NumPy's C_CONTIGUOUS flag: the strides of the axes longer than one are those of a
    C-ordered array; an array of no elements is contiguous."""
    flags = []
    expected = index_constant(1)
    for size, stride in zip(reversed(sizes), reversed(strides)):
        flags.append(arith.ori(_eq(size, index_constant(1)), _eq(stride, expected)))
        expected = arith.muli(expected, size)
    return arith.ori(_all(flags), _eq(expected, index_constant(0)))


def _known_contiguous(a: Val) -> bool:
    """C-contiguous by its type (an argument so declared) or by being fresh (a result of
    an operation, made in C order)."""
    return a.type.layout == "C" or a.fresh


def _new_sizes(gen, size: ir.Value, requested: list[ir.Value], node
               ) -> tuple[list[ir.Value], ir.Value]:
    """The new sizes with a negative one inferred, and whether the shape is refused (the
    error raised): two sizes to infer, or sizes whose product is not the array's."""
    negative = [arith.cmpi(arith.CmpIPredicate.slt, d, index_constant(0)) for d in requested]
    unknown = any_true(negative)
    if unknown is None:  # all sizes given
        bad = arith.cmpi(arith.CmpIPredicate.ne, _product(requested), size)
        gen.raise_if(bad, "reshape_size", node)
        return requested, bad
    count = index_constant(0)
    for flag in negative:
        count = arith.addi(count, arith.index_cast(ir.IndexType.get(), arith.extui(
            ir.IntegerType.get_signless(64), flag)))
    several = arith.cmpi(arith.CmpIPredicate.ugt, count, index_constant(1))
    gen.raise_if(several, "reshape_unknown", node)
    zero, one = index_constant(0), index_constant(1)
    known = _product([arith.select(flag, one, d) for flag, d in zip(negative, requested)])
    divisor = arith.select(_eq(known, zero), one, known)
    inferred = arith.divui(size, divisor)
    divides = arith.andi(arith.cmpi(arith.CmpIPredicate.ne, known, zero),
                         _eq(arith.remui(size, divisor), zero))
    fits = arith.select(unknown, divides, _eq(known, size))
    bad_size = arith.andi(_not(several), _not(fits))
    gen.raise_if(bad_size, "reshape_size", node)
    sizes = [arith.select(flag, inferred, d) for flag, d in zip(negative, requested)]
    return sizes, arith.ori(several, bad_size)


def _runs_fit(sizes: list[ir.Value], strides: list[ir.Value], new: list[ir.Value]
              ) -> ir.Value:
    """Whether each boundary between runs of chained old axes is a boundary of the new
    axes (see the module docstring); size-1 axes take no part."""
    boundaries_of_new = [_product(new[:j]) for j in range(len(new) + 1)]
    fits = []
    # whether an axis longer than one comes after axis k, and its size and stride
    has_next = arith.constant(ir.IntegerType.get_signless(1), 0)
    next_size, next_stride = index_constant(1), index_constant(0)
    for k in reversed(range(len(sizes))):
        longer = arith.cmpi(arith.CmpIPredicate.ne, sizes[k], index_constant(1))
        chained = _eq(strides[k], arith.muli(next_size, next_stride))
        boundary = arith.andi(arith.andi(has_next, longer), _not(chained))
        before = _product(sizes[:k + 1])
        on_new = any_true([_eq(before, b) for b in boundaries_of_new])
        fits.append(arith.ori(_not(boundary), on_new))
        has_next = arith.ori(has_next, longer)
        next_size = arith.select(longer, sizes[k], next_size)
        next_stride = arith.select(longer, strides[k], next_stride)
    return _all(fits)


def _view_strides(sizes: list[ir.Value], strides: list[ir.Value], new: list[ir.Value]
                  ) -> list[ir.Value]:
    """The stride of each new axis where the runs fit: the old array's distance between
    its first element and the one `product(new sizes after it)` on in C order."""
    after_old = [_product(sizes[k + 1:]) for k in range(len(sizes))]
    result = []
    for j in range(len(new)):
        step = _product(new[j + 1:])
        zero, one = index_constant(0), index_constant(1)
        distance = zero
        for k, (size, stride) in enumerate(zip(sizes, strides)):
            # no division by zero: an array of no elements never takes this path's values
            divisor = arith.select(_eq(after_old[k], zero), one, after_old[k])
            modulus = arith.select(_eq(size, zero), one, size)
            position = arith.remui(arith.divui(step, divisor), modulus)
            distance = arith.addi(distance, arith.muli(position, stride))
        result.append(distance)
    return result


def _view(gen, a: Val, sizes: list[ir.Value], strides: list[ir.Value]) -> Val:
    buffer, offset, _, _ = gen.layout(a)
    return gen.make_view(a, buffer, offset, sizes, strides)


def _copy_as(gen, a: Val, sizes: list[ir.Value]) -> Val:
    """A C-ordered copy of `a` in the new sizes; typed read-only where `a` is, as the
    view it stands in for would be (the branches of a reshape have one type: a store
    into the copy, which NumPy allows, is refused)."""
    copy = Val(a.type, nir.copy(a.type.dtype.name, a.ir), fresh=True)
    view = _view(gen, copy, sizes, contiguous_strides(sizes))
    return Val(replace(view.type, readonly=a.type.readonly), view.ir)
