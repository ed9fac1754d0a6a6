"""A small, vectorised check of Frictionless Table Schema constraints, for the validity measure.

Only what the validity measure needs: field ``type`` (integer, number, boolean, date, datetime,
year, string) and the constraints ``required``, ``enum``, ``minimum``, ``maximum``, ``pattern``,
``minLength``, ``maxLength`` and ``unique``. Each is evaluated on whole columns at once (string
checks on the distinct values only), so a million rows take well under a second per column.

Semantics follow the Table Schema specification (https://specs.frictionlessdata.io/table-schema/):
a missing value (``NA`` or one of the schema's ``missingValues``) fails only ``required``; every
other constraint applies to present values. A value that cannot be read as the field's type is
invalid. Types and constraints that are not listed above are not checked, and the result says so.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdcourse.errors import CdcourseError

#: types this module can check; others ("geopoint", "object", "duration", ...) are reported as unchecked.
CHECKED_TYPES = ("integer", "number", "boolean", "date", "datetime", "year", "string")
CHECKED_CONSTRAINTS = ("required", "enum", "minimum", "maximum", "pattern", "minLength", "maxLength", "unique")
_TRUE = ("true", "True", "TRUE", "1")
_FALSE = ("false", "False", "FALSE", "0")


@dataclass(frozen=True)
class FieldCheck:
    """What the schema check found in one column."""

    field: str
    type: str
    checked: int  # cells subject to at least one real check
    invalid: int  # of those, cells failing at least one check
    failures: dict[str, int]  # constraint -> number of failing cells
    examples: tuple[str, ...]  # a few distinct failing values, for the report
    note: str = ""


def schema_of(package: Mapping[str, Any], resource: str | None = None, *, path: str | None = None) -> dict:
    """The Table Schema of one resource of a Data Package (or the schema itself when given one).

    Parameters
    ----------
    package : a Data Package (with ``resources``), a resource (with ``schema``) or a Table Schema
        (with ``fields``), as a dict.
    resource : the resource's ``name``; when omitted, the resource whose ``path`` file name or
        ``name`` matches ``path`` is used, or the only resource.
    path : the data file the schema is wanted for (used to pick the resource).

    Examples
    --------
    >>> pkg = {"resources": [{"name": "a", "path": "a.csv", "schema": {"fields": [{"name": "x"}]}}]}
    >>> schema_of(pkg, path="data/a.csv")["fields"]
    [{'name': 'x'}]
    """
    if not isinstance(package, Mapping):
        raise CdcourseError(f"schema must be a dict (a Data Package, a resource or a Table Schema); got {type(package).__name__}")
    if "fields" in package:
        return dict(package)
    if "schema" in package and isinstance(package["schema"], Mapping):
        return dict(package["schema"])
    resources = package.get("resources")
    if not isinstance(resources, list) or not resources:
        raise CdcourseError("schema has neither 'fields' (a Table Schema) nor 'resources' (a Data Package)")
    names = [str(r.get("name")) for r in resources]
    chosen = None
    if resource is not None:
        chosen = next((r for r in resources if r.get("name") == resource), None)
        if chosen is None:
            raise CdcourseError(f"resource {resource!r} is not in the data package; resources are: {', '.join(names)}")
    elif path is not None:
        base = Path(path).name
        stem = Path(path).stem
        chosen = next((r for r in resources if Path(str(r.get("path", ""))).name == base), None)
        chosen = chosen or next((r for r in resources if r.get("name") == stem), None)
        if chosen is None:
            raise CdcourseError(
                f"no resource of the data package matches {base!r}; pass resource= (--resource on the command line), "
                f"one of: {', '.join(names)}"
            )
    elif len(resources) == 1:
        chosen = resources[0]
    else:
        raise CdcourseError(f"the data package has {len(resources)} resources; pass resource= (--resource on the command "
                            f"line), one of: {', '.join(names)}")
    schema = chosen.get("schema")
    if isinstance(schema, str):
        raise CdcourseError(f"resource {chosen.get('name')!r} refers to an external schema {schema!r}; load it and pass the dict")
    if not isinstance(schema, Mapping) or "fields" not in schema:
        raise CdcourseError(f"resource {chosen.get('name')!r} has no Table Schema with 'fields'")
    return dict(schema)


def read_schema(path: str | Path, resource: str | None = None, *, data_path: str | None = None) -> dict:
    """Read a Table Schema from a JSON file (a ``datapackage.json`` or a bare schema).

    ``resource`` names the data package resource (or ``data_path`` the data file it describes).

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "datapackage.json"
    ...     _ = path.write_text(json.dumps({"resources": [{"name": "visits", "path": "visits.csv",
    ...         "schema": {"fields": [{"name": "age", "type": "integer"}]}}]}))
    ...     [f["name"] for f in read_schema(path, "visits")["fields"]]
    ['age']
    """
    try:
        package = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CdcourseError(f"schema file {str(path)!r} does not exist") from None
    except json.JSONDecodeError as err:
        raise CdcourseError(f"schema file {str(path)!r} is not valid JSON: {err}") from None
    return schema_of(package, resource, path=data_path)


def missing_values(schema: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The schema's declared missing-value markers (Table Schema default: the empty string)."""
    if schema is None:
        return ()
    values = schema.get("missingValues", [""])
    return tuple(str(v) for v in values)


