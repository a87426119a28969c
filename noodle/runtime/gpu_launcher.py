"""Running a `GpuProgram` with CuPy: PTX loaded as a module, the host plan run on the
current CuPy stream.

CuPy is imported here, lazily, and nowhere else in noodle: importing noodle or compiling
for the CPU never loads it. Arguments may be CuPy arrays (they stay on the device and
array results are CuPy arrays) or NumPy arrays (copied to the device, and back after the
call where a kernel or the plan may have written them; array results are NumPy arrays).
A call with any CuPy array argument returns CuPy arrays.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from noodle.compiler.gpu.program import GpuProgram
from noodle.compiler.types import Array, NType, Scalar, box_scalar, leaf_types, typeof
from noodle.errors import UnsupportedError
from noodle.runtime.gpu_host_mirror import HostMirror, array_view
from noodle.runtime.gpu_plan import PlanRun, PreparedPlan, View
from noodle.runtime.gpu_plan_source import plan_function
from noodle.runtime.leaves import leaves, rebuild

NO_GPU = "needs an NVIDIA GPU and CuPy"

_INT64 = np.dtype(np.int64)


def _cupy() -> Any:
    import cupy  # noqa: PLC0415 (lazy: only GPU calls load CuPy)
    return cupy


def gpu_available() -> tuple[bool, str]:
    """(whether CuPy is installed and sees a GPU, why not when it does not)."""
    try:
        cupy = _cupy()
    except ImportError:
        return False, "CuPy is not installed (pip install noodle[gpu])"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CUDA driver missing or broken: CuPy raises its own types
        return False, f"CuPy finds no usable GPU ({e})"
    return (count > 0, "" if count else "CuPy finds no GPU")


def device_chip() -> str:
    """`sm_XX` of the current CuPy device: what to compile PTX for."""
    return f"sm_{_cupy().cuda.Device().compute_capability}"


def is_device_array(value: object) -> bool:
    """A CuPy array, recognised without importing CuPy."""
    return type(value).__module__.startswith("cupy") and hasattr(value, "data") and hasattr(
        value, "strides")


def gpu_typeof(value: object) -> NType | None:
    """The noodle type of a CuPy array (as `types.typeof` gives for a NumPy array)."""
    if not is_device_array(value):
        return None
    layout = "C" if value.flags.c_contiguous else "A"
    return Array(np.dtype(value.dtype), value.ndim, layout)


def argument_types(args: Sequence[object]) -> tuple[NType | None, ...]:
    """The noodle types of a call's arguments, CuPy arrays included (None: not
    compilable), for the key of a GPU program."""
    return tuple(gpu_typeof(a) if is_device_array(a) else typeof(a) for a in args)


class CupyDevice:
    """The plan's `Device` on CuPy: allocations from CuPy's memory pool, kernels from
    one CUDA module per program (the driver compiles the PTX when it loads it), launched
    on the current stream. Its memory is not the host's: NumPy arguments are copied
    (`gpu_host_mirror.CopyingDevice`)."""

    separate_memory = True

    def __init__(self, program: GpuProgram):
        self._cupy = _cupy()
        self._module = _load_module(program.ptx)
        self._functions: dict[str, Any] = {}

    def alloc(self, dtype: np.dtype, count: int) -> Any:
        return self._cupy.empty(count, dtype)

    def address(self, owner: Any) -> int:
        return owner.data.ptr

    def _element(self, owner: Any, byte_offset: int, dtype: np.dtype) -> Any:
        return self._cupy.ndarray((), dtype, memptr=owner.data + byte_offset)

    def read(self, owner: Any, byte_offset: int, dtype: np.dtype) -> np.generic:
        if isinstance(owner, np.ndarray):  # host memory: the status no kernel writes
            return owner.view(np.uint8)[byte_offset:byte_offset + dtype.itemsize].view(dtype)[0]
        return self._element(owner, byte_offset, dtype).get()[()]

    def write(self, owner: Any, byte_offset: int, dtype: np.dtype, value: object) -> None:
        if isinstance(owner, np.ndarray):
            owner.view(np.uint8)[byte_offset:byte_offset + dtype.itemsize].view(dtype)[0] = value
            return
        self._element(owner, byte_offset, dtype).set(np.asarray(value, dtype))

    def array(self, owner: Any, view: View) -> Any:
        itemsize = view.dtype.itemsize
        return self._cupy.ndarray(view.sizes, view.dtype,
                                  memptr=owner.data + view.offset * itemsize,
                                  strides=tuple(s * itemsize for s in view.strides))

    def copy_in(self, host: np.ndarray, pad: int) -> Any:
        owner = self._cupy.empty(pad + host.size, np.uint8)
        if host.size:
            owner[pad:].set(host)
        return owner

    def owner_at(self, owner: Any, byte_offset: int) -> Any:
        return owner[byte_offset:]

    def copy_out(self, owner: Any, byte_offset: int, host: np.ndarray) -> None:
        host[...] = owner[byte_offset:byte_offset + host.size].get()

    def launch(self, kernel: str, grid: tuple[int, int, int], block: tuple[int, int, int],
               params: list[np.generic], shared_mem: int = 0) -> None:
        function = self._functions.get(kernel)
        if function is None:
            function = self._functions[kernel] = self._module.get_function(kernel)
        # stream None: CuPy's current stream
        function(grid, block, tuple(params), shared_mem=shared_mem)


#: (device, PTX digest) -> loaded module, for the life of the process
_MODULES: dict[tuple[int, str], Any] = {}


def _load_module(ptx: str) -> Any:
    """The PTX loaded on the current device, once. `cupy.RawModule(code=)` would hand the
    text to NVRTC as C++; `cuModuleLoadData` (CuPy's `Module.load`) takes PTX itself."""
    cupy = _cupy()
    key = (cupy.cuda.Device().id, hashlib.sha256(ptx.encode()).hexdigest())
    module = _MODULES.get(key)
    if module is None:
        module = cupy.cuda.function.Module()
        with driver_rejections(cupy.cuda.driver.CUDADriverError):
            module.load(ptx.encode() + b"\0")  # PTX as a NUL-terminated image
        _MODULES[key] = module
    return module


@contextmanager
def driver_rejections(errors: type[Exception] | tuple[type[Exception], ...]) -> Iterator[None]:
    """`errors` raised while the driver loads PTX become `UnsupportedError` with the
    driver's message: a PTX ISA newer than the driver knows, or PTX it rejects, is a GPU
    the function cannot run on, so `target="auto"` and `fallback=True` take the CPU and
    the rejection is remembered (`GpuPrograms`), not retried on every call."""
    try:
        yield
    except errors as e:
        raise UnsupportedError(
            f"the CUDA driver cannot load the PTX: {e}",
            hint="an older driver rejects PTX of a newer ISA: update the NVIDIA driver, "
            "or run the function on the CPU") from None


def current_device_id() -> int:
    """CuPy's current device, whose context a loaded module belongs to; 0 where CuPy
    is not installed (no device to tell apart)."""
    try:
        cupy = _cupy()
    except ImportError:
        return 0
    return cupy.cuda.runtime.getDevice()


class GpuLauncher:
    """Calls a `GpuProgram` like the Python function it was compiled from."""

    def __init__(self, program: GpuProgram, device: Any | None = None):
        self.program = program
        self.device = device if device is not None else CupyDevice(program)
        #: whether a kernel may store an error status: only then does it live on the
        #: device (and each call waits for the kernels, to read it); else the host keeps it
        self._device_status = kernels_take(program.plan, program.plan["args"][0])
        self._plan = PreparedPlan(program.plan)
        self._run_plan = plan_function(self._plan)
        self._result_leaves = leaf_types(program.kernel.result_type)

    def __call__(self, *args: object) -> object:
        program, device = self.program, self.device
        values_in = leaves(args)
        on_device = any(is_device_array(a) for a in values_in)
        # a device with memory of its own gets copies of the NumPy arguments
        mirror = HostMirror(device) if getattr(device, "separate_memory", False) else None
        mirrored: dict[int, View] = {}
        if mirror is not None:
            for position, value in enumerate(values_in, start=1):  # 0 is the status
                if isinstance(value, np.ndarray):
                    mirror.add(value, position)
            mirrored = mirror.to_device()
        values = [mirrored[position] if position in mirrored else _argument(value, position)
                  for position, value in enumerate(values_in, start=1)]
        status_owner = np.zeros(1, np.int64)
        if self._device_status:
            status_owner = device.alloc(_INT64, 1)
            device.write(status_owner, 0, _INT64, 0)
        status = View(status_owner, _INT64, 0, (), ())
        run = PlanRun(self._plan, program.params, device, program.writes)
        results = self._run_plan(run, [status, *values])
        code = int(device.read(status_owner, 0, _INT64) if self._device_status
                   else status_owner[0])
        # before raising too: what ran before the error shows in the caller's arrays,
        # as on the CPU and for CuPy arguments
        if mirror is not None:
            mirror.copy_back(run.written)
        if code:
            raise program.kernel.sites[code - 1].exception()
        boxed = []
        for t, value in zip(self._result_leaves, results):
            if isinstance(t, Array):
                # the function's dtype: buffers are signless (bools stored as bytes)
                view = View(value.owner, t.dtype, value.offset, value.sizes, value.strides)
                host = None if mirror is None or on_device else mirror.host_view(view)
                array = host if host is not None else device.array(value.owner, view)
                boxed.append(array if on_device or not hasattr(array, "get") else array.get())
            else:
                boxed.append(_box(t, value))
        return rebuild(program.kernel.result_type, iter(boxed))


def _box(t: NType, value: object) -> object:
    """A scalar result as Python gives it; the plan holds integers signless, in signed
    form, so an unsigned one is read back modulo its width."""
    if isinstance(t, Scalar) and t.dtype.kind == "u":
        value = int(value) & ((1 << (8 * t.dtype.itemsize)) - 1)
    return box_scalar(t, value) if isinstance(t, Scalar) else value


def kernels_take(plan: dict, value: int) -> bool:
    """Whether some `gpu.launch_func` of `plan` passes plan value `value` (or a view of it
    made by the plan) to a kernel."""
    derived = {value}
    found = False

    def visit(ops: list[dict]) -> None:
        nonlocal found
        for op in ops:
            if op["op"].startswith("memref.") and op["in"] and op["in"][0] in derived \
                    and op["op"] not in ("memref.load", "memref.store", "memref.dim"):
                derived.update(op["out"])
            if op["op"] == "gpu.launch_func" and derived & set(op["in"]):
                found = True
            for region in op.get("regions", []):
                visit(region["body"])

    visit(plan["body"])
    return found


def _argument(value: object, position: int) -> object:
    """A plan value for one argument: arrays as views (element strides), scalars as the
    plan holds them."""
    if hasattr(value, "strides") and hasattr(value, "dtype") and getattr(value, "ndim", 0) >= 0 \
            and not isinstance(value, np.generic):
        return array_view(value, value, position)
    if isinstance(value, (bool, np.bool_)):
        return int(bool(value))
    if isinstance(value, np.unsignedinteger):  # signless, in signed form, as the plan
        bits = 8 * value.itemsize
        return int(value) - (1 << bits) if int(value) >> (bits - 1) else int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, np.floating):
        return value
    if isinstance(value, float):
        return np.float64(value)
    raise TypeError(f"the GPU path cannot pass an argument of type {type(value).__name__}")
