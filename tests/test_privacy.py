"""Disclosure-risk measures: hand-worked examples (arithmetic in the comments), missing-value rules, bad input."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cdcourse import privacy
from cdcourse.errors import CdcourseError
from cdcourse.privacy.measures import benedetti_franconi_risk


# ---------------------------------------------------------------------------------------------
# k-anonymity
# ---------------------------------------------------------------------------------------------
def test_k_anonymity_is_the_smallest_class_size():
    # classes: (30, F) x3, (40, M) x1, (40, F) x1 -> smallest is 1
    df = pd.DataFrame({"age": [30, 30, 30, 40, 40], "sex": ["F", "F", "F", "M", "F"]})
    assert privacy.k_anonymity(df, ["age", "sex"]) == 1
    assert privacy.k_anonymity(df.iloc[:3], ["age", "sex"]) == 3
    # a single quasi-identifier: age 30 x3, age 40 x2 -> 2
    assert privacy.k_anonymity(df, ["age"]) == 2


def test_k_anonymity_accepts_a_result_object_with_data():
    df = pd.DataFrame({"age": [30, 30, 30, 41, 42], "sex": ["F"] * 5})
    res = privacy.suppress_to_k(df, ["age", "sex"], k=2)
    assert privacy.k_anonymity(res, ["age", "sex"]) >= 2


def test_k_anonymity_does_not_modify_its_input():
    df = pd.DataFrame({"age": [30, None, 40], "sex": ["F", "F", None]})
    before = df.copy()
    for rule in privacy.MISSING_RULES:
        privacy.k_anonymity(df, ["age", "sex"], missing=rule)
    pd.testing.assert_frame_equal(df, before)


# ---------------------------------------------------------------------------------------------
# the three missing-value rules on one small frame, worked by hand
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def holes():
    #      age  sex   w
    # r0   30   F    10
    # r1   30   F    10
    # r2   NA   F    20
    # r3   40   M     5
    # r4   NA   NA   50
    # r5   40   F     8
    return pd.DataFrame({
        "age": [30, 30, None, 40, None, 40],
        "sex": ["F", "F", "F", "M", None, "F"],
        "w": [10.0, 10.0, 20.0, 5.0, 50.0, 8.0],
    })


def test_category_rule_treats_missing_as_its_own_value(holes):
    # classes: (30,F)={r0,r1}, (NA,F)={r2}, (40,M)={r3}, (NA,NA)={r4}, (40,F)={r5}
    rec = privacy.individual_risk(holes, ["age", "sex"], missing="category").records
    assert rec["fk"].tolist() == [2, 2, 1, 1, 1, 1]
    assert privacy.k_anonymity(holes, ["age", "sex"], missing="category") == 1


def test_wildcard_rule_counts_every_compatible_record(holes):
    # compatible = equal wherever both are known:
    # r0 (30,F): r0 r1 r2 r4            -> 4     r1: same -> 4
    # r2 (NA,F): r0 r1 r2 r4 r5          -> 5     (r3 is M)
    # r3 (40,M): r3 r4                   -> 2
    # r4 (NA,NA): everybody              -> 6
    # r5 (40,F): r2 r4 r5                -> 3
    rec = privacy.individual_risk(holes, ["age", "sex"], missing="wildcard").records
    assert rec["fk"].tolist() == [4, 4, 5, 2, 6, 3]
    assert privacy.k_anonymity(holes, ["age", "sex"], missing="wildcard") == 2


def test_drop_rule_ignores_records_with_a_missing_value(holes):
    # kept: r0 r1 (30,F) = 2, r3 (40,M) = 1, r5 (40,F) = 1; r2 and r4 are not measured
    rec = privacy.individual_risk(holes, ["age", "sex"], missing="drop").records
    assert rec["fk"].iloc[[0, 1, 3, 5]].tolist() == [2, 2, 1, 1]
    assert rec["fk"].iloc[[2, 4]].isna().all()
    assert privacy.k_anonymity(holes, ["age", "sex"], missing="drop") == 1


def test_wildcard_population_estimate_sums_weights_of_compatible_records(holes):
    # r0: Fk = 10 + 10 + 20 + 50 = 90, fk = 4, p = 4/90 = 0.044444
    #     fk > 2: risk = p / (fk - (1 - p)) = 0.044444 / (4 - 0.955556) = 0.044444 / 3.044444 = 0.014599
    # r3: Fk = 5 + 50 = 55, fk = 2, p = 2/55 = 0.036364, odds = p/(1-p) = 0.037736
    #     risk = odds - odds^2 * ln(1/p) = 0.037736 - 0.001424 * 3.314186 = 0.033017
    rec = privacy.individual_risk(holes, ["age", "sex"], weight="w", missing="wildcard").records
    assert rec["Fk"].iloc[0] == pytest.approx(90.0)
    assert rec["risk"].iloc[0] == pytest.approx(0.014599, abs=1e-6)
    assert rec["Fk"].iloc[3] == pytest.approx(55.0)
    assert rec["risk"].iloc[3] == pytest.approx(0.033017, abs=1e-6)


def test_a_record_missing_every_quasi_identifier_matches_the_whole_file_under_wildcard():
    df = pd.DataFrame({"a": [1, 2, None], "b": ["x", "y", None]})
    rec = privacy.individual_risk(df, ["a", "b"], missing="wildcard").records
    assert rec["fk"].tolist() == [2, 2, 3]


def test_drop_rule_with_every_record_incomplete_is_an_error():
    df = pd.DataFrame({"a": [None, 1.0], "b": ["x", None]})
    with pytest.raises(CdcourseError, match="leaves no record"):
        privacy.k_anonymity(df, ["a", "b"], missing="drop")


# ---------------------------------------------------------------------------------------------
# l-diversity
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def two_classes():
    # class A (age 30): a a a b        class B (age 40): a b c c
    return pd.DataFrame({"age": [30] * 4 + [40] * 4, "s": list("aaab") + list("abcc")})


def test_distinct_l_diversity_is_the_fewest_different_values(two_classes):
    # A has {a, b} = 2, B has {a, b, c} = 3 -> 2
    assert privacy.l_diversity(two_classes, ["age"], "s") == 2


def test_entropy_l_diversity_by_hand(two_classes):
    # A: p = 3/4, 1/4: H = -(0.75 ln 0.75 + 0.25 ln 0.25) = 0.215762 + 0.346574 = 0.562335, e^H = 1.754765
    # B: p = 1/4, 1/4, 1/2: H = 2 * 0.346574 + 0.346574 = 1.039721, e^H = 2.828427
    assert privacy.l_diversity(two_classes, ["age"], "s", kind="entropy") == pytest.approx(1.754765, abs=1e-6)
    classes = privacy.equivalence_classes(two_classes, ["age"], sensitive="s").set_index("age")
    assert classes.loc[40, "l_entropy"] == pytest.approx(2.828427, abs=1e-6)


def test_recursive_l_diversity_by_hand(two_classes):
    # c = 2. A: counts 3, 1. l = 2 needs 3 < 2 * 1 = 2: no -> l = 1.
    #        B: counts 2, 1, 1. l = 2: 2 < 2 * (1 + 1) = 4 yes; l = 3: 2 < 2 * 1 = 2 no -> l = 2.
    classes = privacy.equivalence_classes(two_classes, ["age"], sensitive="s", c=2).set_index("age")
    assert classes.loc[30, "l_recursive"] == 1
    assert classes.loc[40, "l_recursive"] == 2
    assert privacy.l_diversity(two_classes, ["age"], "s", kind="recursive", c=2) == 1
    # c = 4: A: 3 < 4 * 1 = 4 yes -> 2;  B: l = 3: 2 < 4 * 1 = 4 yes -> 3
    classes4 = privacy.equivalence_classes(two_classes, ["age"], sensitive="s", c=4).set_index("age")
    assert classes4["l_recursive"].tolist() == [2, 3]


def test_missing_sensitive_values_are_left_out_of_the_distribution():
    df = pd.DataFrame({"age": [30, 30, 30, 40, 40], "s": ["a", "b", None, None, None]})
    # class 30 has {a, b}; class 40 has no known value and is ignored
    assert privacy.l_diversity(df, ["age"], "s") == 2
    classes = privacy.equivalence_classes(df, ["age"], sensitive="s").set_index("age")
    assert np.isnan(classes.loc[40, "l_distinct"])


# ---------------------------------------------------------------------------------------------
# t-closeness
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def schooling():
    # X: none none primary    Y: tertiary
    edu = pd.Categorical(["none", "none", "primary", "tertiary"],
                         categories=["none", "primary", "secondary", "tertiary"], ordered=True)
    return pd.DataFrame({"grp": ["X", "X", "X", "Y"], "edu": edu})


def test_t_closeness_ordered_by_hand(schooling):
    # observed values none < primary < tertiary (m = 3); overall q = (1/2, 1/4, 1/4), Q = (0.5, 0.75, 1)
    # X: p = (2/3, 1/3, 0), P = (0.6667, 1, 1): |P - Q| = 0.1667 + 0.25 + 0 = 0.41667; / (m - 1) = 0.208333
    # Y: p = (0, 0, 1),     P = (0, 0, 1):      |P - Q| = 0.5 + 0.75 + 0 = 1.25;       / 2 = 0.625
    classes = privacy.equivalence_classes(schooling, ["grp"], sensitive="edu").set_index("grp")
    assert classes.loc["X", "t"] == pytest.approx(0.208333, abs=1e-6)
    assert classes.loc["Y", "t"] == pytest.approx(0.625)
    assert privacy.t_closeness(schooling, ["grp"], "edu") == pytest.approx(0.625)


def test_t_closeness_nominal_uses_equal_distance(schooling):
    # X: 0.5 * (|2/3 - 1/2| + |1/3 - 1/4| + |0 - 1/4|) = 0.5 * (0.16667 + 0.08333 + 0.25) = 0.25
    # Y: 0.5 * (0.5 + 0.25 + 0.75) = 0.75
    assert privacy.t_closeness(schooling, ["grp"], "edu", ordered=False) == pytest.approx(0.75)
    classes = privacy.equivalence_classes(schooling, ["grp"], sensitive="edu", ordered=False).set_index("grp")
    assert classes.loc["X", "t"] == pytest.approx(0.25)


def test_t_closeness_takes_an_explicit_order_for_text_values():
    df = pd.DataFrame({"grp": ["X", "X", "X", "Y"], "edu": ["none", "none", "primary", "tertiary"]})
    assert privacy.t_closeness(df, ["grp"], "edu", ordered=["none", "primary", "secondary", "tertiary"]) == \
        pytest.approx(0.625)
    with pytest.raises(CdcourseError, match="leaves out tertiary"):
        privacy.t_closeness(df, ["grp"], "edu", ordered=["none", "primary"])
    with pytest.raises(CdcourseError, match="has no order"):
        privacy.t_closeness(df, ["grp"], "edu", ordered=True)


def _emd_reference(values: pd.Series, groups: pd.Series) -> float:
    """Ordered EMD written the textbook way: dense cumulative distributions, one group at a time."""
    overall = values.value_counts(normalize=True).sort_index()
    m = len(overall)
    worst = 0.0
    for _, part in values.groupby(groups):
        p = part.value_counts(normalize=True).reindex(overall.index, fill_value=0.0)
        worst = max(worst, float(np.abs(np.cumsum(p.to_numpy() - overall.to_numpy())).sum() / (m - 1)))
    return worst


def test_t_closeness_on_numbers_matches_a_dense_reference():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"g": rng.integers(0, 30, 2000), "income": rng.integers(0, 200, 2000).astype(float)})
    assert privacy.t_closeness(df, ["g"], "income") == pytest.approx(_emd_reference(df["income"], df["g"]), abs=1e-12)


# ---------------------------------------------------------------------------------------------
# individual and global risk (sdcMicro's Benedetti-Franconi approximation)
# ---------------------------------------------------------------------------------------------
def test_individual_risk_formula_by_hand():
    # fk = 1, Fk = 4:  p = 0.25, p/(1-p) = 1/3, ln(1/p) = 1.386294 -> 0.462098
    # fk = 2, Fk = 10: p = 0.2, odds = 0.25, 0.25 - 0.0625 * ln 5 = 0.25 - 0.0625 * 1.609438 = 0.149410
    # fk = 3, Fk = 30: p = 0.1, 0.1 / (3 - 0.9) = 0.047619
    # fk = 5, Fk = 5 (census): 1 / 5
    # fk = 2, Fk = 1.5 (weights below 1): treated as a census, 1 / 2
    got = benedetti_franconi_risk(np.array([1, 2, 3, 5, 2]), np.array([4, 10, 30, 5, 1.5]))
    np.testing.assert_allclose(got, [0.462098, 0.149410, 0.047619, 0.2, 0.5], atol=1e-6)


def test_individual_risk_without_weights_is_one_over_the_class_size():
    df = pd.DataFrame({"sex": ["F", "M", "M", "M"]})
    r = privacy.individual_risk(df, ["sex"])
    assert r.records["risk"].tolist() == [1.0, 1 / 3, 1 / 3, 1 / 3]
    # global risk = mean = (1 + 3 * 1/3) / 4 = 0.5; expected re-identifications = sum = 2
    assert r.global_risk == pytest.approx(0.5)
    assert r.expected_reidentifications == pytest.approx(2.0)
    assert privacy.global_risk(df, ["sex"]) == pytest.approx(0.5)


def test_weighted_risk_summaries_by_hand():
    # F: fk 1, Fk 4 -> 0.462098; M: fk 2, Fk 5 + 5 = 10 -> 0.149410 each
    # sum = 0.462098 + 2 * 0.149410 = 0.760918; mean = 0.253639
    df = pd.DataFrame({"sex": ["F", "M", "M"], "w": [4.0, 5.0, 5.0]})
    r = privacy.individual_risk(df, ["sex"], weight="w")
    assert r.expected_reidentifications == pytest.approx(0.760918, abs=1e-6)
    assert r.global_risk == pytest.approx(0.253639, abs=1e-6)
    assert r.records["Fk"].tolist() == [4.0, 10.0, 10.0]
    assert r.high_risk(0.2).index.tolist() == [0]


def test_individual_risk_keeps_the_index_of_the_data():
    df = pd.DataFrame({"sex": ["F", "M"]}, index=["a", "b"])
    assert privacy.individual_risk(df, ["sex"]).records.index.tolist() == ["a", "b"]


# ---------------------------------------------------------------------------------------------
# risk_report
# ---------------------------------------------------------------------------------------------
def test_risk_report_gives_every_measure_and_cited_verdicts(two_classes):
    df = two_classes.assign(w=10.0)
    rep = privacy.risk_report(df, ["age"], sensitive="s", weight="w", k=3, max_t=0.5)
    assert rep.k == 4
    assert rep.l_distinct == 2 and rep.l_recursive == 1
    assert rep.l_entropy == pytest.approx(1.754765, abs=1e-6)
    # overall a:4 b:2 c:2; A: 0.5*(|.75-.5| + |.25-.25| + .25) = 0.25; B: 0.5*(.25 + 0 + .25) = 0.25
    assert rep.t == pytest.approx(0.25)
    # each class: fk 4, Fk 40, p = 0.1, risk = 0.1 / (4 - 0.9) = 0.032258
    assert rep.max_risk == pytest.approx(0.032258, abs=1e-6)
    assert rep.expected_reidentifications == pytest.approx(8 * 0.032258, abs=1e-5)
    v = rep.verdicts.set_index("measure")
    assert v.loc["k-anonymity", "passes"] and v.loc["highest individual risk", "passes"]
    assert not v.loc["global risk", "passes"]  # 3.2% is not below 3%
    assert "Practice Guide" in v.loc["k-anonymity", "source"]
    assert "HDX" in v.loc["global risk", "source"]
    assert "not an official standard" in v.loc["highest individual risk", "source"]
    assert set(v.index) >= {"l-diversity (distinct)", "t-closeness"}
    assert not rep.passes


def test_risk_report_lists_the_worst_classes_first():
    df = pd.DataFrame({"age": [30, 30, 30, 40, 50, 50]})
    rep = privacy.risk_report(df, ["age"], top=2)
    assert rep.worst["age"].tolist() == [40, 50]
    assert rep.worst["fk"].tolist() == [1, 2]
    assert rep.records_below_k == 3  # the 40 and both 50s
    assert len(rep.records) == 6 and "risk" in rep.records
    assert "smallest group has 1 record" in rep.summary()
    assert "<table" in rep._repr_html_()
    assert rep.to_frame().set_index("measure").loc["k (smallest class)", "value"] == 1


def test_risk_report_of_a_safe_file_passes():
    df = pd.DataFrame({"sex": ["F"] * 50 + ["M"] * 50, "w": 1.0})
    rep = privacy.risk_report(df, ["sex"], weight="w", min_l=None)
    # Fk = fk (weights 1): risk = 1/50 = 0.02 for everybody; global 2% < 3%
    assert rep.passes
    assert rep.global_risk == pytest.approx(0.02)


# ---------------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------------
def test_quasi_identifier_that_is_not_a_column_is_named_in_the_error():
    df = pd.DataFrame({"age": [1], "sex": ["F"], "district": ["D01"]})
    with pytest.raises(CdcourseError, match="quasi_identifiers 'districts' is not a column.*age, sex, district"):
        privacy.k_anonymity(df, ["age", "districts"])


def test_sensitive_attribute_that_is_also_a_quasi_identifier_is_refused():
    df = pd.DataFrame({"age": [1, 2], "disability": [True, False]})
    with pytest.raises(CdcourseError, match="'disability' is also a quasi-identifier"):
        privacy.l_diversity(df, ["age", "disability"], "disability")
    with pytest.raises(CdcourseError, match="also a quasi-identifier"):
        privacy.risk_report(df, ["age", "disability"], sensitive="disability")


@pytest.mark.parametrize("k", [0, -1, 2.5, "3"])
def test_k_below_one_or_not_whole_is_refused(k):
    df = pd.DataFrame({"age": [1, 2, 3]})
    with pytest.raises(CdcourseError, match="k must be a whole number"):
        privacy.risk_report(df, ["age"], k=k)
    with pytest.raises(CdcourseError, match="k must be a whole number"):
        privacy.suppress_to_k(df, ["age"], k=k)


def test_empty_frame_is_refused():
    with pytest.raises(CdcourseError, match="empty"):
        privacy.k_anonymity(pd.DataFrame({"age": []}), ["age"])
    with pytest.raises(CdcourseError, match="empty"):
        privacy.risk_report(pd.DataFrame({"age": [], "s": []}), ["age"], sensitive="s")


def test_other_bad_arguments_say_what_was_expected():
    df = pd.DataFrame({"age": [1, 2], "s": ["a", "b"], "w": [1.0, -2.0]})
    with pytest.raises(CdcourseError, match="missing must be one of"):
        privacy.k_anonymity(df, ["age"], missing="ignore")
    with pytest.raises(CdcourseError, match="quasi_identifiers is empty"):
        privacy.k_anonymity(df, [])
    with pytest.raises(CdcourseError, match="more than once"):
        privacy.k_anonymity(df, ["age", "age"])
    with pytest.raises(CdcourseError, match="weight column 'w' has 1 negative"):
        privacy.individual_risk(df, ["age"], weight="w")
    with pytest.raises(CdcourseError, match="kind must be one of"):
        privacy.l_diversity(df, ["age"], "s", kind="shannon")
    with pytest.raises(CdcourseError, match="must be a pandas DataFrame"):
        privacy.k_anonymity([1, 2], ["age"])
    with pytest.raises(CdcourseError, match="max_individual_risk"):
        privacy.risk_report(df, ["age"], max_individual_risk=1.5)


def test_measures_work_on_categoricals_booleans_and_text_alike():
    base = pd.DataFrame({"a": ["x", "x", "y"], "b": [True, True, False]})
    typed = base.astype({"a": "category", "b": "boolean"})
    for frame in (base, typed):
        assert privacy.k_anonymity(frame, ["a", "b"]) == 1
        assert math.isclose(privacy.global_risk(frame, ["a", "b"]), (0.5 + 0.5 + 1) / 3)


@pytest.mark.slow
def test_risk_report_on_a_million_records_with_ninety_thousand_classes_is_consistent():
    rng = np.random.default_rng(11)
    n = 1_000_000
    df = pd.DataFrame({"age": rng.integers(0, 90, n), "sex": rng.choice(["F", "M"], n),
                       "area": rng.integers(0, 500, n), "w": rng.uniform(5, 50, n)})
    rep = privacy.risk_report(df, ["age", "sex", "area"], weight="w")
    sizes = df.groupby(["age", "sex", "area"]).size()
    assert rep.n_classes == len(sizes)
    assert rep.k == sizes.min()
    assert rep.records["fk"].sum() == (sizes**2).sum()


def test_an_open_upper_bound_reads_as_an_open_interval():
    df = pd.DataFrame({"age": [1, 1, 2], "s": ["a", "b", "a"]})
    with pytest.raises(CdcourseError, match=r"c must be a number in \(0, inf\); got -1"):
        privacy.l_diversity(df, ["age"], "s", kind="recursive", c=-1)


def test_numbers_stored_as_text_are_named_when_an_order_is_asked_for():
    df = pd.DataFrame({"sex": ["F", "F", "M", "M"], "income": ["1", "2", "10", "3"]})
    with pytest.raises(CdcourseError, match=r"numbers stored as text.*pd\.to_numeric"):
        privacy.t_closeness(df, ["sex"], "income", ordered=True)
    # converted, the order is numeric: 1 < 2 < 3 < 10 (as text "10" would sort before "2")
    numeric = df.assign(income=pd.to_numeric(df["income"]))
    # F has ranks {0, 1}, M {3, 2} of 4: cumulative differences 0.25, 0.5, 0.25 over m - 1 = 3
    assert privacy.t_closeness(numeric, ["sex"], "income") == pytest.approx(1.0 / 3)
