"""Weighted estimation with Taylor-linearised standard errors.

Cross-checked three ways: an independent brute-force computation written with explicit loops over strata
and PSUs (below), textbook identities (Cochran 1977), and hand-worked numbers.
"""
from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from cdcourse import sampling
from cdcourse.errors import CdcourseError


# --------------------------------------------------------------------------------------------------
# An independent reference: the textbook formula, one stratum and one PSU at a time, no numpy tricks.
# --------------------------------------------------------------------------------------------------
def brute_force(records, *, statistic="mean", domain=None, fractions=None):
    """(estimate, variance) from a list of dicts with keys y, w, h, psu, d (domain label).

    For a domain, records outside it keep their place in the design with a linearised value of zero.
    """
    flags = [(domain is None or r["d"] == domain) and r["y"] is not None for r in records]
    inside = [r for r, flag in zip(records, flags) if flag]
    total_w = sum(r["w"] for r in inside)
    total_wy = sum(r["w"] * r["y"] for r in inside)
    mean = total_wy / total_w
    estimate = total_wy if statistic == "total" else mean
    psu_totals = defaultdict(lambda: defaultdict(float))  # stratum -> psu -> total of z
    for r, in_domain in zip(records, flags):
        if statistic == "total":
            z = r["w"] * r["y"] if in_domain else 0.0
        else:
            z = r["w"] * (r["y"] - mean) / total_w if in_domain else 0.0
        psu_totals[r["h"]][r["psu"]] += z
    variance = 0.0
    for h, psus in psu_totals.items():
        n_h = len(psus)
        average = sum(psus.values()) / n_h
        squares = sum((t - average) ** 2 for t in psus.values())
        f = (fractions or {}).get(h, 0.0)
        variance += (1 - f) * n_h / (n_h - 1) * squares
    return estimate, variance


def make_design(seed=0, strata=5):
    rng = np.random.default_rng(seed)
    rows = []
    for h in range(strata):
        for c in range(rng.integers(2, 7)):
            size = rng.integers(3, 25)
            effect = rng.normal(0, 2)
            for _ in range(size):
                rows.append({
                    "stratum": f"S{h}", "psu": f"C{c}",  # PSU labels repeat across strata: nested
                    "w": float(rng.uniform(5, 50)),
                    "y": float(10 + h + effect + rng.normal(0, 3)),
                    "flag": bool(rng.random() < 0.3 + 0.1 * h),
                    "group": rng.choice(["a", "b", "c"], p=[0.5, 0.3, 0.2]),
                })
    return pd.DataFrame(rows)


def records_of(df, y="y"):
    return [{"y": (None if pd.isna(getattr(r, y)) else float(getattr(r, y))), "w": r.w, "h": r.stratum,
             "psu": (r.stratum, r.psu), "d": r.group} for r in df.itertuples()]


@pytest.fixture(scope="module")
def design():
    return make_design()


def test_mean_and_se_match_the_brute_force_reference(design):
    est = sampling.estimate_mean(design, "y", "w", strata="stratum", psu="psu")
    ref, var = brute_force(records_of(design))
    assert est.estimate == pytest.approx(ref, rel=1e-12)
    assert est.se == pytest.approx(math.sqrt(var), rel=1e-10)


def test_total_and_se_match_the_brute_force_reference(design):
    est = sampling.estimate_total(design, "y", "w", strata="stratum", psu="psu")
    ref, var = brute_force(records_of(design), statistic="total")
    assert est.estimate == pytest.approx(ref, rel=1e-12)
    assert est.se == pytest.approx(math.sqrt(var), rel=1e-10)


def test_proportion_is_the_mean_of_the_indicator(design):
    est = sampling.estimate_proportion(design, "flag", "w", strata="stratum", psu="psu")
    ref, var = brute_force(records_of(design.assign(flag=design["flag"].astype(float)), y="flag"))
    assert est.estimate == pytest.approx(ref, rel=1e-12)
    assert est.se == pytest.approx(math.sqrt(var), rel=1e-10)


