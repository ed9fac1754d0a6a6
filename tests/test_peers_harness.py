"""benchmarks/peers: answers are compared strictly, ratios and targets read the right way, data round-trip.

Everything here runs on tiny data in the project's own environment: the peer libraries (pycanon,
samplics, pandera) are never imported. No assertion depends on how fast this machine is.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

PEERS = Path(__file__).resolve().parents[1] / "benchmarks" / "peers"
sys.path.insert(0, str(PEERS))

import compare  # noqa: E402
import data  # noqa: E402
import theirs  # noqa: E402  (imports no peer library at module level)
import workloads  # noqa: E402


# -- agreement --------------------------------------------------------------------------------------
def test_exact_answers_agree_only_when_every_value_is_equal():
    assert compare.agree({"k": 3}, {"k": 3}) == (True, "equal (1 value)")
    ok, text = compare.agree({"k": 3}, {"k": 2})
    assert not ok and "k: 3 vs 2" in text


def test_counts_per_rule_must_all_match_and_the_differing_rule_is_named():
    ours = {"failures": {"age in [0, 99]": 10, "sex allowed": 4}}
    ok, text = compare.agree(ours, {"failures": {"age in [0, 99]": 10, "sex allowed": 5}})
    assert not ok
    assert "failures[sex allowed]: 4 vs 5" in text and "1 of 2 differ" in text


def test_a_rule_or_domain_missing_on_one_side_is_a_disagreement():
    ok, text = compare.agree({"se": {"a": 1.0, "b": 2.0}}, {"se": {"a": 1.0}}, "close", rtol=1e-8)
    assert not ok and "only ours: se[b]" in text
    ok, text = compare.agree({"se": {"a": 1.0}}, {"se": {"a": 1.0, "c": 2.0}}, "close", rtol=1e-8)
    assert not ok and "only peer: se[c]" in text


def test_close_answers_use_a_relative_tolerance():
    assert compare.agree({"se": 0.1128}, {"se": 0.1128 * (1 + 5e-9)}, "close", rtol=1e-8)[0]
    assert not compare.agree({"se": 0.1128}, {"se": 0.1128 * (1 + 5e-8)}, "close", rtol=1e-8)[0]
    # the largest relative difference is reported
    text = compare.agree({"x": 1.0}, {"x": 1.0 + 1e-12}, "close", rtol=1e-8)[1]
    assert "largest rel. diff 1.0e-12" in text


def test_close_values_near_zero_use_the_absolute_tolerance():
    assert compare.agree({"t": 0.0}, {"t": 1e-15}, "close", rtol=1e-9, atol=1e-12)[0]
    assert not compare.agree({"t": 0.0}, {"t": 1e-15}, "close", rtol=1e-9, atol=0.0)[0]


def test_nan_agrees_only_with_nan():
    assert compare.agree({"x": float("nan")}, {"x": float("nan")}, "close", rtol=1e-8)[0]
    assert not compare.agree({"x": float("nan")}, {"x": 1.0}, "close", rtol=1e-8)[0]


def test_an_unknown_comparison_is_refused():
    with pytest.raises(ValueError, match="compare must be"):
        compare.agree({"k": 1}, {"k": 1}, "roughly")


# -- ratios, targets, table -------------------------------------------------------------------------
def test_ratio_is_peer_time_over_ours():
    assert compare.ratio(0.5, 10.0) == 20.0
    assert compare.ratio(None, 1.0) is None and compare.ratio(1.0, None) is None and compare.ratio(0.0, 1.0) is None


def test_median_of_repeated_runs():
    assert compare.median([3.0, 1.0, 2.0]) == 2.0
    assert compare.median([1.0, 2.0]) == 1.5
    assert compare.median([]) is None


@pytest.mark.parametrize("workload, r, expected", [
    ("l_diversity", 20.0, "met"), ("l_diversity", 19.9, "MISSED"), ("t_closeness", 250.0, "met"),
    ("taylor_domains", 9.0, "MISSED"), ("validation", 1.01, "met"), ("validation", 1.0, "MISSED"),
    ("validation", None, "n/a"), ("k_anonymity", 2.0, ""),
])
def test_targets_of_the_issue(workload, r, expected):
    assert compare.verdict(workload, r) == expected


def _result(wid="l_diversity", ours_s=0.5, peer_s=12.0, agreement=True, peer_status="ok"):
    return {"id": wid, "name": workloads.BY_ID[wid]["name"], "rows": 1_000_000, "library": "pycanon",
            "ours": {"status": "ok", "median_s": ours_s, "median_cpu_s": ours_s, "input_mb": 133.0, "extra_mb": 95.0},
            "peer": {"status": peer_status, "median_s": peer_s, "median_cpu_s": 2 * peer_s, "extra_mb": 140.0},
            "agreement": agreement}


def test_table_row_shows_times_ratio_target_and_agreement():
    row = compare.table_rows([_result()])[0]
    assert dict(zip(compare.COLUMNS, row)) == {
        "workload": "l-diversity (distinct)", "rows": "1,000,000", "ours s": "0.500", "peer": "pycanon",
        "peer s": "12.0", "ratio": "24.0x", "target": ">= 20x met", "cpu ratio": "48.0x", "answers": "agree", "input MB": "133",
        "ours +MB": "95", "peer +MB": "140"}


def test_table_row_says_when_answers_disagree_or_the_peer_is_missing():
    def cell(row, column):
        return row[compare.COLUMNS.index(column)]

    assert cell(compare.table_rows([_result(agreement=False)])[0], "answers") == "DISAGREE"
    row = compare.table_rows([_result(peer_status="unavailable")])[0]
    assert cell(row, "answers") == "peer unavailable" and cell(row, "ratio") == "-" and cell(row, "cpu ratio") == "-"
    assert cell(row, "target") == ">= 20x n/a"


def test_plain_and_markdown_tables_line_up():
    text = compare.format_table(["a", "bb"], [["x", "1"], ["longer", "22"]])
    lines = text.splitlines()
    assert len({len(line) for line in lines}) == 1 and lines[1].startswith("------")
    md = compare.markdown_table(["a", "b"], [["x", "1"]])
    assert md.splitlines() == ["| a | b |", "| --- | ---: |", "| x | 1 |"]


def test_growth_exponent_between_the_two_largest_sizes():
    assert compare.growth([10, 100, 1000], [1.0, 10.0, 100.0]) == pytest.approx(1.0)
    assert compare.growth([10, 100, 1000], [1.0, 10.0, 1000.0]) == pytest.approx(2.0)
    assert compare.growth([10, 100], [1.0, None]) is None


# -- data files -------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", data.KINDS)
def test_data_round_trips_and_is_reproducible(kind, tmp_path):
    data.write(kind, 500, tmp_path / "a")
    data.write(kind, 500, tmp_path / "b")
    first, second = data.read(tmp_path / "a"), data.read(tmp_path / "b")
    assert len(first) == 500
    pd.testing.assert_frame_equal(first, second)
    assert data.frame_mb(first) > 0


def test_text_columns_keep_missing_values_as_missing(tmp_path):
    frame = data.read(data.write("records", 2_000, tmp_path))
    assert frame["sex"].isna().any() and not frame["sex"].isin(["nan", "None", ""]).any()
    assert frame["person_id"].notna().all()


def test_privacy_data_has_the_stated_keys(tmp_path):
    frame = data.read(data.write("privacy", 3_000, tmp_path))
    assert frame["age"].between(0, 89).all() and set(frame["sex"]) == {"female", "male"}
    assert set(frame["education"]) <= {0, 1, 2, 3}


def test_survey_data_nests_psus_in_strata(tmp_path):
    frame = data.read(data.write("survey", 4_000, tmp_path))
    assert frame.groupby("psu")["stratum"].nunique().max() == 1
    assert frame["psu"].nunique() == data.N_STRATA * data.PSU_PER_STRATUM
    assert frame["domain"].nunique() == data.N_DOMAINS


# -- reading pandera's failure cases (no pandera needed: the shapes are rebuilt here) ---------------
def _fake_schema():
    check = lambda name: SimpleNamespace(name=name)  # noqa: E731
    columns = {"age": SimpleNamespace(checks=[check("age in [0, 99]")]),
               "enumerator_id": SimpleNamespace(checks=[check("enumerator_id matches ENUM[0-9]+"),
                                                        check("enumerator_id length in [5, 6]")])}
    return SimpleNamespace(columns=columns, checks=[check("head aged 15+")])


def test_pandera_failure_cases_are_counted_once_per_row_and_rule():
    fc = pd.DataFrame([
        # column-level checks: told apart by their position in the column's checks
        ("Column", "age", "in_range(0, 99)", 0, 120, 5),
        ("Column", "age", "in_range(0, 99)", 0, -1, 9),
        ("Column", "enumerator_id", "str_matches('ENUM')", 0, "EN3", 2),
        ("Column", "enumerator_id", "str_length(5, 6)", 1, "ENUM123", 3),
        # a wide check lists its failing row once per column
        ("DataFrameSchema", "age", "head aged 15+", 0, 12, 4),
        ("DataFrameSchema", "relationship", "head aged 15+", 0, "head", 4),
        # two-column uniqueness: both copies, once per column
        ("DataFrameSchema", "household_id", "multiple_fields_uniqueness", np.nan, "H1", 6),
        ("DataFrameSchema", "line_no", "multiple_fields_uniqueness", np.nan, 1, 6),
        ("DataFrameSchema", "household_id", "multiple_fields_uniqueness", np.nan, "H1", 7),
        ("DataFrameSchema", "line_no", "multiple_fields_uniqueness", np.nan, 1, 7),
        # built-in checks carry pandera's own names
        ("Column", "sex", "not_nullable", np.nan, None, 8),
        ("Column", "person_id", "field_uniqueness", np.nan, "P1", 1),
        ("Column", "person_id", "field_uniqueness", np.nan, "P1", 11),
    ], columns=["schema_context", "column", "check", "check_number", "failure_case", "index"])
    assert theirs.failure_counts(fc, _fake_schema()) == {
        "age in [0, 99]": 2, "enumerator_id matches ENUM[0-9]+": 1, "enumerator_id length in [5, 6]": 1,
        "head aged 15+": 1, "household_id, line_no unique": 2, "sex required": 1, "person_id unique": 2,
    }


def test_both_sides_implement_every_workload():
    import ours

    ids = {w["id"] for w in workloads.WORKLOADS}
    assert set(ours.SIDE) == ids and set(theirs.SIDE) == ids
    assert [r.name for r in ours.rules()] == workloads.RULE_NAMES


# -- the processes ----------------------------------------------------------------------------------
def test_worker_times_our_side_and_records_answer_and_memory(tmp_path):
    folder = data.write("privacy", 2_000, tmp_path / "privacy")
    out = tmp_path / "result.json"
    done = subprocess.run([sys.executable, str(PEERS / "worker.py"), "--side", "ours", "--workload", "k_anonymity",
                           "--data", str(folder), "--repeat", "2", "--result", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    from cdcourse import privacy

    assert result["status"] == "ok" and len(result["times_s"]) == 2
    assert result["answer"] == {"k": privacy.k_anonymity(data.read(folder), workloads.QIS)}
    assert result["input_mb"] > 0 and result["extra_mb"] is not None and result["extra_mb"] >= 0


def test_worker_reports_a_peer_that_cannot_be_imported_as_unavailable(tmp_path):
    folder = data.write("survey", 2_000, tmp_path / "survey")
    out = tmp_path / "result.json"
    # hide any installed samplics behind a module that fails to import
    fake = tmp_path / "fake"
    (fake / "samplics").mkdir(parents=True)
    (fake / "samplics" / "__init__.py").write_text("raise ImportError('samplics is broken here')\n")
    done = subprocess.run([sys.executable, str(PEERS / "worker.py"), "--side", "theirs", "--workload", "taylor_mean",
                           "--data", str(folder), "--repeat", "1", "--result", str(out)],
                          capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(fake), "PATH": ""})
    assert done.returncode == 0, done.stderr
    result = json.loads(out.read_text())
    assert result["status"] == "unavailable" and "samplics is broken here" in result["error"]


def test_runner_without_peers_reports_them_and_still_runs_ours(tmp_path):
    done = subprocess.run([sys.executable, str(PEERS / "run.py"), "--rows", "3000", "--repeat", "1", "--no-peers",
                           "--only", "taylor_mean", "--out", str(tmp_path / "out.json")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "peer unavailable" in done.stdout
    saved = json.loads((tmp_path / "out.json").read_text())
    (record,) = saved["results"]
    assert record["ours"]["status"] == "ok" and record["peer"]["status"] == "unavailable"
    assert saved["machine"]["cpus"] >= 1
