"""Methods that lower disclosure risk, and what each costs the analyst.

Every method returns a :class:`Protected` (or :class:`Suppression`) result: ``.data`` is a new
DataFrame (the input is never modified), ``.summary`` counts what changed in each column, and
``.changes()`` lists every changed cell. Random methods take ``seed=``: same seed, same release.

Methods follow the IHSN/World Bank *Statistical Disclosure Control: A Practice Guide* and
sdcMicro's set: global recoding, top/bottom coding, local suppression, PRAM, noise addition and
microaggregation. :func:`information_loss` measures the price: suppressed and changed cells and the
change in the estimates users care about.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cdcourse._validate import make_rng, require_choice, require_columns, require_positive_weights
from cdcourse.errors import CdcourseError
from cdcourse.privacy._core import (
    MISSING_RULES,
    Missing,
    as_frame,
    check_quasi_identifiers,
    combine,
    encode,
    number,
    partition_codes,
)


# ---------------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------------
def _cell_changes(original: pd.DataFrame, new: pd.DataFrame, columns: Sequence[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per column: (suppressed, changed) boolean arrays; changed = known before and after, but different."""
    out = {}
    for col in columns:
        a, b = original[col], new[col]
        a_na = a.isna().to_numpy()
        b_na = b.isna().to_numpy()
        suppressed = ~a_na & b_na
        both = ~a_na & ~b_na
        changed = np.zeros(len(a), dtype=bool)
        if both.any():
            av = a.to_numpy(dtype=object)[both]
            bv = b.to_numpy(dtype=object)[both]
            changed[both] = av != bv
        out[col] = (suppressed, changed)
    return out


def _summary_frame(original: pd.DataFrame, new: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    rows = []
    for col, (supp, chg) in _cell_changes(original, new, columns).items():
        rows.append((col, int(supp.sum()), int(chg.sum()), len(original) - int(supp.sum()) - int(chg.sum())))
    return pd.DataFrame(rows, columns=["column", "suppressed", "changed", "unchanged"]).set_index("column")


@dataclass(frozen=True)
class Protected:
    """A protected copy of the data, and exactly what the method changed.

    ``data`` is the new frame; ``summary`` counts suppressed (known value made missing), changed
    (known value replaced) and unchanged cells per column; ``details`` is the method's own record (a
    recode mapping, a PRAM transition matrix, group sizes); ``changes()`` lists every changed cell.
    """

    data: pd.DataFrame
    method: str
    columns: tuple[str, ...]
    summary: pd.DataFrame
    details: pd.DataFrame | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    original: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def n_changed(self) -> int:
        """Cells changed or suppressed."""
        return int(self.summary["suppressed"].sum() + self.summary["changed"].sum())

    def changes(self) -> pd.DataFrame:
        """One row per changed cell: row (index label), column, before, after."""
        if self.original is None:
            raise CdcourseError("this result does not keep the original data; changes() is unavailable")
        parts = []
        for col, (supp, chg) in _cell_changes(self.original, self.data, self.columns).items():
            mask = supp | chg
            if mask.any():
                parts.append(pd.DataFrame({
                    "row": self.original.index[mask],
                    "column": col,
                    "before": self.original[col].to_numpy(dtype=object)[mask],
                    "after": self.data[col].to_numpy(dtype=object)[mask],
                }))
        if not parts:
            return pd.DataFrame(columns=["row", "column", "before", "after"])
        return pd.concat(parts, ignore_index=True)

    def to_frame(self) -> pd.DataFrame:
        """The per-column summary (suppressed, changed, unchanged)."""
        return self.summary.copy()

    def _describe(self) -> str:
        return (f"{self.method}: {self.n_changed:,} cell(s) changed in {len(self.data):,} records "
                f"({', '.join(self.columns)}).")

    def __str__(self) -> str:
        return self._describe() + "\n" + self.summary.to_string()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._describe()}>"

    def _repr_html_(self) -> str:
        html = f"<p>{self._describe()}</p>" + self.summary.to_html()
        if self.details is not None and len(self.details) <= 30:
            html += self.details.to_html(float_format=lambda v: f"{v:.4g}")
        return html


@dataclass(frozen=True, repr=False)
class Suppression(Protected):
    """Result of :func:`suppress_to_k`: the protected data plus the k reached.

    ``k_achieved`` is measured on the result under the same missing-value rule; ``share_suppressed``
    is the share of the quasi-identifier values known before that were suppressed (a value that was
    already missing cannot be suppressed).
    """

    k: int = 3
    k_achieved: int | None = None
    missing: str = "category"
    share_suppressed: float = 0.0
    records_affected: int = 0

    def _describe(self) -> str:
        return (f"local suppression to k={self.k} (missing values as {self.missing}): "
                f"{self.n_changed:,} value(s) suppressed in {self.records_affected:,} record(s) "
                f"({self.share_suppressed:.2%} of the known quasi-identifier values); k is now {self.k_achieved}.")


