"""Control flow: if/elif/else, conditional expressions, for over range (any step,
negative too, loop variable after the loop and reassigned inside), iteration over an
array, over enumerate() and zip() of those, while, `else` of for and while,
break/continue, early return, nested loops, tuple-carried loop state."""
import numpy as np
import pytest

import noodle
from hypothesis import given, strategies as st

from .harness import HYPOTHESIS, assert_same


def classify(x):
    if x < -10:
        return -2
    elif x < 0:
        return -1
    elif x == 0:
        return 0
    elif x > 100:
        return 2
    else:
        return 1


@HYPOTHESIS
@given(st.one_of(st.integers(-200, 200), st.sampled_from([-10, 0, 100, 101])))
def test_if_elif_else_int(x):
    assert_same(classify, x)


@HYPOTHESIS
@given(st.floats(allow_nan=True))
def test_if_elif_else_float(x):
    assert_same(classify, x)


def conditional_expression(x, y):
    a = x if x > y else y
    b = -1.0 if x != x else 1.0
    return a, b


@pytest.mark.parametrize("x, y", [(1.0, 2.0), (3.0, 2.0), (float("nan"), 0.0)])
def test_conditional_expression(x, y):
    assert_same(conditional_expression, x, y)


def branch_assigns(flag, n):
    if flag:
        v = n * 2
        w = 1.5
    else:
        v = n - 1
        w = -0.5
    return v, w


@pytest.mark.parametrize("flag", [True, False])
def test_variables_assigned_in_both_branches(flag):
    assert_same(branch_assigns, flag, 21)


def range_sum(start, stop, step):
    total = 0
    count = 0
    for i in range(start, stop, step):
        total += i
        count += 1
    return total, count


@HYPOTHESIS
@given(st.integers(-50, 50), st.integers(-50, 50),
       st.integers(-7, 7).filter(lambda s: s != 0))
def test_range_with_step(start, stop, step):
    assert_same(range_sum, start, stop, step)


@pytest.mark.parametrize("start, stop, step", [
    (0, 10, 1), (10, 0, -1), (10, -1, -3), (0, 0, 1), (5, 5, -1), (0, 10, 100),
    (-2**62, 2**62, 2**61), (2**62, -2**62, -2**61),
])
def test_range_edges(start, stop, step):
    assert_same(range_sum, start, stop, step)


def range_count(start, stop, step):
    count = 0
    last = 0
    for i in range(start, stop, step):
        count += 1
        last = i
    return count, last


@pytest.mark.parametrize("start, stop, step", [
    (-(2**63), 2**63 - 1, 2**62), (2**63 - 10, 2**63 - 1, 4), (2**63 - 1, -(2**63), -(2**62)),
    (-(2**63) + 5, -(2**63), -2),
])
def test_range_near_int64_limits(start, stop, step):
    # the induction variable must not wrap around past stop
    assert_same(range_count, start, stop, step)


def test_range_step_zero_raises():
    assert_same(range_sum, 0, 10, 0, raises=ValueError)


def range_one_and_two(n, m):
    a = 0
    for i in range(n):
        a += i
    b = 0
    for j in range(n, m):
        b += j * 2
    return a, b


@pytest.mark.parametrize("n, m", [(0, 0), (5, 3), (-3, 4), (10, 20)])
def test_range_one_and_two_arguments(n, m):
    assert_same(range_one_and_two, n, m)


def loop_variable_after_loop(n):
    i = -1
    for i in range(n):
        pass
    k = 0
    for k in range(n, 0, -2):
        pass
    return i, k


@pytest.mark.parametrize("n", [0, 1, 7, 8])
def test_loop_variable_after_the_loop(n):
    assert_same(loop_variable_after_loop, n)


def reassign_loop_variable(n):
    total = 0
    for i in range(n):
        total += i
        i = i * 100
        total += i
    return total


def test_reassigning_the_loop_variable_does_not_change_iteration():
    assert_same(reassign_loop_variable, 10)


def collatz_steps(n):
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n //= 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


@HYPOTHESIS
@given(st.integers(1, 10**6))
def test_while_collatz(n):
    assert_same(collatz_steps, n)


def while_true_break(x):
    it = 0
    while True:
        x = x * 0.5 + 1.0
        it += 1
        if abs(x - 2.0) < 1e-9:
            break
        if it > 1000:
            return -1.0, it
    return x, it


@pytest.mark.parametrize("x", [0.0, 100.0, 2.0, -1e300])
def test_while_true_with_break(x):
    assert_same(while_true_break, x)


