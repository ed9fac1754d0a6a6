"""The risk-utility explorer (pure compute, driven by setting controls) and the lesson's self-checks."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cdcourse import privacy
from cdcourse.errors import CdcourseError
from cdcourse.widgets.risk import RiskExplorer, recode


@pytest.fixture(scope="module")
def small_survey():
    rng = np.random.default_rng(3)
    n = 600
    district = rng.choice([f"D{i:02d}" for i in range(1, 7)], n)
    return pd.DataFrame({
        "age": rng.integers(0, 90, n), "sex": rng.choice(["female", "male"], n), "district_code": district,
        "language_group": rng.choice(["Amari", "Bensi", "Saro"], n, p=[0.7, 0.2, 0.1]),
        "disability": pd.array(rng.random(n) < 0.1, dtype="boolean"), "weight": rng.uniform(5, 15, n),
    })


HIERARCHY = {"D01": "R1", "D02": "R1", "D03": "R2", "D04": "R2", "D05": "R3", "D06": "R3"}


def test_explorer_starts_with_the_data_as_it_is(small_survey):
    ex = RiskExplorer(small_survey, hierarchy=HIERARCHY)
    direct = privacy.risk_report(small_survey, ["age", "sex", "district_code", "language_group", "disability"],
                                 weight="weight")
    assert ex.error is None
    assert ex.result.k == direct.k == 1
    assert ex.result.global_risk == pytest.approx(direct.global_risk)
    assert ex.result.suppressed == 0 and ex.result.changed == 0
    assert ex.n_computes == 1 and ex.n_renders == 1


def test_coarser_recoding_lowers_risk_and_costs_recoded_values(small_survey):
    ex = RiskExplorer(small_survey, hierarchy=HIERARCHY)
    exact = ex.result
    ex.set(age="official")
    banded = ex.result
    ex.set(area="region")
    merged = ex.result
    assert exact.global_risk > banded.global_risk > merged.global_risk
    assert banded.changed == small_survey["age"].notna().sum()
    assert merged.changed == banded.changed + len(small_survey)
    assert ex.n_computes == 3  # one compute per change


def test_suppression_reaches_the_chosen_k_under_the_chosen_rule(small_survey):
    ex = RiskExplorer(small_survey, hierarchy=HIERARCHY)
    for rule in ("category", "wildcard"):
        ex.set(age="10", suppress=True, k=4, missing=rule)
        assert ex.result.k >= 4
        assert privacy.k_anonymity(ex.result.release, ex.quasi_identifiers, missing=rule) >= 4
        assert ex.result.suppressed > 0
        assert 0 < ex.result.share_suppressed < 0.5


def test_fewer_quasi_identifiers_mean_less_risk(small_survey):
    ex = RiskExplorer(small_survey, hierarchy=HIERARCHY)
    all_qis = ex.result.global_risk
    ex.set(qis=("sex", "district_code"))
    assert ex.result.global_risk < all_qis
    assert ex.result.k == small_survey.groupby(["sex", "district_code"]).size().min()


def test_the_estimate_shows_what_suppressing_disability_costs(small_survey):
    ex = RiskExplorer(small_survey, hierarchy=HIERARCHY)
    ex.set(qis=("age", "sex", "district_code", "disability"), suppress=True, k=5)
    est = ex.result.loss.estimates
    assert set(est["district_code"]) == set(small_survey["district_code"])
    assert ex.result.max_estimate_change == pytest.approx(est["difference"].abs().max() * 100)
    assert len(ex.rendered) == 3  # summary, riskiest classes, the before/after chart


def test_explorer_reports_problems_inside_the_widget(small_survey):
    ex = RiskExplorer(small_survey)  # no hierarchy and no region_code column
    ex.set(area="region")
    assert ex.result is None and "hierarchy" in ex.error
    ex.set(area="district", qis=())
    assert "at least one quasi-identifier" in ex.error
    with pytest.raises(CdcourseError, match="must be one of"):
        ex.set(age="decades")
    with pytest.raises(CdcourseError, match="weight column 'w'"):
        RiskExplorer(small_survey, weight="w")


def test_recode_does_not_touch_its_input(small_survey):
    before = small_survey.copy()
    out = recode(small_survey, age="broad", area="region", hierarchy=HIERARCHY)
    pd.testing.assert_frame_equal(small_survey, before)
    assert set(out["age"].dropna()) <= {"0-14", "15-64", "65+"}
    assert set(out["district_code"]) == {"R1", "R2", "R3"}


def test_explorer_on_the_community_survey(survey):
    ex = RiskExplorer(survey, hierarchy=survey[["district_code"]].assign(
        region_code=survey["district_code"].astype(str).str[:2]))
    ex.set(age="official", suppress=True)
    assert ex.result.k >= 3 and ex.result.share_suppressed < 0.05


# ---------------------------------------------------------------------------------------------
# the lesson's self-checks, against independent computations
# ---------------------------------------------------------------------------------------------
def test_release_checks_expect_what_pandas_computes(survey):
    from cdcourse.checks import release as R

    sizes = survey.groupby(R.QIS, dropna=False, observed=True).size()
    assert R.q3.check(int((sizes == 1).sum())).status == "correct"
    assert R.q6.check(int(survey["disability"].isna().sum())).status == "correct"
    assert R.q2.check("a").status == "incorrect"
    assert R.q8.check(privacy.redact_text("Water cut. Ask Mrs Tamuyo on 0771 204 887.").text).status == "correct"
    banded = privacy.global_recode(survey, "age", breaks=R.AGE_BREAKS).data
    banded_sizes = banded.groupby(R.QIS, dropna=False, observed=True).size()
    assert R.q5.check(int(banded_sizes[banded_sizes < 3].sum())).status == "correct"
    assert 0 < R.q7.expected < 0.05


def test_release_table_check_counts_every_hidden_cell(survey):
    from cdcourse.checks import release as R

    table = R.disability_table()
    assert table.loc["Total", "Total"] == int(survey["disability"].fillna(False).astype(bool).sum())
    res = privacy.secondary_suppression(privacy.frequency_rule(table, n=3))
    hidden = res.suppressed.to_numpy()
    assert R.q9.check(int(hidden.sum())).status == "correct"
    assert all(c != 1 for c in hidden.sum(axis=0)) and all(c != 1 for c in hidden.sum(axis=1))


def test_release_checks_name_the_usual_mistakes(survey):
    from cdcourse.checks import release as R

    sizes = survey.groupby(R.QIS, dropna=False, observed=True).size()
    below = int(sizes[sizes < 3].sum())  # everyone in groups of 1 or 2, not only the unique ones
    assert "alone in their group" in R.q3.check(below).message
    risk = privacy.individual_risk(survey, R.QIS, weight="weight")
    assert "global risk" in R.q4.check(risk.global_risk).message
    # without weights each class adds 1/f_k for f_k records: the sum is the number of classes
    assert "counts the groups" in R.q4.check(float(len(sizes))).message
    assert "before recoding" in R.q5.check(below).message
    assert "leaves out" in R.q6.check(len(survey) - int(survey[R.QIS].isna().any(axis=1).sum())).message
    sup = privacy.suppress_to_k(privacy.global_recode(survey, "age", breaks=R.AGE_BREAKS).data, R.QIS, k=3)
    assert "share of the known values" in R.q7.check(sup.n_changed).message
    known = int(survey[R.QIS].notna().to_numpy().sum())
    assert R.q7.check(sup.n_changed / known).status == "correct"
    res = privacy.secondary_suppression(privacy.frequency_rule(R.disability_table(), n=3))
    assert "n_secondary" in R.q9.check(res.n_primary).message
    assert ".text" in R.q8.check(privacy.redact_text("Water cut. Ask Mrs Tamuyo on 0771 204 887.")).message