def _result(method_name: str, original: pd.DataFrame, new: pd.DataFrame, columns: Sequence[str],
            details: pd.DataFrame | None = None, **parameters: Any) -> Protected:
    return Protected(data=new, method=method_name, columns=tuple(columns),
                     summary=_summary_frame(original, new, columns), details=details,
                     parameters=parameters, original=original)


def _nullable(series: pd.Series) -> pd.Series:
    """The series in a dtype that can hold a missing value without changing its values' type."""
    if pd.api.types.is_bool_dtype(series.dtype) and not pd.api.types.is_extension_array_dtype(series.dtype):
        return series.astype("boolean")
    if pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_extension_array_dtype(series.dtype):
        return series.astype("Int64")
    return series


def _numeric_column(frame: pd.DataFrame, column: str, param: str = "column") -> np.ndarray:
    require_columns(frame, column, param)
    s = frame[column]
    if not pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise CdcourseError(f"{param} {column!r} must be numeric for this method; its dtype is {s.dtype}")
    return s.to_numpy(dtype=float, na_value=np.nan)


# ---------------------------------------------------------------------------------------------
# global recoding
# ---------------------------------------------------------------------------------------------
def _band_labels(edges: np.ndarray, integer: bool, open_top: bool) -> list[str]:
    labels = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        if integer:
            labels.append(f"{int(lo)}-{int(hi) - 1}" if hi - lo > 1 else f"{int(lo)}")
        else:
            labels.append(f"{lo:g}-<{hi:g}")
    if open_top:
        labels.append(f"{int(edges[-1]) if integer else edges[-1]:g}+")
    return labels


def global_recode(data: pd.DataFrame, column: str, *, width: float | None = None,
                  breaks: Sequence[float] | None = None, labels: Sequence[str] | None = None,
                  mapping: Mapping[Any, Any] | None = None) -> Protected:
    """Replace detailed values by broader ones in every record (age in bands, categories merged).

    Give exactly one of ``width`` (equal bands from the lowest value's band, e.g. 5-year ages),
    ``breaks`` (band edges; the last band is open: ``[0, 15, 65]`` gives 0-14, 15-64, 65+) or
    ``mapping`` (old value -> new value; values not in the mapping stay as they are). Bands come
    back as an ordered categorical, so t-closeness treats them as ordered.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [3, 17, 30, 71]})
    >>> global_recode(df, "age", breaks=[0, 15, 65]).data["age"].tolist()
    ['0-14', '15-64', '15-64', '65+']
    >>> global_recode(df, "age", width=10).data["age"].tolist()
    ['0-9', '10-19', '30-39', '70-79']

    Source: Statistical Disclosure Control: A Practice Guide (IHSN), global recoding.
    """
    frame = as_frame(data)
    require_columns(frame, column, "column")
    given = [x is not None for x in (width, breaks, mapping)]
    if sum(given) != 1:
        raise CdcourseError("global_recode needs exactly one of width=, breaks= or mapping=")
    out = frame.copy()
    if mapping is not None:
        if not isinstance(mapping, Mapping):
            raise CdcourseError(f"mapping must be a dict old value -> new value; got {type(mapping).__name__}")
        s = frame[column]
        mapped = s.astype(object).map(lambda v: mapping.get(v, v) if pd.notna(v) else v)
        if isinstance(s.dtype, pd.CategoricalDtype):
            new_cats = list(dict.fromkeys(mapping.get(c, c) for c in s.cat.categories))
            mapped = pd.Series(pd.Categorical(mapped, categories=new_cats, ordered=s.cat.ordered), index=s.index)
        out[column] = mapped
        details = pd.DataFrame({"from": list(mapping.keys()), "to": list(mapping.values())})
        return _result("global recoding (merged values)", frame, out, [column], details, mapping=dict(mapping))
    x = _numeric_column(frame, column)
    known = ~np.isnan(x)
    if not known.any():
        raise CdcourseError(f"column {column!r} has no known value to recode")
    integer = bool(np.all(x[known] == np.round(x[known])))
    if width is not None:
        width = number(width, "width", low=0, low_inclusive=False)
        lo = np.floor(x[known].min() / width) * width
        hi = np.floor(x[known].max() / width) * width + width
        edges = np.arange(lo, hi + width / 2, width)
        open_top = False
    else:
        edges = np.asarray(sorted(float(b) for b in breaks), dtype=float)
        if len(edges) < 1 or len(np.unique(edges)) != len(edges):
            raise CdcourseError(f"breaks must be distinct band edges, lowest first; got {list(breaks)!r}")
        if x[known].min() < edges[0]:
            raise CdcourseError(
                f"column {column!r} has values below the first break {edges[0]:g} (lowest {x[known].min():g}); "
                f"start the breaks at or below it"
            )
        open_top = True
    # "2-4" labels are right only when the band edges are whole numbers too (not for 2.5-year bands).
    integer = integer and bool(np.all(edges == np.round(edges)))
    band_labels = list(labels) if labels is not None else _band_labels(edges, integer, open_top)
    n_bands = len(edges) - 1 + int(open_top)
    if len(band_labels) != n_bands:
        raise CdcourseError(f"labels has {len(band_labels)} entries but there are {n_bands} bands")
    idx = np.searchsorted(edges, x, side="right") - 1
    if not open_top:
        idx = np.minimum(idx, n_bands - 1)
    codes = np.where(known, idx, -1)
    out[column] = pd.Series(pd.Categorical.from_codes(codes, categories=band_labels, ordered=True), index=frame.index)
    details = pd.DataFrame({"band": band_labels, "records": np.bincount(codes[codes >= 0], minlength=n_bands)})
    return _result("global recoding (bands)", frame, out, [column], details,
                   width=width, breaks=None if breaks is None else list(breaks))


