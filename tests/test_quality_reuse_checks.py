"""Self-checks of lesson 08 (cdcourse.checks.reuse): right answers pass, typical mistakes get a useful message."""
from __future__ import annotations

import math

import pytest

from cdcourse.checks import reuse


def test_q1_accepts_the_measure_scored_criteria_in_any_order():
    assert reuse.q1.check(["timeliness_punctuality", "accuracy_reliability"]).status == "correct"
    assert reuse.q1.check(["accuracy_reliability"]).status == "incorrect"


def test_q2_expects_the_skip_aware_completeness(survey):
    adults = survey[survey["age"] >= 15]
    expected = 100 * adults["education"].notna().mean()  # computed here without cdcourse.quality
    assert reuse.q2.check(expected).status == "correct"
    naive = 100 * survey["education"].notna().mean()
    assert reuse.q2.check(naive).status == "incorrect"


def test_q3_rejects_100_and_explains_why():
    result = reuse.q3.check(100)
    assert result.status == "incorrect" and "nothing was checked" in result.message
    assert reuse.q3.check(float("nan")).status == "correct"
    assert reuse.q3.check(None).status == "not attempted"


def test_q4_expects_uniqueness_on_the_true_feature():
    from cdcourse.datasets import load

    pmap = load("participatory_map")
    expected = 100 * (1 - pmap["feature_id"].duplicated().mean())
    assert reuse.q4.check(expected).status == "correct"
    assert reuse.q4.check(100.0).status == "incorrect"


def test_q5_lists_the_options_for_an_unknown_answer():
    assert reuse.q5.check("community_survey").status == "correct"
    assert "choose one of" in reuse.q5.check("census").message


def test_q6_checks_a_score_function():
    def good(levels, weights, scale_max=3):
        return 100 * sum(weights[k] * levels[k] for k in levels) / (scale_max * sum(weights[k] for k in levels))

    def unweighted(levels, weights, scale_max=3):
        return 100 * sum(levels.values()) / (scale_max * len(levels))

    assert reuse.q6.check(good).status == "correct"
    assert reuse.q6.check(unweighted).status == "incorrect"
    assert math.isclose(good({"a": 2, "b": 4}, {"a": 1, "b": 1}, 4), 75.0)


@pytest.mark.parametrize("name", ["q1", "q2", "q3", "q4", "q5", "q6"])
def test_every_exercise_has_hints_and_a_solution(name):
    q = getattr(reuse, name)
    assert q.hints and q._solution and q.prompt


def test_typical_mistakes_get_a_message_that_says_what_was_done(survey):
    from cdcourse import quality

    naive = 100 * survey["education"].notna().mean()
    assert "each child counts as a missing answer" in reuse.q2.check(naive).message
    assert "point_id" in reuse.q4.check(100.0).message
    m = quality.validity(survey)
    assert "`.value`" in reuse.q3.check(m).message and "Empty DataFrame" not in reuse.q3.check(m).message
    assert "`.value`" in reuse.q2.check(quality.completeness(survey, ["education"])).message
