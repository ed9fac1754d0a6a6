"""Disclosure-risk measures: k-anonymity, l-diversity, t-closeness and record-level risk.

All measures share one grouping of the records by their quasi-identifier key (see ``_core``), so a
full :func:`risk_report` on a million records takes about a second. Missing quasi-identifier values
follow an explicit rule, ``missing="category" | "wildcard" | "drop"``:

- ``"category"`` (default): a missing value is one more value. This is what pycanon does.
- ``"wildcard"``: a missing value could be any value, so a record is grouped with every record it
  is compatible with (equal wherever both are known). This is what sdcMicro does, and it is the
  honest rule after local suppression: a suppressed value hides the record among all values.
- ``"drop"``: records with a missing quasi-identifier are left out, as ``pandas.groupby`` does by
  default. They are not safer for it; the rule only makes the loss visible.

Missing values of the *sensitive* attribute are left out of its distributions: a missing value
discloses nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cdcourse._validate import require_positive_weights
from cdcourse.errors import CdcourseError
from cdcourse.privacy._core import (
    Missing,
    Partition,
    check_sensitive,
    number,
    encode,
    partition,
    prepare,
)

#: Where each threshold of :func:`risk_report` comes from (shown next to every verdict).
SOURCES: dict[str, str] = {
    "k": (
        "Statistical Disclosure Control: A Practice Guide (IHSN / World Bank): k-anonymity, with k = 3 "
        "and k = 5 the levels commonly applied"
    ),
    "individual_risk": (
        "0.05 is an example threshold used in published disclosure-control guidance; a choice made for "
        "this release, not an official standard"
    ),
    "global_risk": (
        "Humanitarian Data Exchange (HDX, OCHA Centre for Humanitarian Data): a global risk below 3% is "
        "treated as acceptable for publication"
    ),
    "l": (
        "this course's own choice (at least 2 distinct sensitive values per class); l-diversity is "
        "defined by Machanavajjhala et al. (2007), who set no official level"
    ),
    "t": (
        "your own choice: t-closeness (Li, Li and Venkatasubramanian 2007) has no official level"
    ),
}


# ---------------------------------------------------------------------------------------------
# the formulas, on per-class arrays
# ---------------------------------------------------------------------------------------------
def benedetti_franconi_risk(fk: np.ndarray, Fk: np.ndarray) -> np.ndarray:
    """Individual re-identification risk from sample and estimated population frequencies.

    The approximation of Benedetti and Franconi as implemented by sdcMicro's ``indivRisk`` (method
    ``"approx"``, used by ``measure_risk``), with ``p_k = f_k / F_k``:

    - ``f_k = 1``: ``p/(1-p) * log(1/p)``
    - ``f_k = 2``: ``p/(1-p) - (p/(1-p))**2 * log(1/p)``
    - ``f_k > 2``: ``p / (f_k - (1-p))``
    - ``F_k = f_k`` (no weights, or a census): ``1 / f_k``. An estimate ``F_k`` below ``f_k``
      (weights under 1) is treated the same way.

    Source: Templ, Kowarik and Meindl (2015), Statistical Disclosure Control for Micro-Data Using
    the R Package sdcMicro, Journal of Statistical Software 67(4); Franconi and Polettini (2004),
    Individual risk estimation in mu-Argus: a review.

    Examples
    --------
    >>> benedetti_franconi_risk(np.array([1, 2, 3, 4]), np.array([4, 10, 30, 4])).round(6)
    array([0.462098, 0.14941 , 0.047619, 0.25    ])
    """
    fk = np.asarray(fk, dtype=float)
    Fk = np.asarray(Fk, dtype=float)
    census = Fk <= fk
    pk = np.where(census, 0.5, fk / np.where(census, 1.0, Fk))  # placeholder p avoids 0/0 warnings
    odds = pk / (1.0 - pk)
    log_inv = np.log(1.0 / pk)
    risk = np.where(
        fk <= 1, odds * log_inv,
        np.where(fk <= 2, odds - odds**2 * log_inv, pk / (fk - (1.0 - pk))),
    )
    return np.where(census, 1.0 / np.maximum(fk, 1.0), risk)


def _l_measures(g: np.ndarray, cnt: np.ndarray, n_groups: int, c: float) -> tuple[np.ndarray, ...]:
    """Distinct, entropy and recursive (c, l) diversity per group from (group, count) pairs."""
    total = np.bincount(g, weights=cnt, minlength=n_groups)
    empty = total == 0
    distinct = np.bincount(g, minlength=n_groups).astype(float)
    p = cnt / total[g]
    entropy = -np.bincount(g, weights=p * np.log(p), minlength=n_groups)
    l_entropy = np.exp(entropy)
    # Recursive (c, l): with counts r1 >= r2 >= ... in a class, the class is (c, l)-diverse when
    # r1 < c * (r_l + r_(l+1) + ...). The largest such l is 1 + the number of positions l >= 2
    # where that holds (the tail sums only shrink as l grows). Same result as sdcMicro's ldiversity.
    order = np.lexsort((-cnt, g))
    gs, cs = g[order], cnt[order]
    starts = np.searchsorted(gs, np.arange(n_groups))
    rank = np.arange(len(gs)) - starts[gs]
    before = np.cumsum(cs) - cs - np.concatenate([[0.0], np.cumsum(cs)])[starts[gs]]
    tail = total[gs] - before
    r1 = np.zeros(n_groups)
    r1[gs[rank == 0]] = cs[rank == 0]
    holds = (rank >= 1) & (r1[gs] < c * tail)
    l_recursive = 1.0 + np.bincount(gs, weights=holds.astype(float), minlength=n_groups)
    for arr in (distinct, l_entropy, l_recursive):
        arr[empty] = np.nan
    return distinct, l_entropy, l_recursive


def _t_measures(g: np.ndarray, code: np.ndarray, cnt: np.ndarray, n_groups: int, overall: np.ndarray,
                ordered: bool) -> np.ndarray:
    """Earth mover's distance between each group's distribution and the overall one.

    ``overall`` is the overall distribution over codes ``0..m-1`` (for ordered data, codes are ranks).
    Nominal: equal ground distance, EMD = half the sum of absolute differences. Ordered: ground
    distance |i - j| / (m - 1), EMD = sum over i of |P_i - Q_i| / (m - 1) with P, Q cumulative.
    Source: Li, Li and Venkatasubramanian (2007), t-Closeness: Privacy Beyond k-Anonymity and
    l-Diversity, ICDE.
    """
    m = len(overall)
    total = np.bincount(g, weights=cnt, minlength=n_groups)
    out = np.full(n_groups, np.nan)
    has = total > 0
    if m <= 1:
        out[has] = 0.0
        return out
    p = cnt / total[g]
    if not ordered:
        q = overall[code]
        # Codes absent from a group contribute their whole q; present ones |p - q|.
        seen = np.bincount(g, weights=np.abs(p - q) - q, minlength=n_groups)
        out[has] = 0.5 * (seen[has] + 1.0)
        return np.clip(out, 0.0, 1.0)
    Q = np.cumsum(overall)
    CQ = np.concatenate([[0.0], np.cumsum(Q)])  # CQ[i] = Q[0] + ... + Q[i-1]
    order = np.lexsort((code, g))
    gs, cs, ps = g[order], code[order], p[order]
    starts = np.searchsorted(gs, np.arange(n_groups))
    P = np.cumsum(ps) - np.concatenate([[0.0], np.cumsum(ps)])[starts[gs]]  # class CDF after each code
    # The class CDF is a step function: 0 before its first code, P_s from code c_s up to the next
    # code (or m). On each step the sum of |P - Q_i| splits where the increasing Q crosses P.
    nxt = np.empty_like(cs)
    nxt[:-1] = cs[1:]
    last = np.ones(len(gs), dtype=bool)
    last[:-1] = gs[1:] != gs[:-1]
    nxt[last] = m
    firsts = np.flatnonzero(np.r_[True, gs[1:] != gs[:-1]]) if len(gs) else np.zeros(0, dtype=np.int64)
    seg_a = np.concatenate([np.zeros(len(firsts), dtype=np.int64), cs])
    seg_b = np.concatenate([cs[firsts], nxt])
    seg_v = np.concatenate([np.zeros(len(firsts)), P])
    seg_g = np.concatenate([gs[firsts], gs])
    t = np.clip(np.searchsorted(Q, seg_v, side="right"), seg_a, seg_b)
    below = seg_v * (t - seg_a) - (CQ[t] - CQ[seg_a])
    above = (CQ[seg_b] - CQ[t]) - seg_v * (seg_b - t)
    emd = np.bincount(seg_g, weights=below + above, minlength=n_groups) / (m - 1)
    out[has] = emd[has]
    return np.clip(out, 0.0, 1.0)


def _sensitive_codes(series: pd.Series, ordered: bool | Sequence[Any] | None) -> tuple[np.ndarray, int, bool]:
    """Codes of the sensitive attribute (ranks when ordered) and whether distances are ordered."""
    if ordered is not None and not isinstance(ordered, bool):
        order = list(ordered)
        lookup = {v: i for i, v in enumerate(order)}
        known = series.notna()
        unknown = sorted({str(v) for v in series[known] if v not in lookup})
        if unknown:
            raise CdcourseError(
                f"ordered lists the order of the sensitive values but leaves out {', '.join(unknown[:8])}; "
                f"list every value, lowest first"
            )
        codes = series.astype(object).map(lookup).fillna(-1).to_numpy(dtype=np.int64)
        return _compact(codes), len(np.unique(codes[codes >= 0])), True
    is_cat = isinstance(series.dtype, pd.CategoricalDtype)
    numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
    auto_ordered = numeric or (is_cat and bool(series.cat.ordered))
    use_order = auto_ordered if ordered is None else bool(ordered)
    if use_order and not auto_ordered:
        known = series.dropna()
        if len(known) and not is_cat and pd.to_numeric(known.astype(str), errors="coerce").notna().all():
            # "10" sorts before "2" as text: say what is wrong instead of ordering text silently.
            raise CdcourseError(
                f"sensitive column {series.name!r} holds numbers stored as text (dtype {series.dtype}); convert "
                f"it with pd.to_numeric first, or pass ordered=[...] with its values from lowest to highest"
            )
        raise CdcourseError(
            f"sensitive column {series.name!r} has no order (dtype {series.dtype}); pass ordered=[...] with "
            f"its values from lowest to highest, or ordered=False"
        )
    if numeric and not is_cat:
        codes, uniques = pd.factorize(series, sort=True, use_na_sentinel=True)
        return codes.astype(np.int64), len(uniques), use_order
    codes, _ = encode(series)
    codes = _compact(codes)
    return codes, int(codes.max()) + 1 if (codes >= 0).any() else 0, use_order


def _compact(codes: np.ndarray) -> np.ndarray:
    """Renumber non-negative codes 0..m-1 keeping their order (only observed values count)."""
    ok = codes >= 0
    if not ok.any():
        return codes
    observed = np.unique(codes[ok])
    out = codes.copy()
    out[ok] = np.searchsorted(observed, codes[ok])
    return out


# ---------------------------------------------------------------------------------------------
# shared computation
# ---------------------------------------------------------------------------------------------
@dataclass
class _Computed:
    part: Partition
    fk: np.ndarray                       # per group: records in the anonymity set
    size: np.ndarray                     # per group: records with exactly this key
    Fk: np.ndarray                       # per group: estimated population frequency
    risk: np.ndarray                     # per group: individual risk
    l: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    t: np.ndarray | None = None
    weighted: bool = False


def _compute(frame: pd.DataFrame, qis: list[str], *, missing: str, weight: str | None = None,
             sensitive: str | None = None, c: float = 2.0, ordered: Any = None,
             need_risk: bool = True, need_l: bool = True, need_t: bool = True) -> _Computed:
    part = partition(frame, qis, missing)
    size = np.bincount(part.group, minlength=part.n_groups).astype(float)
    fk = part.set_sum() if part.uses_wildcards else size
    weighted = weight is not None
    if weighted:
        w = require_positive_weights(frame, weight)
        w_kept = w if part.all_kept else w[part.rows]
        Fk = part.set_sum(w_kept)
    else:
        Fk = fk
    risk = benedetti_franconi_risk(fk, Fk) if need_risk else np.full(part.n_groups, np.nan)
    out = _Computed(part=part, fk=fk, size=size, Fk=Fk, risk=risk, weighted=weighted)
    if sensitive is not None and (need_l or need_t):
        codes, m, is_ordered = _sensitive_codes(frame[sensitive], ordered if need_t else None)
        codes_kept = codes if part.all_kept else codes[part.rows]
        if not part.all_kept:
            # Only values present in the measured records count (as for the whole file).
            codes_kept = _compact(codes_kept)
            m = int(codes_kept.max()) + 1 if (codes_kept >= 0).any() else 0
        g, code, cnt = part.set_counts(codes_kept, m)
        if need_l:
            out.l = _l_measures(g, cnt, part.n_groups, c)
        if need_t:
            overall = np.bincount(codes_kept[codes_kept >= 0], minlength=m).astype(float)
            if overall.sum() == 0:
                out.t = np.full(part.n_groups, np.nan)
            else:
                out.t = _t_measures(g, code, cnt, part.n_groups, overall / overall.sum(), is_ordered)
    return out


def _check_c(c: float) -> float:
    return float(number(c, "c", low=0, low_inclusive=False))


# ---------------------------------------------------------------------------------------------
# public measures
# ---------------------------------------------------------------------------------------------
def k_anonymity(data: pd.DataFrame, quasi_identifiers: Sequence[str], *, missing: Missing = "category") -> int:
    """Smallest number of records that share one combination of quasi-identifier values.

    A release is k-anonymous when every record shares its combination with at least k - 1 others;
    k = 1 means somebody is unique and can be singled out by anyone who knows those facts.

    Parameters
    ----------
    data : the microdata, one row per record; not modified.
    quasi_identifiers : columns an intruder could know from elsewhere (age, sex, place, ...).
    missing : how a missing value groups: "category" (its own value, as pycanon does), "wildcard"
        (matches any value, as sdcMicro does) or "drop" (records with a missing value are ignored).

    Examples
    --------
    >>> k_anonymity(pd.DataFrame({"age": [30, 30, 40], "sex": ["F", "F", "M"]}), ["age", "sex"])
    1
    >>> k_anonymity(pd.DataFrame({"age": [30, 30, None], "sex": ["F", "F", "F"]}), ["age", "sex"],
    ...             missing="wildcard")
    3

    Source: Statistical Disclosure Control: A Practice Guide (IHSN), section on k-anonymity;
    Sweeney (2002), k-anonymity: a model for protecting privacy.
    """
    frame, qis = prepare(data, quasi_identifiers, missing)
    comp = _compute(frame, qis, missing=missing, need_risk=False)
    return int(comp.fk.min())


def l_diversity(data: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: str, *,
                kind: str = "distinct", c: float = 2.0, missing: Missing = "category") -> float:
    """How many well-represented sensitive values the least diverse class has.

    k-anonymity hides *who* a record is; it does not stop disclosure when everyone in a class has
    the same sensitive value (everyone aged 30-34 in the village reports violence). l-diversity asks
    for at least l different values in every class.

    Parameters
    ----------
    data : the microdata; not modified.
    quasi_identifiers : columns an intruder could know.
    sensitive : the attribute to protect (must not be a quasi-identifier).
    kind : "distinct" (number of different values), "entropy" (exp of the entropy of the values: l
        when l values are equally common) or "recursive" (the largest l for which every class is
        recursive (c, l)-diverse: the most common value is less than c times the sum of the values
        from the l-th most common on).
    c : the constant of recursive (c, l)-diversity.
    missing : rule for missing quasi-identifiers ("category", "wildcard", "drop"). Missing sensitive
        values are left out of each class's distribution; classes without any are ignored.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [30, 30, 30, 40, 40], "hiv": ["y", "n", "n", "n", "n"]})
    >>> l_diversity(df, ["age"], "hiv")
    1
    >>> round(l_diversity(df.iloc[:3], ["age"], "hiv", kind="entropy"), 4)
    1.8899

    Source: Machanavajjhala, Kifer, Gehrke and Venkitasubramaniam (2007), l-Diversity: Privacy
    Beyond k-Anonymity, ACM TKDD 1(1).
    """
    frame, qis = prepare(data, quasi_identifiers, missing)
    check_sensitive(frame, sensitive, qis)
    kinds = ("distinct", "entropy", "recursive")
    if kind not in kinds:
        raise CdcourseError(f"kind must be one of 'distinct', 'entropy', 'recursive'; got {kind!r}")
    comp = _compute(frame, qis, missing=missing, sensitive=sensitive, c=_check_c(c),
                    need_risk=False, need_t=False)
    values = comp.l[kinds.index(kind)]
    if np.isnan(values).all():
        raise CdcourseError(f"sensitive column {sensitive!r} has no known value; l-diversity is undefined")
    low = float(np.nanmin(values))
    return int(low) if kind != "entropy" else low


def t_closeness(data: pd.DataFrame, quasi_identifiers: Sequence[str], sensitive: str, *,
                ordered: bool | Sequence[Any] | None = None, missing: Missing = "category") -> float:
    """Largest distance between a class's sensitive-value distribution and the overall one.

    Small t means that learning which class someone is in tells an intruder little more about the
    sensitive value than the whole file does. The distance is the earth mover's distance: equal
    ground distance for categories; for ordered values (numbers, ordered categories, or an order
    you pass) neighbouring values are closer than distant ones.

    Parameters
    ----------
    data : the microdata; not modified.
    quasi_identifiers : columns an intruder could know.
    sensitive : the attribute to protect (must not be a quasi-identifier).
    ordered : None to decide from the dtype (numeric or ordered categorical = ordered), True/False
        to force, or a list of the values from lowest to highest.
    missing : rule for missing quasi-identifiers ("category", "wildcard", "drop").

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["F", "F", "M", "M"], "water": ["tap", "tap", "well", "tap"]})
    >>> t_closeness(df, ["sex"], "water")
    0.25
    >>> df = pd.DataFrame({"sex": ["F", "F", "M", "M"], "income": [1, 2, 3, 3]})
    >>> t_closeness(df, ["sex"], "income")
    0.375

    Source: Li, Li and Venkatasubramanian (2007), t-Closeness: Privacy Beyond k-Anonymity and
    l-Diversity, ICDE.
    """
    frame, qis = prepare(data, quasi_identifiers, missing)
    check_sensitive(frame, sensitive, qis)
    comp = _compute(frame, qis, missing=missing, sensitive=sensitive, ordered=ordered,
                    need_risk=False, need_l=False)
    if np.isnan(comp.t).all():
        raise CdcourseError(f"sensitive column {sensitive!r} has no known value; t-closeness is undefined")
    return float(np.nanmax(comp.t))


def _record_table(frame: pd.DataFrame, comp: _Computed) -> pd.DataFrame:
    part = comp.part
    cls = part.per_record(np.arange(part.n_groups), fill=-1)
    table = pd.DataFrame(
        {
            "class_id": cls.astype(np.int64),
            "fk": part.per_record(comp.fk),
            "Fk": part.per_record(comp.Fk),
            "risk": part.per_record(comp.risk),
        },
        index=frame.index,
    )
    if comp.l is not None:
        table["l_distinct"] = part.per_record(comp.l[0])
    if comp.t is not None:
        table["t"] = part.per_record(comp.t)
    return table


@dataclass(frozen=True)
class IndividualRisk:
    """Re-identification risk of every record, with the file-level summaries.

    ``records`` has one row per record of the data (same index): ``class_id``, ``fk`` (records in
    the sample sharing its key), ``Fk`` (estimated population count: the sum of the weights), and
    ``risk``. ``global_risk`` is the mean risk, ``expected_reidentifications`` the sum.
    """

    quasi_identifiers: tuple[str, ...]
    weight: str | None
    missing: str
    records: pd.DataFrame
    global_risk: float
    expected_reidentifications: float
    max_risk: float

    def to_frame(self) -> pd.DataFrame:
        return self.records.copy()

    def __repr__(self) -> str:
        return (f"IndividualRisk({len(self.records):,} records; global risk {self.global_risk:.4g}, expected "
                f"re-identifications {self.expected_reidentifications:,.4g}, highest risk {self.max_risk:.4g})")

    def high_risk(self, threshold: float = 0.05) -> pd.DataFrame:
        """Records whose risk is above ``threshold``, riskiest first."""
        r = self.records
        return r[r["risk"] > threshold].sort_values("risk", ascending=False)

    def _repr_html_(self) -> str:
        summary = pd.DataFrame(
            {"value": [len(self.records), self.global_risk, self.expected_reidentifications, self.max_risk]},
            index=["records", "global risk (mean)", "expected re-identifications (sum)", "highest risk"],
        )
        return (
            summary.to_html(float_format=lambda v: f"{v:,.4g}")
            + f"<p>On average a record has a {self.global_risk:.1%} chance of being correctly re-identified by "
              f"someone who knows {', '.join(self.quasi_identifiers)}; about "
              f"{self.expected_reidentifications:,.1f} records in the file could be.</p>"
        )


def individual_risk(data: pd.DataFrame, quasi_identifiers: Sequence[str], *, weight: str | None = None,
                    missing: Missing = "category") -> IndividualRisk:
    """The chance that each record is correctly re-identified by someone who knows its key.

    With sample weights, the population count of a key is estimated as the sum of the weights in its
    class, ``F_k``, and the risk follows the Benedetti-Franconi approximation used by sdcMicro's
    ``measure_risk`` (see :func:`benedetti_franconi_risk`). Without weights the file is treated as
    the whole population and the risk is ``1 / f_k``.

    Parameters
    ----------
    data : the microdata; not modified.
    quasi_identifiers : columns an intruder could know.
    weight : column of sample weights (every weight > 0), or None.
    missing : rule for missing quasi-identifiers ("category", "wildcard", "drop"); dropped records
        get a missing risk and do not count in the global risk.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["F", "M", "M"], "w": [4.0, 5.0, 5.0]})
    >>> r = individual_risk(df, ["sex"], weight="w")
    >>> r.records["risk"].round(4).tolist()
    [0.4621, 0.1494, 0.1494]
    >>> round(r.expected_reidentifications, 4)
    0.7609

    Source: Templ, Kowarik and Meindl (2015), JSS 67(4), sdcMicro ``measure_risk``/``indivRisk``;
    Franconi and Polettini (2004).
    """
    frame, qis = prepare(data, quasi_identifiers, missing)
    comp = _compute(frame, qis, missing=missing, weight=weight)
    records = _record_table(frame, comp)
    risk = records["risk"].to_numpy()
    return IndividualRisk(
        quasi_identifiers=tuple(qis), weight=weight, missing=missing, records=records,
        global_risk=float(np.nanmean(risk)), expected_reidentifications=float(np.nansum(risk)),
        max_risk=float(np.nanmax(risk)),
    )


def global_risk(data: pd.DataFrame, quasi_identifiers: Sequence[str], *, weight: str | None = None,
                missing: Missing = "category") -> float:
    """Mean individual re-identification risk of the file (sdcMicro's global risk).

    Examples
    --------
    >>> global_risk(pd.DataFrame({"sex": ["F", "M", "M"]}), ["sex"])
    0.6666666666666666
    """
    return individual_risk(data, quasi_identifiers, weight=weight, missing=missing).global_risk


def equivalence_classes(data: pd.DataFrame, quasi_identifiers: Sequence[str], *, sensitive: str | None = None,
                        weight: str | None = None, missing: Missing = "category", c: float = 2.0,
                        ordered: bool | Sequence[Any] | None = None) -> pd.DataFrame:
    """One row per combination of quasi-identifier values, riskiest first.

    Columns: the quasi-identifiers, ``size`` (records with exactly this combination), ``fk``
    (records an intruder cannot tell apart from them: equal to ``size`` unless missing values are
    wildcards), ``Fk`` (estimated population count), ``risk``, and with a sensitive attribute
    ``l_distinct``, ``l_entropy``, ``l_recursive`` and ``t``.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [30, 30, 40], "sex": ["F", "F", "M"]})
    >>> equivalence_classes(df, ["age", "sex"])[["age", "sex", "size", "risk"]]
      age sex  size  risk
    0  40   M     1   1.0
    1  30   F     2   0.5
    """
    frame, qis = prepare(data, quasi_identifiers, missing)
    if sensitive is not None:
        check_sensitive(frame, sensitive, qis)
    comp = _compute(frame, qis, missing=missing, weight=weight, sensitive=sensitive, c=_check_c(c), ordered=ordered)
    return _class_table(comp)


def _class_table(comp: _Computed, groups: np.ndarray | None = None) -> pd.DataFrame:
    part = comp.part
    order = np.lexsort((comp.fk, -comp.risk)) if groups is None else groups
    table = part.key_frame(order)
    table["size"] = comp.size[order].astype(np.int64)
    table["fk"] = comp.fk[order].astype(np.int64)
    table["Fk"] = comp.Fk[order]
    table["risk"] = comp.risk[order]
    if comp.l is not None:
        table["l_distinct"] = comp.l[0][order]
        table["l_entropy"] = comp.l[1][order]
        table["l_recursive"] = comp.l[2][order]
    if comp.t is not None:
        table["t"] = comp.t[order]
    table.insert(0, "class_id", order.astype(np.int64))
    return table


# ---------------------------------------------------------------------------------------------
# the one-call report
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RiskReport:
    """Every disclosure-risk measure of a file, with verdicts against stated thresholds.

    ``verdicts`` has one row per threshold (measure, value, rule, threshold, passes, source);
    ``classes`` one row per equivalence class, riskiest first; ``records`` one row per record (same
    index as the data). ``worst`` shows the first ``top`` classes.
    """

    quasi_identifiers: tuple[str, ...]
    sensitive: str | None
    weight: str | None
    missing: str
    n_records: int
    n_considered: int
    n_classes: int
    k: int
    records_below_k: int
    l_distinct: float | None
    l_entropy: float | None
    l_recursive: float | None
    c: float
    t: float | None
    global_risk: float
    expected_reidentifications: float
    max_risk: float
    high_risk_records: int
    verdicts: pd.DataFrame
    classes: pd.DataFrame = field(repr=False)
    records: pd.DataFrame = field(repr=False)
    top: int = 10

    @property
    def passes(self) -> bool:
        """True when every threshold is met."""
        return bool(self.verdicts["passes"].all())

    @property
    def worst(self) -> pd.DataFrame:
        """The ``top`` riskiest equivalence classes."""
        return self.classes.head(self.top)

    def to_frame(self) -> pd.DataFrame:
        """The measures as a two-column table (measure, value)."""
        rows = [
            ("records", self.n_records), ("records measured", self.n_considered),
            ("equivalence classes", self.n_classes), ("k (smallest class)", self.k),
            ("records in classes below the k threshold", self.records_below_k),
        ]
        if self.sensitive is not None:
            rows += [("l-diversity (distinct)", self.l_distinct), ("l-diversity (entropy)", self.l_entropy),
                     (f"l-diversity (recursive, c={self.c:g})", self.l_recursive), ("t-closeness", self.t)]
        rows += [("global risk (mean individual risk)", self.global_risk),
                 ("expected re-identifications", self.expected_reidentifications),
                 ("highest individual risk", self.max_risk),
                 ("records above the individual-risk threshold", self.high_risk_records)]
        return pd.DataFrame(rows, columns=["measure", "value"])

    def summary(self) -> str:
        """The report in two plain-language sentences."""
        who = ", ".join(self.quasi_identifiers)
        verdict = "meets every threshold" if self.passes else (
            "fails " + ", ".join(self.verdicts.loc[~self.verdicts["passes"], "measure"]))
        return (
            f"Knowing {who}, an intruder finds the smallest group has {self.k} record(s); "
            f"{self.records_below_k:,} record(s) sit in groups below the threshold, and about "
            f"{self.expected_reidentifications:,.1f} record(s) could be re-identified "
            f"(global risk {self.global_risk:.2%}). The file {verdict}."
        )

    def __repr__(self) -> str:
        return f"RiskReport({self.summary()})"

    def __str__(self) -> str:
        return (self.summary() + "\n\n" + self.verdicts[["measure", "value", "rule", "passes"]].to_string(index=False)
                + "\n\nRiskiest classes:\n" + self.worst.to_string(index=False))

    def _repr_html_(self) -> str:
        fmt = lambda v: f"{v:,.4g}"  # noqa: E731
        verdicts = self.verdicts.copy()
        verdicts["passes"] = verdicts["passes"].map({True: "yes", False: "NO"})
        return (
            f"<p><b>Disclosure-risk report</b> ({self.n_records:,} records; quasi-identifiers: "
            f"{', '.join(self.quasi_identifiers)}; missing values: {self.missing})</p>"
            + verdicts.to_html(index=False, float_format=fmt)
            + f"<p>{self.summary()}</p><p>Riskiest classes:</p>"
            + self.worst.to_html(index=False, float_format=fmt)
        )


def risk_report(data: pd.DataFrame, quasi_identifiers: Sequence[str], *, sensitive: str | None = None,
                weight: str | None = None, missing: Missing = "category", k: int = 3,
                max_individual_risk: float = 0.05, max_global_risk: float = 0.03, min_l: float | None = 2,
                max_t: float | None = None, c: float = 2.0, ordered: bool | Sequence[Any] | None = None,
                top: int = 10) -> RiskReport:
    """All disclosure-risk measures of a file in one call, each judged against a cited threshold.

    Parameters
    ----------
    data : the microdata; not modified.
    quasi_identifiers : columns an intruder could know from elsewhere.
    sensitive : attribute to protect; adds l-diversity and t-closeness.
    weight : sample weights for the population-frequency estimate of the individual risk.
    missing : rule for missing quasi-identifiers: "category", "wildcard" or "drop".
    k : required k (3 and 5 are the levels commonly applied: IHSN SDC Practice Guide).
    max_individual_risk : highest acceptable record-level risk (0.05 is an example threshold).
    max_global_risk : highest acceptable mean risk (HDX treats below 3% as acceptable).
    min_l : required distinct l-diversity (the course's choice 2), or None for no verdict.
    max_t : highest acceptable t-closeness, or None (default) for no verdict.
    c : constant of recursive (c, l)-diversity.
    ordered : how to compare sensitive values for t-closeness (see :func:`t_closeness`).
    top : how many riskiest classes ``worst`` shows.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [30, 30, 30, 40], "sex": ["F", "F", "F", "M"]})
    >>> rep = risk_report(df, ["age", "sex"], k=3)
    >>> rep.k, rep.passes
    (1, False)
    >>> rep.verdicts[["measure", "passes"]].values.tolist()[0]
    ['k-anonymity', False]
    """
    frame, qis = prepare(data, quasi_identifiers, missing)
    if sensitive is not None:
        check_sensitive(frame, sensitive, qis)
    k = int(number(k, "k", low=1, integer=True))
    number(max_individual_risk, "max_individual_risk", low=0, high=1, low_inclusive=False)
    number(max_global_risk, "max_global_risk", low=0, high=1, low_inclusive=False)
    if min_l is not None:
        number(min_l, "min_l", low=1)
    if max_t is not None:
        number(max_t, "max_t", low=0, high=1)
    top = int(number(top, "top", low=0, integer=True))
    comp = _compute(frame, qis, missing=missing, weight=weight, sensitive=sensitive, c=_check_c(c),
                    ordered=ordered)
    part = comp.part
    records = _record_table(frame, comp)
    risk_kept = comp.risk[part.group]
    k_found = int(comp.fk.min())
    below = int((comp.fk[part.group] < k).sum())
    high = int((risk_kept > max_individual_risk).sum())
    g_risk = float(risk_kept.mean())
    verdicts = [
        ("k-anonymity", float(k_found), ">=", float(k), k_found >= k, SOURCES["k"]),
        ("highest individual risk", float(risk_kept.max()), "<=", float(max_individual_risk),
         bool(risk_kept.max() <= max_individual_risk), SOURCES["individual_risk"]),
        ("global risk", g_risk, "<", float(max_global_risk), g_risk < max_global_risk, SOURCES["global_risk"]),
    ]
    l_vals: list[float | None] = [None, None, None]
    t_val = None
    if sensitive is not None:
        if not np.isnan(comp.l[0]).all():
            l_vals = [float(np.nanmin(a)) for a in comp.l]
        t_val = float(np.nanmax(comp.t)) if not np.isnan(comp.t).all() else None
        if min_l is not None and l_vals[0] is not None:
            verdicts.append(("l-diversity (distinct)", l_vals[0], ">=", float(min_l), l_vals[0] >= min_l, SOURCES["l"]))
        if max_t is not None and t_val is not None:
            verdicts.append(("t-closeness", t_val, "<=", float(max_t), t_val <= max_t, SOURCES["t"]))
    verdict_frame = pd.DataFrame(verdicts, columns=["measure", "value", "rule", "threshold", "passes", "source"])
    verdict_frame["passes"] = verdict_frame["passes"].astype(bool)
    return RiskReport(
        quasi_identifiers=tuple(qis), sensitive=sensitive, weight=weight, missing=missing,
        n_records=len(frame), n_considered=part.n_kept, n_classes=part.n_groups, k=k_found,
        records_below_k=below, l_distinct=l_vals[0], l_entropy=l_vals[1], l_recursive=l_vals[2], c=float(c),
        t=t_val, global_risk=g_risk, expected_reidentifications=float(risk_kept.sum()),
        max_risk=float(risk_kept.max()), high_risk_records=high, verdicts=verdict_frame,
        classes=_class_table(comp), records=records, top=top,
    )
