"""The `nir-never-negative` pass: which `x < 0` checks (math.sqrt's domain check) it
proves false and folds, and which it must keep; the compiled functions against CPython
on the same inputs, ValueError included."""
from __future__ import annotations

import math

import numpy as np
import pytest
from mlir import ir, passmanager

import noodle
from noodle.compiler import pipeline
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import typeof
from noodle.passes.nir_never_negative import nir_never_negative


def sum_of_squares(x):
    s = 0.0
    for i in range(x.shape[0]):
        t = x[i] - 1.0
        s += t * t
    return math.sqrt(s)


def norm_of_pair(x):
    return math.sqrt(abs(x[0]) + math.exp(x[1]) + max(x[2] * x[2], 0.5))


def branch_of_squares(x):
    s = x[0] * x[0] if x[1] > 0 else math.sqrt(x[2])
    return math.sqrt(s)


def nested_loops(x):
    total = 0.0
    for i in range(x.shape[0]):
        row = 0.0
        for j in range(i):
            row += x[j] * x[j]
        total += math.sqrt(row)
    return math.sqrt(total)


# kept: each may take a negative value
def sum_may_go_negative(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i] - 1.0
    return math.sqrt(s)


def starts_negative(x):
    s = -1.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return math.sqrt(s)


def product_of_two(x):
    return math.sqrt(x[0] * x[1])


def fmax_of_nan_and_negative(x):
    # fmax drops a NaN: fmax(nan, -5) is -5, whose square root raises
    return math.sqrt(np.fmax(x[0] * x[0], x[1]))


def quotient(x):
    # never negative in fact (a square is never -0.0), but the pass proves nothing of a
    # quotient, since 1 / -0.0 is -inf
    return math.sqrt(1.0 / (x[0] * x[0]))


def compares_left(function, x) -> int:
    """How many float `lt`/`le` nir.compare ops are left in `function`'s NIR after cse
    (which the pipeline runs first: `t * t` loads t once) and the pass."""
    unit, _, _ = pipeline.make_nir(function, (typeof(x),), CompileOptions())
    count = 0
    with unit.context:
        passmanager.PassManager.parse("builtin.module(cse)").run(unit.module.operation)
        nir_never_negative(unit.module)

        def visit(op: ir.Operation) -> ir.WalkResult:
            nonlocal count
            if (op.name == "nir.compare"
                    and ir.StringAttr(op.attributes["predicate"]).value in ("lt", "le")
                    and isinstance(op.operands[0].type, ir.FloatType)):
                count += 1
            return ir.WalkResult.ADVANCE

        unit.module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    return count


@pytest.mark.parametrize("function", [sum_of_squares, norm_of_pair, nested_loops])
def test_checks_of_never_negative_values_fold(function):
    assert compares_left(function, np.zeros(3)) == 0


def test_only_the_provable_check_of_a_branch_folds():
    # sqrt(x[2]) keeps its check; the sqrt of either branch's result needs none
    assert compares_left(branch_of_squares, np.zeros(3)) == 1


@pytest.mark.parametrize("function", [sum_may_go_negative, starts_negative, product_of_two,
                                      fmax_of_nan_and_negative, quotient])
def test_checks_of_values_that_may_be_negative_stay(function):
    assert compares_left(function, np.zeros(3)) == 1


def python_result(function, x):
    try:
        with np.errstate(all="ignore"):
            return function(x)
    except ValueError as error:
        return error


@pytest.mark.parametrize("function", [
    sum_of_squares, norm_of_pair, branch_of_squares, nested_loops, sum_may_go_negative,
    starts_negative, product_of_two, fmax_of_nan_and_negative, quotient])
@pytest.mark.parametrize("x", [
    [0.5, 2.0, 3.0], [-1.0, -2.0, -0.0], [0.0, 0.0, 0.0], [np.nan, 1.0, -1.0],
    [np.nan, -5.0, 1.0], [np.inf, -np.inf, 2.0], [-0.0, 1e-320, -4.0],
    [1e200, -1e200, 1e-200]],
    ids=["positive", "negative", "zeros", "nan", "nan-and-negative", "inf", "subnormal",
         "overflow"])
def test_compiled_results_and_errors_match_python(function, x):
    x = np.array(x)
    expected = python_result(function, x)
    compiled = noodle.jit(function, cache=False)
    if isinstance(expected, ValueError):
        with pytest.raises(ValueError, match="math domain error"):
            compiled(x)
    else:
        np.testing.assert_equal(compiled(x), expected)
