"""Self-checks for lesson 08, use and reuse: quality measures and the reuse scoring matrix.

Expected answers are computed from :mod:`cdcourse.quality` and the datasets on the first check,
so importing this module loads no data.

Examples
--------
>>> print(q1.check(["timeliness_punctuality", "accuracy_reliability"]).status)
correct
>>> q3.check(100).status
'incorrect'
"""
from __future__ import annotations

import math
from typing import Any

from cdcourse.checks.core import ChoiceCheck, Exercise, FunctionCheck, NumberCheck, SetCheck, _inside, _short

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6"]

#: the reference date and window the lesson measures timeliness at
REFERENCE_DATE = "2024-12-31"
WINDOW_DAYS = 365


def _measure_ids() -> list[str]:
    from cdcourse.quality import default_matrix

    return [c.id for c in default_matrix().criteria if c.scoring == "measures"]


q1 = Exercise(
    "q1",
    "Which criteria of the course's scoring matrix are scored from the automated measures, not by an "
    "assessor? Give their ids as a list.",
    expected=_measure_ids,
    compare=SetCheck(),
    hints=["Look at the column `scoring` of `matrix.to_frame()`.",
           "`[c.id for c in matrix.criteria if c.scoring == 'measures']`"],
    solution="[c.id for c in matrix.criteria if c.scoring == 'measures']",
    explanation="Only accuracy and reliability and timeliness and punctuality can be measured from the file; "
    "relevance, methods, credibility, accessibility, coherence and ethics need evidence about how the data "
    "were made and shared.",
)


def _education_completeness() -> float:
    from cdcourse import quality
    from cdcourse.datasets import load

    survey = load("community_survey")
    return quality.completeness(survey, ["education"], applicable={"education": "age >= 15"}).value


q2 = Exercise(
    "q2",
    "Education is asked only of persons aged 15 and over. What is the completeness (in %) of `education` "
    "in the community survey over the persons it applies to?",
    expected=_education_completeness,
    compare=NumberCheck(abs_tol=0.05),
    hints=["Completeness over *all* persons counts every child as a missing answer: it is far too low.",
           "`quality.completeness(survey, ['education'], applicable={'education': 'age >= 15'}).value`"],
    solution="quality.completeness(survey, ['education'], applicable={'education': 'age >= 15'}).value",
    explanation="A skip pattern is not missing data: a completeness that ignores it punishes a well-designed "
    "questionnaire.",
    mistakes=[(lambda: _naive_education_completeness(),
               "that is over every person, so each child counts as a missing answer; measure it over the persons "
               "aged 15 and over (applicable={'education': 'age >= 15'})")],
)


def _naive_education_completeness() -> float:
    from cdcourse import quality
    from cdcourse.datasets import load

    return quality.completeness(load("community_survey"), ["education"]).value


def _missing_not_100(answer: Any, expected: Any) -> tuple[bool, str]:
    if isinstance(answer, str) and answer.strip().lower() in {"nan", "missing", "none"}:
        return True, "missing, not 100."
    try:
        value = float(answer)
    except (TypeError, ValueError):
        inside = _inside(answer, "number") or (
            f"found a {type(answer).__name__} (a result object): its number is in `.value`"
            if hasattr(answer, "value") and hasattr(answer, "reason") else None)
        return False, f"expected a number (or nan); {inside or f'found {_short(answer)}'}."
    if math.isnan(value):
        return True, "missing, not 100."
    if value == 100:
        return False, ("100 would claim every value was checked and passed, when nothing was checked: "
                       "what should a measure that could not be computed be?")
    return False, f"{value:g} is a score; with no rule, no value was checked at all."


q3 = Exercise(
    "q3",
    "What value does `quality.validity(survey)` (no rules, no schema) return?",
    expected=float("nan"),
    compare=_missing_not_100,
    hints=["Run it and look at `.value` and `.reason`.",
           "A measure that cannot be computed is missing: `float('nan')`."],
    solution="quality.validity(survey).value   # nan, with the reason in .reason",
    explanation="Some data-quality tools report 100 % when no rule ran. An NSO must be able to tell 'all checks "
    "passed' from 'nothing was checked'.",
)


def _map_uniqueness() -> float:
    from cdcourse import quality
    from cdcourse.datasets import load

    return quality.uniqueness(load("participatory_map"), "feature_id").value


q4 = Exercise(
    "q4",
    "Every point of the participatory map has its own `point_id`, so uniqueness on `point_id` is 100 %. "
    "What is the uniqueness (in %) on `feature_id`, the true feature each point shows?",
    expected=_map_uniqueness,
    compare=NumberCheck(abs_tol=0.05),
    hints=["Several mappers map the same water point: those points share a feature_id.",
           "`quality.uniqueness(pmap, 'feature_id').value`"],
    solution="quality.uniqueness(pmap, 'feature_id').value",
    mistakes=[(100.0, "100 is the uniqueness on point_id, one per row; measure it on the key 'feature_id'")],
    explanation="A unique id per row proves nothing about duplicate *things*: the key must identify what is "
    "counted. (feature_id is the synthetic world's truth; in real data the cleaning lesson's spatial matching "
    "finds the duplicates.)",
)

q5 = Exercise(
    "q5",
    "Which of the three datasets could feed an SDG indicator, with caveats: 'community_survey', "
    "'participatory_map' or 'crowd_reports'?",
    expected="community_survey",
    compare=ChoiceCheck(["community_survey", "participatory_map", "crowd_reports"]),
    hints=["An indicator needs an estimate for a defined population: which dataset has a sampling design?",
           "Compare the verdicts in the comparison table."],
    solution="'community_survey'",
    explanation="Only the survey has a probability design and weights, so its estimates describe the "
    "population; the map and the reports are useful for local action but do not estimate a rate.",
)


def _overall_score(levels: dict, weights: dict, scale_max: int = 3) -> float:
    return 100.0 * sum(weights[k] * levels[k] for k in levels) / (scale_max * sum(weights[k] for k in levels))


q6 = Exercise(
    "q6",
    "Write `overall_score(levels, weights, scale_max=3)`: the weighted score in % "
    "(100 × Σ weight × level / (scale_max × Σ weight)) for levels that start at 0.",
    expected=_overall_score,
    compare=FunctionCheck(cases=[
        (({"a": 3, "b": 3}, {"a": 1, "b": 1}), {}),
        (({"a": 3, "b": 0}, {"a": 3, "b": 1}), {}),
        (({"a": 2, "b": 1, "c": 0}, {"a": 50, "b": 30, "c": 20}), {}),
        (({"a": 2, "b": 4}, {"a": 1, "b": 1}), {"scale_max": 4}),
    ], compare=NumberCheck(rel_tol=1e-9), name="overall_score"),
    hints=["Divide by scale_max × the sum of the weights, so that all levels at the top give 100.",
           "`100 * sum(weights[k] * levels[k] for k in levels) / (scale_max * sum(weights[k] for k in levels))`"],
    solution="def overall_score(levels, weights, scale_max=3):\n"
             "    return 100 * sum(weights[k] * levels[k] for k in levels) / (scale_max * sum(weights[k] for k in levels))",
    explanation="The weights say what matters most to this NSO; change them and the same levels give another "
    "score, which is why the matrix shows them openly.",
)
