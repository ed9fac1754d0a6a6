"""Drawing samples from a frame, each with its inclusion probabilities and design weights.

Every function returns the selected rows of the frame (same columns, the frame's index, frame order) plus
``inclusion_prob`` (the chance the unit had of being selected) and ``design_weight`` (its inverse: how many
population units each sampled unit stands for). Existing columns with those names are replaced. The frame
itself is never modified. Same ``seed``, same sample.

Sources: Cochran (1977), *Sampling Techniques*, 3rd ed.: simple random sampling (ch. 2), stratified
sampling and allocation (ch. 5: proportional 5.5, Neyman 5.5-5.9), systematic sampling (ch. 8), PPS
(ch. 9A); Madow (1949) for systematic PPS; Kish (1965), *Survey Sampling*, ch. 7 for self-weighting
two-stage designs.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from cdcourse._validate import _listing, make_rng, require_choice, require_columns, require_frame
from cdcourse.errors import CdcourseError
from cdcourse.sampling._checks import number

__all__ = [
    "allocate",
    "simple_random_sample",
    "systematic_sample",
    "stratified_sample",
    "pps_sample",
    "two_stage_sample",
]

Seed = int | np.random.Generator | None
Allocation = Literal["proportional", "equal", "neyman"]


def _with_probs(frame: pd.DataFrame, rows: np.ndarray, prob: np.ndarray, extra: dict | None = None) -> pd.DataFrame:
    """The selected rows (in frame order) with probability and weight columns added."""
    order = np.argsort(rows, kind="stable")
    out = frame.iloc[rows[order]].copy()
    for name, values in (extra or {}).items():
        out[name] = np.asarray(values, dtype=float)[order]
    out["inclusion_prob"] = np.asarray(prob, dtype=float)[order]
    out["design_weight"] = 1.0 / out["inclusion_prob"]
    return out


def _require_count(n, param: str, available: int, what: str) -> int:
    number(n, param, low=1, integer=True)
    n = int(n)
    if n > available:
        raise CdcourseError(f"{param} = {n} is larger than the {available:,} {what} available; "
                            f"a sample cannot be larger than its frame")
    return n


def _select_within(groups: np.ndarray, take: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask selecting ``take[g]`` units at random (SRS) in each group ``g``, in one vectorised pass.

    Each unit gets a uniform random key; within a group the ``take`` smallest keys are chosen, which is
    a simple random sample without replacement (every subset of that size equally likely).
    """
    n = groups.size
    keys = rng.random(n)
    order = np.argsort(groups + keys, kind="stable")  # groups are integers, keys in [0, 1)
    sorted_groups = groups[order]
    starts = np.searchsorted(sorted_groups, np.arange(take.size))
    rank = np.arange(n) - starts[sorted_groups]
    mask = np.zeros(n, dtype=bool)
    mask[order[rank < take[sorted_groups]]] = True
    return mask


