"""The AOT round trip: `noodlec examples/kernels.py` -> kernels.so + kernels.h, called from
a C program (compiled with cc against the header) and from a fresh Python process
(`noodle.load`), call by call equal to `@noodle.jit` and to NumPy (`aot_cases.py`: random
inputs, empty, strided, reversed and transposed arrays, errors)."""
from __future__ import annotations

import importlib.util
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import noodle
from noodle.compiler.types import Array, Scalar, leaf_types
from noodle.tools import noodlec

sys.path.insert(0, str(Path(__file__).parent))
from aot_cases import cases, outcome  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ROOT / "examples" / "kernels.py"

pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="no C compiler (cc)")


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("aot") / "kernels.so"
    result = CliRunner().invoke(noodlec.main, [str(KERNELS), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def jitted():
    """examples/kernels.py under @noodle.jit (its signatures compile at import)."""
    spec = importlib.util.spec_from_file_location("_aot_example_kernels", KERNELS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _raised(value: object) -> bool:
    return isinstance(value, tuple) and len(value) == 3 and isinstance(value[0], str) \
        and value[0] == "raises"


def _same(got: object, expected: object, exact: bool = False) -> None:
    if _raised(expected):
        assert isinstance(got, tuple) and got[:2] == expected[:2], (got, expected)
        return
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected):
            _same(g, e, exact)
        return
    expected_arr, got_arr = np.asarray(expected), np.asarray(got)
    assert got_arr.shape == expected_arr.shape
    assert got_arr.dtype == expected_arr.dtype, (got_arr.dtype, expected_arr.dtype)
    if exact or expected_arr.dtype.kind in "iub":
        np.testing.assert_array_equal(got_arr, expected_arr)
    else:
        np.testing.assert_allclose(got_arr, expected_arr, rtol=1e-12, atol=0)


def _numpy(case, jitted) -> object:
    """The same call as plain Python/NumPy (the functions' own Python code)."""
    function = getattr(jitted, case.function).py_func
    return outcome(lambda: function(*case.args))


def test_the_header_and_library_exist_and_export_one_function_per_signature(library):
    header = library.with_suffix(".h").read_text()
    for name in ("axpy", "rms", "smooth", "power_mod", "normalized", "trace__f64a2",
                 "trace__i64a2", "clip_below", "kernels_error_message"):
        assert f"{name}(" in header
    assert "typedef struct noodle_array" in header
    exported = subprocess.run(["nm", "-D", "--defined-only", str(library)], capture_output=True,
                              text=True).stdout if shutil.which("nm") else ""
    if exported:
        names = {line.split()[-1] for line in exported.splitlines()}
        assert "noodle_fn_axpy" not in names and "axpy" in names  # kernels stay internal
    needed = subprocess.run(["ldd", str(library)], capture_output=True, text=True).stdout \
        if shutil.which("ldd") else ""
    assert "python" not in needed and "openblas" not in needed.lower()


def test_python_in_a_fresh_process_matches_jit_and_numpy(library, jitted, tmp_path):
    results = tmp_path / "results.pickle"
    script = textwrap.dedent(f"""
        import pickle, sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import noodle
        from aot_cases import cases, outcome
        lib = noodle.load({str(library)!r})
        got = [outcome(lambda c=c: getattr(lib, c.function)(*c.args)) for c in cases()]
        with open({str(results)!r}, "wb") as f:
            pickle.dump(got, f)
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    got = pickle.loads(results.read_bytes())
    all_cases = cases()
    assert len(got) == len(all_cases)
    for case, result in zip(all_cases, got):
        if case.c_name == "clip_below" and case.args[0].ndim and \
                not case.args[0].flags.c_contiguous:
            # declared C-contiguous: the library refuses, as @jit's signature does
            assert result[:2] == ("raises", "TypeError") and "C-contiguous" in result[2]
            continue
        expected = outcome(lambda c=case: getattr(jitted, c.function)(*c.args))
        _same(result, expected)
        if not _raised(expected):
            _same(result, _numpy(case, jitted))


def test_results_own_their_memory_and_views_keep_arguments_alive(library):
    lib = noodle.load(library)
    out, norm = lib.normalized(np.array([3.0, 4.0]))
    assert out.flags.owndata is False and out.base is not None  # freed through its base
    assert norm == 5.0
    del lib  # the callables and results outlive the Library object
    np.testing.assert_array_equal(out, [0.6, 0.8])


def test_python_callables_check_their_arguments(library):
    lib = noodle.load(library)
    with pytest.raises(TypeError, match=r"axpy\(\) takes 3 arguments, 2 given"):
        lib.axpy(1.0, np.ones(3))
    with pytest.raises(TypeError, match="argument 2 is array\\(float32"):
        lib.axpy(1.0, np.ones(3, np.float32), np.ones(3))
    with pytest.raises(TypeError, match="no compiled signature.*float64\\(float64\\[:, :\\]\\)"):
        lib.trace(np.ones((2, 2), np.float32))
    with pytest.raises(ValueError, match="broadcast"):
        lib.axpy(1.0, np.ones(3), np.ones(4))
    with pytest.raises(AttributeError, match="no function 'nope'"):
        lib.nope
    with pytest.raises(ValueError, match="not made by noodlec"):
        noodle.load(_libm())
    with pytest.raises(TypeError, match=r"power_mod\(\): argument 1 is 9223372036854775808, "
                       "out of range for int64"):
        lib.power_mod(2**63, 1, 7)
    with pytest.raises(TypeError, match="argument 3 is -9223372036854775809, out of range"):
        lib.power_mod(2, 1, -2**63 - 1)


def test_load_of_a_file_that_is_no_library_says_what_it_takes(tmp_path):
    source = tmp_path / "k.mlir"
    source.write_text("func.func @f(%a: f64) -> f64 {\n  return %a : f64\n}\n")
    with pytest.raises(ValueError, match=r"neither a shared library made by noodlec nor a "
                       r"Python source \(\.py\).*noodlec k.mlir -o k.so"):
        noodle.load(source)


def _libm() -> str:
    import ctypes.util

    found = ctypes.util.find_library("m")
    for directory in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib"):
        if found and Path(directory, found).exists():
            return str(Path(directory, found))
    pytest.skip("libm not found by path")


# -- the C program ------------------------------------------------------------------------
_C_TYPE = {"float64": "double", "float32": "float", "int64": "int64_t", "int32": "int32_t",
           "bool": "bool"}
_PRINT = textwrap.dedent("""
    static void print_array(const noodle_array *a, int kind) {
        int64_t n = 1, idx[NOODLE_MAX_NDIM] = {0};
        printf("array");
        for (int64_t k = 0; k < a->ndim; k++) {
            printf(" %lld", (long long)a->shape[k]);
            n *= a->shape[k];
        }
        printf(" :");
        for (int64_t i = 0; i < n; i++) {
            int64_t off = 0;
            for (int64_t k = 0; k < a->ndim; k++) off += idx[k] * a->strides[k];
            if (kind == 0) printf(" %.17g", ((const double *)a->data)[off]);
            else if (kind == 1) printf(" %.9g", (double)((const float *)a->data)[off]);
            else printf(" %lld", (long long)((const int64_t *)a->data)[off]);
            for (int64_t k = a->ndim - 1; k >= 0 && ++idx[k] == a->shape[k]; k--) idx[k] = 0;
        }
        printf("\\n");
    }
""")


def _literal(value: object, dtype: np.dtype) -> str:
    if dtype.kind == "f":
        number = float(value)
        if not np.isfinite(number):
            return "NAN" if np.isnan(number) else ("INFINITY" if number > 0 else "-INFINITY")
        return f"{number!r}" if dtype.itemsize == 8 else f"{number!r}f"
    return f"INT64_C({int(value)})" if dtype.itemsize == 8 else str(int(value))


def _kind(t: Array | Scalar) -> int:
    return {"float64": 0, "float32": 1}.get(t.dtype.name, 2)


def _c_call(i: int, case, overload) -> str:
    """One block of the C program: declare the case's arrays, call, print."""
    lines, args = ["{"], []
    for j, (declared, value) in enumerate(zip(overload.arg_types, case.args)):
        if isinstance(declared, Scalar):
            args.append(_literal(value, declared.dtype))
            continue
        base = value.base if value.base is not None else value
        assert base.flags.c_contiguous
        ctype = _C_TYPE[value.dtype.name]
        flat = ", ".join(_literal(v, value.dtype) for v in base.ravel()) or "0"
        lines.append(f"  static {ctype} b{j}[{max(base.size, 1)}] = {{{flat}}};")
        offset = (value.__array_interface__["data"][0] - base.__array_interface__["data"][0]) \
            // value.itemsize
        shape = ", ".join(map(str, value.shape)) or "0"
        strides = ", ".join(str(s // value.itemsize) for s in value.strides) or "0"
        lines.append(f"  int64_t s{j}[] = {{{shape}}}, t{j}[] = {{{strides}}};")
        args += [f"b{j} + {offset}", f"s{j}", f"t{j}"]
    results = leaf_types(overload.result_type)
    for k, t in enumerate(results):
        ctype = "noodle_array" if isinstance(t, Array) else _C_TYPE[t.dtype.name]
        lines.append(f"  {ctype} r{k};")
        args.append(f"&r{k}")
    lines.append(f"  int status = {case.c_name}({', '.join(args)});")
    lines.append(f'  printf("case {i} status %d\\n", status);')
    lines.append('  if (status) printf("message %s\\n", kernels_error_message(status));')
    lines.append("  else {")
    for k, t in enumerate(results):
        if isinstance(t, Array):
            lines.append(f"    print_array(&r{k}, {_kind(t)}); noodle_array_free(&r{k});")
        elif t.dtype.kind == "f":
            lines.append(f'    printf("scalar %.17g\\n", (double)r{k});')
        else:
            lines.append(f'    printf("scalar %lld\\n", (long long)r{k});')
    lines += ["  }", "}"]
    return "\n".join(lines)


def _parse(lines: list[str], overload) -> object:
    """The results a case printed, as Python values of the signature's types."""
    values = []
    for t, line in zip(leaf_types(overload.result_type), lines):
        if isinstance(t, Array):
            head, _, data = line.partition(" :")
            shape = tuple(int(s) for s in head.split()[1:])
            numbers = [float(v) if t.dtype.kind == "f" else int(v) for v in data.split()]
            values.append(np.array(numbers, dtype=t.dtype).reshape(shape))
        else:
            text = line.split()[1]
            values.append(float(text) if t.dtype.kind == "f" else int(text))
    return tuple(values) if len(values) > 1 else values[0]


def test_c_program_matches_jit_and_numpy(library, jitted, tmp_path):
    lib = noodle.load(library)
    overloads = {o.symbol: o for f in lib.functions.values() for o in f.overloads}
    all_cases = cases()
    blocks = [_c_call(i, case, overloads[case.c_name]) for i, case in enumerate(all_cases)]
    source = tmp_path / "main.c"
    source.write_text("#include <math.h>\n#include <stdio.h>\n#include \"kernels.h\"\n"
                      + _PRINT
                      + "int main(void) {\n" + "\n".join(blocks) + "\nreturn 0;\n}\n")
    program = tmp_path / "main"
    build = subprocess.run(["cc", "-std=c99", "-Wall", "-Werror", "-I", str(library.parent),
                            str(source), str(library), f"-Wl,-rpath,{library.parent}",
                            "-o", str(program)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(program)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    output = run.stdout.splitlines()
    starts = [n for n, line in enumerate(output) if line.startswith("case ")]
    assert len(starts) == len(all_cases)
    for i, (case, start) in enumerate(zip(all_cases, starts)):
        end = starts[i + 1] if i + 1 < len(starts) else len(output)
        status = int(output[start].split()[-1])
        printed = output[start + 1:end]
        overload = overloads[case.c_name]
        expected = outcome(lambda c=case: getattr(jitted, c.function)(*c.args))
        value = case.args[0]
        if case.c_name == "clip_below" and value.ndim and not value.flags.c_contiguous:
            assert status == -1 and "C-contiguous" in printed[0]  # NOODLE_BAD_STRIDES
            continue
        if _raised(expected):
            assert status > 0, (case, printed)
            assert printed[0].startswith(f"message {expected[1]}: {expected[2].split(' (')[0]}")
            continue
        assert status == 0, (case, printed)
        got = _parse(printed, overload)
        _same(got, _plain(expected))
        _same(got, _plain(_numpy(case, jitted)))


def _plain(value: object) -> object:
    """Python or NumPy scalars as the C program prints them (float or int)."""
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    return value


# -- results that view memory, bools, in-place kernels, parallel code ------------------------
MORE = '''
import numpy as np
import noodle


@noodle.jit("float64[:](float64[:])")
def tail(x):
    return x[1:]


@noodle.jit("Tuple(float64[:], float64[:], float64[:])(float64[:])")
def three(x):
    y = x * 2.0
    return y, y[::2], x[::-1]


@noodle.jit("bool[:](float64[:], float64)")
def above(x, t):
    return x > t


@noodle.jit("bool(int64, bool)")
def odd_and(n, flag):
    return (n % 2 == 1) and flag


@noodle.jit("float32(float64[:])")
def total32(x):
    return x.sum()


@noodle.jit("float64[:](float64[:], float64[:])", parallel=True)
def hypotenuse(x, y):
    return np.sqrt(x * x + y * y)


@noodle.jit("void(float64[:, :], float64)")
def fill(x, v):
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            x[i, j] = v + i


@noodle.jit(["float64[:](readonly float64[:], boolean)",
             "float64[:](float64[:], boolean)"])
def rest(x, poke):
    if poke:
        x[0] = -1.0
    return x[1:]
'''


@pytest.fixture(scope="module")
def more(tmp_path_factory):
    directory = tmp_path_factory.mktemp("more")
    source = directory / "more.py"
    source.write_text(MORE)
    result = CliRunner().invoke(noodlec.main, [str(source), "-o", str(directory / "more.so")])
    assert result.exit_code == 0, result.output
    spec = importlib.util.spec_from_file_location("_aot_more", source)
    jitted = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(jitted)
    return noodle.load(directory / "more.so"), jitted


def test_a_result_viewing_an_argument_keeps_it_alive(more):
    lib, jitted = more
    x = np.arange(6.0)
    t = lib.tail(x)
    assert np.shares_memory(t, x)
    del x
    np.testing.assert_array_equal(t, jitted.tail(np.arange(6.0)))


def test_results_sharing_one_allocation_and_viewing_an_argument(more):
    lib, jitted = more
    x = np.arange(7.0)
    a, b, c = lib.three(x)
    assert np.shares_memory(a, b) and np.shares_memory(c, x)
    for got, expected in zip((a, b, c), jitted.three(x)):
        np.testing.assert_array_equal(got, expected)
    del a  # b views a's allocation, which stays alive
    np.testing.assert_array_equal(b, 2 * x[::2])


def test_bools_scalar_conversion_and_in_place_kernels(more):
    lib, jitted = more
    x = np.linspace(-1, 1, 9)
    got = lib.above(x, 0.1)
    assert got.dtype == np.bool_
    np.testing.assert_array_equal(got, jitted.above(x, 0.1))
    for n, flag in ((3, True), (3, False), (4, True), (-7, True)):
        assert lib.odd_and(n, flag) is jitted.odd_and(n, flag)
    total = lib.total32(x[::2])
    assert type(total) is type(jitted.total32(x[::2])) is np.float32
    grid = np.zeros((3, 8))
    assert lib.fill(grid[:, ::2], 5.0) is None
    expected = np.zeros((3, 8))
    jitted.fill(expected[:, ::2], 5.0)
    np.testing.assert_array_equal(grid, expected)


def test_read_only_arrays_take_their_own_signature_and_stay_read_only(more):
    lib, jitted = more
    header = lib.path.with_suffix(".h").read_text()
    assert "rest__f64a1r_b(" in header and "rest__f64a1_b(" in header
    # the read-only signature's pointer is const; the writable one's is not
    assert "int rest__f64a1r_b(const double *x, " in header
    assert "int rest__f64a1_b(double *x, " in header
    ro = np.arange(4.0)
    ro.flags.writeable = False
    view = lib.rest(ro, False)
    np.testing.assert_array_equal(view, jitted.rest(ro, False))
    assert np.shares_memory(view, ro) and not view.flags.writeable
    with pytest.raises(ValueError, match="assignment destination is read-only"):
        lib.rest(ro, True)
    assert ro[0] == 0.0
    w = np.arange(4.0)
    assert lib.rest(w, True).flags.writeable and w[0] == -1.0
    with pytest.raises(TypeError, match="argument 1 is read-only; its signature declares a "
                                        "writable array"):
        lib.tail(ro)


def test_a_parallel_kernel_runs_from_the_library(more):
    lib, jitted = more
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal(300_000), rng.standard_normal(300_000)
    np.testing.assert_allclose(lib.hypotenuse(x, y), np.hypot(x, y), rtol=1e-15)
    np.testing.assert_array_equal(lib.hypotenuse(x, y), jitted.hypotenuse(x, y))


def test_load_of_a_python_source_compiles_once_into_the_kernel_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NOODLE_CACHE_DIR", str(tmp_path / "cache"))
    source = tmp_path / "src_kernels.py"
    source.write_text('import noodle\n\n\n@noodle.jit("float64(float64[:])")\n'
                      "def total(x):\n    return x.sum()\n")
    lib = noodle.load(source)
    assert lib.total(np.arange(5.0)) == 10.0
    listed = CliRunner().invoke(noodlec.main, ["cache", "list", "--dir", str(tmp_path / "cache")])
    assert "src_kernels.py shared library noodlec" in listed.output
    source.write_text(source.read_text().replace("x.sum()", "x.sum() * 2"))
    os.utime(source, ns=(1, 1))  # a new mtime, whatever the clock's resolution
    assert noodle.load(source).total(np.arange(5.0)) == 20.0
    entries = CliRunner().invoke(noodlec.main, ["cache", "stats", "--dir",
                                                str(tmp_path / "cache")]).output
    assert "entries:   2" in entries
