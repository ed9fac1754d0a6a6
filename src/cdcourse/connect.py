"""Connecting citizen data with official statistics.

Four jobs, each a pure function or a small immutable object:

- **harmonise** survey values with the official classifications (age groups, district codes),
  reporting every value that could not be mapped instead of dropping it silently:
  :class:`Classification`, :class:`AgeGroups`, :func:`harmonise`;
- **compare** survey estimates with official benchmarks, with tolerances that are parameters,
  not hidden constants: :func:`official_table`, :func:`coherence`;
- **calibrate** survey weights to official totals, reusing :mod:`cdcourse.sampling`:
  :func:`calibrate_to_official`;
- **fill a gap** the official tables leave (for example a disability breakdown), with the
  precision of every cell and a publish / caution / suppress flag: :func:`fill_gap`,
  :func:`publishability`.

Nothing here prints, reads files or changes its input.
"""
from __future__ import annotations

import difflib
import html
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from cdcourse._validate import require_choice, require_columns, require_frame, require_number
from cdcourse.errors import CdcourseError

__all__ = [
    "OFFICIAL_AGE_GROUPS",
    "AgeGroups",
    "Classification",
    "MappingResult",
    "Harmonised",
    "harmonise",
    "official_districts",
    "official_table",
    "Coherence",
    "coherence",
    "official_totals",
    "calibrate_to_official",
    "GapTable",
    "publishability",
    "fill_gap",
]

# --------------------------------------------------------------------------------------------
# Classifications
# --------------------------------------------------------------------------------------------

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def _key(value: Any) -> str:
    """Spelling-insensitive key: case, punctuation, spacing and leading zeros do not matter.

    "D01 Marelo", " marelo-d1 " and "MARELO (D01)" differ only in what a data-entry form lets
    people vary, so they must meet on one key; the words themselves still have to match.
    """
    text = _NON_ALNUM.sub(" ", str(value).casefold()).strip()
    text = _LEADING_ZEROS.sub("", text)
    return " ".join(text.split())


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _html_table(frame: pd.DataFrame, caption: str, note: str, max_rows: int = 30) -> str:
    shown = frame.head(max_rows)
    more = "" if len(frame) <= max_rows else f"<p>... {len(frame) - max_rows} more rows (use to_frame()).</p>"
    return (
        f"<div><strong>{html.escape(caption)}</strong>{shown.to_html(index=False, na_rep='')}"
        f"{more}<p>{html.escape(note)}</p></div>"
    )


@dataclass(frozen=True)
class MappingResult:
    """Official codes for a column of values, and a report of what could not be mapped.

    Attributes
    ----------
    classification : name of the classification mapped to.
    codes : the official code of every input value (same index and order as the input);
        missing where the input was missing or could not be mapped. Categorical, with the
        official codes as categories in official order.
    table : one row per distinct input value: ``value``, ``code``, ``how`` ("code", "label",
        "code and label", "alias", "fuzzy", "range", "missing" or "unmapped") and ``count``
        (records with that value).
    """

    classification: str
    codes: pd.Series
    table: pd.DataFrame

    @property
    def unmapped(self) -> pd.DataFrame:
        """Distinct input values that have no official code (input missing values excluded)."""
        return self.table[self.table["how"] == "unmapped"].reset_index(drop=True)

    @property
    def fuzzy(self) -> pd.DataFrame:
        """Distinct values matched only by spelling similarity: review these before trusting them."""
        return self.table[self.table["how"] == "fuzzy"].reset_index(drop=True)

    @property
    def n_unmapped(self) -> int:
        """Records whose (non-missing) value could not be mapped."""
        return int(self.unmapped["count"].sum())

    @property
    def n_missing(self) -> int:
        """Records whose input value was missing (they stay missing; they are not an error)."""
        return int(self.table.loc[self.table["how"] == "missing", "count"].sum())

    @property
    def complete(self) -> bool:
        """True when every non-missing value found an official code."""
        return self.n_unmapped == 0

    def to_frame(self) -> pd.DataFrame:
        """The value-by-value mapping table (a copy)."""
        return self.table.copy()

    def _repr_html_(self) -> str:
        total = int(self.table["count"].sum())
        note = (
            f"{total - self.n_unmapped - self.n_missing} of {total} records mapped to '{self.classification}'; "
            f"{self.n_unmapped} records ({len(self.unmapped)} distinct values) unmapped; "
            f"{self.n_missing} missing; {len(self.fuzzy)} values matched by spelling similarity only."
        )
        return _html_table(self.table, f"Mapping to {self.classification}", note)

    def __repr__(self) -> str:
        return (
            f"MappingResult({self.classification!r}: {len(self.table)} distinct values, "
            f"{self.n_unmapped} records unmapped, {self.n_missing} missing)"
        )


def _result(name: str, values: pd.Series, categories: Sequence[str], lookup) -> MappingResult:
    """Map the distinct values once (fast on 1M rows), then broadcast back to the records."""
    position, uniques = pd.factorize(values, use_na_sentinel=True)
    counts = np.bincount(position[position >= 0], minlength=len(uniques))
    n_missing = int((position < 0).sum())
    category_index = {code: i for i, code in enumerate(categories)}
    unique_code = np.full(len(uniques) + 1, -1, dtype=np.int64)  # last slot: missing input
    rows = []
    for i, value in enumerate(uniques):
        code, how = lookup(value)
        if code is not None:
            unique_code[i] = category_index[code]
        rows.append({"value": value, "code": code, "how": how, "count": int(counts[i])})
    if n_missing:
        rows.append({"value": None, "code": None, "how": "missing", "count": n_missing})
    table = pd.DataFrame(rows, columns=["value", "code", "how", "count"])
    order = {"unmapped": 0, "fuzzy": 1, "missing": 2}
    table = (
        table.assign(_o=table["how"].map(order).fillna(3), _c=-table["count"])
        .sort_values(["_o", "_c"], kind="stable")
        .drop(columns=["_o", "_c"])
        .reset_index(drop=True)
    )
    codes = pd.Series(
        pd.Categorical.from_codes(unique_code[position], categories=list(categories)),
        index=values.index,
        name=values.name,
    )
    return MappingResult(name, codes, table)


