"""Weighted estimates with honest uncertainty: means, totals and proportions from a survey design.

The point estimates are Horvitz-Thompson (totals) and ratio (means, proportions) estimators. Standard errors
use Taylor linearisation with strata and PSUs and the with-replacement approximation for the first stage
(Wolter 2007, section 6.11; Lumley, *Complex Surveys*, 2010, section 2.2; the default of R ``survey`` and
of samplics). Domains (``by=``) are estimated the correct way: the variable is set to zero outside the
domain and the whole design is kept, so a domain that happens to miss some PSUs still counts them
(Cochran 1977, section 2.13; Lumley 2010, section 2.3).

Choices, stated once:

- **confidence intervals** use Student's t with the design degrees of freedom (number of PSUs minus
  number of strata) by default, as Stata ``svy`` and samplics do; R's ``confint(svymean(...))`` uses the
  normal distribution unless ``df = degf(design)`` is passed. ``ci="normal"`` gives R's default. Domains
  use the degrees of freedom of the whole design.
- **design effect** compares the design variance with simple random sampling without replacement of the
  same number of records, ``(1 - n/N) S^2 / n`` with ``N`` the sum of the weights and ``S^2`` the weighted
  variance (R ``survey``'s ``deff=TRUE``). When the weights sum to less than the sample size (weights not
  scaled to the population) the ``1 - n/N`` factor is dropped.
- **missing values** of ``y``: by default the records are treated as outside the domain (not dropped from
  the design) and their number is reported; ``missing="error"`` refuses them.
- **lonely PSUs** (a stratum with one PSU): an error by default; ``lonely_psu=`` takes R ``survey``'s
  options: ``"certainty"`` and ``"remove"`` (the stratum adds no variance), ``"adjust"`` (its PSU is
  centred at the grand mean instead of the stratum mean: conservative), ``"average"`` (it gets the
  average variance of the other strata).
- **fpc** is the first-stage finite population correction only: a column with the number of PSUs in the
  stratum population (or the sampling fraction), as R ``survey`` reads ``fpc``; samplics' ``fpc`` argument is
  the factor ``1 - f`` instead. Without it the design is treated as with replacement, which overstates the
  variance a little when many PSUs of a stratum are taken.

Cross-checks (tests/test_sampling_estimate.py): an independent loop-by-loop computation of the formulas,
Cochran's stratified-SRS variance (Theorem 5.3), and values from samplics 0.4.34, which agree to 1e-12.
"""
from __future__ import annotations

import html
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from cdcourse._validate import _listing, require_choice, require_columns, require_frame
from cdcourse._validate import require_positive_weights
from cdcourse.errors import CdcourseError
from cdcourse.sampling._checks import number
from cdcourse.sampling._design import LONELY_PSU, Design, factorize, make_design, stratified_variance

__all__ = ["Estimate", "DomainEstimates", "estimate_mean", "estimate_total", "estimate_proportion"]

Statistic = Literal["mean", "total", "proportion"]
_COLUMNS = ["estimate", "se", "ci_low", "ci_high", "cv", "deff", "n", "population_size"]


def _fmt(value: float, statistic: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if statistic == "proportion":
        return f"{100 * value:.1f}%"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:,.1f}"


