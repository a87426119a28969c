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


def math_f32(a):
    return np.sin(a) + np.cos(a) * np.log(a + np.float32(2)) + np.sqrt(a) + np.tanh(a)


def math_f64(a):
    return np.exp(-a) + np.tanh(a) ** 2.5 + np.abs(-a) - np.floor(a * 3.0)


def compare(a, b):
    return a > b


def bool_logic(a, b):
    return (a > 0.5) & (b < 0.5)


def int_div_mod(a, b):
    return a // b + a % b


def uint8_wraps(a):
    return a + np.uint8(3)


def std_like(a):
    m = np.mean(a)
    return np.sqrt(np.mean((a - m) ** 2))


def dot(a, b):
    return a @ b


def matvec(a, b):
    return a @ b


def cube_plus_row(a):
    return a * 2.0 + a[0]


def transpose_plus(a):
    return a.T + 1.0


def halvings(x, out):
    for i in prange(x.shape[0]):
        n = 0
        v = x[i]
        while v > 1.0 and n < 100:
            v = v / 2.0
            n += 1
        out[i] = n


def max_of_uint8(a):
    return np.max(a)


def mean_of_columns(a):
    return np.mean(a, axis=0)


def _rng(seed=0):
    return np.random.default_rng(seed)


#: name -> (function, argument maker from a seed): small kernels across dtypes and
#: constructs, checked for PTX, for host plans and (on a GPU) for values
EXAMPLES = {
    "math_f32": (math_f32, lambda s: (_rng(s).random(1000).astype(np.float32),)),
    "math_f64": (math_f64, lambda s: (_rng(s).random(1000),)),
    "compare": (compare, lambda s: (_rng(s).random(100), _rng(s + 1).random(100))),
    "bool_logic": (bool_logic, lambda s: (_rng(s).random(100), _rng(s + 1).random(100))),
    "int_div_mod": (int_div_mod, lambda s: (_rng(s).integers(-50, 50, 100),
                                            _rng(s + 1).integers(1, 9, 100))),
    "uint8_wraps": (uint8_wraps, lambda s: (_rng(s).integers(0, 256, 100).astype(np.uint8),)),
    "max_of_uint8": (max_of_uint8, lambda s: (_rng(s).integers(0, 256, 1000).astype(np.uint8),)),
    "std_like": (std_like, lambda s: (_rng(s).random(10_000),)),
    "dot": (dot, lambda s: (_rng(s).random(10_001), _rng(s + 1).random(10_001))),
    "matvec": (matvec, lambda s: (_rng(s).random((40, 30)), _rng(s + 1).random(30))),
    "cube_plus_row": (cube_plus_row, lambda s: (_rng(s).random((3, 40, 50)),)),
    "transpose_plus": (transpose_plus, lambda s: (_rng(s).random((30, 70)),)),
    "halvings": (halvings, lambda s: (_rng(s).random(500) * 1e6, np.zeros(500, np.int64))),
    "mean_of_columns": (mean_of_columns, lambda s: (_rng(s).random((300, 7)),)),
    "prange_total": (prange_total, lambda s: (_rng(s).random(100_003),)),
    "row_sums": (row_sums, lambda s: (_rng(s).random((300, 77)),)),
    "keepdims_total": (keepdims_total, lambda s: (_rng(s).random((30, 31)),)),
}


def scalar_only(x, y):
    return x * y + 1.0


def doubled_tail(a):
    a[:] = a * 2.0
    return a[1:]


def shift_in_place(a):
    a[1:] = a[:-1] * 0.5
