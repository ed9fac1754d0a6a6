"""How many interviews a survey needs, and how much a design costs in precision.

Formulas (Cochran, *Sampling Techniques*, 3rd ed., 1977, sections 4.4 and 4.6; Kish, *Survey Sampling*,
1965, section 5.4 for the cluster design effect and Kish 1992, "Weighting for unequal P_i", for the weighting
design effect):

- simple random sample for a proportion: ``n0 = z^2 p (1 - p) / e^2``; for a mean: ``n0 = z^2 S^2 / e^2``;
- a complex design needs ``deff`` times as many: ``n1 = deff * n0``;
- finite population of ``N`` units: ``n2 = n1 / (1 + n1 / N)`` (this follows from setting
  ``deff * (1 - n/N) * S^2 / n`` equal to ``(e / z)^2``, so the correction is applied after the design effect);
- expected response rate ``r``: select ``n3 = n2 / r`` so that about ``n2`` interviews are completed;
- round up once, at the end (rounding each step would add interviews for nothing).
"""
from __future__ import annotations

import html
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from cdcourse.errors import CdcourseError
from cdcourse.sampling._checks import number

__all__ = [
    "SampleSize",
    "sample_size_proportion",
    "sample_size_mean",
    "design_effect_cluster",
    "design_effect_kish",
    "effective_sample_size",
    "z_value",
]


class SampleSize(int):
    """A planned sample size: behaves as the whole number, and keeps the steps that led to it.

    ``int(n)``, ``n == 385`` and ``range(n)`` work as for any int; ``n.steps`` lists each step with its
    value before rounding, ``n.to_frame()`` gives them as a table and a notebook shows them with one
    plain-language line.
    """

    steps: tuple[tuple[str, float], ...]
    completed: int

    def __new__(cls, value: int, steps: Iterable[tuple[str, float]], completed: int) -> SampleSize:
        obj = super().__new__(cls, value)
        obj.steps = tuple(steps)
        obj.completed = completed
        return obj

    def __reduce__(self):  # keep the steps when pickled (multiprocessing, caching)
        return (SampleSize, (int(self), self.steps, self.completed))

    def __repr__(self) -> str:
        return f"SampleSize({int(self)})"

    def to_frame(self) -> pd.DataFrame:
        """The steps as a table: one row per step with its (unrounded) value."""
        return pd.DataFrame(self.steps, columns=["step", "value"])

    def summary(self) -> str:
        """One plain-language sentence about the plan."""
        if self.completed == int(self):
            return f"Plan for {int(self):,} completed interviews."
        return (
            f"Select {int(self):,} units so that about {self.completed:,} complete the interview "
            f"at the expected response rate."
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(label)}</td><td style='text-align:right'>{value:,.2f}</td></tr>"
            for label, value in self.steps
        )
        return (
            f"<table><thead><tr><th>step</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>"
            f"<p><b>{html.escape(self.summary())}</b></p>"
        )


def z_value(confidence: float = 0.95) -> float:
    """The standard normal quantile for a two-sided interval with this confidence (1.96 for 95%).

    >>> round(z_value(0.95), 4)
    1.96
    """
    number(confidence, "confidence", low=0, high=1, low_inclusive=False, high_inclusive=False)
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _finish(n0: float, first_step: str, deff: float, response_rate: float, population: float | None) -> SampleSize:
    steps = [(first_step, n0)]
    n = n0 * deff
    if deff != 1:
        steps.append((f"times the design effect {deff:g}", n))
    if population is not None:
        n = n / (1 + n / population)
        steps.append((f"finite population correction, N = {population:,g}", n))
    # A tiny tolerance so that 384.0000000001 from floating point is not rounded up to 385.
    completed = math.ceil(n - 1e-9)
    if response_rate != 1:
        n = n / response_rate
        steps.append((f"divided by the response rate {response_rate:g}", n))
    total = math.ceil(n - 1e-9)
    steps.append(("rounded up", float(total)))
    return SampleSize(total, steps, completed)


def _check_plan(confidence, deff, response_rate, population) -> float:
    z = z_value(confidence)
    number(deff, "deff", low=1e-12)
    number(response_rate, "response_rate", low=0, high=1, low_inclusive=False)
    if population is not None:
        number(population, "population", low=1)
    return z


