"""Standardise category labels written in many ways ("F", "female", "Female ", "fem")."""
from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cdcourse._validate import require_choice, require_columns, require_number
from cdcourse.cleaning._log import cleaning_step
from cdcourse.cleaning._text import keys_of, label_key
from cdcourse.errors import CdcourseError


def _mapping_keys(mapping: Mapping[str, str] | Sequence[str], param: str) -> dict[str, str]:
    """Normalised spelling -> standard label; a list of standard labels maps each to itself."""
    if isinstance(mapping, str) or not isinstance(mapping, (Mapping, Sequence)):
        raise CdcourseError(
            f"{param} must be a dict of spelling -> standard label or a list of standard labels; got {mapping!r}"
        )
    pairs = mapping.items() if isinstance(mapping, Mapping) else ((v, v) for v in mapping)
    keys: dict[str, str] = {}
    for spelling, label in pairs:
        if label is None or (isinstance(label, float) and np.isnan(label)):
            label = None
        key = label_key(spelling)
        if key in keys and keys[key] != label:
            raise CdcourseError(
                f"{param} maps {spelling!r} to {label!r}, but another spelling with the same key "
                f"{key!r} maps to {keys[key]!r}"
            )
        keys[key] = label
        if label is not None:
            # a standard label always maps to itself, whatever case the data use
            keys.setdefault(label_key(label), label)
    return keys


def _suggest(key: str, standard: dict[str, str], cutoff: float) -> tuple[str | None, float, str]:
    """Best standard label for an unseen spelling: contained whole word, else closest spelling."""
    words = f" {key} "
    contained = {label for k, label in standard.items() if k and f" {k} " in words and label is not None}
    if len(contained) == 1:
        return contained.pop(), 1.0, "contains"
    # an abbreviation ("fem" for "female") is a prefix of exactly one standard spelling
    prefixed = {k: label for k, label in standard.items() if len(key) >= 2 and k.startswith(key) and label is not None}
    if len(set(prefixed.values())) == 1:
        shortest = min(prefixed, key=len)
        return prefixed[shortest], round(len(key) / len(shortest), 3), "prefix"
    best = difflib.get_close_matches(key, [k for k, v in standard.items() if v is not None], n=1, cutoff=cutoff)
    if best:
        return standard[best[0]], round(difflib.SequenceMatcher(None, key, best[0]).ratio(), 3), "similar"
    return None, 0.0, "none"


def suggest_labels(
    values: pd.Series | Sequence[object],
    mapping: Mapping[str, str] | Sequence[str],
    *,
    cutoff: float = 0.6,
) -> pd.DataFrame:
    """Suggest a standard label for each spelling the mapping does not cover yet.

    A spelling is covered when it matches a mapping key after removing case, accents, punctuation
    and extra spaces. For the others the suggestion is, in order: the one standard label whose
    spelling appears as whole words in it ("D01 Marelo" -> "Marelo"), the one standard label it
    abbreviates ("fem" -> "female"), or the closest spelling by difflib's similarity ratio (at
    least ``cutoff``). Review suggestions before adding them to the mapping.

    Returns
    -------
    DataFrame with one row per unseen spelling: value, records, suggestion, score, how.

    Examples
    --------
    >>> s = pd.Series(["female", "Female ", "fem", "M", "femael", "1"])
    >>> suggest_labels(s, {"female": "female", "F": "female", "male": "male", "M": "male"})
        value  records suggestion  score      how
    0       1        1        NaN  0.000     none
    1     fem        1     female  0.500   prefix
    2  femael        1     female  0.833  similar
    """
    require_number(cutoff, "cutoff", low=0, high=1)
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    standard = _mapping_keys(mapping, "mapping")
    keys = keys_of(series)
    unseen = series[keys.notna() & ~keys.isin(set(standard))]
    counts = unseen.astype(object).value_counts(sort=False)
    rows = []
    for value, n in counts.items():
        label, score, how = _suggest(label_key(value), standard, cutoff)
        rows.append({"value": value, "records": int(n), "suggestion": label, "score": score, "how": how})
    out = pd.DataFrame(rows, columns=["value", "records", "suggestion", "score", "how"])
    return out.sort_values("value", key=lambda s: s.astype(str)).reset_index(drop=True)


