"""The ``cdcourse sampling`` command group: size, estimate and draw."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cdcourse import sampling
from cdcourse.cli import main


@pytest.fixture()
def survey_csv(tmp_path):
    rng = np.random.default_rng(1)
    n = 400
    df = pd.DataFrame({
        "stratum": np.repeat(["A", "B", "C", "D"], 100),
        "psu": np.repeat([f"E{i}" for i in range(20)], 20),
        "w": rng.uniform(10, 30, n),
        "minutes": rng.gamma(2, 10, n),
        "improved": rng.random(n) < 0.6,
        "source": rng.choice(["tap", "well", "river"], n),
        "sex": rng.choice(["female", "male"], n),
    })
    path = tmp_path / "survey.csv"
    df.to_csv(path, index=False)
    return path, df


def test_size_prints_the_steps_and_the_plan(capsys):
    assert main(["sampling", "size", "--p", "0.25", "--margin", "0.12", "--relative", "--deff", "1.5",
                 "--response-rate", "0.9"]) == 0
    out = capsys.readouterr().out
    assert "1,334.00" in out and "Select 1,334 units" in out and "about 1,201 complete" in out


def test_size_for_a_mean_with_cluster_design_effect(capsys):
    assert main(["sampling", "size", "--sd", "20", "--margin", "2", "--cluster-size", "15", "--icc", "0.05"]) == 0
    assert "Plan for 654 completed interviews." in capsys.readouterr().out  # 384.15 x 1.7 = 653.05


def test_size_bad_input_is_exit_code_2_with_the_parameter_named(capsys):
    assert main(["sampling", "size", "--p", "1.5", "--margin", "0.05"]) == 2
    assert "error: p must be a number in (0, 1)" in capsys.readouterr().err
    assert main(["sampling", "size", "--p", "0.5", "--margin", "0.05", "--icc", "0.1"]) == 2
    assert "--icc and --cluster-size go together" in capsys.readouterr().err


def test_estimate_table_matches_the_library(survey_csv, capsys):
    path, df = survey_csv
    assert main(["sampling", "estimate", str(path), "--y", "minutes", "--weight", "w", "--strata", "stratum",
                 "--psu", "psu", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    est = sampling.estimate_mean(df, "minutes", "w", strata="stratum", psu="psu")
    assert rows[0]["estimate"] == pytest.approx(est.estimate) and rows[0]["se"] == pytest.approx(est.se)


def test_estimate_by_domain_as_csv_and_table(survey_csv, capsys):
    path, df = survey_csv
    assert main(["sampling", "estimate", str(path), "--y", "improved", "--stat", "proportion", "--weight", "w",
                 "--strata", "stratum", "--psu", "psu", "--by", "sex", "--format", "csv"]) == 0
    out = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert out["sex"].tolist() == ["female", "male"]
    assert main(["sampling", "estimate", str(path), "--y", "source", "--level", "river", "--stat", "proportion",
                 "--weight", "w", "--psu", "psu"]) == 0
    out = capsys.readouterr().out
    assert "source = river" in out and "Estimated share with source = river" in out


def test_estimate_level_is_read_in_the_column_type(survey_csv, capsys):
    path, df = survey_csv
    assert main(["sampling", "estimate", str(path), "--y", "improved", "--stat", "proportion", "--level", "False",
                 "--weight", "w", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["estimate"] == pytest.approx(1 - (df["w"] * df["improved"]).sum() / df["w"].sum())


def test_estimate_bad_input_names_column_or_file(survey_csv, tmp_path, capsys):
    path, _ = survey_csv
    assert main(["sampling", "estimate", str(path), "--y", "minutes", "--weight", "wt"]) == 2
    assert "weight 'wt' is not a column" in capsys.readouterr().err
    assert main(["sampling", "estimate", str(tmp_path / "none.csv"), "--y", "a", "--weight", "w"]) == 2
    assert "data file" in capsys.readouterr().err
    assert main(["sampling", "estimate", str(path), "--y", "minutes", "--weight", "w", "--level", "x"]) == 2
    assert "--level applies to --stat proportion only" in capsys.readouterr().err


def test_draw_writes_a_reproducible_sample_with_weights(survey_csv, tmp_path, capsys):
    path, df = survey_csv
    out = tmp_path / "sample.csv"
    args = ["sampling", "draw", str(path), "--design", "stratified", "--strata", "stratum", "--n", "40",
            "--seed", "3", "--out", str(out)]
    assert main(args) == 0
    assert "wrote 40 rows" in capsys.readouterr().out
    first = pd.read_csv(out)
    assert main(args) == 0
    capsys.readouterr()
    pd.testing.assert_frame_equal(first, pd.read_csv(out))
    assert first.groupby("stratum")["design_weight"].sum().round(6).tolist() == [100.0] * 4
    assert main(["sampling", "draw", str(path), "--design", "two-stage", "--psu", "psu", "--strata", "stratum",
                 "--n", "2", "--take", "5", "--seed", "1"]) == 0
    printed = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert len(printed) == 40 and {"prob_stage1", "prob_stage2"} <= set(printed.columns)


def test_draw_needs_the_design_arguments(survey_csv, capsys):
    path, _ = survey_csv
    assert main(["sampling", "draw", str(path), "--design", "pps", "--n", "3", "--seed", "1"]) == 2
    assert "--design pps needs --size" in capsys.readouterr().err


def test_group_without_command_prints_help(capsys):
    assert main(["sampling"]) == 2
    assert "estimate" in capsys.readouterr().out
