"""Self-check exercises: ``q1.check(answer)``, ``q1.hint()``, ``q1.solution()``.

A lesson module (for example ``cdcourse.checks.welcome``) defines exercises ``q1``, ``q2``, ...
with :class:`Exercise`. Each exercise knows how to compute its expected answer from ``cdcourse``
itself (lazily, on the first check, then cached), how to compare a learner's answer with it (one
of the comparisons below, or any callable ``(answer, expected) -> (ok, message)``), its hints, and
a worked solution.

``check`` never raises because of what a learner passes in: a wrong type, a wrong shape or a
function that crashes all come back as an ``"incorrect"`` :class:`CheckResult` whose message says
what was expected and what was found.

Examples
--------
>>> q = Exercise(name="q1", prompt="What is 6 x 7?", expected=lambda: 42,
...              hints=["Multiply.", "6 * 7"], solution="answer = 6 * 7")
>>> print(q.check(41))
✗ Incorrect (q1): expected 42, found 41 (too small by 1). Need help? q1.hint()
>>> q.check(42).status
'correct'
>>> q.check(None).status
'not attempted'
"""
from __future__ import annotations

import abc

import copy
import html
import math
import numbers
import re
import types
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from cdcourse.errors import CdcourseError

__all__ = [
    "PLACEHOLDER",
    "CheckResult",
    "Exercise",
    "Hint",
    "Solution",
    "Comparison",
    "NumberCheck",
    "BoolCheck",
    "TextCheck",
    "ChoiceCheck",
    "SetCheck",
    "SequenceCheck",
    "MappingCheck",
    "SeriesCheck",
    "FrameCheck",
    "FunctionCheck",
    "EqualCheck",
    "auto_compare",
    "is_not_attempted",
]

CORRECT = "correct"
INCORRECT = "incorrect"
NOT_ATTEMPTED = "not attempted"
STATUSES = (CORRECT, INCORRECT, NOT_ATTEMPTED)

Compare = Callable[[Any, Any], "tuple[bool, str]"]


class _Placeholder:
    """The value answer cells start with; checking it reports "not attempted"."""

    _instance: _Placeholder | None = None

    def __new__(cls) -> _Placeholder:
        # One shared instance, so `answer is PLACEHOLDER` works after copies and re-imports.
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "PLACEHOLDER"

    def __copy__(self) -> _Placeholder:
        return self

    def __deepcopy__(self, memo: dict) -> _Placeholder:
        return self

    def __reduce__(self) -> str:
        return "PLACEHOLDER"


#: Put this in an answer cell (``answer = PLACEHOLDER``) so an untouched cell checks as "not attempted".
PLACEHOLDER = _Placeholder()

# Texts a notebook puts in an answer cell for the learner to replace.
_PLACEHOLDER_TEXTS = {
    "", "your answer here", "your answer", "answer here", "type your answer here",
    "write your answer here", "todo", "to do", "tbd", "?", "...", "…", "xxx", "fill in",
}


def is_not_attempted(answer: Any) -> bool:
    """Whether ``answer`` is a placeholder rather than a real attempt.

    ``None``, ``...`` (Ellipsis), :data:`PLACEHOLDER` and placeholder texts such as
    ``"your answer here"`` count as not attempted.

    Examples
    --------
    >>> is_not_attempted(None), is_not_attempted(...), is_not_attempted(" Your answer here "), is_not_attempted(0)
    (True, True, True, False)
    """
    if answer is None or answer is Ellipsis or answer is PLACEHOLDER:
        return True
    if isinstance(answer, str):
        text = re.sub(r"\s+", " ", answer.strip().strip(".!:").strip().lower())
        return text in _PLACEHOLDER_TEXTS or answer.strip() in _PLACEHOLDER_TEXTS
    if isinstance(answer, types.FunctionType):
        return _is_stub(answer)
    return False


_STUB_OPS = {"RESUME", "NOP", "LOAD_CONST", "RETURN_VALUE", "RETURN_CONST", "POP_TOP", "CACHE"}


def _is_stub(func: types.FunctionType) -> bool:
    """A function whose body is only ``...`` or ``pass`` (plus a docstring): the untouched template."""
    import dis

    # Only loading constants and returning None: nothing was written in the body yet.
    for ins in dis.get_instructions(func):
        if ins.opname not in _STUB_OPS:
            return False
        if ins.opname in ("LOAD_CONST", "RETURN_CONST") and ins.argval not in (None, Ellipsis) and not (
            isinstance(ins.argval, str) and ins.argval == func.__doc__
        ):
            return False
    return True


# --------------------------------------------------------------------------- formatting helpers

def _n(count: int, noun: str) -> str:
    """``3 rows``, ``1 row``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _type_name(value: Any) -> str:
    """A learner-readable name for the type of ``value``."""
    if isinstance(value, (bool, np.bool_)):
        return "a True/False value (bool)"
    if isinstance(value, pd.DataFrame):
        return f"a DataFrame with {_n(len(value), 'row')} and {_n(value.shape[1], 'column')}"
    if isinstance(value, pd.Series):
        return f"a Series with {_n(len(value), 'value')}"
    if isinstance(value, pd.Index):
        return f"an Index with {_n(len(value), 'value')}"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {value.shape}"
    if isinstance(value, str):
        return "a text (str)"
    if isinstance(value, numbers.Integral):
        return "a whole number (int)"
    if isinstance(value, numbers.Real):
        return "a number (float)"
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return f"a {type(value).__name__} with {_n(len(value), 'item')}"
    if callable(value):
        return "a function"
    return f"a value of type {type(value).__name__}"


def _fmt_number(x: Any) -> str:
    """Numbers as a person reads them: thousands separators, about 6 significant digits."""
    if isinstance(x, (bool, np.bool_)):
        return repr(bool(x))
    try:
        xf = float(x)
    except (TypeError, ValueError):
        return _short(x)
    if math.isnan(xf):
        return "NaN (missing)"
    if math.isinf(xf):
        return "infinity" if xf > 0 else "minus infinity"
    if isinstance(x, numbers.Integral) or (xf.is_integer() and abs(xf) < 1e15):
        return f"{int(xf):,}"
    if abs(xf) >= 1e6 or abs(xf) < 1e-4:
        return f"{xf:.6g}"
    text = f"{xf:,.6f}".rstrip("0").rstrip(".")
    # Keep about six significant digits for small numbers (0.000123456 stays readable).
    return text if len(text.replace(",", "").replace("-", "").lstrip("0.")) <= 7 else f"{xf:,.6g}"


def _short(value: Any, limit: int = 80) -> str:
    """A one-line repr of ``value``, cut to ``limit`` characters."""
    if isinstance(value, (numbers.Real, np.number)) and not isinstance(value, (bool, np.bool_)):
        return _fmt_number(value)
    text = repr(value)
    text = re.sub(r"\s+", " ", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _listing(values: Iterable[Any], limit: int = 8) -> str:
    items = [_short(v, 40) for v in values]
    shown = ", ".join(items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items) - limit} more)"
    return shown


def _is_number(value: Any) -> bool:
    """A real number that is not a bool (True is not the number 1 for an exercise)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, (numbers.Real, np.integer, np.floating))


