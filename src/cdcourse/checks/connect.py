"""Self-check exercises of lesson 07, Connect (``course/07_connect.ipynb``).

Answers that come from data are computed from ``cdcourse`` on the first check, so they stay
right if the datasets are regenerated.

>>> from cdcourse.checks.connect import q7
>>> q7.check("other").status
'correct'
"""
from __future__ import annotations

import pandas as pd

from cdcourse.checks.core import BoolCheck, Exercise, NumberCheck, SetCheck, TextCheck

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "PARTNER_SPELLINGS", "DESIGN"]

#: The design arguments of the community survey.
DESIGN = {"weight": "weight", "strata": "stratum", "psu": "psu"}

#: District names as a partner organisation typed them in its own records.
PARTNER_SPELLINGS = [
    "Pemmaro", "pemaro", "D8", "Capital district", "Lurowe", "Yuseta", "Sarivel North", "Kaluvio (D07)",
]


def _load(name: str) -> pd.DataFrame:
    from cdcourse.datasets import load

    return load(name)


def _districts():
    from cdcourse import connect

    return connect.official_districts(_load("official_statistics"))


def _n_bad_ages() -> int:
    from cdcourse import connect

    return connect.OFFICIAL_AGE_GROUPS.map(_load("community_survey_raw")["age"]).n_unmapped


def _still_unmapped() -> set:
    result = _districts().map(PARTNER_SPELLINGS, fuzzy=0.8)
    return set(result.unmapped["value"])


def _incoherent_districts() -> set:
    from cdcourse import connect, sampling

    survey = _load("community_survey").assign(person=1.0)
    totals = sampling.estimate_total(survey, "person", **DESIGN, by="district_code").to_frame()
    official = connect.official_table(_load("official_statistics"), "population", "district_code")
    table = connect.coherence(totals, official, on="district_code").table
    return set(table.loc[table["verdict"] == "incoherent", "district_code"])


def _raked():
    from cdcourse import connect

    return connect.calibrate_to_official(
        _load("community_survey"), _load("official_statistics"), ["district_code", "language_group"], method="rake"
    ).data


def _saro_share_raked() -> float:
    from cdcourse import sampling

    return float(sampling.estimate_proportion(_raked(), "language_group", "calibrated_weight", "stratum", "psu",
                                              level="Saro").estimate)


def _raking_helps_water() -> bool:
    from cdcourse import sampling

    truth = float(_load("population")["improved_water"].mean())
    design = sampling.estimate_proportion(_load("community_survey"), "improved_water", **DESIGN).estimate
    raked = sampling.estimate_proportion(_raked(), "improved_water", "calibrated_weight", "stratum", "psu").estimate
    return bool(abs(raked - truth) < abs(design - truth))


def _n_publish() -> int:
    from cdcourse import connect

    return connect.fill_gap(_load("community_survey"), "disability", "district_code", **DESIGN).counts["publish"]


q1 = Exercise(
    name="q1",
    prompt="How many records of `community_survey_raw` have an age that cannot be placed in an official age "
           "group (impossible values and missing-value codes; empty ages do not count)?",
    expected=_n_bad_ages,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.0),
    hints=[
        "`connect.OFFICIAL_AGE_GROUPS.map(raw['age'])` returns a report; look at its `unmapped` table.",
        "`.n_unmapped` counts the records (not the distinct values).",
    ],
    solution="answer_q1 = connect.OFFICIAL_AGE_GROUPS.map(raw['age']).n_unmapped",
    explanation="-99 is a missing-value code and 150 or -1 are errors: both must be fixed in cleaning "
                "(lesson 03), not silently dropped by the grouping.",
)

q2 = Exercise(
    name="q2",
    prompt="Map `PARTNER_SPELLINGS` to the official district codes with `fuzzy=0.8`. Which spellings are "
           "still unmapped? Give a set of the spellings.",
    expected=_still_unmapped,
    compare=SetCheck(case=True),
    hints=[
        "`districts.map(PARTNER_SPELLINGS, fuzzy=0.8)` returns a report; its `unmapped` table has a `value` column.",
        "`set(report.unmapped['value'])`",
    ],
    solution=(
        "report = districts.map(PARTNER_SPELLINGS, fuzzy=0.8)\n"
        "answer_q2 = set(report.unmapped['value'])"
    ),
    explanation="Neither spelling is a misspelling of one district name: ask the partner what they mean, then "
                "add an alias.",
)

q3 = Exercise(
    name="q3",
    prompt="Compare the survey's estimated population of each district with the official population. Which "
           "district codes get the verdict 'incoherent'? Give a set.",
    expected=_incoherent_districts,
    compare=SetCheck(case=True),
    hints=[
        "`pop_check.table` has a `verdict` column; select the rows where it is 'incoherent'.",
        "`set(pop_check.table.loc[pop_check.table['verdict'] == 'incoherent', 'district_code'])`",
    ],
    solution="answer_q3 = set(pop_check.table.loc[pop_check.table['verdict'] == 'incoherent', 'district_code'])",
    explanation="The survey's frame includes the informal settlement; the official count does not.",
)

q4 = Exercise(
    name="q4",
    prompt="After raking the weights to the official district and language-group totals, what is the estimated "
           "share of Saro speakers in the population? Give a proportion.",
    expected=_saro_share_raked,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.002),
    hints=[
        "Use `raked.data` and its `calibrated_weight` column in `sampling.estimate_proportion(..., level='Saro')`.",
        "`sampling.estimate_proportion(raked.data, 'language_group', 'calibrated_weight', 'stratum', 'psu', "
        "level='Saro').estimate`",
    ],
    solution=(
        "answer_q4 = sampling.estimate_proportion(\n"
        "    raked.data, 'language_group', 'calibrated_weight', 'stratum', 'psu', level='Saro').estimate"
    ),
    explanation="Raking forces the survey to the official Saro count, which is about half the truth: the "
                "under-count is copied into the survey.",
)

q5 = Exercise(
    name="q5",
    prompt="Does raking to the official district and language-group totals bring the national improved-water "
           "estimate closer to the true value? True or False.",
    expected=_raking_helps_water,
    compare=BoolCheck(),
    hints=[
        "Compare |estimate - truth| with the design weights and with the raked weights (the `comparison` table).",
        "Fewer Saro in the weights means fewer people with poor water in the estimate.",
    ],
    solution=(
        "truth = comparison.loc['truth', 'improved water']\n"
        "answer_q5 = bool(abs(comparison.loc['raked: district + language', 'improved water'] - truth)\n"
        "                 < abs(comparison.loc['design weights', 'improved water'] - truth))"
    ),
)

q6 = Exercise(
    name="q6",
    prompt="In the disability-by-district table, how many districts can be published without a caution under "
           "the course's example rule?",
    expected=_n_publish,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.0),
    hints=[
        "`disability.counts` gives the number of cells per flag.",
        "`disability.counts['publish']`",
    ],
    solution="answer_q6 = disability.counts['publish']",
    explanation="Disability prevalence is a small proportion (under 10%), so its CV is large even with about 300 "
                "respondents per district: most cells need a caution.",
)

q7 = Exercise(
    name="q7",
    prompt="Kenya's statistical quality assurance framework (KeSQAF) places citizen data beside statistical and "
           "administrative sources as which kind of source? One word.",
    expected=["other", "other source", "other sources", "others"],
    compare=TextCheck(),
    hints=[
        "Read the paragraph on Kenya in the section on partnership.",
        "It is neither statistical nor administrative.",
    ],
    solution="answer_q7 = 'other'",
)
