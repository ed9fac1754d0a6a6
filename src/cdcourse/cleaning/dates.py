"""Parse dates written in several formats, and say which could not be read."""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdcourse._validate import require_columns
from cdcourse.cleaning._log import cleaning_step
from cdcourse.errors import CdcourseError

#: strftime directives that pandas' parser understands
_DIRECTIVES = set("aAwdbBmyYHIpMSfzZjUWGuV%")
_DIRECTIVE = re.compile(r"%(.)")

#: the formats mobile data-collection exports commonly mix (ISO first: it is never ambiguous)
COMMON_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%B %d, %Y", "%d-%b-%y")


def check_date_format(fmt: object, param: str = "formats") -> str:
    """Return ``fmt`` if it is a usable strftime format, else raise naming the bad directive.

    >>> check_date_format("%d/%m/%Y")
    '%d/%m/%Y'
    >>> check_date_format("DD/MM/YYYY")
    Traceback (most recent call last):
    ...
    cdcourse.errors.CdcourseError: formats entry 'DD/MM/YYYY' is not a date format: it has no %-directive; write it like '%d/%m/%Y' (see Python's strftime codes)
    """
    if not isinstance(fmt, str) or not fmt:
        raise CdcourseError(f"{param} entries must be strftime format strings like '%d/%m/%Y'; got {fmt!r}")
    found = _DIRECTIVE.findall(fmt)
    if not [d for d in found if d != "%"]:
        raise CdcourseError(
            f"{param} entry {fmt!r} is not a date format: it has no %-directive; write it like '%d/%m/%Y' "
            "(see Python's strftime codes)"
        )
    bad = sorted({d for d in found if d not in _DIRECTIVES})
    if bad or fmt.endswith("%") and not fmt.endswith("%%"):
        shown = ", ".join(f"%{d}" for d in bad) or "a trailing %"
        raise CdcourseError(
            f"{param} entry {fmt!r} uses unknown directive {shown}; known directives are "
            + " ".join(f"%{d}" for d in sorted(_DIRECTIVES))
        )
    return fmt


