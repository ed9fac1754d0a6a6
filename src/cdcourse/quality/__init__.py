"""Data quality for reusing citizen data in official statistics.

Two halves:

* **Automated measures** (:mod:`cdcourse.quality.measures`), after the DAMA UK data-quality
  dimensions: :func:`completeness` (cells and records, per column), :func:`validity` (against a
  Table Schema and/or record rules), :func:`uniqueness`, :func:`consistency` (cross-field rules),
  :func:`timeliness` (age at a reference date) and :func:`accuracy` (relative error of a weighted
  estimate against official statistics or the population truth). Each returns a :class:`Measure`
  with its formula and arithmetic; one that cannot be computed is ``NaN`` with a reason, never
  100 %. :func:`profile` runs them all.
* **The scoring matrix for reuse** (:mod:`cdcourse.quality.matrix`): criteria with evidence
  questions, level descriptors, weights and minimum levels; :func:`assess` scores it from the
  measures and the assessor's answers and gives a verdict with reasons. The default matrix is the
  **course's own**, built on the UN NQAF output dimensions and the PSA / KeSQAF criteria for
  citizen data (see ``default_matrix().note``); an NSO loads its own with :func:`load_matrix`.

:func:`write_report` writes a self-contained HTML report and its JSON twin;
``cdcourse quality report DATA.csv`` does the same from the command line.

The validity measure evaluates Table Schema constraints with its own compact, vectorised code
(:mod:`cdcourse.quality.schema`).

Examples
--------
>>> import pandas as pd
>>> from cdcourse import quality
>>> df = pd.DataFrame({"id": ["a", "b", "c", "c"], "age": [34, None, 151, 151]})
>>> p = quality.profile(df, key="id", rules={"plausible age": "age >= 0 and age <= 110"})
>>> p["completeness_cells"].worked
'100 × 7 / 8 = 87.5 %'
>>> p["validity"].worked          # NaN age fails the rule too: 1 of 4 passes
'100 × 1 / 4 = 25.0 %'
>>> p["timeliness"].reason
'no date column given: timeliness cannot be measured'
"""
from cdcourse.quality.matrix import (
    CAVEATS,
    FIT,
    INCOMPLETE,
    NOT_FIT,
    VERDICTS,
    Assessment,
    Criterion,
    MeasureCut,
    ScoringMatrix,
    assess,
    default_matrix,
    load_answers,
    load_matrix,
    matrix_template,
    measure_level,
    weight_sensitivity,
)
from cdcourse.quality.measures import (
    MEASURES,
    Benchmark,
    Measure,
    QualityProfile,
    Rule,
    accuracy,
    completeness,
    consistency,
    profile,
    timeliness,
    uniqueness,
    validity,
    weighted_estimate,
)
from cdcourse.quality.report import completeness_chart, report_dict, report_html, scorecard_chart, write_report
from cdcourse.quality.schema import read_schema, schema_of

__all__ = [
    "CAVEATS", "FIT", "INCOMPLETE", "MEASURES", "NOT_FIT", "VERDICTS",
    "Assessment", "Benchmark", "Criterion", "Measure", "MeasureCut", "QualityProfile", "Rule", "ScoringMatrix",
    "accuracy", "assess", "completeness", "completeness_chart", "consistency", "default_matrix", "load_answers",
    "load_matrix", "matrix_template", "measure_level", "profile", "read_schema", "report_dict", "report_html",
    "schema_of", "scorecard_chart", "timeliness", "uniqueness", "validity", "weight_sensitivity",
    "weighted_estimate", "write_report",
]
