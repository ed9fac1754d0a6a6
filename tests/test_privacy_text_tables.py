"""Free-text redaction, table rules, identifiers and the ``cdcourse privacy`` command."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cdcourse import privacy
from cdcourse.cli import main
from cdcourse.errors import CdcourseError


# ---------------------------------------------------------------------------------------------
# redaction
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, phone", [
    ("call +999 772 555 123 now", "+999 772 555 123"),
    ("call +999-772-555123 now", "+999-772-555123"),
    ("call +999772555123 now", "+999772555123"),
    ("call 0772 555 123 now", "0772 555 123"),
    ("call 0772-555-123 now", "0772-555-123"),
    ("call 0772555123 now", "0772555123"),
    ("call (0772) 555123 now", "(0772) 555123"),
    ("call 0772.555.123 now", "0772.555.123"),
])
def test_phone_numbers_in_international_and_local_formats_are_redacted(text, phone):
    res = privacy.redact_text(text)
    assert res.text == "call [PHONE] now"
    assert res.found["value"].tolist() == [phone]


@pytest.mark.parametrize("text", [
    "water cut since 2024-03-05", "since 05/03/2024 at 10:30", "we paid 25000 shillings",
    "report 12 of 300 households", "reference 2500000", "5-Mar-24",
])
def test_dates_times_amounts_and_counts_are_not_phone_numbers(text):
    assert privacy.redact_text(text).text == text


def test_names_after_cues_and_from_a_list_are_redacted():
    text = "My name is Amina Yusuf. Ask for Mr Banda or call Grace Achieng; we hope it rains."
    res = privacy.redact_text(text, names=["Grace", "Hope"])
    assert res.text == "My name is [NAME]. Ask for Mr [NAME] or call [NAME]; we hope it rains."
    assert res.found["value"].tolist() == ["Amina Yusuf", "Banda", "Grace Achieng"]
    assert res.counts["name"] == 3


def test_capitalised_words_that_are_not_names_stay():
    text = "I am worried. Call Water Office on Monday. This is urgent."
    assert privacy.redact_text(text).text == text


def test_emails_are_redacted_before_anything_inside_them():
    res = privacy.redact_text("write to grace.achieng+report@mail.example.lm today", names=["Grace"])
    assert res.text == "write to [EMAIL] today"
    assert res.found["kind"].tolist() == ["email"]


def test_redaction_of_a_series_keeps_index_and_missing_values():
    s = pd.Series(["Mrs Njeri called 0772 111 222", None, "no water"], index=[10, 11, 12], name="text")
    res = privacy.redact_text(s)
    assert res.text.index.tolist() == [10, 11, 12] and res.text.name == "text"
    assert res.text.iloc[0] == "Mrs [NAME] called [PHONE]"
    assert pd.isna(res.text.iloc[1])
    assert res.found["row"].tolist() == [10, 10]
    assert s.iloc[0] == "Mrs Njeri called 0772 111 222"


def test_redact_column_returns_a_new_frame_and_the_report():
    df = pd.DataFrame({"text": ["Pipe burst, ask for Mr Banda", "No water"]})
    new, report = privacy.redact_column(df, "text", kinds=["name"])
    assert new["text"].tolist() == ["Pipe burst, ask for Mr [NAME]", "No water"]
    assert df["text"].iloc[0].endswith("Banda")
    with pytest.raises(CdcourseError, match="kinds must be among"):
        privacy.redact_text("x", kinds=["address"])


# ---------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def district_table():
    # a crosstab with margins: D02 "yes" = 2 and D03 "no" = 1 are below n = 3
    return pd.DataFrame(
        {"yes": [12, 2, 5, 19], "no": [30, 8, 1, 39], "All": [42, 10, 6, 58]},
        index=pd.Index(["D01", "D02", "D03", "All"], name="district"),
    )


def test_minimum_frequency_rule_flags_small_non_empty_cells(district_table):
    res = privacy.frequency_rule(district_table, n=3)
    assert res.primary.sum().sum() == 2
    assert res.primary.loc["D02", "yes"] and res.primary.loc["D03", "no"]
    assert np.isnan(res.protected.loc["D02", "yes"])
    zeros = pd.DataFrame({"a": [0, 1, 5]})
    assert privacy.frequency_rule(zeros).n_primary == 1
    assert privacy.frequency_rule(zeros, zero_is_safe=False).n_primary == 2


def test_secondary_suppression_leaves_no_row_or_column_with_a_single_hidden_cell(district_table):
    res = privacy.secondary_suppression(privacy.frequency_rule(district_table, n=3))
    hidden = res.suppressed.to_numpy()
    for counts in (hidden.sum(axis=0), hidden.sum(axis=1)):
        assert all(c == 0 or c >= 2 for c in counts)
    assert res.primary.loc["D02", "yes"] and not res.secondary.loc["D02", "yes"]
    # totals are hidden only when nothing else can protect a cell: here none is needed
    assert not res.suppressed["All"].any() and not res.suppressed.loc["All"].any()
    # D02 and D03 each lose their other cell: yes/no pairs protect each other
    assert res.suppressed.loc[["D02", "D03"], ["yes", "no"]].all().all()
    assert res.n_secondary == 2
    assert res.display().loc["D02", "yes"] == "x"


def test_dominance_rule_by_hand():
    # D01: 900 + 50 = 950 of 1000 = 95% > 85% -> unsafe; D02: 40 + 35 = 75 of 105 = 71.4% -> safe
    df = pd.DataFrame({"district": ["D01"] * 4 + ["D02"] * 3, "income": [900, 50, 30, 20, 40, 35, 30]})
    res = privacy.dominance_rule(df, "district", "income", n=2, k=85)
    assert res["unsafe"].tolist() == [True, False]
    assert res.loc["D02", "top_share"] == pytest.approx(75 / 105)
    # (1, 85): D01 900/1000 = 90% -> unsafe; D02 40/105 = 38% -> safe
    assert privacy.dominance_rule(df, "district", "income", n=1, k=85)["unsafe"].tolist() == [True, False]


def test_p_percent_rule_by_hand_and_its_relation_to_dominance():
    # D01: remainder 1000 - 900 - 50 = 50 < 10% of 900 = 90 -> unsafe
    # D02: remainder 105 - 40 - 35 = 30 >= 4 -> safe; a two-contributor cell is always unsafe
    df = pd.DataFrame({"cell": ["D01"] * 4 + ["D02"] * 3 + ["D03"] * 2,
                       "v": [900, 50, 30, 20, 40, 35, 30, 10, 10]})
    res = privacy.p_percent_rule(df, "cell", "v", p=10)
    assert res["unsafe"].tolist() == [True, False, True]
    assert res.loc["D01", "remainder"] == 50
    # p = 100 (100 - k) / k: k = 80 -> 25, k = 85 -> 17.65
    assert privacy.p_from_dominance_k(80) == pytest.approx(25.0)
    assert privacy.p_from_dominance_k(85) == pytest.approx(17.647, abs=1e-3)


def test_laplace_noise_is_seeded_and_has_scale_sensitivity_over_epsilon():
    counts = pd.Series(np.full(20_000, 100.0))
    a = privacy.laplace_counts(counts, epsilon=0.5, seed=1, round_to_int=False, clip_at_zero=False)
    b = privacy.laplace_counts(counts, epsilon=0.5, seed=1, round_to_int=False, clip_at_zero=False)
    pd.testing.assert_series_equal(a.counts, b.counts)
    assert a.scale == 2.0
    # mean absolute deviation of Laplace(0, b) is b
    assert (a.counts - 100).abs().mean() == pytest.approx(2.0, rel=0.05)
    small = privacy.laplace_counts(pd.DataFrame({"n": [0, 1, 2]}), epsilon=0.1, seed=3)
    assert (small.counts >= 0).all().all() and (small.counts == small.counts.round()).all().all()
    with pytest.raises(CdcourseError, match="epsilon"):
        privacy.laplace_counts(counts, epsilon=0)


def test_table_rules_refuse_text_cells():
    with pytest.raises(CdcourseError, match="must hold numbers only"):
        privacy.frequency_rule(pd.DataFrame({"district": ["D01"], "n": [2]}))


# ---------------------------------------------------------------------------------------------
# identifiers
# ---------------------------------------------------------------------------------------------
def test_classify_columns_of_a_survey_export():
    rng = np.random.default_rng(0)
    n = 40
    df = pd.DataFrame({
        "submission_id": [f"uuid:{i:04d}" for i in range(n)], "respondent_name": [f"N{i}" for i in range(n)],
        "respondent_phone": [f"0772{i:06d}" for i in range(n)], "gps_lat": rng.normal(size=n),
        "gps_lon": rng.normal(size=n), "district": "D01", "ea_id": "EA0001", "age": rng.integers(0, 90, n),
        "sex": "female", "language_group": "Amari", "disability": False, "monthly_income": rng.normal(size=n),
        "wg_seeing": 1, "weight": 10.0, "enumerator": "ENUM01", "comment": [f"free note {i}" for i in range(n)],
        "water_source": "public tap",
    })
    roles = privacy.classify_columns(df)
    assert roles.direct_identifiers == ["submission_id", "respondent_name", "respondent_phone", "gps_lat",
                                        "gps_lon", "comment"]
    assert roles.quasi_identifiers == ["district", "ea_id", "age", "sex", "language_group", "disability"]
    assert roles.sensitive == ["monthly_income", "wg_seeing"]
    assert roles.design == ["weight"]
    assert roles.table.loc["comment", "reason"].startswith("100% of its values are different")
    assert privacy.classify_columns(df, sensitive=["water_source"]).table.loc["water_source", "role"] == "sensitive"


def test_pseudonyms_are_stable_keyed_and_irreversible_without_the_key():
    df = pd.DataFrame({"phone": ["0772123456", "0772123456", "0772999999", None]})
    a = privacy.pseudonymise(df, "phone", key="first-secret-key-123")
    b = privacy.pseudonymise(df, "phone", key="other-secret-key-456")
    assert a.data["phone"].iloc[0] == a.data["phone"].iloc[1] != a.data["phone"].iloc[2]
    assert a.data["phone"].iloc[0] != b.data["phone"].iloc[0]
    assert pd.isna(a.data["phone"].iloc[3])
    assert a.summary.loc["phone", "changed"] == 3
    # the keyed pseudonym is not the plain hash, so enumeration finds nothing
    found = privacy.reverse_plain_hashes(a.data["phone"].dropna(), prefix="0772123", digits=3)
    assert found.found.empty
    with pytest.raises(CdcourseError, match="at least 16 characters"):
        privacy.pseudonymise(df, "phone", key="short")


def test_plain_hashes_of_phone_numbers_are_recovered_by_enumeration():
    numbers = ["0772000042", "0772000917"]
    res = privacy.reverse_plain_hashes(privacy.plain_hash(numbers), prefix="0772000", digits=3)
    assert sorted(res.found["value"]) == numbers
    assert res.tried <= 1000 and res.rate > 0
    assert "plain hash protects nothing" in res.summary()


# ---------------------------------------------------------------------------------------------
# command line
# ---------------------------------------------------------------------------------------------
@pytest.fixture
def survey_csv(tmp_path):
    rng = np.random.default_rng(2)
    n = 300
    df = pd.DataFrame({"age": rng.integers(0, 90, n), "sex": rng.choice(["F", "M"], n),
                       "district": rng.choice(["D01", "D02", "D03"], n), "disability": rng.random(n) < 0.1,
                       "weight": rng.uniform(5, 20, n),
                       "text": rng.choice(["Call Mr Okello on 0772 555 123", "no water"], n)})
    path = tmp_path / "survey.csv"
    df.to_csv(path, index=False)
    return path


def test_cli_report_prints_verdicts_and_sources(survey_csv, capsys):
    code = main(["privacy", "report", str(survey_csv), "--qi", "age,sex,district", "--sensitive", "disability",
                 "--weight", "weight", "--k", "3", "--top", "3"])
    out = capsys.readouterr().out
    assert code == 0
    assert "k-anonymity" in out and "Practice Guide" in out and "Riskiest 3 classes" in out


def test_cli_report_as_json_and_strict_exit_code(survey_csv, capsys, tmp_path):
    records = tmp_path / "risk.csv"
    code = main(["privacy", "report", str(survey_csv), "--qi", "age,sex", "--json", "--strict",
                 "--records", str(records)])
    report = json.loads(capsys.readouterr().out)
    assert code == 1 and report["passes"] is False
    assert report["verdicts"][0]["measure"] == "k-anonymity"
    assert "risk" in pd.read_csv(records).columns


def test_cli_bad_quasi_identifier_exits_2_with_a_clear_message(survey_csv, capsys):
    code = main(["privacy", "report", str(survey_csv), "--qi", "age,districts"])
    err = capsys.readouterr().err
    assert code == 2 and "'districts' is not a column" in err
    assert main(["privacy", "report", "no-such-file.csv", "--qi", "age"]) == 2


def test_cli_suppress_classify_and_redact_write_their_files(survey_csv, tmp_path, capsys):
    out = tmp_path / "k3.csv"
    assert main(["privacy", "suppress", str(survey_csv), "--qi", "age,sex,district", "--k", "3",
                 "--out", str(out)]) == 0
    protected = pd.read_csv(out)
    assert privacy.k_anonymity(protected, ["age", "sex", "district"]) >= 3
    assert main(["privacy", "classify", str(survey_csv)]) == 0
    assert "quasi-identifier" in capsys.readouterr().out
    red = tmp_path / "red.csv"
    assert main(["privacy", "redact", str(survey_csv), "--column", "text", "--out", str(red)]) == 0
    assert not pd.read_csv(red)["text"].str.contains("Okello").any()


def test_place_and_facility_name_columns_are_not_taken_for_persons_names():
    df = pd.DataFrame({"district_name": ["Marelo", "Obrenta"], "facility_name": ["Clinic A", "School B"],
                       "village_name": ["Asu", "Bel"], "respondent_name": ["Ana", "Ben"], "head_name": ["Cy", "Di"]})
    roles = privacy.classify_columns(df).table
    assert roles.loc["district_name", "role"] == "quasi-identifier"
    assert roles.loc["village_name", "role"] == "quasi-identifier"
    assert roles.loc["facility_name", "role"] == "other"
    assert roles.loc["respondent_name", "role"] == "direct identifier"
    assert roles.loc["head_name", "role"] == "direct identifier"


def test_cli_records_never_duplicate_a_column_of_the_data(tmp_path, capsys):
    data = tmp_path / "clash.csv"
    pd.DataFrame({"age": [30, 30, 40], "sex": ["F", "F", "M"], "risk": ["low", "low", "high"]}).to_csv(data, index=False)
    records = tmp_path / "records.csv"
    assert main(["privacy", "report", str(data), "--qi", "age,sex", "--records", str(records), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["records"] == 3 and isinstance(report["summary"]["records"], int)
    header = records.read_text().splitlines()[0].split(",")
    assert len(header) == len(set(header)), header
    out = pd.read_csv(records)
    assert out["risk"].tolist() == ["low", "low", "high"]          # the data's own column is kept as it is
    assert out["sdc_risk"].tolist() == [0.5, 0.5, 1.0]             # the measure gets a prefixed name


def test_table_rules_refuse_negative_counts_and_text_series():
    with pytest.raises(CdcourseError, match="negative"):
        privacy.frequency_rule(pd.DataFrame({"a": [-1, 5]}))
    with pytest.raises(CdcourseError, match="numbers only"):
        privacy.laplace_counts(pd.Series(["a", "b"]), epsilon=1.0)
    with pytest.raises(CdcourseError, match="empty"):
        privacy.laplace_counts(pd.Series([], dtype=float), epsilon=1.0)
    noisy = privacy.laplace_counts(pd.Series([5, 0], index=["x", "y"], name="n"), epsilon=1.0, seed=1)
    assert isinstance(noisy.counts, pd.Series) and noisy.counts.name == "n"
