"""Cleaning and validating citizen data, reproducibly (the "process" stage of the data value chain).

Every cleaning step is a pure function: the data come first (so steps fit ``df.pipe``), the input
is never changed, and the result is a :class:`Cleaned` pair, the new frame and a :class:`Step`
saying what changed (rows dropped and why, cells rewritten, values that could not be read).
A :class:`CleaningLog` collects the steps, shows them as a table, saves them as JSON and replays
them on the raw file, so an NSO can check that the cleaned file follows from the raw one.

Steps (replayable from a saved log):

- records: :func:`keep_consented`, :func:`drop_duplicates`, :func:`drop_duplicate_submissions`,
  :func:`drop_near_duplicates`
- values: :func:`standardise_labels`, :func:`parse_dates`, :func:`set_missing`,
  :func:`convert_types`, :func:`set_invalid_to_missing`, :func:`fix_swapped_gps`
- columns: :func:`rename_columns`, :func:`drop_columns`
- flags for review: :func:`flag_invalid`, :func:`flag_gps`, :func:`flag_outliers`,
  :func:`flag_fast_interviews`

Checks and measures (no change to the data): :func:`validate` with :class:`Rule` (also from a
Frictionless Table Schema, :func:`rules_from_schema`), :func:`suggest_labels`,
:func:`find_duplicates`, :func:`find_near_duplicates`, :func:`gps_status`,
:func:`outlier_limits`, :func:`interview_durations`, :func:`compare_to_reference`.

Examples
--------
>>> import pandas as pd
>>> from cdcourse import cleaning
>>> raw = pd.DataFrame({"consent": ["yes", "NO", "Y"], "sex": ["F", "male", "fem"], "age": [34, 51, -99]})
>>> log = cleaning.CleaningLog("example")
>>> df = log.add(cleaning.keep_consented(raw))
>>> df = log.add(cleaning.standardise_labels(df, "sex", {"female": "female", "F": "female", "male": "male"},
...                                                    suggest=True, cutoff=0.5))
>>> df = log.add(cleaning.set_missing(df, {"age": [-99]}))
>>> df
  consent     sex   age
0     yes  female  34.0
2     yes  female   NaN
>>> log.replay(raw).data.equals(df)
True
"""
from cdcourse.cleaning._log import Cleaned, CleaningLog, Step, step_names
from cdcourse.cleaning.columns import convert_types, drop_columns, rename_columns
from cdcourse.cleaning.compare import Agreement, compare_to_reference
from cdcourse.cleaning.consent import keep_consented
from cdcourse.cleaning.dates import COMMON_FORMATS, check_date_format, parse_dates
from cdcourse.cleaning.duplicates import (
    NearDuplicates,
    drop_duplicate_submissions,
    drop_duplicates,
    drop_near_duplicates,
    find_duplicates,
    find_near_duplicates,
    haversine_m,
    text_similarity,
)
from cdcourse.cleaning.gps import fix_swapped_gps, flag_gps, gps_status, inside
from cdcourse.cleaning.labels import standardise_labels, suggest_labels
from cdcourse.cleaning.missing import COMMON_CODES, set_missing
from cdcourse.cleaning.outliers import flag_fast_interviews, flag_outliers, interview_durations, outlier_limits
from cdcourse.cleaning.validation import (
    Rule,
    ValidationReport,
    as_rules,
    flag_invalid,
    rules_from_schema,
    set_invalid_to_missing,
    validate,
)

__all__ = [
    "Agreement", "COMMON_CODES", "COMMON_FORMATS", "Cleaned", "CleaningLog", "NearDuplicates", "Rule", "Step",
    "ValidationReport", "as_rules", "check_date_format", "compare_to_reference", "convert_types", "drop_columns",
    "drop_duplicate_submissions", "drop_duplicates", "drop_near_duplicates", "find_duplicates",
    "find_near_duplicates", "fix_swapped_gps", "flag_fast_interviews", "flag_gps", "flag_invalid", "flag_outliers",
    "gps_status", "haversine_m", "inside", "interview_durations", "keep_consented", "outlier_limits", "parse_dates",
    "rename_columns", "rules_from_schema", "set_invalid_to_missing", "set_missing", "standardise_labels",
    "step_names", "suggest_labels", "text_similarity", "validate",
]
