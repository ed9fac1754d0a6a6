"""The synthetic world: typed loading, the data package, reproducibility, the survey design,
the problem log, the official-statistics gaps, bad input and the CLI."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cdcourse import datasets
from cdcourse.cli import main
from cdcourse.datasets import _fields, _geo
from cdcourse.errors import CdcourseError

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "datasets"
ALL = ["population", "official_statistics", "community_survey_raw", "community_survey", "participatory_map",
       "social_audit", "crowd_reports", "problem_log"]

# The contract of WORLD.md, written out again here (not read from the generator's metadata).
WORLD_COLUMNS = {
    "population": [
        "person_id", "household_id", "ea_id", "district_code", "district", "region_code", "region",
        "urban_rural", "settlement", "household_size", "relationship", "age", "sex", "language_group",
        "wg_seeing", "wg_hearing", "wg_walking", "wg_remembering", "wg_selfcare", "wg_communicating",
        "disability", "education", "water_source", "improved_water", "water_minutes", "monthly_income",
        "feels_safe_night", "in_school", "hh_lat", "hh_lon"],
    "official_statistics": ["year", "district_code", "district", "sex", "age_group", "language_group",
                            "indicator", "value", "source"],
    "community_survey": [
        "submission_id", "household_id", "person_id", "line_no", "district_code", "district", "stratum", "ea_id",
        "psu", "urban_rural", "settlement", "interview_date", "enumerator_id", "start_time", "end_time",
        "duration_min", "hh_lat", "hh_lon", "consent", "relationship", "age", "sex", "language_group",
        "wg_seeing", "wg_hearing", "wg_walking", "wg_remembering", "wg_selfcare", "wg_communicating",
        "disability", "education", "water_source", "improved_water", "water_minutes", "monthly_income",
        "feels_safe_night", "in_school", "prob_ea", "prob_hh", "inclusion_prob", "design_weight", "weight",
        "n_ea_stratum", "households_ea"],
    "community_survey_raw": [
        "submission_id", "_submission_time", "start", "end", "enumerator", "consent", "gps_lat", "gps_lon",
        "district", "ea_id", "household_id", "line_no", "interview_date", "age", "sex", "language_group",
        "relationship", "wg_seeing", "wg_hearing", "wg_walking", "wg_remembering", "wg_selfcare",
        "wg_communicating", "education", "water_source", "water_minutes", "monthly_income", "feels_safe_night",
        "in_school", "respondent_name", "respondent_phone"],
    "problem_log": ["dataset", "record_key", "column", "problem", "original_value", "injected_value"],
    "participatory_map": ["point_id", "mapper_id", "mapped_at", "district_code", "category", "subtype",
                          "condition", "lat", "lon", "feature_id"],
    "social_audit": ["audit_id", "facility_id", "facility_type", "district_code", "session_date", "group",
                     "indicator", "score", "scale_min", "scale_max"],
    "crowd_reports": ["report_id", "received_at", "channel", "category", "district_code", "lat", "lon", "text",
                      "verified", "incident_id"],
}


def _text(name: str) -> pd.DataFrame:
    """A committed CSV exactly as text (every cell a str, blanks as "")."""
    return pd.read_csv(DATA / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return _text("problem_log")


@pytest.fixture(scope="module")
def raw_text() -> pd.DataFrame:
    raw = _text("community_survey_raw")
    raw["record_key"] = np.where(raw["line_no"] == "", raw["submission_id"],
                                 raw["submission_id"] + "#" + raw["line_no"])
    return raw


@pytest.fixture(scope="module")
def small_world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("small")
    datasets.generate(out, seed=7, scale=0.1)
    return out


# ---- names and loading ------------------------------------------------------------------------

def test_names_lists_the_seven_datasets_and_the_problem_log():
    assert datasets.names() == ALL


@pytest.mark.parametrize("name", ALL)
def test_every_dataset_has_the_world_contract_columns_in_order(name):
    cols = list(datasets.load(name).columns)
    assert cols[: len(WORLD_COLUMNS[name])] == WORLD_COLUMNS[name]


@pytest.mark.parametrize("name", ALL)
def test_every_dataset_loads_with_its_declared_dtypes(name):
    df = datasets.load(name)
    ds = _fields.DATASETS[name]
    assert len(df) > 0
    for f in ds.fields:
        dtype = df[f.name].dtype
        if f.is_category:
            assert isinstance(dtype, pd.CategoricalDtype), f.name
            assert list(dtype.categories) == list(f.enum), f.name
            assert dtype.ordered == f.ordered, f.name
        elif f.type == "string":
            assert dtype == "string", f.name
        elif f.type == "integer":
            assert str(dtype) in ("int64", "Int64"), f.name
            if not f.required:
                assert str(dtype) == "Int64", f.name
        elif f.type == "number":
            assert dtype == "float64", f.name
        elif f.type == "boolean":
            assert dtype == "boolean", f.name
        elif f.type in ("date", "datetime"):
            assert pd.api.types.is_datetime64_dtype(dtype), f.name


def test_key_dtypes_are_as_world_promises(population, survey):
    assert population["person_id"].dtype == "string"
    assert isinstance(population["sex"].dtype, pd.CategoricalDtype)
    assert population["disability"].dtype == "boolean"
    assert str(population["wg_seeing"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_dtype(survey["interview_date"])
    assert pd.api.types.is_datetime64_dtype(survey["start_time"])
    assert survey["education"].dtype.ordered


@pytest.mark.parametrize("name", ["population", "community_survey", "participatory_map", "crowd_reports"])
def test_primary_keys_are_unique_and_complete(name):
    df = datasets.load(name)
    key = list(_fields.DATASETS[name].primary_key)
    assert not df[key].isna().any().any()
    assert not df.duplicated(key).any()


def test_required_fields_have_no_missing_values_in_clean_datasets():
    for name in ["population", "community_survey", "official_statistics", "participatory_map", "social_audit",
                 "crowd_reports"]:
        df = datasets.load(name)
        for f in _fields.DATASETS[name].fields:
            if f.required:
                assert df[f.name].notna().all(), (name, f.name)


def test_load_returns_a_fresh_copy_each_call():
    first = datasets.load("social_audit")
    first.loc[:, "score"] = -1.0
    del first["group"]
    again = datasets.load("social_audit")
    assert "group" in again.columns
    assert (again["score"] >= 0).all()


def test_load_of_an_unknown_name_lists_the_valid_datasets():
    with pytest.raises(CdcourseError) as err:
        datasets.load("nope")
    message = str(err.value)
    assert "'nope'" in message
    for name in ALL:
        assert name in message


def test_load_reads_the_folder_named_by_cdcourse_data(monkeypatch, small_world):
    monkeypatch.setenv("CDCOURSE_DATA", str(small_world))
    small = datasets.load("population")
    monkeypatch.delenv("CDCOURSE_DATA")
    assert len(small) < len(datasets.load("population")) / 3


def test_cdcourse_data_pointing_at_an_empty_folder_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("CDCOURSE_DATA", str(tmp_path))
    with pytest.raises(CdcourseError, match="CDCOURSE_DATA"):
        datasets.load("population")


def test_load_generates_into_the_user_cache_when_no_data_folder_exists(monkeypatch, tmp_path):
    monkeypatch.delenv("CDCOURSE_DATA", raising=False)
    monkeypatch.setattr(datasets, "_repo_datasets", lambda: tmp_path / "no-repo")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    pop = datasets.load("population")
    cached = datasets.data_dir()
    assert cached.is_relative_to(tmp_path / "cache")
    assert (cached / "population.csv").read_bytes() == (DATA / "population.csv").read_bytes()
    assert len(pop) == len(datasets.load("population"))


# ---- data package and codebook ----------------------------------------------------------------

def test_datapackage_describes_every_field_with_type_and_description():
    pkg = json.loads((DATA / "datapackage.json").read_text())
    assert pkg["provenance"] == "synthetic"
    assert pkg["licenses"][0]["name"] == "CC-BY-4.0"
    assert pkg["sources"]
    assert [r["name"] for r in pkg["resources"]] == ALL
    for res in pkg["resources"]:
        assert (DATA / res["path"]).is_file()
        assert res["schema"]["missingValues"] == [""]
        header = (DATA / res["path"]).read_text().split("\n", 1)[0].split(",")
        assert [f["name"] for f in res["schema"]["fields"]] == header
        for f in res["schema"]["fields"]:
            assert f["type"] in {"string", "integer", "number", "boolean", "date", "datetime"}
            assert len(f["description"]) > 10
    survey = next(r for r in pkg["resources"] if r["name"] == "community_survey")
    assert survey["schema"]["primaryKey"] == ["person_id"]
    sex = next(f for f in survey["schema"]["fields"] if f["name"] == "sex")
    assert sex["constraints"]["enum"] == ["female", "male"]


@pytest.mark.slow
def test_datapackage_validates_with_frictionless():
    frictionless = pytest.importorskip("frictionless")
    report = frictionless.validate(str(DATA / "datapackage.json"))
    problems = [(t.name, e.message) for t in report.tasks for e in t.errors][:5]
    assert report.valid, problems


@pytest.mark.slow
def test_frictionless_catches_a_value_outside_the_schema(tmp_path):
    frictionless = pytest.importorskip("frictionless")
    for f in ("datapackage.json", "social_audit.csv"):
        (tmp_path / f).write_bytes((DATA / f).read_bytes())
    pkg = json.loads((tmp_path / "datapackage.json").read_text())
    pkg["resources"] = [r for r in pkg["resources"] if r["name"] == "social_audit"]
    (tmp_path / "datapackage.json").write_text(json.dumps(pkg))
    text = (tmp_path / "social_audit.csv").read_text().replace(",women,", ",woman,", 1)
    (tmp_path / "social_audit.csv").write_text(text)
    assert not frictionless.validate(str(tmp_path / "datapackage.json")).valid


def test_codebook_documents_every_field_of_every_dataset():
    text = (DATA / "codebook.md").read_text()
    for name, ds in _fields.DATASETS.items():
        assert f"## `{name}`" in text
        for f in ds.fields:
            assert f"| `{f.name}` |" in text, (name, f.name)
    assert "synthetic" in text.lower() and "CC-BY-4.0" in text


def test_committed_datasets_stay_under_15_mb():
    total = sum(p.stat().st_size for p in DATA.iterdir() if p.is_file())
    assert total < 15e6


# ---- reproducibility --------------------------------------------------------------------------

@pytest.mark.slow
def test_regenerating_the_default_seed_reproduces_the_committed_files_byte_for_byte(tmp_path):
    datasets.generate(tmp_path, seed=2024, scale=1.0)
    for name in [*ALL, "datapackage", "codebook"]:
        fname = f"{name}.json" if name == "datapackage" else f"{name}.md" if name == "codebook" else f"{name}.csv"
        assert (tmp_path / fname).read_bytes() == (DATA / fname).read_bytes(), fname


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path, small_world):
    datasets.generate(tmp_path / "a", seed=7, scale=0.1)
    datasets.generate(tmp_path / "b", seed=8, scale=0.1)
    for name in ALL:
        assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (small_world / f"{name}.csv").read_bytes()
    assert (tmp_path / "b" / "population.csv").read_bytes() != (small_world / "population.csv").read_bytes()


def test_csvs_use_unix_line_endings_and_a_header_row():
    head = (DATA / "population.csv").read_bytes()[:2000]
    assert b"\r\n" not in head
    assert head.startswith(b"person_id,household_id,")


# ---- population realism -----------------------------------------------------------------------

def test_population_size_and_structure_match_the_world(population):
    assert 40_000 <= len(population) <= 60_000
    assert 9_000 <= population["household_id"].nunique() <= 13_000
    eas = population.groupby("ea_id")["household_id"].nunique()
    assert 180 <= len(eas) <= 220
    assert eas.between(30, 90).all()
    assert population["district_code"].nunique() == 12
    assert population.groupby("district_code", observed=True)["region_code"].nunique().eq(1).all()
    heads = population[population["relationship"] == "head"]
    assert heads["household_id"].is_unique and len(heads) == population["household_id"].nunique()
    assert population.groupby("household_id").size().eq(
        population.groupby("household_id")["household_size"].first()).all()


def test_language_groups_are_about_70_20_10(population):
    share = population["language_group"].value_counts(normalize=True)
    assert 0.62 < share["Amari"] < 0.78
    assert 0.14 < share["Bensi"] < 0.26
    assert 0.06 < share["Saro"] < 0.14


def test_the_informal_settlement_is_urban_eas_of_one_district_with_more_saro(population):
    informal = population[population["settlement"] == "informal"]
    assert informal["district_code"].nunique() == 1
    assert informal["ea_id"].nunique() >= 3
    assert (informal["urban_rural"] == "urban").all()
    saro = population["language_group"] == "Saro"
    assert saro[population["settlement"] == "informal"].mean() > 2 * saro.mean()


def test_missingness_follows_the_age_rules(population):
    young = population["age"] < 5
    assert population.loc[young, "wg_seeing"].isna().all() and population.loc[young, "disability"].isna().all()
    assert population.loc[~young, "disability"].notna().all()
    assert population.loc[population["age"] < 15, "education"].isna().all()
    assert population.loc[population["age"] >= 15, "education"].notna().all()
    assert population.loc[population["age"] < 15, "feels_safe_night"].isna().all()
    school = population["age"].between(6, 17)
    assert population.loc[~school, "in_school"].isna().all() and population.loc[school, "in_school"].notna().all()
    assert population["age"].max() <= 97  # so the raw file's 98 code is never a true age


def test_disability_is_any_washington_group_answer_of_3_or_more(population):
    wg = population[[f"wg_{d}" for d in _fields.WG_DOMAINS]]
    adults = population["age"] >= 5
    expected = (wg[adults] >= 3).any(axis=1)
    assert (population.loc[adults, "disability"].astype(bool) == expected.astype(bool)).all()


def test_improved_water_is_the_first_three_sources_and_piped_means_zero_minutes(population):
    improved = population["water_source"].isin(["piped into dwelling", "public tap", "protected well"])
    assert (population["improved_water"].astype(bool) == improved).all()
    piped = population["water_source"] == "piped into dwelling"
    assert (population.loc[piped, "water_minutes"] == 0).all()
    assert (population.loc[~piped, "water_minutes"] > 0).all()


def test_realistic_correlations_hold(population):
    p = population
    dis = p.groupby(p["age"] >= 60)["disability"].mean()
    assert dis[True] > 3 * dis[False]
    water = p.groupby("language_group", observed=True)["improved_water"].mean()
    assert water["Saro"] < water["Amari"] - 0.1
    safe = p.groupby("sex", observed=True)["feels_safe_night"].mean()
    assert safe["female"] < safe["male"] - 0.1
    school = p.groupby("language_group", observed=True)["in_school"].mean()
    assert school["Saro"] < school["Amari"]
    income = p.drop_duplicates("household_id")["monthly_income"]
    assert income.mean() > income.median() * 1.2 and income.max() > 20 * income.median()


def test_every_household_lies_inside_its_district_and_the_country(population):
    hh = population.drop_duplicates("household_id")
    assert datasets.contains(hh["hh_lon"], hh["hh_lat"]).all()
    for code, poly in datasets.district_boundaries().items():
        sel = hh[hh["district_code"] == code]
        assert datasets.contains(sel["hh_lon"], sel["hh_lat"], poly).all(), code


def test_boundary_and_geography_functions_describe_the_country():
    country = datasets.boundary()
    assert country.shape[1] == 2
    assert country[:, 0].min() >= 30.0 and country[:, 0].max() <= 33.0
    assert country[:, 1].min() >= -4.0 and country[:, 1].max() <= -1.0
    polys = datasets.district_boundaries()
    assert sorted(polys) == [f"D{i:02d}" for i in range(1, 13)]
    for poly in polys.values():  # each district's vertices lie within the country
        assert datasets.contains(poly.mean(axis=0)[:1], poly.mean(axis=0)[1:]).all()
    geo = datasets.geography()
    assert geo["ea_id"].is_unique and geo["region_code"].nunique() == 4
    assert set(geo["urban_rural"]) == {"urban", "rural"}
    assert (geo.loc[geo["settlement"] == "informal", "district_code"] == _geo.CAPITAL).all()


# ---- survey design ----------------------------------------------------------------------------

def test_household_weights_sum_to_the_frame_household_count_per_stratum(population, survey):
    frame = population.groupby("district_code", observed=True)["household_id"].nunique()
    per_hh = survey.drop_duplicates("submission_id")
    sums = per_hh.groupby("stratum", observed=True)["weight"].sum()
    np.testing.assert_allclose(sums.sort_index().to_numpy(), frame.sort_index().to_numpy(), rtol=0, atol=1e-6)


def test_inclusion_probabilities_are_exact_products_in_the_unit_interval(survey):
    assert ((survey["inclusion_prob"] > 0) & (survey["inclusion_prob"] <= 1)).all()
    assert ((survey["prob_ea"] > 0) & (survey["prob_ea"] <= 1)).all()
    np.testing.assert_allclose(survey["inclusion_prob"], survey["prob_ea"] * survey["prob_hh"], rtol=1e-12)
    np.testing.assert_allclose(survey["design_weight"], 1 / survey["inclusion_prob"], rtol=1e-12)
    assert (survey["weight"] >= survey["design_weight"] - 1e-9).all()


def test_first_stage_probabilities_follow_pps_within_district(population, survey):
    ea_size = population.groupby("ea_id")["household_id"].nunique()
    dist = population.groupby("ea_id")["district_code"].first()
    m_h = ea_size.groupby(dist, observed=True).sum()
    n_ea = ea_size.groupby(dist, observed=True).size()
    ea = survey.drop_duplicates("ea_id").set_index("ea_id")
    assert (ea["households_ea"] == ea_size[ea.index]).all()
    assert (ea["n_ea_stratum"] == n_ea[ea["stratum"].astype(str)].to_numpy()).all()
    expected = 6 * ea["households_ea"] / m_h[ea["stratum"].astype(str)].to_numpy()
    np.testing.assert_allclose(ea["prob_ea"], np.minimum(expected, 1), rtol=1e-12)
    assert survey.groupby("stratum", observed=True)["ea_id"].nunique().eq(6).all()


def test_second_stage_takes_15_households_per_ea(survey_raw, survey):
    raw = survey_raw.drop_duplicates("household_id")
    assert raw.groupby("ea_id")["household_id"].nunique().eq(15).all()
    np.testing.assert_allclose(survey["prob_hh"], 15 / survey["households_ea"], rtol=1e-12)
    assert survey.drop_duplicates("submission_id").groupby("ea_id").size().le(15).all()


def test_survey_has_4000_to_5000_persons_with_every_member_listed(population, survey):
    assert 4000 <= len(survey) <= 5000
    sizes = population.groupby("household_id").size()
    listed = survey.groupby("household_id").size()
    assert (listed == sizes[listed.index]).all()
    assert survey["submission_id"].nunique() == survey["household_id"].nunique()


def test_survey_values_are_the_population_truth(population, survey):
    cols = ["household_id", "ea_id", "age", "sex", "language_group", "education", "disability", "water_source",
            "monthly_income", "in_school", "hh_lat", "hh_lon"]
    truth = population.set_index("person_id").loc[survey["person_id"], cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(survey[cols].reset_index(drop=True), truth, check_dtype=False,
                                  check_categorical=False)


def test_weighted_totals_estimate_population_totals(population, survey):
    w = survey["weight"]
    assert abs(w.sum() / len(population) - 1) < 0.05
    for col in ["improved_water", "disability"]:
        est = (w * survey[col].astype(float)).sum() / w[survey[col].notna()].sum()
        assert abs(est - population[col].astype(float).mean()) < 0.05, col
    saro_est = w[survey["language_group"] == "Saro"].sum()
    saro_true = (population["language_group"] == "Saro").sum()
    assert abs(saro_est / saro_true - 1) < 0.35


def test_durations_match_start_and_end_and_one_enumerator_is_implausibly_fast(survey):
    minutes = (survey["end_time"] - survey["start_time"]).dt.total_seconds() / 60
    np.testing.assert_allclose(survey["duration_min"], minutes, atol=0.006)
    per_enum = survey.drop_duplicates("submission_id").groupby("enumerator_id")["duration_min"].median()
    assert per_enum.min() < 8 and (per_enum.drop(per_enum.idxmin()) > 20).all()


# ---- the raw file and the problem log ---------------------------------------------------------

WORLD_PROBLEMS = {"label_variant", "date_format", "missing_code", "impossible_value", "duplicate_submission",
                  "no_consent", "fast_enumerator", "outside_boundary", "swapped_latlon", "duplicate_point",
                  "near_duplicate_report", "personal_data_in_text", "scale_0_10"}


def test_every_problem_type_of_the_world_is_present(log):
    assert WORLD_PROBLEMS <= set(log["problem"])
    assert {"omitted_area", "undercount", "missing_breakdown"} <= set(log["problem"])


def test_every_logged_raw_cell_exists_with_its_injected_value(log, raw_text):
    raw_log = log[log["dataset"] == "community_survey_raw"]
    by_key = raw_text.groupby("record_key")
    for (column, problem), entries in raw_log.groupby(["column", "problem"]):
        assert entries["record_key"].isin(raw_text["record_key"]).all(), (column, problem)
        if problem == "fast_enumerator":
            continue  # checked on durations below
        for key, injected in zip(entries["record_key"], entries["injected_value"]):
            values = set(by_key.get_group(key)[column])
            assert injected in values, (key, column, problem, injected, values)


def test_fast_enumerator_entries_are_interviews_of_a_few_minutes(log, raw_text):
    fast = log[log["problem"] == "fast_enumerator"]
    rows = raw_text.set_index("record_key").loc[fast["record_key"]]
    rows = rows[~rows.index.duplicated()]
    minutes = (pd.to_datetime(rows["end"]) - pd.to_datetime(rows["start"])).dt.total_seconds() / 60
    assert (minutes < 8).all() and set(rows["enumerator"]) == {"ENUM07"}


def test_original_values_are_the_clean_survey_values(log, raw_text):
    clean = _text("community_survey")
    clean["record_key"] = clean["submission_id"] + "#" + clean["line_no"]
    clean = clean.set_index("record_key")
    same_name = {"age", "sex", "language_group", "relationship", "education", "water_source", "district",
                 "interview_date", "water_minutes", "monthly_income", *[f"wg_{d}" for d in _fields.WG_DOMAINS]}
    entries = log[(log["dataset"] == "community_survey_raw") & log["column"].isin(same_name)
                  & log["record_key"].isin(clean.index)]
    assert len(entries) > 1000
    for column, group in entries.groupby("column"):
        truth = clean.loc[group["record_key"], column].to_numpy()
        assert (group["original_value"].to_numpy() == truth).all(), column


def test_undoing_the_logged_problems_recovers_the_clean_survey(log, raw_text):
    raw = raw_text.copy()
    raw = raw[~raw.drop(columns="record_key").duplicated()]  # exact double submissions
    raw_log = log[log["dataset"] == "community_survey_raw"]
    resubmitted = raw_log.loc[(raw_log["problem"] == "duplicate_submission")
                              & (raw_log["original_value"] != raw_log["injected_value"]), "record_key"]
    no_consent = raw_log.loc[raw_log["problem"] == "no_consent", "record_key"]
    raw = raw[~raw["record_key"].isin(set(resubmitted) | set(no_consent))].set_index("record_key")
    fixable = raw_log[raw_log["record_key"].isin(raw.index) & raw_log["column"].isin(raw.columns)
                      & ~raw_log["problem"].isin(["duplicate_submission", "missing_gps"])]
    for (key, column), value in zip(zip(fixable["record_key"], fixable["column"]), fixable["original_value"]):
        raw.loc[key, column] = value if column != "consent" else "yes"
    clean = _text("community_survey")
    clean.index = clean["submission_id"] + "#" + clean["line_no"]
    assert sorted(raw.index) == sorted(clean.index)
    raw = raw.loc[clean.index]
    assert (raw["consent"] == "yes").all()
    for col in ["district", "interview_date", "age", "sex", "language_group", "relationship", "education",
                "water_source", *[f"wg_{d}" for d in _fields.WG_DOMAINS]]:
        assert (raw[col] == clean[col]).all(), col
    for col in ["water_minutes", "monthly_income"]:
        np.testing.assert_allclose(raw[col].astype(float), clean[col].astype(float))


def test_raw_has_the_world_messiness(survey_raw):
    raw = survey_raw
    assert {"F", "female", "Female", "M", "male", "1", "2"} <= set(raw["sex"].dropna())
    assert raw["consent"].str.strip().str.lower().isin(["yes", "y", "no", "n"]).all()
    assert {"no", "Yes"} <= set(raw["consent"])
    dates = raw["interview_date"].dropna()
    assert dates.str.match(r"^\d{4}-\d{2}-\d{2}$").any() and dates.str.match(r"^\d{2}/\d{2}/\d{4}$").any()
    assert dates.str.match(r"^[A-Z][a-z]+ \d{1,2}, \d{4}$").any() and dates.str.match(r"^\d{1,2}-[A-Z][a-z]{2}-\d{2}$").any()
    assert {-99, 98}.issubset(set(raw["age"].dropna())) and (raw["age"] > 120).any() and (raw["age"] < 0).any()
    assert (raw["wg_seeing"].isin([8, 9])).any()
    assert raw["monthly_income"].isin(["-99", "98", "n/a"]).any()
    assert raw["water_minutes"].isin(["-99", "n/a"]).any()
    assert raw["district"].str.isupper().any() and raw["district"].str.endswith(" ").any()
    assert raw.duplicated().any()  # exact double submissions
    assert raw["respondent_name"].notna().mean() > 0.9
    assert raw["respondent_phone"].dropna().str.match(r"^(\+999 7\d{2}|07\d{2}) \d{3} \d{3}$").all()


def test_direct_identifiers_are_only_in_the_raw_file(survey):
    assert not {"respondent_name", "respondent_phone"} & set(survey.columns)


# ---- official statistics ----------------------------------------------------------------------

def test_official_statistics_have_no_disability_breakdown():
    off = datasets.load("official_statistics")
    assert not any("disab" in c for c in off.columns)
    assert not off["indicator"].astype(str).str.contains("disab").any()


def test_official_statistics_omit_the_informal_settlement_and_count_non_saro_exactly(population):
    off = datasets.load("official_statistics")
    pop = off[(off["indicator"] == "population") & (off["sex"] == "total") & (off["age_group"] == "total")]
    formal = population[population["settlement"] == "formal"]
    for lang in ["Amari", "Bensi"]:
        published = pop[pop["language_group"] == lang].set_index("district_code")["value"]
        truth = formal[formal["language_group"] == lang].groupby("district_code", observed=True).size()
        assert (published.sort_index().to_numpy() == truth.sort_index().to_numpy()).all(), lang
    capital_total = pop.loc[(pop["district_code"] == _geo.CAPITAL) & (pop["language_group"] == "total"), "value"]
    assert capital_total.iloc[0] < (population["district_code"] == _geo.CAPITAL).sum()


def test_official_statistics_count_saro_at_about_60_percent(population):
    off = datasets.load("official_statistics")
    saro = off[(off["indicator"] == "population") & (off["sex"] == "total") & (off["age_group"] == "total")
               & (off["language_group"] == "Saro")]["value"].sum()
    truth = ((population["language_group"] == "Saro") & (population["settlement"] == "formal")).sum()
    assert 0.5 < saro / truth < 0.7


def test_official_cross_tables_add_up_to_their_totals():
    off = datasets.load("official_statistics")
    pop = off[off["indicator"] == "population"]
    detail = pop[(pop["sex"] != "total") & (pop["age_group"] != "total") & (pop["language_group"] != "total")]
    total = pop[(pop["sex"] == "total") & (pop["age_group"] == "total") & (pop["language_group"] == "total")]
    sums = detail.groupby("district_code", observed=True)["value"].sum()
    assert (sums.sort_index().to_numpy() == total.set_index("district_code")["value"].sort_index().to_numpy()).all()


def test_official_gaps_are_logged(log):
    off = log[log["dataset"] == "official_statistics"]
    assert set(off.loc[off["problem"] == "undercount", "record_key"]) == {f"D{i:02d}" for i in range(1, 13)}
    pop = datasets.load("population")
    informal = set(pop.loc[pop["settlement"] == "informal", "ea_id"])
    assert set(off.loc[off["problem"] == "omitted_area", "record_key"]) == informal


# ---- participatory map, social audit, crowd reports ------------------------------------------

def test_map_problems_are_logged_and_real(log):
    pm = datasets.load("participatory_map").set_index("point_id")
    entries = log[log["dataset"] == "participatory_map"]
    out = entries.loc[entries["problem"] == "outside_boundary", "record_key"]
    swapped = entries.loc[entries["problem"] == "swapped_latlon", "record_key"]
    assert len(out) > 0 and len(swapped) > 0
    assert not datasets.contains(pm.loc[out, "lon"], pm.loc[out, "lat"]).any()
    assert pm.loc[swapped, "lat"].between(30, 33).all() and pm.loc[swapped, "lon"].between(-4, -1).all()
    fine = pm.drop(index=list(out) + list(swapped))
    assert datasets.contains(fine["lon"], fine["lat"]).all()


def test_duplicate_points_are_5_to_30_metres_from_the_first_mapping(log):
    pm = datasets.load("participatory_map").set_index("point_id")
    dup = log[(log["dataset"] == "participatory_map") & (log["problem"] == "duplicate_point")]
    moved = set(log.loc[log["problem"].isin(["outside_boundary", "swapped_latlon"]), "record_key"])
    dup = dup[~dup["record_key"].isin(moved) & ~dup["original_value"].isin(moved)]
    a = pm.loc[dup["original_value"]]
    b = pm.loc[dup["record_key"]]
    assert (a["feature_id"].to_numpy() == b["feature_id"].to_numpy()).all()
    dy = (a["lat"].to_numpy() - b["lat"].to_numpy()) * 111_320
    dx = (a["lon"].to_numpy() - b["lon"].to_numpy()) * 111_320 * np.cos(np.radians(a["lat"].to_numpy()))
    dist = np.hypot(dx, dy)
    assert dist.max() <= 61 and np.median(dist) > 4  # two copies can each be up to 30 m from the feature
    assert pm["feature_id"].duplicated().sum() == len(log[log["problem"] == "duplicate_point"])


def test_social_audit_scores_lie_on_their_sessions_scales_and_other_scales_are_logged(log):
    sa = datasets.load("social_audit")
    assert sa["score"].between(sa["scale_min"], sa["scale_max"]).all()
    assert sa.groupby("audit_id")[["scale_min", "scale_max"]].nunique().eq(1).all().all()
    other = sa[sa["scale_max"] != 5]
    keys = set(other["audit_id"] + "#" + other["indicator"].astype(str))
    logged = log[log["problem"].isin(["scale_0_10", "scale_0_100"])]
    assert keys == set(logged["record_key"])
    assert {5, 10, 100} == set(sa["scale_max"])


def test_crowd_report_personal_data_spans_appear_exactly_in_the_text(log):
    cr = datasets.load("crowd_reports").set_index("report_id")
    spans = log[log["problem"] == "personal_data_in_text"]
    assert {"name", "phone", "email"} == set(spans["note"])
    for key, span in zip(spans["record_key"], spans["injected_value"]):
        assert span in cr.loc[key, "text"], (key, span)
    phones = spans.loc[spans["note"] == "phone", "injected_value"]
    assert phones.str.match(r"^(\+999 7\d{2}|07\d{2}) \d{3} \d{3}$").all()


def test_near_duplicate_reports_share_an_incident_and_are_logged(log):
    cr = datasets.load("crowd_reports").set_index("report_id")
    near = log[log["problem"] == "near_duplicate_report"]
    assert (cr.loc[near["record_key"], "incident_id"].to_numpy()
            == cr.loc[near["original_value"], "incident_id"].to_numpy()).all()
    assert len(near) == cr["incident_id"].duplicated().sum()
    assert 0.2 < cr["verified"].mean() < 0.8


# ---- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("scale", [0, -1, float("nan"), "big", 1e6])
def test_generate_rejects_a_bad_scale_and_leaves_existing_files_untouched(tmp_path, scale):
    (tmp_path / "population.csv").write_text("keep me\n")
    with pytest.raises(CdcourseError, match="scale"):
        datasets.generate(tmp_path, scale=scale)
    assert (tmp_path / "population.csv").read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["population.csv"]


@pytest.mark.parametrize("seed", [-1, 1.5, "2024", True])
def test_generate_rejects_a_bad_seed(tmp_path, seed):
    with pytest.raises(CdcourseError, match="seed"):
        datasets.generate(tmp_path, seed=seed, scale=0.05)


def test_generate_into_a_path_that_is_a_file_is_a_clear_error(tmp_path):
    target = tmp_path / "afile"
    target.write_text("x")
    with pytest.raises(CdcourseError, match="out_dir"):
        datasets.generate(target, scale=0.05)
    with pytest.raises(CdcourseError, match="out_dir"):
        datasets.generate(target / "sub", scale=0.05)
    assert target.read_text() == "x"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write to read-only folders")
def test_generate_into_a_read_only_folder_is_a_clear_error(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "population.csv").write_text("keep me\n")
    ro.chmod(0o555)
    try:
        with pytest.raises(CdcourseError, match="not writable"):
            datasets.generate(ro, scale=0.05)
        assert (ro / "population.csv").read_text() == "keep me\n"
    finally:
        ro.chmod(0o755)


def test_a_failure_while_writing_leaves_existing_files_untouched(tmp_path, monkeypatch):
    from cdcourse.datasets import _package

    (tmp_path / "population.csv").write_text("keep me\n")
    calls = []

    def failing(df, ds, path):
        calls.append(ds.name)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        path.write_text("partial")

    monkeypatch.setattr(_package, "write_csv", failing)
    with pytest.raises(CdcourseError, match="could not write"):
        datasets.generate(tmp_path, scale=0.05)
    assert (tmp_path / "population.csv").read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["population.csv"]


def test_a_tiny_world_still_has_every_dataset_and_a_valid_design(tmp_path):
    datasets.generate(tmp_path, seed=3, scale=0.01)
    s = pd.read_csv(tmp_path / "community_survey.csv")
    assert s["stratum"].nunique() == 12
    assert ((s["inclusion_prob"] > 0) & (s["inclusion_prob"] <= 1)).all()
    frame = pd.read_csv(tmp_path / "population.csv").groupby("district_code")["household_id"].nunique()
    sums = s.drop_duplicates("submission_id").groupby("stratum")["weight"].sum()
    np.testing.assert_allclose(sums.sort_index(), frame.sort_index(), atol=1e-6)


# ---- CLI --------------------------------------------------------------------------------------

def test_cli_list_prints_every_dataset(capsys):
    assert main(["datasets", "list"]) == 0
    out = capsys.readouterr().out
    for name in ALL:
        assert name in out
    assert main(["datasets", "list", "--names-only"]) == 0
    assert capsys.readouterr().out.split() == ALL


def test_cli_generate_writes_every_file(tmp_path, capsys):
    assert main(["datasets", "generate", "--out", str(tmp_path), "--seed", "5", "--scale", "0.05"]) == 0
    assert "generated seed=5" in capsys.readouterr().out
    for name in ALL:
        assert (tmp_path / f"{name}.csv").is_file()
    assert (tmp_path / "datapackage.json").is_file() and (tmp_path / "codebook.md").is_file()


def test_cli_generate_with_scale_zero_fails_with_a_message(tmp_path, capsys):
    assert main(["datasets", "generate", "--out", str(tmp_path), "--scale", "0"]) == 2
    assert "scale" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# ---- the PPS selection itself -----------------------------------------------------------------

def test_systematic_pps_probabilities_match_selection_frequencies():
    from cdcourse.datasets._survey import systematic_pps

    sizes = np.array([30, 45, 60, 90, 35, 80, 50, 40, 70, 85])
    rng = np.random.default_rng(0)
    counts = np.zeros(len(sizes))
    reps = 4000
    for _ in range(reps):
        chosen, prob = systematic_pps(sizes, 3, rng)
        assert len(set(chosen)) == 3
        counts[chosen] += 1
    np.testing.assert_allclose(prob, 3 * sizes / sizes.sum())
    np.testing.assert_allclose(counts / reps, prob, atol=0.035)


def test_systematic_pps_takes_very_large_units_with_certainty():
    from cdcourse.datasets._survey import systematic_pps

    sizes = np.array([500, 10, 20, 30, 40])
    chosen, prob = systematic_pps(sizes, 2, np.random.default_rng(1))
    assert prob[0] == 1 and 0 in chosen
    np.testing.assert_allclose(prob[1:], sizes[1:] / sizes[1:].sum())
    assert prob.sum() == pytest.approx(2)


try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover
    given = None

if given is not None:

    @settings(max_examples=50, deadline=None)
    @given(st.lists(st.integers(1, 200), min_size=1, max_size=30), st.integers(1, 10), st.integers(0, 2**32 - 1))
    def test_systematic_pps_selects_n_distinct_units_with_probabilities_summing_to_n(sizes, n, seed):
        from cdcourse.datasets._survey import systematic_pps

        chosen, prob = systematic_pps(np.array(sizes), n, np.random.default_rng(seed))
        n_eff = min(n, len(sizes))
        assert len(chosen) == n_eff == len(set(chosen.tolist()))
        assert ((prob > 0) & (prob <= 1 + 1e-12)).all()
        assert prob.sum() == pytest.approx(n_eff)


@pytest.mark.slow
def test_frictionless_catches_a_survey_person_missing_from_the_population(tmp_path):
    frictionless = pytest.importorskip("frictionless")
    for f in ("datapackage.json", "population.csv", "community_survey.csv"):
        (tmp_path / f).write_bytes((DATA / f).read_bytes())
    pkg = json.loads((tmp_path / "datapackage.json").read_text())
    pkg["resources"] = [r for r in pkg["resources"] if r["name"] in ("population", "community_survey")]
    (tmp_path / "datapackage.json").write_text(json.dumps(pkg))
    lines = (tmp_path / "community_survey.csv").read_text().split("\n")
    first = lines[1].split(",")
    first[2] = "P9999999"
    lines[1] = ",".join(first)
    (tmp_path / "community_survey.csv").write_text("\n".join(lines))
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert "foreign-key" in {e.type for t in report.tasks for e in t.errors}


def test_generate_can_show_a_progress_bar(tmp_path, capsys):
    datasets.generate(tmp_path, seed=1, scale=0.05, progress=True)
    assert "Generating Lumeria" in capsys.readouterr().err
    datasets.generate(tmp_path, seed=1, scale=0.05)  # small and not a terminal: no bar
    assert "Generating Lumeria" not in capsys.readouterr().err


def test_cli_list_says_why_it_shows_no_row_counts(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CDCOURSE_DATA", str(tmp_path / "nowhere"))
    assert main(["datasets", "list"]) == 0
    captured = capsys.readouterr()
    assert "population" in captured.out
    assert "CDCOURSE_DATA" in captured.err and "no population.csv" in captured.err
