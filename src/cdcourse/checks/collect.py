"""Self-check exercises of lesson 02, Collect (``course/02_collect.ipynb``).

Answers that come from data are computed from ``cdcourse`` on the first check, so they stay
right if the datasets are regenerated.

>>> from cdcourse.checks.collect import q1, q4
>>> q1.check("B").status
'correct'
>>> q4.check(760).status
'correct'
"""
from __future__ import annotations

import pandas as pd

from cdcourse.checks.core import BoolCheck, ChoiceCheck, Exercise, NumberCheck

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "INDICATOR_OPTIONS", "QUESTION_OPTIONS"]


def _load(name: str) -> pd.DataFrame:
    from cdcourse.datasets import load

    return load(name)


def _refused_households() -> int:
    raw = _load("community_survey_raw")
    said_no = raw["consent"].astype(str).str.strip().str.lower().str.startswith("n")
    return int(raw.loc[said_no, "household_id"].nunique())


def _size_q4() -> int:
    from cdcourse import sampling

    return int(sampling.sample_size_proportion(0.3, 0.05, deff=2, response_rate=0.85))


def _prob_d01() -> float:
    survey = _load("community_survey")
    return float(survey.loc[survey["district_code"] == "D01", "inclusion_prob"].iloc[0])


#: The candidate indicators of q1, by letter.
INDICATOR_OPTIONS = {
    "A": "Whether water in Lumeria is good enough.",
    "B": "Share of persons living in a household whose main water source is piped into the dwelling, a public "
         "tap or a protected well.",
    "C": "How residents feel about the water authority.",
    "D": "The number of water problems in the country.",
}

#: The candidate survey questions of q3, by letter.
QUESTION_OPTIONS = {
    "A": "What is the main source of drinking water for members of your household?",
    "B": "Don't you agree that the government has neglected water points in this area?",
    "C": "Because of a health problem, do you have difficulty walking or climbing steps?",
    "D": "How long does it take to go there, get water, and come back (in minutes)?",
}

q1 = Exercise(
    name="q1",
    prompt="Which of `INDICATOR_OPTIONS` is a measurable indicator for the network's question about water? "
           "Give its letter.",
    expected="B",
    compare=ChoiceCheck(list(INDICATOR_OPTIONS)),
    hints=[
        "An indicator says exactly *what* is counted, *among whom*, and so can be computed from answers.",
        "Only one option names a unit (persons), a condition that a question can record, and a share.",
    ],
    solution="answer_q1 = 'B'",
    explanation="B defines the unit, the population and the condition; it maps to one survey question "
                "(the water source) and to SDG 6.1.1's idea of an improved source.",
)

q2 = Exercise(
    name="q2",
    prompt="How many households in the raw export (`raw`) did NOT give consent (any spelling of 'no')?",
    expected=_refused_households,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.0),
    hints=[
        "The consent column has many spellings: normalise it first, e.g. "
        "`raw['consent'].astype(str).str.strip().str.lower()`.",
        "Every spelling of no starts with 'n'. Count distinct households: "
        "`raw.loc[said_no, 'household_id'].nunique()`.",
    ],
    solution=(
        "said_no = raw['consent'].astype(str).str.strip().str.lower().str.startswith('n')\n"
        "answer_q2 = raw.loc[said_no, 'household_id'].nunique()"
    ),
    explanation="Some of these households were interviewed anyway: their answers must be deleted, not "
                "analysed. All of them are non-respondents, which the weights then account for.",
)

q3 = Exercise(
    name="q3",
    prompt="Which question in `QUESTION_OPTIONS` is leading (it pushes the respondent towards an answer)? "
           "Give its letter.",
    expected="B",
    compare=ChoiceCheck(list(QUESTION_OPTIONS)),
    hints=["A leading question contains the answer the asker hopes for.",
           "Look for 'Don't you agree ...': agreeing is made the easy answer."],
    solution="answer_q3 = 'B'",
    explanation="B invites agreement and blames someone before the respondent speaks. C is the Washington "
                "Group wording: neutral, about difficulty, not about 'being disabled'.",
)

q4 = Exercise(
    name="q4",
    prompt="How many households should the network select to estimate a share expected near 30% within "
           "+/- 5 points (95% confidence), with a design effect of 2 and an 85% response rate?",
    expected=_size_q4,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.0),
    hints=[
        "`sampling.sample_size_proportion(p, margin, deff=..., response_rate=...)`; the margin is a proportion "
        "(5 points = 0.05).",
        "`sampling.sample_size_proportion(0.3, 0.05, deff=2, response_rate=0.85)`: about 323 x 2 / 0.85.",
    ],
    solution="answer_q4 = int(sampling.sample_size_proportion(0.3, 0.05, deff=2, response_rate=0.85))",
    explanation="323 for a simple random sample, doubled for the clusters, and a sixth more because some will "
                "not take part: 760, rounded up once at the end.",
)

q5 = Exercise(
    name="q5",
    prompt="With 6 EAs by PPS (size = households) and 15 households per EA, what is the inclusion "
           "probability of any household in district D01? (The D01 frame has "
           "`households.query(\"district_code == 'D01'\").shape[0]` households.)",
    expected=_prob_d01,
    compare=NumberCheck(rel_tol=0.001),
    hints=[
        "P(EA) = 6 x (households in the EA) / (households in the district); P(household | EA) = 15 / (households "
        "in the EA).",
        "Multiply: the EA's size cancels, leaving 6 x 15 / (households in D01).",
    ],
    solution="answer_q5 = 6 * 15 / (households['district_code'] == 'D01').sum()",
    explanation="PPS at the first stage with a fixed take at the second makes the design self-weighting "
                "within a district: every household has the same chance, 90 / N_h.",
)

q6 = Exercise(
    name="q6",
    prompt="For the same number of households, which design gives the widest spread of water estimates in the "
           "simulator: 'srs', 'stratified' or 'cluster'?",
    expected="cluster",
    compare=ChoiceCheck(["srs", "stratified", "cluster"]),
    hints=["Compare the `empirical_se` column of the comparison table.",
           "Neighbours share water sources: 15 households in one area tell you little more than a few."],
    solution="answer_q6 = comparison['empirical_se'].idxmax()",
    explanation="Clustering saves travel but costs precision when the answer is shared within the area, as "
                "the water source is. District strata barely help here because water differs more within "
                "districts (urban or rural) than between them.",
)

q7 = Exercise(
    name="q7",
    prompt="True or False: for a cluster survey, intervals computed as if the persons had been sampled one by "
           "one (ignoring the clusters) still cover the truth about 95% of the time.",
    expected=False,
    compare=BoolCheck(),
    hints=["Compare the two standard errors printed above: with and without `psu=`.",
           "An interval several times too narrow misses the truth far more often than 1 time in 20."],
    solution="answer_q7 = False",
    explanation="Ignoring the clusters makes the standard error several times too small for a shared "
                "characteristic such as the water source; the intervals then miss the truth most of the time.",
)
