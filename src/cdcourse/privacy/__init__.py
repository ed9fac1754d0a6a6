"""Disclosure control for citizen data: measure the risk of a release, reduce it, and count the cost.

One module per job, all re-exported here (``from cdcourse import privacy``):

- :mod:`~cdcourse.privacy.identifiers`: which columns identify people; keyed pseudonyms; why a plain
  hash of a phone number is no protection.
- :mod:`~cdcourse.privacy.measures`: k-anonymity, l-diversity, t-closeness, record-level risk and the
  one-call :func:`risk_report`.
- :mod:`~cdcourse.privacy.methods`: global recoding, top/bottom coding, local suppression, PRAM, noise,
  microaggregation and information loss.
- :mod:`~cdcourse.privacy.text`: redaction of names, phone numbers and e-mail addresses in free text.
- :mod:`~cdcourse.privacy.tables`: minimum-frequency, dominance and p% rules, secondary suppression and
  Laplace noise for published tables.

Every function is pure: the input is never modified, randomness takes ``seed=``, and methods report
exactly what they changed.
"""
from cdcourse.privacy._core import MISSING_RULES, Missing
from cdcourse.privacy.measures import (
    SOURCES,
    IndividualRisk,
    RiskReport,
    benedetti_franconi_risk,
    equivalence_classes,
    global_risk,
    individual_risk,
    k_anonymity,
    l_diversity,
    risk_report,
    t_closeness,
)
from cdcourse.privacy.methods import (
    InformationLoss,
    Protected,
    Suppression,
    add_noise,
    global_recode,
    information_loss,
    merge_by_hierarchy,
    microaggregate,
    pram,
    pram_matrix,
    suppress_to_k,
    top_bottom_code,
)
from cdcourse.privacy.identifiers import (
    ColumnRoles,
    HashReversal,
    classify_columns,
    keyed_hash,
    plain_hash,
    pseudonymise,
    reverse_plain_hashes,
)
from cdcourse.privacy.tables import (
    NoisyCounts,
    TableProtection,
    dominance_rule,
    frequency_rule,
    laplace_counts,
    p_from_dominance_k,
    p_percent_rule,
    secondary_suppression,
)
from cdcourse.privacy.text import Redaction, redact_column, redact_text

__all__ = [
    "ColumnRoles", "HashReversal", "classify_columns", "keyed_hash", "plain_hash", "pseudonymise",
    "reverse_plain_hashes", "NoisyCounts", "TableProtection", "dominance_rule", "frequency_rule", "laplace_counts",
    "p_from_dominance_k", "p_percent_rule", "secondary_suppression", "Redaction", "redact_column", "redact_text",
    "InformationLoss", "Protected", "Suppression", "add_noise", "global_recode", "information_loss",
    "merge_by_hierarchy", "microaggregate", "pram", "pram_matrix", "suppress_to_k", "top_bottom_code",
    "MISSING_RULES", "Missing", "SOURCES", "IndividualRisk", "RiskReport", "benedetti_franconi_risk",
    "equivalence_classes", "global_risk", "individual_risk", "k_anonymity", "l_diversity", "risk_report",
    "t_closeness",
]
