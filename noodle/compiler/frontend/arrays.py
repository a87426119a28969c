"""Arrays in the frontend: views (indexing, slicing, `.T`, newaxis), element access,
assignment into views, shape checks, and iteration.

A view is the source memref's buffer re-described (`memref.reinterpret_cast`) with a
new offset, sizes and strides, exactly as NumPy describes a view, so slicing with any
step (negative too) never copies, and writes through a view reach the original array.
A view of a read-only array is read-only (`Array.readonly`), and a store into one raises
ValueError where NumPy's would: the type is known when compiling, so the store is
replaced by the raise (never a compile error: the store may be on a path never taken).
"""
from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import replace

import numpy as np
from mlir import ir
from mlir.dialects import arith, memref, scf

from noodle.compiler.frontend import fancy_indexing
from noodle.compiler.frontend.analysis import RETURNED
from noodle.compiler.frontend.values import (Val, any_true, close_block, known_false,
                                             open_block)
from noodle.compiler.prange import is_prange
from noodle.compiler.types import PY_INT, Array, Scalar, TupleType, ufunc_result
from noodle.dialects import nir
from noodle.passes.nir_buffers import strided_view

DYN = nir.DYNAMIC


#: the values of an index's expressions, by the id of their AST node (`index_values`)
IndexValues = dict[int, Val]


def _i(value: int) -> ir.Value:
    return arith.constant(ir.IndexType.get(), value)


def _constant_index(value: ir.Value) -> int | None:
    """The value of an `index` made by arith.constant, else None."""
    owner = value.owner
    if isinstance(owner, ir.Block) or not isinstance(owner.opview, arith.ConstantOp):
        return None
    return ir.IntegerAttr(owner.attributes["value"]).value


def _without_casts(value: ir.Value) -> ir.Value:
    """`value` as it was before index casts (index <-> int64 keep a value as it is)."""
    while (not isinstance(value.owner, ir.Block)
           and value.owner.name in ("arith.index_cast", "arith.index_castui")):
        value = value.owner.operands[0]
    return value


def never_negative_counter(i: ir.Value) -> bool:
    """Whether index `i` is the counter of an enclosing `scf.for` or `scf.parallel` that
    starts at a constant >= 0 and counts up: it never is negative, as a Python index
    it needs no wrapping from the end. (In a prange loop LLVM cannot see that for itself
    once the loop is cut into chunks, and the wrapping select made it store the
    elements of `a[j] = x` one by one, with scatters.)"""
    i = _without_casts(i)
    if not isinstance(i, ir.BlockArgument) or i.owner.owner is None:
        return False
    loop, n = i.owner.owner, i.arg_number
    if loop.name == "scf.for" and n == 0:
        lower, step = loop.operands[0], loop.operands[2]
    elif loop.name == "scf.parallel" and n < len(i.owner.arguments):
        rank = len(i.owner.arguments)
        lower, step = loop.operands[n], loop.operands[2 * rank + n]
    else:
        return False
    lower, step = (_constant_index(_without_casts(v)) for v in (lower, step))
    return lower is not None and lower >= 0 and step is not None and step > 0


def trip_count(start: ir.Value, stop: ir.Value, step: ir.Value,
               positive: ir.Value) -> ir.Value:
    """How many of start, start+step, ... lie before stop: len(range(start, stop, step)).
    `positive` says whether step > 0. Counted in unsigned arithmetic, since the span of
    a range can exceed int64."""
    nonempty = arith.select(positive, arith.cmpi(arith.CmpIPredicate.slt, start, stop),
                            arith.cmpi(arith.CmpIPredicate.sgt, start, stop))
    span = arith.select(positive, arith.subi(stop, start), arith.subi(start, stop))
    magnitude = arith.select(positive, step, arith.subi(_i(0), step))
    return arith.select(
        nonempty, arith.addi(arith.divui(arith.subi(span, _i(1)), magnitude), _i(1)), _i(0))


#: Constant slice ends beyond this take the general path (their differences must fit)
_SMALL_END = 2**61


