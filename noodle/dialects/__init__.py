"""noodle's MLIR dialects (`nir`, defined in IRDL) and the context that loads them."""
from noodle.dialects.context import make_context

__all__ = ["make_context"]
