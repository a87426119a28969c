"""Building a `linalg.generic` on memrefs with its body written as a Python function."""
from __future__ import annotations

from collections.abc import Callable, Sequence

from mlir import ir
from mlir.dialects import linalg

PARALLEL = linalg.IteratorType.parallel
REDUCTION = linalg.IteratorType.reduction


def generic(inputs: Sequence[ir.Value], outputs: Sequence[ir.Value],
            indexing_maps: Sequence[ir.AffineMap],
            iterator_types: Sequence[linalg.IteratorType],
            body: Callable[..., ir.Value]) -> None:
    """A linalg.generic whose body yields `body(*input_elements, *output_elements)`."""
    op = linalg.GenericOp_(inputs=list(inputs), outputs=list(outputs),
                           indexing_maps=list(indexing_maps),
                           iterator_types=list(iterator_types))
    block = op.regions[0].blocks[0]
    with ir.InsertionPoint(block):
        linalg.yield_([body(*block.arguments)])


def dims_map(num_loops: int, dims: Sequence[int]) -> ir.AffineMap:
    """The map from `num_loops` loop indices to the loop dims `dims`, in that order."""
    return ir.AffineMap.get(num_loops, 0, [ir.AffineDimExpr.get(d) for d in dims])