def missing_mask(column: pd.Series, codes: tuple[Any, ...] = ()) -> np.ndarray:
    """True where a cell is missing: ``NA`` or one of ``codes`` (compared as text and as numbers).

    >>> missing_mask(pd.Series(["a", "", None, "n/a"]), ("", "n/a")).tolist()
    [False, True, True, True]
    >>> missing_mask(pd.Series([1.0, -99.0, np.nan]), ("-99",)).tolist()
    [False, True, True]
    """
    textual = pd.api.types.is_string_dtype(column.dtype) or pd.api.types.is_object_dtype(column.dtype)
    if textual:
        # the factorisation (cached for the other checks) already marks NA with -1: cheaper than isna on text
        mask = _factorised(column)[0] < 0
    else:
        mask = column.isna().to_numpy(dtype=bool, na_value=True)
    if not codes:
        return mask
    if pd.api.types.is_bool_dtype(column.dtype):
        return mask
    if pd.api.types.is_numeric_dtype(column.dtype):
        numbers = []
        for code in codes:
            try:
                numbers.append(float(code))
            except (TypeError, ValueError):
                continue
        if numbers:
            mask = mask | column.isin(numbers).to_numpy(dtype=bool, na_value=False)
        return mask
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return mask
    text_codes = [str(c) for c in codes]
    hit = _on_distinct(column, lambda s: s.isin(text_codes).to_numpy())
    return mask | hit


_DISTINCT: ContextVar[dict | None] = ContextVar("cdcourse_quality_distinct", default=None)


@contextmanager
def distinct_cache() -> Iterator[None]:
    """Within this block each column is factorised once, however many checks look at it.

    Factorising a million strings is the costliest step of a profile; completeness and every
    text constraint of validity reuse the same codes. Columns are recognised by name, length and
    dtype, so the block must cover one table only (as :func:`cdcourse.quality.profile` does).
    """
    if _DISTINCT.get() is not None:
        yield
        return
    token = _DISTINCT.set({})
    try:
        yield
    finally:
        _DISTINCT.reset(token)


def _factorised(column: pd.Series) -> tuple[np.ndarray, pd.Series]:
    cache = _DISTINCT.get()
    key = (column.name, len(column), str(column.dtype))
    if cache is not None and key in cache:
        return cache[key]
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = pd.Series(np.asarray(uniques, dtype=object)).astype(str)
    if cache is not None:
        cache[key] = (codes, texts)
    return codes, texts


