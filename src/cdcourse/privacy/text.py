"""Redacting personal data from free text: names, phone numbers and e-mail addresses.

Crowd reports and open answers carry what no column was meant to hold: "my neighbour Mr Okello
(0772 555 123) was attacked". :func:`redact_text` finds

- **e-mail addresses**;
- **phone numbers** in international (``+999 772 555 123``, ``+999-772-555123``) and local
  (``0772 555 123``, ``0772-555-123``, ``(0772) 555123``) formats: 7 to 15 digits, starting with
  ``+`` or ``0`` or written in three or more groups, never a date;
- **names**: every name of a list you supply (as a capitalised word), a capitalised word right after
  such a name (a surname), and one to three capitalised words after cues such as "my name is",
  "I am", "call me", "ask", "reported by", "Mr", "Mrs", "Ms", "Dr", "Mama", "Pastor";

and replaces each with a placeholder, reporting every redaction so that a person can review what
was removed and what was missed. Pattern matching misses names it has no cue for: read a sample
of the output before release.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cdcourse.errors import CdcourseError

KINDS = ("email", "phone", "name")
PLACEHOLDERS = {"email": "[EMAIL]", "phone": "[PHONE]", "name": "[NAME]"}

EMAIL_RE = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# A candidate phone number: optional +country code, then digit groups separated by one space,
# dot or hyphen, or a bracketed area code. Filtered afterwards by digit count and shape.
PHONE_RE = re.compile(
    r"(?<![\w+/.:-])"
    r"(\+\s?\d{1,4}[\s.-]?)?"
    r"(\(\d{1,5}\)[\s.-]?)?"
    r"\d+(?:[\s.-]\d+)*"
    r"(?![\w/:]|[.-]\d)"
)
_DATE_RE = re.compile(r"^(\d{4}[.-]\d{1,2}[.-]\d{1,2}|\d{1,2}[.-]\d{1,2}[.-]\d{2,4})$")

# Longer cues first: the regex takes the first alternative that matches ("call me" before "call").
_CUES = (
    r"my\s+name\s+is|name\s+is|names\s+are|i\s+am|i'm|this\s+is|"
    r"(?:call|text|sms|message|contact|phone|ring|reach|ask\s+for|ask)\s+(?:me|us)|"
    r"call(?:ed)?|named|contact|ask\s+for|ask|speak\s+to|talk\s+to|(?:reported|seen|witnessed|sent)\s+by|"
    r"mr|mrs|ms|miss|dr|madam|mama|mzee|sister|brother|uncle|auntie|aunt|pastor|chief|teacher|neighbour|neighbor"
)
_NAME_WORD = r"[A-Z][a-z'\u2019-]+"
CUE_RE = re.compile(rf"\b(?:{_CUES})\.?\s+", re.IGNORECASE)
_AFTER_CUE_RE = re.compile(rf"(?:{_NAME_WORD})(?:\s+{_NAME_WORD}){{0,2}}")
_NAME_WORD_RE = re.compile(_NAME_WORD)

# Capitalised words that follow cues but are not names.
STOPWORDS = frozenset("""
A An The This That These Those There Here It I We You They He She My Our Your Their His Her
And Or But Not No Yes Please Thank Thanks Hello Hi Dear Sir Madam Today Yesterday Tomorrow
Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
August September October November December Water Police Office Council Clinic Hospital School Market
Road Street Bridge River Village District Region Town City Church Mosque Station Centre Center
Emergency Help Urgent Again Now Still Also Very Just On At In Of For From To With By
Mr Mrs Ms Miss Dr Madam Mama Mzee Sister Brother Uncle Aunt Auntie Pastor Chief Teacher Neighbour Neighbor
""".split())


@dataclass(frozen=True)
class Redaction:
    """Redacted text and the list of what was removed.

    ``text`` has the redacted strings (a Series with the input's index; ``str`` when a single string
    went in). ``found`` has one row per redaction: row, kind (name, phone, email), value, start, end
    (positions in the original string) and rule (which detector fired).
    """

    text: pd.Series | str
    found: pd.DataFrame

    @property
    def counts(self) -> pd.Series:
        """Redactions per kind."""
        return self.found["kind"].value_counts().reindex(list(KINDS), fill_value=0)

    def to_frame(self) -> pd.DataFrame:
        return self.found.copy()

    def __repr__(self) -> str:
        c = self.counts
        return f"Redaction({c['name']} name(s), {c['phone']} phone number(s), {c['email']} e-mail address(es))"

    def _repr_html_(self) -> str:
        c = self.counts
        return (f"<p>Redacted {c['name']} name(s), {c['phone']} phone number(s) and {c['email']} e-mail "
                f"address(es). Read a sample: patterns miss names without a cue.</p>"
                + self.found.head(20).to_html(index=False))


def _phone_spans(text: str) -> list[tuple[int, int, str]]:
    out = []
    for m in PHONE_RE.finditer(text):
        value = m.group(0).rstrip(" .-")
        digits = re.sub(r"\D", "", value)
        if not 7 <= len(digits) <= 15 or _DATE_RE.match(value):
            continue
        groups = re.split(r"[\s.-]+", re.sub(r"[()+]", " ", value).strip())
        starts_like_phone = value.startswith(("+", "0", "(0", "(+"))
        if not starts_like_phone and len(groups) < 3:
            continue  # a bare long number (an amount, a reference) without phone shape
        out.append((m.start(), m.start() + len(value), "phone number pattern"))
    return out


def _name_spans(text: str, names_re: re.Pattern[str] | None) -> list[tuple[int, int, str]]:
    out = []
    if names_re is not None:
        for m in names_re.finditer(text):
            if not m.group(0)[:1].isupper():
                continue  # "hope" the verb is not "Hope" the name
            end = m.end()
            # A capitalised word right after a listed name is most likely a surname.
            nxt = re.match(rf"\s+({_NAME_WORD})", text[end:])
            if nxt and nxt.group(1) not in STOPWORDS:
                end += nxt.end()
            out.append((m.start(), end, "name list"))
    for cue in CUE_RE.finditer(text):
        # Cues are matched on their own (not with the name), so "ask for Mr Banda" sees both cues.
        m = _AFTER_CUE_RE.match(text, cue.end())
        if m is None:
            continue
        words = list(_NAME_WORD_RE.finditer(m.group(0)))
        kept_end = None
        for w in words:
            if w.group(0) in STOPWORDS:
                break
            kept_end = w.end()
        if kept_end is None:
            continue
        start = m.start()
        out.append((start, start + kept_end, "capitalised word after a cue"))
    return out


def _resolve(spans: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    """Drop spans overlapping an earlier-priority or longer one (e-mail > phone > name)."""
    priority = {"email": 0, "phone": 1, "name": 2}
    chosen: list[tuple[int, int, str, str]] = []
    for span in sorted(spans, key=lambda s: (priority[s[2]], -(s[1] - s[0]), s[0])):
        if all(span[1] <= c[0] or span[0] >= c[1] for c in chosen):
            chosen.append(span)
    return sorted(chosen)


def redact_text(texts: str | Sequence[str] | pd.Series, *, names: Iterable[str] | None = None,
                kinds: Sequence[str] = KINDS, placeholders: Mapping[str, str] | None = None) -> Redaction:
    """Replace names, phone numbers and e-mail addresses in free text by placeholders.

    Parameters
    ----------
    texts : one string, a list of strings or a Series (missing values stay missing).
    names : names to redact wherever they appear capitalised (e.g. the respondent and enumerator
        name lists), on top of the cue-based detection.
    kinds : which kinds to redact, any of "name", "phone", "email".
    placeholders : replacement text per kind (default ``[NAME]``, ``[PHONE]``, ``[EMAIL]``).

    Examples
    --------
    >>> res = redact_text("My name is Amina Yusuf, call +999 772 555 123 or amina@mail.lm. Water cut since 2024-03-05.")
    >>> res.text
    'My name is [NAME], call [PHONE] or [EMAIL]. Water cut since 2024-03-05.'
    >>> res.found[["kind", "value"]].values.tolist()
    [['name', 'Amina Yusuf'], ['phone', '+999 772 555 123'], ['email', 'amina@mail.lm']]
    """
    single = isinstance(texts, str)
    if single:
        series = pd.Series([texts])
    elif isinstance(texts, pd.Series):
        series = texts
    else:
        try:
            series = pd.Series(list(texts), dtype=object)
        except TypeError as err:
            raise CdcourseError(f"texts must be a string, a list of strings or a Series; got {type(texts).__name__}") from err
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise CdcourseError(f"kinds must be among 'name', 'phone', 'email'; got {', '.join(map(repr, bad))}")
    marks = dict(PLACEHOLDERS)
    marks.update(placeholders or {})
    name_list = sorted({n.strip() for n in (names or []) if isinstance(n, str) and n.strip()}, key=len, reverse=True)
    names_re = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in name_list) + r")\b", re.IGNORECASE) \
        if name_list else None

    out = np.empty(len(series), dtype=object)
    rows = []
    for i, (label, value) in enumerate(series.items()):
        if not isinstance(value, str):
            out[i] = value
            continue
        spans: list[tuple[int, int, str, str]] = []
        if "email" in kinds:
            spans += [(m.start(), m.end(), "email", "e-mail pattern") for m in EMAIL_RE.finditer(value)]
        if "phone" in kinds:
            spans += [(a, b, "phone", rule) for a, b, rule in _phone_spans(value)]
        if "name" in kinds:
            spans += [(a, b, "name", rule) for a, b, rule in _name_spans(value, names_re)]
        spans = _resolve(spans)
        pieces, pos = [], 0
        for a, b, kind, rule in spans:
            pieces.append(value[pos:a])
            pieces.append(marks[kind])
            pos = b
            rows.append((label, kind, value[a:b], a, b, rule))
        pieces.append(value[pos:])
        out[i] = "".join(pieces)
    found = pd.DataFrame(rows, columns=["row", "kind", "value", "start", "end", "rule"])
    if single:
        return Redaction(text=out[0], found=found)
    return Redaction(text=pd.Series(out, index=series.index, name=series.name), found=found)


def redact_column(data: pd.DataFrame, column: str, *, names: Iterable[str] | None = None,
                  kinds: Sequence[str] = KINDS) -> tuple[pd.DataFrame, Redaction]:
    """A copy of ``data`` with ``column`` redacted, and the :class:`Redaction` report.

    Examples
    --------
    >>> df = pd.DataFrame({"text": ["Pipe burst, ask for Mr Banda", "No water"]})
    >>> new, report = redact_column(df, "text")
    >>> new["text"].tolist(), len(report.found)
    (['Pipe burst, ask for Mr [NAME]', 'No water'], 1)
    """
    from cdcourse.privacy._core import as_frame
    from cdcourse._validate import require_columns

    frame = as_frame(data)
    require_columns(frame, column, "column")
    report = redact_text(frame[column], names=names, kinds=kinds)
    out = frame.copy()
    out[column] = report.text
    return out, report
