"""Find lines learners must never see (hidden tests, model solutions) in what they are given.

nbgrader removes hidden tests from the release, but puts them back into the graded notebook on purpose, and
a learner's own code runs next to them: a print of a test's source would end up in the feedback. So every
page of feedback is checked line by line against the source notebook before it is handed out.

A secret line is a line inside a ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS`` region (or a solution
region) that says something (not blank, not a comment, not a lone keyword or bracket) and that does not
also appear outside every secret region of the notebook (an import repeated in a visible cell is not a
secret).
"""
from __future__ import annotations

import html
import keyword
import re
from collections.abc import Iterable

HIDDEN = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
SOLUTION = ("BEGIN SOLUTION", "END SOLUTION")
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*|\d+")


def _squash(text: str) -> str:
    """Collapse whitespace so a line matches however it was re-indented or split into HTML spans."""
    return re.sub(r"\s+", " ", text).strip()


def says_something(line: str) -> bool:
    """Whether a line could give an answer or a test away.

    >>> [says_something(s) for s in ["assert f(2) == 4", "# note", "", ")", "else:", "x = 1"]]
    [True, False, False, False, False, True]
    """
    text = line.strip()
    if not text or text.startswith("#"):
        return False
    words = _WORD.findall(text)
    return len(words) > 1 or (len(words) == 1 and not keyword.iskeyword(words[0]))


def _split(source: str, delimiters: tuple[str, str]) -> tuple[list[str], list[str]]:
    """(lines inside the delimited regions, lines outside them); the delimiter lines belong to neither."""
    begin, end = delimiters
    inside, secret, public = False, [], []
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        else:
            (secret if inside else public).append(line)
    return secret, public


def _cells(nb) -> Iterable[tuple[dict, str]]:
    for cell in nb.get("cells", []):
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        yield cell.get("metadata", {}).get("nbgrader", {}) or {}, source


def secret_lines(nb, *, solutions: bool = False) -> list[str]:
    """The hidden-test lines of a source notebook (with ``solutions=True``, its solution lines too).

    >>> nb = {"cells": [{"source": "assert f(1) == 2\\n### BEGIN HIDDEN TESTS\\nassert f(5) == 10\\n"
    ...                            "### END HIDDEN TESTS", "metadata": {}}]}
    >>> secret_lines(nb)
    ['assert f(5) == 10']
    """
    secrets: list[str] = []
    public: set[str] = set()
    for meta, source in _cells(nb):
        secret, outside = _split(source, HIDDEN)
        if solutions and meta.get("solution"):
            if SOLUTION[0] in source:
                solved, outside = _split("\n".join(outside), SOLUTION)
                secret += solved
            else:  # an answer cell without delimiters is replaced as a whole in the release
                secret, outside = secret + outside, []
        public.update(_squash(line) for line in outside if says_something(line))
        secrets.extend(_squash(line) for line in secret if says_something(line))
    seen: set[str] = set()
    return [s for s in secrets if s not in public and not (s in seen or seen.add(s))]


def page_text(page: str) -> str:
    """The text a person reads on an HTML page: tags, styles and scripts removed, entities decoded."""
    page = re.sub(r"<(style|script)\b.*?</\1\s*>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", "", page)
    return html.unescape(page)


def find_leaks(secrets: Iterable[str], text: str) -> list[str]:
    """The secret lines that occur in ``text`` (whitespace-insensitive).

    >>> find_leaks(["assert f(5) == 10"], "<pre>assert   f(5) == 10</pre>")
    ['assert f(5) == 10']
    """
    flat = _squash(text)
    return [s for s in secrets if s in flat]
