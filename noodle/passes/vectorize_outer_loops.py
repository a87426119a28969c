"""The `vectorize-outer-loops` pass: a loop whose body runs loops of its own does several
of its iterations at once, one per lane of a SIMD vector (outer-loop vectorisation).

Why: LLVM vectorises innermost loops only. In pairwise distance,

    for j in range(n):
        s = 0.0
        for k in range(x.shape[1]):
            t = x[i, k] - x[j, k]
            s += t * t
        d[i, j] = math.sqrt(s)

the innermost loop (over k) is a floating-point sum, which LLVM must not reorder, of 3
terms; so the loop ran scalar, bound by one square root at a time. With 4 iterations of
j side by side, the sums run in 4 lanes, the square roots are one vector instruction
and the stores one vector store: 2.5 ms -> 0.9 ms for 1000x3 on these machines. Each
lane does exactly the ops of its iteration, in their order, so the results are the
serial loop's, bit for bit.

The loop over `j` (an `scf.for` of step 1 without results, holding an `scf.for` or an
`scf.while`) becomes a loop of step `lanes` over the whole groups of lanes, and the
original loop runs the iterations left over. In the vector loop every value that
depends on `j` ("varying") is either a vector (floats and integers) or one scalar per
lane (indices, complex numbers); values that do not are computed once, as before. A
load or a store whose last index is `j` plus something that does not vary, on a memref
whose last dimension is contiguous, is one vector access; other varying accesses are
one scalar access per lane. A function's array arguments have strides known only at run
time, so where such an access is on one of them, the vector loop runs only when the
arguments' last strides are 1 (C-contiguous rows, the common case), and the original
loop does all the iterations when they are not.

Branches and inner `while` loops whose conditions vary with `j` run under masks, as
ISPC and OpenMP's `simd` do. A branch runs both ways in every lane, and each lane
selects its own branch's results. A `while` loop goes round while any lane is still in
it: a mask says which lanes are, and each lane keeps the values it had when it left, so
that the trips it makes for nothing after that change nothing it keeps. In mandelbrot,

    while n < maxiter and zr * zr + zi * zi <= 4.0:

runs for 4 pixels at once: 9.0 ms -> 2.6 ms for 400x300. A lane runs such a branch or
trip for nothing, so its loads and stores there are masked off: a contiguous access is a
masked vector load or store, another one access per lane whose bit is set, and one that
does not vary runs when any lane's iteration runs it (a store of a value that varies to
one element is refused). Masks are made with selects, never `and`s: a lane out of the
mask may hold poison. The other ops must be safe to run for nothing: arith and math
ops, but no integer division (undefined for a zero divisor, which the lane may have).

Only what this can do exactly is vectorised; a loop is left alone when its body holds
any other op (a call, an allocation), an inner loop bound that varies with `j`, a
`while` loop whose condition does not (its trips would need no mask, but may hold ops a
mask cannot take), a memref it both reads and writes, or two memrefs that may be the
same buffer, one written and the other read or written (a buffer allocated in the
function is not any other). Doing iteration j's stores after iteration j+1's loads and
stores is safe then. A loop is vectorised only when one of its accesses becomes a vector
one: a loop that only gathers and scatters would gain little.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from mlir import ir
from mlir.dialects import arith, memref, scf, ub, vector

from noodle.passes.apply_loop_hints import no_unroll_location
from noodle.passes.fuse_multiply_adds import FMULADD
from noodle.passes.ir_walk import defined_outside, inside, nested_in, ops_where, rewriting
from noodle.passes.memref_views import origin
from noodle.passes.speculation import speculatable

PASS_NAME = "vectorize-outer-loops"

#: The width of the vectors unless told: AVX2's, which every x86-64 machine noodle
#: targets has. The JIT asks for 512 bits where the host has AVX-512 (mandelbrot 400x300:
#: 2.6 ms with 4 lanes of f64, 1.6 ms with 8, on Zen 4); where it has not, LLVM splits
#: wider vectors in two.
VECTOR_BITS = 256

PASS_OPTIONS = {"bits": (str(VECTOR_BITS), "the width of the vectors, in bits: 128, 256 "
                         "or 512", "int")}

#: Marks the loop left over for the iterations the vector loop does not do, so that
#: running the pass again changes nothing
_REMAINDER = "noodle.vector_remainder"

#: Ops without regions that read and write no memory (besides `memref.dim`'s metadata),
#: by dialect or by name
_PURE_DIALECTS = ("arith.", "math.", "complex.", FMULADD)
_MEMORY_OPS = ("memref.load", "memref.store")
_STRUCTURED_OPS = ("scf.for", "scf.if", "scf.while", "scf.yield", "scf.condition")
_INNER_LOOPS = ("scf.for", "scf.while")
_TERMINATORS = ("scf.yield", "scf.condition")
#: Memrefs that exist before anything in a function allocates one
_PREEXISTING = "memref.get_global"


def vectorize_outer_loops(root: ir.Operation, vector_bits: int = VECTOR_BITS) -> None:
    """Vectorises the outer loops in `root` that it can, in place, with vectors of
    `vector_bits`."""
    vectorized: list[ir.Operation] = []
    # inner loops first; a loop holding one that was vectorised is not vectorised again
    for loop in reversed(ops_where(root, _looks_like_candidate)):
        if any(nested_in(inner, loop) for inner in vectorized):
            continue
        with rewriting(loop):
            if _vectorize_if_worthwhile(loop, vector_bits):
                vectorized.append(loop)


def vectorize_outer_loops_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(vectorize_outer_loops_pass, name=PASS_NAME)`."""
    vectorize_outer_loops(op)


