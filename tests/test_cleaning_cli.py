"""`cdcourse clean`: validate a CSV (exit codes, every failure written), list schema rules, replay a log."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from cdcourse import cleaning
from cdcourse.cli import main


@pytest.fixture()
def messy_csv(tmp_path):
    path = tmp_path / "people.csv"
    pd.DataFrame({"id": ["P1", "P2", "P2", "X4"], "age": ["34", "150", "", "abc"],
                  "sex": ["female", "F", "male", "male"]}).to_csv(path, index=False)
    return path


@pytest.fixture()
def schema(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"fields": [
        {"name": "id", "type": "string", "constraints": {"required": True, "unique": True, "pattern": "P\\d+"}},
        {"name": "age", "type": "integer", "constraints": {"required": True, "minimum": 0, "maximum": 110}},
        {"name": "sex", "type": "string", "constraints": {"enum": ["female", "male"]}},
    ]}))
    return path


def test_validate_exits_1_and_writes_every_failure_with_file_line_numbers(messy_csv, schema, tmp_path, capsys):
    out = tmp_path / "failures.csv"
    code = main(["clean", "validate", str(messy_csv), "--schema", str(schema), "--types", "--out", str(out)])
    assert code == 1
    failures = pd.read_csv(out)
    got = set(zip(failures["line"], failures["rule"]))
    assert got == {(3, "id unique"), (4, "id unique"), (5, "id matches P\\d+"), (3, "age in [0, 110]"),
                   (4, "age required"), (5, "age is integer"), (5, "age in [0, 110]"), (3, "sex allowed values")}
    printed = capsys.readouterr().out
    assert "8 failures on 3 rows" in printed and "every failure (8 rows)" in printed


def test_validate_exits_0_when_every_rule_passes(tmp_path, schema, capsys):
    path = tmp_path / "ok.csv"
    pd.DataFrame({"id": ["P1", "P2"], "age": ["3", "40"], "sex": ["female", "male"]}).to_csv(path, index=False)
    assert main(["clean", "validate", str(path), "--schema", str(schema)]) == 0
    assert "0 failures" in capsys.readouterr().out


def test_validate_reads_rules_from_a_json_file(messy_csv, tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"kind": "range", "column": "age", "min": 0, "max": 110, "name": "age ok"}]))
    out = tmp_path / "f.csv"
    assert main(["clean", "validate", str(messy_csv), "--rules", str(rules), "--out", str(out)]) == 1
    assert pd.read_csv(out)["line"].tolist() == [3, 5]


@pytest.mark.parametrize("args, message", [
    (["--schema", "nope.json"], "schema file 'nope.json' does not exist"),
    ([], "no rules: give --schema"),
    (["--rules", "nope.json"], "rules file 'nope.json' does not exist"),
])
def test_validate_bad_input_exits_2_with_a_clear_message(messy_csv, args, message, capsys):
    assert main(["clean", "validate", str(messy_csv), *args]) == 2
    assert message in capsys.readouterr().err


def test_validate_names_a_rule_on_a_column_the_csv_lacks(messy_csv, tmp_path, capsys):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps([{"kind": "required", "column": "district"}]))
    assert main(["clean", "validate", str(messy_csv), "--rules", str(rules)]) == 2
    assert "rule 'district required' names column 'district'" in capsys.readouterr().err


def test_validate_missing_data_file_exits_2(schema, capsys):
    assert main(["clean", "validate", "nope.csv", "--schema", str(schema)]) == 2
    assert "data file 'nope.csv' does not exist" in capsys.readouterr().err


def test_rules_prints_the_schema_rules_as_json(repo_root, capsys):
    assert main(["clean", "rules", "--schema", str(repo_root / "datasets" / "datapackage.json"),
                 "--resource", "crowd_reports"]) == 0
    rules = json.loads(capsys.readouterr().out)["rules"]
    assert {"kind": "unique", "name": "report_id unique", "column": "report_id"} in rules
    assert cleaning.as_rules(rules)  # what it prints reads back as rules


def test_replay_runs_a_saved_log_on_a_raw_csv(tmp_path, capsys):
    raw = pd.DataFrame({"consent": ["yes", "NO", "Y"], "age": [34, 20, -99]})
    raw.to_csv(tmp_path / "raw.csv", index=False)
    log = cleaning.CleaningLog("raw")
    df = log.add(cleaning.keep_consented(raw))
    df = log.add(cleaning.set_missing(df, {"age": [-99]}))
    log.to_json(tmp_path / "log.json")
    out = tmp_path / "clean.csv"
    assert main(["clean", "replay", str(tmp_path / "raw.csv"), "--log", str(tmp_path / "log.json"),
                 "--out", str(out)]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out), df.reset_index(drop=True))
    assert "2 rows written" in capsys.readouterr().out


def test_replay_names_an_unknown_parse_dates_column(tmp_path, capsys):
    pd.DataFrame({"a": [1]}).to_csv(tmp_path / "raw.csv", index=False)
    (tmp_path / "log.json").write_text(json.dumps({"steps": []}))
    assert main(["clean", "replay", str(tmp_path / "raw.csv"), "--log", str(tmp_path / "log.json"),
                 "--out", str(tmp_path / "o.csv"), "--parse-dates", "when"]) == 2
    assert "--parse-dates column 'when'" in capsys.readouterr().err