def sample_size_proportion(
    p: float,
    margin: float,
    confidence: float = 0.95,
    deff: float = 1.0,
    response_rate: float = 1.0,
    population: float | None = None,
    *,
    relative: bool = False,
) -> SampleSize:
    """Number of units to select so that a proportion is estimated within ``margin`` at this confidence.

    Parameters
    ----------
    p : the expected proportion, strictly between 0 and 1 (0.5 when nothing is known: the largest size).
    margin : the half-width of the confidence interval you can accept, as a proportion (0.05 = 5 points),
        or, with ``relative=True``, as a fraction of ``p`` (0.12 = 12% of the indicator value, as MICS plans).
    confidence : confidence level of the interval (0.95 uses z = 1.959964).
    deff : design effect of the planned design (1 for a simple random sample; see
        :func:`design_effect_cluster`).
    response_rate : share of selected units expected to complete the interview (0.9 for 10% non-response).
    population : number of units in the population; when given, the finite population correction applies.
    relative : read ``margin`` as relative to ``p``.

    Returns
    -------
    SampleSize : an int (the number of units to *select*; with ``response_rate=1`` also the number of
        completed interviews) carrying ``.steps`` and ``.completed`` (interviews expected to complete).

    Examples
    --------
    Cochran's textbook case, 95% confidence, p = 0.5 and a 5-point margin: n0 = 1.96^2 x 0.25 / 0.0025
    = 384.16, rounded up to 385.

    >>> sample_size_proportion(0.5, 0.05)
    SampleSize(385)
    >>> n = sample_size_proportion(0.25, 0.12, deff=1.5, response_rate=0.9, relative=True)
    >>> int(n), n.completed
    (1334, 1201)

    Source: Cochran (1977), *Sampling Techniques*, 3rd ed., section 4.4.
    """
    number(p, "p", low=0, high=1, low_inclusive=False, high_inclusive=False)
    number(margin, "margin", low=0, low_inclusive=False)
    z = _check_plan(confidence, deff, response_rate, population)
    e = margin * p if relative else margin
    if not relative and margin >= 1:
        raise CdcourseError(f"margin must be a proportion below 1 (0.05 = 5 points); got {margin!r}")
    n0 = z**2 * p * (1 - p) / e**2
    label = f"simple random sample: z^2 p(1-p)/e^2 with z = {z:.4g}, p = {p:g}, e = {e:g}"
    return _finish(n0, label, deff, response_rate, population)


def sample_size_mean(
    sd: float,
    margin: float,
    confidence: float = 0.95,
    deff: float = 1.0,
    response_rate: float = 1.0,
    population: float | None = None,
) -> SampleSize:
    """Number of units to select so that a mean is estimated within ``margin`` (same units as the variable).

    Parameters
    ----------
    sd : the expected standard deviation of the variable in the population (from a pilot or earlier survey).
    margin : the half-width of the confidence interval you can accept, in the variable's units.
    confidence, deff, response_rate, population : as in :func:`sample_size_proportion`.

    Examples
    --------
    Minutes to collect water with a standard deviation of 20 minutes, wanted within 2 minutes:
    n0 = 1.96^2 x 400 / 4 = 384.1, so 385.

    >>> sample_size_mean(20, 2)
    SampleSize(385)

    Source: Cochran (1977), *Sampling Techniques*, 3rd ed., section 4.6.
    """
    number(sd, "sd", low=0, low_inclusive=False)
    number(margin, "margin", low=0, low_inclusive=False)
    z = _check_plan(confidence, deff, response_rate, population)
    n0 = (z * sd / margin) ** 2
    return _finish(n0, f"simple random sample: (z S / e)^2 with z = {z:.4g}, S = {sd:g}, e = {margin:g}",
                   deff, response_rate, population)


def design_effect_cluster(cluster_size: float, icc: float) -> float:
    """Design effect of taking ``cluster_size`` interviews per cluster when answers correlate by ``icc``.

    ``deff = 1 + (b - 1) * rho``: each extra interview in the same cluster adds less new information
    the more alike the neighbours are.

    Parameters
    ----------
    cluster_size : b, the average number of interviews (persons or households) per cluster; >= 1.
    icc : rho, the intra-cluster correlation, between -1/(b-1) and 1 (usually 0.01 to 0.3).

    Examples
    --------
    >>> design_effect_cluster(15, 0.05)
    1.7

    Source: Kish (1965), *Survey Sampling*, section 5.4.
    """
    number(cluster_size, "cluster_size", low=1)
    number(icc, "icc", low=-1, high=1)
    deff = 1 + (cluster_size - 1) * icc
    if deff <= 0:
        raise CdcourseError(
            f"icc {icc!r} is below -1/(b-1) for cluster_size {cluster_size!r}: the design effect would be {deff:g}"
        )
    return round(float(deff), 12)


def _weights_array(weights, param: str = "weights") -> np.ndarray:
    w = pd.to_numeric(pd.Series(np.asarray(weights).ravel()), errors="coerce").to_numpy(dtype=float)
    if w.size == 0:
        raise CdcourseError(f"{param} is empty; at least one weight is needed")
    bad = np.isnan(w) | (w <= 0)
    if bad.any():
        raise CdcourseError(
            f"{param} has {int(bad.sum())} missing, zero or negative value(s) "
            f"(positions {', '.join(map(str, np.flatnonzero(bad)[:12]))}); weights must be > 0"
        )
    return w


def design_effect_kish(weights) -> float:
    """Loss of precision from unequal weights alone: ``n * sum(w^2) / (sum w)^2`` (1 when all are equal).

    Parameters
    ----------
    weights : the design (or final) weights, one per interview; all > 0.

    Examples
    --------
    >>> design_effect_kish([1, 1, 1, 1])
    1.0
    >>> design_effect_kish([1, 1, 1, 3])
    1.3333333333333333

    Source: Kish (1992), "Weighting for unequal P_i", *Journal of Official Statistics* 8(2).
    """
    w = _weights_array(weights)
    return float(w.size * np.sum(w**2) / np.sum(w) ** 2)


def effective_sample_size(weights) -> float:
    """Number of equally weighted interviews that would give the same precision: ``(sum w)^2 / sum(w^2)``.

    >>> effective_sample_size([1, 1, 1, 3])
    3.0
    """
    w = _weights_array(weights)
    return float(np.sum(w) ** 2 / np.sum(w**2))