def configure_pass(bits: str = str(VECTOR_BITS)) -> Callable[[ir.Operation, object], None]:
    """The pass callable for `vectorize-outer-loops{bits=N}`."""
    if bits not in ("128", "256", "512"):
        raise ValueError(f"option bits takes 128, 256 or 512, not {bits!r}")
    return lambda op, pass_: vectorize_outer_loops(op, int(bits))


def _looks_like_candidate(op: ir.Operation) -> bool:
    return (op.name == "scf.for" and len(op.results) == 0 and _REMAINDER not in op.attributes
            and isinstance(op.operands[0].type, ir.IndexType)
            and _constant_value(op.operands[2]) == 1
            and any(inner.name in _INNER_LOOPS for inner in _body_ops(op))
            and not inside(op, ("gpu.launch", "gpu.func")))


def _constant_value(value: ir.Value) -> int | None:
    if isinstance(value, ir.BlockArgument) or value.owner.name != "arith.constant":
        return None
    attr = value.owner.attributes["value"]
    return attr.value if isinstance(attr, ir.IntegerAttr) else None


def _block_ops(block: ir.Block) -> Iterator[ir.Operation]:
    for op in block.operations:
        yield op.operation


def _body_ops(op: ir.Operation) -> list[ir.Operation]:
    """The ops in `op`'s regions, at any depth, in program order."""
    return ops_where(op, lambda _: True)[1:]


def _terminator(block: ir.Block) -> ir.Operation:
    return block.operations[len(block.operations) - 1].operation


def _element_type(t: ir.Type) -> bool:
    """Whether values of type `t` go in vector lanes (indices and complex numbers stay
    scalars, one per lane)."""
    return isinstance(t, (ir.IntegerType, ir.FloatType))


def _last_stride(buffer: ir.Value) -> int | None:
    """The stride of `buffer`'s last dimension; None when it is known only at run time."""
    strides, _ = buffer.type.get_strides_and_offset()
    return None if strides[-1] == ir.ShapedType.get_dynamic_stride_or_offset() else strides[-1]


class _StridedMetadata:
    """A memref's base buffer, offset, sizes and strides, read at run time."""

    def __init__(self, buffer: ir.Value) -> None:
        self.buffer = buffer
        parts = list(memref.extract_strided_metadata(buffer))
        rank = buffer.type.rank
        self.base, self.offset = parts[0], parts[1]
        self.sizes, self.strides = parts[2:2 + rank], parts[2 + rank:]

    def with_unit_last_stride(self) -> ir.Value:
        """The memref, typed as having a last stride of 1: the caller has checked that
        it has. (A `memref.cast` would say the same, but canonicalisation folds it into
        a `vector.load`, whose memref then lacks the unit stride it needs.)"""
        t = self.buffer.type
        strides, offset = t.get_strides_and_offset()
        strides[-1] = 1
        layout = ir.StridedLayoutAttr.get(offset, strides)
        dynamic = ir.ShapedType.get_dynamic_stride_or_offset()
        return memref.reinterpret_cast(
            ir.MemRefType.get(t.shape, t.element_type, layout, t.memory_space), self.base,
            [self.offset] if offset == dynamic else [],
            [s for s, n in zip(self.sizes, t.shape) if n == ir.ShapedType.get_dynamic_size()],
            [s for s, n in zip(self.strides, strides) if n == dynamic],
            [offset], t.shape, strides)


