"""NumPy arguments of a GPU call on a device with memory of its own
(`gpu_host_mirror`), run on a host stand-in whose "kernels" store into the arrays
they are given: what is copied in, what comes back, and when."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from noodle.compiler.gpu import compile_to_ptx
from noodle.compiler.options import CompileOptions
from noodle.runtime.gpu_host_mirror import extent
from noodle.runtime.gpu_launcher import GpuLauncher

from . import kernels
from .cases import arg_types
from .host_device import CopyingHostDevice

_PROGRAMS: dict = {}


def _program(func, args, options=None):
    key = (func, arg_types(args), options)
    if key not in _PROGRAMS:
        _PROGRAMS[key] = compile_to_ptx(func, key[1], options)
    return _PROGRAMS[key]


def _store_first_elements(value: float, status: int = 0):
    """A stand-in kernel: 8 bytes of `value` at the first element of each memref it is
    given, and `status` in the error status cell (the int64 scalar the launcher
    allocates)."""
    def kernel(device, launch):
        kinds = [type(p) for p in launch.params]
        statuses = {a.ctypes.data for a in device.allocations
                    if a.dtype == np.int64 and a.size == 1}
        params = [int(p) if not isinstance(p, (float, np.floating)) else p
                  for p in launch.params]
        for i in range(len(params) - 2):
            # a descriptor: allocated pointer, the same aligned pointer, offset
            if kinds[i] is not float and params[i] == params[i + 1] and params[i] > 4096:
                address = params[i + 1] + 8 * params[i + 2]
                if address in statuses:
                    if status:
                        ctypes.c_int64.from_address(address).value = status
                else:
                    ctypes.c_double.from_address(address).value = value
    return kernel


def test_written_argument_viewing_a_strided_buffer_comes_back():
    base = np.zeros(20)
    for y in (as_strided(base, (10,), (16,)), sliding_window_view(base, 4, writeable=True)[::5, 0]):
        x = np.ones(y.shape)
        device = CopyingHostDevice(_store_first_elements(7.0))
        GpuLauncher(_program(kernels.axpy_in_place, (2.0, x, y)), device)(2.0, x, y)
        assert y[0] == 7.0 and base[0] == 7.0
        assert x[0] == 1.0  # read only: not copied back
        base[:] = 0


def test_only_the_bytes_the_arguments_view_are_copied():
    big, other = np.ones(1_000_000), np.ones(1_000_000)
    device = CopyingHostDevice(_store_first_elements(5.0))
    x, y = big[:10], other[100:110]
    GpuLauncher(_program(kernels.axpy_in_place, (2.0, x, y)), device)(2.0, x, y)
    assert device.copied_in == 160
    assert other[100] == 5.0 and other[99] == 1.0 and other[110] == 1.0


def test_arguments_sharing_memory_share_it_on_the_device():
    a = np.arange(10.0)
    device = CopyingHostDevice(_store_first_elements(9.0))
    x, y = a[1:], a[:-1]
    GpuLauncher(_program(kernels.axpy_in_place, (2.0, x, y)), device)(2.0, x, y)
    assert device.copied_in == a.nbytes  # one span
    span = device.allocations[0]
    start = span.ctypes.data + a.ctypes.data % 16  # where a's first byte went
    addresses = {int(p) for launch in device.launches for p in launch.params
                 if isinstance(p, int)}
    assert {start, start + 8} <= addresses  # a[:-1] and a[1:]: views of one copy
    assert a[0] == 9.0  # y written back


def test_writes_before_an_error_come_back_before_it_is_raised():
    a, out = np.ones(10), np.zeros(10)
    options = CompileOptions(boundscheck=True)
    program = _program(kernels.shifted_copy, (a, out, 3), options)
    device = CopyingHostDevice(_store_first_elements(4.0, status=1))
    with pytest.raises(IndexError):
        GpuLauncher(program, device)(a, out, 3)
    assert out[0] == 4.0 and a[0] == 1.0


def test_extent_covers_negative_strides():
    a = np.arange(12.0).reshape(3, 4)
    view = a[::-1, 1::2]
    low, high = extent(view)
    assert low == a.ctypes.data + 8 and high == a.ctypes.data + 11 * 8 + 8


def test_result_viewing_an_argument_is_a_view_of_the_callers_array():
    a = np.arange(10.0)
    device = CopyingHostDevice()
    got = GpuLauncher(_program(kernels.doubled_tail, (a,)), device)(a)
    assert got.ctypes.data == a.ctypes.data + 8 and got.shape == (9,)
