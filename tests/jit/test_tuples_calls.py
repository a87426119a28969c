"""Tuples (build, unpack, index, return, nested), calls from compiled code to other
functions (plain module-level functions, ``@noodle.jit`` functions in every decorator
form, helpers that mutate arrays or return tuples, chains of calls), and global
numeric constants."""
import math

import numpy as np
import pytest

import noodle

from .harness import assert_same

SCALE = 2.5
N_STEPS = 4
FLAG = True
NEG = -7
F32 = np.float32(0.5)
BIG = 2**40
TOL = 1e-12


def build_and_return(a, b):
    t = (a, b, a + b)
    u = (t, 1.5)
    return t, u, (), (a,)


@pytest.mark.parametrize("a, b", [(1, 2), (1.5, np.float32(2)), (True, np.int8(3))], ids=repr)
def test_build_and_return_tuples(a, b):
    assert_same(build_and_return, a, b)


def sum_and_count(a):
    s = a[0] * 0
    i = 0
    while i < a.shape[0]:
        s += a[i]
        i += 1
    return s, i


def narrow_wide_narrow(a):
    return a[0], a.shape[0], np.float32(a[-1]), a[-1] > 0


@pytest.mark.parametrize("a", [np.ones(3, np.int32), np.arange(7, dtype=np.float32)[::-2],
                               np.ones(1, np.int8), np.arange(4, dtype=np.uint16)],
                         ids=["i32", "f32-view", "i8", "u16"])
@pytest.mark.parametrize("options", [{}, {"eager": True}, {"eager": True, "opt_level": 1}],
                         ids=["baseline", "optimising", "O1"])
def test_tuple_of_narrow_and_wide_scalars(a, options):
    # a result struct such as {i32, i64} has its i64 at offset 8 in the C ABI; optimised
    # kernels once wrote it at 4 (LLVM's default data layout, not the target's)
    assert_same(sum_and_count, a, jit_options=options)
    assert_same(narrow_wide_narrow, a, jit_options=options)


def tuple_with_arrays(x):
    return x, x * 2, x.sum(), x.shape


def test_tuple_mixing_arrays_and_scalars():
    assert_same(tuple_with_arrays, np.arange(5.0))


def one_item_tuple(a):
    return a[0],


def one_item_tuple_of_none_and_scalar(a):
    return None, (a.sum(),)


def test_tuples_of_one_scalar_stay_tuples():
    # the first call (which compiles) once returned the bare scalar
    assert_same(one_item_tuple, np.arange(3))
    assert_same(one_item_tuple, np.arange(3.0), jit_options={"eager": True})
    assert_same(one_item_tuple_of_none_and_scalar, np.arange(3.0))


def unpack(a):
    n, m = a.shape
    x, (y, z) = 1, (2.5, n)
    p, q = m, n
    t = (p, q, x)
    r, s, w = t
    return n * m, x + y + z, p - q, r + s + w


def test_unpacking():
    assert_same(unpack, np.zeros((3, 4)))


def tuple_indexing(a):
    t = (a, a * 2.0, 7)
    s = a.shape
    return t[0] + t[1], t[-1], s[0], s[-1], t[2] * 2, len(t)


def test_constant_tuple_indexing():
    assert_same(tuple_indexing, np.ones((2, 3)))


def swap(a, b):
    a, b = b, a
    return a, b


def test_swap():
    assert_same(swap, 1, 2.5)
    assert_same(swap, np.arange(2.0), np.arange(3.0))


def plain_helper(x, y):
    return x * y + 1.0


def plain_helper_tuple(v):
    return v.min(), v.max()


def plain_helper_mutates(v, value):
    v[0] = value
    v[-1] += value


def calls_plain_helpers(a):
    s = plain_helper(a[0], 2.0)
    lo, hi = plain_helper_tuple(a)
    plain_helper_mutates(a, s)
    return s, lo, hi


def test_calls_to_undecorated_module_functions():
    assert_same(calls_plain_helpers, np.arange(1.0, 6.0))
    assert_same(calls_plain_helpers, np.arange(1.0, 11.0)[::-2])


@noodle.jit
def jit_helper(x):
    return math.sqrt(x) + 1.0


@noodle.jit()
def jit_helper_parens(v):
    return np.sum(v * v)


@noodle.jit(fallback=False)
def jit_helper_strict(v, k):
    for i in range(v.shape[0]):
        v[i] = v[i] * k
    return v.shape[0]


def jit_helper_plain(x):
    return x - 1.0


jit_helper_call_form = noodle.jit(jit_helper_plain, fallback=False)


def calls_jit_helpers(a, x):
    r = jit_helper(x)
    s = jit_helper_parens(a)
    n = jit_helper_strict(a, 3.0)
    t = jit_helper_call_form(x)
    return r, s, n, t


def test_calls_to_jit_functions_in_every_decorator_form():
    assert_same(calls_jit_helpers, np.arange(4.0), 9.0)


def test_jit_objects_keep_the_python_function():
    assert jit_helper_call_form.py_func is jit_helper_plain
    assert jit_helper.py_func(4.0) == 3.0
    assert jit_helper_strict.py_func.__name__ == "jit_helper_strict"


def level3(x):
    return x * 2


def level2(x):
    return level3(x) + level3(x + 1)


def level1(x, n):
    total = 0
    for i in range(n):
        total += level2(x + i)
    return total


def test_chain_of_calls():
    assert_same(level1, 3, 5)
    assert_same(level1, 0.5, 3)


