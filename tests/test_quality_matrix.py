"""The reuse scoring matrix: validation errors, level mapping, score and verdict at the boundaries."""
from __future__ import annotations

import copy
import json
import math

import pytest

from cdcourse import quality
from cdcourse.errors import CdcourseError
from cdcourse.quality import CAVEATS, FIT, INCOMPLETE, NOT_FIT, ScoringMatrix

ALL_HUMAN_2 = {"relevance": 2, "accessibility_clarity": 2, "coherence_comparability": 2,
               "methodology_documentation": 2, "credibility": 2, "ethics_consent_protection": 2}
GOOD_MEASURES = {"completeness_cells": 99, "validity": 99.5, "uniqueness": 100, "timeliness": 95}


def small_matrix(**changes) -> dict:
    """Two human criteria, weights 50/50, scale 0-4, fit 75, caveats 50."""
    spec = {
        "name": "test", "scale": {"min": 0, "max": 4}, "weights_total": 100,
        "thresholds": {"fit": 75, "caveats": 50},
        "criteria": [
            {"id": "a", "scoring": "human", "weight": 50, "minimum_level": 1,
             "levels": {str(i): f"a{i}" for i in range(5)}},
            {"id": "b", "scoring": "human", "weight": 50, "minimum_level": 0,
             "levels": {str(i): f"b{i}" for i in range(5)}},
        ],
    }
    spec.update(changes)
    return spec


# ------------------------------------------------------------------------------ the default
def test_default_matrix_is_valid_and_says_it_is_the_course_own():
    m = quality.default_matrix()
    assert sum(m.weights.values()) == pytest.approx(m.weights_total) == pytest.approx(100)
    assert "course" in m.note and "not an official standard" in m.note
    assert "NQAF" in m.note
    assert set(m.ids) == {"relevance", "accuracy_reliability", "timeliness_punctuality", "accessibility_clarity",
                          "coherence_comparability", "methodology_documentation", "credibility",
                          "ethics_consent_protection"}
    for c in m.criteria:
        assert c.questions, c.id
        assert sorted(c.levels) == list(range(m.scale_min, m.scale_max + 1)), c.id


def test_matrix_round_trips_through_json(tmp_path):
    m = quality.default_matrix()
    path = tmp_path / "m.json"
    path.write_text(json.dumps(m.to_dict()))
    again = quality.load_matrix(path)
    assert again.to_dict() == m.to_dict()


# ------------------------------------------------------------------------------- validation
def test_weights_that_do_not_sum_as_declared_are_named():
    spec = small_matrix()
    spec["criteria"][0]["weight"] = 60
    with pytest.raises(CdcourseError, match=r"weights sum to 110 but weights_total declares 100 \(a=60, b=50\)"):
        ScoringMatrix.from_dict(spec)


def test_missing_level_descriptors_are_named():
    spec = small_matrix()
    del spec["criteria"][1]["levels"]["3"]
    del spec["criteria"][1]["levels"]["4"]
    with pytest.raises(CdcourseError, match=r"criterion 'b': missing level descriptor\(s\) for level\(s\) 3, 4"):
        ScoringMatrix.from_dict(spec)


def test_unknown_measure_and_bad_cuts_are_named():
    spec = small_matrix()
    spec["criteria"][0].update(scoring="measures", measures=[{"measure": "completness", "cuts": [1, 2, 3, 4]}])
    with pytest.raises(CdcourseError, match="unknown measure 'completness'; measures are: completeness_cells"):
        ScoringMatrix.from_dict(spec)
    spec["criteria"][0]["measures"] = [{"measure": "validity", "cuts": [90, 95]}]
    with pytest.raises(CdcourseError, match="measure 'validity' needs 4 numeric cuts"):
        ScoringMatrix.from_dict(spec)
    spec["criteria"][0]["measures"] = [{"measure": "validity", "cuts": [90, 95, 80, 99]}]
    with pytest.raises(CdcourseError, match="cuts of 'validity' must be increasing"):
        ScoringMatrix.from_dict(spec)


