"""Shared input checks, so every module words its errors the same way.

These are private helpers for the skill modules; each raises :class:`CdcourseError` naming the
parameter and what was expected.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from cdcourse.errors import CdcourseError

_MAX_LISTED = 12


def _listing(values: Iterable[Any]) -> str:
    values = [str(v) for v in values]
    shown = ", ".join(values[:_MAX_LISTED])
    if len(values) > _MAX_LISTED:
        shown += f", ... ({len(values) - _MAX_LISTED} more)"
    return shown


def require_frame(data: Any, param: str = "data", *, allow_empty: bool = False) -> pd.DataFrame:
    """Return ``data`` if it is a DataFrame (non-empty unless allowed), else raise.

    >>> require_frame(pd.DataFrame({"a": [1]})).shape
    (1, 1)
    """
    if not isinstance(data, pd.DataFrame):
        raise CdcourseError(f"{param} must be a pandas DataFrame, got {type(data).__name__}")
    if not allow_empty and len(data) == 0:
        raise CdcourseError(f"{param} is empty (0 rows); at least one record is needed")
    return data


def require_columns(data: pd.DataFrame, columns: str | Sequence[str] | None, param: str) -> list[str]:
    """Return ``columns`` as a list after checking each is a column of ``data``.

    >>> require_columns(pd.DataFrame({"age": [1]}), "age", "y")
    ['age']
    >>> require_columns(pd.DataFrame({"age": [1]}), ["agee"], "quasi_identifiers")
    Traceback (most recent call last):
    ...
    cdcourse.errors.CdcourseError: quasi_identifiers 'agee' is not a column of the data; columns are: age
    """
    if columns is None:
        return []
    cols = [columns] if isinstance(columns, str) else list(columns)
    for col in cols:
        if col not in data.columns:
            raise CdcourseError(
                f"{param} {col!r} is not a column of the data; columns are: {_listing(data.columns)}"
            )
    return cols


def require_choice(value: Any, choices: Sequence[Any], param: str) -> Any:
    """Return ``value`` if it is one of ``choices``, else raise naming them.

    >>> require_choice("drop", ["category", "wildcard", "drop"], "missing")
    'drop'
    """
    if value not in choices:
        raise CdcourseError(f"{param} must be one of {_listing(repr(c) for c in choices)}; got {value!r}")
    return value


def require_number(
    value: Any,
    param: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
) -> float:
    """Return ``value`` if it is a finite number within the bounds, else raise.

    >>> require_number(0.5, "p", low=0, high=1, low_inclusive=False, high_inclusive=False)
    0.5
    >>> require_number(1.5, "p", low=0, high=1, low_inclusive=False, high_inclusive=False)
    Traceback (most recent call last):
    ...
    cdcourse.errors.CdcourseError: p must be a number in (0, 1); got 1.5
    >>> require_number(0, "margin", low=0, low_inclusive=False)
    Traceback (most recent call last):
    ...
    cdcourse.errors.CdcourseError: margin must be a number in (0, inf); got 0
    >>> require_number(-1, "deff", low=1, high=float("inf"))
    Traceback (most recent call last):
    ...
    cdcourse.errors.CdcourseError: deff must be a number in [1, inf); got -1
    """
    # An infinite bound is never reached, so it reads as open whatever the flag says.
    low_open = low is None or np.isinf(low)
    high_open = high is None or np.isinf(high)
    lo_b = "[" if low_inclusive and not low_open else "("
    hi_b = "]" if high_inclusive and not high_open else ")"
    lo_text = "-inf" if low_open else f"{low:g}"
    hi_text = "inf" if high_open else f"{high:g}"
    span = f"{lo_b}{lo_text}, {hi_text}{hi_b}"
    kind = "a whole number" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise CdcourseError(f"{param} must be {kind} in {span}; got {value!r}")
    if not np.isfinite(value) or (integer and float(value) != int(value)):
        raise CdcourseError(f"{param} must be {kind} in {span}; got {value!r}")
    bad_low = low is not None and (value < low if low_inclusive else value <= low)
    bad_high = high is not None and (value > high if high_inclusive else value >= high)
    if bad_low or bad_high:
        raise CdcourseError(f"{param} must be {kind} in {span}; got {value!r}")
    return value


def require_positive_weights(data: pd.DataFrame, weight: str, param: str = "weight") -> np.ndarray:
    """Return the weight column as floats after checking every weight is present and > 0.

    >>> require_positive_weights(pd.DataFrame({"w": [1.0, 2.0]}), "w")
    array([1., 2.])
    >>> require_positive_weights(pd.DataFrame({"w": [1.0, None, -2.0]}), "w")
    Traceback (most recent call last):
    ...
    cdcourse.errors.CdcourseError: weight column 'w' has 1 missing and 1 negative value (rows 1, 2); weights must be > 0
    >>> require_positive_weights(pd.DataFrame({"w": ["1.5", "a"]}), "w")
    Traceback (most recent call last):
    ...
    cdcourse.errors.CdcourseError: weight column 'w' has 1 value that is not a number (e.g. 'a'; rows 1); weights must be numbers > 0
    """
    require_columns(data, weight, param)
    raw = data[weight]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    absent = raw.isna().to_numpy()
    missing = np.isnan(values) & absent
    not_number = np.isnan(values) & ~absent
    negative = values < 0
    zero = values == 0
    if not_number.any():
        count = int(not_number.sum())
        noun = "value that is" if count == 1 else "values that are"
        raise CdcourseError(
            f"{param} column {weight!r} has {count} {noun} not a number (e.g. {raw[not_number].iloc[0]!r}; "
            f"rows {_listing(data.index[not_number])}); weights must be numbers > 0"
        )
    if missing.any() or negative.any() or zero.any():
        parts = []
        if missing.any():
            parts.append(f"{int(missing.sum())} missing")
        if zero.any():
            parts.append(f"{int(zero.sum())} zero")
        if negative.any():
            parts.append(f"{int(negative.sum())} negative")
        bad_rows = data.index[missing | negative | zero]
        last_count = int((negative if negative.any() else zero if zero.any() else missing).sum())
        noun = "value" if last_count == 1 else "values"
        raise CdcourseError(
            f"{param} column {weight!r} has {' and '.join(parts)} {noun} "
            f"(rows {_listing(bad_rows)}); weights must be > 0"
        )
    return values


def make_rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    """A numpy Generator from a seed or an existing Generator (same seed, same draws).

    >>> bool(make_rng(1).integers(0, 100) == make_rng(1).integers(0, 100))
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise CdcourseError(f"seed must be a whole number or a numpy Generator; got {seed!r}")
    return np.random.default_rng(seed)
