"""Instructor workflow on top of nbgrader: one function (and one ``cdcourse grade`` command) per step.

======================  ==========================================================================
step                    function
======================  ==========================================================================
create a cohort         :func:`init_cohort` (course root from the kit's exercises, roster added)
release                 :func:`release` (nbgrader generate_assignment; release_assignment with an exchange)
collect                 :func:`collect_zip` (a learning platform's download), :func:`collect_exchange`
autograde               :func:`autograde` (N at a time, resumable, robust to broken notebooks, optional sandbox)
feedback                :func:`feedback` (every page checked for hidden tests)
export                  :func:`export` (grades as CSV)
======================  ==========================================================================

Each returns a :class:`StepReport` (``print(report)`` gives the summary table; ``report.to_frame()`` a
DataFrame). The instructor guide is ``exercises/README.md``. Submodules are imported on first use, so that
starting a grading kernel (``cdcourse.grading._launch``) stays cheap.
"""
from __future__ import annotations

import importlib

_EXPORTS = {
    "init_cohort": "cdcourse.grading.cohort",
    "read_roster": "cdcourse.grading.cohort",
    "Cohort": "cdcourse.grading.cohort",
    "Learner": "cdcourse.grading.cohort",
    "release": "cdcourse.grading.workflow",
    "feedback": "cdcourse.grading.workflow",
    "export": "cdcourse.grading.workflow",
    "collect_zip": "cdcourse.grading.collect",
    "collect_exchange": "cdcourse.grading.collect",
    "autograde": "cdcourse.grading.batch",
    "StepReport": "cdcourse.grading.report",
    "sandbox_problem": "cdcourse.grading.sandbox",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'cdcourse.grading' has no attribute {name!r}")


def __dir__():
    return __all__
