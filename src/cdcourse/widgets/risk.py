"""Risk-utility explorer: choose quasi-identifiers and recoding levels, watch risk and loss move.

Every change of a control recodes the survey (age bands, districts merged into regions), optionally
suppresses values to reach k, then measures the disclosure risk (:func:`cdcourse.privacy.risk_report`)
and what the release costs (:func:`cdcourse.privacy.information_loss`: values suppressed or changed,
and how far a key weighted estimate moves). The computation is pure and tested by setting controls::

    ex = RiskExplorer(load("community_survey"))
    ex.set(age="official", suppress=True)
    ex.result.k, ex.result.share_suppressed

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"age": rng.integers(0, 90, 300), "sex": rng.choice(["female", "male"], 300),
...                    "district_code": rng.choice(["D01", "D02", "D03"], 300),
...                    "region_code": "R1", "disability": rng.random(300) < 0.1, "weight": 10.0})
>>> ex = RiskExplorer(df, quasi_identifiers=["age", "sex", "district_code", "disability"])
>>> ex.result.k
1
>>> ex.set(age="broad", suppress=True).result.k >= 3
True
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from cdcourse import privacy
from cdcourse.errors import CdcourseError
from cdcourse.widgets.base import Explorer

__all__ = ["AGE_LEVELS", "RiskExplorer", "RiskUtility", "recode"]

#: age recoding levels offered: label -> band edges (None = exact age)
AGE_LEVELS: dict[str, tuple[str, Sequence[int] | None]] = {
    "exact": ("exact years", None),
    "5": ("5-year bands", list(range(0, 100, 5))),
    "10": ("10-year bands", list(range(0, 100, 10))),
    "official": ("official groups (0-14, 15-24, 25-49, 50-64, 65+)", [0, 15, 25, 50, 65]),
    "broad": ("3 groups (0-14, 15-64, 65+)", [0, 15, 65]),
}
AREA_LEVELS = {"district": "districts", "region": "regions (districts merged)"}


def recode(data: pd.DataFrame, *, age: str = "exact", area: str = "district",
           hierarchy: pd.DataFrame | dict | None = None, age_column: str = "age",
           area_column: str = "district_code", parent_column: str = "region_code") -> pd.DataFrame:
    """The data with age banded and areas merged as the explorer's controls say (a new frame).

    Areas are merged with ``hierarchy`` (a dict district -> region, or a table with ``area_column``
    and ``parent_column``, such as ``cdcourse.datasets.geography()``); by default the data's own
    ``parent_column``.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [3, 40], "district_code": ["D01", "D05"]})
    >>> recode(df, age="broad", area="region", hierarchy={"D01": "R1", "D05": "R2"}).values.tolist()
    [['0-14', 'R1'], ['15-64', 'R2']]
    """
    if age not in AGE_LEVELS:
        raise CdcourseError(f"age must be one of {', '.join(map(repr, AGE_LEVELS))}; got {age!r}")
    if area not in AREA_LEVELS:
        raise CdcourseError(f"area must be one of {', '.join(map(repr, AREA_LEVELS))}; got {area!r}")
    out = data
    breaks = AGE_LEVELS[age][1]
    if breaks is not None and age_column in out.columns:
        out = privacy.global_recode(out, age_column, breaks=breaks).data
    if area == "region" and area_column in out.columns:
        if hierarchy is None:
            if parent_column not in data.columns:
                raise CdcourseError(f"merging areas needs a hierarchy (district -> region) or the column "
                                    f"{parent_column!r}")
            hierarchy = data[[area_column, parent_column]].astype(object)
        if isinstance(hierarchy, pd.DataFrame):
            out = privacy.merge_by_hierarchy(out, area_column, hierarchy.astype(object), child=area_column,
                                             parent=parent_column).data
        else:
            out = privacy.merge_by_hierarchy(out, area_column, hierarchy).data
    return out


@dataclass(frozen=True)
class RiskUtility:
    """One point of the risk-utility trade-off: how safe the release is and what it cost."""

    k: int
    records_below_k: int
    global_risk: float
    expected_reidentifications: float
    max_risk: float
    suppressed: int
    changed: int
    share_suppressed: float
    max_estimate_change: float
    passes: bool
    report: privacy.RiskReport
    loss: privacy.InformationLoss
    release: pd.DataFrame

    def __repr__(self) -> str:
        return (f"RiskUtility(k={self.k}, global risk {self.global_risk:.4g}, {self.suppressed:,} values suppressed, "
                f"{self.changed:,} recoded)")

    def to_frame(self) -> pd.DataFrame:
        rows = [
            ("k (smallest class)", self.k), ("records in classes below k", self.records_below_k),
            ("global risk", self.global_risk), ("expected re-identifications", self.expected_reidentifications),
            ("highest individual risk", self.max_risk), ("values suppressed", self.suppressed),
            ("values recoded", self.changed), ("share of quasi-identifier values suppressed", self.share_suppressed),
            ("largest change of the estimate (percentage points)", self.max_estimate_change),
        ]
        return pd.DataFrame(rows, columns=["measure", "value"])


class RiskExplorer(Explorer):
    """Choose quasi-identifiers and recoding levels; k, risk and information loss update.

    Parameters
    ----------
    data : the survey (one row per respondent); not modified.
    quasi_identifiers : the columns offered as quasi-identifiers (all selected at first).
    weight : sample weight column (population estimates for the individual risk and the estimates).
    estimate : a column whose weighted shares (or mean) by ``by`` show the cost of the release.
    by : grouping for the estimate (taken from the original data).
    hierarchy : district -> region mapping for the "regions" level (a dict, or a table with
        ``district_code`` and ``region_code`` such as ``cdcourse.datasets.geography()``); by default the
        data's ``region_code`` column.
    """

    title = "Risk-utility explorer"

    def __init__(self, data: pd.DataFrame, *, quasi_identifiers: Sequence[str] | None = None,
                 weight: str | None = "weight", estimate: str = "disability", by: str = "district_code",
                 hierarchy: pd.DataFrame | dict | None = None) -> None:
        frame = privacy._core.as_frame(data)
        default = ["age", "sex", "district_code", "language_group", "disability"]
        qis = [q for q in (quasi_identifiers or default) if q in frame.columns]
        if not qis:
            raise CdcourseError("none of the quasi-identifiers is a column of the data; pass quasi_identifiers=[...]")
        for col, what in ((weight, "weight"), (estimate, "estimate"), (by, "by")):
            if col is not None and col not in frame.columns:
                raise CdcourseError(f"{what} column {col!r} is not a column of the data")
        self.data = frame
        self.quasi_identifiers = qis
        self.weight = weight
        self.estimate = estimate
        self.by = by
        if isinstance(hierarchy, pd.DataFrame):
            hierarchy = hierarchy[["district_code", "region_code"]].drop_duplicates()
        self.hierarchy = hierarchy
        super().__init__()

    def make_controls(self) -> dict[str, widgets.Widget]:
        style = {"description_width": "initial"}
        return {
            "qis": widgets.SelectMultiple(options=self.quasi_identifiers, value=tuple(self.quasi_identifiers),
                                          rows=min(len(self.quasi_identifiers), 6),
                                          description="Quasi-identifiers", style=style),
            "age": widgets.Dropdown(options=[(label, key) for key, (label, _) in AGE_LEVELS.items()], value="exact",
                                    description="Age", style=style),
            "area": widgets.Dropdown(options=[(label, key) for key, label in AREA_LEVELS.items()], value="district",
                                     description="Place", style=style),
            "suppress": widgets.Checkbox(value=False, description="suppress values to reach k", style=style),
            "k": widgets.IntSlider(value=3, min=2, max=10, description="k", style=style),
            "missing": widgets.Dropdown(options=list(privacy.MISSING_RULES), value="category",
                                        description="Missing values", style=style),
        }

    def compute(self, qis: Sequence[str], age: str, area: str, suppress: bool, k: int, missing: str) -> RiskUtility:
        qis = [q for q in self.quasi_identifiers if q in tuple(qis)]
        if not qis:
            raise CdcourseError("select at least one quasi-identifier")
        released = recode(self.data, age=age, area=area, hierarchy=self.hierarchy)
        if suppress:
            released = privacy.suppress_to_k(released, qis, k=k, missing=missing).data
        report = privacy.risk_report(released, qis, weight=self.weight, missing=missing, k=k, min_l=None, top=5)
        loss = privacy.information_loss(self.data, released, columns=qis,
                                        estimates=[self.estimate] if self.estimate else None,
                                        weight=self.weight, by=self.by)
        est = loss.estimates
        moved = est["difference"].abs() if len(est) else pd.Series(dtype=float)
        max_change = float(moved.max() * 100) if len(moved) and moved.notna().any() else float("nan")
        known = int(self.data[qis].notna().to_numpy().sum())
        suppressed = loss.suppressed
        return RiskUtility(
            k=report.k, records_below_k=report.records_below_k, global_risk=report.global_risk,
            expected_reidentifications=report.expected_reidentifications, max_risk=report.max_risk,
            suppressed=suppressed, changed=loss.changed, share_suppressed=suppressed / known if known else 0.0,
            max_estimate_change=max_change, passes=report.passes, report=report, loss=loss, release=released,
        )

    def render(self, result: RiskUtility) -> list[Any]:
        from cdcourse import viz

        verdict = "meets every threshold" if result.passes else "does not meet every threshold yet"
        summary = (
            f"<p><b>Risk</b>: k = {result.k}; {result.records_below_k:,} records in classes below k; global risk "
            f"{result.global_risk:.2%}; about {result.expected_reidentifications:,.1f} expected re-identifications; "
            f"the release {verdict}.<br><b>Cost</b>: {result.suppressed:,} values suppressed "
            f"({result.share_suppressed:.1%}), {result.changed:,} values recoded; the estimate moves by up to "
            f"{result.max_estimate_change:.1f} percentage points.</p>"
        )
        shown: list[Any] = [summary, result.report.worst]
        est = result.loss.estimates
        if len(est) and self.by in est.columns:
            focus = est[est["category"].isin(["True", ""])] if est["statistic"].eq("share").any() else est
            if len(focus):
                scale = 100 if focus["statistic"].iloc[0] == "share" else 1
                before = pd.Series(focus["original"].to_numpy() * scale, index=focus[self.by].astype(str))
                after = pd.Series(focus["protected"].fillna(0).to_numpy() * scale, index=focus[self.by].astype(str))
                plot = viz.before_after(before, after, kind="dots", labels=("original", "release"),
                                        title=f"{self.estimate} by {self.by}: original and released",
                                        ylabel="% (weighted)" if scale == 100 else self.estimate)
                shown.append(plot.fig)
        return shown
