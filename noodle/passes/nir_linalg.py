"""Building a `linalg.generic` on memrefs with its body written as a Python function.

The op classes come from the generated module: `mlir.dialects.linalg` also loads its op
DSL, ~55 ms of a fresh process's first compile, for nothing noodle uses."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from mlir import ir
from mlir.dialects import _linalg_ops_gen as linalg

PARALLEL = "parallel"
REDUCTION = "reduction"


def generic(inputs: Sequence[ir.Value], outputs: Sequence[ir.Value],
            indexing_maps: Sequence[ir.AffineMap], iterator_types: Sequence[str],
            body: Callable[..., ir.Value | tuple[ir.Value, ...]]) -> None:
    """A linalg.generic whose body yields `body(*input_elements, *output_elements)` (a
    tuple: one value per output)."""
    maps = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in indexing_maps])
    iterators = ir.ArrayAttr.get([ir.Attribute.parse(f"#linalg.iterator_type<{kind}>")
                                  for kind in iterator_types])
    op = linalg.GenericOp([], list(inputs), list(outputs), maps, iterators)
    block = op.regions[0].blocks.append(*[v.type.element_type
                                          for v in (*inputs, *outputs)])
    with ir.InsertionPoint(block):
        yielded = body(*block.arguments)
        linalg.YieldOp(list(yielded) if isinstance(yielded, tuple) else [yielded])


def index(dim: int) -> ir.Value:
    """The current loop index along `dim`, inside a linalg.generic's body."""
    return linalg.IndexOp(dim).result


def dims_map(num_loops: int, dims: Sequence[int]) -> ir.AffineMap:
    """The map from `num_loops` loop indices to the loop dims `dims`, in that order."""
    return ir.AffineMap.get(num_loops, 0, [ir.AffineDimExpr.get(d) for d in dims])
