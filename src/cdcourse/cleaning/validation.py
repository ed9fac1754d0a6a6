"""Declarative validation rules, checked on whole columns at once, reporting every failure.

A rule says what a valid record looks like. :func:`validate` checks every rule on every row and
reports **every** failing (row, rule) pair: it never stops at an error limit, so the count in the
report is the count in the data.

What each kind of rule checks (the same semantics a row-by-row check would apply):

============  ===============================================================================
kind          a row fails when ...
============  ===============================================================================
required      the value is missing (None, NaN, NaT) or text that is empty after trimming spaces
range         the value is present and is not a number (a date, when the bounds are dates), or
              lies outside [min, max] (``strict_min``/``strict_max`` exclude the bound itself)
allowed       the value is present and is not one of the allowed values (text compares exactly;
              a number also matches its text form, so 1 matches "1")
pattern       the value is present and its text does not match the regular expression in full
length        the value is present and its text is shorter than min or longer than max characters
type          the value is present and cannot be read as the type (integer, number, boolean,
              date, datetime, string)
unique        all its columns are present and the same combination appears in another row
              (every copy fails, not only the second)
check         ``when`` (if given) holds, every column the expression uses is present, and the
              expression is false: "age >= 15 or relationship != 'head'"; a text column whose
              values are all numbers (a CSV read as text) is compared as numbers
============  ===============================================================================

Missing values pass every rule but ``required``: one problem, one report.
"""
from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdcourse._validate import require_choice, require_frame
from cdcourse.cleaning._log import cleaning_step
from cdcourse.cleaning._text import keys_of
from cdcourse.errors import CdcourseError

KINDS = ("required", "range", "allowed", "pattern", "length", "type", "unique", "check")
VALUE_TYPES = ("integer", "number", "boolean", "date", "datetime", "string")
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
_INT_TEXT = re.compile(r"^\s*[+-]?\d+(\.0*)?\s*$")


def _as_columns(columns: str | Sequence[str]) -> tuple[str, ...]:
    cols = (columns,) if isinstance(columns, str) else tuple(columns)
    if not cols or not all(isinstance(c, str) for c in cols):
        raise CdcourseError(f"a rule's column(s) must be column names; got {columns!r}")
    return cols


