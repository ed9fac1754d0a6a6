"""Invariants of the privacy measures and methods, checked on random frames (hypothesis).

The measures are cross-checked against a reference written differently: a pairwise comparison of
every record with every other, which is what the missing-value rules mean, with no grouping at all.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdcourse import privacy

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
QIS = ["a", "b", "c"]


@st.composite
def frames(draw, min_rows=1, max_rows=30, missing=True):
    n = draw(st.integers(min_rows, max_rows))
    cell = lambda values: st.one_of(st.sampled_from(values), st.none()) if missing else st.sampled_from(values)  # noqa: E731
    a = draw(st.lists(cell([1, 2, 3]), min_size=n, max_size=n))
    b = draw(st.lists(cell(["x", "y"]), min_size=n, max_size=n))
    c = draw(st.lists(cell([True, False]), min_size=n, max_size=n))
    s = draw(st.lists(st.sampled_from(["p", "q", "r"]), min_size=n, max_size=n))
    w = draw(st.lists(st.floats(1.0, 50.0), min_size=n, max_size=n))
    return pd.DataFrame({"a": pd.array(a, dtype="Int64"), "b": pd.Series(b, dtype=object),
                         "c": pd.array(c, dtype="boolean"), "s": s, "w": w})


def _reference_fk(df: pd.DataFrame, rule: str) -> list[float | None]:
    """Records each record cannot be told apart from, by comparing every pair."""
    rows = [tuple(None if pd.isna(v) else v for v in r) for r in df[QIS].itertuples(index=False)]
    out = []
    for x in rows:
        if rule == "drop" and None in x:
            out.append(None)
            continue
        count = 0
        for y in rows:
            if rule == "drop" and None in y:
                continue
            if rule == "wildcard":
                same = all(u is None or v is None or u == v for u, v in zip(x, y))
            else:
                same = x == y
            count += same
        out.append(count)
    return out


@SETTINGS
@given(frames(), st.sampled_from(["category", "wildcard", "drop"]))
def test_class_sizes_match_a_pairwise_reference(df, rule):
    ref = _reference_fk(df, rule)
    if all(r is None for r in ref):
        return
    fk = privacy.individual_risk(df, QIS, missing=rule).records["fk"]
    for got, want in zip(fk, ref):
        assert (np.isnan(got) and want is None) or got == want
    assert privacy.k_anonymity(df, QIS, missing=rule) == min(r for r in ref if r is not None)


@SETTINGS
@given(frames())
def test_wildcard_never_gives_a_smaller_class_than_category(df):
    cat = privacy.individual_risk(df, QIS, missing="category").records["fk"]
    wild = privacy.individual_risk(df, QIS, missing="wildcard").records["fk"]
    assert (wild >= cat).all()


@SETTINGS
@given(frames(missing=False))
def test_without_missing_values_the_three_rules_agree(df):
    ks = {rule: privacy.k_anonymity(df, QIS, missing=rule) for rule in privacy.MISSING_RULES}
    assert len(set(ks.values())) == 1


@SETTINGS
@given(frames(), st.sampled_from(["category", "wildcard"]))
def test_risk_is_a_probability_and_the_summaries_add_up(df, rule):
    r = privacy.individual_risk(df, QIS, weight="w", missing=rule)
    risk = r.records["risk"]
    assert ((risk > 0) & (risk <= 1)).all()
    assert r.expected_reidentifications == pytest.approx(risk.sum())
    assert r.global_risk == pytest.approx(risk.mean())


@SETTINGS
@given(frames(min_rows=2), st.sampled_from(["category", "wildcard"]))
def test_l_and_t_stay_in_their_ranges(df, rule):
    classes = privacy.equivalence_classes(df, QIS, sensitive="s", missing=rule)
    assert (classes["l_distinct"] >= 1).all() and (classes["l_distinct"] <= 3).all()
    assert (classes["l_entropy"] <= classes["l_distinct"] + 1e-9).all()
    assert (classes["l_recursive"] <= classes["l_distinct"]).all()
    assert ((classes["t"] >= 0) & (classes["t"] <= 1)).all()


@SETTINGS
@given(frames(min_rows=3), st.integers(1, 4), st.sampled_from(["category", "wildcard", "drop"]),
       st.sampled_from([None, ["a", "b", "c"], ["c", "a"]]))
def test_suppression_reaches_k_adds_no_row_and_leaves_the_input_alone(df, k, rule, importance):
    if len(df) < k:
        return
    before = df.copy()
    res = privacy.suppress_to_k(df, QIS, k=k, missing=rule, importance=importance)
    pd.testing.assert_frame_equal(df, before)
    assert len(res.data) == len(df) and res.data.index.equals(df.index)
    # only quasi-identifier cells change, and only from known to missing
    pd.testing.assert_frame_equal(res.data[["s", "w"]], df[["s", "w"]])
    for col in QIS:
        was, now = df[col], res.data[col]
        assert not (was.isna() & now.notna()).any()
        kept = now.notna()
        assert (now[kept].astype(object) == was[kept].astype(object)).all()
    complete_left = res.data[QIS].notna().all(axis=1).any()
    if rule != "drop" or complete_left:
        assert privacy.k_anonymity(res.data, QIS, missing=rule) >= k
        assert res.k_achieved >= k
    assert res.n_changed == int((df[QIS].notna() & res.data[QIS].isna()).to_numpy().sum())


@SETTINGS
@given(st.lists(st.sampled_from(["tap", "well", "river", "rain"]), min_size=2, max_size=60),
       st.floats(0.0, 1.0))
def test_invariant_pram_matrices_preserve_the_observed_counts(values, keep):
    s = pd.Series(values)
    R = privacy.pram_matrix(s, keep=keep, invariant=True)
    t = s.value_counts().reindex(R.index).to_numpy(dtype=float)
    np.testing.assert_allclose(t @ R.to_numpy(), t, atol=1e-9)
    np.testing.assert_allclose(R.to_numpy().sum(axis=1), 1.0, atol=1e-12)


@SETTINGS
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=3, max_size=80), st.integers(1, 5))
def test_microaggregation_keeps_the_total_and_groups_of_k(values, k):
    if len(values) < k:
        return
    df = pd.DataFrame({"x": values})
    new = privacy.microaggregate(df, "x", k=k).data["x"]
    assert new.sum() == pytest.approx(df["x"].sum(), rel=1e-9, abs=1e-3)
    assert new.value_counts().min() >= k


@SETTINGS
@given(st.lists(st.integers(0, 40), min_size=2, max_size=6), st.lists(st.integers(0, 40), min_size=2, max_size=6),
       st.integers(1, 5))
def test_secondary_suppression_never_leaves_a_lone_hidden_cell(row_a, row_b, n):
    width = min(len(row_a), len(row_b))
    inner = pd.DataFrame([row_a[:width], row_b[:width], [3] * width])
    table = inner.copy()
    table["All"] = inner.sum(axis=1)
    table.loc["All"] = table.sum(axis=0)
    res = privacy.secondary_suppression(privacy.frequency_rule(table, n=n))
    hidden = res.suppressed.to_numpy()
    for counts in (hidden.sum(axis=0), hidden.sum(axis=1)):
        assert all(c != 1 for c in counts)
    assert (res.primary.to_numpy() <= hidden).all()
