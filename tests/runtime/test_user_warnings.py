"""Warnings raised inside noodle name the user's line, from a file or from `python -c`."""
from __future__ import annotations

import subprocess
import sys
import warnings

from noodle.runtime.user_warnings import warn_in_user_code


def noodle_like_caller() -> None:
    warn_in_user_code(UserWarning("from inside"))


def test_the_warning_names_the_innermost_frame_outside_noodle():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        noodle_like_caller()
    [warning] = caught
    # this test file is outside noodle's package: its own frame is the one named
    assert warning.filename == __file__
    assert warning.lineno == noodle_like_caller.__code__.co_firstlineno + 1


def test_a_warning_under_python_dash_c_is_shown_not_raised():
    code = ("from noodle.runtime.user_warnings import warn_in_user_code\n"
            "warn_in_user_code(UserWarning('shown'))\nprint('went on')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "UserWarning: shown" in done.stderr and "went on" in done.stdout
