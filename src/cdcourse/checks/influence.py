"""Self-check exercises of lesson 09, Influence and change (``course/09_influence_and_change.ipynb``).

Answers that come from data are computed from ``cdcourse`` on the first check, so they stay
right if the datasets are regenerated.

>>> from cdcourse.checks.influence import q5
>>> q5.check({"A", "B", "D"}).status
'correct'
"""
from __future__ import annotations

import pandas as pd

from cdcourse.checks.core import Exercise, NumberCheck, SetCheck

__all__ = ["q1", "q2", "q3", "q4", "q5", "BRIEF_ELEMENTS", "CASE_STATEMENTS", "DESIGN", "use_log"]

#: The design arguments of the community survey.
DESIGN = {"weight": "weight", "strata": "stratum", "psu": "psu"}


def _survey() -> pd.DataFrame:
    from cdcourse.datasets import load

    return load("community_survey")


def use_log() -> pd.DataFrame:
    """A (fictional) log of how the Lumeria water findings were used after publication.

    One row per recorded use: date, who, what they did, the evidence kept, and the stage of the
    value chain it shows ("uptake": the findings reached someone; "use": they were used in a
    decision process; "change": a decision or action followed).
    """
    rows = [
        ("2024-06-03", "Community survey team", "Brief and data package published; results meeting held in each district",
         "meeting attendance sheets", "uptake"),
        ("2024-06-12", "Saro residents' association", "Findings read out on community radio in Saro", "radio schedule",
         "uptake"),
        ("2024-06-20", "District water office, Lurrowe (D10)", "Brief discussed at the quarterly planning meeting",
         "meeting minutes", "use"),
        ("2024-07-02", "National statistical office", "Survey assessed with the reuse scoring matrix (lesson 08)",
         "assessment report", "use"),
        ("2024-07-15", "Ministry of Water", "Brief cited in a budget request for rural water points",
         "budget request, page 4", "use"),
        ("2024-08-26", "District water office, Lurrowe (D10)", "Repair of four broken water points in Saro villages "
         "scheduled", "work order", "change"),
        ("2024-10-01", "National statistical office", "Informal settlement enumeration areas added to the frame of "
         "the next household survey", "frame update note", "change"),
    ]
    log = pd.DataFrame(rows, columns=["date", "who", "what", "evidence", "stage"])
    log["date"] = pd.to_datetime(log["date"])
    return log


def _gap_points() -> float:
    from cdcourse import sampling

    table = sampling.estimate_proportion(_survey(), "improved_water", **DESIGN, by="language_group").to_frame()
    shares = table.set_index("language_group")["estimate"]
    return float((shares["Amari"] - shares["Saro"]) * 100)


def _shown_in_d10() -> set:
    from cdcourse import connect

    survey = _survey()
    sheet = connect.fill_gap(survey[survey["district_code"] == "D10"], "improved_water", "language_group", **DESIGN)
    table = sheet.table
    return set(table.loc[table["publishable"] != "suppress", "language_group"].astype(str))


def _days_to_change() -> int:
    log = use_log()
    published = log["date"].min()
    first_change = log.loc[log["stage"] == "change", "date"].min()
    return int((first_change - published).days)


q1 = Exercise(
    name="q1",
    prompt="The brief's headline number: by how many percentage points is the estimated share of Saro speakers "
           "with an improved water source lower than that of Amari speakers?",
    expected=_gap_points,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.5),
    hints=[
        "`groups` has one row per language group; take the two `estimate` values.",
        "`(groups.loc['Amari', 'estimate'] - groups.loc['Saro', 'estimate']) * 100`",
    ],
    solution="answer_q1 = (groups.loc['Amari', 'estimate'] - groups.loc['Saro', 'estimate']) * 100",
    explanation="A gap of about 40 points; its own uncertainty is large, so the brief says 'about'.",
)

#: The candidate elements of q2, by letter.
BRIEF_ELEMENTS = {
    "A": "The finding in one sentence, with its number.",
    "B": "The full questionnaire.",
    "C": "What the reader is asked to do, and by whom.",
    "D": "How sure the finding is (interval, sample size) and its main limits.",
    "E": "Every table of the survey report.",
    "F": "Who produced it, when, and where the data and methods can be found.",
}

q2 = Exercise(
    name="q2",
    prompt="Which elements belong on a one-page brief for a decision-maker? Give a set of letters from "
           "`BRIEF_ELEMENTS`.",
    expected={"A", "C", "D", "F"},
    compare=SetCheck(),
    hints=[
        "One page: keep what a busy reader needs to decide and to trust the finding; link to the rest.",
        "The questionnaire and the full tables belong in the data package and the report, which the brief links to.",
    ],
    solution="answer_q2 = {'A', 'C', 'D', 'F'}",
)

q3 = Exercise(
    name="q3",
    prompt="In the feedback sheet for district D10, which language groups' results can be shown (not "
           "suppressed)? Give a set of names.",
    expected=_shown_in_d10,
    compare=SetCheck(),
    hints=[
        "`sheet.table` has a `publishable` column; keep the rows that are not 'suppress'.",
        "`set(sheet.table.loc[sheet.table['publishable'] != 'suppress', 'language_group'])`",
    ],
    solution="answer_q3 = set(sheet.table.loc[sheet.table['publishable'] != 'suppress', 'language_group'].astype(str))",
    explanation="The publication rule applies to feedback too: a small group's result can be too uncertain to "
                "show, and small cells can point at individual households.",
)

q4 = Exercise(
    name="q4",
    prompt="From the use log: how many days passed between publication (the first entry) and the first "
           "recorded change?",
    expected=_days_to_change,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.0),
    hints=[
        "Take the earliest `date`, and the earliest `date` among rows with `stage == 'change'`.",
        "Subtracting two dates gives a Timedelta; `.days` gives the whole days.",
    ],
    solution=(
        "first_change = log.loc[log['stage'] == 'change', 'date'].min()\n"
        "answer_q4 = (first_change - log['date'].min()).days"
    ),
)

#: The statements of q5, by letter.
CASE_STATEMENTS = {
    "A": "It reports findings from citizen data sources about groups that official COVID-19 data left out.",
    "B": "It gives recommendations to national statistical offices and to civil society organisations.",
    "C": "It estimates how many people official data missed in each country.",
    "D": "It draws on a list of studies (38) and a desk review of resources (60).",
    "E": "It argues that citizen data should replace official statistics.",
}

q5 = Exercise(
    name="q5",
    prompt="Which statements about the report 'An Unequal Pandemic' are supported by the description in this "
           "lesson? Give a set of letters from `CASE_STATEMENTS`.",
    expected={"A", "B", "D"},
    compare=SetCheck(),
    hints=[
        "Read the case section again: what does the report do, and what does it hope citizen data will do "
        "for official data?",
        "It hopes citizen data will *complement* official data; nothing is said about country-by-country counts.",
    ],
    solution="answer_q5 = {'A', 'B', 'D'}",
    explanation="Claims about a source must stay within what the source says: C and E would put words in "
                "the report's mouth.",
)
