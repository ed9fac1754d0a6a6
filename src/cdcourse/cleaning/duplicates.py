"""Exact and near duplicates: double submissions, repeated crowd reports, points mapped twice.

Near duplicates are found without ever building the full cross product of records. Candidate
pairs come only from records that share a *blocking key* (same household, same category, ...)
and are close on a sort key: records are sorted by time within a block and each is compared with
its neighbours until they are further apart than the time window (the sorted-neighbourhood
method, with a window that grows exactly as far as the time limit needs); points without a time
are put in grid cells as wide as the distance limit and compared only with the same and the
adjacent cells. Memory grows with the number of close pairs, not with the square of the rows.

Source: Hernández and Stolfo (1995), "The merge/purge problem for large databases" (sorted
neighbourhood); Christen (2012), *Data Matching*, chapter 4 (blocking and indexing).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from cdcourse._validate import require_choice, require_columns, require_frame, require_number
from cdcourse.cleaning._log import cleaning_step
from cdcourse.cleaning._text import label_key
from cdcourse.errors import CdcourseError

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG), metres
_STOPWORDS = frozenset(
    "a an the at in on of to and or is are was were for from near by with since my me call i we our "
    "it this that there here again still not no yes same problem please".split()
)
_TOKEN = re.compile(r"[a-z0-9]+")


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres between points given in decimal degrees (vectorised).

    >>> round(float(haversine_m(-2.0, 31.0, -2.0, 31.001)))
    111
    """
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def text_tokens(text: object) -> frozenset[str]:
    """Content words of a free-text report (lower case, no punctuation, common words removed).

    >>> sorted(text_tokens("No water at the tap near the bus stand!"))
    ['bus', 'stand', 'tap', 'water']
    """
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return frozenset()
    return frozenset(t for t in _TOKEN.findall(label_key(text)) if t not in _STOPWORDS and len(t) > 1)


def text_similarity(a: object, b: object) -> float:
    """Share of content words two texts have in common (Jaccard index of their word sets).

    >>> text_similarity("Flooding at the market in Marelo", "market in marelo flooded, flooding again")
    0.75
    """
    ta, tb = text_tokens(a), text_tokens(b)
    if not ta and not tb:
        return 0.0
    return len(ta & tb) / len(ta | tb)


# -- exact duplicates -----------------------------------------------------------------------------
def _subset(data: pd.DataFrame, subset: str | Sequence[str] | None, ignore: str | Sequence[str] | None) -> list[str]:
    cols = require_columns(data, subset, "subset") if subset is not None else list(data.columns)
    drop = set(require_columns(data, ignore, "ignore")) if ignore is not None else set()
    cols = [c for c in cols if c not in drop]
    if not cols:
        raise CdcourseError("no column is left to compare: subset minus ignore is empty")
    return cols


