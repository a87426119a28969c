"""The `version-broadcasts` pass: an elementwise `linalg.generic` whose inputs may be
broadcast along the innermost dimension at run time gets one copy per subset of those
inputs, indexed without that dimension, and runs the copy that fits, chosen at run time.

Why: an array argument of shape (n, 1) (`np.exp(x - m)` with `m = x.max(axis=1,
keepdims=True)` passed in) is broadcast by a view whose last stride is 0, known only at
run time. LLVM's vectoriser versions a loop for unit strides only, so the loop ran one
element at a time: 4.0 ms for that expression over 1000x1000, against 0.76 ms when `m`
is a row. In the copy, that input's element is the same all along the innermost loop:
LLVM loads it once per row, and vectorises the rest.

A candidate input is a `broadcast_view` (`nir_buffers`) of an argument: a
`memref.reinterpret_cast` whose last stride is `select(size == 1, 0, stride)`, the
select's condition telling whether it is broadcast. At most `MAX_CANDIDATES` per
generic (so at most 4 copies); a generic with more is left as it is. Runs at the
optimising tier only: at the baseline tier nothing vectorises, and the copies would
only cost code.
"""
from __future__ import annotations

from collections.abc import Sequence

from mlir import ir
from mlir.dialects import scf

from noodle.passes.ir_walk import ops_where, rewriting
from noodle.passes.memref_views import origin
from noodle.passes.nir_buffers import strided_view
from noodle.passes.nir_linalg import dims_map

PASS_NAME = "version-broadcasts"

#: Inputs per generic that may be broadcast along the innermost dimension: 2^this copies
MAX_CANDIDATES = 2


def version_broadcasts(root: ir.Operation) -> None:
    """Rewrites the elementwise generics nested in `root` in place; usable as a
    PassManager pass."""
    for op in ops_where(root, _elementwise_generic):
        inputs = _inputs(op)
        conditions = {i: _broadcast_condition(v) for i, v in enumerate(inputs)}
        candidates = [i for i, condition in conditions.items() if condition is not None]
        if not candidates or len(candidates) > MAX_CANDIDATES:
            continue
        with rewriting(op), ir.InsertionPoint(op), op.location:
            _versions(op, [(i, conditions[i]) for i in candidates], set())
        op.erase()


def version_broadcasts_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(version_broadcasts_pass, name=PASS_NAME)`."""
    version_broadcasts(op)


def _versions(op: ir.Operation, candidates: Sequence[tuple[int, ir.Value]],
              broadcast: set[int]) -> None:
    """A tree of `scf.if`s on the candidates' conditions, a copy of `op` at each leaf."""
    if not candidates:
        _copy(op, broadcast)
        return
    (index, condition), rest = candidates[0], candidates[1:]
    branch = scf.IfOp(condition, [], has_else=True)
    with ir.InsertionPoint(branch.then_block):
        _versions(op, rest, broadcast | {index})
        scf.YieldOp([])
    with ir.InsertionPoint(branch.else_block):
        _versions(op, rest, broadcast)
        scf.YieldOp([])


def _copy(op: ir.Operation, broadcast: set[int]) -> None:
    """A copy of `op` where the inputs numbered in `broadcast` are read without their
    innermost dimension."""
    rank = len(_iterator_kinds(op))
    reduced = {i: _without_innermost(_inputs(op)[i]) for i in broadcast}
    copy = op.clone()
    for i, view in reduced.items():
        copy.operands[i] = view
    maps = [dims_map(rank, range(rank - 1)) if i in broadcast else ir.AffineMapAttr(m).value
            for i, m in enumerate(op.attributes["indexing_maps"])]
    copy.attributes["indexing_maps"] = ir.ArrayAttr.get(
        [ir.AffineMapAttr.get(m) for m in maps])


def _without_innermost(view: ir.Value) -> ir.Value:
    """`view` (a broadcast view) without its last dimension: the same elements, which
    a broadcast repeats along it."""
    cast = view.owner
    rank = _rank(view)
    operands = list(cast.operands)
    sizes, strides = operands[2:2 + rank], operands[2 + rank:]
    return strided_view(operands[0], operands[1], sizes[:-1], strides[:-1])


def _broadcast_condition(view: ir.Value) -> ir.Value | None:
    """The i1 that says whether `view` is broadcast along its innermost dimension, if
    it is a broadcast view (`nir_buffers.broadcast_view`) of an argument (or of a
    loop's array); else None. An array the kernel makes itself has a size-1 last
    dimension only where it is made from one (a fused op reads that one instead), or
    where the result's is 1 too: copies for it would only cost compile time."""
    if isinstance(view, ir.BlockArgument) or view.owner.name != "memref.reinterpret_cast":
        return None
    rank = _rank(view)
    operands = list(view.owner.operands)
    if rank == 0 or len(operands) != 2 + 2 * rank:  # not all sizes and strides dynamic
        return None
    stride = operands[-1]
    if isinstance(stride, ir.BlockArgument) or stride.owner.name != "arith.select":
        return None
    condition, if_broadcast, _ = stride.owner.operands
    if not _is_zero(if_broadcast) or not isinstance(origin(operands[0]), ir.BlockArgument):
        return None
    return condition


def _is_zero(value: ir.Value) -> bool:
    if isinstance(value, ir.BlockArgument) or value.owner.name != "arith.constant":
        return False
    return ir.IntegerAttr(value.owner.attributes["value"]).value == 0


def _elementwise_generic(op: ir.Operation) -> bool:
    """A generic as `nir_elementwise` makes them: parallel loops, identity maps, one
    output, on memrefs."""
    if op.name != "linalg.generic" or len(op.results) or _segments(op)[1] != 1:
        return False
    kinds = _iterator_kinds(op)
    identity = ir.AffineMap.get_identity(len(kinds))
    return (len(kinds) > 0 and all(kind == "parallel" for kind in kinds)
            and all(ir.AffineMapAttr(m).value == identity
                    for m in op.attributes["indexing_maps"]))


def _iterator_kinds(op: ir.Operation) -> list[str]:
    """The kinds of a generic's loops ("parallel", "reduction")."""
    return [str(kind).split("<")[-1].rstrip(">") for kind in op.attributes["iterator_types"]]


def _segments(op: ir.Operation) -> list[int]:
    """(number of inputs, number of outputs) of a generic."""
    return list(ir.DenseI32ArrayAttr(op.attributes["operandSegmentSizes"]))


def _inputs(op: ir.Operation) -> list[ir.Value]:
    return list(op.operands)[:_segments(op)[0]]


def _rank(view: ir.Value) -> int:
    return ir.MemRefType(view.type).rank
