"""`@noodle.jit`: one compiled specialisation per argument-type key, and the interpreter
(the plain Python function) whenever compilation is impossible, saying why.

A new key is compiled at once by the baseline tier, or loaded from the on-disk cache
(the optimising tier's kernel when the cache has it). Each kernel's native entry point
counts its calls and cycles; when a key turns hot, the optimising tier recompiles it in
a worker process and the new kernel is swapped in between two calls: the caller never
waits for it. The swap is native (`kernel_swap.py`) where it can be, and the dispatcher
settles it, bringing its own records up to date, when the program next asks about the
function (`profiles`, `inspect`, a call through the Python-level path).
"""
from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import json
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from types import FunctionType
from typing import Any

from noodle.compiler import backend
from noodle.compiler.dependencies import stale_reason
from noodle.compiler.kernel import STAGES, Kernel
from noodle.compiler.options import CompileOptions, fastmath_flags
from noodle.compiler.types import Array, NType, first_fitting, leaf_types, typeof
from noodle.errors import (LoweringError, NoodleCacheWarning, NoodleError,
                           NoodleFallbackWarning, SourceLocation, UnsupportedError)
from noodle.runtime import compile_worker, kernel_swap, profiler
from noodle.runtime.config import config
from noodle.runtime.executor import CompiledKernel
from noodle.runtime.explain import new_argument_types
from noodle.runtime.gpu_calls import ON_CPU, GpuCalls, ptx_of
from noodle.runtime.kernel_cache import KernelCache
from noodle.runtime.kernel_swap import Swap, SwapFiles
from noodle.runtime.placement import Placement, check_target
from noodle.runtime.profiler import HotThreshold, KeyProfile, Stopwatch
from noodle.runtime.signatures import parse_signature
from noodle.runtime.user_warnings import warn_in_user_code


class _Interpreted:
    """Marks a key that runs as plain Python (why: its profile's `fallback`)."""


