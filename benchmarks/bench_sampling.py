"""Sampling workloads: design-based estimation, raking and selection on one million records.

The survey is synthetic and built once in ``setup``: 1,000,000 records in 50 strata and 2,000 PSUs
(40 per stratum, about 500 records each), stored grouped by PSU as survey files are, with the design
columns as strings (as ``pandas.read_csv`` returns them), positive weights, a skewed numeric variable,
a 0/1 indicator and a 20-level domain column.

Targets (issue 4): a mean with its Taylor SE under 0.2 s; the same for 20 domains under 1 s.
For comparison, samplics needs about 2 s for one stratified, clustered mean on 1M rows.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdcourse import sampling

ROWS = 1_000_000
STRATA = 50
PSUS = 2_000


def _survey() -> pd.DataFrame:
    rng = np.random.default_rng(2024)
    psu = np.sort(rng.integers(0, PSUS, ROWS))
    cluster_effect = rng.normal(0, 4, PSUS)
    return pd.DataFrame({
        "stratum": pd.array([f"S{p // (PSUS // STRATA):02d}" for p in psu], dtype="str"),
        "psu": pd.array([f"EA{p:05d}" for p in psu], dtype="str"),
        "weight": rng.uniform(20, 120, ROWS),
        "minutes": rng.gamma(2.0, 8.0, ROWS) + cluster_effect[psu].clip(-5, None) + 5,
        "improved": rng.random(ROWS) < 0.6,
        "district": pd.array([f"D{k:02d}" for k in rng.integers(0, 20, ROWS)], dtype="str"),
        "sex": rng.choice(["female", "male"], ROWS),
        "age_group": rng.choice(["0-14", "15-24", "25-49", "50-64", "65+"], ROWS),
        "language": rng.choice(["Amari", "Bensi", "Saro"], ROWS, p=[0.7, 0.2, 0.1]),
    })


def _setup() -> dict:
    survey = _survey()
    shares = {
        "sex": {"female": 0.51, "male": 0.49},
        "age_group": {"0-14": 0.35, "15-24": 0.2, "25-49": 0.3, "50-64": 0.1, "65+": 0.05},
        "language": {"Amari": 0.68, "Bensi": 0.2, "Saro": 0.12},
        "district": {f"D{k:02d}": (1 + k % 3) / 40 for k in range(20)},
    }
    total = 60_000_000.0
    margins = {col: {k: v / sum(s.values()) * total for k, v in s.items()} for col, s in shares.items()}
    return {"survey": survey, "margins": margins}


def _mean(state: dict) -> None:
    sampling.estimate_mean(state["survey"], "minutes", "weight", strata="stratum", psu="psu")


def _mean_domains(state: dict) -> None:
    sampling.estimate_mean(state["survey"], "minutes", "weight", strata="stratum", psu="psu", by="district")


def _proportion_domains(state: dict) -> None:
    sampling.estimate_proportion(state["survey"], "improved", "weight", strata="stratum", psu="psu", by="district")


def _rake(state: dict) -> None:
    sampling.rake(state["survey"], "weight", state["margins"])


def _stratified(state: dict) -> None:
    sampling.stratified_sample(state["survey"], "stratum", 10_000, seed=1)


def _two_stage(state: dict) -> None:
    sampling.two_stage_sample(state["survey"], "psu", 6, 20, strata="stratum", seed=1)


WORKLOADS = [
    {"name": "sampling: mean + Taylor SE, 1M rows, 50 strata, 2000 PSUs", "setup": _setup, "run": _mean,
     "rows": ROWS},
    {"name": "sampling: mean + SE for 20 domains, 1M rows", "setup": _setup, "run": _mean_domains, "rows": ROWS},
    {"name": "sampling: proportion + SE for 20 domains, 1M rows", "setup": _setup, "run": _proportion_domains,
     "rows": ROWS},
    {"name": "sampling: raking to 4 margins, 1M rows", "setup": _setup, "run": _rake, "rows": ROWS},
    {"name": "sampling: stratified sample of 10,000 from 1M", "setup": _setup, "run": _stratified, "rows": ROWS},
    {"name": "sampling: two-stage PPS sample from 1M (300 PSUs)", "setup": _setup, "run": _two_stage,
     "rows": ROWS},
]
