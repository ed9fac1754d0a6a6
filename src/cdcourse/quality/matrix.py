"""The scoring matrix for reusing citizen data in official statistics, and the verdict.

The default matrix (``default_matrix.json`` beside this file) is **the course's own**: it is built
on the output dimensions of the UN National Quality Assurance Framework (NQAF Manual, 2019), on the
Philippine Statistics Authority's criteria for citizen-generated data and Kenya's KeSQAF, with an
ethics criterion from the Copenhagen Framework on Citizen Data. PARIS21 (2021) proposes such a
matrix with minimum quality levels; its exact criteria and weights are not reproduced here. Every
weight, level and threshold is a visible parameter, and an NSO can load its own matrix from JSON.

How a verdict is reached (the same rules in the docstrings, the report and the tests):

1. Each criterion gets a level on the matrix's scale (default 0-3). *Human-scored* criteria take
   the assessor's answer. *Measure-scored* criteria take the **lowest** level reached by the
   measures that feed them (a dataset is as accurate as its weakest measure): a measure with value
   ``v`` reaches level ``min + number of cuts passed`` (``v ≥ cut``, or ``v ≤ cut`` for an error).
   A required measure that is missing leaves the criterion unscored. An answer overrides measures.
2. Overall score = ``100 × Σ wᵢ (levelᵢ − min) / (max − min) / Σ wᵢ`` over the scored criteria.
3. Verdict: any criterion below its minimum level → **not fit**; otherwise any unscored criterion
   → **incomplete** (with the provisional verdict); otherwise score below the ``caveats``
   threshold (the overall minimum) → **not fit**; score at or above ``fit`` → **fit for official
   reuse**; in between → **reuse with caveats**.
"""
from __future__ import annotations

import html
import json
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdcourse.errors import CdcourseError
from cdcourse.quality.measures import MEASURES, Measure, QualityProfile

__all__ = [
    "CAVEATS",
    "FIT",
    "INCOMPLETE",
    "NOT_FIT",
    "VERDICTS",
    "Assessment",
    "Criterion",
    "MeasureCut",
    "ScoringMatrix",
    "assess",
    "default_matrix",
    "load_answers",
    "load_matrix",
    "matrix_template",
    "measure_level",
    "weight_sensitivity",
]

FIT = "fit for official reuse"
CAVEATS = "reuse with caveats"
NOT_FIT = "not fit"
INCOMPLETE = "incomplete: not every criterion is scored"
VERDICTS = (FIT, CAVEATS, NOT_FIT, INCOMPLETE)
SCORINGS = ("human", "measures")
_EPS = 1e-9  # so that a score of exactly 75 is not lost to floating point at the 75 threshold

_MATRIX_KEYS = {"name", "version", "note", "scale", "weights_total", "thresholds", "criteria"}
_CRITERION_KEYS = {"id", "name", "basis", "scoring", "weight", "minimum_level", "questions", "levels", "measures"}
_CUT_KEYS = {"measure", "cuts", "higher_is_better", "required"}
_OVERRIDE_KEYS = {"base", "name", "note", "weights", "minimum_levels", "thresholds", "normalise"}


def measure_level(value: float, cuts: tuple[float, ...], *, higher_is_better: bool = True, scale_min: int = 0) -> int | None:
    """The level a measure value reaches: ``scale_min`` + the number of cuts it passes.

    ``None`` when the value is missing: a missing measure earns no level, not the top one.

    Examples
    --------
    >>> measure_level(96.0, (90, 95, 98))     # passes 90 and 95
    2
    >>> measure_level(98.0, (90, 95, 98))     # a cut is reached when equal
    3
    >>> measure_level(7.5, (25, 10, 5), higher_is_better=False)   # an error: lower is better
    2
    >>> measure_level(float("nan"), (90, 95, 98)) is None
    True
    """
    if value is None or math.isnan(value):
        return None
    if higher_is_better:
        passed = sum(value >= c - _EPS for c in cuts)
    else:
        passed = sum(value <= c + _EPS for c in cuts)
    return scale_min + int(passed)


@dataclass(frozen=True)
class MeasureCut:
    """How one automated measure maps to levels: ``cuts`` are the values needed for levels min+1..max."""

    measure: str
    cuts: tuple[float, ...]
    higher_is_better: bool = True
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "cuts": list(self.cuts), "higher_is_better": self.higher_is_better,
                "required": self.required}


