"""Errors and fallback: the exception hierarchy, wrong argument counts (TypeError),
unsupported argument types and constructs (a warning naming the argument or the source
position and a correct result with fallback=True, once per function and key; an
UnsupportedError/TypingError with fallback=False), messages with ``file:line:col`` and at
most 10 lines, ``boundscheck=True`` raising IndexError."""
import math
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import noodle
from noodle import errors

from .harness import assert_same, jitted

REPO = Path(__file__).resolve().parents[2]

THIS_FILE = os.path.basename(__file__)


def marker_line(func, marker):
    """Line number (1-based, in this file) of the source line of ``func`` with ``marker``."""
    import inspect

    lines, start = inspect.getsourcelines(func)
    for k, line in enumerate(lines):
        if marker in line:
            return start + k
    raise AssertionError(f"marker {marker!r} not in {func.__name__}")


def assert_good_message(exc, line=None):
    text = str(exc)
    assert len(text.splitlines()) <= 10, f"message longer than 10 lines:\n{text}"
    if line is not None:
        match = re.search(re.escape(THIS_FILE) + r":(\d+):(\d+)", text)
        assert match, f"no {THIS_FILE}:line:col in the message:\n{text}"
        assert int(match.group(1)) == line, f"points at line {match.group(1)}, not {line}:\n{text}"


def test_exception_hierarchy():
    for cls in (errors.TypingError, errors.UnsupportedError, errors.LoweringError,
                errors.CacheError):
        assert issubclass(cls, errors.NoodleError)
    assert issubclass(errors.NoodleError, Exception)
    assert issubclass(errors.NoodleFallbackWarning, Warning)


def add2(a, b):
    return a + b


@pytest.mark.parametrize("args", [(1,), (1, 2, 3), ()], ids=["too-few", "too-many", "none"])
def test_wrong_argument_count_raises_type_error(args):
    compiled = noodle.jit(add2, fallback=False)
    with pytest.raises(TypeError):
        compiled(*args)
    assert compiled(1, 2) == 3
    with pytest.raises(TypeError):  # also once a kernel for the key exists
        compiled(*args)
    fallback = noodle.jit(add2)
    with pytest.raises(TypeError):
        fallback(*args)


def sum_items(xs, scale):
    total = 0.0
    for x in xs:
        total += x
    return total * scale


@pytest.mark.parametrize("bad", [[1.0, 2.0], {1: 2.0}, object()], ids=["list", "dict", "object"])
def test_unsupported_argument_raises_naming_the_argument(bad):
    compiled = noodle.jit(sum_items, fallback=False)
    with pytest.raises((errors.UnsupportedError, errors.TypingError)) as info:
        compiled(bad, 2.0)
    assert "xs" in str(info.value), f"the message does not name the argument:\n{info.value}"
    assert_good_message(info.value)


def test_unsupported_argument_falls_back_with_one_warning_per_key():
    compiled = noodle.jit(sum_items)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert compiled([1.0, 2.0], 2.0) == 6.0
        assert compiled([3.0], 2.0) == 6.0
    fallback = [w for w in caught if issubclass(w.category, errors.NoodleFallbackWarning)]
    assert len([w for w in fallback if "xs" in str(w.message)]) >= 1
    list_warnings = [w for w in fallback if "list" in str(w.message)]
    assert len(list_warnings) == 1, [str(w.message) for w in fallback]
    # a different unsupported key warns again, once
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert compiled({0: 1.0}, 1.0) == 0
        assert compiled({0: 1.0}, 1.0) == 0
    fallback = [w for w in caught if issubclass(w.category, errors.NoodleFallbackWarning)]
    assert len(fallback) == 1, [str(w.message) for w in fallback]
    # a supported key on the same object compiles and does not warn
    with warnings.catch_warnings():
        warnings.simplefilter("error", errors.NoodleFallbackWarning)
        assert compiled(np.arange(4.0), 2.0) == 12.0


def uses_string_method(n):
    s = "abc".upper()  # MARK-unsupported
    return len(s) + n


def test_unsupported_construct_points_at_the_line():
    compiled = noodle.jit(uses_string_method, fallback=False)
    with pytest.raises((errors.UnsupportedError, errors.TypingError)) as info:
        compiled(1)
    assert_good_message(info.value, marker_line(uses_string_method, "MARK-unsupported"))


def test_unsupported_construct_falls_back_once():
    compiled = noodle.jit(uses_string_method)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert compiled(1) == 4
        assert compiled(2) == 5
    fallback = [w for w in caught if issubclass(w.category, errors.NoodleFallbackWarning)]
    assert len(fallback) == 1, [str(w.message) for w in fallback]
    assert_good_message(fallback[0].message,
                        marker_line(uses_string_method, "MARK-unsupported"))


def type_changes(n):
    x = 1
    if n > 0:
        x = np.zeros(3)  # MARK-typing
    return x


def test_typing_error_points_at_the_line():
    compiled = noodle.jit(type_changes, fallback=False)
    with pytest.raises((errors.TypingError, errors.UnsupportedError)) as info:
        compiled(1)
    assert_good_message(info.value, marker_line(type_changes, "MARK-typing"))