@dataclass(frozen=True)
class Estimate:
    """One survey estimate with its uncertainty.

    Attributes
    ----------
    statistic : "mean", "total" or "proportion".
    variable : the column estimated (with the level, for a proportion of a category).
    estimate, se : the point estimate and its standard error.
    ci : (lower, upper) confidence interval at ``confidence``.
    cv : coefficient of variation, se / estimate (NaN when the estimate is 0).
    deff : design effect: design variance over the variance of a simple random sample of the same size.
    n : records that entered the estimate (in the domain, with a value).
    population_size : sum of their weights (the estimated number of population units they stand for).
    df : degrees of freedom of the t distribution (None for the normal).
    """

    statistic: str
    variable: str
    estimate: float
    se: float
    ci: tuple[float, float]
    cv: float
    deff: float
    n: int
    population_size: float
    confidence: float = 0.95
    df: int | None = None
    n_psu: int = 0
    n_missing: int = 0
    domain: Any = None
    by: str | None = None

    @property
    def margin_of_error(self) -> float:
        """Half-width of the confidence interval."""
        return (self.ci[1] - self.ci[0]) / 2

    @property
    def effective_n(self) -> float:
        """Simple random interviews that would give the same precision: n / deff."""
        return self.n / self.deff if self.deff and not math.isnan(self.deff) else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """A one-row table (a ``by`` column first when the estimate is for a domain)."""
        row = {
            "statistic": self.statistic,
            "variable": self.variable,
            "estimate": self.estimate,
            "se": self.se,
            "ci_low": self.ci[0],
            "ci_high": self.ci[1],
            "cv": self.cv,
            "deff": self.deff,
            "n": self.n,
            "population_size": self.population_size,
        }
        if self.by is not None:
            row = {self.by: self.domain, **row}
        return pd.DataFrame([row])

    def summary(self) -> str:
        """The estimate in one plain-language sentence."""
        what = {"mean": "mean of", "total": "total of", "proportion": "share with"}[self.statistic]
        where = f" in {self.by} = {self.domain}" if self.by is not None else ""
        if self.n == 0 or math.isnan(self.estimate):
            return f"No record with a value of {self.variable}{where}: nothing to estimate."
        level = f"{round(100 * self.confidence):d}%"
        text = (
            f"Estimated {what} {self.variable}{where}: {_fmt(self.estimate, self.statistic)} "
            f"({level} confidence interval {_fmt(self.ci[0], self.statistic)} to "
            f"{_fmt(self.ci[1], self.statistic)}), from {self.n:,} records"
        )
        if self.n_psu:
            text += f" in {self.n_psu:,} PSUs"
        text += "."
        if not math.isnan(self.deff) and self.deff > 0:
            text += (
                f" Design effect {self.deff:.2f}: as precise as {self.effective_n:,.0f} simple random interviews."
            )
        if self.n_missing:
            text += f" {self.n_missing:,} records had no value and were left out of the domain."
        return text

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        frame = self.to_frame().drop(columns=["statistic"])
        return frame.to_html(index=False, float_format=lambda v: f"{v:,.4g}") + f"<p>{html.escape(self.summary())}</p>"


@dataclass(frozen=True)
class DomainEstimates:
    """Estimates for each domain (level of ``by``), as a table.

    ``result["D01"]`` gives the :class:`Estimate` of one domain, ``len(result)`` the number of domains,
    iteration goes over the estimates and ``to_frame()`` returns the table.
    """

    by: str
    estimates: tuple[Estimate, ...]
    statistic: str = field(default="mean")
    variable: str = field(default="")

    def __repr__(self) -> str:
        return f"DomainEstimates(by={self.by!r}, statistic={self.statistic!r}, variable={self.variable!r}, domains={len(self)})"

    def __len__(self) -> int:
        return len(self.estimates)

    def __iter__(self) -> Iterator[Estimate]:
        return iter(self.estimates)

    def __getitem__(self, level: Any) -> Estimate:
        for est in self.estimates:
            if est.domain == level:
                return est
        raise KeyError(f"{level!r} is not a domain of {self.by!r}; domains are: "
                       f"{_listing(e.domain for e in self.estimates)}")

    @property
    def domains(self) -> list:
        return [e.domain for e in self.estimates]

    def to_frame(self) -> pd.DataFrame:
        """One row per domain: the ``by`` column, then estimate, se, ci_low, ci_high, cv, deff, n, population_size."""
        rows = [
            {self.by: e.domain, "estimate": e.estimate, "se": e.se, "ci_low": e.ci[0], "ci_high": e.ci[1],
             "cv": e.cv, "deff": e.deff, "n": e.n, "population_size": e.population_size}
            for e in self.estimates
        ]
        return pd.DataFrame(rows, columns=[self.by, *_COLUMNS])

    def summary(self) -> str:
        """One plain-language sentence: the range across domains and the least precise one."""
        frame = self.to_frame().dropna(subset=["estimate"])
        if frame.empty:
            return f"No domain of {self.by} has a value of {self.variable}."
        hi = frame.loc[frame["estimate"].idxmax()]
        lo = frame.loc[frame["estimate"].idxmin()]
        widest = frame.loc[(frame["ci_high"] - frame["ci_low"]).idxmax()]
        what = {"mean": "mean of", "total": "total of", "proportion": "share with"}[self.statistic]
        return (
            f"Estimated {what} {self.variable} in {len(frame)} domains of {self.by}: from "
            f"{_fmt(lo['estimate'], self.statistic)} ({lo[self.by]}) to {_fmt(hi['estimate'], self.statistic)} "
            f"({hi[self.by]}). Least precise: {widest[self.by]} (interval {_fmt(widest['ci_low'], self.statistic)} "
            f"to {_fmt(widest['ci_high'], self.statistic)}, {int(widest['n']):,} records)."
        )

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return (self.to_frame().to_html(index=False, float_format=lambda v: f"{v:,.4g}")
                + f"<p>{html.escape(self.summary())}</p>")


