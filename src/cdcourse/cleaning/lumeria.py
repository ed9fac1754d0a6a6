"""The course's cleaning settings for the synthetic Lumeria community survey, in one place.

These are worked settings for one export (``community_survey_raw``), not general rules: another
survey needs its own label mappings and codes, read from its questionnaire. The lesson builds
them step by step; :func:`clean_survey` runs them all and returns the cleaning log, whose
``data`` matches the clean ``community_survey`` on every cell the raw file still holds.

Examples
--------
>>> from cdcourse.datasets import load
>>> log = clean_survey(load("community_survey_raw"))
>>> len(log.data) == len(load("community_survey"))
True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdcourse.cleaning._log import CleaningLog
from cdcourse.cleaning.columns import convert_types, drop_columns, rename_columns
from cdcourse.cleaning.consent import keep_consented
from cdcourse.cleaning.dates import parse_dates
from cdcourse.cleaning.duplicates import drop_duplicate_submissions, drop_duplicates
from cdcourse.cleaning.labels import standardise_labels
from cdcourse.cleaning.missing import set_missing
from cdcourse.cleaning.outliers import flag_fast_interviews
from cdcourse.cleaning.validation import Rule, set_invalid_to_missing

WG = ("wg_seeing", "wg_hearing", "wg_walking", "wg_remembering", "wg_selfcare", "wg_communicating")
DISTRICTS = ("Marelo", "Tovessi", "Quilbara", "Nandevo", "Sarivel", "Obrenta", "Kaluvio", "Pemmaro", "Fendisa",
             "Lurrowe", "Yusseta", "Wenlaso")

#: export names -> codebook names
RENAME = {"enumerator": "enumerator_id", "start": "start_time", "end": "end_time", "gps_lat": "hh_lat",
          "gps_lon": "hh_lon"}

#: spelling -> standard label, per column (case, spaces and punctuation are ignored when matching)
LABELS: dict[str, dict[str, str]] = {
    "sex": {"female": "female", "f": "female", "fem": "female", "2": "female",
            "male": "male", "m": "male", "1": "male"},
    "language_group": {"Amari": "Amari", "Amary": "Amari", "Bensi": "Bensi", "Bensy": "Bensi",
                       "Saro": "Saro", "Sarro": "Saro"},
    "relationship": {"head": "head", "household head": "head", "spouse": "spouse", "wife/husband": "spouse",
                     "child": "child", "son/daughter": "child", "other relative": "other relative",
                     "non-relative": "non-relative", "non relative": "non-relative"},
    "education": {"none": "none", "no schooling": "none", "primary": "primary", "primary school": "primary",
                  "secondary": "secondary", "sec": "secondary", "tertiary": "tertiary", "university": "tertiary"},
    "water_source": {"piped into dwelling": "piped into dwelling", "piped": "piped into dwelling",
                     "public tap": "public tap", "public tap/standpipe": "public tap", "standpipe": "public tap",
                     "protected well": "protected well", "protected dug well": "protected well",
                     "unprotected well": "unprotected well", "unprotected dug well": "unprotected well",
                     "open well": "unprotected well", "surface water": "surface water",
                     "surface water (river/lake)": "surface water", "river/lake": "surface water"},
}

#: the date formats the export mixes, unambiguous one first
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%B %d, %Y", "%d-%b-%y"]

#: the questionnaire's codes for "no answer" (-99 unknown, 98 and 8 don't know, 9 refused, n/a not applicable)
MISSING_CODES: dict[str, list] = {
    "age": [-99, 98],
    "water_minutes": [-99, "n/a"],
    "monthly_income": [-99, 98, "n/a"],
    "feels_safe_night": ["n/a"],
    "in_school": ["n/a"],
    **{c: [8, 9] for c in WG},
}


def survey_rules(*, raw_names: bool = True) -> list[Rule]:
    """Validation rules for the community survey (raw export names, or codebook names).

    Single-column rules describe what a clean value looks like; the cross-field rules encode
    the questionnaire's logic (who may be a household head, who answers which question).

    >>> [r.name for r in survey_rules()][:3]
    ['submission_id required', 'consent allowed values', 'district allowed values']
    """
    enumerator = "enumerator" if raw_names else "enumerator_id"
    start, end = ("start", "end") if raw_names else ("start_time", "end_time")
    rules = [
        Rule.required("submission_id"),
        Rule.allowed("consent", ["yes", "no"]),
        Rule.allowed("district", list(DISTRICTS)),
        Rule.pattern(enumerator, r"ENUM\d{2}"),
        Rule.unique(["household_id", "line_no"], name="one row per household member"),
        Rule.range("age", 0, 110),
        Rule.allowed("sex", ["female", "male"]),
        Rule.allowed("relationship", ["head", "spouse", "child", "other relative", "non-relative"]),
        *(Rule.allowed(c, [1, 2, 3, 4]) for c in WG),
        Rule.check("age >= 15 or relationship != 'head'", name="a head of household is 15 or older"),
        Rule.check(f"{end} > {start}", name="the interview ends after it starts"),
    ]
    if raw_names:
        rules.append(Rule.pattern("interview_date", r"\d{4}-\d{2}-\d{2}", name="interview_date written YYYY-MM-DD"))
    else:
        rules.append(Rule.range("interview_date", "2024-01-01", "2024-12-31", name="interview in 2024"))
    return rules


def clean_survey(raw: pd.DataFrame) -> CleaningLog:
    """Run the course's whole cleaning of ``community_survey_raw``; the log's ``data`` is the result.

    Steps: drop exact copies; keep consented households; keep the first of repeated
    submissions; rename to codebook names; drop direct identifiers; standardise labels; parse
    dates; set missing-value codes; convert types; blank impossible ages; flag fast interviews.
    """
    log = CleaningLog("community_survey_raw")
    df = log.add(drop_duplicates(raw))
    df = log.add(keep_consented(df, "consent"))
    df = log.add(drop_duplicate_submissions(df, "submission_id", "household_id", order_by="_submission_time"))
    df = log.add(rename_columns(df, RENAME))
    extra = [c for c in ("respondent_name", "respondent_phone", "_submission_time") if c in df.columns]
    df = log.add(drop_columns(df, extra, reason="direct identifiers and export metadata"))
    df = log.add(standardise_labels(df, "district", list(DISTRICTS), suggest=True))
    for column, mapping in LABELS.items():
        df = log.add(standardise_labels(df, column, mapping))
    df = log.add(parse_dates(df, "interview_date", DATE_FORMATS))
    df = log.add(set_missing(df, MISSING_CODES))
    df = log.add(convert_types(df, {"water_minutes": "number", "monthly_income": "number",
                                    "feels_safe_night": "boolean", "in_school": "boolean"}))
    df = log.add(set_invalid_to_missing(df, [Rule.range("age", 0, 110)]))
    log.add(flag_fast_interviews(df, "enumerator_id", "start_time", "end_time"))
    return log


# -- a second messy file, for practice and for grading on data a learner has not seen ----------------
@dataclass(frozen=True, eq=False)
class MessySurvey:
    """A small messy export with its truth: ``raw`` (as a tool exports it), ``clean`` (the same
    households as in ``community_survey``) and ``problems`` (every injected problem, one row each,
    like the problem log)."""

    raw: pd.DataFrame
    clean: pd.DataFrame
    problems: pd.DataFrame
    seed: int | None


def _number_text(value: object) -> object:
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(round(value, 2))


def _variant(rng: np.random.Generator, label: str, spellings: list[str]) -> str:
    """Another way an enumerator or a tool writes ``label``: an alias, other case, stray spaces."""
    text = str(rng.choice(spellings)) if spellings else label
    style = int(rng.integers(0, 5))
    text = [text, text.upper(), text.lower(), text.title(), text.capitalize()][style]
    pad = int(rng.integers(0, 4))
    return [text, f" {text}", f"{text} ", f"{text}."][pad]


def messy_survey(seed: int = 1, households: int = 60, *, refusals: int = 4, duplicates: int = 3) -> MessySurvey:
    """A new messy export of households from ``community_survey``, with its truth and problem list.

    The same kinds of problem as ``community_survey_raw`` (label variants, four date formats,
    missing-value codes, impossible ages, refusals, exact and re-submitted duplicates), on other
    households and with spellings the raw file may not contain, so a cleaning that generalises
    passes and one that lists the raw file's exact strings does not. Same seed, same file.

    Examples
    --------
    >>> m = messy_survey(seed=3, households=20)
    >>> m.raw["household_id"].nunique() > m.clean["household_id"].nunique()
    True
    >>> sorted(m.problems["problem"].unique())[:3]
    ['date_format', 'duplicate_submission', 'impossible_value']
    """
    from cdcourse._validate import make_rng, require_number
    from cdcourse.datasets import load

    require_number(households, "households", low=5, high=500, integer=True)
    require_number(refusals, "refusals", low=0, high=50, integer=True)
    require_number(duplicates, "duplicates", low=0, high=50, integer=True)
    rng = make_rng(seed)
    survey = load("community_survey")
    ids = survey["household_id"].drop_duplicates().to_numpy()
    picked = rng.choice(ids, size=min(households + refusals, len(ids)), replace=False)
    keep_ids, refuse_ids = picked[:households], picked[households:]
    clean = survey[survey["household_id"].isin(keep_ids)].reset_index(drop=True)
    base = survey[survey["household_id"].isin(picked)].reset_index(drop=True)

    raw = pd.DataFrame({
        "submission_id": base["submission_id"].astype(str),
        "_submission_time": (base["end_time"] + pd.to_timedelta(rng.uniform(1, 12, len(base)), unit="h")).dt.floor("s"),
        "start": base["start_time"], "end": base["end_time"],
        "enumerator": base["enumerator_id"].astype(str),
        "consent": "yes",
        "gps_lat": base["hh_lat"], "gps_lon": base["hh_lon"],
        "district": base["district"].astype(str), "ea_id": base["ea_id"].astype(str),
        "household_id": base["household_id"].astype(str), "line_no": base["line_no"].astype("Int64"),
        "interview_date": base["interview_date"].dt.strftime("%Y-%m-%d"),
        "age": base["age"].astype("Int64"),
        **{c: base[c].astype(object).where(base[c].notna(), None) for c in
           ("sex", "language_group", "relationship")},
        **{c: base[c].astype("Int64") for c in WG},
        "education": base["education"].astype(object).where(base["education"].notna(), None),
        "water_source": base["water_source"].astype(object),
        "water_minutes": base["water_minutes"].map(_number_text),
        "monthly_income": base["monthly_income"].map(_number_text),
        "feels_safe_night": base["feels_safe_night"].map({True: "yes", False: "no"}).astype(object).where(
            base["feels_safe_night"].notna(), "n/a"),
        "in_school": base["in_school"].map({True: "yes", False: "no"}).astype(object).where(
            base["in_school"].notna(), "n/a"),
    })
    keys = (raw["submission_id"] + "#" + raw["line_no"].astype(str)).to_numpy()
    problems: list[dict] = []

    def log(i: int, column: str, problem: str, original: object, injected: object) -> None:
        problems.append({"record_key": keys[i], "column": column, "problem": problem,
                         "original_value": None if original is None else str(original),
                         "injected_value": None if injected is None else str(injected)})

    refused = raw["household_id"].isin(refuse_ids).to_numpy()
    for i in np.flatnonzero(refused):
        answer = str(rng.choice(["no", "No", "NO", "N", " no"]))
        raw.loc[i, "consent"] = answer
        log(i, "consent", "no_consent", "yes", answer)
    consented = np.flatnonzero(~refused)
    district_code = {d: f"D{k + 1:02d}" for k, d in enumerate(DISTRICTS)}
    for i in consented:
        for col in ("sex", "language_group", "relationship", "education", "water_source", "district", "consent",
                    "feels_safe_night", "in_school"):
            value = raw.at[i, col]
            if value is None or pd.isna(value) or value == "n/a" or rng.random() > 0.3:
                continue
            if col == "district":
                alias = [value, f"{district_code[value]} {value}"]
            elif col in LABELS:
                alias = [s for s, lab in LABELS[col].items() if lab == value]
            else:
                alias = [value, value[0]]
            new = _variant(rng, value, alias)
            if new != value:
                raw.at[i, col] = new
                log(i, col, "label_variant", value, new)
    # one date per submission, as a form records it
    for sub, rows in raw.groupby("submission_id", sort=False).groups.items():
        fmt = str(rng.choice(DATE_FORMATS, p=[0.55, 0.2, 0.15, 0.1]))
        if fmt == DATE_FORMATS[0]:
            continue
        for i in rows:
            iso = raw.at[i, "interview_date"]
            new = pd.Timestamp(iso).strftime(fmt)
            if fmt == "%d-%b-%y":
                new = new.lstrip("0")
            raw.at[i, "interview_date"] = new
            if not refused[i]:
                log(i, "interview_date", "date_format", iso, new)
    for i in consented:
        if rng.random() < 0.04 and pd.notna(raw.at[i, "age"]):
            code = int(rng.choice([-99, 98]))
            log(i, "age", "missing_code", raw.at[i, "age"], code)
            raw.at[i, "age"] = code
        elif rng.random() < 0.03 and pd.notna(raw.at[i, "age"]):
            bad = int(rng.choice([-3, -1, 130, 150, 199]))
            log(i, "age", "impossible_value", raw.at[i, "age"], bad)
            raw.at[i, "age"] = bad
        for col in WG:
            if pd.notna(raw.at[i, col]) and rng.random() < 0.03:
                code = int(rng.choice([8, 9]))
                log(i, col, "missing_code", raw.at[i, col], code)
                raw.at[i, col] = code
        for col, codes in (("monthly_income", ["-99", "98", "n/a", "N/A"]), ("water_minutes", ["-99", "n/a"])):
            if raw.at[i, col] is not None and rng.random() < 0.05:
                code = str(rng.choice(codes))
                log(i, col, "missing_code", raw.at[i, col], code)
                raw.at[i, col] = code
    # refusals have no interview data
    answers = [c for c in raw.columns if c not in ("submission_id", "_submission_time", "start", "end", "enumerator",
                                                     "consent", "district", "ea_id", "household_id", "interview_date")]
    first_rows = raw[refused].drop_duplicates("submission_id").index
    raw = raw.drop(index=raw.index[refused & ~raw.index.isin(first_rows)])
    raw.loc[first_rows, answers] = None
    raw = raw.reset_index(drop=True)
    # duplicates: exact copies, and re-submissions under a new id a little later
    subs = raw.loc[raw["consent"].astype(str).str.strip().str.lower().str.startswith("y"), "submission_id"].unique()
    chosen = rng.choice(subs, size=min(2 * duplicates, len(subs)), replace=False)
    extra = []
    for k, sub in enumerate(chosen):
        copy = raw[raw["submission_id"] == sub].copy()
        if k % 2:
            new_id = "uuid:" + "".join(rng.choice(list("0123456789abcdef"), 8)) + "-0000-4000-8000-" + \
                "".join(rng.choice(list("0123456789abcdef"), 12))
            copy["submission_id"] = new_id
            copy["_submission_time"] = copy["_submission_time"] + pd.Timedelta(hours=2)
        for line in copy["line_no"]:
            problems.append({"record_key": f"{copy['submission_id'].iloc[0]}#{line}", "column": "submission_id",
                             "problem": "duplicate_submission", "original_value": sub,
                             "injected_value": copy["submission_id"].iloc[0]})
        extra.append(copy)
    if extra:
        raw = pd.concat([raw, *extra], ignore_index=True)
    order = rng.permutation(raw["submission_id"].unique())
    raw = raw.assign(_o=raw["submission_id"].map({s: k for k, s in enumerate(order)})) \
        .sort_values(["_o", "line_no"], kind="stable").drop(columns="_o").reset_index(drop=True)
    text_cols = [c for c in raw.columns if c not in ("_submission_time", "start", "end", "gps_lat", "gps_lon",
                                                     "line_no", "age", *WG)]
    for col in text_cols:
        raw[col] = raw[col].astype("str").where(raw[col].notna(), None).astype("string")
    for col in ("line_no", "age", *WG):
        raw[col] = raw[col].astype("Int64")
    return MessySurvey(raw=raw, clean=clean, problems=pd.DataFrame(problems), seed=seed)
