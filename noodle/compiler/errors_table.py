"""Errors raised by compiled code: what each kind becomes in Python, and its sites.

Compiled code reports a failure by storing a site number in the status cell it gets as
its first argument; the site says which exception to raise and where in the source.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from noodle.errors import SourceLocation

#: kind -> (exception type, message)
ERROR_KINDS: dict[str, tuple[type[Exception], str]] = {
    "zero_division": (ZeroDivisionError, "division by zero"),
    "index": (IndexError, "index out of bounds"),
    "broadcast": (ValueError, "operands could not be broadcast together"),
    "matmul": (ValueError, "matmul: mismatch in the core dimension of the operands"),
    "range_step": (ValueError, "range() arg 3 must not be zero"),
    "slice_step": (ValueError, "slice step cannot be zero"),
    "unbound_local": (UnboundLocalError, "local variable referenced before assignment"),
    "iterate_0d": (TypeError, "iteration over a 0-d array"),
    "arange_size": (ValueError, "Maximum allowed size exceeded"),
    "arange_step": (ZeroDivisionError, "np.arange: step must not be zero"),
    "axis": (np.exceptions.AxisError, "axis is out of bounds for the array"),
    "empty_reduction": (ValueError, "zero-size array to reduction operation which has no "
                                    "identity"),
    "negative_dimension": (ValueError, "negative dimensions are not allowed"),
    "negative_power": (ValueError, "Integers to negative integer powers are not allowed."),
    "python_int": (OverflowError, "Python integer out of bounds"),
    "float_nan": (ValueError, "cannot convert float NaN to integer"),
    "float_infinity": (OverflowError, "cannot convert float infinity to integer"),
    "power_range": (OverflowError, "Numerical result out of range"),
    "complex_power": (ValueError, "a negative number to a fractional power is complex in "
                                  "Python; compiled code has no complex numbers"),
    "negative_shift": (ValueError, "negative shift count"),
    "math_domain": (ValueError, "math domain error"),
    "math_range": (OverflowError, "math range error"),
    "assert": (AssertionError, "assertion failed"),
    "readonly": (ValueError, "assignment destination is read-only"),
    "readonly_output": (ValueError, "output array is read-only"),
    "mask_shape": (IndexError, "boolean index did not match indexed array"),
    "item_size": (ValueError, "can only convert an array of size 1 to a Python scalar"),
    "empty_arg": (ValueError, "attempt to get argmax of an empty sequence"),
    "bincount_minlength": (ValueError, "'minlength' must not be negative"),
    "bincount_negative": (ValueError, "'list' argument must have no negative elements"),
    "bincount_weights": (ValueError, "The weights and list don't have the same length."),
    "digitize_bins": (ValueError, "bins must be monotonically increasing or decreasing"),
    "interp_empty": (ValueError, "array of sample points is empty"),
    "interp_lengths": (ValueError, "fp and xp are not of the same length."),
    "percentile_range": (ValueError, "Percentiles must be in the range [0, 100]"),
    "quantile_range": (ValueError, "Quantiles must be in the range [0, 1]"),
    "average_shape": (TypeError, "Axis must be specified when shapes of a and weights "
                                 "differ."),
    "average_axis": (ValueError, "Shape of weights must be consistent with shape of a "
                                 "along specified axis."),
    "average_zero": (ZeroDivisionError, "Weights sum to zero, can't be normalized"),
    "histogram_bins": (ValueError, "`bins` must be positive, when an integer"),
    "histogram_range_order": (ValueError, "max must be larger than min in range parameter."),
    "histogram_range": (ValueError, "supplied range is not finite"),
    "histogram_autodetected": (ValueError, "autodetected range is not finite"),
    "histogram_too_many_bins": (ValueError, "Too many bins for data range. Cannot create "
                                            "that many finite-sized bins."),
    "convolve_empty": (ValueError, "v cannot be empty"),
    "nonzero_0d": (ValueError, "Calling nonzero on 0d arrays is not allowed. Use "
                               "np.atleast_1d(scalar).nonzero() instead."),
    "inhomogeneous": (ValueError, "setting an array element with a sequence: the "
                                  "requested array has an inhomogeneous shape"),
    "join_empty": (ValueError, "need at least one array to concatenate"),
    "join_zero_d": (ValueError, "zero-dimensional arrays cannot be concatenated"),
    "join_ndim": (ValueError, "all the input arrays must have same number of dimensions"),
    "join_shape": (ValueError, "all the input array dimensions except for the "
                               "concatenation axis must match exactly"),
    "stack_shape": (ValueError, "all input arrays must have the same shape"),
    "linspace_num": (ValueError, "Number of samples must be non-negative."),
    "reshape_size": (ValueError, "cannot reshape array: its size differs from the new "
                                 "shape's"),
    "reshape_unknown": (ValueError, "can only specify one unknown dimension"),
    "out_of_memory": (MemoryError, "unable to allocate an array: out of memory"),
    "array_too_big": (ValueError, "array is too big; `arr.size * arr.dtype.itemsize` is "
                                  "larger than the maximum possible size."),
}


@dataclass(frozen=True)
class ErrorSite:
    exc_type: type[Exception]
    message: str
    where: SourceLocation | None
    #: a `raise` in the user's code: its message is theirs, shown as they wrote it
    raised_by_user: bool = False

    @classmethod
    def of_kind(cls, kind: str, where: SourceLocation | None,
                message: str | None = None) -> ErrorSite:
        """`message`: the kind's exception with a text of its own (one naming a value)."""
        exc_type, default = ERROR_KINDS[kind]
        return cls(exc_type, message or default, where)

    def exception(self) -> Exception:
        if self.raised_by_user or self.where is None:
            return self.exc_type(self.message) if self.message else self.exc_type()
        return self.exc_type(f"{self.message} (at {self.where})")
