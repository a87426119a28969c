"""Runs a GPU program's host plan (`compiler.gpu.host_plan`) against a device.

The plan is the compiled function's host side, op by op: size arithmetic, allocations,
views, kernel launches, the odd element read or write, structured control flow. This
module interprets it over a `Device`, which owns memory and launches kernels
(`gpu_launcher.CupyDevice` for real); it imports neither CuPy nor MLIR (of the compiler,
only `compiler.gpu.program`'s table of parameter kinds), so a program from the disk cache
runs without MLIR.

Values: integers (index and iN) are Python ints in two's-complement signed form (i1 as
0/1), floats are NumPy scalars of their width, memrefs are `View`s: an owner (a device
allocation or a caller's array), an element offset from the owner's address, sizes and
element strides, as in a memref descriptor.
"""
from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from noodle.compiler.gpu.program import PARAM_TYPES

DYNAMIC = -(2**63)  # ShapedType's marker of a dynamic size, offset or stride

_DTYPES = {"f64": np.float64, "f32": np.float32, "f16": np.float16, "i64": np.int64,
           "i32": np.int32, "i16": np.int16, "i8": np.int8, "i1": np.bool_,
           "index": np.int64}



class Device(Protocol):
    """Memory and launches: what a plan needs of a GPU."""

    def alloc(self, dtype: np.dtype, count: int) -> Any:
        """A new allocation of `count` elements (its owner object)."""

    def address(self, owner: Any) -> int:
        """The device address of the owner's first element."""

    def read(self, owner: Any, byte_offset: int, dtype: np.dtype) -> np.generic: ...

    def write(self, owner: Any, byte_offset: int, dtype: np.dtype, value: object) -> None: ...

    def launch(self, kernel: str, grid: tuple[int, int, int], block: tuple[int, int, int],
               params: list[np.generic], shared_mem: int = 0) -> None:
        """Runs `kernel` with `shared_mem` bytes of dynamic shared memory a block."""


@dataclass(slots=True)  # not frozen: a frozen dataclass is slower to make, and views
class View:               # are made on every call
    """A memref value: `owner`'s elements at `offset + sum(i_d * strides[d])`."""
    owner: Any
    dtype: np.dtype
    offset: int
    sizes: tuple[int, ...]
    strides: tuple[int, ...]
    #: the index of the function argument this is a view of, or None
    root: int | None = None

    def element_offset(self, indices: Sequence[int]) -> int:
        return self.offset + sum(i * s for i, s in zip(indices, self.strides))

    def derived(self, offset: int, sizes: Sequence[int], strides: Sequence[int]) -> View:
        return View(self.owner, self.dtype, offset, tuple(sizes), tuple(strides), self.root)


def contiguous_strides(sizes: Sequence[int]) -> tuple[int, ...]:
    strides, step = [], 1
    for size in reversed(sizes):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))


def _width(t: str) -> int:
    return 64 if t == "index" else int(t[1:])


def _wrap(value: int, t: str) -> int:
    """`value` as the integer type `t` holds it (signed form; i1 as 0/1)."""
    width = _width(t)
    value &= (1 << width) - 1
    if width == 1:
        return value
    return value - (1 << width) if value >> (width - 1) else value


def _unsigned(value: int, t: str) -> int:
    return value & ((1 << _width(t)) - 1)


def _div_toward_zero(a: int, b: int) -> int:
    if b == 0:  # undefined in MLIR; never reached by noodle's guarded code
        return 0
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _float_type(t: str) -> type:
    return _DTYPES[t]


def _int_binary(fn: Callable[[int, int, str], int]) -> Callable:
    return lambda a, b, t: _wrap(fn(a, b, t), t)


