"""Our side of each peer workload: ``cdcourse`` in the project's own environment.

``SIDE[id] = (prepare, run)``: ``prepare(frame) -> state`` is not timed; ``run(state) -> answer`` is, and
returns the answer (plain JSON types) that the runner compares with the peer's.
"""
from __future__ import annotations

import pandas as pd

from workloads import QIS, SENSITIVE


def _dist_version() -> str:
    from importlib.metadata import version

    return version("cdcourse")


def _with(module: str):
    """A prepare step that imports the skill module first, so the timed runs do not pay for it."""

    def prepare(frame: pd.DataFrame) -> pd.DataFrame:
        __import__(module)
        return frame

    return prepare


# -- privacy ----------------------------------------------------------------------------------------
def _k(frame):
    from cdcourse import privacy

    return {"k": int(privacy.k_anonymity(frame, QIS))}


def _l(frame):
    from cdcourse import privacy

    return {"l": int(privacy.l_diversity(frame, QIS, SENSITIVE))}


def _t(frame):
    from cdcourse import privacy

    # education is stored as its rank (a number), so the distance is the ordered EMD, as pycanon's.
    return {"t": float(privacy.t_closeness(frame, QIS, SENSITIVE))}


# -- sampling ---------------------------------------------------------------------------------------
def _mean(frame):
    from cdcourse import sampling

    est = sampling.estimate_mean(frame, "y", "weight", strata="stratum", psu="psu")
    return {"estimate": {"all": est.estimate}, "se": {"all": est.se}}


def _domains(frame):
    from cdcourse import sampling

    table = sampling.estimate_mean(frame, "y", "weight", strata="stratum", psu="psu", by="domain").to_frame()
    keys = [str(d) for d in table["domain"]]
    return {"estimate": dict(zip(keys, table["estimate"].tolist())), "se": dict(zip(keys, table["se"].tolist()))}


# -- validation -------------------------------------------------------------------------------------
def rules():
    """The 20 rules, written with cdcourse.cleaning.Rule (names as in workloads.RULE_NAMES)."""
    from cdcourse.cleaning import Rule

    return [
        Rule.required("person_id", name="person_id required"),
        Rule.pattern("person_id", r"P[0-9]{7}", name="person_id matches P[0-9]{7}"),
        Rule.unique("person_id", name="person_id unique"),
        Rule.unique(["household_id", "line_no"], name="household_id, line_no unique"),
        Rule.range("line_no", 1, None, name="line_no >= 1"),
        Rule.pattern("district_code", r"D[0-9]{2}", name="district_code matches D[0-9]{2}"),
        Rule.allowed("urban_rural", ["urban", "rural"], name="urban_rural allowed"),
        Rule.required("sex", name="sex required"),
        Rule.allowed("sex", ["female", "male"], name="sex allowed"),
        Rule.range("age", 0, 99, name="age in [0, 99]"),
        Rule.range("household_size", 1, 30, name="household_size in [1, 30]"),
        Rule.allowed("education", ["none", "primary", "secondary", "tertiary"], name="education allowed"),
        Rule.allowed("water_source", ["piped into dwelling", "public tap", "protected well", "unprotected well",
                                      "surface water"], name="water_source allowed"),
        Rule.range("water_minutes", 0, 600, name="water_minutes in [0, 600]"),
        Rule.allowed("wg_seeing", [1, 2, 3, 4], name="wg_seeing allowed"),
        Rule.range("duration_min", 5, None, name="duration_min >= 5"),
        Rule.pattern("enumerator_id", r"ENUM[0-9]+", name="enumerator_id matches ENUM[0-9]+"),
        Rule.length("enumerator_id", 5, 6, name="enumerator_id length in [5, 6]"),
        Rule.range("interview_date", pd.Timestamp("2024-01-01"), None, name="interview_date >= 2024-01-01"),
        Rule.check("age >= 15 or relationship != 'head'", name="head aged 15+"),
    ]


def _prepare_validation(frame):
    import cdcourse.cleaning  # noqa: F401

    return frame, rules()


def _validate(state):
    from cdcourse.cleaning import validate

    frame, rule_list = state
    report = validate(frame, rule_list)
    return {"failures": {name: int(len(pos)) for name, pos in report.failures_by_rule.items()}}


SIDE = {
    "k_anonymity": (_with("cdcourse.privacy"), _k),
    "l_diversity": (_with("cdcourse.privacy"), _l),
    "t_closeness": (_with("cdcourse.privacy"), _t),
    "taylor_mean": (_with("cdcourse.sampling"), _mean),
    "taylor_domains": (_with("cdcourse.sampling"), _domains),
    "validation": (_prepare_validation, _validate),
}


def versions() -> dict:
    import numpy
    import pandas

    return {"cdcourse": _dist_version(), "numpy": numpy.__version__, "pandas": pandas.__version__}
