"""The sampling simulator: its pure computation, tested by setting controls as a learner would."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdcourse.errors import CdcourseError
from cdcourse.widgets.sampling import DESIGNS, SamplingSimulator, Simulation, Simulator


@pytest.fixture(scope="module")
def simulator(population):
    return Simulator(population)


def test_persons_of_the_selected_households_are_all_their_members(simulator, population):
    rng = np.random.default_rng(0)
    hh = np.sort(rng.choice(simulator.n_households, 50, replace=False))
    rows = simulator._persons(hh)
    ids = pd.factorize(population["household_id"].astype(str), sort=True)[0]
    assert np.array_equal(np.sort(simulator._hh_of_person[rows]), np.sort(ids[np.isin(ids, hh)]))


@pytest.mark.parametrize("design", ["srs", "stratified"])
def test_household_weights_add_up_to_the_number_of_households(simulator, design):
    hh, weights, strata, psu = simulator.draw(design, 600, 15, np.random.default_rng(3))
    assert len(hh) == 600 and len(np.unique(hh)) == 600
    assert weights.sum() == pytest.approx(simulator.n_households)
    if design == "stratified":
        per_district = np.bincount(strata, weights=weights)
        assert per_district == pytest.approx(simulator._district_hh)


@pytest.mark.parametrize("design", ["cluster", "cluster_sorted"])
def test_two_stage_draw_takes_a_fixed_number_of_households_per_area(simulator, design):
    hh, weights, strata, psu = simulator.draw(design, 720, 15, np.random.default_rng(5))
    per_area = np.bincount(psu)[np.unique(psu)]
    assert (per_area <= 15).all() and len(np.unique(psu)) == 12 * 4  # 720 / 15 / 12 = 4 areas per district
    assert np.all(np.bincount(strata[np.unique(psu, return_index=True)[1]]) == 4)


def test_two_stage_weights_estimate_the_number_of_households_without_bias(simulator):
    rng = np.random.default_rng(1)
    totals = [simulator.draw("cluster", 600, 15, rng)[1].sum() for _ in range(300)]
    assert np.mean(totals) == pytest.approx(simulator.n_households, rel=0.02)


def test_same_seed_same_samples(simulator):
    a = simulator.run("cluster", 600, "improved_water", 30, seed=7)
    b = simulator.run("cluster", 600, "improved_water", 30, seed=7)
    c = simulator.run("cluster", 600, "improved_water", 30, seed=8)
    assert np.array_equal(a.estimates, b.estimates) and not np.array_equal(a.estimates, c.estimates)


def test_random_order_designs_cover_the_truth_about_95_percent(simulator):
    for design in ("srs", "cluster"):
        result = simulator.run(design, 600, "improved_water", 300, seed=11)
        assert 0.90 <= result.coverage <= 0.99, (design, result.coverage)
        # unbiased: the average estimate is within 4 standard errors of the mean of the truth
        assert abs(result.bias) < 4 * result.empirical_se / np.sqrt(300)


def test_truth_is_the_population_value(simulator, population):
    assert simulator.truth["improved_water"] == pytest.approx(population["improved_water"].astype(float).mean())
    assert simulator.truth["water_minutes"] == pytest.approx(population["water_minutes"].mean())


def test_sorted_frame_makes_the_standard_error_conservative(simulator):
    # Systematic PPS down a frame sorted urban -> rural stratifies implicitly; the with-replacement SE does
    # not know it, so the reported SEs exceed the real spread of the estimates.
    result = simulator.run("cluster_sorted", 600, "water_minutes", 200, seed=2)
    assert result.mean_se > 1.3 * result.empirical_se
    assert result.coverage > 0.97


def test_clustering_costs_precision_against_simple_random_sampling(simulator):
    srs = simulator.run("srs", 600, "improved_water", 200, seed=4)
    cluster = simulator.run("cluster", 600, "improved_water", 200, seed=4)
    assert cluster.empirical_se > 1.3 * srs.empirical_se


def test_simulation_result_frame_and_summary(simulator):
    result = simulator.run("stratified", 300, "feels_safe_night", 40, seed=1)
    frame = result.to_frame()
    assert list(frame.columns) == ["estimate", "se", "ci_low", "ci_high", "covered"] and len(frame) == 40
    assert frame["covered"].mean() == pytest.approx(result.coverage)
    text = result.summary()
    assert text.startswith("40 samples of 300 households") and "% of the 95% intervals" in text
    assert "<p>" in result._repr_html_()


def test_explorer_set_computes_and_renders_once(population):
    ex = SamplingSimulator(population)
    assert isinstance(ex.result, Simulation) and ex.error is None
    before = (ex.n_computes, ex.n_renders)
    ex.set(design="srs", households=300, n_samples=50, indicator="water_minutes")
    assert (ex.n_computes, ex.n_renders) == (before[0] + 1, before[1] + 1)
    assert ex.result.design == "srs" and len(ex.result.estimates) == 50 and not ex.result.is_share
    assert len(ex.rendered) == 2  # the chart (as an image) and the plain-language line
    assert set(dict(ex.controls["design"].options).values()) == set(DESIGNS)


def test_explorer_rejects_unknown_choices(population):
    ex = SamplingSimulator(population)
    with pytest.raises(CdcourseError, match="design must be one of"):
        ex.set(design="quota")


def test_explorer_shows_a_compute_error_as_a_message():
    # 400 households: the default 600 households cannot be drawn; the widget says so instead of raising
    hh = np.repeat(np.arange(400), 2)
    tiny = pd.DataFrame({"household_id": hh, "ea_id": hh // 20, "district_code": hh // 100,
                         "improved_water": hh % 3 == 0})
    ex = SamplingSimulator(tiny)
    assert ex.result is None and ex.error.startswith("households must be a whole number")
    ex.set(households=120, n_samples=50)
    assert ex.error is None and len(ex.result.estimates) == 50


def test_simulator_bad_input(simulator, population):
    with pytest.raises(CdcourseError, match="^indicator must be one of"):
        simulator.run("srs", 600, "income", 10)
    with pytest.raises(CdcourseError, match="^households must be a whole number"):
        simulator.run("srs", 5, "improved_water", 10)
    with pytest.raises(CdcourseError, match="^population 'ea_id' is not a column"):
        Simulator(population.drop(columns="ea_id"))
    with pytest.raises(CdcourseError, match="^population has none of the indicator columns"):
        Simulator(population[["household_id", "ea_id", "district_code"]])
