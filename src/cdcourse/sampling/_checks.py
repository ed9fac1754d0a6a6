"""Number checks for the sampling modules.

``cdcourse._validate.require_number`` is called with both bounds given (infinite when open), so its
message always reads as an interval, e.g. "margin must be a number in (0, inf]; got -0.05".
"""
from __future__ import annotations

import math

from cdcourse._validate import require_number


def number(value, param: str, *, low: float = -math.inf, high: float = math.inf, **kwargs) -> float:
    """``require_number`` with open ends written as infinities.

    >>> number(5, "n", low=1, integer=True)
    5
    """
    return require_number(value, param, low=float(low), high=float(high), **kwargs)