@dataclass(frozen=True)
class Criterion:
    """One criterion of the matrix: its evidence questions, level descriptors, weight and minimum."""

    id: str
    name: str
    basis: str
    scoring: str
    weight: float
    minimum_level: int
    questions: tuple[str, ...]
    levels: dict[int, str]
    measures: tuple[MeasureCut, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "name": self.name, "basis": self.basis, "scoring": self.scoring,
               "weight": self.weight, "minimum_level": self.minimum_level, "questions": list(self.questions),
               "levels": {str(k): v for k, v in self.levels.items()}}
        if self.measures:
            out["measures"] = [m.to_dict() for m in self.measures]
        return out


@dataclass(frozen=True)
class ScoringMatrix:
    """A validated scoring matrix. Build with :func:`default_matrix`, :func:`load_matrix` or ``from_dict``.

    Examples
    --------
    >>> m = default_matrix()
    >>> m.scale_min, m.scale_max, m.weights_total, m.fit_threshold, m.caveats_threshold
    (0, 3, 100.0, 75.0, 50.0)
    >>> sum(m.weights.values())
    100.0
    >>> m.with_weights({"relevance": 30}, normalise=True).weights["relevance"] > 15
    True
    """

    name: str
    note: str
    scale_min: int
    scale_max: int
    scale_labels: dict[int, str]
    weights_total: float
    fit_threshold: float
    caveats_threshold: float
    criteria: tuple[Criterion, ...]
    version: str = ""

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> ScoringMatrix:
        """Build and validate a matrix; every problem is listed in one :class:`CdcourseError`."""
        if not isinstance(spec, Mapping):
            raise CdcourseError(f"a scoring matrix must be a JSON object; got {type(spec).__name__}")
        if "criteria" not in spec and ("weights" in spec or "base" in spec or "minimum_levels" in spec):
            return _apply_overrides(spec)
        problems: list[str] = []
        unknown = sorted(set(spec) - _MATRIX_KEYS)
        if unknown:
            problems.append(f"unknown matrix key(s) {', '.join(map(repr, unknown))}; expected some of {', '.join(sorted(_MATRIX_KEYS))}")
        scale = spec.get("scale") or {}
        smin, smax = scale.get("min"), scale.get("max")
        if not (isinstance(smin, int) and isinstance(smax, int) and not isinstance(smin, bool) and smax > smin):
            problems.append(f"scale must have whole numbers min < max (e.g. {{'min': 0, 'max': 3}}); got {scale!r}")
            smin, smax = 0, 3
        levels_expected = list(range(smin, smax + 1))
        labels = {int(k): str(v) for k, v in (scale.get("labels") or {}).items() if _is_int_text(k)}
        total = spec.get("weights_total", 100)
        if not _is_number(total) or total <= 0:
            problems.append(f"weights_total must be a number > 0; got {total!r}")
            total = 100
        thresholds = spec.get("thresholds") or {}
        fit, cav = thresholds.get("fit"), thresholds.get("caveats")
        if not (_is_number(fit) and _is_number(cav) and 0 <= cav <= fit <= 100):
            problems.append(f"thresholds must have numbers 0 <= caveats <= fit <= 100 (overall score in %); got {thresholds!r}")
            fit, cav = 75, 50
        raw = spec.get("criteria")
        criteria: list[Criterion] = []
        if not isinstance(raw, list) or not raw:
            problems.append("criteria must be a non-empty list")
            raw = []
        seen: set[str] = set()
        for i, c in enumerate(raw):
            crit = _criterion(c, i, smin, smax, levels_expected, problems)
            if crit is None:
                continue
            if crit.id in seen:
                problems.append(f"criterion id {crit.id!r} appears more than once")
            seen.add(crit.id)
            criteria.append(crit)
        if criteria and not problems:
            wsum = sum(c.weight for c in criteria)
            if abs(wsum - total) > 1e-6 * max(1.0, abs(total)):
                listing = ", ".join(f"{c.id}={c.weight:g}" for c in criteria)
                problems.append(f"weights sum to {wsum:g} but weights_total declares {total:g} ({listing})")
        if problems:
            raise CdcourseError("invalid scoring matrix: " + "; ".join(problems))
        return cls(str(spec.get("name", "scoring matrix")), str(spec.get("note", "")), smin, smax, labels,
                   float(total), float(fit), float(cav), tuple(criteria), str(spec.get("version", "")))

    def to_dict(self) -> dict[str, Any]:
        """The matrix as a JSON-ready dict; ``ScoringMatrix.from_dict(m.to_dict())`` gives it back."""
        return {"name": self.name, "version": self.version, "note": self.note,
                "scale": {"min": self.scale_min, "max": self.scale_max,
                          "labels": {str(k): v for k, v in self.scale_labels.items()}},
                "weights_total": self.weights_total,
                "thresholds": {"fit": self.fit_threshold, "caveats": self.caveats_threshold},
                "criteria": [c.to_dict() for c in self.criteria]}

    # ------------------------------------------------------------------ views and changes
    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria)

    @property
    def weights(self) -> dict[str, float]:
        return {c.id: c.weight for c in self.criteria}

    @property
    def human_criteria(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria if c.scoring == "human")

    def criterion(self, cid: str) -> Criterion:
        for c in self.criteria:
            if c.id == cid:
                return c
        raise CdcourseError(f"unknown criterion {cid!r}; criteria are: {', '.join(self.ids)}")

    def _check_ids(self, mapping: Mapping[str, Any], param: str) -> None:
        unknown = [k for k in mapping if k not in self.ids]
        if unknown:
            raise CdcourseError(f"{param}: unknown criteria {', '.join(map(repr, unknown))}; criteria are: {', '.join(self.ids)}")

    def with_weights(self, weights: Mapping[str, float], *, normalise: bool = False) -> ScoringMatrix:
        """A copy with some weights changed. They must still sum to ``weights_total`` unless
        ``normalise=True``, which rescales every weight so that they do."""
        self._check_ids(weights, "weights")
        new = dict(self.weights)
        for k, v in weights.items():
            if not _is_number(v) or v < 0:
                raise CdcourseError(f"weights: weight of {k!r} must be a number >= 0; got {v!r}")
            new[k] = float(v)
        total = sum(new.values())
        if total <= 0:
            raise CdcourseError("weights: at least one weight must be > 0")
        if normalise:
            new = {k: v * self.weights_total / total for k, v in new.items()}
        elif abs(total - self.weights_total) > 1e-6 * max(1.0, self.weights_total):
            listing = ", ".join(f"{k}={v:g}" for k, v in new.items())
            raise CdcourseError(f"weights sum to {total:g} but the matrix declares {self.weights_total:g} ({listing}); "
                                "change them so they add up, or pass normalise=True")
        return replace(self, criteria=tuple(replace(c, weight=new[c.id]) for c in self.criteria))

    def with_minimum_levels(self, levels: Mapping[str, int]) -> ScoringMatrix:
        """A copy with some minimum levels changed."""
        self._check_ids(levels, "minimum_levels")
        for k, v in levels.items():
            if not _is_level(v, self.scale_min, self.scale_max):
                raise CdcourseError(f"minimum_levels: level of {k!r} must be a whole number in "
                                    f"{self.scale_min}..{self.scale_max}; got {v!r}")
        return replace(self, criteria=tuple(replace(c, minimum_level=int(levels.get(c.id, c.minimum_level)))
                                            for c in self.criteria))

    def with_thresholds(self, *, fit: float | None = None, caveats: float | None = None) -> ScoringMatrix:
        """A copy with the overall thresholds (in %) changed; needs 0 <= caveats <= fit <= 100."""
        fit = self.fit_threshold if fit is None else fit
        caveats = self.caveats_threshold if caveats is None else caveats
        if not (_is_number(fit) and _is_number(caveats) and 0 <= caveats <= fit <= 100):
            raise CdcourseError(f"thresholds must satisfy 0 <= caveats <= fit <= 100; got fit={fit!r}, caveats={caveats!r}")
        return replace(self, fit_threshold=float(fit), caveats_threshold=float(caveats))

    def to_frame(self) -> pd.DataFrame:
        """One row per criterion: scoring, weight, minimum level, what feeds it."""
        return pd.DataFrame([{
            "criterion": c.id, "name": c.name, "basis": c.basis, "scoring": c.scoring, "weight": c.weight,
            "minimum_level": c.minimum_level,
            "fed_by": "; ".join(f"{m.measure} {'≥' if m.higher_is_better else '≤'} {list(m.cuts)}"
                                + ("" if m.required else " (optional)") for m in c.measures) or "assessor's answer",
        } for c in self.criteria])

    def _repr_html_(self) -> str:
        head = (f"<p><b>{html.escape(self.name)}</b>: levels {self.scale_min}-{self.scale_max}, "
                f"weights sum to {self.weights_total:g}; fit at ≥ {self.fit_threshold:g} %, "
                f"reuse with caveats at ≥ {self.caveats_threshold:g} %.</p>")
        return head + self.to_frame().to_html(index=False) + f"<p><i>{html.escape(self.note)}</i></p>"


