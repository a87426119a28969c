"""examples/gpu_kernels.py, the README's `noodlec --emit ptx` example: one PTX module of
its kernels, which ptxas assembles, and the same functions on the CPU against NumPy."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from noodle.compiler.gpu.toolkit import libdevice_path, ptxas_path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "gpu_kernels.py"


def test_the_example_compiles_to_one_ptx_module(tmp_path):
    if libdevice_path() is None:
        pytest.skip("libdevice not found (CUDA toolkit or nvidia-cuda-nvcc-cu12): the "
                    "kernels' exp has no PTX")
    ptx = tmp_path / "gpu_kernels.ptx"
    done = subprocess.run([sys.executable, "-m", "noodle.tools.noodlec", str(EXAMPLE),
                           "--emit", "ptx", "--target", "cuda:sm_80", "-o", str(ptx)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    text = ptx.read_text()
    for name in ("fused_exp", "rms", "softmax", "matmul"):
        assert f"// noodlec: {name}(" in text
    assert text.count(".version") == 1 and ".target sm_80" in text
    if ptxas_path() is None:
        pytest.skip("ptxas not found (CUDA toolkit or nvidia-cuda-nvcc-cu12): PTX made, "
                    "not assembled")
    assembled = subprocess.run([str(ptxas_path()), "-arch=sm_80", str(ptx), "-o",
                                str(tmp_path / "gpu_kernels.cubin")],
                               capture_output=True, text=True, timeout=600)
    assert assembled.returncode == 0, assembled.stderr


def test_the_example_functions_match_numpy_on_the_cpu():
    sys.path.insert(0, str(EXAMPLE.parent))
    try:
        import gpu_kernels as k
    finally:
        sys.path.remove(str(EXAMPLE.parent))
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 1001)).astype(np.float32)
    np.testing.assert_allclose(k.fused_exp(a, b), np.exp(a * b + a), rtol=2e-7)
    x = rng.standard_normal(1001)
    assert k.rms(x) == pytest.approx(np.sqrt(np.mean(x * x)), rel=1e-14)
    m = rng.standard_normal((7, 5))
    e = np.exp(m - m.max(axis=1)[:, None])
    np.testing.assert_allclose(k.softmax(m), e / e.sum(axis=1)[:, None], rtol=1e-14)
    p, q = rng.standard_normal((2, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(k.matmul(p, q), p @ q, rtol=1e-5, atol=1e-5)
