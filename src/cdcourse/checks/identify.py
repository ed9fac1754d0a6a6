"""Self-check exercises of lesson 01, Identify (``course/01_identify.ipynb``).

Answers that come from data are computed from ``cdcourse`` on the first check, so they stay
right if the datasets are regenerated.

>>> from cdcourse.checks.identify import q6
>>> q6.check({"A": 1, "B": 2, "C": 5, "D": 4, "E": 3}).status
'correct'
"""
from __future__ import annotations

import pandas as pd

from cdcourse.checks.core import Exercise, MappingCheck, NumberCheck, SetCheck, TextCheck

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "GAPS", "LADDER_SCENARIOS", "LADDER"]


def _load(name: str) -> pd.DataFrame:
    from cdcourse.datasets import load

    return load(name)


def _coverage_by_district() -> pd.Series:
    from cdcourse.connect import official_table

    official = official_table(_load("official_statistics"), "population", "district_code")
    true = _load("population").groupby("district_code", observed=True).size()
    return official.set_index("district_code")["value"] / true


def _saro_coverage() -> float:
    from cdcourse.connect import official_table

    table = official_table(_load("official_statistics"), "population", ["district_code", "language_group"])
    counted = table.loc[table["language_group"] == "Saro", "value"].sum()
    true = int((_load("population")["language_group"] == "Saro").sum())
    return float(counted / true)


def _safety_gap_points() -> float:
    shares = _load("population").groupby("sex", observed=True)["feels_safe_night"].mean()
    return float((shares["male"] - shares["female"]) * 100)


q1 = Exercise(
    name="q1",
    prompt="Which indicators does Lumeria's statistical office publish in `official_statistics`? "
           "Give the set of indicator names.",
    expected=lambda: set(_load("official_statistics")["indicator"].astype(str).unique()),
    compare=SetCheck(),
    hints=[
        "The table is in long format: one column, `indicator`, says what each row measures.",
        "`set(official['indicator'].unique())`",
    ],
    solution="answer_q1 = set(official['indicator'].unique())",
    explanation="Population counts, the share of persons with an improved water source, and school attendance.",
)

q2 = Exercise(
    name="q2",
    prompt="Which district has the lowest coverage (official population / true population)? "
           "Give its district code, e.g. 'D05'.",
    expected=lambda: str(_coverage_by_district().idxmin()),
    compare=TextCheck(),
    hints=[
        "You have `coverage`, a table with one row per district; sort it by the ratio.",
        "`coverage.sort_values('ratio').index[0]` or `coverage['ratio'].idxmin()`.",
    ],
    solution="answer_q2 = coverage['ratio'].idxmin()",
    explanation="The capital district D08 loses its informal settlement from every official figure.",
)

q3 = Exercise(
    name="q3",
    prompt="What share of the true Saro population do the official tables count? Give a proportion "
           "between 0 and 1 (two decimals are enough).",
    expected=_saro_coverage,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.01),
    hints=[
        "The official tables give Saro only by district: add the district figures up "
        "(`official_table(official, 'population', ['district_code', 'language_group'])`).",
        "Divide that sum by the number of Saro persons in `population`: "
        "`(population['language_group'] == 'Saro').sum()`.",
    ],
    solution=(
        "by_group = official_table(official, 'population', ['district_code', 'language_group'])\n"
        "counted = by_group.loc[by_group['language_group'] == 'Saro', 'value'].sum()\n"
        "answer_q3 = counted / (population['language_group'] == 'Saro').sum()"
    ),
    explanation="The census under-counts the Saro everywhere, and on top of that misses the informal "
                "settlement, where many Saro live: the two gaps add up.",
)

#: The statements of q4, by letter.
GAPS = {
    "A": "There is no breakdown by disability at all.",
    "B": "The Saro language group is under-counted.",
    "C": "The informal settlement in the capital district is missing from every figure.",
    "D": "There is no breakdown by sex.",
    "E": "District D12 has no figures.",
}