def _is_number(v: Any) -> bool:
    # numpy numbers count too (levels read from a DataFrame are numpy.int64); True/False do not.
    return isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_)) and math.isfinite(v)


def _is_int_text(v: Any) -> bool:
    try:
        return str(int(str(v))) == str(v).strip()
    except ValueError:
        return False


def _is_level(v: Any, lo: int, hi: int) -> bool:
    return _is_number(v) and float(v).is_integer() and lo <= v <= hi


def _criterion(c: Any, i: int, smin: int, smax: int, expected: list[int], problems: list[str]) -> Criterion | None:
    if not isinstance(c, Mapping) or not c.get("id"):
        problems.append(f"criteria[{i}] must be an object with an 'id'")
        return None
    cid = str(c["id"])
    where = f"criterion {cid!r}"
    unknown = sorted(set(c) - _CRITERION_KEYS)
    if unknown:
        problems.append(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}")
    scoring = c.get("scoring", "human")
    if scoring not in SCORINGS:
        problems.append(f"{where}: scoring must be 'human' or 'measures'; got {scoring!r}")
    weight = c.get("weight")
    if not _is_number(weight) or weight < 0:
        problems.append(f"{where}: weight must be a number >= 0; got {weight!r}")
        weight = 0.0
    minimum = c.get("minimum_level", smin)
    if not _is_level(minimum, smin, smax):
        problems.append(f"{where}: minimum_level must be a whole number in {smin}..{smax}; got {minimum!r}")
        minimum = smin
    levels_raw = c.get("levels") or {}
    if not isinstance(levels_raw, Mapping):
        problems.append(f"{where}: levels must map each level to its descriptor")
        levels_raw = {}
    levels = {int(k): str(v) for k, v in levels_raw.items() if _is_int_text(k) and str(v).strip()}
    missing = [lv for lv in expected if lv not in levels]
    if missing:
        problems.append(f"{where}: missing level descriptor(s) for level(s) {', '.join(map(str, missing))}")
    extra = sorted(set(levels) - set(expected)) + [k for k in levels_raw if not _is_int_text(k)]
    if extra:
        problems.append(f"{where}: level(s) {', '.join(map(str, extra))} outside the scale {smin}..{smax}")
    questions = c.get("questions") or []
    if isinstance(questions, str):
        questions = [questions]
    cuts: list[MeasureCut] = []
    if scoring == "measures":
        raw_cuts = c.get("measures") or []
        if not raw_cuts:
            problems.append(f"{where}: scoring 'measures' needs a non-empty 'measures' list")
        for j, mc in enumerate(raw_cuts):
            if not isinstance(mc, Mapping):
                problems.append(f"{where}: measures[{j}] must be an object")
                continue
            bad_keys = sorted(set(mc) - _CUT_KEYS)
            if bad_keys:
                problems.append(f"{where}: measures[{j}] has unknown key(s) {', '.join(map(repr, bad_keys))}")
            name = mc.get("measure")
            if name not in MEASURES:
                problems.append(f"{where}: unknown measure {name!r}; measures are: {', '.join(MEASURES)}")
                continue
            values = mc.get("cuts")
            hib = bool(mc.get("higher_is_better", MEASURES[name][0] != "accuracy"))
            if not isinstance(values, list) or len(values) != smax - smin or not all(_is_number(v) for v in values):
                problems.append(f"{where}: measure {name!r} needs {smax - smin} numeric cuts (one per level "
                                f"{smin + 1}..{smax}); got {values!r}")
                continue
            ordered = all(a <= b for a, b in zip(values, values[1:])) if hib else all(a >= b for a, b in zip(values, values[1:]))
            if not ordered:
                problems.append(f"{where}: cuts of {name!r} must be {'increasing' if hib else 'decreasing'}; got {values!r}")
                continue
            cuts.append(MeasureCut(name, tuple(float(v) for v in values), hib, bool(mc.get("required", True))))
    elif c.get("measures"):
        problems.append(f"{where}: has 'measures' but scoring is {scoring!r}; set scoring to 'measures'")
    return Criterion(cid, str(c.get("name", cid)), str(c.get("basis", "")), str(scoring), float(weight), int(minimum),
                     tuple(str(q) for q in questions), levels, tuple(cuts))


