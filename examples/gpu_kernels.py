"""Array kernels for the GPU, for the ahead-of-time compiler:

    noodlec examples/gpu_kernels.py --emit ptx --target cuda:sm_80 -o gpu_kernels.ptx

Each is whole-array code (elementwise expressions, reductions, a matrix product), which
noodle's GPU path maps onto blocks and threads; a loop that reads or writes array
elements one at a time would stay on the CPU (`smooth` in kernels.py). The same
functions run under `@noodle.jit(target="cuda")` where a GPU is present."""
import numpy as np

import noodle


@noodle.jit("float32[:](float32[:], float32[:])")
def fused_exp(a, b):
    """One fused elementwise kernel: exp(a * b + a), with exp from libdevice."""
    return np.exp(a * b + a)


@noodle.jit("float64(float64[:])")
def rms(x):
    """A reduction: the root mean square, as tree reductions in blocks."""
    return np.sqrt(np.mean(x * x))


@noodle.jit("float64[:, :](float64[:, :])")
def softmax(x):
    """Row reductions and broadcasting: the softmax of each row."""
    e = np.exp(x - x.max(axis=1)[:, None])
    return e / e.sum(axis=1)[:, None]


@noodle.jit("float32[:, :](float32[:, :], float32[:, :])")
def matmul(a, b):
    """A matrix product."""
    return a @ b
