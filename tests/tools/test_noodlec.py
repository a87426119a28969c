"""`noodlec`'s command line: each --emit kind, -O levels, -v, --sig, `.mlir` inputs (NIR
and upstream dialects), and its errors (source errors with a caret and exit status 1, bad
options with the usage and exit status 2, no output file left behind on failure)."""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import noodle
from noodle.tools import noodlec

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ROOT / "examples" / "kernels.py"
needs_cc = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")


def ptxas_or_skip() -> str:
    from noodle.compiler.gpu.toolkit import ptxas_path

    ptxas = ptxas_path()
    if ptxas is None:
        pytest.skip("ptxas not found (CUDA toolkit or nvidia-cuda-nvcc-cu12): the PTX is "
                    "not assembled")
    return ptxas

PLAIN = """\
import numpy as np


def scaled_sum(x, s):
    return np.sum(x) * s


def add_one(a):
    return a + 1
"""

NIR_FILE = """\
!vector = memref<?xf64, strided<[?], offset: ?>>
func.func @expm(%a: !vector) -> !vector {
  %r = "nir.unary"(%a) {kind = "exp", dtype = "float64"} : (!vector) -> !vector
  return %r : !vector
}
"""

UPSTREAM_FILE = """\
func.func @scale(%a: memref<?xf64>, %s: f64) -> memref<?xf64> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?xf64>
  %out = memref.alloc(%n) : memref<?xf64>
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xf64>
    %y = arith.mulf %x, %s : f64
    memref.store %y, %out[%i] : memref<?xf64>
  }
  return %out : memref<?xf64>
}

func.func @dot3(%a: memref<3xf32>, %b: memref<3xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %z = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%acc = %z) -> f32 {
    %x = memref.load %a[%i] : memref<3xf32>
    %y = memref.load %b[%i] : memref<3xf32>
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    scf.yield %s : f32
  }
  return %r : f32
}

func.func private @helper(%x: f64) -> f64 {
  return %x : f64
}
"""


def run(*args: str):
    return CliRunner().invoke(noodlec.main, [str(a) for a in args])


def library_of(tmp_path: Path, name: str, text: str):
    """`text` written to `name`.mlir, compiled by noodlec to `name`.so (which must
    succeed) and loaded."""
    source = tmp_path / f"{name}.mlir"
    source.write_text(text)
    result = run(source, "-o", tmp_path / f"{name}.so")
    assert result.exit_code == 0, result.output
    return noodle.load(tmp_path / f"{name}.so")


@pytest.fixture
def plain(tmp_path) -> Path:
    path = tmp_path / "plain.py"
    path.write_text(PLAIN)
    return path


# -- --emit ---------------------------------------------------------------------------------
@pytest.mark.parametrize("emit, marker", [
    ("nir", "func.func private @noodle_fn_axpy"),
    ("mlir", "llvm.func"),
    ("llvm", " i32 @axpy(double"),
    ("asm", "axpy:"),
])
def test_each_text_stage_goes_to_standard_output(emit, marker):
    result = run(KERNELS, "--emit", emit)
    assert result.exit_code == 0, result.output
    assert marker in result.output
    if emit in ("nir", "mlir"):  # one module per signature, split as mlir-opt reads them
        assert result.output.count("// -----") == 7


def test_the_text_stages_parse_again(tmp_path):
    """`nir` (split at `// -----`) parses with noodle's dialects; `llvm` with LLVM."""
    import llvmlite.binding as llvm
    from mlir import ir

    from noodle.dialects import make_context

    nir = run(KERNELS, "--emit", "nir").output
    with make_context():
        for part in nir.split("// -----\n"):
            ir.Module.parse(part)
    llvm.parse_assembly(run(KERNELS, "--emit", "llvm", "-O0").output).verify()


def test_emit_obj_writes_a_relocatable_object(tmp_path):
    out = tmp_path / "k.o"
    result = run(KERNELS, "--emit", "obj", "-o", out)
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data[:4] == b"\x7fELF" and data[16] == 1  # ET_REL
    assert not (tmp_path / "k.h").exists()


@needs_cc
def test_emit_so_is_the_default_and_names_outputs_after_the_input(plain, tmp_path,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(plain, "--sig", "scaled_sum=float64(float64[:], float64)")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "plain.so").exists() and (tmp_path / "plain.h").exists()
    lib = noodle.load(tmp_path / "plain.so")
    assert lib.scaled_sum(np.arange(4.0), 0.5) == 3.0
    assert "int scaled_sum(double *x" in (tmp_path / "plain.h").read_text()


@pytest.mark.parametrize("level", ["-O0", "-O1", "-O2", "-O3"])
def test_each_optimisation_level_compiles(level, tmp_path):
    out = tmp_path / "k.s"
    result = run(KERNELS, "--emit", "asm", level, "-o", out)
    assert result.exit_code == 0, result.output
    assert "axpy:" in out.read_text()


def test_optimisation_changes_the_code():
    o0 = run(KERNELS, "--emit", "asm", "-O0").output
    o3 = run(KERNELS, "--emit", "asm", "-O3").output
    assert o0 != o3
    assert len(o3.splitlines()) < len(o0.splitlines())


def test_verbose_prints_each_stage_and_its_time(plain, tmp_path):
    result = CliRunner().invoke(noodlec.main, [
        str(plain), "--sig", "add_one=int64[:](int64[:])", "--emit", "obj", "-v",
        "-o", str(tmp_path / "p.o")])
    assert result.exit_code == 0, result.output
    for stage in ("nir", "mlir", "llvm", "link", "obj"):
        assert f"noodlec: {stage}" in result.output
    assert " ms  add_one(int64[:](int64[:]))" in result.output