def bad_operands(a):
    return a + (1, 2)  # MARK-operands


def test_bad_operand_types_error_points_at_the_line():
    compiled = noodle.jit(bad_operands, fallback=False)
    with pytest.raises((errors.TypingError, errors.UnsupportedError)) as info:
        compiled(np.zeros(3))
    assert_good_message(info.value, marker_line(bad_operands, "MARK-operands"))


def try_except(a):
    try:  # MARK-try
        return a[0]
    except IndexError:
        return -1.0


def test_fallback_result_equals_python():
    compiled = noodle.jit(try_except)
    with pytest.warns(errors.NoodleFallbackWarning):
        assert compiled(np.zeros(0)) == -1.0
    assert compiled(np.ones(2)) == 1.0


def supported(a):
    return a * 2.0


def test_supported_code_does_not_warn_with_fallback_on():
    compiled = noodle.jit(supported)
    with warnings.catch_warnings():
        warnings.simplefilter("error", errors.NoodleFallbackWarning)
        np.testing.assert_array_equal(compiled(np.arange(3.0)), np.arange(3.0) * 2.0)
        assert compiled(1.5) == 3.0


def test_decorator_forms():
    a = noodle.jit(supported)
    b = noodle.jit()(supported)
    c = noodle.jit(fallback=False)(supported)
    d = noodle.jit(supported, fallback=False)
    for f in (a, b, c, d):
        assert f.py_func is supported
        assert f(2.0) == 4.0


def get_elem(a, i):
    return a[i]


def get_elem2(a, i, j):
    return a[i, j]


def set_elem(a, i, v):
    a[i] = v


@pytest.mark.parametrize("i", [5, -6, 100, -2**40])
def test_boundscheck_read_raises_index_error(i):
    assert_same(get_elem, np.arange(5.0), i, raises=IndexError, jit_options={"boundscheck": True})


def test_boundscheck_in_range_is_fine():
    for i in (0, 4, -1, -5):
        assert_same(get_elem, np.arange(5.0), i, jit_options={"boundscheck": True})
    assert_same(get_elem, np.arange(10.0)[::-2], -5, jit_options={"boundscheck": True})


def test_boundscheck_2d_and_write():
    m = np.zeros((3, 4))
    assert_same(get_elem2, m, 1, 4, raises=IndexError, jit_options={"boundscheck": True})
    assert_same(get_elem2, m, -4, 0, raises=IndexError, jit_options={"boundscheck": True})
    assert_same(get_elem2, m.T, 3, 2, jit_options={"boundscheck": True})
    assert_same(set_elem, np.zeros(3), 3, 1.0, raises=IndexError, jit_options={"boundscheck": True})
    assert_same(set_elem, np.zeros(3), -3, 1.0, jit_options={"boundscheck": True})


def test_boundscheck_decorator_form():
    @noodle.jit(boundscheck=True, fallback=False)
    def checked(a, i):
        return a[i]

    with pytest.raises(IndexError):
        checked(np.arange(3.0), 3)
    assert checked(np.arange(3.0), -3) == 0.0


def slice_never_raises(a, lo, hi):
    return a[lo:hi]


def test_slices_never_raise_with_boundscheck():
    assert_same(slice_never_raises, np.arange(5.0), -100, 100, jit_options={"boundscheck": True})
    assert_same(slice_never_raises, np.arange(5.0), 7, 9, jit_options={"boundscheck": True})


def test_same_function_jitted_twice_is_independent():
    assert jitted(supported) is jitted(supported)
    f = noodle.jit(supported, fallback=False)
    g = noodle.jit(supported, fallback=False)
    assert f(1.0) == g(1.0) == 2.0


def raise_on_negative(a):
    total = 0.0
    for i in range(a.shape[0]):
        if a[i] < 0:
            raise ValueError("negative input")
        total += a[i]
        a[i] = total
    return total


def test_raise_in_compiled_code_gives_that_exception_and_stops_there():
    # the prefix before the failing element is written, nothing after it
    assert_same(raise_on_negative, np.array([1.0, 2.0, -1.0, 4.0]), raises=ValueError)
    assert_same(raise_on_negative, np.array([1.0, 2.0, 3.0]))
    f = jitted(raise_on_negative)
    with pytest.raises(ValueError, match="^negative input$"):
        f(np.array([-1.0]))


def inplace_int_plus_float(a):
    a += 1.5
    return a


def test_inplace_cast_numpy_refuses_is_a_typing_error():
    a = np.arange(3)
    with pytest.raises(Exception) as python_error:
        inplace_int_plus_float(a.copy())
    assert "same_kind" in str(python_error.value)
    with pytest.raises(errors.TypingError, match="in place"):
        noodle.jit(inplace_int_plus_float, fallback=False)(a)


def store_failed_sum(B, a, b):
    B[:] = np.sum(a + b)


def store_failed_array(B, a, b):
    B[1:] = a + b


def store_failed_element(B, x):
    B[0] = 1.0
    B[1] = math.sqrt(x)


def store_in_loop_until_failure(B, xs):
    for i in range(xs.shape[0]):
        B[i] = math.log(xs[i])