@dataclass(frozen=True)
class Classification:
    """An official code list (code -> label) that messy values can be mapped onto.

    A value maps when, ignoring case, punctuation, spacing and leading zeros, it equals a code
    ("d1" -> "D01"), a label ("MARELO " -> "D01"), code and label together ("D01 Marelo",
    "Marelo (D01)"), or one of the ``aliases`` (known other spellings, written by a person who
    checked them). Anything else is reported as unmapped, never guessed, unless ``fuzzy`` is
    asked for in :meth:`map`.

    Parameters
    ----------
    name : what the classification is, e.g. "district".
    labels : official code -> official label, in the official order.
    aliases : other spelling -> official code (each code must exist).

    Examples
    --------
    >>> districts = Classification("district", {"D01": "Marelo", "D02": "Tuvan"}, aliases={"Marello": "D01"})
    >>> result = districts.map(pd.Series(["D01 Marelo", "marelo ", "d2", "Marello", "Ouside", None]))
    >>> result.codes.tolist()
    ['D01', 'D01', 'D02', 'D01', nan, nan]
    >>> result.unmapped["value"].tolist()
    ['Ouside']
    """

    name: str
    labels: Mapping[str, str]
    aliases: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.labels:
            raise CdcourseError(f"labels of classification {self.name!r} is empty; give at least one code -> label")
        lookup: dict[str, tuple[str, str]] = {}

        def add(key: str, code: str, how: str) -> None:
            if key in lookup and lookup[key][0] != code:
                raise CdcourseError(
                    f"classification {self.name!r} is ambiguous: {key!r} would mean both "
                    f"{lookup[key][0]!r} and {code!r}; make codes, labels and aliases distinct"
                )
            lookup.setdefault(key, (code, how))

        for code, label in self.labels.items():
            add(_key(code), code, "code")
        for code, label in self.labels.items():
            add(_key(label), code, "label")
            add(_key(f"{code} {label}"), code, "code and label")
            add(_key(f"{label} {code}"), code, "code and label")
        for alias, code in self.aliases.items():
            if code not in self.labels:
                raise CdcourseError(
                    f"alias {alias!r} of classification {self.name!r} points to {code!r}, which is not "
                    f"one of its codes: {', '.join(map(str, self.labels))}"
                )
            add(_key(alias), code, "alias")
        object.__setattr__(self, "_lookup", lookup)
        object.__setattr__(self, "_label_keys", {_key(lab): code for code, lab in self.labels.items()})

    @property
    def codes(self) -> tuple[str, ...]:
        """The official codes, in official order."""
        return tuple(self.labels)

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, code: str, label: str, *, name: str | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> "Classification":
        """Build a classification from the distinct (code, label) pairs of a table.

        Rows whose code is missing or "total" are skipped (they are margins, not categories).

        >>> frame = pd.DataFrame({"c": ["D02", "D01", "D01", "total"], "l": ["Tuvan", "Marelo", "Marelo", "All"]})
        >>> Classification.from_frame(frame, "c", "l").codes
        ('D01', 'D02')
        """
        require_frame(frame, "frame")
        require_columns(frame, [code, label], "column")
        pairs = frame[[code, label]].dropna().astype(str).drop_duplicates()
        pairs = pairs[pairs[code].str.casefold() != "total"].sort_values(code)
        clash = pairs[pairs[code].duplicated(keep=False)]
        if len(clash):
            raise CdcourseError(
                f"code column {code!r} has more than one label for {clash[code].iloc[0]!r}: "
                f"{', '.join(clash[label].unique())}; one label per code is expected"
            )
        return cls(name or code, dict(zip(pairs[code], pairs[label])), dict(aliases or {}))

    def with_aliases(self, aliases: Mapping[str, str]) -> "Classification":
        """A copy with more aliases (other spellings a person has checked).

        >>> Classification("d", {"D01": "Marelo"}).with_aliases({"Marello": "D01"}).lookup("marello")
        'D01'
        """
        return Classification(self.name, dict(self.labels), {**self.aliases, **aliases})

    def lookup(self, value: Any) -> str | None:
        """The official code of one value, or None when it does not map exactly."""
        if _is_missing(value):
            return None
        found = self._lookup.get(_key(value))  # type: ignore[attr-defined]
        return None if found is None else found[0]

    def map(self, values: Sequence[Any] | pd.Series, *, fuzzy: float | None = None) -> MappingResult:
        """Official codes for ``values`` with a report of unmapped and missing values.

        Parameters
        ----------
        values : the messy values (a Series keeps its index).
        fuzzy : if given (between 0 and 1, e.g. 0.85), a value that matches nothing exactly is
            matched to the label it most resembles when the similarity ratio (``difflib``) is at
            least this; such matches are marked "fuzzy" so a person can review them. Default:
            no guessing.
        """
        if fuzzy is not None:
            require_number(fuzzy, "fuzzy", low=0, high=1, low_inclusive=False)
        series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
        label_keys = list(self._label_keys)  # type: ignore[attr-defined]

        def lookup(value: Any) -> tuple[str | None, str]:
            key = _key(value)
            found = self._lookup.get(key)  # type: ignore[attr-defined]
            if found is not None:
                return found
            if fuzzy is not None:
                close = difflib.get_close_matches(key, label_keys, n=1, cutoff=fuzzy)
                if close:
                    return self._label_keys[close[0]], "fuzzy"  # type: ignore[attr-defined]
            return None, "unmapped"

        return _result(self.name, series, self.codes, lookup)

    def to_frame(self) -> pd.DataFrame:
        """The code list as a table (code, label)."""
        return pd.DataFrame({"code": list(self.labels), "label": list(self.labels.values())})

    def _repr_html_(self) -> str:
        return _html_table(
            self.to_frame(), f"Classification: {self.name}",
            f"{len(self.labels)} codes, {len(self.aliases)} aliases.",
        )


