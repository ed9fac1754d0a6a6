"""The validation explorer (pure compute, driven by setting controls) and the lesson's self-checks."""
from __future__ import annotations

import pandas as pd
import pytest

from cdcourse import cleaning
from cdcourse.cleaning import Rule
from cdcourse.errors import CdcourseError
from cdcourse.widgets.validation import ALL, NONE, ValidationExplorer


@pytest.fixture()
def frame():
    return pd.DataFrame({
        "age": [34, 150, 12, -99, 40, 8],
        "relationship": ["head", "child", "head", "spouse", "head", "child"],
        "sex": ["female", "F", "male", "male", "x", "female"],
        "enumerator": ["E1", "E1", "E2", "E2", "E2", "E3"],
    })


RULES = [Rule.range("age", 0, 110), Rule.allowed("sex", ["female", "male"]),
         Rule.check("age >= 15 or relationship != 'head'", name="head 15+")]


def test_explorer_starts_with_every_rule_and_matches_validate(frame):
    ex = ValidationExplorer(frame, RULES)
    report = cleaning.validate(frame, RULES)
    assert ex.error is None
    assert ex.result.failures == report.n_failures == 5
    assert ex.result.rows_failed == int(report.failed().sum())
    assert ex.result.rules == tuple(r.name for r in RULES)
    assert len(ex.result.failing_rows) == report.n_failures
    assert ex.n_computes == 1 and ex.n_renders == 1


def test_choosing_a_column_offers_only_its_rules_and_filters_the_view(frame):
    ex = ValidationExplorer(frame, RULES)
    ex.set(column="age")
    assert ex.controls["rule"].options == (ALL, "age in [0, 110]", "head 15+")
    assert ex.result.rules == ("age in [0, 110]", "head 15+")
    assert ex.result.failures == 3
    ex.set(rule="head 15+")
    assert ex.result.failures == 1 and ex.result.failing_rows["row"].tolist() == [2]


def test_breakdown_shows_where_failures_come_from(frame):
    ex = ValidationExplorer(frame, RULES).set(by="enumerator")
    table = ex.result.by_group.set_index("enumerator")
    assert table["rows"].to_dict() == {"E1": 2, "E2": 3, "E3": 1}
    assert table["failing"].to_dict() == {"E1": 1, "E2": 3, "E3": 0}
    assert table["sex allowed values"].to_dict() == {"E1": 1, "E2": 1, "E3": 0}
    assert ex.result.by_group["enumerator"].iloc[0] == "E2"  # worst share first
    assert "enumerator" in ex.result.failing_rows.columns
    assert ex.error is None and len(ex.rendered) >= 3  # headline, summary, chart, table


def test_failing_rows_view_renders_the_rows(frame):
    ex = ValidationExplorer(frame, RULES, preview=2).set(show="failing rows")
    assert ex.error is None
    assert any(isinstance(obj, object) and "first 2 of 5" in getattr(obj, "data", "") for obj in ex.rendered)


def test_one_control_change_computes_and_renders_once(frame):
    ex = ValidationExplorer(frame, RULES)
    ex.controls["by"].value = "enumerator"
    assert (ex.n_computes, ex.n_renders) == (2, 2)
    ex.set(column="sex", rule="sex allowed values")
    assert (ex.n_computes, ex.n_renders) == (3, 3)


def test_explorer_never_changes_the_data(frame):
    before = frame.copy()
    ValidationExplorer(frame, RULES).set(column="age", by="enumerator", show="failing rows")
    pd.testing.assert_frame_equal(frame, before)


def test_explorer_rejects_bad_rules_and_breakdowns(frame):
    with pytest.raises(CdcourseError, match="names column 'agee'"):
        ValidationExplorer(frame, [Rule.required("agee")])
    with pytest.raises(CdcourseError, match="by column"):
        ValidationExplorer(frame, RULES, by=["district"])
    with pytest.raises(CdcourseError, match="by must be one of"):
        ValidationExplorer(frame, RULES).set(by="district")


def test_explorer_on_the_raw_survey_points_at_the_fast_enumerators_heads(survey_raw):
    from cdcourse.cleaning.lumeria import survey_rules

    ex = ValidationExplorer(survey_raw, survey_rules()).set(rule="a head of household is 15 or older", by="enumerator")
    assert ex.result.failures == int(ex.result.by_group["failing"].sum())
    assert ex.result.by == "enumerator" and NONE not in ex.result.by_group["enumerator"].tolist()


def test_process_self_checks_accept_the_solutions_and_explain_mistakes():
    from cdcourse.checks import process as p

    assert p.q1.check(62).status == "correct"
    assert p.q2.check(89).status == "correct"
    assert p.q3.check(12).status == "correct"
    assert p.q4.check(p.q4.expected).status == "correct"
    wrong = p.q4.check({"Amari": "Amari", "Bensi": "Bensi", "Saro": "Saro"})
    assert wrong.status == "incorrect" and "Amary" in wrong.message
    assert p.q5.check("2024-05-03").status == "incorrect" and "month first" in p.q5.check("2024-05-03").message
    assert p.q5.check(pd.Timestamp("2024-03-05")).status == "correct"
    assert p.q6.check(round(p.q6.expected, 2)).status == "correct"
    assert p.q7.check(53).status == "correct"
    assert p.q8.check("ENUM07").status == "correct"
    assert p.q9.check(p.q9.expected).status == "correct" and p.q9.expected < 545
    assert p.q10.check(11).status == "correct"
    for q in (p.q1, p.q4, p.q9):
        assert q.check(...).status == "not attempted"
        assert q.hint(1) is not None and q.solution() is not None
