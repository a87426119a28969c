"""GPU benchmarks: noodle's PTX kernels launched through CuPy, against CuPy itself and
against the memory-bandwidth floor, in one process on one GPU.

    python benchmarks/gpu.py [--size N] [--repeats R]

1. Fused elementwise `exp(a * b + a)` over N float32 (default 100M): noodle's one fused
   kernel, CuPy's expression (three kernels and two temporaries), and a device-to-device
   copy of the same bytes (the floor: an elementwise kernel cannot beat moving its data).
2. Sum of N float32: noodle's block tree reduction (two kernels) against `cupy.sum`, and
   the time to read the bytes once (a copy of half the array each way).
3. Launch overhead: a cached noodle kernel on a 1-element array against a CuPy
   `ElementwiseKernel` doing the same, per call, on the host clock (what a caller waits
   for) and on CUDA events.

Times are medians of `--repeats` runs after warm-up, measured with CUDA events on the
current stream. Exits with a message (status 2) where there is no GPU or no CuPy.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from noodle.compiler.gpu import compile_to_ptx  # noqa: E402
from noodle.runtime.gpu_launcher import GpuLauncher, argument_types, device_chip, gpu_available  # noqa: E402


def fused(a, b):
    return np.exp(a * b + a)


def total(a):
    return np.sum(a)


def add_one(a):
    return a + np.float32(1.0)


def event_ms(fn: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    """Median milliseconds of `fn` between CUDA events on the current stream."""
    import cupy
    for _ in range(warmup):
        fn()
    cupy.cuda.get_current_stream().synchronize()
    times = []
    for _ in range(repeats):
        start, end = cupy.cuda.Event(), cupy.cuda.Event()
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(cupy.cuda.get_elapsed_time(start, end))
    return statistics.median(times)


def host_us_per_call(fn: Callable[[], object], calls: int, repeats: int) -> float:
    """Median microseconds per call on the host clock, `calls` calls a sample, with the
    stream drained at the end of each sample (the GPU keeps up with tiny kernels)."""
    import cupy
    stream = cupy.cuda.get_current_stream()
    for _ in range(calls):
        fn()
    stream.synchronize()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        stream.synchronize()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def compiled(func, *args) -> GpuLauncher:
    return GpuLauncher(compile_to_ptx(func, argument_types(args), chip=device_chip()))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    available, why = gpu_available()
    if not available:
        print(f"benchmarks/gpu.py needs an NVIDIA GPU and CuPy: {why}", file=sys.stderr)
        return 2
    import cupy

    n, repeats = args.size, args.repeats
    name = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)["name"].decode()
    print(f"device: {name} ({device_chip()}), N = {n:,} float32, medians of {repeats}")
    rng = cupy.random.default_rng(0)
    a = rng.random(n, dtype=cupy.float32)
    b = rng.random(n, dtype=cupy.float32)

    # 1. fused elementwise
    noodle_fused = compiled(fused, a, b)
    got = noodle_fused(a, b)
    cupy.testing.assert_allclose(got, cupy.exp(a * b + a), rtol=1e-5)
    moved = 3 * a.nbytes  # two reads, one write
    src = cupy.empty(3 * n // 2, cupy.float32)
    dst = cupy.empty_like(src)  # a copy of 1.5 N floats moves the same 3 N * 4 bytes
    t_noodle = event_ms(lambda: noodle_fused(a, b), repeats)
    t_cupy = event_ms(lambda: cupy.exp(a * b + a), repeats)
    t_copy = event_ms(lambda: dst.__setitem__(Ellipsis, src), repeats)
    print("\nfused exp(a * b + a)          ms     GB/s   vs copy")
    for label, t in [("noodle (1 kernel)", t_noodle), ("CuPy expression", t_cupy),
                     ("device-to-device copy", t_copy)]:
        print(f"  {label:<26} {t:7.3f} {moved / t / 1e6:8.1f}   {t / t_copy:5.2f}x")

    # 2. reduction
    noodle_sum = compiled(total, a)
    got_sum = noodle_sum(a)
    want = float(cupy.sum(a.astype(cupy.float64)))
    assert abs(got_sum - want) <= 1e-4 * abs(want), (got_sum, want)
    half_src, half_dst = cupy.empty(n // 2, cupy.float32), cupy.empty(n // 2, cupy.float32)
    t_noodle = event_ms(lambda: noodle_sum(a), repeats)
    t_cupy = event_ms(lambda: cupy.sum(a), repeats)
    t_read = event_ms(lambda: half_dst.__setitem__(Ellipsis, half_src), repeats)
    print("\nsum(a)                        ms     GB/s   vs reading a once")
    for label, t in [("noodle (tree, 2 kernels)", t_noodle), ("cupy.sum", t_cupy),
                     ("copy of N/2 (N reads+writes)", t_read)]:
        print(f"  {label:<28} {t:7.3f} {a.nbytes / t / 1e6:8.1f}   {t / t_read:5.2f}x")
    print("  (noodle's sum returns a Python scalar: its time includes the copy to the host)")

    # 3. launch overhead
    tiny = cupy.ones(1, cupy.float32)
    noodle_tiny = compiled(add_one, tiny)
    noodle_tiny(tiny)
    cupy_kernel = cupy.ElementwiseKernel("float32 x", "float32 y", "y = x + 1.0f",
                                         "noodle_bench_add_one")
    out = cupy.empty_like(tiny)
    cupy_kernel(tiny, out)
    calls = 1000
    rows = [("noodle cached kernel", lambda: noodle_tiny(tiny)),
            ("CuPy ElementwiseKernel", lambda: cupy_kernel(tiny, out))]
    print("\nlaunch overhead (1 element)   host us/call   event us/call")
    for label, fn in rows:
        host = host_us_per_call(fn, calls, max(repeats // 4, 3))
        event = event_ms(fn, repeats) * 1e3
        print(f"  {label:<26} {host:10.1f} {event:14.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