class _Analysis:
    """Which values in a loop's body vary with its induction variable, and which of
    those indices step by one with it; and whether the pass can vectorise the loop."""

    def __init__(self, loop: ir.Operation) -> None:
        self.loop = loop
        self.body = _body_ops(loop)
        iv = loop.regions[0].blocks[0].arguments[0]
        self.varying: set[ir.Value] = {iv}
        self.unit: set[ir.Value] = {iv}
        changed = True
        while changed:  # to a fixed point: loop-carried values feed back into the loop
            changed = False
            for op in self.body:
                changed |= self._propagate(op)
        #: memrefs (made before the loop) with an access that steps by one element per
        #: lane, whose last stride is known only at run time: the vector loop runs
        #: when each of them is 1
        self.stride_checked: list[ir.Value] = []
        for op in self.body:
            if op.name in _MEMORY_OPS:
                buffer, indices = _access(op)
                if (self._steps_by_one(indices) and _last_stride(buffer) is None
                        and defined_outside(buffer, loop)
                        and buffer not in self.stride_checked):
                    self.stride_checked.append(buffer)

    def _propagate(self, op: ir.Operation) -> bool:
        """Marks what `op` makes varying; whether anything new was marked."""
        marked = len(self.varying)
        if any(v in self.varying for v in op.operands):
            if op.name not in _STRUCTURED_OPS:
                self.varying.update(op.results)
            if op.name in ("arith.addi", "arith.subi"):
                lhs, rhs = op.operands
                if (lhs in self.unit and rhs not in self.varying
                        or op.name == "arith.addi" and rhs in self.unit
                        and lhs not in self.varying):
                    self.unit.add(op.result)
        if op.name == "scf.for":
            body = op.regions[0].blocks[0]
            yielded = list(_terminator(body).operands)
            for i, init in enumerate(op.operands[3:]):
                if init in self.varying or yielded[i] in self.varying:
                    self.varying.update((body.arguments[i + 1], op.results[i]))
        elif op.name == "scf.if":
            # a lane's result is its branch's: all vary when the condition does
            tested = op.operands[0] in self.varying
            for region in op.regions:
                for block in region.blocks:
                    self.varying.update(r for r, y in zip(op.results, _terminator(block).operands)
                                        if tested or y in self.varying)
        elif op.name == "scf.while":
            test, body = (region.blocks[0] for region in op.regions)
            condition = _terminator(test)
            yielded = list(_terminator(body).operands)
            # lanes that leave the loop at different trips end with different values
            leaving = condition.operands[0] in self.varying
            for i, init in enumerate(op.operands):
                if leaving or init in self.varying or yielded[i] in self.varying:
                    self.varying.add(test.arguments[i])
            for i, passed in enumerate(list(condition.operands)[1:]):
                if leaving or passed in self.varying:
                    self.varying.update((body.arguments[i], op.results[i]))
        return len(self.varying) != marked

    def why_not(self) -> str | None:
        """What keeps the loop from being vectorised, or None when nothing does."""
        reads: list[ir.Value] = []
        writes: list[ir.Value] = []
        varying_writes: list[ir.Value] = []
        vector_access = False
        vector_values = False
        for op in self.body:
            name = op.name
            if not (name.startswith(_PURE_DIALECTS) or name in _MEMORY_OPS
                    or name in _STRUCTURED_OPS or name == "memref.dim"):
                return f"{name} in the body"
            if any(isinstance(v.type, ir.VectorType) for v in op.operands):
                return "a vector in the body"
            if name in ("scf.for", "scf.if", "scf.while"):
                why = self._why_not_region(op)
                if why is not None:
                    return why
            if any(_element_type(r.type) and r in self.varying for r in op.results):
                vector_values = True
            if name in _MEMORY_OPS:
                buffer, indices = _access(op)
                if buffer in self.varying:
                    return "a memref that varies"
                (reads if name == "memref.load" else writes).append(origin(buffer))
                if name == "memref.store" and any(v in self.varying for v in op.operands):
                    varying_writes.append(origin(buffer))
                vector_access |= self.contiguous(buffer, indices)
        if not (vector_access and vector_values):
            return "no access or value would be a vector"
        # lanes reorder the stores of different ops (iteration j's second store comes
        # after iteration j+1's first) and the loads after stores
        for root in set(varying_writes):
            if writes.count(root) > 1 or any(not _distinct(root, other)
                                             for other in set(writes) if other != root):
                return "a memref written by a store that varies and by another store"
        for written in set(writes):
            if any(not _distinct(written, read) for read in reads):
                return "a memref that is read and written (or may be)"
        return None

    def _why_not_region(self, op: ir.Operation) -> str | None:
        """What keeps a structured op from running in vector lanes, or None."""
        if any(r in self.varying and not _element_type(r.type) for r in op.results):
            return f"an {op.name} carrying a varying index or complex number"
        if op.name == "scf.for" and any(v in self.varying for v in op.operands[:3]):
            return "an scf.for whose bounds vary"
        if not self.masked(op):
            return "an scf.while whose condition does not vary" if op.name == "scf.while" else None
        # each lane runs the branch it does not take, or trips after it left the loop: its
        # loads and stores are masked off, and the rest must be safe to run for nothing
        for inner in _body_ops(op):
            if inner.name in _MEMORY_OPS:
                one_element = not any(i in self.varying for i in _access(inner)[1])
                if one_element and inner.name == "memref.store" and (
                        inner.operands[0] in self.varying):
                    return (f"an {op.name} whose condition varies, around a store of a value "
                            "that varies to one element for every lane")
                if inner.name == "memref.load" and not isinstance(
                        inner.result.type, (ir.IntegerType, ir.FloatType, ir.IndexType)):
                    return f"an {op.name} whose condition varies, around a complex load"
            elif not (inner.name in _TERMINATORS or speculatable(inner)
                      or inner.name in ("scf.if", "memref.dim")):
                return (f"an {op.name} whose condition varies, around ops a lane may not run "
                        "for nothing")
        carried = [a for region in op.regions for block in region.blocks for a in block.arguments]
        if any(not _element_type(v.type) for v in carried):
            return f"an {op.name} whose condition varies, carrying an index or complex number"
        return None

    def masked(self, op: ir.Operation) -> bool:
        """Whether `op` is an `scf.if` or `scf.while` whose condition varies."""
        if op.name == "scf.if":
            return op.operands[0] in self.varying
        if op.name == "scf.while":
            return _terminator(op.regions[0].blocks[0]).operands[0] in self.varying
        return False

    def contiguous(self, buffer: ir.Value, indices: list[ir.Value]) -> bool:
        """Whether an access steps by one element per lane in the vector loop."""
        return self._steps_by_one(indices) and (_last_stride(buffer) == 1
                                                 or buffer in self.stride_checked)

    def _steps_by_one(self, indices: list[ir.Value]) -> bool:
        """Whether an access's indices step by one in the last dimension per lane."""
        return (bool(indices) and indices[-1] in self.unit
                and not any(i in self.varying for i in indices[:-1]))