def break_continue_2d(m, limit):
    total = 0.0
    rows = 0
    for i in range(m.shape[0]):
        if m[i, 0] < 0:
            continue
        complete = True
        for j in range(m.shape[1]):
            if m[i, j] > limit:
                complete = False
                break
            if m[i, j] == 0:
                continue
            total += m[i, j]
        if complete:
            rows += 1
        rows += 100
    return total, rows


@pytest.mark.parametrize("seed", [0, 1])
def test_nested_break_continue(seed):
    m = np.random.default_rng(seed).integers(-3, 10, (8, 6)).astype(np.float64)
    assert_same(break_continue_2d, m, 7.0)


def while_continue(n):
    i = 0
    odd = 0
    while i < n:
        i += 1
        if i % 2 == 0:
            continue
        odd += i
    return odd


def test_while_with_continue():
    assert_same(while_continue, 101)


def find_index(a, value):
    for i in range(len(a)):
        if a[i] == value:
            return i
    return -1


@pytest.mark.parametrize("value", [3.0, 0.0, 9.0, 100.0])
def test_early_return_from_loop(value):
    a = np.array([0.0, 1.0, 3.0, 3.0, 9.0])
    assert_same(find_index, a, value)
    assert_same(find_index, a[::-1], value)


def early_return_kinds(x):
    if x > 0:
        return x * 2.0
    if x < -5:
        return 0.0
    y = x + 1.0
    return y


@pytest.mark.parametrize("x", [1.5, -10.0, -1.0])
def test_several_returns(x):
    assert_same(early_return_kinds, x)


def count_triples(n):
    c = 0
    for a in range(1, n):
        for b in range(a, n):
            for d in range(b, n):
                if a * a + b * b == d * d:
                    c += 1
    return c


def test_triple_nested_loops():
    assert_same(count_triples, 60)