def test_every_problem_is_listed_in_one_error():
    spec = small_matrix(thresholds={"fit": 40, "caveats": 60})
    spec["criteria"].append(copy.deepcopy(spec["criteria"][0]))          # duplicate id 'a'
    spec["criteria"][1]["minimum_level"] = 7
    spec["criteria"][1]["wieght"] = 3
    with pytest.raises(CdcourseError) as err:
        ScoringMatrix.from_dict(spec)
    text = str(err.value)
    assert "thresholds must have numbers 0 <= caveats <= fit <= 100" in text
    assert "criterion id 'a' appears more than once" in text
    assert "criterion 'b': minimum_level must be a whole number in 0..4; got 7" in text
    assert "criterion 'b': unknown key(s) 'wieght'" in text


def test_bad_scale_is_rejected():
    with pytest.raises(CdcourseError, match="scale must have whole numbers min < max"):
        ScoringMatrix.from_dict(small_matrix(scale={"min": 3, "max": 3}))


def test_an_override_file_with_unknown_criteria_names_them(tmp_path):
    path = tmp_path / "nso.json"
    path.write_text(json.dumps({"weights": {"relevance": 20, "punctuality": 5}, "normalise": True}))
    with pytest.raises(CdcourseError, match=r"weights: unknown criteria 'punctuality'; criteria are: relevance"):
        quality.load_matrix(path)


def test_an_override_file_adjusts_the_default(tmp_path):
    path = tmp_path / "nso.json"
    path.write_text(json.dumps({"weights": {"relevance": 25, "credibility": 0}, "minimum_levels": {"credibility": 2},
                                "thresholds": {"fit": 80}}))
    m = quality.load_matrix(path)
    assert m.weights["relevance"] == 25 and m.weights["credibility"] == 0
    assert m.criterion("credibility").minimum_level == 2 and m.fit_threshold == 80