def merge_by_hierarchy(data: pd.DataFrame, column: str, hierarchy: Mapping[Any, Any] | pd.DataFrame, *,
                       child: str | None = None, parent: str | None = None,
                       values: Iterable[Any] | None = None) -> Protected:
    """Replace areas (or any coded values) by the unit above them in a hierarchy.

    ``hierarchy`` is a dict child -> parent, or a table with a ``child`` and a ``parent`` column (for
    example ``geography()`` with ``child="district_code", parent="region_code"``). With ``values``
    only those children are merged (say, the districts with too few respondents); the others keep
    their code.

    Examples
    --------
    >>> df = pd.DataFrame({"district": ["D01", "D02", "D05"]})
    >>> merge_by_hierarchy(df, "district", {"D01": "R1", "D02": "R1", "D05": "R2"}).data["district"].tolist()
    ['R1', 'R1', 'R2']
    >>> merge_by_hierarchy(df, "district", {"D01": "R1", "D02": "R1", "D05": "R2"}, values=["D05"]).data["district"].tolist()
    ['D01', 'D02', 'R2']
    """
    frame = as_frame(data)
    require_columns(frame, column, "column")
    if isinstance(hierarchy, pd.DataFrame):
        if child is None or parent is None:
            raise CdcourseError("with a hierarchy table, name its child= and parent= columns")
        require_columns(hierarchy, [child, parent], "hierarchy column")
        pairs = hierarchy[[child, parent]].drop_duplicates()
        clash = pairs[child][pairs[child].duplicated()]
        if len(clash):
            raise CdcourseError(f"hierarchy gives more than one parent for {', '.join(map(str, clash.unique()[:5]))}")
        mapping = dict(zip(pairs[child], pairs[parent]))
    elif isinstance(hierarchy, Mapping):
        mapping = dict(hierarchy)
    else:
        raise CdcourseError(f"hierarchy must be a dict child -> parent or a DataFrame; got {type(hierarchy).__name__}")
    present = pd.unique(frame[column].dropna().astype(object))
    if values is not None:
        wanted = list(values)
        absent = [v for v in wanted if v not in mapping]
        if absent:
            raise CdcourseError(f"values {', '.join(map(str, absent[:8]))} have no parent in the hierarchy")
        mapping = {v: mapping[v] for v in wanted}
    else:
        missing = [v for v in present if v not in mapping]
        if missing:
            raise CdcourseError(
                f"column {column!r} has values with no parent in the hierarchy: {', '.join(map(str, missing[:8]))}"
            )
    result = global_recode(frame, column, mapping=mapping)
    return Protected(data=result.data, method="global recoding (merged by hierarchy)", columns=(column,),
                     summary=result.summary, details=result.details, parameters={"mapping": mapping},
                     original=frame)


def top_bottom_code(data: pd.DataFrame, column: str, *, top: float | None = None, bottom: float | None = None,
                    top_value: float | None = None, bottom_value: float | None = None) -> Protected:
    """Cap extreme values: everything above ``top`` becomes ``top`` (or ``top_value``), below ``bottom`` likewise.

    Very large incomes or very old ages are rare and easy to recognise; coding them to a threshold
    keeps the rest of the distribution intact. A common choice is a high percentile, e.g.
    ``top=df["monthly_income"].quantile(0.99)``.

    Examples
    --------
    >>> df = pd.DataFrame({"income": [100.0, 250.0, 90000.0]})
    >>> top_bottom_code(df, "income", top=1000).data["income"].tolist()
    [100.0, 250.0, 1000.0]

    Source: Statistical Disclosure Control: A Practice Guide (IHSN), top and bottom coding.
    """
    frame = as_frame(data)
    x = _numeric_column(frame, column)
    if top is None and bottom is None:
        raise CdcourseError("top_bottom_code needs top= or bottom= (or both)")
    new = x.copy()
    if top is not None:
        number(top, "top")
        new = np.where(x > top, top if top_value is None else top_value, new)
    if bottom is not None:
        number(bottom, "bottom")
        new = np.where(x < bottom, bottom if bottom_value is None else bottom_value, new)
    out = frame.copy()
    s = frame[column]
    coded = pd.Series(new, index=frame.index)
    if pd.api.types.is_integer_dtype(s.dtype) and np.all(np.isnan(new) | (new == np.round(new))):
        # Whole-number thresholds on a whole-number column keep it whole.
        coded = coded.astype("Int64") if (s.isna().any() or pd.api.types.is_extension_array_dtype(s.dtype)) \
            else coded.astype(s.dtype)
    out[column] = coded
    details = pd.DataFrame({"side": ["top", "bottom"], "threshold": [top, bottom],
                            "records coded": [int(np.sum(x > top)) if top is not None else 0,
                                              int(np.sum(x < bottom)) if bottom is not None else 0]})
    return _result("top/bottom coding", frame, out, [column], details, top=top, bottom=bottom)