def test_sig_compiles_plain_functions_and_mangles_several_signatures(plain):
    result = run(plain, "--sig", "add_one=int64[:](int64[:])", "--sig",
                 "add_one=float32[:](float32[:])", "--emit", "llvm")
    assert result.exit_code == 0, result.output
    assert " i32 @add_one__i64a1(ptr" in result.output
    assert " i32 @add_one__f32a1(ptr" in result.output


def test_parallel_and_fastmath_reach_the_code():
    plain = run(KERNELS, "--emit", "llvm", "-O0").output
    fast = run(KERNELS, "--emit", "llvm", "-O0", "--fastmath").output
    assert "fmul fast" not in plain and "fadd fast" not in plain
    assert "fmul fast" in fast or "fadd fast" in fast
    parallel = run(KERNELS, "--emit", "llvm", "-O0", "--parallel").output
    assert "mlirAsyncRuntime" in parallel


# -- .mlir inputs ---------------------------------------------------------------------------
def test_a_file_with_no_public_function_is_an_error_not_an_empty_library(tmp_path):
    """`--emit nir` prints noodle's internal, private functions: fed back in, they would
    give a library that exports nothing."""
    nir = tmp_path / "kernels.mlir"
    assert run(KERNELS, "--emit", "nir", "-o", nir).exit_code == 0
    result = run(nir, "-o", tmp_path / "kernels.so")
    assert result.exit_code == 1
    assert "no public func.func to compile" in result.output
    assert "compile the Python source instead" in result.output
    assert not (tmp_path / "kernels.so").exists() and not (tmp_path / "kernels.h").exists()


@needs_cc
def test_an_nir_file_becomes_a_library(tmp_path):
    lib = library_of(tmp_path, "nir_kernels", NIR_FILE)
    header = (tmp_path / "nir_kernels.h").read_text()
    assert "int expm(double *arg0, const int64_t *arg0_shape" in header
    x = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(lib.expm(x[::-2]), np.exp(x[::-2]), rtol=1e-15)
    assert lib.expm(np.zeros(0)).shape == (0,)


@needs_cc
def test_an_upstream_dialect_file_becomes_a_library(tmp_path):
    lib = library_of(tmp_path, "upstream", UPSTREAM_FILE)
    header = (tmp_path / "upstream.h").read_text()
    assert "helper" not in header  # private functions are not exported
    x = np.arange(5.0)
    np.testing.assert_array_equal(lib.scale(x, 2.0), 2 * x)
    a, b = np.arange(3, dtype=np.float32), np.ones(3, np.float32)
    assert lib.dot3(a, b) == np.float32(3.0)
    with pytest.raises(ValueError, match="shape does not fit"):  # memref<3xf32>
        lib.dot3(np.ones(4, np.float32), np.ones(4, np.float32))
    with pytest.raises(TypeError, match="C-contiguous"):  # identity layout
        lib.scale(x[::2], 2.0)


TENSOR_FILE = """\
#map = affine_map<(d0) -> (d0)>
func.func @add(%a: tensor<?xf64>, %b: tensor<?xf64>) -> tensor<?xf64> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?xf64>
  %e = tensor.empty(%n) : tensor<?xf64>
  %r = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
      ins(%a, %b : tensor<?xf64>, tensor<?xf64>) outs(%e : tensor<?xf64>) {
  ^bb0(%x: f64, %y: f64, %o: f64):
    %s = arith.addf %x, %y : f64
    linalg.yield %s : f64
  } -> tensor<?xf64>
  return %r : tensor<?xf64>
}
"""


@needs_cc
def test_upstream_code_on_tensors_is_bufferized(tmp_path):
    lib = library_of(tmp_path, "tensors", TENSOR_FILE)
    x = np.arange(6.0)
    np.testing.assert_array_equal(lib.add(x, 10 * x), 11 * x)
    with pytest.raises(TypeError, match="C-contiguous"):
        lib.add(x[::2], x[::2])


AFFINE_AND_COMPLEX_FILE = """\
func.func @twice(%x: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %x, %c0 : memref<?xf64>
  affine.for %i = 0 to %n {
    %v = affine.load %x[%i] : memref<?xf64>
    %w = arith.addf %v, %v : f64
    affine.store %w, %x[%i] : memref<?xf64>
  }
  return
}

func.func @modulus(%a: f64, %b: f64) -> f64 {
  %z = complex.create %a, %b : complex<f64>
  %r = complex.abs %z : complex<f64>
  return %r : f64
}

func.func @square_re(%a: f64, %b: f64) -> f64 {
  %z = complex.create %a, %b : complex<f64>
  %s = complex.mul %z, %z : complex<f64>
  %r = complex.re %s : complex<f64>
  return %r : f64
}
"""


