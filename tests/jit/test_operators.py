"""Operators: arithmetic (Python floor division/modulo signs), comparisons, bit ops,
unary ops, ``not``/``and``/``or`` (short-circuit), augmented assignment, on scalars and
on arrays (NumPy semantics, including integer division by zero in arrays)."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from .harness import HYPOTHESIS, assert_same


def arith(a, b):
    return a + b, a - b, a * b, a / b, a // b, a % b, -a, +a, abs(a)


@HYPOTHESIS
@given(st.integers(-2**31, 2**31), st.integers(-2**31, 2**31).filter(lambda b: b != 0))
def test_int_arith(a, b):
    assert_same(arith, a, b)


@HYPOTHESIS
@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6).filter(lambda b: abs(b) > 1e-3))
def test_float_arith(a, b):
    assert_same(arith, a, b)


@pytest.mark.parametrize("a, b", [(-7, 2), (7, -2), (-7, -2), (0, -3), (-2**50 - 1, 3),
                                  (2**50 + 3, -7)])
def test_int_floor_division_signs(a, b):
    assert_same(arith, a, b)


@pytest.mark.parametrize("a, b", [(-7.5, 2.0), (7.5, -2.0), (-7.5, -2.0), (0.5, 0.1),
                                  (1.0, 0.1), (-0.0, 3.0), (5.0, float("inf")),
                                  (-5.0, float("inf")), (float("inf"), 2.0),
                                  (float("nan"), 2.0), (3.0, float("nan"))])
def test_float_floor_division_and_modulo_like_python(a, b):
    # 0.5 // 0.1 is 4.0 in Python (not floor(0.5 / 0.1) == 5.0); -5.0 % inf is inf
    assert_same(arith, a, b)


@pytest.mark.parametrize("a, b", [(np.int32(-7), np.int32(2)), (np.uint8(250), np.uint8(7)),
                                  (np.int8(-128), np.int8(3)), (np.float32(-7.5), np.float32(2.0)),
                                  (np.int64(-9), 4)],
                         ids=repr)
def test_numpy_scalar_arith(a, b):
    assert_same(arith, a, b)


def compare(a, b):
    return a < b, a <= b, a == b, a != b, a > b, a >= b


@pytest.mark.parametrize("a, b", [(1, 2), (2, 2), (1.5, 1), (float("nan"), 1.0),
                                  (np.float32(0.1), 0.1), (np.int8(-1), np.uint8(255)),
                                  (np.uint64(2**63), np.int64(-1))],
                         ids=repr)
def test_scalar_comparisons(a, b):
    assert_same(compare, a, b)


@pytest.mark.parametrize("dtypes", [("float64", "float64"), ("int32", "float32"),
                                    ("uint8", "int8"), ("bool", "bool")])
def test_array_comparisons(dtypes):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(20) * 4).astype(dtypes[0])
    b = (rng.standard_normal(20) * 4).astype(dtypes[1])
    if dtypes[0] == "float64":
        a[3] = np.nan
        b[:5] = a[:5]
    assert_same(compare, a, b)


def compare_python_int(v, d):
    return d <= v, v < d, np.equal(v, d), v != d, np.greater(d, v), v[0] >= d


def compare_out_of_range_constants(v):
    return -1 <= v, v < 300, v == -1, v != 256, v > -5, v >= 2**40


@pytest.mark.parametrize("v", [
    np.array([0, 5, 255], np.uint8),
    np.array([-128, 5, 127], np.int8)[::-1],
    np.array([0, 5, 2**64 - 1], np.uint64),
    np.array([3, 70000], np.uint32),
    np.array([True, False]),
], ids=["uint8", "int8-view", "uint64", "uint32", "bool"])
@pytest.mark.parametrize("d", [-1, 256, 1000, -2**63, 5, 2**63 - 1])
def test_comparisons_with_a_python_int_outside_the_dtype(v, d):
    # NumPy compares a Python int by its value (`uint8_array > -1` is all true); the
    # int was wrapped into the array's dtype first
    assert_same(compare_python_int, v, d)
    assert_same(compare_out_of_range_constants, v)


def bits(a, b):
    return a & b, a | b, a ^ b, ~a, a << 3, a >> 2, b >> 1


@HYPOTHESIS
@given(st.integers(-2**40, 2**40), st.integers(-2**40, 2**40))
def test_int_bit_ops(a, b):
    assert_same(bits, a, b)


@pytest.mark.parametrize("dtype", ["uint8", "int16", "int64", "uint64"])
def test_array_bit_ops(dtype):
    rng = np.random.default_rng(1)
    info = np.iinfo(dtype)
    a = rng.integers(info.min, info.max, 33, dtype=dtype, endpoint=True)
    b = rng.integers(info.min, info.max, 33, dtype=dtype, endpoint=True)
    assert_same(bits, a, b)


def bool_bits(a, b):
    return a & b, a | b, a ^ b, ~b


def test_bool_array_bit_ops():
    a = np.array([True, False, True, False])
    b = np.array([True, True, False, False])
    assert_same(bool_bits, a, b)
    assert_same(bool_bits, a, np.bool_(True))


def wide_shifts(a):
    return a << 9, a >> 9, a << 40, a >> 40


@pytest.mark.parametrize("a", [np.array([1, 3, 255], np.uint8),
                               np.array([-5, 5, 2**31 - 1], np.int32)],
                         ids=["uint8", "int32"])
def test_array_shifts_wider_than_the_type(a):
    # NumPy defines these (0, or -1 for negative signed values), LLVM does not
    assert_same(wide_shifts, a)


def logic(a, b, c):
    return (a > 0 and b > 0) or not c > 0, not a, a or b, a and b


@pytest.mark.parametrize("a, b, c", [(1, 2, 3), (0, 2, 3), (-1, 0, -1), (3, 0, 0)])
def test_not_and_or(a, b, c):
    assert_same(logic, a, b, c)


def short_circuit(a, b):
    ok = b != 0 and a // b > 1
    ok2 = b == 0 or a % b == 0
    return ok, ok2


@pytest.mark.parametrize("a, b", [(10, 0), (10, 3), (10, 5), (1, 2)])
def test_short_circuit_skips_division_by_zero(a, b):
    assert_same(short_circuit, a, b)


def short_circuit_index(a, i):
    if i < a.shape[0] and a[i] > 0.5:
        return 1
    return 0


def test_short_circuit_guards_indexing():
    a = np.array([0.1, 0.9, 0.3])
    for i in [0, 1, 2, 3, 1000]:
        assert_same(short_circuit_index, a, i, jit_options={"boundscheck": True})


def float_or(a, b):
    return a or b, a and b


@pytest.mark.parametrize("a, b", [(0.0, 2.5), (1.5, 2.5), (0.0, 0.0), (float("nan"), 0.0)])
def test_float_or_and_values(a, b):
    assert_same(float_or, a, b)


def augmented(a, b):
    x = a
    x += b
    x -= 1
    x *= b
    x //= 3
    x %= 1000
    x **= 2
    x &= 0xFFFF
    x |= 1
    x ^= 6
    x <<= 2
    x >>= 1
    return x


@HYPOTHESIS
@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_augmented_assignment_on_ints(a, b):
    assert_same(augmented, a, b)


def array_arith(a, b):
    return a + b, a - b, a * b, a / b, a // b, a % b, -a, abs(a), a ** 2


@pytest.mark.parametrize("da, db", [("float64", "float64"), ("float32", "float32"),
                                    ("int64", "int64"), ("int32", "int8"),
                                    ("uint8", "uint8"), ("float32", "int64"),
                                    ("int16", "float32")])
def test_array_arith_dtypes(da, db):
    rng = np.random.default_rng(2)
    a = (rng.standard_normal((4, 5)) * 50).astype(da) if da[0] != "u" else rng.integers(0, 256, (4, 5)).astype(da)
    b = (rng.standard_normal((4, 5)) * 9).astype(db) if db[0] != "u" else rng.integers(1, 16, (4, 5)).astype(db)
    b[b == 0] = 3
    assert_same(array_arith, a, b)


def int_array_div_mod(a, b):
    return a // b, a % b


def test_int_array_division_by_zero_follows_numpy():
    # NumPy: integer division/modulo by zero in an array gives 0 (with a warning)
    a = np.array([7, -7, 0, 5, -3, 9], np.int64)
    b = np.array([0, 0, 0, 2, -2, 0], np.int64)
    assert_same(int_array_div_mod, a, b)


def test_float_array_floor_division_like_numpy():
    a = np.array([-7.5, 7.5, 0.5, 1.0, -5.0, 5.0, 3.0, np.nan, np.inf])
    b = np.array([2.0, -2.0, 0.1, 0.1, np.inf, 0.0, -0.0, 1.0, 2.0])
    assert_same(int_array_div_mod, a, b)


def array_scalar(a, s):
    return a + s, a * s, s - a, a / s, a > s


@pytest.mark.parametrize("a, s", [
    (np.arange(5, dtype=np.float32), 2.5),          # float32 (weak)
    (np.arange(5, dtype=np.int8), 3),               # int8 (weak)
    (np.arange(5, dtype=np.int32), 2.5),            # float64
    (np.arange(5, dtype=np.float32), np.float64(2.5)),  # float64 (strong)
    (np.arange(5, dtype=np.int16), np.int32(3)),    # int32
    (np.arange(5, dtype=np.uint8), True),           # uint8
], ids=["f32-float", "i8-int", "i32-float", "f32-np.float64", "i16-np.int32", "u8-bool"])
def test_array_scalar_promotion(a, s):
    assert_same(array_scalar, a, s)


def int_array_power(a, b):
    return a ** b, a ** 3, 2 ** b


def test_int_array_power_stays_integer():
    a = np.array([0, 1, -2, 3, 7], np.int64)
    b = np.array([0, 5, 3, 2, 20], np.int64)
    assert_same(int_array_power, a, b)


def power(a, b):
    return a ** b


@pytest.mark.parametrize("a, b", [
    (np.array([2, 3], np.int64), np.array([1, -1], np.int64)),
    (np.array([2, 3], np.int8), np.array([-1], np.int8)),
    (np.array([2, 3], np.int32), -1),
    (np.array([[2], [3]], np.int16), np.array([3, -2])[::-1]),
    (np.int64(2), np.int64(-1)),
    (np.int8(2), np.array([1, -3], np.int64)),
    (True, np.array([-1])),
], ids=["arrays", "broadcast", "python-int", "2d-view", "scalars", "scalar-base", "bool"])
def test_integer_power_with_a_negative_exponent_raises(a, b):
    assert_same(power, a, b, raises=ValueError)


@pytest.mark.parametrize("a, b", [
    (np.array([], np.int64), -1),
    (np.zeros((2, 0), np.int32), np.array([[-1], [1]], np.int32)),
    (np.array([2, 3], np.int16), 0),
    (np.array([2, 3], np.uint8), np.array([1, 2], np.uint8)),
    (np.array([2, 3], np.int8), np.uint8(3)),
    (2, -1),
    (np.float64(2), np.array([-1])),
], ids=["empty-base", "empty-broadcast", "zero", "unsigned", "uint-exponent", "python",
        "float"])
def test_integer_power_without_a_negative_exponent_used(a, b):
    # NumPy looks only at the exponents the result uses; Python's 2 ** -1 is 0.5
    assert_same(power, a, b)


# -- a Python int that the integer dtype an operation computes in cannot hold: NumPy 2
# raises OverflowError (NEP 50: "Python integer 300 out of bounds for uint8"); it was
# wrapped into the dtype

TIERS = pytest.mark.parametrize("options", [{}, {"eager": True}],
                                ids=["baseline", "optimising"])


def add(a, d):
    return a + d


def reversed_sub(a, d):
    return d - a


def mul(a, d):
    return a * d


def floor_div(a, d):
    return a // d


def bit_or(a, d):
    return a | d


def shift(a, d):
    return a << d


def minimum(a, d):
    return np.minimum(a, d)


def maximum(a, d):
    return np.maximum(d, a)


def add_in_place(a, d):
    a += d
    return a


PYTHON_INT_OPS = [add, reversed_sub, mul, floor_div, power, bit_or, shift, minimum, maximum,
                  add_in_place]


@TIERS
@pytest.mark.parametrize("function", PYTHON_INT_OPS)
@pytest.mark.parametrize("a, d", [(np.array([1, 2], np.uint8), 300), (np.int16(3), 40000)],
                         ids=["uint8-array", "int16-scalar"])
def test_python_int_out_of_the_dtype_raises(options, function, a, d):
    assert_same(function, a, d, raises=OverflowError, jit_options=options)


@TIERS
@pytest.mark.parametrize("function", [add, add_in_place])
@pytest.mark.parametrize("a, d", [
    (np.array([1, 2], np.uint8), -1),
    (np.array([3, 1, 2], np.int8)[::-2], 2**62),
    (np.array([[1], [2]], np.int32), -2**63),
    (np.array([1, 2], np.uint64), -1),
    (np.array([], np.uint16), 70000),
    (np.uint32(3), -5),
], ids=["uint8-negative", "int8-view", "int32-min-int64", "uint64", "empty", "uint32-scalar"])
def test_python_int_out_of_the_dtype_raises_for_each_dtype(options, function, a, d):
    assert_same(function, a, d, raises=OverflowError, jit_options=options)


@TIERS
@pytest.mark.parametrize("function", PYTHON_INT_OPS)
@pytest.mark.parametrize("a, d", [(np.array([1, 2], np.uint8), 255), (np.int16(3), 7)],
                         ids=["uint8-array", "int16-scalar"])
def test_python_int_in_the_dtype_computes(options, function, a, d):
    assert_same(function, a, d, jit_options=options)


@TIERS
@pytest.mark.parametrize("a, d", [
    (np.array([3, 1, 2], np.int8)[::-2], -128),
    (np.array([[1], [2]], np.int32), 2**31 - 1),
    (np.array([1, 2], np.uint64), 2**63 - 1),
    (np.array([True, False]), 300),
    (np.array([1.5, 2.0], np.float32), -2**63),
    (np.int16(3), -32768),
    (np.bool_(True), 40000),
    (3, 2**40),
], ids=["int8-min", "int32-max", "uint64-max-int64", "bool", "float32", "int16-scalar",
        "bool-scalar", "python"])
def test_python_int_in_the_dtype_or_a_wider_one_computes(options, a, d):
    # a bool array or scalar computes in int64, a float one in its float dtype, two
    # Python ints as Python ints (int64)
    assert_same(add, a, d, jit_options=options)
    assert_same(minimum, a, d, jit_options=options)


def true_divisions(a, d):
    return a / d, np.true_divide(d, a)


@TIERS
@pytest.mark.parametrize("a", [np.array([1, 2], np.uint8), np.int8(3)], ids=["array", "scalar"])
def test_python_int_out_of_the_dtype_in_a_true_division(options, a):
    # NumPy divides integers in float64: the int converts without a check
    assert_same(true_divisions, a, 2**40, jit_options=options)


def out_of_range_constant(a, flag):
    if flag:
        return a + 300
    return a - 1


def constants_in_range(a):
    return a + 255, a * (2**7 - 1), a & (1 << 6), a - -0, np.maximum(a, 2**8 - 1)


@TIERS
@pytest.mark.parametrize("a", [np.array([1, 2], np.uint8), np.uint8(7)], ids=["array", "scalar"])
def test_python_int_constants_out_of_the_dtype(options, a):
    # a constant out of range raises when it is reached, not when compiling
    assert_same(out_of_range_constant, a, True, raises=OverflowError, jit_options=options)
    assert_same(out_of_range_constant, a, False, jit_options=options)
    assert_same(constants_in_range, a, jit_options=options)


def test_python_int_out_of_range_message():
    import noodle

    with pytest.raises(OverflowError, match="^Python integer 300 out of bounds for uint8 "):
        noodle.jit(out_of_range_constant, fallback=False)(np.zeros(2, np.uint8), True)
    with pytest.raises(OverflowError, match="^Python integer out of bounds for int16 "):
        noodle.jit(add, fallback=False)(np.zeros(2, np.int16), 40000)


def in_place_array_ops(a, b):
    a += b
    a *= 2
    a -= 1
    b //= 2
    b %= 5
    return a.sum(), b.sum()


def test_in_place_array_operators():
    assert_same(in_place_array_ops, np.arange(10.0), np.arange(10.0, 20.0))
    assert_same(in_place_array_ops, np.arange(20.0)[::-2], np.arange(30.0)[::3])


def in_place_overlap(a):
    a -= a[::-1]
    return a


def test_in_place_with_overlapping_operand():
    assert_same(in_place_overlap, np.arange(9.0) ** 2)


def unary(a):
    return -a, +a, ~(a > 0), not a.size


def test_unary_array():
    assert_same(unary, np.array([-1.5, 0.0, 2.0, np.nan]))


def chained_compare(a, b, c):
    return a < b < c, a < b > c, a == b == c


@HYPOTHESIS
@given(st.integers(-3, 3), st.integers(-3, 3), st.integers(-3, 3))
def test_chained_comparisons(a, b, c):
    assert_same(chained_compare, a, b, c)
