"""The quality report: one self-contained HTML page (charts embedded as PNG) and a JSON twin.

The HTML needs no network and no files beside it: styles are inline and every chart is a base64
PNG. Charts use :mod:`cdcourse.viz` (the course's accessible style); if that module cannot be
imported the charts are drawn with plain matplotlib and the report says so.
"""
from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdcourse.quality.matrix import CAVEATS, FIT, NOT_FIT, Assessment
from cdcourse.quality.measures import QualityProfile

__all__ = ["completeness_chart", "report_dict", "report_html", "scorecard_chart", "write_report"]

_COLOURS = {FIT: "#009E73", CAVEATS: "#E69F00", NOT_FIT: "#D55E00"}
_INCOMPLETE_COLOUR = "#0072B2"


def _viz():
    try:
        from cdcourse import viz
    except Exception:  # viz is optional for the report: fall back to plain matplotlib
        return None
    return viz


def completeness_chart(profile: QualityProfile, *, ax=None, max_columns: int = 40):
    """Horizontal bars: completeness and validity (%) per column, worst first. Returns (fig, ax).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from cdcourse.quality import profile
    >>> fig, ax = completeness_chart(profile(pd.DataFrame({"a": [1, None], "b": ["x", "y"]})))
    >>> len(ax.patches) >= 2
    True
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    cols = profile.columns.copy()
    cols["completeness_pct"] = pd.to_numeric(cols.get("completeness_pct"), errors="coerce")
    cols["valid_pct"] = pd.to_numeric(cols.get("valid_pct"), errors="coerce")
    cols = cols.sort_values(["completeness_pct", "valid_pct"], ascending=True, na_position="first").head(max_columns)
    long = pd.concat([
        pd.DataFrame({"column": cols["column"], "measure": "completeness", "pct": cols["completeness_pct"]}),
        pd.DataFrame({"column": cols["column"], "measure": "validity", "pct": cols["valid_pct"]}),
    ]).dropna(subset=["pct"])
    viz = _viz()
    height = max(3.0, 0.28 * len(cols) + 1.5)
    if ax is None:
        fig, ax = plt.subplots(figsize=(8.0, height))
    else:
        fig = ax.figure
    title = "Completeness and validity by column (%)"
    source = f"Source: quality profile of {profile.dataset or 'the data'}; missing bars = not measured"
    if long.empty:
        ax.text(0.5, 0.5, "no column could be measured", ha="center", va="center", transform=ax.transAxes)
        ax.set_title(title)
        return fig, ax
    if viz is not None:
        # horizontal group_bars: xlabel names the categories, ylabel the values
        viz.group_bars(long, "column", "pct", "measure", horizontal=True, ax=ax, title=title, xlabel="",
                       ylabel="%", source=source, legend_title="")
    else:
        names = list(pd.unique(long["column"]))
        pos = np.arange(len(names))
        for i, (measure, part) in enumerate(long.groupby("measure", sort=True)):
            idx = [names.index(c) for c in part["column"]]
            ax.barh(pos[idx] + (i - 0.5) * 0.4, part["pct"], 0.38, label=measure)
        ax.set_yticks(pos, names)
        ax.set_xlabel("%")
        ax.set_title(title)
        ax.legend()
    ax.set_xlim(0, 100)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig, ax


def scorecard_chart(assessment: Assessment, *, ax=None):
    """Horizontal bars: the level each criterion reached beside its minimum level. Returns (fig, ax).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from cdcourse.quality import assess
    >>> fig, ax = scorecard_chart(assess({"completeness_cells": 99, "validity": 99, "uniqueness": 100}, {"relevance": 3}))
    >>> ax.get_title() != "" or ax.get_xlabel() != ""
    True
    >>> plt.close(fig)
    """
    import matplotlib.pyplot as plt

    table = assessment.criteria
    m = assessment.matrix
    long = pd.concat([
        pd.DataFrame({"criterion": table["name"], "what": "level reached", "level": table["level"]}),
        pd.DataFrame({"criterion": table["name"], "what": "minimum level", "level": table["minimum_level"].astype(float)}),
    ])
    long = long[long["criterion"].isin(table["name"])]
    if ax is None:
        fig, ax = plt.subplots(figsize=(8.0, 0.45 * len(table) + 1.8))
    else:
        fig = ax.figure
    score = "missing" if math.isnan(assessment.score) else f"{assessment.score:.0f} %"
    title = f"Scorecard: {assessment.verdict} (score {score})"
    viz = _viz()
    drawn = long.dropna(subset=["level"])
    if viz is not None and not drawn.empty:
        viz.group_bars(drawn, "criterion", "level", "what", horizontal=True, ax=ax, title=title,
                       xlabel="", ylabel=f"level ({m.scale_min}-{m.scale_max})", legend_title="",
                       source="Scoring matrix: the course's own, built on NQAF dimensions and PSA/KeSQAF criteria")
    else:
        names = list(table["name"])
        pos = np.arange(len(names))
        ax.barh(pos - 0.2, table["level"].fillna(0), 0.38, label="level reached")
        ax.barh(pos + 0.2, table["minimum_level"], 0.38, label="minimum level")
        ax.set_yticks(pos, names)
        ax.set_title(title)
        ax.legend()
    # Write the level reached beside each criterion, so that level 0 and "unscored" are visible too.
    labels = [t.get_text() for t in ax.get_yticklabels()]
    for _, row in table.iterrows():
        if row["name"] not in labels:
            continue
        y = labels.index(row["name"]) - 0.2  # the "level reached" bar sits above the minimum bar
        unscored = pd.isna(row["level"])
        text = "unscored" if unscored else f"{int(row['level'])}"
        x = m.scale_min if unscored else row["level"]
        ax.annotate(text, xy=(x, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=10,
                    color="#D55E00" if unscored or row["level"] < row["minimum_level"] else "#1a1a1a",
                    fontweight="bold")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_xlim(m.scale_min, m.scale_max + 0.4)
    ax.set_xticks(range(m.scale_min, m.scale_max + 1))
    return fig, ax


def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _table(frame: pd.DataFrame, max_rows: int = 60) -> str:
    if frame is None or frame.empty:
        return "<p><i>nothing to show</i></p>"
    shown = frame.head(max_rows)
    out = shown.to_html(index=False, na_rep="—", float_format=lambda v: f"{v:,.1f}", border=0, classes="t")
    if len(frame) > max_rows:
        out += f"<p><i>{len(frame) - max_rows} more rows in the JSON report</i></p>"
    return out


def report_dict(profile: QualityProfile, assessment: Assessment | None = None) -> dict[str, Any]:
    """The report as plain JSON-ready data: the profile, and the assessment with its matrix.

    Examples
    --------
    >>> import json
    >>> from cdcourse.quality import profile
    >>> data = report_dict(profile(pd.DataFrame({"a": [1, None]})))
    >>> data["profile"]["measures"]["completeness_cells"]["value"], data["profile"]["measures"]["validity"]["value"]
    (50.0, None)
    >>> len(json.dumps(data)) > 0
    True
    """
    out: dict[str, Any] = {"report": "cdcourse quality report", "profile": profile.to_dict()}
    if assessment is not None:
        out["assessment"] = assessment.to_dict()
        out["matrix"] = assessment.matrix.to_dict()
    return out


def report_html(profile: QualityProfile, assessment: Assessment | None = None, *, title: str | None = None,
                charts: bool = True) -> str:
    """A self-contained HTML page: verdict, measures with formulas, per-column table, charts, matrix.

    Examples
    --------
    >>> from cdcourse.quality import profile
    >>> page = report_html(profile(pd.DataFrame({"a": [1, None]}), dataset="toy"))
    >>> page.startswith("<!DOCTYPE html>") or page.lstrip().lower().startswith("<!doctype html>"), "toy" in page
    (True, True)
    """
    esc = html.escape
    title = title or f"Quality report: {profile.dataset or 'dataset'}"
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{esc(title)}</title>",
             "<style>body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#1a1a1a;"
             "line-height:1.45}table.t{border-collapse:collapse;font-size:0.9em;margin:0.5em 0}"
             "table.t td,table.t th{border-bottom:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
             ".verdict{border-left:8px solid;padding:0.5em 1em;background:#f6f6f6}"
             ".missing{color:#D55E00;font-weight:bold}code{background:#f2f2f2;padding:0 3px}"
             "img{max-width:100%}</style></head><body>",
             f"<h1>{esc(title)}</h1>",
             f"<p>{profile.n_rows:,} records × {profile.n_columns} columns"
             + (f"; reference date {esc(profile.reference_date)}" if profile.reference_date else "") + ".</p>"]
    if assessment is not None:
        colour = _COLOURS.get(assessment.verdict, _INCOMPLETE_COLOUR)
        score = "missing" if math.isnan(assessment.score) else f"{assessment.score:.1f} %"
        parts.append(f"<div class='verdict' style='border-color:{colour}'><h2>Verdict: {esc(assessment.verdict)}</h2>"
                     f"<p>Overall weighted score: <b>{score}</b> (fit at ≥ {assessment.matrix.fit_threshold:g} %, "
                     f"reuse with caveats at ≥ {assessment.matrix.caveats_threshold:g} %)"
                     + (f"; provisional verdict on the scored criteria: <b>{esc(assessment.provisional)}</b>"
                        if assessment.provisional else "") + "</p><ul>"
                     + "".join(f"<li>{esc(r)}</li>" for r in assessment.reasons) + "</ul></div>")
    parts.append("<h2>Automated measures</h2><p>Each measure shows its formula and the arithmetic. A measure "
                 "that could not be computed is shown as <span class='missing'>missing</span> with the reason; "
                 "it is never reported as 100 %.</p><table class='t'><tr><th>measure</th><th>value</th>"
                 "<th>formula</th><th>worked</th><th>notes</th></tr>")
    for m in profile.measures.values():
        value = f"{m.value:.1f} %" if m.computed else "<span class='missing'>missing</span>"
        note = "" if not m.computed else m.reason
        parts.append(f"<tr><td>{esc(m.name)}</td><td>{value}</td><td><code>{esc(m.formula)}</code></td>"
                     f"<td>{esc(m.worked)}</td><td>{esc(note)}</td></tr>")
    parts.append("</table>")
    viz_note = ""
    if charts:
        viz_ok = _viz() is not None
        viz_note = "" if viz_ok else ("<p><i>Charts drawn with plain matplotlib: the course's chart module "
                                      "(cdcourse.viz) could not be imported.</i></p>")
        import matplotlib

        with matplotlib.rc_context():
            parts.append("<h2>Charts</h2>" + viz_note)
            fig, _ = completeness_chart(profile)
            parts.append(f"<img alt='Completeness and validity by column' src='data:image/png;base64,{_png(fig)}'>")
            if assessment is not None:
                fig, _ = scorecard_chart(assessment)
                parts.append(f"<img alt='Scorecard: level reached and minimum level per criterion' "
                             f"src='data:image/png;base64,{_png(fig)}'>")
    if assessment is not None:
        matrix = assessment.matrix
        parts.append(f"<h2>Scoring matrix: {esc(matrix.name)}</h2><p><i>{esc(matrix.note)}</i></p>")
        parts.append(_table(assessment.criteria[["name", "scoring", "weight", "level", "minimum_level",
                                                 "meets_minimum", "source", "evidence"]]))
        parts.append("<h3>Criteria, evidence questions and level descriptors</h3>")
        for c in matrix.criteria:
            parts.append(f"<h4>{esc(c.name)} <small>(weight {c.weight:g}, minimum level {c.minimum_level}, "
                         f"{'scored from the measures' if c.scoring == 'measures' else 'scored by the assessor'}; "
                         f"basis: {esc(c.basis)})</small></h4><ul>"
                         + "".join(f"<li>{esc(q)}</li>" for q in c.questions) + "</ul><ol start='0' style='list-style:none'>"
                         + "".join(f"<li><b>{lv}</b>: {esc(d)}</li>" for lv, d in sorted(c.levels.items())) + "</ol>")
            if c.measures:
                parts.append("<p>Measures → level (the lowest level counts): "
                             + "; ".join(f"{esc(mc.measure)} {'≥' if mc.higher_is_better else '≤'} "
                                         f"{', '.join(f'{v:g}' for v in mc.cuts)} for levels "
                                         f"{matrix.scale_min + 1}..{matrix.scale_max}"
                                         + ("" if mc.required else " (optional)") for mc in c.measures) + "</p>")
    parts.append("<h2>By column</h2>" + _table(profile.columns, max_rows=200))
    for m in profile.measures.values():
        if not m.details.empty and m.name != "completeness_records":
            parts.append(f"<h3>Details: {esc(m.name)}</h3>" + _table(m.details))
    parts.append("<hr><p><small>Generated by the Citizen Data Course Kit (cdcourse). Synthetic data are invented.</small></p>"
                 "</body></html>")
    return "".join(parts)


def write_report(path: str | Path, profile: QualityProfile, assessment: Assessment | None = None, *,
                 json_path: str | Path | None = None, title: str | None = None) -> Path:
    """Write the HTML report (and the JSON twin when ``json_path`` is given); returns the HTML path.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from cdcourse.quality import profile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     html_path = write_report(Path(tmp) / "r.html", profile(pd.DataFrame({"a": [1, None]})),
    ...                              json_path=Path(tmp) / "r.json")
    ...     sorted(p.name for p in Path(tmp).iterdir())
    ['r.html', 'r.json']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_html(profile, assessment, title=title), encoding="utf-8")
    if json_path is not None:
        json_path = Path(json_path)
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report_dict(profile, assessment), indent=2, ensure_ascii=False,
                                        default=str), encoding="utf-8")
    return path
