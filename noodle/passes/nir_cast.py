"""Scalar body of `nir.cast`: NumPy's `astype` conversion between two dtypes.

Float-to-integer conversion truncates toward zero. NaN and values out of the range of
int64 (uint64 for uint64) convert to the int64 minimum's bits (x86's answer for int64;
NumPy's answer for such values depends on the dtype and the machine, and it warns),
wrapped to narrower dtypes, and so at every optimisation level: a bare `arith.fptosi`
of such a value is LLVM poison, which the optimiser may turn into any value, different
at the two tiers, and spread through everything computed from it.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import arith

from noodle.passes.nir_dtypes import DType, constant

_I = arith.CmpIPredicate
_F = arith.CmpFPredicate

_I64 = DType("int64")


def cast_scalar(source: DType, target: DType, x: ir.Value) -> ir.Value:
    """x (of dtype `source`) converted to `target` the way NumPy's astype does."""
    if source == target:
        return x
    if target.is_bool:
        return _nonzero(source, x)
    if source.is_float:
        convert = _float_to_float if target.is_float else _float_to_int
        return convert(source, target, x)
    if target.is_float:
        to_float = arith.sitofp if source.is_signed else arith.uitofp
        return to_float(target.element_type, x)
    return _int_to_int(source, target, x)


def _nonzero(source: DType, x: ir.Value) -> ir.Value:
    """bool(x): NaN is true, hence the unordered float comparison."""
    if source.is_float:
        return arith.cmpf(_F.UNE, x, constant(source, 0))
    return arith.cmpi(_I.ne, x, constant(source, 0))


def _float_to_float(source: DType, target: DType, x: ir.Value) -> ir.Value:
    convert = arith.extf if target.width > source.width else arith.truncf
    return convert(target.element_type, x)


def _int_to_int(source: DType, target: DType, x: ir.Value) -> ir.Value:
    """Truncate, or extend by the source's signedness (bool zero-extends to 0/1)."""
    if target.width < source.width:
        return arith.trunci(target.element_type, x)
    if target.width > source.width:
        extend = arith.extsi if source.is_signed else arith.extui
        return extend(target.element_type, x)
    return x


def _float_to_int(source: DType, target: DType, x: ir.Value) -> ir.Value:
    """Narrow targets go through int64 and wrap, as C's conversion on x86 does."""
    if target.width < 64:
        return arith.trunci(target.element_type, _float_to_int64(source, _I64, x))
    return _float_to_int64(source, target, x)


def _float_to_int64(source: DType, target: DType, x: ir.Value) -> ir.Value:
    """x as int64 or uint64 (`target`), the int64 minimum's bits where the conversion
    is not defined: ordered comparisons, false for NaN, pick the conversions that are."""
    def within(low: float, high: float) -> ir.Value:
        return arith.andi(arith.cmpf(_F.OGE, x, constant(source, low)),
                          arith.cmpf(_F.OLT, x, constant(source, high)))

    undefined = constant(target, -2 ** 63 if target.is_signed else 2 ** 63)
    result = arith.select(within(-2.0 ** 63, 2.0 ** 63),
                          arith.fptosi(target.element_type, x), undefined)
    if target.is_signed:
        return result
    # uint64: values from 2**63 need the unsigned conversion; negative ones wrap
    return arith.select(within(2.0 ** 63, 2.0 ** 64),
                        arith.fptoui(target.element_type, x), result)