def test_load_matrix_reports_unreadable_files(tmp_path):
    with pytest.raises(CdcourseError, match="does not exist"):
        quality.load_matrix(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{weights: 1")
    with pytest.raises(CdcourseError, match="is not valid JSON"):
        quality.load_matrix(bad)


def test_with_weights_must_still_sum_unless_normalised():
    m = quality.default_matrix()
    with pytest.raises(CdcourseError, match="weights sum to 115 but the matrix declares 100"):
        m.with_weights({"relevance": 30})
    n = m.with_weights({"relevance": 30}, normalise=True)
    assert sum(n.weights.values()) == pytest.approx(100)
    assert n.weights["relevance"] == pytest.approx(30 * 100 / 115)
    assert m.weights["relevance"] == 15  # the original is unchanged


# ------------------------------------------------------------------------------ the answers
def test_answers_for_unknown_criteria_are_named():
    with pytest.raises(CdcourseError, match="answers: unknown criteria 'relevence'; criteria are: relevance"):
        quality.assess(GOOD_MEASURES, {"relevence": 2})


def test_answer_levels_outside_the_scale_are_rejected():
    with pytest.raises(CdcourseError, match=r"level for 'relevance' must be a whole number in 0..3"):
        quality.assess(GOOD_MEASURES, {"relevance": 4})
    with pytest.raises(CdcourseError, match=r"level for 'relevance'"):
        quality.assess(GOOD_MEASURES, {"relevance": 2.5})


def test_unknown_measure_names_are_rejected():
    with pytest.raises(CdcourseError, match="measures: unknown measure 'complete'"):
        quality.assess({"complete": 99})


# ------------------------------------------------------------------------ measure -> level
@pytest.mark.parametrize("value, level", [(79.99, 0), (80, 1), (89.9, 1), (90, 2), (96.99, 2), (97, 3), (100, 3)])
def test_measure_level_at_the_cuts(value, level):
    assert quality.measure_level(value, (80, 90, 97)) == level


@pytest.mark.parametrize("value, level", [(30, 0), (25, 1), (10.01, 1), (10, 2), (5, 3), (0, 3)])
def test_error_measure_level_at_the_cuts(value, level):
    assert quality.measure_level(value, (25, 10, 5), higher_is_better=False) == level


def test_measure_scored_criterion_takes_the_weakest_measure():
    a = quality.assess({**GOOD_MEASURES, "uniqueness": 99.0, "consistency": 86}, ALL_HUMAN_2)
    row = a.criteria.set_index("criterion").loc["accuracy_reliability"]
    # completeness 99 -> 3, validity 99.5 -> 3, uniqueness 99 -> 2, consistency 86 -> 1: lowest is 1
    assert row["level"] == 1 and row["source"] == "measures"
    assert "consistency 86.0 → level 1" in row["evidence"]


def test_a_missing_required_measure_leaves_the_criterion_unscored():
    a = quality.assess({**GOOD_MEASURES, "validity": float("nan")}, ALL_HUMAN_2)
    assert "accuracy_reliability" in a.unscored
    assert a.verdict == INCOMPLETE
    row = a.criteria.set_index("criterion").loc["accuracy_reliability"]
    assert "validity missing" in row["evidence"]


def test_a_missing_optional_measure_is_noted_not_scored_as_perfect():
    a = quality.assess(GOOD_MEASURES, ALL_HUMAN_2)
    evidence = a.criteria.set_index("criterion").loc["accuracy_reliability", "evidence"]
    assert "accuracy not measured" in evidence and "consistency not measured" in evidence


def test_an_answer_overrides_the_measures_and_says_so():
    a = quality.assess({}, {**ALL_HUMAN_2, "accuracy_reliability": 1,
                            "timeliness_punctuality": {"level": 3, "evidence": "monthly, on time"}})
    rows = a.criteria.set_index("criterion")
    assert rows.loc["accuracy_reliability", "level"] == 1
    assert "overrides the measures" in rows.loc["accuracy_reliability", "evidence"]
    assert rows.loc["timeliness_punctuality", "evidence"].startswith("monthly, on time")


def test_assess_accepts_a_quality_profile(tmp_path):
    import pandas as pd

    df = pd.DataFrame({"id": ["a", "b"], "d": pd.to_datetime(["2024-06-01", "2024-06-02"])})
    p = quality.profile(df, key="id", date_column="d", reference_date="2024-06-30", rules={"id set": "id.notna()"})
    a = quality.assess(p, ALL_HUMAN_2)
    assert a.levels["accuracy_reliability"] == 3 and a.levels["timeliness_punctuality"] == 3


# ------------------------------------------------------------------------ score and verdict
def test_score_is_the_weighted_mean_of_normalised_levels():
    m = quality.default_matrix()
    answers = {"relevance": 3, "accessibility_clarity": 1, "coherence_comparability": 2,
               "methodology_documentation": 2, "credibility": 3, "ethics_consent_protection": 2}
    a = quality.assess(GOOD_MEASURES, answers, matrix=m)
    levels = {**answers, "accuracy_reliability": 3, "timeliness_punctuality": 3}
    expected = sum(m.weights[k] * levels[k] / 3 for k in levels) / sum(m.weights.values()) * 100
    assert a.score == pytest.approx(expected)


@pytest.mark.parametrize("a_level, b_level, verdict", [
    (3, 3, FIT),        # (3 + 3) / 8 = 75 %: exactly the fit threshold -> fit
    (4, 2, FIT),        # 75 %
    (2, 3, CAVEATS),    # 62.5 %
    (2, 2, CAVEATS),    # 50 %: exactly the overall minimum -> caveats
    (1, 2, NOT_FIT),    # 37.5 %: below the overall minimum
    (4, 1, CAVEATS),    # 62.5 %
])
def test_verdict_at_the_thresholds(a_level, b_level, verdict):
    m = ScoringMatrix.from_dict(small_matrix())
    assert quality.assess(None, {"a": a_level, "b": b_level}, matrix=m).verdict == verdict


def test_below_a_minimum_level_is_not_fit_whatever_the_score():
    m = ScoringMatrix.from_dict(small_matrix())
    a = quality.assess(None, {"a": 0, "b": 4}, matrix=m)  # score 50 % but a < its minimum 1
    assert a.verdict == NOT_FIT
    assert a.below_minimum == ("a",)
    assert "a is at level 0, below its minimum level 1" in a.reasons[0]


def test_just_above_and_below_the_fit_threshold():
    m = ScoringMatrix.from_dict(small_matrix()).with_thresholds(fit=75.000001)
    assert quality.assess(None, {"a": 3, "b": 3}, matrix=m).verdict == CAVEATS
    m = m.with_thresholds(fit=74.999999)
    assert quality.assess(None, {"a": 3, "b": 3}, matrix=m).verdict == FIT


def test_an_unscored_criterion_makes_the_verdict_say_so():
    m = ScoringMatrix.from_dict(small_matrix())
    a = quality.assess(None, {"a": 4}, matrix=m)
    assert a.verdict == INCOMPLETE
    assert a.unscored == ("b",)
    assert a.provisional == FIT  # 100 % on the scored criterion alone, but never a silent pass
    assert any("never passes silently" in r for r in a.reasons)
    assert math.isnan(a.criteria.set_index("criterion").loc["b", "level"])


def test_nothing_scored_gives_a_missing_score_and_no_pass():
    a = quality.assess()
    assert math.isnan(a.score)
    assert a.verdict == INCOMPLETE and a.provisional is None
    assert len(a.unscored) == len(a.matrix.criteria)


def test_unscored_and_below_minimum_is_not_fit():
    m = ScoringMatrix.from_dict(small_matrix())
    a = quality.assess(None, {"a": 0}, matrix=m)
    assert a.verdict == NOT_FIT
    assert any("also not scored: b" in r for r in a.reasons)


def test_default_matrix_verdicts_for_typical_cases():
    assert quality.assess(GOOD_MEASURES, {k: 3 for k in ALL_HUMAN_2}).verdict == FIT
    # every human criterion "met" (2), measures strong (3): (70·2 + 30·3) / 300 = 76.7 % -> fit
    assert quality.assess(GOOD_MEASURES, ALL_HUMAN_2).score == pytest.approx(230 / 3)
    assert quality.assess(GOOD_MEASURES, ALL_HUMAN_2).verdict == FIT
    # everything at level 2: 200 / 300 = 66.7 % -> caveats
    middling = {"completeness_cells": 95, "validity": 96, "uniqueness": 99.5, "timeliness": 80}
    assert quality.assess(middling, ALL_HUMAN_2).verdict == CAVEATS
    weak_ethics = {**ALL_HUMAN_2, "ethics_consent_protection": 1}
    assert quality.assess(GOOD_MEASURES, weak_ethics).verdict == NOT_FIT


def test_changing_weights_moves_the_verdict():
    m = quality.default_matrix()
    answers = {**ALL_HUMAN_2, "relevance": 3, "methodology_documentation": 3}
    measures = {**GOOD_MEASURES, "timeliness": 60}  # timeliness level 1
    base = quality.assess(measures, answers, matrix=m)
    heavy_time = quality.assess(measures, answers, matrix=m.with_weights({"timeliness_punctuality": 60}, normalise=True))
    assert base.score > heavy_time.score
    assert base.verdict == FIT and heavy_time.verdict == CAVEATS


def test_assessment_exports_json_and_html():
    a = quality.assess(GOOD_MEASURES, ALL_HUMAN_2)
    data = json.loads(json.dumps(a.to_dict()))
    assert data["verdict"] == a.verdict and len(data["criteria"]) == 8
    assert "Verdict" in a._repr_html_()
    assert "criterion" in quality.default_matrix().to_frame().columns


def test_answers_template_lists_the_human_criteria(tmp_path):
    template = quality.matrix_template()
    assert set(template["answers"]) == set(quality.default_matrix().human_criteria)
    path = tmp_path / "a.json"
    path.write_text(json.dumps(template))
    answers = quality.load_answers(path)
    a = quality.assess(GOOD_MEASURES, answers)  # template levels are null: unscored, never passed
    assert a.verdict == INCOMPLETE


def test_assess_takes_numpy_numbers_for_levels_and_measures():
    import numpy as np

    answers = {k: np.int64(v) for k, v in ALL_HUMAN_2.items()}
    measures = {k: np.float32(v) for k, v in GOOD_MEASURES.items()}
    plain = quality.assess(GOOD_MEASURES, ALL_HUMAN_2)
    typed = quality.assess(measures, answers)
    assert typed.verdict == plain.verdict and typed.score == pytest.approx(plain.score)
    with pytest.raises(CdcourseError, match="must be a whole number"):
        quality.assess(GOOD_MEASURES, {**ALL_HUMAN_2, "relevance": np.float64(2.5)})
    with pytest.raises(CdcourseError, match="must be a whole number"):
        quality.assess(GOOD_MEASURES, {**ALL_HUMAN_2, "relevance": np.bool_(True)})