# ---------------------------------------------------------------------------------------------
# local suppression
# ---------------------------------------------------------------------------------------------
def _fk_per_record(codes: list[np.ndarray], cards: list[int], missing: str) -> np.ndarray:
    """Records in each record's anonymity set (``inf`` for records the rule leaves out)."""
    if missing == "drop":
        complete = np.all(np.column_stack(codes) >= 0, axis=1)
        if not complete.any():
            return np.full(len(codes[0]), np.inf)
    part = partition_codes(codes, cards, missing)
    return part.per_record(part.set_sum(), fill=np.inf)


def suppress_to_k(data: pd.DataFrame, quasi_identifiers: Sequence[str], *, k: int = 3,
                  missing: Missing = "category", importance: Sequence[str] | None = None) -> Suppression:
    """Blank out as few quasi-identifier values as it takes to make the file k-anonymous.

    Greedy, in rounds: every record in a class smaller than ``k`` loses one more value. Which one:
    with ``importance`` (quasi-identifiers from most to least important to users) the least
    important value still present; otherwise the value whose removal puts the record in the
    largest group (ties go to the quasi-identifier with most distinct values, the most identifying).
    The result is k-anonymous *under the same missing-value rule*, which matters:

    - ``"wildcard"`` (sdcMicro's rule): a blank matches any value, so every blank helps; a record
      blanked completely matches the whole file.
    - ``"category"`` (default, pycanon's rule): blanked records only group with each other; when the
      last fully blanked records are still fewer than k, more records are blanked completely (taken
      from classes that stay at k or above) until they are not.
    - ``"drop"``: a record with a blank is not measured at all, so one blank per risky record is
      enough; an intruder still sees the rest of that record, so prefer the other rules.

    Parameters
    ----------
    data : the microdata; not modified.
    quasi_identifiers : columns an intruder could know.
    k : the k to reach (3 and 5 are common: IHSN SDC Practice Guide); at most the number of records.
    missing : "category", "wildcard" or "drop", as in :func:`~cdcourse.privacy.k_anonymity`.
    importance : optional order of the quasi-identifiers, most important (last to blank) first.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [30, 30, 30, 41, 42], "sex": ["F", "F", "F", "M", "M"]})
    >>> res = suppress_to_k(df, ["age", "sex"], k=2)
    >>> res.data["age"].tolist(), res.k_achieved, res.n_changed
    ([30, 30, 30, <NA>, <NA>], 2, 2)

    Source: Statistical Disclosure Control: A Practice Guide (IHSN), local suppression; sdcMicro
    ``localSuppression`` uses the same importance idea.
    """
    frame = as_frame(data)
    qis = check_quasi_identifiers(frame, quasi_identifiers)
    require_choice(missing, MISSING_RULES, "missing")
    k = int(number(k, "k", low=1, integer=True))
    if len(frame) < k:
        raise CdcourseError(f"k={k} needs at least {k} records; the data has {len(frame)}")
    q = len(qis)
    rank = np.zeros(q)
    if importance is not None:
        imp = require_columns(frame, importance, "importance")
        stray = [c for c in imp if c not in qis]
        if stray:
            raise CdcourseError(f"importance lists {', '.join(map(repr, stray))}, which are not quasi-identifiers")
        # Higher rank = more important = blanked later; unlisted columns are blanked first.
        rank = np.array([len(imp) - imp.index(c) if c in imp else 0 for c in qis], dtype=float)
    codes, cards = [], []
    for col in qis:
        c, u = encode(frame[col])
        codes.append(c.copy())
        cards.append(len(u))
    card_arr = np.asarray(cards, dtype=float)
    n = len(frame)
    suppressed = np.zeros((n, q), dtype=bool)
    n_known = int(sum(int((c >= 0).sum()) for c in codes))

    for _ in range(n * q + 1):  # each round blanks at least one value, so this always ends
        fk = _fk_per_record(codes, cards, missing)
        unsafe = fk < k
        known = np.column_stack([c >= 0 for c in codes])
        cand = unsafe & known.any(axis=1)
        if not cand.any():
            break
        rows = np.flatnonzero(cand)
        score = np.full((len(rows), q), -np.inf)
        for j in range(q):
            ok = known[rows, j]
            if not ok.any():
                continue
            if importance is not None:
                score[ok, j] = -rank[j] + card_arr[j] / (card_arr.max() + 1) / 2
                continue
            if missing == "drop":
                score[ok, j] = card_arr[j]
                continue
            others = [codes[i] + 1 for i in range(q) if i != j]
            key, n_keys = combine(others, [cards[i] + 1 for i in range(q) if i != j]) if others else \
                (np.zeros(n, dtype=np.int64), 1)
            if missing == "category":
                # After blanking j the record joins those already blank on j, plus the other risky
                # records with the same remaining values that blank j too.
                pool = (~known[:, j]) | cand
            else:
                pool = np.ones(n, dtype=bool)
            counts = np.bincount(key[pool], minlength=n_keys)
            score[ok, j] = counts[key[rows[ok]]] + card_arr[j] / (card_arr.max() + 1) / 2
        choice = np.argmax(score, axis=1)
        codes_matrix_rows = rows
        for j in range(q):
            pick = codes_matrix_rows[choice == j]
            codes[j][pick] = -1
            suppressed[pick, j] = True

    if missing == "category":
        all_blank = ~np.column_stack([c >= 0 for c in codes]).any(axis=1)
        s = int(all_blank.sum())
        if 0 < s < k:
            need = k - s
            part = partition_codes(codes, cards, "category")
            sizes = np.bincount(part.group, minlength=part.n_groups)
            blank_group = part.group[np.flatnonzero(all_blank)[0]]
            sizes_other = sizes.copy()
            sizes_other[blank_group] = 0
            surplus = np.clip(sizes_other - k, 0, None)
            take: list[int] = []
            if surplus.sum() >= need:
                # Take records from the largest classes; each stays at k or more.
                for g in np.argsort(-sizes_other, kind="stable"):
                    if len(take) >= need or surplus[g] == 0:
                        break  # sorted by size, so no later class has records to spare either
                    members = np.flatnonzero(part.group == g)
                    take.extend(members[: min(surplus[g], need - len(take))].tolist())
            else:
                # Not enough to spare: move the smallest whole class (it has at least k >= need records).
                eligible = np.flatnonzero(sizes_other >= need)
                g = eligible[np.argmin(sizes_other[eligible])]
                take = np.flatnonzero(part.group == g).tolist()
            take_arr = np.asarray(take, dtype=np.int64)
            for j in range(q):
                blanked = take_arr[codes[j][take_arr] >= 0]
                codes[j][blanked] = -1
                suppressed[blanked, j] = True

    out = frame.copy()
    for j, col in enumerate(qis):
        if suppressed[:, j].any():
            out[col] = _nullable(frame[col]).mask(pd.Series(suppressed[:, j], index=frame.index))
    fk = _fk_per_record(codes, cards, missing)
    k_achieved = int(fk[np.isfinite(fk)].min()) if np.isfinite(fk).any() else None
    summary = _summary_frame(frame, out, qis)
    return Suppression(
        data=out, method="local suppression", columns=tuple(qis), summary=summary,
        details=summary[["suppressed"]].rename(columns={"suppressed": "values suppressed"}),
        parameters={"k": k, "missing": missing, "importance": None if importance is None else list(importance)},
        original=frame, k=k, k_achieved=k_achieved, missing=missing,
        share_suppressed=float(suppressed.sum() / n_known) if n_known else 0.0, records_affected=int(suppressed.any(axis=1).sum()),
    )


