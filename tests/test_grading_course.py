"""Broken submissions of a real course assignment are graded or reported, and never cost anyone else a grade.

The assignment is ``anonymization`` (the quickest of the four to grade; set ``CDCOURSE_GRADING_ASSIGNMENT`` to
try another). Expected scores are not worked by hand here; they come from two independent references:

- the maximum: the sum of the ``points`` of the source notebook's autograded test cells;
- a *control* learner whose first answer cell raises an exception before it defines anything. A cell that
  loops, hangs or kills its kernel must cost exactly what that exception costs (the cell's definitions are
  lost, every other answer still counts), so each must score what the control scores.

Built once per test run under a file lock, like tests/test_grading_workflow.py.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from fixtures.submissions import broken

REPO = Path(__file__).resolve().parents[1]
NAME = os.environ.get("CDCOURSE_GRADING_ASSIGNMENT", "anonymization")
NB = f"{NAME}.ipynb"
TIMEOUT = 15  # seconds per cell: the assignment's cells load datasets and anonymise them in a second or two
pytestmark = [pytest.mark.slow, pytest.mark.nbgrader, pytest.mark.xdist_group("grading-course")]

if not (REPO / "exercises" / "source" / NAME / NB).is_file():
    pytest.skip(f"the course assignment {NAME!r} is not in exercises/source yet", allow_module_level=True)

# learner -> how the submission is made (see tests/fixtures/submissions/broken.py)
CASES = {
    "solution": "answered",
    "blank": "release",
    "control": "answered+raise_first_answer",
    "loop": "answered+loop_first_answer",
    "hang": "answered+hang_first_answer",
    "exit": "answered+exit_first_answer",
    "kill": "answered+kill_first_answer",
    "memory": "answered+memory_after_first_answer",
    "flood": "answered+flood_after_first_answer",
    "deleted": "answered+delete_first_test",
    "dup_test": "answered+duplicate_first_test",
    "dup_answer": "answered+duplicate_first_answer",
    "edited": "release+edit_every_test",
    "markdown": "answered+first_test_to_markdown",
    "wrongname": "answered",
}
REGRADED = ["solution", "kill", "deleted", "dup_answer"]


@contextmanager
def _lock(path: Path):
    import fcntl

    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build(folder: Path) -> dict:
    from cdcourse.grading import autograde, feedback, init_cohort, release

    root = folder / "cohort"
    roster = folder / "roster.csv"
    roster.write_text("id,first_name,last_name,email\n" + "".join(f"{k},A,{k},\n" for k in [*CASES, "badjson"]))
    init_cohort(root, roster)
    release(root, NAME)
    source = nbformat.read(root / "source" / NAME / NB, as_version=4)
    released = nbformat.read(root / "release" / NAME / NB, as_version=4)
    for learner, kind in CASES.items():
        base, _, damage = kind.partition("+")
        nb = broken.answered(source, released) if base == "answered" else released
        nb = broken.damage(nb, damage) if damage else nb
        folder_ = root / "submitted" / learner / NAME
        folder_.mkdir(parents=True)
        nbformat.write(nb, folder_ / ("Untitled.ipynb" if learner == "wrongname" else NB))
    (root / "submitted" / "badjson" / NAME).mkdir(parents=True)
    (root / "submitted" / "badjson" / NAME / NB).write_text(broken.INVALID_JSON)
    first = autograde(root, NAME, jobs=2, timeout=TIMEOUT)
    again = autograde(root, NAME, jobs=2, timeout=TIMEOUT, force=True, students=REGRADED)
    pages = feedback(root, NAME)
    return {"root": str(root), "first": dataclasses.asdict(first), "again": dataclasses.asdict(again),
            "feedback": dataclasses.asdict(pages)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict:
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / f"grading-course-{NAME}"
    with _lock(shared / f"grading-course-{NAME}.lock"):
        done, failed = folder / "graded.json", folder / "failed.txt"
        if failed.exists():
            pytest.fail(f"grading the course cohort failed in another worker: {failed.read_text()}")
        if not done.exists():
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir()
            try:
                done.write_text(json.dumps(build(folder), default=str))
            except Exception as exc:
                failed.write_text(f"{type(exc).__name__}: {exc}")
                raise
        return json.loads(done.read_text())


def rows(graded: dict, step: str = "first") -> dict[str, dict]:
    return {r["learner"]: r for r in graded[step]["rows"]}


def points(graded: dict, learner: str, step: str = "first") -> float:
    return float(rows(graded, step)[learner]["score"].split("/")[0])


def autograded_maximum() -> float:
    source = nbformat.read(REPO / "exercises" / "source" / NAME / NB, as_version=4)
    return sum(float(broken.meta(c)["points"]) for c in source.cells if broken.is_test(c))


def test_every_submission_is_graded_except_the_broken_file(graded):
    statuses = {k: r["status"] for k, r in rows(graded).items()}
    assert statuses == {**{k: "graded" for k in CASES}, "badjson": "not graded"}
    assert "not valid JSON" in " ".join(rows(graded)["badjson"]["notes"])


def test_the_model_answers_score_every_autograded_point_and_the_blank_none(graded):
    assert points(graded, "solution") == autograded_maximum()
    assert points(graded, "blank") == 0


def test_a_failing_first_answer_costs_some_points_not_all(graded):
    assert 0 < points(graded, "control") < autograded_maximum()


@pytest.mark.parametrize("learner", ["loop", "hang", "exit", "kill"])
def test_a_looping_hanging_or_killed_answer_costs_what_an_exception_costs(graded, learner):
    assert points(graded, learner) == points(graded, "control"), rows(graded)[learner]
    assert rows(graded)[learner]["notes"], "the reason is reported"


@pytest.mark.parametrize("learner, words", [("memory", "MemoryError"), ("flood", "the rest was dropped")])
def test_a_memory_hog_or_an_output_flood_after_a_correct_answer_costs_nothing(graded, learner, words):
    assert points(graded, learner) == autograded_maximum(), rows(graded)[learner]
    assert words in " ".join(rows(graded)[learner]["notes"])


@pytest.mark.parametrize("learner", ["deleted", "dup_test", "dup_answer", "markdown", "wrongname"])
def test_structural_damage_does_not_change_a_correct_submissions_score(graded, learner):
    assert points(graded, learner) == autograded_maximum(), rows(graded)[learner]
    assert rows(graded)[learner]["notes"], "the repair is reported"


def test_editing_the_tests_earns_nothing(graded):
    assert points(graded, "edited") == 0


def test_grading_again_gives_the_same_grades(graded):
    for learner in REGRADED:
        assert rows(graded, "again")[learner]["status"] == "graded"
        assert rows(graded, "again")[learner]["score"] == rows(graded)[learner]["score"], learner


def test_the_gradebook_agrees_with_the_report(graded):
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(Path(graded["root"]) / "gradebook.db"), course_id="cdcourse") as gb:
        subs = {s.student.id: s for s in gb.find_assignment(NAME).submissions}
        assert set(subs) == set(CASES)
        for learner, sub in subs.items():
            autograded = sum(g.auto_score or 0 for nb in sub.notebooks for g in nb.grades)
            assert autograded == points(graded, learner), learner


def test_feedback_for_every_learner_shows_no_hidden_test(graded):
    from harness.nbgrader_roundtrip import html_text, leaked, secret_lines

    secrets = secret_lines(nbformat.read(REPO / "exercises" / "source" / NAME / NB, as_version=4)).hidden
    pages = sorted((Path(graded["root"]) / "feedback").glob(f"*/{NAME}/{NAME}.html"))
    assert {p.parent.parent.name for p in pages} == set(CASES)
    for page in pages:
        assert not leaked(secrets, html_text(page.read_text())), page
    assert graded["feedback"]["ok"]
