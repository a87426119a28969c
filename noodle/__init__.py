"""noodle: an MLIR-based JIT compiler for NumPy-style Python."""
from noodle.errors import (NoodleError, NoodleFallbackWarning, TypingError,
                           UnsupportedError)
from noodle.runtime.dispatcher import jit

__all__ = ["jit", "NoodleError", "NoodleFallbackWarning", "TypingError", "UnsupportedError"]
__version__ = "0.1.0"