@cleaning_step
def standardise_labels(
    data: pd.DataFrame,
    column: str | Sequence[str],
    mapping: Mapping[str, str] | Sequence[str],
    *,
    unknown: str = "keep",
    suggest: bool = False,
    cutoff: float = 0.8,
    categories: Sequence[str] | None = None,
):
    """Rewrite every spelling of a label as its standard form, through a mapping.

    Spellings match the mapping's keys after removing case, accents, punctuation and extra
    spaces, so ``{"female": "female"}`` already covers "Female", " FEMALE" and "female.". Numeric
    codes ("1", "2") must be listed explicitly: only the questionnaire knows what they mean.

    Parameters
    ----------
    data : the records; not modified.
    column : the column (or columns sharing one mapping) to standardise.
    mapping : dict spelling -> standard label (a label may be ``None`` to mean missing), or a list
        of standard labels.
    unknown : what to do with a spelling the mapping does not cover: "keep" it as it is, make it
        missing ("na"), or raise ("error"), listing the unseen spellings with suggestions.
    suggest : also apply the suggestions of :func:`suggest_labels` (score >= ``cutoff``); each
        applied suggestion is listed in the step details, so a reviewer can check it.
    categories : make the column a pandas category with these categories (in this order).

    Returns
    -------
    Cleaned : the data with standard labels; the step details give every original spelling, its
        new label, the number of records and how it was matched (mapping, suggestion, unknown).

    Examples
    --------
    >>> raw = pd.DataFrame({"sex": ["F", "female", "Female ", "fem", "M", "male", "1", "2"]})
    >>> codes = {"female": "female", "F": "female", "1": "male", "male": "male", "M": "male", "2": "female"}
    >>> clean, step = standardise_labels(raw, "sex", codes, suggest=True, cutoff=0.5)
    >>> clean["sex"].tolist()
    ['female', 'female', 'female', 'female', 'male', 'male', 'male', 'female']
    >>> step.details.query("how != 'mapping'")
      column value   label  records        how  score
    5    sex   fem  female        1  suggested    0.5
    """
    columns = require_columns(data, column, "column")
    require_choice(unknown, ["keep", "na", "error"], "unknown")
    require_number(cutoff, "cutoff", low=0, high=1)
    standard = _mapping_keys(mapping, "mapping")
    if categories is not None:
        categories = list(categories)
        extra = sorted({v for v in standard.values() if v is not None} - set(categories))
        if extra:
            raise CdcourseError(f"categories must include every standard label of the mapping; missing: {extra}")
    out = data.copy()
    detail_rows = []
    changed_total = 0
    rows_changed = np.zeros(len(data), dtype=bool)
    unseen_all: list[str] = []
    for col in columns:
        original = data[col]
        # work once per distinct spelling, then spread back to the rows through the codes
        codes, uniques = pd.factorize(original, use_na_sentinel=True)
        codes, uniques = np.asarray(codes), np.asarray(uniques, dtype=object)
        ukeys = [label_key(u) for u in uniques]
        lookup = dict(standard)
        how = {k: "mapping" for k in standard}
        scores = {k: 1.0 for k in standard}
        unseen = []
        for key in sorted(set(ukeys) - set(standard)):
            label, score, _ = _suggest(key, standard, cutoff)
            if suggest and label is not None and score >= cutoff:
                lookup[key], how[key], scores[key] = label, "suggested", score
            elif unknown == "na":
                lookup[key], how[key], scores[key] = None, "unknown -> missing", 0.0
            else:
                how[key], scores[key] = "unknown", 0.0
                unseen.append(f"{col}: {key!r}" + (f" (suggest {label!r})" if label else ""))
        if unknown == "error" and unseen:
            raise CdcourseError(
                f"column {col!r} has labels the mapping does not cover: {', '.join(unseen)}; "
                "add them to the mapping or use unknown='keep' or 'na'"
            )
        new_u = np.array([lookup[k] if k in lookup else u for u, k in zip(uniques, ukeys)] + [None], dtype=object)
        new = pd.Series(new_u[codes], index=data.index, dtype=object)
        if categories is not None:
            new = pd.Series(pd.Categorical(new, categories=categories), index=data.index)
        elif isinstance(original.dtype, pd.CategoricalDtype):
            new = new.astype("category")
        elif (pd.api.types.is_string_dtype(original.dtype) and original.dtype != object
              and all(isinstance(v, str) for v in new_u if v is not None)):
            new = new.astype(original.dtype)  # text stays text; labels mapped to True/False stay booleans
        out[col] = new
        changed_u = np.array([not (u == n and type(u) is type(n)) for u, n in zip(uniques, new_u[:-1])] + [False])
        changed = changed_u[codes]
        rows_changed |= changed
        changed_total += int(changed.sum())
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        for i in sorted(range(len(uniques)), key=lambda i: str(uniques[i])):
            detail_rows.append(
                {"column": col, "value": uniques[i], "label": new_u[i], "records": int(counts[i]),
                 "how": how.get(ukeys[i], "unknown"), "score": scores.get(ukeys[i], 0.0)}
            )
    details = pd.DataFrame(detail_rows, columns=["column", "value", "label", "records", "how", "score"])
    n_sugg = int((details["how"] == "suggested").sum())
    n_unknown = int(details["how"].str.startswith("unknown").sum())
    summary = (
        f"standardised {', '.join(columns)}: {changed_total} cells rewritten"
        + (f", {n_sugg} spellings matched by suggestion" if n_sugg else "")
        + (f", {n_unknown} spellings not covered by the mapping" if n_unknown else "")
    )
    return out, details, summary, int(rows_changed.sum()), changed_total