def _bound(value: Any) -> Any:
    """A range bound as a number or a Timestamp (dates arrive as ISO text from JSON)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise CdcourseError(f"a range bound must be a number or a date; got {value!r}")
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError):
        raise CdcourseError(f"a range bound must be a number or a date; got {value!r}") from None


def expression_columns(expression: str) -> list[str]:
    """Column names an expression uses, in order of appearance.

    >>> expression_columns("age >= 15 or relationship != 'head'")
    ['age', 'relationship']
    """
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as err:
        raise CdcourseError(f"expression {expression!r} is not valid: {err.msg}") from None
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            raise CdcourseError(f"expression {expression!r} may not call functions; compare columns and values")
        if isinstance(node, ast.Name) and node.id not in names and node.id not in ("True", "False", "None"):
            names.append(node.id)
    return names


@dataclass(frozen=True)
class Rule:
    """One validation rule: a kind, the column(s) it checks, its settings and a name for reports.

    Build rules with the class methods (``Rule.required("age")``, ``Rule.range("age", 0, 110)``,
    ``Rule.allowed(...)``, ``Rule.pattern(...)``, ``Rule.length(...)``, ``Rule.type(...)``,
    ``Rule.unique(...)``, ``Rule.check(...)``) or from plain dicts with :meth:`from_dict`
    (``{"kind": "range", "column": "age", "min": 0, "max": 110}``), for example read from JSON.

    Examples
    --------
    >>> Rule.range("age", 0, 110).name
    'age in [0, 110]'
    >>> Rule.from_dict({"kind": "allowed", "column": "sex", "values": ["female", "male"]}).name
    'sex allowed values'
    """

    kind: str
    columns: tuple[str, ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""

    def __post_init__(self) -> None:
        require_choice(self.kind, KINDS, "rule kind")
        object.__setattr__(self, "columns", _as_columns(self.columns))
        object.__setattr__(self, "params", dict(self.params))
        if not self.name:
            object.__setattr__(self, "name", self._default_name())
        if not isinstance(self.name, str):
            raise CdcourseError(f"rule name must be text; got {self.name!r}")
        self._check_params()

    # -- constructors -------------------------------------------------------------------------
    @classmethod
    def required(cls, column: str, *, name: str = "") -> Rule:
        """Every record must have a value."""
        return cls("required", (column,), {}, name)

    @classmethod
    def range(cls, column: str, min: Any = None, max: Any = None, *, strict_min: bool = False,
              strict_max: bool = False, name: str = "") -> Rule:
        """Values must lie between ``min`` and ``max`` (numbers or dates; either may be None)."""
        return cls("range", (column,), {"min": min, "max": max, "strict_min": strict_min,
                                        "strict_max": strict_max}, name)

    @classmethod
    def allowed(cls, column: str, values: Sequence[Any], *, name: str = "") -> Rule:
        """Values must be one of ``values``."""
        return cls("allowed", (column,), {"values": list(values)}, name)

    @classmethod
    def pattern(cls, column: str, regex: str, *, name: str = "") -> Rule:
        """Values must match the regular expression in full ("ENUM\\d{2}")."""
        return cls("pattern", (column,), {"regex": regex}, name)

    @classmethod
    def length(cls, column: str, min: int | None = None, max: int | None = None, *, name: str = "") -> Rule:
        """Text must have between ``min`` and ``max`` characters."""
        return cls("length", (column,), {"min": min, "max": max}, name)

    @classmethod
    def type(cls, column: str, type: str, *, format: str | None = None, name: str = "") -> Rule:
        """Values must read as ``type`` (integer, number, boolean, date, datetime, string)."""
        return cls("type", (column,), {"type": type, "format": format}, name)

    @classmethod
    def unique(cls, columns: str | Sequence[str], *, name: str = "") -> Rule:
        """No two records may share the value (or the combination of values) of ``columns``."""
        return cls("unique", _as_columns(columns), {}, name)

    @classmethod
    def check(cls, expression: str, *, when: str | None = None, name: str = "") -> Rule:
        """A cross-field rule: ``expression`` must be true (on rows where ``when`` is true).

        Write it as pandas' ``DataFrame.eval`` reads it: column names, numbers, quoted text,
        comparisons, ``and``/``or``/``not``: ``"age >= 15 or relationship != 'head'"``.
        """
        if not isinstance(expression, str):
            raise CdcourseError(f"a check rule's expression must be text; got {expression!r}")
        cols = expression_columns(expression) + (expression_columns(when) if when else [])
        if not cols:
            raise CdcourseError(f"expression {expression!r} uses no column")
        return cls("check", tuple(dict.fromkeys(cols)), {"expression": expression, "when": when}, name)

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any] | Rule) -> Rule:
        """A rule from a plain dict: kind, column (or columns), its settings, optional name."""
        if isinstance(spec, Rule):
            return spec
        if not isinstance(spec, Mapping):
            raise CdcourseError(f"a rule must be a Rule or a dict with 'kind' and 'column'; got {spec!r}")
        spec = dict(spec)
        kind = spec.pop("kind", None)
        require_choice(kind, KINDS, "rule kind")
        name = spec.pop("name", "")
        cols = spec.pop("columns", None) or spec.pop("column", None)
        if kind == "check":
            if "expression" not in spec:
                raise CdcourseError(f"check rule {name or spec!r} needs an 'expression'")
            return cls.check(spec["expression"], when=spec.get("when"), name=name)
        if cols is None:
            raise CdcourseError(f"{kind} rule {name!r} needs a 'column'; got {spec!r}")
        return cls(kind, _as_columns(cols), spec, name)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "name": self.name}
        if self.kind != "check":
            out["column" if len(self.columns) == 1 else "columns"] = (
                self.columns[0] if len(self.columns) == 1 else list(self.columns)
            )
        out.update({k: (v.isoformat() if isinstance(v, pd.Timestamp) else v) for k, v in self.params.items()})
        return out

    # -- internals ----------------------------------------------------------------------------
    def _default_name(self) -> str:
        col = ", ".join(self.columns)
        p = self.params
        if self.kind == "range":
            lo = "-inf" if p.get("min") is None else _fmt(p["min"])
            hi = "inf" if p.get("max") is None else _fmt(p["max"])
            return f"{col} in {'(' if p.get('strict_min') else '['}{lo}, {hi}{')' if p.get('strict_max') else ']'}"
        if self.kind == "allowed":
            return f"{col} allowed values"
        if self.kind == "pattern":
            return f"{col} matches {p.get('regex')}"
        if self.kind == "length":
            return f"{col} length in [{p.get('min', 0) or 0}, {p.get('max') if p.get('max') is not None else 'inf'}]"
        if self.kind == "type":
            return f"{col} is {p.get('type')}"
        if self.kind == "unique":
            return f"{col} unique"
        if self.kind == "check":
            return p["expression"] if not p.get("when") else f"if {p['when']}: {p['expression']}"
        return f"{col} required"

    def _check_params(self) -> None:
        p = self.params
        allowed_keys = {
            "required": set(), "range": {"min", "max", "strict_min", "strict_max"}, "allowed": {"values"},
            "pattern": {"regex"}, "length": {"min", "max"}, "type": {"type", "format"}, "unique": set(),
            "check": {"expression", "when"},
        }[self.kind]
        extra = sorted(set(p) - allowed_keys)
        if extra:
            raise CdcourseError(
                f"rule {self.name!r} ({self.kind}) has unknown setting(s) {extra}; "
                f"a {self.kind} rule takes: {sorted(allowed_keys) or 'no settings'}"
            )
        if self.kind in ("required", "range", "allowed", "pattern", "length", "type") and len(self.columns) != 1:
            raise CdcourseError(f"rule {self.name!r} ({self.kind}) checks one column; got {list(self.columns)}")
        if self.kind == "range":
            lo, hi = _bound(p.get("min")), _bound(p.get("max"))
            if lo is None and hi is None:
                raise CdcourseError(f"range rule {self.name!r} needs a min, a max or both")
            if lo is not None and hi is not None:
                if type(lo) is not type(hi):
                    raise CdcourseError(f"range rule {self.name!r} mixes a number and a date as bounds")
                if lo > hi:
                    raise CdcourseError(f"range rule {self.name!r} has min {p['min']!r} above max {p['max']!r}")
        elif self.kind == "allowed":
            if not isinstance(p.get("values"), (list, tuple, set)) or not p.get("values"):
                raise CdcourseError(f"allowed rule {self.name!r} needs a non-empty list 'values'")
        elif self.kind == "pattern":
            try:
                re.compile(p.get("regex"))
            except (re.error, TypeError) as err:
                raise CdcourseError(f"pattern rule {self.name!r} has an invalid regular expression {p.get('regex')!r}: {err}") from None
        elif self.kind == "length":
            for key in ("min", "max"):
                v = p.get(key)
                if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0):
                    raise CdcourseError(f"length rule {self.name!r}: {key} must be a whole number >= 0; got {v!r}")
        elif self.kind == "type":
            require_choice(p.get("type"), VALUE_TYPES, f"type of rule {self.name!r}")


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat() if v == v.normalize() else v.isoformat()
    return str(v)


def as_rules(rules: Rule | Mapping[str, Any] | Sequence[Rule | Mapping[str, Any]] | ValidationReport) -> list[Rule]:
    """A list of Rule objects from rules, dicts, or a report (whose rules are reused).

    >>> [r.name for r in as_rules([{"kind": "required", "column": "age"}])]
    ['age required']
    """
    if isinstance(rules, ValidationReport):
        return list(rules.rules)
    if isinstance(rules, (Rule, Mapping)):
        rules = [rules]
    if not isinstance(rules, (list, tuple)):
        raise CdcourseError(f"rules must be a list of Rule objects or dicts; got {type(rules).__name__}")
    out = [Rule.from_dict(r) for r in rules]
    names = [r.name for r in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CdcourseError(f"rule names must be unique; repeated: {dupes} (give each rule a name=)")
    return out


# -- the vectorised checks ---------------------------------------------------------------------
def _is_text(values: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_datetime64_any_dtype(values.dtype)
                or pd.api.types.is_bool_dtype(values.dtype))


class _Column:
    """One column, with the work several rules share done once: missing cells, distinct values.

    Citizen-data columns repeat a few labels many times, so text checks run once per distinct
    value and are spread back to the rows through the factorised codes.
    """

    def __init__(self, values: pd.Series) -> None:
        self.values = values
        self.text = _is_text(values)
        self._codes: np.ndarray | None = None
        self._uniques: np.ndarray | None = None
        self._present: np.ndarray | None = None

    def per_value(self, func) -> np.ndarray:
        """func(value) for each distinct value, spread to every row (False for missing rows)."""
        if self._codes is None:
            codes, uniques = pd.factorize(self.values, use_na_sentinel=True)
            self._codes, self._uniques = np.asarray(codes), np.asarray(uniques, dtype=object)
        hit = np.fromiter((bool(func(u)) for u in self._uniques), dtype=bool, count=len(self._uniques))
        return np.append(hit, False)[self._codes]

    @property
    def present(self) -> np.ndarray:
        if self._present is None:
            present = self.values.notna().to_numpy(dtype=bool).copy()
            if self.text:
                present &= ~self.per_value(lambda v: isinstance(v, str) and v.strip() == "")
            self._present = present
        return self._present


def _as_numbers(values: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype):
        return pd.Series(np.nan, index=values.index)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype(float)
    text = values.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v, na_action="ignore")
    text = text.map(lambda v: np.nan if isinstance(v, bool) else v, na_action="ignore")
    return pd.to_numeric(text, errors="coerce").astype(float)


def _as_dates(values: pd.Series, fmt: str | None = None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    return pd.to_datetime(values.astype(object), format=fmt or "ISO8601", errors="coerce")


def _type_fails(values: pd.Series, kind: str, fmt: str | None, present: np.ndarray) -> np.ndarray:
    if kind == "string":
        return np.zeros(len(values), dtype=bool)
    if kind in ("integer", "number"):
        if pd.api.types.is_bool_dtype(values.dtype):
            return present.copy()
        if pd.api.types.is_integer_dtype(values.dtype):
            return np.zeros(len(values), dtype=bool)
        num = _as_numbers(values).to_numpy()
        bad = np.isnan(num) | ~np.isfinite(np.nan_to_num(num, nan=0.0))
        if kind == "integer":
            with np.errstate(invalid="ignore"):
                bad |= ~np.isnan(num) & (num != np.floor(num))
        return present & bad
    if kind == "boolean":
        if pd.api.types.is_bool_dtype(values.dtype):
            return np.zeros(len(values), dtype=bool)
        keys = keys_of(values.astype(object))
        return present & ~keys.isin(_TRUE | _FALSE).to_numpy(dtype=bool)
    dates = _as_dates(values, fmt)
    return present & dates.isna().to_numpy(dtype=bool)


def _fails(rule: Rule, data: pd.DataFrame, cache: dict | None = None) -> np.ndarray:
    """Boolean array, True where the row fails the rule (``cache`` shares work between rules)."""
    cache = {} if cache is None else cache

    def column(col: str) -> _Column:
        if col not in cache:
            cache[col] = _Column(data[col])
        return cache[col]

    p = rule.params
    if rule.kind == "check":
        return _check_fails(rule, data)
    if rule.kind == "unique":
        sub = data[list(rule.columns)]
        present = np.logical_and.reduce([column(c).present for c in rule.columns])
        if present.all():
            return sub.duplicated(keep=False).to_numpy(dtype=bool)
        dup = np.zeros(len(sub), dtype=bool)
        dup[present] = sub[present].duplicated(keep=False).to_numpy(dtype=bool)
        return dup
    col = column(rule.columns[0])
    values, present = col.values, col.present
    if rule.kind == "required":
        return ~present
    if rule.kind == "range":
        lo, hi = _bound(p.get("min")), _bound(p.get("max"))
        is_date = isinstance(lo if lo is not None else hi, pd.Timestamp)
        if is_date:
            got = _as_dates(values)
            arr = got.to_numpy(dtype="datetime64[ns]")
            unread = np.isnat(arr)
            lo = None if lo is None else np.datetime64(lo.tz_localize(None) if lo.tzinfo else lo, "ns")
            hi = None if hi is None else np.datetime64(hi.tz_localize(None) if hi.tzinfo else hi, "ns")
        else:
            arr = _as_numbers(values).to_numpy(dtype=float)
            unread = np.isnan(arr)
        out = unread.copy()
        ok = ~unread
        if lo is not None:
            out[ok] |= (arr[ok] <= lo) if p.get("strict_min") else (arr[ok] < lo)
        if hi is not None:
            out[ok] |= (arr[ok] >= hi) if p.get("strict_max") else (arr[ok] > hi)
        return present & out
    if rule.kind == "allowed":
        allowed = list(p["values"])
        if pd.api.types.is_bool_dtype(values.dtype):
            ok = values.isin([a for a in allowed if isinstance(a, bool)])
        elif pd.api.types.is_numeric_dtype(values.dtype):
            nums = [float(a) for a in allowed if _is_number(a)]
            ok = values.isin(nums)
        else:
            targets = {str(a) for a in allowed} | {a for a in allowed if isinstance(a, (int, float, str))}
            return present & col.per_value(lambda v: v not in targets)
        return present & ~ok.to_numpy(dtype=bool, na_value=False)
    if rule.kind == "pattern":
        regex = re.compile(p["regex"])
        return present & col.per_value(lambda v: regex.fullmatch(str(v)) is None)
    if rule.kind == "length":
        lo, hi = p.get("min"), p.get("max")
        return present & col.per_value(
            lambda v: (lo is not None and len(str(v)) < lo) or (hi is not None and len(str(v)) > hi))
    if rule.kind == "type":
        return _type_fails(values, p["type"], p.get("format"), present)
    raise CdcourseError(f"rule {rule.name!r} has an unknown kind {rule.kind!r}")  # pragma: no cover


def _is_number(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, float, np.integer, np.floating)):
        return True
    try:
        float(v)
    except (TypeError, ValueError):
        return False
    return True


def _eval(data: pd.DataFrame, expression: str, rule: Rule) -> np.ndarray:
    cols = expression_columns(expression)
    frame = data[cols].copy()
    for col in cols:
        # a CSV read as text holds numbers as text: compare them as numbers when every value is one
        values = frame[col]
        if pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype):
            if isinstance(values.dtype, pd.CategoricalDtype):
                continue
            # a quick look at the first values saves converting a text column that is not numeric
            head = values.dropna().iloc[:50]
            if not len(head) or _as_numbers(head).isna().any():
                continue
            nums = _as_numbers(values)
            if nums.notna().sum() == values.notna().sum():
                frame[col] = nums
    try:
        res = frame.eval(expression, engine="python", local_dict={}, global_dict={})
    except Exception as err:  # pandas raises many kinds; the message must name the rule
        raise CdcourseError(f"rule {rule.name!r}: expression {expression!r} could not be evaluated: {err}") from None
    if np.isscalar(res):
        res = pd.Series(bool(res), index=data.index)
    if not isinstance(res, pd.Series) or len(res) != len(data):
        raise CdcourseError(f"rule {rule.name!r}: expression {expression!r} does not give true/false for each row")
    try:
        return res.astype("boolean").fillna(True).to_numpy(dtype=bool)
    except (TypeError, ValueError):
        raise CdcourseError(
            f"rule {rule.name!r}: expression {expression!r} gives {res.dtype} values, not true/false"
        ) from None


def _check_fails(rule: Rule, data: pd.DataFrame) -> np.ndarray:
    p = rule.params
    checked = np.logical_and.reduce([data[c].notna().to_numpy(dtype=bool) for c in rule.columns])
    if p.get("when"):
        when = _eval(data, p["when"], rule)
        when_cols = expression_columns(p["when"])
        # a condition on a missing value is not known to hold: the row is not checked
        checked &= when & np.logical_and.reduce([data[c].notna().to_numpy(dtype=bool) for c in when_cols])
    ok = _eval(data, p["expression"], rule)
    return checked & ~ok


# -- the report ---------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ValidationReport:
    """Every failing (row, rule) pair of a validation; nothing is capped.

    Attributes
    ----------
    rules : the rules checked, in order.
    n_rows : rows checked.
    failures_by_rule : rule name -> positions (0-based) of the failing rows.
    data : the frame that was checked (kept to show failing values; never modified).

    Use :meth:`summary` for counts per rule, :meth:`to_frame` for one row per failure,
    :meth:`failed` for a per-row flag, and ``bool(report.passed)``.
    """

    rules: tuple[Rule, ...]
    n_rows: int
    failures_by_rule: Mapping[str, np.ndarray]
    data: pd.DataFrame = field(repr=False)

    @property
    def n_failures(self) -> int:
        """Failing (row, rule) pairs."""
        return int(sum(len(v) for v in self.failures_by_rule.values()))

    @property
    def passed(self) -> bool:
        return self.n_failures == 0

    def failed(self, rules: Sequence[str] | None = None) -> pd.Series:
        """Boolean Series aligned with the data: True where the row fails any (or the given) rule."""
        names = self._names(rules)
        mask = np.zeros(self.n_rows, dtype=bool)
        for name in names:
            mask[self.failures_by_rule[name]] = True
        return pd.Series(mask, index=self.data.index, name="failed")

    def _names(self, rules: Sequence[str] | None) -> list[str]:
        known = [r.name for r in self.rules]
        if rules is None:
            return known
        rules = [rules] if isinstance(rules, str) else list(rules)
        for r in rules:
            if r not in self.failures_by_rule:
                raise CdcourseError(f"rule {r!r} is not in this report; rules are: {', '.join(known)}")
        return rules

    def summary(self) -> pd.DataFrame:
        """One row per rule: kind, columns, failing rows, share of rows, first failing rows."""
        rows = []
        for r in self.rules:
            pos = self.failures_by_rule[r.name]
            rows.append({
                "rule": r.name,
                "kind": r.kind,
                "columns": ", ".join(r.columns),
                "failures": int(len(pos)),
                "share": (len(pos) / self.n_rows) if self.n_rows else 0.0,
                "example_rows": ", ".join(str(x) for x in self.data.index[pos[:5]]),
            })
        return pd.DataFrame(rows, columns=["rule", "kind", "columns", "failures", "share", "example_rows"])

    def to_frame(self, *, values: bool = True) -> pd.DataFrame:
        """One row per failure: row (index label), position, rule, kind, column(s), value.

        For rules on several columns the value shows each, ``"age=12; relationship=head"``.
        """
        parts = []
        for r in self.rules:
            pos = self.failures_by_rule[r.name]
            if not len(pos):
                continue
            part = pd.DataFrame({
                "row": self.data.index[pos],
                "position": pos,
                "rule": r.name,
                "kind": r.kind,
                "column": ", ".join(r.columns),
            })
            if values:
                if len(r.columns) == 1:
                    part["value"] = self.data[r.columns[0]].iloc[pos].astype(object).map(str).to_numpy()
                else:
                    sub = self.data[list(r.columns)].iloc[pos].astype(object)
                    part["value"] = [
                        "; ".join(f"{c}={v}" for c, v in zip(r.columns, row))
                        for row in sub.itertuples(index=False, name=None)
                    ]
            parts.append(part)
        cols = ["row", "position", "rule", "kind", "column"] + (["value"] if values else [])
        if not parts:
            return pd.DataFrame(columns=cols)
        return pd.concat(parts, ignore_index=True)[cols]

    def _repr_html_(self) -> str:
        n_rows_failed = int(self.failed().sum())
        verdict = "all rules pass" if self.passed else (
            f"{self.n_failures:,} failures on {n_rows_failed:,} of {self.n_rows:,} rows"
        )
        table = self.summary().assign(share=lambda d: (100 * d["share"]).round(2)).rename(columns={"share": "% rows"})
        return f"<p><b>Validation</b>: {len(self.rules)} rules; {verdict}.</p>" + table.to_html(index=False)

    def __str__(self) -> str:
        lines = [f"Validation of {self.n_rows} rows against {len(self.rules)} rules: {self.n_failures} failures"]
        for _, row in self.summary().iterrows():
            lines.append(f"  {row['rule']}: {row['failures']}")
        return "\n".join(lines)


def validate(data: pd.DataFrame, rules: Rule | Mapping[str, Any] | Sequence[Rule | Mapping[str, Any]]) -> ValidationReport:
    """Check every rule on every row and report every failure (never capped).

    Parameters
    ----------
    data : the records; not modified.
    rules : :class:`Rule` objects or dicts (``{"kind": "range", "column": "age", "min": 0}``),
        for example from :func:`rules_from_schema`.

    Returns
    -------
    ValidationReport : ``summary()`` per rule, ``to_frame()`` per failure, ``failed()`` per row.

    Examples
    --------
    >>> df = pd.DataFrame({"age": [34, 150, 12, None], "relationship": ["head", "child", "head", "spouse"]})
    >>> report = validate(df, [Rule.required("age"), Rule.range("age", 0, 110),
    ...                        Rule.check("age >= 15 or relationship != 'head'", name="head aged 15+")])
    >>> report.summary()[["rule", "failures", "example_rows"]]
                 rule  failures example_rows
    0    age required         1            3
    1  age in [0, 110]        1            1
    2   head aged 15+         1            2
    """
    require_frame(data, "data", allow_empty=True)
    rule_list = as_rules(rules)
    for r in rule_list:
        for col in r.columns:
            if col not in data.columns:
                raise CdcourseError(
                    f"rule {r.name!r} names column {col!r}, which is not a column of the data; "
                    f"columns are: {', '.join(map(str, data.columns[:20]))}"
                    + (" ..." if len(data.columns) > 20 else "")
                )
    cache: dict = {}
    failures = {r.name: np.flatnonzero(_fails(r, data, cache)) for r in rule_list}
    return ValidationReport(tuple(rule_list), len(data), failures, data)


# -- rules from a Frictionless Table Schema ---------------------------------------------------------
_FRICTIONLESS_TYPES = {"integer": "integer", "number": "number", "boolean": "boolean", "date": "date",
                       "datetime": "datetime", "string": "string", "year": "integer"}


def load_schema(schema: str | Path | Mapping[str, Any], resource: str | None = None) -> dict[str, Any]:
    """The Table Schema of one resource, from a data package (dict or path) or a schema itself."""
    if isinstance(schema, (str, Path)):
        path = Path(schema)
        if not path.is_file():
            raise CdcourseError(f"schema file {str(path)!r} does not exist")
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise CdcourseError(f"schema file {str(path)!r} is not valid JSON: {err}") from None
    if not isinstance(schema, Mapping):
        raise CdcourseError(f"schema must be a data package, a Table Schema or a path; got {type(schema).__name__}")
    if "resources" in schema:
        names = [r.get("name") for r in schema["resources"]]
        if resource is None:
            raise CdcourseError(f"the data package has several resources; choose one with resource=: {', '.join(map(str, names))}")
        for r in schema["resources"]:
            if r.get("name") == resource:
                found = r.get("schema")
                if isinstance(found, str):
                    raise CdcourseError(f"resource {resource!r} refers to an external schema {found!r}; pass that file instead")
                if not isinstance(found, Mapping):
                    raise CdcourseError(f"resource {resource!r} has no Table Schema")
                return dict(found)
        raise CdcourseError(f"resource {resource!r} is not in the data package; resources are: {', '.join(map(str, names))}")
    if "fields" not in schema:
        raise CdcourseError("schema must be a Table Schema (with 'fields') or a data package (with 'resources')")
    return dict(schema)


def rules_from_schema(
    schema: str | Path | Mapping[str, Any],
    resource: str | None = None,
    *,
    types: bool = False,
) -> list[Rule]:
    """Validation rules from the field constraints of a Frictionless Table Schema.

    ``required`` -> required; ``minimum``/``maximum`` (and ``exclusiveMinimum``/``exclusiveMaximum``)
    -> range; ``enum`` -> allowed; ``pattern`` -> pattern; ``minLength``/``maxLength`` -> length;
    ``unique`` and the ``primaryKey`` -> unique. With ``types=True`` each field's type becomes a
    type rule too (useful on a raw CSV read as text).

    Parameters
    ----------
    schema : a data package (path or dict, e.g. ``datasets/datapackage.json``) or a Table Schema.
    resource : the resource name inside a data package.
    types : add a type rule per field.

    Examples
    --------
    >>> schema = {"fields": [{"name": "age", "type": "integer", "constraints": {"required": True, "minimum": 0, "maximum": 110}},
    ...                      {"name": "sex", "type": "string", "constraints": {"enum": ["female", "male"]}}],
    ...           "primaryKey": ["person_id"]}
    >>> [r.name for r in rules_from_schema(schema)]
    ['age required', 'age in [0, 110]', 'sex allowed values', 'person_id unique']
    """
    table = load_schema(schema, resource)
    rules: list[Rule] = []
    for fld in table.get("fields", []):
        name = fld.get("name")
        if not isinstance(name, str):
            raise CdcourseError(f"a schema field has no name: {fld!r}")
        ftype = fld.get("type", "string")
        c = fld.get("constraints") or {}
        if types and ftype in _FRICTIONLESS_TYPES:
            fmt = fld.get("format")
            fmt = fmt if isinstance(fmt, str) and "%" in fmt else None
            rules.append(Rule.type(name, _FRICTIONLESS_TYPES[ftype], format=fmt))
        if c.get("required"):
            rules.append(Rule.required(name))
        lo = c.get("minimum", c.get("exclusiveMinimum"))
        hi = c.get("maximum", c.get("exclusiveMaximum"))
        if lo is not None or hi is not None:
            if ftype in ("date", "datetime"):
                lo = None if lo is None else pd.Timestamp(lo)
                hi = None if hi is None else pd.Timestamp(hi)
            rules.append(Rule.range(name, lo, hi, strict_min="exclusiveMinimum" in c and "minimum" not in c,
                                    strict_max="exclusiveMaximum" in c and "maximum" not in c))
        if c.get("enum") is not None:
            rules.append(Rule.allowed(name, c["enum"]))
        if c.get("pattern") is not None:
            rules.append(Rule.pattern(name, c["pattern"]))
        if c.get("minLength") is not None or c.get("maxLength") is not None:
            rules.append(Rule.length(name, c.get("minLength"), c.get("maxLength")))
        if c.get("unique"):
            rules.append(Rule.unique(name))
    pk = table.get("primaryKey")
    if pk:
        pk_cols = _as_columns(pk)
        if not any(r.kind == "unique" and r.columns == pk_cols for r in rules):
            rules.append(Rule.unique(pk_cols))
    return rules


def missing_values(schema: str | Path | Mapping[str, Any], resource: str | None = None) -> list[str]:
    """The schema's declared missing-value strings (Frictionless default: the empty string)."""
    return list(load_schema(schema, resource).get("missingValues", [""]))


