"""Validation explorer: pick rules or columns and a breakdown, see which rules fail, where.

A thin view over :func:`cdcourse.cleaning.validate`. The data are validated once against every
rule (every failure is kept, never capped); the controls then choose which part of the report to
look at, so moving them is instant:

- ``column``: only the rules that check this column (or every column);
- ``rule``: one rule (or every rule the column choice leaves);
- ``by``: break the failures down by a grouping column (enumerator, district, ...) to see *where*
  they come from: a rule failing for one enumerator only is a training problem, not a data one;
- ``show``: the per-rule summary or the failing rows themselves.

Examples
--------
>>> import pandas as pd
>>> from cdcourse.cleaning import Rule
>>> df = pd.DataFrame({"age": [34, 150, 12, -99], "relationship": ["head", "child", "head", "spouse"],
...                    "enumerator": ["E1", "E1", "E2", "E2"]})
>>> ex = ValidationExplorer(df, [Rule.range("age", 0, 110), Rule.check("age >= 15 or relationship != 'head'", name="head 15+")])
>>> ex.result.failures, ex.result.rows_failed
(3, 3)
>>> ex.set(rule="head 15+", by="enumerator").result.by_group[["enumerator", "rows", "failing", "share"]]
  enumerator  rows  failing  share
0         E2     2        1    0.5
1         E1     2        0    0.0
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from cdcourse._validate import require_frame
from cdcourse.cleaning import Rule, ValidationReport, as_rules, validate
from cdcourse.errors import CdcourseError
from cdcourse.widgets.base import Explorer

__all__ = ["ALL", "NONE", "ValidationExplorer", "ValidationView"]

#: the option meaning "no filter" for the column and rule controls
ALL = "(all)"
#: the option meaning "no breakdown" for the by control
NONE = "(none)"
#: the largest number of distinct values a column may have to be offered as a breakdown
MAX_GROUPS = 40


@dataclass(frozen=True, eq=False)
class ValidationView:
    """What the explorer shows for one setting of its controls.

    Attributes
    ----------
    rules : names of the rules in view.
    failures : failing (row, rule) pairs among them; rows_failed : rows failing at least one.
    n_rows : rows validated.
    summary : per rule in view: kind, columns, failures, share of rows, first failing rows.
    by : the breakdown column (None without one).
    by_group : per group: rows, failing rows and their share, then one column per rule in view
        (failures in that group); sorted by share failing, worst first.
    failing_rows : the failing (row, rule) pairs with the values involved (every one, not a sample).
    """

    rules: tuple[str, ...]
    failures: int
    rows_failed: int
    n_rows: int
    summary: pd.DataFrame
    by: str | None
    by_group: pd.DataFrame | None
    failing_rows: pd.DataFrame

    def _repr_html_(self) -> str:
        return _headline(self) + self.summary.to_html(index=False)


def _headline(view: ValidationView) -> str:
    share = 100 * view.rows_failed / view.n_rows if view.n_rows else 0.0
    return (f"<p><b>{view.failures:,}</b> failures of {len(view.rules)} rule(s) on <b>{view.rows_failed:,}</b> "
            f"of {view.n_rows:,} rows ({share:.1f}%). Every failure is counted; none is left out.</p>")


class ValidationExplorer(Explorer):
    """Explore a validation report: which rules fail, on which columns, for which groups.

    Parameters
    ----------
    data : the records (not modified).
    rules : :class:`~cdcourse.cleaning.Rule` objects or dicts (for example
        ``cdcourse.cleaning.lumeria.survey_rules()`` or ``rules_from_schema(...)``), or a report.
    by : columns offered as breakdowns (default: columns with 2 to 40 distinct values).
    preview : failing rows shown in the widget's table (the result holds them all).
    """

    title = "Validation explorer: which rules fail, and where"

    def __init__(self, data: pd.DataFrame, rules: Any, *, by: Sequence[str] | None = None,
                 preview: int = 15) -> None:
        require_frame(data, "data", allow_empty=True)
        self.data = data
        self.rule_list: list[Rule] = as_rules(rules)
        self.report: ValidationReport = validate(data, self.rule_list)
        if by is None:
            by = [c for c in data.columns if 2 <= data[c].nunique(dropna=True) <= MAX_GROUPS]
        else:
            by = [by] if isinstance(by, str) else list(by)
            missing = [c for c in by if c not in data.columns]
            if missing:
                raise CdcourseError(f"by column(s) {missing} are not columns of the data")
        self.by_options = list(by)
        self.preview = int(preview)
        # the per-failure table is built once; the controls only filter it
        self._summary = self.report.summary()
        self._failures = self.report.to_frame()
        super().__init__()

    # -- controls
    def make_controls(self) -> dict[str, widgets.Widget]:
        columns = list(dict.fromkeys(c for r in self.rule_list for c in r.columns))
        style = {"description_width": "initial"}
        return {
            "column": widgets.Dropdown(options=[ALL, *columns], value=ALL, description="Column", style=style),
            "rule": widgets.Dropdown(options=self._rule_options(ALL), value=ALL, description="Rule", style=style,
                                     layout=widgets.Layout(width="380px")),
            "by": widgets.Dropdown(options=[NONE, *self.by_options], value=NONE, description="Break down by",
                                   style=style),
            "show": widgets.ToggleButtons(options=["summary", "failing rows"], value="summary", description="Show",
                                          style=style),
        }

    def _rule_options(self, column: str) -> list[str]:
        names = [r.name for r in self.rule_list if column == ALL or column in r.columns]
        return [ALL, *names]

    def on_change(self, name: str, value: Any) -> None:
        if name == "column":
            control = self.controls["rule"]
            options = self._rule_options(value)
            keep = control.value if control.value in options else ALL
            control.options = options
            control.value = keep

    # -- pure computation
    def compute(self, column: str, rule: str, by: str, show: str) -> ValidationView:
        names = [r.name for r in self.rule_list if column == ALL or column in r.columns]
        if rule != ALL:
            if rule not in names:
                raise CdcourseError(f"rule {rule!r} does not check column {column!r}; choose another rule or column")
            names = [rule]
        report = self.report
        summary = self._summary[self._summary["rule"].isin(names)].reset_index(drop=True)
        failed = report.failed(names) if names else pd.Series(False, index=self.data.index)
        rows = self._failures[self._failures["rule"].isin(names)].reset_index(drop=True)
        by_group = None
        by_col = None if by == NONE else by
        if by_col is not None:
            if by_col not in self.data.columns:
                raise CdcourseError(f"by column {by_col!r} is not a column of the data")
            by_group = _breakdown(self.data, report, names, failed, by_col)
            rows.insert(rows.columns.get_loc("rule"), by_col,
                        self.data[by_col].astype(object).iloc[rows["position"].to_numpy()].to_numpy())
        return ValidationView(
            rules=tuple(names),
            failures=int(summary["failures"].sum()),
            rows_failed=int(failed.sum()),
            n_rows=len(self.data),
            summary=summary,
            by=by_col,
            by_group=by_group,
            failing_rows=rows,
        )

    # -- view
    def render(self, result: ValidationView) -> list[Any]:
        out: list[Any] = [_headline(result)]
        show = self.controls["show"].value
        if show == "failing rows":
            shown = result.failing_rows.head(self.preview)
            out.append(f"<p>The first {len(shown)} of {len(result.failing_rows):,} failing (row, rule) pairs:</p>")
            out.append(shown)
            return out
        out.append(result.summary.assign(share=lambda d: (100 * d["share"]).round(2))
                   .rename(columns={"share": "% of rows"}))
        if result.by_group is not None and len(result.by_group):
            from cdcourse import viz

            frame = result.by_group.assign(pct=lambda d: 100 * d["share"]).astype({result.by: str})
            top = frame.head(15).iloc[::-1]
            overall = 100 * result.rows_failed / result.n_rows if result.n_rows else 0.0
            fig, _ = viz.bar_ci(top, result.by, "pct", horizontal=True, truth=overall,
                                truth_label=f"all rows ({overall:.1f}%)",
                                title=f"Rows failing the rules in view, by {result.by}",
                                ylabel="% of rows failing", xlabel=result.by)
            out.append(fig)
            out.append(result.by_group.head(15).assign(share=lambda d: (100 * d["share"]).round(1))
                       .rename(columns={"share": "% failing"}))
        return out


def _breakdown(data: pd.DataFrame, report: ValidationReport, names: list[str], failed: pd.Series,
               by: str) -> pd.DataFrame:
    """Rows, failing rows and failures per rule in each group of ``by`` (missing is its own group)."""
    groups = data[by].astype(object).where(data[by].notna(), "(missing)").astype(str).to_numpy()
    frame = pd.DataFrame({by: groups, "failing": failed.to_numpy(dtype=bool)})
    for name in names:
        mask = np.zeros(len(data), dtype=bool)
        mask[report.failures_by_rule[name]] = True
        frame[name] = mask
    agg = frame.groupby(by, sort=True).agg(rows=("failing", "size"), failing=("failing", "sum"),
                                           **{n: (n, "sum") for n in names})
    agg["share"] = agg["failing"] / agg["rows"]
    agg = agg.reset_index()[[by, "rows", "failing", "share", *names]]
    return agg.sort_values(["share", "rows"], ascending=[False, False], kind="stable").reset_index(drop=True)