# ---------------------------------------------------------------------------------------------
# perturbative methods
# ---------------------------------------------------------------------------------------------
def pram_matrix(values: pd.Series, *, keep: float = 0.8, invariant: bool = False) -> pd.DataFrame:
    """The PRAM transition matrix for the observed categories of ``values`` (rows: from, columns: to).

    A value stays with probability ``keep`` and moves to each other category with equal
    probability. ``invariant=True`` turns it into an invariant matrix R = P Q, where
    ``Q[j, i] = P[i, j] t_i / sum_l P[l, j] t_l`` and ``t`` are the observed counts, so that
    ``t R = t``: the expected counts of the released file equal the original counts.

    Examples
    --------
    >>> pram_matrix(pd.Series(["a", "a", "b"]), keep=0.9)
         a    b
    a  0.9  0.1
    b  0.1  0.9

    Source: Gouweleeuw, Kooiman, Willenborg and de Wolf (1998), Post randomisation for statistical
    disclosure control: theory and implementation, Journal of Official Statistics 14(4).
    """
    keep = float(number(keep, "keep", low=0, high=1))
    s = values.dropna()
    if len(s) == 0:
        raise CdcourseError("PRAM needs at least one known value")
    counts = s.astype(object).value_counts(sort=False)
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = [c for c in values.cat.categories if c in counts.index]
    else:
        cats = list(counts.index)
    m = len(cats)
    if m == 1:
        P = np.ones((1, 1))
    else:
        P = np.full((m, m), (1.0 - keep) / (m - 1))
        np.fill_diagonal(P, keep)
    if invariant:
        P = _invariant(P, counts.reindex(cats).to_numpy(dtype=float))
    return pd.DataFrame(P, index=pd.Index(cats, name=None), columns=pd.Index(cats, name=None))


def _invariant(P: np.ndarray, t: np.ndarray) -> np.ndarray:
    tp = t @ P
    Q = (P * t[:, None]).T / np.where(tp > 0, tp, 1.0)[:, None]
    return P @ Q


