"""Self-check exercises of lesson 04, Analyze (``course/04_analyze.ipynb``).

Answers that come from data are computed from ``cdcourse`` on the first check, so they stay
right if the datasets are regenerated.

>>> from cdcourse.checks.analyze import q3
>>> q3.check("Saro").status
'correct'
"""
from __future__ import annotations

import pandas as pd

from cdcourse.checks.core import BoolCheck, Exercise, NumberCheck, TextCheck

__all__ = ["q1", "q2", "q3", "q4", "q5", "q6", "DESIGN"]

#: The design arguments of the community survey, as the lesson passes them.
DESIGN = {"weight": "weight", "strata": "stratum", "psu": "psu"}


def _survey() -> pd.DataFrame:
    from cdcourse.datasets import load

    return load("community_survey")


def _water():
    from cdcourse import sampling

    return sampling.estimate_proportion(_survey(), "improved_water", **DESIGN)


def _se_ratio() -> float:
    from cdcourse import sampling

    naive = sampling.estimate_proportion(_survey(), "improved_water", "weight")
    return float(_water().se / naive.se)


def _lowest_group() -> str:
    from cdcourse import sampling

    table = sampling.estimate_proportion(_survey(), "improved_water", **DESIGN, by="language_group").to_frame()
    return str(table.loc[table["estimate"].idxmin(), "language_group"])


def _n_suppressed() -> int:
    from cdcourse import connect

    gap = connect.fill_gap(_survey(), "improved_water", ["district_code", "language_group"], **DESIGN)
    return gap.counts["suppress"]


def _n_covering() -> int:
    from cdcourse import sampling
    from cdcourse.datasets import load

    table = sampling.estimate_proportion(_survey(), "improved_water", **DESIGN, by="district_code").to_frame()
    truth = load("population").groupby("district_code", observed=True)["improved_water"].mean()
    true = table["district_code"].map(truth).astype(float)
    return int(((table["ci_low"] <= true) & (true <= table["ci_high"])).sum())


q1 = Exercise(
    name="q1",
    prompt="Estimate the share of persons whose household uses an improved water source, with the survey "
           "weights and design. Give the estimate as a proportion (e.g. 0.55).",
    expected=lambda: float(_water().estimate),
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.001),
    hints=[
        "`sampling.estimate_proportion(survey, 'improved_water', weight='weight', strata='stratum', psu='psu')` "
        "returns a result; its `.estimate` is the number.",
        "Unweighted `survey['improved_water'].mean()` is not the same: it lets small districts count as much "
        "as the capital.",
    ],
    solution=(
        "water = sampling.estimate_proportion(survey, 'improved_water', **DESIGN)\n"
        "answer_q1 = water.estimate"
    ),
)

q2 = Exercise(
    name="q2",
    prompt="How many times larger is the design-based standard error of that estimate than the standard "
           "error that uses the weights but ignores strata and clusters? Give the ratio.",
    expected=_se_ratio,
    compare=NumberCheck(rel_tol=0.01),
    hints=[
        "Estimate a second time with only `weight='weight'` (no `strata`, no `psu`), then divide the two `.se`.",
        "`water.se / sampling.estimate_proportion(survey, 'improved_water', 'weight').se`",
    ],
    solution=(
        "naive = sampling.estimate_proportion(survey, 'improved_water', 'weight')\n"
        "answer_q2 = water.se / naive.se"
    ),
    explanation="Households in one enumeration area share their water source, so 15 households of one EA "
                "tell you little more than one: the cluster design makes the SE several times larger. The "
                "square of this ratio is close to the design effect.",
)

q3 = Exercise(
    name="q3",
    prompt="Which language group has the lowest estimated share with an improved water source? Give its name.",
    expected=_lowest_group,
    compare=TextCheck(),
    hints=[
        "Add `by='language_group'` to the estimate and look at `.to_frame()`.",
        "`table.loc[table['estimate'].idxmin(), 'language_group']`",
    ],
    solution=(
        "table = sampling.estimate_proportion(survey, 'improved_water', **DESIGN, by='language_group').to_frame()\n"
        "answer_q3 = table.loc[table['estimate'].idxmin(), 'language_group']"
    ),
)

q4 = Exercise(
    name="q4",
    prompt="School attendance of children with a disability: is the estimate from this survey publishable "
           "under the course's example rule (CV at most 30% and at least 30 respondents)? True or False.",
    expected=False,
    compare=BoolCheck(),
    hints=[
        "Look at the row `disability == True` of the in-school table: its `cv` and its `n`.",
        "The CV is just under 30%, but how many children with a disability aged 6-17 were interviewed?",
    ],
    solution=(
        "row = school.set_index('disability').loc[True]\n"
        "answer_q4 = bool(row['cv'] <= 0.30 and row['n'] >= 30)"
    ),
    explanation="About a dozen children stand behind that number: the interval runs over some 50 points. "
                "The question matters; this sample is too small to answer it.",
)

q5 = Exercise(
    name="q5",
    prompt="In the district x language group table of improved water, how many cells must be suppressed "
           "under the course's example rule? Give a whole number.",
    expected=_n_suppressed,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.0),
    hints=[
        "`connect.fill_gap(survey, 'improved_water', ['district_code', 'language_group'], **DESIGN)` flags each cell.",
        "`gap.counts['suppress']`, or `(gap.table['publishable'] == 'suppress').sum()`.",
    ],
    solution=(
        "gap = connect.fill_gap(survey, 'improved_water', ['district_code', 'language_group'], **DESIGN)\n"
        "answer_q5 = gap.counts['suppress']"
    ),
)

q6 = Exercise(
    name="q6",
    prompt="For how many of the 12 districts does the 95% confidence interval of the improved-water share "
           "contain the true value from `population`?",
    expected=_n_covering,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.0),
    hints=[
        "Put the true share per district beside the estimates (`population.groupby('district_code', "
        "observed=True)['improved_water'].mean()`), then test `ci_low <= truth <= ci_high`.",
        "`((districts['ci_low'] <= districts['truth']) & (districts['truth'] <= districts['ci_high'])).sum()`",
    ],
    solution=(
        "inside = (districts['ci_low'] <= districts['truth']) & (districts['truth'] <= districts['ci_high'])\n"
        "answer_q6 = int(inside.sum())"
    ),
    explanation="A 95% interval misses the truth about once in 20 times; with 12 districts, all 12 or 11 "
                "covering is what to expect.",
)
