"""Small kernels of the GPU tests, beyond the acceptance cases and the benchmarks (in a
file: noodle compiles from the source)."""
import numpy as np

from noodle import prange


def prange_total(a):
    s = 0.0
    for i in prange(a.shape[0]):
        s += a[i] * 2.0
    return s


def running_max(a):
    out = np.empty_like(a)
    m = -np.inf
    for i in range(a.shape[0]):
        m = max(m, a[i])
        out[i] = m
    return out


def sum_of_squares(a):
    return np.sum(a * a)


def all_reductions(a):
    return np.sum(a), np.prod(a), np.min(a), np.max(a)


def sum_min_max(a):
    return np.sum(a), np.min(a), np.max(a)


def bool_reductions(a):
    return np.any(a > 0.5), np.all(a > -1.0)


def row_sums(a):
    return np.sum(a, axis=1)


def matmul(a, b):
    return a @ b


def axpy_in_place(alpha, x, y):
    y[:] = alpha * x + y


def scaled_exp(a, s):
    return np.exp(a * s) - 1.0


def keepdims_total(a):
    return np.sum(a, keepdims=True)


def prange_rows(a, out):
    for i in prange(a.shape[0]):
        acc = 0.0
        for j in range(a.shape[1]):
            acc += a[i, j] * a[i, j]
        out[i] = acc


def shifted_copy(a, out, shift):
    for i in prange(a.shape[0]):
        out[i] = a[i + shift]
