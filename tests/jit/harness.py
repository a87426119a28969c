"""Differential harness: a function run by CPython/NumPy vs the same function compiled.

``assert_same(func, *args)`` runs ``func`` as plain Python on a copy of the arguments and
``noodle.jit(func, fallback=False)`` on other copies (twice: the first call compiles, the
second goes through the already-compiled entry), then compares

- the results: arrays by exact type (``np.ndarray``), dtype, shape and values; scalars by
  value and kind (``bool``/``int``/``float`` vs the exact NumPy scalar type); tuples
  element by element;
- the arguments afterwards (in-place effects), including the whole buffer that an array
  argument is a view of, so a write outside the view is caught too;
- exceptions: when the test declares ``raises=E``, Python must raise ``E`` and the
  compiled function an exception of the same type, having written to its arguments
  exactly what Python wrote before it raised.

Floating values compare with rtol=1e-9 (float64) or 1e-5 (float32), ``equal_nan=True``;
everything else exactly.

Copies keep the memory layout of every array argument (strides, negative strides,
offset into the base buffer) and the aliasing between arguments (the same array passed
twice, or two views of one buffer), which ``copy.deepcopy`` would lose.

Compiled functions are memoised per (function, options) so a hypothesis test that calls
``assert_same`` many times compiles once per argument-type key.
"""
from __future__ import annotations

import copy
import math
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Hypothesis settings for every property test in this directory: few examples (each new
# type key compiles), no deadline (the first example compiles), reproducible, and no
# example database written into the repository.
HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)



def float_array_pairs(min_len: int, max_len: int) -> st.SearchStrategy:
    """Two float64 arrays of one random length in [min_len, max_len], values in ±1e3."""
    floats = st.floats(-1e3, 1e3)
    return st.integers(min_len, max_len).flatmap(lambda n: st.tuples(
        hnp.arrays(np.float64, n, elements=floats), hnp.arrays(np.float64, n, elements=floats)))


_COMPILED: dict[tuple, Any] = {}


def jitted(func: Callable, **options) -> Any:
    """``noodle.jit(func, fallback=False, **options)``, one object per (func, options)."""
    key = (func, tuple(sorted(options.items())))
    compiled = _COMPILED.get(key)
    if compiled is None:
        import noodle

        compiled = noodle.jit(func, fallback=False, **options)
        _COMPILED[key] = compiled
    return compiled


# --------------------------------------------------------------------------- copying

def _owner(a: np.ndarray) -> Any:
    base = a
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    return base


