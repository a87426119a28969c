"""Calls into the C math library for functions whose MLIR lowering is missing or inexact.

`convert-math-to-llvm` turns `math.expm1` into `exp(x) - 1` and (by default)
`math.log1p` into `log(1 + x)`, which lose all precision near 0, and `math` has no
hypot; NumPy calls libm for these, so the lowering does too.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import func

#: Suffix of the single-precision variant of a libm function, by float width.
_SUFFIX = {32: "f", 64: ""}


def libm_call(name: str, *args: ir.Value) -> ir.Value:
    """`name(*args)` from libm, using the float or double variant of the arguments' type."""
    value_type = args[0].type
    symbol = name + _SUFFIX[ir.FloatType(value_type).width]
    declare_function(symbol, ir.FunctionType.get([value_type] * len(args), [value_type]))
    return func.call([value_type], ir.FlatSymbolRefAttr.get(symbol), list(args))


def declare_function(symbol: str, function_type: ir.FunctionType) -> None:
    """Declares `symbol` as a private external function in the enclosing module, once."""
    module = _enclosing_module(ir.InsertionPoint.current.block.owner)
    table = ir.SymbolTable(module)
    if symbol in table:
        return
    with ir.InsertionPoint.at_block_begin(module.regions[0].blocks[0]):
        declaration = func.FuncOp(symbol, function_type, visibility="private")
    table.insert(declaration.operation)


def _enclosing_module(op: ir.Operation) -> ir.Operation:
    while op.name != "builtin.module":
        op = op.parent
    return op
