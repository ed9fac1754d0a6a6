"""Self-checks for lesson 05, release: identifiers, risk, recoding, suppression, redaction, tables.

Expected answers are computed from :mod:`cdcourse.privacy` and the datasets on the first check, so
importing this module loads no data. The constants below are the choices the lesson makes.

Examples
--------
>>> q1.check(["respondent_name", "respondent_phone", "gps_lat", "gps_lon"]).status
'correct'
>>> q2.check("b").status
'correct'
>>> q8.check("Water cut. Ask Mrs [NAME] on [PHONE].").status
'correct'
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from cdcourse.checks.core import ChoiceCheck, Exercise, NumberCheck, SetCheck, TextCheck

__all__ = ["QIS", "AGE_BREAKS", "SENSITIVE", "disability_table", "q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9"]

#: what an intruder could know about a neighbour: the lesson's quasi-identifiers
QIS = ["age", "sex", "district_code", "language_group", "disability"]
#: the official age groups (0-14, 15-24, 25-49, 50-64, 65+) used for global recoding
AGE_BREAKS = [0, 15, 25, 50, 65]
#: the sensitive attribute of the lesson's report
SENSITIVE = "feels_safe_night"


@lru_cache(maxsize=1)
def _survey() -> pd.DataFrame:
    from cdcourse.datasets import load

    return load("community_survey")


@lru_cache(maxsize=1)
def _recoded() -> pd.DataFrame:
    from cdcourse import privacy

    return privacy.global_recode(_survey(), "age", breaks=AGE_BREAKS).data


@lru_cache(maxsize=1)
def _suppressed():
    from cdcourse import privacy

    return privacy.suppress_to_k(_recoded(), QIS, k=3)


def disability_table() -> pd.DataFrame:
    """The lesson's table: respondents with a disability by district and age group, with totals."""
    recoded = _recoded()
    with_disability = recoded[recoded["disability"].fillna(False).astype(bool)]
    return pd.crosstab(with_disability["district_code"], with_disability["age"], margins=True, margins_name="Total")


q1 = Exercise(
    "q1",
    "Which columns of the raw export `raw` are direct identifiers: they let anyone contact or find a "
    "respondent with no other information? Give them as a list (leave out record ids).",
    expected={"respondent_name", "respondent_phone", "gps_lat", "gps_lon"},
    compare=SetCheck(),
    hints=[
        "Think of the ways to reach a person: by name, by phone, by going to their door.",
        "`privacy.classify_columns(raw).direct_identifiers` lists candidates; keep names, phones and GPS.",
    ],
    solution='direct = ["respondent_name", "respondent_phone", "gps_lat", "gps_lon"]',
    explanation="Ids such as submission_id link records across files: replace them with keyed pseudonyms.",
)

q2 = Exercise(
    "q2",
    "The CSO wants to link this year's interviews to next year's by phone number without publishing the "
    "numbers. Which column is safe to publish? (a) the SHA-256 hash of the number; (b) an HMAC-SHA256 of the "
    "number with a secret key the CSO keeps apart from the data; (c) the last four digits of the number.",
    expected="b",
    compare=ChoiceCheck(["a", "b", "c"]),
    hints=[
        "How many possible phone numbers are there, and how long does it take to hash them all?",
        "A plain hash can be recomputed by anyone; four digits plus a district narrow a person down quickly.",
    ],
    solution='answer = "b"',
    explanation="Without the key nobody can recompute the pseudonym, so enumerating the number space finds nothing.",
)


def _below_k(data: pd.DataFrame, missing: str = "category") -> int:
    from cdcourse import privacy

    return privacy.risk_report(data, QIS, missing=missing).records_below_k


def _n_unique() -> int:
    from cdcourse import privacy

    return int((privacy.individual_risk(_survey(), QIS).records["fk"] == 1).sum())


q3 = Exercise(
    "q3",
    "How many respondents of the community survey are the only one with their combination of `QIS` values "
    "(missing counted as a value)?",
    expected=_n_unique,
    compare=NumberCheck(rel_tol=0, abs_tol=0),
    hints=["`report.records` has a column `fk`: the size of each record's class.",
           "`(report.records['fk'] == 1).sum()`"],
    solution="n_unique = int((report.records['fk'] == 1).sum())",
    mistakes=[(lambda: _below_k(_survey()),
               "that counts everyone in a group smaller than 3 (groups of 1 and of 2); the question asks for the "
               "respondents who are alone in their group: fk == 1")],
)


def privacy_risk(weight: str | None):
    """Individual risk of the survey for the lesson's quasi-identifiers (with or without weights)."""
    from cdcourse import privacy

    return privacy.individual_risk(_survey(), QIS, weight=weight)


def _expected_reid() -> float:
    from cdcourse import privacy

    return privacy.individual_risk(_survey(), QIS, weight="weight").expected_reidentifications


