"""``cdcourse grade release``, ``feedback`` and ``export``: nbgrader's steps, checked before anything reaches a learner.

- :func:`release` runs nbgrader's ``generate_assignment`` (and, with a JupyterHub exchange, ``release_assignment``)
  and then reads the released notebooks back: a solution line or a hidden-test line in them stops the release.
- :func:`feedback` runs nbgrader's ``generate_feedback`` per learner and reads every page back: a page that shows a
  hidden-test line (a learner can print one from their own code) is withheld and reported, never handed out.
- :func:`export` writes nbgrader's grade table (the columns of ``nbgrader export``) as a properly quoted CSV.
"""
from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import nbformat

from cdcourse.errors import CdcourseError
from cdcourse.grading._env import nbgrader_environment
from cdcourse.grading.cohort import Cohort
from cdcourse.grading.leaks import find_leaks, page_text, secret_lines
from cdcourse.grading.report import StepReport


def _nbgrader_failed(step: str, outcome: dict) -> CdcourseError:
    text = (outcome.get("error") or outcome.get("log") or "").strip().splitlines()
    detail = next((line for line in reversed(text) if line.strip() and not line.startswith(" ")), "unknown error")
    return CdcourseError(f"nbgrader {step} failed: {detail}")


def _notebook_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts += [out.get("text", "")] + list(out.get("traceback", [])) + [str(v) for v in out.get("data", {}).values()]
    return "\n".join(parts)


# --------------------------------------------------------------------------------------------------
# release


def release(course: str | Path, assignment: str, *, duedate: str | None = None, progress: bool = False) -> StepReport:
    """Generate the learners' version of ``assignment`` and, with an exchange configured, release it there.

    Parameters
    ----------
    course : the cohort's course root.
    assignment : the assignment's name (a folder of ``source/``).
    duedate : due date and time (ISO, with a time zone: ``2025-03-07T17:00+01:00``); submissions stamped later
        are late (see exercises/README.md for penalties).
    progress : show a progress bar on standard error.
    """
    from tqdm import tqdm

    cohort = Cohort.open(course)
    source_dir = cohort.require_assignment(assignment)
    due = None
    if duedate:
        try:
            due = datetime.fromisoformat(duedate)
        except ValueError:
            raise CdcourseError(f"duedate {duedate!r} is not an ISO date-time such as 2025-03-07T17:00+01:00") from None
    steps = ["generate"] + (["exchange"] if cohort.exchange_root else [])
    notes: list[str] = []
    with nbgrader_environment(), tqdm(total=len(steps) + 1, desc=f"release {assignment}", unit="step",
                                      disable=not progress) as bar:
        api = cohort.api()
        outcome = api.generate_assignment(assignment, force=True, create=True)
        if not outcome.get("success"):
            raise _nbgrader_failed("generate_assignment", outcome)
        bar.update(1)
        if due is not None:
            with cohort.gradebook() as gb:
                gb.update_or_create_assignment(assignment, duedate=due)
            notes.append(f"due {due.isoformat()}")
        rows = []
        for path in sorted(source_dir.glob("*.ipynb")):
            source = nbformat.read(path, as_version=4)
            released = cohort.root / "release" / assignment / path.name
            if not released.is_file():
                raise CdcourseError(f"nbgrader did not release {path.name}; expected {released}")
            leaks = find_leaks(secret_lines(source, solutions=True), _notebook_text(nbformat.read(released, as_version=4)))
            if leaks:
                raise CdcourseError(f"the release of {path.name} shows {len(leaks)} solution or hidden-test line(s), "
                                    f"e.g. {leaks[0]!r}; fix the source notebook's delimiters "
                                    "(exercises/AUTHORING.md) and release again")
            meta = [c.metadata.get("nbgrader", {}) for c in source.cells]
            tests = [m for m in meta if m.get("grade") and not m.get("solution")]
            manual = [m for m in meta if m.get("task") or (m.get("grade") and m.get("solution"))]
            hidden = sum(1 for c in source.cells if "BEGIN HIDDEN TESTS" in c.source)
            rows.append({"notebook": path.name, "test cells": len(tests),
                         "autograded points": sum(float(m.get("points", 0)) for m in tests),
                         "hidden-test cells": hidden,
                         "manual points": sum(float(m.get("points", 0)) for m in manual),
                         "released to": str(released.parent)})
        bar.update(1)
        if cohort.exchange_root:
            outcome = api.release_assignment(assignment)
            if not outcome.get("success"):
                raise _nbgrader_failed("release_assignment", outcome)
            notes.append(f"released to the exchange {cohort.exchange_root} (course {cohort.course_id})")
            bar.update(1)
    notes.append("checked: the release holds no solution line and no hidden-test line")
    if cohort.exchange_root:
        notes.append(f"next: learners fetch it in JupyterHub (Assignments tab); then 'cdcourse grade collect {assignment}'")
    else:
        notes.append(f"next: hand out {cohort.root / 'release' / assignment} (e.g. upload it to your learning "
                     f"platform); then 'cdcourse grade collect {assignment} --zip FILE'")
    return StepReport(f"release {assignment}", ("notebook", "test cells", "autograded points", "hidden-test cells",
                                                "manual points", "released to"), tuple(rows), tuple(notes))


