"""A host plan as a Python function: the same ops `gpu_plan.PlanRun` interprets, written
out once per program as Python source and compiled, so that a call runs straight-line
code on local variables instead of looking up a handler and the values of each op.

Integer arithmetic on index and iN values (most of a plan: shapes, strides, grid sizes)
becomes inline expressions that wrap as the interpreter's `_wrap` does; every other op
calls the interpreter's own handler, so the two cannot disagree on what an op means.
`tests/gpu/test_plan.py` runs both on every example and compares the launches.
"""
from __future__ import annotations

from collections.abc import Callable

from noodle.runtime import gpu_plan

#: arith.cmpi predicate -> (Python operator, unsigned)
_CMPI = {0: ("==", False), 1: ("!=", False), 2: ("<", False), 3: ("<=", False),
         4: (">", False), 5: (">=", False), 6: ("<", True), 7: ("<=", True), 8: (">", True),
         9: (">=", True)}

_INLINE_ARITH = {"arith.addi": "+", "arith.subi": "-", "arith.muli": "*"}
_BITWISE = {"arith.andi": "&", "arith.ori": "|", "arith.xori": "^"}
_MASK64 = (1 << 64) - 1


def _wrapped(expression: str, t: str) -> str:
    """`expression` wrapped to integer type `t` in signed form (i1 as 0/1)."""
    width = 64 if t == "index" else int(t[1:])
    if width == 1:
        return f"(({expression}) & 1)"
    half, mask = 1 << (width - 1), (1 << width) - 1
    return f"(((({expression}) + {half}) & {mask}) - {half})"


class _Writer:
    def __init__(self, prepared: gpu_plan.PreparedPlan):
        self.prepared = prepared
        self.lines: list[str] = []
        self.globals: dict[str, object] = {}

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def block(self, ops: list[dict], depth: int) -> list[str] | None:
        """Writes a region's ops; returns the names its terminator yields, if any."""
        wrote = False
        for op in ops:
            name = op["op"]
            ins = [f"v{i}" for i in op["in"]]
            if name == "arith.constant":
                continue  # bound once at the top
            if name in ("scf.yield", "scf.condition"):
                if not wrote:
                    self.emit(depth, "pass")
                return ins
            wrote = True
            if name == "func.return":
                self.emit(depth, f"return [{', '.join(ins)}]")
            elif not self.inline(op, ins, depth):
                self.structured(op, ins, depth) or self.call(op, ins, depth)
        if not wrote:
            self.emit(depth, "pass")
        return None

    def inline(self, op: dict, ins: list[str], depth: int) -> bool:
        name, outs = op["op"], [f"v{o}" for o in op["out"]]
        if name in _INLINE_ARITH:
            expression = f"{ins[0]} {_INLINE_ARITH[name]} {ins[1]}"
            self.emit(depth, f"{outs[0]} = {_wrapped(expression, op['types'][0])}")
        elif name in _BITWISE:
            self.emit(depth, f"{outs[0]} = {ins[0]} {_BITWISE[name]} {ins[1]}")
        elif name in ("arith.maxsi", "arith.minsi"):
            function = "max" if name == "arith.maxsi" else "min"
            self.emit(depth, f"{outs[0]} = {function}({ins[0]}, {ins[1]})")
        elif name == "arith.cmpi":
            symbol, unsigned = _CMPI[op["attrs"]["predicate"]]
            a, b = (f"({v} & {_MASK64})" for v in ins) if unsigned else ins
            self.emit(depth, f"{outs[0]} = int({a} {symbol} {b})")
        elif name == "arith.select":
            self.emit(depth, f"{outs[0]} = {ins[1]} if {ins[0]} else {ins[2]}")
        elif name == "memref.dim":
            self.emit(depth, f"{outs[0]} = {ins[0]}.sizes[{ins[1]}]")
        elif name == "memref.cast":
            self.emit(depth, f"{outs[0]} = {ins[0]}")
        elif name == "memref.dealloc":
            pass
        else:
            return False
        return True

    def structured(self, op: dict, ins: list[str], depth: int) -> bool:
        name, outs = op["op"], [f"v{o}" for o in op["out"]]
        if name == "scf.if":
            self.emit(depth, f"if {ins[0]}:")
            for k, region in enumerate(op["regions"]):
                if k:
                    self.emit(depth, "else:")
                self.region(region, depth + 1, outs)
            return True
        if name == "scf.for":
            region = op["regions"][0]
            iv, *carried = (f"v{a}" for a in region["args"])
            for name_, value in zip(carried, ins[3:]):
                self.emit(depth, f"{name_} = {value}")
            self.emit(depth, f"for {iv} in range({ins[0]}, {ins[1]}, {ins[2]}):")
            self.region(region, depth + 1, carried)
            for out, name_ in zip(outs, carried):
                self.emit(depth, f"{out} = {name_}")
            return True
        if name == "scf.while":
            before, after = op["regions"]
            for name_, value in zip((f"v{a}" for a in before["args"]), ins):
                self.emit(depth, f"{name_} = {value}")
            self.emit(depth, "while True:")
            condition, *forwarded = self.block(before["body"], depth + 1)
            self.emit(depth + 1, f"if not {condition}:")
            for out, value in zip(outs, forwarded):
                self.emit(depth + 2, f"{out} = {value}")
            self.emit(depth + 2, "break")
            for name_, value in zip((f"v{a}" for a in after["args"]), forwarded):
                self.emit(depth + 1, f"{name_} = {value}")
            yielded = self.block(after["body"], depth + 1) or []
            for name_, value in zip((f"v{a}" for a in before["args"]), yielded):
                self.emit(depth + 1, f"{name_} = {value}")
            return True
        return False

    def region(self, region: dict, depth: int, targets: list[str]) -> None:
        yielded = self.block(region["body"], depth) or []
        for target, value in zip(targets, yielded):
            self.emit(depth, f"{target} = {value}")

    def call(self, op: dict, ins: list[str], depth: int) -> None:
        """An op the writer does not inline: the interpreter's handler for it."""
        k = len(self.globals)
        self.globals[f"H{k}"] = gpu_plan._handler(op["op"])
        self.globals[f"O{k}"] = op
        outs = [f"v{o}" for o in op["out"]]
        target = f"{', '.join(outs)}, = " if outs else ""
        self.emit(depth, f"{target}H{k}(run, [{', '.join(ins)}], O{k})")


def plan_function(prepared: gpu_plan.PreparedPlan) -> Callable[[gpu_plan.PlanRun, list], list]:
    """The plan as `f(run, args) -> results`, for `run` a `PlanRun` (its device, its
    record of written arguments) and `args` the values of the function's arguments."""
    writer = _Writer(prepared)
    plan = prepared.plan
    writer.emit(0, "def run_plan(run, args):")
    constants = sorted(prepared.constants)
    writer.globals["K"] = tuple(prepared.constants[c] for c in constants)
    if constants:
        writer.emit(1, f"{''.join(f'v{c}, ' for c in constants)}= K")
    if plan["args"]:
        writer.emit(1, f"{''.join(f'v{a}, ' for a in plan['args'])}= args")
    writer.block(plan["body"], 1)
    writer.emit(1, "return []")
    source = "\n".join(writer.lines) + "\n"
    namespace = dict(writer.globals)
    exec(compile(source, "<noodle gpu plan>", "exec"), namespace)  # noqa: S102 (our source)
    function = namespace["run_plan"]
    function.source = source
    return function
