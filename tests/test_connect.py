"""Tests for cdcourse.connect: harmonisation, coherence, calibration and gap filling.

Expected values are worked by hand in the comments, or recomputed in the test by a different
route than the module takes.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdcourse import connect
from cdcourse.connect import (
    OFFICIAL_AGE_GROUPS,
    AgeGroups,
    Classification,
    coherence,
    harmonise,
    official_districts,
    official_table,
    publishability,
)
from cdcourse.errors import CdcourseError

DISTRICTS = Classification("district_code", {"D01": "Marelo", "D02": "Tuvan", "D10": "Kesi Bay"})


# ---------------------------------------------------------------- age groups


@pytest.mark.parametrize(
    "age, group",
    [(0, "0-14"), (14, "0-14"), (14.99, "0-14"), (15, "15-24"), (24, "15-24"), (25, "25-49"),
     (49, "25-49"), (50, "50-64"), (64, "50-64"), (65, "65+"), (99, "65+"), (120, "65+")],
)
def test_age_groups_put_boundary_ages_in_the_official_group(age, group):
    assert OFFICIAL_AGE_GROUPS.lookup(age) == group


def test_age_groups_report_impossible_ages_and_codes_as_unmapped_not_as_a_group():
    result = OFFICIAL_AGE_GROUPS.map(pd.Series([30, -1, 150, -99, "n/a", None, 30]))
    assert result.codes.isna().tolist() == [False, True, True, True, True, True, False]
    assert sorted(map(str, result.unmapped["value"])) == ["-1", "-99", "150", "n/a"]
    assert result.n_unmapped == 4
    assert result.n_missing == 1
    assert not result.complete


def test_age_groups_codes_are_categorical_in_official_order():
    codes = OFFICIAL_AGE_GROUPS.map([70, 3]).codes
    assert list(codes.cat.categories) == ["0-14", "15-24", "25-49", "50-64", "65+"]


def _group_by_hand(age: int) -> str:
    # An independent route: chained comparisons instead of a search over the breaks.
    if age <= 14:
        return "0-14"
    if age <= 24:
        return "15-24"
    if age <= 49:
        return "25-49"
    if age <= 64:
        return "50-64"
    return "65+"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=40))
def test_every_plausible_age_gets_exactly_the_group_whose_bounds_contain_it(ages):
    result = OFFICIAL_AGE_GROUPS.map(ages)
    assert result.codes.astype(object).tolist() == [_group_by_hand(a) for a in ages]
    assert result.complete
    assert result.table["count"].sum() == len(ages)


def test_custom_age_groups_build_their_labels_from_the_breaks():
    groups = AgeGroups(breaks=(0, 5, 18))
    assert groups.labels == ("0-4", "5-17", "18+")
    assert groups.lookup(17) == "5-17"


@pytest.mark.parametrize("breaks", [(5, 15), (0, 15, 10), ()])
def test_age_groups_reject_breaks_that_do_not_start_at_zero_and_increase(breaks):
    with pytest.raises(CdcourseError, match="breaks"):
        AgeGroups(breaks=breaks)


# ---------------------------------------------------------------- classifications


@pytest.mark.parametrize(
    "messy",
    ["D01", "d01", "D1", " d01 ", "Marelo", "MARELO", "marelo ", "D01 Marelo", "Marelo (D01)",
     "d01-marelo", "D01_MARELO"],
)
def test_district_spellings_that_differ_only_in_case_spacing_punctuation_map_to_the_code(messy):
    assert DISTRICTS.lookup(messy) == "D01"


def test_two_word_labels_map_whatever_the_spacing():
    assert DISTRICTS.lookup("kesi  bay") == "D10"
    assert DISTRICTS.lookup("Kesi-Bay") == "D10"
    assert DISTRICTS.lookup("D10 kesi bay") == "D10"


def test_misspelled_names_are_reported_unmapped_and_never_guessed_by_default():
    result = DISTRICTS.map(pd.Series(["Marello", "Tuvan", "Marello", "Nowhere"]))
    assert result.codes.isna().tolist() == [True, False, True, True]
    assert result.unmapped.set_index("value")["count"].to_dict() == {"Marello": 2, "Nowhere": 1}
    assert result.n_unmapped == 3


def test_fuzzy_matching_is_opt_in_and_flags_its_matches_for_review():
    result = DISTRICTS.map(["Marello", "Tuvam", "Nowhere"], fuzzy=0.8)
    assert result.codes.astype(object).tolist()[:2] == ["D01", "D02"]
    assert sorted(result.fuzzy["value"]) == ["Marello", "Tuvam"]
    assert result.unmapped["value"].tolist() == ["Nowhere"]


def test_aliases_map_checked_other_spellings():
    with_alias = DISTRICTS.with_aliases({"Marello": "D01", "Old Tuvan Town": "D02"})
    assert with_alias.map(["Marello", "old tuvan town"]).codes.astype(object).tolist() == ["D01", "D02"]
    assert DISTRICTS.lookup("Marello") is None  # the original is unchanged


def test_alias_pointing_to_an_unknown_code_is_an_error_naming_the_valid_codes():
    with pytest.raises(CdcourseError, match="'D99'.*D01, D02, D10"):
        Classification("district", {"D01": "Marelo", "D02": "Tuvan", "D10": "Kesi Bay"}, {"x": "D99"})


def test_a_label_that_would_mean_two_codes_is_rejected():
    with pytest.raises(CdcourseError, match="ambiguous"):
        Classification("district", {"D01": "Marelo", "D02": "marelo"})


def test_mapping_keeps_the_index_and_does_not_modify_the_input():
    values = pd.Series(["Tuvan", None, "D01"], index=[10, 20, 30], name="district")
    before = values.copy()
    result = DISTRICTS.map(values)
    pd.testing.assert_series_equal(values, before)
    assert result.codes.index.tolist() == [10, 20, 30]
    assert result.codes.name == "district"
    assert result.n_missing == 1 and result.complete


def test_classification_from_official_table_skips_totals_and_rejects_two_labels_for_one_code():
    official = pd.DataFrame({"district_code": ["D02", "D01", "total", "D01"],
                             "district": ["Tuvan", "Marelo", "Lumeria", "Marelo"]})
    assert official_districts(official).labels == {"D01": "Marelo", "D02": "Tuvan"}
    official.loc[3, "district"] = "Marelo Town"
    with pytest.raises(CdcourseError, match="more than one label for 'D01'"):
        official_districts(official)


def test_harmonise_adds_official_columns_reports_per_column_and_leaves_input_alone():
    data = pd.DataFrame({"age": [4, 19, 150, 70], "place": ["marelo", "D02", "Nowhere", "Kesi Bay"]})
    before = data.copy()
    out = harmonise(data, {"age": OFFICIAL_AGE_GROUPS, "place": DISTRICTS})
    pd.testing.assert_frame_equal(data, before)
    assert out.data["age_group"].astype(object).tolist()[:2] == ["0-14", "15-24"]
    assert out.data["district_code"].astype(object).tolist() == ["D01", "D02", np.nan, "D10"]
    summary = out.to_frame().set_index("column")
    assert summary.loc["age", "unmapped"] == 1 and summary.loc["age", "unmapped_values"] == "150"
    assert summary.loc["place", "unmapped_values"] == "Nowhere"
    assert not out.complete


def test_harmonise_can_stop_on_unmapped_values_naming_the_column_and_the_values():
    data = pd.DataFrame({"place": ["Marelo", "Nowhere"]})
    with pytest.raises(CdcourseError, match="column 'place' has 1 records.*'Nowhere'"):
        harmonise(data, {"place": DISTRICTS}, on_unmapped="raise")


def test_harmonise_names_a_missing_column():
    with pytest.raises(CdcourseError, match="'district' is not a column"):
        harmonise(pd.DataFrame({"age": [1]}), {"district": DISTRICTS})


# ---------------------------------------------------------------- official tables

LONG = pd.DataFrame(
    [
        # district, sex, age_group, indicator, value
        ("total", "total", "total", "population", 100.0),
        ("D01", "total", "total", "population", 40.0),
        ("D02", "total", "total", "population", 60.0),
        ("D01", "female", "total", "population", 22.0),
        ("D01", "male", "total", "population", 18.0),
        ("D02", "female", "total", "population", 31.0),
        ("D02", "male", "total", "population", 29.0),
        ("D01", "total", "0-14", "population", 15.0),
        ("D01", "female", "0-14", "population", 7.0),
        ("D01", "total", "total", "improved_water_pct", 55.0),
    ],
    columns=["district_code", "sex", "age_group", "indicator", "value"],
)


def test_official_table_picks_only_the_rows_of_the_asked_breakdown():
    by_district = official_table(LONG, "population", "district_code")
    assert by_district.values.tolist() == [["D01", 40.0], ["D02", 60.0]]
    by_sex = official_table(LONG, "population", ["district_code", "sex"])
    assert by_sex["value"].tolist() == [22.0, 18.0, 31.0, 29.0]
    # each person counted once: the breakdown adds up to the national figure
    assert by_sex["value"].sum() == official_table(LONG, "population")["value"].item() == 100.0


def test_official_table_rejects_an_unknown_indicator_listing_the_known_ones():
    with pytest.raises(CdcourseError, match="indicator must be one of 'improved_water_pct', 'population'"):
        official_table(LONG, "disability_pct", "district_code")


def test_official_table_says_when_a_breakdown_is_not_published():
    no_national = LONG[LONG["district_code"] != "total"]
    with pytest.raises(CdcourseError, match="publishes no 'population' table by nothing"):
        official_table(no_national, "population")


def test_official_table_rejects_a_breakdown_that_is_not_a_dimension():
    with pytest.raises(CdcourseError, match="'value'"):
        official_table(LONG, "population", "value")


# ---------------------------------------------------------------- coherence


def test_coherence_hand_worked_example():
    # estimate 0.62, SE 0.02, official 0.58: difference 0.04, z = 0.04 / 0.02 = 2.0;
    # 95% CI 0.62 +- 1.959964 * 0.02 = [0.580801, 0.659199], so 0.58 lies just outside: "check".
    est = pd.DataFrame({"d": ["A"], "estimate": [0.62], "se": [0.02]})
    off = pd.DataFrame({"d": ["A"], "value": [0.58]})
    row = coherence(est, off, on="d").table.iloc[0]
    assert row["difference"] == pytest.approx(0.04)
    assert row["relative_difference"] == pytest.approx(0.04 / 0.58)
    assert row["z"] == pytest.approx(2.0)
    assert row["ci_lower"] == pytest.approx(0.580801, abs=1e-6)
    assert row["ci_upper"] == pytest.approx(0.659199, abs=1e-6)
    assert not row["official_in_ci"]
    assert row["verdict"] == "check"


def test_coherence_combines_survey_and_official_standard_errors():
    # SEs 0.03 and 0.04 combine to sqrt(0.0009 + 0.0016) = 0.05; difference 0.10 -> z = 2.0
    est = pd.DataFrame({"d": ["A"], "estimate": [0.50], "se": [0.03]})
    off = pd.DataFrame({"d": ["A"], "value": [0.40], "value_se": [0.04]})
    row = coherence(est, off, on="d", official_se="value_se").table.iloc[0]
    assert row["z"] == pytest.approx(2.0)


def test_practical_tolerance_makes_tiny_significant_differences_coherent():
    # SE 0.001 makes a 0.5-point difference z = 5 ("incoherent"), but within 1 point it is
    # coherent for a user who agreed that tolerance.
    est = pd.DataFrame({"d": ["A"], "estimate": [0.505], "se": [0.001]})
    off = pd.DataFrame({"d": ["A"], "value": [0.500]})
    assert coherence(est, off, on="d").table["verdict"].item() == "incoherent"
    assert coherence(est, off, on="d", abs_tol=0.01).table["verdict"].item() == "coherent"
    assert coherence(est, off, on="d", rel_tol=0.02).table["verdict"].item() == "coherent"


def test_coherence_thresholds_are_parameters():
    est = pd.DataFrame({"d": ["A"], "estimate": [10.0], "se": [1.0]})
    off = pd.DataFrame({"d": ["A"], "value": [7.5]})  # z = 2.5
    assert coherence(est, off, on="d").table["verdict"].item() == "check"
    assert coherence(est, off, on="d", z_incoherent=2.2).table["verdict"].item() == "incoherent"
    assert coherence(est, off, on="d", z_check=2.6, z_incoherent=4).table["verdict"].item() == "coherent"


def test_coherence_marks_rows_without_benchmark_and_matches_keys_as_text():
    est = pd.DataFrame({"d": pd.Categorical(["D01", "D02"]), "s": ["f", "f"],
                        "estimate": [1.0, 2.0], "se": [0.5, 0.5]})
    off = pd.DataFrame({"d": ["D01"], "s": ["f"], "value": [1.2]})
    t = coherence(est, off, on=["d", "s"]).table
    assert t["verdict"].tolist() == ["coherent", "no benchmark"]
    assert pd.isna(t["official_in_ci"].iloc[1])


def test_coherence_zero_se_and_zero_difference_is_coherent_not_undefined():
    est = pd.DataFrame({"d": ["A", "B"], "estimate": [3.0, 3.0], "se": [0.0, 0.0]})
    off = pd.DataFrame({"d": ["A", "B"], "value": [3.0, 2.0]})
    t = coherence(est, off, on="d").table
    assert t["z"].tolist()[0] == 0.0 and t["verdict"].tolist() == ["coherent", "incoherent"]


def test_coherence_rejects_duplicate_benchmarks_and_negative_ses():
    est = pd.DataFrame({"d": ["A"], "estimate": [1.0], "se": [0.1]})
    with pytest.raises(CdcourseError, match="more than one row per key"):
        coherence(est, pd.DataFrame({"d": ["A", "A"], "value": [1.0, 2.0]}), on="d")
    with pytest.raises(CdcourseError, match="negative standard errors"):
        coherence(est.assign(se=-0.1), pd.DataFrame({"d": ["A"], "value": [1.0]}), on="d")


@settings(max_examples=50, deadline=None)
@given(
    est=st.floats(-100, 100), off=st.floats(-100, 100), se=st.floats(0.01, 50),
)
def test_official_inside_the_95pct_interval_exactly_when_verdict_is_coherent(est, off, se):
    table = coherence(pd.DataFrame({"k": ["x"], "estimate": [est], "se": [se]}),
                      pd.DataFrame({"k": ["x"], "value": [off]}), on="k").table
    z = abs(est - off) / se
    if abs(z - 1.959964) > 1e-6:  # away from the boundary, where rounding could go either way
        assert bool(table["official_in_ci"].item()) == (z <= 1.959964)
        assert (table["verdict"].item() == "coherent") == (z <= 1.959964)


# ---------------------------------------------------------------- publishability


def test_publishability_hand_worked_cases():
    cv = pd.Series([0.10, 0.15, 0.16, 0.30, 0.31, 0.10, np.nan], index=list("abcdefg"))
    n = pd.Series([100, 100, 100, 100, 100, 29, 100], index=list("abcdefg"))
    flags = publishability(cv, n)
    assert flags.tolist() == ["publish", "publish", "caution", "caution", "suppress", "suppress", "suppress"]
    assert flags.index.tolist() == list("abcdefg")


def test_publishability_thresholds_are_parameters():
    assert publishability(0.2, 100, cv_ok=0.25) == "publish"
    assert publishability(0.2, 100, cv_max=0.18) == "suppress"
    assert publishability(0.1, 10, min_n=5) == "publish"
    with pytest.raises(CdcourseError, match="cv_max"):
        publishability(0.1, 10, cv_ok=0.3, cv_max=0.2)


# ---------------------------------------------------------------- official totals and calibration


def test_official_totals_use_a_published_breakdown_as_is():
    assert connect.official_totals(LONG, "district_code").to_dict() == {"D01": 40.0, "D02": 60.0}


def test_official_totals_add_up_a_finer_table_when_the_breakdown_is_not_published():
    # LONG publishes sex only within districts: female 22 + 31 = 53, male 18 + 29 = 47.
    assert connect.official_totals(LONG, "sex").to_dict() == {"female": 53.0, "male": 47.0}


def test_official_totals_refuse_percentages():
    with pytest.raises(CdcourseError, match="percentage"):
        connect.official_totals(LONG, "district_code", indicator="improved_water_pct")


SMALL_SURVEY = pd.DataFrame({
    "district_code": ["D01", "D01", "D01", "D02", "D02"],
    "sex": ["female", "male", "male", "female", "male"],
    "age": [30, 8, 70, 15, 52],
    "weight": [10.0, 10.0, 20.0, 5.0, 5.0],
})


def test_poststratification_to_official_cells_by_hand():
    # Official D01 female 22, male 18; D02 female 31, male 29 (table LONG).
    # Factors: D01 female 22/10 = 2.2; D01 male 18/(10+20) = 0.6; D02 female 31/5; D02 male 29/5.
    before = SMALL_SURVEY.copy()
    cal = connect.calibrate_to_official(SMALL_SURVEY, LONG, ["district_code", "sex"])
    pd.testing.assert_frame_equal(SMALL_SURVEY, before)
    assert cal.data["calibrated_weight"].tolist() == pytest.approx([22.0, 6.0, 12.0, 31.0, 29.0])
    assert cal.data["calibrated_weight"].sum() == pytest.approx(100.0)


def test_calibration_groups_single_year_ages_into_the_official_age_groups():
    long = pd.DataFrame({
        "district_code": "total", "sex": "total", "language_group": "total", "indicator": "population",
        "age_group": ["0-14", "15-24", "25-49", "50-64", "65+"], "value": [30.0, 20.0, 25.0, 15.0, 10.0],
    })
    cal = connect.calibrate_to_official(SMALL_SURVEY, long, "age_group")
    # ages 30, 8, 70, 15, 52 -> 25-49, 0-14, 65+, 15-24, 50-64: one person per group, weight = total
    assert cal.data["calibrated_weight"].tolist() == pytest.approx([25.0, 30.0, 10.0, 20.0, 15.0])
    assert "age_group" not in SMALL_SURVEY.columns


def test_calibration_stops_on_an_implausible_age_naming_it():
    bad = SMALL_SURVEY.assign(age=[30, 8, 150, 15, 52])
    long = pd.DataFrame({"age_group": ["0-14", "15-24", "25-49", "50-64", "65+"], "indicator": "population",
                         "value": 10.0})
    with pytest.raises(CdcourseError, match="column 'age' has 1 records.*150"):
        connect.calibrate_to_official(bad, long, "age_group")


def test_raking_meets_each_official_margin():
    cal = connect.calibrate_to_official(SMALL_SURVEY, LONG, ["district_code", "sex"], method="rake", tol=1e-9)
    w = cal.data["calibrated_weight"]
    # checked by a plain groupby, not the module's own margins table
    assert w.groupby(SMALL_SURVEY["district_code"]).sum().to_dict() == pytest.approx({"D01": 40.0, "D02": 60.0})
    assert w.groupby(SMALL_SURVEY["sex"]).sum().to_dict() == pytest.approx({"female": 53.0, "male": 47.0})
    assert cal.converged


def test_calibrating_to_an_undercount_shrinks_the_group_to_the_undercount():
    # The survey says 50 Saro of 100; the official table counts only 30 of 80. Post-stratified,
    # the Saro share becomes the official 30/80, whatever the survey found.
    survey = pd.DataFrame({"language_group": ["Saro", "Amari"], "weight": [50.0, 50.0]})
    long = pd.DataFrame({"language_group": ["Saro", "Amari"], "indicator": "population", "value": [30.0, 50.0]})
    w = connect.calibrate_to_official(survey, long, "language_group").data["calibrated_weight"]
    assert w.iloc[0] / w.sum() == pytest.approx(30 / 80)


def test_calibration_on_the_lumeria_survey_reproduces_official_district_totals(survey):
    from cdcourse.datasets import load

    official = load("official_statistics")
    cal = connect.calibrate_to_official(survey, official, ["district_code", "sex"])
    got = cal.data.groupby(["district_code", "sex"], observed=True)["calibrated_weight"].sum()
    want = official_table(official, "population", ["district_code", "sex"]).set_index(["district_code", "sex"])["value"]
    got.index = got.index.set_levels([lvl.astype(str) for lvl in got.index.levels])
    assert got.sort_index().to_numpy() == pytest.approx(want.sort_index().to_numpy())


# ---------------------------------------------------------------- filling a gap


def test_fill_gap_hand_worked_proportions_cv_and_flags():
    # 200 respondents, equal weights, no design: group a 100 with 30 yes; group b 100 with 2 yes.
    data = pd.DataFrame({
        "g": ["a"] * 100 + ["b"] * 100,
        "y": [True] * 30 + [False] * 70 + [True] * 2 + [False] * 98,
        "w": 3.0,
    })
    gap = connect.fill_gap(data, "y", "g", weight="w", strata=None, psu=None)
    t = gap.table.set_index("g")
    assert t["estimate"].tolist() == pytest.approx([0.30, 0.02])
    # domain variance with every record a unit: n/(n-1) * p(1-p)/n_d, n = 200 records
    se_a = math.sqrt(200 / 199 * 0.30 * 0.70 / 100)
    se_b = math.sqrt(200 / 199 * 0.02 * 0.98 / 100)
    assert t["se"].tolist() == pytest.approx([se_a, se_b])
    assert t["cv"].tolist() == pytest.approx([se_a / 0.30, se_b / 0.02])  # 0.153 and 0.703
    assert t["publishable"].tolist() == ["caution", "suppress"]
    assert t["population_size"].tolist() == pytest.approx([300.0, 300.0])
    published = gap.published().set_index("g")
    assert published.loc["a", "estimate"] == pytest.approx(0.30) and pd.isna(published.loc["b", "estimate"])
    assert gap.counts == {"publish": 0, "caution": 1, "suppress": 1}


def _domain_se_by_hand(data, y, domain_mask, weight, strata, psu):
    """Taylor SE of a domain proportion, written from the textbook formula (Lumley 2010, 2.3)."""
    inside = domain_mask & data[y].notna()
    w = data[weight].where(inside, 0.0)
    yv = data[y].astype(float).where(inside, 0.0)
    p = (w * yv).sum() / w.sum()
    z = w * (yv - p) / w.sum()
    totals = z.groupby([data[strata], data[psu]]).sum()
    var = 0.0
    for _, zh in totals.groupby(level=0):
        n_h = len(zh)
        var += n_h / (n_h - 1) * ((zh - zh.mean()) ** 2).sum()
    return p, math.sqrt(var)


def test_fill_gap_design_based_se_matches_a_hand_written_taylor_formula(survey):
    gap = connect.fill_gap(survey, "disability", ["sex", "urban_rural"])
    row = gap.table.query("sex == 'female' and urban_rural == 'rural'").iloc[0]
    mask = (survey["sex"] == "female") & (survey["urban_rural"] == "rural")
    p, se = _domain_se_by_hand(survey, "disability", mask, "weight", "stratum", "psu")
    assert row["estimate"] == pytest.approx(p)
    assert row["se"] == pytest.approx(se, rel=1e-9)
    assert row["n"] == int((mask & survey["disability"].notna()).sum())


def test_fill_gap_leaves_out_records_without_a_value_and_without_a_domain():
    data = pd.DataFrame({"g": ["a", "a", "a", None], "y": [1.0, 0.0, None, 1.0], "w": 1.0})
    gap = connect.fill_gap(data, "y", "g", weight="w", strata=None, psu=None, min_n=1)
    assert gap.table["n"].tolist() == [2]
    assert gap.table["estimate"].tolist() == [0.5]


def test_fill_gap_states_its_limits_with_the_thresholds_and_extra_notes():
    data = pd.DataFrame({"g": ["a"] * 50, "y": [True, False] * 25, "w": 1.0})
    gap = connect.fill_gap(data, "y", "g", weight="w", strata=None, psu=None, cv_ok=0.2, cv_max=0.4,
                           limits=["The informal settlement was not in the frame."])
    text = gap.statement()
    assert "at most 20%" in text and "up to a CV of 40%" in text and "at least 30 respondents" in text
    assert text.endswith("The informal settlement was not in the frame.")


def test_fill_gap_names_a_missing_column():
    with pytest.raises(CdcourseError, match="'disabled' is not a column"):
        connect.fill_gap(pd.DataFrame({"g": ["a"], "w": [1.0]}), "disabled", "g", weight="w")


@settings(max_examples=50, deadline=None)
@given(
    code=st.sampled_from(["D01", "D02", "D10"]),
    upper=st.lists(st.booleans(), min_size=12, max_size=12),
    pad=st.sampled_from(["", " ", "  ", "\t"]),
    sep=st.sampled_from([" ", "-", "_", " - ", ". "]),
    with_code=st.booleans(),
)
def test_any_case_spacing_or_separator_variant_of_a_label_maps_to_its_code(code, upper, pad, sep, with_code):
    label = DISTRICTS.labels[code]
    cased = "".join(ch.upper() if up else ch.lower() for ch, up in zip(label, upper + [False] * len(label)))
    text = pad + (code + sep + cased.replace(" ", sep) if with_code else cased.replace(" ", sep)) + pad
    assert DISTRICTS.lookup(text) == code


def test_fill_gap_estimates_means_too():
    data = pd.DataFrame({"g": ["a"] * 40 + ["b"] * 40, "minutes": list(range(40)) * 2, "w": 1.5})
    gap = connect.fill_gap(data, "minutes", "g", weight="w", strata=None, psu=None, statistic="mean")
    assert gap.table["estimate"].tolist() == pytest.approx([19.5, 19.5])
    assert gap.table["publishable"].tolist() == ["publish", "publish"]


def test_results_render_in_a_notebook_with_their_plain_language_line():
    mapped = DISTRICTS.map(["Marelo", "Nowhere"])
    assert "1 records (1 distinct values) unmapped" in mapped._repr_html_()
    est = pd.DataFrame({"d": ["A"], "estimate": [0.62], "se": [0.02]})
    html = coherence(est, pd.DataFrame({"d": ["A"], "value": [0.58]}), on="d")._repr_html_()
    assert "check" in html and "course&#x27;s choice" in html
    data = pd.DataFrame({"g": ["a"] * 50, "y": [True, False] * 25, "w": 1.0})
    gap_html = connect.fill_gap(data, "y", "g", weight="w", strata=None, psu=None)._repr_html_()
    assert "suppressed" in gap_html and "<table" in gap_html
    assert "Every value found an official code" in harmonise(
        pd.DataFrame({"d": ["Tuvan"]}), {"d": DISTRICTS})._repr_html_()


# ---------------------------------------------------------------- the syllabus matches the notebooks


def _notebook_minutes(path):
    import re

    import nbformat

    first = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    found = re.search(r"Teaching:\s*(\d+)\s*min.*?Exercises:\s*(\d+)\s*min", re.sub(r"[*_`]", "", first.source))
    return int(found.group(1)), int(found.group(2))


def test_syllabus_lists_every_lesson_with_the_minutes_its_notebook_states(repo_root):
    import re

    course = repo_root / "course"
    text = (course / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d\d) \| `(\d\d_\w+\.ipynb)`.*?\| (\d+) \| (\d+) \|", text, flags=re.M)
    listed = {name: (int(t), int(e)) for _, name, t, e in rows}
    notebooks = sorted(p.name for p in course.glob("*.ipynb"))
    assert sorted(listed) == notebooks
    for name in notebooks:
        assert listed[name] == _notebook_minutes(course / name), f"course/README.md minutes for {name}"
    total = re.search(r"^\| \| \*\*total\*\* \| \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \|", text, flags=re.M)
    assert (int(total.group(1)), int(total.group(2))) == tuple(map(sum, zip(*listed.values())))


# ---------------------------------------------------------------- self-checks of lessons 01, 04, 06, 07, 09


@pytest.mark.parametrize("lesson", ["identify", "analyze", "disseminate", "connect", "influence"])
def test_every_self_check_of_the_lesson_computes_its_answer_and_rejects_a_placeholder(lesson):
    import importlib

    from cdcourse.checks.core import Exercise

    module = importlib.import_module(f"cdcourse.checks.{lesson}")
    exercises = [getattr(module, name) for name in module.__all__ if isinstance(getattr(module, name), Exercise)]
    assert [q.name for q in exercises] == [f"q{i}" for i in range(1, len(exercises) + 1)]
    for q in exercises:
        assert q.expected is not None, q.name
        assert q.check(...).status == "not attempted", q.name
        assert q.hints and q._solution, q.name


def test_value_answers_of_the_connect_lesson_are_accepted_when_right_and_refused_when_off():
    from cdcourse.checks import connect as lesson

    assert lesson.q1.check(lesson.q1.expected).status == "correct"
    assert lesson.q1.check(lesson.q1.expected + 1).status == "incorrect"
    assert lesson.q3.check({"D08"}).status == "correct"
    assert lesson.q4.check(0.0975).status == "incorrect"  # the truth is not what raking gives
    assert lesson.q5.check(False).status == "correct"
