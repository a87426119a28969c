"""`@jit(target=...)`: where calls run (`runtime/placement.py`).

On a machine without a usable GPU (no CuPy, or no device): `target="auto"` runs on the
CPU with one warning saying why; `target="cuda"` raises a clear error, or runs on the CPU
with a warning when `fallback=True`. The decision rule itself (device arrays, the size
threshold) is checked with the GPU status set by hand. The GPU runs themselves are in
tests/gpu/test_device.py, which needs a GPU."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import noodle
from noodle.compiler.gpu.toolkit import libdevice_path
from noodle.errors import NoodleError, NoodleFallbackWarning, SourceLocation
from noodle.runtime import placement
from noodle.runtime.placement import Placement

no_gpu = pytest.mark.skipif(placement.gpu_status()[0],
                            reason="this machine has a usable GPU: the CPU-only behaviour "
                                   "is not what runs here")


def scaled_sum(a, b):
    return np.sum(a * 2.0 + b)


@no_gpu
def test_auto_without_a_gpu_runs_on_the_cpu_and_says_why_once():
    f = noodle.jit(scaled_sum, target="auto", cache=False)
    a, b = np.random.rand(100), np.random.rand(100)
    with pytest.warns(NoodleFallbackWarning, match="runs on the CPU: .*(CuPy|GPU)"):
        assert f(a, b) == pytest.approx(scaled_sum(a, b))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # said once, not on every call
        assert f(b, a) == pytest.approx(scaled_sum(b, a))
    # the CPU path's native entries are in place: no decision per call is left
    assert type(type(f).__call__).__name__ == "builtin_function_or_method"
    assert [p.tier for p in f.profiles()] == ["baseline"]


@no_gpu
def test_cuda_without_a_gpu_is_an_error_that_says_what_to_do():
    f = noodle.jit(scaled_sum, target="cuda", cache=False)
    for _ in range(2):  # each call: no native entry runs it on the CPU after the first
        with pytest.raises(NoodleError,
                           match="(?s)target='cuda', but .*hint: use target='auto'"):
            f(np.ones(3), np.ones(3))


@no_gpu
def test_cuda_with_fallback_runs_on_the_cpu_with_a_warning():
    f = noodle.jit(scaled_sum, target="cuda", fallback=True, cache=False)
    a, b = np.random.rand(10), np.random.rand(10)
    with pytest.warns(NoodleFallbackWarning, match="runs on the CPU"):
        assert f(a, b) == pytest.approx(scaled_sum(a, b))


def test_the_default_target_comes_from_the_configuration(monkeypatch):
    monkeypatch.setattr(noodle.config, "target", "auto")
    assert noodle.jit(scaled_sum).placement.target == "auto"
    monkeypatch.setattr(noodle.config, "target", "cpu")
    assert noodle.jit(scaled_sum).placement is None
    assert noodle.jit(scaled_sum, target="cuda").placement.target == "cuda"


def test_an_unknown_target_is_refused():
    with pytest.raises(ValueError, match="unknown target 'tpu': use one of cpu, cuda, auto"):
        noodle.jit(scaled_sum, target="tpu")


def _placement(target: str, fallback: bool = False) -> Placement:
    return Placement(target, fallback, "f", SourceLocation("f.py", 1, 0), threshold=1000)


def test_auto_sends_large_work_to_a_usable_gpu(monkeypatch):
    monkeypatch.setattr(placement, "gpu_status", lambda: (True, ""))
    auto = _placement("auto")
    assert auto.may_use_gpu()
    assert not auto.on_gpu([np.ones(999), 2.0])
    assert auto.on_gpu([np.ones(600), np.ones(400)])  # all arrays' elements count
    assert _placement("cuda").on_gpu([np.ones(1)])  # cuda: whatever the size
    assert not _placement("cpu").on_gpu([np.ones(10**6)])
    assert not _placement("cpu").may_use_gpu()


def test_a_device_array_goes_to_the_gpu_whatever_its_size(monkeypatch):
    monkeypatch.setattr(placement, "gpu_status", lambda: (True, ""))

    class DeviceArray:  # what `is_device_array` recognises: a class from cupy
        __module__ = "cupy._core.core"
        data = strides = ndim = size = 1

    assert _placement("auto").on_gpu([DeviceArray()])


def test_a_function_the_gpu_cannot_run_falls_back_or_raises():
    auto = _placement("auto")
    with pytest.warns(NoodleFallbackWarning, match="f runs on the CPU: a loop"):
        auto.cannot_use_gpu("a loop")
    with pytest.raises(NoodleError, match="cannot run on the GPU: a loop"):
        auto.cannot_use_gpu("a loop", device_args=True)  # the CPU cannot read them
    with pytest.raises(NoodleError, match="target='cuda', but a loop"):
        _placement("cuda").cannot_use_gpu("a loop")
    with pytest.warns(NoodleFallbackWarning):
        _placement("cuda", fallback=True).cannot_use_gpu("a loop")


@pytest.mark.skipif(libdevice_path() is None, reason="libdevice not found (CUDA toolkit or "
                                                      "nvidia-cuda-nvcc-cu12): no PTX")
def test_inspect_gives_the_ptx_of_a_specialisation():
    f = noodle.jit(scaled_sum, cache=False)
    f(np.ones(3), np.ones(3))
    ptx = f.inspect(stage="ptx")
    assert ".target sm_" in ptx and ".entry" in ptx
    assert "atom." not in ptx  # the sum is a tree reduction


class _DeviceArrayStandIn:
    """Recognised as a CuPy array by its module, as `is_device_array` does."""
    __module__ = "cupy._core.core"
    data = strides = None


def test_arrays_inside_tuple_arguments_count():
    args = (np.ones(3), (np.ones(4), (np.ones(2), None)), 2.0)
    assert placement.array_elements(args) == 9
    assert not placement.has_device_array(args)
    assert placement.has_device_array((1.0, (np.ones(2), _DeviceArrayStandIn())))


def test_the_fallback_warning_names_the_construct_the_gpu_path_refused(monkeypatch):
    """The GPU refusal is a located error; its warning (filed at the `def` line) says where
    the refused loop is, since the message alone does not."""
    from noodle.runtime import gpu_launcher
    from tests.gpu.kernels import running_max

    # a usable GPU as far as placement can tell: the refusal comes from compiling for it
    monkeypatch.setattr(placement, "gpu_status", lambda: (True, ""))
    monkeypatch.setattr(gpu_launcher, "device_chip", lambda: "sm_90")
    f = noodle.jit(running_max, target="cuda", fallback=True, cache=False)
    a = np.random.rand(10)
    with pytest.warns(NoodleFallbackWarning) as record:
        np.testing.assert_array_equal(f(a), running_max(a))
    text = str(record[0].message)
    loop = "        m = max(m, a[i])"  # tests/gpu/kernels.py: the element read in the loop
    assert "runs on the CPU: the GPU path cannot compile it: a sequential loop" in text
    assert text.endswith(f"(at {running_max.__code__.co_filename}:19:{loop.index('a[i]') + 1})")
