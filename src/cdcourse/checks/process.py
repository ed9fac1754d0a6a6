"""Self-checks for lesson 03, process: cleaning the community survey, crowd reports and map points.

Expected answers are computed with :mod:`cdcourse.cleaning` from the datasets on the first check,
so importing this module loads no data. The settings below are the choices the lesson makes.

Examples
--------
>>> q1.check(62).status
'correct'
>>> q5.check("2024-03-05").status
'correct'
>>> q8.check("enum07").status
'correct'
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd

from cdcourse.checks.core import Exercise, NumberCheck, TextCheck

__all__ = ["CROWD", "MAP", "KEY", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "q10"]

#: one row per person interviewed, in the raw export and in the clean survey
KEY = ["submission_id", "line_no"]
#: what makes two crowd reports "the same incident" in the lesson
CROWD = {"block": "category", "time": "received_at", "within": "2D", "lat": "lat", "lon": "lon", "max_metres": 1500}
#: what makes two mapped points "the same feature" in the lesson
MAP = {"block": "subtype", "lat": "lat", "lon": "lon", "max_metres": 30}


@lru_cache(maxsize=None)
def _load(name: str) -> pd.DataFrame:
    from cdcourse.datasets import load

    return load(name)


def _steps_until(n: int) -> pd.DataFrame:
    """The raw export after the first ``n`` record-level steps of the lesson."""
    from cdcourse import cleaning

    df = _load("community_survey_raw")
    steps = [
        lambda d: cleaning.drop_duplicates(d),
        lambda d: cleaning.keep_consented(d, "consent"),
        lambda d: cleaning.drop_duplicate_submissions(d, "submission_id", "household_id", order_by="_submission_time"),
    ]
    for step in steps[:n]:
        df = step(df).data
    return df


q1 = Exercise(
    "q1",
    "How many rows of the raw export are exact copies of an earlier row (every column equal)?",
    expected=lambda: int(_load("community_survey_raw").duplicated().sum()),
    compare=NumberCheck(rel_tol=0, abs_tol=0),
    hints=["`DataFrame.duplicated()` marks each row that repeats an earlier one.",
           "`raw.duplicated().sum()`, or `cleaning.drop_duplicates(raw).step.rows_dropped`"],
    solution="n_copies = int(raw.duplicated().sum())",
    explanation="A phone that loses its connection while sending often sends the same form again.",
)

q2 = Exercise(
    "q2",
    "How many rows did keeping only consented records drop (after the exact copies were removed)?",
    expected=lambda: len(_steps_until(1)) - len(_steps_until(2)),
    compare=NumberCheck(rel_tol=0, abs_tol=0),
    hints=["The step record says how many rows went in and came out.",
           "`step.rows_dropped` of the `keep_consented` result"],
    solution="n_refused = cleaning.keep_consented(df, 'consent').step.rows_dropped",
    explanation="Every answer without a clear yes is dropped: refusals, and anything unrecognisable.",
)

q3 = Exercise(
    "q3",
    "How many households were submitted a second time under a new submission id?",
    expected=lambda: int(_steps_until(2).groupby("household_id")["submission_id"].nunique().gt(1).sum()),
    compare=NumberCheck(rel_tol=0, abs_tol=0),
    hints=["Count, per household_id, how many different submission ids it has.",
           "`df.groupby('household_id')['submission_id'].nunique().gt(1).sum()`"],
    solution="n_twice = int(df.groupby('household_id')['submission_id'].nunique().gt(1).sum())",
)


def _language_mapping_ok(answer: Any, expected: Any) -> tuple[bool, str]:
    from cdcourse import cleaning
    from cdcourse.errors import CdcourseError

    if not isinstance(answer, dict):
        return False, f"give a dict spelling -> standard label, such as {{'Amary': 'Amari'}}; found {type(answer).__name__}"
    data = _steps_until(3)
    try:
        result = cleaning.standardise_labels(data, "language_group", answer)
    except CdcourseError as err:
        return False, f"the mapping cannot be used: {err}"
    values = set(result.data["language_group"].dropna().astype(str))
    left = sorted(values - {"Amari", "Bensi", "Saro"})
    if left:
        return False, f"these spellings are still there after the mapping: {left}"
    truth = _load("community_survey").set_index(KEY)["language_group"].astype(str)
    mine = result.data.set_index(KEY)["language_group"].astype(str)
    wrong = int((mine != truth.reindex(mine.index)).sum())
    if wrong:
        return False, f"{wrong} records get another language group than in the clean survey: check where each spelling goes"
    return True, "every spelling maps to Amari, Bensi or Saro, as in the clean survey"


q4 = Exercise(
    "q4",
    "Write the mapping (a dict spelling -> label) that standardises `language_group` to Amari, Bensi and "
    "Saro. Case and spaces are ignored when matching, so only genuinely different spellings need an entry.",
    expected={"Amari": "Amari", "Amary": "Amari", "Bensi": "Bensi", "Bensy": "Bensi", "Saro": "Saro", "Sarro": "Saro"},
    compare=_language_mapping_ok,
    hints=["`cleaning.suggest_labels(df['language_group'], ['Amari', 'Bensi', 'Saro'])` lists the spellings "
           "a plain list of labels does not cover.",
           "Two spellings need an entry besides the labels themselves: one ends in y, one doubles a letter."],
    solution='language_map = {"Amari": "Amari", "Amary": "Amari", "Bensi": "Bensi", "Bensy": "Bensi",\n'
             '                "Saro": "Saro", "Sarro": "Saro"}',
)


def _same_date(answer: Any, expected: Any) -> tuple[bool, str]:
    try:
        got = pd.Timestamp(answer)
    except (ValueError, TypeError):
        return False, f"give a date such as '2024-12-31'; found {answer!r}"
    if got.normalize() == pd.Timestamp(expected):
        return True, "5 March 2024: this export writes the day first"
    if got.normalize() == pd.Timestamp("2024-05-03"):
        return False, "that reads the month first; the export's other formats show the day comes first"
    return False, f"found {got.date()}, which is not how this export writes 05/03/2024"


q5 = Exercise(
    "q5",
    "In this export, which date is written `05/03/2024`? Give it as 'YYYY-MM-DD'.",
    expected="2024-03-05",
    compare=_same_date,
    hints=["Look for a value like 25/03/2024: can 25 be a month?",
           "`raw.loc[raw['interview_date'].str.contains('/', na=False), 'interview_date'].head(20)`"],
    solution='date_05_03 = "2024-03-05"   # day first: values such as 25/03/2024 exist',
)

q6 = Exercise(
    "q6",
    "What is the mean `age` of the raw export once the codes -99 and 98 are missing values (impossible "
    "ages still in)? Round to two decimals if you like.",
    expected=lambda: float(pd.to_numeric(_load("community_survey_raw")["age"].where(
        ~_load("community_survey_raw")["age"].isin([-99, 98])), errors="coerce").mean()),
    compare=NumberCheck(rel_tol=0, abs_tol=0.006),
    hints=["`cleaning.set_missing(raw, {'age': [-99, 98]})` returns the new frame as `.data`.",
           "`cleaning.set_missing(raw, {'age': [-99, 98]}).data['age'].mean()`"],
    solution="mean_age = cleaning.set_missing(raw, {'age': [-99, 98]}).data['age'].mean()",
    explanation="Left in, the 62 codes pull the mean age down (by about 0.4 years here): -99 weighs more than 98.",
)

q7 = Exercise(
    "q7",
    "How many rows of the raw export fail the rule 'age between 0 and 110'?",
    expected=lambda: _rule_failures(),
    compare=NumberCheck(rel_tol=0, abs_tol=0),
    hints=["`cleaning.validate(raw, [cleaning.Rule.range('age', 0, 110)])` gives a report.",
           "`report.n_failures`"],
    solution="n_age = cleaning.validate(raw, [cleaning.Rule.range('age', 0, 110)]).n_failures",
    explanation="Codes (-99) fail too: validate before and after setting codes missing to tell them apart.",
)


def _rule_failures() -> int:
    from cdcourse import cleaning

    return cleaning.validate(_load("community_survey_raw"), [cleaning.Rule.range("age", 0, 110)]).n_failures


def _fast_enumerator() -> str:
    from cdcourse import cleaning

    table = cleaning.interview_durations(_load("community_survey_raw"))
    return str(table.sort_values("median_min")["enumerator"].iloc[0])


q8 = Exercise(
    "q8",
    "Which enumerator's interviews are implausibly fast?",
    expected=_fast_enumerator,
    compare=TextCheck(),
    hints=["`cleaning.interview_durations(raw)` has the median interview length per enumerator.",
           "Sort that table by `median_min`."],
    solution="fast = cleaning.interview_durations(raw).sort_values('median_min')['enumerator'].iloc[0]",
    explanation="A 45-minute questionnaire cannot be asked in 4 minutes: flag, follow up, and re-interview a sample.",
)


def _reports_kept() -> int:
    from cdcourse import cleaning

    nd = cleaning.find_near_duplicates(_load("crowd_reports"), **CROWD)
    return int((~nd.duplicate).sum())


q9 = Exercise(
    "q9",
    "With the lesson's settings (`CROWD`), how many crowd reports are left when each cluster of near "
    "duplicates keeps one report?",
    expected=_reports_kept,
    compare=NumberCheck(rel_tol=0, abs_tol=0),
    hints=["`cleaning.find_near_duplicates(reports, **CROWD)` flags every report but the first of its cluster.",
           "`int((~nd.duplicate).sum())`, or the rows of `cleaning.drop_near_duplicates(reports, **CROWD).data`"],
    solution="n_incidents = int((~cleaning.find_near_duplicates(reports, **CROWD).duplicate).sum())",
)


def _swapped() -> int:
    from cdcourse import cleaning

    return int((cleaning.gps_status(_load("participatory_map")) == "swapped").sum())


q10 = Exercise(
    "q10",
    "How many mapped points have latitude and longitude the wrong way round?",
    expected=_swapped,
    compare=NumberCheck(rel_tol=0, abs_tol=0),
    hints=["`cleaning.gps_status(points)` says ok, missing, swapped or outside for each point.",
           "`(cleaning.gps_status(points) == 'swapped').sum()`"],
    solution="n_swapped = int((cleaning.gps_status(points) == 'swapped').sum())",
)