def _inside(answer: Any, kind: str) -> str | None:
    """For a result object (a Measure, a Redaction, ...) holding what was asked: where it is.

    ``kind`` is "number" or "text". Returns a sentence such as "found a Measure (a result object): its
    number is in `.value`", or None when ``answer`` holds no such attribute.
    """
    if isinstance(answer, (str, bytes, numbers.Number, pd.Series, pd.DataFrame, pd.Index, np.ndarray)):
        return None
    names = ("value", "estimate", "score") if kind == "number" else ("text", "value")
    for attr in names:
        try:
            held = getattr(answer, attr)
        except Exception:  # noqa: BLE001 - a property of a learner's object may fail in any way
            continue
        if (kind == "number" and _is_number(held)) or (kind == "text" and isinstance(held, str)):
            return f"found a {type(answer).__name__} (a result object): its {kind} is in `.{attr}`"
    return None


# --------------------------------------------------------------------------- result objects

_LOOK = {
    # status: (icon, word, border colour). Words and icon carry the status; the border colour only
    # repeats it. Text stays near-black on a light background (contrast > 12:1) in any theme.
    CORRECT: ("✓", "Correct", "#007a5a"),
    INCORRECT: ("✗", "Incorrect", "#b34700"),
    NOT_ATTEMPTED: ("○", "Not attempted", "#555555"),
}

_BOX = (
    "border-left: 6px solid {border}; background: #f6f7f8; color: #1a1a1a; "
    "padding: 0.5em 0.9em; margin: 0.3em 0; font-size: 1em; line-height: 1.45;"
)
_PRE = (
    "background: #ffffff; color: #1a1a1a; border: 1px solid #c8c8c8; padding: 0.4em; "
    "margin: 0.4em 0 0 0; white-space: pre; overflow-x: auto; font-size: 0.92em;"
)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of ``exercise.check(answer)``.

    Attributes
    ----------
    status : "correct", "incorrect" or "not attempted".
    message : one plain-language sentence: what was expected and what was found.
    exercise : the exercise name, for example "q1".
    details : optional preformatted text (for example the first rows that differ).

    Examples
    --------
    >>> r = CheckResult("incorrect", "expected 3 rows, found 2.", exercise="q2")
    >>> print(r)
    ✗ Incorrect (q2): expected 3 rows, found 2.
    >>> bool(r), r.correct
    (False, False)
    """

    status: str
    message: str
    exercise: str = ""
    details: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise CdcourseError(f"status must be one of {', '.join(map(repr, STATUSES))}; got {self.status!r}")

    @property
    def correct(self) -> bool:
        """True only for a correct answer."""
        return self.status == CORRECT

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        icon, word, _ = _LOOK[self.status]
        name = f" ({self.exercise})" if self.exercise else ""
        text = f"{icon} {word}{name}: {self.message}"
        if self.details:
            text += "\n" + self.details
        return text

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        icon, word, border = _LOOK[self.status]
        name = f" <span style='font-weight: normal'>({html.escape(self.exercise)})</span>" if self.exercise else ""
        details = f"<pre style='{_PRE}'>{html.escape(self.details)}</pre>" if self.details else ""
        return (
            f"<div role='status' aria-label='{word}' style='{_BOX.format(border=border)}'>"
            f"<span aria-hidden='true' style='font-size: 1.2em; margin-right: 0.35em'>{icon}</span>"
            f"<strong>{word}</strong>{name}: {html.escape(self.message)}{details}</div>"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row: exercise, status, message (handy to collect results of many checks)."""
        return pd.DataFrame([{"exercise": self.exercise, "status": self.status, "message": self.message}])


@dataclass(frozen=True)
class Hint:
    """A hint to display; ``str(hint)`` for a terminal, HTML in a notebook."""

    exercise: str
    number: int
    total: int
    text: str
    note: str = ""

    def __str__(self) -> str:
        head = f"Hint {self.number} of {self.total} ({self.exercise})" if self.total else f"Hints ({self.exercise})"
        body = f"{self.note}\n{self.text}" if self.note and self.text else (self.note or self.text)
        return f"💡 {head}: {body}"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = f"Hint {self.number} of {self.total}" if self.total else "Hints"
        note = f"<p style='margin: 0.2em 0'><em>{html.escape(self.note)}</em></p>" if self.note else ""
        text = f"<p style='margin: 0.2em 0'>{_inline_code(self.text)}</p>" if self.text else ""
        return (
            f"<div role='note' style='{_BOX.format(border='#0072b2')}'>"
            f"<span aria-hidden='true'>💡 </span><strong>{head}</strong> ({html.escape(self.exercise)}){note}{text}</div>"
        )


@dataclass(frozen=True)
class Solution:
    """A worked solution (code) to display."""

    exercise: str
    code: str
    explanation: str = ""

    def __str__(self) -> str:
        text = f"Solution ({self.exercise}):\n{self.code}"
        if self.explanation:
            text += f"\n\n{self.explanation}"
        return text

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        expl = f"<p style='margin: 0.4em 0 0 0'>{_inline_code(self.explanation)}</p>" if self.explanation else ""
        return (
            f"<div role='note' style='{_BOX.format(border='#0072b2')}'>"
            f"<strong>Solution</strong> ({html.escape(self.exercise)})"
            f"<pre style='{_PRE}'><code>{html.escape(self.code)}</code></pre>{expl}</div>"
        )


