"""Selecting samples: sizes, probabilities, weights, reproducibility, and bad input."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdcourse import sampling
from cdcourse.errors import CdcourseError


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(7)
    n = 3000
    ea = np.sort(rng.integers(0, 60, n))
    return pd.DataFrame({
        "person": [f"P{i:05d}" for i in range(n)],
        "district": np.where(ea < 20, "D1", np.where(ea < 45, "D2", "D3")),
        "ea": [f"EA{e:02d}" for e in ea],
        "household": [f"H{e:02d}-{i // 4}" for i, e in enumerate(ea)],
        "income": rng.lognormal(5, 1, n),
    })


def test_simple_random_sample_size_probability_and_weight(frame):
    s = sampling.simple_random_sample(frame, 300, seed=1)
    assert len(s) == 300 and s.index.is_unique and s.index.is_monotonic_increasing
    assert np.allclose(s["inclusion_prob"], 0.1) and s["design_weight"].sum() == pytest.approx(len(frame))
    assert list(s.columns) == [*frame.columns, "inclusion_prob", "design_weight"]


def test_same_seed_same_sample_different_seed_different_sample(frame):
    for draw in (
        lambda seed: sampling.simple_random_sample(frame, 50, seed=seed),
        lambda seed: sampling.systematic_sample(frame, 50, seed=seed),
        lambda seed: sampling.stratified_sample(frame, "district", 50, seed=seed),
        lambda seed: sampling.two_stage_sample(frame, "ea", 3, 5, strata="district", seed=seed),
    ):
        pd.testing.assert_frame_equal(draw(5), draw(5))
        assert not draw(5).index.equals(draw(6).index)


def test_a_generator_can_be_passed_as_seed(frame):
    a = sampling.simple_random_sample(frame, 20, seed=np.random.default_rng(3))
    b = sampling.simple_random_sample(frame, 20, seed=3)
    assert a.index.equals(b.index)


def test_systematic_sample_takes_every_kth_row_with_fractional_interval(frame):
    s = sampling.systematic_sample(frame, 7, seed=2)
    positions = frame.index.get_indexer(s.index)
    gaps = np.diff(positions)
    assert len(s) == 7 and set(gaps) <= {428, 429}  # 3000 / 7 = 428.57
    assert np.allclose(s["inclusion_prob"], 7 / 3000)


@pytest.mark.slow
def test_systematic_sample_gives_every_row_probability_n_over_n():
    frame = pd.DataFrame({"id": range(10)})
    counts = np.zeros(10)
    for seed in range(1500):
        counts[sampling.systematic_sample(frame, 3, seed=seed)["id"].to_numpy()] += 1
    assert np.allclose(counts / 1500, 0.3, atol=0.045)


def test_stratified_weights_sum_to_stratum_sizes(frame):
    s = sampling.stratified_sample(frame, "district", 301, seed=1)
    sizes = frame.groupby("district").size()
    assert s.groupby("district")["design_weight"].sum().round(9).eq(sizes).all()
    assert len(s) == 301


def test_stratified_sample_with_given_sizes_per_stratum(frame):
    s = sampling.stratified_sample(frame, "district", {"D1": 10, "D2": 20, "D3": 0}, seed=1)
    assert s["district"].value_counts().to_dict() == {"D2": 20, "D1": 10}


def test_stratified_equal_and_neyman_allocation(frame):
    equal = sampling.stratified_sample(frame, "district", 90, allocation="equal", seed=1)
    assert equal["district"].value_counts().tolist() == [30, 30, 30]
    neyman = sampling.stratified_sample(frame, "district", 90, allocation="neyman", y="income", seed=1)
    groups = frame.groupby("district")["income"]
    expected = sampling.allocate(groups.size(), 90, "neyman", sd=groups.std())
    assert neyman["district"].value_counts().sort_index().tolist() == expected.tolist()


def test_proportional_allocation_rounds_by_largest_remainder():
    # exact shares 33.33, 33.33, 33.33 -> 34, 33, 33 (ties to the first); total exactly n
    assert sampling.allocate({"a": 100, "b": 100, "c": 100}, 100).tolist() == [34, 33, 33]
    # 1000 x (0.625, 0.25, 0.125) of 7 = 4.375, 1.75, 0.875 -> floors 4, 1, 0; +1 to 0.875 then 0.75
    assert sampling.allocate({"a": 625, "b": 250, "c": 125}, 7).tolist() == [4, 2, 1]


def test_allocation_respects_stratum_size_and_minimum():
    # Neyman wants 83 in a stratum of 10: it is capped at 10 and the rest shared again.
    alloc = sampling.allocate({"a": 10, "b": 1000}, 100, "neyman", sd={"a": 100, "b": 1})
    assert alloc.tolist() == [10, 90]
    alloc = sampling.allocate({"a": 5000, "b": 30}, 100, minimum=5)
    assert alloc.tolist() == [95, 5]


@settings(max_examples=50, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 500), min_size=1, max_size=12),
    frac=st.floats(0.01, 1.0),
    method=st.sampled_from(["proportional", "equal", "neyman"]),
    data=st.data(),
)
def test_allocation_sums_to_n_within_bounds(sizes, frac, method, data):
    n = max(len(sizes), int(sum(sizes) * frac))
    sd = {i: data.draw(st.floats(0.1, 10)) for i in range(len(sizes))}
    alloc = sampling.allocate(dict(enumerate(sizes)), n, method, sd=sd)
    assert alloc.sum() == n
    assert (alloc >= 1).all() and (alloc <= np.array(sizes)).all()


def test_pps_probabilities_are_exact_with_certainty_units():
    frame = pd.DataFrame({"ea": list("abcdef"), "hh": [10, 20, 30, 40, 50, 250]})
    s = sampling.pps_sample(frame, "hh", 3, seed=0)
    probs = dict(zip(s["ea"], s["inclusion_prob"]))
    # X = 400, n = 3, interval 133.3: f (250) is certain; then n = 2, X = 150: p_i = 2 x_i / 150
    assert probs["f"] == 1.0
    for ea, p in probs.items():
        if ea != "f":
            assert p == pytest.approx(2 * frame.set_index("ea").loc[ea, "hh"] / 150)


@pytest.mark.slow
def test_pps_selection_frequencies_match_the_probabilities():
    frame = pd.DataFrame({"ea": range(8), "hh": [5, 10, 15, 20, 30, 40, 60, 120]})
    counts = np.zeros(8)
    for seed in range(2500):
        counts[sampling.pps_sample(frame, "hh", 3, seed=seed)["ea"].to_numpy()] += 1
    # X = 300, interval 100: unit 7 (120) certain; then n = 2, X = 180
    expected = np.r_[2 * frame["hh"].to_numpy()[:7] / 180, 1.0]
    assert np.allclose(counts / 2500, expected, atol=0.035)


@pytest.mark.slow
def test_pps_horvitz_thompson_total_is_unbiased():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"hh": rng.integers(20, 200, 40)})
    frame["y"] = frame["hh"] * rng.uniform(0.5, 1.5, 40)
    estimates = [(s["y"] * s["design_weight"]).sum()
                 for s in (sampling.pps_sample(frame, "hh", 6, seed=k) for k in range(1200))]
    assert np.mean(estimates) == pytest.approx(frame["y"].sum(), rel=0.015)


def test_stratified_pps_with_fixed_take_per_stratum(frame):
    eas = frame.groupby(["district", "ea"], as_index=False).size()
    s = sampling.pps_sample(eas, "size", 4, strata="district", seed=3)
    assert s["district"].value_counts().tolist() == [4, 4, 4]
    for district, group in s.groupby("district"):
        X = eas.loc[eas["district"] == district, "size"].sum()
        certain = group["inclusion_prob"] == 1
        assert not certain.any() or group.loc[certain, "size"].min() >= X / 4
        assert np.allclose(group.loc[~certain, "inclusion_prob"], 4 * group.loc[~certain, "size"] / X)


def test_two_stage_pps_with_fixed_take_is_self_weighting(frame):
    s = sampling.two_stage_sample(frame, "ea", 4, 10, strata="district", seed=1)
    for district, group in s.groupby("district"):
        N_h = (frame["district"] == district).sum()
        certain = group["prob_stage1"] == 1
        if not certain.any():
            assert np.allclose(group["inclusion_prob"], 4 * 10 / N_h)
        assert np.allclose(group["inclusion_prob"], group["prob_stage1"] * group["prob_stage2"])
    assert s.groupby("ea").size().max() == 10


def test_two_stage_sample_of_households_keeps_every_member(frame):
    s = sampling.two_stage_sample(frame, "ea", 3, 2, strata="district", unit="household", seed=4)
    selected = s["household"].unique()
    members = frame[frame["household"].isin(selected)]
    assert len(s) == len(members)
    assert s.groupby("ea")["household"].nunique().max() <= 2
    n_hh = frame.groupby("ea")["household"].nunique()
    assert np.allclose(s["prob_stage2"], 2 / s["ea"].map(n_hh).clip(lower=2))


def test_two_stage_design_weights_estimate_the_frame_size_without_bias(frame):
    totals = [sampling.two_stage_sample(frame, "ea", 3, 5, strata="district", seed=k)["design_weight"].sum()
              for k in range(400)]
    assert np.mean(totals) == pytest.approx(len(frame), rel=0.02)


def test_cluster_sample_takes_whole_clusters_with_srs_of_psus(frame):
    s = sampling.two_stage_sample(frame, "ea", 5, pps=False, seed=2)
    sizes = frame.groupby("ea").size()
    assert s.groupby("ea").size().eq(sizes[s["ea"].unique()]).all()
    assert np.allclose(s["inclusion_prob"], 5 / frame["ea"].nunique())


def test_two_stage_with_a_size_column(frame):
    df = frame.assign(mos=frame["ea"].map(frame.groupby("ea").size() * 2))
    s = sampling.two_stage_sample(df, "ea", 2, 4, size="mos", seed=1)
    X = df.drop_duplicates("ea")["mos"].sum()
    non_certain = s["prob_stage1"] < 1
    assert np.allclose(s.loc[non_certain, "prob_stage1"], 2 * s.loc[non_certain, "mos"] / X)


def test_selection_does_not_modify_the_frame(frame):
    before = frame.copy()
    sampling.stratified_sample(frame, "district", 30, seed=1)
    sampling.two_stage_sample(frame, "ea", 2, 3, strata="district", unit="household", seed=1)
    pps = frame.groupby("ea", as_index=False).size()
    sampling.pps_sample(pps, "size", 5, seed=1)
    pd.testing.assert_frame_equal(frame, before)


def test_existing_probability_columns_are_replaced(frame):
    first = sampling.simple_random_sample(frame, 100, seed=1)
    second = sampling.simple_random_sample(first, 10, seed=1)
    assert list(second.columns).count("design_weight") == 1
    assert np.allclose(second["inclusion_prob"], 0.1)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(4, 200))
def test_stratified_sample_property_weights_and_size(seed, n):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"s": rng.choice(list("abcd"), 400)})
    s = sampling.stratified_sample(frame, "s", n, seed=seed)
    assert len(s) == n and s.index.is_unique
    assert s.groupby("s")["design_weight"].sum().round(6).eq(frame["s"].value_counts()[s["s"].unique()]).all()


# bad input -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call, message",
    [
        (lambda f: sampling.simple_random_sample(f, 5000, seed=1), r"^n = 5000 is larger than the 3,000 rows"),
        (lambda f: sampling.simple_random_sample(f, 0, seed=1), r"^n must be a whole number"),
        (lambda f: sampling.systematic_sample(f, 2.5, seed=1), r"^n must be a whole number"),
        (lambda f: sampling.stratified_sample(f, "region", 10), r"^strata 'region' is not a column"),
        (lambda f: sampling.stratified_sample(f, "district", 4000), r"^n = 4000 is larger than the 3,000 units"),
        (lambda f: sampling.stratified_sample(f, "district", {"D1": 5000, "D2": 1, "D3": 1}),
         r"^n for stratum 'D1' is 5000"),
        (lambda f: sampling.stratified_sample(f, "district", {"D1": 5}), r"^n gives no size for stratum 'D2'"),
        (lambda f: sampling.stratified_sample(f, "district", {"D9": 5, "D1": 1, "D2": 1, "D3": 1}),
         r"^n names stratum 'D9'"),
        (lambda f: sampling.stratified_sample(f, "district", 30, allocation="neyman"), r"needs y= .* or sd="),
        (lambda f: sampling.stratified_sample(f, "district", 30, allocation="optimal"), r"^method must be one of"),
        (lambda f: sampling.stratified_sample(f, "district", 2), r"^n = 2 is too small .* minimum = 1"),
        (lambda f: sampling.pps_sample(f, "hh", 3), r"^size 'hh' is not a column"),
        (lambda f: sampling.pps_sample(f.assign(hh=0), "hh", 3), r"^size column 'hh' has 3000 missing, zero"),
        (lambda f: sampling.two_stage_sample(f, "ea", 100, 5, strata="district"),
         r"^n_psu for stratum 'D1' is 100, larger than the \d+ PSUs"),
        (lambda f: sampling.two_stage_sample(f, "ea", 2, 0), r"^n_per_psu must be a whole number"),
        (lambda f: sampling.two_stage_sample(f, "ea", 2, 3, unit="district"),
         r"^unit column 'district' has units in more than one PSU"),
        (lambda f: sampling.simple_random_sample(f, 5, seed="x"), r"^seed must be a whole number"),
        (lambda f: sampling.simple_random_sample(f.iloc[:0], 5), r"^frame is empty"),
    ],
)
def test_bad_selection_input_names_the_parameter(frame, call, message):
    with pytest.raises(CdcourseError, match=message):
        call(frame)


def test_bad_allocation_input():
    with pytest.raises(CdcourseError, match=r"^sd gives no standard deviation for stratum 'b'"):
        sampling.allocate({"a": 10, "b": 10}, 5, "neyman", sd={"a": 1})
    with pytest.raises(CdcourseError, match=r"^sd is 0 in every stratum"):
        sampling.allocate({"a": 10, "b": 10}, 5, "neyman", sd={"a": 0, "b": 0})
    with pytest.raises(CdcourseError, match=r"^sizes must be whole numbers >= 0"):
        sampling.allocate({"a": -1}, 5)
