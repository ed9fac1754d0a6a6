"""Grouping records by their quasi-identifier key: the one computation every measure shares.

Every measure in :mod:`cdcourse.privacy` starts from the same step: encode each quasi-identifier as
integer codes, combine the codes into one key per record, and give each distinct key a group number
(one ``factorize``, no Python loop over classes). Everything else (class sizes, weighted population
estimates, the distribution of a sensitive attribute inside each class) is a ``bincount`` over
those group numbers.

Missing values change what a "class" is, so the rule is explicit:

``"category"``
    a missing value is one more value (pycanon's behaviour): two records that both miss their age
    and agree on everything else share a class.
``"wildcard"``
    a missing value matches any value (sdcMicro's ``freqCalc`` behaviour): a record's *anonymity
    set* is every record compatible with it, i.e. equal on each quasi-identifier where both are
    known. Sets overlap, so they are computed per distinct key: records with complete keys only
    gain the few incomplete keys compatible with them, which keeps the common case (few missing
    values) fast.
``"drop"``
    records with any missing quasi-identifier are left out (what ``pandas.groupby`` does silently).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from cdcourse._validate import require_choice, require_columns, require_frame, require_number
from cdcourse.errors import CdcourseError

Missing = Literal["category", "wildcard", "drop"]
MISSING_RULES: tuple[str, ...] = ("category", "wildcard", "drop")

# Above this span a combined integer key could overflow int64; the key is re-numbered first.
_SPAN_LIMIT = 2**62


def as_frame(data: Any, param: str = "data", *, allow_empty: bool = False) -> pd.DataFrame:
    """The DataFrame inside ``data`` (a result object with ``.data`` is unwrapped), checked."""
    if not isinstance(data, pd.DataFrame) and isinstance(getattr(data, "data", None), pd.DataFrame):
        data = data.data
    return require_frame(data, param, allow_empty=allow_empty)


def number(value: Any, param: str, *, low: float | None = None, high: float | None = None,
           low_inclusive: bool = True, high_inclusive: bool = True, integer: bool = False) -> float:
    """``require_number`` for the privacy functions; an unbounded side (None) reads "(0, inf)" in messages."""
    return require_number(value, param, low=low, high=high, low_inclusive=low_inclusive,
                          high_inclusive=high_inclusive, integer=integer)


def check_quasi_identifiers(
    data: pd.DataFrame, quasi_identifiers: str | Sequence[str], param: str = "quasi_identifiers"
) -> list[str]:
    """The quasi-identifiers as a list of distinct columns of ``data``; at least one."""
    qis = require_columns(data, quasi_identifiers, param)
    if not qis:
        raise CdcourseError(f"{param} is empty; name at least one column an intruder could know, e.g. ['age', 'sex']")
    dupes = sorted({q for q in qis if qis.count(q) > 1})
    if dupes:
        raise CdcourseError(f"{param} names {', '.join(map(repr, dupes))} more than once; name each column once")
    return qis


def check_sensitive(data: pd.DataFrame, sensitive: str, qis: Sequence[str]) -> str:
    """The sensitive column, checked to exist and not to be one of the quasi-identifiers."""
    if not isinstance(sensitive, str):
        raise CdcourseError(f"sensitive must be one column name (a string); got {sensitive!r}")
    require_columns(data, sensitive, "sensitive")
    if sensitive in qis:
        raise CdcourseError(
            f"sensitive attribute {sensitive!r} is also a quasi-identifier; a column is either known to an "
            f"intruder (quasi-identifier) or what must stay hidden (sensitive), not both"
        )
    return sensitive


def encode(series: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (``-1`` = missing) and the values they stand for.

    Categoricals keep their category order, so codes of an ordered categorical are ranks.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.int64, copy=False)
        return codes, pd.Index(series.cat.categories)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    return codes.astype(np.int64, copy=False), pd.Index(uniques)


def combine(columns: Sequence[np.ndarray], cards: Sequence[int]) -> tuple[np.ndarray, int]:
    """Dense group numbers (in order of first appearance) for rows of non-negative codes.

    ``cards[j]`` bounds the codes of ``columns[j]`` (all codes < cards[j]). The codes are combined in
    mixed radix; when the radix would overflow int64 the partial key is re-numbered first, so any
    number of columns works.
    """
    n = len(columns[0]) if columns else 0
    key = np.zeros(n, dtype=np.int64)
    span = 1
    for codes, card in zip(columns, cards):
        card = max(int(card), 1)
        if span * card >= _SPAN_LIMIT:
            key, uniq = pd.factorize(key)
            key = key.astype(np.int64, copy=False)
            span = max(len(uniq), 1)
        key = key * card + codes
        span *= card
    ids, uniq = pd.factorize(key)
    return ids.astype(np.int64, copy=False), len(uniq)


def first_positions(ids: np.ndarray, n_groups: int) -> np.ndarray:
    """Position of the first record of each group, for ids numbered in order of first appearance."""
    if len(ids) == 0:
        return np.zeros(0, dtype=np.int64)
    running = np.maximum.accumulate(ids)
    is_first = np.empty(len(ids), dtype=bool)
    is_first[0] = True
    is_first[1:] = ids[1:] > running[:-1]
    out = np.flatnonzero(is_first)
    assert len(out) == n_groups
    return out


@dataclass
class Partition:
    """Records grouped by their quasi-identifier key under one missing-value rule (internal).

    ``group[i]`` is the group of the i-th *kept* record (``rows[i]`` is its position in the data);
    ``keys[g]`` holds the codes of group g (``-1`` = missing). Under ``"wildcard"`` a group's
    anonymity set also contains every compatible group; :meth:`set_sum` and :meth:`set_counts`
    account for that, so callers never need to know the rule.
    """

    qis: list[str]
    missing: str
    n_total: int
    rows: np.ndarray
    group: np.ndarray
    keys: np.ndarray
    cards: list[int]
    uniques: list[pd.Index]
    _patterns: list[tuple[int, np.ndarray, np.ndarray]] | None = field(default=None, repr=False)

    @property
    def n_groups(self) -> int:
        return len(self.keys)

    @property
    def n_kept(self) -> int:
        return len(self.group)

    @property
    def all_kept(self) -> bool:
        return self.n_kept == self.n_total

    @property
    def uses_wildcards(self) -> bool:
        return self.missing == "wildcard" and bool((self.keys < 0).any())

    # -- anonymity sets -------------------------------------------------------------------------
    def patterns(self) -> list[tuple[int, np.ndarray, np.ndarray]]:
        """(pattern id, groups with that missing pattern, boolean mask of known columns)."""
        if self._patterns is None:
            known = self.keys >= 0
            bits = (known * (1 << np.arange(known.shape[1], dtype=np.int64))).sum(axis=1)
            out = []
            for pid in np.unique(bits):
                members = np.flatnonzero(bits == pid)
                out.append((int(pid), members, known[members[0]]))
            self._patterns = out
        return self._patterns

    def _projection(self, ga: np.ndarray, gb: np.ndarray, common: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
        cols = np.flatnonzero(common)
        both = np.concatenate([ga, gb])
        ids, n_ids = combine([self.keys[both, c] for c in cols], [self.cards[c] for c in cols])
        return ids[: len(ga)], ids[len(ga):], n_ids

    def set_sum(self, values: np.ndarray | None = None) -> np.ndarray:
        """Per group, the sum of ``values`` (one per kept record; default 1) over its anonymity set."""
        vals = None if values is None else np.asarray(values, dtype=float)
        own = np.bincount(self.group, weights=vals, minlength=self.n_groups).astype(float)
        if not self.uses_wildcards:
            return own
        total = own.copy()
        pats = self.patterns()
        for _, ga, known_a in pats:
            for _, gb, known_b in pats:
                if ga is gb:
                    continue  # distinct keys with the same missing pattern are never compatible
                common = known_a & known_b
                if not common.any():
                    total[ga] += own[gb].sum()
                    continue
                ia, ib, n_ids = self._projection(ga, gb, common)
                total[ga] += np.bincount(ib, weights=own[gb], minlength=n_ids)[ia]
        return total

    def set_counts(self, codes: np.ndarray, n_codes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distribution of ``codes`` (one per kept record, ``-1`` = missing, left out) in each anonymity set.

        Returns sparse triples ``(group, code, count)`` sorted by group then code, one per code that
        occurs in the group's set.
        """
        n_codes = max(int(n_codes), 1)
        ok = codes >= 0
        g, c, cnt = _count_pairs(self.group[ok], codes[ok], self.n_groups, n_codes)
        if not self.uses_wildcards:
            return g, c, cnt
        parts_g, parts_c, parts_n = [g], [c], [cnt]
        pattern_of = np.empty(self.n_groups, dtype=np.int64)
        pats = self.patterns()
        for i, (_, members, _) in enumerate(pats):
            pattern_of[members] = i
        for ia_pat, (_, ga, known_a) in enumerate(pats):
            for ib_pat, (_, gb, known_b) in enumerate(pats):
                if ia_pat == ib_pat:
                    continue
                sel = pattern_of[g] == ib_pat
                if not sel.any():
                    continue
                common = known_a & known_b
                if common.any():
                    ia, ib, n_ids = self._projection(ga, gb, common)
                    proj_of_group = np.full(self.n_groups, -1, dtype=np.int64)
                    proj_of_group[gb] = ib
                    pg, pc, pn = _count_pairs(proj_of_group[g[sel]], c[sel], n_ids, n_codes, weights=cnt[sel])
                else:
                    ia = np.zeros(len(ga), dtype=np.int64)
                    n_ids = 1
                    pg, pc, pn = _count_pairs(np.zeros(int(sel.sum()), dtype=np.int64), c[sel], 1, n_codes,
                                              weights=cnt[sel])
                # Every group of pattern a receives the whole distribution of its projection.
                per_proj = np.bincount(pg, minlength=n_ids)
                starts = np.concatenate([[0], np.cumsum(per_proj)[:-1]])
                lengths = per_proj[ia]
                if lengths.sum() == 0:
                    continue
                owner = np.repeat(ga, lengths)
                offsets = np.repeat(starts[ia] - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
                take = offsets + np.arange(lengths.sum())
                parts_g.append(owner)
                parts_c.append(pc[take])
                parts_n.append(pn[take])
        return _count_pairs(np.concatenate(parts_g), np.concatenate(parts_c), self.n_groups, n_codes,
                            weights=np.concatenate(parts_n))

    # -- reading back ---------------------------------------------------------------------------
    def key_frame(self, groups: np.ndarray | None = None) -> pd.DataFrame:
        """The quasi-identifier values of the given groups (all by default), missing as NA."""
        groups = np.arange(self.n_groups) if groups is None else np.asarray(groups)
        out = {}
        for j, (q, uniq) in enumerate(zip(self.qis, self.uniques)):
            codes = self.keys[groups, j]
            values = np.asarray(uniq, dtype=object)
            col = np.empty(len(codes), dtype=object)
            col[:] = pd.NA
            known = codes >= 0
            col[known] = values[codes[known]]
            out[q] = col
        return pd.DataFrame(out)

    def per_record(self, per_group: np.ndarray, fill: float = np.nan) -> np.ndarray:
        """A per-group array spread to every record of the data (records left out get ``fill``)."""
        per_group = np.asarray(per_group)
        if self.all_kept:
            return per_group[self.group]
        dtype = np.result_type(per_group.dtype, np.asarray(fill).dtype)
        out = np.full(self.n_total, fill, dtype=dtype)
        out[self.rows] = per_group[self.group]
        return out


def _count_pairs(g: np.ndarray, c: np.ndarray, n_groups: int, n_codes: int,
                 weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum ``weights`` (default 1) per distinct (g, c); triples sorted by g then c."""
    if len(g) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=float)
    pair = g.astype(np.int64) * n_codes + c
    size = n_groups * n_codes
    if size <= max(4 * len(g), 1_000_000):
        # Dense counting is fastest when the (group, code) grid is not much larger than the data.
        counts = np.bincount(pair, weights=weights, minlength=size)
        nz = np.flatnonzero(counts)
        return nz // n_codes, nz % n_codes, counts[nz].astype(float)
    uniq, inverse = np.unique(pair, return_inverse=True)
    counts = np.bincount(inverse, weights=weights, minlength=len(uniq))
    return uniq // n_codes, uniq % n_codes, counts.astype(float)


def partition(data: pd.DataFrame, quasi_identifiers: Sequence[str], missing: str) -> Partition:
    """Group the records of ``data`` by their quasi-identifier key under a missing-value rule."""
    require_choice(missing, MISSING_RULES, "missing")
    qis = list(quasi_identifiers)
    codes, uniques = [], []
    for q in qis:
        c, u = encode(data[q])
        codes.append(c)
        uniques.append(u)
    return partition_codes(codes, [len(u) for u in uniques], missing, qis=qis, uniques=uniques)


def partition_codes(codes: Sequence[np.ndarray], cards: Sequence[int], missing: str, *,
                    qis: Sequence[str] | None = None, uniques: Sequence[pd.Index] | None = None) -> Partition:
    """:func:`partition` on already encoded columns (codes ``-1`` = missing, each < its card)."""
    n = len(codes[0]) if len(codes) else 0
    qis = list(qis) if qis is not None else [f"q{j}" for j in range(len(codes))]
    uniques = list(uniques) if uniques is not None else [pd.RangeIndex(int(c)) for c in cards]
    rows = np.arange(n, dtype=np.int64)
    codes = list(codes)
    if missing == "drop":
        complete = np.ones(n, dtype=bool)
        for c in codes:
            complete &= c >= 0
        if not complete.any():
            raise CdcourseError(
                f"missing='drop' leaves no record: every record misses at least one of {', '.join(qis)}; "
                f"use missing='category' or 'wildcard', or recode the missing values"
            )
        if not complete.all():
            rows = np.flatnonzero(complete)
            codes = [c[rows] for c in codes]
    # Shift by one so that "missing" (-1) becomes code 0 in the combined key.
    group, n_groups = combine([c + 1 for c in codes], [int(k) + 1 for k in cards])
    first = first_positions(group, n_groups)
    keys = np.column_stack([c[first] for c in codes]) if codes else np.zeros((n_groups, 0), dtype=np.int64)
    return Partition(qis=qis, missing=missing, n_total=n, rows=rows, group=group, keys=keys,
                     cards=[int(c) for c in cards], uniques=uniques)


def prepare(data: Any, quasi_identifiers: str | Sequence[str], missing: str) -> tuple[pd.DataFrame, list[str]]:
    """Validate the common arguments of every measure; returns the frame and the QI list."""
    frame = as_frame(data)
    qis = check_quasi_identifiers(frame, quasi_identifiers)
    require_choice(missing, MISSING_RULES, "missing")
    return frame, qis
