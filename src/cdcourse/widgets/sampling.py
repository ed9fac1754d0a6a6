"""Sampling simulator: draw hundreds of samples from the population and watch the estimates scatter.

Choose a design (simple random, stratified by district, or two-stage cluster like the community survey),
how many households to interview, and an indicator. Every sample is drawn from the known population and
estimated with its design-based standard error, so the explorer shows

- the **sampling distribution**: a histogram of the estimates around the true value;
- how often the **95% confidence intervals** cover the truth (about 95% when SEs are honest);
- the intervals of the first samples, those that miss the truth stand out.

The two-stage design selects areas by systematic PPS. In ``"cluster"`` the areas of a district are put in a
random order before each draw; in ``"cluster_sorted"`` they keep the frame's order (urban areas first), which
spreads the sample over urban and rural areas like an extra stratification. The standard error formula (with
replacement, as R ``survey`` uses) does not know about that order, so there it overstates the real sampling
error and more than 95% of intervals cover the truth: conservative, not wrong.

The computation is pure (:class:`Simulator` and :func:`simulate` on arrays prepared once) and tested by
setting controls::

    ex = SamplingSimulator(load("population"))
    ex.set(design="cluster", households=600, n_samples=200)
    ex.result.coverage, ex.result.empirical_se

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> hh = np.repeat(np.arange(400), 3)
>>> pop = pd.DataFrame({"household_id": hh, "ea_id": hh // 20, "district_code": hh // 100,
...                     "improved_water": np.repeat(rng.random(400) < 0.6, 3)})
>>> sim = Simulator(pop, indicators={"improved_water": "improved water"})
>>> result = sim.run("stratified", households=80, indicator="improved_water", n_samples=50, seed=1)
>>> len(result.estimates), 0.7 < result.coverage <= 1
(50, True)
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from cdcourse._validate import make_rng, require_choice, require_columns, require_frame
from cdcourse.errors import CdcourseError
from cdcourse.sampling._checks import number
from cdcourse.sampling._design import design_from_codes, factorize
from cdcourse.sampling.estimate import domain_estimates
from cdcourse.sampling.select import _pps_systematic, _select_within, allocate
from cdcourse.widgets.base import Explorer

__all__ = ["DESIGNS", "INDICATORS", "Simulation", "Simulator", "SamplingSimulator"]

#: design key -> label shown in the dropdown
DESIGNS = {
    "srs": "simple random sample of households",
    "stratified": "stratified by district (proportional)",
    "cluster": "two-stage: areas by PPS in each district, then households",
    "cluster_sorted": "two-stage, areas listed urban first (implicit stratification)",
}

#: indicator column -> label (a True/False column gives a share, a number a mean)
INDICATORS = {
    "improved_water": "share with improved water",
    "disability": "share with a disability (age 5+)",
    "in_school": "share of 6-17 year olds in school",
    "feels_safe_night": "share feeling safe at night (15+)",
    "water_minutes": "mean minutes to collect water",
}


@dataclass(frozen=True)
class Simulation:
    """Estimates from many samples of one design, and how they compare with the truth.

    Attributes
    ----------
    estimates, se, ci_low, ci_high : one value per sample (95% intervals, t with the design's df).
    truth : the population value.
    coverage : share of the intervals that contain the truth.
    persons : average number of persons interviewed per sample.
    """

    design: str
    indicator: str
    households: int
    take: int
    truth: float
    estimates: np.ndarray = field(repr=False)
    se: np.ndarray = field(repr=False)
    ci_low: np.ndarray = field(repr=False)
    ci_high: np.ndarray = field(repr=False)
    persons: float
    is_share: bool = True

    @property
    def covered(self) -> np.ndarray:
        """Whether each sample's interval contains the truth."""
        return (self.ci_low <= self.truth) & (self.truth <= self.ci_high)

    @property
    def coverage(self) -> float:
        return float(self.covered.mean())

    @property
    def bias(self) -> float:
        """Average estimate minus the truth (close to 0 for an unbiased design)."""
        return float(self.estimates.mean() - self.truth)

    @property
    def empirical_se(self) -> float:
        """Standard deviation of the estimates across samples: the real sampling error."""
        return float(self.estimates.std(ddof=1))

    @property
    def mean_se(self) -> float:
        """Average standard error the samples reported: honest when close to :attr:`empirical_se`."""
        return float(self.se.mean())

    def to_frame(self) -> pd.DataFrame:
        """One row per sample: estimate, se, ci_low, ci_high, covered."""
        return pd.DataFrame({"estimate": self.estimates, "se": self.se, "ci_low": self.ci_low,
                             "ci_high": self.ci_high, "covered": self.covered})

    def _fmt(self, value: float) -> str:
        return f"{100 * value:.1f}%" if self.is_share else f"{value:,.1f}"

    def _points(self, value: float) -> str:
        return f"{100 * value:.1f} points" if self.is_share else f"{value:,.2f}"

    def summary(self) -> str:
        """The result in plain words."""
        n = len(self.estimates)
        return (
            f"{n} samples of {self.households:,} households ({self.persons:,.0f} persons on average), "
            f"{DESIGNS[self.design]}: {round(100 * self.coverage)}% of the 95% intervals contain the true value "
            f"{self._fmt(self.truth)}. The estimates scatter with a standard deviation of "
            f"{self._points(self.empirical_se)}; the samples' own standard errors average "
            f"{self._points(self.mean_se)}."
        )

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(self.summary())}</p>"