def _access(op: ir.Operation) -> tuple[ir.Value, list[ir.Value]]:
    """The memref and the indices of a `memref.load` or `memref.store`."""
    first = 0 if op.name == "memref.load" else 1
    return op.operands[first], list(op.operands[first + 1:])


def _distinct(a: ir.Value, b: ir.Value) -> bool:
    """Whether memrefs `a` and `b` (neither a view) are known to be different buffers: two
    allocations, or one allocation and a function argument or global."""
    if a == b:
        return False
    fresh = [_allocated(v) for v in (a, b)]
    known = [f or _preexisting(v) for f, v in zip(fresh, (a, b))]
    return any(fresh) and all(known)


def _allocated(value: ir.Value) -> bool:
    return (not isinstance(value, ir.BlockArgument)
            and value.owner.name in ("memref.alloc", "memref.alloca"))


def _preexisting(value: ir.Value) -> bool:
    if isinstance(value, ir.BlockArgument):
        return value.owner.owner.operation.name == "func.func"
    return value.owner.name == _PREEXISTING


def _lanes_for(analysis: _Analysis, vector_bits: int) -> int:
    widest = max(v.type.width for v in analysis.varying if _element_type(v.type))
    return max(2, min(16, vector_bits // widest))


def _vectorize_if_worthwhile(loop: ir.Operation, vector_bits: int) -> bool:
    analysis = _Analysis(loop)
    if analysis.why_not() is not None:
        return False
    lanes = _lanes_for(analysis, vector_bits)
    with ir.InsertionPoint(loop), loop.location:
        index = ir.IndexType.get()
        lower, upper = loop.operands[0], loop.operands[1]
        zero = arith.constant(index, 0)
        # the distance, wrapped, is right as an unsigned number
        ahead = arith.cmpi(arith.CmpIPredicate.sgt, upper, lower)
        count = arith.select(ahead, arith.subi(upper, lower), zero)
        whole = arith.subi(count, arith.remui(count, arith.constant(index, lanes)))
        checked = [_StridedMetadata(m) for m in analysis.stride_checked]
        unit = _all_last_strides_one(checked) if checked else None
        end = arith.addi(lower, whole if unit is None else arith.select(unit, whole, zero))
        guard = scf.IfOp(unit, [], has_else=False) if unit is not None else None
        with ir.InsertionPoint(guard.then_block) if guard else contextlib.nullcontext():
            renamed = {m.buffer: m.with_unit_last_stride() for m in checked}
            vector_loop = scf.ForOp(lower, end, arith.constant(index, lanes), [])
            _VectorBody(analysis, lanes, renamed).build(loop, vector_loop.operation)
            if guard:
                scf.YieldOp([])
    loop.operands[0] = end
    loop.attributes[_REMAINDER] = ir.UnitAttr.get()
    return True


def _all_last_strides_one(memrefs: list[_StridedMetadata]) -> ir.Value:
    """Whether the last stride of each of `memrefs` is 1, at run time."""
    one = arith.constant(ir.IndexType.get(), 1)
    unit = None
    for metadata in memrefs:
        this = arith.cmpi(arith.CmpIPredicate.eq, metadata.strides[-1], one)
        unit = this if unit is None else arith.andi(unit, this)
    return unit


def _zero(t: ir.Type) -> ir.Value:
    """0 (or false) of an integer, index or float type, or a vector of them."""
    element = t.element_type if isinstance(t, ir.VectorType) else t
    zero = (ir.FloatAttr.get(element, 0.0) if isinstance(element, ir.FloatType)
            else ir.IntegerAttr.get(element, 0))
    if isinstance(t, ir.VectorType):
        zero = ir.DenseElementsAttr.get_splat(t, zero)
    return arith.constant(t, zero)


def _any_lane(mask: ir.Value) -> ir.Value:
    """Whether any lane of `mask` is set."""
    return vector.reduction(ir.IntegerType.get_signless(1), vector.CombiningKind.OR, mask)


class _VectorBody:
    """Builds the body of the vector loop from the original loop's, op by op."""

    def __init__(self, analysis: _Analysis, lanes: int,
                 renamed: dict[ir.Value, ir.Value]) -> None:
        self.analysis = analysis
        self.lanes = lanes
        #: a value that does not vary (a memref whose last stride was checked: the same
        #: memref, typed as having that stride)
        self.scalar: dict[ir.Value, ir.Value] = dict(renamed)
        self.per_lane: dict[ir.Value, list[ir.Value]] = {}
        self.vectors: dict[ir.Value, ir.Value] = {}
        # conversions between the two forms, per nesting level: one made in a region
        # does not dominate the code after it
        self.conversions: list[dict[tuple[ir.Value, str], object]] = [{}]
        #: the lanes whose iterations run the ops being built, under a branch or in a
        #: loop whose condition varies (None: all)
        self.mask: ir.Value | None = None

    def build(self, loop: ir.Operation, vector_loop: ir.Operation) -> None:
        iv = loop.regions[0].blocks[0].arguments[0]
        body = vector_loop.regions[0].blocks[0]
        with ir.InsertionPoint(body):
            first = body.arguments[0]
            self.per_lane[iv] = [first] + [
                arith.addi(first, arith.constant(ir.IndexType.get(), lane))
                for lane in range(1, self.lanes)]
            self._block(loop.regions[0].blocks[0])
            scf.YieldOp([])

    # -- the forms a value takes ---------------------------------------------------------
    def uniform(self, value: ir.Value) -> ir.Value:
        return self.scalar.get(value, value)

    def vector(self, value: ir.Value) -> ir.Value:
        if value in self.vectors:
            return self.vectors[value]
        return self._converted(value, "vector", lambda: (
            vector.from_elements(self._vector_type(value.type), self.per_lane[value])
            if value in self.per_lane
            else vector.broadcast(self._vector_type(value.type), self.uniform(value))))

    def lane_values(self, value: ir.Value) -> list[ir.Value]:
        if value in self.per_lane:
            return self.per_lane[value]
        if value in self.vectors:
            return self._converted(value, "lanes", lambda: [
                vector.extract(self.vectors[value], [], [lane]) for lane in range(self.lanes)])
        return [self.uniform(value)] * self.lanes

    def _converted(self, value: ir.Value, form: str, make: Callable[[], Any]) -> Any:
        for scope in reversed(self.conversions):
            if (value, form) in scope:
                return scope[value, form]
        made = self.conversions[-1][value, form] = make()
        return made

    def _vector_type(self, element: ir.Type) -> ir.Type:
        return ir.VectorType.get([self.lanes], element)

    def _varies(self, value: ir.Value) -> bool:
        return value in self.analysis.varying

    # -- ops --------------------------------------------------------------------------
    def _block(self, block: ir.Block) -> None:
        for op in _block_ops(block):
            if op.name not in _TERMINATORS:
                self._op(op)

    def _op(self, op: ir.Operation) -> None:
        if op.name == "scf.for":
            self._for(op)
        elif op.name == "scf.if" and self.analysis.masked(op):
            self._select(op)
        elif op.name == "scf.if":
            self._if(op)
        elif op.name == "scf.while":
            self._masked_while(op)
        elif not any(self._varies(v) for v in op.operands):
            if self.mask is not None and op.name in _MEMORY_OPS:
                self._if_any_lane(op)
            else:
                self._clone(op, [self.uniform(v) for v in op.operands], self.scalar)
        elif op.name == "memref.load":
            self._load(op)
        elif op.name == "memref.store":
            self._store(op)
        elif (op.name.startswith(("arith.", "math.", FMULADD)) and len(op.results) == 1
              and _element_type(op.result.type)
              and all(_element_type(v.type) for v in op.operands)):
            clone = self._clone(op, [self.vector(v) for v in op.operands], self.vectors)
            clone.result.set_type(self._vector_type(op.result.type))
        else:
            self._each_lane(op)

    def _clone(self, op: ir.Operation, operands: list[ir.Value],
               results: dict[ir.Value, ir.Value]) -> ir.Operation:
        clone = op.clone()
        for i, v in enumerate(operands):
            clone.operands[i] = v
        for old, new in zip(op.results, clone.results):
            results[old] = new
        return clone

    def _each_lane(self, op: ir.Operation) -> None:
        """One copy of `op` per lane (its results then have one scalar per lane); under a
        mask, a load or store of each lane runs only where its lane's bit is set."""
        masked = self.mask is not None and op.name in _MEMORY_OPS
        copies = []
        for lane in range(self.lanes):
            operands = [self.lane_values(v)[lane] for v in op.operands]
            if not masked:
                copies.append(self._clone(op, operands, {}))
                continue
            types = [r.type for r in op.results]
            guard = scf.IfOp(vector.extract(self.mask, [], [lane]), types, has_else=bool(types))
            with ir.InsertionPoint(guard.then_block):
                scf.YieldOp(list(self._clone(op, operands, {}).results))
            if types:  # a defined value, not poison, for the lane's ops to run on
                with ir.InsertionPoint(guard.else_block):
                    scf.YieldOp([_zero(t) for t in types])
            copies.append(guard)
        for i, result in enumerate(op.results):
            self.per_lane[result] = [copy.results[i] for copy in copies]

    def _load(self, op: ir.Operation) -> None:
        buffer, indices = _access(op)
        if self.analysis.contiguous(buffer, indices):
            loaded = self._vector_type(op.result.type)
            base, first = self.uniform(buffer), self._first(indices)
            self.vectors[op.result] = (
                vector.load(loaded, base, first) if self.mask is None
                else vector.maskedload(loaded, base, first, self.mask, _zero(loaded)))
        else:
            self._each_lane(op)

    def _store(self, op: ir.Operation) -> None:
        value = op.operands[0]
        buffer, indices = _access(op)
        if self.analysis.contiguous(buffer, indices):
            base, first = self.uniform(buffer), self._first(indices)
            if self.mask is None:
                vector.store(self.vector(value), base, first)
            else:
                vector.maskedstore(base, first, self.mask, self.vector(value))
        elif not any(self._varies(i) for i in indices):
            # every lane writes the same element; the last iteration's value stays
            last = self.lane_values(value)[-1]
            self._clone(op, [last, self.uniform(buffer)] + [self.uniform(i) for i in indices],
                        {})
        else:
            self._each_lane(op)

    def _if_any_lane(self, op: ir.Operation) -> None:
        """A load or store that does not vary, under a mask: the serial loop does it
        (the same access) when any lane's iteration does."""
        types = [r.type for r in op.results]
        guard = scf.IfOp(_any_lane(self.mask), types, has_else=bool(types))
        with ir.InsertionPoint(guard.then_block):
            done = self._clone(op, [self.uniform(v) for v in op.operands], {})
            scf.YieldOp(list(done.results))
        if types:
            with ir.InsertionPoint(guard.else_block):
                scf.YieldOp([_zero(t) for t in types])
        for old, new in zip(op.results, guard.results):
            self.scalar[old] = new

    def _first(self, indices: list[ir.Value]) -> list[ir.Value]:
        """The indices of the first lane's element of a contiguous access."""
        return [self.uniform(i) for i in indices[:-1]] + [self.lane_values(indices[-1])[0]]

    def _carried(self, value: ir.Value, into: ir.Value) -> ir.Value:
        """`value` going into or out of a region as `into`: a vector if `into` varies."""
        return self.vector(value) if self._varies(into) else self.uniform(value)

    def _carried_type(self, value: ir.Value) -> ir.Type:
        return self._vector_type(value.type) if self._varies(value) else value.type

    def _map_carried(self, old: ir.Value, new: ir.Value) -> None:
        (self.vectors if self._varies(old) else self.scalar)[old] = new

    def _region(self, block: ir.Block, into: ir.Block, results: list[ir.Value]) -> None:
        """Builds `block`'s ops into `into`, a block of the new op, and its yield of the
        values that become `results`."""
        self.conversions.append({})
        with ir.InsertionPoint(into):
            self._block(block)
            yielded = _terminator(block).operands
            scf.YieldOp([self._carried(v, r) for v, r in zip(yielded, results)])
        self.conversions.pop()

    def _for(self, op: ir.Operation) -> None:
        lower, upper, step, *inits = op.operands
        results = list(op.results)
        # each trip already does `lanes` iterations' work (`apply_loop_hints` says why not more)
        new = scf.ForOp(self.uniform(lower), self.uniform(upper), self.uniform(step),
                        [self._carried(v, r) for v, r in zip(inits, results)],
                        loc=no_unroll_location(op.location))
        old_body, new_body = op.regions[0].blocks[0], new.regions[0].blocks[0]
        self.scalar[old_body.arguments[0]] = new_body.arguments[0]
        for old, fresh in zip(list(old_body.arguments)[1:], list(new_body.arguments)[1:]):
            self._map_carried(old, fresh)
        self._region(old_body, new_body, results)
        for old, fresh in zip(results, new.results):
            self._map_carried(old, fresh)

    def _if(self, op: ir.Operation) -> None:
        results = list(op.results)
        has_else = len(op.regions[1].blocks) > 0
        new = scf.IfOp(self.uniform(op.operands[0]), [self._carried_type(r) for r in results],
                       has_else=has_else)
        self._region(op.regions[0].blocks[0], new.then_block, results)
        if has_else:
            self._region(op.regions[1].blocks[0], new.else_block, results)
        for old, fresh in zip(results, new.results):
            self._map_carried(old, fresh)

    def _select(self, op: ir.Operation) -> None:
        """An `scf.if` whose condition varies: both branches run, in every lane, and each
        lane takes its own branch's results."""
        condition = self.vector(op.operands[0])
        outer = self.mask
        masks = [None, None]
        if any(inner.name in _MEMORY_OPS for inner in _body_ops(op)):
            masks = [condition, arith.xori(condition, self._all_lanes())]
            if outer is not None:
                masks = [self._within(outer, mask) for mask in masks]
        branches = []
        for region, mask in zip(op.regions, masks):
            if len(region.blocks):
                self.mask = mask
                self._block(region.blocks[0])
                branches.append(list(_terminator(region.blocks[0]).operands))
        self.mask = outer
        for i, result in enumerate(op.results):
            then, otherwise = (self.vector(branch[i]) for branch in branches)
            self.vectors[result] = arith.select(condition, then, otherwise)

    def _masked_while(self, op: ir.Operation) -> None:
        """An `scf.while` whose condition varies: it goes round while any lane is still
        in the loop. A mask says which are; each lane keeps the values it left with, and
        the trips after its last change nothing it keeps."""
        before, after = (region.blocks[0] for region in op.regions)
        all_lanes = self._all_lanes()
        mask_type = all_lanes.type
        carried = [self._vector_type(a.type) for a in before.arguments]
        kept = [self._vector_type(r.type) for r in op.results]
        passed = [self._vector_type(a.type) for a in after.arguments]
        # the values the lanes left with start as anything: every lane leaves once
        left = [ub.poison(t) for t in kept]
        loop = scf.WhileOp([mask_type] + passed + kept,
                           [all_lanes] + [self.vector(v) for v in op.operands] + left)
        head = loop.before.blocks.append(mask_type, *carried, *kept)
        with self._lanes_region(head, before) as (active, state):
            condition = _terminator(before)
            stays = self.vector(condition.operands[0])
            values = [self.vector(v) for v in list(condition.operands)[1:]]
            still = self._within(active, stays)
            leaves = self._within(active, arith.xori(stays, all_lanes))
            left = [arith.select(leaves, v, was)
                    for v, was in zip(values, state[len(carried):])]
            scf.ConditionOp(_any_lane(still), [still] + values + left)
        body = loop.after.blocks.append(mask_type, *passed, *kept)
        with self._lanes_region(body, after) as (active, state):
            yielded = [self.vector(v) for v in _terminator(after).operands]
            scf.YieldOp([active] + yielded + list(state[len(passed):]))
        for old, new in zip(op.results, list(loop.results)[1 + len(passed):]):
            self.vectors[old] = new

    @contextlib.contextmanager
    def _lanes_region(self, into: ir.Block, block: ir.Block) -> Iterator[tuple]:
        """Builds `block`'s ops into `into`, a block of a masked loop whose arguments are
        the mask and then vectors for `block`'s arguments (and more); gives the mask and
        those vectors, for the terminator to be built."""
        with ir.InsertionPoint(into):
            self.conversions.append({})
            mask, *state = into.arguments
            for old, new in zip(block.arguments, state):
                self.vectors[old] = new
            outer, self.mask = self.mask, mask
            self._block(block)
            self.mask = outer
            yield mask, state
            self.conversions.pop()

    def _all_lanes(self) -> ir.Value:
        mask_type = self._vector_type(ir.IntegerType.get_signless(1))
        return arith.constant(mask_type, ir.DenseElementsAttr.get_splat(
            mask_type, ir.BoolAttr.get(True)))

    def _within(self, mask: ir.Value, lanes: ir.Value) -> ir.Value:
        """The lanes of `lanes` that are in `mask`. A select, not an `and`: a lane out of
        the mask may hold poison (a value computed for nothing, e.g. an inf that `ninf`
        makes poison), which an `and` would pass on into the branch that ends the loop."""
        return arith.select(mask, lanes, _zero(lanes.type))
