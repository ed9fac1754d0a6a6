"""The dataset explorer: pick a dataset, a variable and a disaggregation; see a weighted table and a chart.

The table comes from :func:`weighted_table`, a pure function: for a categorical variable the
(weighted) share of each category, for a numeric variable the (weighted) mean, overall or for each
group of a disaggregation variable. When the dataset has a ``weight`` column (the community survey)
the estimates describe the population; without it they describe the records themselves. Standard
errors and confidence intervals are the subject of the analysis lesson (``cdcourse.sampling``);
the explorer shows point estimates only.

Examples
--------
>>> import pandas as pd
>>> survey = pd.DataFrame({"sex": ["female", "male", "female"], "improved_water": [True, False, False],
...                        "weight": [10.0, 30.0, 10.0]})
>>> ex = DatasetExplorer({"survey": survey}, variable="improved_water", by="sex")
>>> ex.result.table[["sex", "improved_water", "share"]].round(2).to_dict("records")[:2]
[{'sex': 'female', 'improved_water': False, 'share': 0.5}, {'sex': 'female', 'improved_water': True, 'share': 0.5}]
"""
from __future__ import annotations

import functools
import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from cdcourse._validate import require_columns, require_frame, require_positive_weights
from cdcourse.errors import CdcourseError
from cdcourse.widgets.base import Explorer, message_html

__all__ = [
    "DatasetExplorer",
    "ExplorerResult",
    "weighted_table",
    "variable_kind",
    "variable_choices",
    "group_choices",
    "DEFAULT_DATASETS",
]

#: The variable shown first, the first of these that a dataset has.
PREFERRED_VARIABLES = ("improved_water", "score", "condition", "category")

#: Datasets offered by default, in the order of the course.
DEFAULT_DATASETS = ("community_survey", "population", "social_audit", "participatory_map", "crowd_reports")

NO_GROUP = "(none)"
#: Resolution of the explorer's chart: 72 dpi keeps one control change under 100 ms on 50,000 rows
#: (drawing the text is most of the cost) and reads well on screen.
CHART_DPI = 72
WEIGHT = "weight"

# Columns that are identifiers, coordinates, timestamps or design variables: not for tabulating.
_SKIP = {
    "person_id", "household_id", "submission_id", "ea_id", "psu", "stratum", "line_no", "point_id",
    "mapper_id", "feature_id", "audit_id", "facility_id", "report_id", "incident_id", "enumerator_id",
    "hh_lat", "hh_lon", "lat", "lon", "gps_lat", "gps_lon", "text", "respondent_name", "respondent_phone",
    "prob_ea", "prob_hh", "inclusion_prob", "design_weight", "weight", "n_ea_stratum", "households_ea",
    "start_time", "end_time", "interview_date", "mapped_at", "received_at", "session_date",
    "scale_min", "scale_max", "year", "source",
}
# A code column is left out when the same thing is there by name (district beside district_code).
_CODE_OF = {"district_code": "district", "region_code": "region"}
_MAX_CATEGORIES = 30   # a variable with more distinct values is not tabulated as categories
_MAX_GROUPS = 15       # a disaggregation with more groups would not read as a table


def variable_kind(values: pd.Series) -> str:
    """"categorical" (shares per category) or "numeric" (means) for a column.

    Booleans, categories and texts are categorical; so are whole numbers with at most 5 distinct
    values (codes such as the Washington Group answers 1-4, where a mean would mislead).

    Examples
    --------
    >>> variable_kind(pd.Series([1, 2, 3, 4])), variable_kind(pd.Series([0.5, 2.5])), variable_kind(pd.Series(["a"]))
    ('categorical', 'numeric', 'categorical')
    """
    dtype = values.dtype
    if ptypes.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if ptypes.is_numeric_dtype(dtype):
        if ptypes.is_integer_dtype(dtype) and values.nunique(dropna=True) <= 5:
            return "categorical"
        return "numeric"
    return "categorical"