@pytest.mark.parametrize("statistic", ["mean", "total"])
def test_domain_estimates_keep_the_whole_design(design, statistic):
    func = sampling.estimate_mean if statistic == "mean" else sampling.estimate_total
    table = func(design, "y", "w", strata="stratum", psu="psu", by="group")
    assert table.domains == ["a", "b", "c"]
    for level in ("a", "b", "c"):
        ref, var = brute_force(records_of(design), statistic=statistic, domain=level)
        assert table[level].estimate == pytest.approx(ref, rel=1e-12)
        assert table[level].se == pytest.approx(math.sqrt(var), rel=1e-10)


def test_domain_se_differs_from_subsetting_the_design_when_a_domain_misses_psus():
    # Domain "b" is absent from some PSUs. Subsetting drops those PSUs (and whole strata in the worst
    # case), which understates the variance; keeping them with zeros is the correct domain estimator.
    df = make_design(seed=3)
    df.loc[df["psu"] == "C0", "group"] = "a"
    table = sampling.estimate_mean(df, "y", "w", strata="stratum", psu="psu", by="group")
    subset = df[df["group"] == "b"]
    wrong = sampling.estimate_mean(subset, "y", "w", strata="stratum", psu="psu", lonely_psu="certainty")
    assert table["b"].estimate == pytest.approx(wrong.estimate)
    assert table["b"].se != pytest.approx(wrong.se, rel=1e-3)
    ref, var = brute_force(records_of(df), domain="b")
    assert table["b"].se == pytest.approx(math.sqrt(var), rel=1e-10)


def test_domain_totals_add_up_to_the_overall_total(design):
    table = sampling.estimate_total(design, "y", "w", strata="stratum", psu="psu", by="group")
    overall = sampling.estimate_total(design, "y", "w", strata="stratum", psu="psu")
    assert table.to_frame()["estimate"].sum() == pytest.approx(overall.estimate)
    assert table.to_frame()["population_size"].sum() == pytest.approx(design["w"].sum())


def test_fpc_matches_brute_force_and_reduces_the_se(design):
    n_psu = design.groupby("stratum")["psu"].nunique()
    population_psus = (n_psu * 3).to_dict()
    df = design.assign(N_psu=design["stratum"].map(population_psus))
    with_fpc = sampling.estimate_mean(df, "y", "w", strata="stratum", psu="psu", fpc="N_psu")
    without = sampling.estimate_mean(df, "y", "w", strata="stratum", psu="psu")
    ref, var = brute_force(records_of(df), fractions={h: 1 / 3 for h in population_psus})
    assert with_fpc.se == pytest.approx(math.sqrt(var), rel=1e-10)
    assert with_fpc.se == pytest.approx(without.se * math.sqrt(2 / 3), rel=1e-10)
    # the same correction given as a sampling fraction
    as_fraction = sampling.estimate_mean(df.assign(f=1 / 3), "y", "w", strata="stratum", psu="psu", fpc="f")
    assert as_fraction.se == pytest.approx(with_fpc.se)


# --------------------------------------------------------------------------------------------------
# A reference implementation: samplics 0.4.34 (TaylorEstimator), run once on the data below.
# samplics is not a dependency (unmaintained; pins old numpy/pandas), so its answers are pinned here.
# Note: samplics' ``fpc`` argument is the factor 1 - f itself (here 1 - 3/10, 1 - 4/8, 1 - 2/5).
# --------------------------------------------------------------------------------------------------
SMALL = {
    "h": list("AAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCC"),
    "psu": ["A0"] * 3 + ["A1"] * 6 + ["A2"] * 6 + ["B0"] * 4 + ["B1"] * 6 + ["B2"] * 3 + ["B3"] * 3
           + ["C0"] * 5 + ["C1"] * 3,
    "w": [20.4, 31.6, 37.4, 24.4, 17.4, 21.3, 38.9, 9.5, 34.1, 15.1, 32.5, 24.9, 24.8, 15.6, 34.9, 28.2, 33.5,
          21.2, 20.6, 9.1, 38.9, 8.4, 25.3, 20.1, 19.6, 8.6, 17.1, 32.4, 21.6, 5.8, 8.8, 31.9, 24.4, 38.4, 10.8,
          31.2, 28.2, 37.8, 11.3],
    "y": [28.4, 12.9, 17.5, 7.1, 38.0, 21.8, 10.9, 8.0, 5.7, 30.6, 26.2, 13.4, 12.7, 12.6, 5.9, 11.7, 9.5, 11.3,
          15.4, 6.8, 12.5, 12.7, 10.1, 17.0, 19.7, 5.5, 26.3, 30.0, 20.4, 34.6, 11.1, 32.8, 62.0, 22.1, 11.5,
          18.8, 35.4, 4.5, 43.5],
    "b": [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1, 0,
          0, 0, 0, 1],
    "d": list("xyyxyxyyxyyyxyyyxxyyyyxyyxyxyxxyyxxyyyy"),
}