class Simulator:
    """The population reduced to arrays once, so each simulated sample costs well under a millisecond.

    Parameters
    ----------
    population : one row per person with ``household_id``, ``ea_id``, ``district_code`` and the indicators.
    indicators : column -> label of the indicators offered (default :data:`INDICATORS`, those present).
    """

    def __init__(self, population: pd.DataFrame, indicators: dict[str, str] | None = None) -> None:
        require_frame(population, "population")
        require_columns(population, ["household_id", "ea_id", "district_code"], "population")
        wanted = INDICATORS if indicators is None else indicators
        self.indicators = {c: label for c, label in wanted.items() if c in population.columns}
        if not self.indicators:
            raise CdcourseError(f"population has none of the indicator columns {', '.join(wanted)}")
        hh_code, _ = factorize(population["household_id"].astype(str))
        order = np.argsort(hh_code, kind="stable")  # persons grouped by household
        self._hh_of_person = hh_code[order]
        self._values = {c: population[c].to_numpy(dtype=float, na_value=np.nan)[order] for c in self.indicators}
        n_hh = int(hh_code.max()) + 1
        self._hh_start = np.searchsorted(self._hh_of_person, np.arange(n_hh))
        self._hh_size = np.bincount(self._hh_of_person, minlength=n_hh)
        first = order[self._hh_start]
        self._hh_district, self.districts = factorize(population["district_code"].iloc[first].reset_index(drop=True))
        self._hh_ea, _ = factorize(population["ea_id"].iloc[first].astype(str).reset_index(drop=True))
        self.n_households = n_hh
        n_ea = int(self._hh_ea.max()) + 1
        self._ea_size = np.bincount(self._hh_ea, minlength=n_ea).astype(float)  # households per EA
        self._ea_district = np.zeros(n_ea, dtype=np.int64)
        self._ea_district[self._hh_ea] = self._hh_district
        self._district_hh = np.bincount(self._hh_district, minlength=len(self.districts))
        self._district_eas = [np.flatnonzero(self._ea_district == h) for h in range(len(self.districts))]
        self._allocations: dict[int, np.ndarray] = {}
        self.truth = {c: float(np.nanmean(v)) for c, v in self._values.items()}

    def _persons(self, households: np.ndarray) -> np.ndarray:
        """Person rows of the selected households (every member is interviewed)."""
        sizes = self._hh_size[households]
        starts = np.repeat(self._hh_start[households] - np.r_[0, np.cumsum(sizes)[:-1]], sizes)
        return starts + np.arange(sizes.sum())

    def draw(self, design: str, households: int, take: int, rng: np.random.Generator):
        """One sample: (household rows, their weights, stratum codes or None, PSU codes)."""
        H = self.n_households
        if design == "srs":
            hh = np.sort(rng.choice(H, households, replace=False))
            return hh, np.full(hh.size, H / households), None, hh
        if design == "stratified":
            n_h = self._allocation(households)
            hh = np.flatnonzero(_select_within(self._hh_district, n_h, rng))
            strata = self._hh_district[hh]
            return hh, (self._district_hh / n_h)[strata], strata, hh
        # two-stage: a fixed number of areas per district by systematic PPS, then `take` households each
        n_areas = max(2, round(households / take / len(self.districts)))
        prob_ea = np.zeros(self._ea_size.size)
        chosen = np.zeros(self._ea_size.size, dtype=bool)
        for h in range(len(self.districts)):
            idx = self._district_eas[h]
            if design == "cluster":
                idx = rng.permutation(idx)  # a random order: systematic PPS without implicit strata
            picked, prob = _pps_systematic(self._ea_size[idx], min(n_areas, idx.size), rng)
            prob_ea[idx] = prob
            chosen[idx[picked]] = True
        take_ea = np.where(chosen, np.minimum(take, self._ea_size), 0).astype(np.int64)
        hh = np.flatnonzero(_select_within(self._hh_ea, take_ea, rng))
        ea = self._hh_ea[hh]
        weight = 1.0 / (prob_ea[ea] * take_ea[ea] / self._ea_size[ea])
        return hh, weight, self._hh_district[hh], ea

    def _allocation(self, households: int) -> np.ndarray:
        if households not in self._allocations:
            sizes = pd.Series(self._district_hh, index=range(len(self.districts)))
            self._allocations[households] = allocate(sizes, households, "proportional", minimum=2).to_numpy()
        return self._allocations[households]

    def run(self, design: str = "cluster", households: int = 600, indicator: str = "improved_water",
            n_samples: int = 200, take: int = 15, seed: int | np.random.Generator | None = 1) -> Simulation:
        """Draw ``n_samples`` samples and estimate ``indicator`` in each, with its 95% interval."""
        require_choice(design, list(DESIGNS), "design")
        require_choice(indicator, list(self.indicators), "indicator")
        number(households, "households", low=2 * len(self.districts), high=self.n_households // 2, integer=True)
        number(n_samples, "n_samples", low=2, high=5000, integer=True)
        number(take, "take", low=2, high=100, integer=True)
        rng = make_rng(seed)
        values = self._values[indicator]
        out = np.empty((4, int(n_samples)))
        persons = 0
        for i in range(int(n_samples)):
            hh, w_hh, strata_hh, psu_hh = self.draw(design, int(households), int(take), rng)
            rows = self._persons(hh)
            reps = self._hh_size[hh]
            y = values[rows]
            design_ = design_from_codes(
                np.repeat(w_hh, reps), None if strata_hh is None else np.repeat(strata_hh, reps),
                np.repeat(psu_hh, reps), lonely_psu="certainty",
            )
            res = domain_estimates(design_, y, np.zeros(y.size, dtype=np.int64), 1, statistic="mean")
            out[:, i] = res["estimate"][0], res["se"][0], res["ci_low"][0], res["ci_high"][0]
            persons += rows.size
        is_share = bool(np.isin(values[~np.isnan(values)], (0.0, 1.0)).all())
        return Simulation(design, indicator, int(households), int(take), self.truth[indicator], out[0], out[1],
                          out[2], out[3], persons / int(n_samples), is_share)


class SamplingSimulator(Explorer):
    """The sampling simulator as an explorer: design, households, indicator, repetitions, seed."""

    title = "Sampling simulator: many samples, one truth"

    def __init__(self, population: pd.DataFrame, *, indicators: dict[str, str] | None = None,
                 n_intervals: int = 40) -> None:
        self.simulator = Simulator(population, indicators)
        self.n_intervals = n_intervals
        super().__init__()

    def make_controls(self) -> dict[str, widgets.Widget]:
        style = {"description_width": "initial"}
        return {
            "design": widgets.Dropdown(options=[(label, key) for key, label in DESIGNS.items()], value="cluster",
                                       description="Design", style=style),
            "indicator": widgets.Dropdown(options=[(label, key) for key, label in self.simulator.indicators.items()],
                                          description="Indicator", style=style),
            "households": widgets.IntSlider(value=600, min=120, max=3000, step=60, description="Households",
                                            continuous_update=False, style=style),
            "take": widgets.IntSlider(value=15, min=5, max=40, step=5, description="Households per area (two-stage)",
                                      continuous_update=False, style=style),
            "n_samples": widgets.IntSlider(value=200, min=50, max=1000, step=50, description="Samples",
                                           continuous_update=False, style=style),
            "seed": widgets.BoundedIntText(value=1, min=0, max=10**6, description="Seed", style=style),
        }

    def compute(self, design: str, indicator: str, households: int, take: int, n_samples: int,
                seed: int) -> Simulation:
        return self.simulator.run(design, households, indicator, n_samples, take, seed)

    def render(self, result: Simulation) -> list[Any]:
        import matplotlib.pyplot as plt

        from cdcourse import viz

        scale = 100.0 if result.is_share else 1.0
        unit = " (%)" if result.is_share else ""
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8), gridspec_kw={"width_ratios": [3, 2]})
        viz.histogram(result.estimates * scale, bins=25, truth=result.truth * scale, ax=left, histtype="stepfilled",
                      title="Estimates from each sample", xlabel=f"{self.simulator.indicators[result.indicator]}{unit}",
                      ylabel="Samples")
        first = result.to_frame().head(self.n_intervals).reset_index(names="sample")
        first[["estimate", "ci_low", "ci_high"]] *= scale
        first["sample"] = first["sample"] + 1
        viz.points_ci(first, "sample", "estimate", "ci_low", "ci_high", truth=result.truth * scale, ax=right,
                      horizontal=True, title=f"First {len(first)} intervals", xlabel="Sample",
                      ylabel=f"estimate{unit}")
        missed = first.loc[~first["covered"]]
        if len(missed):
            # a different shape and colour, so a miss stands out without relying on colour alone
            right.plot(missed["estimate"], missed["sample"] - 1, linestyle="none", marker="X", markersize=11,
                       color=viz.PALETTE[3], label="interval misses the truth")
        right.set_yticks([])
        # Legends under the charts: the plot areas keep their width.
        for ax, ncol in ((left, 2), (right, 1)):
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=ncol, fontsize=9)
        fig.tight_layout()
        return [fig, result._repr_html_()]