def _y_values(data: pd.DataFrame, y: str, statistic: str, level: Any) -> tuple[np.ndarray, str]:
    """The analysis variable as floats (NaN = missing), and its display name."""
    col = data[y]
    if statistic == "proportion":
        if level is not None:
            values = col.eq(level).astype("boolean").mask(col.isna())
            if not values.fillna(False).any() and level not in set(col.dropna().unique().tolist()):
                raise CdcourseError(
                    f"level {level!r} does not occur in y column {y!r}; its values are: "
                    f"{_listing(sorted(map(str, col.dropna().unique())))}"
                )
            return values.to_numpy(dtype=float, na_value=np.nan), f"{y} = {level}"
        if pd.api.types.is_bool_dtype(col):
            return col.to_numpy(dtype=float, na_value=np.nan), y
        if pd.api.types.is_numeric_dtype(col):
            values = col.to_numpy(dtype=float, na_value=np.nan)
            present = values[~np.isnan(values)]
            if np.isin(present, (0.0, 1.0)).all():
                return values, y
        raise CdcourseError(
            f"y column {y!r} is not 0/1 or True/False; pass level= to say which value counts, one of: "
            f"{_listing(sorted(map(str, col.dropna().unique())))}"
        )
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=float, na_value=np.nan), y
    raise CdcourseError(
        f"y column {y!r} holds {col.dtype} values, not numbers; for the share of a category use "
        f"estimate_proportion(..., level=...)"
    )


def _quantile(confidence: float, ci: str, df: int) -> tuple[float, int | None]:
    if ci == "normal" or df <= 0:
        return float(stats.norm.ppf(0.5 + confidence / 2)), None
    return float(stats.t.ppf(0.5 + confidence / 2, df)), df


def _estimate(
    data: pd.DataFrame,
    y: str,
    weight: str,
    strata: str | None,
    psu: str | None,
    fpc: str | None,
    by: str | None,
    *,
    statistic: Statistic,
    level: Any = None,
    confidence: float,
    ci: str,
    lonely_psu: str,
    missing: str,
) -> Estimate | DomainEstimates:
    require_frame(data)
    require_columns(data, y, "y")
    require_columns(data, by, "by")
    number(confidence, "confidence", low=0, high=1, low_inclusive=False, high_inclusive=False)
    require_choice(ci, ("t", "normal"), "ci")
    require_choice(lonely_psu, LONELY_PSU, "lonely_psu")
    require_choice(missing, ("exclude", "error"), "missing")
    w = require_positive_weights(data, weight)
    yv, label = _y_values(data, y, statistic, level)
    design = make_design(data, w, strata, psu, fpc, lonely_psu)
    valid = ~np.isnan(yv)
    if missing == "error" and not valid.all():
        rows = data.index[~valid]
        raise CdcourseError(
            f"y column {y!r} has {int((~valid).sum())} missing value(s) (rows {_listing(rows)}); "
            f"pass missing='exclude' to estimate for the records that have a value"
        )
    if by is not None:
        dom, levels = factorize(data[by])
    else:
        dom, levels = np.zeros(len(data), dtype=np.int64), [None]
    result = domain_estimates(
        design, yv, dom, len(levels), statistic=statistic, confidence=confidence, ci=ci
    )
    n_missing = np.bincount(dom[~valid & (dom >= 0)], minlength=len(levels))
    estimates = tuple(
        Estimate(
            statistic=statistic, variable=label, estimate=float(result["estimate"][d]), se=float(result["se"][d]),
            ci=(float(result["ci_low"][d]), float(result["ci_high"][d])), cv=float(result["cv"][d]),
            deff=float(result["deff"][d]), n=int(result["n"][d]), population_size=float(result["population_size"][d]),
            confidence=confidence, df=result["df"], n_psu=design.n_psu if psu is not None else 0,
            n_missing=int(n_missing[d]), domain=levels[d], by=by,
        )
        for d in range(len(levels))
    )
    if by is None:
        return estimates[0]
    return DomainEstimates(by=by, estimates=estimates, statistic=statistic, variable=label)


