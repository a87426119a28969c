"""catseq's exceptions. Each names what is wrong, on which channel, and when."""
from __future__ import annotations

from noodle.errors import NoodleError


class CatseqError(NoodleError):
    """Base class of timing-sequence errors."""


class DurationError(CatseqError, ValueError):
    """A duration that is not a whole number of clock cycles, negative, or not a time."""


class ChannelOverlapError(CatseqError, ValueError):
    """`a | b` where a and b use a channel in common."""


class StateError(CatseqError, ValueError):
    """An operation whose channel is not in the state the operation starts from."""