@pytest.mark.parametrize("function, args, error", [
    (store_failed_sum, (np.zeros(3), np.ones(4), np.ones(3)), ValueError),
    (store_failed_array, (np.zeros(4), np.ones(4), np.ones(3)), ValueError),
    (store_failed_element, (np.zeros(3), -1.0), ValueError),
    (store_in_loop_until_failure, (np.zeros(5), np.array([1.0, 2.0, -1.0, 3.0, 4.0])),
     ValueError),
], ids=["sum-into-slice", "array-into-slice", "element", "loop"])
def test_a_statement_that_raises_writes_nothing(function, args, error):
    assert_same(function, *args, raises=error)


def test_asserts_are_compiled_away_under_python_dash_o(tmp_path):
    """Python skips `assert` statements (and their tests' side effects) under -O; so do
    kernels compiled in that process."""
    program = tmp_path / "asserting.py"
    program.write_text(
        "import numpy as np\nimport noodle\n\n"
        "@noodle.jit(fallback=False)\n"
        "def checked(a):\n"
        "    assert a.shape[0] > 10, 'too short'\n"
        "    return a.sum()\n\n"
        "print(checked(np.ones(3)))\n")
    env = dict(os.environ, NOODLE_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO),
                                                        os.environ.get("PYTHONPATH")])))
    optimised = subprocess.run([sys.executable, "-O", str(program)], capture_output=True,
                               text=True, env=env, timeout=120)
    assert optimised.returncode == 0, optimised.stderr
    assert optimised.stdout.strip() == "3.0"
    plain = subprocess.run([sys.executable, str(program)], capture_output=True, text=True,
                           env=env, timeout=120)
    assert plain.returncode != 0 and "AssertionError: too short" in plain.stderr


def test_render_prints_the_line_as_written_and_the_caret_under_the_column(tmp_path):
    """As clang and mlir-opt: the source line with its own indentation (tabs expanded to
    8 columns), the caret under the column, which counts UTF-8 bytes (ast's col_offset,
    MLIR's columns): a multi-byte character before it takes one screen column."""
    path = tmp_path / "k.py"
    line = "\tif x:\tvalue = 'é' + x"
    path.write_text(f"def f(x):\n{line}\n")
    col = len(line[:line.index("+ x") + 2].encode())
    error = errors.TypingError("cannot add", errors.SourceLocation(str(path), 2, col), "hint")
    assert str(error).splitlines() == [
        f"{path}:2:{col + 1}: error: cannot add",
        "        if x:   value = 'é' + x",
        " " * 30 + "^",  # under x
        "hint: hint"]


def assert_points_at(error, path: str, line_number: int, expression: str):
    """The rendered error's `file:line:col` and caret mark `expression`'s first byte on
    the line as the file has it (indentation included)."""
    import linecache

    line = linecache.getline(path, line_number).rstrip("\n")
    col = len(line[:line.index(expression)].encode())
    assert str(error).splitlines()[:3] == [
        f"{path}:{line_number}:{col + 1}: error: {error.message}",
        line.expandtabs(errors.TAB_STOP),
        " " * errors.caret_column(line, col) + "^"]


class Kernels:
    def method(a):
        return a[1.5]  # MARK-method


def make_nested():
    def nested(a):
        total = (a.sum() +
                 1.0)
        return a[total * 0.5]  # MARK-nested
    return nested


def make_nested_with_a_shallow_line():
    def nested(a):
        total = (a.sum() +
  1.0)  # a continuation line indented less than the def: legal Python
        return a[total * 0.5]  # MARK-shallow
    return nested


@pytest.mark.parametrize("func, marker, expression", [
    (Kernels.method, "MARK-method", "1.5"),
    (make_nested(), "MARK-nested", "total * 0.5"),
    (make_nested_with_a_shallow_line(), "MARK-shallow", "total * 0.5"),
], ids=["method", "nested", "shallow-continuation-line"])
def test_an_indented_function_s_error_points_at_the_column_in_the_file(func, marker,
                                                                       expression):
    """A method's or a nested function's source is indented: the column and the caret
    count that indentation, as the file has it, not the dedented text's."""
    with pytest.raises(errors.TypingError) as info:
        noodle.jit(func, fallback=False, cache=False)(np.zeros(3))
    assert_points_at(info.value, __file__, marker_line(func, marker), expression)


def test_a_tab_indented_method_s_error_points_at_the_column_in_the_file(tmp_path):
    """Tabs count one byte in the column and expand to 8-column stops under the caret, in
    the indentation and after it, as in the file."""
    import importlib.util

    path = tmp_path / "tabbed.py"
    path.write_text("class K:\n"
                    "\tdef method(a):\n"
                    "\t\tb = (a.sum() +\n"
                    "\t\t     1.0)  # tabs, then spaces\n"
                    "\t\treturn a[b *\t0.5]\n")
    spec = importlib.util.spec_from_file_location("tabbed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(errors.TypingError) as info:
        noodle.jit(module.K.method, fallback=False, cache=False)(np.zeros(3))
    assert_points_at(info.value, str(path), 5, "b *")
