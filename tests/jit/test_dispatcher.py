"""The dispatcher: decorator forms, one specialisation per argument-type key, explicit
signatures in Numba's spelling, `inspect(stage=)`, and the NOODLE_* switches."""
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest

import noodle
from noodle import errors
from noodle.compiler.types import PY_INT, Array

from .harness import assert_same


def scale(a, k):
    return a * k


def first(a):
    return a[0]


def mixed(x):
    return x + 1


def test_decorator_forms_compile_the_same_function():
    a = np.arange(4.0)
    for f in (noodle.jit(scale), noodle.jit()(scale), noodle.jit(fallback=False)(scale),
              noodle.jit(scale, boundscheck=True)):
        np.testing.assert_array_equal(f(a, 2.0), a * 2.0)
        assert f.py_func is scale


def test_one_specialisation_per_argument_type_key():
    f = noodle.jit(scale, fallback=False)
    f(np.arange(3.0), 2.0)
    f(np.arange(5.0), 3.0)  # same key: no new specialisation
    f(np.arange(3), 2)
    f(np.arange(6.0).reshape(2, 3), 2.0)
    assert len(f.signatures) == 3
    assert (Array(np.dtype(np.float64), 1, "C"), noodle.compiler.types.PY_FLOAT) in f.signatures
    # the layout is part of the key: a strided array gets code that reads its strides
    np.testing.assert_array_equal(f(np.arange(10.0)[::-3], 2.0), np.arange(10.0)[::-3] * 2.0)
    assert len(f.signatures) == 4
    assert (Array(np.dtype(np.float64), 1, "A"), noodle.compiler.types.PY_FLOAT) in f.signatures
    f(np.arange(10.0)[1:4], 2.0)  # a contiguous slice is "C"
    assert len(f.signatures) == 4


def test_explicit_signature_compiles_at_decoration_and_refuses_other_types():
    f = noodle.jit("float64(float64[:])")(first)
    assert len(f.signatures) == 1  # before any call
    assert f(np.array([2.5, 1.0])) == 2.5
    with pytest.raises(TypeError, match="no compiled signature"):
        f(np.array([1, 2]))


def store_first(a, flag):
    if flag:
        a[0] = -1.0
    return a[-1]


def test_read_only_and_writable_specialisations_coexist_behind_the_native_entries():
    f = noodle.jit(store_first, fallback=False, cache=False)
    w, ro = np.arange(4.0), np.arange(4.0)
    ro.flags.writeable = False
    assert f(w, False) == 3.0
    assert f(ro, False) == 3.0  # refused by the writable kernel's entry: a key of its own
    keys = {sig[0].readonly: sig for sig in f.signatures}
    assert len(f.signatures) == 2 and set(keys) == {False, True}
    assert str(keys[True][0]) == "readonly array(float64, 1d, C)"
    python_path = {k: f._profiles[sig].python_calls for k, sig in keys.items()}
    for _ in range(3):
        with pytest.raises(ValueError, match="assignment destination is read-only"):
            f(ro, True)
        assert f(w, True) == 3.0 and w[0] == -1.0 and ro[0] == 0.0
        w[0] = 0.0
    # every call above went straight to its kernel's native entry
    assert {k: f._profiles[sig].python_calls for k, sig in keys.items()} == python_path
    locked = np.arange(4.0)
    assert f(locked, True) == 3.0 and locked[0] == -1.0
    locked.flags.writeable = False  # the same object, locked after a call
    with pytest.raises(ValueError, match="read-only"):
        f(locked, True)