def _apply_overrides(spec: Mapping[str, Any]) -> ScoringMatrix:
    """A small override file: ``{"base": "default", "weights": {...}, "minimum_levels": {...}, "thresholds": {...}}``."""
    unknown = sorted(set(spec) - _OVERRIDE_KEYS)
    if unknown:
        raise CdcourseError(f"invalid scoring matrix override: unknown key(s) {', '.join(map(repr, unknown))}; "
                            f"expected some of {', '.join(sorted(_OVERRIDE_KEYS))}")
    base = spec.get("base", "default")
    if base != "default":
        raise CdcourseError(f"matrix override: base must be 'default'; got {base!r}")
    m = default_matrix()
    if "weights" in spec:
        m = m.with_weights(spec["weights"], normalise=bool(spec.get("normalise", False)))
    if "minimum_levels" in spec:
        m = m.with_minimum_levels(spec["minimum_levels"])
    if "thresholds" in spec:
        m = m.with_thresholds(**{k: v for k, v in spec["thresholds"].items() if k in ("fit", "caveats")})
    return replace(m, name=str(spec.get("name", m.name + " (adjusted)")), note=str(spec.get("note", m.note)))


def default_matrix() -> ScoringMatrix:
    """The course's own default matrix (see the module docstring for what it is built on).

    Examples
    --------
    >>> m = default_matrix()
    >>> len(m.criteria), m.fit_threshold, m.caveats_threshold
    (8, 75.0, 50.0)
    """
    text = resources.files("cdcourse.quality").joinpath("default_matrix.json").read_text(encoding="utf-8")
    return ScoringMatrix.from_dict(json.loads(text))


