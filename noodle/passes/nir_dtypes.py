"""What a NumPy dtype name means for code generation: signedness, width, constants.

MLIR integers are signless, so every `nir` op carries a NumPy dtype name; the lowering
turns it into a `DType` once and asks it which flavour of an arith op applies.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from mlir import ir
from mlir.dialects import arith

from noodle.dialects import nir
from noodle.dialects.context import source_location
from noodle.errors import LoweringError, SourceLocation


@dataclass(frozen=True)
class DType:
    """A NumPy dtype as the lowering sees it."""

    name: str

    @cached_property
    def np(self) -> np.dtype:
        return np.dtype(self.name)

    @property
    def is_bool(self) -> bool:
        return self.np.kind == "b"

    @property
    def is_float(self) -> bool:
        return self.np.kind == "f"

    @property
    def is_signed(self) -> bool:
        """A signed integer (bool and unsigned integers are not)."""
        return self.np.kind == "i"

    @property
    def width(self) -> int:
        return 1 if self.is_bool else 8 * self.np.itemsize

    @property
    def element_type(self) -> ir.Type:
        return nir.element_type(self.name)

    @property
    def categories(self) -> tuple[str, ...]:
        """Rule-table categories for this dtype, most specific first.

        bool is an unsigned 1-bit integer except where NumPy gives it logical meaning
        (add is `or`, mul is `and`, ...), which the "bool" tables override.
        """
        if self.is_float:
            return ("float",)
        if self.is_signed:
            return ("signed", "integer")
        return ("bool", "unsigned", "integer") if self.is_bool else ("unsigned", "integer")

    @property
    def min_value(self) -> int | float:
        """The smallest value of the type (-inf for floats)."""
        if self.is_float:
            return -np.inf
        return 0 if self.is_bool else int(np.iinfo(self.np).min)

    @property
    def max_value(self) -> int | float:
        """The largest value of the type (+inf for floats)."""
        if self.is_float:
            return np.inf
        return 1 if self.is_bool else int(np.iinfo(self.np).max)


def dtype_attr(op: ir.Operation, name: str = "dtype") -> DType:
    """The DType named by string attribute `name` of a nir op (a LoweringError at the op
    where it names no NumPy dtype: IRDL checks only that it is a string)."""
    dtype = DType(ir.StringAttr(op.attributes[name]).value)
    try:
        dtype.np
    except TypeError:
        raise LoweringError(f"{op.name} has {name} = {dtype.name!r}, which is no NumPy "
                            "dtype", source_location(op.location)) from None
    return dtype


def constant(dtype: DType, value: int | float | bool) -> ir.Value:
    """An `arith.constant` of `dtype`'s element type; integers wrap to its width."""
    if dtype.is_float:
        return arith.constant(dtype.element_type, float(value))
    return arith.constant(dtype.element_type, _as_signless(int(value), dtype.width))


def _as_signless(value: int, width: int) -> int:
    """The two's-complement signed reading of `value` modulo 2**width, as IntegerAttr wants."""
    value %= 1 << width
    return value - (1 << width) if value >= 1 << (width - 1) else value


def index_constant(value: int) -> ir.Value:
    return arith.constant(ir.IndexType.get(), value)


def rule_for(tables: Mapping[str, Mapping[str, Callable]], dtype: DType, kind: str,
             op_name: str) -> Callable:
    """The builder for `kind` on `dtype` from per-category tables (see `categories`)."""
    for category in dtype.categories:
        rule = tables.get(category, {}).get(kind)
        if rule is not None:
            return rule
    raise LoweringError(f"{op_name} has no lowering for kind {kind!r} on {dtype.name}",
                        _lowering_at())


def _lowering_at() -> SourceLocation | None:
    """Where the op being lowered is, for an error found by a builder that is not given
    the op: every lowering builds under its op's location (`with op.location`), which is
    then the current one. None outside a lowering or for a location with no file."""
    where = ir.Location.current
    return None if where is None else source_location(where)
