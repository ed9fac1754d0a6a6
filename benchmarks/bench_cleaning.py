"""Benchmarks of cdcourse.cleaning.

- validation of 1M rows x 20 rules of every kind (target under 3 s), reporting every failure;
- near-duplicate detection on 100k crowd reports, blocked by category, sorted by time, filtered by
  distance and text (target under 10 s, memory bounded: it never builds the cross product);
- near-duplicate map points on 100k points with the spatial grid;
- two value steps on 1M raw rows: dates in four formats, and label standardisation.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

ROWS = 1_000_000
REPORTS = 100_000


def survey_frame(rows: int = ROWS, seed: int = 11) -> pd.DataFrame:
    """A typed survey-like table with a few per cent of every kind of problem."""
    rng = np.random.default_rng(seed)
    hh = np.arange(rows) // 4
    age = rng.integers(0, 95, rows).astype("float64")
    age[rng.random(rows) < 0.002] = 150
    age[rng.random(rows) < 0.01] = np.nan
    rel = np.where(np.arange(rows) % 4 == 0, "head", rng.choice(["spouse", "child", "other relative"], rows))
    sex = rng.choice(["female", "male", "F", "1"], rows, p=[0.48, 0.48, 0.02, 0.02])
    start = pd.Timestamp("2024-03-01") + pd.to_timedelta(rng.integers(0, 40 * 24 * 60, rows), unit="m")
    minutes = rng.normal(45, 12, rows)
    frame = pd.DataFrame({
        "submission_id": pd.Series(np.char.add("uuid:", hh.astype(str)), dtype="str"),
        "household_id": pd.Series(np.char.add("H", hh.astype(str)), dtype="str"),
        "line_no": (np.arange(rows) % 4 + 1).astype("int64"),
        "enumerator": pd.Series(np.char.add("ENUM", rng.integers(10, 40, rows).astype(str)), dtype="str"),
        "district": pd.Series(rng.choice(["Marelo", "Tovessi", "Quilbara", "marelo "], rows), dtype="str"),
        "consent": pd.Series(rng.choice(["yes", "no", "Y"], rows, p=[0.96, 0.02, 0.02]), dtype="str"),
        "age": age,
        "sex": pd.Series(sex, dtype="str"),
        "relationship": pd.Series(rel, dtype="str"),
        "wg_seeing": rng.choice([1, 2, 3, 4, 8, 9], rows, p=[0.7, 0.2, 0.05, 0.03, 0.01, 0.01]).astype("int64"),
        "wg_walking": rng.choice([1, 2, 3, 4, 9], rows, p=[0.7, 0.2, 0.05, 0.04, 0.01]).astype("int64"),
        "education": pd.Series(rng.choice(["none", "primary", "secondary", "tertiary", None], rows), dtype="str"),
        "water_minutes": rng.gamma(2.0, 10.0, rows),
        "monthly_income": rng.lognormal(8, 1, rows),
        "phone": pd.Series(rng.choice(["0712 345 678", "+999 712 345 678", "12345"], rows), dtype="str"),
        "start": start,
        "end": start + pd.to_timedelta(minutes, unit="m"),
        "lat": rng.uniform(-4, -1, rows),
        "lon": rng.uniform(30, 33, rows),
    })
    return frame


def rules():
    from cdcourse.cleaning import Rule

    return [
        Rule.required("submission_id"),
        Rule.required("age"),
        Rule.required("sex"),
        Rule.range("age", 0, 110),
        Rule.range("water_minutes", 0, 600),
        Rule.range("monthly_income", 0, 1e7),
        Rule.range("lat", -4.0, -1.0),
        Rule.allowed("sex", ["female", "male"]),
        Rule.allowed("consent", ["yes", "no"]),
        Rule.allowed("relationship", ["head", "spouse", "child", "other relative", "non-relative"]),
        Rule.allowed("wg_seeing", [1, 2, 3, 4]),
        Rule.allowed("district", ["Marelo", "Tovessi", "Quilbara"]),
        Rule.pattern("enumerator", r"ENUM\d{2}"),
        Rule.pattern("phone", r"(\+999 |0)7\d{2} \d{3} \d{3}"),
        Rule.length("household_id", 2, 12),
        Rule.unique(["household_id", "line_no"]),
        Rule.unique("submission_id", name="one row per submission"),
        Rule.check("age >= 15 or relationship != 'head'", name="head 15+"),
        Rule.check("end > start", name="ends after start"),
        Rule.check("wg_walking <= 2", when="age < 5", name="young children walk"),
    ]


def setup_validation():
    return survey_frame(), rules()


def run_validation(state):
    from cdcourse.cleaning import validate

    data, rule_list = state
    report = validate(data, rule_list)
    report.summary()
    assert report.n_failures > 0


def crowd_reports(n: int = REPORTS, seed: int = 5) -> pd.DataFrame:
    """100k reports over a year; a quarter repeat an earlier incident within hours, nearby, reworded."""
    rng = np.random.default_rng(seed)
    base = int(n * 0.75)
    cats = np.array(["water outage", "flooding", "harassment", "power cut", "road damage", "waste"])
    places = np.array(["market", "school", "clinic", "bus stand", "church", "junction", "river crossing", "tap"])
    t0 = pd.Timestamp("2024-01-01")
    inc_time = t0 + pd.to_timedelta(rng.uniform(0, 365 * 24 * 60, base), unit="m")
    inc_lat, inc_lon = rng.uniform(-4, -1, base), rng.uniform(30, 33, base)
    inc_cat, inc_place = rng.integers(0, 6, base), rng.integers(0, len(places), base)
    src = np.concatenate([np.arange(base), rng.integers(0, base, n - base)])
    repeat = np.arange(n) >= base
    delay = np.where(repeat, rng.uniform(10, 36 * 60, n), 0.0)
    jitter = np.where(repeat, 1, 0) * rng.normal(0, 0.003, (2, n))
    words = np.array(["since yesterday", "again", "please help", "since last week", "still not fixed", "today"])
    text = [f"{cats[inc_cat[s]]} near the {places[inc_place[s]]} {words[i % len(words)]}" for i, s in enumerate(src)]
    return pd.DataFrame({
        "report_id": [f"R{i:06d}" for i in range(n)],
        "received_at": inc_time[src] + pd.to_timedelta(delay, unit="m"),
        "category": pd.Categorical(cats[inc_cat[src]]),
        "lat": inc_lat[src] + jitter[0],
        "lon": inc_lon[src] + jitter[1],
        "text": text,
    })


def setup_reports():
    return crowd_reports()


def run_reports(reports):
    from cdcourse.cleaning import find_near_duplicates

    nd = find_near_duplicates(reports, block="category", time="received_at", within="2D",
                              lat="lat", lon="lon", max_metres=1500, text="text", min_similarity=0.3)
    assert nd.duplicate.sum() > 0


def setup_points():
    rng = np.random.default_rng(2)
    n = REPORTS
    base = int(n * 0.7)
    src = np.concatenate([np.arange(base), rng.integers(0, base, n - base)])
    lat, lon = rng.uniform(-4, -1, base), rng.uniform(30, 33, base)
    kind = rng.integers(0, 9, base)
    return pd.DataFrame({"subtype": kind[src], "lat": lat[src] + rng.normal(0, 8e-5, n),
                         "lon": lon[src] + rng.normal(0, 8e-5, n)})


def run_points(points):
    from cdcourse.cleaning import find_near_duplicates

    find_near_duplicates(points, block="subtype", lat="lat", lon="lon", max_metres=30)


def setup_dates():
    rng = np.random.default_rng(3)
    days = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 366, ROWS), unit="D")
    fmts = ["%Y-%m-%d", "%d/%m/%Y", "%B %d, %Y", "%d-%b-%y"]
    which = rng.choice(4, ROWS, p=[0.55, 0.2, 0.15, 0.1])
    text = np.empty(ROWS, dtype=object)
    for i, f in enumerate(fmts):
        text[which == i] = days[which == i].strftime(f)
    return pd.DataFrame({"interview_date": pd.Series(text, dtype="str")})


def run_dates(frame):
    from cdcourse.cleaning import parse_dates

    parse_dates(frame, "interview_date", ["%Y-%m-%d", "%d/%m/%Y", "%B %d, %Y", "%d-%b-%y"])


def setup_labels():
    return survey_frame()[["sex", "district"]]


def run_labels(frame):
    from cdcourse.cleaning import standardise_labels

    standardise_labels(frame, "sex", {"female": "female", "f": "female", "male": "male", "1": "male"})
    standardise_labels(frame, "district", ["Marelo", "Tovessi", "Quilbara"], suggest=True)


WORKLOADS = [
    {"name": "cleaning.validate 1M rows x 20 rules", "setup": setup_validation, "run": run_validation,
     "rows": ROWS, "repeat": 3},
    {"name": "cleaning.find_near_duplicates 100k crowd reports (time, place, text)", "setup": setup_reports,
     "run": run_reports, "rows": REPORTS, "repeat": 3},
    {"name": "cleaning.find_near_duplicates 100k map points (grid, 30 m)", "setup": setup_points,
     "run": run_points, "rows": REPORTS, "repeat": 3},
    {"name": "cleaning.parse_dates 1M rows, 4 formats", "setup": setup_dates, "run": run_dates, "rows": ROWS,
     "repeat": 3},
    {"name": "cleaning.standardise_labels 1M rows x 2 columns", "setup": setup_labels, "run": run_labels,
     "rows": ROWS, "repeat": 3},
]
