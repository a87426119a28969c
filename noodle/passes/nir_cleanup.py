"""The `nir-cleanup` pass: unused nir ops removed, repeated pure ones computed once.

Upstream `cse` and `canonicalize` leave nir ops alone (IRDL gives them no traits), so
a repeated `(a + b) * (a + b)` would be two loops over the data. This pass
- erases nir ops whose results are unused (every nir op but `nir.assign` only makes a
  value);
- merges an op into an identical earlier one of the same block (same name, operands
  and attributes) when no memory is written between them, and, for arrays, when
  neither result is ever written, returned or passed on: NumPy gives each expression
  a fresh array, and two names for one array would show once one is written.
Constant scalar operands are folded by the frontend already; after lowering, upstream
`canonicalize` and `cse` clean up the arith and memref ops.
"""
from __future__ import annotations

from mlir import ir

from noodle.passes.ir_walk import ops_where
from noodle.passes.nir_buffers import is_array
from noodle.passes.nir_effects import MemoryWrites

PASS_NAME = "nir-cleanup"

#: ops whose result depends only on their operands and attributes
_PURE = frozenset({"nir.binary", "nir.compare", "nir.unary", "nir.select", "nir.cast",
                   "nir.reduce", "nir.matmul"})
#: ops that only read the arrays they are given (at these operand positions)
_READERS = {"nir.binary": None, "nir.compare": None, "nir.unary": None,
            "nir.select": None, "nir.cast": None, "nir.copy": None, "nir.reduce": None,
            "nir.matmul": None, "nir.assign": {1}, "memref.dim": None, "memref.load": None}


def nir_cleanup(module: ir.Module) -> None:
    nir_cleanup_in(module.operation)


def nir_cleanup_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(nir_cleanup_pass, name=PASS_NAME)`."""
    nir_cleanup_in(op)


def nir_cleanup_in(root: ir.Operation) -> None:
    _merge_repeated(root)
    _erase_unused(root)


def _nir_ops(root: ir.Operation) -> list[ir.Operation]:
    return ops_where(root, lambda op: op.name.startswith("nir."))


def _erase_unused(root: ir.Operation) -> None:
    # users come after their operands: in reverse, a chain of unused ops goes at once
    for op in reversed(_nir_ops(root)):
        if op.name != "nir.assign" and all(not list(r.uses) for r in op.results):
            op.erase()


def _merge_repeated(root: ir.Operation) -> None:
    seen: dict[tuple, ir.Operation] = {}
    writes = MemoryWrites()
    for op in _nir_ops(root):
        if op.name not in _PURE or (is_array(op.result) and not only_read(op.result)):
            continue
        key = (op.block, op.name, tuple(_operand_key(v) for v in op.operands),
               tuple(sorted((name, str(op.attributes[name])) for name in op.attributes)))
        first = seen.get(key)
        if first is None or writes.between(first, op):
            seen[key] = op
            continue
        op.result.replace_all_uses_with(first.result)
        op.erase()


def _operand_key(value: ir.Value) -> object:
    """The value, or for a constant (which the frontend makes once per use), what it is."""
    owner = value.owner
    if not isinstance(owner, ir.Block) and owner.name == "arith.constant":
        return ("constant", str(owner.attributes["value"]))
    return value


def only_read(array: ir.Value) -> bool:
    """Whether every use of `array` only reads its elements (no writes, no views, no
    returns or calls through which it could be written or seen twice)."""
    for use in array.uses:
        positions = _READERS.get(use.owner.name, ())
        if positions is not None and use.operand_number not in positions:
            return False
    return True