@dataclass(frozen=True)
class AgeGroups:
    """Official age groups defined by their lower bounds, e.g. 0, 15, 25, 50, 65 -> "0-14" ... "65+".

    Ages are in completed years: a fractional age is rounded down (14.9 is 14, in "0-14").
    Negative ages, ages above ``max_age`` and values that are not numbers are reported as
    unmapped (they are errors to fix, or missing-value codes such as -99 to recode first).

    Parameters
    ----------
    breaks : lower bound of each group, increasing, starting at 0.
    labels : one label per group; default "a-b" and "c+" for the last.
    max_age : oldest plausible age; older values are unmapped.

    Examples
    --------
    >>> OFFICIAL_AGE_GROUPS.labels
    ('0-14', '15-24', '25-49', '50-64', '65+')
    >>> OFFICIAL_AGE_GROUPS.map([0, 14, 15, 49.5, 65, 99, -99, 150, None]).codes.tolist()
    ['0-14', '0-14', '15-24', '25-49', '65+', '65+', nan, nan, nan]
    """

    breaks: tuple[int, ...] = (0, 15, 25, 50, 65)
    labels: tuple[str, ...] | None = None
    max_age: int = 120
    name: str = "age_group"

    def __post_init__(self) -> None:
        breaks = tuple(int(b) for b in self.breaks)
        if not breaks or breaks[0] != 0 or any(b <= a for a, b in zip(breaks, breaks[1:])):
            raise CdcourseError(f"breaks must start at 0 and increase; got {self.breaks!r}")
        if breaks[-1] > self.max_age:
            raise CdcourseError(f"max_age must be at least the last break {breaks[-1]}; got {self.max_age!r}")
        labels = self.labels
        if labels is None:
            labels = tuple(f"{a}-{b - 1}" for a, b in zip(breaks, breaks[1:])) + (f"{breaks[-1]}+",)
        elif len(labels) != len(breaks):
            raise CdcourseError(f"labels must have one label per break ({len(breaks)}); got {len(labels)}")
        object.__setattr__(self, "breaks", breaks)
        object.__setattr__(self, "labels", tuple(labels))

    @property
    def codes(self) -> tuple[str, ...]:
        return self.labels  # type: ignore[return-value]

    def lookup(self, value: Any) -> str | None:
        """The age group of one age, or None when it is not a plausible age."""
        code, _ = self._lookup(value)
        return code

    def _lookup(self, value: Any) -> tuple[str | None, str]:
        try:
            age = float(value)
        except (TypeError, ValueError):
            return None, "unmapped"
        if not math.isfinite(age) or age < 0 or age > self.max_age:
            return None, "unmapped"
        index = int(np.searchsorted(self.breaks, math.floor(age), side="right")) - 1
        return self.labels[index], "range"  # type: ignore[index]

    def map(self, values: Sequence[Any] | pd.Series) -> MappingResult:
        """Age group of every value, with a report of implausible and missing ages."""
        series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
        return _result(self.name, series, self.codes, self._lookup)

    def to_frame(self) -> pd.DataFrame:
        upper = [b - 1 for b in self.breaks[1:]] + [self.max_age]
        return pd.DataFrame({"code": list(self.codes), "from_age": list(self.breaks), "to_age": upper})

    def _repr_html_(self) -> str:
        return _html_table(self.to_frame(), f"Age groups: {self.name}", f"Ages above {self.max_age} are unmapped.")


#: The age groups the (fictional) national statistical office of Lumeria publishes.
OFFICIAL_AGE_GROUPS = AgeGroups()


def official_districts(official: pd.DataFrame, *, aliases: Mapping[str, str] | None = None) -> Classification:
    """The district classification as the official tables use it (code -> name).

    >>> official = pd.DataFrame({"district_code": ["D01", "D02", "total"], "district": ["Marelo", "Tuvan", "Lumeria"]})
    >>> official_districts(official).labels
    {'D01': 'Marelo', 'D02': 'Tuvan'}
    """
    return Classification.from_frame(official, "district_code", "district", name="district", aliases=aliases)


@dataclass(frozen=True)
class Harmonised:
    """Data with official-code columns added, and one mapping report per harmonised column."""

    data: pd.DataFrame
    reports: Mapping[str, MappingResult]

    @property
    def complete(self) -> bool:
        """True when every non-missing value of every column found an official code."""
        return all(r.complete for r in self.reports.values())

    def to_frame(self) -> pd.DataFrame:
        """One summary row per harmonised column."""
        rows = []
        for column, r in self.reports.items():
            total = int(r.table["count"].sum())
            rows.append({
                "column": column, "classification": r.classification, "records": total,
                "mapped": total - r.n_unmapped - r.n_missing, "missing": r.n_missing,
                "unmapped": r.n_unmapped,
                "unmapped_values": ", ".join(map(str, r.unmapped["value"].head(10))),
                "fuzzy_matches": len(r.fuzzy),
            })
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        note = ("Every value found an official code." if self.complete
                else "Some values have no official code: see reports[column].unmapped and fix them or add aliases.")
        return _html_table(self.to_frame(), "Harmonisation", note)