# --------------------------------------------------------------------------------------------------
# feedback


def feedback(course: str | Path, assignment: str, *, students: list[str] | None = None,
             progress: bool = False) -> StepReport:
    """Write feedback for every graded learner and check that no page shows a hidden test.

    A page with a hidden-test line is deleted and its learner reported as "withheld"; with an exchange
    configured, the other learners' feedback is released to it.
    """
    from tqdm import tqdm

    cohort = Cohort.open(course)
    source_dir = cohort.require_assignment(assignment)
    secrets = {p.stem: secret_lines(nbformat.read(p, as_version=4)) for p in source_dir.glob("*.ipynb")}
    graded = sorted(p.parent.name for p in (cohort.root / "autograded").glob(f"*/{assignment}") if p.is_dir())
    if students:
        graded = [s for s in graded if s in set(students)]
    rows, withheld = [], 0
    with nbgrader_environment():
        scores = _scores(cohort, assignment)
        graded = [s for s in graded if s in scores]
        api = cohort.api()
        for student in tqdm(graded, desc=f"feedback {assignment}", unit="learner", disable=not progress):
            row = {"learner": student, "score": scores.get(student, ""), "status": "written", "notes": []}
            outcome = api.generate_feedback(assignment, student, force=True)
            pages = sorted((cohort.root / "feedback" / student / assignment).glob("*.html"))
            if not outcome.get("success") or not pages:
                row["status"] = "failed"
                row["notes"].append(str(_nbgrader_failed("generate_feedback", outcome)))
                rows.append(row)
                continue
            for page in pages:
                leaks = find_leaks(secrets.get(page.stem, []), page_text(page.read_text(encoding="utf-8")))
                if leaks:
                    page.unlink()
                    row["status"] = "withheld"
                    row["notes"].append(f"{page.name} showed {len(leaks)} hidden-test line(s) (e.g. {leaks[0]!r}), "
                                        "probably printed by the learner's own code; page deleted, not handed out")
            if row["status"] == "withheld":
                withheld += 1
            elif cohort.exchange_root:
                outcome = api.release_feedback(assignment, student)
                if outcome and not outcome.get("success"):
                    row["notes"].append(str(_nbgrader_failed("release_feedback", outcome)))
                else:
                    row["notes"].append("released to the exchange")
            row["pages"] = len([p for p in pages if p.exists()])
            rows.append(row)
    notes = [f"{len(rows) - withheld} learner(s) have feedback in {cohort.root / 'feedback'}; every page was "
             "checked for hidden-test lines"]
    if withheld:
        notes.append(f"{withheld} learner(s) withheld: read their graded notebook, then write feedback by hand")
    return StepReport(f"feedback {assignment}", ("learner", "score", "status", "pages", "notes"), tuple(rows),
                      tuple(notes), ok=not withheld and all(r["status"] != "failed" for r in rows))


