"""Self-check exercises for the lessons.

Each lesson has a module here (``welcome``, ``identify``, ``collect``, ...) that defines exercises
``q1``, ``q2``, ...; a notebook does ``from cdcourse.checks.welcome import q1, q2`` and then
``q1.check(answer)``, ``q1.hint()`` and ``q1.solution()``. The machinery is in
:mod:`cdcourse.checks.core`.
"""
from cdcourse.checks.core import (
    PLACEHOLDER,
    BoolCheck,
    CheckResult,
    ChoiceCheck,
    EqualCheck,
    Exercise,
    FrameCheck,
    FunctionCheck,
    MappingCheck,
    NumberCheck,
    SequenceCheck,
    SeriesCheck,
    SetCheck,
    TextCheck,
    is_not_attempted,
)

__all__ = [
    "PLACEHOLDER",
    "BoolCheck",
    "CheckResult",
    "ChoiceCheck",
    "EqualCheck",
    "Exercise",
    "FrameCheck",
    "FunctionCheck",
    "MappingCheck",
    "NumberCheck",
    "SequenceCheck",
    "SeriesCheck",
    "SetCheck",
    "TextCheck",
    "is_not_attempted",
]
