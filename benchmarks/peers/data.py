"""The shared input of the peer comparison: generated once, written as .npy columns, read by both sides.

Both sides (``cdcourse`` in the project's ``.venv``, the peer libraries in ``.venv-peers``) read the SAME
files, so any difference in an answer comes from the code, not the data. The format is numpy's own
(``.npy`` per column plus ``meta.json``): exact for floats, no pyarrow needed, and loading it allocates
little more than the frame itself (so the peak memory of a run is not inflated by a parser).

This module imports only numpy and pandas: it runs in either environment.

Three data sets, each a function of ``rows`` and a seed:

``privacy``
    age 0-89 x sex x 500 areas (90,000 possible keys, all occupied at 1M rows, as in
    ``benchmarks/bench_privacy.py``) and an ordered sensitive attribute: education as its rank 0-3.
``survey``
    a stratified two-stage sample: 50 strata x 40 PSUs (2,000 PSUs; rows spread evenly), stored in
    PSU order as survey files are, with a weight that varies by PSU and record, an outcome with a PSU
    effect, and 20 domains (an age-sex-area group) crossing the PSUs.
``records``
    a survey export with the problems validation rules catch (bad patterns, out-of-range values,
    unknown labels, missing values, duplicate ids, 12-year-old household heads), for 20 rules.

Text columns with few distinct values are stored as codes + labels and rebuilt as object arrays that
share one string object per label (``memory_usage(deep=True)`` still counts one string per cell, as
after ``read_csv``); ids are real distinct strings.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

KINDS = ("privacy", "survey", "records")

EDUCATION = ["none", "primary", "secondary", "tertiary"]
N_STRATA = 50
PSU_PER_STRATUM = 40
N_DOMAINS = 20
DISTRICTS = [f"D{i:02d}" for i in range(1, 13)] + ["D7", "d08"]  # the last two break the pattern
SEXES = ["female", "male", "F"]
RELATIONSHIPS = ["head", "spouse", "child", "other"]
EDUCATION_LABELS = EDUCATION + ["primery"]
WATER = ["piped into dwelling", "public tap", "protected well", "unprotected well", "surface water", "tanker"]
URBAN_RURAL = ["urban", "rural", "Urban"]  # the last is not an allowed label


# --------------------------------------------------------------------------------------------------
# generation


def _labels(rng: np.random.Generator, labels: list[str], n: int, p: list[float] | None = None,
            missing: float = 0.0) -> dict:
    codes = rng.choice(len(labels), n, p=p).astype(np.int16)
    if missing:
        codes[rng.random(n) < missing] = -1
    return {"kind": "labels", "codes": codes, "labels": list(labels)}


def make_privacy(rows: int, seed: int = 2024, n_areas: int = 500) -> dict:
    rng = np.random.default_rng(seed)
    n_keys = 90 * 2 * n_areas
    # Every key gets up to 3 records first (when there are rows enough), the rest fall at random: k is
    # then a real test of agreement (3 at 1M rows) instead of the 1 that a few empty-ish keys would give.
    floor = min(3, rows // n_keys)
    key = np.concatenate([np.tile(np.arange(n_keys), floor), rng.integers(0, n_keys, rows - floor * n_keys)])
    key = rng.permutation(key)
    age, rest = key % 90, key // 90
    sex, area = rest % 2, rest // 2
    return {
        "age": {"kind": "array", "values": age.astype(np.int64)},
        "sex": {"kind": "labels", "codes": sex.astype(np.int16), "labels": ["female", "male"]},
        "area": {"kind": "labels", "codes": area.astype(np.int16), "labels": [f"A{i:03d}" for i in range(n_areas)]},
        # The rank of the education level: numeric, so both sides measure the ordered EMD.
        "education": {"kind": "array",
                      "values": rng.choice(4, rows, p=[0.2, 0.4, 0.3, 0.1]).astype(np.int64)},
    }


def make_survey(rows: int, seed: int = 11) -> dict:
    rng = np.random.default_rng(seed)
    n_psu = N_STRATA * PSU_PER_STRATUM
    # Rows are spread over the PSUs as evenly as possible and stored in PSU order.
    psu = np.repeat(np.arange(n_psu), np.diff(np.linspace(0, rows, n_psu + 1).astype(np.int64)))
    stratum = psu // PSU_PER_STRATUM
    psu_effect = rng.normal(0.0, 3.0, n_psu)
    stratum_effect = rng.normal(50.0, 8.0, N_STRATA)
    base_weight = rng.uniform(50.0, 400.0, n_psu)
    domain = rng.integers(0, N_DOMAINS, rows)
    y = stratum_effect[stratum] + psu_effect[psu] + 0.5 * domain + rng.normal(0.0, 10.0, rows)
    weight = base_weight[psu] * rng.uniform(0.8, 1.25, rows)
    return {
        "stratum": {"kind": "array", "values": stratum.astype(np.int64)},
        "psu": {"kind": "array", "values": psu.astype(np.int64)},
        "domain": {"kind": "array", "values": domain.astype(np.int64)},
        "y": {"kind": "array", "values": y},
        "weight": {"kind": "array", "values": weight},
    }


def make_records(rows: int, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    ids = np.char.add("P", np.char.zfill(np.arange(rows).astype(str), 7))
    short = rng.random(rows) < 0.001
    ids[short] = np.char.add("P", np.arange(int(short.sum())).astype(str))  # too short for P[0-9]{7}
    dup = rng.random(rows) < 0.0005
    ids[dup] = ids[rng.integers(0, rows, int(dup.sum()))]  # copied ids (both copies fail "unique")
    household = np.arange(rows) // 4
    line_no = (np.arange(rows) % 4 + 1).astype(np.int64)
    line_no[rng.random(rows) < 0.001] = 1  # a second line 1 in the household: the key repeats
    line_no[rng.random(rows) < 0.0005] = 0  # below the minimum
    age = rng.integers(-1, 101, rows).astype(np.float64)
    age[rng.random(rows) < 0.02] = np.nan
    relationship = _labels(rng, RELATIONSHIPS, rows, p=[0.25, 0.2, 0.45, 0.1])
    # most heads are adults; a few are not (the cross-field rule catches them)
    heads = relationship["codes"] == 0
    adult = heads & (rng.random(rows) < 0.97)
    age[adult] = rng.integers(15, 90, int(adult.sum()))
    enum_no = rng.integers(1, 40, rows).astype(str)
    enumerator = np.char.add("ENUM", enum_no)
    bad_enum = rng.random(rows) < 0.002
    enumerator[bad_enum] = np.char.add("EN", enum_no[bad_enum])
    long_enum = rng.random(rows) < 0.001
    enumerator[long_enum] = np.char.add("ENUM", rng.integers(100, 1000, int(long_enum.sum())).astype(str))
    enumerators = sorted(set(enumerator.tolist()))
    date = np.datetime64("2024-01-01") + rng.integers(-10, 500, rows).astype("timedelta64[D]")
    date = date.astype("datetime64[ns]")
    date[rng.random(rows) < 0.02] = np.datetime64("NaT")
    water_minutes = rng.gamma(2.0, 10.0, rows)
    water_minutes[rng.random(rows) < 0.001] = -5.0
    water_minutes[rng.random(rows) < 0.001] = 900.0
    water_minutes[rng.random(rows) < 0.02] = np.nan
    wg = rng.integers(1, 5, rows).astype(np.float64)
    wg[rng.random(rows) < 0.002] = 9.0
    wg[rng.random(rows) < 0.02] = np.nan
    size = rng.integers(1, 12, rows).astype(np.int64)
    size[rng.random(rows) < 0.0005] = 0
    duration = rng.normal(35, 10, rows)
    duration[rng.random(rows) < 0.02] = np.nan
    return {
        "person_id": {"kind": "text", "values": ids},
        "household_id": {"kind": "text", "values": np.char.add("H", household.astype(str))},
        "line_no": {"kind": "array", "values": line_no},
        "district_code": _labels(rng, DISTRICTS, rows, p=[0.0825] * 12 + [0.005, 0.005]),
        "urban_rural": _labels(rng, URBAN_RURAL, rows, p=[0.4995, 0.4995, 0.001]),
        "sex": _labels(rng, SEXES, rows, p=[0.495, 0.495, 0.01], missing=0.02),
        "age": {"kind": "array", "values": age},
        "relationship": relationship,
        "household_size": {"kind": "array", "values": size},
        "education": _labels(rng, EDUCATION_LABELS, rows, p=[0.2, 0.4, 0.3, 0.095, 0.005], missing=0.02),
        "water_source": _labels(rng, WATER, rows, p=[0.3, 0.25, 0.2, 0.15, 0.095, 0.005]),
        "water_minutes": {"kind": "array", "values": water_minutes},
        "wg_seeing": {"kind": "array", "values": wg},
        "duration_min": {"kind": "array", "values": duration},
        "enumerator_id": {"kind": "labels", "labels": enumerators,
                          "codes": np.searchsorted(np.array(enumerators), enumerator).astype(np.int16)},
        "interview_date": {"kind": "array", "values": date},
        "weight": {"kind": "array", "values": rng.uniform(50, 150, rows)},
    }


MAKERS = {"privacy": make_privacy, "survey": make_survey, "records": make_records}


# --------------------------------------------------------------------------------------------------
# files


def write(kind: str, rows: int, folder: Path) -> Path:
    """Generate data set ``kind`` with ``rows`` rows into ``folder`` (created); returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    columns = MAKERS[kind](rows)
    meta = {"kind": kind, "rows": rows, "columns": []}
    for name, col in columns.items():
        entry = {"name": name, "kind": col["kind"], "file": f"{name}.npy"}
        if col["kind"] == "labels":
            np.save(folder / entry["file"], col["codes"], allow_pickle=False)
            entry["labels"] = col["labels"]
        else:
            np.save(folder / entry["file"], col["values"], allow_pickle=False)
        meta["columns"].append(entry)
    (folder / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    return folder


def read(folder: Path) -> pd.DataFrame:
    """The frame stored in ``folder``: numbers as numbers, text as text (NaN where missing)."""
    folder = Path(folder)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    out = {}
    for entry in meta["columns"]:
        values = np.load(folder / entry["file"], allow_pickle=False)
        if entry["kind"] == "labels":
            labels = np.array(entry["labels"] + [np.nan], dtype=object)  # code -1 -> the NaN at the end
            values = labels[values]
        elif entry["kind"] == "text":
            values = values.astype(object)
        out[entry["name"]] = values
    return pd.DataFrame(out)


def frame_mb(frame: pd.DataFrame) -> float:
    """Memory held by the frame, text included (``memory_usage(deep=True)``), in MB."""
    return float(frame.memory_usage(deep=True).sum()) / 2**20