def _inline_code(text: str) -> str:
    """Escape text and show `backticked` parts as code."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


# --------------------------------------------------------------------------- comparisons

class Comparison(abc.ABC):
    """Base of the built-in comparisons: ``compare(answer, expected) -> (ok, message)``.

    Any callable with that signature works as ``Exercise(compare=...)``; subclassing is optional.
    """

    @abc.abstractmethod
    def __call__(self, answer: Any, expected: Any) -> tuple[bool, str]:
        """Whether ``answer`` matches ``expected``, and a message that says what differs."""

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


class NumberCheck(Comparison):
    """A number, equal to the expected one within a tolerance.

    Passes when ``|answer - expected| <= max(rel_tol * |expected|, abs_tol)``: unlike
    ``math.isclose`` the relative tolerance is a share of the expected value only, so it does not
    grow with a far-off answer.
    Python and numpy numbers are accepted; True/False, texts and one-value Series are not, and the
    message says how to turn them into a number.

    Examples
    --------
    >>> NumberCheck(abs_tol=0.5)(11.4, 11)
    (True, 'matches 11 (within ±0.5).')
    >>> NumberCheck()(True, 1)
    (False, 'expected a number (1), found a True/False value (bool).')
    """

    def __init__(self, rel_tol: float = 1e-6, abs_tol: float = 0.0, *, reveal: bool = True) -> None:
        if rel_tol < 0 or abs_tol < 0:
            raise CdcourseError(f"rel_tol and abs_tol must be >= 0; got rel_tol={rel_tol!r}, abs_tol={abs_tol!r}")
        self.rel_tol = rel_tol
        self.abs_tol = abs_tol
        self.reveal = reveal

    def _tolerance(self, expected: float) -> float:
        return max(self.rel_tol * abs(expected), self.abs_tol)

    def _shows_tolerance(self) -> bool:
        # The default relative tolerance only absorbs float noise; mentioning it would distract.
        return self.abs_tol > 0 or self.rel_tol > 1e-6

    def __call__(self, answer: Any, expected: Any) -> tuple[bool, str]:
        exp_text = _fmt_number(expected) if self.reveal else "another number"
        if isinstance(answer, np.ndarray) and answer.ndim == 0:
            answer = answer.item()
        if isinstance(answer, (pd.Series, pd.DataFrame, np.ndarray, list, tuple)):
            size = answer.size if hasattr(answer, "size") else len(answer)
            how = " (take it out with .item() or .iloc[0])" if size == 1 else ""
            return False, f"expected a single number ({exp_text}), found {_type_name(answer)}{how}."
        if isinstance(answer, str):
            try:
                float(answer.replace(",", ""))
            except ValueError:
                return False, f"expected a number ({exp_text}), found the text {answer!r}."
            return False, f"expected a number ({exp_text}), found the text {answer!r}: remove the quotes."
        if not _is_number(answer):
            if answer is pd.NA or answer is pd.NaT:
                return False, f"expected a number ({exp_text}), found a missing value ({answer!r})."
            inside = _inside(answer, "number")
            if inside:
                return False, f"expected a number ({exp_text}), {inside}."
            return False, f"expected a number ({exp_text}), found {_type_name(answer)}."
        a, e = float(answer), float(expected)
        if math.isnan(e) and math.isnan(a):
            return True, "matches: both are missing (NaN)."
        if math.isnan(a):
            return False, f"expected {exp_text}, found NaN (a missing value): is something missing in the data you used?"
        tol = self._tolerance(e)
        if a == e or abs(a - e) <= tol:
            within = f" (within ±{_fmt_number(tol)})" if self._shows_tolerance() and a != e else ""
            return True, f"matches {_fmt_number(expected)}{within}."
        if not self.reveal:
            return False, f"found {_fmt_number(answer)}, which is too {'large' if a > e else 'small'}."
        diff = a - e
        direction = "too large" if diff > 0 else "too small"
        extra = ""
        # A percent given for a proportion (or the reverse) is the commonest slip; say so. A rounded
        # percent (9.75 for 0.097531) still counts as the same number here.
        loose = max(tol, 0.01 * abs(e))
        if e != 0 and abs(a / 100 - e) <= loose:
            extra = " It looks like a percentage: the answer is asked as a proportion (0 to 1)."
        elif e != 0 and abs(a * 100 - e) <= loose:
            extra = " It looks like a proportion: the answer is asked as a percentage (0 to 100)."
        tol_text = f" (tolerance ±{_fmt_number(tol)})" if self._shows_tolerance() and tol > 0 else ""
        return False, f"expected {exp_text}{tol_text}, found {_fmt_number(answer)} ({direction} by {_fmt_number(abs(diff))}).{extra}"


class BoolCheck(Comparison):
    """True or False, and nothing that merely looks like it (``"yes"``, 1).

    Examples
    --------
    >>> BoolCheck()("True", True)
    (False, "expected True or False (without quotes), found the text 'True'.")
    """

    def __call__(self, answer: Any, expected: Any) -> tuple[bool, str]:
        if not isinstance(answer, (bool, np.bool_)):
            if isinstance(answer, str):
                return False, f"expected True or False (without quotes), found the text {answer!r}."
            return False, f"expected True or False, found {_type_name(answer)}: {_short(answer)}."
        if bool(answer) == bool(expected):
            return True, f"{bool(expected)} is right."
        return False, f"expected {bool(expected)}, found {bool(answer)}."


def _normalise_text(text: str, *, case: bool, strip: bool, collapse_space: bool) -> str:
    if strip:
        text = text.strip()
    if collapse_space:
        text = re.sub(r"\s+", " ", text)
    if not case:
        text = text.casefold()
    return text


class TextCheck(Comparison):
    """A text, compared after normalising case and spaces.

    ``expected`` may be one text or a list/tuple/set of accepted texts.

    Parameters
    ----------
    case : compare upper/lower case too (default False: "Coastal" matches "coastal").
    strip : ignore spaces at either end.
    collapse_space : treat runs of spaces/newlines inside the text as one space.

    Examples
    --------
    >>> TextCheck()("  Eastern   lakes", "Eastern Lakes")
    (True, "matches 'Eastern Lakes'.")
    >>> TextCheck()("Coast", ["Coastal", "Coastal region"])
    (False, "expected 'Coastal' or 'Coastal region', found 'Coast'.")
    """

    def __init__(self, case: bool = False, strip: bool = True, *, collapse_space: bool = True) -> None:
        self.case = case
        self.strip = strip
        self.collapse_space = collapse_space

    def _norm(self, text: str) -> str:
        return _normalise_text(text, case=self.case, strip=self.strip, collapse_space=self.collapse_space)

    def __call__(self, answer: Any, expected: Any) -> tuple[bool, str]:
        accepted = [expected] if isinstance(expected, str) else list(expected)
        shown = " or ".join(repr(a) for a in accepted[:4]) + (" (or another accepted form)" if len(accepted) > 4 else "")
        if not isinstance(answer, str):
            inside = _inside(answer, "text")
            if inside:
                return False, f"expected a text such as {shown}, {inside}."
            return False, f"expected a text such as {shown}, found {_type_name(answer)}: {_short(answer)}."
        got = self._norm(answer)
        for acc in accepted:
            if got == self._norm(acc):
                return True, f"matches {acc!r}."
        near = ""
        if self.case and any(got.casefold() == self._norm(a).casefold() for a in accepted):
            near = " Only upper/lower case differs, and it matters here."
        elif any(re.sub(r"\W", "", got.casefold()) == re.sub(r"\W", "", a.casefold()) for a in accepted):
            near = " Only punctuation or spacing differs."
        return False, f"expected {shown}, found {answer!r}.{near}"


class ChoiceCheck(TextCheck):
    """One of a fixed list of options (a multiple-choice question).

    An answer that is not one of ``choices`` is told the valid options, rather than only "wrong".

    Examples
    --------
    >>> ChoiceCheck(["a", "b", "c"])("d", "b")
    (False, "'d' is not one of the options; choose one of 'a', 'b', 'c'.")
    >>> ChoiceCheck(["a", "b", "c"])("A", "b")
    (False, "expected 'b', found 'A'.")
    """

    def __init__(self, choices: Sequence[str], case: bool = False, strip: bool = True) -> None:
        super().__init__(case=case, strip=strip)
        self.choices = list(choices)

    def __call__(self, answer: Any, expected: Any) -> tuple[bool, str]:
        options = ", ".join(repr(c) for c in self.choices)
        if isinstance(answer, str) and self._norm(answer) not in {self._norm(c) for c in self.choices}:
            return False, f"{answer!r} is not one of the options; choose one of {options}."
        return super().__call__(answer, expected)


def _as_collection(answer: Any) -> list | None:
    """Items of a list-like answer, or None for scalars and texts."""
    if isinstance(answer, (str, bytes, Mapping, pd.DataFrame)):
        return None
    if isinstance(answer, (pd.Series, pd.Index, np.ndarray)):
        return list(np.asarray(answer).ravel().tolist())
    if isinstance(answer, Iterable):
        return list(answer)
    return None


class SetCheck(Comparison):
    """The same items, in any order, duplicates ignored; texts normalised like :class:`TextCheck`.

    Lists, tuples, sets, Series, Index and arrays are all accepted; the message names the items
    missing and the items that should not be there.

    Examples
    --------
    >>> SetCheck()(["Saro", "bensi"], {"Bensi", "Saro", "Amari"})
    (False, "2 of 3 items are right; missing: 'Amari'.")
    >>> SetCheck()(("Amari", "Bensi", "Saro", "Saro"), {"Bensi", "Saro", "Amari"})
    (True, 'all 3 items match.')
    """

    def __init__(self, case: bool = False, strip: bool = True) -> None:
        self.case = case
        self.strip = strip

    def _norm(self, item: Any) -> Any:
        if isinstance(item, str):
            return _normalise_text(item, case=self.case, strip=self.strip, collapse_space=True)
        if isinstance(item, (np.generic,)):
            return item.item()
        return item

    def __call__(self, answer: Any, expected: Any) -> tuple[bool, str]:
        exp_items = _as_collection(expected) or []
        items = _as_collection(answer)
        if items is None:
            return False, (
                f"expected a collection of {len(set(map(self._norm, exp_items)))} items (a list or set), "
                f"found {_type_name(answer)}: {_short(answer)}."
            )
        try:
            exp_map = {self._norm(e): e for e in exp_items}
            got_map = {self._norm(a): a for a in items}
        except TypeError as err:
            return False, f"could not treat your answer as a set of items ({err}); use a list of texts or numbers."
        missing = [exp_map[k] for k in exp_map if k not in got_map]
        extra = [got_map[k] for k in got_map if k not in exp_map]
        if not missing and not extra:
            return True, f"all {len(exp_map)} items match."
        right = len(exp_map) - len(missing)
        parts = []
        if missing:
            parts.append(f"missing: {_listing(sorted(missing, key=str))}")
        if extra:
            parts.append(f"should not be there: {_listing(sorted(extra, key=str))}")
        return False, f"{right} of {len(exp_map)} items are right; " + "; ".join(parts) + "."


def auto_compare(expected: Any) -> Compare:
    """The comparison an exercise uses when none is given, picked by the type of the expected answer.

    Examples
    --------
    >>> auto_compare(3.5), auto_compare("Coastal"), auto_compare({1, 2})
    (NumberCheck(rel_tol=1e-06, abs_tol=0.0, reveal=True), TextCheck(case=False, strip=True, collapse_space=True), SetCheck(case=False, strip=True))
    """
    if isinstance(expected, (bool, np.bool_)):
        return BoolCheck()
    if _is_number(expected):
        return NumberCheck()
    if isinstance(expected, str):
        return TextCheck()
    if isinstance(expected, (set, frozenset)):
        return SetCheck()
    if isinstance(expected, pd.DataFrame):
        return FrameCheck()
    if isinstance(expected, pd.Series):
        return SeriesCheck()
    if isinstance(expected, Mapping):
        return MappingCheck()
    if isinstance(expected, (list, tuple, np.ndarray)):
        return SequenceCheck()
    return EqualCheck()


class EqualCheck(Comparison):
    """Plain equality (``answer == expected``), for values no other comparison fits.

    Examples
    --------
    >>> EqualCheck()(None.__class__, type(None))
    (True, 'matches.')
    """

    def __call__(self, answer: Any, expected: Any) -> tuple[bool, str]:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                same = bool(answer == expected)
        except Exception:  # noqa: BLE001 - an odd answer type must not crash a check
            same = False
        if same:
            return True, "matches."
        return False, f"expected {_short(expected)}, found {_short(answer)}."


class SequenceCheck(Comparison):
    """Items in order, each compared with ``item`` (default: picked by the expected item's type).

    Examples
    --------
    >>> SequenceCheck()([1, 2, 4], [1, 2, 3])
    (False, 'item 3 (position 2) differs: expected 3, found 4 (too large by 1).')
    """

    def __init__(self, item: Compare | None = None) -> None:
        self.item = item

    def __call__(self, answer: Any, expected: Any) -> tuple[bool, str]:
        exp = list(expected)
        got = _as_collection(answer)
        if got is None:
            return False, f"expected a list of {len(exp)} items, found {_type_name(answer)}: {_short(answer)}."
        if len(got) != len(exp):
            return False, f"expected {len(exp)} items, found {len(got)}."
        for i, (a, e) in enumerate(zip(got, exp)):
            ok, msg = (self.item or auto_compare(e))(a, e)
            if not ok:
                return False, f"item {i + 1} (position {i}) differs: {msg}"
        return True, f"all {len(exp)} items match."


class MappingCheck(Comparison):
    """A dict with the expected keys, each value compared with ``value`` (default: by type).

    Examples
    --------
    >>> MappingCheck()({"urban": 0.4}, {"urban": 0.4, "rural": 0.6})
    (False, "missing keys: 'rural'.")
    """

    def __init__(self, value: Compare | None = None) -> None:
        self.value = value

    def __call__(self, answer: Any, expected: Any) -> tuple[bool, str]:
        if isinstance(answer, pd.Series) and not isinstance(expected, pd.Series):
            answer = answer.to_dict()
        if not isinstance(answer, Mapping):
            return False, f"expected a dict with keys {_listing(expected)}, found {_type_name(answer)}."
        missing = [k for k in expected if k not in answer]
        extra = [k for k in answer if k not in expected]
        if missing or extra:
            parts = ([f"missing keys: {_listing(missing)}"] if missing else []) + (
                [f"unexpected keys: {_listing(extra)}"] if extra else []
            )
            return False, "; ".join(parts) + "."
        for key, e in expected.items():
            ok, msg = (self.value or auto_compare(e))(answer[key], e)
            if not ok:
                return False, f"the value for {key!r} differs: {msg}"
        return True, f"all {len(expected)} entries match."


# --------------------------------------------------------------------------- Series and DataFrames

def _plain(col: pd.Series) -> pd.Series:
    """A column with dtype differences removed (category -> values, nullable -> numpy/object)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype(object)
    if ptypes.is_bool_dtype(col.dtype) or (
        ptypes.is_numeric_dtype(col.dtype) and not ptypes.is_complex_dtype(col.dtype)
    ):
        # Nullable Int64/boolean become float with NaN for missing, so 1 == 1.0 and NA == NaN.
        return pd.Series(col.to_numpy(dtype=float, na_value=np.nan), index=col.index, name=col.name)
    if ptypes.is_string_dtype(col.dtype) or col.dtype == object:
        values = col.astype(object)
        # An object column holding only numbers compares as numbers.
        nonnull = values.dropna()
        if len(nonnull) and all(_is_number(v) or isinstance(v, (bool, np.bool_)) for v in nonnull):
            return pd.to_numeric(values, errors="coerce").astype(float)
        return values.where(values.notna(), None)
    return col


def _numeric(col: pd.Series) -> bool:
    return ptypes.is_float_dtype(col.dtype) or ptypes.is_integer_dtype(col.dtype)


def _differs(a: pd.Series, e: pd.Series, rtol: float, atol: float) -> np.ndarray:
    """Boolean mask of positions where two aligned columns differ (missing equals missing)."""
    if _numeric(a) and _numeric(e):
        av, ev = a.to_numpy(dtype=float), e.to_numpy(dtype=float)
        close = np.isclose(av, ev, rtol=rtol, atol=atol, equal_nan=True)
        return ~close
    av, ev = a.to_numpy(dtype=object), e.to_numpy(dtype=object)
    out = np.zeros(len(av), dtype=bool)
    for i, (x, y) in enumerate(zip(av, ev)):
        x_na, y_na = _isna(x), _isna(y)
        if x_na or y_na:
            out[i] = x_na != y_na
            continue
        if _is_number(x) and _is_number(y):
            out[i] = not math.isclose(float(x), float(y), rel_tol=rtol, abs_tol=atol)
            continue
        try:
            out[i] = not bool(x == y)
        except Exception:  # noqa: BLE001 - incomparable values simply differ
            out[i] = True
    return out


def _isna(x: Any) -> bool:
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _sort_key(col: pd.Series) -> pd.Series:
    if _numeric(col):
        # Rounded, so tiny float noise does not reorder rows differently in answer and expected.
        return col.round(9)
    return col.map(lambda v: "" if _isna(v) else f"{type(v).__name__}:{v}")


def _sorted_frame(frame: pd.DataFrame) -> pd.DataFrame:
    # Identifying (non-float) columns first: group labels decide the order, not noisy floats.
    cols = sorted(frame.columns, key=lambda c: ptypes.is_float_dtype(frame[c].dtype))
    if not cols:
        return frame
    return frame.sort_values(by=cols, key=_sort_key, kind="mergesort", na_position="last")


def _diff_table(rows: list[tuple[Any, Any, Any]], label: str, limit: int = 5) -> str:
    """The first differing rows as a small aligned text table."""
    shown = rows[:limit]
    table = pd.DataFrame(
        [{label: r, "expected": _short(e, 30), "found": _short(a, 30)} for r, e, a in shown]
    )
    text = table.to_string(index=False)
    if len(rows) > limit:
        text += f"\n... and {len(rows) - limit} more"
    return text


class FrameCheck(Comparison):
    """A DataFrame with the expected columns and values.

    Parameters
    ----------
    ignore_row_order : compare rows as a set (sorted by every column first).
    ignore_index : compare values only, not the row labels (an answer with the group in the
        index instead of a column is told to use ``.reset_index()``).
    check_dtype : also require the same dtypes (otherwise 1 == 1.0, category == text values).
    rtol, atol : tolerance for numeric columns (as ``numpy.isclose``).
    columns : compare only these columns (the answer may have more); default all, in any order.

    Examples
    --------
    >>> exp = pd.DataFrame({"sex": ["female", "male"], "share": [0.52, 0.48]})
    >>> FrameCheck()(exp.assign(share=[0.52, 0.47]), exp)[1]
    "column 'share' differs in 1 of 2 rows.\\n row expected found\\n   1     0.48  0.47"
    >>> FrameCheck(ignore_row_order=True)(exp.iloc[::-1], exp)
    (True, 'all 2 rows and 2 columns match.')
    """

    def __init__(
        self,
        ignore_row_order: bool = False,
        ignore_index: bool = True,
        check_dtype: bool = False,
        rtol: float = 1e-6,
        columns: Sequence[str] | None = None,
        *,
        atol: float = 1e-12,
        ignore_column_order: bool = True,
    ) -> None:
        self.ignore_row_order = ignore_row_order
        self.ignore_index = ignore_index
        self.check_dtype = check_dtype
        self.rtol = rtol
        self.atol = atol
        self.columns = list(columns) if columns is not None else None
        self.ignore_column_order = ignore_column_order

    def __call__(self, answer: Any, expected: Any) -> tuple[bool, str]:
        exp_cols = self.columns if self.columns is not None else list(expected.columns)
        if isinstance(answer, pd.Series):
            return False, (
                f"expected a DataFrame with columns {_listing(exp_cols)}, found {_type_name(answer)}: "
                "turn it into a table with .reset_index() or .to_frame()."
            )
        if not isinstance(answer, pd.DataFrame):
            return False, f"expected a DataFrame with columns {_listing(exp_cols)}, found {_type_name(answer)}."
        return self._compare_frames(answer, expected, exp_cols)

    def _compare_frames(self, answer: pd.DataFrame, expected: pd.DataFrame, exp_cols: list) -> tuple[bool, str]:
        missing = [c for c in exp_cols if c not in answer.columns]
        if missing:
            in_index = [c for c in missing if c in (answer.index.names or [])]
            hint = (
                f" {_listing(in_index)} {'is' if len(in_index) == 1 else 'are'} in the index of your "
                "DataFrame, not a column: add .reset_index()."
                if in_index else f" Your columns are: {_listing(answer.columns)}."
            )
            return False, f"missing column{'s' if len(missing) > 1 else ''} {_listing(missing)}.{hint}"
        if self.columns is None:
            extra = [c for c in answer.columns if c not in exp_cols]
            if extra:
                return False, f"unexpected column{'s' if len(extra) > 1 else ''} {_listing(extra)}; expected only {_listing(exp_cols)}."
            if not self.ignore_column_order and list(answer.columns) != exp_cols:
                return False, f"columns are in a different order: expected {_listing(exp_cols)}, found {_listing(answer.columns)}."
        if len(answer) != len(expected):
            return False, f"expected {len(expected)} rows, found {len(answer)} ({'too many' if len(answer) > len(expected) else 'too few'})."
        if self.check_dtype:
            for c in exp_cols:
                if answer[c].dtype != expected[c].dtype:
                    return False, f"column {c!r} has dtype {answer[c].dtype}, expected {expected[c].dtype}."
        a = pd.DataFrame({c: _plain(answer[c]) for c in exp_cols}, index=answer.index)
        e = pd.DataFrame({c: _plain(expected[c]) for c in exp_cols}, index=expected.index)
        if self.ignore_row_order:
            if self.ignore_index:
                a, e = _sorted_frame(a), _sorted_frame(e)
            else:
                a, e = _sort_by_index(a), _sort_by_index(e)
        if not self.ignore_index:
            ok, msg = _compare_index(a.index, e.index)
            if not ok:
                return False, msg
        labels = list(a.index) if not self.ignore_index else list(range(len(a)))
        label = "label" if not self.ignore_index else "row"
        if not self.ignore_row_order and self.ignore_index and not _frame_differs(a, e, exp_cols, self):
            return True, f"all {len(e)} rows and {len(exp_cols)} columns match."
        if not self.ignore_row_order and self.ignore_index and not _frame_differs(
            _sorted_frame(a), _sorted_frame(e), exp_cols, self
        ):
            return False, (
                "the rows are right but in a different order; sort them as asked "
                f"(for example with .sort_values({exp_cols[0]!r}))."
            )
        for c in exp_cols:
            mask = _differs(a[c].reset_index(drop=True), e[c].reset_index(drop=True), self.rtol, self.atol)
            if mask.any():
                pos = np.flatnonzero(mask)
                rows = [(labels[i], e[c].iloc[i], a[c].iloc[i]) for i in pos]
                order = " (after sorting rows)" if self.ignore_row_order else ""
                return False, (
                    f"column {c!r} differs in {len(pos)} of {len(a)} rows{order}.\n" + _diff_table(rows, label)
                )
        return True, f"all {len(e)} rows and {len(exp_cols)} columns match."


def _frame_differs(a: pd.DataFrame, e: pd.DataFrame, cols: list, opts: FrameCheck) -> bool:
    return any(
        _differs(a[c].reset_index(drop=True), e[c].reset_index(drop=True), opts.rtol, opts.atol).any() for c in cols
    )


def _sort_by_index(frame: pd.DataFrame | pd.Series) -> Any:
    try:
        return frame.sort_index(kind="mergesort")
    except TypeError:  # mixed label types
        order = np.argsort([str(i) for i in frame.index], kind="mergesort")
        return frame.iloc[order]


def _compare_index(got: pd.Index, exp: pd.Index) -> tuple[bool, str]:
    got_l, exp_l = [_index_key(v) for v in got], [_index_key(v) for v in exp]
    if got_l == exp_l:
        return True, ""
    missing = [v for v, k in zip(exp, exp_l) if k not in set(got_l)]
    extra = [v for v, k in zip(got, got_l) if k not in set(exp_l)]
    if missing or extra:
        parts = ([f"labels missing: {_listing(missing)}"] if missing else []) + (
            [f"labels not expected: {_listing(extra)}"] if extra else []
        )
        return False, "the row labels (index) differ; " + "; ".join(parts) + "."
    first = next(i for i, (g, x) in enumerate(zip(got_l, exp_l)) if g != x)
    return False, (
        f"the rows are in a different order: position {first} has label {_short(got[first])}, "
        f"expected {_short(exp[first])} (sort them, e.g. .sort_index())."
    )


def _index_key(v: Any) -> Any:
    if isinstance(v, tuple):
        return tuple(_index_key(x) for x in v)
    if isinstance(v, np.generic):
        return v.item()
    return v


class SeriesCheck(Comparison):
    """A Series with the expected values (and labels, unless ``ignore_index``).

    Parameters
    ----------
    ignore_row_order : compare as a set of (label, value) pairs; sorted by label, or by value
        when the index is ignored.
    ignore_index : compare values only, by position. Default False: for a grouped result such as
        shares by district the labels are part of the answer.
    check_dtype : also require the same dtype.
    rtol, atol : tolerance for numbers.
    check_name : also require the same Series name.

    Examples
    --------
    >>> exp = pd.Series({"rural": 0.6, "urban": 0.4})
    >>> SeriesCheck(ignore_row_order=True)(pd.Series({"urban": 0.4, "rural": 0.6}), exp)
    (True, 'all 2 values match.')
    >>> print(SeriesCheck()(pd.Series({"rural": 60.0, "urban": 40.0}), exp)[1])
    the value differs for 2 of 2 labels.
    label expected found
    rural      0.6    60
    urban      0.4    40
    """

    def __init__(
        self,
        ignore_row_order: bool = False,
        ignore_index: bool = False,
        check_dtype: bool = False,
        rtol: float = 1e-6,
        *,
        atol: float = 1e-12,
        check_name: bool = False,
    ) -> None:
        self.ignore_row_order = ignore_row_order
        self.ignore_index = ignore_index
        self.check_dtype = check_dtype
        self.rtol = rtol
        self.atol = atol
        self.check_name = check_name

    def __call__(self, answer: Any, expected: Any) -> tuple[bool, str]:
        n = len(expected)
        if isinstance(answer, pd.DataFrame):
            how = (
                f": select the column, e.g. df[{answer.columns[0]!r}]" if answer.shape[1] == 1
                else ": pick the one column you need"
            )
            return False, f"expected a Series with {n} values, found {_type_name(answer)}{how}."
        if self.ignore_index and isinstance(answer, (list, tuple, np.ndarray, pd.Index)):
            answer = pd.Series(list(np.asarray(answer).ravel()))
        if not isinstance(answer, pd.Series):
            return False, f"expected a Series with {n} values, found {_type_name(answer)}: {_short(answer)}."
        if len(answer) != n:
            return False, f"expected {n} values, found {len(answer)} ({'too many' if len(answer) > n else 'too few'})."
        if self.check_name and answer.name != expected.name:
            return False, f"expected the Series to be named {expected.name!r}, found {answer.name!r}."
        if self.check_dtype and answer.dtype != expected.dtype:
            return False, f"expected dtype {expected.dtype}, found {answer.dtype}."
        a, e = _plain(answer), _plain(expected)
        if self.ignore_row_order:
            if self.ignore_index:
                a = a.iloc[np.argsort(_sort_key(a).to_numpy(), kind="mergesort")]
                e = e.iloc[np.argsort(_sort_key(e).to_numpy(), kind="mergesort")]
            else:
                a, e = _sort_by_index(a), _sort_by_index(e)
        if not self.ignore_index:
            ok, msg = _compare_index(a.index, e.index)
            if not ok:
                return False, msg
        mask = _differs(a.reset_index(drop=True), e.reset_index(drop=True), self.rtol, self.atol)
        if mask.any():
            pos = np.flatnonzero(mask)
            label = "position" if self.ignore_index else "label"
            labels = list(range(n)) if self.ignore_index else list(a.index)
            rows = [(labels[i], e.iloc[i], a.iloc[i]) for i in pos]
            what = "positions" if self.ignore_index else "labels"
            return False, f"the value differs for {len(pos)} of {n} {what}.\n" + _diff_table(rows, label)
        return True, f"all {n} values match."


# --------------------------------------------------------------------------- functions

_FROM_REFERENCE = object()


class FunctionCheck(Comparison):
    """A learner's function, called on test cases and compared with the expected results.

    Parameters
    ----------
    cases : a list of ``(args, kwargs, expected)`` or ``(args, expected)`` tuples, or a callable
        returning that list (so cases that need data are built lazily). ``expected`` may be a
        zero-argument callable (computed on first use), or left out (``(args, kwargs)``) when the
        exercise's ``expected`` is a reference function to call with the same arguments.
    compare : how to compare each result (default: picked by the type of the expected result).

    A function that raises is "incorrect", with the exception shown; arguments are copied, so a
    function that changes its input cannot spoil the next case.

    Examples
    --------
    >>> fc = FunctionCheck(cases=[((2, 3), {}, 5), ((0, 0), {}, 0)], name="add")
    >>> fc(lambda a, b: a + b, None)
    (True, 'all 2 test cases pass.')
    >>> fc(lambda a, b: a * b, None)
    (False, 'add(2, 3) should return 5, returned 6 (too large by 1).')
    >>> fc(lambda a, b: a / b - a / b + a + b, None)[1]
    'add(0, 0) raised ZeroDivisionError: division by zero'
    """

    def __init__(
        self,
        cases: Sequence[tuple] | Callable[[], Sequence[tuple]],
        compare: Compare | None = None,
        *,
        name: str | None = None,
    ) -> None:
        self.cases = cases
        self.compare = compare
        self.name = name
        self._resolved: list[tuple[tuple, dict, Any]] | None = None

    def _resolve(self, reference: Any) -> list[tuple[tuple, dict, Any]]:
        if self._resolved is not None:
            return self._resolved
        raw = self.cases() if callable(self.cases) else self.cases
        out = []
        for i, case in enumerate(raw):
            if not isinstance(case, tuple) or len(case) not in (2, 3):
                raise CdcourseError(f"FunctionCheck case {i} must be (args, kwargs, expected) or (args, expected); got {case!r}")
            if len(case) == 3:
                args, kwargs, exp = case
            elif isinstance(case[1], dict) and callable(reference):
                args, kwargs, exp = case[0], case[1], _FROM_REFERENCE
            else:
                args, kwargs, exp = case[0], {}, case[1]
            args = args if isinstance(args, tuple) else (args,)
            if exp is _FROM_REFERENCE:
                if not callable(reference):
                    raise CdcourseError(f"FunctionCheck case {i} has no expected value and the exercise has no reference function")
                exp = reference(*copy.deepcopy(args), **copy.deepcopy(kwargs))
            elif callable(exp) and not isinstance(exp, (pd.DataFrame, pd.Series)):
                exp = exp()
            out.append((args, dict(kwargs), exp))
        self._resolved = out
        return out

    def __call__(self, answer: Any, expected: Any) -> tuple[bool, str]:
        if not callable(answer) or isinstance(answer, type):
            return False, f"expected a function, found {_type_name(answer)}: {_short(answer)}. Pass the function itself, without ()."
        cases = self._resolve(expected)
        fname = self.name or getattr(answer, "__name__", "")
        if not fname or fname == "<lambda>":
            fname = "your function"
        for args, kwargs, exp in cases:
            call = _call_text(fname, args, kwargs)
            try:
                got = answer(*copy.deepcopy(args), **copy.deepcopy(kwargs))
            except Exception as err:  # noqa: BLE001 - a learner's function may fail in any way
                return False, f"{call} raised {type(err).__name__}: {err}"
            ok, msg = (self.compare or auto_compare(exp))(got, exp)
            if not ok:
                if _is_scalar_answer(exp):
                    return False, f"{call} should return {_short(exp)}, returned {_short(got)}{_tail(msg)}"
                return False, f"{call} returned a wrong result: {msg}"
        return True, f"all {len(cases)} test case{'s' if len(cases) != 1 else ''} pass."


def _is_scalar_answer(value: Any) -> bool:
    return value is None or isinstance(value, (str, bool, np.bool_)) or _is_number(value)


def _tail(msg: str) -> str:
    """The useful part of a comparison message, for appending to a function-case message."""
    m = re.search(r"\((too (?:large|small) by [^)]*)\)", msg)
    if m:
        return f" ({m.group(1)})."
    if msg.startswith("expected ") and "\n" not in msg:
        return "."
    return f": {msg}"


def _arg_text(value: Any) -> str:
    if isinstance(value, pd.DataFrame):
        return f"<DataFrame, {_n(len(value), 'row')}>"
    if isinstance(value, pd.Series):
        return f"<Series, {_n(len(value), 'value')}>"
    if isinstance(value, np.ndarray):
        return f"<array of shape {value.shape}>"
    return _short(value, 30)


def _call_text(fname: str, args: tuple, kwargs: dict) -> str:
    parts = [_arg_text(a) for a in args] + [f"{k}={_arg_text(v)}" for k, v in kwargs.items()]
    return f"{fname}({', '.join(parts)})"


# --------------------------------------------------------------------------- the exercise

_UNSET = object()


class Exercise:
    """One self-check exercise: ``check(answer)``, ``hint(n)``, ``solution()``.

    Parameters
    ----------
    name : short id shown in messages, for example "q1".
    prompt : the question, shown by ``repr(q1)`` and ``q1.prompt``.
    expected : the right answer, or a zero-argument callable computing it from ``cdcourse``
        (called on the first check, then cached, so importing a lesson module loads no data).
        With :class:`FunctionCheck`, a reference function (not called by itself).
    compare : :class:`NumberCheck`, :class:`TextCheck`, ... or any callable
        ``(answer, expected) -> (ok, message)``; default picked by the type of ``expected``.
    hints : hint texts, from gentle to nearly the answer; ``hint(n)`` shows hint ``n``.
    solution : code of a worked solution, shown by ``solution()``.
    explanation : why the answer is what it is; shown with a correct result and the solution.
    mistakes : known wrong answers, each ``(value, message)``; ``value`` may be a zero-argument
        callable (computed on first use, e.g. the unweighted estimate). When a wrong answer matches
        one under the exercise's comparison, its message is added to the result, so the learner
        reads what they most likely did, not only that it is wrong.

    Examples
    --------
    >>> q = Exercise("q2", "How many regions does Lumeria have?", expected=4,
    ...              hints=["Look at the column region_code."], solution="population['region_code'].nunique()")
    >>> print(q.check("4"))
    ✗ Incorrect (q2): expected a number (4), found the text '4': remove the quotes. Need help? q2.hint()
    >>> print(q.hint(2))
    💡 Hint 1 of 1 (q2): There is no hint 2: q2 has 1 hint, and this is the last one. `q2.solution()` shows a worked answer.
    Look at the column region_code.
    """

    def __init__(
        self,
        name: str,
        prompt: str,
        expected: Any = None,
        compare: Compare | None = None,
        hints: Sequence[str] = (),
        solution: str | None = None,
        *,
        explanation: str = "",
        mistakes: Sequence[tuple[Any, str]] = (),
    ) -> None:
        if not isinstance(name, str) or not name:
            raise CdcourseError(f"name must be a non-empty text such as 'q1'; got {name!r}")
        if isinstance(hints, str):
            hints = [hints]
        mistakes = list(mistakes)
        for m in mistakes:
            if not (isinstance(m, tuple) and len(m) == 2 and isinstance(m[1], str) and m[1].strip()):
                raise CdcourseError(f"mistakes must be a list of (wrong answer, message) pairs; got {m!r}")
        self.mistakes = mistakes
        self._mistake_values: dict[int, Any] = {}
        self.name = name
        self.prompt = prompt
        self._expected_source = expected
        self._expected: Any = _UNSET
        self.compare = compare
        self.hints = list(hints)
        self._solution = solution
        self.explanation = explanation

    # -- expected answer, lazily
    @property
    def expected(self) -> Any:
        """The expected answer, computed on first use and cached."""
        if self._expected is _UNSET:
            src = self._expected_source
            if isinstance(self.compare, FunctionCheck) or not callable(src) or isinstance(src, (pd.DataFrame, pd.Series)):
                value = src
            else:
                try:
                    value = src()
                except Exception as err:
                    raise CdcourseError(
                        f"could not compute the expected answer of exercise {self.name!r}: "
                        f"{type(err).__name__}: {err}"
                    ) from err
            self._expected = value
        return self._expected

    def reset(self) -> None:
        """Forget the cached expected answer (for example after the datasets changed)."""
        self._expected = _UNSET
        self._mistake_values = {}

    def _mistake(self, answer: Any, compare: Compare) -> str:
        """The message of the first known mistake ``answer`` matches, or ""."""
        if isinstance(compare, FunctionCheck):
            return ""
        for i, (source, message) in enumerate(self.mistakes):
            if i not in self._mistake_values:
                try:
                    self._mistake_values[i] = (
                        source() if callable(source) and not isinstance(source, (pd.DataFrame, pd.Series)) else source
                    )
                except Exception:  # noqa: BLE001 - a hint that cannot be computed is left out, never raised
                    self._mistake_values[i] = _UNSET
            value = self._mistake_values[i]
            if value is _UNSET:
                continue
            try:
                matches, _ = compare(answer, value)
            except Exception:  # noqa: BLE001
                matches = False
            if matches:
                text = message.strip()
                return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
        return ""

    # -- learner-facing
    def check(self, answer: Any = _UNSET) -> CheckResult:
        """Compare ``answer`` with the expected answer; never raises because of ``answer``."""
        if answer is _UNSET:
            return CheckResult(
                NOT_ATTEMPTED, f"pass your answer to the check, for example {self.name}.check(answer).", self.name
            )
        if is_not_attempted(answer):
            stuck = f" Stuck? {self.name}.hint() gives a hint." if self.hints else ""
            if isinstance(answer, types.FunctionType):
                todo = f"write the body of {answer.__name__}() (it is still empty), then run the check again."
            else:
                shown = "..." if answer is Ellipsis else _short(answer)
                todo = f"replace the placeholder ({shown}) with your answer, then run the check again."
            return CheckResult(NOT_ATTEMPTED, todo + stuck, self.name)
        expected = self.expected
        compare = self.compare or auto_compare(expected)
        try:
            ok, message = compare(answer, expected)
        except Exception as err:  # noqa: BLE001 - a learner's answer must never crash the check
            ok, message = False, f"your answer could not be compared ({type(err).__name__}: {err}); found {_type_name(answer)}."
        summary, _, details = str(message).partition("\n")
        if ok:
            text = summary or "your answer is right."
            if self.explanation:
                text = f"{text} {self.explanation}"
            return CheckResult(CORRECT, text, self.name, details)
        known = self._mistake(answer, compare) if self.mistakes else ""
        if known:
            summary = f"{summary} {known}" if summary else known
        if self.hints:
            summary = f"{summary} Need help? {self.name}.hint()"
        return CheckResult(INCORRECT, summary or "your answer does not match.", self.name, details)

    def hint(self, n: int = 1) -> Hint:
        """Hint number ``n`` (1 is the gentlest); asking beyond the last says so and repeats it."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise CdcourseError(f"hint number n must be a whole number >= 1; got {n!r}")
        total = len(self.hints)
        if total == 0:
            return Hint(self.name, 0, 0, "", f"{self.name} has no hints; `{self.name}.solution()` shows a worked answer.")
        if n > total:
            note = (
                f"There is no hint {n}: {self.name} has {total} hint{'s' if total > 1 else ''}, and this is the last one. "
                f"`{self.name}.solution()` shows a worked answer."
            )
            return Hint(self.name, total, total, self.hints[-1], note)
        return Hint(self.name, int(n), total, self.hints[n - 1])

    def solution(self) -> Solution:
        """The worked solution as code."""
        if not self._solution:
            return Solution(self.name, "# No worked solution is provided for this exercise.", self.explanation)
        return Solution(self.name, self._solution.strip("\n"), self.explanation)

    def __repr__(self) -> str:
        return f"Exercise {self.name}: {self.prompt}"

    def _repr_html_(self) -> str:
        return (
            f"<div style='{_BOX.format(border='#0072b2')}'><strong>Exercise {html.escape(self.name)}</strong>: "
            f"{_inline_code(self.prompt)}<br><small>Check with <code>{html.escape(self.name)}.check(answer)</code>; "
            f"<code>{html.escape(self.name)}.hint()</code> for a hint, <code>{html.escape(self.name)}.solution()</code> for the answer.</small></div>"
        )
