"""Warnings that point at the user's code: the innermost frame outside noodle's package.

A fixed `stacklevel` points into noodle as soon as the path from the user's call to the
warning changes (a cache write is reached from a call, from `noodle.compile`, from the
tier-up); the user wants the line of their own code that led to it."""
from __future__ import annotations

import sys
import warnings
from pathlib import Path

_PACKAGE = str(Path(__file__).resolve().parents[1])


def warn_in_user_code(warning: Warning) -> None:
    """`warnings.warn(warning)` at the innermost calling frame outside noodle (the
    outermost frame if all of them are noodle's: a background compile's thread)."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    # as warnings.warn does, without module_globals: a loader's get_source would be asked
    # for the line, and `python -c`'s __main__ has a loader that raises ImportError
    warnings.warn_explicit(
        warning, type(warning), frame.f_code.co_filename, frame.f_lineno,
        module=frame.f_globals.get("__name__"),
        registry=frame.f_globals.setdefault("__warningregistry__", {}))
