"""`noodle.prange` loops in `parallel=True` functions, and reductions over them.

A prange loop is an `scf.parallel` loop whose iterations run in tasks
(`pipeline.PRANGE_TO_TASKS`), so no iteration may carry a variable into the next or
leave the loop, with one exception, as in Numba: a reduction, a variable that the body
only updates with one associative operator (`s += x`, `s -= x`, `s *= x`, `s /= x`,
`s = s + x`, `s = min(s, x)`, ...) and reads nowhere else.

A reduction splits the iterations into contiguous chunks (`passes.parallel_chunks`).
Each chunk runs its iterations in order, starting from the operator's identity (for min
and max, from the variable's value before the loop: they are idempotent), and leaves its
result in a small buffer; after the loop, the chunks' results are combined in chunk
order. (MLIR's own reductions on `scf.parallel` would stay serial: `async-parallel-for`
declines loops that have them.)
"""
from __future__ import annotations

import ast
import builtins
from collections.abc import Callable

from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.compiler.frontend import analysis
from noodle.compiler.frontend.analysis import FLAGS, RETURNED, is_unbound_flag
from noodle.compiler.frontend.arrays import trip_count
from noodle.compiler.frontend.regions import Region, region_key
from noodle.compiler.frontend.values import Val, mlir_types, open_block
from noodle.compiler.prange import is_prange
from noodle.compiler.types import Scalar
from noodle.passes.parallel_chunks import chunk_bounds, chunking

_IDENTITIES = {"add": 0, "mul": 1}


class ParallelLoopMixin:
    """Code generation for prange loops; mixed into `FunctionCodegen`."""

    def is_parallel_loop(self, node: ast.For) -> bool:
        """A `for` over `noodle.prange` in a `parallel=True` function."""
        return (self.unit.options.parallel and isinstance(node.iter, ast.Call)
                and is_prange(self.resolve_static(node.iter.func)))

    def emit_parallel_loop(self, node: ast.For, start: ir.Value, stop: ir.Value,
                           step: ir.Value, item: Callable[[ir.Value], Val]) -> None:
        if analysis.exits_loop(node.body):
            raise self.unsupported(node, "a prange loop cannot be left early (break or "
                                   "return): its iterations run at the same time",
                                   "use range for this loop")
        region = self.region(region_key(node), node.body)
        reductions = {name: self.reduction_combiner(node, name, t)
                      for name, t in zip(region.names, region.types)
                      if name not in FLAGS and not is_unbound_flag(name)}
        entry = dict(self.env)
        if reductions:
            self.emit_chunked_reduction(node, region, reductions, start, stop, step, item)
        else:
            op = scf.ParallelOp([], [start], [stop], [step], [])
            block = op.regions[0].blocks.append(ir.IndexType.get())
            with open_block(block):
                self.loop_body(node, item(block.arguments[0]), region)
                scf.ReduceOp([], 0)
            self.env = entry
        if RETURNED in region.names:  # an iteration failed a check: its code is stored
            i64 = ir.IntegerType.get_signless(64)
            failed = arith.cmpi(arith.CmpIPredicate.ne, memref.load(self.status, []),
                                arith.constant(i64, 0))
            self.mark_failed(failed)

    def reduction_combiner(self, node: ast.For, name: str, t) -> str:
        """How the iterations' updates of carried variable `name` combine, or an error
        saying why the loop cannot run in parallel."""
        combiner = analysis.reduction_combiner(node.body, name)
        if combiner in ("min", "max") and self.resolve_static(
                ast.Name(combiner, ast.Load())) is not getattr(builtins, combiner):
            combiner = None
        if combiner is None:
            raise self.unsupported(
                node, f"the prange loop carries `{name}` from one iteration to the next, "
                "which iterations that run at the same time cannot do",
                "assign it in the loop body only, make it a reduction (only updated as "
                f"`{name} += ...`, `{name} *= ...` or `{name} = min({name}, ...)`), or use "
                "range for this loop")
        if (combiner in ("min", "max") and isinstance(t, Scalar) and t.dtype.kind in "fc"
                and not analysis.min_max_updates_lead(node.body, name)):
            raise self.unsupported(
                node, f"the prange loop reduces `{name}` as `{name} = {combiner}(x, {name})`: "
                f"Python's {combiner} returns its first argument unless the second is "
                f"strictly {'smaller' if combiner == 'min' else 'larger'}, so a NaN (or a "
                "zero of the other sign) in x replaces the value of the iterations before "
                "it, which iterations that run at the same time cannot do",
                f"write `{name} = {combiner}({name}, x)`, or use range for this loop")
        if not isinstance(t, Scalar) or len(mlir_types(t)) != 1:
            raise self.unsupported(node, f"the prange loop reduces `{name}`, a {t}: only "
                                   "reductions of numbers are supported",
                                   "use range for this loop")
        return combiner

    def emit_chunked_reduction(self, node: ast.For, region: Region, reductions: dict[str, str],
                               start: ir.Value, stop: ir.Value, step: ir.Value,
                               item: Callable[[ir.Value], Val]) -> None:
        """The loop as chunks in parallel, each a serial loop from the identities (see the
        module docstring); the chunks' results are combined into the variables after."""
        entry = dict(self.env)
        index = ir.IndexType.get()
        types = dict(zip(region.names, region.types))
        initial = {name: self.coerce(entry[name], types[name], node) for name in reductions}
        count = trip_count(start, stop, step, arith.constant(ir.IntegerType.get_signless(1), 1))
        one = arith.constant(index, 1)
        # an iteration of a prange loop is typically a whole row of work: worth a chunk
        chunks, per_chunk = chunking(count, one)
        partials = {name: memref.alloc(ir.MemRefType.get([ir.ShapedType.get_dynamic_size()],
                                                         mlir_types(types[name])[0]),
                                       [chunks], [])
                    for name in reductions}

        op = scf.ParallelOp([], [arith.constant(index, 0)], [chunks], [one], [])
        block = op.regions[0].blocks.append(index)
        with open_block(block):
            chunk = block.arguments[0]
            first, iterations = chunk_bounds(chunk, per_chunk, count)
            self.env = dict(entry)
            for name, combiner in reductions.items():
                self.env[name] = (initial[name] if combiner not in _IDENTITIES
                                  else self.const_scalar(types[name], _IDENTITIES[combiner]))
            self.emit_for_loop(node, first, arith.addi(first, iterations), one,
                               lambda k: item(arith.addi(start, arith.muli(k, step))))
            for name in reductions:
                value = self.coerce(self.env[name], types[name], node)
                memref.store(value.ir, partials[name], [chunk])
            scf.ReduceOp([], 0)

        self.env = entry
        names = list(reductions)
        combine = scf.ForOp(arith.constant(index, 0), chunks, one,
                            [initial[name].ir for name in names])
        with open_block(combine.body):
            results = []
            for name, accumulated in zip(names, combine.inner_iter_args):
                partial = Val(types[name], memref.load(partials[name],
                                                       [combine.induction_variable]))
                total = self.combine(reductions[name], Val(types[name], accumulated), partial,
                                     node)
                results.append(self.coerce(total, types[name], node).ir)
            scf.YieldOp(results)
        for name, value in zip(names, combine.results):
            self.env[name] = Val(types[name], value)

    def combine(self, combiner: str, a: Val, b: Val, node: ast.AST) -> Val:
        if combiner in ("min", "max"):
            return self.builtin_min_max(getattr(builtins, combiner), [a, b], node)
        return self.binary_op(ast.Add() if combiner == "add" else ast.Mult(), a, b, node)