q4 = Exercise(
    "q4",
    "With the design weights as population estimates, how many re-identifications should the CSO expect "
    "if it published the survey as it is (the sum of the individual risks)?",
    expected=_expected_reid,
    compare=NumberCheck(rel_tol=0.005),
    hints=["`privacy.risk_report(..., weight='weight')` has `expected_reidentifications`.",
           "`report.expected_reidentifications`"],
    solution="report.expected_reidentifications",
    explanation="Every unique respondent with a small weight is a likely match for an intruder.",
    mistakes=[
        (lambda: privacy_risk(weight="weight").global_risk,
         "that is the mean risk of a respondent (the global risk); the expected number of re-identifications is "
         "the sum of the risks"),
        (lambda: privacy_risk(weight=None).expected_reidentifications,
         "that is the sum without weights: each group then adds exactly 1, so it only counts the groups. Use the "
         "weights (weight='weight') to estimate how many people share each combination"),
    ],
)


def _below_after_recode() -> int:
    from cdcourse import privacy

    return privacy.risk_report(_recoded(), QIS).records_below_k


q5 = Exercise(
    "q5",
    "After recoding age into the official groups (0-14, 15-24, 25-49, 50-64, 65+), how many respondents are "
    "still in a class smaller than 3 (missing counted as a value, the default)?",
    expected=_below_after_recode,
    compare=NumberCheck(rel_tol=0, abs_tol=0),
    hints=["Measure the recoded data again with `privacy.risk_report(recoded, QIS)`.",
           "`privacy.risk_report(recoded, QIS).records_below_k`"],
    solution="privacy.risk_report(recoded, QIS).records_below_k",
    mistakes=[
        (lambda: _below_k(_survey()), "that is before recoding: measure `recoded`, not `survey`"),
        (lambda: _below_k(_recoded(), "wildcard"),
         "that is under the wildcard rule; count a missing value as a value of its own (missing='category', "
         "the default)"),
        (lambda: _below_k(_recoded(), "drop"),
         "that is under the drop rule, which leaves the children under 5 out; count a missing value as a value "
         "of its own (missing='category', the default)"),
    ],
)


def _n_dropped() -> int:
    return int(_survey()[QIS].isna().any(axis=1).sum())


q6 = Exercise(
    "q6",
    "After recoding age, how many respondents does the 'drop' rule leave out of the measurement altogether?",
    expected=_n_dropped,
    compare=NumberCheck(rel_tol=0, abs_tol=0),
    hints=["They are the respondents with at least one missing quasi-identifier.",
           "`recoded[QIS].isna().any(axis=1).sum()`"],
    solution="n_dropped = int(recoded[QIS].isna().any(axis=1).sum())",
    explanation="They are the children under 5, who have no disability value: dropping them hides their risk, "
    "it does not remove it.",
    mistakes=[(lambda: len(_survey()) - _n_dropped(),
               "that is how many respondents the drop rule keeps ('records measured'); the question asks how many "
               "it leaves out")],
)


q7 = Exercise(
    "q7",
    "What share of the quasi-identifier values (a proportion between 0 and 1) did local suppression to k = 3 "
    "blank out in the recoded survey?",
    expected=lambda: _suppressed().share_suppressed,
    compare=NumberCheck(rel_tol=0.01),
    hints=["The result of `privacy.suppress_to_k` reports it.", "`suppressed.share_suppressed`"],
    solution="suppressed.share_suppressed",
    explanation="Recoding first leaves few records to suppress; suppressing alone would blank out far more.",
    mistakes=[
        (lambda: _suppressed().n_changed,
         "that is the number of values suppressed; the question asks for a share of the known values"),
        (lambda: _suppressed().n_changed / (len(_survey()) * len(QIS)),
         "that divides by every quasi-identifier cell, including those that were missing already; divide by "
         "the values that were known"),
    ],
)

q8 = Exercise(
    "q8",
    "Redact this report, replacing names by [NAME] and phone numbers by [PHONE]: "
    "'Water cut. Ask Mrs Tamuyo on 0771 204 887.'",
    expected="Water cut. Ask Mrs [NAME] on [PHONE].",
    compare=TextCheck(case=True),
    hints=["`privacy.redact_text(text).text`", "The title Mrs stays; only the name goes."],
    solution="privacy.redact_text('Water cut. Ask Mrs Tamuyo on 0771 204 887.').text",
)


def _table_protection():
    from cdcourse import privacy

    return privacy.secondary_suppression(privacy.frequency_rule(disability_table(), n=3))


def _hidden_cells() -> int:
    res = _table_protection()
    return res.n_primary + res.n_secondary


q9 = Exercise(
    "q9",
    "In the table of respondents with a disability by district and age group (with totals), how many cells "
    "are hidden in all after the minimum-frequency rule (n = 3) and secondary suppression?",
    expected=_hidden_cells,
    compare=NumberCheck(rel_tol=0, abs_tol=0),
    hints=["`privacy.secondary_suppression(privacy.frequency_rule(table, n=3))`",
           "Add `n_primary` and `n_secondary` of the result."],
    solution="protected = privacy.secondary_suppression(privacy.frequency_rule(table, n=3))\n"
             "protected.n_primary + protected.n_secondary",
    mistakes=[
        (lambda: _table_protection().n_primary,
         "that counts only the cells that break the rule; add the cells hidden to protect them (n_secondary)"),
        (lambda: _table_protection().n_secondary,
         "that counts only the cells hidden to protect others; add the cells that break the rule (n_primary)"),
    ],
)
