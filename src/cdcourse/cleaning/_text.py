"""Small text helpers shared by the cleaning steps."""
from __future__ import annotations

import re
import unicodedata

import pandas as pd

_PUNCT = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")


def label_key(value: object) -> str:
    """A matching key for a label: case, accents, punctuation and extra spaces removed.

    >>> label_key("  Protected-Well ")
    'protected well'
    """
    text = unicodedata.normalize("NFKD", str(value))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _PUNCT.sub(" ", text.casefold()).replace("_", " ")
    return _SPACE.sub(" ", text).strip()


def keys_of(values: pd.Series) -> pd.Series:
    """label_key of each distinct value, mapped back (fast on long columns with few labels)."""
    uniques = values.dropna().unique()
    lookup = {v: label_key(v) for v in uniques}
    return values.map(lookup)
