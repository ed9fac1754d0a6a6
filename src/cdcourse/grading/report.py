"""The result of one grading step: a table with one row per learner (or file), and what needs attention."""
from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StepReport:
    """What a ``cdcourse grade`` step did.

    Attributes
    ----------
    step : the step, e.g. ``"autograde sampling"``.
    columns : the column names of ``rows``.
    rows : one dict per learner (or file), keyed by ``columns``.
    notes : lines for the instructor under the table (what to do next, what could not be done).
    ok : False when something needs the instructor (a submission that could not be graded, a withheld
        feedback page, an interrupted batch); the command then exits with code 1.
    """

    step: str
    columns: tuple[str, ...]
    rows: tuple[dict, ...] = ()
    notes: tuple[str, ...] = ()
    ok: bool = True
    details: dict = field(default_factory=dict, compare=False)

    def to_frame(self):
        """The rows as a pandas DataFrame (one column per entry of ``columns``)."""
        import pandas as pd

        return pd.DataFrame([{c: r.get(c, "") for c in self.columns} for r in self.rows], columns=list(self.columns))

    def column(self, name: str) -> dict:
        """``{first column value: value of column name}``, e.g. ``report.column("status")["s01"]``."""
        key = self.columns[0]
        return {r[key]: r.get(name) for r in self.rows}

    def table(self, max_width: int = 100) -> str:
        """The report as plain text: a title, an aligned table, then the notes.

        >>> print(StepReport("demo", ("learner", "status"), ({"learner": "s01", "status": "graded"},)).table())
        demo
        learner  status
        -------  ------
        s01      graded
        """
        cells = [[_text(r.get(c, ""), max_width) for c in self.columns] for r in self.rows]
        widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(self.columns)]
        lines = [self.step]
        if self.columns:
            lines.append("  ".join(c.ljust(w) for c, w in zip(self.columns, widths)).rstrip())
            lines.append("  ".join("-" * w for w in widths))
            lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
        lines += [f"* {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_text(r.get(c, ''), 10_000))}</td>" for c in self.columns) + "</tr>"
            for r in self.rows)
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        verdict = "done" if self.ok else "needs your attention"
        return (f"<div><strong>{html.escape(self.step)}</strong>: {verdict}<table><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>" + (f"<ul>{notes}</ul>" if notes else "") + "</div>")


def _text(value, max_width: int) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, (list, tuple)):
        text = "; ".join(str(v) for v in value)
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= max_width else text[: max_width - 1] + "…"