def harmonise(
    data: pd.DataFrame,
    mappings: Mapping[str, Classification | AgeGroups],
    *,
    into: Mapping[str, str] | None = None,
    fuzzy: float | None = None,
    on_unmapped: Literal["report", "raise"] = "report",
) -> Harmonised:
    """Add official-code columns to ``data`` and report what did not map.

    Parameters
    ----------
    data : the records; not modified.
    mappings : column -> the classification its values map to.
    into : column -> name of the new column; default the classification's name
        (for example "age" -> "age_group").
    fuzzy : passed to :meth:`Classification.map` (spelling-similarity matching, flagged for review).
    on_unmapped : "report" (default: unmapped values become missing and are listed in the report)
        or "raise" (stop with an error listing them).

    Examples
    --------
    >>> df = pd.DataFrame({"age": [3, 30, 150], "district": ["marelo", "D02", "D01 Marelo"]})
    >>> districts = Classification("district_code", {"D01": "Marelo", "D02": "Tuvan"})
    >>> out = harmonise(df, {"age": OFFICIAL_AGE_GROUPS, "district": districts})
    >>> out.data[["age_group", "district_code"]].astype(object).values.tolist()
    [['0-14', 'D01'], ['25-49', 'D02'], [nan, 'D01']]
    >>> out.to_frame()[["column", "unmapped", "unmapped_values"]].values.tolist()
    [['age', 1, '150'], ['district', 0, '']]
    """
    require_frame(data)
    require_columns(data, list(mappings), "mappings column")
    require_choice(on_unmapped, ["report", "raise"], "on_unmapped")
    into = dict(into or {})
    out = data.copy()
    reports: dict[str, MappingResult] = {}
    for column, classification in mappings.items():
        if not isinstance(classification, (Classification, AgeGroups)):
            raise CdcourseError(
                f"mappings[{column!r}] must be a Classification or AgeGroups; got {type(classification).__name__}"
            )
        if isinstance(classification, Classification):
            result = classification.map(data[column], fuzzy=fuzzy)
        else:
            result = classification.map(data[column])
        if on_unmapped == "raise" and not result.complete:
            values = ", ".join(repr(v) for v in result.unmapped["value"].head(10))
            raise CdcourseError(
                f"column {column!r} has {result.n_unmapped} records whose value has no "
                f"{classification.name!r} code: {values}; expected one of {', '.join(classification.codes)}"
            )
        out[into.get(column, classification.name)] = result.codes
        reports[column] = result
    return Harmonised(out, reports)


# --------------------------------------------------------------------------------------------
# Official tables and coherence
# --------------------------------------------------------------------------------------------

_OFFICIAL_DIMENSIONS = ("district_code", "sex", "age_group", "language_group")


def official_table(
    official: pd.DataFrame,
    indicator: str,
    by: str | Sequence[str] = (),
    *,
    year: int | None = None,
    dimensions: Sequence[str] = _OFFICIAL_DIMENSIONS,
) -> pd.DataFrame:
    """One official table out of the long-format publication: ``indicator`` by ``by``.

    The long format holds every breakdown at once, with "total" standing for "all". This picks
    the rows where the ``by`` columns are real categories and every other dimension is "total",
    so each person is counted once.

    Parameters
    ----------
    official : the long table (``official_statistics``); columns ``indicator``, ``value`` and
        the dimensions.
    indicator : e.g. "population" or "improved_water_pct".
    by : dimensions to break down by (empty: the national figure).
    year : keep this year only (default: the table must hold a single year).
    dimensions : the dimension columns of the long table.

    Examples
    --------
    >>> long = pd.DataFrame({
    ...     "district_code": ["D01", "D01", "D01", "D02", "total"], "sex": ["total", "female", "male", "total", "total"],
    ...     "indicator": "population", "value": [10.0, 6.0, 4.0, 20.0, 30.0]})
    >>> official_table(long, "population", "district_code", dimensions=["district_code", "sex"])
      district_code  value
    0           D01   10.0
    1           D02   20.0
    """
    require_frame(official, "official")
    by = [by] if isinstance(by, str) else list(by)
    dims = [d for d in dimensions if d in official.columns]
    require_columns(official, ["indicator", "value", *by], "official column")
    for col in by:
        if col not in dims:
            raise CdcourseError(f"by {col!r} is not one of the dimensions {', '.join(dims)}")
    known = sorted(official["indicator"].astype(str).unique())
    require_choice(indicator, known, "indicator")
    rows = official[official["indicator"].astype(str) == indicator]
    if "year" in rows.columns:
        if year is not None:
            rows = rows[rows["year"] == year]
            if rows.empty:
                raise CdcourseError(f"year {year!r} has no rows for indicator {indicator!r}")
        elif rows["year"].nunique() > 1:
            raise CdcourseError(
                f"official holds several years ({', '.join(map(str, sorted(rows['year'].unique())))}); pass year="
            )
    is_total = {d: rows[d].astype(str).str.casefold() == "total" for d in dims}
    keep = np.ones(len(rows), dtype=bool)
    for d in dims:
        keep &= (~is_total[d]).to_numpy() if d in by else is_total[d].to_numpy()
    table = rows.loc[keep, [*by, "value"]].copy()
    for col in by:
        table[col] = table[col].astype(str)
    if table.empty:
        raise CdcourseError(
            f"official publishes no {indicator!r} table by {by or 'nothing (a national figure)'}: no rows have "
            f"{', '.join(d for d in dims if d not in by) or 'no other dimension'} equal to 'total'; add up a "
            "finer table instead (for counts), or pick a published breakdown"
        )
    if (table.duplicated(by).any() if by else len(table) > 1):
        raise CdcourseError(f"official has more than one {indicator!r} value per {by}; pass year= or check the table")
    return table.sort_values(by).reset_index(drop=True) if by else table.reset_index(drop=True)


