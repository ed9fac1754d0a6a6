"""The one exception family of the kit.

Every function that rejects its input raises :class:`CdcourseError` (a ``ValueError``), with a
message that names the parameter or column, the offending value, and what was expected.
"""
from __future__ import annotations


class CdcourseError(ValueError):
    """Input that the kit cannot work with; the message says which and what was expected.

    Examples
    --------
    >>> try:
    ...     raise CdcourseError("margin must be > 0, got -0.05")
    ... except ValueError as err:
    ...     print(err)
    margin must be > 0, got -0.05
    """