def load_matrix(path: str | Path) -> ScoringMatrix:
    """Read and validate a matrix from a JSON file (a full matrix or a small override of the default).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "nso.json"
    ...     _ = path.write_text('{"base": "default", "weights": {"relevance": 30}, "normalise": true}')
    ...     round(load_matrix(path).weights["relevance"], 1)
    26.1
    """
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CdcourseError(f"matrix file {str(path)!r} does not exist") from None
    except json.JSONDecodeError as err:
        raise CdcourseError(f"matrix file {str(path)!r} is not valid JSON: {err}") from None
    return ScoringMatrix.from_dict(spec)


def load_answers(path: str | Path) -> dict[str, Any]:
    """Read the assessor's answers (criterion -> level, or {"level": ..., "evidence": ...}) from JSON.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "answers.json"
    ...     _ = path.write_text('{"answers": {"relevance": {"level": 3, "evidence": "fills the disability gap"}}}')
    ...     load_answers(path)["relevance"]["level"]
    3
    """
    try:
        spec = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CdcourseError(f"answers file {str(path)!r} does not exist") from None
    except json.JSONDecodeError as err:
        raise CdcourseError(f"answers file {str(path)!r} is not valid JSON: {err}") from None
    if isinstance(spec, Mapping) and isinstance(spec.get("answers"), Mapping):
        spec = spec["answers"]
    if not isinstance(spec, Mapping):
        raise CdcourseError(f"answers file {str(path)!r} must hold an object criterion -> level")
    return dict(spec)


