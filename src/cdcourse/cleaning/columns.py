"""Column-level steps: rename exported names, drop direct identifiers, convert types."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cdcourse._validate import require_choice, require_columns
from cdcourse.cleaning._log import changed_mask, cleaning_step
from cdcourse.cleaning._text import keys_of
from cdcourse.errors import CdcourseError

#: types convert_types knows, with the pandas dtype each gives
TYPES = ("integer", "number", "boolean", "string", "category", "date", "datetime")

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


@cleaning_step
def rename_columns(data: pd.DataFrame, mapping: Mapping[str, str]):
    """Rename columns (for example a tool's export names to the codebook's names).

    Examples
    --------
    >>> rename_columns(pd.DataFrame({"gps_lat": [1.0]}), {"gps_lat": "hh_lat"}).data.columns.tolist()
    ['hh_lat']
    """
    if not isinstance(mapping, Mapping):
        raise CdcourseError(f"mapping must be a dict old name -> new name; got {mapping!r}")
    require_columns(data, list(mapping), "mapping")
    clash = sorted(set(mapping.values()) & (set(data.columns) - set(mapping)))
    if clash:
        raise CdcourseError(f"renaming would duplicate existing column(s) {clash}; drop or rename them first")
    out = data.rename(columns=dict(mapping))
    details = pd.DataFrame({"column": list(mapping), "renamed_to": list(mapping.values())})
    return out, details, f"renamed {len(mapping)} columns", 0, 0


@cleaning_step
def drop_columns(data: pd.DataFrame, columns: Sequence[str], *, reason: str = ""):
    """Remove columns, for example direct identifiers (names, phone numbers) before sharing.

    Examples
    --------
    >>> raw = pd.DataFrame({"respondent_name": ["A. Test"], "age": [40]})
    >>> drop_columns(raw, ["respondent_name"], reason="direct identifier").data.columns.tolist()
    ['age']
    """
    cols = require_columns(data, columns, "columns")
    out = data.drop(columns=cols)
    cells = int(data[cols].notna().to_numpy().sum())
    details = pd.DataFrame({"column": cols, "non_missing_cells": [int(data[c].notna().sum()) for c in cols],
                            "reason": reason})
    summary = f"dropped {len(cols)} columns ({', '.join(cols)})" + (f": {reason}" if reason else "")
    return out, details, summary, 0, cells


def _convert(values: pd.Series, kind: str, fmt: str | None) -> pd.Series:
    if kind in ("integer", "number"):
        text = values.astype(object).where(values.notna(), None)
        if pd.api.types.is_object_dtype(text.dtype) or pd.api.types.is_string_dtype(values.dtype):
            text = text.map(lambda v: v.strip() if isinstance(v, str) else v, na_action="ignore")
        num = pd.to_numeric(text, errors="coerce")
        if kind == "integer":
            whole = num.isna() | (num == np.floor(num))
            num = num.where(whole, np.nan)
            return num.astype("Int64")
        return num.astype(float)
    if kind == "boolean":
        if pd.api.types.is_bool_dtype(values.dtype):
            return values.astype("boolean")
        keys = keys_of(values.astype(object))
        out = pd.Series(pd.NA, index=values.index, dtype="boolean")
        out[keys.isin(_TRUE).to_numpy()] = True
        out[keys.isin(_FALSE).to_numpy()] = False
        return out
    if kind == "string":
        return values.astype(object).where(values.notna(), None).map(str, na_action="ignore").astype("string")
    if kind == "category":
        return values.astype("category")
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = values
    else:
        out = pd.to_datetime(values, format=fmt, errors="coerce")
    return out.dt.normalize() if kind == "date" else out


@cleaning_step
def convert_types(data: pd.DataFrame, types: Mapping[str, str], *, formats: Mapping[str, str] | None = None):
    """Convert columns to integer, number, boolean, string, category, date or datetime.

    Values that cannot be converted become missing and are listed in the details (column, value,
    records), so nothing disappears without a trace. Booleans read yes/no, true/false, 1/0.

    Parameters
    ----------
    data : the records; not modified.
    types : dict column -> one of "integer", "number", "boolean", "string", "category", "date",
        "datetime".
    formats : optional strftime format per date/datetime column (default: pandas' own reading).

    Examples
    --------
    >>> raw = pd.DataFrame({"age": ["34", " 7", "old"], "safe": ["yes", "No", None]})
    >>> clean, step = convert_types(raw, {"age": "integer", "safe": "boolean"})
    >>> clean["age"].tolist(), clean["safe"].tolist()
    ([34, 7, <NA>], [True, False, <NA>])
    >>> step.details
      column type value  records
    0    age  integer   old        1
    """
    if not isinstance(types, Mapping):
        raise CdcourseError(f"types must be a dict column -> type; got {types!r}")
    require_columns(data, list(types), "types")
    formats = dict(formats or {})
    require_columns(data, list(formats), "formats")
    out = data.copy()
    rows = []
    affected = np.zeros(len(data), dtype=bool)
    cells = 0
    for col, kind in types.items():
        require_choice(kind, TYPES, f"type of column {col!r}")
        new = _convert(data[col], kind, formats.get(col))
        lost = data[col].notna().to_numpy() & new.isna().to_numpy()
        for value, n in data.loc[lost, col].astype(str).value_counts().sort_index().items():
            rows.append({"column": col, "type": kind, "value": value, "records": int(n)})
        changed = changed_mask(data[col].astype(object), new.astype(object))
        affected |= changed
        cells += int(changed.sum())
        out[col] = new
    details = pd.DataFrame(rows, columns=["column", "type", "value", "records"])
    n_lost = int(details["records"].sum()) if len(details) else 0
    summary = f"converted {len(types)} columns" + (
        f"; {n_lost} values could not be converted and are now missing" if n_lost else ""
    )
    return out, details, summary, int(affected.sum()), cells
