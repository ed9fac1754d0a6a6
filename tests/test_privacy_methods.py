"""Protection methods: recoding, coding, suppression, PRAM, noise, microaggregation, information loss."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdcourse import privacy
from cdcourse.errors import CdcourseError


# ---------------------------------------------------------------------------------------------
# global recoding and top/bottom coding
# ---------------------------------------------------------------------------------------------
def test_age_bands_with_breaks_end_in_an_open_band():
    df = pd.DataFrame({"age": [0, 14, 15, 64, 65, 99]})
    res = privacy.global_recode(df, "age", breaks=[0, 15, 65])
    assert res.data["age"].tolist() == ["0-14", "0-14", "15-64", "15-64", "65+", "65+"]
    assert res.data["age"].cat.ordered
    assert res.summary.loc["age", "changed"] == 6
    assert res.details["records"].tolist() == [2, 2, 2]
    assert df["age"].tolist() == [0, 14, 15, 64, 65, 99]  # input untouched


def test_age_bands_of_equal_width_keep_missing_values_missing():
    df = pd.DataFrame({"age": [3, 12, None, 47]})
    res = privacy.global_recode(df, "age", width=10)
    assert res.data["age"].tolist()[:2] == ["0-9", "10-19"]
    assert pd.isna(res.data["age"].iloc[2])
    assert res.data["age"].iloc[3] == "40-49"
    assert res.summary.loc["age", "suppressed"] == 0


def test_recoding_by_mapping_merges_categories_and_reports_them():
    df = pd.DataFrame({"lang": pd.Categorical(["Amari", "Bensi", "Saro", "Saro"])})
    res = privacy.global_recode(df, "lang", mapping={"Bensi": "other", "Saro": "other"})
    assert res.data["lang"].tolist() == ["Amari", "other", "other", "other"]
    assert list(res.data["lang"].cat.categories) == ["Amari", "other"]
    assert res.summary.loc["lang", "changed"] == 3
    changes = res.changes()
    assert changes["before"].tolist() == ["Bensi", "Saro", "Saro"]


def test_global_recode_needs_exactly_one_rule():
    df = pd.DataFrame({"age": [1, 2]})
    with pytest.raises(CdcourseError, match="exactly one of"):
        privacy.global_recode(df, "age")
    with pytest.raises(CdcourseError, match="exactly one of"):
        privacy.global_recode(df, "age", width=5, breaks=[0, 10])
    with pytest.raises(CdcourseError, match="below the first break"):
        privacy.global_recode(df, "age", breaks=[5, 10])
    with pytest.raises(CdcourseError, match="must be numeric"):
        privacy.global_recode(pd.DataFrame({"age": ["a"]}), "age", width=5)


def test_merge_by_hierarchy_uses_a_geography_table():
    geo = pd.DataFrame({"district_code": ["D01", "D02", "D03"], "region_code": ["R1", "R1", "R2"]})
    df = pd.DataFrame({"district": ["D01", "D03", "D02", "D01"]})
    res = privacy.merge_by_hierarchy(df, "district", geo, child="district_code", parent="region_code")
    assert res.data["district"].tolist() == ["R1", "R2", "R1", "R1"]
    only = privacy.merge_by_hierarchy(df, "district", geo, child="district_code", parent="region_code",
                                      values=["D03"])
    assert only.data["district"].tolist() == ["D01", "R2", "D02", "D01"]
    with pytest.raises(CdcourseError, match="no parent in the hierarchy: D03"):
        privacy.merge_by_hierarchy(df, "district", {"D01": "R1", "D02": "R1"})


def test_top_and_bottom_coding_cap_the_extremes_only():
    df = pd.DataFrame({"income": [5.0, 50.0, 500.0, 5000.0, None]})
    res = privacy.top_bottom_code(df, "income", top=1000, bottom=10)
    assert res.data["income"].tolist()[:4] == [10.0, 50.0, 500.0, 1000.0]
    assert pd.isna(res.data["income"].iloc[4])
    assert res.summary.loc["income", "changed"] == 2
    ages = privacy.top_bottom_code(pd.DataFrame({"age": [30, 95]}), "age", top=80).data["age"]
    assert ages.tolist() == [30, 80] and pd.api.types.is_integer_dtype(ages)


# ---------------------------------------------------------------------------------------------
# local suppression
# ---------------------------------------------------------------------------------------------
def test_suppress_to_k_blanks_the_most_identifying_value_of_risky_records():
    # (41, M) and (42, M) are unique; blanking age puts both in (NA, M) of size 2.
    df = pd.DataFrame({"age": [30, 30, 30, 41, 42], "sex": ["F", "F", "F", "M", "M"]})
    res = privacy.suppress_to_k(df, ["age", "sex"], k=2)
    assert res.data["age"].isna().tolist() == [False, False, False, True, True]
    assert res.data["sex"].tolist() == df["sex"].tolist()
    assert res.k_achieved == 2 and res.n_changed == 2 and res.records_affected == 2
    assert res.share_suppressed == pytest.approx(2 / 10)
    assert res.changes()[["row", "column", "before"]].values.tolist() == [[3, "age", 41], [4, "age", 42]]
    assert pd.api.types.is_integer_dtype(res.data["age"])  # Int64 keeps whole numbers


def test_suppress_to_k_follows_the_importance_order():
    df = pd.DataFrame({"age": [30, 30, 30, 41, 42], "sex": ["F", "F", "F", "M", "X"]})
    # sex is least important, so it goes first; age then follows if still needed
    res = privacy.suppress_to_k(df, ["age", "sex"], k=2, importance=["age", "sex"], missing="wildcard")
    assert res.data["sex"].isna().sum() >= 1
    assert privacy.k_anonymity(res.data, ["age", "sex"], missing="wildcard") >= 2
    with pytest.raises(CdcourseError, match="not quasi-identifiers"):
        privacy.suppress_to_k(df.assign(x=1), ["age", "sex"], importance=["x"])


def test_category_rule_moves_more_records_when_the_blank_class_is_too_small():
    # (2, y) is unique. Blanking both its values leaves (NA, NA) with 1 record < 3; (1, x) has 5,
    # so 2 of them are blanked completely too: 2 values for the unique record + 2 x 2 = 6 values.
    df = pd.DataFrame({"a": [1, 1, 1, 1, 1, 2], "b": ["x"] * 5 + ["y"]})
    res = privacy.suppress_to_k(df, ["a", "b"], k=3, missing="category")
    assert res.k_achieved == 3
    assert privacy.k_anonymity(res.data, ["a", "b"], missing="category") == 3
    assert res.n_changed == 6


def test_category_rule_moves_a_whole_class_when_none_can_spare_records():
    df = pd.DataFrame({"a": [1, 1, 1, 2], "b": ["x", "x", "x", "y"]})
    res = privacy.suppress_to_k(df, ["a", "b"], k=3, missing="category")
    assert privacy.k_anonymity(res.data, ["a", "b"], missing="category") >= 3
    assert res.data[["a", "b"]].isna().all().all()


def test_suppress_to_k_refuses_k_larger_than_the_file():
    with pytest.raises(CdcourseError, match="needs at least 5 records"):
        privacy.suppress_to_k(pd.DataFrame({"a": [1, 2]}), ["a"], k=5)


def test_suppress_to_k_leaves_a_safe_file_alone():
    df = pd.DataFrame({"a": [1] * 3 + [2] * 3})
    res = privacy.suppress_to_k(df, ["a"], k=3)
    assert res.n_changed == 0
    pd.testing.assert_frame_equal(res.data, df)


# ---------------------------------------------------------------------------------------------
# PRAM
# ---------------------------------------------------------------------------------------------
def test_pram_matrix_keeps_the_diagonal_and_spreads_the_rest():
    m = privacy.pram_matrix(pd.Series(list("aabbbc")), keep=0.7)
    # off-diagonal: (1 - 0.7) / (3 - 1) = 0.15
    np.testing.assert_allclose(m.to_numpy(), [[0.7, 0.15, 0.15], [0.15, 0.7, 0.15], [0.15, 0.15, 0.7]])


def test_invariant_pram_matrix_preserves_expected_counts():
    values = pd.Series(["tap"] * 70 + ["well"] * 20 + ["river"] * 10)
    R = privacy.pram_matrix(values, keep=0.8, invariant=True)
    t = values.value_counts().reindex(R.index).to_numpy(dtype=float)
    np.testing.assert_allclose(t @ R.to_numpy(), t)  # t R = t
    np.testing.assert_allclose(R.to_numpy().sum(axis=1), 1.0)
    assert (R.to_numpy() >= 0).all()


def test_pram_is_reproducible_with_a_seed_and_keeps_missing_values():
    df = pd.DataFrame({"water": ["tap", "well", None, "river"] * 250})
    a = privacy.pram(df, "water", keep=0.8, seed=42)
    b = privacy.pram(df, "water", keep=0.8, seed=42)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.data["water"].isna().sum() == 250
    changed = a.summary.loc["water", "changed"]
    assert 100 < changed < 200  # expected 750 * 0.2 = 150
    assert list(a.details.index) == list(a.details.columns)
    assert df["water"].isna().sum() == 250 and (df["water"] == "tap").sum() == 250


def test_pram_with_a_given_matrix_checks_it():
    df = pd.DataFrame({"s": ["a", "b"]})
    bad = pd.DataFrame([[0.5, 0.4], [0.5, 0.5]], index=["a", "b"], columns=["a", "b"])
    with pytest.raises(CdcourseError, match="summing to 1"):
        privacy.pram(df, "s", matrix=bad)
    ident = pd.DataFrame([[1.0, 0.0], [0.0, 1.0]], index=["a", "b"], columns=["a", "b"])
    assert privacy.pram(df, "s", matrix=ident, seed=1).n_changed == 0


# ---------------------------------------------------------------------------------------------
# noise and microaggregation
# ---------------------------------------------------------------------------------------------
def test_noise_has_the_stated_share_of_the_standard_deviation():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"income": rng.lognormal(5, 1, 20_000)})
    res = privacy.add_noise(df, "income", relative_sd=0.01, seed=9)
    noise = res.data["income"] - df["income"]
    assert noise.std() == pytest.approx(0.01 * df["income"].std(), rel=0.03)
    assert res.details["noise sd"].iloc[0] == pytest.approx(0.01 * df["income"].std())
    again = privacy.add_noise(df, "income", relative_sd=0.01, seed=9)
    pd.testing.assert_frame_equal(res.data, again.data)


def test_univariate_microaggregation_by_hand():
    # sorted: 1 2 3 | 10 11 12 13 -> the last group takes the remainder (k..2k-1)
    # means: (1+2+3)/3 = 2; (10+11+12+13)/4 = 11.5
    df = pd.DataFrame({"x": [13.0, 1.0, 11.0, 2.0, 12.0, 3.0, 10.0, None]})
    res = privacy.microaggregate(df, "x", k=3)
    assert res.data["x"].tolist()[:7] == [11.5, 2.0, 11.5, 2.0, 11.5, 2.0, 11.5]
    assert pd.isna(res.data["x"].iloc[7])
    assert res.details[["groups", "smallest group", "largest group"]].values.tolist() == [[2, 3, 4]]


def test_mdav_groups_whole_records_of_at_least_k():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"x": rng.normal(size=103), "y": rng.normal(size=103)})
    res = privacy.microaggregate(df, ["x", "y"], k=5, method="mdav")
    sizes = res.data.groupby(["x", "y"]).size()
    assert sizes.min() >= 5 and sizes.max() <= 9
    # each group's value is the mean of its members
    for (gx, gy), members in res.data.groupby(["x", "y"]).groups.items():
        assert gx == pytest.approx(df.loc[members, "x"].mean())


# ---------------------------------------------------------------------------------------------
# information loss
# ---------------------------------------------------------------------------------------------
def test_information_loss_counts_cells_and_moves_in_estimates():
    before = pd.DataFrame({"age": [20, 30, 40, 50], "water": ["tap", "tap", "well", "well"],
                           "w": [1.0, 1.0, 2.0, 2.0], "d": ["A", "A", "B", "B"]})
    after = before.assign(age=[20, 30, 40, None], water=["tap", "well", "well", "well"])
    loss = privacy.information_loss(before, after, columns=["age", "water"], estimates=["age", "water"], weight="w")
    assert loss.cells.loc["age", "suppressed"] == 1 and loss.cells.loc["water", "changed"] == 1
    est = loss.estimates.set_index(["estimate", "category"])
    # weighted mean age: before (20 + 30 + 80 + 100) / 6 = 38.333; after (20 + 30 + 80) / 4 = 32.5
    assert est.loc[("age", ""), "original"] == pytest.approx(38.3333, abs=1e-4)
    assert est.loc[("age", ""), "protected"] == pytest.approx(32.5)
    # share with tap: before 2/6 = 0.3333, after 1/6 = 0.1667
    assert est.loc[("water", "tap"), "difference"] == pytest.approx(-1 / 6)
    by = privacy.information_loss(before, after, estimates=["age"], weight="w", by="d")
    assert by.estimates.set_index("d").loc["B", "protected"] == pytest.approx(40.0)


def test_information_loss_needs_the_same_records():
    with pytest.raises(CdcourseError, match="same records"):
        privacy.information_loss(pd.DataFrame({"a": [1, 2]}), pd.DataFrame({"a": [1]}))


def test_share_suppressed_is_over_the_values_that_were_known():
    # 2 of the 8 known age values and none of the 5 sex values are suppressed; one age was missing already,
    # so the share is 2 / 9 known values (the graded assignment and the explorer count the same way).
    df = pd.DataFrame({"age": [30, 30, 30, 41, 42], "sex": ["F", "F", "F", "M", "M"]})
    df.loc[0, "age"] = np.nan
    df.loc[1, "sex"] = None
    res = privacy.suppress_to_k(df, ["age", "sex"], k=2, missing="wildcard")
    known = df[["age", "sex"]].notna().to_numpy()
    newly = known & res.data[["age", "sex"]].isna().to_numpy()
    assert res.share_suppressed == pytest.approx(newly.sum() / known.sum())


def test_bands_of_a_fractional_width_on_whole_numbers_are_labelled_by_their_edges():
    # 2.5-year bands: 2 falls in [0, 2.5) and 3 in [2.5, 5); whole-number labels "0-1", "2-4" would be wrong.
    res = privacy.global_recode(pd.DataFrame({"age": [0, 2, 3, 7]}), "age", width=2.5)
    assert res.data["age"].tolist() == ["0-<2.5", "0-<2.5", "2.5-<5", "5-<7.5"]
