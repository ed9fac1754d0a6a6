"""How close is a cleaned file to a reference (the clean truth, or a colleague's cleaning)?"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdcourse._validate import require_columns, require_frame
from cdcourse.errors import CdcourseError


@dataclass(frozen=True, eq=False)
class Agreement:
    """Row and cell agreement between a result and a reference, matched on key columns.

    Attributes
    ----------
    rows_reference, rows_result : rows in each.
    rows_matched : keys found in both; rows_missing: only in the reference; rows_extra: only in
        the result (for example a duplicate or a refusal that was not removed).
    cells_compared, cells_agree : over matched rows and the compared columns; two missing values
        agree, numbers agree within ``rtol``, text and categories compare as text.
    by_column : per column: cells compared, cells agreeing, share.
    """

    key: tuple[str, ...]
    rows_reference: int
    rows_result: int
    rows_matched: int
    rows_missing: int
    rows_extra: int
    cells_compared: int
    cells_agree: int
    by_column: pd.DataFrame

    @property
    def row_recall(self) -> float:
        """Share of the reference's rows present in the result."""
        return self.rows_matched / self.rows_reference if self.rows_reference else float("nan")

    @property
    def row_precision(self) -> float:
        """Share of the result's rows that are in the reference."""
        return self.rows_matched / self.rows_result if self.rows_result else float("nan")

    @property
    def cell_agreement(self) -> float:
        """Share of compared cells (matched rows) that agree."""
        return self.cells_agree / self.cells_compared if self.cells_compared else float("nan")

    @property
    def overall(self) -> float:
        """Cells agreeing over the reference's cells plus the extra rows' cells.

        A missing row counts as all its cells wrong, and so does an extra row (a refusal or a copy
        left in), so 1.0 means the result is the reference on the compared columns.
        """
        total = (self.rows_reference + self.rows_extra) * len(self.by_column)
        return self.cells_agree / total if total else float("nan")

    def to_frame(self) -> pd.DataFrame:
        return self.by_column.copy()

    def summary(self) -> pd.Series:
        """The headline figures as one Series (handy to collect after each cleaning step)."""
        return pd.Series(dtype=object, data={
            "rows_result": self.rows_result, "rows_matched": self.rows_matched, "rows_missing": self.rows_missing,
            "rows_extra": self.rows_extra, "row_precision": self.row_precision, "row_recall": self.row_recall,
            "cell_agreement": self.cell_agreement, "overall": self.overall,
        })

    def _repr_html_(self) -> str:
        worst = self.by_column.sort_values("share").head(8)
        return (
            f"<p><b>Agreement with the reference</b> (key {', '.join(self.key)}): {self.rows_matched:,} of "
            f"{self.rows_reference:,} reference rows found, {self.rows_extra:,} extra rows; "
            f"{100 * self.cell_agreement:.1f}% of {self.cells_compared:,} compared cells agree "
            f"({100 * self.overall:.1f}% counting missing and extra rows as wrong).</p>" + worst.to_html(index=False)
        )

    def __str__(self) -> str:
        return (f"rows: {self.rows_matched}/{self.rows_reference} matched, {self.rows_extra} extra; "
                f"cells: {100 * self.cell_agreement:.2f}% agree ({100 * self.overall:.2f}% counting missing and extra rows)")


def _same(a: pd.Series, b: pd.Series, rtol: float) -> np.ndarray:
    a_na = a.isna().to_numpy(dtype=bool)
    b_na = b.isna().to_numpy(dtype=bool)
    both = ~a_na & ~b_na
    eq = np.zeros(len(a), dtype=bool)
    num_types = (pd.api.types.is_numeric_dtype(a.dtype) and not pd.api.types.is_bool_dtype(a.dtype),
                 pd.api.types.is_numeric_dtype(b.dtype) and not pd.api.types.is_bool_dtype(b.dtype))
    if all(num_types):
        x = a.to_numpy(dtype=float, na_value=np.nan)
        y = b.to_numpy(dtype=float, na_value=np.nan)
        eq[both] = np.isclose(x[both], y[both], rtol=rtol, atol=0.0)
    elif pd.api.types.is_datetime64_any_dtype(a.dtype) and pd.api.types.is_datetime64_any_dtype(b.dtype):
        eq[both] = (a.to_numpy(dtype="datetime64[ns]")[both] == b.to_numpy(dtype="datetime64[ns]")[both])
    else:
        x = a.astype(object).to_numpy()
        y = b.astype(object).to_numpy()
        eq[both] = [str(p) == str(q) for p, q in zip(x[both], y[both])]
    return (a_na & b_na) | eq


