"""The host side of a GPU-compiled function as a plan: JSON-able data a launcher runs.

After kernel outlining, the compiled function's body is what the host does: size and
shape arithmetic, allocating outputs, views of arrays (`reinterpret_cast`, `subview`),
`gpu.launch_func`, the odd element read (a scalar result) or write (the error status),
and structured control flow around launches (a time-step loop). The plan is that body,
op by op, with values numbered:

    {"args": [ids of the function's arguments], "body": [op, ...]}
    op = {"op": name, "in": [ids], "out": [ids], "types": [type of each out],
          "attrs": {...}, "regions": [{"args": [ids], "body": [op, ...]}, ...]}

Types are "index", "iN", "f32"/"f64", or ["memref", dtype, [static sizes, None for ?]].
`runtime.gpu_plan` interprets it; only the ops in `HOST_OPS` may appear, and a host loop
may not touch array elements (that would be a device round trip per element): anything
else is an `UnsupportedError` saying which construct, located at the op's source line
(`file:line:col`, the line and a caret), so the caller can run the function on the CPU
instead.
"""
from __future__ import annotations

from mlir import ir

from noodle.compiler.mlir_diagnostics import mlir_location
from noodle.errors import UnsupportedError

#: The ops a host plan may hold, which `runtime.gpu_plan` knows how to run.
HOST_OPS = frozenset({
    "arith.constant", "arith.addi", "arith.subi", "arith.muli", "arith.divsi", "arith.divui",
    "arith.remsi", "arith.remui", "arith.ceildivsi", "arith.floordivsi", "arith.minsi",
    "arith.maxsi", "arith.minui", "arith.maxui", "arith.andi", "arith.ori", "arith.xori",
    "arith.shli", "arith.shrsi", "arith.shrui", "arith.cmpi", "arith.select",
    "arith.index_cast", "arith.index_castui", "arith.extsi", "arith.extui", "arith.trunci",
    "arith.addf", "arith.subf", "arith.mulf", "arith.divf", "arith.negf", "arith.cmpf",
    "arith.sitofp", "arith.uitofp", "arith.fptosi", "arith.extf", "arith.truncf",
    "arith.remf", "arith.maximumf", "arith.minimumf", "arith.maxnumf", "arith.minnumf",
    "math.powf", "math.atan2", "math.copysign", "math.sqrt", "math.exp", "math.exp2",
    "math.expm1", "math.log", "math.log2", "math.log10", "math.log1p", "math.sin", "math.cos",
    "math.tan", "math.tanh", "math.sinh", "math.cosh", "math.asin", "math.acos", "math.atan",
    "math.absf", "math.floor", "math.ceil", "math.trunc", "math.roundeven",
    "memref.dim", "memref.extract_strided_metadata", "memref.reinterpret_cast",
    "memref.cast", "memref.alloc", "memref.alloca", "memref.dealloc", "memref.subview",
    "memref.collapse_shape", "memref.expand_shape", "memref.load", "memref.store",
    "memref.extract_aligned_pointer_as_index",
    "scf.if", "scf.for", "scf.while", "scf.yield", "scf.condition",
    "gpu.launch_func", "func.return",
})

def type_of(t: ir.Type) -> str | list:
    if isinstance(t, ir.IndexType):
        return "index"
    if isinstance(t, ir.IntegerType):
        return f"i{t.width}"
    if isinstance(t, ir.F64Type):
        return "f64"
    if isinstance(t, ir.F32Type):
        return "f32"
    if isinstance(t, ir.F16Type):
        return "f16"
    if isinstance(t, ir.MemRefType):
        return ["memref", type_of(t.element_type),
                [None if ir.ShapedType.is_dynamic_size(s) else s for s in t.shape]]
    raise UnsupportedError(f"a host value of type {t} is not supported on the GPU path")