def _scores(cohort: Cohort, assignment: str) -> dict[str, str]:
    from nbgrader.api import MissingEntry

    with cohort.gradebook() as gb:
        try:
            subs = gb.find_assignment(assignment).submissions
        except MissingEntry:
            return {}
        return {s.student.id: f"{s.score:g} / {s.max_score:g}" + (" + manual" if s.needs_manual_grade else "")
                for s in subs}


# --------------------------------------------------------------------------------------------------
# export


def _csv_plugin():
    from nbgrader.plugins.export import CsvExportPlugin

    class QuotedCsvExportPlugin(CsvExportPlugin):
        """nbgrader's CSV export with quoting (its own writes names with commas unquoted) and one more column,
        ``needs_manual_grade``. Usable as ``nbgrader export --exporter=...`` too."""

        def export(self, gradebook) -> None:
            from nbgrader.api import MissingEntry

            keys = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                    "raw_score", "late_submission_penalty", "score", "max_score", "needs_manual_grade"]
            with open(self.to or "grades.csv", "w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(keys)
                for assignment in gradebook.assignments:
                    if self.assignment and assignment.name not in self.assignment:
                        continue
                    for student in gradebook.students:
                        if self.student and student.id not in self.student:
                            continue
                        row = {"assignment": assignment.name, "duedate": assignment.duedate, "student_id": student.id,
                               "last_name": student.last_name, "first_name": student.first_name,
                               "email": student.email, "max_score": assignment.max_score}
                        try:
                            sub = gradebook.find_submission(assignment.name, student.id)
                        except MissingEntry:
                            row.update(timestamp="", raw_score=0.0, late_submission_penalty=0.0, score=0.0,
                                       needs_manual_grade="")
                        else:
                            penalty = sub.late_submission_penalty or 0.0
                            row.update(timestamp=sub.timestamp, raw_score=sub.score, late_submission_penalty=penalty,
                                       score=max(0.0, sub.score - penalty), needs_manual_grade=sub.needs_manual_grade)
                        writer.writerow(["" if row[k] is None else row[k] for k in keys])

    return QuotedCsvExportPlugin


def export(course: str | Path, out: str | Path, *, assignments: list[str] | None = None,
           progress: bool = False) -> StepReport:
    """Write every learner's grade for every released assignment (or ``assignments``) to the CSV ``out``.

    Columns as ``nbgrader export`` (assignment, duedate, timestamp, student_id, last_name, first_name, email,
    raw_score, late_submission_penalty, score, max_score) plus needs_manual_grade. A learner without a
    submission scores 0, as in nbgrader.
    """
    from tqdm import tqdm

    cohort = Cohort.open(course)
    for name in assignments or []:
        cohort.require_assignment(name)
    out = Path(out)
    if out.parent and not out.parent.exists():
        raise CdcourseError(f"folder {str(out.parent)!r} of --out does not exist")
    with nbgrader_environment(), tqdm(total=1, desc="export", unit="table", disable=not progress) as bar:
        plugin = _csv_plugin()(to=str(out), assignment=list(assignments or []))
        with cohort.gradebook() as gb:
            plugin.export(gb)
        bar.update(1)
    rows = []
    with nbgrader_environment(), cohort.gradebook() as gb:
        learners = len(gb.students)
        for item in gb.assignments:
            if assignments and item.name not in assignments:
                continue
            subs = item.submissions
            scores = [max(0.0, s.score - (s.late_submission_penalty or 0.0)) for s in subs]
            rows.append({"assignment": item.name, "learners": learners, "submitted": len(subs),
                         "mean score": round(sum(scores) / len(scores), 2) if scores else "",
                         "max score": item.max_score,
                         "to grade by hand": sum(1 for s in subs if s.needs_manual_grade)})
    with open(out, newline="", encoding="utf-8") as handle:
        written = sum(1 for _ in csv.DictReader(handle))
    notes = [f"{written} row(s) written to {out}"]
    if any(r["to grade by hand"] for r in rows):
        notes.append("some scores still lack the points of written answers: grade them in the formgrader, then "
                     "export again")
    return StepReport("export", ("assignment", "learners", "submitted", "mean score", "max score",
                                 "to grade by hand"), tuple(rows), tuple(notes))