def helper_returns_array(a, c):
    return a * c


def calls_array_helper(a):
    b = helper_returns_array(a, 2.0)
    b[0] = -1.0
    return b, helper_returns_array(a[::-1], 3)


def test_helper_returning_arrays():
    assert_same(calls_array_helper, np.arange(5.0))


def uses_globals(x):
    y = x * SCALE
    for _ in range(N_STEPS):
        y += NEG
    if FLAG:
        y = y + BIG
    return y, F32 * 2, abs(y) < TOL


@pytest.mark.parametrize("x", [1.0, 3], ids=repr)
def test_global_numeric_constants(x):
    assert_same(uses_globals, x)


def global_float32_with_array(a):
    return a * F32


def test_global_numpy_scalar_is_strong():
    assert_same(global_float32_with_array, np.arange(3, dtype=np.float32))
    assert_same(global_float32_with_array, np.arange(3, dtype=np.int64))


@noodle.jit("int64(float64)", cache=False)
def truncated_half_again(x):
    return x * 1.5


@noodle.jit(["int8(int64)", "float32(float32)"], cache=False)
def times_hundred(x):
    return x * 100


def calls_declared(x, i, f):
    return truncated_half_again(x), times_hundred(i), times_hundred(f)


def test_a_callee_with_signatures_is_called_by_them_from_compiled_code():
    """As Numba calls it: the arguments converted to the declared types and the result
    to the declared return type, the same as calling it from Python."""
    args = (3.0, 3, np.float32(0.25))
    expected = (truncated_half_again(3.0), times_hundred(3), times_hundred(np.float32(0.25)))
    assert expected == (4, np.int8(44), np.float32(25.0))
    for eager in (False, True):
        got = noodle.jit(calls_declared, fallback=False, cache=False, eager=eager)(*args)
        assert got == expected and [type(g) for g in got] == [int, np.int8, np.float32]


def calls_undeclared(x):
    return truncated_half_again(x)


def test_a_callee_without_a_fitting_signature_is_a_typing_error():
    with pytest.raises(noodle.TypingError, match="has no signature for .*int64.*float64"):
        noodle.jit(calls_undeclared, fallback=False, cache=False)(np.array([1.0]))


def with_defaults(x, k=2, scale=1.5, *, shift=(0.25, -1)):
    return x * k + scale + shift[0] * shift[1]


@noodle.jit(cache=False)
def jitted_with_defaults(a, b=None, factor=3):
    if b is None:
        return a * factor
    return a * b


def calls_with_keywords_and_defaults(x, a):
    return (with_defaults(x), with_defaults(x, 3), with_defaults(x, scale=0.5),
            with_defaults(k=4, x=x), with_defaults(x, shift=(2.0, 3)),
            jitted_with_defaults(a), jitted_with_defaults(a, factor=2),
            jitted_with_defaults(a, a), jitted_with_defaults(b=a, a=a[::-1]))


@pytest.mark.parametrize("x", [1.0, 7])
def test_calls_from_compiled_code_bind_keywords_and_defaults_as_python(x):
    assert_same(calls_with_keywords_and_defaults, x, np.arange(4.0))


def unknown_keyword(x):
    return with_defaults(x, scales=2.0)


def missing_argument(x):
    return with_defaults(k=x)


def default_not_a_constant(x):
    return takes_an_array_default(x)


def takes_an_array_default(x, a=np.ones(2)):
    return x + a


@pytest.mark.parametrize("func, message", [
    (unknown_keyword, r"with_defaults\(\): got an unexpected keyword argument 'scales'"),
    (missing_argument, r"with_defaults\(\): missing a required argument: 'x'"),
    (default_not_a_constant, r"default of takes_an_array_default's parameter 'a'"),
])
def test_calls_that_python_could_not_bind_are_compile_errors(func, message):
    with pytest.raises(noodle.errors.NoodleError, match=message) as raised:
        noodle.jit(func, fallback=False, cache=False)(1.0)
    assert "test_tuples_calls.py:" in str(raised.value)


def optional_weights(a, weights=None, *, scale=1.0):
    if weights is not None:
        a = a * weights
    if weights is None and scale == 1.0:
        return a.sum()
    return a.sum() * scale


@pytest.mark.parametrize("eager", [False, True], ids=["baseline", "optimising"])
def test_optional_and_keyword_only_arguments_from_python(eager):
    """`is None` is known from the argument types, so each specialisation keeps only
    its branch (as in Numba); keyword-only parameters take their values and defaults."""
    a, w = np.arange(5.0), np.linspace(0.0, 1.0, 5)
    compiled = noodle.jit(optional_weights, fallback=False, cache=False, eager=eager)
    for args, kwargs in [((a,), {}), ((a, w), {}), ((a,), {"scale": 2.0}),
                         ((a,), {"weights": w, "scale": 0.5}), ((a, None), {"scale": 3})]:
        expected = optional_weights(*args, **kwargs)
        got = compiled(*args, **kwargs)
        assert got == expected and type(got) is type(expected), (args, kwargs)
    assert len(compiled.signatures) == 3  # (a, None, float), (a, w, float), (a, None, int)


def identity_with_a_value(a, b):
    return a is b


def test_identity_of_values_other_than_none_is_refused():
    with pytest.raises(noodle.errors.UnsupportedError, match="only with None"):
        noodle.jit(identity_with_a_value, fallback=False, cache=False)(1.0, 2.0)
