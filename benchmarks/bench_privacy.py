"""Privacy workloads: the measures on 1M records with ~90,000 equivalence classes, suppression on 100k.

Targets (issue 6): the whole ``risk_report`` on 1M rows under 2 s; local suppression to k = 3 on
100k rows. The data are generated here (not from ``datasets/``) so the class count is fixed: age
0-89 x sex x 500 areas = 90,000 possible keys, nearly all occupied by 1M records.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdcourse import privacy

QIS = ["age", "sex", "area"]
EDUCATION = ["none", "primary", "secondary", "tertiary"]


def _microdata(n: int, seed: int = 2024, n_areas: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.integers(0, 90, n),
        "sex": pd.Categorical(rng.choice(["female", "male"], n)),
        "area": pd.Categorical(np.char.add("A", rng.integers(0, n_areas, n).astype(str))),
        "language_group": pd.Categorical(rng.choice(["Amari", "Bensi", "Saro"], n, p=[0.7, 0.2, 0.1])),
        "disability": rng.random(n) < 0.08,
        "education": pd.Categorical(rng.choice(EDUCATION, n, p=[0.2, 0.4, 0.3, 0.1]), categories=EDUCATION,
                                    ordered=True),
        "weight": rng.uniform(5.0, 60.0, n),
    })


def _setup_1m() -> pd.DataFrame:
    return _microdata(1_000_000)


def _setup_1m_missing() -> pd.DataFrame:
    df = _microdata(1_000_000)
    rng = np.random.default_rng(7)
    # A few missing ages (0.1%), the common case the wildcard rule is tuned for.
    df["age"] = df["age"].astype("Int64").mask(pd.Series(rng.random(len(df)) < 0.001, index=df.index))
    return df


def _setup_100k() -> pd.DataFrame:
    # Five quasi-identifiers on 100k rows: about 10% of records start in classes below k = 3.
    df = _microdata(100_000, n_areas=12)
    return df


WORKLOADS = [
    {"name": "privacy.k_anonymity 1M rows, 90k classes", "rows": 1_000_000, "setup": _setup_1m,
     "run": lambda df: privacy.k_anonymity(df, QIS)},
    {"name": "privacy.l_diversity (distinct) 1M rows", "rows": 1_000_000, "setup": _setup_1m,
     "run": lambda df: privacy.l_diversity(df, QIS, "education")},
    {"name": "privacy.l_diversity (recursive) 1M rows", "rows": 1_000_000, "setup": _setup_1m,
     "run": lambda df: privacy.l_diversity(df, QIS, "education", kind="recursive")},
    {"name": "privacy.t_closeness (ordered EMD) 1M rows", "rows": 1_000_000, "setup": _setup_1m,
     "run": lambda df: privacy.t_closeness(df, QIS, "education")},
    {"name": "privacy.individual_risk (weighted) 1M rows", "rows": 1_000_000, "setup": _setup_1m,
     "run": lambda df: privacy.individual_risk(df, QIS, weight="weight")},
    {"name": "privacy.risk_report 1M rows (target < 2 s)", "rows": 1_000_000, "setup": _setup_1m,
     "run": lambda df: privacy.risk_report(df, QIS, sensitive="education", weight="weight")},
    {"name": "privacy.risk_report 1M rows, 0.1% missing, wildcard", "rows": 1_000_000, "setup": _setup_1m_missing,
     "run": lambda df: privacy.risk_report(df, QIS, sensitive="education", weight="weight", missing="wildcard")},
    {"name": "privacy.suppress_to_k k=3, 100k rows, 5 QIs", "rows": 100_000, "setup": _setup_100k,
     "run": lambda df: privacy.suppress_to_k(df, ["age", "sex", "area", "language_group", "disability"], k=3)},
    {"name": "privacy.suppress_to_k k=3 wildcard, 100k rows", "rows": 100_000, "setup": _setup_100k,
     "run": lambda df: privacy.suppress_to_k(df, ["age", "sex", "area", "language_group", "disability"], k=3,
                                             missing="wildcard")},
]


if __name__ == "__main__":  # quick manual run: python benchmarks/bench_privacy.py
    import time

    for w in WORKLOADS:
        state = w["setup"]()
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            w["run"](state)
            times.append(time.perf_counter() - t0)
        print(f"{w['name']:<60} median {sorted(times)[1]:.3f} s")
