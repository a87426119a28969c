"""A morphism as `catseq` MLIR: `func.func @sequence() -> !catseq.morphism`.

The body declares each channel once, then has one op per distinct arena node in node
order (children are always older than their parents, so that order defines every value
before its use). A node shared by several parents is one SSA value used several times:
the arena is a DAG and its IR is as small as the arena, never expanded.
"""
from __future__ import annotations

from mlir import ir
from mlir.dialects import func

from noodle.catseq import arena as A
from noodle.catseq.arena import ARENA
from noodle.catseq.channels import channel_by_id
from noodle.catseq.morphism import Morphism
from noodle.catseq.states import PRIMITIVES
from noodle.dialects import catseq as D
from noodle.dialects import make_context

SEQUENCE_NAME = "sequence"
#: the primitive `wait` is the `catseq.identity` op; every other op has its primitive's name
_OP_NAME = {p.code: "identity" if p.name == "wait" else p.name for p in PRIMITIVES}
_BINARY = {A.SEQ: D.COMPOSE, A.SERIAL: D.SERIAL, A.PAR: D.TENSOR, A.PAR_UNCHECKED: D.TENSOR}


def reachable_nodes(root: int) -> list[int]:
    """The distinct nodes under `root`, children before parents (ascending ids)."""
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        kind = ARENA.kind[node]
        children = () if kind == A.PRIM else (ARENA.a[node],) if kind == A.REPEAT else (
            ARENA.a[node], ARENA.b[node])
        for child in children:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return sorted(seen)


#: the function attribute holding the clock the sequence's durations were written for
CLOCK_ATTRIBUTE = "catseq.clock_hz"


def to_mlir(seq: Morphism) -> str:
    """`seq` as the text of a module holding `func.func @sequence`."""
    with make_context(), ir.Location.unknown():
        module = ir.Module.create()
        with ir.InsertionPoint(module.body):
            fn = func.FuncOp(SEQUENCE_NAME, ([], [D.morphism_type()]))
        if seq.clock_hz:  # what its cycle counts mean in seconds
            fn.attributes[CLOCK_ATTRIBUTE] = ir.IntegerAttr.get(
                ir.IntegerType.get_signless(64), seq.clock_hz)
        with ir.InsertionPoint(fn.add_entry_block()):
            func.ReturnOp([_emit(seq._node)])
        module.operation.verify()
        return str(module)


def _emit(root: int) -> ir.Value:
    """Emits the nodes under `root` at the insertion point; the value of `root`."""
    nodes = reachable_nodes(root)
    channel_ids = sorted({ARENA.b[n] for n in nodes
                          if ARENA.kind[n] == A.PRIM and ARENA.b[n] != A.NO_CHANNEL})
    channels = {}
    for cid in channel_ids:
        ch = channel_by_id(cid)
        channels[cid] = D.channel(ch.board.name, ch.kind, ch.index)
    values: dict[int, ir.Value] = {}
    for node in nodes:
        kind, a, b = ARENA.kind[node], ARENA.a[node], ARENA.b[node]
        if kind == A.PRIM:
            param = ARENA.param[node]
            values[node] = D.primitive(
                _OP_NAME[a], channels.get(b), ARENA.duration[node],
                ARENA.values[param] if param >= 0 else None)
        elif kind == A.REPEAT:
            values[node] = D.repeat(values[a], b)
        else:
            values[node] = D.binary(_BINARY[kind], values[a], values[b])
    return values[root]