@cleaning_step
def parse_dates(
    data: pd.DataFrame,
    column: str,
    formats: Sequence[str] = COMMON_FORMATS,
    *,
    into: str | None = None,
):
    """Read a column of dates written in several formats into real dates, listing what failed.

    Each value is read with the first format in ``formats`` that fits it exactly, so order matters
    where formats are ambiguous: "05/03/2024" is 5 March with ``%d/%m/%Y`` first, 3 May with
    ``%m/%d/%Y`` first. The step counts values that a later format would read as a different
    date (``ambiguous``): check those with whoever collected the data. Values no format fits
    become missing and are listed in the details, never silently dropped.

    Parameters
    ----------
    data : the records; not modified.
    column : the column holding the dates as text (values already dates are kept).
    formats : strftime formats to try, in order (``%Y-%m-%d``, ``%d/%m/%Y``, ``%B %d, %Y``, ...).
    into : write the dates to this new column instead of replacing ``column``.

    Returns
    -------
    Cleaned : the data with a datetime64 column; details give the records read by each format,
        the ambiguous ones and each value that could not be read.

    Examples
    --------
    >>> raw = pd.DataFrame({"d": ["2024-03-05", "05/03/2024", "March 5, 2024", "5-Mar-24", "soon", None]})
    >>> clean, step = parse_dates(raw, "d", ["%Y-%m-%d", "%d/%m/%Y", "%B %d, %Y", "%d-%b-%y"])
    >>> clean["d"].dt.strftime("%Y-%m-%d").tolist()
    ['2024-03-05', '2024-03-05', '2024-03-05', '2024-03-05', nan, nan]
    >>> step.details
           format  records  ambiguous value
    0    %Y-%m-%d        1          0   NaN
    1    %d/%m/%Y        1          0   NaN
    2  %B %d, %Y        1          0   NaN
    3    %d-%b-%y        1          0   NaN
    4  unparsed        1          0  soon
    """
    require_columns(data, column, "column")
    if isinstance(formats, str):
        formats = [formats]
    formats = [check_date_format(f) for f in formats]
    if not formats:
        raise CdcourseError("formats must list at least one date format, e.g. ['%Y-%m-%d', '%d/%m/%Y']")
    if into is not None and not isinstance(into, str):
        raise CdcourseError(f"into must be a column name (text); got {into!r}")
    original = data[column]
    unparsed: dict[str, int] = {}
    if pd.api.types.is_datetime64_any_dtype(original):
        result = original.copy()
        counts = {"already dates": int(original.notna().sum())}
        ambiguous = {"already dates": 0}
        changed = np.zeros(len(original), dtype=bool)
    else:
        # parse each distinct text once (an export repeats the same few hundred dates), then spread
        codes, uniques = pd.factorize(original, use_na_sentinel=True)
        codes, uniques = np.asarray(codes), np.asarray(uniques, dtype=object)
        weight = np.bincount(codes[codes >= 0], minlength=len(uniques))
        is_ts = np.array([isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "year") for v in uniques],
                         dtype=bool)
        parsed = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[ns]")
        if is_ts.any():
            parsed[is_ts] = pd.to_datetime(pd.Series(uniques[is_ts])).to_numpy(dtype="datetime64[ns]")
        text = pd.Series([None if t else str(v).strip() for v, t in zip(uniques, is_ts)], dtype=object)
        todo = (text.notna() & (text != "")).to_numpy(dtype=bool).copy()
        counts, ambiguous = {}, {}
        parsed_by = []
        for fmt in formats:
            pos = np.flatnonzero(todo)
            got = pd.to_datetime(text.iloc[pos], format=fmt, errors="coerce").to_numpy(dtype="datetime64[ns]")
            ok = ~np.isnat(got)
            parsed[pos[ok]] = got[ok]
            counts[fmt] = int(weight[pos[ok]].sum())
            parsed_by.append((fmt, pos[ok], got[ok]))
            todo[pos[ok]] = False
        # ambiguity: a value read by one format that a later format reads as another date
        for i, (fmt, pos, got) in enumerate(parsed_by):
            n_amb = 0
            for later in formats[i + 1:]:
                alt = pd.to_datetime(text.iloc[pos], format=later, errors="coerce").to_numpy(dtype="datetime64[ns]")
                n_amb += int(weight[pos][~np.isnat(alt) & (alt != got)].sum())
            ambiguous[fmt] = n_amb
        for p in np.flatnonzero(todo | ((text == "").to_numpy(dtype=bool))):
            unparsed[text.iloc[p]] = unparsed.get(text.iloc[p], 0) + int(weight[p])
        result = pd.Series(np.append(parsed, np.datetime64("NaT"))[codes], index=data.index)
        # text became a date (or missing, when unreadable); values already dates are unchanged
        changed = np.append(~is_ts, False)[codes]
    target = into or column
    out = data.copy()
    out[target] = result
    rows = [{"format": f, "records": n, "ambiguous": ambiguous.get(f, 0), "value": None} for f, n in counts.items()]
    for value in sorted(unparsed):
        rows.append({"format": "unparsed", "records": unparsed[value], "ambiguous": 0, "value": value})
    details = pd.DataFrame(rows, columns=["format", "records", "ambiguous", "value"])
    n_unparsed = sum(unparsed.values())
    n_amb = sum(ambiguous.values())
    if into is not None:
        changed = result.notna().to_numpy()
    summary = (
        f"read {int(result.notna().sum())} dates in {column!r} with {len(formats)} formats"
        + (f"; {n_unparsed} values could not be read and are now missing" if n_unparsed else "")
        + (f"; {n_amb} values fit more than one format (check them)" if n_amb else "")
    )
    return out, details, summary, int(changed.sum()), int(changed.sum())
