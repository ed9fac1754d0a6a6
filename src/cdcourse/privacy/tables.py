"""Protecting published tables: small cells, dominant contributors, secondary suppression, noise.

Rules from the *Handbook on Statistical Disclosure Control* (Hundepool et al., 2nd ed.):

- **minimum frequency** (threshold rule): a cell counting fewer than ``n`` respondents is unsafe;
  n = 3 is the common choice.
- **(n, k)-dominance**: a cell of a magnitude table (e.g. total income) is unsafe when its ``n``
  largest contributors make up more than ``k`` percent of the cell total.
- **p% rule**: a cell is unsafe when the second-largest contributor could estimate the largest
  one to within ``p`` percent (``total - x1 - x2 < p/100 * x1``). The Handbook prefers it to the
  (2, k) rule and relates the two by ``p = 100 (100 - k) / k``.
- **secondary suppression**: once a cell is hidden, the row and column totals let anyone recompute
  it unless at least one more cell in that row and column is hidden too.

The defaults of the dominance and p% rules (n = 2, k = 85; p = 10) are examples to start from, not
values the Handbook prescribes: each agency sets and states its own, and keeps them confidential
when knowing them would help an intruder.

For counts, :func:`laplace_counts` adds Laplace noise with scale ``sensitivity / epsilon``, the
basic mechanism of differential privacy (Dwork, McSherry, Nissim and Smith, 2006).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdcourse._validate import make_rng, require_columns
from cdcourse.errors import CdcourseError
from cdcourse.privacy._core import as_frame, number

SOURCE = "Hundepool et al., Handbook on Statistical Disclosure Control, 2nd ed. (ESSnet SDC)"


def _as_table(table: pd.DataFrame | pd.Series, param: str = "table") -> pd.DataFrame:
    if isinstance(table, pd.Series):
        table = table.to_frame()
    if not isinstance(table, pd.DataFrame):
        raise CdcourseError(f"{param} must be a DataFrame (or Series) of counts; got {type(table).__name__}")
    if table.empty:
        raise CdcourseError(f"{param} is empty; at least one cell is needed")
    non_numeric = [c for c in table.columns if not pd.api.types.is_numeric_dtype(table[c].dtype)
                   or pd.api.types.is_bool_dtype(table[c].dtype)]
    if non_numeric:
        raise CdcourseError(
            f"{param} must hold numbers only; column(s) {', '.join(map(str, non_numeric))} are not numeric "
            f"(put labels in the index, e.g. with pd.crosstab or df.set_index)"
        )
    negative = [c for c in table.columns if (table[c] < 0).any()]
    if negative:
        raise CdcourseError(
            f"{param} has negative counts in column(s) {', '.join(map(str, negative))}; a count is 0 or more"
        )
    return table


@dataclass(frozen=True)
class TableProtection:
    """A table with its unsafe cells and what was suppressed.

    ``primary`` marks cells that fail the rule, ``secondary`` cells hidden only to protect them,
    ``protected`` is the publishable table (suppressed cells missing). ``display()`` shows it with
    a marker in place of hidden cells.
    """

    table: pd.DataFrame
    primary: pd.DataFrame
    secondary: pd.DataFrame
    rule: str

    @property
    def suppressed(self) -> pd.DataFrame:
        return self.primary | self.secondary

    @property
    def protected(self) -> pd.DataFrame:
        return self.table.astype(float).mask(self.suppressed)

    @property
    def n_primary(self) -> int:
        return int(self.primary.to_numpy().sum())

    @property
    def n_secondary(self) -> int:
        return int(self.secondary.to_numpy().sum())

    def display(self, marker: str = "x") -> pd.DataFrame:
        """The table as text, with ``marker`` in every suppressed cell."""
        shown = self.table.map(lambda v: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}")
        return shown.mask(self.suppressed, marker)

    def to_frame(self) -> pd.DataFrame:
        return self.protected

    def __repr__(self) -> str:
        return (f"TableProtection({self.rule}: {self.n_primary} unsafe, {self.n_secondary} hidden to protect them)\n"
                + self.display().to_string())

    def _repr_html_(self) -> str:
        return (f"<p>{self.rule}: {self.n_primary} unsafe cell(s), {self.n_secondary} more hidden to protect them "
                f"(x = suppressed).</p>" + self.display().to_html())


def frequency_rule(table: pd.DataFrame | pd.Series, *, n: int = 3, zero_is_safe: bool = True) -> TableProtection:
    """Mark cells counting fewer than ``n`` respondents as unsafe (the minimum-frequency rule).

    ``n = 3`` is the common choice (Handbook on SDC). Empty cells (0) are safe by default: an
    empty cell discloses that nobody has the characteristic, which may itself be sensitive; pass
    ``zero_is_safe=False`` when it is (e.g. "no woman in the village has a disability" is safe, "no
    household has an improved water source" may not be).

    Examples
    --------
    >>> t = pd.DataFrame({"yes": [12, 2], "no": [30, 8]}, index=["D01", "D02"])
    >>> frequency_rule(t, n=3).display()
        yes  no
    D01  12  30
    D02   x   8
    """
    t = _as_table(table)
    n = int(number(n, "n", low=1, integer=True))
    values = t.to_numpy(dtype=float)
    unsafe = values < n
    if zero_is_safe:
        unsafe &= values != 0
    primary = pd.DataFrame(unsafe, index=t.index, columns=t.columns)
    secondary = pd.DataFrame(False, index=t.index, columns=t.columns)
    return TableProtection(table=t, primary=primary, secondary=secondary, rule=f"minimum frequency (n={n})")


def _contributions(data: pd.DataFrame, by: str | Sequence[str], value: str) -> tuple[pd.DataFrame, list[str]]:
    frame = as_frame(data)
    cells = require_columns(frame, by, "by")
    require_columns(frame, value, "value")
    if not pd.api.types.is_numeric_dtype(frame[value].dtype):
        raise CdcourseError(f"value column {value!r} must be numeric; its dtype is {frame[value].dtype}")
    df = frame[cells + [value]].dropna(subset=[value])
    if (df[value] < 0).any():
        raise CdcourseError(f"value column {value!r} has negative contributions; dominance rules need values >= 0")
    df = df.sort_values(cells + [value], ascending=[True] * len(cells) + [False], kind="stable")
    df["_rank"] = df.groupby(cells, sort=False, observed=True, dropna=False).cumcount()
    return df, cells


def dominance_rule(data: pd.DataFrame, by: str | Sequence[str], value: str, *, n: int = 2,
                   k: float = 85) -> pd.DataFrame:
    """Per cell of a magnitude table, whether its ``n`` largest contributors exceed ``k`` % of the total.

    ``data`` holds one row per contributor (respondent, business); ``by`` defines the cells and
    ``value`` the magnitude summed in the table.

    Examples
    --------
    >>> df = pd.DataFrame({"district": ["D01"] * 4 + ["D02"] * 3, "income": [900, 50, 30, 20, 40, 35, 30]})
    >>> dominance_rule(df, "district", "income", n=2, k=85)[["contributors", "total", "top_share", "unsafe"]]
              contributors   total  top_share  unsafe
    district
    D01                  4  1000.0   0.950000    True
    D02                  3   105.0   0.714286   False

    Source: Handbook on Statistical Disclosure Control, 2nd ed., (n, k)-dominance rule.
    """
    n = int(number(n, "n", low=1, integer=True))
    k = float(number(k, "k", low=0, high=100, low_inclusive=False))
    df, cells = _contributions(data, by, value)
    g = df.groupby(cells, sort=True, observed=True, dropna=False)
    total = g[value].sum().astype(float)
    top = df[df["_rank"] < n].groupby(cells, sort=True, observed=True, dropna=False)[value].sum().astype(float)
    out = pd.DataFrame({"contributors": g.size(), "total": total, "top_n": top.reindex(total.index).fillna(0.0)})
    out["top_share"] = np.where(out["total"] > 0, out["top_n"] / out["total"].where(out["total"] > 0), 0.0)
    out["unsafe"] = out["top_share"] > k / 100
    return out


def p_from_dominance_k(k: float) -> float:
    """The p of the p% rule comparable with a (2, k) dominance rule: ``p = 100 (100 - k) / k``.

    Examples
    --------
    >>> round(p_from_dominance_k(85), 2)
    17.65

    Source: Handbook on Statistical Disclosure Control, 2nd ed., relation between the p% and
    (2, k)-dominance rules.
    """
    k = float(number(k, "k", low=0, high=100, low_inclusive=False))
    return 100.0 * (100.0 - k) / k


def p_percent_rule(data: pd.DataFrame, by: str | Sequence[str], value: str, *, p: float = 10) -> pd.DataFrame:
    """Per cell, whether the second-largest contributor could estimate the largest within ``p`` %.

    With contributions x1 >= x2 >= ... and total T, the second-largest knows T - x1 - x2 is all
    the others; the cell is unsafe when ``T - x1 - x2 < p/100 * x1``. A cell with one or two
    contributors is always unsafe.

    Examples
    --------
    >>> df = pd.DataFrame({"district": ["D01"] * 4 + ["D02"] * 3, "income": [900, 50, 30, 20, 40, 35, 30]})
    >>> p_percent_rule(df, "district", "income", p=10)[["x1", "x2", "remainder", "unsafe"]]
                 x1    x2  remainder  unsafe
    district
    D01       900.0  50.0       50.0    True
    D02        40.0  35.0       30.0   False

    Source: Handbook on Statistical Disclosure Control, 2nd ed., p% rule.
    """
    p = float(number(p, "p", low=0, low_inclusive=False))
    df, cells = _contributions(data, by, value)
    g = df.groupby(cells, sort=True, observed=True, dropna=False)
    total = g[value].sum().astype(float)
    x1 = df[df["_rank"] == 0].groupby(cells, sort=True, observed=True, dropna=False)[value].sum()
    x2 = df[df["_rank"] == 1].groupby(cells, sort=True, observed=True, dropna=False)[value].sum()
    out = pd.DataFrame({"contributors": g.size(), "total": total})
    out["x1"] = x1.reindex(total.index).fillna(0.0).astype(float)
    out["x2"] = x2.reindex(total.index).fillna(0.0).astype(float)
    out["remainder"] = out["total"] - out["x1"] - out["x2"]
    out["unsafe"] = (out["remainder"] < p / 100 * out["x1"]) & (out["total"] > 0)
    return out


def secondary_suppression(table: pd.DataFrame | TableProtection, unsafe: pd.DataFrame | None = None, *,
                          margins: bool = True) -> TableProtection:
    """Hide enough extra cells that no suppressed cell can be recomputed from a row or column total.

    Every row and every column of the table (totals included) that has a hidden cell gets at least
    two. Extra cells are chosen among the row's (column's) visible cells: first one whose column
    (row) also needs a second hidden cell, then the smallest non-empty one, inner cells before
    totals. A simple heuristic: it stops the one-step subtraction attack, not every attack by
    linear programming (for that, use tau-ARGUS or sdcTable).

    Parameters
    ----------
    table : a table of counts with a total row and column when ``margins=True`` (as
        ``pd.crosstab(..., margins=True)`` makes), or a :class:`TableProtection` from a primary rule.
    unsafe : boolean table of primary unsafe cells (taken from ``table`` when it is a result).
    margins : whether the last row and last column are totals (they are hidden only when needed).

    Examples
    --------
    >>> t = pd.DataFrame({"yes": [12, 2, 14], "no": [30, 8, 38], "All": [42, 10, 52]}, index=["D01", "D02", "All"])
    >>> res = secondary_suppression(frequency_rule(t))
    >>> res.display()
        yes  no All
    D01   x   x  42
    D02   x   x  10
    All  14  38  52
    >>> res.n_primary, res.n_secondary
    (1, 3)

    Hiding D02 "yes" alone would be undone by 10 - 8; hiding D02 "no" too would be undone by the
    column totals, so two cells of D01 are hidden as well.
    """
    if isinstance(table, TableProtection):
        base = table
        t, primary = base.table, base.primary
        rule = base.rule + " + secondary suppression"
    else:
        t = _as_table(table)
        if unsafe is None or not isinstance(unsafe, pd.DataFrame) or unsafe.shape != t.shape:
            raise CdcourseError("unsafe must be a boolean DataFrame of the same shape as table (or pass a rule result)")
        primary = unsafe.astype(bool)
        rule = "secondary suppression"
    values = t.to_numpy(dtype=float)
    hidden = primary.to_numpy(dtype=bool).copy()
    R, C = hidden.shape
    inner = np.ones((R, C), dtype=bool)
    if margins and R > 1 and C > 1:
        inner[-1, :] = False
        inner[:, -1] = False
    # Cost of hiding a cell: totals last, then empty cells (they add little protection), then size.
    cost = np.where(inner, 0.0, 1e12) + np.where(values == 0, 1e9, 0.0) + values
    for _ in range(R * C):
        row_need = np.flatnonzero(hidden.sum(axis=1) == 1)
        col_need = np.flatnonzero(hidden.sum(axis=0) == 1)
        if len(row_need) == 0 and len(col_need) == 0:
            break
        if len(row_need):
            r = row_need[0]
            cand = ~hidden[r]
            helps = np.zeros(C, dtype=bool)
            helps[col_need] = True
            score = cost[r] - np.where(helps, 1e13, 0.0)
            score[~cand] = np.inf
            if np.isfinite(score).any():
                hidden[r, int(np.argmin(score))] = True
                continue
        if len(col_need):
            c = col_need[0]
            cand = ~hidden[:, c]
            helps = np.zeros(R, dtype=bool)
            helps[row_need] = True
            score = cost[:, c] - np.where(helps, 1e13, 0.0)
            score[~cand] = np.inf
            if np.isfinite(score).any():
                hidden[int(np.argmin(score)), c] = True
                continue
        break  # a one-cell row or column: nothing more can be hidden in it
    secondary = pd.DataFrame(hidden & ~primary.to_numpy(dtype=bool), index=t.index, columns=t.columns)
    return TableProtection(table=t, primary=primary, secondary=secondary, rule=rule)


@dataclass(frozen=True)
class NoisyCounts:
    """Counts with Laplace noise: ``counts`` (same shape as the input), the noise ``scale``."""

    counts: pd.DataFrame | pd.Series
    original: pd.DataFrame | pd.Series
    epsilon: float
    sensitivity: float

    @property
    def scale(self) -> float:
        """Scale b of the Laplace noise: sensitivity / epsilon (its standard deviation is b * sqrt(2))."""
        return self.sensitivity / self.epsilon

    def to_frame(self) -> pd.DataFrame:
        c = self.counts
        return c.to_frame() if isinstance(c, pd.Series) else c.copy()

    def __repr__(self) -> str:
        return (f"NoisyCounts(epsilon={self.epsilon:g}, sensitivity={self.sensitivity:g}, scale={self.scale:g})\n"
                + self.to_frame().to_string())

    def _repr_html_(self) -> str:
        return (f"<p>Laplace noise with epsilon = {self.epsilon:g}, sensitivity = {self.sensitivity:g}: scale "
                f"{self.scale:g}, so a count is typically off by about {self.scale:.1f}.</p>" + self.to_frame().to_html())


def laplace_counts(counts: pd.DataFrame | pd.Series, *, epsilon: float, sensitivity: float = 1.0,
                   seed: int | np.random.Generator | None = None, round_to_int: bool = True,
                   clip_at_zero: bool = True) -> NoisyCounts:
    """Add Laplace noise of scale ``sensitivity / epsilon`` to every count.

    Smaller epsilon means more noise and more privacy. ``sensitivity`` is how much one person can
    change a count (1 when each person is counted once). Rounding and clipping at zero are
    post-processing and do not weaken the guarantee.

    Examples
    --------
    >>> noisy = laplace_counts(pd.Series([120, 4, 0], index=["D01", "D02", "D03"]), epsilon=1.0, seed=7)
    >>> noisy.scale, noisy.counts.index.tolist()
    (1.0, ['D01', 'D02', 'D03'])

    Source: Dwork, McSherry, Nissim and Smith (2006), Calibrating noise to sensitivity in private
    data analysis.
    """
    epsilon = float(number(epsilon, "epsilon", low=0, low_inclusive=False))
    sensitivity = float(number(sensitivity, "sensitivity", low=0, low_inclusive=False))
    if isinstance(counts, pd.Series):
        _as_table(counts, "counts")  # the same checks as for a table (numbers, not empty, not negative)
        t = counts
    else:
        t = _as_table(counts, "counts")
    rng = make_rng(seed)
    values = t.to_numpy(dtype=float)
    noisy = values + rng.laplace(0.0, sensitivity / epsilon, size=values.shape)
    if round_to_int:
        noisy = np.round(noisy)
    if clip_at_zero:
        noisy = np.maximum(noisy, 0.0)
    out = pd.Series(noisy, index=t.index, name=t.name) if isinstance(t, pd.Series) else \
        pd.DataFrame(noisy, index=t.index, columns=t.columns)
    return NoisyCounts(counts=out, original=t, epsilon=epsilon, sensitivity=sensitivity)
