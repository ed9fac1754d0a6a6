"""Automated data-quality measures, each with its formula, and the full quality profile.

Six dimensions, after the DAMA UK data-quality dimensions: completeness, validity, uniqueness,
consistency, timeliness and accuracy. Every measure is a :class:`Measure` carrying its value, the
formula, the numbers that went into it and, when it could not be computed, a reason: a measure
that cannot be computed is ``NaN`` with the reason, never a perfect score. Validity with no rules
is missing, not 100 %; completeness of an empty table is missing, not 100 %.

Values are percentages (0-100), except accuracy, which is a relative error in % (lower is better).
"""
from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from cdcourse._validate import require_choice, require_columns, require_frame, require_number
from cdcourse.errors import CdcourseError
from cdcourse.quality import schema as _schema

__all__ = [
    "MEASURES",
    "Benchmark",
    "Measure",
    "QualityProfile",
    "Rule",
    "accuracy",
    "completeness",
    "consistency",
    "profile",
    "timeliness",
    "uniqueness",
    "validity",
    "weighted_estimate",
]

#: measure name -> (dimension, formula); the names the scoring matrix refers to.
MEASURES: dict[str, tuple[str, str]] = {
    "completeness_cells": ("completeness", "100 × present applicable cells / applicable cells"),
    "completeness_records": ("completeness", "100 × records with every applicable cell present / records"),
    "validity": ("validity", "100 × checks passed / checks made (schema cell checks + rule checks)"),
    "uniqueness": ("uniqueness", "100 × records that do not repeat an earlier record's key / records"),
    "consistency": ("consistency", "100 × cross-field checks passed / checks that apply"),
    "timeliness": ("timeliness", "100 × dated records aged 0..window days at the reference date / dated records"),
    "accuracy": ("accuracy", "mean over groups of 100 × |estimate − benchmark| / |benchmark| (lower is better)"),
}

RuleCheck = str | Callable[[pd.DataFrame], Any]


def _nan() -> float:
    return float("nan")


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "missing"
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.{digits}f}"


@dataclass(frozen=True, eq=False)
class Measure:
    """One data-quality measure: its value, its formula and the arithmetic that produced it.

    Attributes
    ----------
    name : the measure's name, as the scoring matrix refers to it (see :data:`MEASURES`).
    dimension : completeness, validity, uniqueness, consistency, timeliness or accuracy.
    value : percentage (accuracy: relative error in %); ``NaN`` when it could not be computed.
    formula : the formula in words.
    numerator, denominator : the two counts of the formula (``None`` when not a simple ratio).
    reason : why the value is missing, or what a reader must know about it.
    higher_is_better : False for accuracy (an error).
    details : a breakdown (per column, per rule or per group) as a DataFrame.
    """

    name: str
    dimension: str
    value: float
    formula: str
    numerator: float | None = None
    denominator: float | None = None
    reason: str = ""
    higher_is_better: bool = True
    details: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def computed(self) -> bool:
        """True when the measure has a value."""
        return not math.isnan(self.value)

    @property
    def worked(self) -> str:
        """The formula with its numbers, e.g. ``"100 × 9 / 12 = 75.0 %"``; says why when missing."""
        if not self.computed:
            return f"missing: {self.reason}"
        if self.numerator is not None and self.denominator is not None:
            return f"100 × {_fmt(self.numerator)} / {_fmt(self.denominator)} = {self.value:.1f} %"
        return f"{self.value:.1f} %"

    def to_dict(self) -> dict[str, Any]:
        """Plain types only, for JSON."""
        return {
            "name": self.name,
            "dimension": self.dimension,
            "value": None if not self.computed else round(float(self.value), 6),
            "formula": self.formula,
            "worked": self.worked,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "higher_is_better": self.higher_is_better,
            "reason": self.reason,
            "details": _records(self.details),
        }

    def to_frame(self) -> pd.DataFrame:
        """The details table (one row per column, rule or group)."""
        return self.details.copy()

    def _repr_html_(self) -> str:
        value = "missing" if not self.computed else f"{self.value:.1f} %"
        parts = [
            f"<p><b>{html.escape(self.name)}</b> ({html.escape(self.dimension)}): <b>{value}</b><br>",
            f"<code>{html.escape(self.formula)}</code><br>{html.escape(self.worked)}",
        ]
        if self.reason and self.computed:
            parts.append(f"<br><i>{html.escape(self.reason)}</i>")
        parts.append("</p>")
        if not self.details.empty:
            parts.append(self.details.head(30).to_html(index=False, na_rep="—", float_format=lambda v: f"{v:.1f}"))
        return "".join(parts)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, (np.integer,)):
                value = int(value)
            elif isinstance(value, (float, np.floating)):
                value = None if math.isnan(value) else float(value)
            elif isinstance(value, (tuple, list)):
                value = [str(v) for v in value]
            elif value is pd.NA or value is None:
                value = None
            elif not isinstance(value, (str, int, bool)):
                value = str(value)
            clean[str(key)] = value
        out.append(clean)
    return out


