"""Property tests of cdcourse.cleaning: vectorised results equal slow row-by-row references."""
from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdcourse import cleaning as cl
from cdcourse.cleaning import Rule

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOKENS = ["head", "child", "", "  ", "12", "3.5", "-1", "ENUM01", "ENUM1", "x", None]


# -- validation equals a row-by-row check -----------------------------------------------------------
def is_missing(v) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def is_present(v) -> bool:
    return not is_missing(v) and not (isinstance(v, str) and v.strip() == "")


def as_number(v):
    if isinstance(v, str):
        try:
            v = float(v.strip())
        except ValueError:
            return None
    v = float(v)
    return v if math.isfinite(v) else None


def row_fails(rule: Rule, row: dict, table: list[dict]) -> bool:
    """The rule's meaning, written out one row at a time (see the table in cleaning.validation)."""
    p = rule.params
    if rule.kind == "required":
        return not is_present(row[rule.columns[0]])
    if rule.kind == "check":
        if any(is_missing(row[c]) for c in rule.columns):
            return False
        a, s = row["a"], row["s"]
        if p["when"] == "s == 'head'" and s != "head":
            return False
        if p["expression"] == "a >= 15 or s != 'head'":
            return not (a >= 15 or s != "head")
        if p["expression"] == "a >= 15":
            return not a >= 15
        raise AssertionError(p)
    if rule.kind == "unique":
        key = tuple(row[c] for c in rule.columns)
        if not all(is_present(v) for v in key):
            return False
        return sum(tuple(r[c] for c in rule.columns) == key for r in table) > 1
    v = row[rule.columns[0]]
    if not is_present(v):
        return False
    if rule.kind == "range":
        x = as_number(v)
        if x is None:
            return True
        lo, hi = p["min"], p["max"]
        too_low = lo is not None and (x <= lo if p["strict_min"] else x < lo)
        too_high = hi is not None and (x >= hi if p["strict_max"] else x > hi)
        return too_low or too_high
    if rule.kind == "allowed":
        return v not in p["values"]
    if rule.kind == "pattern":
        return re.fullmatch(p["regex"], str(v)) is None
    if rule.kind == "length":
        return (p["min"] is not None and len(str(v)) < p["min"]) or (p["max"] is not None and len(str(v)) > p["max"])
    if rule.kind == "type":
        x = as_number(v)
        return x is None or (p["type"] == "integer" and x != int(x))
    raise AssertionError(rule.kind)


@st.composite
def frames_and_rules(draw):
    n = draw(st.integers(0, 40))
    a = draw(st.lists(st.one_of(st.none(), st.integers(-5, 130)), min_size=n, max_size=n))
    s = draw(st.lists(st.sampled_from(TOKENS), min_size=n, max_size=n))
    k = draw(st.lists(st.one_of(st.none(), st.integers(0, 6)), min_size=n, max_size=n))
    df = pd.DataFrame({"a": pd.array(a, dtype="Int64"), "s": pd.Series(s, dtype=object),
                       "k": pd.array(k, dtype="Int64")})
    lo = draw(st.one_of(st.none(), st.integers(-3, 20)))
    hi = draw(st.one_of(st.none(), st.integers(21, 120))) if lo is not None else draw(st.integers(21, 120))
    allowed = draw(st.lists(st.sampled_from(["head", "child", "12", "x"]), min_size=1, unique=True))
    pool = [
        Rule.required("a"), Rule.required("s"),
        Rule.range("a", lo, hi, strict_min=draw(st.booleans()), strict_max=draw(st.booleans())),
        Rule.range("s", 0, 20, name="s number in [0, 20]"),
        Rule.allowed("s", allowed), Rule.pattern("s", r"ENUM\d{2}"), Rule.length("s", 1, 4),
        Rule.type("s", "integer"), Rule.type("s", "number"),
        Rule.unique("k"), Rule.unique(["k", "s"]),
        Rule.check("a >= 15 or s != 'head'", name="head 15+"),
        Rule.check("a >= 15", when="s == 'head'", name="head 15+ (when)"),
    ]
    chosen = draw(st.lists(st.sampled_from(range(len(pool))), min_size=1, max_size=len(pool), unique=True))
    return df, [pool[i] for i in sorted(chosen)]


@SETTINGS
@given(frames_and_rules())
def test_validation_reports_exactly_the_failures_a_row_by_row_check_finds(case):
    df, rules = case
    before = df.copy(deep=True)
    report = cl.validate(df, rules)
    table = [{c: (None if is_missing(v) else v) for c, v in row.items()} for row in df.astype(object).to_dict("records")]
    expected = {(i, r.name) for r in rules for i, row in enumerate(table) if row_fails(r, row, table)}
    got = {(int(p), name) for name, pos in report.failures_by_rule.items() for p in pos}
    assert got == expected
    assert report.n_failures == len(expected) == len(report.to_frame())
    pd.testing.assert_frame_equal(df, before)


