"""Explicit signatures: tuple return types parse (their parentheses are not the argument
list's), and a declared return type converts a scalar result or must match an array or
tuple result item by item; `@jit` and noodlec's libraries read them the same way."""
import numpy as np
import pytest

import noodle
from noodle.compiler.types import Array, Scalar, TupleType
from noodle.runtime.signatures import parse_signature, return_conversion

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
])
def test_signatures_parse(text, ret, args):
    assert parse_signature(text) == (ret, args)


@pytest.mark.parametrize("text", ["float64", "float64(float64[:]", "f(x)(", ""])
def test_malformed_signatures_say_what_is_expected(text):
    with pytest.raises(ValueError, match="expected 'ret\\(arg, ...\\)'|unknown type"):
        parse_signature(text)


def test_return_conversion():
    f4 = Scalar(np.dtype(np.float32))
    assert return_conversion(None, Scalar(F8)) is None
    assert return_conversion(f4, Scalar(F8)) == f4  # a scalar converts
    pair = TupleType((Array(F8, 1), Scalar(F8)))
    assert return_conversion(TupleType((Array(F8, 1, "C"), Scalar(F8, True))), pair) is None
    with pytest.raises(ValueError, match="returns .* but its signature declares"):
        return_conversion(TupleType((Array(F8, 2), Scalar(F8))), pair)
    with pytest.raises(ValueError):
        return_conversion(Array(F8, 1), Scalar(F8))


def test_jit_with_a_tuple_return_signature():
    @noodle.jit("Tuple(float64[:], float64)(float64[:])")
    def scaled(x):
        s = np.sum(x)
        return x / s, s

    x = np.arange(1.0, 5.0)
    got, total = scaled(x)
    np.testing.assert_allclose(got, x / 10.0)
    assert total == 10.0


def test_jit_refuses_a_return_signature_that_does_not_fit():
    with pytest.raises(noodle.TypingError, match="returns .* but its signature declares"):
        @noodle.jit("Tuple(float64[:, :], float64)(float64[:])", fallback=False)
        def wrong(x):
            return x, np.sum(x)