def _pps_systematic(sizes: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Systematic PPS selection of ``n`` units; returns (selected positions, inclusion probability of every unit).

    Units whose size is at least the sampling interval would be hit more than once; they are taken with
    certainty (probability 1) and the interval is recomputed on the rest until none is left (Cochran 1977,
    section 9A.4). The remaining units are selected by a random start in (0, I] and steps of I along the
    cumulated sizes, in the order given (sort the frame first for implicit stratification). Each has the
    exact probability n' x_i / X'.
    """
    prob = np.zeros(sizes.size)
    certain = np.zeros(sizes.size, dtype=bool)
    while True:
        rest = ~certain
        n_rest = n - int(certain.sum())
        if n_rest == 0:
            break
        total = sizes[rest].sum()
        big = rest & (sizes * n_rest >= total)
        if not big.any():
            prob[rest] = n_rest * sizes[rest] / total
            break
        certain |= big
    prob[certain] = 1.0
    selected = [np.flatnonzero(certain)]
    n_rest = n - int(certain.sum())
    if n_rest > 0:
        idx = np.flatnonzero(~certain)
        cum = np.cumsum(sizes[idx])
        interval = cum[-1] / n_rest
        start = interval * (1.0 - rng.random())  # in (0, I]
        points = start + interval * np.arange(n_rest)
        hit = np.searchsorted(cum, points * (1 - 1e-12), side="left")
        selected.append(idx[np.minimum(hit, idx.size - 1)])
    return np.sort(np.concatenate(selected)), prob


def _per_stratum(n, labels: list, param: str) -> np.ndarray:
    """An int, or a mapping stratum -> int, as one count per stratum (in ``labels`` order)."""
    if isinstance(n, (Mapping, pd.Series)):
        n = dict(n)
        missing = [lab for lab in labels if lab not in n]
        unknown = [key for key in n if key not in set(labels)]
        if unknown:
            raise CdcourseError(f"{param} names stratum {_listing(map(repr, unknown))}, which is not in the frame; "
                                f"strata are: {_listing(labels)}")
        if missing:
            raise CdcourseError(f"{param} gives no size for stratum {_listing(map(repr, missing))}; "
                                f"give every stratum a size (0 is allowed)")
        values = [n[lab] for lab in labels]
        for lab, v in zip(labels, values):
            number(v, f"{param}[{lab!r}]", low=0, integer=True)
        return np.asarray(values, dtype=np.int64)
    number(n, param, low=1, integer=True)
    return np.full(len(labels), int(n), dtype=np.int64)


def _strata_codes(frame: pd.DataFrame, strata: str) -> tuple[np.ndarray, list]:
    codes, uniques = pd.factorize(frame[strata], sort=True)
    if (codes < 0).any():
        raise CdcourseError(f"strata column {strata!r} has {int((codes < 0).sum())} missing value(s); "
                            f"every unit of the frame needs a stratum")
    return codes.astype(np.int64), uniques.tolist()


def allocate(
    sizes: Mapping | pd.Series,
    n: int,
    method: Allocation = "proportional",
    *,
    sd: Mapping | pd.Series | None = None,
    minimum: int = 1,
) -> pd.Series:
    """Share a total sample of ``n`` among strata: how many to select in each.

    Parameters
    ----------
    sizes : stratum -> number of units in the stratum's frame (N_h).
    n : total sample size.
    method : "proportional" (n_h proportional to N_h: the sample mirrors the population),
        "equal" (the same number in each stratum: best for comparing strata), or "neyman"
        (proportional to N_h S_h: the smallest variance of the overall mean for a given n).
    sd : stratum -> standard deviation S_h of the main variable; needed for "neyman".
    minimum : at least this many per stratum (1 so every stratum is represented; 2 lets a stratum's
        variance be estimated). Never more than the stratum holds.

    Returns
    -------
    pandas.Series of whole numbers named ``n``, indexed by stratum, summing to ``n``. Shares are computed
    exactly, capped at N_h and raised to ``minimum`` (the rest redistributed), then rounded by largest
    remainder so the total is exactly ``n``.

    Examples
    --------
    >>> allocate({"A": 600, "B": 300, "C": 100}, 100).tolist()
    [60, 30, 10]
    >>> allocate({"A": 600, "B": 300, "C": 100}, 100, "neyman", sd={"A": 1, "B": 2, "C": 3}).tolist()
    [40, 40, 20]

    Source: Cochran (1977), *Sampling Techniques*, sections 5.5 (proportional) and 5.5-5.8 (Neyman).
    """
    sizes = pd.Series(dict(sizes) if not isinstance(sizes, pd.Series) else sizes, dtype=float)
    if sizes.empty:
        raise CdcourseError("sizes is empty; give the number of frame units in each stratum")
    if sizes.isna().any() or (sizes < 0).any():
        raise CdcourseError(f"sizes must be whole numbers >= 0 for every stratum; got {sizes.to_dict()}")
    require_choice(method, ("proportional", "equal", "neyman"), "method")
    number(minimum, "minimum", low=0, integer=True)
    total = int(sizes.sum())
    number(n, "n", low=1, integer=True)
    if n > total:
        raise CdcourseError(f"n = {n} is larger than the {total:,} units in the frame; "
                            f"a sample cannot be larger than its frame")
    N = sizes.to_numpy()
    if method == "proportional":
        share = N.copy()
    elif method == "equal":
        share = (N > 0).astype(float)
    else:
        if sd is None:
            raise CdcourseError("method 'neyman' needs sd= (stratum -> standard deviation of the main variable)")
        sd_s = pd.Series(dict(sd) if not isinstance(sd, pd.Series) else sd, dtype=float)
        missing = [s for s in sizes.index if s not in sd_s.index]
        if missing:
            raise CdcourseError(f"sd gives no standard deviation for stratum {_listing(map(repr, missing))}")
        S = sd_s.reindex(sizes.index).to_numpy()
        if np.isnan(S).any() or (S < 0).any():
            raise CdcourseError(f"sd must be >= 0 for every stratum; got {sd_s.to_dict()}")
        share = N * S
        if share.sum() == 0:
            raise CdcourseError("sd is 0 in every stratum: Neyman allocation is undefined; use 'proportional'")
    lower = np.minimum(float(minimum), N)
    upper = N
    if lower.sum() > n:
        raise CdcourseError(f"n = {n} is too small to give each of the {len(N)} strata minimum = {minimum}; "
                            f"lower minimum or raise n")
    x = np.zeros(len(N))
    fixed = np.zeros(len(N), dtype=bool)
    # Exact shares within bounds: fix strata that break a bound and share the rest again.
    for _ in range(2 * len(N) + 1):
        free = ~fixed
        remaining = n - x[fixed].sum()
        weights = share[free]
        x[free] = remaining * (weights / weights.sum() if weights.sum() > 0 else np.full(free.sum(), 1 / free.sum()))
        over = free & (x > upper)
        if over.any():
            x[over], fixed[over] = upper[over], True
            continue
        under = free & (x < lower)
        if under.any():
            x[under], fixed[under] = lower[under], True
            continue
        break
    # Largest remainder: floor, then one more unit to the largest fractional parts (stable for ties).
    base = np.floor(x + 1e-9)
    short = int(round(n - base.sum()))
    room = base < upper
    frac = np.where(room, x - base, -np.inf)
    for i in np.argsort(-frac, kind="stable")[:max(short, 0)]:
        base[i] += 1
    return pd.Series(base.astype(np.int64), index=sizes.index, name="n")


def simple_random_sample(frame: pd.DataFrame, n: int, *, seed: Seed = None) -> pd.DataFrame:
    """A simple random sample of ``n`` rows without replacement: every set of ``n`` rows equally likely.

    Each row's inclusion probability is n / N.

    Examples
    --------
    >>> frame = pd.DataFrame({"id": range(10)})
    >>> s = simple_random_sample(frame, 4, seed=1)
    >>> len(s), float(s["inclusion_prob"].iloc[0]), float(s["design_weight"].sum())
    (4, 0.4, 10.0)

    Source: Cochran (1977), *Sampling Techniques*, chapter 2.
    """
    require_frame(frame, "frame")
    n = _require_count(n, "n", len(frame), "rows in the frame")
    rows = make_rng(seed).choice(len(frame), size=n, replace=False)
    return _with_probs(frame, rows, np.full(n, n / len(frame)))


def systematic_sample(frame: pd.DataFrame, n: int, *, seed: Seed = None) -> pd.DataFrame:
    """Every k-th row from a random start, k = N / n (a fractional interval, so exactly ``n`` rows).

    Rows are taken in the frame's order: sort the frame first (for example by district, then village) to
    spread the sample like an implicit stratification. Each row's inclusion probability is n / N. Beware
    a frame with a periodic pattern matching the interval.

    Examples
    --------
    >>> s = systematic_sample(pd.DataFrame({"id": range(100)}), 10, seed=3)
    >>> len(s), s["id"].diff().dropna().unique().tolist()
    (10, [10.0])

    Source: Cochran (1977), *Sampling Techniques*, chapter 8.
    """
    require_frame(frame, "frame")
    N = len(frame)
    n = _require_count(n, "n", N, "rows in the frame")
    interval = N / n
    start = make_rng(seed).random() * interval
    rows = np.minimum(np.floor(start + interval * np.arange(n)).astype(np.int64), N - 1)
    return _with_probs(frame, rows, np.full(n, n / N))


def stratified_sample(
    frame: pd.DataFrame,
    strata: str,
    n: int | Mapping | pd.Series,
    *,
    allocation: Allocation = "proportional",
    y: str | None = None,
    sd: Mapping | pd.Series | None = None,
    minimum: int = 1,
    seed: Seed = None,
) -> pd.DataFrame:
    """A simple random sample within each stratum, with sizes from an allocation rule or given per stratum.

    Parameters
    ----------
    frame : the sampling frame, one row per unit; not modified.
    strata : the column that defines the strata.
    n : the total sample size (shared by ``allocation``), or a mapping stratum -> size.
    allocation : "proportional", "equal" or "neyman" (see :func:`allocate`); ignored when ``n`` is a mapping.
    y : for Neyman allocation, a frame column whose stratum standard deviations drive the shares.
    sd : for Neyman allocation, stratum -> standard deviation (instead of ``y``).
    minimum : at least this many units per stratum.
    seed : seed or numpy Generator.

    Returns
    -------
    The sampled rows with ``inclusion_prob`` = n_h / N_h and ``design_weight`` = N_h / n_h; in each stratum
    the design weights sum exactly to N_h.

    Examples
    --------
    >>> frame = pd.DataFrame({"district": ["A"] * 60 + ["B"] * 40})
    >>> s = stratified_sample(frame, "district", 10, seed=1)
    >>> s.groupby("district")["design_weight"].agg(["size", "sum"]).to_dict()
    {'size': {'A': 6, 'B': 4}, 'sum': {'A': 60.0, 'B': 40.0}}

    Source: Cochran (1977), *Sampling Techniques*, chapter 5.
    """
    require_frame(frame, "frame")
    require_columns(frame, strata, "strata")
    codes, labels = _strata_codes(frame, strata)
    N_h = np.bincount(codes, minlength=len(labels))
    if isinstance(n, (Mapping, pd.Series)):
        n_h = _per_stratum(n, labels, "n")
    else:
        if allocation == "neyman" and sd is None:
            if y is None:
                raise CdcourseError("allocation 'neyman' needs y= (a frame column) or sd= (stratum -> sd)")
            require_columns(frame, y, "y")
            values = pd.to_numeric(frame[y], errors="coerce")
            sd = values.groupby(codes).std(ddof=1).fillna(0.0).set_axis(labels)
        n_h = allocate(pd.Series(N_h, index=labels), n, allocation, sd=sd, minimum=minimum).to_numpy()
    over = np.flatnonzero(n_h > N_h)
    if over.size:
        h = over[0]
        raise CdcourseError(f"n for stratum {labels[h]!r} is {n_h[h]}, larger than the {N_h[h]} units it holds")
    mask = _select_within(codes, n_h, make_rng(seed))
    rows = np.flatnonzero(mask)
    prob = (n_h / N_h)[codes[rows]]
    return _with_probs(frame, rows, prob)


def pps_sample(
    frame: pd.DataFrame,
    size: str,
    n: int | Mapping | pd.Series,
    *,
    strata: str | None = None,
    seed: Seed = None,
) -> pd.DataFrame:
    """Systematic sampling with probability proportional to size (PPS), with certainty units.

    Parameters
    ----------
    frame : one row per unit (for example enumeration areas); not modified.
    size : the column with each unit's measure of size (households, persons); all > 0.
    n : number of units to select; with ``strata``, the number in **each** stratum, or a mapping
        stratum -> number.
    strata : optional stratum column; PPS is then done independently within each stratum.
    seed : seed or numpy Generator.

    Returns
    -------
    The selected rows with ``inclusion_prob`` = n x_i / X exactly, and 1 for certainty units (units so large
    that x_i >= X / n, taken for sure; n and X are recomputed without them). Units are taken in frame order:
    sort the frame first (for example by urban/rural, then geography) for implicit stratification.

    Examples
    --------
    >>> frame = pd.DataFrame({"ea": ["a", "b", "c", "d"], "households": [10, 20, 30, 140]})
    >>> s = pps_sample(frame, "households", 2, seed=1)
    >>> s[["ea", "inclusion_prob"]].to_dict("list")["inclusion_prob"][-1]
    1.0

    Source: Cochran (1977), *Sampling Techniques*, sections 9A.1-9A.4; Madow (1949), *Ann. Math. Statist.* 20.
    """
    require_frame(frame, "frame")
    sizes = _positive_sizes(frame, size)
    rng = make_rng(seed)
    if strata is None:
        n = _require_count(n, "n", len(frame), "units in the frame")
        rows, prob = _pps_systematic(sizes, n, rng)
        return _with_probs(frame, rows, prob[rows])
    require_columns(frame, strata, "strata")
    codes, labels = _strata_codes(frame, strata)
    n_h = _per_stratum(n, labels, "n")
    all_rows, all_prob = [], []
    for h, label in enumerate(labels):
        idx = np.flatnonzero(codes == h)
        if n_h[h] == 0:
            continue
        if n_h[h] > idx.size:
            raise CdcourseError(f"n for stratum {label!r} is {n_h[h]}, larger than the {idx.size} units it holds")
        rows, prob = _pps_systematic(sizes[idx], int(n_h[h]), rng)
        all_rows.append(idx[rows])
        all_prob.append(prob[rows])
    return _with_probs(frame, np.concatenate(all_rows), np.concatenate(all_prob))


def _positive_sizes(frame: pd.DataFrame, size: str) -> np.ndarray:
    require_columns(frame, size, "size")
    values = pd.to_numeric(frame[size], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) | (values <= 0)
    if bad.any():
        raise CdcourseError(
            f"size column {size!r} has {int(bad.sum())} missing, zero or negative value(s) "
            f"(rows {_listing(frame.index[bad])}); sizes must be > 0 (a unit of size 0 could never be selected: "
            f"drop it from the frame or give it a size)"
        )
    return values


def two_stage_sample(
    frame: pd.DataFrame,
    psu: str,
    n_psu: int | Mapping | pd.Series,
    n_per_psu: int | None = None,
    *,
    strata: str | None = None,
    unit: str | None = None,
    pps: bool = True,
    size: str | None = None,
    seed: Seed = None,
) -> pd.DataFrame:
    """A two-stage cluster sample: clusters (PSUs) first, then a fixed take of units in each.

    Parameters
    ----------
    frame : the frame at the lowest level (for example persons), with the PSU column; not modified.
    psu : the column of the primary sampling units (clusters such as enumeration areas).
    n_psu : PSUs to select; with ``strata``, the number in **each** stratum, or a mapping stratum -> number.
    n_per_psu : units to select in each selected PSU by simple random sampling (all units when the PSU has
        fewer); None takes every unit (a one-stage cluster sample).
    strata : optional stratum column; PSUs are selected independently in each stratum.
    unit : the column of second-stage units, when they are not the rows: with ``unit="household_id"`` the
        take is of households and every person of a selected household is kept.
    pps : select PSUs with probability proportional to size (systematic PPS, in frame order); False selects
        them by simple random sampling.
    size : a column holding each PSU's measure of size (constant within the PSU); by default the number of
        units (``unit`` values, or rows) the PSU has in the frame. With that default and a fixed take the
        design is self-weighting: every unit has the same inclusion probability.
    seed : seed or numpy Generator.

    Returns
    -------
    The rows of the selected units with ``prob_stage1`` (of the PSU), ``prob_stage2`` (of the unit within its
    PSU), ``inclusion_prob`` (their product) and ``design_weight``.

    Examples
    --------
    >>> frame = pd.DataFrame({"ea": np.repeat(["a", "b", "c", "d"], [20, 20, 40, 40]), "id": range(120)})
    >>> s = two_stage_sample(frame, "ea", 2, 5, seed=2)
    >>> len(s), sorted(s["inclusion_prob"].round(4).unique().tolist())
    (10, [0.0833])

    Source: Kish (1965), *Survey Sampling*, sections 7.2-7.5; Cochran (1977), sections 9A and 11.
    """
    require_frame(frame, "frame")
    require_columns(frame, psu, "psu")
    require_columns(frame, strata, "strata")
    require_columns(frame, unit, "unit")
    if n_per_psu is not None:
        number(n_per_psu, "n_per_psu", low=1, integer=True)
    rng = make_rng(seed)
    if strata is not None:
        stratum, labels = _strata_codes(frame, strata)
    else:
        stratum, labels = np.zeros(len(frame), dtype=np.int64), ["(all)"]
    psu_raw, _ = pd.factorize(frame[psu])
    if (psu_raw < 0).any():
        raise CdcourseError(f"psu column {psu!r} has {int((psu_raw < 0).sum())} missing value(s); "
                            f"every unit needs its PSU")
    # PSUs are nested in strata; codes in order of first appearance keep the frame order for systematic PPS.
    psu_code, psu_keys = pd.factorize(stratum * (int(psu_raw.max()) + 1) + psu_raw)
    psu_stratum = (np.asarray(psu_keys) // (int(psu_raw.max()) + 1)).astype(np.int64)
    n_psus = psu_stratum.size
    if unit is None:
        unit_code = np.arange(len(frame), dtype=np.int64)
        unit_psu = psu_code.astype(np.int64)
    else:
        unit_code, unit_keys = pd.factorize(frame[unit])
        if (unit_code < 0).any():
            raise CdcourseError(f"unit column {unit!r} has missing values; every row needs its unit")
        unit_psu = np.empty(len(unit_keys), dtype=np.int64)
        unit_psu[unit_code] = psu_code
        if not (unit_psu[unit_code] == psu_code).all():
            raise CdcourseError(f"unit column {unit!r} has units in more than one PSU of {psu!r}; "
                                f"second-stage units must be nested in PSUs")
    M = np.bincount(unit_psu, minlength=n_psus).astype(float)
    if size is not None:
        measure_rows = _positive_sizes(frame, size)
        measure = np.zeros(n_psus)
        measure[psu_code] = measure_rows
        if not np.allclose(measure[psu_code], measure_rows):
            raise CdcourseError(f"size column {size!r} varies within a PSU; it must be one value per PSU")
    else:
        measure = M
    n_h = _per_stratum(n_psu, labels, "n_psu")
    prob1 = np.zeros(n_psus)
    chosen = np.zeros(n_psus, dtype=bool)
    for h, label in enumerate(labels):
        idx = np.flatnonzero(psu_stratum == h)
        if n_h[h] == 0:
            continue
        if n_h[h] > idx.size:
            raise CdcourseError(f"n_psu for stratum {label!r} is {n_h[h]}, larger than the {idx.size} PSUs it holds")
        if pps:
            rows, prob = _pps_systematic(measure[idx], int(n_h[h]), rng)
            prob1[idx] = prob
        else:
            rows = rng.choice(idx.size, size=int(n_h[h]), replace=False)
            prob1[idx] = n_h[h] / idx.size
        chosen[idx[rows]] = True
    take = np.where(chosen, M if n_per_psu is None else np.minimum(n_per_psu, M), 0).astype(np.int64)
    unit_mask = _select_within(unit_psu, take, rng) if n_per_psu is not None else chosen[unit_psu]
    rows = np.flatnonzero(unit_mask[unit_code])
    p1 = prob1[psu_code[rows]]
    p2 = (take / np.where(M > 0, M, 1))[psu_code[rows]]
    return _with_probs(frame, rows, p1 * p2, {"prob_stage1": p1, "prob_stage2": p2})
