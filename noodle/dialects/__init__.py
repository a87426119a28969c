"""noodle's MLIR dialects (`nir` and `catseq`, defined in IRDL), their thin builders, and the
one context that loads them."""
from noodle.dialects.context import make_context

__all__ = ["make_context"]
