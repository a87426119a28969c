"""The README's quickstart: compile a NumPy function and compare it with NumPy."""
import numpy as np

import noodle


@noodle.jit
def go_fast(a):
    trace = 0.0
    for i in range(a.shape[0]):
        trace += np.tanh(a[i, i])
    return a + trace


@noodle.jit
def softmax_rows(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=-1, keepdims=True)


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    a = rng.random((100, 100))
    assert np.allclose(go_fast(a), go_fast.py_func(a))
    x = rng.standard_normal((4, 5))
    assert np.allclose(softmax_rows(x), softmax_rows.py_func(x))
    print("go_fast signatures:", go_fast.signatures)
    print("softmax_rows matches NumPy:", softmax_rows(x).sum(axis=1))
