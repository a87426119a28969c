"""Compile-and-call harness for testing the nir lowering through real machine code.

A test declares kernels (parameters + a body that emits nir ops) into one `KernelModule`,
which lowers, runs the LLVM pipeline and JIT-compiles them together, since compiling
dominates the run time. Kernels return nothing: a body writes its result into an
output parameter (`nir.assign`), so every call is `kernel(*inputs, out)` on NumPy values.
"""
from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from mlir import ir, passmanager
from mlir.dialects import func
from mlir.execution_engine import ExecutionEngine
from mlir.runtime import get_ranked_memref_descriptor

from noodle.dialects import make_context, nir
from noodle.passes.lower_nir import lower_nir
from noodle.passes.widen_bool_memrefs import widen_bool_memrefs

#: What follows lower-nir down to the LLVM dialect, as noodle's compile pipeline runs it:
#: loops and buffer deallocation, then bool memrefs widened to bytes (memref-to-LLVM
#: cannot store i1), then the conversion to the LLVM dialect.
TO_LOOPS = (
    "builtin.module(canonicalize,cse,convert-linalg-to-loops,"
    "ownership-based-buffer-deallocation,canonicalize,buffer-deallocation-simplification,"
    "bufferization-lower-deallocations,convert-bufferization-to-memref,canonicalize,cse)")
TO_LLVM_DIALECT = (
    "builtin.module(convert-scf-to-cf,expand-strided-metadata,lower-affine,"
    "finalize-memref-to-llvm,convert-math-to-llvm,convert-math-to-libm,"
    "convert-arith-to-llvm,convert-index-to-llvm,convert-cf-to-llvm,convert-func-to-llvm,"
    "convert-ub-to-llvm,reconcile-unrealized-casts,canonicalize)")


def lower_to_llvm_dialect(module: ir.Module) -> None:
    """Runs the upstream pipeline (and bool widening) on a module lower-nir has lowered."""
    passmanager.PassManager.parse(TO_LOOPS).run(module.operation)
    widen_bool_memrefs(module.operation)
    passmanager.PassManager.parse(TO_LLVM_DIALECT).run(module.operation)


@dataclass(frozen=True)
class Param:
    """A kernel parameter: an array of `rank` (canonical memref) or a scalar (rank None)."""
    dtype: str
    rank: int | None = None

    @property
    def mlir_type(self) -> ir.Type:
        if self.rank is None:
            return nir.element_type(self.dtype)
        return nir.array_type(self.dtype, self.rank)


def array(dtype: str, rank: int) -> Param:
    return Param(dtype, rank)


def scalar(dtype: str) -> Param:
    return Param(dtype)


Body = Callable[..., None]


class KernelModule:
    """Kernels built into one module and compiled together by `compile()`."""

    def __init__(self) -> None:
        self.context = make_context()
        with self.context, ir.Location.unknown():
            self.module = ir.Module.create()
        self._params: dict[str, tuple[Param, ...]] = {}

    def add(self, name: str, params: Sequence[Param], body: Body) -> None:
        """Adds kernel `name`; `body(*args)` emits its ops given the parameter values."""
        with self.context, ir.Location.unknown(), ir.InsertionPoint(self.module.body):
            func_op = func.FuncOp(name, ([p.mlir_type for p in params], []))
            func_op.attributes["llvm.emit_c_interface"] = ir.UnitAttr.get()
            with ir.InsertionPoint(func_op.add_entry_block()):
                body(*func_op.arguments)
                func.ReturnOp([])
        self._params[name] = tuple(params)

    def lower(self) -> None:
        """Runs lower-nir and the LLVM pipeline on the module (no JIT)."""
        with self.context:
            self.module.operation.verify()
            lower_nir(self.module)
            self.module.operation.verify()
            lower_to_llvm_dialect(self.module)

    def compile(self, opt_level: int = 0) -> dict[str, Callable[..., None]]:
        """Lowers, JIT-compiles, and returns a NumPy-level callable per kernel."""
        self.lower()
        with self.context:
            engine = ExecutionEngine(self.module, opt_level=opt_level)
        return {name: _caller(engine, name, params) for name, params in self._params.items()}


def _caller(engine: ExecutionEngine, name: str,
            params: tuple[Param, ...]) -> Callable[..., None]:
    def call(*values: object) -> None:
        assert len(values) == len(params), f"{name} takes {len(params)} arguments"
        args = [_as_ctypes_arg(param, value) for param, value in zip(params, values)]
        engine.invoke(name, *args)
    call.engine = engine  # keep the JIT alive as long as the callable
    return call


def _as_ctypes_arg(param: Param, value: object) -> object:
    """A pointer to the argument as the packed C interface reads it."""
    if param.rank is None:
        c_type = np.ctypeslib.as_ctypes_type(np.dtype(param.dtype))
        return ctypes.pointer(c_type(np.dtype(param.dtype).type(value).item()))
    assert isinstance(value, np.ndarray) and value.dtype == np.dtype(param.dtype), (
        f"expected a {param.dtype} array, got {value!r}")
    assert value.ndim == param.rank
    return ctypes.pointer(ctypes.pointer(get_ranked_memref_descriptor(value)))