# -- duplicates -------------------------------------------------------------------------------------
@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.sampled_from(["a", "b"])), max_size=40))
def test_drop_duplicates_keeps_one_of_each_and_never_drops_a_unique_record(rows):
    df = pd.DataFrame(rows, columns=["x", "y", "z"])
    before = df.copy()
    data, step = cl.drop_duplicates(df)
    pd.testing.assert_frame_equal(df, before)
    assert len(data) == len(set(rows))
    assert not data.duplicated().any()
    counts = pd.Series(rows, dtype=object).value_counts() if rows else pd.Series(dtype=int)
    unique_positions = [i for i, r in enumerate(rows) if counts[r] == 1]
    assert set(unique_positions) <= set(data.index)
    assert step.rows_dropped == len(rows) - len(set(rows))


def brute_pairs(df, block, within_min, max_m):
    pairs = set()
    for i, j in itertools.combinations(range(len(df)), 2):
        ri, rj = df.iloc[i], df.iloc[j]
        if block and (pd.isna(ri["b"]) or ri["b"] != rj["b"]):
            continue
        if within_min is not None and abs((rj["t"] - ri["t"]) / pd.Timedelta(minutes=1)) > within_min:
            continue
        if max_m is not None and cl.haversine_m(ri["lat"], ri["lon"], rj["lat"], rj["lon"]) > max_m:
            continue
        pairs.add((i, j))
    return pairs


@st.composite
def points(draw):
    n = draw(st.integers(0, 35))
    b = draw(st.lists(st.sampled_from(["p", "q", None]), min_size=n, max_size=n))
    minutes = draw(st.lists(st.integers(0, 600), min_size=n, max_size=n))
    # a small area (about 1 km), so many pairs fall near the distance limit
    dlat = draw(st.lists(st.integers(0, 100), min_size=n, max_size=n))
    dlon = draw(st.lists(st.integers(0, 100), min_size=n, max_size=n))
    return pd.DataFrame({
        "b": pd.Series(b, dtype=object),
        "t": pd.Timestamp("2024-03-01") + pd.to_timedelta(minutes, unit="m"),
        "lat": -2.5 + np.array(dlat, dtype=float) * 1e-4,
        "lon": 31.2 + np.array(dlon, dtype=float) * 1e-4,
    })


@SETTINGS
@given(points(), st.sampled_from(["time+place", "place", "block", "time"]), st.integers(5, 300),
       st.floats(20, 800))
def test_near_duplicate_pairs_equal_the_full_cross_product_check(df, mode, within, metres):
    kwargs = {}
    use_block = mode in ("time+place", "block") or mode == "place"
    if use_block:
        kwargs["block"] = "b"
    if "time" in mode:
        kwargs.update(time="t", within=within)
    if "place" in mode:
        kwargs.update(lat="lat", lon="lon", max_metres=metres)
    before = df.copy()
    nd = cl.find_near_duplicates(df, **kwargs)
    pd.testing.assert_frame_equal(df, before)
    got = {(int(a), int(b)) for a, b in nd.pairs[["pos_a", "pos_b"]].itertuples(index=False)}
    expected = brute_pairs(df, use_block, within if "time" in mode else None, metres if "place" in mode else None)
    assert got == expected
    # a record with no near duplicate is never dropped, and one record per cluster is kept
    paired = {p for pair in expected for p in pair}
    dropped = set(np.flatnonzero(nd.duplicate.to_numpy()))
    assert not (dropped - paired)
    assert len(df) - len(dropped) == nd.cluster.nunique()


# -- values -----------------------------------------------------------------------------------------
FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%B %d, %Y", "%d-%b-%y"]


@SETTINGS
@given(st.lists(st.tuples(st.dates(min_value=pd.Timestamp("2000-01-01").date(),
                                   max_value=pd.Timestamp("2068-12-31").date()),
                          st.sampled_from(FORMATS)), max_size=30))
def test_parse_dates_reads_back_every_date_written_in_a_listed_format(values):
    df = pd.DataFrame({"d": pd.Series([d.strftime(f) for d, f in values], dtype=object)})
    data, step = cl.parse_dates(df, "d", FORMATS)
    assert data["d"].tolist() == [pd.Timestamp(d) for d, _ in values]
    assert "unparsed" not in step.details["format"].tolist()


@SETTINGS
@given(st.lists(st.one_of(st.integers(-100, 100), st.sampled_from(["n/a", "N/A", "x", "-99"])), max_size=40))
def test_set_missing_changes_only_the_declared_codes(values):
    df = pd.DataFrame({"v": pd.Series(values, dtype=object)})
    data, step = cl.set_missing(df, {"v": [-99, "n/a"]})
    is_code = [v == -99 or (isinstance(v, str) and v.strip().lower() in ("n/a", "-99")) for v in values]
    assert data["v"].isna().tolist() == is_code
    kept = [v for v, c in zip(values, is_code) if not c]
    assert data["v"].dropna().tolist() == kept
    assert step.cells_changed == sum(is_code)


@SETTINGS
@given(st.lists(st.sampled_from(["yes", "Yes", "Y", "y ", "no", "NO", "N", None, "maybe", "1", "0"]), max_size=40))
def test_keep_consented_keeps_exactly_the_yes_answers(answers):
    df = pd.DataFrame({"consent": pd.Series(answers, dtype=object)})
    data, step = cl.keep_consented(df)
    expected = [i for i, a in enumerate(answers) if a is not None and a.strip().lower() in ("yes", "y", "1")]
    assert data.index.tolist() == expected
    assert int(step.details["records"].sum()) == len(answers)
