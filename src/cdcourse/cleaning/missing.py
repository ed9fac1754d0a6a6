"""Turn declared missing-value codes (-99, 98, "n/a", ...) into real missing values."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cdcourse._validate import require_columns
from cdcourse.cleaning._log import cleaning_step
from cdcourse.errors import CdcourseError

#: codes that tools and questionnaires commonly use for "no answer"; a suggestion, not a rule
COMMON_CODES = (-99, -98, -9, "n/a", "N/A", "NA", "na", "", "-", ".", "none", "null", "missing", "don't know")


def _code_forms(code: object) -> set[str]:
    """Text forms a code may take in an export: -99 is '-99', '-99.0' and ' -99 '."""
    if isinstance(code, bool) or code is None:
        raise CdcourseError(f"missing-value code {code!r} must be a number or text")
    if isinstance(code, (int, float, np.integer, np.floating)):
        value = float(code)
        forms = {repr(value), str(value)}
        if value.is_integer():
            forms.add(str(int(value)))
        return forms
    if isinstance(code, str):
        return {code.strip().casefold()}
    raise CdcourseError(f"missing-value code {code!r} must be a number or text, got {type(code).__name__}")


def _numbers(codes: Sequence[object]) -> list[float]:
    out = []
    for code in codes:
        if isinstance(code, (int, float, np.integer, np.floating)) and not isinstance(code, bool):
            out.append(float(code))
        elif isinstance(code, str):
            try:
                out.append(float(code))
            except ValueError:
                pass
    return out


def code_mask(values: pd.Series, codes: Sequence[object]) -> np.ndarray:
    """Boolean array: values equal to one of the codes (numbers by value, text ignoring case and spaces)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return np.zeros(len(values), dtype=bool)
    if pd.api.types.is_numeric_dtype(values.dtype):
        nums = _numbers(codes)
        return values.isin(nums).to_numpy(dtype=bool, na_value=False) if nums else np.zeros(len(values), bool)
    forms: set[str] = set()
    for code in codes:
        forms |= _code_forms(code)
    uniques = values.dropna().unique()
    hit = {v for v in uniques if str(v).strip().casefold() in forms}
    return values.isin(hit).to_numpy(dtype=bool, na_value=False) if hit else np.zeros(len(values), bool)


@cleaning_step
def set_missing(
    data: pd.DataFrame,
    codes: Mapping[str, Sequence[object]] | Sequence[object],
    *,
    columns: Sequence[str] | None = None,
):
    """Replace the codes a questionnaire uses for "no answer" with real missing values.

    Codes are declared per column (``{"age": [-99, 98], "wg_seeing": [8, 9]}``), because a code in
    one column can be a real value in another (98 is a possible age in some surveys, never a
    Washington Group answer), or as one list applied to ``columns`` (default: every column).
    A number matches its text forms too ("-99", "-99.0"), and text codes match ignoring case and
    surrounding spaces ("N/A" is "n/a").

    Parameters
    ----------
    data : the records; not modified.
    codes : dict column -> codes, or a list of codes for ``columns``.
    columns : the columns a list of codes applies to (ignored with a dict).

    Returns
    -------
    Cleaned : the data with those cells missing; details count cells by column and code.

    Examples
    --------
    >>> raw = pd.DataFrame({"age": [34, -99, 98, 51], "income": ["120.5", "n/a", "N/A ", "-99"]})
    >>> clean, step = set_missing(raw, {"age": [-99, 98], "income": ["n/a", -99]})
    >>> clean["age"].tolist(), clean["income"].tolist()
    ([34.0, nan, nan, 51.0], ['120.5', nan, nan, nan])
    >>> step.details
       column  code  cells
    0     age   -99      1
    1     age    98      1
    2  income   -99      1
    3  income   n/a      2
    """
    if isinstance(codes, Mapping):
        per_column = {col: list(c) if isinstance(c, (list, tuple, set)) else [c] for col, c in codes.items()}
        require_columns(data, list(per_column), "codes")
    elif isinstance(codes, (list, tuple, set)):
        cols = require_columns(data, columns, "columns") if columns is not None else list(data.columns)
        per_column = {col: list(codes) for col in cols}
    else:
        raise CdcourseError(
            f"codes must be a dict column -> list of codes, or a list of codes; got {codes!r}"
        )
    for col, col_codes in per_column.items():
        for code in col_codes:
            _code_forms(code)  # validates each code, naming the bad one
    out = data.copy()
    rows = []
    affected = np.zeros(len(data), dtype=bool)
    for col, col_codes in per_column.items():
        values = data[col]
        mask = code_mask(values, col_codes)
        if not mask.any():
            continue
        affected |= mask
        for code in col_codes:
            n = int(code_mask(values[mask], [code]).sum())
            if n:
                rows.append({"column": col, "code": str(code), "cells": n})
        new = values.copy()
        if pd.api.types.is_integer_dtype(values.dtype) and not isinstance(values.dtype, pd.api.extensions.ExtensionDtype):
            new = new.astype(float)  # a plain int column cannot hold NaN
        new[mask] = None if not pd.api.types.is_numeric_dtype(new.dtype) else np.nan
        out[col] = new
    details = pd.DataFrame(rows, columns=["column", "code", "cells"])
    if len(details):
        details = details.groupby(["column", "code"], as_index=False, sort=True)["cells"].sum()
    cells = int(details["cells"].sum()) if len(details) else 0
    by_col = details.groupby("column")["cells"].sum() if len(details) else pd.Series(dtype=int)
    summary = f"set {cells} coded cells to missing" + (
        " (" + ", ".join(f"{c}: {n}" for c, n in by_col.items()) + ")" if cells else ""
    )
    return out, details, summary, int(affected.sum()), cells