def _missing_measure(name: str, reason: str, *, higher_is_better: bool = True, details: pd.DataFrame | None = None) -> Measure:
    dimension, formula = MEASURES[name]
    return Measure(name, dimension, _nan(), formula, None, None, reason, higher_is_better,
                   details if details is not None else pd.DataFrame())


def _ratio_measure(name: str, passed: int, total: int, *, reason: str = "", details: pd.DataFrame | None = None) -> Measure:
    dimension, formula = MEASURES[name]
    value = 100.0 * passed / total if total else _nan()
    return Measure(name, dimension, value, formula, int(passed), int(total), reason, True,
                   details if details is not None else pd.DataFrame())


# --------------------------------------------------------------------------------------- rules
@dataclass(frozen=True)
class Rule:
    """A check on each record: ``check`` True means the record passes.

    Parameters
    ----------
    name : a short label shown in reports.
    check : a ``DataFrame.eval`` expression (``"age >= 0 and age <= 110"``; use parentheses and
        ``and``/``or``) or a function ``data -> boolean Series``.
    when : optional condition (same forms); the rule applies only to records where it is True,
        so ``Rule("under 15 no education", "education.isna()", when="age < 15")`` reads "if age
        < 15 then education is empty". A condition that is missing (``NA``, e.g. age unknown)
        counts as not applicable.
    description : a sentence for the report.

    A *check* that is missing for a record (``NA``: a comparison with a missing value in a nullable
    column) counts as failed, exactly as a comparison with ``NaN`` in a float column does, so the
    same data give the same score whatever their dtypes. To leave records with a missing value out
    of a rule, say so: ``when="age.notna()"``.

    Examples
    --------
    >>> r = Rule("adult head", "age >= 15", when="relationship == 'head'")
    >>> r.evaluate(pd.DataFrame({"age": [30, 12, 8], "relationship": ["head", "head", "child"]}))
    (2, 1)
    """

    name: str
    check: RuleCheck
    when: RuleCheck | None = None
    description: str = ""

    def _eval(self, data: pd.DataFrame, expr: RuleCheck, what: str) -> np.ndarray:
        try:
            result = expr(data) if callable(expr) else data.eval(expr)
        except Exception as err:  # the learner's expression: say which rule and why
            raise CdcourseError(
                f"rule {self.name!r}: its {what} {expr if isinstance(expr, str) else 'function'!r} failed on the data "
                f"({type(err).__name__}: {err}); columns are: {', '.join(map(str, data.columns[:20]))}"
            ) from None
        if np.ndim(result) == 0:
            result = np.full(len(data), bool(result))
        series = pd.Series(result) if not isinstance(result, pd.Series) else result
        if len(series) != len(data):
            raise CdcourseError(f"rule {self.name!r}: its {what} returned {len(series)} values for {len(data)} records")
        values = series.astype("boolean")
        # 1.0 = True, 0.0 = False, NaN = unknown (NA); the caller decides what unknown means.
        return values.to_numpy(dtype="float", na_value=np.nan)

    def outcome(self, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Per record: (applies, passes) boolean arrays.

        An unknown condition means the rule does not apply; an unknown check means it fails (NaN
        comparisons in float columns are already False, and NA in nullable columns must agree).
        """
        check = self._eval(data, self.check, "check")
        applies = np.ones(len(data), dtype=bool)
        if self.when is not None:
            cond = self._eval(data, self.when, "condition")
            applies &= cond == 1.0
        return applies, applies & (check == 1.0)

    def evaluate(self, data: pd.DataFrame) -> tuple[int, int]:
        """(records the rule applies to, records failing it)."""
        applies, passes = self.outcome(data)
        return int(applies.sum()), int((applies & ~passes).sum())


def _as_rules(rules: Any, param: str) -> list[Rule]:
    if rules is None:
        return []
    if isinstance(rules, Rule):
        return [rules]
    if isinstance(rules, Mapping):
        return [r if isinstance(r, Rule) else Rule(str(k), r) for k, r in rules.items()]
    if isinstance(rules, (str, bytes)) or not isinstance(rules, Sequence):
        raise CdcourseError(f"{param} must be a list of Rule, or a dict name -> expression; got {type(rules).__name__}")
    out = []
    for i, r in enumerate(rules):
        if isinstance(r, Rule):
            out.append(r)
        elif isinstance(r, str):
            out.append(Rule(r, r))
        else:
            raise CdcourseError(f"{param}[{i}] must be a Rule or an expression string; got {type(r).__name__}")
    return out


def _rule_table(data: pd.DataFrame, rules: list[Rule]) -> tuple[pd.DataFrame, int, int]:
    rows = []
    for rule in rules:
        applies, failed = rule.evaluate(data)
        rows.append({
            "rule": rule.name,
            "applies": applies,
            "failed": failed,
            "passing_pct": 100.0 * (applies - failed) / applies if applies else _nan(),
            "description": rule.description or (rule.check if isinstance(rule.check, str) else ""),
        })
    table = pd.DataFrame(rows, columns=["rule", "applies", "failed", "passing_pct", "description"])
    return table, int(table["applies"].sum()), int(table["failed"].sum())


# -------------------------------------------------------------------------------- completeness
def _applicable_mask(data: pd.DataFrame, column: str, applicable: Mapping[str, RuleCheck] | None) -> np.ndarray | None:
    if not applicable or column not in applicable:
        return None
    _, applies = Rule(f"{column} applies", applicable[column]).outcome(data)
    return applies


def completeness(
    data: pd.DataFrame,
    columns: Sequence[str] | None = None,
    *,
    level: Literal["cells", "records"] = "cells",
    missing_values: Sequence[Any] = (),
    applicable: Mapping[str, RuleCheck] | None = None,
) -> Measure:
    """Share of the cells (or records) that should hold a value and do.

    Formula: cells: ``100 × present applicable cells / applicable cells``; records: ``100 ×
    records whose applicable cells are all present / records``. A cell is *applicable* unless the
    ``applicable`` condition of its column says the question was not asked (a skip pattern: no
    education for children); a skipped cell is then neither missing nor present.

    Parameters
    ----------
    data : the table; not modified.
    columns : columns to measure (default: all).
    level : "cells" or "records".
    missing_values : extra markers of a missing value besides ``NA`` (e.g. ``["n/a", -99]``),
        as a Table Schema's ``missingValues``.
    applicable : column -> condition (expression or function) for the records where the column
        applies, e.g. ``{"education": "age >= 15"}``; a record where the condition is False or
        unknown (age missing) is skipped for that column.

    Returns
    -------
    Measure named ``completeness_cells`` or ``completeness_records``; details per column.
    Missing (NaN) when the table has no rows or no columns: nothing measured is not 100 %.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [30, None, 8, 41], "education": ["primary", None, None, "none"]})
    >>> completeness(df).worked          # 8 cells, 3 empty: 100 × 5 / 8
    '100 × 5 / 8 = 62.5 %'
    >>> completeness(df, level="records").worked     # only rows 0 and 3 are complete
    '100 × 2 / 4 = 50.0 %'
    >>> # education is asked from age 15: rows 1 (age unknown) and 2 (age 8) are skipped for it
    >>> completeness(df, applicable={"education": "age >= 15"}).worked   # 4 age + 2 education cells
    '100 × 5 / 6 = 83.3 %'

    Source: DAMA UK, "The six primary dimensions for data quality assessment" (2013).
    """
    require_frame(data, allow_empty=True)
    require_choice(level, ("cells", "records"), "level")
    cols = require_columns(data, columns, "columns") if columns is not None else list(data.columns)
    return _completeness_levels(data, cols, tuple(missing_values), applicable, (level,))[level]


def _completeness_levels(data: pd.DataFrame, cols: list, codes: tuple, applicable: Mapping[str, RuleCheck] | None,
                         levels: tuple[str, ...]) -> dict[str, Measure]:
    """Both completeness levels from one pass over the missing-value masks."""
    if len(data) == 0:
        return {lv: _missing_measure(f"completeness_{lv}", "the data has no rows, so completeness cannot be measured")
                for lv in levels}
    if not cols:
        return {lv: _missing_measure(f"completeness_{lv}", "no columns to measure") for lv in levels}
    for col in (applicable or {}):
        require_columns(data, col, "applicable")
    n = len(data)
    rows = []
    any_missing = np.zeros(n, dtype=bool)
    with _schema.distinct_cache():
        for col in cols:
            miss = _schema.missing_mask(data[col], codes)
            applies = _applicable_mask(data, col, applicable)
            if applies is not None:
                miss = miss & applies
                n_app = int(applies.sum())
            else:
                n_app = n
            any_missing |= miss
            n_miss = int(miss.sum())
            rows.append({"column": col, "applicable": n_app, "missing": n_miss,
                         "completeness_pct": 100.0 * (n_app - n_miss) / n_app if n_app else _nan()})
    details = pd.DataFrame(rows, columns=["column", "applicable", "missing", "completeness_pct"])
    out = {}
    if "cells" in levels:
        total = int(details["applicable"].sum())
        present = total - int(details["missing"].sum())
        out["cells"] = (_missing_measure("completeness_cells", "no cell is applicable", details=details) if total == 0
                        else _ratio_measure("completeness_cells", present, total, details=details))
    if "records" in levels:
        out["records"] = _ratio_measure("completeness_records", int(n - any_missing.sum()), n, details=details)
    return out


# ------------------------------------------------------------------------------------ validity
def validity(
    data: pd.DataFrame,
    rules: Sequence[Rule | str] | Mapping[str, RuleCheck] | None = None,
    *,
    schema: Mapping[str, Any] | None = None,
) -> Measure:
    """Share of the checks a dataset passes, against its Table Schema and/or record rules.

    Formula: ``100 × checks passed / checks made``. Schema checks are one per cell of a field that
    has a real check (a type other than string, or a constraint): a cell passes when it satisfies
    every constraint of its field; a missing cell is checked only when the field is ``required``
    (absence is completeness's business). Rule checks are one per record a rule applies to.
    A schema field that is absent from the data fails on every row (the promised column is not
    there); with no rules and no schema, or a schema none of whose fields is a column, validity is
    missing, not 100 %.

    This is a compact evaluation of the Table Schema constraints ``required``, ``enum``,
    ``minimum``, ``maximum``, ``pattern``, ``minLength``, ``maxLength``, ``unique`` and the field
    types integer, number, boolean, date, datetime, year.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [30, 150, -1, 41], "sex": ["female", "F", "male", None]})
    >>> schema = {"fields": [
    ...     {"name": "age", "type": "integer", "constraints": {"minimum": 0, "maximum": 110}},
    ...     {"name": "sex", "type": "string", "constraints": {"enum": ["female", "male"]}}]}
    >>> validity(df, schema=schema).worked   # 4 age cells (2 bad) + 3 present sex cells (1 bad)
    '100 × 4 / 7 = 57.1 %'
    >>> validity(df).reason
    'no rules and no schema given: validity cannot be measured (it is not 100 %)'

    Source: Frictionless Table Schema specification; DAMA UK data-quality dimensions (2013).
    """
    require_frame(data, allow_empty=True)
    rule_list = _as_rules(rules, "rules")
    if not rule_list and schema is None:
        return _missing_measure("validity", "no rules and no schema given: validity cannot be measured (it is not 100 %)")
    if len(data) == 0:
        return _missing_measure("validity", "the data has no rows, so validity cannot be measured")
    rows = []
    notes = []
    checked = invalid = 0
    if schema is not None:
        schema = _schema.schema_of(schema)
        results, absent, undescribed = _schema.check_schema(data, schema)
        if not results:
            names = ", ".join(absent[:8]) + (" ..." if len(absent) > 8 else "")
            return _missing_measure(
                "validity",
                f"the schema does not match the data: none of its fields ({names}) is a column of the data",
            )
        for res in results:
            rows.append({"check": res.field, "kind": f"field ({res.type})", "checked": res.checked,
                         "invalid": res.invalid,
                         "valid_pct": 100.0 * (res.checked - res.invalid) / res.checked if res.checked else _nan(),
                         "failures": ", ".join(f"{k}: {v}" for k, v in res.failures.items()),
                         "examples": ", ".join(res.examples), "note": res.note})
            checked += res.checked
            invalid += res.invalid
        for name in absent:
            rows.append({"check": name, "kind": "field (absent)", "checked": len(data), "invalid": len(data),
                         "valid_pct": 0.0, "failures": "column missing from the data", "examples": "", "note": ""})
            checked += len(data)
            invalid += len(data)
        if absent:
            notes.append(f"{len(absent)} schema field(s) absent from the data, counted as invalid: {', '.join(absent[:8])}")
        if undescribed:
            notes.append(f"{len(undescribed)} column(s) not in the schema, not checked: {', '.join(undescribed[:8])}")
        unchecked = [r.field for r in results if r.checked == 0]
        if unchecked:
            notes.append(f"{len(unchecked)} field(s) with no checkable constraint: {', '.join(unchecked[:8])}")
    if rule_list:
        table, applies, failed = _rule_table(data, rule_list)
        for row in table.to_dict(orient="records"):
            rows.append({"check": row["rule"], "kind": "rule", "checked": row["applies"], "invalid": row["failed"],
                         "valid_pct": row["passing_pct"], "failures": "", "examples": "", "note": row["description"]})
        checked += applies
        invalid += failed
    details = pd.DataFrame(rows, columns=["check", "kind", "checked", "invalid", "valid_pct", "failures", "examples", "note"])
    if checked == 0:
        return _missing_measure("validity", "no check applied to any value (no checkable constraint or rule): "
                                "validity cannot be measured", details=details)
    return _ratio_measure("validity", checked - invalid, checked, reason="; ".join(notes), details=details)


# ---------------------------------------------------------------------------------- uniqueness
def uniqueness(data: pd.DataFrame, key: str | Sequence[str] | None = None, *, ignore: Sequence[str] = ()) -> Measure:
    """Share of records that are not a repeat of an earlier record (by key, or by all columns).

    Formula: ``100 × (records − repeats) / records``, where a repeat is the second or later
    record with the same key (``key`` columns; default: every column except ``ignore``). A record
    with a missing key part cannot be told apart, so it counts as not unique. Ignoring a fresh
    submission id and time finds the double submissions that exact matching misses.

    Examples
    --------
    >>> df = pd.DataFrame({"hh": ["H1", "H1", "H2", "H3", None], "line": [1, 1, 1, 1, 1]})
    >>> uniqueness(df, ["hh", "line"]).worked   # one repeat (H1/1), one missing key: 100 × 3 / 5
    '100 × 3 / 5 = 60.0 %'

    Source: DAMA UK data-quality dimensions (2013): "nothing will be recorded more than once".
    """
    require_frame(data, allow_empty=True)
    if key is not None:
        cols = require_columns(data, key, "key")
    else:
        require_columns(data, list(ignore), "ignore")
        cols = [c for c in data.columns if c not in set(ignore)]
    if len(data) == 0:
        return _missing_measure("uniqueness", "the data has no rows, so uniqueness cannot be measured")
    if not cols:
        return _missing_measure("uniqueness", "no columns left to compare records on")
    sub = data[cols]
    repeats = sub.duplicated(keep="first").to_numpy()
    missing_key = sub.isna().any(axis=1).to_numpy() if key is not None else np.zeros(len(sub), dtype=bool)
    failing = repeats | missing_key
    n = len(sub)
    dup_rows = sub.duplicated(keep=False).to_numpy() & ~missing_key
    details = pd.DataFrame(columns=[*cols, "copies"])
    if dup_rows.any():
        details = (sub[dup_rows].astype("string").value_counts(dropna=False).rename("copies")
                   .reset_index().head(20))
    notes = []
    if missing_key.any():
        notes.append(f"{int(missing_key.sum())} record(s) with a missing key part counted as not unique")
    notes.append(f"{int(repeats.sum())} repeat(s) of an earlier record" + (f" on key {', '.join(cols)}" if key is not None else ""))
    return _ratio_measure("uniqueness", int(n - failing.sum()), n, reason="; ".join(notes), details=details)


# --------------------------------------------------------------------------------- consistency
def consistency(data: pd.DataFrame, rules: Sequence[Rule | str] | Mapping[str, RuleCheck] | None) -> Measure:
    """Share of cross-field checks that pass, over the records each rule applies to.

    Formula: ``100 × Σ passes / Σ applicable records`` over the rules (see :class:`Rule`: a rule
    with ``when`` applies only where its condition holds). With no rules consistency is missing,
    not 100 %.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [10, 12, 30, 40], "education": ["primary", None, "none", None],
    ...                    "start": [1, 2, 3, 4], "end": [2, 1, 5, 6]})
    >>> rules = [Rule("no education under 15", "education.isna()", when="age < 15"),
    ...          Rule("ends after start", "end >= start")]
    >>> consistency(df, rules).worked   # rule 1: 2 apply, 1 fails; rule 2: 4 apply, 1 fails
    '100 × 4 / 6 = 66.7 %'

    Source: DAMA UK data-quality dimensions (2013).
    """
    require_frame(data, allow_empty=True)
    rule_list = _as_rules(rules, "rules")
    if not rule_list:
        return _missing_measure("consistency", "no cross-field rules given: consistency cannot be measured (it is not 100 %)")
    if len(data) == 0:
        return _missing_measure("consistency", "the data has no rows, so consistency cannot be measured")
    table, applies, failed = _rule_table(data, rule_list)
    if applies == 0:
        return _missing_measure("consistency", "no rule applies to any record", details=table)
    return _ratio_measure("consistency", applies - failed, applies, details=table)


# ---------------------------------------------------------------------------------- timeliness
def _as_timestamp(value: Any, param: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise CdcourseError(f"{param} must be a date like '2024-06-30'; got {value!r}") from None
    if pd.isna(ts):
        raise CdcourseError(f"{param} must be a date like '2024-06-30'; got {value!r}")
    return ts.tz_convert(None) if ts.tzinfo is not None else ts


def timeliness(
    data: pd.DataFrame,
    date_column: str | None,
    *,
    reference_date: Any,
    window_days: float = 365,
) -> Measure:
    """Share of dated records that are at most ``window_days`` old at the reference date.

    Formula: ``age = reference date − record date`` (days); ``100 × records with 0 ≤ age ≤
    window / records with a readable date``. A record dated after the reference date is not
    timely (it is an error). Records without a readable date are left out of the denominator and
    counted in the details (completeness measures them). The details give the median, youngest and
    oldest age. Missing when there is no date column, no reference date or no readable date.

    Examples
    --------
    >>> df = pd.DataFrame({"d": pd.to_datetime(["2024-06-01", "2024-01-01", "2022-01-01", None, "2024-08-01"])})
    >>> m = timeliness(df, "d", reference_date="2024-06-30", window_days=365)
    >>> m.worked     # ages 29, 181, 911 days and one in the future: 2 of 4 dated records
    '100 × 2 / 4 = 50.0 %'
    >>> int(m.details.loc[0, "median_age_days"])
    105

    Source: DAMA UK data-quality dimensions (2013); NQAF Manual (2019), timeliness and punctuality.
    """
    require_frame(data, allow_empty=True)
    if date_column is None:
        return _missing_measure("timeliness", "no date column given: timeliness cannot be measured")
    require_columns(data, date_column, "date_column")
    if reference_date is None:
        return _missing_measure("timeliness", "no reference date given: timeliness cannot be measured")
    ref = _as_timestamp(reference_date, "reference_date")
    require_number(window_days, "window_days", low=0, low_inclusive=False)
    if len(data) == 0:
        return _missing_measure("timeliness", "the data has no rows, so timeliness cannot be measured")
    col = data[date_column]
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        dates = col.dt.tz_convert(None) if getattr(col.dt, "tz", None) is not None else col
        unreadable = 0
    else:
        text = col.astype("string")
        dates = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True).dt.tz_convert(None)
        unreadable = int((text.notna() & dates.isna()).sum())
    age = (ref - dates).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan) / 86400.0
    dated = ~np.isnan(age)
    n_dated = int(dated.sum())
    future = int((age[dated] < 0).sum())
    within = int(((age[dated] >= 0) & (age[dated] <= window_days)).sum())
    details = pd.DataFrame([{
        "date_column": date_column, "reference_date": ref.date().isoformat(), "window_days": window_days,
        "dated": n_dated, "no_date": int(len(data) - n_dated - unreadable), "unreadable": unreadable,
        "future": future, "within_window": within,
        "median_age_days": float(np.median(age[dated])) if n_dated else _nan(),
        "youngest_days": float(age[dated].min()) if n_dated else _nan(),
        "oldest_days": float(age[dated].max()) if n_dated else _nan(),
    }])
    if n_dated == 0:
        return _missing_measure("timeliness", f"no readable date in {date_column!r}", details=details)
    notes = [f"median age {details.loc[0, 'median_age_days']:.0f} days at {ref.date()}"]
    if future:
        notes.append(f"{future} record(s) dated after the reference date")
    if n_dated < len(data):
        notes.append(f"{len(data) - n_dated} record(s) without a readable date left out")
    return _ratio_measure("timeliness", within, n_dated, reason="; ".join(notes), details=details)


# ------------------------------------------------------------------------------------ accuracy
def weighted_estimate(
    data: pd.DataFrame,
    column: str,
    *,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    scale: float = 1.0,
) -> pd.Series | float:
    """Weighted mean of ``column`` (a share for booleans), overall or by group, times ``scale``.

    Formula: ``scale × Σ w·y / Σ w`` over records where ``y`` is present (Hájek estimator; with no
    weight column every record weighs 1).

    Examples
    --------
    >>> df = pd.DataFrame({"y": [True, False, True, None], "w": [1.0, 3.0, 2.0, 5.0], "g": list("aabb")})
    >>> weighted_estimate(df, "y", weight="w", scale=100)   # 100 × (1 + 2) / (1 + 3 + 2)
    50.0
    >>> weighted_estimate(df, "y", weight="w", by="g").round(3).tolist()
    [0.25, 1.0]
    """
    from cdcourse._validate import require_positive_weights

    require_frame(data)
    require_columns(data, column, "column")
    groups = require_columns(data, by, "by")
    y = pd.to_numeric(data[column].astype("Float64") if pd.api.types.is_bool_dtype(data[column].dtype)
                      else data[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    present = data[column].notna().to_numpy()
    if present.any() and np.isnan(y[present]).all():
        example = data[column][present].iloc[0]
        raise CdcourseError(
            f"column {column!r} holds text (e.g. {example!r}), not numbers; weighted_estimate needs numbers or "
            f"True/False values: recode it first, e.g. data[{column!r}].eq({example!r})"
        )
    w = require_positive_weights(data, weight) if weight is not None else np.ones(len(data))
    keep = ~np.isnan(y)
    frame = pd.DataFrame({"wy": np.where(keep, w * np.nan_to_num(y), 0.0), "w": np.where(keep, w, 0.0)}, index=data.index)
    if not groups:
        total = frame["w"].sum()
        if total == 0:
            raise CdcourseError(f"column {column!r} has no present value to estimate from")
        return float(scale * frame["wy"].sum() / total)
    for g in groups:
        frame[g] = data[g].to_numpy()
    sums = frame.groupby(groups if len(groups) > 1 else groups[0], observed=True, dropna=True)[["wy", "w"]].sum()
    est = scale * sums["wy"] / sums["w"].replace(0.0, np.nan)
    return est.rename(column)


@dataclass(frozen=True)
class Benchmark:
    """A trusted value to compare an estimate with (official statistics or the population truth).

    Parameters
    ----------
    column : the column whose weighted mean (or share) is estimated.
    values : the benchmark: a number (overall) or a Series/dict indexed by group.
    weight : the weight column (None: unweighted).
    by : the grouping column(s) matching the index of ``values``.
    scale : multiply the estimate (100 turns a share into a percentage).
    label : where the benchmark comes from, for the report.
    """

    column: str
    values: float | pd.Series | Mapping[Any, float]
    weight: str | None = None
    by: str | Sequence[str] | None = None
    scale: float = 1.0
    label: str = "benchmark"


def accuracy(
    data: pd.DataFrame,
    column: str,
    benchmark: float | pd.Series | Mapping[Any, float] | None,
    *,
    weight: str | None = None,
    by: str | Sequence[str] | None = None,
    scale: float = 1.0,
    label: str = "benchmark",
) -> Measure:
    """How far the dataset's weighted estimate lies from a trusted benchmark, as a relative error.

    Formula: per group ``100 × |estimate − benchmark| / |benchmark|``; the measure is the mean of
    these relative errors over the groups with a non-zero benchmark (lower is better). Missing when
    there is no benchmark or no group in common.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 0.0, 1.0, 1.0], "w": [1.0, 1.0, 1.0, 3.0], "g": ["a", "a", "b", "b"]})
    >>> m = accuracy(df, "y", {"a": 0.4, "b": 0.8}, weight="w", by="g")
    >>> m.worked      # a: |0.5 − 0.4| / 0.4 = 25 %; b: |1 − 0.8| / 0.8 = 25 %
    '25.0 %'
    >>> accuracy(df, "y", None).reason
    'no benchmark available: accuracy cannot be measured'

    Source: relative error as in the NQAF Manual (2019), accuracy and reliability.
    """
    require_frame(data, allow_empty=True)
    require_columns(data, column, "column")
    if benchmark is None:
        return _missing_measure("accuracy", "no benchmark available: accuracy cannot be measured", higher_is_better=False)
    if len(data) == 0:
        return _missing_measure("accuracy", "the data has no rows, so accuracy cannot be measured", higher_is_better=False)
    require_number(scale, "scale", low=0, low_inclusive=False)
    if by is None and isinstance(benchmark, (pd.Series, Mapping)):
        raise CdcourseError(
            f"benchmark has one value per group ({len(benchmark)} given) but by is not set; pass by= with the "
            f"column(s) whose values label the benchmark, or give one number for the whole data"
        )
    est = weighted_estimate(data, column, weight=weight, by=by, scale=scale)
    if by is None:
        require_number(benchmark, "benchmark")
        est_s, bench_s = pd.Series({"all": est}), pd.Series({"all": float(benchmark)})
    else:
        bench_s = pd.Series(benchmark, dtype=float) if isinstance(benchmark, Mapping) else pd.Series(benchmark).astype(float)
        est_s = est
    common = est_s.index.intersection(bench_s.index)
    details = pd.DataFrame({"group": common, "estimate": est_s.reindex(common).to_numpy(),
                            label: bench_s.reindex(common).to_numpy()})
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = 100.0 * np.abs(details["estimate"] - details[label]) / np.abs(details[label])
    details["relative_error_pct"] = rel.where(details[label] != 0)
    notes = []
    unmatched = [str(g) for g in est_s.index.difference(bench_s.index)]
    if unmatched:
        notes.append(f"no benchmark for: {', '.join(unmatched[:8])}")
    if (details[label] == 0).any():
        notes.append("groups with a zero benchmark left out (relative error undefined)")
    usable = details["relative_error_pct"].dropna()
    if usable.empty:
        return _missing_measure("accuracy", "no group has both an estimate and a non-zero benchmark"
                                + (f" ({'; '.join(notes)})" if notes else ""), higher_is_better=False, details=details)
    dimension, formula = MEASURES["accuracy"]
    notes.insert(0, f"{len(usable)} group(s) compared with {label}; worst {usable.max():.1f} %")
    return Measure("accuracy", dimension, float(usable.mean()), formula, None, None, "; ".join(notes), False, details)


# ----------------------------------------------------------------------------------- profile
@dataclass(frozen=True, eq=False)
class QualityProfile:
    """Every automated measure of one dataset, with a per-column summary.

    Index it by measure name (``profile["validity"]``); ``to_frame()`` gives one row per measure.
    """

    dataset: str
    n_rows: int
    n_columns: int
    measures: dict[str, Measure]
    columns: pd.DataFrame
    reference_date: str | None = None

    def __getitem__(self, name: str) -> Measure:
        if name not in self.measures:
            raise CdcourseError(f"no measure named {name!r}; measures are: {', '.join(self.measures)}")
        return self.measures[name]

    def values(self) -> dict[str, float]:
        """Measure name -> value (NaN when missing)."""
        return {k: m.value for k, m in self.measures.items()}

    def to_frame(self) -> pd.DataFrame:
        """One row per measure: value, formula, the worked arithmetic and any reason."""
        return pd.DataFrame([{"measure": m.name, "dimension": m.dimension, "value": m.value,
                              "higher_is_better": m.higher_is_better, "formula": m.formula,
                              "worked": m.worked, "reason": m.reason} for m in self.measures.values()])

    def to_dict(self) -> dict[str, Any]:
        """Plain types only, for JSON."""
        return {"dataset": self.dataset, "rows": self.n_rows, "columns": self.n_columns,
                "reference_date": self.reference_date,
                "measures": {k: m.to_dict() for k, m in self.measures.items()},
                "by_column": _records(self.columns)}

    def _repr_html_(self) -> str:
        table = self.to_frame()[["measure", "value", "worked", "reason"]]
        missing = [m.name for m in self.measures.values() if not m.computed]
        note = (f"<p>{len(missing)} measure(s) could not be computed and are shown as missing, not as 100 %: "
                f"{html.escape(', '.join(missing))}.</p>") if missing else ""
        return (f"<p><b>Quality profile</b> of {html.escape(self.dataset or 'the data')}: "
                f"{self.n_rows:,} records × {self.n_columns} columns</p>"
                + table.to_html(index=False, na_rep="missing", float_format=lambda v: f"{v:.1f}") + note)


def _column_summary(data: pd.DataFrame, comp: Measure, valid: Measure) -> pd.DataFrame:
    cols = pd.DataFrame({"column": [str(c) for c in data.columns], "dtype": [str(t) for t in data.dtypes]})
    if not comp.details.empty:
        cols = cols.merge(comp.details[["column", "missing", "completeness_pct"]], on="column", how="left")
    else:
        cols["missing"] = np.nan
        cols["completeness_pct"] = np.nan
    fields = valid.details[valid.details["kind"].str.startswith("field")] if not valid.details.empty else None
    if fields is not None and len(fields):
        cols = cols.merge(fields[["check", "checked", "invalid", "valid_pct"]].rename(columns={"check": "column"}),
                          on="column", how="left")
    else:
        cols["checked"] = np.nan
        cols["invalid"] = np.nan
        cols["valid_pct"] = np.nan
    return cols


def profile(
    data: pd.DataFrame,
    *,
    dataset: str = "",
    schema: Mapping[str, Any] | None = None,
    rules: Sequence[Rule | str] | Mapping[str, RuleCheck] | None = None,
    consistency_rules: Sequence[Rule | str] | Mapping[str, RuleCheck] | None = None,
    key: str | Sequence[str] | None = None,
    ignore: Sequence[str] = (),
    date_column: str | None = None,
    reference_date: Any = None,
    window_days: float = 365,
    benchmark: Benchmark | None = None,
    missing_values: Sequence[Any] | None = None,
    applicable: Mapping[str, RuleCheck] | None = None,
) -> QualityProfile:
    """Run every automated measure on one dataset; a measure without its inputs is missing.

    Parameters
    ----------
    data : the table; not modified.
    dataset : a name for reports.
    schema : a Table Schema (or Data Package resource) for validity; its ``missingValues`` also
        count as missing for completeness, and its ``primaryKey`` is the default ``key``.
    rules : record-level validity rules (see :class:`Rule`).
    consistency_rules : cross-field rules for consistency.
    key, ignore : what identifies a record for uniqueness (see :func:`uniqueness`).
    date_column, reference_date, window_days : for timeliness.
    benchmark : a :class:`Benchmark` for accuracy.
    missing_values : extra missing-value markers (default: the schema's ``missingValues``).
    applicable : skip patterns for completeness (see :func:`completeness`).

    Examples
    --------
    >>> df = pd.DataFrame({"id": ["a", "b", "b"], "age": [30, None, 200]})
    >>> p = profile(df, key="id", schema={"fields": [{"name": "age", "type": "integer",
    ...                                                  "constraints": {"maximum": 110}}]})
    >>> round(p["completeness_cells"].value, 1), round(p["validity"].value, 1), round(p["uniqueness"].value, 1)
    (83.3, 50.0, 66.7)
    >>> p["timeliness"].computed
    False
    """
    require_frame(data, allow_empty=True)
    if schema is not None:
        schema = _schema.schema_of(schema)
    codes = tuple(missing_values) if missing_values is not None else _schema.missing_values(schema)
    if key is None and schema is not None:
        declared = [k for k in _schema.primary_key(schema) if k in data.columns]
        key = declared or None
    with _schema.distinct_cache():  # each text column is factorised once for all the measures
        comp = _completeness_levels(data, list(data.columns), codes, applicable, ("cells", "records"))
        measures = {
            "completeness_cells": comp["cells"],
            "completeness_records": comp["records"],
            "validity": validity(data, rules, schema=schema),
            "uniqueness": uniqueness(data, key, ignore=ignore),
            "consistency": consistency(data, consistency_rules),
            "timeliness": timeliness(data, date_column, reference_date=reference_date, window_days=window_days),
        }
    if benchmark is None:
        measures["accuracy"] = _missing_measure("accuracy", "no benchmark available: accuracy cannot be measured",
                                                higher_is_better=False)
    else:
        measures["accuracy"] = accuracy(data, benchmark.column, benchmark.values, weight=benchmark.weight,
                                        by=benchmark.by, scale=benchmark.scale, label=benchmark.label)
    ref = None if reference_date is None else _as_timestamp(reference_date, "reference_date").date().isoformat()
    return QualityProfile(dataset, len(data), len(data.columns), measures,
                          _column_summary(data, measures["completeness_cells"], measures["validity"]), ref)