@dataclass(frozen=True)
class Coherence:
    """Survey estimates beside official benchmarks, with a verdict per row.

    ``table`` columns: the key columns, ``estimate``, ``se``, ``ci_lower``, ``ci_upper``,
    ``official``, ``difference`` (estimate - official), ``relative_difference`` (difference /
    official), ``z`` (difference / combined SE), ``official_in_ci`` and ``verdict`` ("coherent",
    "check", "incoherent", or "no benchmark" when the official table has no value for the row).
    ``tolerances`` records the rule that produced the verdicts.
    """

    table: pd.DataFrame
    tolerances: Mapping[str, float]

    @property
    def counts(self) -> dict[str, int]:
        """How many rows got each verdict."""
        order = ["coherent", "check", "incoherent", "no benchmark"]
        vc = self.table["verdict"].value_counts()
        return {v: int(vc.get(v, 0)) for v in order}

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def _repr_html_(self) -> str:
        t = self.tolerances
        note = (
            f"Verdicts: {self.counts}. Rule (the course's choice; change it with the arguments): coherent "
            f"when |z| <= {t['z_check']:.2f} or |difference| <= {t['abs_tol']:g} or <= {t['rel_tol']:.0%} of the "
            f"official value; check when |z| <= {t['z_incoherent']:.2f}; incoherent beyond."
        )
        return _html_table(self.table.round(4), "Coherence with official benchmarks", note)


def coherence(
    estimates: pd.DataFrame,
    benchmarks: pd.DataFrame,
    *,
    on: str | Sequence[str],
    estimate: str = "estimate",
    se: str = "se",
    official: str = "value",
    official_se: str | None = None,
    level: float = 0.95,
    z_check: float | None = None,
    z_incoherent: float = 3.0,
    abs_tol: float = 0.0,
    rel_tol: float = 0.0,
) -> Coherence:
    """Is each survey estimate consistent with the official figure, given its uncertainty?

    For each row, z = (estimate - official) / sqrt(se^2 + official_se^2) (official_se is 0
    unless given). The verdict is

    - "coherent" when |z| <= ``z_check`` (default: the ``level`` critical value, 1.96 for 95%,
      which is the same as "the official value lies inside the survey's confidence interval"
      when the official figure has no error), or when the difference is within the practical
      tolerance ``max(abs_tol, rel_tol * |official|)``;
    - "check" when ``z_check`` < |z| <= ``z_incoherent`` (default 3.0);
    - "incoherent" beyond;
    - "no benchmark" when the official table has no value for the row.

    The 3.0 cut-off and the practical tolerances are the course's own choices, not an official
    standard: a large survey makes tiny, unimportant differences "significant", which is what
    ``abs_tol`` / ``rel_tol`` are for; agree them with the statistical office before comparing.

    Parameters
    ----------
    estimates : one row per estimate, with the ``on`` keys, ``estimate`` and ``se`` columns.
    benchmarks : one row per official figure, with the ``on`` keys and ``official`` column.
    on : key column(s) shared by both tables.
    level : confidence level of the reported interval.

    Examples
    --------
    >>> est = pd.DataFrame({"d": ["A", "B", "C", "D"], "estimate": [50.0, 50.0, 50.0, 50.0], "se": [2.0] * 4})
    >>> off = pd.DataFrame({"d": ["A", "B", "C"], "value": [49.0, 45.0, 40.0]})
    >>> coherence(est, off, on="d").table[["d", "z", "official_in_ci", "verdict"]]
       d    z official_in_ci       verdict
    0  A  0.5           True      coherent
    1  B  2.5          False         check
    2  C  5.0          False    incoherent
    3  D  NaN           <NA>  no benchmark
    """
    require_frame(estimates, "estimates")
    require_frame(benchmarks, "benchmarks")
    keys = [on] if isinstance(on, str) else list(on)
    require_columns(estimates, [*keys, estimate, se], "estimates column")
    require_columns(benchmarks, [*keys, official] + ([official_se] if official_se else []), "benchmarks column")
    require_number(level, "level", low=0, high=1, low_inclusive=False, high_inclusive=False)
    crit = float(stats.norm.ppf(0.5 + level / 2))
    z_check = crit if z_check is None else require_number(z_check, "z_check", low=0, high=math.inf, low_inclusive=False)
    require_number(z_incoherent, "z_incoherent", low=z_check, high=math.inf)
    require_number(abs_tol, "abs_tol", low=0, high=math.inf)
    require_number(rel_tol, "rel_tol", low=0, high=math.inf)
    if benchmarks.duplicated(keys).any():
        dup = benchmarks.loc[benchmarks.duplicated(keys, keep=False), keys].drop_duplicates().head(3)
        raise CdcourseError(f"benchmarks has more than one row per key {keys}, e.g. {dup.to_dict('records')}")
    est_se = pd.to_numeric(estimates[se], errors="coerce")
    if (est_se < 0).any():
        raise CdcourseError(f"estimates column {se!r} has negative standard errors; SEs must be >= 0")

    left = estimates[keys].copy()
    for k in keys:  # keys compare as text so "D01" meets "D01" whatever the dtypes
        left[k] = left[k].astype(str)
    left["estimate"] = pd.to_numeric(estimates[estimate], errors="coerce").to_numpy(dtype=float)
    left["se"] = est_se.to_numpy(dtype=float)
    right = benchmarks[keys].copy()
    for k in keys:
        right[k] = right[k].astype(str)
    right["official"] = pd.to_numeric(benchmarks[official], errors="coerce").to_numpy(dtype=float)
    right["_off_se"] = (
        pd.to_numeric(benchmarks[official_se], errors="coerce").to_numpy(dtype=float) if official_se else 0.0
    )
    t = left.merge(right, on=keys, how="left", validate="many_to_one")

    t["ci_lower"] = t["estimate"] - crit * t["se"]
    t["ci_upper"] = t["estimate"] + crit * t["se"]
    t["difference"] = t["estimate"] - t["official"]
    with np.errstate(divide="ignore", invalid="ignore"):
        t["relative_difference"] = t["difference"] / t["official"].abs()
        combined = np.sqrt(t["se"] ** 2 + t["_off_se"] ** 2)
        z = t["difference"] / combined
    # A zero SE with zero difference is perfect agreement, not 0/0.
    z = z.where(~((combined == 0) & (t["difference"] == 0)), 0.0)
    t["z"] = z
    has = t["official"].notna()
    inside = (t["official"] >= t["ci_lower"]) & (t["official"] <= t["ci_upper"])
    t["official_in_ci"] = pd.array(np.where(has, inside, False), dtype="boolean")
    t.loc[~has, "official_in_ci"] = pd.NA
    tolerance = np.maximum(abs_tol, rel_tol * t["official"].abs())
    az = t["z"].abs()
    verdict = np.select(
        [~has, t["difference"].abs() <= tolerance, az <= z_check, az <= z_incoherent],
        ["no benchmark", "coherent", "coherent", "check"],
        default="incoherent",
    )
    t["verdict"] = verdict
    cols = [*keys, "estimate", "se", "ci_lower", "ci_upper", "official", "difference",
            "relative_difference", "z", "official_in_ci", "verdict"]
    tol = {"level": level, "z_check": z_check, "z_incoherent": z_incoherent, "abs_tol": abs_tol, "rel_tol": rel_tol}
    return Coherence(t[cols], tol)