def test_a_read_only_array_takes_only_a_signature_that_declares_it():
    w, ro = np.arange(4.0), np.arange(4.0)
    ro.flags.writeable = False
    writable_only = noodle.jit("float64(float64[:], boolean)")(store_first)
    with pytest.raises(TypeError, match="no compiled signature.*'readonly float64\\[:\\]'"):
        writable_only(ro, False)
    both = noodle.jit(["float64(readonly float64[:], boolean)",
                       "float64(float64[:], boolean)"])(store_first)
    assert both(ro, False) == 3.0
    with pytest.raises(ValueError, match="read-only"):
        both(ro, True)
    assert both(w, True) == 3.0 and w[0] == -1.0
    read_only_only = noodle.jit("float64(readonly float64[::1], boolean)")(store_first)
    assert read_only_only(ro, False) == 3.0
    with pytest.raises(TypeError, match="no compiled signature"):
        read_only_only(w, False)


def test_several_explicit_signatures():
    f = noodle.jit(["int64(int64)", "float64(float64)"])(mixed)
    assert len(f.signatures) == 2
    assert f(1) == 2 and type(f(1)) is int
    assert f(1.5) == 2.5


def test_declared_return_type_converts_the_result_like_numba():
    f = noodle.jit("float64(int64)")(mixed)
    result = f(3)
    assert result == 4.0 and type(result) is float


def test_declared_return_type_that_cannot_fit_is_a_typing_error():
    with pytest.raises(errors.TypingError, match="declares"):
        noodle.jit("float64[:](float64[:])")(first)


def test_bad_signature_text_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown type"):
        noodle.jit("float64(floot64)")(mixed)


def test_inspect_returns_every_stage():
    f = noodle.jit(scale, fallback=False)
    f(np.arange(3.0), 2.0)
    assert '"nir.binary"' in f.inspect("nir")
    assert "llvm.func" in f.inspect("mlir")
    assert "define" in f.inspect("llvm")
    assert f.inspect("asm").strip()
    assert isinstance(f.inspect("obj"), bytes) and f.inspect("obj")
    with pytest.raises(ValueError, match="unknown stage"):
        f.inspect("bytecode")
    key = (Array(np.dtype(np.float64), 1, "C"), noodle.compiler.types.PY_FLOAT)
    assert f.inspect("nir", signature=key) == f.inspect("nir")


def _run_script(body: str, **env: str) -> subprocess.CompletedProcess:
    script = textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**__import__("os").environ, **env}, timeout=300)


def test_dump_ir_prints_each_stage_as_it_is_produced(tmp_path):
    module = tmp_path / "kernel.py"
    module.write_text("def add(a, b):\n    return a + b\n")
    done = _run_script(f"""
        import sys; sys.path.insert(0, {str(tmp_path)!r})
        import noodle, kernel
        print(noodle.jit(kernel.add)(1, 2))
    """, NOODLE_DUMP_IR="1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"
    for stage in ("nir", "mlir", "llvm", "asm"):
        assert f"noodle {stage}: add" in done.stderr


def uses_a_list(n):
    return [n]


def test_disable_jit_runs_python_without_compiling(monkeypatch):
    monkeypatch.setenv("NOODLE_DISABLE_JIT", "1")
    f = noodle.jit(uses_a_list)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning: nothing was compiled
        assert f(3) == [3]
    assert f.signatures == []


def test_keyword_and_default_arguments_bind_like_python():
    assert_same(scale, np.arange(3.0), 2.0)
    f = noodle.jit(scale, fallback=False)
    np.testing.assert_array_equal(f(k=2.0, a=np.arange(3.0)), np.arange(3.0) * 2.0)


def with_default(a, k=3):
    return a * k


def test_default_arguments_are_filled_in():
    f = noodle.jit(with_default, fallback=False)
    np.testing.assert_array_equal(f(np.arange(3)), np.arange(3) * 3)
    assert f.signatures[0][1] == PY_INT


def keyword_only(x, *, y):
    return x - y


def test_a_function_with_keyword_only_parameters_compiles_with_them():
    f = noodle.jit(keyword_only, fallback=False, cache=False)
    assert f(3, y=1) == 2
    assert f(5, y=2.5) == 2.5
    assert [t.dtype.kind for key in f.signatures for t in key] == ["i", "i", "i", "f"]
    with pytest.raises(TypeError, match="missing a required argument: 'y'"):
        f(5)
