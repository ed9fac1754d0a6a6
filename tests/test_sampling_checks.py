"""Self-checks of lesson 02 (cdcourse.checks.collect): each solution is judged correct, wrong answers are not."""
from __future__ import annotations

import numpy as np
import pytest

from cdcourse import sampling
from cdcourse.checks import collect
from cdcourse.checks.collect import q1, q2, q3, q4, q5, q6, q7


def test_every_exercise_has_a_prompt_hints_and_a_solution():
    for q in (q1, q2, q3, q4, q5, q6, q7):
        assert q.prompt and len(q.hints) >= 2 and q.solution()


def test_fixed_answers_are_judged():
    assert q1.check("B").status == "correct" and q1.check("A").status == "incorrect"
    assert q3.check("b").status == "correct" and q3.check("C").status == "incorrect"
    assert q6.check("cluster").status == "correct" and q6.check("srs").status == "incorrect"
    assert q7.check(False).status == "correct" and q7.check("False").status == "incorrect"


def test_data_answers_match_an_independent_computation(population, survey_raw):
    said_no = survey_raw["consent"].astype(str).str.strip().str.upper().isin(["NO", "N"])
    assert q2.check(int(survey_raw.loc[said_no, "household_id"].nunique())).status == "correct"
    assert q4.check(int(np.ceil(1.959963984540054**2 * 0.21 / 0.0025 * 2 / 0.85))).status == "correct"
    households = population.drop_duplicates("household_id")
    assert q5.check(6 * 15 / (households["district_code"] == "D01").sum()).status == "correct"
    assert q5.check(0.5).status == "incorrect"


def test_placeholders_are_not_attempted():
    for q in (q1, q2, q4, q7):
        assert q.check(...).status == "not attempted"


def test_q4_follows_the_library():
    assert q4.expected == int(sampling.sample_size_proportion(0.3, 0.05, deff=2, response_rate=0.85)) == 760


def test_option_tables_are_exposed():
    assert set(collect.INDICATOR_OPTIONS) == set(collect.QUESTION_OPTIONS) == {"A", "B", "C", "D"}


@pytest.mark.parametrize("q", [q1, q3, q6])
def test_choice_questions_name_the_options_on_a_stray_answer(q):
    assert "not one of the options" in q.check("Z").message