# -- cleaning steps built on validation ------------------------------------------------------------
def _report_details(report: ValidationReport) -> pd.DataFrame:
    return report.summary()[["rule", "kind", "columns", "failures"]]


@cleaning_step
def flag_invalid(data: pd.DataFrame, rules: Sequence[Rule | Mapping[str, Any]], *, flag: str = "invalid",
                 list_rules: str | None = None):
    """Add a column that flags the records failing any rule (and optionally which rules).

    Use it for problems only a person can resolve (a 12-year-old household head: wrong age or
    wrong relationship?): the record stays, marked for review.

    Parameters
    ----------
    data : the records; not modified.
    rules : the rules (Rule objects or dicts).
    flag : name of the new boolean column.
    list_rules : optional name of a text column listing the failed rules ("; "-separated).

    Examples
    --------
    >>> df = pd.DataFrame({"age": [34, 150, 12]})
    >>> flag_invalid(df, [Rule.range("age", 0, 110)]).data["invalid"].tolist()
    [False, True, False]
    """
    report = validate(data, rules)
    failed = report.failed().to_numpy()
    out = data.copy()
    out[flag] = failed
    if list_rules:
        names = np.full(len(data), "", dtype=object)
        for r in report.rules:
            pos = report.failures_by_rule[r.name]
            names[pos] = [f"{x}; {r.name}" if x else r.name for x in names[pos]]
        out[list_rules] = names
    n = int(failed.sum())
    return out, _report_details(report), f"flagged {n} records failing at least one of {len(report.rules)} rules", n, n