def variable_choices(data: pd.DataFrame) -> list[str]:
    """Columns worth tabulating: not identifiers, coordinates, dates or design variables.

    Examples
    --------
    >>> variable_choices(pd.DataFrame({"person_id": ["P1"], "age": [3], "sex": ["male"], "weight": [1.0]}))
    ['age', 'sex']
    """
    out = []
    for col in data.columns:
        if col in _SKIP or str(col).startswith("_") or ptypes.is_datetime64_any_dtype(data[col].dtype):
            continue
        if _CODE_OF.get(col) in data.columns:
            continue
        distinct = data[col].nunique(dropna=True)
        if distinct <= 1 and len(data) > 1:
            continue  # one value only (consent "yes" after filtering): nothing to see
        if variable_kind(data[col]) == "categorical" and distinct > _MAX_CATEGORIES:
            continue
        out.append(col)
    return out


def group_choices(data: pd.DataFrame) -> list[str]:
    """Columns that can disaggregate a table: categorical with 2 to 15 groups.

    Examples
    --------
    >>> group_choices(pd.DataFrame({"age": [3.0, 40.5, 7.0], "sex": ["male", "female", "male"]}))
    ['sex']
    """
    out = []
    for col in variable_choices(data):
        if variable_kind(data[col]) == "categorical" and 2 <= data[col].nunique(dropna=True) <= _MAX_GROUPS:
            out.append(col)
    return out


def weighted_table(
    data: pd.DataFrame,
    variable: str,
    by: str | None = None,
    weight: str | None = None,
    *,
    kind: str | None = None,
) -> pd.DataFrame:
    """Weighted shares (categorical variable) or weighted means (numeric variable), overall or by group.

    Parameters
    ----------
    data : one row per record; not modified.
    variable : the column to tabulate.
    by : a column to disaggregate by (one block of rows per group), or None for the whole data.
    weight : a column of survey weights (all > 0), or None to count every record once.
    kind : "categorical" or "numeric"; default from :func:`variable_kind`.

    Returns
    -------
    A DataFrame. Categorical: columns ``[by,] variable, n, weighted_n, share`` with one row per
    (group,) category; ``share`` sums to 1 within each group. Numeric: columns
    ``[by,] n, weighted_n, mean, missing``. ``n`` counts records with a value, ``weighted_n`` sums
    their weights; records with a missing ``variable`` (or ``by``) are left out, and ``missing``
    (numeric) says how many. Category and group order follow the data's categories when it has
    them, else sorted order.

    Examples
    --------
    >>> d = pd.DataFrame({"g": ["a", "a", "b"], "x": [1.0, 3.0, 5.0], "w": [1.0, 3.0, 2.0]})
    >>> weighted_table(d, "x", by="g", weight="w")
       g  n  weighted_n  mean  missing
    0  a  2         4.0   2.5        0
    1  b  1         2.0   5.0        0

    The weighted mean of group a is (1 x 1 + 3 x 3) / (1 + 3) = 2.5 (the Hajek estimator of a
    mean: Lohr, Sampling: Design and Analysis, ratio estimation with weights).
    """
    require_frame(data, "data", allow_empty=True)
    require_columns(data, [variable] + ([by] if by else []), "variable" if by is None else "column")
    if by == variable:
        raise CdcourseError(f"by must differ from variable; both are {variable!r}")
    kind = kind or variable_kind(data[variable])
    if kind not in ("categorical", "numeric"):
        raise CdcourseError(f"kind must be 'categorical' or 'numeric'; got {kind!r}")
    if weight is not None:
        w = require_positive_weights(data, weight)
    else:
        w = np.ones(len(data))
    values = data[variable]
    keep = values.notna().to_numpy()
    if by is not None:
        keep = keep & data[by].notna().to_numpy()
    if kind == "numeric":
        return _weighted_means(data, variable, by, w, keep)
    return _weighted_shares(data, variable, by, w, keep)


