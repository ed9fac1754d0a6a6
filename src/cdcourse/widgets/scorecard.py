"""The quality scorecard: set the human-scored criteria and the weights, watch the score and verdict.

A thin view over :func:`cdcourse.quality.assess`: the automated measures are fixed (a
:class:`~cdcourse.quality.QualityProfile` or a dict of values), the assessor's levels, the weights
and the two thresholds are controls. Weights are relative: they are rescaled to the matrix's
declared total, so any slider position is a valid matrix.

Examples
--------
>>> from cdcourse.widgets.scorecard import ScorecardExplorer
>>> measures = {"completeness_cells": 99, "validity": 99.5, "uniqueness": 100, "timeliness": 95}
>>> ex = ScorecardExplorer(measures, {"relevance": 3, "accessibility_clarity": 2, "coherence_comparability": 2,
...                                   "methodology_documentation": 2, "credibility": 2,
...                                   "ethics_consent_protection": 2})
>>> ex.result.verdict
'fit for official reuse'
>>> ex.set(ethics_consent_protection=1).result.verdict
'not fit'
>>> ex.set(ethics_consent_protection="unscored").result.verdict
'incomplete: not every criterion is scored'
"""
from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

from cdcourse.errors import CdcourseError
from cdcourse.quality import Assessment, QualityProfile, ScoringMatrix, assess, default_matrix, scorecard_chart
from cdcourse.widgets.base import Explorer

__all__ = ["UNSCORED", "ScorecardExplorer"]

#: the value of a level control that leaves its criterion unscored
UNSCORED = "unscored"


class ScorecardExplorer(Explorer):
    """Score the human-judged criteria and tune weights and thresholds; see the verdict move.

    Parameters
    ----------
    measures : the automated measures (a QualityProfile, or a dict measure -> value in %).
    answers : starting levels of the human-scored criteria (criterion id -> level); others start
        unscored.
    matrix : the scoring matrix (default: the course's own).
    dataset : a name shown in the title.

    Controls: one level per human-scored criterion (named by its id, ``"unscored"`` or a level),
    ``weight_<id>`` per criterion, and ``fit`` / ``caveats`` (thresholds in %).
    """

    def __init__(
        self,
        measures: QualityProfile | Mapping[str, Any] | None = None,
        answers: Mapping[str, Any] | None = None,
        *,
        matrix: ScoringMatrix | None = None,
        dataset: str = "",
    ) -> None:
        self.matrix = default_matrix() if matrix is None else matrix
        if not isinstance(self.matrix, ScoringMatrix):
            raise CdcourseError(f"matrix must be a ScoringMatrix; got {type(self.matrix).__name__}")
        self.measures = measures
        self._answers = dict(answers or {})
        self.matrix._check_ids(self._answers, "answers")
        self.title = f"Quality scorecard{': ' + dataset if dataset else ''}"
        super().__init__()

    def make_controls(self) -> dict[str, widgets.Widget]:
        m = self.matrix
        controls: dict[str, widgets.Widget] = {}
        style = {"description_width": "initial"}
        for c in m.criteria:
            if c.scoring != "human":
                continue
            options = [("unscored", UNSCORED)] + [
                (f"{lv} · {m.scale_labels.get(lv, '')}".rstrip(" ·"), lv) for lv in range(m.scale_min, m.scale_max + 1)
            ]
            start = self._answers.get(c.id)
            if isinstance(start, Mapping):
                start = start.get("level")
            controls[c.id] = widgets.Dropdown(options=options, value=UNSCORED if start is None else int(start),
                                              description=c.name, style=style,
                                              layout=widgets.Layout(width="330px"))
        for c in m.criteria:
            controls[f"weight_{c.id}"] = widgets.FloatSlider(
                value=c.weight, min=0, max=max(50.0, c.weight), step=1, description=f"weight: {c.name}",
                continuous_update=False, style=style, layout=widgets.Layout(width="330px"))
        controls["fit"] = widgets.FloatSlider(value=m.fit_threshold, min=0, max=100, step=1,
                                              description="fit at score ≥", continuous_update=False, style=style)
        controls["caveats"] = widgets.FloatSlider(value=m.caveats_threshold, min=0, max=100, step=1,
                                                  description="caveats at score ≥", continuous_update=False,
                                                  style=style)
        return controls

    def compute(self, **values: Any) -> Assessment:
        m = self.matrix
        answers = {c.id: values[c.id] for c in m.criteria
                   if c.scoring == "human" and values.get(c.id, UNSCORED) != UNSCORED}
        weights = {c.id: float(values[f"weight_{c.id}"]) for c in m.criteria}
        if sum(weights.values()) <= 0:
            raise CdcourseError("every weight is 0: give at least one criterion a weight above 0")
        if values["caveats"] > values["fit"]:
            raise CdcourseError(f"the caveats threshold ({values['caveats']:g}) must not be above the fit "
                                f"threshold ({values['fit']:g})")
        matrix = m.with_weights(weights, normalise=True).with_thresholds(fit=values["fit"], caveats=values["caveats"])
        # answers for measure-scored criteria passed at construction still override the measures
        fixed = {k: v for k, v in self._answers.items() if m.criterion(k).scoring == "measures"}
        return assess(self.measures, {**fixed, **answers}, matrix=matrix)

    def render(self, result: Assessment) -> list[Any]:
        fig, _ = scorecard_chart(result)
        weights = ", ".join(f"{c.name} {100 * c.weight / result.matrix.weights_total:.0f} %"
                            for c in result.matrix.criteria)
        note = (f"<p style='font-size:0.9em'>Weights as shares of the total: {html.escape(weights)}. "
                "The matrix is the course's own (NQAF dimensions, PSA/KeSQAF criteria); weights, levels and "
                "thresholds are choices, shown so that they can be questioned.</p>")
        return [result._repr_html_() + note, fig]
