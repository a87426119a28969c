"""Ahead-of-time compilation (noodlec): Python functions with explicit signatures and
`.mlir` modules -> one library, through a table of stages as plain functions:

    nir   each input's module before lowering (a Python function's frontend output, or
          the `.mlir` file as parsed), one module per function or file
    mlir  the same, lowered to the LLVM dialect
    llvm  one LLVM IR module: every input's, with the C functions of `c_abi.py` added,
          linked, everything but the C functions made internal; `--emit llvm` prints it
          as LLVM's pipeline at the chosen level leaves it (`make_llvm`)
    asm   native assembly of it, position-independent
    obj   native object code of it, position-independent
    so    a shared library (linked by `shared_library.py`) and its header

Several kernels go into one LLVM module before code generation, so that code is made
once (not once per kernel), a kernel's entry is inlined into its C function, and two
kernels' internal names never clash. Errors: NoodleError with the source's location.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FunctionType
from typing import TypeVar

import llvmlite.binding as llvm

from noodle.compiler import backend, c_abi
from noodle.compiler.c_abi import CFunction
from noodle.compiler.c_abi_writer import library_ir, wrapper_ir
from noodle.compiler.errors_table import ErrorSite
from noodle.compiler.kernel import Kernel
from noodle.compiler.options import CompileOptions
from noodle.compiler.pipeline import compile_function, make_nir
from noodle.compiler.types import NType, leaf_types
from noodle.errors import NoodleError, SourceLocation

#: what `--emit` can ask for, in pipeline order (`so` also writes the header)
EMIT_KINDS = ("nir", "mlir", "llvm", "asm", "obj", "so")


@dataclass
class PythonSignature:
    """One Python function compiled for one signature, and the C function it becomes."""
    pyfunc: FunctionType
    signature: str  # as written, for the header and `noodle.load`
    arg_types: tuple[NType, ...]
    declared_return: NType | None
    c_name: str
    param_names: list[str]
    options: CompileOptions


@dataclass
class MlirFile:
    path: Path


@dataclass
class Built:
    """What the stages made so far."""
    #: per input unit (function signature or file): its `nir` and `mlir` texts
    units: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    functions: list[CFunction] = field(default_factory=list)
    sites: list[ErrorSite] = field(default_factory=list)
    llvm_modules: list[str] = field(default_factory=list)
    externals: set[str] = field(default_factory=set)
    llvm: str = ""


#: (stage, seconds, what it was for) as each stage finishes
Timer = Callable[[str, float, str], None]
T = TypeVar("T")


def build(inputs: list[PythonSignature | MlirFile], lib: str, options: CompileOptions,
          until: str, timer: Timer | None = None) -> Built:
    """Run the stages up to `until` (nir, mlir or llvm; the later ones are `make_*` of
    the result)."""
    # (mlir_input builds on this module's `Built` and `add_c_function`)
    from noodle.compiler.mlir_input import compile_mlir_file

    built = Built()
    for item in inputs:
        if isinstance(item, PythonSignature):
            _python_unit(item, built, until, timer)
        else:
            compile_mlir_file(item.path, built, options, until, timer)
    if until == "llvm":
        built.llvm = timed("link", lib, timer, lambda: link(built, lib))
    return built


def timed(stage: str, what: str, timer: Timer | None, make: Callable[[], T]) -> T:
    """`make()`, its time told to `timer`."""
    start = time.perf_counter()
    result = make()
    if timer is not None:
        timer(stage, time.perf_counter() - start, what)
    return result


def _python_unit(item: PythonSignature, built: Built, until: str,
                 timer: Timer | None) -> None:
    what = f"{item.pyfunc.__qualname__}({item.signature})"
    if until == "nir":  # the frontend only
        unit, _, _ = timed("nir", what, timer,
                           lambda: make_nir(item.pyfunc, item.arg_types, item.options,
                                            item.declared_return))
        built.units.append((what, {"nir": str(unit.module)}))
        return
    offset = len(built.sites)
    start = [time.perf_counter()]

    def on_stage(stage: str, text: str | bytes) -> None:
        now = time.perf_counter()
        if timer is not None:
            timer(stage, now - start[0], what)
        start[0] = now

    def entry_writer(kernel: Kernel, module_ir: str) -> str:
        f = c_function(item, kernel, offset)
        built.functions.append(f)
        return add_c_function(module_ir, f)

    kernel = compile_function(item.pyfunc, item.arg_types, item.options, entry_writer,
                              on_stage, last_stage=until, returns=item.declared_return)
    built.units.append((what, {s: kernel.stages[s] for s in ("nir", "mlir")}))
    if until == "mlir":
        return
    built.sites += kernel.sites
    built.llvm_modules.append(kernel.stages["llvm"])
    built.externals.update(kernel.externals)


def c_function(item: PythonSignature, kernel: Kernel, status_offset: int) -> CFunction:
    """The C function of a compiled signature (raises NoodleError where the C ABI cannot
    express it)."""
    where = _where(item.pyfunc)
    result_type = kernel.result_type  # a declared scalar type: the frontend converted
    params = [p for name, t in zip(item.param_names, item.arg_types)
              for p in c_abi.leaf_params(name, t)]
    results = [c_abi.c_type_of(t) for t in leaf_types(result_type)]
    try:
        c_abi.check_function_name(item.c_name)
        for r in results:
            c_abi.check_result(r, item.pyfunc.__qualname__)
    except ValueError as e:
        raise NoodleError(str(e), where) from None
    python = c_abi.python_metadata(item.pyfunc.__name__, item.signature, item.arg_types,
                                   result_type)
    return CFunction(item.c_name, kernel.entry, params, results,
                     noodle_kernel=True, status_offset=status_offset, python=python,
                     where=where)


def _where(pyfunc: FunctionType) -> SourceLocation:
    code = pyfunc.__code__
    return SourceLocation(code.co_filename, code.co_firstlineno, 0)


def add_c_function(module_ir: str, f: CFunction) -> str:
    """`module_ir` with the C function `f` (and `free`, which it calls) added."""
    declared = set(backend.declared_functions(module_ir))
    free = "" if "free" in declared or "define void @free(" in module_ir else \
        "declare void @free(ptr)\n"
    return f"{module_ir}\n{free}{wrapper_ir(f, module_ir)}\n"


def exported(built: Built, lib: str) -> set[str]:
    return ({f.name for f in built.functions} | {f"{lib}_error_message",
                                                  c_abi.METADATA_SYMBOL})


def link(built: Built, lib: str) -> str:
    """Every input's LLVM IR and the library's own functions as one module, in which only
    the C functions, the error texts and the metadata stay visible."""
    first: dict[str, CFunction] = {}
    for f in built.functions:
        try:  # the names that depend on the library's name are known only here
            c_abi.check_function_name(f.name, lib)
        except ValueError as e:
            raise NoodleError(str(e), f.where) from None
        if f.name in first:
            earlier = first[f.name].where
            raise NoodleError(f"two compiled functions would both be the C function "
                              f"{f.name}: rename one",
                              f.where, f"the other is at {earlier}" if earlier else None)
        first[f.name] = f
    keep = exported(built, lib)
    metadata = c_abi.library_metadata(lib, built.functions, built.sites)
    sources = [*built.llvm_modules, library_ir(lib, c_abi.error_texts(built.sites), metadata)]
    backend.host_cpu()  # initialises LLVM's native target
    linked = None
    for text in sources:
        module = llvm.parse_assembly(text)
        for value in [*module.functions, *module.global_variables]:
            if not value.is_declaration and value.name not in keep:
                value.linkage = "internal"
        if linked is None:
            linked = module
        else:
            linked.link_in(module)
    linked.verify()
    return str(linked)


def pic_target_machine(opt_level: int) -> llvm.TargetMachine:
    """The host's CPU, position-independent code (a shared library's code is loaded at
    any address)."""
    cpu, features = backend.host_cpu()
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=cpu, features=features, opt=opt_level,
                                        reloc="pic", codemodel="default")


def make_llvm(llvm_ir: str, opt_level: int) -> str:
    """The linked module as LLVM's pipeline at `opt_level` leaves it, which is what code
    generation receives (as `clang -O<n> -S -emit-llvm` prints): unoptimised at -O0."""
    return str(backend.optimized_module(llvm_ir, opt_level))


def make_asm(llvm_ir: str, opt_level: int) -> str:
    return pic_target_machine(opt_level).emit_assembly(backend.optimized_module(llvm_ir, opt_level))


def make_obj(llvm_ir: str, opt_level: int) -> bytes:
    return pic_target_machine(opt_level).emit_object(backend.optimized_module(llvm_ir, opt_level))


def make_header(built: Built, lib: str, version: str) -> str:
    return c_abi.header_text(lib, built.functions, version)


def stage_text(built: Built, stage: str) -> str:
    """The `nir` or `mlir` text of every unit, split as `mlir-opt --split-input-file`
    reads it."""
    parts = [f"// noodlec: {what}\n{texts[stage].rstrip()}\n" for what, texts in built.units]
    return "// -----\n".join(parts)
