"""The community survey: a two-stage stratified cluster sample of the population.

Stage 1: in each district (stratum) a fixed number of EAs by systematic PPS, size = households.
Stage 2: a fixed take of households by simple random sampling without replacement in each EA.
Every member of a selected household is listed. The inclusion probabilities are exact, so
Horvitz-Thompson weights estimate population totals without bias (Lohr, *Sampling: Design and
Analysis*, ch. 6; the household weights of a stratum add up to its frame household count).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from cdcourse.datasets import _fields as F
from cdcourse.datasets import _geo
from cdcourse.datasets._common import component_rng, invented_names, invented_phones

EAS_PER_STRATUM = 6
TAKE = 15
FIELD_START = date(2024, 3, 4)
FIELD_DAYS = 40
FAST_ENUMERATOR = "ENUM07"
# Field teams: each district has its own enumerator, busy districts get extra hands.
TEAMS = {code: [f"ENUM{i + 1:02d}"] for i, code in enumerate(_geo.DISTRICTS)}
TEAMS["D08"] += ["ENUM13", "ENUM14"]
TEAMS["D07"] += ["ENUM15"]
TEAMS["D04"] += ["ENUM16"]


def systematic_pps(sizes: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Systematic PPS selection of ``n`` units; returns (selected indices, inclusion probabilities).

    Units so large that n * size / total >= 1 are taken with certainty (probability 1) and the
    rest of the sample is drawn from the others, repeating until no unit exceeds 1. The
    probability of every other unit is exactly n_rest * size / total_rest.
    """
    sizes = np.asarray(sizes, dtype=float)
    n = min(int(n), len(sizes))
    certain = np.zeros(len(sizes), dtype=bool)
    while True:
        rest = ~certain
        n_rest = n - int(certain.sum())
        total = sizes[rest].sum()
        prob = np.where(rest, n_rest * sizes / total if n_rest > 0 else 0.0, 1.0)
        newly = rest & (prob >= 1.0)
        if not newly.any() or n_rest <= 0:
            break
        certain |= newly
    chosen = list(np.flatnonzero(certain))
    if n_rest > 0:
        idx = np.flatnonzero(~certain)
        cum = np.cumsum(sizes[idx])
        step = total / n_rest
        points = rng.uniform(0, step) + step * np.arange(n_rest)
        chosen += list(idx[np.searchsorted(cum, points, side="right")])
    return np.sort(np.array(chosen, dtype=int)), prob


def _submission_ids(n: int, rng: np.random.Generator) -> np.ndarray:
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    return np.array(["uuid:" + str(uuid.UUID(bytes=bytes(r), version=4)) for r in raw], dtype=object)