def _on_distinct(column: pd.Series, func) -> np.ndarray:
    """Apply a string test to the distinct values only, then spread it back (fast on 1M rows)."""
    codes, uniques = _factorised(column)
    out = np.zeros(len(column), dtype=bool)
    if len(uniques) == 0:
        return out
    verdict = np.asarray(func(uniques), dtype=bool)
    present = codes >= 0
    out[present] = verdict[codes[present]]
    return out


def _as_numbers(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(column.dtype):
        return np.full(len(column), np.nan)  # a boolean is not a number in a Table Schema
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.to_numpy(dtype=float, na_value=np.nan)
    return pd.to_numeric(column.astype("string").str.strip(), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _as_dates(column: pd.Series, ftype: str, fmt: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = column
    else:
        if fmt in (None, "default"):
            fmt = "%Y-%m-%d" if ftype == "date" else "ISO8601"
        elif fmt == "any":
            fmt = "mixed"
        values = pd.to_datetime(column.astype("string"), format=fmt, errors="coerce")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert(None)
    return values


def check_field(column: pd.Series, field: Mapping[str, Any], codes: tuple[str, ...] = ("",)) -> tuple[FieldCheck, np.ndarray]:
    """Check one column against its Table Schema field; returns the summary and the invalid-cell mask.

    Examples
    --------
    >>> col = pd.Series(["3", "x", "", "12"])
    >>> res, bad = check_field(col, {"name": "n", "type": "integer", "constraints": {"maximum": 10}})
    >>> (res.checked, res.invalid, res.failures, bad.tolist())
    (3, 2, {'type': 1, 'maximum': 1}, [False, True, False, True])
    """
    name = str(field.get("name"))
    ftype = str(field.get("type", "string"))
    constraints = dict(field.get("constraints") or {})
    n = len(column)
    missing = missing_mask(column, codes)
    present = ~missing
    failures: dict[str, np.ndarray] = {}
    notes = []
    real_check = False

    values_num = values_dt = None
    if ftype in ("integer", "number", "year"):
        real_check = True
        values_num = _as_numbers(column)
        bad = present & np.isnan(values_num)
        if ftype in ("integer", "year"):
            with np.errstate(invalid="ignore"):
                bad |= present & ~np.isnan(values_num) & (values_num != np.floor(values_num))
            if not pd.api.types.is_numeric_dtype(column.dtype):
                # as text, an integer is written without a decimal point or exponent ("7", not "7.0")
                bad |= present & ~_on_distinct(column, lambda s: s.str.fullmatch(r"\s*[+-]?\d+\s*").to_numpy(dtype=bool))
        if ftype == "year":
            with np.errstate(invalid="ignore"):
                bad |= present & ((values_num < 0) | (values_num > 9999))
        failures["type"] = bad
    elif ftype in ("date", "datetime"):
        real_check = True
        values_dt = _as_dates(column, ftype, field.get("format"))
        failures["type"] = present & values_dt.isna().to_numpy()
    elif ftype == "boolean":
        real_check = True
        if pd.api.types.is_bool_dtype(column.dtype):
            failures["type"] = np.zeros(n, dtype=bool)
        else:
            allowed = [str(v) for v in field.get("trueValues", _TRUE)] + [str(v) for v in field.get("falseValues", _FALSE)]
            failures["type"] = present & ~_on_distinct(column, lambda s: s.isin(allowed).to_numpy())
    elif ftype not in ("string", "any"):
        notes.append(f"type {ftype!r} not checked")

    unknown = sorted(set(constraints) - set(CHECKED_CONSTRAINTS))
    if unknown:
        notes.append("constraints not checked: " + ", ".join(unknown))
    if constraints.get("required"):
        real_check = True
        failures["required"] = missing.copy()
    if "enum" in constraints:
        real_check = True
        enum = list(constraints["enum"])
        if values_num is not None:
            allowed_num = np.array([float(v) for v in enum if _is_number(v)], dtype=float)
            failures["enum"] = present & ~np.isnan(values_num) & ~np.isin(values_num, allowed_num)
        elif values_dt is not None:
            allowed_dt = pd.to_datetime(pd.Series([str(v) for v in enum]), errors="coerce")
            failures["enum"] = present & values_dt.notna().to_numpy() & ~values_dt.isin(allowed_dt).to_numpy()
        else:
            allowed_txt = [str(v) for v in enum]
            failures["enum"] = present & ~_on_distinct(column, lambda s: s.isin(allowed_txt).to_numpy())
    for key, op in (("minimum", np.less), ("maximum", np.greater)):
        if key not in constraints:
            continue
        real_check = True
        if values_num is not None:
            with np.errstate(invalid="ignore"):
                failures[key] = present & op(values_num, float(constraints[key]))
        elif values_dt is not None:
            bound = pd.Timestamp(constraints[key])
            failures[key] = present & (op(values_dt, bound)).fillna(False).to_numpy(dtype=bool)
        else:
            notes.append(f"{key} not checked for type {ftype!r}")
    if "pattern" in constraints:
        real_check = True
        pattern = str(constraints["pattern"])
        failures["pattern"] = present & ~_on_distinct(column, lambda s: s.str.fullmatch(pattern).fillna(False).to_numpy())
    for key, op in (("minLength", np.less), ("maxLength", np.greater)):
        if key in constraints:
            real_check = True
            limit = int(constraints[key])
            failures[key] = present & _on_distinct(column, lambda s, op=op, limit=limit: op(s.str.len().to_numpy(), limit))
    if constraints.get("unique"):
        real_check = True
        failures["unique"] = present & column.duplicated(keep=False).to_numpy()

    if not real_check:
        note = "; ".join(notes + ["no checkable type or constraint"])
        return FieldCheck(name, ftype, 0, 0, {}, (), note), np.zeros(n, dtype=bool)
    invalid = np.zeros(n, dtype=bool)
    for mask in failures.values():
        invalid |= mask
    # Missing cells are checked only when the field is required: absence is completeness's business.
    checked = int(present.sum()) + (int(missing.sum()) if constraints.get("required") else 0)
    examples = tuple(str(v) for v in pd.unique(column[invalid & present].astype("string"))[:3])
    counts = {k: int(v.sum()) for k, v in failures.items() if v.any()}
    return FieldCheck(name, ftype, checked, int(invalid.sum()), counts, examples, "; ".join(notes)), invalid


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def check_schema(data: pd.DataFrame, schema: Mapping[str, Any]) -> tuple[list[FieldCheck], list[str], list[str]]:
    """Check every schema field present in ``data``.

    Returns the per-field results, the schema fields absent from the data, and the data columns
    the schema does not describe.
    """
    fields = schema.get("fields")
    if not isinstance(fields, list):
        raise CdcourseError("schema has no 'fields' list; a Table Schema lists its fields under 'fields'")
    codes = missing_values(schema)
    results: list[FieldCheck] = []
    absent: list[str] = []
    with distinct_cache():
        for field in fields:
            if not isinstance(field, Mapping) or "name" not in field:
                raise CdcourseError(f"schema field {field!r} has no 'name'")
            if field["name"] not in data.columns:
                absent.append(str(field["name"]))
                continue
            results.append(check_field(data[field["name"]], field, codes)[0])
    described = {str(f["name"]) for f in fields}
    undescribed = [str(c) for c in data.columns if str(c) not in described]
    return results, absent, undescribed


def date_fields(schema: Mapping[str, Any] | None) -> list[str]:
    """Names of the schema's date and datetime fields, in order."""
    if not schema:
        return []
    return [str(f["name"]) for f in schema.get("fields", []) if f.get("type") in ("date", "datetime")]


def primary_key(schema: Mapping[str, Any] | None) -> list[str]:
    """The schema's primary key as a list (empty when none is declared)."""
    if not schema or not schema.get("primaryKey"):
        return []
    key = schema["primaryKey"]
    return [key] if isinstance(key, str) else [str(k) for k in key]
