"""The variance engine: Taylor linearisation for stratified multistage samples, on integer codes.

Everything here works on numpy arrays so that a 1M-row design costs a handful of ``np.bincount`` passes.
The public functions in ``estimate.py`` turn DataFrame columns into a :class:`Design` once and call
:func:`stratified_variance` with linearised values.

The variance is the with-replacement approximation for the first stage (Wolter, *Introduction to
Variance Estimation*, 2nd ed., 2007, section 6.11; the default of R ``survey`` and samplics):

    V = sum_h (1 - f_h) * n_h / (n_h - 1) * sum_i (z_hi - mean_h z)^2

where ``z_hi`` is the total of the linearised values in PSU ``i`` of stratum ``h``, ``n_h`` the number of
PSUs sampled in the stratum and ``f_h`` its first-stage sampling fraction (0 unless ``fpc`` is given).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdcourse._validate import _listing, require_columns
from cdcourse.errors import CdcourseError

#: What to do with a stratum that has a single PSU (names as R's ``options(survey.lonely.psu=)``).
LONELY_PSU = ("error", "certainty", "remove", "adjust", "average")

# Above this many (PSU, domain) cells the PSU totals are aggregated sparsely (via factorize) instead of
# in one dense bincount, so a design without PSUs (each row its own PSU) and many domains stays small.
_DENSE_CELLS = 4_000_000


@dataclass(frozen=True)
class Design:
    """A survey design reduced to integer codes (internal; built by :func:`make_design`)."""

    weights: np.ndarray  # (n,) float, > 0
    psu: np.ndarray  # (n,) int64 PSU code, unique across strata (PSUs are nested in strata)
    psu_stratum: np.ndarray  # (n_psu,) stratum code of each PSU
    n_psu_h: np.ndarray  # (n_strata,) PSUs sampled per stratum
    fraction_h: np.ndarray  # (n_strata,) first-stage sampling fraction (0 = with replacement)
    strata_labels: tuple  # label of each stratum code, for messages
    lonely_psu: str

    @property
    def n_strata(self) -> int:
        return int(self.n_psu_h.size)

    @property
    def n_psu(self) -> int:
        return int(self.psu_stratum.size)

    @property
    def df(self) -> int:
        """Design degrees of freedom: PSUs minus strata (as R ``survey::degf`` and Stata ``svy``)."""
        return self.n_psu - self.n_strata


def factorize(values: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes 0..K-1 (-1 for missing) and the K labels in sorted (or category) order.

    Same result as ``pd.factorize(values, sort=True)``, faster on survey files: a categorical column
    uses its codes (unused categories dropped), and a column stored in runs (records grouped by PSU or
    stratum, as surveys usually are) is factorised run by run, which avoids hashing a million strings.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        raw = values.cat.codes.to_numpy().astype(np.int64)
        used = np.bincount(raw[raw >= 0], minlength=len(values.cat.categories)) > 0
        remap = np.where(used, np.cumsum(used) - 1, -1)
        codes = np.where(raw >= 0, remap[raw], -1)
        return codes, values.cat.categories[used].tolist()
    n = len(values)
    if n > 1000:
        try:
            arr = values.to_numpy()
            # A look at the first records first: an unsorted column is not worth the full comparison.
            head = arr[:20_000]
            grouped = np.count_nonzero(head[1:] != head[:-1]) < head.size // 8
            changes = np.flatnonzero(arr[1:] != arr[:-1]) + 1 if grouped else None
        except (TypeError, ValueError):  # e.g. pd.NA in an object column cannot be compared
            changes = None
        if changes is not None and changes.size < n // 8:
            starts = np.r_[0, changes]
            head_codes, uniques = pd.factorize(values.iloc[starts], sort=True)
            codes = np.repeat(head_codes.astype(np.int64), np.diff(np.r_[starts, n]))
            return codes, uniques.tolist()
    codes, uniques = pd.factorize(values, sort=True)
    return codes.astype(np.int64), uniques.tolist()


def _codes(values: pd.Series, param: str, column: str) -> tuple[np.ndarray, list]:
    codes, labels = factorize(values)
    if (codes < 0).any():
        rows = values.index[codes < 0]
        raise CdcourseError(
            f"{param} column {column!r} has {int((codes < 0).sum())} missing value(s) (rows {_listing(rows)}); "
            f"every record needs its {param}"
        )
    return codes, labels


def _compact(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes 0..K-1 for the distinct values of ``key`` (ints in 0..size-1), in sorted order, and those values."""
    if size <= 20_000_000:
        used = np.bincount(key, minlength=size) > 0
        remap = np.cumsum(used) - 1
        return remap[key], np.flatnonzero(used)
    codes, uniq = pd.factorize(key, sort=True)
    return codes.astype(np.int64), np.asarray(uniq)


