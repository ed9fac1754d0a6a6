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
    df = log.add(drop_columns(df, ["respondent_name", "respondent_phone", "_submission_time"],
                              reason="direct identifiers and export metadata"))
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