class Dispatcher:
    def __init__(self, pyfunc: FunctionType, options: CompileOptions, fallback: bool,
                 signatures: list[str], cache: bool = True, eager: bool = False,
                 hot: HotThreshold | None = None, target: str = "cpu",
                 gpu_fallback: bool = False):
        functools.update_wrapper(self, pyfunc)
        self.py_func = pyfunc
        #: when the function was defined: its source file must not be newer when a
        #: kernel is saved (`KernelCache.save`)
        self.defined_at = time.time()
        self.options = options
        self.fallback = fallback
        self.cache = cache
        self.eager = eager
        self.hot = hot or HotThreshold.from_environment()
        self._signature = inspect.signature(pyfunc)
        self._n_params = len(self._signature.parameters)
        #: no *args or **kwargs: a call binds to one value per parameter, in order
        self._plain = all(p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                          for p in self._signature.parameters.values())
        self._kernels: dict[tuple, CompiledKernel | _Interpreted] = {}
        self._profiles: dict[tuple, KeyProfile] = {}
        #: each baseline key's promotion, prepared for the worker, and its native swap
        #: where there is one
        self._jobs: dict[tuple, tuple[compile_worker.PreparedJob, Swap | None]] = {}
        #: the native swaps submitted and not settled yet
        self._swapping: dict[tuple, Swap] = {}
        # the promotion thread swaps kernels while the program calls and compiles
        self._lock = threading.RLock()
        #: the signatures as written, with what they declare (noodlec reads them)
        self.declared_signatures: list[tuple[str, NType | None, tuple[NType, ...]]] = []
        self._last_key: tuple | None = None
        #: where calls run, for target="cuda"/"auto" (`placement`); None: the CPU only
        self.placement: Placement | None = None
        self._gpu: GpuCalls | None = None
        if target != "cpu":
            code = pyfunc.__code__
            self.placement = Placement(
                target, gpu_fallback, pyfunc.__qualname__,
                SourceLocation(code.co_filename, code.co_firstlineno, 0), config.gpu_threshold)
            self._gpu = GpuCalls(pyfunc, options, self.placement)
        profiler.track(self)
        for sig in signatures:
            ret, args = parse_signature(sig)
            self.declared_signatures.append((sig, ret, args))
            if not _SIGNATURES_ONLY:
                self._compile(args)

    # -- calling -------------------------------------------------------------------------
    # A warm call does not come here: `_install_entries` makes the class's `__call__` the
    # native entry of a kernel, which hands calls that are not its own down a chain of
    # the other kernels' entries, ending here.
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call_python(*args, **kwargs)

    def _call_python(self, *args: Any, **kwargs: Any) -> Any:
        if os.environ.get("NOODLE_DISABLE_JIT") == "1":
            return self.py_func(*args, **kwargs)
        if self._swapping:
            self._settle_swaps()
        given, given_kwargs = args, kwargs  # for the interpreter: keyword-only ones too
        args = self._bind(args, kwargs)
        if self.placement is not None and self.placement.on_gpu(args):
            result = self._gpu.call(args)
            if result is not ON_CPU:
                return result
        key = self._key(args)
        kernel = self._kernels.get(key)
        if kernel is None:
            kernel = self._compile(key)
        profile = self._profiles[key]
        watch = Stopwatch()
        if isinstance(kernel, _Interpreted):
            try:
                return self.py_func(*given, **given_kwargs)
            finally:
                profile.interpreter_calls += 1
                profile.interpreter_seconds += watch.elapsed()
        try:
            return kernel(args)
        finally:
            profile.python_calls += 1
            profile.python_seconds += watch.elapsed()
            if (profile.python_calls >= self.hot.calls
                    or profile.python_seconds >= self.hot.seconds):
                self._on_hot(key)

    def _bind(self, args: tuple, kwargs: dict) -> tuple:
        if not kwargs and len(args) == self._n_params:
            return args  # the common call: nothing to bind
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self.py_func.__qualname__}(): {e}") from None
        bound.apply_defaults()
        # keyword-only parameters too, after the others, as compiled code takes them
        return tuple(bound.arguments.values()) if self._plain else bound.args

    def _key(self, args: tuple) -> tuple:
        key = []
        for name, value in zip(self._signature.parameters, args):
            t = typeof(value)
            if t is None:
                t = _Unsupported(name, type(value).__name__)
            key.append(t)
        key = tuple(key)
        if self.declared_signatures:
            declared = first_fitting([args for _, _, args in self.declared_signatures], key)
            if declared is not None:
                return declared
            shown = ", ".join(str(t) for t in key)
            hint = ""
            if any(isinstance(x, Array) and x.readonly for t in key for x in leaf_types(t)):
                hint = (" (a read-only array takes a signature that declares it so, "
                        "'readonly float64[:]')")
            raise TypeError(f"{self.py_func.__qualname__}() has no compiled signature for "
                            f"({shown}); declared: {self.signatures}{hint}")
        return key

    # -- compiling ---------------------------------------------------------------------------
    def _compile(self, key: tuple, tier: str | None = None) -> CompiledKernel | _Interpreted:
        self._last_key = key
        if tier is None:
            tier = "optimising" if self.eager or not self.options.tiers_differ() else "baseline"
        profile = self._profiles.setdefault(key, KeyProfile(", ".join(map(str, key))))
        try:
            bad = next((t for t in key if isinstance(t, _Unsupported)), None)
            if bad is not None:
                code = self.py_func.__code__
                raise UnsupportedError(
                    f"argument '{bad.name}' is a {bad.type_name}, which compiled code "
                    "cannot take", SourceLocation(code.co_filename, code.co_firstlineno, 0),
                    "pass NumPy arrays, numbers, or tuples of them")
            compiled, tier = self._load_or_compile(key, tier, profile)
            kernel = self._load(compiled, tier)
            fresh = "nir" in compiled.stages  # compiled here, not loaded from the cache
        except NoodleError as e:
            if not self.fallback or self.declared_signatures:
                raise
            warn_in_user_code(NoodleFallbackWarning(
                f"{self.py_func.__qualname__} runs as plain Python: {e}"))
            kernel = _Interpreted()
            profile.tier, profile.fallback = "interpreter", e.message
        else:
            profile.retire(profile.native)  # `noodle.compile` of a key already called
            profile.tier, profile.native = tier, kernel.native_entry
        with self._lock:
            self._kernels[key] = kernel
            if profile.tier == "baseline":
                # the promotion's job, made now, while the caller waits anyway
                swap = None
                if kernel.native_entry is not None and kernel_swap.available():
                    swap = Swap(kernel.native_entry, f"kernel-{next(_SWAP_NAMES)}")
                job = compile_worker.PreparedJob(compile_worker.describe(
                    (id(self), key, "optimising", swap and swap.files)),
                    swap.cell if swap is not None else 0)
                job.future.add_done_callback(functools.partial(self._promoted, key))
                self._jobs[key] = (job, swap)
        if isinstance(kernel, CompiledKernel) and kernel.native_entry is not None:
            self._install_entries()
            if tier == "baseline" and fresh and compile_worker.available():
                # a worker that knows this function, forked while the caller waits for
                # its compile anyway (not after a cache hit, which must stay quick)
                _worker().refresh_standby()
                # twice: the second takes the copies of pages the first one's own
                # bookkeeping wrote (3-6 faults left at the hot call instead of 9-16)
                for _ in range(2):
                    self._on_hot(key, rehearsal=True)
                backend.prepare_engine()  # for the promotion's kernel
        profiler.write_metrics_file()
        return kernel

    def _load_or_compile(self, key: tuple, tier: str, profile: KeyProfile
                         ) -> tuple[Kernel, str]:
        """The kernel for `key` and its tier: from the on-disk cache when it is there
        and still right (the optimising tier's, if the cache has it), else compiled
        now at `tier` (and saved)."""
        reason = self._why_new(key)
        cache = _kernel_cache() if self.cache and config.cache else None
        if cache is not None:
            for cached_tier in dict.fromkeys(("optimising", tier)):
                found = cache.load(self.py_func, key, self.options.at_tier(cached_tier),
                                   self._declared_return(key))
                if found.kernel is not None:
                    profile.cache_hits += 1
                    return found.kernel, cached_tier
            profile.cache_misses += 1
            reason = f"{reason}; cache: {found.reason}"
        self._explain(f"compiling {self._shown(key)} at the {tier} tier: {reason}")
        watch = Stopwatch()
        kernel = self._compile_now(key, tier)
        profile.compile_seconds[tier] = watch.elapsed()
        self._save(key, kernel, tier)
        return kernel, tier

    def _compile_now(self, key: tuple, tier: str) -> Kernel:
        job = functools.partial(self._compile_at, key, tier)
        if not (config.compile_in_worker and compile_worker.available()):
            return job()
        try:
            return compile_worker.run_forked(job)
        except compile_worker.WorkerCrashed as e:
            raise LoweringError(f"{e} while compiling {self.py_func.__qualname__}",
                                hint="this is a noodle bug; please report it") from None

    def _compile_at(self, key: tuple, tier: str) -> Kernel:
        """Compile `key` at `tier`, in this process."""
        from noodle.compiler.pipeline import compile_function  # loads MLIR: only when needed

        return compile_function(self.py_func, key, self.options.at_tier(tier),
                                returns=self._declared_return(key))

    def _declared_return(self, key: tuple) -> NType | None:
        """The return type the signature of `key` declares; None where none does."""
        return next((ret for _, ret, args in self.declared_signatures
                     if args == key and ret is not None), None)

    def _save(self, key: tuple, kernel: Kernel, tier: str) -> None:
        """Keep `key`'s kernel in the on-disk cache, unless caching is off."""
        if self.cache and config.cache:
            _kernel_cache().save(self.py_func, kernel, self.options.at_tier(tier),
                                 self.defined_at, self._declared_return(key))

    def _load(self, compiled: Kernel, tier: str) -> CompiledKernel:
        try:
            return CompiledKernel(compiled)
        except RuntimeError as e:  # object code from the cache that does not load
            if "nir" in compiled.stages:
                raise
            warn_in_user_code(NoodleCacheWarning(
                f"a cached kernel of {self.py_func.__qualname__} did not load ({e}); "
                "recompiling"))
            return CompiledKernel(self._compile_now(compiled.arg_types, tier))

    def _install_entries(self) -> None:
        """Chain the native entries of the kernels (the newest first) in front of the
        Python-level path, and make the chain's head this dispatcher's `__call__`."""
        self._settle_swaps()
        with self._lock:
            kernels = list(self._kernels.items())
        head = self._call_python
        if self.placement is not None and self.placement.may_use_gpu():
            kernels = []  # each call is placed in Python, by its arrays' sizes
        for key, kernel in kernels:
            entry = getattr(kernel, "native_entry", None)
            if entry is None:
                continue
            hook = _ignore
            if self._promotable(key):
                hook = functools.partial(self._on_hot, key)
                self._arm(entry)
            head = entry.function(head, kernel.raise_status, hook)
        type(self).__call__ = head

    def _arm(self, entry: object) -> None:
        """Set the hot thresholds of a promotable key's entry (the one in time waits for
        the cycle counter's rate; `_rearm` follows when it is known)."""
        entry.set_hot_thresholds(self.hot.calls, profiler.seconds_to_cycles(
            self.hot.seconds, entry.read_cycles, self._rearm))

    def _rearm(self) -> None:
        with self._lock:
            kernels = list(self._kernels.items())
        for key, kernel in kernels:
            entry = getattr(kernel, "native_entry", None)
            if entry is not None and self._promotable(key):
                self._arm(entry)

    # -- the optimising tier ---------------------------------------------------------------
    def _promotable(self, key: tuple) -> bool:
        profile = self._profiles[key]
        return profile.tier == "baseline" and profile.promotion is None

    def _on_hot(self, key: tuple, rehearsal: bool = False) -> None:
        """`key` turned hot: recompile it with the optimising tier, in a worker (this
        runs inside the caller's call, so it only hands the job over).

        `rehearsal`: the same steps with a job the worker answers at once, waited for,
        right after the standby worker is forked (while the caller waits for a compile
        anyway), writing what is there and undoing what it adds. The fork shares every
        memory page of the program with the worker, and the first write to a page after
        it copies the page (5-10 us): a rehearsal takes those copies for the pages a
        hand-over writes, which the call that turns the key hot took before (~50 pages,
        ~0.25 ms). The job itself is prepared (`PreparedJob`) for the same reason."""
        with self._lock:
            if not self._promotable(key):
                return
            profile = self._profiles[key]
            if not compile_worker.available():
                profile.promotion = "not attempted: no worker processes on this platform"
                return
            profile.promotion = None if rehearsal else "compiling"
            job, swap = self._jobs[key]
            if swap is not None:  # before the job is sent: the swap may be quick
                self._swapping[key] = swap
        if swap is not None:
            swap.begin()
        if rehearsal:
            # waited for, not raised: a worker that fails shows in the real promotion
            _worker().submit(compile_worker.PING, job.swap_cell).exception()
            with self._lock:
                self._swapping.pop(key, None)
            if swap is not None:
                swap.end()
            return
        if config.explain:
            self._explain(f"optimising {self._shown(key)}: hot after "
                          f"{profile.report()['calls']} calls")
        _worker().submit(job)

    def _promoted(self, key: tuple, future: Future) -> None:
        """In the worker's thread: swap the optimised kernel in, or keep the baseline one
        and say why (once per key). A kernel the native swap took never comes here
        (`_settle_swaps`)."""
        with self._lock:
            swap = self._swapping.pop(key, None)
        if swap is not None:  # it never reached the thread, or was cancelled
            swap.end()
        try:
            result = future.result()
            if isinstance(result, SwapFiles):  # for the native swap, which was cancelled
                metadata, obj, seconds = result.read_kernel()
            else:
                metadata, obj, seconds = result
                metadata = json.loads(metadata)
            kernel = CompiledKernel(Kernel.from_metadata(metadata, {"obj": obj}))
        except Exception as e:  # noqa: BLE001 - the program goes on at the baseline tier
            why = (f"{e} since it was compiled, and its kernel keeps the value read then"
                   if isinstance(e, DependencyChanged) else
                   f"the optimising compile failed ({e})")
            self._stay_at_baseline(key, why, e)
            return
        self._adopt(key, kernel, seconds)

    def _stay_at_baseline(self, key: tuple, why: str, error: Exception) -> None:
        profile = self._profiles[key]
        code = self.py_func.__code__  # this thread may have no frame of the user's
        warnings.warn_explicit(NoodleFallbackWarning(
            f"{self.py_func.__qualname__}({profile.signature}) stays at the baseline "
            f"tier: {why}"), NoodleFallbackWarning, code.co_filename, code.co_firstlineno)
        # only now: whoever sees the promotion failed can find the warning given
        profile.promotion = f"failed: {error}"

    def _adopt(self, key: tuple, kernel: CompiledKernel, compile_seconds: float) -> None:
        """Make `kernel` the optimising tier of `key`."""
        profile = self._profiles[key]
        profile.compile_seconds["optimising"] = compile_seconds
        with self._lock:
            profile.retire(self._kernels[key].native_entry)
            self._kernels[key] = kernel
            profile.tier, profile.native, profile.promotion = ("optimising",
                                                               kernel.native_entry, "done")
        self._install_entries()
        profiler.write_metrics_file()

    def _settle_swaps(self) -> None:
        """Bring the records up to date with the native swaps that have ended: adopt the
        kernel the swap thread loaded, or load it here where the thread could not."""
        with self._lock:
            ended = [(key, swap) for key, swap in self._swapping.items()
                     if swap.state in (kernel_swap.DONE, kernel_swap.FAILED)]
            for key, _ in ended:
                del self._swapping[key]
        for key, swap in ended:
            swap.end()
            try:
                metadata, obj, seconds = swap.files.read_kernel()
                if swap.state == kernel_swap.DONE:
                    kernel = CompiledKernel(Kernel.from_metadata(metadata, {}),
                                            swap.library())
                else:
                    self._explain(f"{self._shown(key)}: the optimised kernel is loaded in "
                                  f"Python, since the swap thread could not ({swap.error})")
                    kernel = CompiledKernel(Kernel.from_metadata(metadata, {"obj": obj}))
            except Exception as e:  # noqa: BLE001 - the records stay at the baseline tier
                self._stay_at_baseline(key, f"the optimised kernel did not load ({e})", e)
                continue
            self._adopt(key, kernel, seconds)

    def compile_eagerly(self, *args: Any) -> None:
        """Compile the optimising tier for the types of `args` now (`noodle.compile`)."""
        self._settle_swaps()
        key = self._key(self._bind(args, {}))
        with self._lock:
            known = self._kernels.get(key)
        if isinstance(known, CompiledKernel) and self._profiles[key].tier == "optimising":
            return
        self._compile(key, tier="optimising")

    # -- reporting ---------------------------------------------------------------------------
    def _explain(self, message: str) -> None:
        if config.explain:
            print(f"noodle: {message}", file=sys.stderr)

    def _shown(self, key: tuple) -> str:
        return f"{self.py_func.__qualname__}({', '.join(map(str, key))})"

    def _why_new(self, key: tuple) -> str:
        """Why `key` has no kernel in this process yet: which argument types differ from
        the nearest key that has one."""
        return new_argument_types(list(self._signature.parameters),
                                  [list(map(str, k)) for k in self._kernels],
                                  list(map(str, key))) or "first call"

    def profiles(self) -> list[KeyProfile]:
        self._settle_swaps()
        with self._lock:
            gpu = self._gpu.profiles() if self._gpu is not None else []
            return list(self._profiles.values()) + gpu

    # -- introspection ----------------------------------------------------------------------
    @property
    def signatures(self) -> list[tuple[NType, ...]]:
        self._settle_swaps()
        return [k for k, v in self._kernels.items() if isinstance(v, CompiledKernel)]

    def inspect(self, stage: str = "nir", signature: tuple | None = None) -> str | bytes:
        """The text of one stage (`STAGES`) of a compiled specialisation (the last one
        compiled unless `signature` names one). `stage="ptx"` gives the GPU code of that
        specialisation (`target="cuda"` or not), for the current GPU or sm_90."""
        if stage not in STAGES and stage != "ptx":
            raise ValueError(f"unknown stage {stage!r}; choose from "
                             f"{', '.join(STAGES)}, ptx")
        self._settle_swaps()
        key = signature if signature is not None else self._last_key
        if stage == "ptx":
            if key is None and self._gpu is not None:
                key = self._gpu.last_key
            if key is not None:
                return ptx_of(self.py_func, key, self.options)
        kernel = self._kernels.get(key)
        if not isinstance(kernel, CompiledKernel):
            raise ValueError(f"{self.py_func.__qualname__} has no compiled specialisation "
                             "for that signature")
        stages = kernel.kernel.stages
        tier = self._profiles[key].tier
        if "llvm" not in stages:  # a kernel from the cache keeps its object code only
            stages.update(self._compile_at(key, tier).stages)
        if stage == "asm":
            from noodle.compiler.pipeline import assembly

            return assembly(kernel.kernel, self.options.at_tier(tier))
        return stages[stage]

    def __repr__(self) -> str:
        return f"<noodle.jit {self.py_func.__qualname__}>"

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)


