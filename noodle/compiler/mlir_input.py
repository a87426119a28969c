"""`.mlir` files as noodlec's input: a module in nir and upstream dialects (func, arith,
math, scf, memref, linalg, ...; code on tensors is bufferized first), parsed with noodle's
dialects loaded and lowered by the same passes as a Python kernel. Each public
`func.func` becomes a C function of the same name (`c_abi.py`): memref arguments are
arrays (an identity layout asks for C-contiguous ones, static sizes and strides are
checked), integer, index and float arguments are scalars. The function itself is renamed
(`noodle_mlir_<name>`) so that the C function can take its name."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from mlir import ir, passmanager

from noodle.compiler.aot import Built, Timer, add_c_function
from noodle.compiler.backend import external_symbols
from noodle.compiler.c_abi import (CArray, CFunction, CParam, CScalar, CType, check_function_name,
                                   check_result, python_metadata)
from noodle.compiler.mlir_diagnostics import error_from_mlir, mlir_location
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import NONE, Array, NType, Scalar, TupleType
from noodle.dialects import make_context
from noodle.errors import NoodleError, SourceLocation, UnsupportedError

CALLEE_PREFIX = "noodle_mlir_"
_DYNAMIC = ir.ShapedType.get_dynamic_size()


def parse_file(path: Path, context: ir.Context) -> ir.Module:
    """The module in `path`, verified; a NoodleError at the first diagnostic's location."""
    with context:
        try:
            return ir.Module.parseFile(str(path))
        except ir.MLIRError as e:
            if not e.error_diagnostics:
                raise NoodleError(f"cannot parse {path}: {e}") from None
            raise error_from_mlir(e, None, path) from None


def element_dtype(t: ir.Type, where: SourceLocation | None) -> np.dtype:
    if isinstance(t, ir.F64Type):
        return np.dtype(np.float64)
    if isinstance(t, ir.F32Type):
        return np.dtype(np.float32)
    if isinstance(t, ir.IndexType):
        return np.dtype(np.int64)
    if isinstance(t, ir.IntegerType):
        if t.width == 1:
            return np.dtype(np.bool_)
        if t.width in (8, 16, 32, 64) and not t.is_unsigned:
            return np.dtype(f"int{t.width}")
    raise UnsupportedError(f"the C ABI has no type for {t}", where)


def c_type_of_mlir(t: ir.Type, where: SourceLocation | None) -> CType:
    if not isinstance(t, ir.MemRefType):
        return CScalar(element_dtype(t, where))
    memref = t
    dtype = element_dtype(memref.element_type, where)
    sizes = tuple(None if s == _DYNAMIC else s for s in memref.shape)
    strides, offset = memref.get_strides_and_offset()
    if offset != 0 and offset != _DYNAMIC:
        raise UnsupportedError(f"{t}: an array's memory starts at its first element in the "
                               "C ABI (a static offset is not supported)", where)
    identity = isinstance(memref.layout, ir.AffineMapAttr)
    static = tuple(None if s == _DYNAMIC else s for s in strides)
    return CArray(dtype, memref.rank, sizes, static, contiguous=identity)


def nir_type(t: CType) -> NType:
    """How `noodle.load` checks a Python argument for a parameter of C type `t`."""
    weak = t.dtype.name in ("float64", "int64", "bool")
    if isinstance(t, CScalar):
        return Scalar(t.dtype, weak)
    return Array(t.dtype, t.ndim, "C" if t.contiguous else "A")


def public_functions(module: ir.Module, path: Path) -> list[tuple[ir.Operation, CFunction]]:
    """The public func.func ops of `module` and their C functions (not yet renamed)."""
    out = []
    for op in module.body.operations:
        if op.operation.name != "func.func" or "sym_visibility" in op.attributes:
            continue
        if len(op.regions[0].blocks) == 0:  # a declaration
            continue
        name = str(ir.StringAttr(op.attributes["sym_name"]).value)
        where = mlir_location(op.location, path)
        try:
            check_function_name(name)
        except ValueError as e:
            raise NoodleError(str(e), where) from None
        ftype = ir.FunctionType(ir.TypeAttr(op.attributes["function_type"]).value)
        params = [CParam(f"arg{i}", c_type_of_mlir(t, where))
                  for i, t in enumerate(ftype.inputs)]
        results = [c_type_of_mlir(t, where) for t in ftype.results]
        for r in results:
            try:
                check_result(r, name)
            except ValueError as e:
                raise NoodleError(str(e), where) from None
        arg_types = tuple(nir_type(p.type) for p in params)
        leaves = [nir_type(r) for r in results]
        result_type = (NONE if not leaves else leaves[0] if len(leaves) == 1
                       else TupleType(tuple(leaves)))
        signature = f"{ftype}"
        python = python_metadata(name, signature, arg_types, result_type)
        out.append((op, CFunction(name, CALLEE_PREFIX + name, params, results,
                                  noodle_kernel=False, python=python, where=where)))
    return out