# --------------------------------------------------------------------------------------------
# Publishability of a gap-filling table
# --------------------------------------------------------------------------------------------


def publishability(
    cv: float | Sequence[float] | pd.Series,
    n: int | Sequence[int] | pd.Series,
    *,
    cv_ok: float = 0.15,
    cv_max: float = 0.30,
    min_n: int = 30,
) -> Any:
    """Publish, publish with a caution, or suppress, from an estimate's CV and sample count.

    - "publish": cv <= ``cv_ok`` and n >= ``min_n``;
    - "caution": ``cv_ok`` < cv <= ``cv_max`` and n >= ``min_n`` (publish with a quality flag);
    - "suppress": cv > ``cv_max``, n < ``min_n``, or the CV could not be computed.

    The defaults (15%, 30%, 30 respondents) are the course's example choice. Statistical
    offices set their own thresholds; use theirs when you publish with them.

    >>> publishability([0.05, 0.20, 0.45, 0.05, float("nan")], [400, 400, 400, 12, 400]).tolist()
    ['publish', 'caution', 'suppress', 'suppress', 'suppress']
    >>> publishability(0.1, 100)
    'publish'
    """
    require_number(cv_ok, "cv_ok", low=0, high=math.inf, low_inclusive=False)
    require_number(cv_max, "cv_max", low=cv_ok, high=math.inf)
    require_number(min_n, "min_n", low=0, high=math.inf, integer=True)
    scalar = np.ndim(cv) == 0 and np.ndim(n) == 0
    cv_a = np.atleast_1d(np.asarray(cv, dtype=float))
    n_a = np.atleast_1d(np.asarray(n, dtype=float))
    if cv_a.shape != n_a.shape:
        raise CdcourseError(f"cv and n must have the same length; got {cv_a.size} and {n_a.size}")
    flag = np.select(
        [np.isnan(cv_a) | (n_a < min_n) | (cv_a > cv_max), cv_a > cv_ok],
        ["suppress", "caution"],
        default="publish",
    )
    if scalar:
        return str(flag[0])
    if isinstance(cv, pd.Series):
        return pd.Series(flag, index=cv.index, name="publishable")
    return pd.Series(flag, name="publishable")


# --------------------------------------------------------------------------------------------
# Official totals and calibration
# --------------------------------------------------------------------------------------------