# ------------------------------------------------------------------------------- assessment
@dataclass(frozen=True, eq=False)
class Assessment:
    """The scored matrix: a level per criterion, the overall score, the verdict and its reasons.

    ``criteria`` has one row per criterion (level ``NaN`` when unscored); ``score`` is in % over
    the scored criteria; ``verdict`` is one of :data:`VERDICTS`; ``provisional`` is the verdict
    the scored criteria alone would give when the assessment is incomplete.
    """

    matrix: ScoringMatrix
    criteria: pd.DataFrame
    score: float
    verdict: str
    reasons: tuple[str, ...]
    unscored: tuple[str, ...] = ()
    below_minimum: tuple[str, ...] = ()
    provisional: str | None = None

    @property
    def levels(self) -> dict[str, int | None]:
        return {r["criterion"]: (None if pd.isna(r["level"]) else int(r["level"])) for _, r in self.criteria.iterrows()}

    def to_frame(self) -> pd.DataFrame:
        return self.criteria.copy()

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for r in self.criteria.to_dict(orient="records"):
            rows.append({k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()})
        return {"matrix": self.matrix.name, "matrix_note": self.matrix.note,
                "score": None if math.isnan(self.score) else round(self.score, 6),
                "verdict": self.verdict, "provisional": self.provisional, "reasons": list(self.reasons),
                "unscored": list(self.unscored), "below_minimum": list(self.below_minimum),
                "thresholds": {"fit": self.matrix.fit_threshold, "caveats": self.matrix.caveats_threshold},
                "criteria": rows}

    def _repr_html_(self) -> str:
        colour = {FIT: "#009E73", CAVEATS: "#E69F00", NOT_FIT: "#D55E00"}.get(self.verdict, "#56B4E9")
        score = "missing" if math.isnan(self.score) else f"{self.score:.1f} %"
        reasons = "".join(f"<li>{html.escape(r)}</li>" for r in self.reasons)
        table = self.criteria[["name", "scoring", "weight", "level", "minimum_level", "meets_minimum", "evidence"]]
        return (f"<p style='border-left:6px solid {colour};padding-left:8px'><b>Verdict: {html.escape(self.verdict)}</b>"
                f" (score {score})</p><ul>{reasons}</ul>"
                + table.to_html(index=False, na_rep="unscored", float_format=lambda v: f"{v:g}")
                + f"<p><i>{html.escape(self.matrix.note[:200])}…</i></p>")


def _measure_values(measures: QualityProfile | Mapping[str, Any] | None) -> dict[str, tuple[float, str]]:
    """Measure name -> (value, reason), from a profile or a plain mapping of numbers/Measures."""
    if measures is None:
        return {}
    items = measures.measures if isinstance(measures, QualityProfile) else measures
    if not isinstance(items, Mapping):
        raise CdcourseError(f"measures must be a QualityProfile or a dict measure -> value; got {type(items).__name__}")
    out = {}
    for name, m in items.items():
        if name not in MEASURES:
            raise CdcourseError(f"measures: unknown measure {name!r}; measures are: {', '.join(MEASURES)}")
        if isinstance(m, Measure):
            out[name] = (m.value, m.reason)
        elif m is None:
            out[name] = (float("nan"), "not given")
        elif _is_number(m) or (isinstance(m, numbers.Real) and not isinstance(m, (bool, np.bool_)) and math.isnan(m)):
            out[name] = (float(m), "" if not math.isnan(m) else "not given")
        else:
            raise CdcourseError(f"measures: value of {name!r} must be a number (a percentage) or None; got {m!r}")
    return out


def _answer(matrix: ScoringMatrix, cid: str, raw: Any) -> tuple[int | None, str]:
    if raw is None:
        return None, ""
    note = ""
    if isinstance(raw, Mapping):
        note = str(raw.get("evidence", raw.get("note", "")))
        raw = raw.get("level")
        if raw is None:
            return None, note
    if not _is_level(raw, matrix.scale_min, matrix.scale_max):
        raise CdcourseError(f"answers: level for {cid!r} must be a whole number in {matrix.scale_min}..{matrix.scale_max} "
                            f"({', '.join(f'{k} {v}' for k, v in matrix.scale_labels.items())}); got {raw!r}")
    return int(raw), note


