"""Unit tests of cdcourse.cleaning on small hand-built frames (every function, every bad input)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cdcourse import cleaning as cl
from cdcourse.cleaning import Rule
from cdcourse.errors import CdcourseError

SQUARE = [(30.0, -4.0), (33.0, -4.0), (33.0, -1.0), (30.0, -1.0)]


# -- the log ------------------------------------------------------------------------------------
def test_step_result_unpacks_into_data_and_step():
    raw = pd.DataFrame({"consent": ["yes", "no"]})
    data, step = cl.keep_consented(raw)
    assert list(data.index) == [0]
    assert step.function == "keep_consented"
    assert (step.rows_in, step.rows_out, step.rows_dropped) == (2, 1, 1)


def test_log_records_every_step_with_rows_and_cells():
    raw = pd.DataFrame({"consent": ["yes", "no", "yes"], "age": ["34", "20", "-99"]})
    log = cl.CleaningLog("t")
    df = log.add(cl.keep_consented(raw))
    df = df.pipe(log.run, cl.set_missing, {"age": ["-99"]})
    df = df.pipe(log.run, "convert_types", {"age": "integer"})
    table = log.to_frame()
    assert table["function"].tolist() == ["keep_consented", "set_missing", "convert_types"]
    assert table["rows_dropped"].tolist() == [1, 0, 0]
    assert table["cells_changed"].tolist() == [0, 1, 1]
    assert df["age"].tolist()[0] == 34 and pd.isna(df["age"].tolist()[1])
    assert "Cleaning log of t" in log._repr_html_()


def test_log_saved_as_json_replays_to_the_identical_frame(tmp_path):
    raw = pd.DataFrame({
        "consent": ["yes", "Y", "no", "yes"],
        "sex": ["F", "male", "m", "fem"],
        "d": ["2024-03-05", "05/03/2024", "x", "5-Mar-24"],
        "age": [34, 150, 20, -99],
    })
    log = cl.CleaningLog("raw")
    df = log.add(cl.keep_consented(raw))
    df = log.add(cl.standardise_labels(df, "sex", {"female": "female", "f": "female", "male": "male", "m": "male"},
                                       suggest=True, cutoff=0.5))
    df = log.add(cl.parse_dates(df, "d"))
    df = log.add(cl.set_missing(df, {"age": [-99]}))
    df = log.add(cl.set_invalid_to_missing(df, [Rule.range("age", 0, 110)]))
    path = tmp_path / "log.json"
    log.to_json(path)
    again = cl.CleaningLog.from_json(path).replay(raw)
    pd.testing.assert_frame_equal(again.data, df)
    assert again.to_frame()["cells_changed"].tolist() == log.to_frame()["cells_changed"].tolist()
    saved = json.loads(path.read_text())
    assert [s["function"] for s in saved["steps"]] == [s.function for s in log]


def test_log_from_json_names_an_unknown_step():
    text = json.dumps({"steps": [{"function": "make_it_clean", "params": {}}]})
    with pytest.raises(CdcourseError, match="'make_it_clean' is unknown; known steps are: .*keep_consented"):
        cl.CleaningLog.from_json(text)


def test_log_from_json_rejects_malformed_text_and_missing_file(tmp_path):
    with pytest.raises(CdcourseError, match="not valid JSON"):
        cl.CleaningLog.from_json("{oops")
    with pytest.raises(CdcourseError, match="does not exist"):
        cl.CleaningLog.from_json(tmp_path / "nope.json")
    with pytest.raises(CdcourseError, match="needs 'function' and 'params'"):
        cl.CleaningLog.from_json(json.dumps({"steps": [{"function": "keep_consented"}]}))


def test_log_add_accepts_only_step_results():
    with pytest.raises(CdcourseError, match="expects the result of a cleaning step"):
        cl.CleaningLog().add(pd.DataFrame())


def test_step_rejects_unknown_keyword_naming_the_step():
    with pytest.raises(CdcourseError, match="keep_consented: .*colum"):
        cl.keep_consented(pd.DataFrame({"consent": ["yes"]}), colum="consent")


def test_step_rejects_a_non_frame():
    with pytest.raises(CdcourseError, match="data must be a pandas DataFrame"):
        cl.keep_consented([{"consent": "yes"}])


def test_step_names_lists_every_replayable_step():
    assert {"keep_consented", "standardise_labels", "parse_dates", "set_missing", "drop_duplicates",
            "drop_duplicate_submissions", "drop_near_duplicates", "set_invalid_to_missing", "flag_invalid",
            "flag_gps", "fix_swapped_gps", "flag_outliers", "flag_fast_interviews", "rename_columns",
            "drop_columns", "convert_types"} <= set(cl.step_names())


def test_changed_mask_counts_representation_changes_but_not_missing_to_missing():
    from cdcourse.cleaning._log import changed_mask

    before = pd.Series(["12", None, 3, "a", 4.0])
    after = pd.Series([12, np.nan, 3.0, "a", 5])
    assert changed_mask(before, after).tolist() == [True, False, False, False, True]


# -- consent ------------------------------------------------------------------------------------
def test_keep_consented_keeps_every_spelling_of_yes_and_counts_drops_by_reason():
    raw = pd.DataFrame({"consent": ["yes", "Yes ", "Y", "YES", "no", "N", "NO", None, "maybe"]})
    data, step = cl.keep_consented(raw)
    assert data.index.tolist() == [0, 1, 2, 3]
    assert data["consent"].unique().tolist() == ["yes"]
    by_reason = step.details.groupby("reason")["records"].sum().to_dict()
    assert by_reason == {"consent": 4, "refused": 3, "missing": 1, "unrecognised": 1}
    assert step.rows_affected == 5 + 3  # 5 dropped, 3 spellings rewritten to "yes"
    assert "dropped 5" in step.summary


def test_keep_consented_accepts_other_languages_through_yes_labels():
    raw = pd.DataFrame({"c": ["oui", "non", "Oui"]})
    data, _ = cl.keep_consented(raw, "c", yes=["oui"], no=["non"], set_to=None)
    assert data["c"].tolist() == ["oui", "Oui"]


def test_keep_consented_names_a_missing_column():
    with pytest.raises(CdcourseError, match="column 'consent' is not a column of the data"):
        cl.keep_consented(pd.DataFrame({"agree": ["yes"]}))


# -- labels -------------------------------------------------------------------------------------
def test_standardise_labels_matches_spellings_ignoring_case_spaces_and_punctuation():
    raw = pd.DataFrame({"w": ["Public Tap", " public tap", "PUBLIC-TAP", "public tap.", "piped"]})
    data, step = cl.standardise_labels(raw, "w", {"public tap": "public tap", "piped": "piped into dwelling"})
    assert data["w"].tolist() == ["public tap"] * 4 + ["piped into dwelling"]
    assert step.cells_changed == 5


def test_standardise_labels_keeps_marks_or_refuses_unknown_spellings():
    raw = pd.DataFrame({"sex": ["female", "x"]})
    assert cl.standardise_labels(raw, "sex", ["female", "male"]).data["sex"].tolist() == ["female", "x"]
    assert cl.standardise_labels(raw, "sex", ["female", "male"], unknown="na").data["sex"].isna().tolist() == [False, True]
    with pytest.raises(CdcourseError, match="column 'sex' has labels the mapping does not cover: sex: 'x'"):
        cl.standardise_labels(raw, "sex", ["female", "male"], unknown="error")


def test_standardise_labels_suggests_a_district_written_with_its_code():
    raw = pd.DataFrame({"district": ["D01 Marelo", "marelo ", "Tovesi"]})
    data, step = cl.standardise_labels(raw, "district", ["Marelo", "Tovessi"], suggest=True)
    assert data["district"].tolist() == ["Marelo", "Marelo", "Tovessi"]
    assert step.details.set_index("value").loc["D01 Marelo", "how"] == "suggested"


def test_standardise_labels_applies_one_mapping_to_several_columns_and_sets_categories():
    raw = pd.DataFrame({"a": ["Yes", "no"], "b": ["NO", "yes"]})
    data, _ = cl.standardise_labels(raw, ["a", "b"], ["yes", "no"], categories=["yes", "no"])
    assert isinstance(data["a"].dtype, pd.CategoricalDtype)
    assert list(data["a"].cat.categories) == ["yes", "no"]
    assert data["b"].tolist() == ["no", "yes"]


def test_standardise_labels_rejects_contradicting_mapping_and_incomplete_categories():
    raw = pd.DataFrame({"s": ["F"]})
    with pytest.raises(CdcourseError, match="another spelling with the same key 'f'"):
        cl.standardise_labels(raw, "s", {"F": "female", "f ": "male"})
    with pytest.raises(CdcourseError, match="categories must include every standard label"):
        cl.standardise_labels(raw, "s", {"F": "female"}, categories=["male"])
    with pytest.raises(CdcourseError, match="mapping must be a dict"):
        cl.standardise_labels(raw, "s", "female")


def test_standardise_labels_can_map_text_to_booleans():
    raw = pd.DataFrame({"safe": pd.Series(["Yes", "no", None], dtype="string")})
    data, _ = cl.standardise_labels(raw, "safe", {"yes": True, "no": False})
    assert data["safe"].tolist() == [True, False, None]


def test_suggest_labels_lists_only_unseen_spellings_with_their_counts():
    s = pd.Series(["Amari", "AMARI", "Amary", "Amary", "Sarro", "Klingon"])
    out = cl.suggest_labels(s, ["Amari", "Bensi", "Saro"]).set_index("value")
    assert out.loc["Amary", "suggestion"] == "Amari" and out.loc["Amary", "records"] == 2
    assert out.loc["Sarro", "suggestion"] == "Saro"
    assert pd.isna(out.loc["Klingon", "suggestion"])
    assert "AMARI" not in out.index


# -- dates --------------------------------------------------------------------------------------
def test_parse_dates_reads_each_format_and_reports_the_unreadable():
    raw = pd.DataFrame({"d": ["2024-03-05", "05/03/2024", "March 5, 2024", "5-Mar-24", "yesterday", None]})
    data, step = cl.parse_dates(raw, "d", ["%Y-%m-%d", "%d/%m/%Y", "%B %d, %Y", "%d-%b-%y"])
    assert data["d"].iloc[:4].eq(pd.Timestamp("2024-03-05")).all()
    assert data["d"].iloc[4:].isna().all()
    assert step.details.set_index("format")["records"].to_dict() == {
        "%Y-%m-%d": 1, "%d/%m/%Y": 1, "%B %d, %Y": 1, "%d-%b-%y": 1, "unparsed": 1}
    assert step.details.query("format == 'unparsed'")["value"].tolist() == ["yesterday"]


def test_parse_dates_order_decides_ambiguous_dates_and_counts_them():
    raw = pd.DataFrame({"d": ["05/03/2024", "25/03/2024"]})
    day_first = cl.parse_dates(raw, "d", ["%d/%m/%Y", "%m/%d/%Y"])
    month_first = cl.parse_dates(raw, "d", ["%m/%d/%Y", "%d/%m/%Y"])
    assert day_first.data["d"].tolist() == [pd.Timestamp("2024-03-05"), pd.Timestamp("2024-03-25")]
    assert month_first.data["d"].tolist() == [pd.Timestamp("2024-05-03"), pd.Timestamp("2024-03-25")]
    assert day_first.step.details.set_index("format").loc["%d/%m/%Y", "ambiguous"] == 1


def test_parse_dates_into_a_new_column_keeps_the_original():
    raw = pd.DataFrame({"d": ["2024-03-05"]})
    data, _ = cl.parse_dates(raw, "d", into="date")
    assert data["d"].tolist() == ["2024-03-05"] and data["date"].iloc[0] == pd.Timestamp("2024-03-05")


def test_parse_dates_keeps_a_column_that_already_holds_dates():
    raw = pd.DataFrame({"d": pd.to_datetime(["2024-03-05", None])})
    data, step = cl.parse_dates(raw, "d")
    pd.testing.assert_series_equal(data["d"], raw["d"])
    assert step.cells_changed == 0


@pytest.mark.parametrize("fmt, message", [
    ("%Y-%Q-%d", "unknown directive %Q"),
    ("DD/MM/YYYY", "has no %-directive"),
    ("", "must be strftime format strings"),
    (17, "must be strftime format strings"),
])
def test_parse_dates_names_an_unknown_format(fmt, message):
    with pytest.raises(CdcourseError, match=message):
        cl.parse_dates(pd.DataFrame({"d": ["2024-01-01"]}), "d", [fmt])


def test_parse_dates_needs_at_least_one_format():
    with pytest.raises(CdcourseError, match="at least one date format"):
        cl.parse_dates(pd.DataFrame({"d": ["2024-01-01"]}), "d", [])


# -- missing codes ------------------------------------------------------------------------------
def test_set_missing_per_column_codes_match_numbers_and_their_text():
    raw = pd.DataFrame({"age": [34, -99, 98], "income": ["-99", "n/a", " N/A "], "wg": [1, 8, 9]})
    data, step = cl.set_missing(raw, {"age": [-99, 98], "income": [-99, "n/a"], "wg": [8, 9]})
    assert data["age"].isna().tolist() == [False, True, True]
    assert data["income"].isna().all()
    assert data["wg"].isna().tolist() == [False, True, True]
    assert step.cells_changed == 7
    assert step.details.set_index(["column", "code"])["cells"].to_dict()[("income", "n/a")] == 2


def test_set_missing_with_one_list_applies_to_the_named_columns_only():
    raw = pd.DataFrame({"a": ["n/a", "x"], "b": ["n/a", "y"]})
    data, _ = cl.set_missing(raw, ["n/a"], columns=["a"])
    assert data["a"].isna().tolist() == [True, False] and data["b"].tolist() == ["n/a", "y"]
    everywhere, _ = cl.set_missing(raw, ["n/a"])
    assert everywhere[["a", "b"]].isna().sum().tolist() == [1, 1]


def test_set_missing_keeps_a_nullable_integer_column_integer():
    raw = pd.DataFrame({"wg": pd.array([1, 9, None], dtype="Int64")})
    data, _ = cl.set_missing(raw, {"wg": [9]})
    assert str(data["wg"].dtype) == "Int64" and data["wg"].isna().tolist() == [False, True, True]


@pytest.mark.parametrize("codes, message", [
    ({"age": [None]}, "code None must be a number or text"),
    ({"age": [True]}, "code True must be a number or text"),
    ({"agee": [-99]}, "codes 'agee' is not a column"),
    ("-99", "codes must be a dict"),
])
def test_set_missing_rejects_bad_codes(codes, message):
    with pytest.raises(CdcourseError, match=message):
        cl.set_missing(pd.DataFrame({"age": [1]}), codes)


# -- columns ------------------------------------------------------------------------------------
def test_rename_columns_refuses_to_create_a_duplicate_column():
    with pytest.raises(CdcourseError, match="duplicate existing column"):
        cl.rename_columns(pd.DataFrame({"a": [1], "b": [2]}), {"a": "b"})


def test_drop_columns_counts_the_cells_removed():
    step = cl.drop_columns(pd.DataFrame({"name": ["A", None], "age": [1, 2]}), ["name"], reason="identifier").step
    assert step.cells_changed == 1 and "identifier" in step.summary


def test_convert_types_lists_values_that_could_not_be_converted():
    raw = pd.DataFrame({"n": ["1.5", "x", None], "i": ["3", "3.5", "4"], "b": ["Yes", "no", "maybe"],
                        "d": ["2024-01-02", "soon", None]})
    data, step = cl.convert_types(raw, {"n": "number", "i": "integer", "b": "boolean", "d": "date"})
    assert data["n"].tolist()[0] == 1.5 and pd.isna(data["n"].iloc[1])
    assert data["i"].tolist()[0] == 3 and pd.isna(data["i"].iloc[1])
    assert data["b"].tolist()[:2] == [True, False]
    lost = step.details.groupby("column")["value"].apply(list).to_dict()
    assert lost == {"b": ["maybe"], "d": ["soon"], "i": ["3.5"], "n": ["x"]}


def test_convert_types_names_an_unknown_type():
    with pytest.raises(CdcourseError, match="type of column 'a' must be one of"):
        cl.convert_types(pd.DataFrame({"a": [1]}), {"a": "float64"})


# -- validation ---------------------------------------------------------------------------------
def failing(report: cl.ValidationReport, name: str) -> list:
    return report.data.index[report.failures_by_rule[name]].tolist()


def test_required_fails_missing_and_blank_text():
    df = pd.DataFrame({"a": ["x", None, "  ", ""], "n": [1.0, np.nan, 2.0, 3.0]})
    rep = cl.validate(df, [Rule.required("a"), Rule.required("n")])
    assert failing(rep, "a required") == [1, 2, 3]
    assert failing(rep, "n required") == [1]


def test_range_checks_numbers_text_numbers_and_dates_and_strict_bounds():
    df = pd.DataFrame({"age": ["5", "150", "abc", None, "-1"],
                       "d": pd.to_datetime(["2024-01-01", "2023-12-31", "2024-06-30", None, "2024-07-01"])})
    rep = cl.validate(df, [Rule.range("age", 0, 110), Rule.range("d", "2024-01-01", "2024-06-30"),
                           Rule.range("age", 5, None, strict_min=True, name="over five")])
    assert failing(rep, "age in [0, 110]") == [1, 2, 4]
    assert failing(rep, "d in [2024-01-01, 2024-06-30]") == [1, 4]
    assert failing(rep, "over five") == [0, 2, 4]


def test_allowed_compares_numbers_with_their_text_form():
    df = pd.DataFrame({"wg": [1, 2, 8, None], "t": ["1", "2", "8", None]})
    rep = cl.validate(df, [Rule.allowed("wg", [1, 2, 3, 4]), Rule.allowed("t", [1, 2, 3, 4])])
    assert failing(rep, "wg allowed values") == [2]
    assert failing(rep, "t allowed values") == [2]


def test_pattern_must_match_the_whole_value():
    df = pd.DataFrame({"e": ["ENUM01", "ENUM1", "xENUM01", None]})
    rep = cl.validate(df, [Rule.pattern("e", r"ENUM\d{2}")])
    assert failing(rep, r"e matches ENUM\d{2}") == [1, 2]


def test_length_and_type_rules():
    df = pd.DataFrame({"p": ["0712345678", "12", None], "n": ["3", "3.5", "x"]})
    rep = cl.validate(df, [Rule.length("p", 10, 10), Rule.type("n", "integer", name="int"),
                           Rule.type("n", "number", name="num")])
    assert failing(rep, "p length in [10, 10]") == [1]
    assert failing(rep, "int") == [1, 2]
    assert failing(rep, "num") == [2]


def test_unique_flags_every_copy_and_ignores_missing_keys():
    df = pd.DataFrame({"h": ["H1", "H1", "H2", None, None], "l": [1, 1, 1, 1, 1]})
    rep = cl.validate(df, [Rule.unique(["h", "l"]), Rule.unique("h", name="h unique")])
    assert failing(rep, "h, l unique") == [0, 1]
    assert failing(rep, "h unique") == [0, 1]


def test_check_rule_with_condition_skips_rows_with_missing_values():
    df = pd.DataFrame({"age": [12, 30, None, 10], "relationship": ["head", "head", "head", "child"]})
    rep = cl.validate(df, [
        Rule.check("age >= 15 or relationship != 'head'", name="head 15+"),
        Rule.check("age >= 15", when="relationship == 'head'", name="head 15+ (when)"),
    ])
    assert failing(rep, "head 15+") == [0]
    assert failing(rep, "head 15+ (when)") == [0]


def test_validation_reports_every_failure_never_capped():
    df = pd.DataFrame({"age": np.full(120_000, 999)})
    rep = cl.validate(df, [Rule.range("age", 0, 110)])
    assert rep.n_failures == 120_000
    assert len(rep.to_frame()) == 120_000


def test_validation_report_tables_and_flags():
    df = pd.DataFrame({"age": [12, 150], "relationship": ["head", "child"]}, index=["a", "b"])
    rep = cl.validate(df, [Rule.range("age", 0, 110), Rule.check("age >= 15 or relationship != 'head'", name="head")])
    frame = rep.to_frame()
    assert frame[["row", "rule", "value"]].values.tolist() == [
        ["b", "age in [0, 110]", "150"], ["a", "head", "age=12; relationship=head"]]
    assert rep.failed().tolist() == [True, True]
    assert rep.failed(["head"]).tolist() == [True, False]
    assert not rep.passed and "2 failures on 2 of 2 rows" in rep._repr_html_()
    with pytest.raises(CdcourseError, match="rule 'nope' is not in this report"):
        rep.failed(["nope"])


@pytest.mark.parametrize("rule, message", [
    (Rule.required("agee"), "rule 'agee required' names column 'agee', which is not a column"),
    (Rule.check("agee > 1", name="c"), "rule 'c' names column 'agee'"),
])
def test_validate_names_the_rule_and_the_unknown_column(rule, message):
    with pytest.raises(CdcourseError, match=message):
        cl.validate(pd.DataFrame({"age": [1]}), [rule])


@pytest.mark.parametrize("spec, message", [
    ({"kind": "between", "column": "a"}, "rule kind must be one of"),
    ({"kind": "range", "column": "a"}, "needs a min, a max or both"),
    ({"kind": "range", "column": "a", "min": 5, "max": 1}, "has min 5 above max 1"),
    ({"kind": "range", "column": "a", "min": 0, "maxi": 1}, r"unknown setting\(s\) \['maxi'\]"),
    ({"kind": "pattern", "column": "a", "regex": "("}, "invalid regular expression"),
    ({"kind": "allowed", "column": "a", "values": []}, "needs a non-empty list"),
    ({"kind": "type", "column": "a", "type": "float"}, "type of rule 'a is float' must be one of"),
    ({"kind": "required"}, "needs a 'column'"),
    ({"kind": "check", "expression": "a >"}, "is not valid"),
    ({"kind": "check", "expression": "len(a) > 1"}, "may not call functions"),
    ({"kind": "length", "column": "a", "min": -1}, "must be a whole number >= 0"),
])
def test_malformed_rules_raise_a_clear_error(spec, message):
    with pytest.raises(CdcourseError, match=message):
        cl.validate(pd.DataFrame({"a": [1]}), [spec])


def test_rule_names_must_be_unique():
    with pytest.raises(CdcourseError, match="rule names must be unique"):
        cl.validate(pd.DataFrame({"a": [1]}), [Rule.required("a"), Rule.required("a")])


def test_rules_round_trip_through_dicts():
    rules = [Rule.range("d", "2024-01-01", None), Rule.unique(["a", "b"]), Rule.check("a > b", when="b > 0")]
    again = cl.as_rules([r.to_dict() for r in rules])
    assert [r.name for r in again] == [r.name for r in rules]
    assert again[0].params["min"] == "2024-01-01"


def test_check_expression_cannot_reach_python_objects():
    df = pd.DataFrame({"a": [1]})
    with pytest.raises(CdcourseError):
        cl.validate(df, [Rule.check("a > @__builtins__", name="x")])


def test_rules_from_schema_reads_constraints_and_primary_key():
    schema = {"fields": [
        {"name": "id", "type": "string", "constraints": {"required": True, "pattern": "^P\\d+$"}},
        {"name": "age", "type": "integer", "constraints": {"minimum": 0, "exclusiveMaximum": 100}},
        {"name": "d", "type": "date", "constraints": {"minimum": "2024-01-01"}},
        {"name": "code", "type": "string", "constraints": {"minLength": 2, "maxLength": 3, "enum": ["ab", "abc"]}},
    ], "primaryKey": "id"}
    rules = cl.rules_from_schema(schema, types=True)
    kinds = [(r.kind, r.columns) for r in rules]
    assert ("unique", ("id",)) in kinds and ("type", ("age",)) in kinds
    age = next(r for r in rules if r.kind == "range" and r.columns == ("age",))
    assert age.params["strict_max"] and not age.params["strict_min"]
    d = next(r for r in rules if r.kind == "range" and r.columns == ("d",))
    assert d.params["min"] == pd.Timestamp("2024-01-01")


def test_rules_from_schema_names_an_unknown_resource(repo_root):
    with pytest.raises(CdcourseError, match="resource 'nope' is not in the data package; resources are: .*community_survey"):
        cl.rules_from_schema(repo_root / "datasets" / "datapackage.json", "nope")
    with pytest.raises(CdcourseError, match="choose one with resource="):
        cl.rules_from_schema(repo_root / "datasets" / "datapackage.json")
    with pytest.raises(CdcourseError, match="does not exist"):
        cl.rules_from_schema(repo_root / "nope.json")


def test_rules_from_the_committed_schema_pass_on_the_clean_survey(repo_root, survey):
    rules = cl.rules_from_schema(repo_root / "datasets" / "datapackage.json", "community_survey")
    assert len(rules) > 40
    rep = cl.validate(survey, rules)
    assert rep.passed, rep.summary().query("failures > 0")


def test_validation_agrees_with_frictionless_cell_by_cell(tmp_path):
    frictionless = pytest.importorskip("frictionless")
    rng = np.random.default_rng(5)
    n = 300
    df = pd.DataFrame({
        "id": [f"P{i:03d}" if i % 37 else f"Q{i}" for i in range(n)],
        "age": rng.choice(["12", "40", "150", "-1", "x", "", "7.5"], n).tolist(),
        "sex": rng.choice(["female", "male", "F", ""], n).tolist(),
        "phone": rng.choice(["0712345678", "071234", "", "07123456789"], n).tolist(),
        "d": rng.choice(["2024-03-05", "2023-12-01", "05/03/2024", ""], n).tolist(),
    })
    df.to_csv(tmp_path / "t.csv", index=False)
    schema = {"fields": [
        {"name": "id", "type": "string", "constraints": {"required": True, "pattern": "P\\d{3}"}},
        {"name": "age", "type": "integer", "constraints": {"required": True, "minimum": 0, "maximum": 110}},
        {"name": "sex", "type": "string", "constraints": {"enum": ["female", "male"]}},
        {"name": "phone", "type": "string", "constraints": {"minLength": 10, "maxLength": 10}},
        {"name": "d", "type": "date", "constraints": {"minimum": "2024-01-01"}},
    ]}
    res = frictionless.Resource(path="t.csv", basepath=str(tmp_path), schema=frictionless.Schema.from_descriptor(schema))
    theirs = {(row, field) for row, field in res.validate(limit_errors=10**6).flatten(["rowNumber", "fieldName"])}
    text = pd.read_csv(tmp_path / "t.csv", dtype=str, keep_default_na=False, na_values=[""])
    text.index = text.index + 2  # frictionless numbers rows as file lines
    rep = cl.validate(text, cl.rules_from_schema(schema, types=True))
    ours = {(int(r), c) for r, c in rep.to_frame()[["row", "column"]].itertuples(index=False)}
    assert ours == theirs
    assert len(ours) > 100


def test_flag_invalid_adds_a_flag_and_the_failed_rules():
    df = pd.DataFrame({"age": [12, 150], "relationship": ["head", "child"]})
    data, step = cl.flag_invalid(df, [Rule.range("age", 0, 110), Rule.check("age >= 15 or relationship != 'head'", name="head")],
                                 list_rules="why")
    assert data["invalid"].tolist() == [True, True]
    assert data["why"].tolist() == ["head", "age in [0, 110]"]
    assert step.rows_affected == 2


def test_set_invalid_to_missing_blanks_one_column_failures_and_leaves_cross_field_for_review():
    df = pd.DataFrame({"age": [12, 150, 40], "relationship": ["head", "child", "x"]})
    data, step = cl.set_invalid_to_missing(df, [
        Rule.range("age", 0, 110), Rule.allowed("relationship", ["head", "child"]),
        Rule.check("age >= 15 or relationship != 'head'", name="head"), Rule.required("age")])
    assert data["age"].isna().tolist() == [False, True, False]
    assert data["relationship"].isna().tolist() == [False, False, True]
    assert step.details["action"].tolist() == ["set to missing", "set to missing", "left for review", "already missing"]
    assert step.cells_changed == 2 and "1 cross-field failures left for review" in step.summary


# -- duplicates ---------------------------------------------------------------------------------
def test_find_duplicates_groups_exact_copies():
    df = pd.DataFrame({"id": ["a", "b", "a", "a"], "v": [1, 2, 1, 1]}, index=[10, 11, 12, 13])
    out = cl.find_duplicates(df)
    assert out.values.tolist() == [[10, 0, 0], [12, 0, 1], [13, 0, 2]]
    assert cl.find_duplicates(df, ignore="id").shape[0] == 3
    assert cl.find_duplicates(df, "v").shape[0] == 3
    assert len(cl.find_duplicates(df.iloc[:2])) == 0


def test_drop_duplicates_keeps_the_earliest_copy_by_time():
    df = pd.DataFrame({"id": ["s1", "s1", "s2"], "t": pd.to_datetime(["2024-03-02", "2024-03-01", "2024-03-01"]),
                       "v": [1, 1, 2]})
    data, step = cl.drop_duplicates(df, ignore="t", order_by="t")
    assert data.index.tolist() == [1, 2]
    assert step.details["dropped_row"].tolist() == [0]
    with pytest.raises(CdcourseError, match="no column is left to compare"):
        cl.drop_duplicates(df, "id", ignore="id")


def test_drop_duplicate_submissions_drops_whole_later_submissions_and_says_if_they_differ():
    df = pd.DataFrame({
        "submission_id": ["s2", "s2", "s1", "s1", "s3", "s4"],
        "household_id": ["H1", "H1", "H1", "H1", "H2", "H2"],
        "line_no": [1, 2, 1, 2, 1, 1],
        "t": pd.to_datetime(["2024-03-02", "2024-03-02", "2024-03-01", "2024-03-01", "2024-03-05", "2024-03-04"]),
        "age": [40, 12, 40, 12, 33, 34],
    })
    data, step = cl.drop_duplicate_submissions(df, order_by="t")
    assert sorted(data["submission_id"].unique()) == ["s1", "s4"]
    verdicts = step.details.set_index("dropped_submission")["verdict"].to_dict()
    assert verdicts == {"s2": "identical", "s3": "conflicting"}
    assert step.rows_dropped == 3


def test_drop_duplicate_submissions_never_merges_rows_without_a_unit():
    df = pd.DataFrame({"submission_id": ["s1", "s2"], "household_id": [None, None], "line_no": [1, 1]})
    assert len(cl.drop_duplicate_submissions(df).data) == 2


def reports():
    return pd.DataFrame({
        "category": ["flood", "flood", "flood", "waste", "flood", None],
        "t": pd.to_datetime(["2024-03-01 08:00", "2024-03-02 07:00", "2024-03-03 06:00", "2024-03-01 08:00",
                             "2024-03-10 08:00", "2024-03-01 08:00"]),
        "lat": [-2.5, -2.501, -2.502, -2.5, -2.5, -2.5],
        "lon": [31.2, 31.2, 31.2, 31.2, 31.2, 31.2],
        "text": ["Flooding at the market", "market flooded", "the market is flooded again", "Waste at the market",
                 "Flooding at the market", "Flooding at the market"],
    })


def test_near_duplicates_chain_within_block_time_and_place():
    nd = cl.find_near_duplicates(reports(), block="category", time="t", within="1D", lat="lat", lon="lon",
                                 max_metres=200)
    assert nd.pairs[["row_a", "row_b"]].values.tolist() == [[0, 1], [1, 2]]
    assert nd.cluster.tolist()[:3] == [0, 0, 0]  # 0~1 and 1~2 chain, although 0 and 2 are 2 days apart
    assert nd.duplicate.tolist() == [False, True, True, False, False, False]
    assert nd.n_clusters == 1 and nd.clusters()["size"].tolist() == [3]


def test_near_duplicates_time_window_is_inclusive_and_exact():
    df = pd.DataFrame({"t": pd.to_datetime(["2024-03-01 00:00:00", "2024-03-01 06:00:00", "2024-03-01 12:00:01"])})
    nd = cl.find_near_duplicates(df, time="t", within="6h")
    assert nd.pairs[["row_a", "row_b"]].values.tolist() == [[0, 1]]
    assert nd.pairs["minutes"].tolist() == [360.0]


def test_near_duplicates_text_threshold_removes_unrelated_reports():
    nd = cl.find_near_duplicates(reports(), block="category", time="t", within="1D", text="text", min_similarity=0.5)
    assert nd.pairs[["row_a", "row_b"]].values.tolist() == [[1, 2]]


def test_near_duplicate_points_found_across_grid_cell_edges():
    # two points 20 m apart on either side of a cell edge, and one 40 m away
    lat0 = -2.0
    dlat = 20 / 111_195
    df = pd.DataFrame({"lat": [lat0 - dlat / 2, lat0 + dlat / 2, lat0 + 2 * dlat + dlat / 2], "lon": [31.0] * 3})
    nd = cl.find_near_duplicates(df, lat="lat", lon="lon", max_metres=25)
    assert nd.pairs[["row_a", "row_b"]].values.tolist() == [[0, 1]]
    assert 19 < nd.pairs["metres"].iloc[0] < 21


def test_near_duplicates_by_block_alone_compares_pairs_inside_each_block():
    df = pd.DataFrame({"h": ["H1", "H1", "H2", "H1", None, None], "l": [1, 1, 1, 2, 1, 1]})
    nd = cl.find_near_duplicates(df, block=["h", "l"])
    assert nd.pairs[["row_a", "row_b"]].values.tolist() == [[0, 1]]


def test_near_duplicates_refuse_a_block_too_large_to_compare_pair_by_pair():
    df = pd.DataFrame({"h": ["H1"] * 20})
    with pytest.raises(CdcourseError, match="more than max_block=10; .*add a finer blocking column"):
        cl.find_near_duplicates(df, block="h", max_block=10)


@pytest.mark.parametrize("kwargs, message", [
    ({}, "give at least one of block="),
    ({"time": "t"}, "time needs within="),
    ({"within": "1D"}, "within= needs time="),
    ({"time": "t", "within": "-1D"}, "must be a positive duration"),
    ({"time": "t", "within": "soon"}, "must be minutes"),
    ({"lat": "lat", "lon": "lon"}, "needs lat=, lon= and max_metres= together"),
    ({"lat": "lat", "lon": "lon", "max_metres": 0}, "max_metres must be a number in"),
    ({"text": "text", "block": "category"}, "needs text= and min_similarity= together"),
    ({"time": "text", "within": "1D"}, "must hold datetimes"),
    ({"block": "kind"}, "block 'kind' is not a column"),
])
def test_near_duplicates_bad_settings_raise_clear_errors(kwargs, message):
    with pytest.raises(CdcourseError, match=message):
        cl.find_near_duplicates(reports(), **kwargs)


def test_drop_near_duplicates_keeps_the_first_and_counts_cluster_size():
    data, step = cl.drop_near_duplicates(reports(), block="category", time="t", within="1D", cluster_column="reports")
    assert data.index.tolist() == [0, 3, 4, 5]
    assert data["reports"].tolist() == [3, 1, 1, 1]
    assert step.rows_dropped == 2


def test_near_duplicates_compare_far_fewer_pairs_than_the_cross_product():
    rng = np.random.default_rng(0)
    n = 5_000
    df = pd.DataFrame({"t": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.uniform(0, 365 * 24, n), unit="h"),
                       "lat": rng.uniform(-4, -1, n), "lon": rng.uniform(30, 33, n)})
    nd = cl.find_near_duplicates(df, time="t", within="2h", lat="lat", lon="lon", max_metres=1000)
    assert nd.candidates < n * (n - 1) / 2 / 100


def test_haversine_and_text_similarity_match_hand_values():
    # a degree of latitude is pi * R / 180 metres
    assert cl.haversine_m(0, 0, 1, 0) == pytest.approx(np.pi * 6_371_008.8 / 180)
    assert cl.text_similarity("water tap broken", "tap broken") == pytest.approx(2 / 3)
    assert cl.text_similarity(None, "") == 0.0


# -- GPS ----------------------------------------------------------------------------------------
def test_gps_status_finds_swapped_outside_and_missing():
    df = pd.DataFrame({"lat": [-2.0, 31.0, -2.0, 2.0, None], "lon": [31.0, -2.0, 35.0, 31.0, 31.0]})
    assert cl.gps_status(df, boundary=SQUARE).tolist() == ["ok", "swapped", "outside", "outside", "missing"]


def test_fix_swapped_gps_moves_only_points_that_land_inside():
    df = pd.DataFrame({"lat": [-2.0, 31.0, -2.0], "lon": [31.0, -2.0, 35.0]})
    data, step = cl.fix_swapped_gps(df, boundary=SQUARE)
    assert data.values.tolist() == [[-2.0, 31.0], [-2.0, 31.0], [-2.0, 35.0]]
    assert step.rows_affected == 1 and step.cells_changed == 2


def test_flag_gps_uses_the_country_boundary_by_default():
    from cdcourse.datasets import boundary

    poly = boundary()
    centre = poly.mean(axis=0)
    df = pd.DataFrame({"lat": [centre[1], 10.0], "lon": [centre[0], 10.0]})
    assert cl.flag_gps(df).data["gps_status"].tolist() == ["ok", "outside"]


def test_gps_checks_reject_a_bad_boundary():
    with pytest.raises(CdcourseError, match="boundary must be at least 3"):
        cl.gps_status(pd.DataFrame({"lat": [1.0], "lon": [1.0]}), boundary=[(0, 0), (1, 1)])


def test_inside_agrees_with_a_ray_casting_reference():
    rng = np.random.default_rng(3)
    poly = np.array([(30.0, -4.0), (33.0, -4.0), (31.5, -2.5), (33.0, -1.0), (30.0, -1.0)])
    lon, lat = rng.uniform(29, 34, 2000), rng.uniform(-5, 0, 2000)

    def ray(x, y):
        hit = False
        for (x1, y1), (x2, y2) in zip(poly, np.roll(poly, -1, axis=0)):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                hit = not hit
        return hit

    assert cl.inside(lon, lat, poly).tolist() == [ray(x, y) for x, y in zip(lon, lat)]


# -- outliers and paradata ------------------------------------------------------------------------
def test_mad_limits_match_a_hand_computation():
    x = [10, 12, 13, 14, 15, 16, 100]
    med, mad = 14, 2  # |x - 14| = 4 2 1 0 1 2 86 -> median 2
    lo, hi = cl.outlier_limits(x, "mad")
    assert (lo, hi) == pytest.approx((med - 3.5 * 1.4826 * mad, med + 3.5 * 1.4826 * mad))


def test_iqr_limits_match_numpy_quartiles():
    x = np.random.default_rng(1).lognormal(3, 1, 500)
    q1, q3 = np.quantile(x, [0.25, 0.75])
    assert cl.outlier_limits(x, "iqr", 3) == pytest.approx((q1 - 3 * (q3 - q1), q3 + 3 * (q3 - q1)))


def test_mad_of_zero_falls_back_to_mean_absolute_deviation():
    lo, hi = cl.outlier_limits([5, 5, 5, 5, 9], "mad")
    assert hi == pytest.approx(5 + 3.5 * 1.2533 * 0.8)


def test_flag_outliers_by_group_and_on_log_scale():
    df = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 6,
                       "income": [10, 11, 12, 13, 12, 60, 1000, 1100, 1200, 1300, 1200, 1150]})
    data, step = cl.flag_outliers(df, "income", by="g")
    assert data["income_outlier"].tolist() == [False] * 5 + [True] + [False] * 6
    assert step.details["group"].tolist() == ["a", "b"]
    logged = cl.flag_outliers(df, "income", transform="log", flag="out").data["out"]
    assert not logged.any()  # on the log scale the two groups are one spread
    with pytest.raises(CdcourseError, match="transform must be one of"):
        cl.flag_outliers(df, "income", transform="sqrt")
    with pytest.raises(CdcourseError, match="method must be one of"):
        cl.flag_outliers(df, "income", method="zscore")


def paradata():
    t0 = pd.Timestamp("2024-03-01 09:00")
    rows = []
    for i, (enum, minutes) in enumerate([("A", 45), ("A", 50), ("A", 40), ("B", 44), ("B", 48), ("C", 4), ("C", 5)]):
        for line in (1, 2):
            rows.append({"submission_id": f"s{i}", "line_no": line, "enumerator": enum, "start": t0,
                         "end": t0 + pd.Timedelta(minutes=minutes)})
    return pd.DataFrame(rows)


def test_interview_durations_count_each_form_once():
    out = cl.interview_durations(paradata()).set_index("enumerator")
    assert out["interviews"].tolist() == [3, 2, 2]
    assert out.loc["C", "median_min"] == 4.5
    assert out["suspect"].tolist() == [False, False, True]


def test_flag_fast_interviews_uses_a_third_of_the_median_by_default():
    data, step = cl.flag_fast_interviews(paradata())
    assert data.loc[data["fast_interview"], "enumerator"].unique().tolist() == ["C"]
    assert data["duration_min"].tolist()[:2] == [45.0, 45.0]
    assert "enumerators to follow up: C" in step.summary
    with pytest.raises(CdcourseError, match="must hold datetimes"):
        cl.flag_fast_interviews(paradata().assign(start="09:00"))


# -- agreement with a reference -------------------------------------------------------------------
def test_compare_to_reference_counts_rows_and_cells():
    truth = pd.DataFrame({"h": ["H1", "H1", "H2"], "l": [1, 2, 1], "age": [30, 5, 40],
                          "d": pd.to_datetime(["2024-01-01"] * 3), "sex": pd.Categorical(["f", "m", "m"])})
    mine = pd.DataFrame({"h": ["H1", "H1", "H3"], "l": [1.0, 2.0, 1.0], "age": [30.0, None, 40.0],
                         "d": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02"]), "sex": ["f", "m", "m"]})
    a = cl.compare_to_reference(mine, truth, ["h", "l"])
    assert (a.rows_matched, a.rows_missing, a.rows_extra) == (2, 1, 1)
    assert a.by_column.set_index("column")["agree"].to_dict() == {"age": 1, "d": 2, "sex": 2}
    assert a.cell_agreement == pytest.approx(5 / 6)
    assert a.overall == pytest.approx(5 / 12)  # 3 reference rows + 1 extra row, 3 columns
    assert a.summary()["row_recall"] == pytest.approx(2 / 3)


def test_compare_to_reference_needs_a_unique_key():
    df = pd.DataFrame({"k": [1, 1], "v": [1, 2]})
    with pytest.raises(CdcourseError, match="key \\['k'\\] is not unique in result"):
        cl.compare_to_reference(df, df.iloc[:1], "k")


# -- no step changes its input --------------------------------------------------------------------
def messy():
    return pd.DataFrame({
        "submission_id": ["s1", "s1", "s2", "s3", "s3"],
        "household_id": ["H1", "H1", "H1", "H2", "H2"],
        "line_no": [1, 2, 1, 1, 1],
        "consent": ["yes", "Y", "yes", "NO", "NO"],
        "sex": ["F", "male", "fem", "1", "1"],
        "d": ["2024-03-05", "05/03/2024", "x", "5-Mar-24", "5-Mar-24"],
        "age": [34, 150, -99, 20, 20],
        "t": pd.to_datetime(["2024-03-05 09:00", "2024-03-05 09:00", "2024-03-06 09:00", "2024-03-05 10:00",
                             "2024-03-05 10:00"]),
        "end": pd.to_datetime(["2024-03-05 09:40", "2024-03-05 09:40", "2024-03-06 09:03", "2024-03-05 10:45",
                               "2024-03-05 10:45"]),
        "enumerator": ["A", "A", "B", "A", "A"],
        "lat": [-2.0, -2.0, 31.0, -2.0, -2.0],
        "lon": [31.0, 31.0, -2.0, 31.0, 31.0],
    })


STEPS = [
    (cl.keep_consented, (), {}),
    (cl.standardise_labels, ("sex", {"female": "female", "f": "female", "male": "male", "1": "male"}), {"suggest": True}),
    (cl.parse_dates, ("d",), {}),
    (cl.set_missing, ({"age": [-99]},), {}),
    (cl.convert_types, ({"age": "number"},), {}),
    (cl.rename_columns, ({"t": "start"},), {}),
    (cl.drop_columns, (["lat"],), {}),
    (cl.set_invalid_to_missing, ([Rule.range("age", 0, 110)],), {}),
    (cl.flag_invalid, ([Rule.range("age", 0, 110)],), {}),
    (cl.drop_duplicates, (), {}),
    (cl.drop_duplicate_submissions, (), {"order_by": "t"}),
    (cl.drop_near_duplicates, (), {"block": "household_id", "time": "t", "within": "1D"}),
    (cl.flag_gps, (), {"boundary": SQUARE}),
    (cl.fix_swapped_gps, (), {"boundary": SQUARE}),
    (cl.flag_outliers, ("age",), {}),
    (cl.flag_fast_interviews, ("enumerator", "t", "end"), {}),
]


@pytest.mark.parametrize("func, args, kwargs", STEPS, ids=[s[0].__name__ for s in STEPS])
def test_step_never_modifies_its_input_and_replays_from_json(func, args, kwargs):
    raw = messy()
    before = raw.copy(deep=True)
    result = func(raw, *args, **kwargs)
    pd.testing.assert_frame_equal(raw, before)
    assert result.data is not raw
    log = cl.CleaningLog()
    log.add(result)
    again = cl.CleaningLog.from_json(log.to_json()).replay(raw)
    pd.testing.assert_frame_equal(again.data, result.data)
    assert again.steps[0].to_dict(details=False) == result.step.to_dict(details=False)
    assert result.step.summary and isinstance(result._repr_html_(), str) and str(result)


def test_cleaned_to_frame_is_the_step_details():
    result = cl.keep_consented(messy())
    pd.testing.assert_frame_equal(result.to_frame(), result.step.details)
