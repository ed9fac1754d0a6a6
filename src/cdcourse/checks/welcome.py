"""Self-check exercises of lesson 00, Welcome (``course/00_welcome.ipynb``).

Expected answers that come from data are computed from ``cdcourse`` on the first check, so they
stay right if the datasets are regenerated.

>>> from cdcourse.checks.welcome import q3
>>> q3.check(4).status
'correct'
"""
from __future__ import annotations

import pandas as pd

from cdcourse.checks.core import (
    Exercise,
    FunctionCheck,
    NumberCheck,
    SequenceCheck,
    SetCheck,
    TextCheck,
)

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "SCENARIOS", "share_aged_reference"]


def _load(name: str) -> pd.DataFrame:
    from cdcourse.datasets import load

    return load(name)


q1 = Exercise(
    name="q1",
    prompt="How many households are in Lumeria's population frame (`population`)? Store the number in `n_households`.",
    expected=lambda: int(_load("population")["household_id"].nunique()),
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.5),
    hints=[
        "The frame has one row per *person*; several persons share a household. Counting rows counts persons.",
        "Count the distinct values of the household identifier: `population['household_id'].nunique()`.",
    ],
    solution="n_households = population['household_id'].nunique()",
    explanation="Rows are persons; distinct household_id values are households.",
    mistakes=[(lambda: len(_load("population")),
               "that is the number of rows, one per person: count the distinct households instead")],
)

#: The scenarios of q2, by letter.
SCENARIOS = {
    "A": "Residents of an informal settlement map broken water points on their phones, to press the "
         "water utility for repairs.",
    "B": "The national statistical office runs the population census.",
    "C": "A mobile operator's call records are used to estimate how people move between districts.",
    "D": "A women's group scores the local clinic with community score cards and presents the results "
         "at a district meeting.",
    "E": "A ministry counts pupils from the enrolment registers that schools send it.",
}

q2 = Exercise(
    name="q2",
    prompt="Which scenarios (letters A-E in `SCENARIOS`) pass all three parts of the who / how / why test "
           "for citizen-generated data? Give a set of letters, e.g. `{'A', 'B'}`.",
    expected={"A", "D"},
    compare=SetCheck(),
    hints=[
        "Ask three questions of each scenario. Who produces the data: a state body, or people and civil "
        "society? How: do people actively and knowingly give it? Why: to monitor, demand or drive change?",
        "B and E are produced by the state. In C, people do not knowingly give their call records for this "
        "use: the data are passively generated.",
    ],
    solution="answer_q2 = {'A', 'D'}",
    explanation="A and D are produced by residents and a CSO, actively given, and aimed at change; B and E "
                "are state data, and C is passively generated.",
)

q3 = Exercise(
    name="q3",
    prompt="On the five-level participation ladder, what is the lowest level at which participation "
           "counts as *sufficient* for citizen data? Give the level number.",
    expected=4,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.0),
    hints=[
        "Levels 1-3 are information, consultation and limited participation.",
        "Levels 1-3 are insufficient; the two highest levels are sufficient.",
    ],
    solution="answer_q3 = 4",
    explanation="Levels 4 and 5 count as sufficient participation; 1-3 do not.",
)

q4 = Exercise(
    name="q4",
    prompt="List the four stages of the data value chain in order, as a list of names.",
    expected=["Collection", "Publication", "Uptake", "Impact"],
    compare=SequenceCheck(item=TextCheck()),
    hints=[
        "The chain starts where data are made and ends where they change something.",
        "Collection (identify, collect, process), then the stage where data are analysed, released and "
        "disseminated, then the one where they are connected and influence decisions, then impact.",
    ],
    solution="answer_q4 = ['Collection', 'Publication', 'Uptake', 'Impact']",
)


def _saro_share() -> float:
    pop = _load("population")
    return float((pop["language_group"] == "Saro").mean())


q5 = Exercise(
    name="q5",
    prompt="What share of Lumeria's population (the `population` frame) belongs to the Saro language group? "
           "Give a proportion between 0 and 1.",
    expected=_saro_share,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.005),
    hints=[
        "A share of persons: the number of Saro persons divided by the number of persons.",
        "The mean of a True/False column is the share of True: "
        "`(population['language_group'] == 'Saro').mean()`.",
    ],
    solution="saro_share = (population['language_group'] == 'Saro').mean()",
    mistakes=[(lambda: int((_load("population")["language_group"] == "Saro").sum()),
               "that is the number of Saro persons: divide by the number of persons to get a share")],
)


def _survey_improved_water() -> float:
    from cdcourse.widgets.explorer import weighted_table

    table = weighted_table(_load("community_survey"), "improved_water", weight="weight")
    return float(table.loc[table["improved_water"] == True, "share"].iloc[0])  # noqa: E712


q6 = Exercise(
    name="q6",
    prompt="With the dataset explorer on the community survey, *with* survey weights: what share of persons "
           "use an improved water source? Give a proportion between 0 and 1 (two decimals are enough).",
    expected=_survey_improved_water,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.006),
    hints=[
        "Pick dataset community_survey, variable improved_water, no disaggregation, and tick 'Use survey weights'.",
        "The table shows percent: divide the True row by 100. In code: "
        "`explorer.set(dataset='community_survey', variable='improved_water', by='(none)', weighted=True)`, "
        "then look at `explorer.result.table`.",
    ],
    solution=(
        "explorer.set(dataset='community_survey', variable='improved_water', by='(none)', weighted=True)\n"
        "table = explorer.result.table\n"
        "improved_share = table.loc[table['improved_water'] == True, 'share'].item()"
    ),
    explanation="Weighted, each interviewed person stands for the number of people their weight says.",
)


def _survey_improved_water_unweighted() -> float:
    from cdcourse.widgets.explorer import weighted_table

    table = weighted_table(_load("community_survey"), "improved_water")
    return float(table.loc[table["improved_water"] == True, "share"].iloc[0])  # noqa: E712


q6.mistakes.extend([
    (_survey_improved_water_unweighted,
     "that is the unweighted share of the people interviewed: tick 'Use survey weights' (weighted=True)"),
    (lambda: float(_load("population")["improved_water"].mean()),
     "that is the truth from the population frame; the question asks what the survey estimates with its weights"),
])


def share_aged_reference(frame: pd.DataFrame, low: int, high: int) -> float:
    """Share of persons whose age is between ``low`` and ``high`` (both included)."""
    return float(frame["age"].between(low, high).mean())


def _q7_cases() -> list[tuple]:
    small = pd.DataFrame({"age": [0, 4, 5, 14, 15, 64, 65, 99]})
    return [
        ((small, 0, 14), {}),
        ((small, 15, 64), {}),
        ((small, 65, 120), {}),
        ((small, 5, 5), {}),
        ((_load("population"), 0, 14), {}),
    ]


q7 = Exercise(
    name="q7",
    prompt="Write a function `share_aged(frame, low, high)` that returns the share of persons (rows of `frame`) "
           "whose `age` is between `low` and `high`, both included.",
    expected=share_aged_reference,
    compare=FunctionCheck(_q7_cases, compare=NumberCheck(rel_tol=1e-9)),
    hints=[
        "Both ends are included: an age equal to `low` or to `high` counts.",
        "`frame['age'].between(low, high)` is True for ages in the range, ends included; its mean is the share.",
    ],
    solution=(
        "def share_aged(frame, low, high):\n"
        "    return frame['age'].between(low, high).mean()"
    ),
)
