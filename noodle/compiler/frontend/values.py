"""Compile-time values of the frontend: a noodle type plus the MLIR value(s) behind it.

Scalars and arrays are one MLIR value each (arrays are canonical strided memrefs);
tuples are their items; None is nothing. `flatten`/`unflatten` turn a value into the
list of MLIR values that crosses a region boundary (scf yields, calls, returns).
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from mlir import ir
from mlir.dialects import arith, scf

from noodle.compiler.types import NONE, Array, NoneType, NType, Scalar, TupleType
from noodle.dialects import nir

NO_CONST = object()


@dataclass
class Val:
    type: NType
    ir: ir.Value | None = None
    items: tuple[Val, ...] = ()
    #: the Python value when it is known at compile time (literals, shapes of constants)
    const: Any = field(default=NO_CONST)
    #: an array just computed by a nir op: nothing else refers to its buffer
    fresh: bool = False

    def __post_init__(self) -> None:
        # a new buffer is writable, as NumPy makes it, whatever array it was made from
        # (`a.copy()` of a read-only `a` builds its Val with `a`'s type)
        if self.fresh and isinstance(self.type, Array) and self.type.readonly:
            self.type = replace(self.type, readonly=False)

    @property
    def is_const(self) -> bool:
        return self.const is not NO_CONST


NONE_VAL = Val(NONE)


def mlir_types(t: NType) -> list[ir.Type]:
    if isinstance(t, Scalar):
        return [nir.element_type(t.dtype)]
    if isinstance(t, Array):
        return [nir.array_type(t.dtype, t.ndim)]
    if isinstance(t, TupleType):
        return [x for item in t.items for x in mlir_types(item)]
    assert isinstance(t, NoneType)
    return []


def flatten(v: Val) -> list[ir.Value]:
    if isinstance(v.type, TupleType):
        return [x for item in v.items for x in flatten(item)]
    return [] if v.ir is None else [v.ir]


def unflatten(t: NType, values: Iterator[ir.Value]) -> Val:
    if isinstance(t, TupleType):
        return Val(t, items=tuple(unflatten(item, values) for item in t.items))
    if isinstance(t, NoneType):
        return NONE_VAL
    return Val(t, next(values))


def open_block(block: ir.Block) -> ir.InsertionPoint:
    """Where to add ops to a region block: before its terminator if the builder already
    made one (result-less scf ops get an implicit `scf.yield`)."""
    ops = block.operations
    if len(ops) and ops[len(ops) - 1].name == "scf.yield":
        return ir.InsertionPoint(ops[len(ops) - 1])
    return ir.InsertionPoint(block)


def close_block(block: ir.Block, values: list[ir.Value]) -> None:
    """End a region block with `scf.yield values` unless it already ends in one."""
    ops = block.operations
    if len(ops) and ops[len(ops) - 1].name == "scf.yield":
        assert not values, "an implicit terminator cannot yield values"
        return
    with ir.InsertionPoint(block):
        scf.YieldOp(values)


def any_true(conditions: list[ir.Value]) -> ir.Value | None:
    """The `or` of i1 values; None for none."""
    result = None
    for c in conditions:
        result = c if result is None else arith.ori(result, c)
    return result


def index_constant(value: int) -> ir.Value:
    """An `index` constant."""
    return arith.constant(ir.IndexType.get(), value)


def known_false(flag: ir.Value) -> bool:
    """Whether an i1 is the constant false (a check that cannot fail, say)."""
    owner = flag.owner
    return (not isinstance(owner, ir.Block) and isinstance(owner.opview, arith.ConstantOp)
            and not ir.IntegerAttr(owner.attributes["value"]).value)
