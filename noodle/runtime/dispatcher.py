"""`@noodle.jit`: one compiled specialisation per argument-type key, and the interpreter
(the plain Python function) whenever compilation is impossible, saying why."""
from __future__ import annotations

import functools
import inspect
import os
import sys
import warnings
from collections.abc import Callable
from types import FunctionType
from typing import Any

from noodle.compiler.kernel import STAGES, Kernel
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import NType, Scalar, typeof
from noodle.errors import (NoodleCacheWarning, NoodleError, NoodleFallbackWarning,
                           SourceLocation, TypingError, UnsupportedError)
from noodle.runtime.config import config
from noodle.runtime.executor import CompiledKernel
from noodle.runtime.kernel_cache import KernelCache
from noodle.runtime.signatures import matches, parse_signature

#: the tier every kernel is compiled at (one tier until the profiler picks hot keys)
TIER = "baseline"


class _Interpreted:
    """Marks a key that runs as plain Python, and why."""

    def __init__(self, reason: NoodleError):
        self.reason = reason


class Dispatcher:
    def __init__(self, pyfunc: FunctionType, options: CompileOptions, fallback: bool,
                 signatures: list[str], cache: bool = True):
        functools.update_wrapper(self, pyfunc)
        self.py_func = pyfunc
        self.options = options
        self.fallback = fallback
        self.cache = cache
        self._signature = inspect.signature(pyfunc)
        self._n_params = len(self._signature.parameters)
        self._kernels: dict[tuple, CompiledKernel | _Interpreted] = {}
        self._declared: list[tuple[NType | None, tuple[NType, ...]]] = []
        self._last_key: tuple | None = None
        for sig in signatures:
            ret, args = parse_signature(sig)
            self._declared.append((ret, args))
            self._compile(args, ret)

    # -- calling -------------------------------------------------------------------------
    # A warm call does not come here: `_install_entries` makes the class's `__call__` the
    # native entry of a kernel, which hands calls that are not its own down a chain of
    # the other kernels' entries, ending here.
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call_python(*args, **kwargs)

    def _call_python(self, *args: Any, **kwargs: Any) -> Any:
        if os.environ.get("NOODLE_DISABLE_JIT") == "1":
            return self.py_func(*args, **kwargs)
        args = self._bind(args, kwargs)
        key = self._key(args)
        kernel = self._kernels.get(key)
        if kernel is None:
            kernel = self._compile(key)
        if isinstance(kernel, _Interpreted):
            return self.py_func(*args)
        return kernel(args)

    def _bind(self, args: tuple, kwargs: dict) -> tuple:
        if not kwargs and len(args) == self._n_params:
            return args  # the common call: nothing to bind
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as e:
            raise TypeError(f"{self.py_func.__qualname__}(): {e}") from None
        bound.apply_defaults()
        return bound.args

    def _key(self, args: tuple) -> tuple:
        key = []
        for name, value in zip(self._signature.parameters, args):
            t = typeof(value)
            if t is None:
                t = _Unsupported(name, type(value).__name__)
            key.append(t)
        key = tuple(key)
        if self._declared:
            for _, declared in self._declared:
                if len(declared) == len(key) and all(matches(d, a)
                                                     for d, a in zip(declared, key)):
                    return declared
            shown = ", ".join(str(t) for t in key)
            raise TypeError(f"{self.py_func.__qualname__}() has no compiled signature for "
                            f"({shown}); declared: {self.signatures}")
        return key

    def _compile(self, key: tuple, declared_return: NType | None = None
                 ) -> CompiledKernel | _Interpreted:
        self._last_key = key
        try:
            bad = next((t for t in key if isinstance(t, _Unsupported)), None)
            if bad is not None:
                code = self.py_func.__code__
                raise UnsupportedError(
                    f"argument '{bad.name}' is a {bad.type_name}, which compiled code "
                    "cannot take", SourceLocation(code.co_filename, code.co_firstlineno, 0),
                    "pass NumPy arrays, numbers, or tuples of them")
            compiled = self._load_or_compile(key)
            kernel = self._load(compiled, declared_return)
        except NoodleError as e:
            if not self.fallback or self._declared:
                raise
            warnings.warn(NoodleFallbackWarning(
                f"{self.py_func.__qualname__} runs as plain Python: {e}"), stacklevel=4)
            kernel = _Interpreted(e)
        self._kernels[key] = kernel
        if isinstance(kernel, CompiledKernel) and kernel.native_entry is not None:
            self._install_entries()
        return kernel

    def _install_entries(self) -> None:
        """Chain the native entries of the kernels (the newest first) in front of the
        Python-level path, and make the chain's head this dispatcher's `__call__`."""
        head = self._call_python
        for kernel in self._kernels.values():
            if isinstance(kernel, CompiledKernel) and kernel.native_entry is not None:
                head = kernel.native_entry.function(head, kernel.raise_status, _ignore)
        type(self).__call__ = head

    def _load_or_compile(self, key: tuple) -> Kernel:
        """The kernel for `key`: from the on-disk cache when it is there and still
        right, else compiled now (and saved)."""
        reason = self._why_new(key)
        cache = _kernel_cache() if self.cache and config.cache else None
        if cache is not None:
            found = cache.load(self.py_func, key, self.options.key(), TIER)
            if found.kernel is not None:
                return found.kernel
            reason = f"{reason}; cache: {found.reason}"
        if config.explain:
            shown = ", ".join(map(str, key))
            print(f"noodle: compiling {self.py_func.__qualname__}({shown}): {reason}",
                  file=sys.stderr)
        from noodle.compiler.pipeline import compile_function

        kernel = compile_function(self.py_func, key, self.options)
        if cache is not None:
            cache.save(self.py_func, kernel, self.options.key(), TIER)
        return kernel

    def _load(self, compiled: Kernel, declared_return: NType | None) -> CompiledKernel:
        conversion = self._return_conversion(compiled.result_type, declared_return)
        try:
            return CompiledKernel(compiled, conversion)
        except RuntimeError as e:  # object code from the cache that does not load
            if "nir" in compiled.stages:
                raise
            warnings.warn(NoodleCacheWarning(
                f"a cached kernel of {self.py_func.__qualname__} did not load ({e}); "
                "recompiling"), stacklevel=5)
            from noodle.compiler.pipeline import compile_function

            return CompiledKernel(compile_function(self.py_func, compiled.arg_types,
                                                   self.options), conversion)

    def _why_new(self, key: tuple) -> str:
        """Why `key` has no kernel in this process yet: which argument types differ from
        the nearest key that has one."""
        known = [k for k in self._kernels if len(k) == len(key) and k != key]
        if not known:
            return "first call"
        names = list(self._signature.parameters)
        nearest = min(known, key=lambda k: sum(a != b for a, b in zip(k, key)))
        changed = [f"'{names[i]}' was {old}, now {new}"
                   for i, (old, new) in enumerate(zip(nearest, key)) if old != new]
        return "new argument types: " + "; ".join(changed)

    def _return_conversion(self, inferred: NType, declared: NType | None) -> Scalar | None:
        """The scalar type to return instead of `inferred`, as Numba converts a result
        to the declared return type; None when no conversion is needed."""
        if declared is None or declared == inferred:
            return None
        if isinstance(declared, Scalar) and isinstance(inferred, Scalar):
            return declared
        code = self.py_func.__code__
        raise TypingError(f"{self.py_func.__qualname__} returns {inferred}, but its "
                          f"signature declares {declared}",
                          SourceLocation(code.co_filename, code.co_firstlineno, 0),
                          "fix the signature's return type")

    # -- introspection ----------------------------------------------------------------------
    @property
    def signatures(self) -> list[tuple[NType, ...]]:
        return [k for k, v in self._kernels.items() if isinstance(v, CompiledKernel)]

    def inspect(self, stage: str = "nir", signature: tuple | None = None) -> str | bytes:
        """The text of one stage (`STAGES`) of a compiled specialisation (the last one
        compiled unless `signature` names one)."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; choose from {', '.join(STAGES)}")
        key = signature if signature is not None else self._last_key
        kernel = self._kernels.get(key)
        if not isinstance(kernel, CompiledKernel):
            raise ValueError(f"{self.py_func.__qualname__} has no compiled specialisation "
                             "for that signature")
        stages = kernel.kernel.stages
        if stage not in stages:  # a kernel from the cache keeps its object code only
            from noodle.compiler.pipeline import compile_function

            stages.update(compile_function(self.py_func, key, self.options).stages)
        return stages[stage]

    def __repr__(self) -> str:
        return f"<noodle.jit {self.py_func.__qualname__}>"

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)


def _ignore() -> None:
    """The hot hook of entries until the profiler sets one."""


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


def jit(func: Callable | str | list | None = None, /, *signatures: str, fallback: bool = True,
        boundscheck: bool = False, opt_level: int = 2, cache: bool = True, **unknown: Any):
    """Compile a NumPy-style Python function to native code.

    `@jit`, `@jit(**options)`, `jit(f, **options)` and `@jit("float64(float64[:])", ...)`
    (explicit signatures compile at once and refuse other argument types).
    Options: fallback (run as Python with a warning when compilation is impossible;
    default True), boundscheck (IndexError on out-of-bounds indexing; default False, where
    out-of-bounds access is undefined as in C and Numba), opt_level (LLVM, 0-3), cache
    (keep kernels in the on-disk cache, `NOODLE_CACHE_DIR`; default True).
    """
    if unknown:
        raise TypeError(f"jit() got unknown option(s): {', '.join(sorted(unknown))}")
    options = CompileOptions(boundscheck=boundscheck, opt_level=opt_level)
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
        return own_class(f, options, fallback, sigs, cache)

    return decorate if func is None else decorate(func)
