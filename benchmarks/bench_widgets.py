"""Widget workloads: one control change of the dataset explorer on a 50,000-row survey.

Target (issue 3): the response to one control change, compute + render (table HTML and the chart
drawn to a PNG, as the learner sees it), under 100 ms on 50,000 rows. The data are generated here
with the survey's column names and types, so the figures do not depend on ``datasets/``.

A run flips one control between two values (water_source <-> education, or district <->
language group), so every timed run is a real change; runs alternate between the two states and
the state after two runs is the one it started from.
"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from cdcourse.widgets.explorer import DatasetExplorer, weighted_table  # noqa: E402

ROWS = 50_000
WATER = ["piped into dwelling", "public tap", "protected well", "unprotected well", "surface water"]
EDUCATION = ["none", "primary", "secondary", "tertiary"]


def survey_like(n: int = ROWS, seed: int = 2024) -> pd.DataFrame:
    """A survey-shaped frame: 12 districts, categorical and numeric variables, a weight column."""
    rng = np.random.default_rng(seed)
    districts = [f"D{i:02d}" for i in range(1, 13)]
    age = rng.integers(0, 100, n)
    education = pd.Categorical(rng.choice(EDUCATION, n, p=[0.2, 0.4, 0.3, 0.1]), categories=EDUCATION)
    education[age < 15] = np.nan
    return pd.DataFrame({
        "person_id": [f"P{i:07d}" for i in range(n)],
        "district_code": pd.Categorical(rng.choice(districts, n), categories=districts),
        "urban_rural": pd.Categorical(rng.choice(["urban", "rural"], n, p=[0.4, 0.6])),
        "settlement": pd.Categorical(rng.choice(["formal", "informal"], n, p=[0.95, 0.05])),
        "sex": pd.Categorical(rng.choice(["female", "male"], n)),
        "age": age,
        "language_group": pd.Categorical(rng.choice(["Amari", "Bensi", "Saro"], n, p=[0.7, 0.2, 0.1])),
        "education": education,
        "water_source": pd.Categorical(rng.choice(WATER, n), categories=WATER),
        "improved_water": pd.array(rng.random(n) < 0.6, dtype="boolean"),
        "water_minutes": rng.gamma(2.0, 12.0, n),
        "monthly_income": rng.lognormal(5.5, 0.8, n),
        "disability": pd.array(rng.random(n) < 0.08, dtype="boolean"),
        "weight": rng.uniform(20.0, 80.0, n),
    })


def _explorer(chart: bool) -> DatasetExplorer:
    ex = DatasetExplorer({"community_survey": survey_like()}, variable="water_source", by="district_code",
                         chart=chart)
    ex._toggle = ["water_source", "education"]  # alternate, so every run is a real change
    return ex


def _change_variable(ex: DatasetExplorer) -> None:
    ex._toggle.reverse()
    ex.set(variable=ex._toggle[0])


def _explorer_numeric(chart: bool) -> DatasetExplorer:
    ex = DatasetExplorer({"community_survey": survey_like()}, variable="water_minutes", by="district_code",
                         chart=chart)
    ex._toggle = ["district_code", "language_group"]
    return ex


def _change_group(ex: DatasetExplorer) -> None:
    ex._toggle.reverse()
    ex.set(by=ex._toggle[0])


WORKLOADS = [
    {"name": "widgets.DatasetExplorer change variable (shares by district, table + chart) 50k rows",
     "rows": ROWS, "setup": lambda: _explorer(chart=True), "run": _change_variable},
    {"name": "widgets.DatasetExplorer change disaggregation (means, table + chart) 50k rows",
     "rows": ROWS, "setup": lambda: _explorer_numeric(chart=True), "run": _change_group},
    {"name": "widgets.DatasetExplorer change variable (table only) 50k rows",
     "rows": ROWS, "setup": lambda: _explorer(chart=False), "run": _change_variable},
    {"name": "widgets.weighted_table shares by district 1M rows",
     "rows": 1_000_000, "setup": lambda: survey_like(1_000_000),
     "run": lambda df: weighted_table(df, "water_source", by="district_code", weight="weight")},
]
