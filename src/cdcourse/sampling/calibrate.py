"""Adjusting weights to known population totals: post-stratification and raking.

When an outside source (a census, official population figures) gives the number of people in each
group, the survey weights can be adjusted so that the weighted sample reproduces those numbers. This
corrects for non-response and coverage differences that are related to the groups.

- **post-stratification** (one classification, or the cells of several crossed): every weight in a cell is
  multiplied by target / current total of the cell (Holt and Smith 1979, *JRSS A* 142);
- **raking** (iterative proportional fitting, Deming and Stephan 1940, *Ann. Math. Statist.* 11): when only
  the margins are known (totals by sex, and separately by age group), adjust to each margin in turn and
  repeat until all margins agree within a tolerance.

Standard errors computed afterwards with the calibrated weights as design weights ignore the gain in
precision from calibration: they are slightly conservative (Lumley 2010, *Complex Surveys*, ch. 7).
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdcourse._validate import _listing, require_columns, require_frame, require_positive_weights
from cdcourse.errors import CdcourseError
from cdcourse.sampling._design import factorize
from cdcourse.sampling._checks import number

__all__ = ["Calibration", "poststratify", "rake"]


@dataclass(frozen=True)
class Calibration:
    """Calibrated weights and how well they meet the targets.

    Attributes
    ----------
    data : a copy of the input with the new weight column added.
    weight : name of the new weight column.
    method : "post-stratification" or "raking".
    converged : whether every target is met within the tolerance.
    iterations : passes over the margins (1 for post-stratification).
    max_deviation : largest |weighted total - target| over all categories, in population units.
    margins : one row per (margin, category): target, total before, total after, and the mean adjustment factor.
    """

    data: pd.DataFrame
    weight: str
    method: str
    converged: bool
    iterations: int
    max_deviation: float
    margins: pd.DataFrame

    def __repr__(self) -> str:
        return (f"Calibration(method={self.method!r}, weight={self.weight!r}, converged={self.converged}, "
                f"iterations={self.iterations}, max_deviation={self.max_deviation:.4g}, rows={len(self.data)})")

    @property
    def max_relative_deviation(self) -> float:
        """Largest |weighted total - target| / target."""
        return float((self.margins["after"] - self.margins["target"]).abs().div(self.margins["target"]).max())

    def to_frame(self) -> pd.DataFrame:
        """The margins table: target, before, after and factor per category."""
        return self.margins.copy()

    def summary(self) -> str:
        """One plain-language sentence about convergence and how much the weights moved."""
        factors = self.margins["factor"]
        status = (f"met every target within {self.max_deviation:,.3g} population units"
                  if self.converged else f"did NOT converge: a total is still {self.max_deviation:,.3g} units off")
        return (f"{self.method.capitalize()} {status} after {self.iterations} iteration(s); "
                f"categories' weights were multiplied by {factors.min():.3g} to {factors.max():.3g} on average.")

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return (self.margins.to_html(index=False, float_format=lambda v: f"{v:,.4g}")
                + f"<p>{html.escape(self.summary())}</p>")


def _targets(margin: str, totals, levels: list) -> np.ndarray:
    """Target totals aligned to ``levels`` (the categories found in the data), with clear errors."""
    if isinstance(totals, pd.Series):
        totals = totals.to_dict()
    if not isinstance(totals, Mapping):
        raise CdcourseError(f"totals for {margin!r} must be a mapping or Series category -> total; "
                            f"got {type(totals).__name__}")
    in_data = set(levels)
    no_target = [lev for lev in levels if lev not in totals]
    if no_target:
        raise CdcourseError(f"margin {margin!r} has no total for category {_listing(map(repr, no_target))} "
                            f"found in the data; targets are given for: {_listing(map(repr, totals))}")
    empty = [key for key, value in totals.items() if key not in in_data and value > 0]
    if empty:
        raise CdcourseError(f"margin {margin!r} has a target for category {_listing(map(repr, empty))} but no "
                            f"record in the sample: no weight can reach it; merge it with a neighbouring category")
    values = np.array([totals[lev] for lev in levels], dtype=float)
    if np.isnan(values).any() or (values <= 0).any():
        raise CdcourseError(f"totals for {margin!r} must be > 0 for every category in the data; got {dict(totals)}")
    return values


def _cells(data: pd.DataFrame, columns: list[str], param: str) -> tuple[np.ndarray, list]:
    if len(columns) == 1:
        codes, levels = factorize(data[columns[0]])
    else:
        index = pd.MultiIndex.from_frame(data[columns])
        codes, uniques = pd.factorize(index, sort=True)
        levels = list(uniques)
    if (codes < 0).any():
        raise CdcourseError(f"{param} column(s) {', '.join(map(repr, columns))} have {int((codes < 0).sum())} "
                            f"missing value(s) (rows {_listing(data.index[codes < 0])}); every record needs a category")
    return codes.astype(np.int64), levels


def poststratify(
    data: pd.DataFrame,
    weight: str,
    by: str | Sequence[str],
    totals: Mapping | pd.Series,
    *,
    new_weight: str = "calibrated_weight",
) -> Calibration:
    """Scale the weights in each cell so the weighted count equals a known population total.

    Parameters
    ----------
    data : the survey records; not modified.
    weight : the weight column to adjust (all > 0).
    by : the column (or columns, crossed) defining the post-strata.
    totals : cell -> population total; with several ``by`` columns, keys are tuples in that order.
    new_weight : name of the calibrated weight column added to the copy.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["f", "f", "m"], "w": [10.0, 10.0, 10.0]})
    >>> cal = poststratify(df, "w", "sex", {"f": 30, "m": 20})
    >>> cal.data["calibrated_weight"].tolist(), cal.converged
    ([15.0, 15.0, 20.0], True)

    Source: Holt and Smith (1979), "Post stratification", *JRSS A* 142(1).
    """
    require_frame(data)
    w = require_positive_weights(data, weight)
    columns = require_columns(data, by, "by")
    if not columns:
        raise CdcourseError("by must name at least one column")
    codes, levels = _cells(data, columns, "by")
    target = _targets(" x ".join(columns), totals, levels)
    before = np.bincount(codes, weights=w, minlength=len(levels))
    factor = target / before
    new = w * factor[codes]
    after = np.bincount(codes, weights=new, minlength=len(levels))
    out = data.copy()
    out[new_weight] = new
    margins = pd.DataFrame({"margin": " x ".join(columns), "category": levels, "target": target,
                            "before": before, "after": after, "factor": factor})
    deviation = float(np.abs(after - target).max())
    return Calibration(out, new_weight, "post-stratification", True, 1, deviation, margins)


def _achieved(parts, weights) -> list[np.ndarray]:
    return [np.bincount(codes, weights=weights, minlength=len(levels)) for _, codes, levels, _ in parts]


def _relative_gap(achieved, parts) -> float:
    return max(float(np.max(np.abs(a - t) / t)) for a, (_, _, _, t) in zip(achieved, parts))


def rake(
    data: pd.DataFrame,
    weight: str,
    margins: Mapping[str, Mapping | pd.Series],
    *,
    new_weight: str = "calibrated_weight",
    tol: float = 1e-6,
    max_iter: int = 100,
    must_converge: bool = True,
) -> Calibration:
    """Adjust weights to several known margins at once by iterative proportional fitting (raking).

    Parameters
    ----------
    data : the survey records; not modified.
    weight : the weight column to adjust (all > 0).
    margins : column -> (category -> population total), for example
        ``{"sex": {"female": 25_400, "male": 24_600}, "district_code": official_counts}``. Every margin must
        add up to the same population total (within ``tol``), or no set of weights can meet them all.
    new_weight : name of the calibrated weight column added to the copy.
    tol : stop when every category's weighted total is within ``tol`` x its target (relative).
    max_iter : the most passes over all margins.
    must_converge : raise an error when the margins are not met after ``max_iter`` passes (default); with
        False the result is returned with ``converged=False`` so it can be inspected.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["f", "f", "m", "m"], "age": ["young", "old", "young", "old"],
    ...                    "w": [1.0, 1.0, 1.0, 1.0]})
    >>> cal = rake(df, "w", {"sex": {"f": 60, "m": 40}, "age": {"young": 50, "old": 50}})
    >>> cal.converged, [round(v, 6) for v in cal.data["calibrated_weight"]]
    (True, [30.0, 30.0, 20.0, 20.0])

    Source: Deming and Stephan (1940), *Ann. Math. Statist.* 11(4); Lumley (2010), *Complex Surveys*, 7.3.
    """
    require_frame(data)
    w = require_positive_weights(data, weight)
    if not isinstance(margins, Mapping) or not margins:
        raise CdcourseError("margins must be a non-empty mapping column -> (category -> population total)")
    number(tol, "tol", low=0, low_inclusive=False)
    number(max_iter, "max_iter", low=1, integer=True)
    parts = []
    for column, totals in margins.items():
        require_columns(data, column, "margins")
        codes, levels = _cells(data, [column], "margins")
        parts.append((column, codes, levels, _targets(column, totals, levels)))
    grand = {column: float(target.sum()) for column, _, _, target in parts}
    first = next(iter(grand.values()))
    if any(abs(total - first) > tol * first for total in grand.values()):
        raise CdcourseError("margins add up to different population totals ("
                            + ", ".join(f"{c}: {t:,.6g}" for c, t in grand.items())
                            + "); raking cannot meet them all: make them consistent first")
    before = _achieved(parts, w)
    new = w.copy()
    converged = False
    iterations = 0
    for iterations in range(1, int(max_iter) + 1):
        for _, codes, levels, target in parts:
            new *= (target / np.bincount(codes, weights=new, minlength=len(levels)))[codes]
        # The margin adjusted last is met exactly; check the others.
        if len(parts) == 1 or _relative_gap(_achieved(parts[:-1], new), parts[:-1]) <= tol:
            converged = True
            break
    achieved = _achieved(parts, new)
    deviation = max(float(np.max(np.abs(a - t))) for a, (_, _, _, t) in zip(achieved, parts))
    if not converged and must_converge:
        raise CdcourseError(f"raking did not converge in max_iter = {max_iter} iterations: a margin is still "
                            f"{deviation:,.4g} units off; raise max_iter, merge sparse categories, or pass "
                            f"must_converge=False to inspect the weights")
    rows = []
    for (column, codes, levels, target), b, a in zip(parts, before, achieved):
        factor = a / b
        rows.extend({"margin": column, "category": lev, "target": t, "before": bb, "after": aa, "factor": f}
                    for lev, t, bb, aa, f in zip(levels, target, b, a, factor))
    out = data.copy()
    out[new_weight] = new
    return Calibration(out, new_weight, "raking", converged, iterations, deviation, pd.DataFrame(rows))
