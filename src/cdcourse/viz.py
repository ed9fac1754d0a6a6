"""One accessible chart style for the whole course, and the plots the lessons need.

Importing this module applies the course style (:func:`use_style`): the Okabe-Ito colour-blind-safe
palette, readable font sizes, no chart junk. Every helper takes ``ax=`` to draw into an existing
Axes, puts a title, axis labels and an optional source line on the chart, and returns a
:class:`Plot` ``(fig, ax)``, which unpacks as ``fig, ax = viz.bar_ci(...)`` and also answers Axes
methods directly (``viz.bar_ci(...).get_title()``).

Groups are told apart by marker shapes or hatch patterns as well as colour, so a chart still
reads in greyscale or for a reader who does not see the colours. Legends sit outside the plot
area on the right, so they never hide data. For charts of a value by category, ``xlabel`` names
the category axis and ``ylabel`` the value axis, whichever way (``horizontal=``) it is drawn.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"district": ["Marelo", "Tavi"], "share": [0.62, 0.48],
...                       "lower": [0.55, 0.40], "upper": [0.69, 0.56]})
>>> fig, ax = bar_ci(table, "district", "share", "lower", "upper", title="Improved water",
...                  ylabel="Share of persons", source="Source: Lumeria community survey 2024 (synthetic)")
>>> len(ax.patches), ax.get_title()
(2, 'Improved water')

Source of the palette: Okabe M., Ito K. (2008), "Color Universal Design (CUD): how to make
figures and presentations that are friendly to colorblind people".
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.path import Path

from cdcourse._validate import require_columns, require_frame
from cdcourse.errors import CdcourseError

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "MARKERS",
    "HATCHES",
    "Plot",
    "use_style",
    "add_source",
    "bar_ci",
    "points_ci",
    "group_bars",
    "group_points",
    "map_points",
    "pyramid",
    "before_after",
    "histogram",
    "inside_boundary",
]

#: The eight Okabe-Ito colours by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

#: Colours in the order groups get them: strongest contrast on white first, yellow last.
PALETTE: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["bluish green"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["reddish purple"],
    OKABE_ITO["sky blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
)

#: Marker shapes paired with the palette, so points are told apart without colour.
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")

#: Hatch patterns paired with the palette, so bars are told apart without colour.
HATCHES: tuple[str, ...] = ("", "//", "..", "xx", "\\\\", "++", "oo", "--")

TEXT = "#1a1a1a"       # near-black text: contrast about 17:1 on white
MUTED = "#4d4d4d"      # secondary text (source line, district labels): about 8:1 on white
HIGHLIGHT = OKABE_ITO["vermillion"]
SOURCE_GID = "cdcourse-source"
TRUTH_GID = "cdcourse-truth"
CI_GID = "cdcourse-ci"
OUTSIDE_GID = "cdcourse-outside"

_STYLE = {
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
    "figure.figsize": (8.0, 5.0),
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "savefig.bbox": "tight",
    "savefig.dpi": 150,
    "font.size": 12,
    "axes.titlesize": 14,
    "axes.titleweight": "bold",
    "axes.titlepad": 10,
    "axes.titley": 1.0,  # a fixed title height: skips matplotlib's per-draw search for a free spot
    "axes.labelsize": 12,
    "axes.labelcolor": TEXT,
    "axes.edgecolor": MUTED,
    "axes.facecolor": "white",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#d9d9d9",
    "grid.linewidth": 0.8,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "xtick.color": TEXT,
    "ytick.color": TEXT,
    "text.color": TEXT,
    "legend.fontsize": 11,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "lines.markersize": 7,
    "hatch.linewidth": 1.0,
    "errorbar.capsize": 4,
}


def use_style() -> None:
    """Apply the course style to matplotlib (done on import of :mod:`cdcourse.viz`).

    Examples
    --------
    >>> use_style(); mpl.rcParams["axes.prop_cycle"].by_key()["color"][0] == PALETTE[0]
    True
    """
    mpl.rcParams.update(_STYLE)


use_style()


class Plot(NamedTuple):
    """What every helper returns: ``fig, ax = plot``; Axes methods also work on it directly."""

    fig: Figure
    ax: Axes

    def __getattr__(self, name: str) -> Any:
        # Lets `viz.bar_ci(...).get_title()` work for callers that treat the result as the Axes.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.ax, name)

    def _ipython_display_(self) -> None:
        # The inline backend already shows the figure; printing the tuple would only add noise.
        from IPython.display import display

        if not plt.fignum_exists(getattr(self.fig, "number", -1)):
            display(self.fig)


# --------------------------------------------------------------------------- shared pieces

def _axes(ax: Axes | None, figsize: tuple[float, float] | None = None) -> tuple[Figure, Axes]:
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
        return fig, ax
    if not isinstance(ax, Axes):
        raise CdcourseError(f"ax must be a matplotlib Axes (or None for a new figure); got {type(ax).__name__}")
    return ax.figure, ax


def _label(name: str | None) -> str:
    return "" if name is None else str(name).replace("_", " ")


def _finish(ax: Axes, *, title: str | None, xlabel: str | None, ylabel: str | None, source: str | None) -> None:
    if title:
        # The main (centre) title object, placed at the left edge: reads like a headline, and
        # ax.get_title() still returns it.
        ax.set_title(title, x=0.0, horizontalalignment="left")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    if source:
        add_source(ax, source)


def _legend(ax: Axes, **kwargs: Any) -> None:
    # Outside the plot area on the right: a legend never hides a bar, a point or an interval.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, **kwargs)


def add_source(fig_or_ax: Figure | Axes | Plot, text: str) -> mpl.text.Text:
    """Write a source/caption line under the chart (replacing an earlier one).

    With an Axes (or a figure with one Axes) the line sits under that Axes' x-axis label, aligned
    left; with a multi-panel figure it sits at the bottom-left of the figure.

    Examples
    --------
    >>> fig, ax = plt.subplots()
    >>> add_source(ax, "Source: Lumeria population frame (synthetic)").get_text()
    'Source: Lumeria population frame (synthetic)'
    >>> plt.close(fig)
    """
    if isinstance(fig_or_ax, Plot):
        fig_or_ax = fig_or_ax.ax
    if isinstance(fig_or_ax, Figure) and len(fig_or_ax.axes) == 1:
        fig_or_ax = fig_or_ax.axes[0]
    if isinstance(fig_or_ax, Axes):
        ax = fig_or_ax
        for old in [t for t in ax.texts if t.get_gid() == SOURCE_GID]:
            old.remove()
        # x in axes fraction, y at the bottom of the x-axis label: never overlaps tick labels.
        artist = ax.annotate(
            text, xy=(0, 0), xycoords=(ax.transAxes, ax.xaxis.label), xytext=(0, -8),
            textcoords="offset points", ha="left", va="top", fontsize=10, color=MUTED,
            annotation_clip=False,
        )
    elif isinstance(fig_or_ax, Figure):
        fig = fig_or_ax
        for old in [t for t in fig.texts if t.get_gid() == SOURCE_GID]:
            old.remove()
        artist = fig.text(0.01, 0.005, text, ha="left", va="bottom", fontsize=10, color=MUTED)
    else:
        raise CdcourseError(f"fig_or_ax must be a matplotlib Figure or Axes; got {type(fig_or_ax).__name__}")
    artist.set_gid(SOURCE_GID)
    return artist


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        raise CdcourseError(
            f"column {column!r} must hold numbers; found {frame.loc[bad, column].iloc[0]!r} in row {bad.idxmax()!r}"
        )
    return values.to_numpy(dtype=float)


def _ci_errors(y: np.ndarray, lo: np.ndarray, hi: np.ndarray, frame: pd.DataFrame, lower: str, upper: str) -> np.ndarray:
    """Error-bar lengths below and above each estimate, after checking the interval holds it."""
    below, above = y - lo, hi - y
    bad = (below < -1e-12) | (above < -1e-12)
    if bad.any():
        rows = ", ".join(map(repr, frame.index[bad][:5]))
        raise CdcourseError(
            f"the interval {lower!r}..{upper!r} does not contain the estimate in rows {rows}; "
            "lower <= estimate <= upper was expected"
        )
    return np.vstack([below, above])


def _truth_values(truth: Any, frame: pd.DataFrame, x: str) -> float | np.ndarray | None:
    """A scalar truth, or one truth value per row (from a column name or a mapping by category)."""
    if truth is None:
        return None
    if isinstance(truth, str):
        require_columns(frame, truth, "truth")
        return _numbers(frame, truth)
    if isinstance(truth, (Mapping, pd.Series)):
        mapping = dict(truth)
        return np.array([float(mapping.get(k, np.nan)) for k in frame[x]], dtype=float)
    if isinstance(truth, (int, float, np.integer, np.floating)) and not isinstance(truth, bool):
        return float(truth)
    raise CdcourseError(
        f"truth must be a number, a column name or a mapping category -> value; got {type(truth).__name__}"
    )


def _draw_truth(ax: Axes, pos: np.ndarray, truth: float | np.ndarray, *, horizontal: bool, label: str) -> None:
    if np.ndim(truth) == 0:
        line = (ax.axvline if horizontal else ax.axhline)(truth, color=TEXT, linestyle="--", linewidth=1.6, label=label)
        line.set_gid(TRUTH_GID)
        return
    xs, ys = (truth, pos) if horizontal else (pos, truth)
    (markers,) = ax.plot(
        xs, ys, linestyle="none", marker="D", markersize=8, markerfacecolor="white",
        markeredgecolor=TEXT, markeredgewidth=1.8, label=label, zorder=4,
    )
    markers.set_gid(TRUTH_GID)


def _category_axis(ax: Axes, pos: np.ndarray, labels: Sequence[Any], *, horizontal: bool) -> None:
    labels = [str(v) for v in labels]
    if horizontal:
        ax.set_yticks(pos, labels)
        ax.invert_yaxis()  # first category on top, as it is read
        ax.grid(axis="y", visible=False)
    else:
        rotate = len(labels) > 6 or max((len(s) for s in labels), default=0) > 10
        ax.set_xticks(pos, labels, rotation=30 if rotate else 0, ha="right" if rotate else "center")
        ax.grid(axis="x", visible=False)


def _estimates_ci(
    kind: str,
    frame: pd.DataFrame,
    x: str,
    y: str,
    lower: str | None,
    upper: str | None,
    *,
    title: str | None,
    xlabel: str | None,
    ylabel: str | None,
    source: str | None,
    truth: Any,
    ax: Axes | None,
    horizontal: bool,
    color: str | None,
    ci_label: str,
    truth_label: str,
    label: str | None,
) -> Plot:
    require_frame(frame, "frame")
    require_columns(frame, [x, y] + [c for c in (lower, upper) if c is not None], "column")
    if (lower is None) != (upper is None):
        raise CdcourseError("lower and upper must be given together (column names of the interval ends)")
    fig, ax = _axes(ax)
    pos = np.arange(len(frame), dtype=float)
    est = _numbers(frame, y)
    color = color or PALETTE[0]
    if kind == "bar":
        draw = ax.barh if horizontal else ax.bar
        draw(pos, est, 0.65, color=color, edgecolor=TEXT, linewidth=0.6, label=label)
    else:
        xs, ys = (est, pos) if horizontal else (pos, est)
        ax.plot(xs, ys, linestyle="none", marker="o", markersize=8, color=color, label=label, zorder=3)
    if lower is not None:
        err = _ci_errors(est, _numbers(frame, lower), _numbers(frame, upper), frame, lower, upper)
        xs, ys = (est, pos) if horizontal else (pos, est)
        container = ax.errorbar(
            xs, ys, **({"xerr": err} if horizontal else {"yerr": err}),
            fmt="none", ecolor=TEXT, elinewidth=1.6, capsize=5, label=ci_label, zorder=3,
        )
        for part in container.lines[2]:
            part.set_gid(CI_GID)
    truth_vals = _truth_values(truth, frame, x)
    if truth_vals is not None:
        _draw_truth(ax, pos, truth_vals, horizontal=horizontal, label=truth_label)
    _category_axis(ax, pos, frame[x].tolist(), horizontal=horizontal)
    value_label = _label(y) if ylabel is None else ylabel
    cat_label = _label(x) if xlabel is None else xlabel
    if horizontal:
        _finish(ax, title=title, xlabel=value_label, ylabel=cat_label, source=source)
    else:
        _finish(ax, title=title, xlabel=cat_label, ylabel=value_label, source=source)
    if lower is not None or truth_vals is not None or label:
        _legend(ax)
    return Plot(fig, ax)


# --------------------------------------------------------------------------- estimates with intervals

def bar_ci(
    frame: pd.DataFrame,
    x: str,
    y: str,
    lower: str | None = None,
    upper: str | None = None,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    source: str | None = None,
    truth: Any = None,
    ax: Axes | None = None,
    horizontal: bool = False,
    color: str | None = None,
    ci_label: str = "95% confidence interval",
    truth_label: str = "true value (population)",
) -> Plot:
    """Bars of an estimate per category, with its confidence interval as error bars.

    Parameters
    ----------
    frame : one row per bar, in the order to draw.
    x : column of category labels; y : column of estimates.
    lower, upper : columns of the interval ends (the error bar runs exactly from lower to upper).
    title, xlabel, ylabel : chart texts; ``xlabel`` names the category axis (column ``x``) and
        ``ylabel`` the value axis (column ``y``) whichever way the chart is drawn; both default to
        the column names.
    source : a source/caption line under the chart.
    truth : the true value to compare with: a number (a dashed line), a column name or a mapping
        category -> value (a hollow diamond on each bar).
    horizontal : bars along the x-axis, categories down the side (better for long names).

    Examples
    --------
    >>> t = pd.DataFrame({"g": ["a", "b"], "p": [0.3, 0.5], "lo": [0.2, 0.4], "hi": [0.4, 0.6]})
    >>> fig, ax = bar_ci(t, "g", "p", "lo", "hi", truth=0.45)
    >>> [round(float(b.get_height()), 2) for b in ax.patches]
    [0.3, 0.5]
    >>> plt.close(fig)
    """
    return _estimates_ci(
        "bar", frame, x, y, lower, upper, title=title, xlabel=xlabel, ylabel=ylabel, source=source,
        truth=truth, ax=ax, horizontal=horizontal, color=color, ci_label=ci_label,
        truth_label=truth_label, label=None,
    )


def points_ci(
    frame: pd.DataFrame,
    x: str,
    y: str,
    lower: str | None = None,
    upper: str | None = None,
    *,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    source: str | None = None,
    truth: Any = None,
    ax: Axes | None = None,
    horizontal: bool = False,
    color: str | None = None,
    ci_label: str = "95% confidence interval",
    truth_label: str = "true value (population)",
    label: str | None = None,
) -> Plot:
    """Points of an estimate per category with confidence-interval whiskers (a "forest plot").

    Same parameters as :func:`bar_ci`; points suit estimates whose zero is not meaningful
    (means, rates) and many categories (use ``horizontal=True``).

    Examples
    --------
    >>> t = pd.DataFrame({"g": ["a", "b"], "m": [31.0, 35.5], "lo": [29.0, 33.0], "hi": [33.0, 38.0]})
    >>> fig, ax = points_ci(t, "g", "m", "lo", "hi", horizontal=True)
    >>> ax.lines[0].get_xdata().tolist()
    [31.0, 35.5]
    >>> plt.close(fig)
    """
    return _estimates_ci(
        "points", frame, x, y, lower, upper, title=title, xlabel=xlabel, ylabel=ylabel, source=source,
        truth=truth, ax=ax, horizontal=horizontal, color=color, ci_label=ci_label,
        truth_label=truth_label, label=label,
    )


def group_bars(
    frame: pd.DataFrame,
    x: str,
    y: str,
    group: str,
    *,
    lower: str | None = None,
    upper: str | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
    horizontal: bool = False,
    legend_title: str | None = None,
) -> Plot:
    """Bars of ``y`` by ``x``, side by side for each ``group`` (disaggregation).

    Each group has its own colour *and* hatch pattern, so groups stay apart in greyscale. Rows
    are long format: one row per (x, group). Missing combinations are left as gaps.

    Examples
    --------
    >>> t = pd.DataFrame({"district": ["A", "A", "B", "B"], "sex": ["female", "male"] * 2,
    ...                   "share": [0.4, 0.5, 0.6, 0.7]})
    >>> fig, ax = group_bars(t, "district", "share", "sex")
    >>> len(ax.patches), [t.get_text() for t in ax.get_legend().get_texts()]
    (4, ['female', 'male'])
    >>> plt.close(fig)
    """
    require_frame(frame, "frame")
    require_columns(frame, [x, y, group] + [c for c in (lower, upper) if c is not None], "column")
    if (lower is None) != (upper is None):
        raise CdcourseError("lower and upper must be given together (column names of the interval ends)")
    fig, ax = _axes(ax)
    cats = list(pd.unique(frame[x]))
    groups = list(pd.unique(frame[group]))
    if len(groups) > len(PALETTE):
        raise CdcourseError(
            f"group {group!r} has {len(groups)} values; at most {len(PALETTE)} can be told apart in one chart"
        )
    pos = np.arange(len(cats), dtype=float)
    width = 0.8 / max(len(groups), 1)
    cat_index = {c: i for i, c in enumerate(cats)}
    for gi, g in enumerate(groups):
        part = frame[frame[group] == g]
        gpos = np.array([cat_index[c] for c in part[x]], dtype=float) + (gi - (len(groups) - 1) / 2) * width
        est = _numbers(part, y)
        draw = ax.barh if horizontal else ax.bar
        draw(gpos, est, width * 0.95, color=PALETTE[gi], hatch=HATCHES[gi], edgecolor=TEXT, linewidth=0.6, label=str(g))
        if lower is not None:
            err = _ci_errors(est, _numbers(part, lower), _numbers(part, upper), part, lower, upper)
            xs, ys = (est, gpos) if horizontal else (gpos, est)
            container = ax.errorbar(
                xs, ys, **({"xerr": err} if horizontal else {"yerr": err}),
                fmt="none", ecolor=TEXT, elinewidth=1.3, capsize=3, zorder=3,
            )
            for part in container.lines[2]:
                part.set_gid(CI_GID)
    _category_axis(ax, pos, cats, horizontal=horizontal)
    value_label = _label(y) if ylabel is None else ylabel
    cat_label = _label(x) if xlabel is None else xlabel
    if horizontal:
        _finish(ax, title=title, xlabel=value_label, ylabel=cat_label, source=source)
    else:
        _finish(ax, title=title, xlabel=cat_label, ylabel=value_label, source=source)
    _legend(ax, title=_label(group) if legend_title is None else legend_title)
    return Plot(fig, ax)


def group_points(
    frame: pd.DataFrame,
    x: str,
    y: str,
    group: str,
    *,
    lower: str | None = None,
    upper: str | None = None,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
    horizontal: bool = True,
    legend_title: str | None = None,
) -> Plot:
    """A dot plot of ``y`` by ``x`` with one marker shape and colour per ``group`` (disaggregation).

    Reads like :func:`group_bars` but stays legible with many categories (12 districts x 5
    answers) and draws fast; with ``lower``/``upper`` each dot gets its interval. Groups are
    nudged apart slightly so their intervals do not overlap.

    Examples
    --------
    >>> t = pd.DataFrame({"district": ["A", "A", "B", "B"], "sex": ["female", "male"] * 2,
    ...                   "share": [0.4, 0.5, 0.6, 0.7]})
    >>> fig, ax = group_points(t, "district", "share", "sex")
    >>> [(ln.get_marker(), ln.get_xdata().tolist()) for ln in ax.lines]
    [('o', [0.4, 0.6]), ('s', [0.5, 0.7])]
    >>> plt.close(fig)
    """
    require_frame(frame, "frame")
    require_columns(frame, [x, y, group] + [c for c in (lower, upper) if c is not None], "column")
    if (lower is None) != (upper is None):
        raise CdcourseError("lower and upper must be given together (column names of the interval ends)")
    fig, ax = _axes(ax)
    cats = list(pd.unique(frame[x]))
    groups = list(pd.unique(frame[group]))
    if len(groups) > len(PALETTE):
        raise CdcourseError(
            f"group {group!r} has {len(groups)} values; at most {len(PALETTE)} can be told apart in one chart"
        )
    cat_index = {c: i for i, c in enumerate(cats)}
    step = min(0.12, 0.6 / max(len(groups), 1))
    for gi, g in enumerate(groups):
        part = frame[frame[group] == g]
        gpos = np.array([cat_index[c] for c in part[x]], dtype=float) + (gi - (len(groups) - 1) / 2) * step
        est = _numbers(part, y)
        xs, ys = (est, gpos) if horizontal else (gpos, est)
        ax.plot(xs, ys, linestyle="none", marker=MARKERS[gi], markersize=8, color=PALETTE[gi],
                markeredgecolor=TEXT if PALETTE[gi] == OKABE_ITO["yellow"] else "white", markeredgewidth=0.6,
                label=str(g), zorder=3)
        if lower is not None:
            err = _ci_errors(est, _numbers(part, lower), _numbers(part, upper), part, lower, upper)
            container = ax.errorbar(xs, ys, **({"xerr": err} if horizontal else {"yerr": err}), fmt="none",
                                    ecolor=PALETTE[gi], elinewidth=1.4, capsize=0, zorder=2)
            for seg in container.lines[2]:
                seg.set_gid(CI_GID)
    _category_axis(ax, np.arange(len(cats), dtype=float), cats, horizontal=horizontal)
    ax.grid(axis="y" if horizontal else "x", visible=True, color="#eeeeee")
    value_label = _label(y) if ylabel is None else ylabel
    cat_label = _label(x) if xlabel is None else xlabel
    if horizontal:
        _finish(ax, title=title, xlabel=value_label, ylabel=cat_label, source=source)
    else:
        _finish(ax, title=title, xlabel=cat_label, ylabel=value_label, source=source)
    _legend(ax, title=_label(group) if legend_title is None else legend_title)
    return Plot(fig, ax)


# --------------------------------------------------------------------------- maps

def inside_boundary(lon: Any, lat: Any, boundary: Any) -> np.ndarray:
    """Whether each point (lon, lat) lies inside the polygon ``boundary`` ((n, 2) lon/lat vertices).

    Examples
    --------
    >>> square = [(0, 0), (1, 0), (1, 1), (0, 1)]
    >>> inside_boundary([0.5, 2.0], [0.5, 0.5], square).tolist()
    [True, False]
    """
    if boundary is None:
        raise CdcourseError("boundary must be an (n, 2) array of lon/lat vertices; got None")
    # One point-in-polygon test for the whole kit: the map shows exactly what the GPS check flags.
    from cdcourse.cleaning.gps import inside

    return inside(lon, lat, boundary)


def _label_spot(poly: np.ndarray, points: np.ndarray) -> tuple[float, float]:
    """A place inside ``poly`` for its label, as far as possible from the points drawn.

    Candidates on a 7 x 7 grid over the polygon's extent (kept when inside it); the centroid of
    the vertices when none is inside.
    """
    lo, hi = poly.min(axis=0), poly.max(axis=0)
    gx, gy = np.meshgrid(np.linspace(0.15, 0.85, 7), np.linspace(0.15, 0.85, 7))
    cand = lo + np.column_stack([gx.ravel(), gy.ravel()]) * (hi - lo)
    cand = cand[Path(poly).contains_points(cand)]
    if len(cand) == 0:
        return float(poly[:, 0].mean()), float(poly[:, 1].mean())
    near = points[(points >= lo).all(axis=1) & (points <= hi).all(axis=1)]
    if len(near) == 0:
        centre = poly.mean(axis=0)
        best = cand[np.argmin(((cand - centre) ** 2).sum(axis=1))]
        return float(best[0]), float(best[1])
    if len(near) > 2000:
        near = near[:: len(near) // 2000 + 1]
    d2 = ((cand[:, None, :] - near[None, :, :]) ** 2).sum(axis=2).min(axis=1)
    best = cand[int(np.argmax(d2))]
    return float(best[0]), float(best[1])


def map_points(
    frame: pd.DataFrame,
    lon: str = "lon",
    lat: str = "lat",
    hue: str | None = None,
    boundary: Any = None,
    districts: Mapping[str, Any] | None = None,
    *,
    title: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
    outside_label: str = "outside the country boundary",
    legend_title: str | None = None,
    size: float = 30,
) -> Plot:
    """Points on a simple map: the country outline, district outlines and the points.

    Points inside the boundary are coloured (and shaped) by ``hue``; points outside it are drawn
    as large vermillion crosses with their own legend entry and count, so a mapping error stands
    out without relying on colour.

    Parameters
    ----------
    frame : one row per point with longitude and latitude columns.
    lon, lat : the coordinate columns.
    hue : a column of categories (at most 8) to tell points apart.
    boundary : the country polygon, an (n, 2) array of (lon, lat) such as
        ``cdcourse.datasets.boundary()``.
    districts : a dict code -> polygon such as ``cdcourse.datasets.district_boundaries()``;
        outlines are drawn thin and labelled with the code.

    Examples
    --------
    >>> pts = pd.DataFrame({"lon": [0.5, 0.2, 3.0], "lat": [0.5, 0.8, 0.5], "kind": ["tap", "well", "tap"]})
    >>> fig, ax = map_points(pts, hue="kind", boundary=[(0, 0), (1, 0), (1, 1), (0, 1)])
    >>> [c.get_label() for c in ax.collections]
    ['tap', 'well', 'outside the country boundary (1)']
    >>> plt.close(fig)
    """
    require_frame(frame, "frame", allow_empty=True)
    require_columns(frame, [lon, lat] + ([hue] if hue else []), "column")
    fig, ax = _axes(ax, figsize=(7.0, 7.0))
    x = pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype=float)
    if districts:
        pts = np.column_stack([x, y])[~np.isnan(x) & ~np.isnan(y)]
        for code, poly in districts.items():
            p = np.asarray(poly, dtype=float)
            ax.fill(p[:, 0], p[:, 1], facecolor="none", edgecolor="#8c8c8c", linewidth=0.8, zorder=1)
            cx, cy = _label_spot(p, pts)
            # Above the points, on a light box: a label hidden under a cluster helps no one.
            ax.text(cx, cy, str(code), ha="center", va="center", fontsize=9, color=TEXT, zorder=5,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    inside = np.ones(len(frame), dtype=bool)
    if boundary is not None:
        poly = np.asarray(boundary, dtype=float)
        inside = inside_boundary(x, y, poly)
        closed = np.vstack([poly, poly[:1]])
        ax.plot(closed[:, 0], closed[:, 1], color=TEXT, linewidth=1.6, zorder=2, label="_country boundary")
    if hue:
        groups = [g for g in pd.unique(frame[hue]) if not pd.isna(g)]
        if len(groups) > len(PALETTE):
            raise CdcourseError(f"hue {hue!r} has {len(groups)} values; at most {len(PALETTE)} can be told apart")
        for gi, g in enumerate(groups):
            m = (frame[hue] == g).to_numpy(dtype=bool) & inside
            ax.scatter(x[m], y[m], s=size, color=PALETTE[gi], marker=MARKERS[gi], edgecolor="white",
                       linewidth=0.4, label=str(g), zorder=3)
    else:
        ax.scatter(x[inside], y[inside], s=size, color=PALETTE[0], edgecolor="white", linewidth=0.4,
                   label="points", zorder=3)
    n_out = int((~inside).sum())
    if n_out:
        out = ax.scatter(x[~inside], y[~inside], s=size * 3, color=HIGHLIGHT, marker="X", edgecolor=TEXT,
                         linewidth=0.8, label=f"{outside_label} ({n_out})", zorder=4)
        out.set_gid(OUTSIDE_GID)
    ax.set_aspect("equal", adjustable="datalim")
    ax.grid(False)  # grid lines would read as borders on a map
    _finish(ax, title=title, xlabel="Longitude", ylabel="Latitude", source=source)
    _legend(ax, title=_label(hue) if legend_title is None and hue else legend_title)
    return Plot(fig, ax)


# --------------------------------------------------------------------------- population pyramid

def _age_groups(age: pd.Series, band: int, top: int) -> tuple[pd.Series, list[str]]:
    edges = list(range(0, top, band))
    labels = [f"{a}-{a + band - 1}" for a in edges] + [f"{top}+"]
    codes = np.minimum(np.floor_divide(age.to_numpy(dtype=float), band), len(edges)).astype(float)
    codes[np.isnan(age.to_numpy(dtype=float))] = np.nan
    return pd.Series(codes, index=age.index), labels


def _pyramid_counts(frame: pd.DataFrame, age: str, sex: str, weight: str | None, band: int, top: int,
                    female: str, male: str) -> tuple[pd.DataFrame, list[str]]:
    ages = pd.to_numeric(frame[age], errors="coerce")
    if (ages < 0).any():
        raise CdcourseError(f"age column {age!r} has negative values; ages must be >= 0")
    codes, labels = _age_groups(ages, band, top)
    w = frame[weight].astype(float) if weight else pd.Series(1.0, index=frame.index)
    sexes = frame[sex].astype(object)
    table = pd.DataFrame(
        {s: w[(sexes == s).to_numpy()].groupby(codes[(sexes == s).to_numpy()]).sum() for s in (male, female)}
    ).reindex(np.arange(len(labels), dtype=float)).fillna(0.0)
    table.index = labels
    return table, labels


def pyramid(
    frame: pd.DataFrame,
    age: str = "age",
    sex: str = "sex",
    weight: str | None = None,
    *,
    band: int = 5,
    top: int = 85,
    percent: bool = False,
    reference: pd.DataFrame | None = None,
    reference_label: str = "population (truth)",
    female: str = "female",
    male: str = "male",
    title: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
) -> Plot:
    """A population pyramid: persons by age group, men to the left and women to the right.

    Parameters
    ----------
    frame : one row per person.
    age, sex : the age (years) and sex columns.
    weight : a weight column (for a survey, so bars estimate the population); default counts rows.
    band, top : width of the age groups in years, and the age where the open top group starts.
    percent : bars as percent of everyone (so a sample and a population compare directly).
    reference : another frame (for example the population) drawn as an outline on top, in percent
        when ``percent``; ``reference_label`` names it in the legend.
    female, male : the values of ``sex`` for each side.

    Examples
    --------
    >>> people = pd.DataFrame({"age": [3, 4, 30, 31, 32, 90], "sex": ["female", "male", "female", "female", "male", "female"]})
    >>> fig, ax = pyramid(people, band=10, top=80)
    >>> len(ax.patches), float(sum(abs(p.get_width()) for p in ax.patches))
    (18, 6.0)
    >>> plt.close(fig)
    """
    require_frame(frame, "frame")
    require_columns(frame, [age, sex] + ([weight] if weight else []), "column")
    if band < 1 or top < band:
        raise CdcourseError(f"band must be >= 1 and top >= band; got band={band!r}, top={top!r}")
    if top % band:
        raise CdcourseError(f"top must be a multiple of band, so that the age groups do not overlap; got band={band!r}, "
                            f"top={top!r} (for example top={top - top % band} or {top - top % band + band})")
    fig, ax = _axes(ax, figsize=(8.0, 6.5))
    table, labels = _pyramid_counts(frame, age, sex, weight, band, top, female, male)
    unit = "Persons"
    if percent:
        table = table / table.to_numpy().sum() * 100
        unit = "Percent of all persons"
    pos = np.arange(len(labels))
    ax.barh(pos, -table[male], 0.9, color=PALETTE[0], edgecolor=TEXT, linewidth=0.5, label=str(male))
    ax.barh(pos, table[female], 0.9, color=PALETTE[1], hatch=HATCHES[1], edgecolor=TEXT, linewidth=0.5,
            label=str(female))
    if reference is not None:
        ref, _ = _pyramid_counts(reference, age, sex, None, band, top, female, male)
        if percent:
            ref = ref / ref.to_numpy().sum() * 100
        for side, sign in ((male, -1), (female, 1)):
            xs = np.repeat(sign * ref[side].to_numpy(), 2)
            ys = np.column_stack([pos - 0.45, pos + 0.45]).ravel()
            ax.plot(xs, ys, color=TEXT, linewidth=1.5, label=reference_label if side == male else "_")
    ax.axvline(0, color=TEXT, linewidth=0.8)
    ax.set_yticks(pos, labels)
    ax.grid(axis="y", visible=False)
    limit = float(np.nanmax(np.abs(ax.get_xlim())))
    ax.set_xlim(-limit, limit)
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{abs(v):,.0f}" if not percent else f"{abs(v):g}"))
    xlabel = f"{unit}{' (weighted)' if weight else ''}:  ◀ {male}  |  {female} ▶"
    _finish(ax, title=title, xlabel=xlabel, ylabel="Age group (years)", source=source)
    _legend(ax)
    return Plot(fig, ax)


# --------------------------------------------------------------------------- before / after

def _as_series(values: Any, param: str) -> pd.Series:
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, Mapping):
        return pd.Series(dict(values))
    if isinstance(values, (list, tuple, np.ndarray, pd.Index)):
        return pd.Series(np.asarray(values))
    raise CdcourseError(f"{param} must be a Series, a dict or an array; got {type(values).__name__}")


def before_after(
    before: Any,
    after: Any,
    *,
    kind: str = "bars",
    labels: tuple[str, str] = ("before", "after"),
    bins: int | Sequence[float] = 30,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
    horizontal: bool = False,
) -> Plot:
    """Compare the same thing before and after a step (cleaning, recoding, adding noise).

    Parameters
    ----------
    before, after : for ``kind="bars"`` or ``"dots"``: values per category (a Series or dict,
        for example ``df["sex"].value_counts()``); categories present on one side only get 0 on
        the other. For ``kind="hist"``: the raw values, drawn as two outlined histograms on the
        same bins.
    kind : "bars" (paired bars, the "after" bars hatched), "dots" (a dumbbell: hollow circle
        before, filled square after, joined by a line) or "hist".
    labels : legend names of the two sides.

    Examples
    --------
    >>> fig, ax = before_after({"F": 10, "female": 30, "male": 38}, {"female": 40, "male": 38})
    >>> len(ax.patches)
    6
    >>> plt.close(fig)
    """
    if kind not in ("bars", "dots", "hist"):
        raise CdcourseError(f"kind must be one of 'bars', 'dots', 'hist'; got {kind!r}")
    fig, ax = _axes(ax)
    b, a = _as_series(before, "before"), _as_series(after, "after")
    if kind == "hist":
        bv = pd.to_numeric(b, errors="coerce").dropna().to_numpy(dtype=float)
        av = pd.to_numeric(a, errors="coerce").dropna().to_numpy(dtype=float)
        edges = np.histogram_bin_edges(np.concatenate([bv, av]), bins=bins)
        ax.hist(bv, bins=edges, histtype="step", linewidth=2, linestyle="--", color=PALETTE[0], label=labels[0])
        ax.hist(av, bins=edges, histtype="step", linewidth=2, color=PALETTE[1], label=labels[1])
        _finish(ax, title=title, xlabel=xlabel or "", ylabel="Number of records" if ylabel is None else ylabel, source=source)
        _legend(ax)
        return Plot(fig, ax)
    cats = list(dict.fromkeys(list(b.index) + list(a.index)))
    bv = b.reindex(cats).fillna(0).to_numpy(dtype=float)
    av = a.reindex(cats).fillna(0).to_numpy(dtype=float)
    pos = np.arange(len(cats), dtype=float)
    if kind == "bars":
        draw = ax.barh if horizontal else ax.bar
        draw(pos - 0.2, bv, 0.38, color=PALETTE[0], edgecolor=TEXT, linewidth=0.6, label=labels[0])
        draw(pos + 0.2, av, 0.38, color=PALETTE[1], hatch=HATCHES[1], edgecolor=TEXT, linewidth=0.6, label=labels[1])
    else:
        for p, u, v in zip(pos, bv, av):
            xs, ys = ((u, v), (p, p)) if horizontal else ((p, p), (u, v))
            ax.plot(xs, ys, color="#8c8c8c", linewidth=2, zorder=1)
        bx, by = (bv, pos) if horizontal else (pos, bv)
        axx, axy = (av, pos) if horizontal else (pos, av)
        ax.plot(bx, by, linestyle="none", marker="o", markersize=9, markerfacecolor="white",
                markeredgecolor=PALETTE[0], markeredgewidth=2, label=labels[0], zorder=2)
        ax.plot(axx, axy, linestyle="none", marker="s", markersize=8, color=PALETTE[1], label=labels[1], zorder=3)
    _category_axis(ax, pos, cats, horizontal=horizontal)
    value_label = "Number of records" if ylabel is None else ylabel
    if horizontal:
        _finish(ax, title=title, xlabel=value_label, ylabel=xlabel or "", source=source)
    else:
        _finish(ax, title=title, xlabel=xlabel or "", ylabel=value_label, source=source)
    _legend(ax)
    return Plot(fig, ax)


# --------------------------------------------------------------------------- histogram

def histogram(
    values: Any,
    *,
    bins: int | str | Sequence[float] = "auto",
    weights: Any = None,
    truth: float | None = None,
    truth_label: str = "true value (population)",
    mean_line: bool = False,
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    source: str | None = None,
    ax: Axes | None = None,
    color: str | None = None,
    histtype: str = "bar",
) -> Plot:
    """A histogram of numeric values, optionally with the true value as a dashed line.

    Handy for a sampling distribution: the estimates of many samples, and the population value
    they scatter around. Missing values are left out (the legend says how many). ``histtype`` as
    in matplotlib ("stepfilled" draws one shape instead of one bar per bin: faster).

    Examples
    --------
    >>> fig, ax = histogram([1, 2, 2, 3, 3, 3, None], bins=[0.5, 1.5, 2.5, 3.5], truth=2.5)
    >>> [float(p.get_height()) for p in ax.patches]
    [1.0, 2.0, 3.0]
    >>> plt.close(fig)
    """
    fig, ax = _axes(ax)
    v = pd.to_numeric(_as_series(values, "values"), errors="coerce")
    keep = v.notna().to_numpy()
    w = None if weights is None else np.asarray(weights, dtype=float)[keep]
    ax.hist(v.to_numpy(dtype=float)[keep], bins=bins, weights=w, color=color or PALETTE[5], edgecolor=TEXT,
            linewidth=0.6, label=f"values (n = {int(keep.sum()):,})", histtype=histtype)
    if truth is not None:
        line = ax.axvline(float(truth), color=TEXT, linestyle="--", linewidth=2, label=truth_label)
        line.set_gid(TRUTH_GID)
    if mean_line and keep.any():
        mean = float(np.average(v.to_numpy(dtype=float)[keep], weights=w))
        ax.axvline(mean, color=PALETTE[3], linestyle=":", linewidth=2.5, label=f"mean ({mean:,.3g})")
    n_missing = int((~keep).sum())
    if n_missing:
        ax.plot([], [], linestyle="none", label=f"{n_missing:,} missing, not shown")
    ax.grid(axis="x", visible=False)
    _finish(ax, title=title, xlabel=xlabel or "", ylabel="Count" if ylabel is None else ylabel, source=source)
    _legend(ax)
    return Plot(fig, ax)