def _addr(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _span_clone(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` in a fresh buffer with the same strides (layout kept)."""
    if a.size == 0:
        try:
            return np.ndarray(a.shape, a.dtype, buffer=np.zeros(a.itemsize, np.uint8),
                              strides=a.strides)
        except (ValueError, TypeError):
            return np.empty(a.shape, a.dtype)
    lo = sum(s * (n - 1) for s, n in zip(a.strides, a.shape) if s < 0)
    hi = sum(s * (n - 1) for s, n in zip(a.strides, a.shape) if s > 0) + a.itemsize
    buf = np.zeros(hi - lo, np.uint8)
    out = np.ndarray(a.shape, a.dtype, buffer=buf, offset=-lo, strides=a.strides)
    out[...] = a
    return out


class _Cloner:
    """Copies an argument list, keeping layouts and aliasing; remembers the buffers."""

    def __init__(self) -> None:
        self.owners: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # id -> (orig, clone)
        self.memo: dict[int, Any] = {}

    def _owner_clone(self, owner: np.ndarray) -> np.ndarray:
        entry = self.owners.get(id(owner))
        if entry is None:
            if owner.flags.c_contiguous or owner.flags.f_contiguous:
                order = "C" if owner.flags.c_contiguous else "F"
                clone = np.array(owner, order=order, copy=True)
            else:
                clone = _span_clone(owner)
            entry = (owner, clone)
            self.owners[id(owner)] = entry
        return entry[1]

    def array(self, a: np.ndarray) -> np.ndarray:
        owner = _owner(a)
        if owner is a or not isinstance(owner, np.ndarray):
            if owner is a and (a.flags.c_contiguous or a.flags.f_contiguous):
                return self._owner_clone(a)
            return _span_clone(a)
        owner_clone = self._owner_clone(owner)
        if not (owner.flags.c_contiguous or owner.flags.f_contiguous):
            return _span_clone(a)
        offset = _addr(a) - _addr(owner)
        lo = offset + sum(s * (n - 1) for s, n in zip(a.strides, a.shape) if s < 0)
        if a.size == 0 or lo < 0:
            return _span_clone(a)
        raw = owner_clone.reshape(-1, order="A").view(np.uint8)
        try:
            view = np.ndarray(a.shape, a.dtype, buffer=raw, offset=offset, strides=a.strides)
        except (ValueError, TypeError):
            return _span_clone(a)
        assert np.array_equal(view, a, equal_nan=view.dtype.kind in "fc")
        return view

    def __call__(self, obj: Any) -> Any:
        if id(obj) in self.memo:
            return self.memo[id(obj)]
        if isinstance(obj, np.ndarray):
            out = self.array(obj)
            if not obj.flags.writeable:
                out = out.view()
                out.flags.writeable = False
        elif isinstance(obj, tuple):
            out = tuple(self(x) for x in obj)
        elif isinstance(obj, list):
            out = [self(x) for x in obj]
        else:
            out = copy.deepcopy(obj)
        self.memo[id(obj)] = out
        return out


def clone_args(args: tuple) -> tuple[tuple, list[np.ndarray]]:
    """Copies of ``args`` plus the copies of every underlying buffer, in a fixed order."""
    cloner = _Cloner()
    cloned = tuple(cloner(a) for a in args)
    buffers = [clone for _, clone in cloner.owners.values()]
    return cloned, buffers


# --------------------------------------------------------------------------- comparing

def _float_rtol(dtype: np.dtype, rtol: float | None) -> float:
    if rtol is not None:
        return rtol
    return 1e-5 if np.dtype(dtype).itemsize <= 4 else 1e-9


def _scalar_close(expected: float, got: float, rtol: float, atol: float) -> bool:
    e, g = float(expected), float(got)
    if math.isnan(e) or math.isnan(g):
        return math.isnan(e) and math.isnan(g)
    if math.isinf(e) or math.isinf(g):
        return e == g
    return math.isclose(g, e, rel_tol=rtol, abs_tol=atol)


def assert_equivalent(expected: Any, got: Any, where: str = "result", *,
                      rtol: float | None = None, atol: float = 0.0,
                      np_float_for_py_float: bool = False) -> None:
    """Asserts ``got`` (compiled) matches ``expected`` (Python) as described above.

    ``np_float_for_py_float`` accepts ``np.float64`` where Python gave ``float``: the
    documented deviation for a variable that is a Python float on one path and a NumPy
    float64 on another.
    """
    kw = dict(rtol=rtol, atol=atol, np_float_for_py_float=np_float_for_py_float)
    if isinstance(expected, np.ndarray):
        assert type(got) is np.ndarray, (
            f"{where}: expected an ndarray, got {type(got).__name__}: {got!r}")
        assert got.dtype == expected.dtype, (
            f"{where}: dtype {got.dtype}, expected {expected.dtype}")
        assert got.shape == expected.shape, (
            f"{where}: shape {got.shape}, expected {expected.shape}")
        if expected.dtype.kind in "fc":
            np.testing.assert_allclose(
                got, expected, rtol=_float_rtol(expected.dtype, rtol), atol=atol,
                equal_nan=True, err_msg=f"{where}: values differ")
        else:
            np.testing.assert_array_equal(got, expected, err_msg=f"{where}: values differ")
        return
    if isinstance(expected, tuple):
        assert type(got) is tuple, f"{where}: expected a tuple, got {type(got).__name__}"
        assert len(got) == len(expected), (
            f"{where}: tuple of length {len(got)}, expected {len(expected)}")
        for i, (e, g) in enumerate(zip(expected, got)):
            assert_equivalent(e, g, f"{where}[{i}]", **kw)
        return
    if expected is None:
        assert got is None, f"{where}: expected None, got {got!r}"
        return
    if isinstance(expected, (bool, int, float, np.generic)):
        allowed = {type(expected)}
        if np_float_for_py_float and type(expected) is float:
            allowed.add(np.float64)
        assert type(got) in allowed, (
            f"{where}: got {type(got).__name__} {got!r}, expected "
            f"{type(expected).__name__} {expected!r}")
        if isinstance(expected, (float, np.floating)):
            tol = _float_rtol(np.asarray(expected).dtype, rtol)
            assert _scalar_close(expected, got, tol, atol), (
                f"{where}: got {got!r}, expected {expected!r} (rtol={tol})")
        else:
            assert got == expected, f"{where}: got {got!r}, expected {expected!r}"
        return
    assert got == expected, f"{where}: got {got!r}, expected {expected!r}"


# --------------------------------------------------------------------------- running

def run_python(func: Callable, args: tuple) -> tuple[Any, BaseException | None]:
    """Runs the reference; NumPy's floating-point warnings are silenced, not raised."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return func(*args), None
        except Exception as exc:
            return None, exc


def noodle_error_types() -> tuple[type[Warning], type[Exception]]:
    """(``NoodleFallbackWarning``, ``NoodleError``); replaced in the harness's own tests."""
    from noodle import errors

    return errors.NoodleFallbackWarning, errors.NoodleError


def run_compiled(compiled: Any, args: tuple) -> tuple[Any, BaseException | None]:
    """Calls the compiled function; a fallback warning is turned into an error."""
    fallback_warning, noodle_error = noodle_error_types()
    with warnings.catch_warnings():
        warnings.simplefilter("error", fallback_warning)
        try:
            return compiled(*args), None
        except (noodle_error, fallback_warning):
            raise
        except Exception as exc:
            return None, exc


def public_type(exc: BaseException) -> type[BaseException]:
    """The exception type a user would catch: the first in its class's MRO that its module
    exports under its name. NumPy raises private subclasses of builtin exceptions, which
    it names as their base (`_ArrayMemoryError`, made with the failed array's shape, for
    a MemoryError); compiled code has no reason to build those."""
    for t in type(exc).__mro__:
        if getattr(sys.modules.get(t.__module__), t.__name__, None) is t:
            return t
    return type(exc)


def assert_same(func: Callable, *args: Any, raises: type[BaseException] | None = None,
                rtol: float | None = None, atol: float = 0.0, calls: int = 2,
                np_float_for_py_float: bool = False, jit_options: dict | None = None,
                compiled: Any = None) -> Any:
    """Runs ``func`` in Python and compiled on copies of ``args``; asserts they agree.

    ``raises``: the exception type Python is expected to raise (the compiled function
    must raise the same type); if Python raises without it, that is a bug in the test.
    ``compiled``: use this jitted object instead of ``noodle.jit(func, fallback=False)``.
    Returns the Python result.
    """
    if compiled is None:
        compiled = jitted(func, **(jit_options or {}))
    py_args, py_buffers = clone_args(args)
    expected, py_exc = run_python(func, py_args)
    if raises is None and py_exc is not None:
        raise AssertionError(
            f"the Python reference raised {type(py_exc).__name__}: {py_exc}") from py_exc
    if raises is not None:
        assert py_exc is not None, (
            f"the Python reference returned {expected!r} instead of raising "
            f"{raises.__name__}")
        assert isinstance(py_exc, raises), (
            f"the Python reference raised {type(py_exc).__name__}, not {raises.__name__}")

    kw = dict(rtol=rtol, atol=atol, np_float_for_py_float=np_float_for_py_float)
    for call in range(calls):
        tag = f"call {call + 1}"
        jit_args, jit_buffers = clone_args(args)
        got, jit_exc = run_compiled(compiled, jit_args)
        if py_exc is not None:
            assert jit_exc is not None, (
                f"{tag}: Python raised {type(py_exc).__name__}({py_exc}) but the "
                f"compiled function returned {got!r}")
            assert isinstance(jit_exc, public_type(py_exc)), (
                f"{tag}: Python raised {type(py_exc).__name__}({py_exc}), the compiled "
                f"function {type(jit_exc).__name__}({jit_exc})")
        elif jit_exc is not None:
            raise AssertionError(
                f"{tag}: the compiled function raised {type(jit_exc).__name__}: "
                f"{jit_exc}") from jit_exc
        else:
            assert_equivalent(expected, got, f"{tag}: result", **kw)
        # what was written before an exception must match too: no more, no less
        for i, (e, g) in enumerate(zip(py_args, jit_args)):
            assert_equivalent(e, g, f"{tag}: argument {i} after the call", **kw)
        for i, (e, g) in enumerate(zip(py_buffers, jit_buffers)):
            assert_equivalent(e, g, f"{tag}: buffer under array argument(s) #{i}", **kw)
    return expected
