"""`.mlir` files as noodlec's input: a module in nir and upstream dialects (func, arith,
math, scf, memref, linalg, ...; code on tensors is bufferized first), parsed with noodle's
dialects loaded and lowered by the same passes as a Python kernel. Each public
`func.func` becomes a C function of the same name (`c_abi.py`): memref arguments are
arrays (an identity layout asks for C-contiguous ones, static sizes and strides are
checked), integer, index and float arguments are scalars. The function itself is renamed
(`noodle_mlir_<name>`) so that the C function can take its name."""
from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
from mlir import ir, passmanager

from noodle.compiler.aot import Built, Timer, add_c_function
from noodle.compiler.backend import external_symbols
from noodle.compiler.c_abi import (CArray, CFunction, CParam, CScalar, CType, check_identifier,
                                   check_result, python_metadata)
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import NONE, Array, NType, Scalar, TupleType
from noodle.dialects import make_context
from noodle.errors import NoodleError, SourceLocation, UnsupportedError

CALLEE_PREFIX = "noodle_mlir_"
_DYNAMIC = ir.ShapedType.get_dynamic_size()


def mlir_location(loc: ir.Location, path: Path) -> SourceLocation | None:
    """The file position of an op or diagnostic of the file `path` (None where it has
    none): MLIR's columns are 1-based, SourceLocation's 0-based."""
    found = re.search(r'loc\("([^"]*)":(\d+):(\d+)', str(loc))
    if found is None:
        return None
    name = found.group(1)
    return SourceLocation(name if name not in ("-", "") else str(path), int(found.group(2)),
                          int(found.group(3)) - 1)


def parse_file(path: Path, context: ir.Context) -> ir.Module:
    """The module in `path`, verified; a NoodleError at the first diagnostic's location."""
    with context:
        try:
            return ir.Module.parseFile(str(path))
        except ir.MLIRError as e:
            diagnostics = e.error_diagnostics
            if not diagnostics:
                raise NoodleError(f"cannot parse {path}: {e}") from None
            first = diagnostics[0]
            notes = "; ".join(n.message for n in first.notes) or None
            raise NoodleError(first.message, mlir_location(first.location, path),
                              notes) from None


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
            check_identifier(name)
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
        out.append((op, CFunction(name, CALLEE_PREFIX + name, params, results, results,
                                  noodle_kernel=False, python=python)))
    return out


#: Upstream code on tensors (linalg, tensor) gets buffers first; at the functions' boundary
#: identity layouts, so that a tensor argument is a C-contiguous array
BUFFERIZE = ("builtin.module(one-shot-bufferize{bufferize-function-boundaries "
             "function-boundary-type-conversion=identity-layout-map})")


def bufferize(module: ir.Module) -> None:
    """Buffers for the tensors of `module` (`BUFFERIZE`), in place: the CPU and the GPU
    paths both start from memrefs."""
    try:
        passmanager.PassManager.parse(BUFFERIZE).run(module.operation)
    except ir.MLIRError as e:
        raise UnsupportedError(f"the tensors of this module do not bufferize: {e}") from None


def compile_mlir_file(path: Path, built: Built, options: CompileOptions, until: str,
                      timer: Timer | None) -> None:
    """Add the stages of the `.mlir` file `path` to `built` (up to `until`)."""
    from noodle.compiler.pipeline import lower_module, translate_module_to_llvmir

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
        module_ir = translate_module_to_llvmir(module.operation)
    for _, f in functions:
        module_ir = add_c_function(module_ir, f)
        built.functions.append(f)
    lap("llvm")
    built.llvm_modules.append(module_ir)
    built.externals.update(external_symbols(module_ir))
