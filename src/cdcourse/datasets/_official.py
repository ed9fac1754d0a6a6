"""Official statistics: what the fictional National Statistics Office publishes, with its gaps.

The NSO's figures come from the population, but (on purpose, to teach what citizen data can add)
the capital's informal settlement is outside the census frame, about 40% of Saro speakers are not
counted, and nothing is broken down by disability.
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from cdcourse.datasets import _fields as F
from cdcourse.datasets._common import component_rng

SARO_COVERAGE = 0.6
MIN_BASE_PCT = 20  # percentages on fewer persons are not published
SOURCES = {
    "population": "Lumeria NSO, 2024 Population and Housing Census, table P1",
    "improved_water_pct": "Lumeria NSO, 2024 Population and Housing Census, table W3",
    "in_school_pct": "Lumeria NSO, 2024 Education Statistics, table E2 (ages 6-17)",
}


def _age_group(age: np.ndarray) -> pd.Categorical:
    codes = np.digitize(age, [15, 25, 50, 65])
    return pd.Categorical.from_codes(codes, categories=list(F.AGE_GROUPS[:-1]))


def generate_official(pop: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = component_rng(seed, "official")
    formal = pop["settlement"].to_numpy() == "formal"
    saro = pop["language_group"].to_numpy() == "Saro"
    counted = formal & ~(saro & (rng.random(len(pop)) >= SARO_COVERAGE))
    base = pd.DataFrame({
        "district_code": pop["district_code"].to_numpy()[counted],
        "sex": pop["sex"].astype(str).to_numpy()[counted],
        "age_group": _age_group(pop["age"].to_numpy()[counted]).astype(str),
        "language_group": pop["language_group"].astype(str).to_numpy()[counted],
        "improved": pop["improved_water"].to_numpy()[counted].astype(float),
        "school": pop["in_school"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)[counted],
    })
    dims = ["sex", "age_group", "language_group"]
    levels = {"sex": list(F.SEXES), "age_group": list(F.AGE_GROUPS[:-1]), "language_group": list(F.LANGUAGES)}
    tables = []
    for keep in itertools.product([True, False], repeat=3):
        by = ["district_code"] + [d for d, k in zip(dims, keep) if k]
        g = base.groupby(by, observed=True)
        t = pd.DataFrame({"population": g.size(), "water": g["improved"].mean() * 100,
                          "school": g["school"].mean() * 100, "school_n": g["school"].count()})
        if len(by) == 1:
            full = pd.Index(list(F.DISTRICT_CODES), name=by[0])
        else:
            full = pd.MultiIndex.from_product([list(F.DISTRICT_CODES)] + [levels[b] for b in by[1:]], names=by)
        t = t.reindex(full)
        t["population"] = t["population"].fillna(0)
        t = t.reset_index()
        for d, k in zip(dims, keep):
            if not k:
                t[d] = "total"
        tables.append(t)
    wide = pd.concat(tables, ignore_index=True)
    rows = []
    for ind, col, ok in (
        ("population", "population", np.ones(len(wide), dtype=bool)),
        ("improved_water_pct", "water", wide["population"].to_numpy() >= MIN_BASE_PCT),
        ("in_school_pct", "school", (wide["age_group"].to_numpy() == "total")
         & (wide["school_n"].fillna(0).to_numpy() >= MIN_BASE_PCT)),
    ):
        part = wide.loc[ok, ["district_code", *dims]].copy()
        part["indicator"] = ind
        part["value"] = np.round(wide.loc[ok, col].to_numpy(dtype=float), 1)
        rows.append(part)
    out = pd.concat(rows, ignore_index=True)
    names = {c: n for c, n in zip(F.DISTRICT_CODES, F.DISTRICT_NAMES)}
    out["district"] = out["district_code"].map(names)
    out["year"] = 2024
    out["source"] = out["indicator"].map(SOURCES)
    order = {"sex": ["female", "male", "total"], "age_group": list(F.AGE_GROUPS),
             "language_group": [*F.LANGUAGES, "total"],
             "indicator": ["population", "improved_water_pct", "in_school_pct"]}
    for col, cats in order.items():
        out[col] = pd.Categorical(out[col], categories=cats)
    out = out.sort_values(["district_code", "indicator", "sex", "age_group", "language_group"], kind="stable")
    out = out[F.OFFICIAL_STATISTICS.columns].reset_index(drop=True)

    # The gaps, logged so that lessons and graders can check a learner found them.
    log = []
    inf = pop[~formal].groupby("ea_id", observed=True).size()
    for ea, n in inf.items():
        log.append(("official_statistics", ea, "", "omitted_area", str(int(n)), "0",
                    "informal-settlement EA outside the census frame: its persons are in no figure"))
    true_saro = pop[formal & saro].groupby("district_code", observed=True).size()
    pub = out[(out["indicator"] == "population") & (out["language_group"] == "Saro")
              & (out["sex"] == "total") & (out["age_group"] == "total")].set_index("district_code")["value"]
    for code, n in true_saro.items():
        log.append(("official_statistics", str(code), "value", "undercount", str(int(n)),
                    repr(float(pub.get(code, 0.0))),
                    "Saro persons (formal areas, all ages) counted vs true; coverage about 60%"))
    log.append(("official_statistics", "all", "", "missing_breakdown", "", "",
                "no disability breakdown is published for any indicator"))
    log.append(("official_statistics", "all", "", "suppressed_cells", "", "",
                f"percentages on fewer than {MIN_BASE_PCT} persons are not published"))
    return out, pd.DataFrame(log, columns=F.PROBLEM_LOG.columns)