def domain_estimates(
    design: Design,
    y: np.ndarray,
    domain: np.ndarray,
    n_domains: int,
    *,
    statistic: Statistic = "mean",
    confidence: float = 0.95,
    ci: str = "t",
) -> dict[str, Any]:
    """Array-level estimation (no checks): arrays of estimate, se, ci, cv, deff, n per domain.

    ``y`` holds NaN for missing values, ``domain`` -1 for records in no domain. Used by the public
    functions and by the sampling simulator, which calls it hundreds of times.
    """
    D = n_domains
    w = design.weights
    inside = ~np.isnan(y)
    if D > 1 or (domain < 0).any():
        inside &= domain >= 0
    if inside.all():
        # Every record counts (the usual case): no masking passes.
        d, yz, bins = domain, y, D
    else:
        # Records outside every domain go to an extra bin D with y = 0, so they add nothing.
        d, yz, bins = np.where(inside, domain, D), np.where(inside, y, 0.0), D + 1
    with np.errstate(invalid="ignore", divide="ignore"):
        if bins == 1:
            # One domain holding every record: plain sums, no per-row lookups. Element-wise products
            # and .sum() rather than np.dot, which hands the work to BLAS threads that are slower and
            # noisier on a busy machine (measured in the peer benchmarks).
            n_d, W_d = np.array([float(y.size)]), np.array([w.sum()])
            mean_d = np.array([(w * y).sum()]) / W_d
            resid = y - mean_d[0]
            w_resid = w * resid
            z = w * y if statistic == "total" else w_resid / W_d[0]
            ss = np.array([(w_resid * resid).sum()])
        else:
            n_d = np.bincount(d, minlength=bins).astype(float)
            W_d = np.bincount(d, weights=w, minlength=bins)
            mean_d = np.bincount(d, weights=w * yz, minlength=bins) / W_d
            if bins > D:
                mean_d[D], W_d[D] = 0.0, 1.0
            resid = yz - mean_d[d]
            w_resid = w * resid
            z = w * yz if statistic == "total" else w_resid / W_d[d]
            ss = np.bincount(d, weights=w_resid * resid, minlength=bins)[:D]
        var = stratified_variance(design, z, d, bins)[:D]
        n_d, W_d, mean_d = n_d[:D], W_d[:D], mean_d[:D]
        est = np.where(W_d > 0, mean_d * W_d if statistic == "total" else mean_d, np.nan)
        se = np.sqrt(np.maximum(var, 0.0))
        # Design effect against SRS without replacement of the same size (R survey's deff=TRUE).
        s2 = ss / W_d * n_d / (n_d - 1)
        fpc = np.where(W_d > n_d, 1 - n_d / W_d, 1.0)
        v_srs = s2 / n_d * fpc
        if statistic == "total":
            v_srs = v_srs * W_d**2
        deff = np.where(v_srs > 0, var / v_srs, np.nan)
        cv = np.where(est != 0, se / np.abs(est), np.nan)
    q, df = _quantile(confidence, ci, design.df)
    se = np.where(n_d > 0, se, np.nan)
    return {
        "estimate": est,
        "se": se,
        "ci_low": est - q * se,
        "ci_high": est + q * se,
        "cv": cv,
        "deff": deff,
        "n": n_d.astype(np.int64),
        "population_size": W_d,
        "df": df,
    }


_DOC_PARAMS = """
    Parameters
    ----------
    data : the survey records, one row per interview (or person); not modified.
    y : the column to estimate{y_extra}.
    weight : the weight column (design weight or final weight); every weight must be > 0.
    strata : column of the design strata, or None for an unstratified design.
    psu : column of the primary sampling units (clusters, e.g. enumeration areas), or None when each record
        was sampled on its own. PSUs are nested in strata: the same label in two strata is two PSUs.
    fpc : column with the number of PSUs in each stratum's population (or the first-stage sampling
        fraction); None treats PSUs as drawn with replacement (the usual, slightly conservative, choice).
    by : column whose levels define domains (district, sex, ...): one estimate per level, returned as a
        :class:`DomainEstimates` table. Records with a missing ``by`` value are in no domain.
    confidence : confidence level of the interval.
    ci : "t" (Student's t with PSUs minus strata degrees of freedom) or "normal".
    lonely_psu : what to do when a stratum has one PSU: "error" (default), "certainty", "remove",
        "adjust" or "average" (R survey's options; see the module documentation).
    missing : "exclude" (records without a value of ``y`` are outside the domain, counted in ``n_missing``)
        or "error".
"""


