"""Explicit signatures: tuple return types parse (their parentheses are not the argument
list's), and a declared return type converts a scalar result (in compiled code, as
NumPy's astype) or must match an array or tuple result item by item; `@jit` and noodlec's
libraries read them the same way."""
import warnings

import numpy as np
import pytest

import noodle
from noodle.compiler.types import Array, Scalar, TupleType
from noodle.runtime.signatures import parse_signature

F8, I8 = np.dtype(np.float64), np.dtype(np.int64)


@pytest.mark.parametrize("text, ret, args", [
    ("float64(float64[:])", Scalar(F8, True), (Array(F8, 1),)),
    ("Tuple(float64[:], float64)(float64[:])",
     TupleType((Array(F8, 1), Scalar(F8, True))), (Array(F8, 1),)),
    ("(int64, float64[:, ::1])(int64[:], (float64, int64))",
     TupleType((Scalar(I8, True), Array(F8, 2, "C"))),
     (Array(I8, 1), TupleType((Scalar(F8, True), Scalar(I8, True))))),
    ("(float64[:])", None, (Array(F8, 1),)),
    ("void(float64[:])", None, (Array(F8, 1),)),
    ("UniTuple(int64, 2)(UniTuple(float64[:], 3))",  # Numba's tuple of n of one type
     TupleType((Scalar(I8, True),) * 2), (TupleType((Array(F8, 1),) * 3),)),
])
def test_signatures_parse(text, ret, args):
    assert parse_signature(text) == (ret, args)


@pytest.mark.parametrize("text", ["float64", "float64(float64[:]", "f(x)(", "",
                                  "Foo(int64, 2)(int64)", "float64(floaty)"])
def test_malformed_signatures_say_what_is_expected(text):
    with pytest.raises(ValueError, match="expected 'ret\\(arg, ...\\)'|unknown type"):
        parse_signature(text)


def identity(x):
    return x


def half_plus(x, y):
    return x / 2 + y


def truth(x):
    return x * 1


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("signature, function, argument_sets", [
    ("float32(float64)", identity, [(0.1,), (1e300,), (-1e-320,), (NAN,), (-INF,)]),
    ("float64(int64)", identity, [(3,), (-(2**63),), (2**53 + 1,)]),
    ("float32(int64)", identity, [(2**24 + 1,), (2**53 + 2**29 + 1,), (-7,)]),
    ("int64(float64)", identity, [(2.9,), (-2.9,), (-0.0,), (2.0**62,)]),
    ("int32(float64, float64)", half_plus, [(7.0, 0.5), (-7.0, -0.25)]),
    ("int8(int64)", identity, [(127,), (128,), (-129,), (2**40 + 5,)]),
    ("uint16(int64)", identity, [(-1,), (65536 + 3,)]),
    ("bool(float64)", truth, [(0.0,), (-0.0,), (NAN,), (1e-320,), (2.5,)]),
    ("bool(int64)", truth, [(0,), (-3,)]),
    ("int64(bool)", identity, [(True,), (False,)]),
    ("float64(float32)", identity, [(np.float32(0.1),), (np.float32(NAN),)]),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_declared_scalar_return_converts_as_astype_in_compiled_code(
        signature, function, argument_sets):
    """The result is what NumPy's astype makes of the Python function's result, of the
    declared type (a Python scalar for int64, float64 and bool, as Numba returns them),
    and every call comes through the compiled entry (the signature compiled at
    decoration): the conversion is compiled, not done by the dispatcher in Python."""
    f = noodle.jit(signature, fallback=False, cache=False)(function)
    declared = parse_signature(signature)[0]
    for args in argument_sets:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            expected = np.array([function(*args)]).astype(declared.dtype)[0]
        for _ in range(2):
            got = f(*args)
            assert type(got) is (type(expected.item()) if declared.weak else type(expected))
            assert np.array(got, declared.dtype).tobytes() == expected.tobytes(), args
    assert f.profiles()[0].python_calls == 0


def test_a_declared_return_type_is_part_of_the_cache_key(tmp_path):
    """A kernel compiled to return the declared type is found only for that type: the
    same arguments without a declared return, or with another one, miss."""
    from noodle.compiler.options import CompileOptions
    from noodle.compiler.pipeline import compile_function
    from noodle.runtime.cache_store import CacheStore
    from noodle.runtime.kernel_cache import KernelCache

    cache = KernelCache(CacheStore(tmp_path))
    args, as_int = (Scalar(F8, True),), Scalar(I8, True)
    options = CompileOptions(tier="baseline")
    kernel = compile_function(identity, args, options, returns=as_int)
    assert kernel.result_type == as_int
    cache.save(identity, kernel, options, returns=as_int)
    assert cache.load(identity, args, options, as_int).kernel.result_type == as_int
    assert cache.load(identity, args, options).kernel is None
    assert cache.load(identity, args, options, Scalar(np.dtype(np.float32))).kernel is None


def test_jit_with_a_tuple_return_signature():
    @noodle.jit("Tuple(float64[:], float64)(float64[:])")
    def scaled(x):
        s = np.sum(x)
        return x / s, s

    x = np.arange(1.0, 5.0)
    got, total = scaled(x)
    np.testing.assert_allclose(got, x / 10.0)
    assert total == 10.0


def test_a_declared_tuple_return_converts_its_scalar_items():
    @noodle.jit("Tuple(float32[:], int64, float32)(float64[:])", fallback=False, cache=False)
    def stats(x):
        return x.astype(np.float32), np.sum(x), np.max(x)

    x = np.array([1.5, -2.25, 3.0])
    got = stats(x)
    assert got[0].dtype == np.float32 and got[0].tolist() == [1.5, -2.25, 3.0]
    assert got[1:] == (2, np.float32(3.0))
    assert type(got[1]) is int and type(got[2]) is np.float32
    assert stats.profiles()[0].python_calls == 0


def test_jit_refuses_a_return_signature_that_does_not_fit():
    with pytest.raises(noodle.TypingError, match="returns .* but its signature declares"):
        @noodle.jit("Tuple(float64[:, :], float64)(float64[:])", fallback=False)
        def wrong(x):
            return x, np.sum(x)
