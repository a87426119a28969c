"""Warm speed of noodle's optimising tier against NumPy and Numba, in one process (issue 5):

    python benchmarks/run.py [--quick] [--json FILE] [--check BASELINE.json
                             [--tolerance 0.25]] [--only NAME ...]

Each case is a plain Python function, compiled by `noodle.jit(eager=True)` and by
`numba.njit` (when Numba is installed), and the same computation written the NumPy way.
The `*_parallel` cases compile the same kernels with `parallel=True` (both compilers),
and their speed-ups over the serial runs are printed side by side.
Every compiled result is checked against NumPy's before anything is timed. A time is the
median over repeats (7, or 3 with --quick) of a loop of calls lasting >= 20 ms. A
`*_parallel` case's speed-up is the median ratio over pairs of a serial and a parallel
run timed back to back, in alternating order: on a shared host whose speed drifts, the
two runs of a pair see about the same machine. "floor" is
`np.copyto` of as many bytes as the inputs hold: the memory-bandwidth bound of the cases
that stream their inputs once (for the `*_parallel` cases, the same copy split over all
cores, each copying its piece at the same time). Also printed: noodle's compile time per kernel
(`noodle.compile`, once the compiler is loaded). `--json` writes the figures with the
machine, the date and the git commit measured; `--check` compares noodle's times with
those of an earlier `--json` (saying so when that was another machine) and exits with
status 1 on a regression, as a wrong answer does.
"""
from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import noodle

numba = None  # imported by main() when installed: the comparison is optional
try:  # the prange of the parallel kernels: Numba's, which noodle reads as its own
    from numba import prange
except ImportError:
    from noodle import prange

MIN_REPEAT_S = 0.02
SEED = 0


# -- the kernels, as a user writes them (unannotated: noodle and Numba type them from
# the arguments). Those of the acceptance cases are copied from
# /work/shared/acceptance/jit_cases.py, so the benchmark times what the tests check.
def fused_exp(a, b):
    return np.exp(a * b + a)


def sum_product(a, b):
    return np.sum(a * b)


def softmax_rows(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=-1, keepdims=True)


def jacobi_2d(tsteps, A, B):
    # npbench's kernel runs `range(1, tsteps)`, one step fewer than it says
    for t in range(tsteps):
        B[1:-1, 1:-1] = 0.2 * (A[1:-1, 1:-1] + A[1:-1, :-2] + A[1:-1, 2:] +
                               A[2:, 1:-1] + A[:-2, 1:-1])
        A[1:-1, 1:-1] = 0.2 * (B[1:-1, 1:-1] + B[1:-1, :-2] + B[1:-1, 2:] +
                               B[2:, 1:-1] + B[:-2, 1:-1])


def go_fast(a):
    trace = 0.0
    for i in range(a.shape[0]):
        trace += np.tanh(a[i, i])
    return a + trace


def gemm(alpha, beta, C, A, B):
    C[:] = alpha * A @ B + beta * C


def mandelbrot(xmin, xmax, ymin, ymax, width, height, maxiter):
    # the acceptance case, with its rows in prange: range unless compiled with
    # parallel=True (mandelbrot_parallel)
    out = np.zeros((height, width), dtype=np.int64)
    for j in prange(height):
        y = ymin + (ymax - ymin) * j / (height - 1)
        for i in range(width):
            x = xmin + (xmax - xmin) * i / (width - 1)
            zr = 0.0
            zi = 0.0
            n = 0
            while n < maxiter and zr * zr + zi * zi <= 4.0:
                zr, zi = zr * zr - zi * zi + x, 2.0 * zr * zi + y
                n += 1
            out[j, i] = n
    return out


def pairwise_distance(x):
    n = x.shape[0]
    d = np.empty((n, n), dtype=x.dtype)
    for i in range(n):
        for j in range(n):
            s = 0.0
            for k in range(x.shape[1]):
                t = x[i, k] - x[j, k]
                s += t * t
            d[i, j] = math.sqrt(s)
    return d