def estimate_mean(
    data: pd.DataFrame,
    y: str,
    weight: str,
    strata: str | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    by: str | None = None,
    *,
    confidence: float = 0.95,
    ci: Literal["t", "normal"] = "t",
    lonely_psu: str = "error",
    missing: Literal["exclude", "error"] = "exclude",
) -> Estimate | DomainEstimates:
    """Weighted mean of ``y`` in the population, with a design-based standard error and interval.
{params}
    Returns
    -------
    Estimate, or DomainEstimates when ``by`` is given.

    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 6], "w": [10.0] * 6,
    ...                    "s": ["a", "a", "a", "b", "b", "b"], "c": [1, 1, 2, 3, 4, 4]})
    >>> est = estimate_mean(df, "y", "w", strata="s", psu="c")
    >>> round(est.estimate, 3), round(est.se, 3)
    (3.5, 0.825)

    Source: Wolter (2007), *Introduction to Variance Estimation*, 2nd ed., section 6.11;
    Lumley (2010), *Complex Surveys*, sections 2.2-2.3.
    """
    return _estimate(data, y, weight, strata, psu, fpc, by, statistic="mean", confidence=confidence, ci=ci,
                     lonely_psu=lonely_psu, missing=missing)


def estimate_total(
    data: pd.DataFrame,
    y: str,
    weight: str,
    strata: str | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    by: str | None = None,
    *,
    confidence: float = 0.95,
    ci: Literal["t", "normal"] = "t",
    lonely_psu: str = "error",
    missing: Literal["exclude", "error"] = "exclude",
) -> Estimate | DomainEstimates:
    """Weighted (Horvitz-Thompson) total of ``y`` in the population, with its standard error and interval.

    With ``y`` a 0/1 or True/False column the total is the estimated number of population units with
    the characteristic (for example persons with a disability).
{params}
    Examples
    --------
    >>> df = pd.DataFrame({"y": [1.0, 0, 1, 1], "w": [50.0, 50, 100, 100]})
    >>> est = estimate_total(df, "y", "w")
    >>> est.estimate, round(est.se, 2)
    (250.0, 95.74)

    Source: Horvitz and Thompson (1952), *JASA* 47; Wolter (2007), section 6.11.
    """
    return _estimate(data, y, weight, strata, psu, fpc, by, statistic="total", confidence=confidence, ci=ci,
                     lonely_psu=lonely_psu, missing=missing)


def estimate_proportion(
    data: pd.DataFrame,
    y: str,
    weight: str,
    strata: str | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    by: str | None = None,
    *,
    level: Any = None,
    confidence: float = 0.95,
    ci: Literal["t", "normal"] = "t",
    lonely_psu: str = "error",
    missing: Literal["exclude", "error"] = "exclude",
) -> Estimate | DomainEstimates:
    """Weighted share of the population with a characteristic, with its standard error and interval.

    The interval is the symmetric (Wald) one, estimate +/- t x SE; near 0% or 100% with few records it
    can cross the bounds, a sign that the sample is too small for that domain.
{params}    level : the value of ``y`` that counts (e.g. ``level="unprotected well"``); not needed when ``y``
        is True/False or 0/1.

    Examples
    --------
    Without strata or clusters and with equal weights the standard error is sqrt(p(1 - p)/(n - 1)):

    >>> df = pd.DataFrame({"safe": [True, True, True, False], "w": [5.0] * 4})
    >>> est = estimate_proportion(df, "safe", "w")
    >>> est.estimate, round(est.se, 4), round((0.75 * 0.25 / 3) ** 0.5, 4)
    (0.75, 0.25, 0.25)

    Source: Lumley (2010), *Complex Surveys*, section 2.3; Cochran (1977), section 3.2.
    """
    return _estimate(data, y, weight, strata, psu, fpc, by, statistic="proportion", level=level,
                     confidence=confidence, ci=ci, lonely_psu=lonely_psu, missing=missing)


# The parameters are shared; fill them in once (guarded: ``python -OO`` strips docstrings).
for _func, _extra in ((estimate_mean, " (numbers, or True/False)"), (estimate_total, " (numbers, or True/False)"),
                      (estimate_proportion, " (True/False, 0/1, or a category column with ``level``)")):
    if _func.__doc__:
        _func.__doc__ = _func.__doc__.replace("{params}", _DOC_PARAMS.replace("{y_extra}", _extra))
