"""Differential tests of the lower-nir pass: nir ops compiled to machine code vs NumPy.

Kernels are grouped into a few modules compiled once per test session (compiling is
the slow part); each test calls them on NumPy arrays covering edge values (NaN, inf,
-0.0, integer extremes, zero divisors), size-1/missing/empty dims and strided views.
"""
from __future__ import annotations

import itertools
from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from mlir import ir
from mlir.dialects import arith, memref

from lower_nir_harness import KernelModule, array, lower_to_llvm_dialect, scalar
from noodle.dialects import nir

INTEGER_DTYPES = ("int8", "uint8", "int32", "int64", "uint64")
FLOAT_DTYPES = ("float32", "float64")
DTYPES = ("bool", *INTEGER_DTYPES, *FLOAT_DTYPES)

BINARY_KINDS = {
    "bool": ("add", "mul", "bitand", "bitor", "bitxor", "maximum", "minimum", "fmax", "fmin"),
    "integer": ("add", "sub", "mul", "floordiv", "mod", "pow", "bitand", "bitor", "bitxor",
                "lshift", "rshift", "maximum", "minimum", "fmax", "fmin"),
    "float": ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "maximum", "minimum",
              "fmax", "fmin", "arctan2", "hypot", "copysign"),
}
NUMPY_BINARY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
    "floordiv": np.floor_divide, "mod": np.remainder, "bitand": np.bitwise_and,
    "bitor": np.bitwise_or, "bitxor": np.bitwise_xor, "lshift": np.left_shift,
    "rshift": np.right_shift, "maximum": np.maximum, "minimum": np.minimum, "fmax": np.fmax,
    "fmin": np.fmin, "arctan2": np.arctan2, "hypot": np.hypot, "copysign": np.copysign,
}
#: Kinds computed by libm-quality functions rather than exactly rounded operations.
TRANSCENDENTAL_BINARY = {"pow", "arctan2", "hypot"}

UNARY_KINDS = {
    "bool": ("invert", "logical_not", "abs", "isnan", "isinf", "isfinite"),
    "integer": ("neg", "positive", "invert", "logical_not", "abs", "sign", "square",
                "isnan", "isinf", "isfinite"),
    "float": ("neg", "positive", "logical_not", "abs", "sign", "square", "reciprocal",
              "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "sin",
              "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
              "arccosh", "arctanh", "floor", "ceil", "trunc", "rint", "isnan", "isinf",
              "isfinite"),
}
NUMPY_UNARY_RENAMES = {"neg": np.negative, "abs": np.absolute}
EXACT_UNARY = {"neg", "positive", "invert", "logical_not", "abs", "sign", "square",
               "reciprocal", "sqrt", "floor", "ceil", "trunc", "rint", "isnan", "isinf",
               "isfinite"}
BOOL_RESULT_UNARY = {"logical_not", "isnan", "isinf", "isfinite"}

COMPARE_PREDICATES = {"eq": np.equal, "ne": np.not_equal, "lt": np.less, "le": np.less_equal,
                      "gt": np.greater, "ge": np.greater_equal}


def category(dtype: str) -> str:
    kind = np.dtype(dtype).kind
    return {"b": "bool", "f": "float"}.get(kind, "integer")


def edge_values(dtype: str) -> np.ndarray:
    """Values that exercise every corner of an op on `dtype` (and some ordinary ones)."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return np.array([False, True])
    if dt.kind == "f":
        return np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 7.25,
                         -1e-8, 1e-300 if dt.itemsize == 8 else 1e-30, 1e30, -0.75, 100.0],
                        dtype=dt)
    info = np.iinfo(dt)
    small = [v for v in (0, 1, 2, 3, 5, 7, 8, 13, 63, 64, 200, -1, -2, -3, -7, -8)
             if info.min <= v <= info.max]
    return np.array([info.min, info.max, info.min + 1, info.max - 1, *small], dtype=dt)


def numpy_int_pow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.power on integers, extended to negative exponents (NumPy raises there)."""
    negative = b < 0
    power = np.power(a, np.where(negative, 0, b).astype(b.dtype))
    one = np.ones_like(a)
    reciprocal = np.where(a == 1, one, np.where(a == one * -1 if a.dtype.kind == "i" else False,
                                                np.where(b % 2 == 1, -one, one), 0))
    return np.where(negative, reciprocal, power).astype(a.dtype)


