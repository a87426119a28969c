"""The functions the GPU tests compile: the shared acceptance cases and the benchmark
kernels, split into those the GPU path lowers and those it must reject (with why)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np

from noodle.compiler.types import typeof

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"


def acceptance_cases() -> dict:
    """name -> Case of /work/shared/acceptance/jit_cases.py, or {} when it is absent."""
    if not (SHARED / "acceptance" / "jit_cases.py").is_file():
        return {}
    if str(SHARED) not in sys.path:
        sys.path.insert(0, str(SHARED))
    from acceptance.jit_cases import CASES
    return {case.name: case for case in CASES}


def benchmark_cases() -> dict:
    """name -> Case of benchmarks/run.py (its kernels and argument makers)."""
    spec = importlib.util.spec_from_file_location("noodle_benchmarks_run",
                                                  ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("noodle_benchmarks_run", module)
    spec.loader.exec_module(module)
    return module.CASES


def arg_types(args: tuple) -> tuple:
    return tuple(typeof(a) for a in args)


def small_args(make_args, seed: int = 0) -> tuple:
    return make_args(np.random.default_rng(seed))


#: acceptance cases the GPU path lowers: array expressions, reductions, matmul, and a
#: host loop of kernels (jacobi's time steps)
ACCEPTANCE_ON_GPU = ["broadcast_axpy", "jacobi_2d", "gemm", "softmax_rows", "min_max_mean",
                     "clip_where", "float32_stays", "int_overflow_wraps"]

#: those it rejects: each is a sequential loop over array elements (on the host it would
#: cost a device round trip per element; they are not data-parallel as written)
SEQUENTIAL_LOOP = "a sequential loop reads or writes array elements one at a time"
ACCEPTANCE_REJECTED = {name: SEQUENTIAL_LOOP for name in [
    "go_fast", "first_above", "prefix_sum", "mandelbrot", "crc16", "normalize_rows",
    "reverse_strided", "pairwise_distance"]}

BENCHMARKS_ON_GPU = ["exp_f64", "exp_f32", "sum", "softmax", "jacobi_2d", "gemm", "mandelbrot",
                     "exp_f64_parallel", "exp_f32_parallel", "mandelbrot_parallel"]
BENCHMARKS_REJECTED = {"go_fast": SEQUENTIAL_LOOP, "pairwise_distance": SEQUENTIAL_LOOP,
                       "pagerank": SEQUENTIAL_LOOP}