def _attribute(value: ir.Attribute) -> object:
    """The JSON form of the op attributes the interpreter reads."""
    if isinstance(value, ir.IntegerAttr):
        return value.value
    if isinstance(value, ir.FloatAttr):
        return {"float": float(value.value).hex()}
    if isinstance(value, ir.BoolAttr):
        return value.value
    if isinstance(value, ir.DenseI64ArrayAttr):
        return list(value)
    if isinstance(value, ir.DenseI32ArrayAttr):
        return list(value)
    if isinstance(value, ir.ArrayAttr):
        return [_attribute(item) for item in value]
    if isinstance(value, ir.SymbolRefAttr):
        return ir.SymbolRefAttr(value).value
    if isinstance(value, ir.StringAttr):
        return value.value
    return None


class _Numbering:
    def __init__(self) -> None:
        self.ids: dict[ir.Value, int] = {}

    def __call__(self, value: ir.Value) -> int:
        if value not in self.ids:
            self.ids[value] = len(self.ids)
        return self.ids[value]


def host_plan(function: ir.Operation) -> dict:
    """The plan of `function` (a func.func whose loops have all become kernel launches)."""
    number = _Numbering()
    block = function.regions[0].blocks[0]
    return {"args": [number(a) for a in block.arguments],
            "body": _ops(block, number, in_loop=False)}


def _ops(block: ir.Block, number: _Numbering, in_loop: bool) -> list[dict]:
    return [_op(op.operation, number, in_loop) for op in block.operations]


def _op(op: ir.Operation, number: _Numbering, in_loop: bool) -> dict:
    name = op.name
    if name not in HOST_OPS:
        raise UnsupportedError(_not_on_host(op), mlir_location(op.location))
    if in_loop and name in ("memref.load", "memref.store") and not _is_status(op):
        raise UnsupportedError(
            "a sequential loop reads or writes array elements one at a time: on the GPU "
            "path that loop would run on the host with a device round trip per element",
            mlir_location(op.location),
            hint="write it with array expressions or noodle.prange, or run the function on "
            "the CPU")
    loop = in_loop or name in ("scf.for", "scf.while")
    data: dict = {"op": name, "in": [number(v) for v in op.operands],
                  "out": [number(r) for r in op.results],
                  "types": [type_of(r.type) for r in op.results]}
    if name in _CASTS:  # how to extend depends on the width cast from
        data["source_width"] = _width(op.operands[0].type)
    named = [op.attributes[i] for i in range(len(op.attributes))]
    attrs = {a.name: _attribute(a.attr) for a in named
             if a.name not in ("fastmath", "overflowFlags")}
    if attrs:
        data["attrs"] = attrs
    if op.regions:
        data["regions"] = [
            {"args": [number(a) for a in region.blocks[0].arguments],
             "body": _ops(region.blocks[0], number, loop)} if len(region.blocks) else
            {"args": [], "body": []}
            for region in op.regions]
    return data


_CASTS = ("arith.index_cast", "arith.index_castui", "arith.extsi", "arith.extui",
          "arith.trunci", "arith.uitofp")


def _width(t: ir.Type) -> int:
    return t.width if isinstance(t, ir.IntegerType) else 64


def _is_status(op: ir.Operation) -> bool:
    """Whether a load or store is of the error status (the function's first argument)."""
    memref_operand = op.operands[0] if op.name == "memref.load" else op.operands[1]
    if not isinstance(memref_operand, ir.BlockArgument):
        return False
    return (memref_operand.owner.owner.operation.name == "func.func"
            and memref_operand.arg_number == 0)


def _not_on_host(op: ir.Operation) -> str:
    name = op.name
    if name == "func.call":
        return "a call that was not inlined is not supported on the GPU path"
    if name.startswith("math.") or name.startswith("llvm.") or name.startswith("func."):
        return (f"scalar code calling {name} runs outside any parallel loop: the GPU path "
                "runs only array expressions, reductions, matrix products and prange loops "
                "in kernels")
    if name.startswith("linalg."):
        return f"{name} was not turned into a kernel (a noodle limitation)"
    return (f"{name} would run on the host, outside any kernel, and the GPU launcher does "
            "not run it")
