"""Benchmark: the full quality profile (every measure) of 1M rows x 20 columns; target under 3 s.

The table mixes the column kinds a survey export has: a unique text id, a household id, low-
cardinality text, integers, floats, booleans and dates, with about 2 % missing cells. The profile
checks a Table Schema on every column (types, enum, minimum/maximum, pattern, required), two
record rules, uniqueness on a two-column key, two cross-field rules, timeliness and accuracy by
district against a benchmark, then scores the reuse matrix.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

ROWS = 1_000_000


def make_frame(rows: int = ROWS, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    districts = np.array([f"D{i:02d}" for i in range(1, 13)])
    frame = pd.DataFrame({
        "person_id": pd.Series([f"P{i:07d}" for i in range(rows)], dtype="str"),
        "household_id": pd.Series(np.char.add("H", (np.arange(rows) // 4).astype(str)), dtype="str"),
        "line_no": (np.arange(rows) % 4 + 1).astype("int64"),
        "district_code": pd.Series(districts[rng.integers(0, 12, rows)], dtype="str"),
        "urban_rural": pd.Categorical(rng.choice(["urban", "rural"], rows)),
        "sex": pd.Series(rng.choice(["female", "male", "F"], rows, p=[0.495, 0.495, 0.01]), dtype="str"),
        "age": rng.integers(-1, 101, rows).astype("float64"),
        "household_size": rng.integers(1, 12, rows).astype("int64"),
        "education": pd.Series(rng.choice(["none", "primary", "secondary", "tertiary"], rows), dtype="str"),
        "water_source": pd.Categorical(rng.choice(["piped into dwelling", "public tap", "protected well",
                                                   "unprotected well", "surface water"], rows)),
        "improved_water": pd.array(rng.random(rows) < 0.6, dtype="boolean"),
        "water_minutes": rng.gamma(2.0, 10.0, rows),
        "monthly_income": rng.lognormal(5.0, 1.0, rows),
        "wg_seeing": rng.integers(1, 5, rows).astype("float64"),
        "wg_walking": rng.integers(1, 5, rows).astype("float64"),
        "disability": pd.array(rng.random(rows) < 0.1, dtype="boolean"),
        "interview_date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 500, rows), unit="D"),
        "duration_min": rng.normal(35, 10, rows),
        "enumerator_id": pd.Series(np.char.add("ENUM", rng.integers(1, 40, rows).astype(str)), dtype="str"),
        "weight": rng.uniform(50, 150, rows),
    })
    # about 2 % missing cells in ten columns
    for col in ["age", "education", "water_minutes", "monthly_income", "wg_seeing", "wg_walking",
                "duration_min", "sex", "improved_water", "interview_date"]:
        frame.loc[rng.random(rows) < 0.02, col] = None
    return frame


SCHEMA = {
    "primaryKey": ["household_id", "line_no"],
    "fields": [
        {"name": "person_id", "type": "string", "constraints": {"required": True, "pattern": "P[0-9]{7}", "unique": True}},
        {"name": "household_id", "type": "string", "constraints": {"required": True}},
        {"name": "line_no", "type": "integer", "constraints": {"minimum": 1}},
        {"name": "district_code", "type": "string", "constraints": {"pattern": "D[0-9]{2}"}},
        {"name": "urban_rural", "type": "string", "constraints": {"enum": ["urban", "rural"]}},
        {"name": "sex", "type": "string", "constraints": {"enum": ["female", "male"]}},
        {"name": "age", "type": "integer", "constraints": {"minimum": 0, "maximum": 99}},
        {"name": "household_size", "type": "integer", "constraints": {"minimum": 1}},
        {"name": "education", "type": "string", "constraints": {"enum": ["none", "primary", "secondary", "tertiary"]}},
        {"name": "water_source", "type": "string", "constraints": {"enum": [
            "piped into dwelling", "public tap", "protected well", "unprotected well", "surface water"]}},
        {"name": "improved_water", "type": "boolean"},
        {"name": "water_minutes", "type": "number", "constraints": {"minimum": 0}},
        {"name": "monthly_income", "type": "number", "constraints": {"minimum": 0}},
        {"name": "wg_seeing", "type": "integer", "constraints": {"enum": [1, 2, 3, 4]}},
        {"name": "wg_walking", "type": "integer", "constraints": {"enum": [1, 2, 3, 4]}},
        {"name": "disability", "type": "boolean"},
        {"name": "interview_date", "type": "date", "constraints": {"minimum": "2024-01-01"}},
        {"name": "duration_min", "type": "number", "constraints": {"minimum": 5}},
        {"name": "enumerator_id", "type": "string", "constraints": {"pattern": "ENUM[0-9]+"}},
        {"name": "weight", "type": "number", "constraints": {"minimum": 0}},
    ],
}


def setup():
    from cdcourse import quality

    frame = make_frame()
    benchmark = quality.Benchmark("improved_water", {f"D{i:02d}": 60.0 for i in range(1, 13)}, weight="weight",
                                  by="district_code", scale=100, label="official statistics")
    return frame, benchmark


def run(state) -> None:
    from cdcourse import quality

    frame, benchmark = state
    profile = quality.profile(
        frame, dataset="bench", schema=SCHEMA,
        rules={"plausible duration": "duration_min <= 240", "size at least line": "household_size >= 1"},
        consistency_rules=[quality.Rule("no disability without difficulty", "disability == False",
                                        when="wg_seeing < 3 and wg_walking < 3"),
                           quality.Rule("piped water is improved", "improved_water == True",
                                        when="water_source == 'piped into dwelling'")],
        date_column="interview_date", reference_date="2025-06-30", window_days=365,
        benchmark=benchmark, applicable={"education": "age >= 15"},
    )
    quality.assess(profile, {c: 2 for c in quality.default_matrix().human_criteria})


WORKLOADS = [
    {"name": "quality: full profile + verdict, 1M rows x 20 columns", "setup": setup, "run": run, "rows": ROWS},
]


if __name__ == "__main__":  # quick manual timing: python benchmarks/bench_quality.py
    import time

    state = setup()
    for _ in range(3):
        t0 = time.perf_counter()
        run(state)
        print(f"{time.perf_counter() - t0:.2f} s")
