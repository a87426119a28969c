"""Kernels with explicit signatures, for the ahead-of-time compiler:

    noodlec examples/kernels.py -o kernels.so     # kernels.so + kernels.h

Each runs under `@noodle.jit` as well (the signatures then compile at import), and the
library's functions give the same results (tests/tools/test_noodlec_library.py)."""
import numpy as np

import noodle


@noodle.jit("float64[:](float64, float64[:], float64[:])")
def axpy(a, x, y):
    """Elementwise: a * x + y."""
    return a * x + y


@noodle.jit("float64(float64[:])")
def rms(x):
    """A reduction: the root mean square (nan for an empty array, as NumPy's mean)."""
    return np.sqrt(np.mean(x * x))


@noodle.jit("float64[:, :](float64[:, :], float64)")
def smooth(grid, weight):
    """A loop kernel on 2-D arrays: each inner point moves towards the mean of its four
    neighbours; the border stays."""
    out = grid.copy()
    for i in range(1, grid.shape[0] - 1):
        for j in range(1, grid.shape[1] - 1):
            around = grid[i - 1, j] + grid[i + 1, j] + grid[i, j - 1] + grid[i, j + 1]
            out[i, j] = (1.0 - weight) * grid[i, j] + weight * 0.25 * around
    return out


@noodle.jit("int64(int64, int64, int64)")
def power_mod(base, exponent, modulus):
    """A scalar function: base ** exponent % modulus by squaring (ZeroDivisionError when
    modulus is 0, as Python's %)."""
    result = 1 % modulus
    base = base % modulus
    while exponent > 0:
        if exponent % 2 == 1:
            result = result * base % modulus
        base = base * base % modulus
        exponent //= 2
    return result


@noodle.jit("Tuple(float64[:], float64)(float64[:])")
def normalized(x):
    """A tuple result: x scaled to unit Euclidean norm, and the norm."""
    norm = np.sqrt(np.sum(x * x))
    return x / norm, norm


@noodle.jit("float64(float64[:, :])", "int64(int64[:, :])")
def trace(m):
    """Two signatures: the C functions are trace__f64a2 and trace__i64a2 (m must not be
    empty: m[0, 0] gives the zero of its dtype)."""
    total = m[0, 0] * 0
    for i in range(min(m.shape[0], m.shape[1])):
        total += m[i, i]
    return total


@noodle.jit("float32[:](float32[::1], float32)")
def clip_below(x, floor):
    """float32, a C-contiguous parameter (strided arrays are refused)."""
    return np.maximum(x, floor)