#: Set while `signatures_only()` runs: `@jit("sig")` then records its signatures and
#: compiles none (noodlec imports a file to read them, and compiles them itself)
_SIGNATURES_ONLY: list[bool] = []


@contextlib.contextmanager
def signatures_only() -> Iterator[None]:
    """Functions decorated inside this block compile nothing at decoration time."""
    _SIGNATURES_ONLY.append(True)
    try:
        yield
    finally:
        _SIGNATURES_ONLY.pop()


#: names for the files of native swaps, unique in the process
_SWAP_NAMES = itertools.count()


def _ignore() -> None:
    """The hot hook of entries whose key is not promoted (any more)."""


class _Unsupported:
    def __init__(self, name: str, type_name: str):
        self.name = name
        self.type_name = type_name

    def __eq__(self, other) -> bool:
        return isinstance(other, _Unsupported) and (self.name, self.type_name) == (
            other.name, other.type_name)

    def __hash__(self) -> int:
        return hash((self.name, self.type_name))


@functools.cache
def _kernel_cache() -> KernelCache:
    from noodle.runtime.cache_store import CacheStore

    return KernelCache(CacheStore())


@functools.cache
def _worker() -> compile_worker.CompileWorker:
    return compile_worker.CompileWorker(_compile_job)


def _compile_job(spec: tuple) -> Callable[[], tuple[str, bytes, float] | SwapFiles]:
    """The compile a worker runs for `spec`: (dispatcher id, key, tier, swap files or
    None). The worker is a fork of this process, so the dispatcher is there under the
    same id, unless it was made after the fork (LookupError). The worker also saves the
    kernel in the cache: ~8 ms of work the program's process never sees."""
    dispatcher_id, key, tier, files = spec
    dispatcher = next((d for d in profiler.tracked() if id(d) == dispatcher_id), None)
    if dispatcher is None:
        raise LookupError("the function was made after this worker was forked")

    def compile_and_save() -> tuple[str, bytes, float] | SwapFiles:
        _check_unchanged(dispatcher, key)
        watch = Stopwatch()
        kernel = dispatcher._compile_at(key, tier)
        seconds = watch.elapsed()
        dispatcher._save(key, kernel, tier)
        if files is not None and _link_for_swap(
                dispatcher._kernels[key], kernel, files,
                dispatcher.options.at_tier(tier).llvm_opt_level):
            files.write_kernel(kernel.metadata(), kernel.stages["obj"], seconds)
            return files
        # Plain data goes back, and of the stages only the object code (`inspect` makes
        # the others again when asked): unpickling is one C call holding the program's
        # GIL, which took 0.3-0.5 ms for a pickled Kernel, its types and its texts.
        return json.dumps(kernel.metadata()), kernel.stages["obj"], seconds

    return compile_and_save