_INT_BINARY: dict[str, Callable[[int, int, str], int]] = {
    "arith.addi": _int_binary(lambda a, b, t: a + b),
    "arith.subi": _int_binary(lambda a, b, t: a - b),
    "arith.muli": _int_binary(lambda a, b, t: a * b),
    "arith.divsi": _int_binary(lambda a, b, t: _div_toward_zero(a, b)),
    "arith.divui": _int_binary(lambda a, b, t: _unsigned(a, t) // _unsigned(b, t)
                               if b else 0),
    "arith.remsi": _int_binary(lambda a, b, t: a - b * _div_toward_zero(a, b) if b else 0),
    "arith.remui": _int_binary(lambda a, b, t: _unsigned(a, t) % _unsigned(b, t) if b else 0),
    "arith.ceildivsi": _int_binary(lambda a, b, t: -((-a) // b) if b else 0),
    "arith.floordivsi": _int_binary(lambda a, b, t: a // b if b else 0),
    "arith.minsi": _int_binary(lambda a, b, t: min(a, b)),
    "arith.maxsi": _int_binary(lambda a, b, t: max(a, b)),
    "arith.minui": _int_binary(lambda a, b, t: a if _unsigned(a, t) <= _unsigned(b, t) else b),
    "arith.maxui": _int_binary(lambda a, b, t: a if _unsigned(a, t) >= _unsigned(b, t) else b),
    "arith.andi": _int_binary(lambda a, b, t: a & b),
    "arith.ori": _int_binary(lambda a, b, t: a | b),
    "arith.xori": _int_binary(lambda a, b, t: a ^ b),
    "arith.shli": _int_binary(lambda a, b, t: a << b if 0 <= b < _width(t) else 0),
    "arith.shrsi": _int_binary(lambda a, b, t: a >> b if 0 <= b < _width(t) else 0),
    "arith.shrui": _int_binary(lambda a, b, t: _unsigned(a, t) >> b
                               if 0 <= b < _width(t) else 0),
}

_FLOAT_BINARY = {"arith.addf": operator.add, "arith.subf": operator.sub,
                 "arith.mulf": operator.mul, "arith.divf": operator.truediv,
                 "arith.remf": np.fmod, "arith.maximumf": np.maximum,
                 "arith.minimumf": np.minimum, "arith.maxnumf": np.fmax,
                 "arith.minnumf": np.fmin, "math.powf": np.power, "math.atan2": np.arctan2,
                 "math.copysign": np.copysign}

#: scalar math on the host (a function's scalar code between kernels), by NumPy's
#: ufuncs on scalars of the op's width
FLOAT_UNARY = {"math.sqrt": np.sqrt, "math.exp": np.exp, "math.exp2": np.exp2,
               "math.expm1": np.expm1, "math.log": np.log, "math.log2": np.log2,
               "math.log10": np.log10, "math.log1p": np.log1p, "math.sin": np.sin,
               "math.cos": np.cos, "math.tan": np.tan, "math.tanh": np.tanh,
               "math.sinh": np.sinh, "math.cosh": np.cosh, "math.asin": np.arcsin,
               "math.acos": np.arccos, "math.atan": np.arctan, "math.absf": np.abs,
               "math.floor": np.floor, "math.ceil": np.ceil, "math.trunc": np.trunc,
               "math.roundeven": np.rint, "arith.negf": np.negative}

#: arith.cmpi predicates in their enum order: eq ne slt sle sgt sge ult ule ugt uge
_CMPI: list[Callable[[int, int], bool]] = [
    operator.eq, operator.ne, operator.lt, operator.le, operator.gt, operator.ge,
    operator.lt, operator.le, operator.gt, operator.ge]


def _cmpf(predicate: int, a: np.floating, b: np.floating) -> bool:
    """arith.cmpf: 0 false, 1-6 ordered (oeq ogt oge olt ole one), 7 ord, 8-13 unordered
    (ueq ugt uge ult ule une), 14 uno, 15 true."""
    unordered = bool(np.isnan(a) or np.isnan(b))
    if predicate in (0, 15):
        return predicate == 15
    if predicate == 7:
        return not unordered
    if predicate == 14:
        return unordered
    compare = [operator.eq, operator.gt, operator.ge, operator.lt, operator.le,
               operator.ne][(predicate - 1) % 7 if predicate < 7 else predicate - 8]
    if predicate < 7:
        return not unordered and bool(compare(a, b))
    return unordered or bool(compare(a, b))


class PlanError(RuntimeError):
    """A plan asked for something the interpreter does not do (a noodle bug)."""


class _Return(Exception):
    def __init__(self, values: list) -> None:
        self.values = values


class PreparedPlan:
    """A plan made ready to run many times: each op's handler looked up once, and the
    constants (the same in every run: values are SSA) computed once."""

    def __init__(self, plan: dict):
        self.plan = plan
        self.constants: dict[int, Any] = {}
        #: id of a region's op list -> its steps: (terminator kind, handler, op)
        self.blocks: dict[int, list[tuple[int, Callable | None, dict]]] = {}
        self._prepare(plan["body"])

    def _prepare(self, ops: list[dict]) -> None:
        steps = []
        for op in ops:
            name = op["op"]
            for region in op.get("regions", []):
                self._prepare(region["body"])
            if name == "arith.constant":
                self.constants[op["out"][0]] = _constant(op)
            elif name in ("scf.yield", "scf.condition"):
                steps.append((_YIELD, None, op))
            elif name == "func.return":
                steps.append((_RETURN, None, op))
            else:
                steps.append((_OP, _handler(name), op))
        self.blocks[id(ops)] = steps


_OP, _YIELD, _RETURN = range(3)


def _constant(op: dict) -> object:
    value, t = op["attrs"]["value"], op["types"][0]
    if isinstance(value, dict):
        return _float_type(t)(float.fromhex(value["float"]))
    return _wrap(int(value), t)


def _handler(name: str) -> Callable:
    """The function that runs op `name`: handler(run, ins, op) -> results."""
    if name in _INT_BINARY:
        int_op = _INT_BINARY[name]
        return lambda run, ins, op: [int_op(ins[0], ins[1], op["types"][0])]
    if name in _FLOAT_BINARY:
        float_op = _FLOAT_BINARY[name]

        def float_binary(run: PlanRun, ins: list, op: dict) -> list:
            with np.errstate(all="ignore"):
                return [_float_type(op["types"][0])(float_op(ins[0], ins[1]))]
        return float_binary
    if name in FLOAT_UNARY:
        unary = FLOAT_UNARY[name]

        def float_unary(run: PlanRun, ins: list, op: dict) -> list:
            with np.errstate(all="ignore"):
                return [_float_type(op["types"][0])(unary(ins[0]))]
        return float_unary
    method = getattr(PlanRun, "_" + name.replace(".", "_"), None)
    if method is None:
        raise PlanError(f"the GPU plan holds {name}, which the launcher cannot run")
    return lambda run, ins, op: method(run, ins, op["types"], op.get("attrs", {}), op)


class PlanRun:
    """One run of a plan over `device`: `run(args)` returns the function's results."""

    def __init__(self, plan: dict | PreparedPlan, params: dict[str, list[str]], device: Device,
                 writes: dict[str, list[int]] | None = None):
        self.prepared = plan if isinstance(plan, PreparedPlan) else PreparedPlan(plan)
        self.plan = self.prepared.plan
        self.params = params
        self.device = device
        self.writes = writes or {}
        #: function arguments that the run may have written (kernel or host stores)
        self.written: set[int] = set()
        self.values: dict[int, Any] = dict(self.prepared.constants)

    def run(self, args: Sequence[Any]) -> list:
        for number, value in zip(self.plan["args"], args):
            self.values[number] = value
        try:
            self._block(self.plan["body"])
        except _Return as done:
            return done.values
        return []

    # -- structure ------------------------------------------------------------------
    def _block(self, ops: list[dict], args: Sequence[Any] = (), numbers: Sequence[int] = ()
               ) -> list | None:
        """Runs a region's ops; returns what its terminator yields (None if none)."""
        values = self.values
        for number, value in zip(numbers, args):
            values[number] = value
        for kind, handler, op in self.prepared.blocks[id(ops)]:
            ins = [values[i] for i in op["in"]]
            if kind == _YIELD:
                return ins
            if kind == _RETURN:
                raise _Return(ins)
            for number, value in zip(op["out"], handler(self, ins, op)):
                values[number] = value
        return None

    def _region(self, op: dict, k: int, args: Sequence[Any] = ()) -> list:
        region = op["regions"][k]
        return self._block(region["body"], args, region["args"]) or []

    # -- ops ------------------------------------------------------------------------
    def _arith_cmpi(self, ins, types, attrs, op) -> list:
        predicate = attrs["predicate"]
        a, b = ins
        if predicate >= 6:  # unsigned: compare the bit patterns
            a, b = a & (2**64 - 1), b & (2**64 - 1)
        return [int(_CMPI[predicate](a, b))]

    def _arith_cmpf(self, ins, types, attrs, op) -> list:
        return [int(_cmpf(attrs["predicate"], *ins))]

    def _arith_select(self, ins, types, attrs, op) -> list:
        return [ins[1] if ins[0] else ins[2]]

    def _arith_index_cast(self, ins, types, attrs, op) -> list:
        value = ins[0]
        if op.get("source_width") == 1:  # i1 holds 0/1 here; signed, true is -1
            value = -value
        return [_wrap(value, types[0])]

    _arith_extsi = _arith_trunci = _arith_index_cast

    def _arith_extui(self, ins, types, attrs, op) -> list:
        source_width = op.get("source_width", 64)
        return [_wrap(ins[0] & ((1 << source_width) - 1), types[0])]

    _arith_index_castui = _arith_extui

    def _arith_sitofp(self, ins, types, attrs, op) -> list:
        return [_float_type(types[0])(ins[0])]

    def _arith_uitofp(self, ins, types, attrs, op) -> list:
        # the plan holds integers in signed form: the bit pattern of the source width
        source_width = op.get("source_width", 64)
        return [_float_type(types[0])(ins[0] & ((1 << source_width) - 1))]

    def _arith_fptosi(self, ins, types, attrs, op) -> list:
        value = ins[0]
        return [_wrap(int(value), types[0]) if math.isfinite(value) else 0]

    def _arith_extf(self, ins, types, attrs, op) -> list:
        return [_float_type(types[0])(ins[0])]

    _arith_truncf = _arith_extf

    # memrefs
    def _memref_dim(self, ins, types, attrs, op) -> list:
        return [ins[0].sizes[ins[1]]]

    def _memref_extract_strided_metadata(self, ins, types, attrs, op) -> list:
        view = ins[0]
        base = view.derived(0, (), ())
        return [base, view.offset, *view.sizes, *view.strides]

    def _memref_extract_aligned_pointer_as_index(self, ins, types, attrs, op) -> list:
        return [_wrap(self.device.address(ins[0].owner), "index")]

    def _memref_cast(self, ins, types, attrs, op) -> list:
        return [ins[0]]

    def _memref_reinterpret_cast(self, ins, types, attrs, op) -> list:
        offsets, sizes, strides = _mixed(attrs, ins[1:], ("static_offsets", "static_sizes",
                                                          "static_strides"))
        return [ins[0].derived(offsets[0], sizes, strides)]

    def _memref_alloc(self, ins, types, attrs, op) -> list:
        _, element, shape = types[0]
        dynamic = iter(ins)
        sizes = [next(dynamic) if s is None else s for s in shape]
        dtype = np.dtype(_DTYPES[element])
        if element == "i1":  # `widen-bool-memrefs` made bool buffers bytes
            dtype = np.dtype(np.int8)
        count = math.prod(sizes)
        return [View(self.device.alloc(dtype, count), dtype, 0, tuple(sizes),
                     contiguous_strides(sizes))]

    _memref_alloca = _memref_alloc

    def _memref_dealloc(self, ins, types, attrs, op) -> list:
        return []  # the owner frees it once the plan drops the view

    def _memref_subview(self, ins, types, attrs, op) -> list:
        source = ins[0]
        offsets, sizes, strides = _mixed(attrs, ins[1:], ("static_offsets", "static_sizes",
                                                          "static_strides"))
        offset = source.offset + sum(o * s for o, s in zip(offsets, source.strides))
        new_strides = [a * b for a, b in zip(source.strides, strides)]
        kept = _kept_dims(attrs["static_sizes"], types[0][2])
        return [source.derived(offset, [sizes[d] for d in kept], [new_strides[d] for d in kept])]

    def _memref_collapse_shape(self, ins, types, attrs, op) -> list:
        source = ins[0]
        sizes, strides = [], []
        for group in attrs["reassociation"]:
            sizes.append(math.prod(source.sizes[d] for d in group))
            strides.append(source.strides[group[-1]] if group else 1)
        return [source.derived(source.offset, sizes, strides)]

    def _memref_expand_shape(self, ins, types, attrs, op) -> list:
        source = ins[0]
        dynamic = iter(ins[1:])
        shape = [next(dynamic) if s == DYNAMIC else s for s in attrs["static_output_shape"]]
        strides = [0] * len(shape)
        for d, group in enumerate(attrs["reassociation"]):
            step = source.strides[d]
            for r in reversed(group):
                strides[r] = step
                step *= shape[r]
        for r in range(len(shape)):  # dims no source dim maps to (size 1)
            if not any(r in group for group in attrs["reassociation"]):
                strides[r] = 1
        return [source.derived(source.offset, shape, strides)]

    def _memref_load(self, ins, types, attrs, op) -> list:
        view, indices = ins[0], ins[1:]
        value = self.device.read(view.owner, view.element_offset(indices) * view.dtype.itemsize,
                                 view.dtype)
        return [_scalar(value, types[0])]

    def _memref_store(self, ins, types, attrs, op) -> list:
        value, view, indices = ins[0], ins[1], ins[2:]
        if view.root is not None:
            self.written.add(view.root)
        self.device.write(view.owner, view.element_offset(indices) * view.dtype.itemsize,
                          view.dtype, value)
        return []

    # control flow
    def _scf_if(self, ins, types, attrs, op) -> list:
        return self._region(op, 0 if ins[0] else 1)

    def _scf_for(self, ins, types, attrs, op) -> list:
        lower, upper, step, carried = ins[0], ins[1], ins[2], list(ins[3:])
        for i in range(lower, upper, step):
            carried = self._region(op, 0, [i, *carried])
        return carried

    def _scf_while(self, ins, types, attrs, op) -> list:
        carried = list(ins)
        while True:
            condition, *forwarded = self._region(op, 0, carried)
            if not condition:
                return forwarded
            carried = self._region(op, 1, forwarded)

    # kernels
    def _gpu_launch_func(self, ins, types, attrs, op) -> list:
        # operand groups: async dependencies, grid x y z, block x y z, cluster x y z,
        # dynamic shared memory size, kernel operands, async object
        segments = attrs["operandSegmentSizes"]
        start = segments[0]
        grid = tuple(ins[start:start + 3])
        block = tuple(ins[start + 3:start + 6])
        kernel = attrs["kernel"][-1]
        if any(segments[7:10]):
            raise PlanError(f"kernel {kernel} is launched in thread block clusters, which "
                            "the launcher does not do (a noodle bug)")
        shared_mem = int(ins[sum(segments[:10])]) if segments[10] else 0
        first_operand = sum(segments[:11])
        operands = ins[first_operand:first_operand + segments[11]]
        for position in self.writes.get(kernel, ()):
            root = operands[position].root
            if root is not None:
                self.written.add(root)
        self.device.launch(kernel, grid, block, pack_params(operands, self.params[kernel],
                                                              self.device), shared_mem)
        return []


def _mixed(attrs: dict, dynamic: Sequence[int], names: Sequence[str]) -> list[list[int]]:
    """Static lists with their DYNAMIC entries taken in order from `dynamic`."""
    values = iter(dynamic)
    return [[next(values) if v == DYNAMIC else v for v in attrs[name]] for name in names]


def _kept_dims(static_sizes: Sequence[int], result_shape: Sequence[int | None]) -> list[int]:
    """The dims a rank-reducing subview keeps, matched as MLIR matches them: each source
    dim is kept when it fits the next result dim (both dynamic, or the same static size),
    else dropped, which only a static unit dim may be."""
    kept: list[int] = []
    for d, size in enumerate(static_sizes):
        if len(kept) < len(result_shape):
            wanted = result_shape[len(kept)]
            if (wanted is None and size == DYNAMIC) or wanted == size:
                kept.append(d)
                continue
        if size != 1:
            raise PlanError("a subview drops a dim that is not of size 1 (a noodle bug)")
    return kept


def _scalar(value: object, t: str) -> object:
    if t in ("f64", "f32", "f16"):
        return _float_type(t)(value)
    return _wrap(int(value), t)


def pack_params(operands: Sequence[Any], kinds: Sequence[str], device: Device) -> list:
    """A kernel's parameters: each memref view expanded as the NVVM lowering expands a
    memref argument (allocated and aligned pointer, offset, sizes, strides), each scalar
    as itself; each of the size of its PTX parameter (`_AS_IS`: 8 bytes, else the NumPy
    scalar type of its kind)."""
    flat: list[object] = []
    for value in operands:
        if isinstance(value, View):
            address = device.address(value.owner)
            flat += [address, address, value.offset, *value.sizes, *value.strides]
        else:
            flat.append(value)
    if len(flat) != len(kinds):
        raise PlanError(f"a kernel takes {len(kinds)} parameters, the plan gives {len(flat)} "
                        "(a noodle bug)")
    return [value if kind in _AS_IS else PARAM_TYPES[kind](_param_value(value, kind))
            for value, kind in zip(flat, kinds)]


#: parameter kinds whose plan values CuPy passes right as they are: a Python int as 8
#: bytes (pointers are below 2**63, and the plan holds i64 in signed form), a float or
#: np.float64 as a double. Converting them costs more than the rest of a small launch.
_AS_IS = frozenset({"u64", "i64", "f64"})


def _param_value(value: object, kind: str) -> object:
    """`value` in the range of its parameter's NumPy type: signless integers of the
    plan (a uint8 255 is the i8 -1) wrap to the signed type of their width."""
    if kind == "u64":
        return value & (2**64 - 1)
    if kind == "i1":
        return bool(value)
    if kind[0] == "i":
        return _wrap(int(value), kind)
    return value
