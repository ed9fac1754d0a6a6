"""Explorers without a browser: set control values, assert on the computed result."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import ipywidgets as widgets  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from cdcourse.errors import CdcourseError  # noqa: E402
from cdcourse.widgets.base import Explorer  # noqa: E402
from cdcourse.widgets.explorer import (  # noqa: E402
    NO_GROUP,
    DatasetExplorer,
    group_choices,
    variable_choices,
    variable_kind,
    weighted_table,
)


# ----------------------------------------------------------------------------- the base pattern

class Counter(Explorer):
    """A minimal explorer that records every compute and render."""

    title = "Counter"

    def __init__(self, fail_on: int | None = None):
        self.fail_on = fail_on
        self.computed: list[dict] = []
        super().__init__()

    def make_controls(self):
        return {
            "n": widgets.IntSlider(value=1, min=0, max=10),
            "kind": widgets.Dropdown(options=["a", "b"], value="a"),
        }

    def compute(self, n, kind):
        self.computed.append({"n": n, "kind": kind})
        if n == self.fail_on:
            raise CdcourseError(f"n must not be {n}")
        return f"{kind}{n}"

    def render(self, result):
        return f"<p>{result}</p>"


def test_explorer_computes_once_at_start():
    ex = Counter()
    assert ex.result == "a1"
    assert (ex.n_computes, ex.n_renders) == (1, 1)


def test_one_control_change_is_one_compute_and_one_render():
    ex = Counter()
    ex.controls["n"].value = 5  # as a learner moving the slider
    assert ex.result == "a5"
    assert (ex.n_computes, ex.n_renders) == (2, 2)
    assert ex.computed[-1] == {"n": 5, "kind": "a"}


def test_set_several_controls_computes_once():
    ex = Counter()
    ex.set(n=3, kind="b")
    assert ex.result == "b3"
    assert ex.n_computes == 2 and ex.n_renders == 2


def test_set_to_the_current_value_does_not_recompute():
    ex = Counter()
    ex.set(n=1)
    assert ex.n_computes == 1


def test_set_returns_the_explorer_for_chaining():
    assert Counter().set(n=2).result == "a2"


def test_error_in_compute_is_a_message_in_the_widget_not_a_traceback():
    ex = Counter(fail_on=4)
    ex.set(n=4)
    assert ex.result is None
    assert ex.error == "n must not be 4"
    (shown,) = ex.rendered
    page = shown._repr_html_()
    assert "Could not compute" in page and "n must not be 4" in page and "Traceback" not in page
    ex.set(n=2)
    assert ex.error is None and ex.result == "a2"


def test_unexpected_exception_in_compute_is_shown_with_its_type():
    class Broken(Counter):
        def compute(self, n, kind):
            return {}[n]

    ex = Broken()
    assert ex.error == "KeyError: 1"


def test_error_in_render_is_shown_too():
    class BadRender(Counter):
        def render(self, result):
            raise ValueError("cannot draw")

    ex = BadRender()
    assert "cannot draw" in ex.error
    assert "cannot draw" in ex.rendered[0]._repr_html_()


def test_set_unknown_control_or_value_is_a_course_error():
    ex = Counter()
    with pytest.raises(CdcourseError, match="'m' is not a control of Counter; controls are: n, kind"):
        ex.set(m=1)
    with pytest.raises(CdcourseError, match="kind must be one of 'a', 'b'; got 'c'"):
        ex.set(kind="c")


def test_widget_box_holds_title_controls_and_output():
    ex = Counter()
    box = ex.widget
    assert isinstance(box, widgets.VBox)
    assert "Counter" in box.children[0].value
    assert list(box.children[1].children) == list(ex.controls.values())
    assert box.children[2] is ex.output
    assert ex.widget is box


def test_explorer_without_controls_is_rejected():
    class Empty(Explorer):
        def make_controls(self):
            return {}

    with pytest.raises(CdcourseError, match="controls"):
        Empty()


def test_render_of_a_figure_becomes_a_png_and_the_figure_is_closed():
    class Chart(Counter):
        def render(self, result):
            fig, ax = plt.subplots()
            ax.plot([1, 2])
            return [result, fig]

    before = len(plt.get_fignums())
    ex = Chart()
    assert type(ex.rendered[1]).__name__ == "Image"
    assert ex.rendered[1].data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(plt.get_fignums()) == before


# ----------------------------------------------------------------------------- weighted_table, a pure function

@pytest.fixture
def tiny() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sex": pd.Categorical(["female", "male", "female", "male", "female", None]),
            "water": ["tap", "well", "well", "tap", "tap", "well"],
            "minutes": [0.0, 30.0, 20.0, np.nan, 10.0, 5.0],
            "weight": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
        }
    )


def test_weighted_shares_by_group_hand_worked(tiny):
    table = weighted_table(tiny, "water", by="sex", weight="weight")
    # female: tap 10 + 50 = 60, well 30 -> 60/90, 30/90; male: tap 40, well 20 -> 40/60, 20/60.
    # The record with sex missing is left out.
    assert table["sex"].tolist() == ["female", "female", "male", "male"]
    assert table["water"].tolist() == ["tap", "well", "tap", "well"]
    assert table["share"].tolist() == pytest.approx([60 / 90, 30 / 90, 40 / 60, 20 / 60])
    assert table["n"].tolist() == [2, 1, 1, 1]
    assert table["weighted_n"].tolist() == [60, 30, 40, 20]


def test_unweighted_shares_count_records(tiny):
    table = weighted_table(tiny, "water")
    assert table.set_index("water")["share"].to_dict() == pytest.approx({"tap": 0.5, "well": 0.5})


def test_weighted_means_by_group_hand_worked(tiny):
    table = weighted_table(tiny, "minutes", by="sex", weight="weight")
    # female: (10*0 + 30*20 + 50*10) / 90; male: 20*30 / 20 (the NaN record is missing).
    assert table["mean"].tolist() == pytest.approx([1100 / 90, 30.0])
    assert table["missing"].tolist() == [0, 1]
    assert table["n"].tolist() == [3, 1]


def test_overall_weighted_mean_matches_numpy_average(tiny):
    table = weighted_table(tiny, "minutes", weight="weight")
    keep = tiny["minutes"].notna()
    assert table["mean"].iloc[0] == pytest.approx(np.average(tiny.loc[keep, "minutes"], weights=tiny.loc[keep, "weight"]))
    assert table["missing"].iloc[0] == 1


def test_weighted_table_does_not_modify_its_input(tiny):
    before = tiny.copy()
    weighted_table(tiny, "water", by="sex", weight="weight")
    pd.testing.assert_frame_equal(tiny, before)


def test_weighted_table_errors_name_the_problem(tiny):
    with pytest.raises(CdcourseError, match="'wter' is not a column"):
        weighted_table(tiny, "wter")
    with pytest.raises(CdcourseError, match="weight column 'weight'"):
        weighted_table(tiny.assign(weight=[1, 2, 3, 4, 5, -1.0]), "water", weight="weight")
    with pytest.raises(CdcourseError, match="by must differ"):
        weighted_table(tiny, "water", by="water")


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"]), st.floats(0.1, 100)),
        min_size=1, max_size=40,
    )
)
def test_weighted_shares_agree_with_a_groupby_reference(rows):
    df = pd.DataFrame(rows, columns=["g", "v", "w"])
    table = weighted_table(df, "v", by="g", weight="w")
    ref = df.groupby(["g", "v"])["w"].sum() / df.groupby("g")["w"].sum()
    got = table[table["n"] > 0].set_index(["g", "v"])["share"]
    assert got.sort_index().to_numpy() == pytest.approx(ref.sort_index().to_numpy())
    sums = table.groupby("g")["share"].sum()
    assert sums.to_numpy() == pytest.approx(np.ones(len(sums)))


def test_variable_kind_and_choices():
    df = pd.DataFrame(
        {
            "person_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
            "age": [1, 20, 35, 47, 60, 80],
            "wg_seeing": [1, 2, 1, 4, 3, 1],
            "disability": pd.array([True, False, None, False, False, True], dtype="boolean"),
            "district_code": ["D01", "D02"] * 3,
            "district": ["Marelo", "Tovessi"] * 3,
            "consent": ["yes"] * 6,
            "hh_lat": [-2.0] * 6,
            "weight": [1.0] * 6,
        }
    )
    assert variable_kind(df["age"]) == "numeric"
    assert variable_kind(df["wg_seeing"]) == "categorical"
    assert variable_kind(df["disability"]) == "categorical"
    assert variable_choices(df) == ["age", "wg_seeing", "disability", "district"]
    assert group_choices(df) == ["wg_seeing", "disability", "district"]
    # a code column is offered when its name column is absent (the participatory map)
    assert "district_code" in variable_choices(df.drop(columns="district"))


# ----------------------------------------------------------------------------- the dataset explorer

def make_survey(n: int = 2000, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    districts = [f"D{i:02d}" for i in range(1, 5)]
    return pd.DataFrame(
        {
            "person_id": [f"P{i:07d}" for i in range(n)],
            "district": pd.Categorical(rng.choice(districts, n), categories=districts),
            "sex": pd.Categorical(rng.choice(["female", "male"], n)),
            "age": rng.integers(0, 100, n),
            "improved_water": pd.array(rng.random(n) < 0.6, dtype="boolean"),
            "water_minutes": rng.gamma(2.0, 10.0, n),
            "weight": rng.uniform(10, 90, n),
        }
    )


@pytest.fixture(scope="module")
def datasets() -> dict[str, pd.DataFrame]:
    survey = make_survey()
    population = make_survey(3000, seed=9).drop(columns="weight")
    population["settlement"] = pd.Categorical(np.where(np.arange(3000) % 10 == 0, "informal", "formal"))
    return {"community_survey": survey, "population": population}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_explorer_weighted_shares_match_an_independent_computation(datasets):
    ex = DatasetExplorer(datasets, chart=False)
    ex.set(variable="improved_water", by="district")
    survey = datasets["community_survey"]
    res = ex.result
    assert res.weighted and res.kind == "categorical" and res.by == "district"
    got = res.table[res.table["improved_water"] == True].set_index("district")["share"]  # noqa: E712
    for district, part in survey.groupby("district", observed=True):
        expected = part.loc[part["improved_water"].to_numpy(dtype=bool), "weight"].sum() / part["weight"].sum()
        assert got[district] == pytest.approx(expected)


def test_unticking_weights_gives_unweighted_shares(datasets):
    ex = DatasetExplorer(datasets, variable="improved_water", chart=False)
    weighted = ex.result.table.set_index("improved_water")["share"][True]
    ex.set(weighted=False)
    unweighted = ex.result.table.set_index("improved_water")["share"][True]
    assert not ex.result.weighted
    assert unweighted == pytest.approx(datasets["community_survey"]["improved_water"].mean())
    assert weighted != pytest.approx(unweighted)
    assert "Unweighted" in ex.result.note


def test_numeric_variable_gives_weighted_means(datasets):
    ex = DatasetExplorer(datasets, chart=False).set(variable="water_minutes", by="sex")
    survey = datasets["community_survey"]
    res = ex.result
    assert res.kind == "numeric"
    for sex, part in survey.groupby("sex", observed=True):
        row = res.table[res.table["sex"] == sex].iloc[0]
        assert row["mean"] == pytest.approx(np.average(part["water_minutes"], weights=part["weight"]))


def test_switching_dataset_updates_choices_with_one_compute(datasets):
    ex = DatasetExplorer(datasets, variable="water_minutes", by="district", chart=False)
    before = ex.n_computes
    ex.set(dataset="population")
    assert ex.n_computes == before + 1
    assert "settlement" in ex.controls["by"].options
    assert ex.controls["weighted"].disabled and not ex.controls["weighted"].value
    assert ex.result.dataset == "population" and not ex.result.weighted
    assert ex.result.variable == "water_minutes" and ex.result.by == "district"  # kept: still offered
    assert "No weights" in ex.result.note


def test_set_dataset_and_its_variable_together_in_any_keyword_order(datasets):
    ex = DatasetExplorer(datasets, chart=False)
    ex.set(by="settlement", dataset="population")
    assert ex.result.by == "settlement"


def test_disaggregating_by_the_variable_itself_is_a_message(datasets):
    ex = DatasetExplorer(datasets, variable="sex", chart=False)
    ex.set(by="sex")
    assert ex.result is None and "other than the variable" in ex.error


def test_small_groups_are_flagged(datasets):
    small = {"s": datasets["community_survey"].iloc[:40]}
    ex = DatasetExplorer(small, variable="improved_water", by="district", chart=False)
    assert ex.result.warnings and "Fewer than 30" in ex.result.warnings[0]


def test_render_shows_table_and_chart_for_each_kind(datasets):
    ex = DatasetExplorer(datasets)
    for values in (
        {"variable": "improved_water", "by": NO_GROUP},
        {"variable": "improved_water", "by": "district"},
        {"variable": "water_minutes", "by": NO_GROUP},
        {"variable": "water_minutes", "by": "sex"},
    ):
        ex.set(**values)
        assert ex.error is None, ex.error
        kinds = [type(r).__name__ for r in ex.rendered]
        assert kinds[0] == "ExplorerResult" and "Image" in kinds, (values, kinds)
    assert plt.get_fignums() == []


def test_display_table_shows_percent_wide_by_group(datasets):
    ex = DatasetExplorer(datasets, chart=False).set(variable="improved_water", by="sex")
    shown = ex.result.display_table()
    assert list(shown.columns) == ["sex", "records", "False (%)", "True (%)"]
    assert (shown["False (%)"] + shown["True (%)"]).round(0).eq(100).all()
    assert shown["records"].sum() == len(datasets["community_survey"])
    page = ex.result._repr_html_()
    assert "improved_water by sex" in page and "<table" in page


def test_explorer_rejects_unknown_initial_choices(datasets):
    with pytest.raises(CdcourseError, match="dataset must be one of"):
        DatasetExplorer(datasets, dataset="nope")
    with pytest.raises(CdcourseError, match="variable must be one of"):
        DatasetExplorer(datasets, variable="person_id")
    with pytest.raises(CdcourseError, match="by must be one of"):
        DatasetExplorer(datasets, by="age")


def test_explorer_loads_named_datasets_lazily_with_the_loader(datasets):
    calls = []

    def loader(name):
        calls.append(name)
        return datasets["population"]

    ex = DatasetExplorer(loader=loader, chart=False)
    assert calls == ["community_survey"]
    ex.set(dataset="population")
    ex.set(dataset="community_survey")
    assert calls == ["community_survey", "population"]  # loaded once each, then kept


def test_explorer_accepts_a_single_frame(datasets):
    ex = DatasetExplorer(datasets["community_survey"], chart=False)
    assert ex.controls["dataset"].options == ("data",)


# ----------------------------------------------------------------------------- on the Lumeria datasets

def test_explorer_on_the_community_survey_matches_a_groupby_of_the_weights(survey):
    ex = DatasetExplorer({"community_survey": survey}, chart=False).set(variable="improved_water", by="district")
    got = ex.result.table
    got = got[got["improved_water"] == True].set_index("district")["share"]  # noqa: E712
    yes = survey["improved_water"].fillna(False).to_numpy(dtype=bool)
    known = survey["improved_water"].notna()
    ref = (survey["weight"].where(yes, 0.0)[known].groupby(survey["district"][known], observed=True).sum()
           / survey["weight"][known].groupby(survey["district"][known], observed=True).sum())
    ref = {str(k): v for k, v in ref.items()}
    assert len(got) == len(ref) == 12
    for district, share in got.items():
        assert share == pytest.approx(ref[str(district)])


def test_explorer_offers_every_course_dataset_without_errors(survey, population):
    ex = DatasetExplorer(chart=False)
    for name in ex.controls["dataset"].options:
        ex.set(dataset=name)
        assert ex.error is None, (name, ex.error)
        assert len(ex.result.table) > 0