def _link_for_swap(current: CompiledKernel, optimised: Kernel, files: SwapFiles,
                   opt_level: int) -> bool:
    """Link `optimised` into the shared library the swap thread loads, if its entry can
    stand in for the current one's: until the swap settles, the optimised entry runs
    with the current entry's context, whose error handler knows the current kernel's
    error sites. False where it cannot (and the kernel goes back the Python way)."""
    from noodle.compiler import aot, shared_library  # in the worker only

    if (not optimised.python_entry
            or current.kernel.metadata()["sites"] != optimised.metadata()["sites"]):
        return False
    try:
        if set(optimised.externals) <= set(current.kernel.externals):
            # what it calls, the program loaded for the current kernel: `ld` alone links
            # it, from position-independent code (else the loader would patch its text)
            shared_library.link_for_this_process(
                aot.make_obj(optimised.stages["llvm"], opt_level), Path(files.library))
        else:
            shared_library.link_shared(optimised.stages["obj"], Path(files.library),
                                       set(optimised.externals))
    except NoodleError:  # no linker, say
        return False
    return True


class DependencyChanged(Exception):
    """A promotion refused: a global, closure value or callee the key's kernel read has
    changed since it was compiled (the message says which)."""


def _check_unchanged(dispatcher: Dispatcher, key: tuple) -> None:
    """Refuse to promote `key` when what its current kernel read has changed since.

    A kernel keeps the values it read when it was compiled, and a promotion must never
    change a result; but a worker forked after the program rebound a global reads the
    new value, and its kernel swapped in would change the program's results mid-run."""
    current = dispatcher._kernels.get(key)
    manifest = getattr(getattr(current, "kernel", None), "dependencies", None)
    if manifest:
        reason = stale_reason(dispatcher.py_func, manifest)
        if reason is not None:
            raise DependencyChanged(reason)