def find_duplicates(
    data: pd.DataFrame,
    subset: str | Sequence[str] | None = None,
    *,
    ignore: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """The records that share their values with another record: one row per record in a group.

    Parameters
    ----------
    data : the records; not modified.
    subset : columns that must be equal (default: all columns); ``["submission_id"]`` finds
        repeated ids, all columns finds exact copies.
    ignore : columns to leave out of the comparison (for example a new submission id).

    Returns
    -------
    DataFrame with ``row`` (index label), ``group`` (0, 1, ...) and ``copy`` (0 for the first
    record of its group, 1, 2, ... for the copies), ordered by group.

    Examples
    --------
    >>> df = pd.DataFrame({"id": ["a", "b", "a", "c", "a"], "age": [30, 40, 30, 50, 31]})
    >>> find_duplicates(df)
       row  group  copy
    0    0      0     0
    1    2      0     1
    >>> find_duplicates(df, "id")["row"].tolist()
    [0, 2, 4]
    """
    require_frame(data, "data", allow_empty=True)
    cols = _subset(data, subset, ignore)
    dup = data.duplicated(subset=cols, keep=False).to_numpy()
    part = data.loc[dup, cols]
    if not len(part):
        return pd.DataFrame({"row": pd.Series([], dtype=data.index.dtype), "group": pd.Series([], dtype=int),
                             "copy": pd.Series([], dtype=int)})
    grouped = part.groupby(cols, dropna=False, sort=False)
    out = pd.DataFrame({
        "row": part.index,
        "group": grouped.ngroup().to_numpy(),
        "copy": grouped.cumcount().to_numpy(),
    })
    return out.sort_values(["group", "copy"], kind="stable").reset_index(drop=True)


@cleaning_step
def drop_duplicates(
    data: pd.DataFrame,
    subset: str | Sequence[str] | None = None,
    *,
    ignore: str | Sequence[str] | None = None,
    order_by: str | None = None,
    keep: str = "first",
):
    """Drop records that repeat another record's values, keeping one of each group.

    Parameters
    ----------
    data : the records; not modified.
    subset : columns that must be equal (default: all columns, i.e. exact copies).
    ignore : columns left out of the comparison.
    order_by : column deciding which copy is first (for example the submission time); default
        the order of the rows.
    keep : "first" or "last" copy to keep.

    Examples
    --------
    >>> df = pd.DataFrame({"id": ["a", "b", "a"], "age": [30, 40, 30]})
    >>> clean, step = drop_duplicates(df)
    >>> clean.index.tolist(), step.summary
    ([0, 1], 'dropped 1 exact copies of 1 records (compared on all 2 columns)')
    """
    require_choice(keep, ["first", "last"], "keep")
    cols = _subset(data, subset, ignore)
    order = np.arange(len(data))
    if order_by is not None:
        require_columns(data, order_by, "order_by")
        order = data[[order_by]].reset_index(drop=True).sort_values(order_by, kind="stable").index.to_numpy()
    dup_sorted = data.iloc[order].duplicated(subset=cols, keep=keep).to_numpy()
    drop = np.zeros(len(data), dtype=bool)
    drop[order[dup_sorted]] = True
    dropped_labels = data.index[drop]
    out = data.loc[~drop]
    groups = find_duplicates(data, cols)
    n_groups = int(groups["group"].nunique()) if len(groups) else 0
    details = pd.DataFrame({"dropped_row": dropped_labels})
    where = f"all {len(cols)} columns" if subset is None and ignore is None else ", ".join(cols)
    summary = f"dropped {len(dropped_labels)} exact copies of {n_groups} records (compared on {where})"
    return out, details, summary, len(dropped_labels), 0


@cleaning_step
def drop_duplicate_submissions(
    data: pd.DataFrame,
    submission: str = "submission_id",
    unit: str | Sequence[str] = "household_id",
    *,
    order_by: str | None = None,
    keep: str = "first",
    compare: Sequence[str] | None = None,
    line: str | None = "line_no",
):
    """Keep one submission per unit (household) when a form was sent twice under a new id.

    All rows of a repeated submission are dropped together, so a household never mixes members
    from two submissions. The details list each dropped submission, the one kept, and whether
    its rows agree with the kept ones (matched on ``unit`` and ``line``; ``compare`` columns,
    default all but the ids): "identical" copies are safe to drop, "conflicting" ones deserve a
    look at which version is right.

    Parameters
    ----------
    data : the records (one row per person, several per submission); not modified.
    submission : the submission id column.
    unit : what is interviewed once (household id), the blocking key.
    order_by : column deciding which submission is first (e.g. ``_submission_time``).
    keep : "first" or "last" submission per unit.
    compare : columns compared between the copies (default: all except id/order columns).
    line : the person's line number within a submission (None if one row per submission).

    Examples
    --------
    >>> df = pd.DataFrame({"submission_id": ["s1", "s1", "s2", "s2"], "household_id": ["H1"] * 4,
    ...                    "line_no": [1, 2, 1, 2], "age": [40, 12, 40, 13]})
    >>> clean, step = drop_duplicate_submissions(df)
    >>> clean["submission_id"].tolist()
    ['s1', 's1']
    >>> step.details
      dropped_submission kept_submission unit  rows  rows_differing      verdict
    0                 s2              s1   H1     2               1  conflicting
    """
    require_choice(keep, ["first", "last"], "keep")
    units = require_columns(data, unit, "unit")
    require_columns(data, submission, "submission")
    if order_by is not None:
        require_columns(data, order_by, "order_by")
    if line is not None:
        require_columns(data, line, "line")
    subs = data[[submission, *units] + ([order_by] if order_by else [])].copy()
    subs["_pos"] = np.arange(len(data))
    first_rows = subs.groupby(submission, sort=False, dropna=False).agg(
        {**{u: "first" for u in units}, **({order_by: "min"} if order_by else {}), "_pos": "min"}
    )
    first_rows = first_rows.sort_values([order_by, "_pos"] if order_by else ["_pos"], kind="stable")
    # a unit missing its key is never merged with another
    has_unit = first_rows[units].notna().all(axis=1)
    ranked = first_rows[has_unit]
    kept_sub = ranked.reset_index().groupby(units, sort=False)[submission].agg(keep)
    unit_of = ranked.reset_index().set_index(submission)[units]
    key_of = pd.MultiIndex.from_frame(unit_of) if len(units) > 1 else pd.Index(unit_of[units[0]])
    winner = pd.Series(kept_sub.reindex(key_of).to_numpy(), index=unit_of.index)
    losers = winner[winner.index != winner.to_numpy()]
    drop_mask = data[submission].isin(set(losers.index)).to_numpy()
    ignore = {submission, *(c for c in [order_by] if c)}
    cols = [c for c in (compare or data.columns) if c not in ignore]
    require_columns(data, cols, "compare")
    on = [line] if line is not None else []
    cols = list(dict.fromkeys(on + cols))
    rows_of = data.groupby(submission, sort=False).indices if len(losers) else {}
    rows = []
    for sub_id, kept in losers.items():
        a = data.iloc[rows_of[sub_id]]
        b = data.iloc[rows_of[kept]]
        if on:
            merged = a[cols].merge(b[cols], on=on, how="left", suffixes=("", "__kept"), indicator=True)
            other = [c for c in cols if c not in on]
            differ = np.zeros(len(merged), dtype=bool)
            for c in other:
                x, y = merged[c], merged[f"{c}__kept"]
                same = (x.astype(object) == y.astype(object)).fillna(False).to_numpy(dtype=bool) | (x.isna() & y.isna()).to_numpy()
                differ |= ~same
            differ |= (merged["_merge"] != "both").to_numpy()
            n_diff = int(differ.sum()) + max(0, len(b) - len(a))
        else:
            n_diff = int(not a[cols].reset_index(drop=True).equals(b[cols].reset_index(drop=True)))
        unit_val = ", ".join(str(v) for v in a[units].iloc[0]) if len(a) else ""
        rows.append({"dropped_submission": sub_id, "kept_submission": kept, "unit": unit_val, "rows": len(a),
                     "rows_differing": n_diff, "verdict": "identical" if n_diff == 0 else "conflicting"})
    details = pd.DataFrame(rows, columns=["dropped_submission", "kept_submission", "unit", "rows",
                                          "rows_differing", "verdict"])
    out = data.loc[~drop_mask]
    n_conf = int((details["verdict"] == "conflicting").sum())
    summary = (f"dropped {len(losers)} repeated submissions ({int(drop_mask.sum())} rows) of "
               f"{details['unit'].nunique()} {'/'.join(units)} values" + (f"; {n_conf} differ from the kept copy" if n_conf else ""))
    return out, details, summary, int(drop_mask.sum()), 0


# -- near duplicates ------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class NearDuplicates:
    """Pairs of records judged the same thing, and the clusters they form.

    Attributes
    ----------
    pairs : one row per matched pair: ``row_a``, ``row_b`` (index labels), ``pos_a``, ``pos_b``
        (positions), and the measured ``minutes`` apart, ``metres`` apart and ``text_similarity``
        where those criteria were used.
    cluster : per record (aligned with the data), the cluster id: the position of the cluster's
        first record; a record with no near duplicate is its own cluster.
    duplicate : per record, True for every record of a cluster except its first (by time when a
        time column was used, else by row order): the records to drop to keep one of each.
    candidates : candidate pairs compared (shows how much work blocking saved).
    """

    pairs: pd.DataFrame
    cluster: pd.Series
    duplicate: pd.Series
    candidates: int
    settings: dict = field(default_factory=dict)

    @property
    def n_clusters(self) -> int:
        """Clusters with at least two records."""
        sizes = self.cluster.value_counts()
        return int((sizes > 1).sum())

    def to_frame(self) -> pd.DataFrame:
        return self.pairs.copy()

    def clusters(self) -> pd.DataFrame:
        """One row per cluster of two or more records: cluster id, size, member rows."""
        c = self.cluster
        sizes = c.value_counts()
        multi = c[c.isin(sizes[sizes > 1].index)]
        out = (multi.groupby(multi, sort=True)
               .apply(lambda s: list(s.index))
               .rename("rows").reset_index().rename(columns={multi.name or "index": "cluster", 0: "cluster"}))
        out.columns = ["cluster", "rows"]
        out["size"] = out["rows"].map(len)
        return out[["cluster", "size", "rows"]]

    def _repr_html_(self) -> str:
        n_dup = int(self.duplicate.sum())
        return (f"<p><b>Near duplicates</b>: {len(self.pairs):,} matched pairs in {self.n_clusters:,} clusters; "
                f"{n_dup:,} of {len(self.cluster):,} records are repeats. {self.candidates:,} candidate pairs "
                f"compared (the full cross product would be {len(self.cluster) * (len(self.cluster) - 1) // 2:,}).</p>"
                + self.pairs.head(20).to_html(index=False))


def _block_codes(data: pd.DataFrame, block: list[str]) -> np.ndarray:
    if not block:
        return np.zeros(len(data), dtype=np.int64)
    codes = data.groupby(block, sort=True, dropna=False, observed=True).ngroup().to_numpy(dtype=np.int64).copy()
    missing = data[block].isna().any(axis=1).to_numpy()
    codes[missing] = -1  # a record without its blocking key is never matched
    return codes


def _to_timedelta(within, param: str) -> np.timedelta64:
    try:
        if isinstance(within, (int, float, np.integer, np.floating)) and not isinstance(within, bool):
            td = pd.Timedelta(minutes=float(within))
        else:
            td = pd.Timedelta(within)
    except (ValueError, TypeError):
        raise CdcourseError(f"{param} must be minutes (a number) or a duration like '3D' or '6h'; got {within!r}") from None
    if td <= pd.Timedelta(0):
        raise CdcourseError(f"{param} must be a positive duration; got {within!r}")
    return td.to_timedelta64().astype("timedelta64[ns]")


def find_near_duplicates(
    data: pd.DataFrame,
    *,
    block: str | Sequence[str] | None = None,
    time: str | None = None,
    within: float | str | pd.Timedelta | None = None,
    lat: str | None = None,
    lon: str | None = None,
    max_metres: float | None = None,
    text: str | None = None,
    min_similarity: float | None = None,
    max_block: int = 5_000,
) -> NearDuplicates:
    """Find records that describe the same thing: same block, close in time, place and text.

    Two records are near duplicates when they share every ``block`` value and meet every
    criterion given: at most ``within`` apart in ``time``, at most ``max_metres`` apart
    (``lat``/``lon``), and sharing at least ``min_similarity`` of their content words (``text``,
    Jaccard index). Pairs chain into clusters (A~B and B~C puts A, B, C together).

    Candidates never come from the full cross product: with ``time`` they come from a sorted
    neighbourhood (each record against the next ones in time, within its block, until the gap
    passes ``within``); with only a place, from a grid of ``max_metres`` cells (same and adjacent
    cells); with neither, from all pairs inside each block, refusing blocks over ``max_block``
    records (choose a finer block).

    Parameters
    ----------
    data : the records; not modified.
    block : column(s) that must be equal (category, district, household and line, ...).
    time, within : a datetime column and the largest gap (minutes, or "3D", "6h", ...).
    lat, lon, max_metres : coordinate columns (decimal degrees) and the largest distance.
    text, min_similarity : a free-text column and the smallest share of shared content words.
    max_block : the largest block compared pair by pair when no time or place orders it.

    Returns
    -------
    NearDuplicates : matched ``pairs``, a ``cluster`` id and a ``duplicate`` flag per record.

    Examples
    --------
    >>> reports = pd.DataFrame({
    ...     "category": ["flooding", "flooding", "flooding", "waste"],
    ...     "received_at": pd.to_datetime(["2024-03-01 08:00", "2024-03-01 20:00", "2024-03-09 08:00", "2024-03-01 09:00"]),
    ...     "lat": [-2.500, -2.501, -2.500, -2.500], "lon": [31.200, 31.201, 31.200, 31.200],
    ...     "text": ["Flooding at the market in Marelo", "market in Marelo flooded again", "Flooding at the market", "Waste at the market"]})
    >>> nd = find_near_duplicates(reports, block="category", time="received_at", within="2D",
    ...                           lat="lat", lon="lon", max_metres=500, text="text", min_similarity=0.3)
    >>> nd.pairs[["row_a", "row_b", "minutes", "metres", "text_similarity"]].round(1)
       row_a  row_b  minutes  metres  text_similarity
    0      0      1    720.0   157.2              0.5
    >>> nd.duplicate.tolist()
    [False, True, False, False]
    """
    require_frame(data, "data", allow_empty=True)
    blocks = require_columns(data, block, "block") if block is not None else []
    if time is not None:
        require_columns(data, time, "time")
        if within is None:
            raise CdcourseError("time needs within= (the largest gap between two reports of one thing, e.g. '2D')")
        window = _to_timedelta(within, "within")
        if not pd.api.types.is_datetime64_any_dtype(data[time].dtype):
            raise CdcourseError(f"time column {time!r} must hold datetimes (parse it first); it is {data[time].dtype}")
    elif within is not None:
        raise CdcourseError("within= needs time= (the datetime column it applies to)")
    use_place = lat is not None or lon is not None or max_metres is not None
    if use_place:
        if lat is None or lon is None or max_metres is None:
            raise CdcourseError("a distance check needs lat=, lon= and max_metres= together")
        require_columns(data, [lat, lon], "lat/lon")
        require_number(max_metres, "max_metres", low=0, high=np.inf, low_inclusive=False)
    if text is not None or min_similarity is not None:
        if text is None or min_similarity is None:
            raise CdcourseError("a text check needs text= and min_similarity= together")
        require_columns(data, text, "text")
        require_number(min_similarity, "min_similarity", low=0, high=1)
    require_number(max_block, "max_block", low=1, high=np.inf, integer=True)
    if time is None and not use_place and not blocks:
        raise CdcourseError("give at least one of block=, time=/within= or lat=/lon=/max_metres= to say what 'near' means")

    n = len(data)
    codes = _block_codes(data, blocks)
    lat_v = data[lat].to_numpy(dtype=float, na_value=np.nan) if use_place else None
    lon_v = data[lon].to_numpy(dtype=float, na_value=np.nan) if use_place else None
    if use_place:
        codes = np.where(np.isnan(lat_v) | np.isnan(lon_v), -1, codes)
    pair_a: list[np.ndarray] = []
    pair_b: list[np.ndarray] = []
    candidates = 0

    def keep_close(a: np.ndarray, b: np.ndarray) -> None:
        if use_place and len(a):
            d = haversine_m(lat_v[a], lon_v[a], lat_v[b], lon_v[b])
            ok = d <= max_metres
            a, b = a[ok], b[ok]
        pair_a.append(a)
        pair_b.append(b)

    if time is not None:
        t = data[time].to_numpy(dtype="datetime64[ns]")
        valid = (codes >= 0) & ~np.isnat(t)
        idx = np.flatnonzero(valid)
        order = idx[np.lexsort((t[idx], codes[idx]))]
        c_s, t_s = codes[order], t[order]
        active = np.arange(len(order) - 1)
        k = 1
        while len(active):
            j = active + k
            inside = j < len(order)
            active, j = active[inside], j[inside]
            same = (c_s[active] == c_s[j]) & (t_s[j] - t_s[active] <= window)
            active, j = active[same], j[same]
            candidates += len(active)
            keep_close(order[active], order[j])
            k += 1
    elif use_place:
        # grid cells as wide as the distance limit: a close pair is always in the same or adjacent cells
        valid = np.flatnonzero(codes >= 0)
        mean_lat = np.nanmean(lat_v[valid]) if len(valid) else 0.0
        dy = max_metres / 111_320.0
        dx = max_metres / (111_320.0 * max(np.cos(np.radians(mean_lat)), 0.01))
        frame = pd.DataFrame({
            "b": codes[valid],
            "x": np.floor(lon_v[valid] / dx).astype(np.int64),
            "y": np.floor(lat_v[valid] / dy).astype(np.int64),
            "p": valid,
        })
        for ox, oy in ((0, 0), (1, -1), (1, 0), (1, 1), (0, 1)):
            shifted = frame.assign(x=frame["x"] + ox, y=frame["y"] + oy)
            m = frame.merge(shifted, on=["b", "x", "y"], suffixes=("_a", "_b"))
            a, b = m["p_a"].to_numpy(), m["p_b"].to_numpy()
            if ox == 0 and oy == 0:
                keep = a < b
                a, b = a[keep], b[keep]
            candidates += len(a)
            keep_close(a, b)
    else:
        valid = np.flatnonzero(codes >= 0)
        sizes = np.bincount(codes[valid]) if len(valid) else np.array([0])
        if sizes.max() > max_block:
            worst = int(sizes.argmax())
            raise CdcourseError(
                f"block {blocks} has a group of {int(sizes.max())} records (group {worst}), more than max_block="
                f"{max_block}; comparing it pair by pair would need {int(sizes.max()) ** 2 // 2:,} comparisons: "
                "add a finer blocking column, or a time or place criterion"
            )
        order = valid[np.argsort(codes[valid], kind="stable")]
        c_s = codes[order]
        active = np.arange(len(order) - 1)
        k = 1
        while len(active):
            j = active + k
            inside = j < len(order)
            active, j = active[inside], j[inside]
            same = c_s[active] == c_s[j]
            active, j = active[same], j[same]
            candidates += len(active)
            keep_close(order[active], order[j])
            k += 1

    a = np.concatenate(pair_a) if pair_a else np.array([], dtype=np.int64)
    b = np.concatenate(pair_b) if pair_b else np.array([], dtype=np.int64)
    sim = None
    if text is not None and len(a):
        needed = np.unique(np.concatenate([a, b]))
        texts = data[text].to_numpy(dtype=object)
        tokens = {int(p): text_tokens(texts[p]) for p in needed}
        sim = np.array([_jaccard(tokens[int(x)], tokens[int(y)]) for x, y in zip(a, b)], dtype=float)
        ok = sim >= min_similarity
        a, b, sim = a[ok], b[ok], sim[ok]
    # ordered pairs (a before b), so "first" is well defined
    swap = a > b
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    pairs = pd.DataFrame({"row_a": data.index[a], "row_b": data.index[b], "pos_a": a, "pos_b": b})
    if time is not None:
        tt = data[time].to_numpy(dtype="datetime64[ns]")
        pairs["minutes"] = np.abs((tt[b] - tt[a]) / np.timedelta64(1, "m")) if len(a) else np.array([], dtype=float)
    if use_place:
        pairs["metres"] = haversine_m(lat_v[a], lon_v[a], lat_v[b], lon_v[b]) if len(a) else np.array([], dtype=float)
    if text is not None:
        pairs["text_similarity"] = sim if sim is not None else np.array([], dtype=float)
    pairs = pairs.sort_values(["pos_a", "pos_b"], kind="stable").reset_index(drop=True)

    # clusters: connected components of the pair graph; the first record (by time, else by row) leads
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    if time is not None:
        t = data[time].to_numpy(dtype="datetime64[ns]").astype("int64")
        rank = np.lexsort((np.arange(n), t))
    else:
        rank = np.arange(n)
    first_pos = np.full(labels.max() + 1 if n else 0, -1, dtype=np.int64)
    for p in rank[::-1]:
        first_pos[labels[p]] = p
    cluster_id = first_pos[labels] if n else np.array([], dtype=np.int64)
    duplicate = cluster_id != np.arange(n)
    settings = {"block": blocks, "time": time, "within": None if within is None else str(within), "lat": lat,
                "lon": lon, "max_metres": max_metres, "text": text, "min_similarity": min_similarity}
    return NearDuplicates(
        pairs=pairs,
        cluster=pd.Series(cluster_id, index=data.index, name="cluster"),
        duplicate=pd.Series(duplicate, index=data.index, name="duplicate"),
        candidates=int(candidates),
        settings=settings,
    )


def _jaccard(x: frozenset[str], y: frozenset[str]) -> float:
    if not x and not y:
        return 0.0
    return len(x & y) / len(x | y)


@cleaning_step
def drop_near_duplicates(
    data: pd.DataFrame,
    *,
    block: str | Sequence[str] | None = None,
    time: str | None = None,
    within: float | str | None = None,
    lat: str | None = None,
    lon: str | None = None,
    max_metres: float | None = None,
    text: str | None = None,
    min_similarity: float | None = None,
    cluster_column: str | None = None,
):
    """Keep one record of each cluster of near duplicates (see :func:`find_near_duplicates`).

    The first record of each cluster (earliest when a time is given) is kept; with
    ``cluster_column`` the kept record also gets the number of reports it stands for, so a
    repeated report still counts as evidence that many people saw the problem.

    Examples
    --------
    >>> pts = pd.DataFrame({"kind": ["tap", "tap", "tap"], "lat": [-2.5, -2.50005, -2.6], "lon": [31.2, 31.2, 31.2]})
    >>> drop_near_duplicates(pts, block="kind", lat="lat", lon="lon", max_metres=30).data.index.tolist()
    [0, 2]
    """
    nd = find_near_duplicates(data, block=block, time=time, within=within, lat=lat, lon=lon,
                              max_metres=max_metres, text=text, min_similarity=min_similarity)
    out = data.loc[~nd.duplicate.to_numpy()].copy()
    if cluster_column:
        sizes = nd.cluster.value_counts()
        out[cluster_column] = nd.cluster[~nd.duplicate.to_numpy()].map(sizes).to_numpy()
    dropped = int(nd.duplicate.sum())
    details = nd.pairs.drop(columns=["pos_a", "pos_b"])
    summary = (f"dropped {dropped} near duplicates, keeping one record of each of {nd.n_clusters} clusters "
               f"({nd.candidates} candidate pairs compared)")
    return out, details, summary, dropped, 0