def official_totals(
    official: pd.DataFrame,
    by: str | Sequence[str],
    *,
    indicator: str = "population",
    year: int | None = None,
    dimensions: Sequence[str] = _OFFICIAL_DIMENSIONS,
) -> pd.Series:
    """Official population counts by ``by``, ready to calibrate survey weights to.

    When the breakdown is published it is used as is; when it is only published within a finer
    breakdown (for example language group only within districts), the finer table is added up.
    Adding up is right for counts only, so ``indicator`` must be a count, never a percentage.

    Returns
    -------
    A Series of totals, indexed by the ``by`` category (a MultiIndex for several columns).

    Examples
    --------
    >>> long = pd.DataFrame({
    ...     "district_code": ["D01", "D01", "D02", "D02"], "sex": ["female", "male", "female", "male"],
    ...     "indicator": "population", "value": [6.0, 4.0, 11.0, 9.0]})
    >>> official_totals(long, "sex", dimensions=["district_code", "sex"]).to_dict()
    {'female': 17.0, 'male': 13.0}
    """
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise CdcourseError("by must name at least one dimension, e.g. 'district_code'")
    if indicator.endswith("_pct"):
        raise CdcourseError(
            f"indicator {indicator!r} is a percentage; totals to calibrate to must be counts such as 'population'"
        )
    dims = [d for d in dimensions if d in official.columns]
    try:
        table = official_table(official, indicator, by, year=year, dimensions=dims)
    except CdcourseError as first_error:
        # Not published at this level: add up the smallest published table that contains it.
        for extra in [d for d in dims if d not in by]:
            try:
                finer = official_table(official, indicator, [*by, extra], year=year, dimensions=dims)
            except CdcourseError:
                continue
            table = finer.groupby(by, sort=True)["value"].sum(min_count=1).reset_index()
            break
        else:
            raise first_error
    if table["value"].isna().any():
        missing = table.loc[table["value"].isna(), by].head(5).to_dict("records")
        raise CdcourseError(f"official has no {indicator!r} count for {missing}; totals must be complete")
    series = table.set_index(by)["value"]
    series.name = "official_total"
    return series


def calibrate_to_official(
    survey: pd.DataFrame,
    official: pd.DataFrame,
    by: str | Sequence[str],
    *,
    weight: str = "weight",
    method: Literal["poststratify", "rake"] = "poststratify",
    age: str = "age",
    age_groups: AgeGroups = OFFICIAL_AGE_GROUPS,
    indicator: str = "population",
    year: int | None = None,
    new_weight: str = "calibrated_weight",
    **options: Any,
):
    """Adjust survey weights so the survey reproduces the official population counts.

    The survey and the official tables must speak the same classification: when ``by`` includes
    "age_group" and the survey has only single-year ``age``, the ages are grouped with
    ``age_groups`` first (an implausible age stops the calibration, naming the values).
    The weights are then adjusted with :func:`cdcourse.sampling.poststratify` (cells of all ``by``
    columns crossed) or :func:`cdcourse.sampling.rake` (each ``by`` column as a separate margin).

    Calibration makes the survey agree with the official figures, errors included: if the
    official counts miss a place or under-count a group, the calibrated survey inherits that
    error. Compare the margins table (``factor`` far from 1 is a warning) before trusting it.

    Parameters
    ----------
    survey : person records with a weight column; not modified.
    official : the long official table (``official_statistics``).
    by : official dimensions to calibrate on, e.g. ``["district_code", "sex"]``.
    weight : the weight column to adjust.
    method : "poststratify" or "rake".
    options : passed on to :func:`cdcourse.sampling.rake` (``tol``, ``max_iter``, ``must_converge``).

    Returns
    -------
    cdcourse.sampling.Calibration: ``data`` (a copy with ``new_weight``), ``margins`` (target,
    before, after, factor per category), ``converged``.

    Examples
    --------
    >>> survey = pd.DataFrame({"district_code": ["D01", "D01", "D02"], "sex": ["female", "male", "female"],
    ...                        "weight": [10.0, 10.0, 10.0]})
    >>> long = pd.DataFrame({"district_code": ["D01", "D02"], "sex": ["total", "total"],
    ...                      "indicator": "population", "value": [30.0, 15.0]})
    >>> cal = calibrate_to_official(survey, long, "district_code")
    >>> cal.data["calibrated_weight"].tolist()
    [15.0, 15.0, 15.0]
    """
    from cdcourse import sampling  # calibration itself lives in sampling; this adds the official side

    require_frame(survey, "survey")
    require_choice(method, ["poststratify", "rake"], "method")
    by = [by] if isinstance(by, str) else list(by)
    data = survey
    if "age_group" in by and "age_group" not in survey.columns:
        require_columns(survey, age, "age")
        grouped = harmonise(survey, {age: age_groups}, into={age: "age_group"}, on_unmapped="raise")
        data = grouped.data
    require_columns(data, by, "by")
    data = data.copy() if data is survey else data
    for col in by:  # compare as text, like the official table's codes
        data[col] = data[col].astype("string")
    if method == "poststratify":
        totals = official_totals(official, by, indicator=indicator, year=year)
        targets = totals.to_dict() if len(by) > 1 else {str(k): v for k, v in totals.items()}
        targets = {(tuple(map(str, k)) if isinstance(k, tuple) else k): v for k, v in targets.items()}
        result = sampling.poststratify(data, weight, by if len(by) > 1 else by[0], targets, new_weight=new_weight)
    else:
        margins = {col: official_totals(official, col, indicator=indicator, year=year) for col in by}
        margins = {col: {str(k): v for k, v in m.items()} for col, m in margins.items()}
        result = sampling.rake(data, weight, margins, new_weight=new_weight, **options)
    return result