q4 = Exercise(
    name="q4",
    prompt="Which statements in `GAPS` describe a real gap of Lumeria's official tables? Give a set of "
           "letters, e.g. `{'A', 'E'}`.",
    expected={"A", "B", "C"},
    compare=SetCheck(),
    hints=[
        "Check each claim against the data: `official['sex'].unique()`, `official['district_code'].unique()`, "
        "and look for any column or indicator about disability.",
        "Sex and every district are there. Disability is not; the Saro and the settlement you measured above.",
    ],
    solution="answer_q4 = {'A', 'B', 'C'}",
    explanation="Sex and all twelve districts are published; disability is not, the Saro are under-counted "
                "and the informal settlement is left out.",
)

q5 = Exercise(
    name="q5",
    prompt="In the population truth, how many percentage points fewer women than men (aged 15+) feel "
           "safe walking alone at night? Give a positive number of points.",
    expected=_safety_gap_points,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.5),
    hints=[
        "`feels_safe_night` is True/False for persons aged 15+ and missing for children; the mean of a "
        "True/False column is the share of True (missing values are skipped).",
        "`shares = population.groupby('sex', observed=True)['feels_safe_night'].mean()`, then "
        "`(shares['male'] - shares['female']) * 100`.",
    ],
    solution=(
        "shares = population.groupby('sex', observed=True)['feels_safe_night'].mean()\n"
        "answer_q5 = (shares['male'] - shares['female']) * 100"
    ),
    explanation="A gap this size is why the indicator must be disaggregated by sex: the national average "
                "would hide it.",
)

#: The five levels of the participation ladder. The name of level 4 is the course's own label.
LADDER = {
    1: "information",
    2: "consultation",
    3: "limited participation",
    4: "collaboration (the course's own label)",
    5: "communities initiate and lead design and collection",
}

#: The scenarios of q6 and q7, by letter.
LADDER_SCENARIOS = {
    "A": "The statistical office holds a public meeting to present census results to residents.",
    "B": "The statistical office asks residents in focus groups which questions matter, then designs "
         "and runs the survey itself.",
    "C": "Residents of the informal settlement decide to count their water points, design the form with "
         "their association and collect the data themselves.",
    "D": "A CSO and the statistical office design the questionnaire together, agree the sample, and "
         "community enumerators trained by both collect the data.",
    "E": "Community volunteers are hired to hand out the office's questionnaires; they have no say in "
         "what is asked or how.",
}

q6 = Exercise(
    name="q6",
    prompt="Place each scenario of `LADDER_SCENARIOS` on the participation ladder: give a dict "
           "letter -> level (1-5), e.g. `{'A': 1, 'B': 1, ...}`.",
    expected={"A": 1, "B": 2, "C": 5, "D": 4, "E": 3},
    compare=MappingCheck(NumberCheck(rel_tol=0.0, abs_tol=0.0)),
    hints=[
        "Ask two questions: do residents take part in *design* and/or *collection*, and do they decide, "
        "share decisions, or only carry out someone else's plan?",
        "Being told results is information (1); being asked is consultation (2); doing tasks without a say "
        "is limited participation (3); designing together is level 4; starting and leading is level 5.",
    ],
    solution="answer_q6 = {'A': 1, 'B': 2, 'C': 5, 'D': 4, 'E': 3}",
    explanation="Levels 3 and 4 differ by who decides: in E residents only carry out the office's plan, "
                "in D they share the design.",
)

q7 = Exercise(
    name="q7",
    prompt="Under the Copenhagen Framework's reading of the ladder, which scenarios reach *sufficient* "
           "participation for the data to count as citizen data? Give a set of letters.",
    expected={"C", "D"},
    compare=SetCheck(),
    hints=[
        "Levels 1-3 count as insufficient participation, levels 4-5 as sufficient.",
        "Use your answer to q6: which letters are at level 4 or 5?",
    ],
    solution="answer_q7 = {letter for letter, level in answer_q6.items() if level >= 4}",
    explanation="Only co-designed (D) and community-led (C) initiatives engage residents enough.",
)
