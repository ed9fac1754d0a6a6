"""Self-check exercises: every comparison type with right, typical wrong and not-attempted answers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdcourse.checks.core import (
    PLACEHOLDER,
    BoolCheck,
    CheckResult,
    ChoiceCheck,
    EqualCheck,
    Exercise,
    FrameCheck,
    FunctionCheck,
    MappingCheck,
    NumberCheck,
    SequenceCheck,
    SeriesCheck,
    SetCheck,
    TextCheck,
    auto_compare,
    is_not_attempted,
)
from cdcourse.errors import CdcourseError


def status(ex: Exercise, answer) -> str:
    return ex.check(answer).status


# ----------------------------------------------------------------------------- not attempted

@pytest.mark.parametrize(
    "answer", [None, ..., PLACEHOLDER, "your answer here", "  Your Answer Here. ", "", "TODO", "..."]
)
def test_placeholders_are_not_attempted(answer):
    ex = Exercise("q1", "How many?", expected=3)
    result = ex.check(answer)
    assert result.status == "not attempted"
    assert "placeholder" in result.message


def test_check_without_an_answer_is_not_attempted_and_says_how_to_pass_one():
    result = Exercise("q1", "How many?", expected=3).check()
    assert result.status == "not attempted"
    assert "q1.check(answer)" in result.message


@pytest.mark.parametrize("answer", [0, 0.0, False, "no", [], pd.DataFrame()])
def test_falsy_real_answers_are_attempts(answer):
    assert not is_not_attempted(answer)


def test_placeholder_survives_copying():
    import copy
    import pickle

    assert copy.deepcopy(PLACEHOLDER) is PLACEHOLDER
    assert pickle.loads(pickle.dumps(PLACEHOLDER)) is PLACEHOLDER


@pytest.mark.parametrize(
    "expected,compare",
    [
        (3, None),
        ("Coastal", None),
        ({"a"}, None),
        (pd.Series([1.0]), None),
        (pd.DataFrame({"a": [1]}), None),
        (None, FunctionCheck([((1,), {}, 1)])),
    ],
)
def test_every_comparison_type_reports_not_attempted_for_none(expected, compare):
    assert Exercise("q", "p", expected=expected, compare=compare).check(None).status == "not attempted"


# ----------------------------------------------------------------------------- numbers

def test_number_within_tolerance_is_correct():
    ex = Exercise("q1", "households?", expected=lambda: 11_234, compare=NumberCheck(rel_tol=0, abs_tol=0.5))
    assert status(ex, 11_234) == "correct"
    assert status(ex, 11_234.4) == "correct"
    assert status(ex, 11_235) == "incorrect"


def test_number_message_says_expected_found_and_direction():
    result = Exercise("q1", "p", expected=11_234).check(11_200)
    assert result.status == "incorrect"
    assert "expected 11,234" in result.message
    assert "found 11,200" in result.message
    assert "too small by 34" in result.message


def test_relative_tolerance_is_a_share_of_the_expected_value():
    check = NumberCheck(rel_tol=0.01)
    for answer in [99.0, 99.5, 100.0, 101.0, 101.01, 98.9]:
        assert check(answer, 100.0)[0] == (abs(answer - 100.0) <= 1.0 + 1e-12)


@pytest.mark.parametrize("answer", [np.int64(42), np.float32(42.0), np.float64(42.0), 42, 42.0, np.array(42)])
def test_numpy_scalars_count_as_numbers(answer):
    assert NumberCheck()(answer, 42)[0]


@pytest.mark.parametrize("answer", [True, np.bool_(True)])
def test_bools_are_not_numbers(answer):
    ok, message = NumberCheck()(answer, 1)
    assert not ok
    assert "True/False" in message


def test_number_given_as_text_is_told_to_remove_quotes():
    ok, message = NumberCheck()("42", 42)
    assert not ok and "remove the quotes" in message


def test_one_value_series_is_told_how_to_take_the_number_out():
    ok, message = NumberCheck()(pd.Series([42]), 42)
    assert not ok and ".item()" in message


def test_percentage_instead_of_proportion_is_pointed_out():
    ok, message = NumberCheck()(45.0, 0.45)
    assert not ok and "percentage" in message


def test_nan_answer_is_incorrect_and_both_nan_is_correct():
    assert not NumberCheck()(float("nan"), 1.0)[0]
    assert NumberCheck()(float("nan"), float("nan"))[0]


def test_number_check_can_hide_the_expected_value():
    ok, message = NumberCheck(reveal=False)(50, 42)
    assert not ok and "42" not in message and "too large" in message


def test_negative_tolerance_is_rejected():
    with pytest.raises(CdcourseError, match="rel_tol"):
        NumberCheck(rel_tol=-1)


@settings(max_examples=50, deadline=None)
@given(
    expected=st.floats(-1e6, 1e6, allow_nan=False),
    offset=st.floats(-10, 10, allow_nan=False),
    abs_tol=st.floats(0, 5),
)
def test_number_check_agrees_with_an_independent_tolerance_rule(expected, offset, abs_tol):
    answer = expected + offset
    ok, _ = NumberCheck(rel_tol=0, abs_tol=abs_tol)(answer, expected)
    assert ok == (abs(answer - expected) <= abs_tol)


# ----------------------------------------------------------------------------- booleans

def test_bool_answers():
    ex = Exercise("q1", "Is this citizen data?", expected=True)
    assert status(ex, True) == "correct"
    assert status(ex, np.bool_(True)) == "correct"
    assert status(ex, False) == "incorrect"
    result = ex.check("True")
    assert result.status == "incorrect" and "without quotes" in result.message
    assert not BoolCheck()(1, True)[0]


# ----------------------------------------------------------------------------- text

def test_text_is_normalised_for_case_and_spaces():
    ex = Exercise("q1", "Which region?", expected="Eastern Lakes")
    assert status(ex, "eastern lakes") == "correct"
    assert status(ex, "  Eastern   Lakes\n") == "correct"
    result = ex.check("Eastern Lake")
    assert result.status == "incorrect"
    assert "'Eastern Lakes'" in result.message and "'Eastern Lake'" in result.message


def test_text_case_sensitive_option_explains_case_difference():
    ok, message = TextCheck(case=True)("coastal", "Coastal")
    assert not ok and "case" in message
    assert TextCheck(case=True)("Coastal", "Coastal")[0]


def test_text_accepts_any_of_several_forms():
    check = TextCheck()
    assert check("collaboration", ["collaboration", "level 4"])[0]
    assert check("Level 4", ["collaboration", "level 4"])[0]


def test_text_wrong_type_is_named():
    ok, message = TextCheck()(4, "four")
    assert not ok and "expected a text" in message and "whole number" in message


def test_text_punctuation_only_difference_is_pointed_out():
    ok, message = TextCheck()("non-relative", "non relative")
    assert not ok and "punctuation" in message


def test_choice_outside_the_options_lists_the_options():
    check = ChoiceCheck(["who", "how", "why"])
    assert check("HOW", "how")[0]
    ok, message = check("when", "how")
    assert not ok and "'who', 'how', 'why'" in message
    ok, message = check("why", "how")
    assert not ok and "expected 'how'" in message


# ----------------------------------------------------------------------------- sets

def test_set_ignores_order_duplicates_and_case():
    ex = Exercise("q1", "Language groups?", expected=lambda: {"Amari", "Bensi", "Saro"})
    assert status(ex, ["saro", "Amari", "Bensi", "Bensi"]) == "correct"
    assert status(ex, pd.Series(["Amari", "Bensi", "Saro"])) == "correct"
    assert status(ex, np.array(["Amari", "Bensi", "Saro"])) == "correct"


def test_set_message_names_missing_and_extra_items():
    ok, message = SetCheck()(["Amari", "Lumerian"], {"Amari", "Bensi", "Saro"})
    assert not ok
    assert "1 of 3 items are right" in message
    assert "'Bensi'" in message and "'Saro'" in message and "'Lumerian'" in message


def test_set_given_a_single_text_is_a_wrong_type():
    ok, message = SetCheck()("Amari", {"Amari"})
    assert not ok and "collection" in message


def test_set_of_numbers_mixes_numpy_and_python_numbers():
    assert SetCheck()(np.array([1, 2, 3]), {1, 2, 3})[0]


# ----------------------------------------------------------------------------- sequences, dicts, equality

def test_sequence_names_first_differing_position():
    ok, message = SequenceCheck()([1, 2, 4], [1, 2, 3])
    assert not ok and "position 2" in message
    assert not SequenceCheck()([1, 2], [1, 2, 3])[0]
    assert SequenceCheck()((1.0, 2.0), [1, 2])[0]


def test_mapping_names_missing_keys_and_differing_values():
    exp = {"urban": 0.4, "rural": 0.6}
    assert MappingCheck()({"rural": 0.6, "urban": 0.4}, exp)[0]
    ok, message = MappingCheck()({"urban": 0.4, "rural": 0.5}, exp)
    assert not ok and "'rural'" in message
    assert "missing keys" in MappingCheck()({"urban": 0.4}, exp)[1]
    assert MappingCheck()(pd.Series(exp), exp)[0]


def test_equal_check_never_crashes_on_odd_answers():
    ok, message = EqualCheck()(pd.DataFrame({"a": [1, 2]}), (1, 2))
    assert not ok and message.startswith("expected (1, 2), found")
    assert EqualCheck()(("a", 1), ("a", 1))[0]


def test_auto_compare_picks_by_expected_type():
    assert isinstance(auto_compare(True), BoolCheck)
    assert isinstance(auto_compare(np.float64(1)), NumberCheck)
    assert isinstance(auto_compare("x"), TextCheck)
    assert isinstance(auto_compare(frozenset()), SetCheck)
    assert isinstance(auto_compare(pd.Series(dtype=float)), SeriesCheck)
    assert isinstance(auto_compare(pd.DataFrame()), FrameCheck)
    assert isinstance(auto_compare({"a": 1}), MappingCheck)
    assert isinstance(auto_compare([1]), SequenceCheck)
    assert isinstance(auto_compare(object()), EqualCheck)


# ----------------------------------------------------------------------------- Series

@pytest.fixture
def shares() -> pd.Series:
    return pd.Series([0.7, 0.2, 0.1], index=pd.Index(["Amari", "Bensi", "Saro"], name="language_group"), name="share")


def test_series_correct_with_other_dtype_and_name(shares):
    answer = shares.astype("float32").rename("proportion")
    assert SeriesCheck(rtol=1e-6, atol=1e-7)(answer, shares)[0]


def test_series_wrong_values_lists_the_first_differing_labels(shares):
    answer = shares.copy()
    answer["Saro"] = 0.06
    ok, message = SeriesCheck()(answer, shares)
    assert not ok
    assert "1 of 3 labels" in message
    assert "Saro" in message and "0.06" in message and "0.1" in message


def test_series_order_matters_unless_ignored(shares):
    reordered = shares.iloc[::-1]
    ok, message = SeriesCheck()(reordered, shares)
    assert not ok and "different order" in message
    assert SeriesCheck(ignore_row_order=True)(reordered, shares)[0]


def test_series_missing_label_is_named(shares):
    answer = shares.rename(index={"Saro": "Sar0"})
    ok, message = SeriesCheck()(answer, shares)
    assert not ok and "'Saro'" in message and "'Sar0'" in message


def test_series_ignore_index_compares_by_position_and_accepts_lists(shares):
    assert SeriesCheck(ignore_index=True)([0.7, 0.2, 0.1], shares)[0]
    assert SeriesCheck(ignore_index=True, ignore_row_order=True)(pd.Series([0.1, 0.7, 0.2]), shares)[0]


def test_series_wrong_length_and_wrong_type(shares):
    assert "expected 3 values, found 2" in SeriesCheck()(shares.iloc[:2], shares)[1]
    ok, message = SeriesCheck()(shares.to_frame(), shares)
    assert not ok and "df['share']" in message
    assert "expected a Series" in SeriesCheck()(0.7, shares)[1]


def test_series_dtype_and_name_options(shares):
    assert "dtype" in SeriesCheck(check_dtype=True)(shares.astype("float32"), shares)[1]
    assert "named" in SeriesCheck(check_name=True)(shares.rename("x"), shares)[1]


# ----------------------------------------------------------------------------- DataFrames

@pytest.fixture
def table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district": ["D01", "D02", "D03"],
            "sex": pd.Categorical(["female", "male", "female"]),
            "share": [0.1, 0.2, 0.3],
            "n": pd.array([10, 20, None], dtype="Int64"),
        }
    )


def test_frame_identical_is_correct(table):
    assert Exercise("q", "p", expected=lambda: table).check(table.copy()).status == "correct"


def test_frame_dtype_differences_are_ignored_by_default(table):
    answer = table.assign(sex=table["sex"].astype(str), n=[10.0, 20.0, np.nan])
    assert FrameCheck()(answer, table)[0]
    ok, message = FrameCheck(check_dtype=True)(answer, table)
    assert not ok and "dtype" in message


def test_frame_index_ignored_by_default_but_checked_on_request(table):
    answer = table.set_axis([7, 8, 9])
    assert FrameCheck()(answer, table)[0]
    ok, message = FrameCheck(ignore_index=False)(answer, table)
    assert not ok and "row labels" in message


def test_frame_row_order_can_be_ignored(table):
    shuffled = table.iloc[[2, 0, 1]]
    ok, message = FrameCheck()(shuffled, table)
    assert not ok and "different order" in message
    assert FrameCheck(ignore_row_order=True)(shuffled, table)[0]


def test_frame_group_in_index_is_told_to_reset_index(table):
    ok, message = FrameCheck()(table.set_index("district"), table)
    assert not ok and "reset_index" in message and "'district'" in message


def test_frame_wrong_value_names_column_and_first_rows(table):
    answer = table.assign(share=[0.1, 0.25, 0.35])
    result = Exercise("q", "p", expected=table).check(answer)
    assert result.status == "incorrect"
    assert "column 'share' differs in 2 of 3 rows" in result.message
    assert "0.25" in result.details and "0.35" in result.details
    assert "0.25" in str(result)


def test_frame_wrong_shape_missing_and_extra_columns(table):
    assert "expected 3 rows, found 2" in FrameCheck()(table.iloc[:2], table)[1]
    assert "missing column 'n'" in FrameCheck()(table.drop(columns="n"), table)[1]
    assert "unexpected column 'extra'" in FrameCheck()(table.assign(extra=1), table)[1]
    assert "expected a DataFrame" in FrameCheck()(table["share"], table)[1]
    assert "expected a DataFrame" in FrameCheck()([1, 2, 3], table)[1]


def test_frame_columns_option_compares_a_subset(table):
    assert FrameCheck(columns=["district", "share"])(table.assign(extra=1).drop(columns="n"), table)[0]


def test_frame_tolerance(table):
    assert FrameCheck(rtol=1e-3)(table.assign(share=[0.10001, 0.2, 0.3]), table)[0]
    assert not FrameCheck(rtol=1e-6)(table.assign(share=[0.10001, 0.2, 0.3]), table)[0]


def test_frame_missing_values_match_missing_values(table):
    assert FrameCheck()(table.assign(n=[10, 20, None]), table)[0]
    assert not FrameCheck()(table.assign(n=[10, 20, 0]), table)[0]


def test_frame_check_does_not_modify_the_answer(table):
    answer = table.iloc[::-1].copy()
    before = answer.copy()
    FrameCheck(ignore_row_order=True)(answer, table)
    pd.testing.assert_frame_equal(answer, before)


@settings(max_examples=50, deadline=None)
@given(st.permutations(range(6)))
def test_frame_with_ignored_row_order_is_invariant_to_permutations(order):
    frame = pd.DataFrame({"g": list("aabbcc"), "x": [1.5, 2.5, 1.5, 0.5, 3.0, 3.0], "k": range(6)})
    assert FrameCheck(ignore_row_order=True)(frame.iloc[list(order)], frame)[0]


# ----------------------------------------------------------------------------- functions

def reference_share(values, value):
    return sum(v == value for v in values) / len(values)


def test_function_correct_against_cases():
    ex = Exercise(
        "q5",
        "Write share(values, value).",
        compare=FunctionCheck([((["a", "b", "a"], "a"), {}, 2 / 3), ((["a"],), {"value": "b"}, 0.0)]),
    )
    assert ex.check(reference_share).status == "correct"


def test_function_wrong_result_shows_the_call_expected_and_returned():
    def share(values, value):
        return sum(v == value for v in values)

    ex = Exercise("q5", "p", compare=FunctionCheck([((["a", "b", "a"], "a"), {}, 2 / 3)]))
    result = ex.check(share)
    assert result.status == "incorrect"
    assert "share(['a', 'b', 'a'], 'a')" in result.message
    assert "0.666667" in result.message and "returned 2" in result.message


def test_function_that_raises_is_incorrect_with_the_exception_shown():
    def share(values, value):
        return 1 / 0

    result = Exercise("q5", "p", compare=FunctionCheck([(([1], 1), {}, 1.0)])).check(share)
    assert result.status == "incorrect"
    assert "ZeroDivisionError" in result.message


def test_function_answer_that_is_not_a_function():
    result = Exercise("q5", "p", compare=FunctionCheck([(([1], 1), {}, 1.0)])).check(reference_share(["a"], "a"))
    assert result.status == "incorrect" and "expected a function" in result.message


def test_function_expected_from_reference_and_lazy_cases():
    calls = []

    def cases():
        calls.append(1)
        return [((["x", "y"], "x"), {}), ((["y"], "x"), {})]

    ex = Exercise("q5", "p", expected=reference_share, compare=FunctionCheck(cases))
    assert calls == []  # nothing computed at definition time
    assert ex.check(reference_share).status == "correct"
    assert ex.check(lambda values, value: 0.5).status == "incorrect"
    assert calls == [1]


def test_function_case_expected_may_be_computed_lazily():
    fc = FunctionCheck([((2,), {}, lambda: 4)])
    assert fc(lambda x: x * 2, None)[0]


def test_function_inputs_are_copied_so_mutation_cannot_spoil_other_cases():
    data = [3, 1, 2]

    def sorter(values):
        values.sort()
        return values[0]

    fc = FunctionCheck([((data,), {}, 1), ((data,), {}, 1)])
    assert fc(sorter, None)[0]
    assert data == [3, 1, 2]


def test_function_returning_a_frame_compared_with_frame_check(table):
    fc = FunctionCheck([((table,), {}, table[["district"]])], compare=FrameCheck())
    assert fc(lambda t: t[["district"]], None)[0]
    ok, message = fc(lambda t: t[["district"]].iloc[:1], None)
    assert not ok and "expected 3 rows, found 1" in message
    assert "your function(<DataFrame, 3 rows>)" in message


# ----------------------------------------------------------------------------- the exercise object

def test_expected_is_computed_lazily_once_and_cached():
    calls = []

    def compute():
        calls.append(1)
        return 5

    ex = Exercise("q1", "p", expected=compute)
    assert calls == []
    ex.check(5)
    ex.check(4)
    assert calls == [1]
    ex.reset()
    ex.check(5)
    assert calls == [1, 1]


def test_failing_expected_computation_raises_a_course_error_naming_the_exercise():
    ex = Exercise("q9", "p", expected=lambda: 1 / 0)
    with pytest.raises(CdcourseError, match="q9"):
        ex.check(1)


def test_custom_comparison_callable():
    def even(answer, expected):
        return answer % 2 == 0, "an even number is needed"

    ex = Exercise("q1", "an even number", compare=even)
    assert status(ex, 4) == "correct"
    result = ex.check(3)
    assert result.status == "incorrect" and "even" in result.message


def test_comparison_that_crashes_on_an_odd_answer_gives_incorrect_not_a_traceback():
    def fragile(answer, expected):
        return answer.upper() == expected, ""

    result = Exercise("q1", "p", expected="X", compare=fragile).check(3)
    assert result.status == "incorrect" and "could not be compared" in result.message


def test_correct_result_includes_explanation():
    ex = Exercise("q1", "p", expected=2, explanation="Two stages: EAs, then households.")
    assert "Two stages" in ex.check(2).message


def test_hints_by_level_and_beyond_the_last():
    ex = Exercise("q1", "p", expected=1, hints=["first", "second"])
    assert "first" in str(ex.hint())
    h2 = ex.hint(2)
    assert h2.number == 2 and h2.total == 2 and "second" in str(h2)
    h3 = ex.hint(3)
    assert "no hint 3" in str(h3) and "2 hints" in str(h3) and "second" in str(h3)
    assert "Hint 2 of 2" in h2._repr_html_()
    with pytest.raises(CdcourseError, match="hint number"):
        ex.hint(0)


def test_exercise_without_hints_says_so():
    assert "no hints" in str(Exercise("q1", "p", expected=1).hint())


def test_incorrect_message_points_to_hint_when_there_are_hints():
    ex = Exercise("q1", "p", expected=1, hints=["h"])
    assert "q1.hint()" in ex.check(2).message


def test_solution_shows_code_as_text_and_html():
    ex = Exercise("q1", "p", expected=1, solution="n = population['household_id'].nunique()")
    sol = ex.solution()
    assert "nunique()" in str(sol)
    assert "<code>" in sol._repr_html_() and "&#x27;household_id&#x27;" in sol._repr_html_()


def test_exercise_repr_shows_prompt():
    ex = Exercise("q1", "How many households?", expected=1)
    assert "How many households?" in repr(ex)
    assert "q1.check(answer)" in ex._repr_html_()


def test_invalid_exercise_name_is_rejected():
    with pytest.raises(CdcourseError, match="name"):
        Exercise("", "p", expected=1)


# ----------------------------------------------------------------------------- rendering

@pytest.mark.parametrize(
    "state,word,icon", [("correct", "Correct", "✓"), ("incorrect", "Incorrect", "✗"), ("not attempted", "Not attempted", "○")]
)
def test_result_carries_status_by_word_and_icon_in_text_and_html(state, word, icon):
    result = CheckResult(state, "expected <3> rows & found 2.", exercise="q1", details="row 1")
    text = str(result)
    assert text.startswith(f"{icon} {word} (q1):")
    assert repr(result) == text
    page = result._repr_html_()
    assert f"<strong>{word}</strong>" in page and icon in page
    assert f"aria-label='{word}'" in page
    assert "&lt;3&gt;" in page and "<3>" not in page  # messages are escaped
    assert "color: #1a1a1a" in page  # dark text on a light background in every theme


def test_result_truthiness_and_frame():
    assert CheckResult("correct", "ok")
    assert not CheckResult("incorrect", "no")
    assert CheckResult("correct", "ok", "q1").to_frame().to_dict("records") == [
        {"exercise": "q1", "status": "correct", "message": "ok"}
    ]
    with pytest.raises(CdcourseError, match="status"):
        CheckResult("wrong", "x")


# ----------------------------------------------------------------------------- lesson 00 exercises

@pytest.fixture(scope="module")
def welcome_namespace():
    """What the welcome notebook has defined when a learner reaches the exercises."""
    from cdcourse.datasets import load
    from cdcourse.widgets.explorer import DatasetExplorer

    return {
        "population": load("population"),
        "explorer": DatasetExplorer(chart=False),
        "pd": pd,
    }


@pytest.mark.parametrize(
    "name,variable",
    [("q1", "n_households"), ("q2", "answer_q2"), ("q3", "answer_q3"), ("q4", "answer_q4"),
     ("q5", "saro_share"), ("q6", "improved_share"), ("q7", "share_aged")],
)
def test_welcome_solutions_check_as_correct(welcome_namespace, name, variable):
    from cdcourse.checks import welcome

    ex = getattr(welcome, name)
    ns = dict(welcome_namespace)
    exec(ex.solution().code, ns)  # the code a learner sees in q.solution()
    result = ex.check(ns[variable])
    assert result.status == "correct", str(result)


@pytest.mark.parametrize(
    "name,wrong,words",
    [
        ("q1", 49_902, "too large"),          # counted persons (rows), not households
        ("q2", {"A", "C", "D"}, "'C'"),       # passively generated data counted as citizen data
        ("q3", 3, "expected 4"),
        ("q4", ["Collection", "Uptake", "Publication", "Impact"], "position 1"),
        ("q5", 9.75, "percentage"),           # percent instead of a proportion
        ("q6", 0.5, "expected"),
        ("q7", lambda frame, low, high: ((frame["age"] > low) & (frame["age"] < high)).mean(), "should return"),
    ],
)
def test_welcome_typical_wrong_answers_are_explained(name, wrong, words):
    from cdcourse.checks import welcome

    result = getattr(welcome, name).check(wrong)
    assert result.status == "incorrect"
    assert words in result.message


@pytest.mark.parametrize("name", ["q1", "q2", "q3", "q4", "q5", "q6", "q7"])
def test_welcome_exercises_report_not_attempted_and_have_hints_and_solutions(name):
    from cdcourse.checks import welcome

    ex = getattr(welcome, name)
    assert ex.check(...).status == "not attempted"
    assert len(ex.hints) >= 2
    assert ex.solution().code.strip()


def test_importing_a_lesson_module_loads_no_data(monkeypatch):
    import importlib
    import sys

    import cdcourse.datasets

    def boom(name):
        raise AssertionError("data loaded at import time")

    monkeypatch.setattr(cdcourse.datasets, "load", boom)
    sys.modules.pop("cdcourse.checks.welcome", None)
    importlib.import_module("cdcourse.checks.welcome")
    sys.modules.pop("cdcourse.checks.welcome", None)  # let other tests import a fresh copy


def test_rounded_percentage_is_recognised_but_a_far_proportion_is_not():
    assert "percentage" in NumberCheck(abs_tol=0.005)(9.8, 0.097531)[1]
    assert "proportion" in NumberCheck()(0.45, 45.0)[1]
    assert "proportion" not in NumberCheck()(0.40, 45.0)[1]


def test_a_function_with_an_empty_body_is_not_attempted():
    def share_aged(frame, low, high):
        """Return the share."""
        ...

    def written(frame, low, high):
        return 0.5

    ex = Exercise("q7", "p", compare=FunctionCheck([((1, 2, 3), {}, 0.5)]))
    result = ex.check(share_aged)
    assert result.status == "not attempted" and "share_aged()" in result.message
    assert ex.check(written).status == "correct"
    assert not is_not_attempted(lambda x: "text")


# ----------------------------------------------------------------------------- the welcome notebook

def _run_notebook(nb, cwd):
    from nbclient import NotebookClient

    NotebookClient(nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(cwd)}}).execute()
    return nb


def _check_outputs(nb):
    """(exercise name, text of its check result) for every answer cell."""
    import re

    found = []
    for cell in nb.cells:
        m = re.search(r"^(q\d+)\.check\(", cell.source, flags=re.M) if cell.cell_type == "code" else None
        if m:
            texts = [o.get("data", {}).get("text/plain", "") for o in cell.outputs if o.output_type == "execute_result"]
            found.append((m.group(1), "".join(texts)))
    return found


@pytest.mark.slow
@pytest.mark.notebook
def test_welcome_notebook_runs_headless_with_every_check_not_attempted(repo_root):
    import nbformat

    path = repo_root / "course" / "00_welcome.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    _run_notebook(nb, path.parent)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    checks = _check_outputs(nb)
    assert [name for name, _ in checks] == ["q1", "q2", "q3", "q4", "q5", "q6", "q7"]
    assert all(text.startswith("○ Not attempted") for _, text in checks), checks


@pytest.mark.slow
@pytest.mark.notebook
def test_welcome_notebook_solutions_all_check_correct(repo_root):
    import re

    import nbformat

    from cdcourse.checks import welcome

    path = repo_root / "course" / "00_welcome.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        m = re.search(r"^(q\d+)\.check\((\w+)\)", cell.source, flags=re.M) if cell.cell_type == "code" else None
        if m:
            name, variable = m.groups()
            cell.source = f"{getattr(welcome, name).solution().code}\n{name}.check({variable})"
    _run_notebook(nb, path.parent)
    checks = _check_outputs(nb)
    assert len(checks) == 7
    assert all(text.startswith("✓ Correct") for _, text in checks), checks


# --------------------------------------------------------------------------- known mistakes
def test_a_known_wrong_answer_gets_its_own_teaching_message():
    calls = []

    def unweighted():
        calls.append(1)
        return 0.62

    q = Exercise("q4", "Weighted share?", expected=0.68, compare=NumberCheck(abs_tol=0.005),
                 hints=["Tick the weights."],
                 mistakes=[(unweighted, "that is the unweighted share: tick 'Use survey weights'."),
                           (68.0, "the answer is asked as a proportion.")])
    res = q.check(0.621)
    assert res.status == "incorrect"
    assert res.message.endswith("That is the unweighted share: tick 'Use survey weights'. Need help? q4.hint()")
    assert "expected 0.68" in res.message  # the usual comparison is still shown
    q.check(0.3)
    assert len(calls) == 1  # a mistake's value is computed once, lazily
    assert "proportion" in q.check(68).message
    plain = q.check(0.3).message
    assert "unweighted" not in plain and "proportion" not in plain
    assert q.check(0.68).status == "correct"


def test_a_mistake_that_cannot_be_computed_is_ignored():
    def broken():
        raise KeyError("no data")

    q = Exercise("q1", "?", expected=3, mistakes=[(broken, "never shown")])
    assert q.check(2).status == "incorrect" and "never shown" not in q.check(2).message


def test_mistakes_must_be_pairs_of_value_and_message():
    with pytest.raises(CdcourseError, match="mistakes"):
        Exercise("q1", "?", expected=3, mistakes=[3])


# --------------------------------------------------------------------------- result objects as answers
def test_a_result_object_given_for_a_number_is_told_to_take_its_value():
    class Measure:
        value = 63.6

    ok, msg = NumberCheck()(Measure(), 63.6)
    assert not ok and "found a Measure" in msg and ".value" in msg


def test_a_result_object_given_for_a_text_is_told_to_take_its_text():
    class Redaction:
        text = "Ask Mrs [NAME]"

    ok, msg = TextCheck()(Redaction(), "Ask Mrs [NAME]")
    assert not ok and "found a Redaction" in msg and ".text" in msg


def test_welcome_usual_mistakes_say_what_was_done(welcome_namespace):
    from cdcourse.checks import welcome
    from cdcourse.widgets.explorer import weighted_table

    population = welcome_namespace["population"]
    assert "one per person" in welcome.q1.check(len(population)).message
    assert "number of Saro persons" in welcome.q5.check(int((population["language_group"] == "Saro").sum())).message
    from cdcourse.datasets import load

    table = weighted_table(load("community_survey"), "improved_water")  # no weights
    unweighted = float(table.loc[table["improved_water"] == True, "share"].iloc[0])  # noqa: E712
    assert "tick 'Use survey weights'" in welcome.q6.check(unweighted).message