def test_agrees_with_samplics_taylor_estimator():
    df = pd.DataFrame(SMALL).assign(N=lambda d: d["h"].map({"A": 10, "B": 8, "C": 5}))
    design = dict(strata="h", psu="psu")
    mean = sampling.estimate_mean(df, "y", "w", **design)
    assert (mean.estimate, mean.se) == pytest.approx((18.372205240174672, 1.9932564344033676), rel=1e-12)
    total = sampling.estimate_total(df, "y", "w", **design)
    assert (total.estimate, total.se) == pytest.approx((16828.94, 2655.526007253553), rel=1e-12)
    share = sampling.estimate_proportion(df, "b", "w", **design)
    assert (share.estimate, share.se) == pytest.approx((0.46015283842794763, 0.06356300258734805), rel=1e-12)
    table = sampling.estimate_mean(df, "y", "w", **design, by="d")
    assert (table["x"].estimate, table["x"].se) == pytest.approx((15.591058747579082, 2.7456634492388177), rel=1e-12)
    assert (table["y"].estimate, table["y"].se) == pytest.approx((19.793516991092048, 2.354201620392438), rel=1e-12)
    assert sampling.estimate_mean(df, "y", "w", **design, fpc="N").se == pytest.approx(1.5140126704568297, rel=1e-12)


# --------------------------------------------------------------------------------------------------
# Textbook identities
# --------------------------------------------------------------------------------------------------
def test_srs_proportion_se_is_sqrt_pq_over_n_minus_one():
    # Equal weights, no strata, no clusters: the linearised variance is p(1-p)/(n-1) (Cochran 1977, 3.2
    # with the with-replacement approximation).
    y = np.r_[np.ones(37), np.zeros(63)]
    df = pd.DataFrame({"y": y, "w": 50.0})
    est = sampling.estimate_proportion(df, "y", "w")
    assert est.estimate == pytest.approx(0.37)
    assert est.se == pytest.approx(math.sqrt(0.37 * 0.63 / 99), rel=1e-12)


def test_srs_with_fpc_multiplies_the_variance_by_one_minus_f():
    y = np.r_[np.ones(37), np.zeros(63)]
    df = pd.DataFrame({"y": y, "w": 10.0, "N": 1000})
    est = sampling.estimate_proportion(df, "y", "w", fpc="N")
    assert est.se == pytest.approx(math.sqrt((1 - 100 / 1000) * 0.37 * 0.63 / 99), rel=1e-12)
    # and the design effect against SRS without replacement is (n-1)/n x ... = exactly 1 here
    assert est.deff == pytest.approx(1.0)