def pagerank(indptr, indices, out_degree, damping, iterations):
    """Pull PageRank over a CSR graph of in-edges (row v lists the sources of the edges
    into v); the rank of nodes without out-edges is spread over all nodes."""
    n = indptr.shape[0] - 1
    rank = np.full(n, 1.0 / n)
    new = np.empty(n)
    for _ in range(iterations):
        dangling = 0.0
        for u in range(n):
            if out_degree[u] == 0:
                dangling += rank[u]
        base = (1.0 - damping + damping * dangling) / n
        for v in range(n):
            s = 0.0
            for k in range(indptr[v], indptr[v + 1]):
                u = indices[k]
                s += rank[u] / out_degree[u]
            new[v] = base + damping * s
        rank, new = new, rank
    return rank


# -- the same computations the NumPy way, where the kernel is not already that ---------
def go_fast_numpy(a: np.ndarray) -> np.ndarray:
    return a + np.sum(np.tanh(np.diagonal(a)))


def mandelbrot_numpy(xmin: float, xmax: float, ymin: float, ymax: float, width: int,
                     height: int, maxiter: int) -> np.ndarray:
    y = (ymin + (ymax - ymin) * np.arange(height) / (height - 1))[:, None]
    x = (xmin + (xmax - xmin) * np.arange(width) / (width - 1))[None, :]
    zr = np.zeros((height, width))
    zi = np.zeros((height, width))
    out = np.zeros((height, width), dtype=np.int64)
    for _ in range(maxiter):
        active = zr * zr + zi * zi <= 4.0
        if not active.any():
            break
        zr, zi = (np.where(active, zr * zr - zi * zi + x, zr),
                  np.where(active, 2.0 * zr * zi + y, zi))
        out += active
    return out


def pairwise_distance_numpy(x: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum((x[:, None, :] - x[None, :, :]) ** 2, axis=-1))


def pagerank_numpy(indptr: np.ndarray, indices: np.ndarray, out_degree: np.ndarray,
                   damping: float, iterations: int) -> np.ndarray:
    n = indptr.size - 1
    targets = np.repeat(np.arange(n), np.diff(indptr))
    dangling = out_degree == 0
    share = 1.0 / out_degree[indices]
    rank = np.full(n, 1.0 / n)
    for _ in range(iterations):
        pulled = np.bincount(targets, weights=rank[indices] * share, minlength=n)
        rank = (1.0 - damping + damping * rank[dangling].sum()) / n + damping * pulled
    return rank


