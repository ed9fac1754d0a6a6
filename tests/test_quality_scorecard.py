"""The quality scorecard widget: pure compute driven by control values, no browser."""
from __future__ import annotations

import math

import pytest

from cdcourse import quality
from cdcourse.errors import CdcourseError
from cdcourse.widgets.scorecard import UNSCORED, ScorecardExplorer

MEASURES = {"completeness_cells": 99, "validity": 99.5, "uniqueness": 100, "timeliness": 60}
ANSWERS = {"relevance": 3, "accessibility_clarity": 2, "coherence_comparability": 2,
           "methodology_documentation": 3, "credibility": 2, "ethics_consent_protection": 2}


@pytest.fixture
def ex():
    return ScorecardExplorer(MEASURES, ANSWERS, dataset="test")


def test_starts_with_the_same_result_as_assess(ex):
    direct = quality.assess(MEASURES, ANSWERS)
    assert ex.result.verdict == direct.verdict
    assert ex.result.score == pytest.approx(direct.score)
    assert ex.n_computes == 1 and ex.n_renders == 1


def test_controls_cover_human_levels_weights_and_thresholds(ex):
    m = quality.default_matrix()
    expected = set(m.human_criteria) | {f"weight_{c}" for c in m.ids} | {"fit", "caveats"}
    assert set(ex.controls) == expected
    assert ex.values["relevance"] == 3 and ex.values["weight_relevance"] == 15


def test_one_change_is_one_compute_and_one_render(ex):
    ex.set(credibility=3)
    assert (ex.n_computes, ex.n_renders) == (2, 2)
    with ex.hold():
        ex.controls["credibility"].value = 1
        ex.controls["weight_credibility"].value = 30
    assert (ex.n_computes, ex.n_renders) == (3, 3)


def test_a_level_below_its_minimum_makes_the_verdict_not_fit(ex):
    assert ex.set(ethics_consent_protection=1).result.verdict == quality.NOT_FIT
    assert "ethics_consent_protection" in ex.result.below_minimum


def test_an_unscored_criterion_makes_the_verdict_incomplete(ex):
    result = ex.set(relevance=UNSCORED).result
    assert result.verdict == quality.INCOMPLETE and result.unscored == ("relevance",)


def test_weights_move_the_score_as_the_matrix_would(ex):
    ex.set(weight_timeliness_punctuality=40)
    m = quality.default_matrix().with_weights({"timeliness_punctuality": 40}, normalise=True)
    direct = quality.assess(MEASURES, ANSWERS, matrix=m)
    assert ex.result.score == pytest.approx(direct.score)
    assert ex.result.verdict == direct.verdict == quality.CAVEATS


def test_thresholds_are_controls(ex):
    score = ex.result.score
    ex.set(fit=math.floor(score) + 1)
    assert ex.result.verdict == quality.CAVEATS
    ex.set(fit=100, caveats=math.ceil(score) + 1)
    assert ex.result.verdict == quality.NOT_FIT


def test_impossible_settings_show_a_message_not_a_traceback(ex):
    ex.set(caveats=90, fit=80)
    assert ex.result is None and "must not be above the fit threshold" in ex.error
    with ex.hold():
        for c in quality.default_matrix().ids:
            ex.controls[f"weight_{c}"].value = 0
        ex.controls["caveats"].value = 50
    assert "every weight is 0" in ex.error


def test_render_shows_the_verdict_and_a_chart(ex):
    html_part = ex.rendered[0]._repr_html_()
    assert "Verdict" in html_part and "course's own" in html_part
    assert len(ex.rendered) == 2  # the HTML and the chart image


def test_unknown_answers_and_bad_values_are_rejected():
    with pytest.raises(CdcourseError, match="answers: unknown criteria 'relevence'"):
        ScorecardExplorer(MEASURES, {"relevence": 2})
    ex = ScorecardExplorer(MEASURES)
    with pytest.raises(CdcourseError, match="relevance must be one of"):
        ex.set(relevance=7)


def test_accepts_a_quality_profile(survey):
    profile = quality.profile(survey, key=["household_id", "line_no"], date_column="interview_date",
                              reference_date="2024-12-31", rules={"age range": "age >= 0 and age <= 99"})
    ex = ScorecardExplorer(profile, ANSWERS)
    assert ex.result.levels["accuracy_reliability"] is not None
