"""Sample size and design effects: published worked examples, identities, and bad input."""
from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdcourse import sampling
from cdcourse.errors import CdcourseError

Z95 = 1.959963984540054


def test_cochran_example_385_for_half_proportion_five_points():
    # Cochran (1977), section 4.4: n0 = 1.96^2 x 0.5 x 0.5 / 0.05^2 = 384.16, rounded up to 385.
    assert 1.96**2 * 0.5 * 0.5 / 0.05**2 == pytest.approx(384.16)
    n = sampling.sample_size_proportion(0.5, 0.05)
    assert n == 385
    assert n.steps[0][1] == pytest.approx(Z95**2 * 0.25 / 0.0025)


@pytest.mark.parametrize("population, expected", [(100, 80), (1000, 278), (10_000, 370)])
def test_finite_population_matches_krejcie_morgan_table(population, expected):
    # Krejcie and Morgan (1970), "Determining sample size for research activities", Educational and
    # Psychological Measurement 30, Table 1 (95%, p = 0.5, 5 points): N = 100 -> 80, 1000 -> 278, 10000 -> 370.
    assert sampling.sample_size_proportion(0.5, 0.05, population=population) == expected


def test_mics_style_household_example_worked_by_hand():
    # MICS-style planning defaults (DOMAIN.md): 95% confidence, margin 12% of the indicator value,
    # deff 1.5, 10% non-response. For an indicator expected at 25%:
    # e = 0.12 x 0.25 = 0.03; n0 = 1.959964^2 x 0.25 x 0.75 / 0.03^2 = 800.30;
    # x 1.5 = 1200.46 completed (-> 1201); / 0.9 = 1333.84 selected -> 1334.
    n0 = Z95**2 * 0.25 * 0.75 / 0.03**2
    assert n0 == pytest.approx(800.30, abs=0.01)
    n = sampling.sample_size_proportion(0.25, 0.12, deff=1.5, response_rate=0.9, relative=True)
    assert int(n) == math.ceil(n0 * 1.5 / 0.9) == 1334
    assert n.completed == 1201
    assert [label.split(" ")[0] for label, _ in n.steps] == ["simple", "times", "divided", "rounded"]


def test_relative_margin_equals_absolute_margin_of_p_times_it():
    assert sampling.sample_size_proportion(0.2, 0.1, relative=True) == sampling.sample_size_proportion(0.2, 0.02)


def test_sample_size_is_symmetric_in_p_and_largest_at_half():
    sizes = [sampling.sample_size_proportion(p, 0.05) for p in (0.1, 0.3, 0.5, 0.7, 0.9)]
    assert sizes[0] == sizes[4] and sizes[1] == sizes[3]
    assert max(sizes) == sizes[2]


def test_fpc_is_applied_after_the_design_effect():
    # deff (1 - n/N) p q / n = (e/z)^2  =>  n = n0 deff / (1 + n0 deff / N)
    n0 = Z95**2 * 0.25 / 0.05**2
    expected = math.ceil(n0 * 2 / (1 + n0 * 2 / 2000))
    assert sampling.sample_size_proportion(0.5, 0.05, deff=2, population=2000) == expected


def test_mean_sample_size_by_hand():
    # S = 20 minutes, e = 2 minutes: (1.96 x 20 / 2)^2 = 384.15 -> 385; with deff 2 and 80% response: 961.
    assert sampling.sample_size_mean(20, 2) == 385
    assert sampling.sample_size_mean(20, 2, deff=2, response_rate=0.8) == math.ceil(Z95**2 * 100 * 2 / 0.8)


def test_higher_confidence_needs_more():
    assert sampling.sample_size_proportion(0.5, 0.05, confidence=0.99) > sampling.sample_size_proportion(0.5, 0.05)
    # z for 99% is 2.5758
    assert sampling.z_value(0.99) == pytest.approx(2.5758, abs=1e-4)