def fibonacci(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


@pytest.mark.parametrize("n", [0, 1, 2, 50, 90])
def test_tuple_swap_in_loop(n):
    assert_same(fibonacci, n)


def iterate_array(a):
    total = 0.0
    n = 0
    for x in a:
        total += x * x
        n += 1
    return total, n


@pytest.mark.parametrize("a", [np.arange(10.0), np.arange(10.0)[::-3], np.array([2.0])],
                         ids=["contiguous", "reversed-strided", "one"])
def test_for_over_1d_array(a):
    assert_same(iterate_array, a)


def test_for_over_empty_array():
    # documented deviation: 0.0 on the no-iteration path comes back as np.float64
    assert_same(iterate_array, np.zeros(0), np_float_for_py_float=True)


def iterate_rows(m):
    out = np.zeros(m.shape[1])
    for row in m:
        out += row
        row[0] = -1.0  # rows are views: this writes into m
    return out


def test_for_over_2d_array_rows_are_views():
    assert_same(iterate_rows, np.arange(12.0).reshape(3, 4))
    assert_same(iterate_rows, np.arange(12.0).reshape(3, 4).T)


def enumerate_and_zip(a, b, n, start):
    s = 0.0
    for i, x in enumerate(a):
        s += i * x
    for i, (x, y) in enumerate(zip(a, b), start):
        s += i * x - y
    for x, y, k in zip(a[::-1], b, range(n, -n, -3)):
        s += x * y + k
    for i, k in enumerate(range(start, n, 2), start=-start):
        if k > 40:
            break
        s += i * k
    for i, row in enumerate(np.ones((3, 2))):
        row[0] = i  # rows are views
        s += row.sum() * i
    return s


@HYPOTHESIS
@given(st.integers(0, 8), st.integers(0, 8), st.integers(-10, 60), st.integers(-5, 5))
def test_enumerate_and_zip_in_for_loops(la, lb, n, start):
    a, b = np.arange(la) * 1.5, np.arange(lb, 0, -1) * 0.5
    assert_same(enumerate_and_zip, a, b, n, start)


def zip_with_break(a, b):
    total = 0
    for i, (x, y) in enumerate(zip(a, b)):
        if x == y:
            return i
        total += x - y
    return float(-total)  # int on the empty path, np.int64 otherwise, as Python has it


@pytest.mark.parametrize("b", [np.array([3, 9, 4]), np.array([3, 2, 1, 5]), np.zeros(0, int)],
                         ids=["no-match", "match", "empty"])
def test_zip_and_enumerate_leave_a_loop_early(b):
    assert_same(zip_with_break, np.arange(1, 6) * 2, b)


def sum_of_primes(n):
    total = 0
    for k in range(2, n):
        for d in range(2, k):
            if k % d == 0:
                break
        else:
            total += k
    return total


def index_of(a, x):
    i = 0
    while i < a.shape[0]:
        if a[i] == x:
            break
        i += 1
    else:
        return -1
    return i


def break_from_an_else(a):
    s = a[0, 0] * 0.0  # a NumPy float on every path
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            if a[i, j] < 0:
                break
            s += a[i, j]
        else:
            continue  # of the outer loop
        s += 1000.0
        for k in range(3):
            s += k
        else:
            break  # of the outer loop
    return s


def else_without_break(n):
    s = 0
    for i in range(n):
        s += i
    else:
        s *= 2
    while s > 100:
        s -= 7
    else:
        s += 1
    return s


@pytest.mark.parametrize("func, args", [
    (sum_of_primes, (2,)), (sum_of_primes, (60,)),
    (index_of, (np.arange(5.0), 3.0)), (index_of, (np.arange(5.0), 9.0)),
    (index_of, (np.zeros(0), 0.0)),
    (break_from_an_else, (np.array([[1.0, 2.0], [3.0, -1.0], [5.0, 6.0]]),)),
    (break_from_an_else, (np.ones((2, 2)),)), (break_from_an_else, (-np.ones((2, 3)),)),
    (else_without_break, (0,)), (else_without_break, (20,)),
])
def test_loop_else_runs_unless_the_loop_breaks(func, args):
    assert_same(func, *args)


def loop_carried_array(a, n):
    x = a
    for _ in range(n):
        x = x * 0.5 + 1.0
    return x


def test_loop_carried_array_value():
    assert_same(loop_carried_array, np.arange(6.0), 0)
    assert_same(loop_carried_array, np.arange(6.0), 4)


def bound_in_nested_branches(c, d):
    if c > 0:
        if d > 0:
            y = 1.5
        else:
            y = 2.0
        z = y * 10
    else:
        z = 0.0
        for i in range(d):
            if i == 2:
                _w = i * 0.5  # bound in a nested region, read by nothing
                break
        else_value = d * 1.0
        z = else_value
    return z


@pytest.mark.parametrize("c, d", [(1, 1), (1, -1), (-1, 5), (-1, 0)])
def test_variables_first_bound_inside_nested_regions(c, d):
    assert_same(bound_in_nested_branches, c, d)


def int_or_float(c):
    x = 1
    if c:
        x = 2.5
    return x


def test_int_and_float_paths_merge_to_float():
    """Documented deviation (Numba's rule): a variable that is an int on one path and
    a float on another is a float on both."""
    f = noodle.jit(int_or_float, fallback=False)
    assert f(True) == 2.5
    result = f(False)
    assert type(result) is float and result == 1.0


def iterate_0d(z):
    s = 0.0
    for x in z:
        s += x
    return s


def zip_with_0d(a, z):
    s = 0.0
    for x, y in zip(a, z):
        s += x
    return s


def test_iterating_over_a_0d_array_raises_type_error():
    assert_same(iterate_0d, np.array(5.0), raises=TypeError)
    assert_same(zip_with_0d, np.ones(2), np.array(5.0), raises=TypeError)


def loop_variable_after_the_loop(a, n):
    for i, x in enumerate(a):
        pass
    for k in range(n):
        pass
    return i, x, k


def bound_in_one_branch(n):
    if n > 0:
        y = n * 2
    elif n < -5:
        y = 1
    return y


def bound_in_a_while(n):
    while n > 0:
        last = n
        n -= 3
    return last


def rebound_after(n):
    for i in range(n):
        pass
    i = 7  # bound on every path from here
    return i


@pytest.mark.parametrize("func, args, raises", [
    (loop_variable_after_the_loop, (np.zeros(0), 3), UnboundLocalError),
    (loop_variable_after_the_loop, (np.ones(2), 0), UnboundLocalError),
    (loop_variable_after_the_loop, (np.ones(2), 2), None),
    (bound_in_one_branch, (3,), None), (bound_in_one_branch, (-7,), None),
    (bound_in_one_branch, (0,), UnboundLocalError),
    (bound_in_a_while, (5,), None), (bound_in_a_while, (0,), UnboundLocalError),
    (rebound_after, (0,), None),
], ids=["no-items", "no-range", "both-ran", "if", "elif", "neither", "while-ran",
        "while-not", "rebound"])
def test_a_variable_unbound_on_the_path_taken_raises_unbound_local_error(func, args, raises):
    assert_same(func, *args, raises=raises)