def unit_slice(start: int | None, stop: int | None,
               size: ir.Value) -> tuple[ir.Value, ir.Value] | None:
    """(start, length) of `[start:stop]` on an axis of `size` (>= 0), for constant or
    omitted ends, in closed forms: the same ops wherever the length is the same function
    of `size`. A[1:-1], A[:-2] and A[2:] all get max(size - 2, 0), which CSE makes one
    value, so nir-fold sees one shape and no broadcasting is checked or compiled (the
    general formula, clamps and selects, hid that from it). None for the forms not
    written out here (a negative start with a stop)."""
    start = 0 if start is None else start
    if not all(-_SMALL_END < end < _SMALL_END for end in (start, stop) if end is not None):
        return None
    if start < 0:
        if stop is not None:
            return None
        return arith.maxsi(arith.addi(size, _i(start)), _i(0)), arith.minsi(_i(-start), size)
    first = _i(0) if start == 0 else arith.minsi(_i(start), size)
    if stop is not None and stop >= 0:
        if stop <= start:
            return first, _i(0)
        return first, arith.maxsi(arith.subi(arith.minsi(_i(stop), size), _i(start)), _i(0))
    cut = start - (stop or 0)  # the elements left out: `start` at the front, -stop at the end
    return first, size if cut == 0 else arith.maxsi(arith.subi(size, _i(cut)), _i(0))


def not_broadcastable(sizes: list[ir.Value], target: ir.Value) -> list[ir.Value]:
    """For each size: true when it can neither stretch (1) nor match `target`."""
    return [arith.andi(arith.cmpi(arith.CmpIPredicate.ne, s, _i(1)),
                       arith.cmpi(arith.CmpIPredicate.ne, s, target)) for s in sizes]


def broadcast_size(sizes: list[ir.Value]) -> ir.Value:
    """NumPy's broadcast size of one axis: the size that is not 1 (0 included), else 1."""
    target = sizes[0]
    for s in sizes[1:]:
        target = arith.select(arith.cmpi(arith.CmpIPredicate.eq, target, _i(1)), s, target)
    return target


