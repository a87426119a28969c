"""A Python function's source: its AST, where it lives, and the names it can see.

The AST is parsed from the function's lines as they are in the file, indentation
included, so that a node's `col_offset` is its column in the file: the frontend's
`file:line:col` and the caret under the source line point at the construct in a method
or a nested function too.
"""
from __future__ import annotations

import ast
import inspect
import linecache
import tokenize
from dataclasses import dataclass, field
from functools import cached_property
from types import FunctionType

from noodle.errors import SourceLocation, UnsupportedError


#: put before an indented `def` so that it parses where it stands: an `if` body takes any
#: indentation, spaces or tabs, and the lines are not rewritten
_INDENTED_BLOCK = "if 1:\n"


def _parse_as_written(text: str) -> ast.stmt:
    """The first statement of `text` (a function's lines, from the file), with the
    columns of the file and lines counted from `text`'s first line.

    Not `textwrap.dedent`: its columns are short by the indentation, it rewrites the
    lines of a multi-line string, and a continuation line inside brackets indented less
    than the `def` (legal Python) leaves the `def` itself indented, which does not parse.
    """
    if not text[:1].isspace():
        return ast.parse(text).body[0]
    statement = ast.parse(_INDENTED_BLOCK + text).body[0].body[0]
    return ast.increment_lineno(statement, -1)  # the header line is not the file's


def _unparsable(pyfunc: FunctionType, where: SourceLocation) -> UnsupportedError:
    return UnsupportedError(f"the source of {pyfunc.__qualname__} does not parse where its "
                            "file has it", where, "was the file edited since it was "
                            "imported? Run the program again")


def _lambda_as_def(pyfunc: FunctionType, where: SourceLocation) -> ast.FunctionDef:
    """A lambda as the `def` it stands for, with lines counted from the lambda's.

    It is found in its whole file, parsed: its lines alone need not parse (`{"f": lambda
    x: x + 1,` is half a dict). Of several lambdas on its line, it is the one whose body
    holds most of its code's positions (`co_positions`)."""
    code = pyfunc.__code__
    try:
        module = ast.parse("".join(linecache.getlines(code.co_filename, pyfunc.__globals__)))
    except (SyntaxError, ValueError):
        module = ast.Module(body=[], type_ignores=[])
    found = [node for node in ast.walk(module) if isinstance(node, ast.Lambda)
             and node.lineno == code.co_firstlineno]
    if len(found) > 1:  # of several on the line, the one whose body holds its code
        positions = [p for p in code.co_positions() if None not in p and p[2] != p[3]]
        scores = [sum(_within(p, node.body) for p in positions) for node in found]
        found = [node for node, score in zip(found, scores) if score == max(scores)]
    if len(found) != 1:
        raise UnsupportedError("the source of this lambda cannot be found in its file",
                               where, "define the function with `def` in a file")
    [node] = found
    body = ast.copy_location(ast.Return(node.body), node.body)
    tree = ast.copy_location(ast.FunctionDef("<lambda>", node.args, [body], [], None, None),
                             node)
    return ast.increment_lineno(tree, 1 - code.co_firstlineno)


def _within(position: tuple[int, int, int, int], node: ast.AST) -> bool:
    """Whether a code position (line, end line, column, end column) lies in `node`."""
    line, end_line, column, end_column = position
    return ((line, column) >= (node.lineno, node.col_offset)
            and (end_line, end_column) <= (node.end_lineno, node.end_col_offset))


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
        except (SyntaxError, tokenize.TokenError):
            raise _unparsable(pyfunc, where) from None
        text = "".join(lines)
        if code.co_name == "<lambda>":
            return cls(pyfunc, _lambda_as_def(pyfunc, where), code.co_filename,
                       code.co_firstlineno, text)
        try:
            tree = _parse_as_written(text)
        except SyntaxError:
            raise _unparsable(pyfunc, where) from None
        if not isinstance(tree, ast.FunctionDef):
            raise UnsupportedError(f"{pyfunc.__qualname__} is not a plain `def` function",
                                   where)
        tree.decorator_list = []
        return cls(pyfunc, tree, code.co_filename, first_line, text)

    @cached_property
    def arg_names(self) -> list[str]:
        """The parameters in order, keyword-only ones last: how callers pass them."""
        args = self.tree.args
        if args.vararg or args.kwarg:
            raise UnsupportedError("*args and **kwargs parameters are not supported",
                                   SourceLocation(self.filename, self.first_line, 0),
                                   "name the parameters")
        return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]

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
