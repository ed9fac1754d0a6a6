"""What is compared: the workloads, the data each reads, and how their answers must agree.

Shared by both sides and by the runner; imports nothing outside the standard library.

Each workload has an ``id`` (the key both sides implement), a ``name`` for the table, the data set it
reads (see ``data.py``), the peer library it is compared with, and the agreement rule:

``exact``
    every value equal (k, l, failing-row counts per rule);
``close``
    every number equal within ``rtol`` relative (plus ``atol`` absolute, for values near zero).
"""
from __future__ import annotations

QIS = ["age", "sex", "area"]
SENSITIVE = "education"

#: The 20 validation rules, by the name both sides report their failing-row counts under.
RULE_NAMES = [
    "person_id required",
    "person_id matches P[0-9]{7}",
    "person_id unique",
    "household_id, line_no unique",
    "line_no >= 1",
    "district_code matches D[0-9]{2}",
    "urban_rural allowed",
    "sex required",
    "sex allowed",
    "age in [0, 99]",
    "household_size in [1, 30]",
    "education allowed",
    "water_source allowed",
    "water_minutes in [0, 600]",
    "wg_seeing allowed",
    "duration_min >= 5",
    "enumerator_id matches ENUM[0-9]+",
    "enumerator_id length in [5, 6]",
    "interview_date >= 2024-01-01",
    "head aged 15+",
]
assert len(RULE_NAMES) == 20

WORKLOADS = [
    {"id": "k_anonymity", "name": "k-anonymity (3 QIs, ~90k classes)", "data": "privacy", "peer": "pycanon",
     "compare": "exact", "peer_repeat": 3},
    {"id": "l_diversity", "name": "l-diversity (distinct)", "data": "privacy", "peer": "pycanon",
     "compare": "exact", "peer_repeat": 3},
    {"id": "t_closeness", "name": "t-closeness (ordered EMD)", "data": "privacy", "peer": "pycanon",
     "compare": "close", "rtol": 1e-9, "atol": 1e-12, "peer_repeat": 2},
    {"id": "taylor_mean", "name": "Taylor mean + SE (50 strata, 2,000 PSUs)", "data": "survey",
     "peer": "samplics", "compare": "close", "rtol": 1e-8, "atol": 0.0, "peer_repeat": 3},
    {"id": "taylor_domains", "name": "Taylor mean + SE, 20 domains", "data": "survey", "peer": "samplics",
     "compare": "close", "rtol": 1e-8, "atol": 0.0, "peer_repeat": 3},
    {"id": "validation", "name": "validation, 20 rules", "data": "records", "peer": "pandera",
     "compare": "exact", "peer_repeat": 3},
]

BY_ID = {w["id"]: w for w in WORKLOADS}