class ArrayMixin:
    # -- shape and layout ---------------------------------------------------------------
    def dims(self, a: Val) -> list[ir.Value]:
        return [memref.dim(a.ir, _i(d)) for d in range(a.type.ndim)]

    def layout(self, a: Val) -> tuple[ir.Value, ir.Value, list[ir.Value], list[ir.Value]]:
        """(buffer, offset, sizes, strides) of an array, as NumPy's view description."""
        md = memref.ExtractStridedMetadataOp(a.ir)
        n = a.type.ndim
        results = list(md.results)
        return results[0], results[1], results[2:2 + n], results[2 + n:2 + 2 * n]

    def make_view(self, a: Val, buffer: ir.Value, offset: ir.Value, sizes: list[ir.Value],
                  strides: list[ir.Value]) -> Val:
        t = Array(a.type.dtype, len(sizes), readonly=a.type.readonly)
        rank = len(sizes)
        view = memref.reinterpret_cast(nir.array_type(t.dtype, rank), buffer, [offset],
                                       sizes, strides, [DYN], [DYN] * rank, [DYN] * rank)
        return Val(t, view)

    def array_attribute(self, a: Val, attr: str, node) -> Val:
        if attr == "shape":
            dims = [self.from_index(d) for d in self.dims(a)]
            return Val(TupleType(tuple(d.type for d in dims)), items=tuple(dims))
        if attr == "ndim":
            return self.const_scalar(PY_INT, a.type.ndim)
        if attr in ("size", "nbytes"):
            size = _i(a.type.dtype.itemsize if attr == "nbytes" else 1)
            for d in self.dims(a):
                size = arith.muli(size, d)
            return self.from_index(size)
        if attr == "itemsize":
            return self.const_scalar(PY_INT, a.type.dtype.itemsize)
        if attr == "strides":  # in bytes, as NumPy gives them
            strides = [self.from_index(arith.muli(stride, _i(a.type.dtype.itemsize)))
                       for stride in self.layout(a)[3]]
            return Val(TupleType(tuple(s.type for s in strides)), items=tuple(strides))
        if attr == "T":
            buffer, offset, sizes, strides = self.layout(a)
            return self.make_view(a, buffer, offset, sizes[::-1], strides[::-1])
        raise self.unsupported(node, f"arrays have no attribute '{attr}' in compiled code")

    # -- indexing -----------------------------------------------------------------------
    def index_elements(self, index: ast.expr) -> list[ast.expr]:
        return list(index.elts) if isinstance(index, ast.Tuple) else [index]

    def index_values(self, index: ast.expr) -> IndexValues:
        """The values of an index's expressions (not its slices, None or Ellipsis), each
        evaluated once, in order: `a[f(x)] += 1` calls f once, as Python does."""
        return {id(e): self.expr(e) for e in self.index_elements(index)
                if not isinstance(e, ast.Slice)
                and not (isinstance(e, ast.Constant) and e.value in (None, Ellipsis))}

    def array_index(self, index: ast.expr, values: IndexValues) -> Val | None:
        """The index array of `a[mask]` or `a[indices]` (NumPy's advanced indexing, with
        one index), else None."""
        if isinstance(index, ast.Tuple) or id(index) not in values:
            return None
        value = values[id(index)]
        return value if isinstance(value.type, Array) else None

    def subscript(self, base: Val, index: ast.expr, node,
                  values: IndexValues | None = None) -> Val:
        if isinstance(base.type, TupleType):
            i = self.expr(index)
            if not i.is_const or not isinstance(i.const, int):
                raise self.unsupported(node, "a tuple index must be a constant integer")
            try:
                return base.items[i.const]
            except IndexError:
                raise self.typing_error(node, "tuple index out of range") from None
        if not isinstance(base.type, Array):
            raise self.typing_error(node, f"{base.type} cannot be indexed")
        values = self.index_values(index) if values is None else values
        selector = self.array_index(index, values)
        if selector is not None:
            return fancy_indexing.read(self, base, selector, node)
        access = self.resolve_index(base, index, node, values)
        if isinstance(access, list):
            return self.load_element(base, access, node)
        return access

    def expr_Subscript(self, node: ast.Subscript) -> Val:
        return self.subscript(self.expr(node.value), node.slice, node)

    def resolve_index(self, a: Val, index: ast.expr, node, values: IndexValues
                      ) -> list[ir.Value] | Val:
        """Element indices (a list, when every axis gets an integer) or a view; `values`:
        the index's expressions, evaluated (`index_values`)."""
        elements = self.index_elements(index)
        consuming = [e for e in elements
                     if not (isinstance(e, ast.Constant) and e.value in (None, Ellipsis))]
        if len(consuming) > a.type.ndim:
            raise self.typing_error(node, f"too many indices for {a.type}")
        ellipsis = any(isinstance(e, ast.Constant) and e.value is Ellipsis for e in elements)
        if ellipsis:
            at = next(k for k, e in enumerate(elements)
                      if isinstance(e, ast.Constant) and e.value is Ellipsis)
            fill = [ast.Slice()] * (a.type.ndim - len(consuming))
            elements = elements[:at] + fill + elements[at + 1:]
        dims = self.dims(a)
        # with an Ellipsis, NumPy gives an array even when every axis gets an integer:
        # `z[...]` of a 0-d array is a 0-d view (so `z[...] += 1.5` casts as in-place)
        if len(consuming) == a.type.ndim and not ellipsis and not any(
                isinstance(e, ast.Slice) or isinstance(e, ast.Constant) and e.value is None
                for e in elements):
            return [self.normalize_index(values[id(e)], dims[d], e)
                    for d, e in enumerate(elements)]
        buffer, offset, sizes, strides = self.layout(a)
        out_sizes, out_strides, d = [], [], 0
        for e in elements:
            if isinstance(e, ast.Constant) and e.value is None:
                out_sizes.append(_i(1))
                out_strides.append(_i(0))
            elif isinstance(e, ast.Slice):
                start, length, step = self.slice_bounds(e, sizes[d])
                # NumPy's view of an empty slice starts at 0 with step 1 (its strides show)
                empty = arith.cmpi(arith.CmpIPredicate.eq, length, _i(0))
                start = arith.select(empty, _i(0), start)
                step = arith.select(empty, _i(1), step)
                offset = arith.addi(offset, arith.muli(start, strides[d]))
                out_sizes.append(length)
                out_strides.append(arith.muli(strides[d], step))
                d += 1
            else:
                i = self.normalize_index(values[id(e)], sizes[d], e)
                offset = arith.addi(offset, arith.muli(i, strides[d]))
                d += 1
        out_sizes += sizes[d:]
        out_strides += strides[d:]
        return self.make_view(a, buffer, offset, out_sizes, out_strides)

    def normalize_index(self, v: Val, size: ir.Value, node, error: str | None = None
                        ) -> ir.Value:
        """A Python index (negative counts from the end) as a non-negative `index`.
        Checked against `size` when `error` names the error to raise (an axis, always),
        or else, as an IndexError, when the function was compiled with boundscheck."""
        if isinstance(v.type, Array):
            raise self.unsupported(node, "indexing with an array (fancy indexing) is not "
                                   "supported in compiled code", "use a loop")
        i = self.to_index(v, node)
        if not (v.is_const and v.const >= 0 or never_negative_counter(i)):
            negative = arith.cmpi(arith.CmpIPredicate.slt, i, _i(0))
            i = arith.select(negative, arith.addi(i, size), i)
        if error is not None or self.unit.options.boundscheck:
            outside = arith.cmpi(arith.CmpIPredicate.uge, i, size)
            self.raise_if(outside, error or "index", node)
            i = arith.select(outside, _i(0), i)
        return i

    def slice_bounds(self, s: ast.Slice, size: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value]:
        """(start, length, step) of `s` on an axis of `size`, as Python's slice.indices."""
        # evaluated in Python's order: start, stop, step
        ends = [None if node is None or isinstance(node, ast.Constant) and node.value is None
                else (self.expr(node), node) for node in (s.lower, s.upper)]
        # as indices also where the closed forms below take the constants: `to_index`
        # refuses a non-integer end (the casts of constants then fold away)
        indices = [None if end is None else self.to_index(*end) for end in ends]
        step_val = self.expr(s.step) if s.step is not None else None
        if step_val is not None and step_val.is_const and step_val.const == 0:
            raise self.typing_error(s, "slice step cannot be zero")
        step = self.to_index(step_val, s.step) if step_val is not None else _i(1)
        const_step = step_val.const if step_val is not None and step_val.is_const else (
            1 if step_val is None else None)
        if const_step is None:
            self.raise_if(arith.cmpi(arith.CmpIPredicate.eq, step, _i(0)), "slice_step", s)
        if const_step == 1 and all(end is None or end[0].is_const for end in ends):
            closed = unit_slice(*(None if end is None else int(end[0].const) for end in ends),
                                size)
            if closed is not None:
                return (*closed, step)
        positive = (arith.constant(ir.IntegerType.get_signless(1), int(const_step > 0))
                    if const_step is not None else
                    arith.cmpi(arith.CmpIPredicate.sgt, step, _i(0)))
        lower = arith.select(positive, _i(0), _i(-1))
        upper = arith.select(positive, size, arith.subi(size, _i(1)))

        def bound(x: ir.Value | None, default: ir.Value) -> ir.Value:
            if x is None:
                return default
            negative = arith.cmpi(arith.CmpIPredicate.slt, x, _i(0))
            from_end = arith.maxsi(arith.addi(x, size), lower)
            return arith.select(negative, from_end, arith.minsi(x, upper))

        start = bound(indices[0], arith.select(positive, lower, upper))
        stop = bound(indices[1], arith.select(positive, upper, lower))
        return start, trip_count(start, stop, step, positive), step

    def load_rank0(self, v: Val) -> Val:
        """The element of a 0-d array, as a NumPy scalar; anything else unchanged."""
        if isinstance(v.type, Array) and v.type.ndim == 0:
            return Val(Scalar(v.type.dtype), memref.load(v.ir, []))
        return v

    def load_element(self, a: Val, indices: list[ir.Value], node) -> Val:
        return Val(Scalar(a.type.dtype), memref.load(a.ir, indices))

    # -- stores -------------------------------------------------------------------------
    def store_subscript(self, base: Val, index: ast.expr, value: Val, node,
                        values: IndexValues | None = None) -> None:
        if not isinstance(base.type, Array):
            raise self.typing_error(node, f"{base.type} does not support item assignment")
        if base.type.readonly:
            if values is None:  # Python works the index out before NumPy refuses
                self.evaluate_index(index)
            self.raise_here("readonly", node)
            return
        values = self.index_values(index) if values is None else values
        selector = self.array_index(index, values)
        if selector is not None:
            fancy_indexing.write(self, base, selector, value, node)
            return
        access = self.resolve_index(base, index, node, values)
        if isinstance(access, list):
            if not isinstance(value.type, Array):
                self.stored_scalar_checks(value, base.type.dtype, node)
            value = self.load_rank0(value)  # NumPy stores a 0-d array's element too, cast
            if not isinstance(value.type, Scalar):
                raise self.typing_error(node, f"cannot assign {value.type} to one element "
                                        f"of {base.type}")
            element = self.cast_scalar(value, Scalar(base.type.dtype))
            self.store_unless_failed(lambda: memref.store(element.ir, base.ir, access))
            return
        self.store_into_view(access, value, node)

    def evaluate_index(self, index: ast.expr) -> None:
        """The index's expressions, for their errors only (a store that cannot happen)."""
        for e in self.index_elements(index):
            parts = [e.lower, e.upper, e.step] if isinstance(e, ast.Slice) else [e]
            for part in parts:
                if part is not None and not (isinstance(part, ast.Constant)
                                             and part.value in (None, Ellipsis)):
                    self.expr(part)

    def store_unless_failed(self, store: Callable[[], None]) -> None:
        """`store()`, skipped where a check of this statement failed: a statement that
        raises must leave the caller's arrays as they were. (A statement runs only if no
        earlier one failed, `emit_block`: without a check of its own, nothing to skip.)"""
        skip = self.env[RETURNED].ir
        if known_false(skip) or self.env[RETURNED] is self.statement_flags.get(RETURNED):
            store()
            return
        op = scf.IfOp(self.logical_not(skip))
        with open_block(op.then_block):
            store()
        close_block(op.then_block, [])

    def store_into_view(self, dst: Val, value: Val, node) -> None:
        """dst[...] = value with NumPy's casting, broadcasting and overlap rules."""
        if dst.type.readonly:  # `a op= b` of a read-only `a` (NumPy: its ufunc's out=)
            kind = "readonly_output" if isinstance(node, ast.AugAssign) else "readonly"
            self.raise_here(kind, node)
            return
        if isinstance(value.type, Scalar):
            self.stored_scalar_checks(value, dst.type.dtype, node)
            element = self.cast_scalar(value, Scalar(dst.type.dtype))
            self.store_unless_failed(lambda: nir.assign(dst.ir, element.ir))
            return
        if not isinstance(value.type, Array):
            raise self.typing_error(node, f"cannot assign {value.type} to {dst.type}")
        if value.type.ndim > dst.type.ndim:
            raise self.typing_error(node, f"cannot assign {value.type} to {dst.type}: "
                                    "too many dimensions")
        src = self.cast_array(value, dst.type.dtype)
        if not src.fresh:  # may overlap dst: NumPy reads all of it before writing
            src = Val(src.type, nir.copy(src.type.dtype.name, src.ir), fresh=True)
        bad = self.assign_mismatch(dst, src)
        if bad is not None:
            self.raise_if(bad, "broadcast", node)
        self.store_unless_failed(lambda: nir.assign(dst.ir, src.ir))

    # -- shape checks ---------------------------------------------------------------------
    def broadcast_mismatch(self, operands: list[Val], node) -> ir.Value | None:
        """i1 that is true when the arrays' shapes do not broadcast together (None when
        they do by construction)."""
        arrays = [o for o in operands if isinstance(o.type, Array)]
        rank = max(a.type.ndim for a in arrays)
        dims = [[None] * (rank - a.type.ndim) + self.dims(a) for a in arrays]
        wrong = []
        for axis in range(rank):
            sizes = [d[axis] for d in dims if d[axis] is not None]
            if len(sizes) > 1:
                wrong += not_broadcastable(sizes, broadcast_size(sizes))
        bad = any_true(wrong)
        if bad is not None:
            self.raise_if(bad, "broadcast", node)
        return bad

    def assign_mismatch(self, dst: Val, src: Val) -> ir.Value | None:
        dst_dims = self.dims(dst)[dst.type.ndim - src.type.ndim:]
        return any_true([w for d, s in zip(dst_dims, self.dims(src))
                         for w in not_broadcastable([s], d)])

    # -- matmul ---------------------------------------------------------------------------
    def matmul(self, a: Val, b: Val, node) -> Val:
        if not (isinstance(a.type, Array) and isinstance(b.type, Array)):
            raise self.typing_error(node, "matmul needs two arrays, not "
                                    f"{a.type} and {b.type}")
        if 0 in (a.type.ndim, b.type.ndim):
            raise self.typing_error(node, "matmul does not take 0-d arrays", "use *")
        resolved = ufunc_result(np.matmul, a.type, b.type)
        if resolved is None:
            raise self.typing_error(node, f"matmul does not take {a.type} and {b.type}")
        dtype = resolved[0]
        a, b = self.cast_array(a, dtype), self.cast_array(b, dtype)
        if a.type.ndim > 2 or b.type.ndim > 2:
            return self.batched_matmul(a, b, dtype, node)
        inner_a = self.dims(a)[-1]
        inner_b = self.dims(b)[0]
        bad = arith.cmpi(arith.CmpIPredicate.ne, inner_a, inner_b)
        self.raise_if(bad, "matmul", node)
        rank = (a.type.ndim - 1) + (b.type.ndim - 1)
        result_t = Array(dtype, rank) if rank else Scalar(dtype)

        def build() -> Val:
            rtype = (nir.array_type(dtype, rank) if rank else nir.element_type(dtype))
            return Val(result_t, nir.matmul(dtype.name, a.ir, b.ir, rtype), fresh=rank > 0)

        return self.unless_failed(bad, result_t, build)

    def batched_matmul(self, a: Val, b: Val, dtype: np.dtype, node) -> Val:
        """np.matmul on stacks of matrices: the leading (batch) dimensions broadcast, and
        each item is one 2-d product written into its place in the result."""
        drop_n, drop_m = a.type.ndim == 1, b.type.ndim == 1
        if drop_n:
            a = self.insert_axis(a, 0)
        if drop_m:
            b = self.insert_axis(b, 1)
        a_dims, b_dims = self.dims(a), self.dims(b)
        batch = max(a.type.ndim, b.type.ndim) - 2
        a_batch = [None] * (batch - a.type.ndim + 2) + a_dims[:-2]
        b_batch = [None] * (batch - b.type.ndim + 2) + b_dims[:-2]
        out_batch = []
        wrong = [arith.cmpi(arith.CmpIPredicate.ne, a_dims[-1], b_dims[-2])]
        for x, y in zip(a_batch, b_batch):
            sizes = [s for s in (x, y) if s is not None]
            out_batch.append(broadcast_size(sizes))
            wrong += not_broadcastable(sizes, out_batch[-1])
        bad = any_true(wrong)
        self.raise_if(bad, "matmul", node)
        out_t = Array(dtype, batch + 2)
        result = Val(out_t, nir.empty(dtype.name, out_batch + [a_dims[-2], b_dims[-1]]),
                     fresh=True)
        guard = scf.IfOp(self.logical_not(bad))
        with open_block(guard.then_block):
            self.matmul_items(a, b, result, a_batch, b_batch, out_batch, dtype)
        close_block(guard.then_block, [])
        if drop_n or drop_m:
            buffer, offset, sizes, strides = self.layout(result)
            keep = [d for d in range(batch + 2)
                    if not (drop_n and d == batch or drop_m and d == batch + 1)]
            result = self.make_view(result, buffer, offset, [sizes[d] for d in keep],
                                    [strides[d] for d in keep])
            result.fresh = True
        return result

    def matmul_items(self, a: Val, b: Val, out: Val, a_batch, b_batch, out_batch,
                     dtype: np.dtype) -> None:
        """for each batch index: out[idx] = a[idx] @ b[idx] (size-1 batch dims stretch)."""
        indices: list[ir.Value] = []

        def item(x: Val, x_batch, idx: list[ir.Value]) -> Val:
            buffer, offset, sizes, strides = self.layout(x)
            skip = len(out_batch) - (x.type.ndim - 2)
            for d, size in enumerate(x_batch):
                if size is None:
                    continue
                i = arith.select(arith.cmpi(arith.CmpIPredicate.eq, size, _i(1)), _i(0),
                                 idx[d])
                offset = arith.addi(offset, arith.muli(i, strides[d - skip]))
            return self.make_view(x, buffer, offset, sizes[-2:], strides[-2:])

        def nest(depth: int) -> None:
            if depth == len(out_batch):
                product = nir.matmul(dtype.name, item(a, a_batch, indices).ir,
                                     item(b, b_batch, indices).ir, nir.array_type(dtype, 2))
                nir.assign(item(out, out_batch, indices).ir, product)
                return
            loop = scf.ForOp(_i(0), out_batch[depth], _i(1))
            with open_block(loop.body):
                indices.append(loop.induction_variable)
                nest(depth + 1)
                indices.pop()
            close_block(loop.body, [])

        nest(0)

    def insert_axis(self, a: Val, axis: int) -> Val:
        buffer, offset, sizes, strides = self.layout(a)
        return self.make_view(a, buffer, offset, sizes[:axis] + [_i(1)] + sizes[axis:],
                              strides[:axis] + [_i(0)] + strides[axis:])

    # -- iteration ------------------------------------------------------------------------
    def with_known_strides(self, v: Val) -> Val:
        """An argument with its C-contiguous vectors as views of stride 1: LLVM then sees
        it, where the stride the caller passed is an unknown number (an indexed load in
        a scalar loop, `rank[indices[k]]`, then needs no multiplication). For arguments
        the function indexes: in whole-array expressions a known stride made LLVM's loop
        slower (np.exp(a * b + a) over 1M: 2.47 ms against 1.93 ms).

        Not for more dims: knowing a matrix's strides bought no speed in the benchmarks
        (LLVM vectorises its rows after a run-time check of the stride anyway) and cost
        compile time (jacobi_2d: 0.79 s instead of 0.56 s, LLVM vectorising more)."""
        if isinstance(v.type, TupleType):
            return replace(v, items=tuple(self.with_known_strides(x) for x in v.items))
        if not isinstance(v.type, Array) or v.type.layout != "C" or v.type.ndim != 1:
            return v
        metadata = memref.extract_strided_metadata(v.ir)
        return replace(v, ir=strided_view(metadata[0], metadata[1], [metadata[2]], [_i(1)]))

    def loop_iteration(self, it: ast.expr) -> tuple[ir.Value, ir.Value, ir.Value,
                                                     Callable[[ir.Value], Val]]:
        """(start, stop, step, item) with step > 0 over `index` values: the loop runs
        k = start, start+step, ... while k < stop, and item(k) is the loop target's value."""
        if isinstance(it, ast.Call):
            callee = self.resolve_static(it.func)
            if callee is range or is_prange(callee):
                return self.range_iteration(it)
            if callee is enumerate:
                return self.enumerate_iteration(it)
            if callee is zip:
                return self.zip_iteration(it)
        seq = self.expr(it)
        if isinstance(seq.type, Array) and seq.type.ndim == 0:
            self.raise_here("iterate_0d", it)  # NumPy's TypeError, when the loop is reached
            return _i(0), _i(0), _i(1), lambda k: self.load_element(seq, [], it)
        if isinstance(seq.type, Array):
            n = self.dims(seq)[0]

            def item(k: ir.Value) -> Val:
                if seq.type.ndim == 1:
                    return self.load_element(seq, [k], it)
                buffer, offset, sizes, strides = self.layout(seq)
                offset = arith.addi(offset, arith.muli(k, strides[0]))
                return self.make_view(seq, buffer, offset, sizes[1:], strides[1:])

            return _i(0), n, _i(1), item
        raise self.unsupported(it, f"cannot iterate over {seq.type} in compiled code",
                               "iterate over range(...) or an array")

    def counted_iteration(self, it: ast.expr) -> tuple[ir.Value, Callable[[ir.Value], Val]]:
        """(count, item) of an iteration counted 0, 1, ..., count - 1."""
        start, stop, step, item = self.loop_iteration(it)
        if _constant_index(start) == 0 and _constant_index(step) == 1:
            return stop, item
        count = trip_count(start, stop, step, self.const_bool(True).ir)
        return count, lambda k: item(arith.addi(start, arith.muli(k, step)))

    def enumerate_iteration(self, call: ast.Call):
        """`enumerate(iterable[, start])`: (count, item) pairs."""
        args = list(call.args) + [k.value for k in call.keywords if k.arg == "start"]
        if len(args) not in (1, 2) or any(k.arg != "start" for k in call.keywords):
            raise self.typing_error(call, "enumerate() takes an iterable and a start")
        start = self.expr(args[1]) if len(args) == 2 else self.const_scalar(PY_INT, 0)
        if not isinstance(start.type, Scalar) or start.type.dtype.kind not in "biu":
            raise self.typing_error(args[1], f"enumerate()'s start must be an integer, not "
                                    f"{start.type}")
        first = self.cast_scalar(start, PY_INT)
        count, item = self.counted_iteration(args[0])

        def pair(k: ir.Value) -> Val:
            number = self.from_index(k)
            number = Val(PY_INT, arith.addi(first.ir, number.ir))
            value = item(k)
            return Val(TupleType((PY_INT, value.type)), items=(number, value))
        return _i(0), count, _i(1), pair

    def zip_iteration(self, call: ast.Call):
        """`zip(a, b, ...)`: tuples of items, as many as the shortest iterable gives."""
        if call.keywords or not call.args:
            raise self.unsupported(call, "zip() takes one or more iterables here (no "
                                   "strict=)")
        counted = [self.counted_iteration(a) for a in call.args]
        count = counted[0][0]
        for other, _ in counted[1:]:
            count = arith.minsi(count, other)

        def items(k: ir.Value) -> Val:
            values = tuple(item(k) for _, item in counted)
            return Val(TupleType(tuple(v.type for v in values)), items=values)
        return _i(0), count, _i(1), items

    def range_iteration(self, call: ast.Call):
        if call.keywords or not 1 <= len(call.args) <= 3:
            raise self.typing_error(call, "range() takes 1 to 3 positional arguments")
        args = [self.expr(a) for a in call.args]
        for a, node in zip(args, call.args):
            if not isinstance(a.type, Scalar) or a.type.dtype.kind not in "biu":
                raise self.typing_error(node, f"range() needs integers, not {a.type}")
        if len(args) == 1:
            args = [self.const_scalar(PY_INT, 0), args[0]]
        start, stop = (self.to_index(a, call) for a in args[:2])
        step_val = args[2] if len(args) == 3 else self.const_scalar(PY_INT, 1)
        step = self.to_index(step_val, call)
        if step_val.is_const and step_val.const > 0:
            return start, stop, step, self.from_index
        if step_val.is_const and step_val.const == 0:
            raise self.typing_error(call, "range() arg 3 must not be zero")
        if not step_val.is_const:
            self.raise_if(arith.cmpi(arith.CmpIPredicate.eq, step, _i(0)), "range_step", call)
            step = arith.select(arith.cmpi(arith.CmpIPredicate.eq, step, _i(0)), _i(1), step)
        # count the iterations, then run k = 0..count-1 with item start + k*step
        positive = arith.cmpi(arith.CmpIPredicate.sgt, step, _i(0))
        count = trip_count(start, stop, step, positive)
        return _i(0), count, _i(1), lambda k: self.from_index(
            arith.addi(start, arith.muli(k, step)))
