"""The compile pipeline as a table of stages, each a plain function of the previous
stage's output. The same table serves compilation, `f.inspect(stage=...)`, and
`NOODLE_DUMP_IR`.

    nir      the frontend's module: nir ops on memrefs, scf/arith/math for scalars
    mlir     after lowering to the LLVM dialect
    llvm     LLVM IR text
    asm      native assembly (made only when asked for: a second code generation)
    obj      native object code (bytes)
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from types import FunctionType

from mlir import ir, passmanager
from mlir.dialects import func
# the translation lives in the LLVM dialect's native module; `mlir.dialects.llvm` adds its
# generated op classes, ~12 ms to import, a tenth of a first compile in a fresh process
from mlir._mlir_libs._mlirDialectsLLVM import translate_module_to_llvmir

from noodle.compiler import backend
from noodle.compiler.blas import numpy_blas
from noodle.compiler.dependencies import make_manifest
from noodle.compiler.frontend.unit import CompilationUnit
from noodle.compiler.kernel import Kernel
from noodle.compiler.mlir_diagnostics import check_lowered, error_from_mlir
from noodle.compiler.options import CompileOptions
from noodle.compiler.python_entry_writer import python_entry_ir
from noodle.compiler.types import NType
from noodle.dialects.context import compile_context
from noodle.errors import LoweringError
from noodle.passes.apply_loop_hints import apply_loop_hints
from noodle.passes.check_allocations import PASS_NAME as CHECK_ALLOCATIONS
from noodle.passes.check_allocations import ErrorSites, check_allocations_in
from noodle.passes.approximate_exp import approximate_exp
from noodle.passes.approximate_log import approximate_log
from noodle.passes.approximate_pow import approximate_pow
from noodle.passes.approximate_sin_cos import approximate_sin_cos
from noodle.passes.approximate_tanh import approximate_tanh
from noodle.passes.fastmath import apply_fastmath
from noodle.passes.fuse_multiply_adds import fuse_multiply_adds
from noodle.passes.guided_parallel_loops import PASS_NAME as GUIDED_PARALLEL_LOOPS
from noodle.passes.guided_parallel_loops import guided_parallel_loops_pass
from noodle.passes.huge_page_allocations import huge_page_allocations
from noodle.passes.lower_nir import lower_nir
from noodle.passes.nir_cleanup import nir_cleanup
from noodle.passes.nir_fold import nir_fold
from noodle.passes.nir_fusion import fuse_elementwise
from noodle.passes.nir_never_negative import nir_never_negative
from noodle.passes.nir_simplify import nir_simplify
from noodle.passes.parallel_chunks import MIN_TASK_SIZE
from noodle.passes.reuse_buffers import PASS_NAME as REUSE_BUFFERS
from noodle.passes.reuse_buffers import reuse_buffers_pass
from noodle.passes.skip_empty_loop_nests import skip_empty_loop_nests
from noodle.passes.return_on_failed_allocation import return_on_failed_allocation
from noodle.passes.unswitch_loops import unswitch_loops
from noodle.passes.vectorize_outer_loops import vectorize_outer_loops
from noodle.passes.version_broadcasts import version_broadcasts
from noodle.passes.widen_bool_memrefs import widen_bool_memrefs

#: The passes that write math functions out in arith ops, so that loops calling them
#: vectorise (libm's scalar calls keep a loop scalar); `approximate_exp` too, which is
#: told how the target scales by 2^n
MATH_APPROXIMATIONS = (approximate_log, approximate_sin_cos, approximate_tanh, approximate_pow)

#: Upstream passes from memrefs, linalg and scf down to the LLVM dialect. Buffer
#: deallocation needs structured control flow, so it runs before scf becomes cf; before
#: it, noodle's `reuse-buffers` lets temporaries share buffers.
BEFORE_DEALLOCATION = ",".join([
    "canonicalize", "cse",
    "convert-linalg-to-loops",
    # temporaries whose size does not change in a loop and which do not outlive an
    # iteration are allocated once, before the loop (sizes first: `memref.dim` and the
    # arithmetic on it leave the loop); one made under a condition stays under it
    # (upstream's buffer-hoisting would allocate jacobi's rarely needed temporary always)
    "loop-invariant-code-motion", "func.func(buffer-loop-hoisting)",
])
DEALLOCATION = ",".join([
    # private functions return, with each array, whether the caller owns it: that is
    # how a returned view of an argument stays a view (see `add_entry_point`)
    "ownership-based-buffer-deallocation{private-function-dynamic-ownership=true}",
    "canonicalize",
    "buffer-deallocation-simplification", "bufferization-lower-deallocations",
    "convert-bufferization-to-memref",
    "canonicalize", "cse",
])
TO_LLVM_DIALECT = ",".join([
    # affine ops (an upstream input's, and expand-strided-metadata's affine.apply) become
    # scf loops and arith, so they go before scf becomes cf
    "expand-strided-metadata", "lower-affine", "convert-scf-to-cf",
    # complex arithmetic becomes arith/math on the parts, before math is lowered; what is
    # left (complex.create, re, im and the complex type) is the LLVM dialect's struct
    "convert-complex-to-standard",
    # the vector loops of `vectorize-outer-loops`; then allocations call
    # _mlir_memref_to_llvm_alloc, which `huge-page-allocations` defines
    "convert-vector-to-llvm", "finalize-memref-to-llvm{use-generic-functions=true}",
    "convert-math-to-llvm", "convert-math-to-libm", "convert-complex-to-llvm",
    "convert-arith-to-llvm", "convert-index-to-llvm",
    "convert-cf-to-llvm", "convert-func-to-llvm", "convert-ub-to-llvm",
    "reconcile-unrealized-casts", "canonicalize",
])


#: `parallel=True`: the parallel dimensions of linalg ops become `scf.parallel` loops,
#: which `async-parallel-for` cuts into blocks run as tasks on noodle's async runtime
#: (noodle/runtime/async_runtime.c), one thread per core, the caller's among them. Why
#: this lowering: its pass outlines the loop bodies (captured values included) and comes
#: with the toolchain, and a kernel calls the runtime without the GIL. Why noodle's own
#: runtime behind MLIR's API: its threads stay awake between kernels, as OpenMP's do
#: (async_runtime.c says more); OpenMP's lowering would need libomp, which the machines
#: lack. Tasks of fewer than `MIN_TASK_SIZE` iterations are not worth a thread: smaller
#: loops stay on the caller's.
ASYNC_TO_LLVM = ",".join([
    f"async-parallel-for{{async-dispatch=true num-workers=-1 min-task-size={MIN_TASK_SIZE}}}",
    "async-to-async-runtime", "async-runtime-ref-counting", "async-runtime-ref-counting-opt",
    "convert-async-to-llvm",
])


#: `noodle.prange` loops are scf.parallel from the frontend on, and go into tasks first,
#: before linalg's loops join them: whatever their trip count, since the user asked (an
#: iteration of a prange loop is typically a whole row of work). `guided-parallel-loops`
#: cuts each into chunks that shrink towards its end, and one task per chunk
#: (`num-workers=256` allows up to 154) is queued in order (`async-dispatch=false`), so
#: that the threads take the chunks in order and the last ones, short, end together.
PRANGE_TO_TASKS = "async-parallel-for{async-dispatch=false num-workers=256 min-task-size=1}"


def to_loops(parallel: bool, error_site: ErrorSites | None = None) -> passmanager.PassManager:
    """The passes from lowered nir to loops on memrefs, with buffers freed and
    allocations checked (`error_site` makes the status code of each failure)."""
    before = BEFORE_DEALLOCATION
    if parallel:
        # buffer deallocation knows no async ops: it runs first, on linalg ops
        before = before.replace("convert-linalg-to-loops,", "")
    manager = passmanager.PassManager.parse(f"builtin.module({before})")
    manager.add(reuse_buffers_pass, name=REUSE_BUFFERS)
    manager.add(DEALLOCATION)
    # before prange bodies leave their functions, whose first argument is the status cell
    manager.add(lambda op, pass_: check_allocations_in(op, error_site), name=CHECK_ALLOCATIONS)
    if parallel:
        manager.add(guided_parallel_loops_pass, name=GUIDED_PARALLEL_LOOPS)
        manager.add(",".join([PRANGE_TO_TASKS, "convert-linalg-to-parallel-loops",
                              "canonicalize", "cse"]))
    return manager


def to_llvm_dialect(parallel: bool) -> str:
    return f"{ASYNC_TO_LLVM},{TO_LLVM_DIALECT}" if parallel else TO_LLVM_DIALECT


def _dump(stage: str, function: str, text: str | bytes) -> None:
    if os.environ.get("NOODLE_DUMP_IR") and isinstance(text, str):
        print(f"// ----- noodle {stage}: {function} -----\n{text}", file=sys.stderr)


def make_nir(pyfunc: FunctionType, arg_types: tuple[NType, ...], options: CompileOptions,
             returns: NType | None = None) -> tuple[CompilationUnit, str, NType]:
    """The NIR module of `pyfunc` for `arg_types`, returning `returns` where a signature
    declares the return type."""
    unit = CompilationUnit(compile_context(), options)
    symbol, result_type = unit.function(pyfunc, arg_types, returns=returns)
    return unit, symbol, result_type


def entry_symbol(symbol: str) -> str:
    return f"{symbol}__entry"


def add_entry_point(unit: CompilationUnit, symbol: str) -> None:
    """A public wrapper of the private kernel, with a C interface for the executor.

    Added after buffer deallocation: a public function must return arrays its caller
    owns, so deallocation would copy a returned view of an argument. The wrapper
    passes on the kernel's results and, for each array, the flag saying whether the
    caller owns it (else it is a view of an argument)."""
    with unit.context, ir.Location.unknown():
        kernel = ir.SymbolTable(unit.module.operation)[symbol]
        ftype = ir.FunctionType(ir.TypeAttr(kernel.attributes["function_type"]).value)
        with ir.InsertionPoint(unit.module.body):
            wrapper = func.FuncOp(entry_symbol(symbol), ftype)
            wrapper.attributes["llvm.emit_c_interface"] = ir.UnitAttr.get()
            block = wrapper.add_entry_block()
            with ir.InsertionPoint(block):
                call = func.CallOp(list(ftype.results), symbol, list(block.arguments))
                func.ReturnOp(list(call.results))


def make_mlir(unit: CompilationUnit, symbol: str, options: CompileOptions) -> None:
    """nir -> LLVM dialect, in place, as `options` ask (parallel loops, fast math)."""
    with unit.context:
        lower_module(unit.module, options, lambda: add_entry_point(unit, symbol),
                     unit.error_site)


def vectorize_loops(module: ir.Module) -> None:
    """Outer loops whose inner loops LLVM cannot vectorise run several iterations at once
    (`vectorize-outer-loops`). Integer range analysis first drops the checks that loop
    indices are never negative, which would otherwise hide that an index steps by one.
    Affine loops (an upstream input's) become scf first: the analysis aborts the process
    on an `affine.for` with a symbolic bound (an assertion in these LLVM builds). Loops
    that carry the error flag of a check whose outcome no iteration changes are split on
    it (`unswitch-loops`), and canonicalisation removes the flag from the copy for "no
    error"."""
    passmanager.PassManager.parse(
        "builtin.module(lower-affine,int-range-optimizations)").run(module.operation)
    unswitch_loops(module.operation)
    passmanager.PassManager.parse("builtin.module(canonicalize,cse)").run(module.operation)
    vectorize_outer_loops(module.operation, backend.simd_bits())


def lower_module(module: ir.Module, options: CompileOptions,
                 after_deallocation: Callable[[], None] | None = None,
                 error_site: ErrorSites | None = None) -> None:
    """A module of nir and upstream dialects on memrefs -> LLVM dialect, in place (in
    the module's context). `after_deallocation` adds functions that must not have their
    results copied by buffer deallocation (the JIT's entry point); `error_site` makes
    the status code of each allocation's failures (`check-allocations`)."""
    parallel = options.parallel
    try:
        module.operation.verify()
        # one value for each size the frontend computed at each use, which nir-fold
        # compares to tell arrays of one shape
        passmanager.PassManager.parse("builtin.module(cse)").run(module.operation)
        nir_simplify(module)
        nir_never_negative(module)
        nir_fold(module)
        nir_cleanup(module)
        fuse_elementwise(module)
        blas = numpy_blas() if options.blas else None
        lower_nir(module, blas.interface if blas is not None else None, parallel)
        optimising = options.llvm_opt_level > 0
        if optimising:
            version_broadcasts(module.operation)
        apply_fastmath(module, options.fastmath)
        approximate_exp(module, ldexp=backend.has_vector_ldexp())
        for approximate in MATH_APPROXIMATIONS:
            approximate(module)
        fuse_multiply_adds(module.operation)
        to_loops(parallel, error_site).run(module.operation)
        if not optimising:  # LLVM deletes empty loops when it optimises
            skip_empty_loop_nests(module.operation)
        if after_deallocation is not None:
            after_deallocation()
        widen_bool_memrefs(module.operation)
        if optimising:
            vectorize_loops(module)
        passmanager.PassManager.parse(f"builtin.module({to_llvm_dialect(parallel)})").run(
            module.operation)
        if optimising:
            apply_loop_hints(module.operation)
        return_on_failed_allocation(module)
        huge_page_allocations(module)
    except ir.MLIRError as e:  # a noodle bug, or an `.mlir` input noodle cannot lower
        raise error_from_mlir(e, "lowering failed", kind=LoweringError) from None
    # translation would crash the process on any op it cannot take: refuse here
    check_lowered(module)


def translate(module: ir.Module) -> str:
    """LLVM IR of a module `lower_module` made (in the module's context). The bindings'
    translation returns no error: on failure it dereferences a null module and the
    process dies, so the module is checked first (`check_lowered`)."""
    check_lowered(module)
    return translate_module_to_llvmir(module.operation)


def make_llvm(unit: CompilationUnit) -> str:
    with unit.context:
        return translate(unit.module)


#: Makes a kernel's final LLVM IR from the kernel and the IR of its module: by default
#: (None) the module with the JIT's Python entry point added where the result type allows
#: one; noodlec's gives the module with its C functions instead (`compiler/c_abi.py`),
#: so that a shared library needs no libpython.
EntryWriter = Callable[[Kernel, str], str]


def compile_function(pyfunc: FunctionType, arg_types: tuple[NType, ...],
                     options: CompileOptions, entry_writer: EntryWriter | None = None,
                     on_stage: Callable[[str, str | bytes], None] | None = None,
                     last_stage: str = "obj", returns: NType | None = None) -> Kernel:
    """Python function + argument types -> native object code and every stage's text.
    `on_stage(stage, text)` is told of each stage as soon as it is made (noodlec times
    them); `last_stage` "mlir" or "llvm" stops after that stage (noodlec links the LLVM
    IR of several kernels and generates code once); `returns`: the return type a
    signature declares (a scalar result is converted to it)."""
    unit, symbol, result_type = make_nir(pyfunc, arg_types, options, returns)
    reads = {f: source.reads for f, source in unit.sources.items()}
    kernel = Kernel(symbol, entry_symbol(symbol), arg_types, result_type, list(unit.sites),
                    make_manifest(pyfunc, reads))

    def keep(stage: str, text: str | bytes) -> None:
        kernel.stages[stage] = text
        _dump(stage, pyfunc.__qualname__, text)
        if on_stage is not None:
            on_stage(stage, text)

    keep("nir", str(unit.module))
    make_mlir(unit, symbol, options)
    kernel.sites = list(unit.sites)  # with those of the allocations' failures
    keep("mlir", str(unit.module))
    if last_stage == "mlir":
        return kernel
    llvm_ir = make_llvm(unit)
    if entry_writer is not None:
        llvm_ir = entry_writer(kernel, llvm_ir)
    else:
        llvm_ir += python_entry_ir(symbol, kernel.entry, arg_types, result_type, llvm_ir)
        kernel.python_entry = True
    keep("llvm", llvm_ir)
    kernel.externals = backend.external_symbols(llvm_ir)
    if last_stage == "llvm":
        return kernel
    if os.environ.get("NOODLE_DUMP_IR"):
        keep("asm", backend.emit_assembly(llvm_ir, options.llvm_opt_level))
    keep("obj", backend.emit_object(llvm_ir, options.llvm_opt_level))
    return kernel


def assembly(kernel: Kernel, options: CompileOptions) -> str:
    """The `asm` stage of a compiled kernel, made when asked for."""
    if "asm" not in kernel.stages:
        kernel.stages["asm"] = backend.emit_assembly(kernel.stages["llvm"],
                                                     options.llvm_opt_level)
    return kernel.stages["asm"]
