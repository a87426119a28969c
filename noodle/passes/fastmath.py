"""The `apply-fastmath` pass: LLVM's fast-math flags on the program's float arithmetic.

With them (`@jit(fastmath=...)`) LLVM may treat that arithmetic as real arithmetic.
The flags are LLVM's (and `arith.fastmath`'s): `reassoc` (regroup sums and products,
which is what lets a float sum run on SIMD lanes), `contract` (fuse a multiply and an
add), `nnan` and `ninf` (assume no NaN or infinity appears: `np.isnan` may then be
folded to False), `nsz` (ignore the sign of zero), `arcp` (divide by multiplying with
the reciprocal), `afn` (approximate functions). `fast` is all of them.

The pass runs after `lower-nir` and before the math approximation passes, so it marks
the arithmetic the program asked for and leaves the approximations' own evaluation
alone: exp, log, ... keep their documented error bound for the inputs they get, but
those inputs may differ from a strict evaluation's by what the flags allow.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

from mlir import ir

from noodle.passes.ir_walk import ops_where

PASS_NAME = "apply-fastmath"

#: Options for `apply-fastmath{flags=...}` in a noodle-opt pipeline: name -> (default, help)
PASS_OPTIONS = {"flags": ("fast", "comma-separated arith.fastmath flags to set: reassoc, "
                                  "contract, nnan, ninf, nsz, arcp, afn, or fast (all)",
                          "string")}

#: The flag names `#arith.fastmath<...>` accepts
FLAGS = ("reassoc", "nnan", "ninf", "nsz", "arcp", "contract", "afn", "fast", "none")

#: Float ops with a `fastmath` attribute (the arith and math ops that implement
#: `ArithFastMathInterface`)
_FLOAT_OPS = {f"arith.{name}" for name in (
    "addf", "subf", "mulf", "divf", "remf", "negf", "cmpf", "maximumf", "minimumf",
    "maxnumf", "minnumf")}


def apply_fastmath(module: ir.Module, flags: Iterable[str] = ("fast",)) -> None:
    apply_fastmath_in(module.operation, flags)


def fastmath_pass(op: ir.Operation, pass_: object) -> None:
    """The pass callable for `PassManager.add(fastmath_pass, name=PASS_NAME)`:
    every flag."""
    apply_fastmath_in(op, ("fast",))


def configure_pass(flags: str = "fast") -> Callable[[ir.Operation, object], None]:
    """The pass callable for `apply-fastmath{flags=...}`; an unknown flag is a ValueError."""
    chosen = tuple(f for f in flags.split(",") if f)
    unknown = [f for f in chosen if f not in FLAGS]
    if unknown:
        raise ValueError(f"unknown fast-math flag {unknown[0]!r}; expected some of "
                         f"{', '.join(FLAGS)}")
    kept = tuple(f for f in chosen if f != "none")

    def run(op: ir.Operation, pass_: object) -> None:
        apply_fastmath_in(op, kept)
    return run


def apply_fastmath_in(root: ir.Operation, flags: Iterable[str]) -> None:
    """Sets `flags` (names of `arith.fastmath` flags) on every float arith and math op
    nested in `root`."""
    chosen = sorted(flags)
    if not chosen:
        return
    attribute = ir.Attribute.parse(f"#arith.fastmath<{','.join(chosen)}>")
    for op in ops_where(root, lambda op: op.name in _FLOAT_OPS or (
            op.name.startswith("math.") and "fastmath" in op.attributes)):
        op.attributes["fastmath"] = attribute