def _key_text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def compare_to_reference(
    result: pd.DataFrame,
    reference: pd.DataFrame,
    key: str | Sequence[str],
    columns: Sequence[str] | None = None,
    *,
    rtol: float = 1e-9,
) -> Agreement:
    """Measure how close a cleaned file is to a reference: rows found and cells that agree.

    Parameters
    ----------
    result : the cleaned data; not modified.
    reference : the truth (for the course: the clean survey the generator kept).
    key : column(s) identifying a record in both (e.g. ``["household_id", "line_no"]``); each key
        must be unique in each frame.
    columns : columns to compare (default: every column both frames have, except the key).
    rtol : relative tolerance for numbers.

    Examples
    --------
    >>> truth = pd.DataFrame({"id": [1, 2, 3], "age": [30, 41, 7], "sex": ["female", "male", "male"]})
    >>> mine = pd.DataFrame({"id": [1, 2, 4], "age": [30.0, None, 9], "sex": ["female", "male", "female"]})
    >>> agree = compare_to_reference(mine, truth, "id")
    >>> agree.rows_matched, agree.rows_missing, agree.rows_extra, agree.cells_agree, agree.cells_compared
    (2, 1, 1, 3, 4)
    >>> agree.by_column
      column  compared  agree  share
    0    age         2      1    0.5
    1    sex         2      2    1.0
    """
    require_frame(result, "result", allow_empty=True)
    require_frame(reference, "reference", allow_empty=True)
    keys = require_columns(reference, key, "key")
    require_columns(result, keys, "key")
    for name, frame in (("result", result), ("reference", reference)):
        dup = int(frame.duplicated(keys).sum())
        if dup:
            raise CdcourseError(f"key {keys} is not unique in {name}: {dup} rows repeat a key; deduplicate first or use a finer key")
    if columns is None:
        cols = [c for c in reference.columns if c in result.columns and c not in keys]
    else:
        cols = require_columns(reference, columns, "columns")
        require_columns(result, cols, "columns")
    def side(frame: pd.DataFrame, suffix: str) -> pd.DataFrame:
        # keys as text, so an int line number in one frame matches an Int64 or "1" in the other
        out = frame[cols].add_suffix(suffix)
        for k in keys:
            out[k] = frame[k].astype(object).map(_key_text)
        return out

    left, right = side(result, "__r"), side(reference, "__t")
    merged = left.merge(right, on=keys, how="outer", indicator=True)
    both = merged[merged["_merge"] == "both"]
    rows = []
    agree_total = 0
    for c in cols:
        same = _same(both[f"{c}__r"], both[f"{c}__t"], rtol)
        n_agree = int(same.sum())
        agree_total += n_agree
        rows.append({"column": c, "compared": len(both), "agree": n_agree,
                     "share": n_agree / len(both) if len(both) else np.nan})
    by_column = pd.DataFrame(rows, columns=["column", "compared", "agree", "share"])
    return Agreement(
        key=tuple(keys),
        rows_reference=len(reference),
        rows_result=len(result),
        rows_matched=len(both),
        rows_missing=int((merged["_merge"] == "right_only").sum()),
        rows_extra=int((merged["_merge"] == "left_only").sum()),
        cells_compared=len(both) * len(cols),
        cells_agree=agree_total,
        by_column=by_column,
    )
