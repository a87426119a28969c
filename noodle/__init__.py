"""noodle: an MLIR-based JIT compiler for NumPy-style Python."""
from noodle.compiler.prange import prange
from noodle.errors import (NoodleCacheWarning, NoodleError, NoodleFallbackWarning,
                           TypingError, UnsupportedError)
from noodle.runtime.aot_library import load
from noodle.runtime.config import config
from noodle.runtime.dispatcher import compile, jit
from noodle.runtime.profiler import stats

__all__ = ["jit", "compile", "load", "prange", "stats", "config", "NoodleError",
           "NoodleFallbackWarning", "NoodleCacheWarning", "TypingError", "UnsupportedError"]
__version__ = "0.1.0"