#: Upstream code on tensors (linalg, tensor) gets buffers first; at the functions' boundary
#: identity layouts, so that a tensor argument is a C-contiguous array. Elementwise ops
#: on whole tensors (`arith.addf %a, %b : tensor<?xf32>`, math too) are plain upstream IR
#: that bufferization has no rule for: they become linalg.generic ops first.
BUFFERIZE = ("builtin.module(func.func(convert-elementwise-to-linalg),"
             "one-shot-bufferize{bufferize-function-boundaries "
             "function-boundary-type-conversion=identity-layout-map})")

#: dialects of tensor code that noodlec takes only once lowered to linalg, and how
UNLOWERED_TENSOR_DIALECTS = {
    "tosa": "lower it to linalg first, e.g. mlir-opt --pass-pipeline='builtin.module("
            "func.func(tosa-to-linalg-named,tosa-to-linalg,tosa-to-arith,tosa-to-tensor))'",
}


def _read_only_tensor_arguments(module: ir.Module) -> None:
    """Mark each tensor argument of a defined function `bufferization.writable = false`:
    a tensor is a value, so the caller's array must not change, but one-shot
    bufferization takes function arguments as writable and would reuse an argument's
    buffer for a result (`%y = arith.addf %x, %x` written into %x)."""
    for op in module.body.operations:
        if op.operation.name != "func.func" or len(op.regions[0].blocks) == 0:
            continue
        ftype = ir.FunctionType(ir.TypeAttr(op.attributes["function_type"]).value)
        old = (list(ir.ArrayAttr(op.attributes["arg_attrs"]))
               if "arg_attrs" in op.attributes else [ir.DictAttr.get({})] * len(ftype.inputs))
        new = []
        for t, attrs in zip(ftype.inputs, old):
            entries = {a.name: a.attr for a in ir.DictAttr(attrs)}
            if isinstance(t, ir.RankedTensorType):
                entries["bufferization.writable"] = ir.BoolAttr.get(False)
            new.append(ir.DictAttr.get(entries))
        op.attributes["arg_attrs"] = ir.ArrayAttr.get(new)


def bufferize(module: ir.Module) -> None:
    """Buffers for the tensors of `module` (`BUFFERIZE`), in place: the CPU and the GPU
    paths both start from memrefs. A located UnsupportedError where an op cannot have
    them."""
    found: list[ir.Operation] = []

    def visit(op: ir.Operation) -> ir.WalkResult:
        if op.name.split(".", 1)[0] in UNLOWERED_TENSOR_DIALECTS:
            found.append(op)
            return ir.WalkResult.INTERRUPT
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    if found:
        op = found[0]
        raise UnsupportedError(f"noodlec does not compile '{op.name}' (a {op.name.split('.')[0]}"
                               " op)", mlir_location(op.location),
                               UNLOWERED_TENSOR_DIALECTS[op.name.split(".", 1)[0]])
    _read_only_tensor_arguments(module)
    try:
        passmanager.PassManager.parse(BUFFERIZE).run(module.operation)
    except ir.MLIRError as e:
        raise error_from_mlir(e, "the tensors of this module do not bufferize",
                              kind=UnsupportedError) from None


def compile_mlir_file(path: Path, built: Built, options: CompileOptions, until: str,
                      timer: Timer | None) -> None:
    """Add the stages of the `.mlir` file `path` to `built` (up to `until`)."""
    from noodle.compiler.pipeline import lower_module, translate

    what = str(path)
    start = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal start
        now = time.perf_counter()
        if timer is not None:
            timer(stage, now - start, what)
        start = now

    context = make_context()
    module = parse_file(path, context)
    texts = {"nir": str(module)}
    lap("nir")
    if until == "nir":
        built.units.append((what, texts))
        return
    with context, ir.Location.unknown():
        if "tensor<" in texts["nir"]:
            bufferize(module)
        functions = public_functions(module, path)
        if not functions:
            # a library that exports nothing is a mistake, most often `--emit nir` output
            # fed back in
            raise NoodleError(
                f"{path}: no public func.func to compile",
                hint="noodlec exports each public func.func; the functions `noodlec --emit "
                "nir` prints are private (noodle's internal calling convention): compile "
                "the Python source instead")
        for op, f in functions:
            old = ir.StringAttr(op.attributes["sym_name"]).value
            ir.SymbolTable.replace_all_symbol_uses(old, f.callee, module.operation)
            op.attributes["sym_name"] = ir.StringAttr.get(f.callee)
        lower_module(module, options)
        texts["mlir"] = str(module)
        lap("mlir")
        built.units.append((what, texts))
        if until == "mlir":
            return
        module_ir = translate(module)
    for _, f in functions:
        module_ir = add_c_function(module_ir, f)
        built.functions.append(f)
    lap("llvm")
    built.llvm_modules.append(module_ir)
    built.externals.update(external_symbols(module_ir))
