"""The `huge-page-allocations` pass in the compiled kernels: their arrays come from the
defined allocation functions (malloc, huge pages advised from 4 MiB), results are right,
and the memory goes back (NumPy frees results with `free`). Its IR is checked by
tests/filecheck/huge-page-allocations.mlir."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import noodle
from noodle.compiler import pipeline
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import typeof


def exp_plus_one(a):
    e = np.exp(a)
    return e / (e + 1.0)


@pytest.mark.parametrize("tier", ["baseline", "optimising"])
def test_kernels_allocate_through_the_defined_functions(tier):
    kernel = pipeline.compile_function(exp_plus_one, (typeof(np.zeros(3)),),
                                       CompileOptions(tier=tier))
    llvm_ir = kernel.stages["llvm"]
    assert "define internal ptr @_mlir_memref_to_llvm_alloc(" in llvm_ir
    assert ("@madvise(" in llvm_ir) == (sys.platform == "linux")


def resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux's /proc")
def test_large_results_are_right_and_their_memory_goes_back():
    """8 MB arrays, a temporary and the result per call: 40 calls keep the process's
    resident memory within a few arrays of where it started (a leak would add 320 MB)."""
    compiled = noodle.jit(exp_plus_one, cache=False)
    a = np.random.default_rng(5).standard_normal(1_000_000)
    expected = exp_plus_one(a)
    np.testing.assert_allclose(compiled(a), expected, rtol=1e-15)
    before = resident_bytes()
    for _ in range(40):
        result = compiled(a)
    np.testing.assert_allclose(result, expected, rtol=1e-15)
    del result
    assert resident_bytes() - before < 64 * 2 ** 20


def test_a_module_of_nothing_but_the_declarations_gets_the_definitions():
    from mlir import ir

    from noodle.passes.huge_page_allocations import huge_page_allocations_in
    with ir.Context():
        module = ir.Module.parse("llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)")
        huge_page_allocations_in(module.operation)
        assert module.operation.verify()
        text = str(module)
    assert "llvm.func internal @_mlir_memref_to_llvm_free(%" in text
    assert "llvm.call @free(" in text


def test_a_first_compile_does_not_import_the_llvm_dialects_python_module(tmp_path):
    """The pass looks at the module's functions as plain operations: an OpView of an
    llvm.func would import mlir.dialects.llvm, ~18 ms of a process's first compile."""
    script = tmp_path / "first.py"
    script.write_text(
        "import sys\nimport numpy as np\nimport noodle\n"
        "def f(a):\n    return np.exp(a) + 1.0\n"
        "noodle.jit(f, cache=False, fallback=False)(np.ones(3))\n"
        "print('mlir.dialects.llvm' in sys.modules)\n")
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": repo}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False"]
