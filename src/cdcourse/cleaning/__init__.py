"""Cleaning and validating citizen data, reproducibly (the "process" stage of the data value chain).
"""
from cdcourse.cleaning._log import Cleaned, CleaningLog, Step, step_names
from cdcourse.cleaning.consent import keep_consented

__all__ = ["Cleaned", "CleaningLog", "Step", "step_names", "keep_consented"]
from cdcourse.cleaning.labels import standardise_labels, suggest_labels
from cdcourse.cleaning.dates import COMMON_FORMATS, check_date_format, parse_dates
from cdcourse.cleaning.missing import COMMON_CODES, set_missing
from cdcourse.cleaning.columns import convert_types, drop_columns, rename_columns
from cdcourse.cleaning.validation import (
    Rule,
    ValidationReport,
    as_rules,
    flag_invalid,
    rules_from_schema,
    set_invalid_to_missing,
    validate,
)