def _codes(col: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer codes and their labels, in category order (or sorted order)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = list(col.cat.categories)
        return col.cat.codes.to_numpy(), cats
    codes, uniques = pd.factorize(col, sort=True, use_na_sentinel=True)
    labels = [u.item() if isinstance(u, np.generic) else u for u in np.asarray(uniques, dtype=object)]
    return codes, labels


def _weighted_shares(data: pd.DataFrame, variable: str, by: str | None, w: np.ndarray, keep: np.ndarray) -> pd.DataFrame:
    vcode, vlabels = _codes(data[variable])
    if by is None:
        gcode, glabels = np.zeros(len(data), dtype=np.int64), [None]
    else:
        gcode, glabels = _codes(data[by])
    keep = keep & (vcode >= 0) & (gcode >= 0)
    nv, ng = len(vlabels), len(glabels)
    cell = gcode[keep].astype(np.int64) * nv + vcode[keep].astype(np.int64)
    # bincount over (group, category) cells: one pass, fast on a million rows.
    counts = np.bincount(cell, minlength=ng * nv).reshape(ng, nv)
    wsum = np.bincount(cell, weights=w[keep], minlength=ng * nv).reshape(ng, nv)
    totals = wsum.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(totals > 0, wsum / totals, np.nan)
    present_groups = [g for g in range(ng) if counts[g].sum() > 0]
    rows = {
        variable: [vlabels[v] for g in present_groups for v in range(nv)],
        "n": counts[present_groups].ravel(),
        "weighted_n": wsum[present_groups].ravel(),
        "share": share[present_groups].ravel(),
    }
    table = pd.DataFrame(rows)
    if by is not None:
        table.insert(0, by, [glabels[g] for g in present_groups for _ in range(nv)])
    return table


def _weighted_means(data: pd.DataFrame, variable: str, by: str | None, w: np.ndarray, keep: np.ndarray) -> pd.DataFrame:
    x = pd.to_numeric(data[variable], errors="coerce").to_numpy(dtype=float)
    if by is None:
        gcode, glabels = np.zeros(len(data), dtype=np.int64), [None]
    else:
        gcode, glabels = _codes(data[by])
    has_group = gcode >= 0
    keep = keep & has_group & ~np.isnan(x)
    ng = len(glabels)
    g = gcode[keep].astype(np.int64)
    n = np.bincount(g, minlength=ng)
    wsum = np.bincount(g, weights=w[keep], minlength=ng)
    wxsum = np.bincount(g, weights=w[keep] * x[keep], minlength=ng)
    rows_in_group = np.bincount(gcode[has_group].astype(np.int64), minlength=ng)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(wsum > 0, wxsum / wsum, np.nan)
    present = [i for i in range(ng) if rows_in_group[i] > 0]
    table = pd.DataFrame(
        {
            "n": n[present],
            "weighted_n": wsum[present],
            "mean": mean[present],
            "missing": (rows_in_group - n)[present],
        }
    )
    if by is not None:
        table.insert(0, by, [glabels[i] for i in present])
    return table


@dataclass
class ExplorerResult:
    """What the dataset explorer computed for one choice of controls."""

    dataset: str
    variable: str
    by: str | None
    kind: str
    weighted: bool
    table: pd.DataFrame
    n_records: int
    note: str = ""
    warnings: list[str] = field(default_factory=list)

    def to_frame(self) -> pd.DataFrame:
        """The table itself (a copy)."""
        return self.table.copy()

    def display_table(self) -> pd.DataFrame:
        """The table as a reader sees it: shares in percent, groups as rows, categories as columns."""
        t = self.table
        if self.kind == "numeric":
            out = t.rename(columns={"mean": f"mean of {self.variable}", "n": "records"})
            cols = ([self.by] if self.by else []) + ["records", f"mean of {self.variable}", "missing"]
            out = out[cols].copy()
            out[f"mean of {self.variable}"] = out[f"mean of {self.variable}"].round(2)
            return out
        pct = t.assign(percent=(t["share"] * 100).round(1))
        if self.by is None:
            return pct[[self.variable, "n", "percent"]].rename(columns={"n": "records", "percent": "percent (%)"})
        wide = pct.pivot_table(index=self.by, columns=self.variable, values="percent", sort=False, observed=True)
        wide.columns = [f"{c} (%)" for c in wide.columns]
        wide.insert(0, "records", pct.groupby(self.by, sort=False, observed=True)["n"].sum())
        return wide.reset_index()

    def __repr__(self) -> str:
        return f"{self._heading()}\n{self.note}\n{self.display_table().to_string(index=False)}"

    def _heading(self) -> str:
        return f"{self.variable}" + (f" by {self.by}" if self.by else "") + f" · {self.dataset}"

    def _repr_html_(self) -> str:
        heading = f"{self.variable}" + (f" by {self.by}" if self.by else "") + f" · {self.dataset}"
        return (
            f"<p style='margin: 0.3em 0'><strong>{html.escape(heading)}</strong><br>"
            f"<small>{html.escape(self.note)}</small></p>" + self.display_table().to_html(index=False, na_rep="–")
        )


class DatasetExplorer(Explorer):
    """Pick a dataset, a variable and a disaggregation; see a weighted table and a chart.

    Parameters
    ----------
    data : a dict name -> DataFrame, a single DataFrame, or None to offer the course datasets
        (loaded with :func:`cdcourse.datasets.load` when first picked, then kept).
    dataset, variable, by : the initial choices (``by=None`` for no disaggregation).
    weighted : start with weights on (when the dataset has a ``weight`` column).
    chart : draw a chart under the table (turn off for the fastest response).
    loader : how to load a dataset by name (default :func:`cdcourse.datasets.load`).

    Tests and notebooks set controls from code::

        ex = DatasetExplorer()
        ex.set(dataset="community_survey", variable="improved_water", by="settlement")
        ex.result.table
    """

    title = "Dataset explorer"

    def __init__(
        self,
        data: Mapping[str, pd.DataFrame] | pd.DataFrame | None = None,
        *,
        dataset: str | None = None,
        variable: str | None = None,
        by: str | None = None,
        weighted: bool = True,
        chart: bool = True,
        loader: Callable[[str], pd.DataFrame] | None = None,
    ) -> None:
        if isinstance(data, pd.DataFrame):
            data = {"data": data}
        self._frames: dict[str, pd.DataFrame] = dict(data) if data is not None else {}
        self._loader = loader
        names = list(self._frames) if data is not None else list(DEFAULT_DATASETS)
        if not names:
            raise CdcourseError("data is empty; give at least one dataset (name -> DataFrame)")
        if dataset is not None and dataset not in names:
            raise CdcourseError(f"dataset must be one of {', '.join(map(repr, names))}; got {dataset!r}")
        self.chart = chart
        first = dataset or names[0]
        frame = self._frame(first)
        variables = variable_choices(frame)
        if not variables:
            raise CdcourseError(f"dataset {first!r} has no column the explorer can tabulate")
        if variable is not None and variable not in variables:
            raise CdcourseError(f"variable must be one of {', '.join(map(repr, variables))}; got {variable!r}")
        if variable is None:
            variable = next((v for v in PREFERRED_VARIABLES if v in variables), variables[0])
        groups = [NO_GROUP] + group_choices(frame)
        if by is not None and by not in groups:
            raise CdcourseError(f"by must be one of {', '.join(map(repr, groups))}; got {by!r}")
        style = {"description_width": "initial"}
        self.controls = {
            "dataset": widgets.Dropdown(options=names, value=first, description="Dataset", style=style),
            "variable": widgets.Dropdown(options=variables, value=variable, description="Variable",
                                         style=style),
            "by": widgets.Dropdown(options=groups, value=by or NO_GROUP, description="Disaggregate by", style=style),
            "weighted": widgets.Checkbox(value=weighted and WEIGHT in frame.columns, description="Use survey weights",
                                         disabled=WEIGHT not in frame.columns, indent=False),
        }
        super().__init__()

    # -- data
    def _frame(self, name: str) -> pd.DataFrame:
        if name not in self._frames:
            loader = self._loader
            if loader is None:
                from cdcourse.datasets import load as loader  # imported late: the explorer works without it
            self._frames[name] = loader(name)
        return self._frames[name]

    # -- pattern
    def on_change(self, name: str, value: Any) -> None:
        if name != "dataset":
            return
        # A new dataset offers its own columns; keep the current choices where they still exist.
        frame = self._frame(value)
        variables = variable_choices(frame)
        groups = [NO_GROUP] + group_choices(frame)
        var_ctl, by_ctl, w_ctl = self.controls["variable"], self.controls["by"], self.controls["weighted"]
        old_var, old_by = var_ctl.value, by_ctl.value
        var_ctl.options = variables
        preferred = next((v for v in PREFERRED_VARIABLES if v in variables), variables[0] if variables else None)
        var_ctl.value = old_var if old_var in variables else preferred
        by_ctl.options = groups
        by_ctl.value = old_by if old_by in groups and old_by != var_ctl.value else NO_GROUP
        has_weight = WEIGHT in frame.columns
        w_ctl.disabled = not has_weight
        w_ctl.value = has_weight

    def compute(self, dataset: str, variable: str, by: str, weighted: bool) -> ExplorerResult:
        frame = self._frame(dataset)
        group = None if by in (None, NO_GROUP) else by
        if group == variable:
            raise CdcourseError(f"pick a disaggregation other than the variable itself ({variable!r})")
        use_weight = bool(weighted) and WEIGHT in frame.columns
        kind = variable_kind(frame[variable])
        table = weighted_table(frame, variable, by=group, weight=WEIGHT if use_weight else None, kind=kind)
        if use_weight:
            note = (f"Weighted with the survey weights ('{WEIGHT}'): estimates for the whole population. "
                    "Uncertainty (standard errors) comes in the analysis lesson.")
        elif WEIGHT in frame.columns:
            note = "Unweighted: describes the interviewed people only, not the population. Tick 'Use survey weights'."
        else:
            note = "No weights in this dataset: every record counts once."
        warnings = []
        small = table[table["n"] < 30]
        if group is not None and len(small):
            cells = small[group].drop_duplicates().astype(str).tolist()
            warnings.append(
                f"Fewer than 30 records behind some figures ({', '.join(cells[:5])}"
                f"{', ...' if len(cells) > 5 else ''}): read them with care."
            )
        return ExplorerResult(dataset, variable, group, kind, use_weight, table, len(frame), note, warnings)

    def render(self, result: ExplorerResult) -> list[Any]:
        shown: list[Any] = [result]
        for text in result.warnings:
            shown.append(message_html(text, kind="note"))
        if self.chart:
            shown.append(chart(result, self._frame(result.dataset)))
        return shown


def chart(result: ExplorerResult, data: pd.DataFrame | None = None) -> Any:
    """The chart for a result, drawn with :mod:`cdcourse.viz`; returns a viz.Plot (or a note).

    The figure is a plain matplotlib ``Figure`` (not registered with pyplot, so nothing piles up
    as a learner moves a control) with margins fitted to its labels, so it can be turned into a
    PNG in one draw. Categorical by group is a dot plot (one marker shape per category): legible
    for 12 districts x 5 answers, and quick to draw.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from cdcourse import viz

    t = result.table
    source = f"Source: {result.dataset} (synthetic Lumeria data)" + (", weighted" if result.weighted else "")
    var = result.variable.replace("_", " ")
    fig = Figure(figsize=(8.0, 4.6), dpi=CHART_DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if result.kind == "numeric":
        if result.by is None:
            if data is None:
                return None
            weights = data[WEIGHT] if result.weighted else None
            plot = viz.histogram(
                data[result.variable], weights=weights, bins=30, histtype="stepfilled", mean_line=True, ax=ax,
                xlabel=var, ylabel="Persons (weighted)" if result.weighted else "Records",
                title=f"Distribution of {var}", source=source,
            )
        else:
            plot = viz.points_ci(
                t.assign(**{result.by: t[result.by].astype(str)}), result.by, "mean", horizontal=True, ax=ax,
                title=f"Mean {var} by {result.by.replace('_', ' ')}", xlabel=result.by.replace("_", " "),
                ylabel=f"Mean {var}", source=source,
            )
        _fit_margins(fig, ax)
        return plot
    pct = t.assign(percent=t["share"] * 100)
    pct[result.variable] = pct[result.variable].astype(str)
    title = var.capitalize() + (f" by {result.by.replace('_', ' ')}" if result.by else "")
    n_cats = pct[result.variable].nunique()
    if result.by is None:
        plot = viz.bar_ci(pct, result.variable, "percent", ax=ax, title=title, xlabel=var, ylabel="Percent (%)",
                          source=source, horizontal=n_cats > 5)
    else:
        pct[result.by] = pct[result.by].astype(str)
        n_groups = pct[result.by].nunique()
        if n_cats <= len(viz.PALETTE):
            x, group = result.by, result.variable
        elif n_groups <= len(viz.PALETTE):
            x, group = result.variable, result.by
        else:
            return message_html("Too many categories and groups to draw in one chart; the table shows them all.",
                                kind="note")
        plot = viz.group_points(pct, x, "percent", group, ax=ax, title=title, xlabel=x.replace("_", " "),
                                ylabel="Percent (%)", source=source, horizontal=True)
    _fit_margins(fig, ax)
    return plot


def _fit_margins(fig: Any, ax: Any) -> None:
    """Set the margins from the measured size of the labels (a cheap stand-in for bbox_inches="tight").

    Measuring a handful of strings costs a few milliseconds, where a tight bounding box or the
    constrained layout lays out every artist a second time.
    """
    width_px, height_px = fig.canvas.get_width_height()
    scale = fig.dpi / 72.0

    def text_width(texts: list[str], size: float) -> float:
        return max((_text_width(s, size, fig.dpi) for s in texts if s), default=0.0)

    def line_height(size: float) -> float:
        return size * scale * 1.35

    tick_size = float(plt_rc("ytick.labelsize"))
    # Category axes carry their labels in a FixedFormatter; asking a numeric axis for its labels
    # would build every tick first, so numbers get room for 5 digits instead.
    ylabels = _fixed_labels(ax.yaxis) or ["00000"]
    left = text_width(ylabels, tick_size) + line_height(float(plt_rc("axes.labelsize"))) + 16 * scale
    legend = ax.get_legend()
    right = 10 * scale
    if legend is not None:
        texts = [t.get_text() for t in legend.get_texts()] + [legend.get_title().get_text()]
        right += text_width(texts, float(plt_rc("legend.fontsize"))) + 45 * scale
    xt = [t for t in ax.get_xticklabels() if t.get_text()] if _fixed_labels(ax.xaxis) else []
    rot = max((abs(t.get_rotation()) for t in xt), default=0)
    xtick_h = line_height(tick_size)
    if rot:
        xtick_h += text_width([t.get_text() for t in xt], tick_size) * np.sin(np.radians(rot))
    bottom = xtick_h + line_height(float(plt_rc("axes.labelsize"))) + line_height(10) + 16 * scale
    top = line_height(float(plt_rc("axes.titlesize"))) + 14 * scale
    fig.subplots_adjust(
        left=min(left / width_px, 0.45), right=max(1 - right / width_px, 0.5),
        bottom=min(bottom / height_px, 0.45), top=max(1 - top / height_px, 0.6),
    )
    fig._cdcourse_fitted = True  # the widget can encode it without a tight bounding box


def _fixed_labels(axis: Any) -> list[str]:
    from matplotlib.ticker import FixedFormatter

    fmt = axis.get_major_formatter()
    return [str(v) for v in fmt.seq] if isinstance(fmt, FixedFormatter) else []


@functools.lru_cache(maxsize=4096)
def _text_width(text: str, size: float, dpi: float) -> float:
    # Cached: the same district and category names come back at every control change.
    from matplotlib.font_manager import FontProperties

    renderer = _measuring_renderer(dpi)
    return renderer.get_text_width_height_descent(text, FontProperties(size=size), ismath=False)[0]


@functools.lru_cache(maxsize=4)
def _measuring_renderer(dpi: float) -> Any:
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(10, 10, dpi)


def plt_rc(key: str) -> Any:
    """An rcParam value as a number of points (font sizes may be names such as "large")."""
    import matplotlib as mpl
    from matplotlib.font_manager import FontProperties

    value = mpl.rcParams[key]
    if isinstance(value, str):
        return FontProperties(size=value).get_size_in_points()
    return value
