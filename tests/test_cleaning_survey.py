"""End to end: cleaning the synthetic world's raw files, graded against the generator's problem log."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from cdcourse import cleaning as cl
from cdcourse.cleaning import lumeria
from cdcourse.datasets import load
from cdcourse.errors import CdcourseError

UNRECOVERABLE = {"missing_code", "impossible_value", "missing_gps"}


@pytest.fixture(scope="module")
def problem_log():
    return load("problem_log")


@pytest.fixture(scope="module")
def cleaned(survey_raw):
    return lumeria.clean_survey(survey_raw)


def record_keys(frame: pd.DataFrame) -> pd.Series:
    return frame["submission_id"].astype(str) + "#" + frame["line_no"].astype("Int64").astype(str)


def survey_log(problem_log, *problems):
    part = problem_log[problem_log["dataset"] == "community_survey_raw"]
    return part[part["problem"].isin(problems)] if problems else part


def test_cleaning_recovers_exactly_the_rows_of_the_clean_survey(cleaned, survey):
    agreement = cl.compare_to_reference(cleaned.data, survey, ["submission_id", "line_no"])
    assert (agreement.rows_matched, agreement.rows_missing, agreement.rows_extra) == (len(survey), 0, 0)
    assert agreement.cell_agreement > 0.99


def test_every_cell_that_still_differs_is_a_logged_problem_no_cleaning_can_undo(cleaned, survey, problem_log):
    # an independent cell-by-cell comparison (not compare_to_reference), keyed like the problem log
    mine = cleaned.data.assign(key=record_keys(cleaned.data)).set_index("key")
    truth = survey.assign(key=record_keys(survey)).set_index("key").loc[mine.index]
    columns = [c for c in survey.columns if c in mine.columns and c not in ("submission_id", "line_no")]
    differing = set()
    for col in columns:
        a, b = mine[col].astype(object), truth[col].astype(object)
        for key, x, y in zip(mine.index, a, b):
            both_missing = pd.isna(x) and pd.isna(y)
            if not both_missing and (pd.isna(x) or pd.isna(y) or str(x) != str(y)):
                if not (isinstance(x, float) and isinstance(y, float) and np.isclose(x, y)):
                    differing.add((key, col))
    log = survey_log(problem_log, *UNRECOVERABLE)
    expected = set()
    for key, col in zip(log["record_key"], log["column"]):
        if key in mine.index:
            expected |= {(key, "hh_lat"), (key, "hh_lon")} if col == "gps_lat" else {(key, col)}
    assert differing == expected
    agreement = cl.compare_to_reference(cleaned.data, survey, ["submission_id", "line_no"], columns)
    assert agreement.cells_compared - agreement.cells_agree == len(expected)


def test_cleaning_drops_exactly_the_logged_refusals_and_repeated_submissions(survey_raw, cleaned, problem_log):
    dropped = set(survey_raw["submission_id"]) - set(cleaned.data["submission_id"])
    log = survey_log(problem_log, "no_consent", "duplicate_submission")
    resubmitted = log[(log["problem"] == "duplicate_submission") & (log["original_value"] != log["injected_value"])]
    refused = set(log.loc[log["problem"] == "no_consent", "record_key"].str.split("#").str[0])
    assert dropped == refused | set(resubmitted["injected_value"])
    steps = cleaned.to_frame().set_index("function")
    assert steps.loc["drop_duplicates", "rows_dropped"] + steps.loc["drop_duplicate_submissions", "rows_dropped"] == \
        int((log["problem"] == "duplicate_submission").sum())


def test_fast_interviews_flagged_are_exactly_the_logged_fast_enumerators_records(cleaned, problem_log):
    fast = cleaned.data[cleaned.data["fast_interview"]]
    log = survey_log(problem_log, "fast_enumerator")
    logged_enumerator = log["note"].str.extract(r"by (ENUM\d+)")[0].unique().tolist()
    step = cleaned.steps[-1]
    assert step.details.loc[step.details["suspect"], "enumerator"].tolist() == logged_enumerator
    assert set(log["record_key"]) <= set(record_keys(fast))


def test_every_logged_label_variant_is_standardised(cleaned, problem_log):
    log = survey_log(problem_log, "label_variant")
    data = cleaned.data.assign(key=record_keys(cleaned.data)).set_index("key")
    log = log[log["record_key"].isin(data.index) & log["column"].isin(data.columns)]
    got = [str(data.at[k, c]) if c not in ("feels_safe_night", "in_school") else
           {"True": "yes", "False": "no"}[str(data.at[k, c])] for k, c in zip(log["record_key"], log["column"])]
    assert got == log["original_value"].astype(str).tolist()


def test_range_rule_on_age_finds_every_logged_impossible_age(survey_raw, problem_log):
    report = cl.validate(survey_raw, [cl.Rule.range("age", 0, 110)])
    failing = set(record_keys(survey_raw)[report.failed()])
    logged = set(survey_log(problem_log, "impossible_value")["record_key"])
    codes = set(record_keys(survey_raw)[survey_raw["age"].eq(-99).fillna(False)])
    assert failing == logged | codes


def test_survey_rules_pass_after_cleaning_and_fail_on_the_raw_export(survey_raw, cleaned):
    raw_report = cl.validate(survey_raw, lumeria.survey_rules())
    assert raw_report.n_failures > 5000
    assert cl.validate(cleaned.data, lumeria.survey_rules(raw_names=False)).passed


def test_the_saved_log_replays_on_the_raw_file_to_the_same_result(survey_raw, cleaned, tmp_path):
    cleaned.to_json(tmp_path / "log.json")
    again = cl.CleaningLog.from_json(tmp_path / "log.json").replay(survey_raw)
    pd.testing.assert_frame_equal(again.data, cleaned.data)
    assert again.to_frame()["rows_affected"].tolist() == cleaned.to_frame()["rows_affected"].tolist()


def cluster_pairs(labels: pd.Series) -> set:
    pairs = set()
    for _, g in labels.groupby(labels):
        pairs |= set(itertools.combinations(sorted(g.index), 2))
    return pairs


def test_crowd_report_near_duplicates_match_the_true_incidents():
    reports = load("crowd_reports")
    nd = cl.find_near_duplicates(reports, block="category", time="received_at", within="2D",
                                 lat="lat", lon="lon", max_metres=1500)
    found = cluster_pairs(nd.cluster)
    truth = cluster_pairs(reports["incident_id"])
    assert len(found & truth) / len(found) >= 0.95
    assert len(found & truth) / len(truth) >= 0.95
    assert nd.candidates < len(reports) * 3


def test_map_points_outside_and_swapped_are_the_logged_ones_and_duplicates_are_found(problem_log):
    points = load("participatory_map")
    log = problem_log[problem_log["dataset"] == "participatory_map"]
    status = cl.gps_status(points)
    assert set(points.loc[status == "swapped", "point_id"]) == set(log.loc[log["problem"] == "swapped_latlon", "record_key"])
    assert set(points.loc[status == "outside", "point_id"]) == set(log.loc[log["problem"] == "outside_boundary", "record_key"])
    fixed = cl.fix_swapped_gps(points).data
    nd = cl.find_near_duplicates(fixed, block="subtype", lat="lat", lon="lon", max_metres=30)
    found, truth = cluster_pairs(nd.cluster), cluster_pairs(points["feature_id"])
    assert len(found & truth) / len(found) >= 0.99
    assert len(found & truth) / len(truth) >= 0.95


def test_cli_validates_the_raw_export_against_rules_and_writes_every_failure(repo_root, tmp_path, capsys):
    import json

    from cdcourse.cli import main

    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"rules": [r.to_dict() for r in lumeria.survey_rules()]}))
    out = tmp_path / "failures.csv"
    code = main(["clean", "validate", str(repo_root / "datasets" / "community_survey_raw.csv"),
                 "--rules", str(rules), "--out", str(out)])
    assert code == 1
    failures = pd.read_csv(out)
    in_memory = cl.validate(load("community_survey_raw"), lumeria.survey_rules())
    # the CSV is read as text, so counts equal the typed check except where typing itself decides
    assert failures["rule"].value_counts()["sex allowed values"] == \
        int(in_memory.summary().set_index("rule").at["sex allowed values", "failures"])
    assert failures["line"].min() >= 2
    assert "failures" in capsys.readouterr().out


def test_messy_survey_is_reproducible_and_the_recipe_recovers_its_truth():
    first = lumeria.messy_survey(seed=42, households=40)
    again = lumeria.messy_survey(seed=42, households=40)
    pd.testing.assert_frame_equal(first.raw, again.raw)
    assert not first.raw.equals(lumeria.messy_survey(seed=43, households=40).raw)
    assert first.clean["household_id"].nunique() == 40
    assert set(first.problems["problem"]) >= {"no_consent", "label_variant", "date_format", "missing_code",
                                               "duplicate_submission"}
    log = lumeria.clean_survey(first.raw)
    columns = [c for c in first.clean.columns if c in log.data.columns and c not in ("submission_id", "line_no")]
    agreement = cl.compare_to_reference(log.data, first.clean, ["submission_id", "line_no"], columns)
    assert (agreement.rows_matched, agreement.rows_missing, agreement.rows_extra) == (len(first.clean), 0, 0)
    lost = first.problems["problem"].isin(["missing_code", "impossible_value"]).sum()
    assert agreement.cells_compared - agreement.cells_agree == lost


def test_messy_survey_rejects_bad_sizes():
    with pytest.raises(CdcourseError, match="households must be a whole number"):
        lumeria.messy_survey(households=2)
