"""The course chart style and plot helpers: assert on what is drawn (Agg backend, no windows)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.colors import to_hex, to_rgb  # noqa: E402

from cdcourse import viz  # noqa: E402
from cdcourse.errors import CdcourseError  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def estimates() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district": ["Marelo", "Tavi", "Ondu"],
            "share": [0.62, 0.48, 0.30],
            "lower": [0.55, 0.40, 0.21],
            "upper": [0.69, 0.58, 0.37],
            "truth": [0.60, 0.51, 0.33],
        }
    )


def source_texts(ax: Axes) -> list[str]:
    texts = [t for t in ax.texts + ax.figure.texts if t.get_gid() == viz.SOURCE_GID]
    return [t.get_text() for t in texts]


def ci_segments(ax: Axes) -> list[np.ndarray]:
    """The error-bar segments drawn for confidence intervals, each as [[x0, y0], [x1, y1]]."""
    segs = []
    for coll in ax.collections:
        if coll.get_gid() == viz.CI_GID:
            segs.extend(np.asarray(s) for s in coll.get_segments())
    return segs


# ----------------------------------------------------------------------------- style

def _relative_luminance(colour: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    la, lb = sorted([_relative_luminance(a), _relative_luminance(b)], reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_palette_is_the_okabe_ito_set():
    published = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert set(viz.PALETTE) == published
    assert len(viz.MARKERS) == len(viz.HATCHES) == len(viz.PALETTE)


def test_style_is_applied_on_import_and_by_use_style():
    matplotlib.rcParams["font.size"] = 6
    viz.use_style()
    assert matplotlib.rcParams["font.size"] >= 12
    cycle = [to_hex(c).upper() for c in matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert cycle == [c.upper() for c in viz.PALETTE]


def test_text_colours_have_accessible_contrast_on_white():
    assert _contrast(viz.TEXT, "#ffffff") >= 7  # WCAG AAA for body text
    assert _contrast(viz.MUTED, "#ffffff") >= 4.5  # WCAG AA for the source line


def test_plot_unpacks_and_answers_axes_methods(estimates):
    plot = viz.bar_ci(estimates, "district", "share", "lower", "upper", title="T")
    fig, ax = plot
    assert isinstance(ax, Axes) and fig is ax.figure
    assert plot.get_title() == "T"


# ----------------------------------------------------------------------------- bars and points with CI

def test_bar_ci_draws_one_bar_per_row_with_heights_equal_to_estimates(estimates):
    fig, ax = viz.bar_ci(estimates, "district", "share", "lower", "upper")
    assert len(ax.patches) == 3
    assert [p.get_height() for p in ax.patches] == pytest.approx(estimates["share"].tolist())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Marelo", "Tavi", "Ondu"]


def test_bar_ci_error_bars_span_exactly_the_interval(estimates):
    fig, ax = viz.bar_ci(estimates, "district", "share", "lower", "upper")
    segs = ci_segments(ax)
    assert len(segs) == 3
    spans = sorted((round(s[:, 1].min(), 9), round(s[:, 1].max(), 9)) for s in segs)
    expected = sorted(zip(estimates["lower"].round(9), estimates["upper"].round(9)))
    assert spans == expected


def test_horizontal_bar_ci_error_bars_run_along_x(estimates):
    fig, ax = viz.bar_ci(estimates, "district", "share", "lower", "upper", horizontal=True)
    spans = sorted((round(s[:, 0].min(), 9), round(s[:, 0].max(), 9)) for s in ci_segments(ax))
    assert spans == sorted(zip(estimates["lower"].round(9), estimates["upper"].round(9)))
    assert [p.get_width() for p in ax.patches] == pytest.approx(estimates["share"].tolist())


def test_title_labels_and_source_are_present(estimates):
    fig, ax = viz.bar_ci(
        estimates, "district", "share", "lower", "upper", title="Improved water", xlabel="District",
        ylabel="Share of persons", source="Source: Lumeria community survey 2024 (synthetic)",
    )
    assert ax.get_title() == "Improved water"
    assert ax.get_xlabel() == "District" and ax.get_ylabel() == "Share of persons"
    assert source_texts(ax) == ["Source: Lumeria community survey 2024 (synthetic)"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "95% confidence interval" in legend


def test_axis_labels_default_to_readable_column_names(estimates):
    fig, ax = viz.bar_ci(estimates.rename(columns={"share": "improved_water"}), "district", "improved_water")
    assert ax.get_ylabel() == "improved water"


def test_truth_as_number_is_a_dashed_line_and_as_column_a_marker_per_bar(estimates):
    fig, ax = viz.bar_ci(estimates, "district", "share", "lower", "upper", truth=0.5)
    (line,) = [ln for ln in ax.lines if ln.get_gid() == viz.TRUTH_GID]
    assert line.get_linestyle() == "--" and line.get_ydata()[0] == 0.5
    fig, ax = viz.bar_ci(estimates, "district", "share", "lower", "upper", truth="truth")
    (markers,) = [ln for ln in ax.lines if ln.get_gid() == viz.TRUTH_GID]
    assert list(markers.get_ydata()) == pytest.approx(estimates["truth"].tolist())
    fig, ax = viz.bar_ci(estimates, "district", "share", truth={"Tavi": 0.5})
    (markers,) = [ln for ln in ax.lines if ln.get_gid() == viz.TRUTH_GID]
    assert np.isnan(markers.get_ydata()[0]) and markers.get_ydata()[1] == 0.5


def test_interval_not_containing_the_estimate_is_an_error_naming_rows(estimates):
    bad = estimates.assign(lower=[0.7, 0.40, 0.21])
    with pytest.raises(CdcourseError, match="rows 0"):
        viz.bar_ci(bad, "district", "share", "lower", "upper")


def test_missing_column_is_an_error_listing_columns(estimates):
    with pytest.raises(CdcourseError, match="'sharee' is not a column"):
        viz.bar_ci(estimates, "district", "sharee")
    with pytest.raises(CdcourseError, match="together"):
        viz.bar_ci(estimates, "district", "share", lower="lower")


def test_points_ci_draws_points_and_intervals(estimates):
    fig, ax = viz.points_ci(estimates, "district", "share", "lower", "upper", horizontal=True)
    assert ax.lines[0].get_xdata().tolist() == estimates["share"].tolist()
    assert ax.lines[0].get_marker() == "o"
    assert len(ci_segments(ax)) == 3
    assert len(ax.patches) == 0


def test_drawing_into_a_given_axes(estimates):
    fig, (left, right) = plt.subplots(1, 2)
    plot = viz.points_ci(estimates, "district", "share", ax=right)
    assert plot.ax is right and plot.fig is fig
    assert len(left.lines) == 0
    with pytest.raises(CdcourseError, match="ax must be"):
        viz.points_ci(estimates, "district", "share", ax="right")


# ----------------------------------------------------------------------------- groups

@pytest.fixture
def by_sex() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district": ["A", "A", "B", "B", "C"],
            "sex": ["female", "male", "female", "male", "female"],
            "share": [0.4, 0.5, 0.6, 0.7, 0.3],
            "lo": [0.3, 0.4, 0.5, 0.6, 0.2],
            "hi": [0.5, 0.6, 0.7, 0.8, 0.4],
        }
    )


def test_group_bars_one_bar_per_row_with_distinct_colour_and_hatch(by_sex):
    fig, ax = viz.group_bars(by_sex, "district", "share", "sex", lower="lo", upper="hi", source="Source: s")
    assert len(ax.patches) == 5
    female = [p for p in ax.patches if to_hex(p.get_facecolor()).upper() == viz.PALETTE[0].upper()]
    male = [p for p in ax.patches if to_hex(p.get_facecolor()).upper() == viz.PALETTE[1].upper()]
    assert len(female) == 3 and len(male) == 2
    assert {p.get_hatch() or "" for p in female} != {p.get_hatch() or "" for p in male}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["female", "male"]
    assert len(ci_segments(ax)) == 5
    assert source_texts(ax) == ["Source: s"]


def test_group_bars_refuses_more_groups_than_can_be_told_apart():
    many = pd.DataFrame({"x": ["a"] * 9, "y": range(9), "g": list("abcdefghi")})
    with pytest.raises(CdcourseError, match="9 values"):
        viz.group_bars(many, "x", "y", "g")


# ----------------------------------------------------------------------------- maps

SQUARE = np.array([(30.0, -4.0), (33.0, -4.0), (33.0, -1.0), (30.0, -1.0)])


def test_inside_boundary_matches_a_hand_check():
    lon = [31.0, 29.0, 32.9, np.nan, 34.0]
    lat = [-2.0, -2.0, -1.1, -2.0, -2.0]
    assert viz.inside_boundary(lon, lat, SQUARE).tolist() == [True, False, True, False, False]


def test_map_draws_points_outside_the_boundary_distinctly():
    pts = pd.DataFrame(
        {
            "lon": [31.0, 31.5, 32.0, 29.5, -2.0],  # the last has lat/lon swapped
            "lat": [-2.0, -3.0, -1.5, -2.0, 31.0],
            "category": ["water point", "hazard", "water point", "hazard", "unsafe place"],
        }
    )
    fig, ax = viz.map_points(pts, hue="category", boundary=SQUARE, title="Mapped points", source="Source: m")
    outside = [c for c in ax.collections if c.get_gid() == viz.OUTSIDE_GID]
    assert len(outside) == 1
    assert sorted(map(tuple, outside[0].get_offsets().tolist())) == [(-2.0, 31.0), (29.5, -2.0)]
    inside_total = sum(len(c.get_offsets()) for c in ax.collections if c.get_gid() != viz.OUTSIDE_GID)
    assert inside_total == 3
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "outside the country boundary (2)" in labels
    assert ax.get_xlabel() == "Longitude" and ax.get_ylabel() == "Latitude"
    # distinct by shape and size, not colour alone
    assert outside[0].get_sizes()[0] > ax.collections[0].get_sizes()[0]


def test_map_draws_district_outlines_with_labels():
    districts = {"D01": SQUARE[[0, 1, 2]], "D02": SQUARE[[0, 2, 3]]}
    pts = pd.DataFrame({"lon": [31.0], "lat": [-2.0]})
    fig, ax = viz.map_points(pts, boundary=SQUARE, districts=districts)
    assert {t.get_text() for t in ax.texts} >= {"D01", "D02"}
    assert len(ax.patches) == 2


def test_map_without_boundary_treats_every_point_as_inside():
    pts = pd.DataFrame({"lon": [0.0, 100.0], "lat": [0.0, 50.0]})
    fig, ax = viz.map_points(pts)
    assert not [c for c in ax.collections if c.get_gid() == viz.OUTSIDE_GID]


# ----------------------------------------------------------------------------- pyramid

@pytest.fixture
def people() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {"age": rng.integers(0, 100, 500), "sex": rng.choice(["female", "male"], 500), "w": rng.uniform(1, 3, 500)}
    )


def test_pyramid_bar_lengths_equal_counts_by_age_group_and_sex(people):
    fig, ax = viz.pyramid(people, band=10, top=80, title="Lumeria")
    assert len(ax.patches) == 2 * 9  # 0-9 .. 70-79, 80+ for each sex
    male = [-p.get_width() for p in ax.patches[:9]]
    female = [p.get_width() for p in ax.patches[9:]]
    groups = np.minimum(people["age"] // 10, 8)
    exp_male = [int(((groups == g) & (people["sex"] == "male")).sum()) for g in range(9)]
    exp_female = [int(((groups == g) & (people["sex"] == "female")).sum()) for g in range(9)]
    assert male == exp_male and female == exp_female
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "80+"


def test_pyramid_weighted_and_percent(people):
    fig, ax = viz.pyramid(people, weight="w", percent=True)
    total = sum(abs(p.get_width()) for p in ax.patches)
    assert total == pytest.approx(100.0)
    fig, ax = viz.pyramid(people, weight="w")
    assert sum(abs(p.get_width()) for p in ax.patches) == pytest.approx(people["w"].sum())
    assert "weighted" in ax.get_xlabel()


def test_pyramid_sexes_differ_by_hatch_and_reference_outline_is_drawn(people):
    fig, ax = viz.pyramid(people, reference=people.iloc[:100], percent=True)
    hatches = {p.get_hatch() or "" for p in ax.patches}
    assert len(hatches) == 2
    assert "population (truth)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_pyramid_rejects_negative_ages():
    with pytest.raises(CdcourseError, match="negative"):
        viz.pyramid(pd.DataFrame({"age": [-1, 3], "sex": ["male", "female"]}))


# ----------------------------------------------------------------------------- before/after and histogram

def test_before_after_bars_cover_the_union_of_categories():
    before = pd.Series({"F": 10, "female": 30, "male": 38})
    after = {"female": 40, "male": 38}
    fig, ax = viz.before_after(before, after, title="Sex labels", source="Source: cleaning log")
    assert len(ax.patches) == 6
    assert [t.get_text() for t in ax.get_xticklabels()] == ["F", "female", "male"]
    heights = [p.get_height() for p in ax.patches]
    assert heights == [10, 30, 38, 0, 40, 38]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["before", "after"]


def test_before_after_dots_use_two_marker_shapes():
    fig, ax = viz.before_after({"a": 1, "b": 2}, {"a": 3, "b": 2}, kind="dots")
    markers = {ln.get_marker() for ln in ax.lines if ln.get_linestyle() == "None"}
    assert markers == {"o", "s"}


def test_before_after_hist_uses_shared_bins():
    fig, ax = viz.before_after([1, 2, 150, 3], [1, 2, 3], kind="hist", bins=5)
    assert len(ax.patches) == 2
    with pytest.raises(CdcourseError, match="kind"):
        viz.before_after([1], [1], kind="pie")


def test_histogram_counts_and_truth_line():
    values = [1, 2, 2, 3, 3, 3, None]
    fig, ax = viz.histogram(values, bins=[0.5, 1.5, 2.5, 3.5], truth=2.5, xlabel="Estimate", source="Source: h")
    assert [p.get_height() for p in ax.patches] == [1, 2, 3]
    (line,) = [ln for ln in ax.lines if ln.get_gid() == viz.TRUTH_GID]
    assert line.get_xdata()[0] == 2.5
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "1 missing, not shown" in legend
    assert source_texts(ax) == ["Source: h"]


def test_add_source_replaces_an_earlier_line_and_works_on_figures():
    fig, ax = plt.subplots()
    viz.add_source(ax, "Source: one")
    viz.add_source(fig, "Source: two")
    assert source_texts(ax) == ["Source: two"]
    fig2, (a, b) = plt.subplots(1, 2)
    viz.add_source(fig2, "Source: panels")
    assert [t.get_text() for t in fig2.texts if t.get_gid() == viz.SOURCE_GID] == ["Source: panels"]
    with pytest.raises(CdcourseError, match="Figure or Axes"):
        viz.add_source("ax", "Source")


def test_source_line_sits_below_the_axis_labels(estimates):
    fig, ax = viz.bar_ci(estimates, "district", "share", source="Source: s", xlabel="District")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (source,) = [t for t in ax.texts if t.get_gid() == viz.SOURCE_GID]
    assert source.get_window_extent(renderer).y1 <= ax.xaxis.label.get_window_extent(renderer).y0 + 1e-6


def test_group_points_one_marker_shape_per_group_with_intervals(by_sex):
    fig, ax = viz.group_points(by_sex, "district", "share", "sex", lower="lo", upper="hi", title="Dots")
    shapes = [ln.get_marker() for ln in ax.lines]
    assert shapes == ["o", "s"]
    assert ax.lines[0].get_xdata().tolist() == [0.4, 0.6, 0.3]
    spans = sorted((round(s[:, 0].min(), 9), round(s[:, 0].max(), 9)) for s in ci_segments(ax))
    assert spans == sorted(zip(by_sex["lo"].round(9), by_sex["hi"].round(9)))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["female", "male"]


def test_pyramid_refuses_a_top_that_would_make_groups_overlap():
    # band 10 with top 85 would label 80-89 and 85+ side by side, and put an 87-year-old in "80-89"
    people = pd.DataFrame({"age": [3, 87], "sex": ["male", "female"]})
    with pytest.raises(CdcourseError, match="top must be a multiple of band"):
        viz.pyramid(people, band=10, top=85)