def assess(
    measures: QualityProfile | Mapping[str, Any] | None = None,
    answers: Mapping[str, Any] | None = None,
    *,
    matrix: ScoringMatrix | None = None,
) -> Assessment:
    """Score the matrix from the automated measures and the assessor's answers, and give a verdict.

    Parameters
    ----------
    measures : a :class:`QualityProfile`, or a dict measure name -> value in % (e.g.
        ``{"completeness_cells": 96.2, "validity": 99.1, ...}``); missing ones leave the criteria
        they feed unscored when required.
    answers : criterion id -> level (or ``{"level": 2, "evidence": "consent recorded"}``) for the
        human-scored criteria; an answer for a measure-scored criterion overrides the measures.
    matrix : the scoring matrix (default: :func:`default_matrix`).

    Examples
    --------
    >>> measures = {"completeness_cells": 96, "validity": 99.5, "uniqueness": 100, "timeliness": 92}
    >>> answers = {"relevance": 3, "accessibility_clarity": 2, "coherence_comparability": 2,
    ...            "methodology_documentation": 2, "credibility": 2, "ethics_consent_protection": 2}
    >>> a = assess(measures, answers)
    >>> a.levels["accuracy_reliability"]     # completeness 96 reaches level 2 only (cut 97 for 3)
    2
    >>> round(a.score, 1), a.verdict         # (15·3 + 20·2 + 10·3 + 10·2 + 10·2 + 15·2 + 10·2 + 10·2) / 300
    (75.0, 'fit for official reuse')
    >>> assess(measures, {**answers, "ethics_consent_protection": 1}).verdict
    'not fit'
    >>> assess(measures, {"relevance": 3}).verdict
    'incomplete: not every criterion is scored'
    """
    matrix = default_matrix() if matrix is None else matrix
    if not isinstance(matrix, ScoringMatrix):
        raise CdcourseError(f"matrix must be a ScoringMatrix (see load_matrix); got {type(matrix).__name__}")
    answers = dict(answers or {})
    matrix._check_ids(answers, "answers")
    values = _measure_values(measures)
    span = matrix.scale_max - matrix.scale_min
    rows = []
    for c in matrix.criteria:
        level, source, evidence = None, "unscored", ""
        answered, note = _answer(matrix, c.id, answers.get(c.id))
        if answered is not None:
            level, source = answered, "assessor"
            evidence = note or "set by the assessor"
            if c.scoring == "measures":
                evidence += " (overrides the measures)"
        elif c.scoring == "human":
            evidence = "no answer given" + (f": {note}" if note else "")
        else:
            got, gaps = [], []
            for mc in c.measures:
                value, reason = values.get(mc.measure, (float("nan"), "not measured"))
                lv = measure_level(value, mc.cuts, higher_is_better=mc.higher_is_better, scale_min=matrix.scale_min)
                if lv is None:
                    gaps.append((mc, reason))
                else:
                    got.append(f"{mc.measure} {value:.1f} → level {lv}")
                    level = lv if level is None else min(level, lv)
            required_gaps = [f"{mc.measure} missing ({reason or 'not measured'})" for mc, reason in gaps if mc.required]
            optional_gaps = [f"{mc.measure} not measured" for mc, _ in gaps if not mc.required]
            if required_gaps or level is None:
                level, source = None, "unscored"
                evidence = "; ".join(required_gaps or ["no measure available"] + got)
            else:
                source = "measures"
                evidence = "; ".join(got + optional_gaps) + " (lowest level counts)"
        rows.append({"criterion": c.id, "name": c.name, "scoring": c.scoring, "weight": c.weight,
                     "level": float("nan") if level is None else float(level), "minimum_level": c.minimum_level,
                     "meets_minimum": None if level is None else bool(level >= c.minimum_level),
                     "descriptor": "" if level is None else c.levels.get(level, ""),
                     "source": source, "evidence": evidence})
    table = pd.DataFrame(rows)
    scored = table[table["level"].notna()]
    wsum = scored["weight"].sum()
    score = float(100.0 * (scored["weight"] * (scored["level"] - matrix.scale_min) / span).sum() / wsum) if wsum > 0 else float("nan")
    unscored = tuple(table.loc[table["level"].isna(), "criterion"])
    below = tuple(scored.loc[scored["level"] < scored["minimum_level"], "criterion"])
    verdict, reasons, provisional = _verdict(matrix, table, score, unscored, below)
    return Assessment(matrix, table, score, verdict, tuple(reasons), unscored, below, provisional)


