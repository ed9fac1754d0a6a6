"""Self-check exercises of lesson 06, Disseminate (``course/06_disseminate.ipynb``).

Answers that come from data are computed from ``cdcourse`` on the first check, so they stay
right if the datasets are regenerated.

>>> from cdcourse.checks.disseminate import q2
>>> q2.check({"B", "C", "E"}).status
'correct'
"""
from __future__ import annotations

import pandas as pd

from cdcourse.checks.core import BoolCheck, Exercise, FunctionCheck, NumberCheck, SetCheck

__all__ = ["q1", "q2", "q3", "q4", "q5", "PRACTICES", "in_ten", "table_schema_type"]

_DESIGN = {"weight": "weight", "strata": "stratum", "psu": "psu"}


def _survey() -> pd.DataFrame:
    from cdcourse.datasets import load

    return load("community_survey")


def _districts() -> pd.DataFrame:
    from cdcourse import sampling

    return sampling.estimate_proportion(_survey(), "improved_water", **_DESIGN, by="district_code").to_frame()


def _extremes_overlap() -> bool:
    table = _districts()
    hi = table.loc[table["estimate"].idxmax()]
    lo = table.loc[table["estimate"].idxmin()]
    return bool(hi["ci_low"] <= lo["ci_high"])


def _saro_margin_points() -> float:
    from cdcourse import sampling

    est = sampling.estimate_proportion(_survey(), "improved_water", **_DESIGN, by="language_group")["Saro"]
    return float((est.ci[1] - est.ci[0]) / 2 * 100)


def in_ten(p: float) -> str:
    """A proportion in words for a community audience: 0.32 -> 'about 3 in 10' (reference answer of q3)."""
    return f"about {int(p * 10 + 0.5)} in 10"


def table_schema_type(series: pd.Series) -> str:
    """The Frictionless Table Schema type of a column (reference answer of q5)."""
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_float_dtype(series):
        return "number"
    return "string"


q1 = Exercise(
    name="q1",
    prompt="Do the 95% intervals of the district with the highest estimate and the district with the lowest "
           "estimate overlap? True or False.",
    expected=_extremes_overlap,
    compare=BoolCheck(),
    hints=[
        "Find the rows with the largest and the smallest `estimate` in `districts`.",
        "They overlap when the highest district's `ci_low` is at or below the lowest district's `ci_high`.",
    ],
    solution=(
        "hi = districts.loc[districts['estimate'].idxmax()]\n"
        "lo = districts.loc[districts['estimate'].idxmin()]\n"
        "answer_q1 = bool(hi['ci_low'] <= lo['ci_high'])"
    ),
    explanation="Even the top and bottom districts overlap: a ranking of districts from this survey would "
                "be mostly noise. (Overlap is a rough guide; a difference has its own SE.)",
)

#: The statements of q2, by letter.
PRACTICES = {
    "A": "Tell groups apart by colour alone, for example red against green.",
    "B": "Use a colour-blind-safe palette and add marker shapes or hatch patterns.",
    "C": "Write alt text that states the main finding with its numbers.",
    "D": "Put the legend inside the plot, even where it hides some data.",
    "E": "Label the axes with units and give the source under the chart.",
    "F": "Draw 3-D bars so the chart stands out.",
}

q2 = Exercise(
    name="q2",
    prompt="Which practices in `PRACTICES` make a chart more accessible? Give a set of letters.",
    expected={"B", "C", "E"},
    compare=SetCheck(),
    hints=[
        "Think of a reader who cannot tell red from green, one who uses a screen reader, and one who prints in grey.",
        "Colour alone, hidden data and 3-D distortion all make a chart harder to read.",
    ],
    solution="answer_q2 = {'B', 'C', 'E'}",
)

q3 = Exercise(
    name="q3",
    prompt="Write `in_ten(p)` that turns a proportion into words for a community meeting: 0.32 -> "
           "'about 3 in 10', 0.68 -> 'about 7 in 10'. Round to the nearest whole number out of 10.",
    expected=in_ten,
    compare=FunctionCheck(
        cases=[((0.32,), {}), ((0.68,), {}), ((0.5,), {}), ((0.87,), {}), ((0.14,), {})],
        name="in_ten",
    ),
    hints=[
        "Multiply by 10 and round: `round(p * 10)`. Then build the text with an f-string.",
        "`return f\"about {round(p * 10)} in 10\"`",
    ],
    solution="def in_ten(p):\n    return f\"about {round(p * 10)} in 10\"",
)

q4 = Exercise(
    name="q4",
    prompt="For the officials' version: what is the margin of error (half the 95% interval) of the Saro "
           "improved-water estimate, in percentage points?",
    expected=_saro_margin_points,
    compare=NumberCheck(rel_tol=0.0, abs_tol=0.1),
    hints=[
        "Take the Saro row of the language-group table: `(ci_high - ci_low) / 2`.",
        "Multiply by 100 to turn a proportion into percentage points.",
    ],
    solution=(
        "saro = groups.set_index('language_group').loc['Saro']\n"
        "answer_q4 = (saro['ci_high'] - saro['ci_low']) / 2 * 100"
    ),
)

q5 = Exercise(
    name="q5",
    prompt="Write `table_schema_type(series)` that returns the Table Schema type of a column: 'boolean' for "
           "True/False, 'integer' for whole numbers, 'number' for decimals and 'string' for everything else.",
    expected=table_schema_type,
    compare=FunctionCheck(
        cases=[
            ((pd.Series([True, False]),), {}),
            ((pd.Series([1, 2, 3]),), {}),
            ((pd.Series([0.25, 0.5]),), {}),
            ((pd.Series(["Saro", "Amari"]),), {}),
            ((pd.Series(["D01", "D02"], dtype="category"),), {}),
            ((pd.Series([1, None], dtype="Int64"),), {}),
        ],
        name="table_schema_type",
    ),
    hints=[
        "`pandas.api.types` has `is_bool_dtype`, `is_integer_dtype` and `is_float_dtype`. Test bool first: "
        "in some pandas versions True/False also count as integers.",
        "if is_bool_dtype: 'boolean'; elif is_integer_dtype: 'integer'; elif is_float_dtype: 'number'; else 'string'.",
    ],
    solution=(
        "from pandas.api import types\n\n"
        "def table_schema_type(series):\n"
        "    if types.is_bool_dtype(series):\n"
        "        return 'boolean'\n"
        "    if types.is_integer_dtype(series):\n"
        "        return 'integer'\n"
        "    if types.is_float_dtype(series):\n"
        "        return 'number'\n"
        "    return 'string'"
    ),
)
