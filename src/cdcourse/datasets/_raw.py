"""The raw export of the community survey, with every problem injected and logged.

Each injection picks its records with the survey's random stream, changes the value, and appends
one log row per changed cell: (dataset, record_key, column, problem, original_value,
injected_value, note). ``original_value`` is written exactly as community_survey writes it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from cdcourse.datasets import _fields as F
from cdcourse.datasets._geo import DISTRICTS

DATASET = "community_survey_raw"
_LOG_COLS = [f.name for f in F.PROBLEM_LOG.fields]

_SEX_VARIANTS = {"female": ["F", "Female", "fem", "2", "FEMALE"], "male": ["M", "Male", "1", "MALE"]}
_LANG_VARIANTS = {"Amari": ["amari", "AMARI", "Amari ", "Amary"], "Bensi": ["bensi", "BENSI", "Bensy", " Bensi"],
                  "Saro": ["saro", "SARO", "Sarro", "Saro "]}
_REL_VARIANTS = {"head": ["Head", "HEAD", "household head"], "spouse": ["Spouse", "wife/husband"],
                 "child": ["Child", "son/daughter"], "other relative": ["Other relative", "other_relative"],
                 "non-relative": ["non relative", "Non-relative"]}
_EDU_VARIANTS = {"none": ["None", "no schooling"], "primary": ["Primary", "primary school"],
                 "secondary": ["Secondary", "sec"], "tertiary": ["Tertiary", "university"]}
_WATER_VARIANTS = {
    "piped into dwelling": ["Piped into dwelling", "piped", "PIPED"],
    "public tap": ["Public tap/standpipe", "standpipe", "Public Tap"],
    "protected well": ["Protected well", "protected dug well", "PROTECTED WELL"],
    "unprotected well": ["Unprotected well", "unprotected dug well", "open well"],
    "surface water": ["Surface water (river/lake)", "river/lake", "Surface Water"],
}
_DATE_FORMATS = ["%d/%m/%Y", "%B %-d, %Y", "%-d-%b-%y"]


def _num(x: float) -> str:
    """A number as the export writes it: no trailing .0."""
    return f"{x:.2f}".rstrip("0").rstrip(".")


def _clean_repr(x: float) -> str:
    """A float exactly as the clean CSV writes it (shortest round trip)."""
    return repr(float(x))


def _pick(rng, choices: list[str], n: int) -> np.ndarray:
    return np.array(choices, dtype=object)[rng.integers(0, len(choices), n)]


def _date_variant(ts: pd.Timestamp, fmt: str) -> str:
    # %-d is not portable: build day without zero-padding by hand.
    out = ts.strftime(fmt.replace("%-d", "{DAY}"))
    return out.replace("{DAY}", str(ts.day))


class _Log:
    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, keys, column, problem, original, injected, note="") -> None:
        keys = np.asarray(keys, dtype=object)
        if len(keys) == 0:
            return
        n = len(keys)
        self.parts.append(pd.DataFrame({
            "dataset": DATASET, "record_key": keys, "column": column, "problem": problem,
            "original_value": np.broadcast_to(np.asarray(original, dtype=object), (n,)),
            "injected_value": np.broadcast_to(np.asarray(injected, dtype=object), (n,)),
            "note": np.broadcast_to(np.asarray(note, dtype=object), (n,)),
        }))

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=_LOG_COLS)
        return pd.concat(self.parts, ignore_index=True)[_LOG_COLS]


def make_raw(pop: pd.DataFrame, design: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    log = _Log()
    refused = design[~design["responded"]]
    # A few refusing households were interviewed anyway: their rows carry consent "no".
    n_bad = min(len(refused), max(1, int(round(0.04 * len(refused)))) + 3)
    no_consent_hh = set(refused["household_id"].to_numpy()[np.sort(rng.choice(len(refused), n_bad, replace=False))]) if len(refused) else set()
    with_data = design[design["responded"] | design["household_id"].isin(no_consent_hh)]
    persons = pop[pop["household_id"].isin(with_data["household_id"])].copy()
    persons["line_no"] = persons.groupby("household_id").cumcount() + 1
    p = persons.merge(with_data, on="household_id", how="left", suffixes=("", "_d"))
    n = len(p)

    def iso(s: pd.Series) -> np.ndarray:
        return s.dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object)

    def yesno(s: pd.Series) -> np.ndarray:
        v = s.astype("object")
        return np.where(s.isna(), "n/a", np.where(v == True, "yes", "no")).astype(object)  # noqa: E712

    raw = pd.DataFrame({
        "submission_id": p["submission_id"].to_numpy(),
        "_submission_time": iso(p["submitted"]),
        "start": iso(p["start_time"]),
        "end": iso(p["end_time"]),
        "enumerator": p["enumerator_id"].to_numpy(),
        "consent": np.where(p["responded"], "yes", "no").astype(object),
        "gps_lat": p["hh_lat"].to_numpy(),
        "gps_lon": p["hh_lon"].to_numpy(),
        "district": p["district"].astype(str).to_numpy(dtype=object),
        "ea_id": p["ea_id"].astype(str).to_numpy(dtype=object),
        "household_id": p["household_id"].to_numpy(dtype=object),
        "line_no": pd.array(p["line_no"].to_numpy(), dtype="Int64"),
        "interview_date": p["interview_date"].dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
        "age": p["age"].astype(str).to_numpy(dtype=object),
        "sex": p["sex"].astype(str).to_numpy(dtype=object),
        "language_group": p["language_group"].astype(str).to_numpy(dtype=object),
        "relationship": p["relationship"].astype(str).to_numpy(dtype=object),
        **{f"wg_{d}": p[f"wg_{d}"].astype("Int64").to_numpy(dtype=object) for d in F.WG_DOMAINS},
        "education": p["education"].astype(object).where(p["education"].notna(), "").to_numpy(dtype=object),
        "water_source": p["water_source"].astype(str).to_numpy(dtype=object),
        "water_minutes": np.array([_num(x) for x in p["water_minutes"]], dtype=object),
        "monthly_income": np.array([_num(x) for x in p["monthly_income"]], dtype=object),
        "feels_safe_night": yesno(p["feels_safe_night"]),
        "in_school": yesno(p["in_school"]),
        "respondent_name": p["respondent_name"].to_numpy(dtype=object),
        "respondent_phone": p["respondent_phone"].to_numpy(dtype=object),
    })
    for d in F.WG_DOMAINS:
        raw[f"wg_{d}"] = pd.array([None if pd.isna(v) else int(v) for v in raw[f"wg_{d}"]], dtype="Int64")
    keys = (raw["submission_id"] + "#" + raw["line_no"].astype(str)).to_numpy(dtype=object)
    sub = raw["submission_id"].to_numpy()
    subs = pd.unique(sub)
    sub_pos = pd.Series(np.arange(len(subs)), index=subs)[sub].to_numpy()

    def per_submission(rate: float) -> np.ndarray:
        """Row mask for problems that hit every row of a chosen submission."""
        hit = rng.random(len(subs)) < rate
        return hit[sub_pos]

    # No consent, yet interviewed.
    nc = raw["consent"].to_numpy() == "no"
    log.add(keys[nc], "consent", "no_consent", "", "no",
            "household refused; its rows must be dropped (it is not in community_survey)")
    # Consent label variants.
    m = per_submission(0.2) & ~nc
    variant = _pick(rng, ["Yes", "Y", "YES", "yes "], len(subs))[sub_pos]
    log.add(keys[m], "consent", "label_variant", "yes", variant[m])
    raw.loc[m, "consent"] = variant[m]
    # District spellings.
    code_of = {v[0]: c for c, v in DISTRICTS.items()}
    m = per_submission(0.4)
    kind = rng.integers(0, 5, len(subs))[sub_pos]
    orig = raw["district"].to_numpy()
    forms = np.array([[n.upper(), n.lower() + " ", f"{code_of[n]} {n}", " " + n, n.lower()] for n in orig],
                     dtype=object)
    new = forms[np.arange(n), kind]
    log.add(keys[m], "district", "label_variant", orig[m], new[m])
    raw.loc[m, "district"] = new[m]
    # Date formats.
    m = per_submission(0.45)
    fmt = rng.integers(0, len(_DATE_FORMATS), len(subs))[sub_pos]
    dates = p["interview_date"]
    new = np.array([_date_variant(dates.iloc[i], _DATE_FORMATS[fmt[i]]) if m[i] else "" for i in range(n)],
                   dtype=object)
    log.add(keys[m], "interview_date", "date_format", raw["interview_date"].to_numpy()[m], new[m])
    raw.loc[m, "interview_date"] = new[m]
    # Person-level label variants.
    for col, table, rate in (("sex", _SEX_VARIANTS, 0.45), ("language_group", _LANG_VARIANTS, 0.2),
                             ("relationship", _REL_VARIANTS, 0.1), ("education", _EDU_VARIANTS, 0.15),
                             ("water_source", _WATER_VARIANTS, 0.3)):
        orig = raw[col].to_numpy()
        if col == "water_source":  # a household answer: one spelling per submission
            m = per_submission(rate)
            choice = rng.integers(0, 10, len(subs))[sub_pos]
        else:
            m = rng.random(n) < rate
            choice = rng.integers(0, 10, n)
        m &= orig != ""
        new = np.array([table[o][c % len(table[o])] if mm else o for o, c, mm in zip(orig, choice, m)],
                       dtype=object)
        log.add(keys[m], col, "label_variant", orig[m], new[m])
        raw[col] = new
    # Ages: unknown codes and impossible values.
    u = rng.random(n)
    orig = raw["age"].to_numpy()
    m = u < 0.012
    new = _pick(rng, ["-99", "98"], n)
    log.add(keys[m], "age", "missing_code", orig[m], new[m], "-99 = unknown, 98 = don't know")
    raw.loc[m, "age"] = new[m]
    m2 = (u >= 0.012) & (u < 0.018)
    new = _pick(rng, ["150", "-1", "120", "135", "-5", "210"], n)
    log.add(keys[m2], "age", "impossible_value", orig[m2], new[m2])
    raw.loc[m2, "age"] = new[m2]
    # Washington Group codes 8 (don't know) and 9 (refused).
    for d in F.WG_DOMAINS:
        col = f"wg_{d}"
        vals = raw[col]
        u = rng.random(n)
        for code, lo, hi, note in ((8, 0.0, 0.008, "8 = don't know"), (9, 0.008, 0.014, "9 = refused")):
            m = vals.notna().to_numpy() & (u >= lo) & (u < hi)
            log.add(keys[m], col, "missing_code", vals[m].astype(str).to_numpy(), str(code), note)
            raw.loc[m, col] = code
    # Household-level missing codes.
    for col, rate, codes in (("water_minutes", 0.03, ["n/a", "-99"]), ("monthly_income", 0.06, ["-99", "98", "n/a"])):
        m = per_submission(rate)
        new = _pick(rng, codes, len(subs))[sub_pos]
        orig = np.array([_clean_repr(x) for x in p[col]], dtype=object)
        log.add(keys[m], col, "missing_code", orig[m], new[m])
        raw.loc[m, col] = new[m]
    # Yes/no variants.
    for col in ("feels_safe_night", "in_school"):
        orig = raw[col].to_numpy()
        m = (rng.random(n) < 0.06) & (orig != "n/a")
        table = {"yes": ["Yes", "Y", "YES"], "no": ["No", "N", "NO"], "n/a": ["n/a"] * 3}
        new = np.array([table[o][k] for o, k in zip(orig, rng.integers(0, 3, n))], dtype=object)
        log.add(keys[m], col, "label_variant", orig[m], new[m])
        raw.loc[m, col] = new[m]
    # No GPS fix.
    m = per_submission(0.02)
    log.add(keys[m], "gps_lat", "missing_gps", raw["gps_lat"].to_numpy()[m].astype(str), "",
            "no GPS fix: gps_lat and gps_lon blank")
    raw.loc[m, ["gps_lat", "gps_lon"]] = np.nan
    # The fast enumerator.
    fast = (p["enumerator_id"].to_numpy() == "ENUM07") & p["responded"].to_numpy()
    log.add(keys[fast], "end", "fast_enumerator", "", p["duration_min"].to_numpy()[fast].astype(str),
            "interview of a few minutes by ENUM07 (value: minutes)")

    # Refusal rows: one per refusing household without data.
    blank = refused[~refused["household_id"].isin(no_consent_hh)]
    dist_name = {c: v[0] for c, v in DISTRICTS.items()}
    ref = pd.DataFrame({
        "submission_id": blank["submission_id"].to_numpy(),
        "_submission_time": blank["submitted"].dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object),
        "start": blank["start_time"].dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object),
        "end": blank["end_time"].dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object),
        "enumerator": blank["enumerator_id"].to_numpy(),
        "consent": _pick(rng, ["no", "NO", "No", "N"], len(blank)),
        "district": [dist_name[c] for c in blank["district_code"]],
        "ea_id": blank["ea_id"].to_numpy(),
        "household_id": blank["household_id"].to_numpy(),
        "interview_date": blank["interview_date"].dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
    })
    log.add(ref["submission_id"].to_numpy(), "consent", "no_consent", "", ref["consent"].to_numpy(),
            "refusal: no interview data; drop the row")
    raw = pd.concat([raw, ref], ignore_index=True)

    # Double submissions: exact copies and re-submissions with a new id.
    resp_subs = pd.unique(raw.loc[raw["consent"].ne("no") & raw["line_no"].notna(), "submission_id"])
    n_dup = max(2, int(round(0.025 * len(resp_subs))))
    dup_subs = resp_subs[np.sort(rng.choice(len(resp_subs), n_dup, replace=False))]
    copies = []
    from cdcourse.datasets._survey import _submission_ids

    new_ids = _submission_ids(n_dup, rng)
    for k, s in enumerate(dup_subs):
        block = raw[raw["submission_id"] == s].copy()
        exact = k % 2 == 0
        if not exact:
            block["submission_id"] = new_ids[k]
            later = pd.to_datetime(block["_submission_time"]) + pd.Timedelta(minutes=int(rng.integers(3, 600)))
            block["_submission_time"] = later.dt.strftime("%Y-%m-%dT%H:%M:%S")
        bkeys = (block["submission_id"] + "#" + block["line_no"].astype(str)).to_numpy(dtype=object)
        log.add(bkeys, "submission_id", "duplicate_submission", s, block["submission_id"].to_numpy(),
                "exact copy of the submission" if exact else "re-submitted with a new submission_id")
        copies.append(block)
    raw = pd.concat([raw, *copies], ignore_index=True)
    raw["_order"] = np.arange(len(raw))
    raw = raw.sort_values(["_submission_time", "submission_id", "line_no", "_order"], kind="stable",
                          na_position="first").drop(columns="_order").reset_index(drop=True)
    raw = raw[F.COMMUNITY_SURVEY_RAW.columns]
    return raw, log.frame()
