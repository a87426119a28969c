"""Loops over an array's elements, for what the frontend writes out as loops itself
(fancy indexing, cumulative sums, argmax/argmin, sorting): a nest in C order, the
sub-array at leading indices, and a while loop over carried values."""
from __future__ import annotations

from collections.abc import Callable

from mlir import ir
from mlir.dialects import arith, scf

from noodle.compiler.frontend.values import Val, index_constant

#: (the indices of the innermost iteration, values carried) -> the values carried on
Body = Callable[[list[ir.Value], list[ir.Value]], list[ir.Value]]


def loop_nest(sizes: list[ir.Value], body: Body, carried: list[ir.Value] | None = None
              ) -> list[ir.Value]:
    """Nested scf.for loops over `sizes` in C order, carrying values; `body` runs
    innermost. The values carried out of the outermost loop."""
    def level(depth: int, at: list[ir.Value], values: list[ir.Value]) -> list[ir.Value]:
        if depth == len(sizes):
            return body(at, values)
        loop = scf.ForOp(index_constant(0), sizes[depth], index_constant(1), values)
        with ir.InsertionPoint(loop.body):
            inner = level(depth + 1, at + [loop.induction_variable],
                          list(loop.inner_iter_args))
            scf.YieldOp(inner)
        return list(loop.results)
    return level(0, [], list(carried or []))


def sub_array(gen, a: Val, at: list[ir.Value]) -> Val:
    """The sub-array `a[at]` (indices of the leading axes): a view, 0-d for an element."""
    buffer, offset, sizes, strides = gen.layout(a)
    for i, stride in zip(at, strides):
        offset = arith.addi(offset, arith.muli(i, stride))
    return gen.make_view(a, buffer, offset, sizes[len(at):], strides[len(at):])


def while_loop(initial: list[ir.Value], goes_on: Callable[..., ir.Value],
               step: Callable[..., list[ir.Value]]) -> list[ir.Value]:
    """An scf.while carrying `initial`: while `goes_on(*carried)` (an i1), `step(*carried)`
    gives the next values. The values carried out."""
    types = [v.type for v in initial]
    loop = scf.WhileOp(types, initial)
    condition = loop.before.blocks.append(*types)
    with ir.InsertionPoint(condition):
        scf.ConditionOp(goes_on(*condition.arguments), list(condition.arguments))
    body = loop.after.blocks.append(*types)
    with ir.InsertionPoint(body):
        scf.YieldOp(step(*body.arguments))
    return list(loop.results)
