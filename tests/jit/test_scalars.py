"""Scalars and type promotion: Python bool/int/float and NumPy scalar types, NEP 50
weak Python scalars, result kinds (Python vs NumPy scalar), and the documented
deviations for scalars (int64 wrap-around, int ** int with a variable exponent)."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import noodle

from .harness import HYPOTHESIS, assert_same, jitted


def identity(x):
    return x


@pytest.mark.parametrize("x", [True, False, 7, -3, 2.5, float("nan"), np.float32(1.25),
                               np.float64(-0.5), np.int8(-7), np.int16(300), np.int32(-9),
                               np.int64(2**40), np.uint8(200), np.uint16(6000),
                               np.uint32(2**31 + 5), np.uint64(2**63 + 11), np.bool_(True)],
                         ids=repr)
def test_identity_keeps_type(x):
    assert_same(identity, x)


def add(a, b):
    return a + b


PROMOTION_PAIRS = [
    (2, 3), (2, 0.5), (0.25, 0.5), (True, False), (True, 4), (True, 1.5),
    (np.float32(1.5), 2.0),          # weak float: stays float32
    (np.float32(1.5), 3),            # weak int: stays float32
    (np.int32(7), 5),                # weak int: stays int32
    (np.int8(100), np.int16(1000)),  # int16
    (np.uint8(200), np.int8(-3)),    # int16
    (np.uint64(2**63), np.int64(-1)),  # float64
    (np.float32(1.5), np.float64(0.1)),
    (np.int64(3), 0.5),              # float64
    (np.float32(1.5), np.int64(3)),  # float64
    (np.int32(3), np.float32(0.5)),  # float64
    (np.int16(3), np.float32(0.5)),  # float32
    (np.bool_(True), 1),             # int64
    (np.uint32(5), np.int32(-6)),    # int64
    (np.uint8(5), 3.5),              # float64 (weak float with an integer)
]


@pytest.mark.parametrize("a, b", PROMOTION_PAIRS, ids=repr)
def test_add_promotion(a, b):
    assert_same(add, a, b)


def arith_mix(a, b):
    return a * b, a / b, a - b, -a


@pytest.mark.parametrize("a, b", [(7, 2), (7, 2.0), (np.int32(7), np.int32(2)),
                                  (np.float32(7.0), 2), (np.uint8(7), np.uint8(2))],
                         ids=repr)
def test_true_division_and_friends(a, b):
    # int / int is float; NumPy integer / integer is float64; float32 / weak int float32
    assert_same(arith_mix, a, b)


def weak_int_ops(a):
    return a + 1, a * 2, a - 3, 2 * a, 10 - a


@pytest.mark.parametrize("a", [np.int8(5), np.uint16(7), np.float32(2.5)], ids=repr)
def test_weak_python_int_keeps_numpy_type(a):
    assert_same(weak_int_ops, a)


def poly(x, y):
    return 3.0 * x * x - 2.0 * x * y + y / 7.0 - 1.5


@HYPOTHESIS
@given(st.floats(allow_nan=True, allow_infinity=True, width=64),
       st.floats(min_value=-1e100, max_value=1e100))
def test_float_polynomial(x, y):
    assert_same(poly, x, y)


def int_poly(x, y):
    return 3 * x * x - 2 * x * y + (y >> 2) - (x & 255)


@HYPOTHESIS
@given(st.integers(-2**20, 2**20), st.integers(-2**40, 2**40))
def test_int_polynomial(x, y):
    assert_same(int_poly, x, y)


def count_up(n):
    # an int accumulator and a float accumulator in the same loop
    total = 0
    ftotal = 0.0
    for i in range(n):
        total += i * i
        ftotal += i * 0.5
    return total, ftotal


@pytest.mark.parametrize("n", [0, 1, 10, 1000])
def test_accumulators_keep_python_kinds(n):
    assert_same(count_up, n)


def dispatch_probe(x):
    return x * 2


def test_alternating_type_keys_dispatch_correctly():
    compiled = jitted(dispatch_probe)
    for x in [3, 1.5, np.float32(1.5), 3, np.int8(3), 1.5, True, np.uint64(5), 3]:
        assert_same(dispatch_probe, x, compiled=compiled)


def square(x):
    return x * x


def test_documented_int64_wraparound():
    """Documented deviation: a Python int is int64 in compiled code and wraps."""
    x = 3**25
    exact = x * x
    wrapped = (exact + 2**63) % 2**64 - 2**63
    got = jitted(square)(x)
    assert type(got) is int
    assert got == wrapped
    # no overflow: same as Python
    assert_same(square, 3**19)


def power(a, b):
    return a ** b


def power_constant(a):
    return a ** 3


def test_documented_int_power_variable_exponent_is_float():
    """Documented deviation (Numba's rule): int ** int with a non-constant exponent
    gives float64."""
    got = jitted(power)(3, 4)
    assert isinstance(got, float)
    assert got == 81.0
    got = jitted(power)(2, -2)
    assert got == 0.25


@pytest.mark.parametrize("a", [3, -3, 0, np.int32(5), 2.5, np.float32(1.5)], ids=repr)
def test_power_constant_exponent_keeps_int(a):
    assert_same(power_constant, a)


@pytest.mark.parametrize("a, b", [(2.0, 0.5), (2.5, 3), (np.float32(2.0), 3),
                                  (np.float64(3), np.int32(4)), (-8.0, 2.0), (0.0, -1.0)],
                         ids=repr)
def test_power_float_or_numpy(a, b):
    # (0.0 ** -1.0 raises ZeroDivisionError in Python)
    if a == 0.0 and b < 0:
        assert_same(power, a, b, raises=ZeroDivisionError)
    else:
        assert_same(power, a, b)


def int_division(a, b):
    return a // b, a % b


@pytest.mark.parametrize("a, b", [(7, 0), (0, 0), (-5, 0)])
def test_documented_int_division_by_zero_raises(a, b):
    assert_same(int_division, a, b, raises=ZeroDivisionError)


def float_division(a, b):
    return a / b


def test_python_float_division_by_zero_raises():
    # Python raises ZeroDivisionError for float / 0.0 (a NumPy float64 gives inf)
    assert_same(float_division, 1.0, 0.0, raises=ZeroDivisionError)


def test_numpy_float_division_by_zero_is_inf():
    assert_same(float_division, np.float64(1.0), np.float64(0.0))
    assert_same(float_division, np.float64(-1.0), np.float64(0.0))
    assert_same(float_division, np.float64(0.0), np.float64(0.0))


def int_to_float_mix(n):
    x = n / 2
    y = n // 2
    return x + y, x > y


@HYPOTHESIS
@given(st.integers(-10**12, 10**12))
def test_int_to_float_mix(n):
    assert_same(int_to_float_mix, n)


def numpy_scalar_constructors(x):
    return np.float32(x), np.int32(x), np.float64(x), np.uint8(3)


def test_numpy_scalar_constructors():
    assert_same(numpy_scalar_constructors, 5)


def uint8_of(x):
    return np.uint8(x)


def numpy_integer_of(x):
    return np.int64(x), np.bool_(x), np.float32(x), np.uint64(abs(x))


@pytest.mark.parametrize("x", [300, -1, 2**62], ids=repr)
def test_numpy_integer_of_a_python_int_outside_it_raises(x):
    # NumPy 2: np.uint8(300) raises OverflowError; it was wrapped
    assert_same(uint8_of, x, raises=OverflowError)
    assert_same(uint8_of, 255)
    assert_same(numpy_integer_of, x)


def numpy_scalar_and_python_int(a, d):
    return a * d


@pytest.mark.parametrize("a, d", [(np.int16(3), 40000), (np.uint8(3), -1),
                                  (np.int32(3), -2**63)], ids=repr)
def test_numpy_integer_and_a_python_int_outside_it_raises(a, d):
    assert_same(numpy_scalar_and_python_int, a, d, raises=OverflowError)
    assert_same(numpy_scalar_and_python_int, a, np.iinfo(a.dtype).max)


def mixed_max_min(x, y):
    return max(x, y), min(x, y)


@pytest.mark.parametrize("x, y", [(np.int8(3), 300), (np.float32(1.5), 1e300),
                                  (np.uint8(7), -1), (np.float32(2.0), 2**40 + 1)],
                         ids=["int8-int", "float32-float", "uint8-negative", "float32-int"])
def test_builtin_max_min_keep_the_value_of_either_argument(x, y):
    """max/min return one of their arguments, so a NumPy scalar meeting a Python number
    gives a type that holds both (NEP 50 would wrap 300 into int8)."""
    got = noodle.jit(fallback=False)(mixed_max_min)(x, y)
    assert [float(v) for v in got] == [float(v) for v in mixed_max_min(x, y)]


# -- what Python refuses that a plain lowering would compute ----------------------------
def to_int(x):
    return int(x)


def floor_of(x):
    return math.floor(x)


NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("function", [to_int, floor_of])
@pytest.mark.parametrize("x, error", [(NAN, ValueError), (INF, OverflowError),
                                      (-INF, OverflowError), (np.float32(NAN), ValueError),
                                      (np.float64(-INF), OverflowError),
                                      (9.3e18, OverflowError)], ids=repr)
def test_int_of_nan_or_infinity_raises(function, x, error):
    """Python's int() refuses NaN and infinity; one beyond int64 is a big int in Python,
    which compiled code cannot hold: OverflowError, not a wrapped value."""
    if x == 9.3e18:
        with pytest.raises(OverflowError, match="too large for compiled code's int64"):
            jitted(function)(x)
    else:
        assert_same(function, x, raises=error)
    assert_same(function, -9.2e18)
    assert_same(function, -2.9)


@pytest.mark.parametrize("a, b", [(10.0, 400.0), (10, 400.0), (-10.0, 401.0), (2.0, 1024)],
                         ids=repr)
def test_python_float_power_that_overflows_raises(a, b):
    assert_same(power, a, b, raises=OverflowError)
    assert_same(power, np.float64(a), b)  # NumPy's float64 gives inf, with a warning


def test_a_negative_base_to_a_fractional_power_is_refused_not_nan():
    """Python's answer is a complex number, which compiled code has no type for."""
    with pytest.raises(ValueError, match="fractional power is complex in Python"):
        jitted(power)(-8.0, 1 / 3)
    for a, b in [(-8.0, 2.0), (-8.0, INF), (-0.0, 0.5), (NAN, 2.0), (INF, -0.5), (-INF, 0.5),
                 (-INF, -1.5)]:
        assert_same(power, a, b)


def shifts(x, y):
    return x >> y, x << y


def test_a_negative_shift_count_raises():
    assert_same(shifts, 2, -1, raises=ValueError)
    assert_same(shifts, 2, 3)
    assert_same(shifts, -5, 3)
    assert_same(shifts, np.int64(2), np.int64(-1))  # NumPy's shift gives 0


def plus(x):
    return +x


def test_unary_plus_of_a_bool():
    assert_same(plus, True)  # Python: the int 1
    with pytest.raises(noodle.TypingError, match="positive does not take array.bool"):
        jitted(plus)(np.array([True, False]))
    assert_same(plus, np.array(2.5))  # NumPy's positive of a 0-d array is a scalar


# -- builtins: round, divmod, pow -------------------------------------------------------
def rounded(x):
    return round(x)


@pytest.mark.parametrize("x", [2.5, 3.5, -2.5, -0.4, 0.5, 1e15 + 0.5, -9.2e18,
                               np.float32(2.5), np.float64(-3.5), 7, np.int8(-7), True,
                               np.uint8(200)], ids=repr)
def test_round_gives_the_nearest_int_halves_to_even(x):
    assert_same(rounded, x)


@pytest.mark.parametrize("x, error", [(NAN, ValueError), (-INF, OverflowError)], ids=repr)
def test_round_of_nan_or_infinity_raises(x, error):
    assert_same(rounded, x, raises=error)


def round_to_digits(x):
    return round(x, 2)


def test_round_refuses_what_python_refuses_or_rounds_to_decimals():
    with pytest.raises(noodle.TypingError, match="doesn't define __round__"):
        jitted(rounded)(np.True_)
    with pytest.raises(noodle.UnsupportedError, match="ndigits"):
        jitted(round_to_digits)(2.675)


def python_divmod(a, b):
    return divmod(a, b)


def numpy_divmod(a, b):
    return np.divmod(a, b)


@pytest.mark.parametrize("a, b", [(7, -2), (-7, 2), (7.5, -2), (-0.0, 3.0), (INF, 2.0),
                                  (np.int64(7), np.int64(0)), (np.float64(7.5), np.float64(-2)),
                                  (np.array([7, -7, 0]), np.array([2, 0, -3])),
                                  (np.array([7.5, -1.0]), 2.0)], ids=repr)
def test_divmod_is_floor_division_and_remainder(a, b):
    assert_same(python_divmod, a, b)
    assert_same(numpy_divmod, a, b)


@pytest.mark.parametrize("a, b", [(7, 0), (7.5, 0.0)], ids=repr)
def test_divmod_of_python_numbers_by_zero_raises(a, b):
    assert_same(python_divmod, a, b, raises=ZeroDivisionError)


def builtin_pow(a, b):
    return pow(a, b)


@pytest.mark.parametrize("a, b", [(2.0, 0.5), (np.float32(2), 3), (2, -1)], ids=repr)
def test_two_argument_pow_is_the_power_operator(a, b):
    assert_same(builtin_pow, a, b)
    assert jitted(builtin_pow)(a, b) == jitted(power)(a, b)


def test_two_argument_pow_raises_as_the_operator_does():
    assert_same(builtin_pow, 0.0, -1.0, raises=ZeroDivisionError)
    assert_same(builtin_pow, 10.0, 400.0, raises=OverflowError)


@pytest.mark.parametrize("a, b", [(True, -2), (True, -1)], ids=repr)
def test_a_python_bool_in_a_power_is_an_int(a, b):
    """As an int: a float for a negative exponent, where NumPy's integers raise."""
    assert_same(power, a, b)


def ceiling(x):
    return math.ceil(x), math.floor(x), math.trunc(x)


@pytest.mark.parametrize("x", [2**53 + 1, -2**63 + 1, True], ids=repr)
def test_ceil_floor_trunc_of_an_int_is_the_int_exactly(x):
    """Python returns an int as it is: not through a float64, which rounds 2**53 + 1."""
    assert_same(ceiling, x)


def test_a_numpy_bool_passed_for_an_integer_signature_converts():
    f = noodle.jit("int64(int64)", fallback=False, cache=False)(identity)
    assert f(np.True_) == 1 and type(f(np.True_)) is int


def absolute_values(b, i, f):
    return abs(b), abs(i), abs(f), abs(-b)


@pytest.mark.parametrize("b", [True, False])
def test_abs_of_a_bool_is_an_int_as_in_python(b):
    assert_same(absolute_values, b, -3, -2.5)