def jit(func: Callable | str | list | None = None, /, *signatures: str,
        fallback: bool | None = None,
        boundscheck: bool = False, opt_level: int = 3, cache: bool = True,
        eager: bool = False, hot_threshold: int | None = None,
        hot_seconds: float | None = None, parallel: bool = False,
        fastmath: bool | str | Iterable[str] = False, target: str | None = None,
        **unknown: Any):
    """Compile a NumPy-style Python function to native code.

    `@jit`, `@jit(**options)`, `jit(f, **options)` and `@jit("float64(float64[:])", ...)`
    (explicit signatures compile at once and refuse other argument types).
    Options: fallback (run as Python with a warning when compilation is impossible;
    default True; with target="cuda", only an explicit True lets a call run on the CPU
    where the GPU cannot), boundscheck (IndexError on out-of-bounds indexing; default
    False, where out-of-bounds access is undefined as in C and Numba), opt_level (LLVM's at the
    optimising tier, 0-3), cache (keep kernels in the on-disk cache, `NOODLE_CACHE_DIR`;
    default True), eager (compile the optimising tier at once instead of the baseline
    tier first), hot_threshold (calls after which a key is recompiled by the optimising
    tier; default `NOODLE_HOT_THRESHOLD` or 1000), hot_seconds (seconds of native time
    after which a key is hot too; default `NOODLE_HOT_SECONDS` or 0.05), parallel (array
    expressions, assignments and reductions run on all cores, and so do the iterations
    of `noodle.prange` loops; default False), fastmath (True, or a set of LLVM's
    fast-math flags such as {"reassoc", "contract"}: float arithmetic may be regrouped,
    fused, and assume no NaN or infinity, as `noodle.passes.fastmath` says; default
    False, IEEE arithmetic),
    target ("cpu", "cuda" or "auto": where calls run, as `runtime/placement.py` says;
    default `NOODLE_TARGET` or "cpu").
    """
    if unknown:
        raise TypeError(f"jit() got unknown option(s): {', '.join(sorted(unknown))}")
    options = CompileOptions(boundscheck=boundscheck, opt_level=opt_level,
                             parallel=bool(parallel), fastmath=fastmath_flags(fastmath))
    for name, value, kinds in (("hot_threshold", hot_threshold, int),
                               ("hot_seconds", hot_seconds, (int, float))):
        if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)
                                  or not value >= 0):
            raise ValueError(f"jit(): {name} must be a {'whole ' if kinds is int else ''}"
                             f"number >= 0, not {value!r}")
    hot = HotThreshold.from_environment(hot_threshold, hot_seconds)
    sigs = list(signatures)
    if isinstance(func, str):
        sigs.insert(0, func)
        func = None
    elif isinstance(func, (list, tuple)):
        sigs = list(func) + sigs
        func = None

    def decorate(f: Callable) -> Dispatcher:
        f = getattr(f, "py_func", f)
        if not isinstance(f, FunctionType):
            raise TypeError(f"noodle.jit needs a Python function, got {type(f).__name__}")
        # a class of its own, whose `__call__` can become the kernels' native entries
        own_class = type(f.__name__, (Dispatcher,), {"__module__": f.__module__})
        return own_class(f, options, fallback is not False, sigs, cache, eager, hot,
                         check_target(target or config.target), fallback is True)

    return decorate if func is None else decorate(func)


def compile(function: Dispatcher, *example_args: Any) -> Dispatcher:
    """Compile `function`'s optimising tier for the types of `example_args` now, ahead
    of calls (or load it from the cache); returns the function."""
    if not isinstance(function, Dispatcher):
        raise TypeError(f"noodle.compile needs a @noodle.jit function, got "
                        f"{type(function).__name__}")
    function.compile_eagerly(*example_args)
    return function