def design_from_codes(
    weights: np.ndarray,
    stratum: np.ndarray | None,
    psu: np.ndarray | None,
    *,
    fraction_h: np.ndarray | None = None,
    strata_labels: tuple | None = None,
    lonely_psu: str = "error",
) -> Design:
    """Build a :class:`Design` from integer stratum codes (0..H-1) and PSU codes (any ints).

    PSU codes are made unique within strata here, so the same PSU label in two strata is two PSUs.
    """
    n = weights.size
    if stratum is None:
        stratum = np.zeros(n, dtype=np.int64)
    n_strata = int(stratum.max()) + 1 if n else 0
    if psu is None:
        psu_code = np.arange(n, dtype=np.int64)
        psu_stratum = stratum.astype(np.int64)
    else:
        psu = np.asarray(psu, dtype=np.int64)
        width = int(psu.max()) + 1
        psu_code, uniq = _compact(stratum.astype(np.int64) * width + psu, n_strata * width)
        psu_stratum = (uniq // width).astype(np.int64)
    n_psu_h = np.bincount(psu_stratum, minlength=n_strata)
    if fraction_h is None:
        fraction_h = np.zeros(n_strata)
    labels = strata_labels if strata_labels is not None else tuple(range(n_strata))
    lonely = (n_psu_h == 1) & (fraction_h < 1)
    if lonely_psu == "error" and lonely.any():
        bad = [labels[h] for h in np.flatnonzero(lonely)]
        raise CdcourseError(
            f"stratum {_listing(bad)} has only one PSU, so its sampling variance cannot be estimated; "
            f"merge it with a similar stratum, or pass lonely_psu= one of "
            f"{', '.join(repr(c) for c in LONELY_PSU[1:])} (see the estimate_mean documentation)"
        )
    return Design(
        weights=weights,
        psu=psu_code,
        psu_stratum=psu_stratum,
        n_psu_h=n_psu_h,
        fraction_h=np.asarray(fraction_h, dtype=float),
        strata_labels=labels,
        lonely_psu=lonely_psu,
    )


def make_design(
    data: pd.DataFrame,
    weights: np.ndarray,
    strata: str | None,
    psu: str | None,
    fpc: str | None,
    lonely_psu: str,
) -> Design:
    """Read the design columns of ``data`` into a :class:`Design`, with checks that name the column."""
    require_columns(data, strata, "strata")
    require_columns(data, psu, "psu")
    require_columns(data, fpc, "fpc")
    if strata is not None:
        stratum, labels = _codes(data[strata], "strata", strata)
        labels = tuple(labels)
    else:
        stratum, labels = None, ("(all)",)
    psu_codes = _codes(data[psu], "psu", psu)[0] if psu is not None else None
    fraction_h = None
    if fpc is not None:
        fraction_h = _fractions(data, fpc, stratum, psu_codes, len(labels), labels)
    return design_from_codes(
        weights, stratum, psu_codes, fraction_h=fraction_h, strata_labels=labels, lonely_psu=lonely_psu
    )


def _fractions(data, fpc, stratum, psu_codes, n_strata, labels) -> np.ndarray:
    """First-stage sampling fraction per stratum from an fpc column (population PSU count or fraction)."""
    values = pd.to_numeric(data[fpc], errors="coerce").to_numpy(dtype=float)
    if np.isnan(values).any() or (values <= 0).any():
        raise CdcourseError(
            f"fpc column {fpc!r} has missing, zero or negative values; it must hold, for each record, the "
            f"number of PSUs in its stratum's population (or the sampling fraction, a number in (0, 1])"
        )
    if stratum is None:
        stratum = np.zeros(values.size, dtype=np.int64)
    lo = np.full(n_strata, np.inf)
    hi = np.full(n_strata, -np.inf)
    np.minimum.at(lo, stratum, values)
    np.maximum.at(hi, stratum, values)
    varying = np.flatnonzero(lo != hi)
    if varying.size:
        raise CdcourseError(
            f"fpc column {fpc!r} varies within stratum {_listing(labels[h] for h in varying)}; "
            f"it must be one number per stratum"
        )
    if psu_codes is None:
        n_h = np.bincount(stratum, minlength=n_strata)
    else:
        width = int(psu_codes.max()) + 1
        n_h = np.bincount(_compact(stratum * width + psu_codes, n_strata * width)[1] // width, minlength=n_strata)
    fraction = np.where(lo <= 1, lo, n_h / lo)
    too_small = np.flatnonzero((lo > 1) & (lo < n_h))
    if too_small.size:
        h = too_small[0]
        raise CdcourseError(
            f"fpc column {fpc!r} says stratum {labels[h]!r} has {lo[h]:g} PSUs in the population, but "
            f"{n_h[h]} were sampled; fpc must be at least the number sampled"
        )
    return fraction


def stratified_variance(design: Design, z: np.ndarray, domain: np.ndarray, n_domains: int) -> np.ndarray:
    """Variance of the totals of ``z`` in each domain, one value per domain.

    Parameters
    ----------
    z : (n,) linearised values; zero for records outside every domain.
    domain : (n,) domain code of each record in 0..n_domains-1 (any code where ``z`` is 0).
    """
    D = n_domains
    H = design.n_strata
    n_psu = design.n_psu
    key = design.psu if D == 1 else design.psu * D + domain
    if n_psu * D <= _DENSE_CELLS:
        totals = np.bincount(key, weights=z, minlength=n_psu * D)
        cell_psu = np.repeat(np.arange(n_psu), D)
        cell_dom = np.tile(np.arange(D), n_psu)
    else:
        nonzero = z != 0
        codes, cells = pd.factorize(key[nonzero])
        totals = np.bincount(codes, weights=z[nonzero], minlength=cells.size)
        cell_psu = cells // D
        cell_dom = cells % D
    cell_h = design.psu_stratum[cell_psu]
    hd = cell_h * D + cell_dom
    n_h = design.n_psu_h.astype(float)
    sum_hd = np.bincount(hd, weights=totals, minlength=H * D).reshape(H, D)
    count_hd = np.bincount(hd, minlength=H * D).reshape(H, D)
    mean_hd = sum_hd / n_h[:, None]
    # Two-pass sum of squares; PSUs with no cell (total 0) contribute mean^2 each.
    dev2 = (totals - mean_hd.ravel()[hd]) ** 2
    ss_hd = np.bincount(hd, weights=dev2, minlength=H * D).reshape(H, D)
    ss_hd += (n_h[:, None] - count_hd) * mean_hd**2

    f = design.fraction_h
    lonely = (design.n_psu_h == 1) & (f < 1)
    scale = np.where(design.n_psu_h > 1, (1 - f) * n_h / np.maximum(n_h - 1, 1), 0.0)
    var = (scale[:, None] * ss_hd).sum(axis=0)
    if lonely.any():
        rule = design.lonely_psu
        if rule == "adjust":
            # Centre the lonely PSU's total at the grand mean of all PSU totals instead of its stratum
            # mean (R survey's "adjust"; for a mean or proportion that grand mean is 0, as in R).
            grand = sum_hd.sum(axis=0) / n_psu
            var += (((sum_hd[lonely] - grand) ** 2) * (1 - f[lonely])[:, None]).sum(axis=0)
        elif rule == "average":
            ok = H - int(lonely.sum())
            var = var * H / ok if ok > 0 else np.full(D, np.nan)
        # "certainty" and "remove": the lonely stratum adds nothing (as in R survey).
    return var
