"""The quality report (HTML + JSON) and the `cdcourse quality` command."""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from cdcourse import quality
from cdcourse.cli import main

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"
CSVS = sorted(DATASETS.glob("*.csv"))

CSV_TEXT = """id,age,sex,visit
a,34,female,2024-05-01
b,,male,2024-01-03
c,151,F,2023-01-01
c,151,F,2023-01-01
d,20,male,not a date
"""
PACKAGE = {"resources": [{"name": "visits", "path": "visits.csv", "schema": {
    "fields": [{"name": "id", "type": "string", "constraints": {"required": True}},
               {"name": "age", "type": "integer", "constraints": {"minimum": 0, "maximum": 110}},
               {"name": "sex", "type": "string", "constraints": {"enum": ["female", "male"]}},
               {"name": "visit", "type": "date"}],
    "primaryKey": ["id"], "missingValues": ["", "n/a"]}}]}


@pytest.fixture
def files(tmp_path):
    (tmp_path / "visits.csv").write_text(CSV_TEXT)
    (tmp_path / "datapackage.json").write_text(json.dumps(PACKAGE))
    return tmp_path


def test_report_html_is_self_contained_with_embedded_charts():
    df = pd.DataFrame({"id": ["a", "b"], "x": [1, None]})
    p = quality.profile(df, dataset="tiny", key="id")
    page = quality.report_html(p, quality.assess(p))
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("data:image/png;base64,") == 2
    # nothing is fetched from elsewhere: no external src/href
    assert not re.search(r"""(src|href)=['"](?!data:)""", page)
    assert "missing" in page and "never reported as 100" in page
    assert "not an official standard" in html.unescape(page)


def test_report_escapes_text_from_the_data():
    df = pd.DataFrame({"<script>x</script>": [1, 2]})
    page = quality.report_html(quality.profile(df, dataset="<b>bad</b>"), charts=False)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_cli_report_writes_html_and_json_with_the_hand_worked_measures(files, capsys):
    out, js = files / "r.html", files / "r.json"
    code = main(["quality", "report", str(files / "visits.csv"), "--schema", str(files / "datapackage.json"),
                 "--reference-date", "2024-06-30", "--out", str(out), "--json", str(js)])
    assert code == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    report = json.loads(js.read_text())
    measures = report["profile"]["measures"]
    # completeness: 20 cells, 1 empty; validity: 19 checks (id 5, age 4 present, sex 5, visit 5), 5 invalid
    assert measures["completeness_cells"]["worked"] == "100 × 19 / 20 = 95.0 %"
    assert measures["validity"]["worked"] == "100 × 14 / 19 = 73.7 %"
    assert measures["uniqueness"]["worked"] == "100 × 4 / 5 = 80.0 %"   # primary key id: 'c' twice
    assert measures["timeliness"]["worked"] == "100 × 2 / 4 = 50.0 %"   # the unreadable date is left out
    assert measures["consistency"]["value"] is None
    assert report["assessment"]["verdict"] == quality.NOT_FIT
    assert "not measured" in capsys.readouterr().out


def test_cli_without_schema_reports_validity_as_missing(files):
    js = files / "r.json"
    assert main(["quality", "report", str(files / "visits.csv"), "--out", str(files / "r.html"), "--json", str(js)]) == 0
    report = json.loads(js.read_text())
    assert report["profile"]["measures"]["validity"]["value"] is None
    assert report["assessment"]["verdict"] == quality.INCOMPLETE


def test_cli_takes_a_matrix_and_answers(files):
    matrix = files / "m.json"
    matrix.write_text(json.dumps({"weights": {"accuracy_reliability": 5}, "normalise": True}))
    answers = files / "a.json"
    answers.write_text(json.dumps({"relevance": 3, "ethics_consent_protection": {"level": 2, "evidence": "consent"}}))
    js = files / "r.json"
    assert main(["quality", "report", str(files / "visits.csv"), "--schema", str(files / "datapackage.json"),
                 "--matrix", str(matrix), "--answers", str(answers), "--reference-date", "2024-06-30",
                 "--out", str(files / "r.html"), "--json", str(js)]) == 0
    rows = {r["criterion"]: r for r in json.loads(js.read_text())["assessment"]["criteria"]}
    assert rows["relevance"]["level"] == 3 and rows["ethics_consent_protection"]["evidence"] == "consent"


def test_cli_applicable_skip_pattern(files):
    js = files / "r.json"
    assert main(["quality", "report", str(files / "visits.csv"), "--applicable", "sex=age >= 18",
                 "--out", str(files / "r.html"), "--json", str(js)]) == 0
    # sex applies to ages 34, 151, 151, 20 (the missing age is skipped): 16 + 4 = 19 applicable cells
    measure = json.loads(js.read_text())["profile"]["measures"]["completeness_cells"]
    assert (measure["numerator"], measure["denominator"]) == (18, 19)


@pytest.mark.parametrize("args, message", [
    (["--resource", "nope"], "resource 'nope' is not in the data package"),
    (["--matrix", "missing.json"], "matrix file 'missing.json' does not exist"),
    (["--reference-date", "someday"], "reference_date must be a date"),
    (["--applicable", "sex"], "--applicable must look like 'COLUMN=CONDITION'"),
])
def test_cli_bad_input_exits_2_with_a_clear_message(files, capsys, args, message):
    code = main(["quality", "report", str(files / "visits.csv"), "--schema", str(files / "datapackage.json"),
                 "--out", str(files / "r.html"), *args])
    assert code == 2
    assert message in capsys.readouterr().err


def test_cli_missing_data_file_exits_2(tmp_path, capsys):
    assert main(["quality", "report", str(tmp_path / "none.csv"), "--out", str(tmp_path / "r.html")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_cli_matrix_and_answers_templates_load_back(tmp_path):
    assert main(["quality", "matrix", "--out", str(tmp_path / "m.json")]) == 0
    assert quality.load_matrix(tmp_path / "m.json").to_dict() == quality.default_matrix().to_dict()
    assert main(["quality", "answers", "--out", str(tmp_path / "a.json")]) == 0
    assert set(quality.load_answers(tmp_path / "a.json")) == set(quality.default_matrix().human_criteria)


@pytest.mark.slow
@pytest.mark.skipif(not CSVS, reason="datasets/ has no CSV yet")
@pytest.mark.parametrize("csv", CSVS, ids=[p.stem for p in CSVS])
def test_cli_writes_a_report_for_every_dataset(csv, tmp_path):
    package = DATASETS / "datapackage.json"
    args = ["quality", "report", str(csv), "--reference-date", "2024-12-31",
            "--out", str(tmp_path / "r.html"), "--json", str(tmp_path / "r.json")]
    if package.exists():
        names = [Path(r.get("path", "")).name for r in json.loads(package.read_text()).get("resources", [])]
        if csv.name in names:
            args += ["--schema", str(package)]
    assert main(args) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["profile"]["rows"] > 0
    assert report["assessment"]["verdict"] in quality.VERDICTS
    for m in report["profile"]["measures"].values():
        assert m["value"] is not None or m["reason"], m["name"]  # a missing measure always says why
    assert (tmp_path / "r.html").read_text().count("data:image/png;base64,") == 2


def test_cli_names_the_resource_option_when_no_resource_matches(files, capsys):
    (files / "other.csv").write_text(CSV_TEXT)
    code = main(["quality", "report", str(files / "other.csv"), "--schema", str(files / "datapackage.json"),
                 "--out", str(files / "r.html")])
    assert code == 2
    assert "--resource" in capsys.readouterr().err
