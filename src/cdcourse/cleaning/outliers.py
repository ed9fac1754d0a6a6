"""Robust outlier rules, and paradata checks on interview durations by enumerator."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cdcourse._validate import require_choice, require_columns, require_number
from cdcourse.cleaning._log import cleaning_step
from cdcourse.errors import CdcourseError

#: default thresholds: 3.5 for the modified z-score (Iglewicz and Hoaglin, 1993), 1.5 IQRs (Tukey, 1977)
DEFAULT_THRESHOLD = {"mad": 3.5, "iqr": 1.5}
_MAD_TO_SD = 1.4826  # 1 / 0.6745: MAD of normal data times this estimates its standard deviation
_MEANAD_TO_SD = 1.2533  # sqrt(pi / 2): the same for the mean absolute deviation
#: an interview shorter than this share of the median interview is "fast" (the course's own choice)
FAST_SHARE_OF_MEDIAN = 1 / 3


def outlier_limits(values: Sequence[float] | pd.Series, method: str = "mad", threshold: float | None = None,
                   *, transform: str | None = None) -> tuple[float, float]:
    """Lowest and highest value not flagged as an outlier, by a robust rule.

    ``"mad"``: median ± threshold × 1.4826 × MAD (the modified z-score rule; threshold 3.5 after
    Iglewicz and Hoaglin, 1993). When more than half the values are equal the MAD is 0; the
    scale then falls back to 1.2533 × the mean absolute deviation. ``"iqr"``: [Q1 − k·IQR,
    Q3 + k·IQR] with k = 1.5 (Tukey's fences). ``transform="log"`` applies the rule to
    log(1 + x), for skewed amounts such as income (limits are returned on the original scale).

    >>> outlier_limits([10, 11, 12, 13, 14, 100], "iqr")
    (7.5, 17.5)
    """
    require_choice(method, ["mad", "iqr"], "method")
    if transform is not None:
        require_choice(transform, ["log"], "transform")
    thr = DEFAULT_THRESHOLD[method] if threshold is None else require_number(threshold, "threshold", low=0, high=np.inf, low_inclusive=False)
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    x = x[np.isfinite(x)]
    if transform == "log":
        if (x <= -1).any():
            raise CdcourseError("transform='log' needs values above -1 (it uses log(1 + x))")
        x = np.log1p(x)
    if not len(x):
        return (np.nan, np.nan)
    if method == "mad":
        med = np.median(x)
        mad = np.median(np.abs(x - med))
        scale = _MAD_TO_SD * mad if mad > 0 else _MEANAD_TO_SD * np.mean(np.abs(x - med))
        lo, hi = med - thr * scale, med + thr * scale
    else:
        q1, q3 = np.percentile(x, [25, 75])
        lo, hi = q1 - thr * (q3 - q1), q3 + thr * (q3 - q1)
    if transform == "log":
        lo, hi = np.expm1(lo), np.expm1(hi)
    return float(lo), float(hi)


@cleaning_step
def flag_outliers(
    data: pd.DataFrame,
    column: str,
    *,
    method: str = "mad",
    threshold: float | None = None,
    by: str | Sequence[str] | None = None,
    transform: str | None = None,
    flag: str | None = None,
):
    """Add a column flagging values far from the bulk of the data, by a robust rule.

    Robust rules use the median and the spread of the middle of the data, so the outliers
    themselves cannot hide by inflating a mean and standard deviation. A flag asks for a check;
    it does not prove an error (some households really are rich).

    Parameters
    ----------
    data : the records; not modified.
    column : the numeric column.
    method, threshold, transform : see :func:`outlier_limits`.
    by : compute limits within groups (for example per district).
    flag : name of the new boolean column (default ``<column>_outlier``).

    Examples
    --------
    >>> df = pd.DataFrame({"minutes": [20, 25, 30, 22, 28, 400]})
    >>> flag_outliers(df, "minutes").data["minutes_outlier"].tolist()
    [False, False, False, False, False, True]
    """
    require_columns(data, column, "column")
    groups = require_columns(data, by, "by") if by is not None else []
    # positions as the index, so groups map back to rows even when the data's index repeats
    values = pd.to_numeric(data[column], errors="coerce").astype(float).reset_index(drop=True)
    name = flag or f"{column}_outlier"
    flags = np.zeros(len(data), dtype=bool)
    rows = []
    keys = [data[g].to_numpy() for g in groups] if groups else [np.zeros(len(data), dtype=int)]
    for key, part in values.groupby(keys, sort=True, observed=True, dropna=False):
        lo, hi = outlier_limits(part, method, threshold, transform=transform)
        pos = part.index.to_numpy()
        hit = ((part < lo) | (part > hi)).to_numpy(dtype=bool)
        flags[pos[hit]] = True
        if isinstance(key, tuple) and len(key) == 1:
            key = key[0]
        row = {"group": key if groups else "all", "lower": lo, "upper": hi, "values": int(part.notna().sum()),
               "flagged": int(hit.sum())}
        rows.append(row)
    out = data.copy()
    out[name] = flags
    details = pd.DataFrame(rows, columns=["group", "lower", "upper", "values", "flagged"])
    n = int(flags.sum())
    rule = f"{method} rule, threshold {threshold if threshold is not None else DEFAULT_THRESHOLD.get(method)}"
    return out, details, f"flagged {n} outliers in {column!r} ({rule}{', log scale' if transform else ''})", n, n


def _durations(data: pd.DataFrame, start: str, end: str) -> pd.Series:
    for col in (start, end):
        if not pd.api.types.is_datetime64_any_dtype(data[col].dtype):
            raise CdcourseError(f"column {col!r} must hold datetimes (parse it first); it is {data[col].dtype}")
    return (data[end] - data[start]).dt.total_seconds() / 60.0


def interview_durations(
    data: pd.DataFrame,
    enumerator: str = "enumerator",
    start: str = "start",
    end: str = "end",
    *,
    submission: str | None = "submission_id",
    min_minutes: float | None = None,
) -> pd.DataFrame:
    """Interview length by enumerator: count, median, 10th percentile and share of fast interviews.

    Durations come from the form's start and end times (paradata), once per submission when
    ``submission`` is given (a household form has one row per member). ``min_minutes`` defines
    "fast" (default: a third of the median interview, see :func:`flag_fast_interviews`).
    ``median_z`` is the enumerator's median as a robust z-score among all enumerators' medians
    (median and 1.4826 × MAD of the medians); ``suspect`` marks enumerators with ``median_z``
    below −3.5 or with at least half of their interviews fast.

    Examples
    --------
    >>> df = pd.DataFrame({"enumerator": ["A", "A", "B", "B"], "start": pd.to_datetime(["2024-03-01 09:00"] * 4),
    ...                    "end": pd.to_datetime(["2024-03-01 09:45", "2024-03-01 09:50", "2024-03-01 09:04", "2024-03-01 09:05"])})
    >>> interview_durations(df, submission=None, min_minutes=10)[["enumerator", "interviews", "median_min", "fast", "suspect"]]
      enumerator  interviews  median_min  fast  suspect
    0          A           2        47.5     0    False
    1          B           2         4.5     2     True
    """
    cols = [enumerator, start, end] + ([submission] if submission else [])
    require_columns(data, cols, "paradata columns")
    forms = data.drop_duplicates(submission) if submission else data
    minutes = _durations(forms, start, end)
    limit = min_minutes if min_minutes is not None else FAST_SHARE_OF_MEDIAN * float(np.nanmedian(minutes))
    frame = pd.DataFrame({"enumerator": forms[enumerator].to_numpy(), "minutes": minutes.to_numpy()})
    frame["fast"] = frame["minutes"] < limit
    out = frame.groupby("enumerator", sort=True, observed=True).agg(
        interviews=("minutes", "size"),
        median_min=("minutes", "median"),
        p10_min=("minutes", lambda s: float(np.nanpercentile(s, 10)) if s.notna().any() else np.nan),
        fast=("fast", "sum"),
    ).reset_index()
    out["fast"] = out["fast"].astype(int)
    out["fast_share"] = out["fast"] / out["interviews"]
    med = out["median_min"].to_numpy(dtype=float)
    centre = np.nanmedian(med)
    mad = np.nanmedian(np.abs(med - centre))
    scale = _MAD_TO_SD * mad if mad > 0 else _MEANAD_TO_SD * np.nanmean(np.abs(med - centre))
    out["median_z"] = (med - centre) / scale if scale > 0 else 0.0
    out["suspect"] = (out["median_z"] < -DEFAULT_THRESHOLD["mad"]) | (out["fast_share"] >= 0.5)
    return out


@cleaning_step
def flag_fast_interviews(
    data: pd.DataFrame,
    enumerator: str = "enumerator",
    start: str = "start",
    end: str = "end",
    *,
    submission: str | None = "submission_id",
    min_minutes: float | None = None,
    duration: str | None = "duration_min",
    flag: str = "fast_interview",
):
    """Flag interviews that were implausibly fast, and show which enumerators they come from.

    An interview is fast when it took less than ``min_minutes``; by default a third of the median
    interview (the course's own rule of thumb, so it adapts to the questionnaire: nobody asks a
    45-minute questionnaire in 15 minutes). A few fast interviews are normal (small households); an enumerator whose
    interviews are mostly fast needs a supervisor's visit and possibly re-interviews.

    Parameters
    ----------
    data : the records; not modified.
    enumerator, start, end : paradata columns (start and end as datetimes).
    submission : submission id (durations are per form); None if one row per form.
    min_minutes : the limit; default a third of the median interview.
    duration : also write each interview's length in minutes to this column (None: do not).
    flag : name of the new boolean column.

    Examples
    --------
    >>> df = pd.DataFrame({"enumerator": ["A", "A", "B"], "start": pd.to_datetime(["2024-03-01 09:00"] * 3),
    ...                    "end": pd.to_datetime(["2024-03-01 09:45", "2024-03-01 09:50", "2024-03-01 09:04"])})
    >>> flag_fast_interviews(df, submission=None, min_minutes=10).data["fast_interview"].tolist()
    [False, False, True]
    """
    cols = [enumerator, start, end] + ([submission] if submission else [])
    require_columns(data, cols, "paradata columns")
    minutes = _durations(data, start, end)
    forms = data.drop_duplicates(submission) if submission else data
    limit = min_minutes if min_minutes is not None else FAST_SHARE_OF_MEDIAN * float(np.nanmedian(_durations(forms, start, end)))
    fast = (minutes < limit).to_numpy(dtype=bool)
    out = data.copy()
    if duration:
        out[duration] = minutes.round(2).to_numpy()
    out[flag] = fast
    details = interview_durations(data, enumerator, start, end, submission=submission, min_minutes=limit)
    n_forms = int(details["fast"].sum())
    suspects = details.loc[details["suspect"], "enumerator"].astype(str).tolist()
    who = f"; enumerators to follow up: {', '.join(suspects)}" if suspects else ""
    summary = f"flagged {n_forms} interviews shorter than {limit:.1f} minutes{who}"
    return out, details, summary, int(fast.sum()), int(fast.sum())
