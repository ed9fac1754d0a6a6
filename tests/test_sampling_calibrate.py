"""Post-stratification and raking to known population totals."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdcourse import sampling
from cdcourse.errors import CdcourseError


@pytest.fixture(scope="module")
def sample():
    rng = np.random.default_rng(3)
    n = 800
    return pd.DataFrame({
        "sex": rng.choice(["female", "male"], n, p=[0.6, 0.4]),
        "age": rng.choice(["0-14", "15-49", "50+"], n, p=[0.3, 0.5, 0.2]),
        "district": rng.choice(["D1", "D2", "D3", "D4"], n),
        "w": rng.uniform(20, 80, n),
    })


SEX = {"female": 20_500, "male": 19_500}
AGE = {"0-14": 14_000, "15-49": 19_000, "50+": 7_000}
DISTRICT = {"D1": 8_000, "D2": 12_000, "D3": 9_000, "D4": 11_000}


def test_poststratified_weights_reproduce_the_totals_exactly(sample):
    cal = sampling.poststratify(sample, "w", "sex", SEX)
    totals = cal.data.groupby("sex")["calibrated_weight"].sum()
    assert totals.to_dict() == pytest.approx(SEX)
    assert cal.converged and cal.iterations == 1 and cal.max_deviation < 1e-6
    # within a cell every weight is multiplied by the same factor
    ratio = cal.data["calibrated_weight"] / sample["w"]
    assert ratio.groupby(sample["sex"]).std().max() < 1e-12


def test_poststratify_on_crossed_cells(sample):
    cells = sample.groupby(["sex", "age"]).size()
    totals = {key: 1000.0 * (i + 1) for i, key in enumerate(cells.index)}
    cal = sampling.poststratify(sample, "w", ["sex", "age"], totals)
    assert cal.data.groupby(["sex", "age"])["calibrated_weight"].sum().to_dict() == pytest.approx(totals)


def test_raking_meets_every_margin_and_reports_convergence(sample):
    cal = sampling.rake(sample, "w", {"sex": SEX, "age": AGE, "district": DISTRICT})
    for column, target in (("sex", SEX), ("age", AGE), ("district", DISTRICT)):
        got = cal.data.groupby(column)["calibrated_weight"].sum().to_dict()
        assert got == pytest.approx(target, rel=1e-6)
    assert cal.converged and 1 <= cal.iterations < 100
    assert cal.max_relative_deviation <= 1e-6
    table = cal.to_frame()
    assert list(table.columns) == ["margin", "category", "target", "before", "after", "factor"]
    assert len(table) == 2 + 3 + 4
    assert "met every target" in cal.summary()
    assert "<table" in cal._repr_html_() and "iteration" in cal._repr_html_()


def test_raking_with_one_margin_is_post_stratification(sample):
    raked = sampling.rake(sample, "w", {"age": AGE})
    post = sampling.poststratify(sample, "w", "age", AGE)
    assert np.allclose(raked.data["calibrated_weight"], post.data["calibrated_weight"])
    assert raked.iterations == 1


def test_raking_matches_a_hand_worked_two_by_two_table():
    # Deming-Stephan iterations on a 2x2 table with equal starting weights converge to the unique table
    # with the margins and the starting odds ratio (1): cells = row x column / total.
    df = pd.DataFrame({"a": ["x", "x", "y", "y"], "b": ["u", "v", "u", "v"], "w": 1.0})
    cal = sampling.rake(df, "w", {"a": {"x": 30, "y": 70}, "b": {"u": 40, "v": 60}})
    assert cal.data["calibrated_weight"].tolist() == pytest.approx([12, 18, 28, 42])


def test_raking_reports_non_convergence_or_raises():
    # Only (f, young) and (m, old) exist: sex and age are the same split, so 60/40 and 50/50 conflict.
    df = pd.DataFrame({"sex": ["f", "m"], "age": ["young", "old"], "w": [1.0, 1.0]})
    margins = {"sex": {"f": 60, "m": 40}, "age": {"young": 50, "old": 50}}
    with pytest.raises(CdcourseError, match=r"^raking did not converge in max_iter = 20"):
        sampling.rake(df, "w", margins, max_iter=20)
    cal = sampling.rake(df, "w", margins, max_iter=20, must_converge=False)
    assert not cal.converged and cal.iterations == 20 and cal.max_deviation > 1
    assert "did NOT converge" in cal.summary()


def test_calibration_does_not_modify_the_input(sample):
    before = sample.copy()
    sampling.rake(sample, "w", {"sex": SEX, "age": AGE})
    sampling.poststratify(sample, "w", "district", DISTRICT)
    pd.testing.assert_frame_equal(sample, before)


def test_calibrated_weights_then_feed_the_estimators(sample):
    cal = sampling.rake(sample, "w", {"sex": SEX, "age": AGE}, new_weight="final")
    est = sampling.estimate_proportion(cal.data, "sex", "final", level="female")
    assert est.estimate == pytest.approx(20_500 / 40_000)
    assert est.population_size == pytest.approx(40_000)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), share=st.floats(0.2, 0.8))
def test_raking_property_margins_met_and_weights_positive(seed, share):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"s": rng.choice(["a", "b"], 200), "t": rng.choice(["x", "y", "z"], 200),
                       "w": rng.uniform(1, 10, 200)})
    total = 10_000
    cal = sampling.rake(df, "w", {"s": {"a": share * total, "b": (1 - share) * total},
                                  "t": {"x": 2000, "y": 3000, "z": 5000}})
    assert (cal.data["calibrated_weight"] > 0).all()
    assert cal.data.groupby("s")["calibrated_weight"].sum()["a"] == pytest.approx(share * total, rel=1e-5)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda d: sampling.poststratify(d, "w", "sex", {"female": 100}), r"^margin 'sex' has no total for category 'male'"),
        (lambda d: sampling.poststratify(d, "w", "sex", {**SEX, "other": 5}), r"^margin 'sex' has a target for category 'other' but no record"),
        (lambda d: sampling.poststratify(d, "w", "sex", {"female": 100, "male": -5}), r"^totals for 'sex' must be > 0"),
        (lambda d: sampling.poststratify(d, "w", "gender", SEX), r"^by 'gender' is not a column"),
        (lambda d: sampling.poststratify(d, "weight", "sex", SEX), r"^weight 'weight' is not a column"),
        (lambda d: sampling.poststratify(d.assign(w=-d["w"]), "w", "sex", SEX), r"^weight column 'w' has 800 negative"),
        (lambda d: sampling.rake(d, "w", {"sex": SEX, "age": {**AGE, "50+": 1}}), r"^margins add up to different population totals"),
        (lambda d: sampling.rake(d, "w", {}), r"^margins must be a non-empty mapping"),
        (lambda d: sampling.rake(d, "w", {"region": SEX}), r"^margins 'region' is not a column"),
        (lambda d: sampling.rake(d, "w", {"sex": [1, 2]}), r"^totals for 'sex' must be a mapping"),
        (lambda d: sampling.rake(d, "w", {"sex": SEX}, tol=0), r"^tol must be"),
        (lambda d: sampling.rake(d.assign(sex=d["sex"].where(d.index > 0)), "w", {"sex": SEX}),
         r"^margins column\(s\) 'sex' have 1 missing value"),
    ],
)
def test_bad_calibration_input_names_the_parameter(sample, call, message):
    with pytest.raises(CdcourseError, match=message):
        call(sample)
