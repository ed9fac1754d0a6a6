"""Keep only the records of people who agreed to take part."""
from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from cdcourse._validate import require_columns
from cdcourse.cleaning._log import cleaning_step
from cdcourse.cleaning._text import keys_of, label_key

#: answers read as consent after case, spaces and punctuation are removed
YES_LABELS = ("yes", "y", "1", "true", "t", "agree", "agreed", "consent", "consented", "accepted")
#: answers read as refusal
NO_LABELS = ("no", "n", "0", "false", "f", "refused", "declined", "disagree", "no consent")


@cleaning_step
def keep_consented(
    data: pd.DataFrame,
    column: str = "consent",
    *,
    yes: Sequence[str] = YES_LABELS,
    no: Sequence[str] = NO_LABELS,
    set_to: str | None = "yes",
):
    """Keep only records whose consent answer means "yes"; count what was dropped and why.

    Consent labels vary between tools and enumerators ("yes", "Yes", "Y", "NO", ...), so answers
    are matched after removing case, spaces and punctuation. A record is dropped when the answer
    means "no" (reason ``refused``), is missing (``missing``) or is anything else
    (``unrecognised``): without a clear yes, the safe choice is not to use the record.

    Parameters
    ----------
    data : the records; not modified.
    column : the consent column.
    yes, no : answers that mean consent / refusal (matched case-insensitively).
    set_to : the label written to the kept records' consent column (``None`` keeps it as it was).

    Returns
    -------
    Cleaned : ``data`` with the kept records, and a step whose details count records by original
        answer, decision and reason.

    Examples
    --------
    >>> raw = pd.DataFrame({"consent": ["yes", "Y", "NO", None, "maybe"], "age": [30, 41, 25, 60, 19]})
    >>> clean, step = keep_consented(raw, "consent")
    >>> clean["age"].tolist()
    [30, 41]
    >>> step.details
      answer  records decision        reason
    0    NaN        1  dropped       missing
    1     NO        1  dropped       refused
    2  maybe        1  dropped  unrecognised
    3      Y        1     kept       consent
    4    yes        1     kept       consent
    """
    require_columns(data, column, "column")
    yes_keys = {label_key(v) for v in yes}
    no_keys = {label_key(v) for v in no}
    keys = keys_of(data[column])
    is_yes = keys.isin(yes_keys).to_numpy()
    is_no = keys.isin(no_keys).to_numpy()
    is_missing = data[column].isna().to_numpy()
    reason = pd.Series("unrecognised", index=data.index, dtype=object)
    reason[is_yes] = "consent"
    reason[is_no] = "refused"
    reason[is_missing] = "missing"
    answers = data[column].astype(object).where(~is_missing, None)
    details = (
        pd.DataFrame({"answer": answers, "reason": reason})
        .groupby(["answer", "reason"], dropna=False, sort=True)
        .size()
        .rename("records")
        .reset_index()
    )
    details["decision"] = details["reason"].map(lambda r: "kept" if r == "consent" else "dropped")
    details = details.sort_values(["decision", "answer"], na_position="first")[["answer", "records", "decision", "reason"]]
    out = data.loc[is_yes].copy()
    changed = 0
    if set_to is not None:
        changed = int((out[column].astype(object) != set_to).sum())
        out[column] = set_to
        if isinstance(data[column].dtype, pd.CategoricalDtype):
            out[column] = out[column].astype("category")
    dropped = int((~is_yes).sum())
    by_reason = reason[~is_yes].value_counts()
    parts = ", ".join(f"{n} {r}" for r, n in by_reason.items())
    summary = f"kept {int(is_yes.sum())} consented records, dropped {dropped}" + (f" ({parts})" if parts else "")
    return out, details, summary, dropped + changed, changed