def pram(data: pd.DataFrame, column: str, *, keep: float = 0.8, matrix: pd.DataFrame | None = None,
         invariant: bool = False, seed: int | np.random.Generator | None = None) -> Protected:
    """Post-randomise a categorical column: each value may be swapped for another with known probabilities.

    An intruder can no longer trust any single value, while analysts who know the transition
    matrix (``details``) can still correct their estimates. Missing values stay missing.

    Parameters
    ----------
    data : the microdata; not modified.
    column : the categorical column to perturb.
    keep : probability that a value is kept (ignored when ``matrix`` is given).
    matrix : your own transition matrix (rows: from, columns: to, rows summing to 1).
    invariant : make the matrix invariant, so expected category counts do not change.
    seed : random seed or Generator.

    Examples
    --------
    >>> df = pd.DataFrame({"water": ["tap"] * 50 + ["well"] * 50})
    >>> res = pram(df, "water", keep=0.9, seed=1)
    >>> res.data["water"].value_counts().sort_index().tolist(), res.n_changed
    ([49, 51], 11)

    Source: Gouweleeuw et al. (1998); sdcMicro ``pram``.
    """
    frame = as_frame(data)
    require_columns(frame, column, "column")
    s = frame[column]
    if matrix is None:
        M = pram_matrix(s, keep=keep, invariant=invariant)
    else:
        if not isinstance(matrix, pd.DataFrame):
            raise CdcourseError("matrix must be a DataFrame with categories as index (from) and columns (to)")
        present = pd.unique(s.dropna().astype(object))
        absent = [v for v in present if v not in matrix.index]
        if absent:
            raise CdcourseError(f"matrix has no row for {', '.join(map(str, absent[:8]))}")
        vals = matrix.to_numpy(dtype=float)
        if (vals < 0).any() or not np.allclose(vals.sum(axis=1), 1.0, atol=1e-9):
            raise CdcourseError("matrix must hold probabilities >= 0 with every row summing to 1")
        if list(matrix.index) != list(matrix.columns):
            raise CdcourseError("matrix must have the same categories, in the same order, as index and columns")
        M = matrix
        if invariant:
            counts = s.astype(object).value_counts().reindex(M.index).fillna(0).to_numpy(dtype=float)
            M = pd.DataFrame(_invariant(vals, counts), index=M.index, columns=M.columns)
    rng = make_rng(seed)
    cats = list(M.index)
    lookup = {c: i for i, c in enumerate(cats)}
    known = s.notna().to_numpy()
    codes = s.astype(object)[known].map(lookup).to_numpy(dtype=np.int64)
    cum = np.cumsum(M.to_numpy(dtype=float), axis=1)
    u = rng.random(len(codes))
    new_codes = np.minimum((u[:, None] >= cum[codes]).sum(axis=1), len(cats) - 1)
    out = frame.copy()
    new_values = np.asarray(cats, dtype=object)[new_codes]
    result = s.copy()
    result[known] = new_values
    out[column] = result
    details = M.copy()
    details.index.name = "from \\ to"
    return _result("PRAM" + (" (invariant)" if invariant else ""), frame, out, [column], details,
                   keep=keep if matrix is None else None, invariant=invariant)


def add_noise(data: pd.DataFrame, columns: str | Sequence[str], *, relative_sd: float = 0.01,
              seed: int | np.random.Generator | None = None) -> Protected:
    """Add random normal noise to numeric columns, with standard deviation ``relative_sd`` x the column's.

    The default 0.01 (one hundredth of the standard deviation) is the level used in published SDC
    case studies; it changes every value a little and means almost nothing changes. Missing values
    stay missing; results are floats.

    Examples
    --------
    >>> df = pd.DataFrame({"income": [100.0, 200.0, 300.0]})
    >>> res = add_noise(df, "income", relative_sd=0.01, seed=3)
    >>> bool((res.data["income"] - df["income"]).abs().max() < 5)
    True

    Source: Statistical Disclosure Control: A Practice Guide (IHSN), noise addition.
    """
    frame = as_frame(data)
    cols = require_columns(frame, columns, "columns")
    relative_sd = float(number(relative_sd, "relative_sd", low=0))
    rng = make_rng(seed)
    out = frame.copy()
    rows = []
    for col in cols:
        x = _numeric_column(frame, col, "columns")
        known = ~np.isnan(x)
        sd = float(np.std(x[known], ddof=1)) if known.sum() > 1 else 0.0
        noise = rng.normal(0.0, relative_sd * sd, size=len(x)) if sd > 0 else np.zeros(len(x))
        out[col] = np.where(known, x + noise, np.nan)
        rows.append((col, sd, relative_sd * sd))
    details = pd.DataFrame(rows, columns=["column", "sd", "noise sd"])
    return _result("noise addition", frame, out, cols, details, relative_sd=relative_sd)


