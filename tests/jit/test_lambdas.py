"""Lambdas compile as the `def`s they stand for (Numba compiles them too): jitted
themselves, wherever they stand in their file (in a dict, two on one line), and called
from compiled code; an error in one points at its column, and a lambda whose source
cannot be found runs as Python with a warning, never with an internal error."""
import linecache

import numpy as np
import pytest

import noodle
from noodle import errors

from .harness import assert_same

KERNELS = {
    "scaled": (lambda a, k=3: a * k + 1),
    "mixed": lambda a, b: np.where(a > b, a - b, np.sqrt(np.abs(b))),
}
LEFT, RIGHT = (lambda x: x * 2.0), (lambda x: x - 7)  # two on one line
STEP = lambda x: x + 1  # noqa: E731 - a lambda bound to a name, called from compiled code


def test_a_lambda_in_a_dict_compiles_with_its_defaults():
    a = np.arange(6.0)
    assert_same(KERNELS["scaled"], a)
    f = noodle.jit(KERNELS["scaled"], cache=False, fallback=False)
    np.testing.assert_array_equal(f(a, k=-2), a * -2 + 1)
    np.testing.assert_array_equal(f(a, 5), a * 5 + 1)


@pytest.mark.parametrize("dtype", [np.float64, np.int32])
def test_a_lambda_s_results_equal_python_s(dtype):
    rng = np.random.default_rng(7)
    a, b = (rng.normal(0, 10, 50).astype(dtype) for _ in range(2))
    assert_same(KERNELS["mixed"], a, b)
    assert_same(KERNELS["mixed"], a[::-3], b[::-3])
    assert_same(KERNELS["mixed"], a[:0], b[:0])


def test_each_of_two_lambdas_on_one_line_is_itself():
    left = noodle.jit(LEFT, cache=False, fallback=False)
    right = noodle.jit(RIGHT, cache=False, fallback=False)
    assert left(3.5) == 7.0 and right(3) == -4


def test_compiled_code_calls_a_lambda_bound_to_a_global():
    def twice_stepped(a):
        return STEP(STEP(a))

    assert_same(twice_stepped, np.arange(4))


def test_an_error_in_a_lambda_points_at_its_column():
    bad = noodle.jit(lambda a: a + "x", cache=False, fallback=False)
    with pytest.raises(errors.NoodleError) as caught:
        bad(np.arange(3))
    line = test_an_error_in_a_lambda_points_at_its_column.__code__.co_firstlineno + 1
    column = 1 + len("    bad = noodle.jit(lambda a: a + ")  # at the string, 1-based
    assert f"test_lambdas.py:{line}:{column}" in str(caught.value)


def test_a_lambda_without_a_source_file_runs_as_python_with_a_warning():
    made = eval("lambda a: a * 2")  # no file to read it from
    f = noodle.jit(made, cache=False)
    with pytest.warns(errors.NoodleFallbackWarning, match="lambda"):
        np.testing.assert_array_equal(f(np.arange(3)), np.arange(3) * 2)
    with pytest.raises(errors.UnsupportedError, match="source"):
        noodle.jit(made, cache=False, fallback=False)(np.arange(3))


def test_a_function_whose_lines_no_longer_parse_runs_as_python(tmp_path, monkeypatch):
    """Its file edited after the import, so that its lines are no Python any more."""
    (tmp_path / "edited_module.py").write_text("def f(a):\n    return a + 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import edited_module

    (tmp_path / "edited_module.py").write_text("def f(a:\n    return a +\n")
    linecache.checkcache()
    f = noodle.jit(edited_module.f, cache=False)
    with pytest.warns(errors.NoodleFallbackWarning, match="does not parse"):
        np.testing.assert_array_equal(f(np.arange(3)), np.arange(1, 4))


ABSOLUTE = lambda x: x if x > 0 else -x  # noqa: E731 - a conditional expression's body


def test_a_lambda_of_a_conditional_expression():
    def both(x):
        return ABSOLUTE(x), ABSOLUTE(-x)

    assert_same(both, 2.5)