def numpy_binary(kind: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if kind == "pow":
        return numpy_int_pow(a, b) if a.dtype.kind in "iu" else np.power(a, b)
    return NUMPY_BINARY[kind](a, b)


def numpy_unary(kind: str, x: np.ndarray) -> np.ndarray:
    return NUMPY_UNARY_RENAMES.get(kind, getattr(np, kind, None))(x)


def assert_matches(actual: np.ndarray, expected: np.ndarray, max_ulp: int = 0,
                   what: str = "") -> None:
    """Equal values (NaN matching NaN), or floats within `max_ulp` units in the last place."""
    expected = np.asarray(expected).astype(actual.dtype)
    assert actual.shape == expected.shape, what
    if actual.dtype.kind != "f" or max_ulp == 0:
        np.testing.assert_array_equal(actual, expected, err_msg=what)
        return
    same = (actual == expected) | (np.isnan(actual) & np.isnan(expected))
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf: `same` covers it
        ulps = np.abs(actual.astype(np.float64) - expected) / np.spacing(np.abs(expected))
    bad = ~same & ~(ulps <= max_ulp)
    assert not bad.any(), (f"{what}: {bad.sum()} elements off by more than {max_ulp} ulp: "
                           f"actual {actual[bad][:5]} expected {expected[bad][:5]}")


def ulp_budget(dtype: str) -> int:
    """libm is within 1 ulp; NumPy's own SIMD float32 loops are within a few."""
    return 4 if dtype == "float32" else 2


def result_array(op_builder, result_dtype: str, rank: int):
    """A body writing `op_builder(*inputs)` (a nir value) into the last parameter."""
    def body(*args):
        *inputs, out = args
        nir.assign(out, op_builder(*inputs, nir.array_type(result_dtype, rank)))
    return body


def pairs_grid(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column and row vectors whose broadcast covers every (a, b) pair of `values`."""
    return values[:, None].copy(), values[None, :].copy()


# --- elementwise: binary, unary and compare kinds for every dtype ------------------------

@cache
def elementwise_kernels(dtype: str, opt_level: int = 0) -> dict:
    """Binary kinds on (n,1) x (1,n), unary kinds and compare predicates for `dtype`."""
    module = KernelModule()
    cat = category(dtype)
    for kind in BINARY_KINDS[cat]:
        module.add(f"binary_{kind}", [array(dtype, 2), array(dtype, 2), array(dtype, 2)],
                   result_array(lambda a, b, t, kind=kind: nir.binary(kind, dtype, a, b, t),
                                dtype, 2))
    for kind in UNARY_KINDS[cat]:
        out_dtype = "bool" if kind in BOOL_RESULT_UNARY else dtype
        module.add(f"unary_{kind}", [array(dtype, 1), array(out_dtype, 1)],
                   result_array(lambda x, t, kind=kind: nir.unary(kind, dtype, x, t),
                                out_dtype, 1))
    for predicate in COMPARE_PREDICATES:
        module.add(f"compare_{predicate}",
                   [array(dtype, 2), array(dtype, 2), array("bool", 2)],
                   result_array(lambda a, b, t, p=predicate: nir.compare(p, dtype, a, b, t),
                                "bool", 2))
    return module.compile(opt_level)


@pytest.mark.parametrize("dtype, opt_level", [
    *((dtype, 0) for dtype in DTYPES),
    # LLVM's optimiser exploits poison and undefined behaviour; the guards must hold.
    ("int32", 3), ("float64", 3),
])
def test_binary_kinds_on_every_pair_of_edge_values(dtype, opt_level):
    kernels = elementwise_kernels(dtype, opt_level)
    a, b = pairs_grid(edge_values(dtype))
    for kind in BINARY_KINDS[category(dtype)]:
        out = np.empty((a.size, b.size), dtype)
        kernels[f"binary_{kind}"](a, b, out)
        with np.errstate(all="ignore"):
            expected = numpy_binary(kind, a, b)
        budget = ulp_budget(dtype) if kind in TRANSCENDENTAL_BINARY else 0
        assert_matches(out, expected, budget, f"binary {kind} on {dtype}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_kinds(dtype):
    kernels = elementwise_kernels(dtype)
    rng = np.random.default_rng(0)
    x = edge_values(dtype)
    if category(dtype) == "float":
        x = np.concatenate([x, rng.uniform(-3, 3, 50).astype(dtype),
                            rng.uniform(-1, 1, 50).astype(dtype) * 1e-5])
    for kind in UNARY_KINDS[category(dtype)]:
        out_dtype = "bool" if kind in BOOL_RESULT_UNARY else dtype
        out = np.empty(x.shape, out_dtype)
        kernels[f"unary_{kind}"](x, out)
        with np.errstate(all="ignore"):
            expected = numpy_unary(kind, x)
        assert_matches(out, expected, 0 if kind in EXACT_UNARY else ulp_budget(dtype),
                       f"unary {kind} on {dtype}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_compare_predicates(dtype):
    kernels = elementwise_kernels(dtype)
    a, b = pairs_grid(edge_values(dtype))
    for predicate, ufunc in COMPARE_PREDICATES.items():
        out = np.empty((a.size, b.size), bool)
        kernels[f"compare_{predicate}"](a, b, out)
        assert_matches(out, ufunc(a, b), what=f"compare {predicate} on {dtype}")


def test_binary_on_strided_and_reversed_views():
    kernels = elementwise_kernels("float64")
    base = np.arange(24.0).reshape(4, 6)
    a, b = base[::2, ::-2], base[::-1, :3][1:3]
    out = np.empty((2, 3))
    kernels["binary_sub"](a, b, out)
    assert_matches(out, a - b)


def test_binary_on_empty_arrays():
    kernels = elementwise_kernels("int32")
    out = np.empty((0, 5), np.int32)
    kernels["binary_add"](np.empty((0, 1), np.int32), np.ones((1, 5), np.int32), out)
    assert out.shape == (0, 5)


# --- broadcasting across ranks, scalars and views (hypothesis) -------------------------

MAX_RANK = 3


@cache
def broadcast_kernels() -> dict:
    """`sub` (order matters) for every pair of operand ranks, scalars included (rank -1)."""
    module = KernelModule()
    ranks = range(-1, MAX_RANK + 1)
    for dtype in ("float64", "int8"):
        for ra, rb in itertools.product(ranks, ranks):
            out_rank = max(ra, rb, 0)
            params = [scalar(dtype) if r < 0 else array(dtype, r) for r in (ra, rb)]
            module.add(f"sub_{dtype}_{ra}_{rb}", [*params, array(dtype, out_rank)],
                       result_array(lambda a, b, t, d=dtype: nir.binary("sub", d, a, b, t),
                                    dtype, out_rank))
    return module.compile()


@st.composite
def broadcast_operands(draw):
    """Two broadcast-compatible operands: arrays (maybe strided or reversed) or scalars."""
    dtype = draw(st.sampled_from(["float64", "int8"]))
    out_shape = draw(st.lists(st.integers(0, 3), max_size=MAX_RANK))

    def operand():
        if draw(st.booleans()) and draw(st.booleans()):
            return np.dtype(dtype).type(draw(st.integers(-100, 100)))
        rank = draw(st.integers(0, len(out_shape)))
        shape = [size if draw(st.booleans()) else 1 for size in out_shape[len(out_shape) - rank:]]
        values = np.arange(int(np.prod([2 * s for s in shape])), dtype=dtype) % 97 - 40
        full = values.reshape([2 * s for s in shape])
        view = full[tuple(slice(None, None, draw(st.sampled_from([2, -2]))) for _ in shape)]
        return view.astype(dtype, copy=False)

    return dtype, operand(), operand()


@settings(max_examples=150, deadline=None)
@given(broadcast_operands())
def test_broadcasting_matches_numpy(operands):
    dtype, a, b = operands
    ranks = [np.ndim(v) if isinstance(v, np.ndarray) else -1 for v in (a, b)]
    with np.errstate(all="ignore"):
        expected = np.asarray(np.subtract(a, b), dtype=dtype)
    out = np.empty(expected.shape, dtype)
    broadcast_kernels()[f"sub_{dtype}_{ranks[0]}_{ranks[1]}"](a, b, out)
    assert_matches(out, expected)


# --- select, cast, copy, assign -------------------------------------------------------------

@cache
def conversion_kernels() -> dict:
    module = KernelModule()
    for source, target in itertools.product(DTYPES, DTYPES):
        module.add(f"cast_{source}_{target}", [array(source, 1), array(target, 1)],
                   result_array(lambda x, t, s=source, d=target: nir.cast(s, d, x, t),
                                target, 1))
    module.add("select_array_scalar",
               [array("bool", 2), array("float32", 1), scalar("float32"), array("float32", 2)],
               result_array(lambda c, a, b, t: nir.select(c, a, b, t), "float32", 2))
    module.add("select_scalar_cond",
               [scalar("bool"), array("int64", 2), array("int64", 1), array("int64", 2)],
               result_array(lambda c, a, b, t: nir.select(c, a, b, t), "int64", 2))
    module.add("copy", [array("int32", 2), array("int32", 2)],
               lambda x, out: nir.assign(out, nir.copy("int32", x)))
    module.add("assign_1d_into_2d", [array("uint8", 2), array("uint8", 1)], nir.assign)
    module.add("assign_scalar", [array("float64", 3), scalar("float64")], nir.assign)
    return module.compile()


def cast_inputs(source: str, target: str) -> np.ndarray:
    """Edge values of `source` whose conversion to `target` NumPy defines."""
    values = edge_values(source)
    if category(source) != "float" or category(target) in ("float", "bool"):
        return values
    # Float to integer: only in-range, finite values are defined.
    info = np.iinfo(target)
    floats = np.array([-130.7, -7.9, -1.5, -0.5, -0.0, 0.0, 0.4, 1.5, 2.9, 100.99, 127.5,
                       255.9, 3e9, 9.2e18, 1.8e19], dtype=source)
    return floats[(floats > info.min - 1) & (floats < float(info.max) + 1)]


@pytest.mark.parametrize("source", DTYPES)
def test_cast_to_every_dtype(source):
    kernels = conversion_kernels()
    for target in DTYPES:
        x = cast_inputs(source, target)
        out = np.empty(x.shape, target)
        kernels[f"cast_{source}_{target}"](x, out)
        with np.errstate(all="ignore"):
            assert_matches(out, x.astype(target), what=f"cast {source} to {target}")


def test_select_broadcasts_condition_and_values():
    kernels = conversion_kernels()
    cond = np.array([[True, False, True], [False, False, True]])
    a = np.array([1.5, np.nan, -2.0], np.float32)
    out = np.empty((2, 3), np.float32)
    kernels["select_array_scalar"](cond, a, np.float32(9.0), out)
    assert_matches(out, np.where(cond, a, np.float32(9.0)))
    a2, b2 = np.arange(6).reshape(2, 3)[:, ::-1].copy(), np.array([-1], np.int64)
    for flag in (True, False):
        out2 = np.empty((2, 3), np.int64)
        kernels["select_scalar_cond"](flag, a2, b2, out2)
        assert_matches(out2, np.where(flag, a2, b2))


def test_copy_and_assign():
    kernels = conversion_kernels()
    x = np.arange(20, dtype=np.int32).reshape(4, 5)[::-1, 1::2]
    out = np.zeros((4, 2), np.int32)
    kernels["copy"](x, out)
    assert_matches(out, x)

    big = np.zeros((3, 8), np.uint8)
    dst = big[:, ::2]
    kernels["assign_1d_into_2d"](dst, np.array([1, 2, 3, 4], np.uint8))
    assert_matches(big[:, ::2], np.broadcast_to([1, 2, 3, 4], (3, 4)))
    assert not big[:, 1::2].any(), "assign wrote outside its destination view"

    cube = np.zeros((2, 0, 3))
    kernels["assign_scalar"](cube, 1.0)
    cube = np.zeros((2, 1, 3))
    kernels["assign_scalar"](cube, -0.5)
    assert (cube == -0.5).all()


# --- reductions and matmul -----------------------------------------------------------------

REDUCE_AXES = ((), (0,), (1,), (2,), (0, 2), (1, 2), (0, 1, 2))
REDUCE_CASES = {
    "sum": ("float64", "int8", "uint64", "float32"),
    "prod": ("int32", "float64"),
    "min": ("float64", "int8", "uint8", "bool"),
    "max": ("float32", "int64", "bool"),
    "any": ("bool",),
    "all": ("bool",),
}
NUMPY_REDUCE = {"sum": np.sum, "prod": np.prod, "min": np.min, "max": np.max, "any": np.any,
                "all": np.all}


def reduce_name(kind, dtype, axes, keepdims):
    return f"reduce_{kind}_{dtype}_{''.join(map(str, axes))}_{int(keepdims)}"


@cache
def reduction_kernels() -> dict:
    module = KernelModule()
    for kind, dtypes in REDUCE_CASES.items():
        for dtype, axes, keepdims in itertools.product(dtypes, REDUCE_AXES, (False, True)):
            out_rank = 3 if keepdims else 3 - len(axes)
            module.add(reduce_name(kind, dtype, axes, keepdims),
                       [array(dtype, 3), array(dtype, out_rank)],
                       _reduce_body(kind, dtype, axes, keepdims, out_rank))
    for dtype, (ra, rb) in itertools.product(("float64", "int32", "bool"),
                                             itertools.product((1, 2), (1, 2))):
        out_rank = ra + rb - 2
        module.add(f"matmul_{dtype}_{ra}_{rb}",
                   [array(dtype, ra), array(dtype, rb), array(dtype, out_rank)],
                   _matmul_body(dtype, out_rank))
    return module.compile()


def _reduce_body(kind, dtype, axes, keepdims, out_rank):
    def body(x, out):
        scalar_result = out_rank == 0 and not keepdims
        result_type = nir.element_type(dtype) if scalar_result else nir.array_type(dtype, out_rank)
        nir.assign(out, nir.reduce(kind, dtype, x, axes, keepdims, result_type))
    return body


def _matmul_body(dtype, out_rank):
    def body(a, b, out):
        result_type = nir.array_type(dtype, out_rank) if out_rank else nir.element_type(dtype)
        nir.assign(out, nir.matmul(dtype, a, b, result_type))
    return body


def reduce_input(dtype: str, shape: tuple[int, ...], rng) -> np.ndarray:
    if dtype == "bool":
        return rng.random(shape) < 0.7
    if category(dtype) == "float":
        return rng.uniform(-2, 2, shape).astype(dtype)
    return rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max, shape, dtype=dtype,
                        endpoint=True)


@pytest.mark.parametrize("kind", REDUCE_CASES)
def test_reduce(kind):
    kernels = reduction_kernels()
    rng = np.random.default_rng(1)
    for dtype, axes, keepdims in itertools.product(REDUCE_CASES[kind], REDUCE_AXES,
                                                   (False, True)):
        shapes = [(2, 3, 4), (1, 5, 1)] + ([(2, 0, 3)] if kind not in ("min", "max") else [])
        for shape in shapes:
            x = reduce_input(dtype, shape, rng)[..., ::-1]
            accumulate = {"dtype": dtype} if kind in ("sum", "prod") else {}
            expected = np.asarray(NUMPY_REDUCE[kind](x, axis=axes, keepdims=keepdims,
                                                     **accumulate))
            out = np.empty(expected.shape, dtype)
            kernels[reduce_name(kind, dtype, axes, keepdims)](x, out)
            budget = 64 if category(dtype) == "float" else 0  # summation order differs
            assert_matches(out, expected, budget, f"{kind} {dtype} {axes} {keepdims} {shape}")


def test_min_max_propagate_nan():
    kernels = reduction_kernels()
    x = np.array([1.0, np.nan, -3.0, 2.0]).reshape(1, 2, 2)
    out = np.empty(())
    kernels[reduce_name("min", "float64", (0, 1, 2), False)](x, out)
    assert np.isnan(out)
    out32 = np.empty((1, 1, 1), np.float32)
    kernels[reduce_name("max", "float32", (1, 2), True)](x.astype(np.float32), out32)
    assert np.isnan(out32).all()


@pytest.mark.parametrize("dtype", ("float64", "int32", "bool"))
def test_matmul_ranks(dtype):
    kernels = reduction_kernels()
    rng = np.random.default_rng(2)
    for (ra, rb), (n, k, m) in itertools.product(itertools.product((1, 2), (1, 2)),
                                                 [(3, 4, 5), (2, 0, 3), (1, 1, 1)]):
        a = reduce_input(dtype, (n, k)[2 - ra:], rng)
        b = reduce_input(dtype, (k, m)[:rb], rng)
        if ra == 2:
            a = np.asfortranarray(a)
        expected = np.asarray(np.matmul(a, b))
        out = np.empty(expected.shape, dtype)
        kernels[f"matmul_{dtype}_{ra}_{rb}"](a, b, out)
        assert_matches(out, expected, 8 if dtype == "float64" else 0)


# --- creation: empty, full, arange ----------------------------------------------------------

def _dims_of(out):
    return [memref.dim(out, arith.constant(ir.IndexType.get(), d))
            for d in range(ir.MemRefType(out.type).rank)]


@cache
def creation_kernels() -> dict:
    module = KernelModule()
    for dtype in ("float64", "int8", "bool"):
        module.add(f"full_{dtype}", [scalar(dtype), array(dtype, 2)],
                   lambda v, out, d=dtype: nir.assign(out, nir.full(d, v, _dims_of(out))))
    module.add("full_rank0", [scalar("int64"), array("int64", 0)],
               lambda v, out: nir.assign(out, nir.full("int64", v, [])))
    module.add("empty_then_fill", [scalar("uint8"), array("uint8", 3)], _fill_empty)
    for dtype in ("float64", "float32", "int64", "int8", "uint64"):
        module.add(f"arange_{dtype}", [scalar(dtype), scalar(dtype), array(dtype, 1)],
                   lambda start, step, out, d=dtype:
                   nir.assign(out, nir.arange(d, start, step, _dims_of(out)[0])))
    return module.compile()


def _fill_empty(value, out):
    fresh = nir.empty("uint8", _dims_of(out))
    nir.assign(fresh, value)
    nir.assign(out, fresh)


def test_full_and_empty():
    kernels = creation_kernels()
    for dtype, value in (("float64", -0.25), ("int8", -7), ("bool", True)):
        out = np.zeros((3, 4), dtype)
        kernels[f"full_{dtype}"](value, out)
        assert_matches(out, np.full((3, 4), value, dtype))
    out0 = np.zeros((), np.int64)
    kernels["full_rank0"](-5, out0)
    assert out0 == -5
    out3 = np.zeros((2, 0, 2), np.uint8)
    kernels["empty_then_fill"](9, out3)
    out3 = np.zeros((2, 3, 2), np.uint8)
    kernels["empty_then_fill"](9, out3)
    assert (out3 == 9).all()


@pytest.mark.parametrize("dtype, start, step, count", [
    ("float64", 0.1, 0.1, 50), ("float64", -3.0, 0.7, 0), ("float32", 1.0, -0.3, 33),
    ("int64", -5, 3, 20), ("int8", 100, 7, 10), ("uint64", 2**63, 2**62, 5),
])
def test_arange(dtype, start, step, count):
    out = np.empty(count, dtype)
    creation_kernels()[f"arange_{dtype}"](start, step, out)
    start_value, step_value = np.dtype(dtype).type(start), np.dtype(dtype).type(step)
    if category(dtype) == "float":
        expected = np.arange(start_value, start_value + count * step_value, step_value,
                             dtype=dtype)[:count]
    else:  # NumPy's integer arange cannot wrap; the element formula can.
        expected = (np.arange(count, dtype=np.uint64) * np.uint64(step_value)
                    + np.uint64(start_value)).astype(dtype)
    assert_matches(out, expected)


# --- the lowered module itself -------------------------------------------------------------

def test_lowered_module_has_only_upstream_ops():
    module = KernelModule()
    module.add("mix", [array("float64", 2), array("float64", 2)],
               lambda x, out: nir.assign(out, nir.unary("expm1", "float64", nir.binary(
                   "hypot", "float64", x, x, nir.array_type("float64", 2)),
                   nir.array_type("float64", 2))))
    with module.context:
        from noodle.passes.lower_nir import lower_nir
        lower_nir(module.module)
        text = str(module.module)
    assert "nir." not in text
    assert "linalg.generic" in text and "@hypot" in text and "@expm1" in text


def test_pass_manager_runs_lower_nir_by_name():
    from mlir import passmanager
    from noodle.passes.lower_nir import PASS_NAME, lower_nir_pass
    module = KernelModule()
    module.add("neg", [array("int8", 1), array("int8", 1)],
               result_array(lambda x, t: nir.unary("neg", "int8", x, t), "int8", 1))
    with module.context:
        pm = passmanager.PassManager()
        pm.add(lower_nir_pass, name=PASS_NAME)
        pm.run(module.module.operation)
        lower_to_llvm_dialect(module.module)
    assert "nir." not in str(module.module)