# -- the cases -------------------------------------------------------------------------
def random_graph(rng: np.random.Generator, nodes: int, edges: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR of the in-edges of a random multigraph: (indptr, indices, out-degree)."""
    sources = rng.integers(0, nodes, edges)
    targets = rng.integers(0, nodes, edges)
    indices = sources[np.argsort(targets, kind="stable")]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(targets, minlength=nodes))])
    return indptr, indices, np.bincount(sources, minlength=nodes)


@dataclass(frozen=True)
class Case:
    size: str
    kernel: Callable[..., Any]       # compiled by noodle and Numba
    make_args: Callable[[np.random.Generator], tuple]
    numpy: Callable[..., Any] | None = None  # None: the kernel is the NumPy way already
    floor: bool = False              # memory bound: time a copy of the inputs' bytes
    #: the case of which this is the `parallel=True` run (noodle's and Numba's)
    parallel_of: str | None = None


CASES: dict[str, Case] = {
    "exp_f64": Case("1M float64", fused_exp,
                    lambda r: (r.random(1_000_000), r.random(1_000_000)), floor=True),
    "exp_f32": Case("4M float32", fused_exp,
                    lambda r: (r.random(4_000_000, dtype=np.float32),
                               r.random(4_000_000, dtype=np.float32)), floor=True),
    "sum": Case("1M float64", sum_product,
                lambda r: (r.random(1_000_000), r.random(1_000_000)), floor=True),
    "softmax": Case("1000x1000", softmax_rows,
                    lambda r: (r.standard_normal((1000, 1000)),), floor=True),
    "jacobi_2d": Case("1000x1000, 20 steps", jacobi_2d,
                      lambda r: (20, r.random((1000, 1000)), r.random((1000, 1000)))),
    "go_fast": Case("1000x1000", go_fast, lambda r: (r.random((1000, 1000)),),
                    go_fast_numpy, floor=True),
    "gemm": Case("1000x1000", gemm,
                 lambda r: (1.5, 1.2, r.random((1000, 1000)), r.random((1000, 1000)),
                            r.random((1000, 1000)))),
    "mandelbrot": Case("400x300", mandelbrot,
                       lambda r: (-2.0, 1.0, -1.0, 1.0, 400, 300, 100), mandelbrot_numpy),
    "pairwise_distance": Case("1000x3", pairwise_distance, lambda r: (r.random((1000, 3)),),
                              pairwise_distance_numpy),
    "pagerank": Case("1000 nodes, 5000 edges, 10 iterations", pagerank,
                     lambda r: (*random_graph(r, 1000, 5000), 0.85, 10), pagerank_numpy),
}
# the same kernels with parallel=True: the speed-up over their serial runs is compared
for _name in ("exp_f64", "exp_f32"):
    CASES[f"{_name}_parallel"] = Case(CASES[_name].size, CASES[_name].kernel,
                                      CASES[_name].make_args, floor=True, parallel_of=_name)
del _name
CASES["mandelbrot_parallel"] = Case("400x300, rows in prange", mandelbrot,
                                    CASES["mandelbrot"].make_args, mandelbrot_numpy,
                                    parallel_of="mandelbrot")


# -- measuring -------------------------------------------------------------------------
def copied(args: tuple) -> tuple:
    """Fresh copies of the array arguments: each contender gets its own in-place effects."""
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def outcome(function: Callable[..., Any], args: tuple) -> list:
    """What a call leaves behind: its result (unless None), then every array argument
    after the call (the in-place effects)."""
    args = copied(args)
    result = function(*args)
    arrays = [a for a in args if isinstance(a, np.ndarray)]
    return arrays if result is None else [result, *arrays]


def same(got: list, expected: list) -> None:
    """Raise AssertionError unless `got` matches NumPy's `expected` in dtype and shape,
    and in value: exactly for integers, to float32's or float64's precision otherwise."""
    assert len(got) == len(expected), f"{len(got)} outputs, NumPy gives {len(expected)}"
    for g, e in zip(got, expected):
        g, e = np.asarray(g), np.asarray(e)
        assert (g.dtype, g.shape) == (e.dtype, e.shape), \
            f"{g.dtype}{list(g.shape)}, NumPy gives {e.dtype}{list(e.shape)}"
        if e.dtype.kind in "fc":
            rtol = 1e-5 if e.dtype == np.float32 else 1e-9
            np.testing.assert_allclose(g, e, rtol=rtol, atol=rtol * 1e-3)
        else:
            np.testing.assert_array_equal(g, e)


def mean_call_seconds(function: Callable[..., Any], args: tuple, loops: int) -> float:
    """The mean time of a call, over a loop of `loops` calls."""
    start = time.perf_counter()
    for _ in range(loops):
        function(*args)
    return (time.perf_counter() - start) / loops


def loops_for(function: Callable[..., Any], args: tuple) -> int:
    """Calls per timed loop: enough for the loop to last >= MIN_REPEAT_S."""
    return max(1, math.ceil(MIN_REPEAT_S / max(mean_call_seconds(function, args, 1), 1e-9)))


def median_ms(function: Callable[..., Any], args: tuple, repeats: int) -> float:
    """Median over `repeats` of the mean time of a call, in loops of >= MIN_REPEAT_S."""
    loops = loops_for(function, args)
    return statistics.median(mean_call_seconds(function, args, loops)
                             for _ in range(repeats)) * 1000


def paired_speedup(serial: Callable[..., Any], parallel: Callable[..., Any], args: tuple,
                   pairs: int) -> float:
    """The median over `pairs` of (serial time / parallel time), the two timed back to
    back (loops of >= MIN_REPEAT_S each, in alternating order): on a shared host whose
    speed drifts, a pair's two times see about the same machine."""
    loops = {f: loops_for(f, args) for f in (serial, parallel)}
    ratios = []
    for pair in range(pairs):
        order = (serial, parallel) if pair % 2 == 0 else (parallel, serial)
        seconds = {f: mean_call_seconds(f, args, loops[f]) for f in order}
        ratios.append(seconds[serial] / seconds[parallel])
    return statistics.median(ratios)


def short(error: BaseException) -> str:
    """One line saying why a compile failed: noodle's message and line; Numba's first
    line after its "Failed in ... pipeline" header (with the next, when it ends in ':')."""
    if isinstance(error, noodle.NoodleError):
        where = f" (line {error.loc.line})" if error.loc else ""
        return f"{error.message}{where}"
    lines = [line.strip() for line in str(error).splitlines()
             if line.strip() and not line.startswith("Failed in ")]
    said = " ".join(lines[:2]) if lines and lines[0].endswith(":") else "".join(lines[:1])
    return f"{type(error).__name__}: {re.sub(' at 0x[0-9a-f]+', '', said)}"


def load_compiler() -> None:
    """Compile a trivial function, so that loading MLIR is not in the first case's
    compile time."""
    def one_more(x):
        return x + 1.0
    noodle.jit(one_more, eager=True, cache=False, fallback=False)(1.0)


@dataclass
class Result:
    size: str
    numpy_ms: float | None = None
    noodle_ms: float | None = None
    numba_ms: float | None = None
    floor_ms: float | None = None
    compile_ms: float | None = None
    #: a `*_parallel` case's serial kernels, timed beside the parallel ones
    noodle_serial_ms: float | None = None
    numba_serial_ms: float | None = None
    #: a `*_parallel` case's speed-ups over the serial kernels (`paired_speedup`)
    noodle_speedup: float | None = None
    numba_speedup: float | None = None
    failed: dict[str, str] = field(default_factory=dict)  # contender: why it has no time
    wrong: dict[str, str] = field(default_factory=dict)   # contender: the mismatch

    def to_json(self) -> dict:
        figures = {k: getattr(self, k) for k in (
            "size", "noodle_ms", "numpy_ms", "numba_ms", "floor_ms", "compile_ms",
            "noodle_serial_ms", "numba_serial_ms", "noodle_speedup", "numba_speedup")}
        return {**figures, "failed": self.failed, "wrong": self.wrong}


def measure(case: Case, repeats: int) -> Result:
    args = case.make_args(np.random.default_rng(SEED))
    numpy_way = case.numpy or case.kernel
    expected = outcome(numpy_way, args)
    result = Result(case.size)

    parallel = case.parallel_of is not None
    kernel = noodle.jit(case.kernel, eager=True, cache=False, fallback=False,
                        parallel=parallel)
    try:
        start = time.perf_counter()
        noodle.compile(kernel, *args)  # compiles without running, unlike a first call
        result.compile_ms = (time.perf_counter() - start) * 1000
    except (noodle.NoodleError, noodle.NoodleFallbackWarning) as e:
        result.failed["noodle"] = short(e)
    contenders = {}  # each serial kernel of a parallel case just before its parallel one
    if "noodle" not in result.failed:
        if parallel:
            contenders["noodle_serial"] = noodle.jit(case.kernel, eager=True, cache=False,
                                                     fallback=False)
        contenders["noodle"] = kernel
    if numba is None:
        result.failed["numba"] = "not installed"
    else:
        try:
            if parallel:
                contenders["numba_serial"] = numba.njit(case.kernel)
                outcome(contenders["numba_serial"], args)  # compile
            contenders["numba"] = numba.njit(case.kernel, parallel=parallel)
            outcome(contenders["numba"], args)
        except Exception as e:  # noqa: BLE001 - Numba says no in several types (TypingError,
            # ImportError for `@` without SciPy, NotImplementedError): each is a row note
            for name in ("numba", "numba_serial"):
                contenders.pop(name, None)
            result.failed["numba"] = short(e)

    result.numpy_ms = median_ms(numpy_way, copied(args), repeats)
    for name, function in contenders.items():
        try:
            same(outcome(function, args), expected)
        except AssertionError as e:
            result.wrong[name] = str(e).strip()
            continue
        setattr(result, f"{name}_ms", median_ms(function, copied(args), repeats))
    for who in ("noodle", "numba") if parallel else ():
        if getattr(result, f"{who}_ms") is not None and f"{who}_serial" not in result.wrong:
            setattr(result, f"{who}_speedup", paired_speedup(
                contenders[f"{who}_serial"], contenders[who], copied(args), 2 * repeats))
    if case.floor:
        nbytes = sum(a.nbytes for a in args if isinstance(a, np.ndarray))
        src, dst = np.ones(nbytes, dtype=np.uint8), np.zeros(nbytes, dtype=np.uint8)
        copy = copy_on_all_cores if parallel else np.copyto
        result.floor_ms = median_ms(copy, (dst, src), repeats)
    return result


def copy_on_all_cores(dst: np.ndarray, src: np.ndarray) -> None:
    """`np.copyto` in one contiguous piece per core, at once (NumPy lets go of the GIL
    while it copies): the bandwidth floor of a kernel that streams its inputs on every
    core. A parallel kernel at this floor can go no faster, whatever its speed-up."""
    cores = os.cpu_count() or 1
    bounds = np.linspace(0, len(dst), cores + 1, dtype=int)
    pieces = [(dst[start:stop], src[start:stop]) for start, stop in zip(bounds, bounds[1:])]
    list(copy_threads(cores).map(lambda piece: np.copyto(*piece), pieces))


@functools.cache
def copy_threads(cores: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(cores)


# -- reporting -------------------------------------------------------------------------
def machine() -> dict:
    try:
        lscpu = subprocess.run(["lscpu"], check=False, capture_output=True, text=True).stdout
    except OSError:
        lscpu = ""
    model = next((line.split(":", 1)[1].strip() for line in lscpu.splitlines()
                  if line.startswith("Model name:")), None)
    return {"python": platform.python_version(), "numpy": np.__version__,
            "numba": numba.__version__ if numba else None, "noodle": noodle.__version__,
            "processor": platform.processor(), "uname": " ".join(platform.uname()),
            "cpu_count": os.cpu_count(), "cpu_model": model}


def cell(r: Result, name: str) -> str:
    """`name`'s time in the table, or why there is none."""
    if name in r.wrong:
        return "WRONG"
    if name in r.failed:
        return "n/a" if r.failed[name] == "not installed" else "fallback"
    ms = getattr(r, f"{name}_ms")
    return "-" if ms is None else f"{ms:.3f}"


def ratio(numerator: float | None, denominator: float | None) -> str:
    if numerator is None or denominator is None:
        return "-"
    return f"{numerator / denominator:.2f}x"


def print_table(results: dict[str, Result]) -> None:
    wide = max(len(name) for name in results) + 2
    wider = max(len(r.size) for r in results.values()) + 2
    header = (f"{'case':<{wide}}{'size':<{wider}}{'noodle ms':>11}{'NumPy ms':>11}"
              f"{'Numba ms':>11}{'floor ms':>11}{'vs NumPy':>10}{'vs Numba':>10}"
              f"{'vs floor':>10}{'compile ms':>12}")
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        times = "".join(f"{cell(r, who):>11}" for who in ("noodle", "numpy", "numba",
                                                            "floor"))
        compile_ms = "-" if r.compile_ms is None else f"{r.compile_ms:.0f}"
        print(f"{name:<{wide}}{r.size:<{wider}}{times}"
              f"{ratio(r.numpy_ms, r.noodle_ms):>10}{ratio(r.numba_ms, r.noodle_ms):>10}"
              f"{ratio(r.noodle_ms, r.floor_ms):>10}{compile_ms:>12}")
    print("vs NumPy, vs Numba: their time / noodle's (> 1: noodle is faster); "
          "vs floor: noodle's time / the copy's (1: at the bandwidth bound)")
    notes = [f"  {name}, {who}: fallback: {why}" for name, r in results.items()
             for who, why in r.failed.items() if why != "not installed"]
    if notes:
        print("\nfallbacks\n" + "\n".join(notes))
    wrong = [f"  {name}, {who}: WRONG ANSWER\n    " + why.replace("\n", "\n    ")
             for name, r in results.items() for who, why in r.wrong.items()]
    if wrong:
        print("\nWRONG ANSWERS (not timed; exit status 1)\n" + "\n".join(wrong))
    speedups = [name for name in results if CASES[name].parallel_of]
    if speedups:
        print("\nparallel=True: speed-up over the same kernel's serial run, the median of "
              "back-to-back pairs (issue 5 target: noodle's >= Numba's)")
        for name in speedups:
            r = results[name]
            mine, theirs = (f"{x:.2f}x" if x else "-" for x in (r.noodle_speedup,
                                                                 r.numba_speedup))
            print(f"  {CASES[name].parallel_of:<10} noodle {mine:>7}   Numba {theirs:>7}")
    if any(r.compile_ms is not None for r in results.values()):
        slow = [name for name, r in results.items() if (r.compile_ms or 0) > 500]
        print(f"\ntarget (issue 5): optimising-tier compile <= 500 ms per kernel: "
              f"{'PASS' if not slow else 'MISS (' + ', '.join(slow) + ')'}")


def source_commit() -> str | None:
    """The git commit of the noodle being measured (with "+changes" when the work tree
    differs from it), or None outside a git checkout."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=Path(__file__).parent, check=False,
                                  capture_output=True, text=True)
        except OSError:
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    return commit + ("+changes" if git("status", "--porcelain", "--untracked-files=no")
                     else "")


def regressions(results: dict[str, Result], baseline_file: str, tolerance: float,
                host: dict) -> int:
    """Print noodle's time per case against the baseline's; the number of regressions."""
    baseline = json.loads(Path(baseline_file).read_text())
    then_host = baseline.get("machine", {})
    differ = [f"{key} {then_host.get(key)!r} -> {host[key]!r}"
              for key in ("cpu_model", "cpu_count") if then_host.get(key) != host[key]]
    if differ:
        print(f"\nWARNING: {baseline_file} was measured on another machine "
              f"({'; '.join(differ)}): the times compare machines as much as code")
    baseline = baseline["cases"]
    print(f"\nagainst {baseline_file} (noodle ms now / then; REGRESSION above "
          f"{1 + tolerance:.2f})")
    regressed = 0
    for name, r in results.items():
        then = baseline.get(name, {}).get("noodle_ms")
        if then is None:
            print(f"  {name:<18} no baseline time")
        elif r.noodle_ms is None:
            regressed += 1
            print(f"  {name:<18} no time now ({'wrong answer' if r.wrong else 'fallback'}) "
                  f"against {then:.3f} ms  REGRESSION")
        else:
            change = r.noodle_ms / then
            slower = change > 1 + tolerance
            regressed += slower
            print(f"  {name:<18} {r.noodle_ms:.3f} / {then:.3f} ms = {change:.2f}"
                  f"{'  REGRESSION' if slower else ''}")
    return regressed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--check", metavar="BASELINE", help="compare noodle's times with "
                        "those of an earlier --json; exit status 1 on a regression")
    parser.add_argument("--tolerance", type=float, default=0.25,
                        help="slowdown that counts as a regression (default 0.25)")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=list(CASES),
                        help=f"run only these cases: {', '.join(CASES)}")
    args = parser.parse_args()
    global numba
    try:
        import numba
    except ImportError:
        pass
    # a kernel that cannot compile must say so, not run as Python
    warnings.simplefilter("error", noodle.NoodleFallbackWarning)
    repeats = 3 if args.quick else 7
    load_compiler()
    results = {}
    for name in args.only or CASES:
        print(f"{name}...", end=" ", file=sys.stderr, flush=True)
        results[name] = measure(CASES[name], repeats)
    print(file=sys.stderr)
    host = machine()
    print(f"median of {repeats} repeats, ms per call; {host['cpu_model']}, "
          f"{host['cpu_count']} CPUs")
    print_table(results)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"machine": host, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
             "commit": source_commit(), "repeats": repeats,
             "cases": {name: r.to_json() for name, r in results.items()}}, indent=2))
    failed = any(r.wrong for r in results.values())
    if args.check:
        failed |= regressions(results, args.check, args.tolerance, host) > 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