def test_sample_size_is_an_int_with_steps_table_and_html():
    n = sampling.sample_size_proportion(0.5, 0.05, response_rate=0.8)
    # Rounded once at the end: 384.146 / 0.8 = 480.18 -> 481 (rounding 385 / 0.8 would give 482).
    assert isinstance(n, int) and n + 0 == 481
    frame = n.to_frame()
    assert list(frame.columns) == ["step", "value"] and frame["value"].iloc[-1] == 481
    assert "481" in n._repr_html_() and "385" in n.summary()
    assert pickle.loads(pickle.dumps(n)).steps == n.steps


def test_cluster_design_effect_formula():
    # Kish (1965): deff = 1 + (b - 1) rho; 15 households per cluster, rho 0.05 -> 1.7
    assert sampling.design_effect_cluster(15, 0.05) == pytest.approx(1.7)
    assert sampling.design_effect_cluster(1, 0.3) == 1
    assert sampling.design_effect_cluster(20, 0) == 1


def test_kish_design_effect_and_effective_sample_size():
    w = np.array([1.0, 1, 2, 4])
    assert sampling.design_effect_kish(w) == pytest.approx(4 * 22 / 64)
    assert sampling.effective_sample_size(w) == pytest.approx(64 / 22)
    assert sampling.design_effect_kish([3.0] * 7) == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=1e4), min_size=1, max_size=50))
def test_kish_design_effect_is_at_least_one(weights):
    assert sampling.design_effect_kish(weights) >= 1 - 1e-12
    assert sampling.effective_sample_size(weights) <= len(weights) + 1e-9


@settings(max_examples=50, deadline=None)
@given(p=st.floats(0.01, 0.99), margin=st.floats(0.005, 0.2), deff=st.floats(1, 5), rr=st.floats(0.3, 1))
def test_more_design_effect_or_non_response_never_needs_fewer(p, margin, deff, rr):
    base = sampling.sample_size_proportion(p, margin)
    planned = sampling.sample_size_proportion(p, margin, deff=deff, response_rate=rr)
    assert planned >= base
    assert planned.completed <= planned


@pytest.mark.parametrize(
    "kwargs, param",
    [
        (dict(p=0, margin=0.05), "p"),
        (dict(p=1.2, margin=0.05), "p"),
        (dict(p=0.5, margin=0), "margin"),
        (dict(p=0.5, margin=-0.05), "margin"),
        (dict(p=0.5, margin=5), "margin"),
        (dict(p=0.5, margin=0.05, confidence=1.0), "confidence"),
        (dict(p=0.5, margin=0.05, deff=0), "deff"),
        (dict(p=0.5, margin=0.05, response_rate=0), "response_rate"),
        (dict(p=0.5, margin=0.05, response_rate=1.5), "response_rate"),
        (dict(p=0.5, margin=0.05, population=0), "population"),
        (dict(p="half", margin=0.05), "p"),
    ],
)
def test_bad_planning_input_names_the_parameter(kwargs, param):
    with pytest.raises(CdcourseError, match=rf"^{param}\b"):
        sampling.sample_size_proportion(**kwargs)


def test_bad_mean_and_design_effect_input():
    with pytest.raises(CdcourseError, match="^sd"):
        sampling.sample_size_mean(0, 2)
    with pytest.raises(CdcourseError, match="^cluster_size"):
        sampling.design_effect_cluster(0, 0.1)
    with pytest.raises(CdcourseError, match="^icc"):
        sampling.design_effect_cluster(10, 1.5)
    with pytest.raises(CdcourseError, match="icc"):
        sampling.design_effect_cluster(10, -0.5)
    with pytest.raises(CdcourseError, match="^weights has 2 missing, zero or negative"):
        sampling.design_effect_kish([1.0, 0.0, -1.0])
    with pytest.raises(CdcourseError, match="^weights is empty"):
        sampling.effective_sample_size([])