def _noodlec_process(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    """noodlec in a fresh process: a crash there (a signal) is a failed test, not a dead
    test run."""
    return subprocess.run([sys.executable, "-m", "noodle.tools.noodlec", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd,
                          env={"PYTHONPATH": str(ROOT), "PATH": os.environ["PATH"]})


@needs_cc
def test_affine_loops_and_complex_arithmetic_are_lowered(tmp_path):
    source = tmp_path / "ac.mlir"
    source.write_text(AFFINE_AND_COMPLEX_FILE)
    done = _noodlec_process(source, "-o", tmp_path / "ac.so", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lib = noodle.load(tmp_path / "ac.so")
    x = np.arange(5.0)
    lib.twice(x)
    np.testing.assert_array_equal(x, 2 * np.arange(5.0))
    assert lib.modulus(3.0, 4.0) == 5.0
    assert lib.modulus(-1e200, 1e200) == abs(complex(-1e200, 1e200))  # no overflow
    assert lib.square_re(3.0, 2.0) == ((3 + 2j) ** 2).real
    for emit in ("llvm", "obj"):
        done = _noodlec_process(source, "--emit", emit, "-o", tmp_path / f"ac.{emit}",
                                cwd=tmp_path)
        assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("emit", ["so", "llvm", "obj"])
def test_an_op_left_unlowered_is_a_located_error_not_a_crash(emit, tmp_path):
    source = tmp_path / "gpu_op.mlir"
    source.write_text("func.func @g(%a: index) -> index {\n  %t = gpu.thread_id x\n"
                      "  %s = arith.addi %a, %t : index\n  return %s : index\n}\n")
    out = tmp_path / f"gpu_op.{emit}"
    done = _noodlec_process(source.name, "--emit", emit, "-o", out.name, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines()[:3] == [
        "gpu_op.mlir:2:8: error: cannot lower 'gpu.thread_id' to LLVM",
        "  %t = gpu.thread_id x", "       ^"]
    assert not out.exists()


def test_translation_refuses_a_module_not_in_the_llvm_dialect():
    """The bindings' translation crashes the process on such a module: `translate`
    checks first."""
    from mlir import ir

    from noodle.compiler.pipeline import translate
    from noodle.dialects import make_context
    from noodle.errors import LoweringError

    with make_context():
        module = ir.Module.parse("func.func @f(%a: f64) -> f64 {\n  return %a : f64\n}\n")
        with pytest.raises(LoweringError, match="cannot lower 'func.func' to LLVM"):
            translate(module)


ELEMENTWISE_TENSOR_FILE = """\
func.func @twice(%x: tensor<?xf32>) -> (tensor<?xf32>, index) {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?xf32>
  %y = arith.addf %x, %x : tensor<?xf32>
  %z = math.absf %y : tensor<?xf32>
  return %z, %d : tensor<?xf32>, index
}
"""


@needs_cc
def test_elementwise_arithmetic_on_tensors_compiles(tmp_path):
    lib = library_of(tmp_path, "st", ELEMENTWISE_TENSOR_FILE)
    x = np.array([-1.5, 0.0, 2.0, -np.inf], np.float32)
    before = x.copy()
    doubled, n = lib.twice(x)
    np.testing.assert_array_equal(doubled, np.abs(before + before))
    np.testing.assert_array_equal(x, before)  # a tensor argument is a value: not written
    assert n == 4


@pytest.mark.parametrize("target", [[], ["--emit", "ptx", "--target", "cuda"]])
def test_a_tensor_op_that_does_not_bufferize_is_a_located_error(target, tmp_path,
                                                                monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("shape.mlir").write_text(
        "func.func @s(%x: tensor<?xf32>) -> index {\n"
        "  %s = shape.shape_of %x : tensor<?xf32> -> tensor<1xindex>\n"
        "  %c0 = arith.constant 0 : index\n"
        "  %d = tensor.extract %s[%c0] : tensor<1xindex>\n  return %d : index\n}\n")
    result = run("shape.mlir", *target, "-o", "shape.out")
    assert result.exit_code == 1
    assert result.output.splitlines()[:3] == [
        "shape.mlir:2:8: error: the tensors of this module do not bufferize: "
        "'shape.shape_of': op was not bufferized",
        "  %s = shape.shape_of %x : tensor<?xf32> -> tensor<1xindex>", "       ^"]


def test_tosa_is_refused_with_its_location_and_how_to_lower_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("to.mlir").write_text(
        "func.func @to(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {\n"
        "  %r = tosa.add %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>\n"
        "  return %r : tensor<4xf32>\n}\n")
    result = run("to.mlir", "-o", "to.so")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "to.mlir:2:8: error: noodlec does not compile 'tosa.add' (a tosa op)"
    assert lines[2] == "       ^" and "tosa-to-linalg" in lines[3]


def test_an_mlir_verifier_error_has_no_generic_op_dump(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("g.mlir").write_text("func.func @s() -> tensor<4xf32> {\n"
                              "  %y = ml_program.global_load_const @foo : tensor<4xf32>\n"
                              "  return %y : tensor<4xf32>\n}\n")
    result = run("g.mlir", "-o", "g.so")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "g.mlir:2:8: error: 'ml_program.global_load_const' op undefined global: @foo",
        "  %y = ml_program.global_load_const @foo : tensor<4xf32>", "       ^"]


def test_mlir_stages_of_an_mlir_file(tmp_path):
    source = tmp_path / "upstream.mlir"
    source.write_text(UPSTREAM_FILE)
    nir = run(source, "--emit", "nir")
    assert nir.exit_code == 0 and "scf.for" in nir.output
    lowered = run(source, "--emit", "mlir")
    assert "llvm.func @noodle_mlir_scale" in lowered.output
    assert " i32 @scale(ptr" in run(source, "--emit", "llvm").output


# -- errors ---------------------------------------------------------------------------------
def test_a_source_error_prints_the_location_line_and_caret_exit_1(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text(textwrap.dedent("""\
        import noodle


        @noodle.jit("float64(float64[:])")
        def f(x):
            y = x + (1, 2)
            return y.sum()
    """))
    out = tmp_path / "bad.so"
    result = run(source, "-o", out)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{source}:6:9: error: ")
    assert lines[1] == "    y = x + (1, 2)"
    assert lines[2] == "        ^"
    assert not out.exists() and not out.with_suffix(".h").exists()
    assert list(tmp_path.iterdir()) == [source]  # no temporary file left either


def test_a_bad_signature_points_at_its_decorator(tmp_path):
    source = tmp_path / "badsig.py"
    source.write_text('import noodle\n\n\n@noodle.jit("float64(floot64[:])")\n'
                      "def f(x):\n    return x.sum()\n")
    result = run(source, "--emit", "llvm")
    assert result.exit_code == 1
    assert f"{source}:4:" in result.output and "unknown type 'floot64'" in result.output
    assert "^" in result.output


def test_a_syntax_error_has_a_caret(tmp_path):
    source = tmp_path / "syntax.py"
    source.write_text("def f(x):\n    return x +* 2\n")
    result = run(source, "--emit", "nir")
    assert result.exit_code == 1
    assert result.output.startswith(f"{source}:2:") and "^" in result.output


def test_an_mlir_error_has_its_location_and_caret(tmp_path):
    source = tmp_path / "broken.mlir"
    source.write_text("func.func @f(%a: f64) -> f64 {\n  %r = arith.addf %a, %b : f64\n"
                      "  return %r : f64\n}\n")
    result = run(source, "-o", tmp_path / "broken.so")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{source}:2:23: error: use of undeclared SSA value name"
    assert lines[1:3] == ["  %r = arith.addf %a, %b : f64", " " * 22 + "^"]  # as mlir-opt
    assert not (tmp_path / "broken.so").exists()


def test_a_file_without_signatures_says_how_to_add_them(plain):
    result = run(plain, "--emit", "llvm")
    assert result.exit_code == 1
    assert "no function has an explicit signature" in result.output
    assert "--sig" in result.output


def test_a_failing_compile_keeps_an_existing_output_as_it_was(tmp_path):
    source = tmp_path / "bad.py"
    source.write_text('import noodle\n\n\n@noodle.jit("float64(float64[:])")\n'
                      "def f(x):\n    return x + (1, 2)\n")
    out = tmp_path / "lib.o"
    out.write_bytes(b"old")
    assert run(source, "--emit", "obj", "-o", out).exit_code == 1
    assert out.read_bytes() == b"old"


@pytest.mark.parametrize("args, message", [
    (["--emit", "exe"], "Invalid value for '--emit'"),
    (["-O7"], "Invalid value for '-O'"),
    (["--target", "tpu"], "Invalid value for '--target'"),
    (["--sig", "no_equals_sign"], "write NAME=SIG"),
    (["--sig", "f=float64(floot[:])"], "unknown type"),
    (["--no-such-option"], "No such option"),
])
def test_a_bad_option_prints_usage_and_exits_2(args, message, tmp_path):
    out = tmp_path / "k.so"
    result = run(KERNELS, "-o", out, *args)
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.output and message in result.output
    assert not out.exists()


def test_an_input_of_another_kind_is_a_usage_error(tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    result = run(other)
    assert result.exit_code == 2 and "expected a .py or .mlir file" in result.output


@pytest.mark.parametrize("emit", ["so", "obj", "llvm"])
def test_cuda_target_with_a_cpu_output_is_a_usage_error(emit, tmp_path):
    """An option conflict, as `--emit` and `--target` values cannot go together: the usage
    and exit status 2 (the default `--emit so` included), before anything compiles."""
    out = tmp_path / "k.out"
    result = run(KERNELS, "--target", "cuda", "--emit", emit, "-o", out)
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.output
    assert f"--emit {emit} is not available for --target cuda" in result.output
    assert run(KERNELS, "--target", "cuda:sm_80").exit_code == 2
    assert not out.exists()


def test_ptx_of_an_elementwise_kernel(plain):
    result = run(plain, "--sig", "add_one=float64[:](float64[:])", "--emit", "ptx",
                 "--target", "cuda:sm_80")
    assert result.exit_code == 0, result.output
    assert ".target sm_80" in result.output and ".entry" in result.output
    from noodle.compiler.gpu import toolkit
    from noodle.compiler.gpu.compile import assemble_ptx

    if toolkit.ptxas_path() is not None:  # valid PTX: ptxas assembles it
        assert assemble_ptx(result.output, "sm_80")


# -- the command group ----------------------------------------------------------------------
def test_the_cache_commands_stay(tmp_path):
    result = run("cache", "stats", "--dir", tmp_path)
    assert result.exit_code == 0 and "entries:   0" in result.output
    assert run("cache", "list", "--dir", tmp_path).exit_code == 0


def test_compile_is_also_a_named_command_and_help_lists_both():
    assert "compile" in run("--help").output and "cache" in run("--help").output
    assert "--emit" in run("compile", "--help").output


def test_the_console_script_entry_runs_as_a_module(tmp_path):
    """`python -m noodle.tools.noodlec` (what the `noodlec` script runs) in a fresh
    process: exit status 1 for a source error."""
    source = tmp_path / "bad.py"
    source.write_text('import noodle\n\n\n@noodle.jit("float64(float64[:])")\n'
                      "def f(x):\n    return x + (1, 2)\n")
    done = subprocess.run([sys.executable, "-m", "noodle.tools.noodlec", str(source)],
                          capture_output=True, text=True, cwd=tmp_path,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1, done.stderr
    assert "error:" in done.stderr and done.stdout == ""


@pytest.mark.parametrize("name, why", [
    ("malloc", "the C library has a function of that name"),
    ("free", "the C library has a function of that name"),
    ("exp", "the C library has a function of that name"),  # libm: the code calls it
    ("sqrtf", "the C library has a function of that name"),
    ("madvise", "the C library has a function of that name"),
    ("main", "it is a C program's entry point"),
    ("noodle_library_metadata", "the library defines a symbol of that name itself"),
    ("kern_error_message", "the library defines a symbol of that name itself"),
])
def test_a_function_named_as_a_c_library_or_own_symbol_is_refused(name, why, tmp_path,
                                                                   monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("clash.py").write_text(f'import noodle\n\n\n@noodle.jit("float64(float64)")\n'
                                f"def {name}(x):\n    return x * 2.0\n")
    result = run("clash.py", "-o", "kern.so")  # the library's prefix: kern
    assert result.exit_code == 1, result.output
    first, *rest = result.output.splitlines()
    assert first.startswith(f"clash.py:4:1: error: {name!r} cannot be a C name: {why}")
    assert first.endswith("rename it")
    assert rest == ['@noodle.jit("float64(float64)")', "^"]
    assert not Path("kern.so").exists()


def test_an_mlir_function_named_as_a_libm_function_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("m.mlir").write_text("func.func @sqrt(%a: f64) -> f64 {\n  return %a : f64\n}\n")
    result = run("m.mlir", "-o", "m.so")
    assert result.exit_code == 1
    assert result.output.startswith("m.mlir:1:1: error: 'sqrt' cannot be a C name")


def test_two_functions_of_one_c_name_point_at_the_second(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("a.py").write_text('import noodle\n\n\n@noodle.jit("float64(float64)")\n'
                            "def twice(x):\n    return x * 2.0\n")
    Path("b.mlir").write_text("\nfunc.func @twice(%a: f64) -> f64 {\n  return %a : f64\n}\n")
    result = run("a.py", "b.mlir", "-o", "ab.so")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "b.mlir:2:1: error: two compiled functions would both be the C function twice: "
        "rename one", "func.func @twice(%a: f64) -> f64 {", "^",
        "hint: the other is at a.py:4:1"]


@pytest.mark.parametrize("chip", ["sm_900", "sm_1", "sm_9x"])
def test_an_architecture_nvptx_does_not_know_is_a_usage_error(chip, plain):
    result = run(plain, "--sig", "add_one=float64[:](float64[:])", "--emit", "ptx",
                 "--target", f"cuda:{chip}")
    assert result.exit_code == 2
    assert "Usage:" in result.output and f"{chip!r} is not an architecture" in result.output
    assert "sm_80, sm_86" in result.output and "sm_90a" in result.output


def test_a_library_named_as_its_header_is_refused(plain, monkeypatch):
    monkeypatch.chdir(plain.parent)
    result = run("plain.py", "--sig", "add_one=float64[:](float64[:])", "-o", "k.h")
    assert result.exit_code == 1
    assert result.output == ("noodlec: error: the header k.h would overwrite the library "
                             "k.h: name the library with another suffix (-o k.so)\n")
    assert not Path("k.h").exists()


@pytest.mark.parametrize("emit, output", [("nir", "plain.py"), ("llvm", "./plain.py"),
                                          ("so", "plain.so")])
def test_an_output_that_is_an_input_is_refused(emit, output, plain, monkeypatch):
    monkeypatch.chdir(plain.parent)
    Path("plain.h").symlink_to("plain.py")  # --emit so: the header would be the input
    result = run("plain.py", "--sig", "add_one=float64[:](float64[:])", "--emit", emit,
                 "-o", output)
    assert result.exit_code == 1
    assert result.output.startswith("noodlec: error: input file 'plain.py' is the same as "
                                    "output file")
    assert plain.read_text() == PLAIN and not Path("plain.so").exists()


@pytest.mark.parametrize("emit", ["so", "llvm"])
def test_an_output_that_cannot_be_created_is_named_as_given(emit, plain):
    result = run(plain, "--sig", "add_one=float64[:](float64[:])", "--emit", emit,
                 "-o", "/nonexistent-dir/a.out")
    assert result.exit_code == 1
    assert result.output == ("noodlec: error: cannot open output file "
                             "'/nonexistent-dir/a.out': No such file or directory\n")


def test_a_return_type_that_does_not_fit_is_a_source_error(tmp_path):
    source = tmp_path / "wrong.py"
    source.write_text('import noodle\n\n\n@noodle.jit("float64[:, :](float64[:])")\n'
                      "def f(x):\n    return x + 1.0\n")
    result = run(source, "--emit", "llvm")
    assert result.exit_code == 1
    # at the return statement whose value does not fit
    assert result.output == (f"{source}:6:5: error: f returns array(float64, 1d), but its "
                             "signature declares array(float64, 2d)\n    return x + 1.0\n"
                             "    ^\nhint: fix the signature's return type\n")


@needs_cc
def test_several_inputs_make_one_library_whose_header_compiles(tmp_path):
    """A Python file and an .mlir file in one library; parameters named like C keywords
    or like the results (`out`) get names of their own in the header."""
    source = tmp_path / "names.py"
    source.write_text("def f(x, out, char):\n    out[:] = x * char\n    return out.sum()\n")
    upstream = tmp_path / "upstream.mlir"
    upstream.write_text(UPSTREAM_FILE)
    library = tmp_path / "both.so"
    result = run(source, upstream, "--sig", "f=float64(float64[:], float64[:], float64)",
                 "-o", library)
    assert result.exit_code == 0, result.output
    header = library.with_suffix(".h")
    assert "double char_, double *out_)" in header.read_text()
    main = tmp_path / "main.c"
    main.write_text('#include "both.h"\nint main(void) { double x[2] = {1, 2}, o[2], r;\n'
                    "  int64_t n[1] = {2};\n  return f(x, n, NULL, o, n, NULL, 3.0, &r)"
                    " || r != 9.0 || both_error_message(0) == NULL;\n}\n")
    build = subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", "-I", str(tmp_path),
                            str(main), str(library), f"-Wl,-rpath,{tmp_path}", "-o",
                            str(tmp_path / "main")], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    assert subprocess.run([str(tmp_path / "main")]).returncode == 0
    lib = noodle.load(library)
    out = np.zeros(3)
    assert lib.f(np.arange(3.0), out, 2.0) == 6.0 and list(out) == [0.0, 2.0, 4.0]
    np.testing.assert_array_equal(lib.scale(np.arange(3.0), 2.0), [0.0, 2.0, 4.0])


def test_sig_naming_a_missing_function_is_a_usage_error(plain):
    result = run(plain, "--sig", "nope=float64(float64)", "--emit", "llvm")
    assert result.exit_code == 2
    assert "no Python input has a function 'nope'" in result.output


def test_only_a_first_argument_names_a_command(tmp_path):
    """`-o cache` is an output file called cache, not the cache command."""
    out = tmp_path / "cache"
    result = run("--emit", "obj", "-o", out, KERNELS)
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] == b"\x7fELF"
    assert "Commands:" in run("--help").output


# -- what cc and nvcc users expect ----------------------------------------------------------
@needs_cc
@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_outputs_have_the_mode_cc_gives_them(umask, plain, tmp_path):
    """A library 0777 less the umask (as `cc -shared` makes it), every other output 0666
    less the umask: mkstemp's 0600 belongs to the temporary file only."""
    outputs = {"so": "p.so", "obj": "p.o", "llvm": "p.ll", "asm": "p.s", "mlir": "p.mlir",
               "ptx": "p.ptx"}
    old = os.umask(umask)
    try:
        for emit, name in outputs.items():
            result = run(plain, "--sig", "add_one=float64[:](float64[:])", "--emit", emit,
                         "-o", tmp_path / name, *(["--target", "cuda"] if emit == "ptx" else []))
            assert result.exit_code == 0, result.output
    finally:
        os.umask(old)

    def mode(name: str) -> int:
        return stat.S_IMODE((tmp_path / name).stat().st_mode)

    assert mode("p.so") == 0o777 & ~umask
    for name in ("p.h", "p.o", "p.ll", "p.s", "p.mlir", "p.ptx"):
        assert mode(name) == 0o666 & ~umask, name


def test_emit_llvm_is_the_ir_optimised_at_the_level():
    """As `clang -O<n> -S -emit-llvm`: the IR that code generation receives. At -O0 the
    linked module as it is (each kernel's entry a function of its own, stack slots); at
    -O3 what LLVM's pipeline makes of it (entries inlined, loops vectorised)."""
    o0, o1, o3 = (run(KERNELS, "--emit", "llvm", level).output
                  for level in ("-O0", "-O1", "-O3"))

    def defines(text: str) -> int:
        return len(re.findall(r"^define ", text, re.M))

    assert defines(o3) < defines(o0)
    def has_alloca(text: str) -> bool:  # the instruction (error texts say "allocate")
        return re.search(r"= alloca\b", text) is not None

    assert has_alloca(o0) and not has_alloca(o3)
    assert "x double>" in o3 and "x double>" not in o0
    assert o1 not in (o0, o3)


SEVERAL_KERNELS = """\
import numpy as np
import noodle


@noodle.jit(["float64[:](float64[:], float64)", "float32[:](float32[:], float32)"])
def scale(x, s):
    return x * s


@noodle.jit("float64(float64[:])")
def total(x):
    return np.sum(x)
"""


def sm80_ptx_of(tmp_path: Path, filename: str, text: str) -> str:
    """The PTX noodlec makes for sm_80 from `text` written to `filename` (which must
    succeed)."""
    source = tmp_path / filename
    source.write_text(text)
    out = source.with_suffix(".ptx")
    result = run(source, "--emit", "ptx", "--target", "cuda:sm_80", "-o", out)
    assert result.exit_code == 0, result.output
    return out.read_text()


def test_ptx_of_several_functions_is_one_module_that_ptxas_assembles(tmp_path):
    """One .ptx file, as nvcc makes, not one PTX module per signature (a second `.version`
    is a ptxas error). A function's signatures have kernels of their own, named as its C
    functions are; a comment says which kernels each signature has."""
    ptx = sm80_ptx_of(tmp_path, "several.py", SEVERAL_KERNELS)
    out = tmp_path / "several.ptx"
    assert ptx.count(".version") == 1 and ptx.count(".target sm_80") == 1
    assert "// -----" not in ptx
    entries = re.findall(r"\.entry (\w+)\(", ptx)
    assert {"noodle_fn_scale__f64a1_f64_kernel", "noodle_fn_scale__f32a1_f32_kernel",
            "noodle_fn_total_kernel"} <= set(entries)
    listed = dict(re.findall(r"^// noodlec: (.*\)): (.*)$", ptx, re.M))
    assert listed["scale(float32[:](float32[:], float32))"] == \
        "noodle_fn_scale__f32a1_f32_kernel"
    assert sorted(", ".join(listed.values()).split(", ")) == sorted(entries)
    ptxas = ptxas_or_skip()
    done = subprocess.run([ptxas, "-arch=sm_80", str(out), "-o", str(tmp_path / "k.cubin")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_ptx_of_functions_sharing_libdevice_functions_assembles(tmp_path):
    """Two functions calling libdevice's exp: its declaration is kept once."""
    from noodle.compiler.gpu.toolkit import libdevice_path

    if libdevice_path() is None:
        pytest.skip("libdevice not found (CUDA toolkit or nvidia-cuda-nvcc-cu12)")
    source = tmp_path / "exps.py"
    source.write_text('import numpy as np\nimport noodle\n\n\n'
                      '@noodle.jit("float64[:](float64[:])")\ndef e1(x):\n'
                      '    return np.exp(x)\n\n\n'
                      '@noodle.jit("float64[:](float64[:])")\ndef e2(x):\n'
                      '    return np.exp(x) + 1.0\n')
    result = run(source, "--emit", "ptx", "--target", "cuda:sm_90")
    assert result.exit_code == 0, result.output
    assert result.output.count(".version") == 1
    ptxas = ptxas_or_skip()
    (tmp_path / "exps.ptx").write_text(result.output)
    done = subprocess.run([ptxas, "-arch=sm_90", str(tmp_path / "exps.ptx"), "-o",
                           str(tmp_path / "exps.cubin")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_ptx_of_two_inputs_defining_one_kernel_is_refused(tmp_path):
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    first.write_text(SEVERAL_KERNELS)
    second.write_text(SEVERAL_KERNELS)
    out = tmp_path / "both.ptx"
    result = run(first, second, "--emit", "ptx", "--target", "cuda", "-o", out)
    assert result.exit_code == 1
    assert "would both define the GPU symbol noodle_fn_scale__f64a1_f64_kernel: rename " \
        "one" in result.output
    assert not out.exists()


def test_ptx_follows_the_optimisation_level(plain):
    """-O is NVVM's level too: the LLVM pipeline before PTX code generation."""
    args = (plain, "--sig", "scaled_sum=float64(float64[:], float64)", "--emit", "ptx",
            "--target", "cuda")
    o0, o3 = run(*args, "-O0"), run(*args, "-O3")
    assert o0.exit_code == 0 and o3.exit_code == 0, o0.output + o3.output
    assert len(o3.output) < len(o0.output)


LINALG_FILE = """\
#map = affine_map<(d0) -> (d0)>
func.func @axpy(%a: f64, %x: memref<?xf64>, %y: memref<?xf64>, %out: memref<?xf64>) {
  linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel"]}
      ins(%x, %y : memref<?xf64>, memref<?xf64>) outs(%out : memref<?xf64>) {
  ^bb0(%u: f64, %v: f64, %o: f64):
    %p = arith.mulf %a, %u : f64
    %s = arith.addf %p, %v : f64
    linalg.yield %s : f64
  }
  return
}

func.func @scale_exp(%m: memref<?x?xf32>, %s: f32) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]} outs(%m : memref<?x?xf32>) {
  ^bb0(%o: f32):
    %e = math.exp %o : f32
    %r = arith.mulf %e, %s : f32
    linalg.yield %r : f32
  }
  return
}
"""


def _listed_kernels(ptx: str) -> dict[str, str]:
    """The comment at the top of noodlec's PTX: what -> its kernels."""
    return dict(re.findall(r"^// noodlec: (.*): (\w+(?:, \w+)*)$", ptx, re.M))


def _assembles(ptx_file: Path, chip: str) -> None:
    ptxas = ptxas_or_skip()
    done = subprocess.run([ptxas, f"-arch={chip}", str(ptx_file), "-o",
                           str(ptx_file.with_suffix(".cubin"))], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_ptx_of_an_upstream_linalg_file(tmp_path):
    """linalg on memrefs: each function's parallel loops become its kernels, in one PTX
    module made for the chip, listed per function as a Python input's are."""
    from noodle.compiler.gpu.toolkit import libdevice_path

    if libdevice_path() is None:  # math.exp comes from libdevice
        pytest.skip("libdevice not found (CUDA toolkit or nvidia-cuda-nvcc-cu12)")
    ptx = sm80_ptx_of(tmp_path, "linalg.mlir", LINALG_FILE)
    assert ptx.count(".version") == 1 and ".target sm_80" in ptx
    assert set(re.findall(r"\.entry (\w+)\(", ptx)) == {"axpy_kernel", "scale_exp_kernel"}
    assert _listed_kernels(ptx) == {
        "axpy(f64, memref<?xf64>, memref<?xf64>, memref<?xf64>) -> ()": "axpy_kernel",
        "scale_exp(memref<?x?xf32>, f32) -> ()": "scale_exp_kernel"}
    assert ".extern .func" not in ptx  # libdevice's expf linked in, not left to the driver
    _assembles(tmp_path / "linalg.ptx", "sm_80")


def test_ptx_of_an_nir_file_with_a_python_input(plain, tmp_path):
    """nir ops lowered as a Python kernel's are; with a Python input, one PTX module for
    both, as nvcc makes one .ptx."""
    source = tmp_path / "nir_kernels.mlir"
    source.write_text(NIR_FILE.replace('"exp"', '"neg"'))
    out = tmp_path / "both.ptx"
    result = run(plain, source, "--sig", "add_one=float64[:](float64[:])", "--emit", "ptx",
                 "--target", "cuda:sm_90", "-o", out)
    assert result.exit_code == 0, result.output
    ptx = out.read_text()
    assert ptx.count(".version") == 1
    listed = _listed_kernels(ptx)
    assert listed["add_one(float64[:](float64[:]))"] == "noodle_fn_add_one_kernel"
    assert listed["expm(memref<?xf64, strided<[?], offset: ?>>) -> memref<?xf64, "
                  "strided<[?], offset: ?>>"] == "expm_kernel"
    assert set(re.findall(r"\.entry (\w+)\(", ptx)) == {"noodle_fn_add_one_kernel",
                                                        "expm_kernel"}
    _assembles(out, "sm_90")


def test_ptx_of_upstream_code_on_tensors_is_bufferized_first(tmp_path):
    source = tmp_path / "tensors.mlir"
    source.write_text(TENSOR_FILE)
    result = run(source, "--emit", "ptx", "--target", "cuda:sm_90")
    assert result.exit_code == 0, result.output
    # listed with the signature the file writes, on tensors
    assert _listed_kernels(result.output) == {
        "add(tensor<?xf64>, tensor<?xf64>) -> tensor<?xf64>": "add_kernel"}
    (tmp_path / "tensors.ptx").write_text(result.output)
    _assembles(tmp_path / "tensors.ptx", "sm_90")


def test_ptx_of_an_mlir_file_follows_the_optimisation_level(tmp_path):
    """-O is NVVM's level for an .mlir file's PTX too."""
    source = tmp_path / "k.mlir"
    source.write_text(LINALG_FILE.split("\n\nfunc.func @scale_exp")[0] + "\n")
    o0 = run(source, "--emit", "ptx", "--target", "cuda", "-O0")
    o3 = run(source, "--emit", "ptx", "--target", "cuda", "-O3")
    assert o0.exit_code == 0 and o3.exit_code == 0, o0.output + o3.output
    assert o0.output != o3.output
    # -O0 keeps the index arithmetic LLVM's pipeline folds away at -O3
    assert o0.output.count("mul.lo.s64") > o3.output.count("mul.lo.s64")


def test_an_mlir_function_without_a_kernel_is_a_located_error(tmp_path):
    """As for a Python function with no array work: no PTX, exit status 1, here at the
    function's line."""
    source = tmp_path / "scalar.mlir"
    source.write_text(LINALG_FILE + "\nfunc.func @twice(%x: f64) -> f64 {\n"
                      "  %r = arith.addf %x, %x : f64\n  return %r : f64\n}\n")
    out = tmp_path / "scalar.ptx"
    result = run(source, "--emit", "ptx", "--target", "cuda", "-o", out)
    assert result.exit_code == 1
    line = LINALG_FILE.count("\n") + 2
    lines = result.output.splitlines()
    assert lines[0] == f"{source}:{line}:1: error: @twice has no parallel loop for the GPU " \
        "(no linalg op, scf.parallel loop or nir array op): it would have no kernel"
    assert lines[1:3] == ["func.func @twice(%x: f64) -> f64 {", "^"]
    assert not out.exists()


def test_an_mlir_sequential_loop_over_elements_is_refused_as_for_python(tmp_path):
    """A loop that would run on the host, one array element at a time, is the GPU path's
    refusal for a Python kernel: the same located error, with a hint for the file."""
    source = tmp_path / "upstream.mlir"
    source.write_text(UPSTREAM_FILE)
    result = run(source, "--emit", "ptx", "--target", "cuda")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == f"{source}:9:5: error: a sequential loop reads or writes array " \
        "elements one at a time: on the GPU path that loop would run on the host with a " \
        "device round trip per element"
    assert lines[1:3] == ["    memref.store %y, %out[%i] : memref<?xf64>", " " * 4 + "^"]
    assert lines[3] == "hint: write the loop as a linalg op or an scf.parallel loop, or " \
        "compile the function for the CPU"


SEQUENTIAL = """\
import noodle


@noodle.jit("float64[:](float64[:])")
def running(a):
    out = a.copy()
    for i in range(1, a.shape[0]):
        out[i] = out[i - 1] + a[i]
    return out
"""


def test_a_gpu_refusal_is_a_located_source_error(tmp_path, monkeypatch):
    """What the GPU path cannot run points at the source as a type error does."""
    (tmp_path / "seq.py").write_text(SEQUENTIAL)
    monkeypatch.chdir(tmp_path)
    result = run("seq.py", "--emit", "ptx", "--target", "cuda", "-o", "seq.ptx")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert re.match(r"seq\.py:8:\d+: error: a sequential loop reads or writes array "
                    "elements one at a time", lines[0]), lines[0]
    column = int(lines[0].split(":")[2])
    assert lines[1] == "        out[i] = out[i - 1] + a[i]"
    assert lines[2] == " " * (column - 1) + "^"
    assert lines[3].startswith("hint: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq.py"]


@pytest.mark.parametrize("args", [[], ["-O3"], ["compile"], ["--emit", "llvm", "-o", "k.ll"]])
def test_no_input_files_is_an_error_as_in_cc(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 1
    assert result.stderr == "noodlec: error: no input files\n" and result.stdout == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["-h"], ["compile", "-h"], ["cache", "-h"],
                                  [KERNELS, "-h"]])
def test_h_is_help(args):
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ") and "-h, --help" in result.output


def test_a_cc_that_cannot_run_is_an_error(plain, tmp_path, monkeypatch):
    """$CC is used when set, as make does: one that cannot run is not replaced by cc."""
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    result = run(plain, "--sig", "add_one=float64[:](float64[:])", "-o", tmp_path / "p.so")
    assert result.exit_code == 1
    assert f"cannot run the C compiler '{tmp_path / 'no-such-cc'}' ($CC)" in result.output
    assert sorted(tmp_path.iterdir()) == [plain]


def test_a_source_line_is_printed_as_written_with_its_tabs_expanded(tmp_path, monkeypatch):
    """As clang: the path as the command line gave it (not the absolute path Python
    imported), the line with its own indentation, tabs expanded to 8 columns, the caret
    under the column."""
    (tmp_path / "tabs.py").write_text('import noodle\n\n\n@noodle.jit("float64(float64)")\n'
                                      'def f(x):\n\tif x > 0:\n\t\treturn x + "s"\n'
                                      '\treturn x\n')
    monkeypatch.chdir(tmp_path)
    result = run("tabs.py", "--emit", "llvm")
    assert result.exit_code == 1
    assert result.output.splitlines()[:3] == [
        "tabs.py:7:14: error: constants of type str are not supported in compiled code",
        " " * 16 + 'return x + "s"',
        " " * 27 + "^"]


def test_a_syntax_error_after_a_multibyte_character(tmp_path, monkeypatch):
    """The column is a byte column, as clang's and the frontend's; the caret stands under
    the character."""
    (tmp_path / "syn.py").write_text('def f(x):\n    s = "é" +* 2\n')
    monkeypatch.chdir(tmp_path)
    result = run("syn.py", "--emit", "nir")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "syn.py:2:16: error: invalid syntax"
    assert lines[1:3] == ['    s = "é" +* 2', " " * 14 + "^"]
