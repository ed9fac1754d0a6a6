"""The peer side of each workload, run in ``.venv-peers``: pycanon, samplics and pandera.

``SIDE[id] = (library, prepare, run)`` as in ``ours.py``. Each peer is called the way its documentation
shows; the answer is read back into the same plain form ours gives, so the runner can compare them.
A peer that is not installed or fails to import raises ``ImportError`` in ``prepare``; the worker
reports it and the runner goes on with the other workloads.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from workloads import QIS, RULE_NAMES, SENSITIVE


# -- pycanon ----------------------------------------------------------------------------------------
def _pycanon(frame):
    from pycanon import anonymity  # noqa: F401 -- import errors surface before timing

    return frame


def _k(frame):
    from pycanon import anonymity

    return {"k": int(anonymity.k_anonymity(frame, QIS))}


def _l(frame):
    from pycanon import anonymity

    return {"l": int(anonymity.l_diversity(frame, QIS, [SENSITIVE]))}


def _t(frame):
    from pycanon import anonymity

    # education holds ranks (numbers): pycanon uses its numerical (ordered) EMD.
    return {"t": float(anonymity.t_closeness(frame, QIS, [SENSITIVE]))}


# -- samplics ---------------------------------------------------------------------------------------
def _samplics(frame):
    from samplics.estimation import TaylorEstimator  # noqa: F401

    return frame


def _estimator():
    from samplics.estimation import TaylorEstimator
    from samplics.utils.types import PopParam

    return TaylorEstimator(PopParam.mean)


def _mean(frame):
    est = _estimator()
    est.estimate(y=frame["y"], samp_weight=frame["weight"], stratum=frame["stratum"], psu=frame["psu"])
    return {"estimate": {"all": float(est.point_est)}, "se": {"all": float(est.stderror)}}


def _domains(frame):
    est = _estimator()
    est.estimate(y=frame["y"], samp_weight=frame["weight"], stratum=frame["stratum"], psu=frame["psu"],
                 domain=frame["domain"])
    return {"estimate": {str(k): float(v) for k, v in est.point_est.items()},
            "se": {str(k): float(v) for k, v in est.stderror.items()}}


# -- pandera ----------------------------------------------------------------------------------------
def schema():
    """The 20 rules as one pandera DataFrameSchema; each check carries the rule's name.

    ``str_matches`` anchors at the start only (``re.match``), so each pattern ends in ``\\Z`` to match in
    full, as a cdcourse pattern rule does.
    """
    import pandera.pandas as pa

    def col(checks=(), nullable=True, unique=False):
        # dtype=None: no dtype check (our rules do not check dtypes either); nullable=True: a missing
        # value passes every check but "required", as in cdcourse.
        return pa.Column(None, checks=list(checks), nullable=nullable, unique=unique, report_duplicates="all")

    water = ["piped into dwelling", "public tap", "protected well", "unprotected well", "surface water"]
    return pa.DataFrameSchema(
        {
            "person_id": col([pa.Check.str_matches(r"P[0-9]{7}\Z", name="person_id matches P[0-9]{7}")],
                             nullable=False, unique=True),
            "household_id": col(),
            "line_no": col([pa.Check.ge(1, name="line_no >= 1")]),
            "district_code": col([pa.Check.str_matches(r"D[0-9]{2}\Z", name="district_code matches D[0-9]{2}")]),
            "urban_rural": col([pa.Check.isin(["urban", "rural"], name="urban_rural allowed")]),
            "sex": col([pa.Check.isin(["female", "male"], name="sex allowed")], nullable=False),
            "age": col([pa.Check.in_range(0, 99, name="age in [0, 99]")]),
            "household_size": col([pa.Check.in_range(1, 30, name="household_size in [1, 30]")]),
            "education": col([pa.Check.isin(["none", "primary", "secondary", "tertiary"],
                                            name="education allowed")]),
            "water_source": col([pa.Check.isin(water, name="water_source allowed")]),
            "water_minutes": col([pa.Check.in_range(0, 600, name="water_minutes in [0, 600]")]),
            "wg_seeing": col([pa.Check.isin([1, 2, 3, 4], name="wg_seeing allowed")]),
            "duration_min": col([pa.Check.ge(5, name="duration_min >= 5")]),
            "enumerator_id": col([pa.Check.str_matches(r"ENUM[0-9]+\Z", name="enumerator_id matches ENUM[0-9]+"),
                                  pa.Check.str_length(5, 6, name="enumerator_id length in [5, 6]")]),
            "interview_date": col([pa.Check.ge(pd.Timestamp("2024-01-01"), name="interview_date >= 2024-01-01")]),
        },
        checks=[pa.Check(lambda df: (df["age"] >= 15) | (df["relationship"] != "head") | df["age"].isna()
                         | df["relationship"].isna(), name="head aged 15+")],
        unique=["household_id", "line_no"],
        report_duplicates="all",
    )


# pandera names its built-in checks itself (not_nullable, field_uniqueness, ...): map them to our rules
_BUILT_IN = {
    ("person_id", "not_nullable"): "person_id required",
    ("sex", "not_nullable"): "sex required",
    ("person_id", "field_uniqueness"): "person_id unique",
}


def failure_counts(failure_cases: pd.DataFrame, sch) -> dict[str, int]:
    """Failing rows per rule from pandera's ``failure_cases``.

    pandera reports one row per failing *cell*: a data-frame-wide check or the two-column uniqueness
    lists a failing row once per column, so rows are counted once per rule (``nunique`` of the index).
    A check is identified by its column and ``check_number`` (its position in that column's checks);
    the ``check`` column holds pandera's description, not the name given.
    """
    names = {(c, i): chk.name for c, column in sch.columns.items() for i, chk in enumerate(column.checks)}
    names.update({(None, i): chk.name for i, chk in enumerate(sch.checks)})
    fc = failure_cases
    column = fc["column"].where(fc["column"].notna(), None)
    rule = []
    for col, check, number, context in zip(column, fc["check"], fc["check_number"], fc["schema_context"]):
        if str(check).startswith("multiple_fields_uniqueness"):
            rule.append("household_id, line_no unique")
        elif (col, check) in _BUILT_IN:
            rule.append(_BUILT_IN[(col, check)])
        else:
            key = (None if context == "DataFrameSchema" else col, None if pd.isna(number) else int(number))
            rule.append(names.get(key, f"{col}: {check}"))
    counts = pd.Series(fc["index"].to_numpy()).groupby(np.asarray(rule)).nunique()
    return {str(k): int(v) for k, v in counts.items()}


def _prepare_validation(frame):
    return frame, schema()


def _validate(state):
    import pandera.errors

    frame, sch = state
    try:
        sch.validate(frame, lazy=True)
        counts = {}
    except pandera.errors.SchemaErrors as err:
        counts = failure_counts(err.failure_cases, sch)
    # a rule without any failure does not appear in failure_cases
    return {"failures": {name: counts.pop(name, 0) for name in RULE_NAMES} | counts}


SIDE = {
    "k_anonymity": ("pycanon", _pycanon, _k),
    "l_diversity": ("pycanon", _pycanon, _l),
    "t_closeness": ("pycanon", _pycanon, _t),
    "taylor_mean": ("samplics", _samplics, _mean),
    "taylor_domains": ("samplics", _samplics, _domains),
    "validation": ("pandera", _prepare_validation, _validate),
}


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("pycanon", "samplics", "pandera", "numpy", "pandas", "scipy", "polars"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