def test_stratified_srs_variance_is_cochrans_formula():
    # Cochran (1977), Theorem 5.3: V(ybar_st) = sum (N_h/N)^2 (1 - f_h) s_h^2 / n_h, when the weights are
    # N_h / n_h (so the estimated population size is exact and the ratio mean is the stratified mean).
    rng = np.random.default_rng(5)
    N_h = {"A": 400, "B": 250, "C": 350}
    n_h = {"A": 20, "B": 12, "C": 30}
    parts = [pd.DataFrame({"h": h, "y": rng.normal(10 * i, 2 + i, n_h[h]), "w": N_h[h] / n_h[h], "N": N_h[h]})
             for i, h in enumerate(N_h)]
    df = pd.concat(parts, ignore_index=True)
    est = sampling.estimate_mean(df, "y", "w", strata="h", fpc="N")
    N = sum(N_h.values())
    var = sum((N_h[h] / N) ** 2 * (1 - n_h[h] / N_h[h]) * df[df.h == h]["y"].var(ddof=1) / n_h[h] for h in N_h)
    assert est.se == pytest.approx(math.sqrt(var), rel=1e-10)
    total = sampling.estimate_total(df, "y", "w", strata="h", fpc="N")
    assert total.se == pytest.approx(N * math.sqrt(var), rel=1e-10)


def test_hand_worked_two_strata_two_psus_example():
    # y = 1..6, weight 10; stratum a = PSUs {1,2},{3}; stratum b = {4},{5,6}. Mean 3.5, W = 60.
    # z = (y - 3.5)/6; PSU totals a: -4/6, -0.5/6 (mean -2.25/6), b: 0.5/6, 4/6 (mean 2.25/6).
    # V = 2 x [2 (1.75/6)^2] x 2 strata = 8 (1.75/6)^2 = 0.68056; SE = 0.82496.
    df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5, 6], "w": 10.0, "s": list("aaabbb"), "c": [1, 1, 2, 3, 4, 4]})
    est = sampling.estimate_mean(df, "y", "w", strata="s", psu="c")
    assert est.se == pytest.approx(math.sqrt(8) * 1.75 / 6, rel=1e-12)
    assert est.df == 2  # 4 PSUs - 2 strata
    t = stats.t.ppf(0.975, 2)
    assert est.ci == pytest.approx((3.5 - t * est.se, 3.5 + t * est.se))


def test_normal_interval_option_uses_z(design):
    est = sampling.estimate_mean(design, "y", "w", strata="stratum", psu="psu", ci="normal", confidence=0.9)
    assert est.df is None
    assert est.ci[1] - est.estimate == pytest.approx(stats.norm.ppf(0.95) * est.se)


def test_frequency_weight_se_understates_the_survey_se():
    # Treating survey weights as frequency weights (as statsmodels' DescrStatsW does) pretends we
    # interviewed sum(w) people: the "standard error" is sqrt(p(1-p)/(sum w - 1)), far too small, and it
    # ignores the clustering altogether.
    rng = np.random.default_rng(11)
    cluster_effect = rng.normal(0, 1.5, 40)
    rows = [(c, int(rng.random() < 1 / (1 + math.exp(-cluster_effect[c])))) for c in range(40) for _ in range(15)]
    df = pd.DataFrame(rows, columns=["cluster", "y"]).assign(w=120.0)
    survey = sampling.estimate_proportion(df, "y", "w", psu="cluster")
    p = survey.estimate
    frequency_se = math.sqrt(p * (1 - p) / (df["w"].sum() - 1))
    assert frequency_se < survey.se / 10
    assert survey.deff > 2  # clustering costs precision, which frequency weights cannot see


def test_design_effect_matches_r_survey_definition(design):
    # deff = V_design / V_srswor with V_srswor = (1 - n/N) S^2 / n and S^2 the weighted variance with
    # n/(n-1) (R survey's svymean(..., deff=TRUE)).
    est = sampling.estimate_mean(design, "y", "w", strata="stratum", psu="psu")
    w, y = design["w"].to_numpy(), design["y"].to_numpy()
    n, N = len(y), w.sum()
    mean = (w * y).sum() / N
    s2 = (w * (y - mean) ** 2).sum() / N * n / (n - 1)
    assert est.deff == pytest.approx(est.se**2 / ((1 - n / N) * s2 / n), rel=1e-10)
    assert est.cv == pytest.approx(est.se / est.estimate)