@cleaning_step
def set_invalid_to_missing(data: pd.DataFrame, rules: Sequence[Rule | Mapping[str, Any]]):
    """Make the cells that fail a one-column rule missing (an age of 150 is not an age).

    Only rules about one column's own value change cells (range, allowed, pattern, length, type).
    Rules on several columns (unique, check) cannot say which cell is wrong: their failures are
    counted in the details but left for a person to review (use :func:`flag_invalid`).

    Examples
    --------
    >>> df = pd.DataFrame({"age": [34, 150, -1], "sex": ["female", "x", "male"]})
    >>> clean, step = set_invalid_to_missing(df, [Rule.range("age", 0, 110), Rule.allowed("sex", ["female", "male"])])
    >>> clean["age"].tolist(), clean["sex"].tolist()
    ([34.0, nan, nan], ['female', nan, 'male'])
    >>> step.details[["rule", "failures", "action"]]
                      rule  failures         action
    0      age in [0, 110]         2  set to missing
    1  sex allowed values         1  set to missing
    """
    report = validate(data, rules)
    out = data.copy()
    details = _report_details(report)
    actions = []
    affected = np.zeros(len(data), dtype=bool)
    cells = 0
    blanked: dict[str, np.ndarray] = {}
    for r in report.rules:
        pos = report.failures_by_rule[r.name]
        if r.kind in ("range", "allowed", "pattern", "length", "type"):
            actions.append("set to missing")
            col = r.columns[0]
            mask = blanked.setdefault(col, np.zeros(len(data), dtype=bool))
            mask[pos] = True
        elif r.kind == "required":
            actions.append("already missing")
        else:
            actions.append("left for review")
    for col, mask in blanked.items():
        new = out[col].copy()
        if pd.api.types.is_integer_dtype(new.dtype) and isinstance(new.dtype, np.dtype):
            new = new.astype(float)  # a plain int column cannot hold NaN
        if pd.api.types.is_bool_dtype(new.dtype) and isinstance(new.dtype, np.dtype):
            new = new.astype("boolean")
        new[mask] = None if not pd.api.types.is_numeric_dtype(new.dtype) else np.nan
        out[col] = new
        affected |= mask
        cells += int(mask.sum())
    details["action"] = actions
    review = int(sum(len(report.failures_by_rule[r.name]) for r, a in zip(report.rules, actions) if a == "left for review"))
    summary = f"set {cells} invalid cells to missing" + (f"; {review} cross-field failures left for review" if review else "")
    return out, details, summary, int(affected.sum()), cells
