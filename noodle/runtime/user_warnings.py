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
    module_globals = frame.f_globals
    warnings.warn_explicit(
        warning, type(warning), frame.f_code.co_filename, frame.f_lineno,
        module=module_globals.get("__name__"),
        registry=module_globals.setdefault("__warningregistry__", {}),
        module_globals=module_globals)