# --------------------------------------------------------------------------------------------
# Filling an official gap
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapTable:
    """Survey estimates for a breakdown the official tables lack, with precision and a flag.

    ``table`` has the ``by`` columns, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``cv``,
    ``n`` (respondents with a value), ``population_size`` (weighted count of the domain) and
    ``publishable`` ("publish", "caution" or "suppress", from :func:`publishability`).
    ``limits`` lists what a reader must know before using the numbers.
    """

    table: pd.DataFrame
    variable: str
    by: tuple[str, ...]
    thresholds: Mapping[str, float]
    limits: tuple[str, ...]

    @property
    def counts(self) -> dict[str, int]:
        """How many cells got each flag."""
        vc = self.table["publishable"].value_counts()
        return {flag: int(vc.get(flag, 0)) for flag in ("publish", "caution", "suppress")}

    def published(self) -> pd.DataFrame:
        """The table as it may be published: suppressed cells have no estimate or interval."""
        out = self.table.copy()
        hide = out["publishable"] == "suppress"
        out.loc[hide, ["estimate", "se", "ci_low", "ci_high", "cv"]] = np.nan
        return out

    def statement(self) -> str:
        """The limits as one paragraph, to print under the table."""
        return " ".join(self.limits)

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def _repr_html_(self) -> str:
        return _html_table(self.table.round(4), f"{self.variable} by {', '.join(self.by)}", self.statement())


def fill_gap(
    survey: pd.DataFrame,
    y: str,
    by: str | Sequence[str],
    *,
    weight: str = "weight",
    strata: str | None = "stratum",
    psu: str | None = "psu",
    statistic: Literal["proportion", "mean"] = "proportion",
    level: Any = None,
    confidence: float = 0.95,
    cv_ok: float = 0.15,
    cv_max: float = 0.30,
    min_n: int = 30,
    limits: Sequence[str] = (),
) -> GapTable:
    """Estimate a breakdown the official tables leave out, and say which cells can be published.

    Each domain (a combination of the ``by`` columns) gets a design-based estimate from
    :mod:`cdcourse.sampling` (Taylor-linearised SE with ``strata`` and ``psu``), its coefficient of
    variation, and a flag from :func:`publishability` (thresholds ``cv_ok``, ``cv_max``, ``min_n``:
    the course's example choice, to be replaced by the partner office's rules). Records without
    a value of ``y`` (e.g. disability for children under 5) are outside every domain.

    The result carries a list of limits (sample, coverage of the frame, thresholds, suppressed
    cells) plus any ``limits`` you add, so the numbers never travel without them.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["f"] * 40 + ["m"] * 10, "dis": [True] * 8 + [False] * 32 + [True] * 2 + [False] * 8,
    ...                    "w": 2.0})
    >>> gap = fill_gap(df, "dis", "sex", weight="w", strata=None, psu=None)
    >>> gap.table[["sex", "estimate", "n", "publishable"]]
      sex  estimate   n publishable
    0   f       0.2  40    suppress
    1   m       0.2  10    suppress
    >>> # a domain's SE uses all 50 records as units: sqrt(50/49 * 0.2 * 0.8 / 40) / 0.2
    >>> round(float(gap.table["cv"][0]), 4), round((50 / 49 * 0.2 * 0.8 / 40) ** 0.5 / 0.2, 4)
    (0.3194, 0.3194)
    """
    from cdcourse import sampling

    require_frame(survey, "survey")
    require_choice(statistic, ["proportion", "mean"], "statistic")
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise CdcourseError("by must name at least one column, e.g. 'district_code'")
    require_columns(survey, [y, *by], "column")
    publishability(0.0, 0, cv_ok=cv_ok, cv_max=cv_max, min_n=min_n)  # validates the thresholds early

    # One domain code per combination of the by columns (missing in any of them: no domain).
    groups = survey.groupby(by, observed=True, dropna=True, sort=True)
    codes = groups.ngroup()
    data = survey.assign(_domain=codes.where(codes >= 0))
    labels = (
        survey[by].assign(_domain=codes)[codes >= 0]
        .drop_duplicates("_domain").sort_values("_domain").set_index("_domain")
    )
    estimator = sampling.estimate_proportion if statistic == "proportion" else sampling.estimate_mean
    kwargs = {"level": level} if statistic == "proportion" else {}
    result = estimator(data, y, weight, strata=strata, psu=psu, by="_domain", confidence=confidence, **kwargs)
    est = result.to_frame().dropna(subset=["_domain"])
    est["_domain"] = est["_domain"].astype(int)
    table = labels.reset_index().merge(est, on="_domain", how="left").drop(columns="_domain")
    table = table.drop(columns=["deff"], errors="ignore")
    table["n"] = table["n"].fillna(0).astype(int)
    table["publishable"] = publishability(table["cv"], table["n"], cv_ok=cv_ok, cv_max=cv_max, min_n=min_n)

    counts = table["publishable"].value_counts()
    n_records = int(survey[y].notna().sum())
    notes = [
        f"Estimates of {y} by {', '.join(by)} come from a sample survey of {n_records:,} respondents with a "
        f"value of {y}" + (f" in {survey[psu].nunique():,} clusters" if psu else "") + "; each carries a "
        f"{round(confidence * 100):d}% confidence interval.",
        "They describe the population the survey's frame covers, no more: people outside the frame, or who "
        "refused, are represented only through the weights.",
        f"A cell is published when its CV is at most {cv_ok:.0%} and it rests on at least {min_n} respondents, "
        f"published with a caution up to a CV of {cv_max:.0%}, and suppressed otherwise (thresholds chosen for "
        f"this course as an example; agree them with the statistical office).",
        f"{int(counts.get('suppress', 0))} of {len(table)} cells are suppressed and "
        f"{int(counts.get('caution', 0))} carry a caution.",
        *limits,
    ]
    return GapTable(table, y, tuple(by), {"cv_ok": cv_ok, "cv_max": cv_max, "min_n": min_n}, tuple(notes))