def test_ci_coverage_is_close_to_nominal_under_repeated_sampling():
    # 400 stratified cluster samples from a fixed population: about 95% of the intervals cover the truth.
    rng = np.random.default_rng(2024)
    H, C, M = 6, 40, 20
    cluster_mean = rng.normal(0, 1, (H, C)) + np.arange(H)[:, None]
    pop_y = cluster_mean[..., None] + rng.normal(0, 2, (H, C, M))
    truth = pop_y.mean()
    covered = 0
    for _ in range(400):
        picks = [rng.choice(C, 5, replace=False) for _ in range(H)]
        rows = [(h, c, y) for h in range(H) for c in picks[h] for y in pop_y[h, c]]
        df = pd.DataFrame(rows, columns=["h", "c", "y"]).assign(w=C / 5)
        est = sampling.estimate_mean(df, "y", "w", strata="h", psu="c")
        covered += est.ci[0] <= truth <= est.ci[1]
    assert 0.91 <= covered / 400 <= 0.99


# --------------------------------------------------------------------------------------------------
# Missing values, lonely PSUs, categorical levels
# --------------------------------------------------------------------------------------------------
def test_missing_y_is_outside_the_domain_and_reported(design):
    df = design.copy()
    df.loc[df.index[::7], "y"] = np.nan
    est = sampling.estimate_mean(df, "y", "w", strata="stratum", psu="psu")
    ref, var = brute_force(records_of(df))
    assert est.estimate == pytest.approx(ref) and est.se == pytest.approx(math.sqrt(var), rel=1e-10)
    assert est.n_missing == len(df.index[::7]) and est.n == len(df) - est.n_missing
    assert "no value" in est.summary()
    with pytest.raises(CdcourseError, match="^y column 'y' has .* missing"):
        sampling.estimate_mean(df, "y", "w", missing="error")


def lonely_design():
    df = make_design(seed=1)
    keep = ~((df["stratum"] == "S0") & (df["psu"] != "C0"))  # stratum S0 keeps one PSU
    return df[keep].reset_index(drop=True)


def test_lonely_psu_is_an_error_by_default_naming_the_stratum():
    with pytest.raises(CdcourseError, match="stratum S0 has only one PSU.*lonely_psu="):
        sampling.estimate_mean(lonely_design(), "y", "w", strata="stratum", psu="psu")


def test_lonely_psu_certainty_and_remove_drop_its_contribution():
    df = lonely_design()
    certainty = sampling.estimate_mean(df, "y", "w", strata="stratum", psu="psu", lonely_psu="certainty")
    removed = sampling.estimate_mean(df, "y", "w", strata="stratum", psu="psu", lonely_psu="remove")
    assert certainty.se == removed.se
    # brute force: linearised values from the whole sample, summed over every stratum except the lonely one
    W = df["w"].sum()
    by_psu = defaultdict(lambda: defaultdict(float))
    for r in records_of(df):
        by_psu[r["h"]][r["psu"]] += r["w"] * (r["y"] - certainty.estimate) / W
    var = sum(len(p) / (len(p) - 1) * sum((t - np.mean(list(p.values()))) ** 2 for t in p.values())
              for h, p in by_psu.items() if h != "S0")
    assert certainty.se == pytest.approx(math.sqrt(var), rel=1e-10)


def test_lonely_psu_adjust_centres_at_the_grand_mean_and_average_scales_up():
    df = lonely_design()
    certainty = sampling.estimate_mean(df, "y", "w", strata="stratum", psu="psu", lonely_psu="certainty")
    adjust = sampling.estimate_mean(df, "y", "w", strata="stratum", psu="psu", lonely_psu="adjust")
    average = sampling.estimate_mean(df, "y", "w", strata="stratum", psu="psu", lonely_psu="average")
    # For a mean the linearised values sum to 0, so the grand mean of PSU totals is 0 (as in R):
    # the lonely PSU adds its squared total.
    lonely = df[df["stratum"] == "S0"]
    z_total = (lonely["w"] * (lonely["y"] - certainty.estimate)).sum() / df["w"].sum()
    assert adjust.se**2 == pytest.approx(certainty.se**2 + z_total**2, rel=1e-10)
    H = df["stratum"].nunique()
    assert average.se**2 == pytest.approx(certainty.se**2 * H / (H - 1), rel=1e-10)


