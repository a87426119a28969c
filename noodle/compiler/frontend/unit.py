"""A compilation unit: one MLIR module holding a function and everything it calls."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from types import FunctionType

from mlir import ir

from noodle.compiler.errors_table import ErrorSite
from noodle.compiler.frontend.regions import Hints
from noodle.compiler.frontend.source import FunctionSource
from noodle.compiler.options import CompileOptions
from noodle.compiler.types import NType
from noodle.errors import LoweringError, NoodleError, SourceLocation, UnsupportedError

MAX_ROUNDS = 32


@dataclass
class GeneratedFunction:
    symbol: str
    result_type: NType


class CompilationUnit:
    def __init__(self, context: ir.Context, options: CompileOptions):
        self.context = context
        self.options = options
        with context, ir.Location.unknown():
            self.module = ir.Module.create()
        self.sites: list[ErrorSite] = []
        self._functions: dict[tuple, GeneratedFunction] = {}
        #: every function compiled into the module, the entry first (dict: ordered)
        self.sources: dict[FunctionType, FunctionSource] = {}
        self._in_progress: set[tuple] = set()

    def error_site(self, kind: str, where: SourceLocation | None,
                   message: str | None = None) -> int:
        """The status code that compiled code stores for this error (1-based)."""
        return self._code(ErrorSite.of_kind(kind, where, message))

    def error_site_for(self, exc_type: type[Exception], message: str,
                       where: SourceLocation | None) -> int:
        """The status code of a `raise` in the user's code."""
        return self._code(ErrorSite(exc_type, message, where, raised_by_user=True))

    def _code(self, site: ErrorSite) -> int:
        if site not in self.sites:
            self.sites.append(site)
        return self.sites.index(site) + 1

    def function(self, pyfunc: FunctionType, arg_types: tuple[NType, ...],
                 call_node: ast.AST | None = None,
                 returns: NType | None = None) -> tuple[str, NType]:
        """Generate (once) the specialisation of `pyfunc` for `arg_types`, returning the
        type a signature declares, `returns`, when one does (`FunctionCodegen.finish`)."""
        key = (pyfunc, arg_types, returns)
        if key in self._functions:
            fn = self._functions[key]
            return fn.symbol, fn.result_type
        if key in self._in_progress:
            code = pyfunc.__code__
            raise UnsupportedError(f"recursive call of {pyfunc.__qualname__} is not supported",
                                   SourceLocation(code.co_filename, code.co_firstlineno, 0))
        self._in_progress.add(key)
        try:
            generated = self._generate(pyfunc, arg_types, returns)
        finally:
            self._in_progress.discard(key)
        self._functions[key] = generated
        return generated.symbol, generated.result_type

    def _generate(self, pyfunc: FunctionType, arg_types: tuple[NType, ...],
                  returns: NType | None) -> GeneratedFunction:
        from noodle.compiler.frontend.codegen import FunctionCodegen

        source = self.sources.get(pyfunc) or FunctionSource.of(pyfunc)
        self.sources[pyfunc] = source
        if len(source.arg_names) != len(arg_types):
            raise UnsupportedError(f"{pyfunc.__qualname__} takes {len(source.arg_names)} "
                                   f"arguments, {len(arg_types)} given")
        symbol = self._symbol_for(pyfunc)
        hints = Hints()
        with self.context, ir.Location.unknown(), ir.InsertionPoint(self.module.body):
            for _ in range(MAX_ROUNDS):
                hints.changed = False
                gen = FunctionCodegen(self, source, arg_types, symbol, hints, returns)
                try:
                    gen.generate()
                except NoodleError:
                    if not hints.changed:  # a real error, not one from missing knowledge
                        raise
                if not hints.changed:
                    return GeneratedFunction(symbol, gen.return_type)
                gen.fn.operation.erase()
        raise LoweringError(f"type inference for {pyfunc.__qualname__} did not settle")

    def _symbol_for(self, pyfunc: FunctionType) -> str:
        # prefixed: a kernel named like a C library function (`sin`, `exp`) would be
        # called in its place, by itself and by every other kernel in the process
        base = "noodle_fn_" + re.sub(r"\W", "_", pyfunc.__qualname__)
        taken = {str(ir.StringAttr(op.attributes["sym_name"]).value)
                 for op in self.module.body.operations if "sym_name" in op.attributes}
        name, n = base, 1
        while name in taken:
            n += 1
            name = f"{base}_{n}"
        return name
