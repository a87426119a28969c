"""The `nir-fuse-elementwise` pass: elementwise ops computed inside their user's loop.

It decides which elementwise nir ops are computed in the loop of the op that uses
them, instead of into a temporary array.

An elementwise op (binary, compare, unary, select, cast, copy) with an array result is
fused into its user when
- the user is the only op that reads its elements, and is itself elementwise with a
  result of the same rank, a `nir.reduce` (so `np.sum(a * b)` is one pass), or a
  `nir.assign` into a destination of the same rank (`B[1:-1] = ...` writes straight
  into B, where the operands do not overlap it: `lower-nir` checks at run time);
- both sit in the same block (never into a loop body, which would recompute it; an
  assignment may sit in the `scf.if` that guards it);
- nothing between them writes memory its operands could alias (an `a[...] = ...`, a
  store, a call), except the kernel's status cell.

Queries of the temporary's shape (`memref.dim`, from the frontend's broadcast checks)
are rewritten into the same shape computed from its operands. The pass only marks the
fused ops (a `fused` attribute); `lower-nir` then builds one loop nest per unfused op,
with the scalar bodies of the ops fused into it composed inside.
"""
from __future__ import annotations

from mlir import ir

from noodle.passes.ir_walk import ops_where, rewriting
from noodle.passes.nir_buffers import broadcast_shape, is_array, queried_dim, rank_of
from noodle.passes.nir_effects import MemoryWrites

PASS_NAME = "nir-fuse-elementwise"
FUSED = "fused"

ELEMENTWISE = frozenset({"nir.binary", "nir.compare", "nir.unary", "nir.select",
                         "nir.cast", "nir.copy"})


def fuse_elementwise(module: ir.Module) -> None:
    fuse_elementwise_in(module.operation)


def nir_fusion_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(nir_fusion_pass, name=PASS_NAME)`."""
    fuse_elementwise_in(op)


def fuse_elementwise_in(root: ir.Operation) -> None:
    """Marks every elementwise op in `root` that can be fused into its user."""
    producers = ops_where(root, lambda op: op.name in ELEMENTWISE and is_array(op.result))
    # users first: rewriting a user's shape queries queries its operands' shapes,
    # which may be the results of producers still to come
    writes = MemoryWrites()
    for op in reversed(producers):
        with rewriting(op):
            if _fusable(op, writes):
                _rewrite_shape_queries(op)
                op.attributes[FUSED] = ir.UnitAttr.get()


def fused_producer(value: ir.Value) -> ir.Operation | None:
    """The op that `value` comes from, if the pass fused it into its user."""
    owner = value.owner
    if isinstance(owner, ir.Block):
        return None
    op = owner.operation
    return op if FUSED in op.attributes else None


def _fusable(op: ir.Operation, writes: MemoryWrites) -> bool:
    uses = list(op.result.uses)
    readers = [use.owner for use in uses if not _is_shape_query(use.owner)]
    if len(readers) != 1:
        return False  # read twice: fusing would compute it twice
    [user] = readers
    if user.name == "nir.assign":  # as the source, into a destination of its rank
        takes_it = (user.operands[1] == op.result
                    and rank_of(user.operands[0]) == rank_of(op.result))
    else:
        takes_it = user.name == "nir.reduce" or (
            user.name in ELEMENTWISE and is_array(user.result)
            and rank_of(user.result) == rank_of(op.result))
    anchor = _anchor(user, op.operation.block)
    return (takes_it and anchor is not None
            and all(queried_dim(use.owner) is not None
                    for use in uses if _is_shape_query(use.owner))
            and not writes.between(op, anchor))


def _anchor(user: ir.OpView, block: ir.Block) -> ir.OpView | None:
    """The op of `block` that runs `user`: the user itself, or for an assignment, the
    `scf.if` that holds only it (the frontend's guard of a broadcast check), which runs
    it at most once. None where the user is elsewhere (a loop body, say)."""
    if user.operation.block == block:
        return user
    guard = user.operation.parent
    if (user.name == "nir.assign" and guard is not None and guard.name == "scf.if"
            and guard.operation.block == block and len(user.operation.block.operations) == 2):
        return guard
    return None


def _is_shape_query(op: ir.OpView) -> bool:
    return op.name == "memref.dim"


def _rewrite_shape_queries(op: ir.Operation) -> None:
    """`memref.dim` of the fused op's result -> that size from its operands' shapes,
    computed once, just before the op (where its operands are, so every query sees it)."""
    queries = [use.owner for use in op.result.uses if _is_shape_query(use.owner)]
    if not queries:
        return
    with ir.InsertionPoint(op), op.location:
        shape = broadcast_shape(list(op.operands), rank_of(op.result))
    for query in queries:
        query.result.replace_all_uses_with(shape[queried_dim(query)])
        query.erase()