def test_single_psu_stratum_taken_whole_is_not_lonely():
    df = lonely_design()
    df["N_psu"] = df.groupby("stratum")["psu"].transform("nunique") * 2
    df.loc[df["stratum"] == "S0", "N_psu"] = 1  # the only PSU of S0 is the whole stratum
    est = sampling.estimate_mean(df, "y", "w", strata="stratum", psu="psu", fpc="N_psu")
    assert est.se > 0


def test_proportion_of_a_category_with_level(design):
    est = sampling.estimate_proportion(design, "group", "w", level="b")
    w = design["w"]
    assert est.estimate == pytest.approx(w[design.group == "b"].sum() / w.sum())
    assert est.variable == "group = b"


def test_proportions_of_all_levels_sum_to_one(design):
    shares = [sampling.estimate_proportion(design, "group", "w", level=g).estimate for g in "abc"]
    assert sum(shares) == pytest.approx(1.0)


def test_boolean_columns_with_missing_values(design):
    df = design.assign(flag=design["flag"].astype("boolean"))
    df.loc[df.index[:10], "flag"] = pd.NA
    est = sampling.estimate_proportion(df, "flag", "w", strata="stratum", psu="psu")
    assert est.n == len(df) - 10 and est.n_missing == 10


def test_by_with_categorical_column_and_missing_domain_value(design):
    df = design.assign(group=pd.Categorical(design["group"], categories=["c", "b", "a", "unused"]))
    df.loc[df.index[:5], "group"] = np.nan
    table = sampling.estimate_mean(df, "y", "w", strata="stratum", psu="psu", by="group")
    assert table.domains == ["c", "b", "a"]  # category order, observed only
    assert table.to_frame()["n"].sum() == len(df) - 5


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------
def test_estimate_result_frame_html_and_plain_language(design):
    est = sampling.estimate_proportion(design, "flag", "w", strata="stratum", psu="psu")
    frame = est.to_frame()
    assert list(frame.columns) == ["statistic", "variable", "estimate", "se", "ci_low", "ci_high", "cv", "deff",
                                   "n", "population_size"]
    assert est.margin_of_error == pytest.approx((est.ci[1] - est.ci[0]) / 2)
    html = est._repr_html_()
    assert "<table" in html and "confidence interval" in html and "%" in html
    assert str(est).startswith("Estimated share with flag")


def test_domain_table_frame_indexing_and_html(design):
    table = sampling.estimate_mean(design, "y", "w", strata="stratum", psu="psu", by="group")
    frame = table.to_frame()
    assert list(frame.columns) == ["group", "estimate", "se", "ci_low", "ci_high", "cv", "deff", "n",
                                   "population_size"]
    assert len(table) == 3 and [e.domain for e in table] == ["a", "b", "c"]
    assert table["a"].by == "group" and "group = a" in table["a"].summary()
    assert "3 domains of group" in table._repr_html_()
    with pytest.raises(KeyError, match="'z' is not a domain"):
        table["z"]


def test_input_is_not_modified(design):
    before = design.copy()
    sampling.estimate_mean(design, "y", "w", strata="stratum", psu="psu", by="group")
    sampling.estimate_proportion(design, "group", "w", level="a")
    pd.testing.assert_frame_equal(design, before)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.floats(0.1, 100))
def test_scaling_weights_changes_totals_but_not_means(seed, scale):
    df = make_design(seed=seed, strata=3)
    a = sampling.estimate_mean(df, "y", "w", strata="stratum", psu="psu")
    b = sampling.estimate_mean(df.assign(w=df["w"] * scale), "y", "w", strata="stratum", psu="psu")
    assert b.estimate == pytest.approx(a.estimate) and b.se == pytest.approx(a.se)
    t = sampling.estimate_total(df.assign(w=df["w"] * scale), "y", "w", strata="stratum", psu="psu")
    assert t.se == pytest.approx(sampling.estimate_total(df, "y", "w", strata="stratum", psu="psu").se * scale)