def _design(pop: pd.DataFrame, eas: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per selected household with its design variables and fieldwork."""
    hh = pop.loc[pop["relationship"] == "head", ["household_id", "ea_id", "household_size",
                                                  "language_group"]].reset_index(drop=True)
    hh_by_ea = {ea: g["household_id"].to_numpy() for ea, g in hh.groupby("ea_id", sort=False)}
    lang = dict(zip(hh["household_id"], hh["language_group"].astype(str)))
    size = dict(zip(hh["household_id"], hh["household_size"]))
    rows = []
    for code in _geo.DISTRICTS:
        stratum = eas[eas["district_code"] == code].reset_index(drop=True)
        sizes = stratum["households"].to_numpy()
        chosen, prob = systematic_pps(sizes, EAS_PER_STRATUM, rng)
        team = TEAMS[code]
        visit = np.sort(rng.choice(FIELD_DAYS - 1, size=len(chosen), replace=False))
        for k, i in enumerate(chosen):
            ea = stratum.loc[i]
            members = hh_by_ea[ea["ea_id"]]
            take = min(TAKE, len(members))
            picked = np.sort(rng.choice(len(members), size=take, replace=False))
            for j, hpos in enumerate(picked):
                rows.append({
                    "household_id": members[hpos], "ea_id": ea["ea_id"], "district_code": code,
                    "urban": bool(ea["urban"]), "informal": bool(ea["informal"]),
                    "prob_ea": float(prob[i]), "prob_hh": take / len(members),
                    "n_ea_stratum": len(stratum), "households_ea": int(ea["households"]),
                    "enumerator_id": team[int(rng.integers(0, len(team)))],
                    "day": int(visit[k]) + (1 if j >= (take + 1) // 2 else 0),
                })
    d = pd.DataFrame(rows)
    # One enumerator per EA (the first drawn for it), as teams split EAs, not households.
    d["enumerator_id"] = d.groupby("ea_id")["enumerator_id"].transform("first")
    d["household_size"] = d["household_id"].map(size)
    d["language_group"] = d["household_id"].map(lang)
    n = len(d)
    d["inclusion_prob"] = d["prob_ea"] * d["prob_hh"]
    d["design_weight"] = 1.0 / d["inclusion_prob"]
    p_refuse = 0.05 + 0.05 * d["urban"] + 0.05 * d["informal"]
    d["responded"] = rng.random(n) >= p_refuse
    # Never lose a whole stratum (possible only in tiny worlds).
    for code, g in d.groupby("district_code"):
        if not g["responded"].any():
            d.loc[g.index[0], "responded"] = True
    frame_hh = eas.groupby("district_code")["households"].sum()
    resp_dw = d[d["responded"]].groupby("district_code")["design_weight"].sum()
    d["weight"] = d["design_weight"] * d["district_code"].map(frame_hh / resp_dw)
    # Fieldwork times.
    days = np.array([FIELD_START + timedelta(days=int(x)) for x in d["day"]])
    sunday = np.array([x.weekday() == 6 for x in days])
    days[sunday] = [x + timedelta(days=1) for x in days[sunday]]
    d["interview_date"] = days
    start_sec = (8 * 3600 + rng.integers(0, int(8.5 * 3600), n)).astype(int)
    fast = d["enumerator_id"].to_numpy() == FAST_ENUMERATOR
    minutes = np.where(fast, rng.uniform(2.5, 6.5, n),
                       np.maximum(12 + 6.5 * d["household_size"] + rng.normal(0, 6, n), 8))
    minutes = np.where(d["responded"], minutes, rng.uniform(1, 4, n))
    dur_sec = np.round(minutes * 60).astype(int)
    midnight = pd.to_datetime(pd.Series(d["interview_date"]).astype(str))
    d["start_time"] = midnight + pd.to_timedelta(start_sec, unit="s")
    d["end_time"] = d["start_time"] + pd.to_timedelta(dur_sec, unit="s")
    d["duration_min"] = np.round(dur_sec / 60.0, 2)
    d["submitted"] = d["end_time"] + pd.to_timedelta(rng.integers(20 * 60, 30 * 3600, n), unit="s")
    d["submission_id"] = _submission_ids(n, rng)
    d["respondent_name"] = invented_names(d["language_group"].to_numpy(), rng)
    d["respondent_phone"] = invented_phones(n, rng)
    d["interview_date"] = pd.to_datetime(d["interview_date"])
    return d


def generate_survey(pop: pd.DataFrame, eas: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(community_survey, community_survey_raw, problem_log rows) from the population."""
    rng = component_rng(seed, "survey")
    design = _design(pop, eas, rng)
    resp = design[design["responded"]]
    persons = pop[pop["household_id"].isin(resp["household_id"])].copy()
    persons["line_no"] = persons.groupby("household_id").cumcount() + 1
    hh_cols = ["household_id", "submission_id", "prob_ea", "prob_hh", "inclusion_prob", "design_weight",
               "weight", "n_ea_stratum", "households_ea", "enumerator_id", "interview_date", "start_time",
               "end_time", "duration_min"]
    survey = persons.merge(resp[hh_cols], on="household_id", how="left")
    survey["stratum"] = survey["district_code"]
    survey["psu"] = survey["ea_id"].astype(str)
    survey["consent"] = pd.Categorical(["yes"] * len(survey), categories=["yes"])
    survey = survey.sort_values(["district_code", "ea_id", "household_id", "line_no"], kind="stable")
    survey = survey[F.COMMUNITY_SURVEY.columns].reset_index(drop=True)

    from cdcourse.datasets._raw import make_raw

    raw, log = make_raw(pop, design, rng)
    return survey, raw, log