def _mdav_groups(X: np.ndarray, k: int) -> np.ndarray:
    """MDAV partition of the rows of X (standardised) into groups of k (the last of k..2k-1)."""
    m = len(X)
    group = np.full(m, -1, dtype=np.int64)
    rem = np.arange(m)
    gid = 0

    def take_nearest(point: np.ndarray, pool: np.ndarray) -> np.ndarray:
        d = ((X[pool] - point) ** 2).sum(axis=1)
        return pool[np.argpartition(d, k - 1)[:k]] if len(pool) > k else pool

    while len(rem) >= 3 * k:
        centre = X[rem].mean(axis=0)
        r = rem[np.argmax(((X[rem] - centre) ** 2).sum(axis=1))]
        members = take_nearest(X[r], rem)
        group[members] = gid
        gid += 1
        rem = rem[group[rem] < 0]
        s = rem[np.argmax(((X[rem] - X[r]) ** 2).sum(axis=1))]
        members = take_nearest(X[s], rem)
        group[members] = gid
        gid += 1
        rem = rem[group[rem] < 0]
    if len(rem) >= 2 * k:
        centre = X[rem].mean(axis=0)
        r = rem[np.argmax(((X[rem] - centre) ** 2).sum(axis=1))]
        members = take_nearest(X[r], rem)
        group[members] = gid
        gid += 1
        rem = rem[group[rem] < 0]
    if len(rem):
        group[rem] = gid
    return group