def test_large_design_without_psus_and_many_domains_uses_the_sparse_path(monkeypatch):
    # each row its own PSU and 40 domains: 200k x 40 cells, above the dense threshold
    from cdcourse.sampling import _design

    rng = np.random.default_rng(0)
    n = 200_000
    df = pd.DataFrame({"y": rng.normal(size=n), "w": rng.uniform(1, 3, n), "d": rng.integers(0, 40, n),
                       "h": rng.integers(0, 10, n)})
    assert n * 40 > _design._DENSE_CELLS
    sparse = sampling.estimate_mean(df, "y", "w", strata="h", by="d").to_frame()
    monkeypatch.setattr(_design, "_DENSE_CELLS", 10**9)
    dense = sampling.estimate_mean(df, "y", "w", strata="h", by="d").to_frame()
    pd.testing.assert_frame_equal(sparse, dense, rtol=1e-9)
    # and the dense path against the brute-force reference on a part of it
    small = df[df["h"] < 1]
    ref, var = brute_force([{"y": r.y, "w": r.w, "h": r.h, "psu": i, "d": r.d}
                            for i, r in enumerate(small.itertuples())], domain=5)
    assert sampling.estimate_mean(small, "y", "w", strata="h", by="d")[5].se == pytest.approx(math.sqrt(var), rel=1e-9)


# --------------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d.assign(w=np.where(d.index == 3, np.nan, d["w"])), r"^weight column 'w' has 1 missing"),
        (lambda d: d.assign(w=np.where(d.index == 3, 0.0, d["w"])), r"^weight column 'w' has 1 zero"),
        (lambda d: d.assign(w=np.where(d.index == 3, -1.0, d["w"])), r"^weight column 'w' has 1 negative"),
    ],
)
def test_bad_weights_are_errors_naming_the_column(design, change, message):
    with pytest.raises(CdcourseError, match=message):
        sampling.estimate_mean(change(design), "y", "w", strata="stratum", psu="psu")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(y="income"), r"^y 'income' is not a column"),
        (dict(weight="wt"), r"^weight 'wt' is not a column"),
        (dict(strata="district"), r"^strata 'district' is not a column"),
        (dict(psu="ea"), r"^psu 'ea' is not a column"),
        (dict(by="sex"), r"^by 'sex' is not a column"),
        (dict(fpc="N"), r"^fpc 'N' is not a column"),
        (dict(confidence=95), r"^confidence must be"),
        (dict(ci="wald"), r"^ci must be one of"),
        (dict(lonely_psu="fail"), r"^lonely_psu must be one of"),
        (dict(y="group"), r"^y column 'group' holds .* not numbers"),
    ],
)
def test_bad_estimation_arguments_name_the_parameter(design, kwargs, message):
    args = {"y": "y", "weight": "w", "strata": "stratum", "psu": "psu", **kwargs}
    with pytest.raises(CdcourseError, match=message):
        sampling.estimate_mean(design, **args)


def test_bad_proportion_input(design):
    with pytest.raises(CdcourseError, match=r"^y column 'y' is not 0/1 .* pass level="):
        sampling.estimate_proportion(design, "y", "w")
    with pytest.raises(CdcourseError, match=r"^level 'z' does not occur in y column 'group'"):
        sampling.estimate_proportion(design, "group", "w", level="z")


def test_missing_design_values_and_bad_fpc(design):
    df = design.copy()
    df.loc[2, "psu"] = None
    with pytest.raises(CdcourseError, match=r"^psu column 'psu' has 1 missing value\(s\) \(rows 2\)"):
        sampling.estimate_mean(df, "y", "w", strata="stratum", psu="psu")
    with pytest.raises(CdcourseError, match=r"fpc must be at least the number sampled"):
        sampling.estimate_mean(design.assign(N=2), "y", "w", strata="stratum", psu="psu", fpc="N")
    with pytest.raises(CdcourseError, match=r"varies within stratum"):
        sampling.estimate_mean(design.assign(N=np.arange(len(design)) + 100), "y", "w", strata="stratum",
                               psu="psu", fpc="N")
    with pytest.raises(CdcourseError, match=r"^data must be a pandas DataFrame"):
        sampling.estimate_mean([1, 2], "y", "w")
