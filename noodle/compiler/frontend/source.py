"""A Python function's source: its AST, where it lives, and the names it can see."""
from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass, field
from functools import cached_property
from types import FunctionType

from noodle.errors import SourceLocation, UnsupportedError


@dataclass
class FunctionSource:
    pyfunc: FunctionType
    tree: ast.FunctionDef
    filename: str
    first_line: int
    text: str
    #: the outside names (dotted for module attributes) compiled code read, and what
    #: they were: a kernel depends on them (`compiler/dependencies.py`)
    reads: dict[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, pyfunc: FunctionType) -> FunctionSource:
        code = pyfunc.__code__
        where = SourceLocation(code.co_filename, code.co_firstlineno, 0)
        try:
            lines, first_line = inspect.getsourcelines(pyfunc)
        except (OSError, TypeError):
            raise UnsupportedError(f"the source of {pyfunc.__qualname__} is not available",
                                   where, "define the function in a file") from None
        text = textwrap.dedent("".join(lines))
        module = ast.parse(text)
        tree = module.body[0]
        if not isinstance(tree, ast.FunctionDef):
            raise UnsupportedError(f"{pyfunc.__qualname__} is not a plain `def` function",
                                   where)
        tree.decorator_list = []
        return cls(pyfunc, tree, code.co_filename, first_line, text)

    @cached_property
    def arg_names(self) -> list[str]:
        args = self.tree.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            raise UnsupportedError("only plain positional parameters are supported",
                                   SourceLocation(self.filename, self.first_line, 0))
        return [a.arg for a in args.args]

    def globals_and_closure(self) -> dict:
        """Names the function reads from outside: its closure cells, then its globals."""
        scope = dict(self.pyfunc.__globals__)
        if self.pyfunc.__closure__:
            for name, cell in zip(self.pyfunc.__code__.co_freevars, self.pyfunc.__closure__):
                try:
                    scope[name] = cell.cell_contents
                except ValueError:  # an empty cell: the name is not bound yet
                    pass
        return scope