def _verdict(matrix: ScoringMatrix, table: pd.DataFrame, score: float, unscored: tuple[str, ...],
             below: tuple[str, ...]) -> tuple[str, list[str], str | None]:
    by_id = table.set_index("criterion")
    reasons: list[str] = []
    for cid in below:
        r = by_id.loc[cid]
        reasons.append(f"{r['name']} is at level {int(r['level'])}, below its minimum level {int(r['minimum_level'])}")
    if below:
        if unscored:
            reasons.append("also not scored: " + ", ".join(unscored))
        return NOT_FIT, reasons, None
    on_score = _score_verdict(matrix, score)
    if unscored:
        reasons.append("not scored: " + ", ".join(f"{by_id.loc[c, 'name']} ({by_id.loc[c, 'evidence']})" for c in unscored)
                       + " — an unscored criterion never passes silently")
        if not math.isnan(score):
            reasons.append(f"on the scored criteria alone the score is {score:.1f} % and the verdict would be '{on_score}'")
        return INCOMPLETE, reasons, (on_score if not math.isnan(score) else None)
    fit, cav = matrix.fit_threshold, matrix.caveats_threshold
    weak_cut = matrix.scale_max - 1
    weak = [f"{r['name']} (level {int(r['level'])})" for _, r in table.iterrows() if r["level"] < weak_cut]
    if on_score == NOT_FIT:
        reasons.append(f"overall score {score:.1f} % is below the overall minimum of {cav:g} %")
    elif on_score == FIT:
        reasons.append(f"overall score {score:.1f} % reaches the fit threshold of {fit:g} % and every criterion "
                       "meets its minimum level")
    else:
        reasons.append(f"overall score {score:.1f} % is at or above the overall minimum of {cav:g} % but below the "
                       f"fit threshold of {fit:g} %")
    if weak and on_score != NOT_FIT:
        reasons.append("caveats: " + ", ".join(weak) + " below level " + str(weak_cut))
    return on_score, reasons, None


def _score_verdict(matrix: ScoringMatrix, score: float) -> str:
    if math.isnan(score) or score < matrix.caveats_threshold - _EPS:
        return NOT_FIT
    if score >= matrix.fit_threshold - _EPS:
        return FIT
    return CAVEATS


def matrix_template(matrix: ScoringMatrix | None = None) -> dict[str, Any]:
    """An answers template: one entry per human-scored criterion with its questions and levels.

    Examples
    --------
    >>> template = matrix_template()
    >>> sorted(template["answers"])[:2], template["answers"]["relevance"]["level"] is None
    (['accessibility_clarity', 'coherence_comparability'], True)
    """
    matrix = default_matrix() if matrix is None else matrix
    return {"answers": {c.id: {"level": None, "evidence": "", "questions": list(c.questions),
                               "levels": {str(k): v for k, v in c.levels.items()}}
                        for c in matrix.criteria if c.scoring == "human"}}



def weight_sensitivity(
    measures: QualityProfile | Mapping[str, Any] | None,
    answers: Mapping[str, Any] | None,
    criterion: str,
    weights: Any = range(0, 65, 5),
    *,
    matrix: ScoringMatrix | None = None,
) -> pd.DataFrame:
    """How the score and the verdict move as one criterion's weight changes (the others keep theirs).

    Each row sets ``criterion``'s weight to one value, rescales all weights to the declared total
    (``with_weights(..., normalise=True)``) and assesses again. Minimum levels do not depend on the
    weights, so a dataset below a minimum stays "not fit" at every weight.

    Examples
    --------
    >>> answers = {"relevance": 3, "accessibility_clarity": 2, "coherence_comparability": 2,
    ...            "methodology_documentation": 2, "credibility": 2, "ethics_consent_protection": 2}
    >>> measures = {"completeness_cells": 99, "validity": 99.5, "uniqueness": 100, "timeliness": 60}
    >>> table = weight_sensitivity(measures, answers, "timeliness_punctuality", [0, 10, 40])
    >>> table[["weight", "verdict"]].values.tolist()
    [[0, 'fit for official reuse'], [10, 'fit for official reuse'], [40, 'reuse with caveats']]
    """
    matrix = default_matrix() if matrix is None else matrix
    matrix.criterion(criterion)
    rows = []
    for w in weights:
        m = matrix.with_weights({criterion: w}, normalise=True)
        a = assess(measures, answers, matrix=m)
        rows.append({"criterion": criterion, "weight": w, "share_pct": 100.0 * m.weights[criterion] / m.weights_total,
                     "score": a.score, "verdict": a.verdict})
    return pd.DataFrame(rows)