def microaggregate(data: pd.DataFrame, columns: str | Sequence[str], *, k: int = 3,
                   method: str = "univariate") -> Protected:
    """Replace numeric values by the mean of a group of at least ``k`` similar records.

    ``method="univariate"`` sorts each column on its own and averages consecutive groups of k (the
    last group takes the remainder, so groups have k to 2k-1 records). ``method="mdav"`` groups
    whole records on all the columns together (Maximum Distance to Average Vector, on standardised
    values): slower (about n^2 / k distance computations), but every record then shares all its
    aggregated values with k - 1 others. Records with a missing value in the columns are left as
    they are.

    Examples
    --------
    >>> df = pd.DataFrame({"income": [1.0, 2.0, 3.0, 10.0, 11.0, 12.0, 13.0]})
    >>> microaggregate(df, "income", k=3).data["income"].tolist()
    [2.0, 2.0, 2.0, 11.5, 11.5, 11.5, 11.5]

    Source: Domingo-Ferrer and Mateo-Sanz (2002), Practical data-oriented microaggregation for
    statistical disclosure control, IEEE TKDE 14(1); sdcMicro ``microaggregation``.
    """
    frame = as_frame(data)
    cols = require_columns(frame, columns, "columns")
    k = int(number(k, "k", low=1, integer=True))
    require_choice(method, ["univariate", "mdav"], "method")
    out = frame.copy()
    X = np.column_stack([_numeric_column(frame, c, "columns") for c in cols])
    rows = []
    if method == "univariate":
        for j, col in enumerate(cols):
            x = X[:, j]
            idx = np.flatnonzero(~np.isnan(x))
            if len(idx) < k:
                raise CdcourseError(f"column {col!r} has {len(idx)} known values; microaggregation needs at least k={k}")
            order = idx[np.argsort(x[idx], kind="stable")]
            g = np.arange(len(order)) // k
            g = np.minimum(g, max(len(order) // k - 1, 0))
            means = np.bincount(g, weights=x[order]) / np.bincount(g)
            new = x.copy()
            new[order] = means[g]
            out[col] = new
            sizes = np.bincount(g)
            rows.append((col, len(sizes), int(sizes.min()), int(sizes.max())))
    else:
        complete = ~np.isnan(X).any(axis=1)
        idx = np.flatnonzero(complete)
        if len(idx) < k:
            raise CdcourseError(f"only {len(idx)} records have all of {', '.join(cols)}; MDAV needs at least k={k}")
        Z = X[idx]
        sd = Z.std(axis=0, ddof=0)
        Z = (Z - Z.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        g = _mdav_groups(Z, k)
        sizes = np.bincount(g)
        for j, col in enumerate(cols):
            means = np.bincount(g, weights=X[idx, j]) / sizes
            new = X[:, j].copy()
            new[idx] = means[g]
            out[col] = new
        rows.append((", ".join(cols), len(sizes), int(sizes.min()), int(sizes.max())))
    details = pd.DataFrame(rows, columns=["columns", "groups", "smallest group", "largest group"])
    return _result(f"microaggregation ({method}, k={k})", frame, out, cols, details, k=k, grouping=method)


# ---------------------------------------------------------------------------------------------
# information loss
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InformationLoss:
    """What a protected file lost: per column cell counts, and key estimates before and after.

    ``cells``: per column, records, suppressed (known value now missing), changed (known value
    replaced) and their shares. ``estimates``: for each requested estimate (and group), the
    weighted value on the original and the protected data, the difference and the relative
    difference.
    """

    cells: pd.DataFrame
    estimates: pd.DataFrame

    @property
    def suppressed(self) -> int:
        return int(self.cells["suppressed"].sum())

    @property
    def changed(self) -> int:
        return int(self.cells["changed"].sum())

    @property
    def max_relative_change(self) -> float:
        """Largest absolute relative change of any estimate (NaN when none was computed)."""
        if self.estimates.empty:
            return float("nan")
        return float(self.estimates["relative_difference"].abs().max())

    def to_frame(self) -> pd.DataFrame:
        return self.estimates.copy()

    def __repr__(self) -> str:
        return (f"InformationLoss({self.suppressed:,} values suppressed, {self.changed:,} changed; largest relative "
                f"change of an estimate {self.max_relative_change:.3g})")

    def _repr_html_(self) -> str:
        return (
            f"<p>{self.suppressed:,} value(s) suppressed and {self.changed:,} changed.</p>"
            + self.cells.to_html(float_format=lambda v: f"{v:.2%}" if v <= 1 else f"{v:,.0f}")
            + (self.estimates.to_html(float_format=lambda v: f"{v:,.4g}") if not self.estimates.empty else "")
        )


def _weighted_estimates(frame: pd.DataFrame, column: str, w: np.ndarray, by: np.ndarray | None) -> pd.DataFrame:
    """Weighted mean (numeric) or weighted shares (categories) of a column, per group of ``by``."""
    s = frame[column]
    groups = by if by is not None else np.zeros(len(frame), dtype=object)
    known = s.notna().to_numpy()
    numeric = pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
    df = pd.DataFrame({"group": groups[known], "w": w[known]})
    if numeric:
        df["wx"] = s.to_numpy(dtype=float, na_value=np.nan)[known] * df["w"]
        agg = df.groupby("group", sort=True, dropna=False)[["wx", "w"]].sum()
        res = (agg["wx"] / agg["w"]).rename("value").reset_index()
        res["statistic"] = "mean"
        res["category"] = ""
    else:
        df["category"] = s.astype(object).to_numpy()[known]
        tot = df.groupby("group", sort=True, dropna=False)["w"].sum()
        agg = df.groupby(["group", "category"], sort=True, dropna=False)["w"].sum().rename("value").reset_index()
        agg["value"] = agg["value"] / agg["group"].map(tot).to_numpy(dtype=float)
        res = agg
        res["statistic"] = "share"
    res["category"] = res["category"].astype(str)
    return res[["group", "statistic", "category", "value"]]


def information_loss(original: pd.DataFrame, protected: pd.DataFrame, *, columns: Sequence[str] | None = None,
                     estimates: Sequence[str] | None = None, weight: str | None = None,
                     by: str | None = None) -> InformationLoss:
    """How much a protected file differs from the original: cells lost and estimates moved.

    Parameters
    ----------
    original, protected : the file before and after protection, same records in the same order
        (a result of a method is accepted for ``protected``).
    columns : columns whose cells to count (default: columns present in both).
    estimates : columns whose weighted mean (numbers) or weighted shares (categories) to compare.
    weight : column of sample weights in ``original`` (default: every record weighs 1).
    by : optional column of ``original`` defining groups (e.g. district) for the estimates.

    Examples
    --------
    >>> before = pd.DataFrame({"age": [20, 30, 40, 50], "w": [1.0, 1.0, 1.0, 1.0]})
    >>> after = before.assign(age=[20, 30, 40, None])
    >>> loss = information_loss(before, after, estimates=["age"], weight="w")
    >>> loss.suppressed, float(loss.estimates["difference"].iloc[0])
    (1, -5.0)
    """
    orig = as_frame(original, "original")
    prot = as_frame(protected, "protected")
    if len(orig) != len(prot) or not orig.index.equals(prot.index):
        raise CdcourseError(
            f"original ({len(orig)} rows) and protected ({len(prot)} rows) must hold the same records in the "
            f"same order (same index); compare before dropping or adding records"
        )
    cols = [c for c in orig.columns if c in prot.columns] if columns is None else \
        require_columns(prot, require_columns(orig, columns, "columns"), "columns")
    summary = _summary_frame(orig, prot, cols)
    cells = summary[["suppressed", "changed"]].copy()
    cells.insert(0, "records", len(orig))
    cells["share suppressed"] = cells["suppressed"] / max(len(orig), 1)
    cells["share changed"] = cells["changed"] / max(len(orig), 1)
    w = require_positive_weights(orig, weight) if weight is not None else np.ones(len(orig))
    by_vals = None
    if by is not None:
        require_columns(orig, by, "by")
        by_vals = orig[by].astype(object).to_numpy()
    parts = []
    for col in estimates or []:
        require_columns(orig, col, "estimates")
        require_columns(prot, col, "estimates")
        a = _weighted_estimates(orig, col, w, by_vals)
        b = _weighted_estimates(prot, col, w, by_vals)
        same_kind = set(a["statistic"]) == set(b["statistic"])
        merged = a.merge(b, on=["group", "statistic", "category"], how="outer", suffixes=("_original", "_protected"))
        if not same_kind:
            merged = a.rename(columns={"value": "value_original"}).assign(value_protected=np.nan)
        merged.insert(0, "estimate", col)
        parts.append(merged)
    if parts:
        est = pd.concat(parts, ignore_index=True).rename(
            columns={"value_original": "original", "value_protected": "protected"})
        est["difference"] = est["protected"] - est["original"]
        est["relative_difference"] = est["difference"] / est["original"].where(est["original"] != 0)
        if by is None:
            est = est.drop(columns="group")
        else:
            est = est.rename(columns={"group": by})
    else:
        est = pd.DataFrame(columns=["estimate", "statistic", "category", "original", "protected", "difference",
                                    "relative_difference"])
    return InformationLoss(cells=cells, estimates=est)
