"""The graded assignments keep the promises of DESIGN.md, checked by a real nbgrader round trip.

Which assignments
    Every ``exercises/source/<name>/`` folder with a notebook (the course's four: sampling, cleaning,
    anonymization, quality) and the fixture ``tests/fixtures/course/source/fixture_weights/``, which proves
    the harness on a small real assignment with inline data. A new assignment plugs in by adding
    ``exercises/source/<name>/<name>.ipynb`` with nbgrader cell metadata (see ``exercises/AUTHORING.md``);
    nothing here changes. Run one assignment alone with ``pytest tests/test_assignments.py -k <name>``.

What is checked
    Fast, on the source notebook: valid nbgrader metadata (schema version 3, unique ``grade_id``, points on
    graded cells), the python3 kernel, visible and hidden tests, partial credit (two or more autograded test
    cells), at most one manually graded written answer.

    Slow (marked ``nbgrader`` and ``slow``), in a temporary copy of the course root with
    ``exercises/nbgrader_config.py``: the release holds no solution line and no hidden-test line; the model
    solutions, submitted as one learner, score every autograded point; the unanswered release, submitted as
    another, scores zero autograded points; the feedback HTML holds no hidden-test line. Points of manually
    graded answers are excluded from both scores.

How
    One round trip per assignment (``tests/harness/nbgrader_roundtrip.py``), shared by that assignment's
    checks through a module-scoped fixture. An ``xdist_group`` mark asks pytest-xdist to keep them on one
    worker; where that is ignored (pytest 9.2, pytest-xdist#1386) the other workers wait for the first one's
    round trip under a file lock and reuse it, so each assignment is still graded once per session.
"""
from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import nbformat
import pytest

from harness.nbgrader_roundtrip import (
    BLANK_LEARNER,
    HIDDEN_DELIMITERS,
    SOLUTION_LEARNER,
    Assignment,
    autograded_test_points,
    discover_assignments,
    html_text,
    leaked,
    manually_graded_points,
    nbgrader_meta,
    notebook_text,
    shared_round_trip,
    secret_lines,
)

REPO = Path(__file__).resolve().parents[1]
COURSE_ROOT = REPO / "exercises"
FIXTURE_ROOT = REPO / "tests" / "fixtures" / "course"
CONFIG = COURSE_ROOT / "nbgrader_config.py"
AUTHORING = "exercises/AUTHORING.md"

ASSIGNMENTS = discover_assignments(COURSE_ROOT, FIXTURE_ROOT)


def _where(a: Assignment) -> str:
    return str(a.source_dir.relative_to(REPO))


def _params(*marks):
    return [
        pytest.param(a, id=a.name, marks=[pytest.mark.xdist_group(f"nbgrader-{a.name}"), *marks])
        for a in ASSIGNMENTS
    ]


def _notebooks(a: Assignment) -> dict[str, nbformat.NotebookNode]:
    return {p.name: nbformat.read(p, as_version=4) for p in a.notebooks}


def test_the_fixture_assignment_is_found():
    names = [a.name for a in ASSIGNMENTS]
    assert "fixture_weights" in names, f"the harness fixture is missing from the discovered assignments {names}"
    assert len(names) == len(set(names)), f"two assignments share a name: {sorted(names)}"


# --------------------------------------------------------------------------------------------------
# fast checks on the source notebooks


@pytest.mark.parametrize("assignment", _params())
def test_source_notebook_has_valid_nbgrader_metadata(assignment):
    from nbgrader.nbgraderformat import MetadataValidator, ValidationError

    validator = MetadataValidator()
    for name, nb in _notebooks(assignment).items():
        where = f"{_where(assignment)}/{name}"
        for index, cell in enumerate(nb.cells):
            meta = nbgrader_meta(cell)
            if not meta:
                continue
            assert meta.get("schema_version") == 3, (
                f"{where} cell {index}: nbgrader metadata has schema_version {meta.get('schema_version')!r}; "
                f"write schema_version 3 (see {AUTHORING})"
            )
            try:
                validator.validate_cell(cell)
            except ValidationError as exc:
                pytest.fail(f"{where} cell {index}: invalid nbgrader metadata: {exc} (see {AUTHORING})")
        ids = Counter(m["grade_id"] for c in nb.cells if (m := nbgrader_meta(c)).get("grade_id"))
        repeated = sorted(i for i, n in ids.items() if n > 1)
        assert not repeated, f"{where}: grade_id used by more than one cell: {repeated}; each must be unique"
        kernel = nb.metadata.get("kernelspec", {}).get("name")
        assert kernel == "python3", (
            f"{where}: kernelspec is {kernel!r}; set metadata.kernelspec.name to 'python3' so grading uses "
            "the course's Python kernel"
        )


@pytest.mark.parametrize("assignment", _params())
def test_assignment_mixes_visible_tests_hidden_tests_and_partial_credit(assignment):
    notebooks = _notebooks(assignment)
    tests = {gid: pts for nb in notebooks.values() for gid, pts in autograded_test_points(nb).items()}
    assert len(tests) >= 2, (
        f"{_where(assignment)} has {len(tests)} autograded test cell(s) {sorted(tests)}; split the work into at "
        "least two separately graded test cells so partial credit is possible"
    )
    hidden = [gid for nb in notebooks.values() for c in nb.cells
              if HIDDEN_DELIMITERS[0] in c.source and (gid := nbgrader_meta(c).get("grade_id"))]
    assert hidden, (
        f"{_where(assignment)} has no hidden tests; add '### BEGIN HIDDEN TESTS' / '### END HIDDEN TESTS' "
        "to at least one autograded test cell"
    )
    visible = [gid for nb in notebooks.values() for c in nb.cells
               if (gid := nbgrader_meta(c).get("grade_id")) in tests
               and any(l.strip().startswith("assert") for l in c.source.split(HIDDEN_DELIMITERS[0])[0].splitlines())]
    assert visible, f"{_where(assignment)} has no visible assert in any test cell; learners need one to check their work"


@pytest.mark.parametrize("assignment", _params())
def test_assignment_has_at_most_one_manually_graded_answer(assignment):
    manual = {gid for nb in _notebooks(assignment).values() for gid in manually_graded_points(nb)}
    assert len(manual) <= 1, (
        f"{_where(assignment)} has {len(manual)} manually graded cells {sorted(manual)}; DESIGN.md allows at most "
        "one written answer per assignment"
    )


# --------------------------------------------------------------------------------------------------
# the round trip


@pytest.fixture(scope="module", params=_params(pytest.mark.nbgrader, pytest.mark.slow))
def trip(request, tmp_path_factory):
    assignment: Assignment = request.param
    base = tmp_path_factory.getbasetemp()
    # under pytest-xdist each worker has its own basetemp inside the session's folder; share that folder
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return shared_round_trip(assignment, shared, CONFIG)


def _per_notebook(trip):
    for stem, source in trip.source.items():
        yield stem, source, secret_lines(source)


def test_release_contains_every_notebook_and_graded_cell(trip):
    for stem, source, _ in _per_notebook(trip):
        assert stem in trip.release, f"nbgrader did not release {stem}.ipynb; released: {sorted(trip.release)}"
        released_ids = {nbgrader_meta(c).get("grade_id") for c in trip.release[stem].cells}
        missing = sorted(set(autograded_test_points(source)) - released_ids)
        assert not missing, f"{stem}.ipynb: the release lost the test cells {missing}"


def test_release_contains_no_solution_code(trip):
    for stem, _, secrets in _per_notebook(trip):
        found = leaked(secrets.solution, notebook_text(trip.release[stem]))
        assert not found, (
            f"the release of {stem}.ipynb shows solution lines: {found}. Put every solution line between "
            "'### BEGIN SOLUTION' and '### END SOLUTION' in a cell whose nbgrader metadata has solution: true "
            f"(release at {trip.root / 'release' / trip.assignment.name})"
        )


def test_release_contains_no_hidden_test(trip):
    for stem, _, secrets in _per_notebook(trip):
        found = leaked(secrets.hidden, notebook_text(trip.release[stem]))
        assert not found, (
            f"the release of {stem}.ipynb shows hidden-test lines: {found}. Keep hidden tests between "
            "'### BEGIN HIDDEN TESTS' and '### END HIDDEN TESTS' in an autograded test cell, and do not repeat "
            "them in a visible cell"
        )


def _autograded_scores(trip, learner, stem, source):
    wanted = autograded_test_points(source)
    got = trip.scores[learner][stem]
    missing = sorted(set(wanted) - set(got))
    assert not missing, f"{stem}.ipynb: the gradebook has no grade for the test cells {missing} of {learner}"
    return {gid: got[gid] for gid in wanted}


def test_source_solutions_score_every_autograded_point(trip):
    for stem, source, _ in _per_notebook(trip):
        scores = _autograded_scores(trip, SOLUTION_LEARNER, stem, source)
        short = {gid: f"{auto} of {top}" for gid, (auto, top) in scores.items() if auto != top}
        total = sum(a or 0 for a, _ in scores.values())
        top = sum(m for _, m in scores.values())
        assert not short, (
            f"the model solutions of {stem}.ipynb score {total} of {top} autograded points; short in {short}. "
            "Run the source notebook top to bottom: a test fails on the solution, writes to stderr (a warning "
            "counts), or ends with a number (read as partial credit). Graded notebook: "
            f"{trip.root / 'autograded' / SOLUTION_LEARNER / trip.assignment.name / (stem + '.ipynb')}"
        )
        assert top > 0, f"{stem}.ipynb has no autograded points"


def test_unanswered_release_scores_zero_autograded_points(trip):
    for stem, source, _ in _per_notebook(trip):
        scores = _autograded_scores(trip, BLANK_LEARNER, stem, source)
        given = {gid: auto for gid, (auto, _) in scores.items() if auto}
        assert not given, (
            f"the unanswered release of {stem}.ipynb earns points in {given}: those test cells pass without an "
            f"answer. Make every assert depend on the learner's answer (see {AUTHORING})"
        )


def test_hidden_tests_run_during_grading(trip):
    # The feedback check below only means something if the graded notebook really holds the hidden tests
    # (nbgrader restores them before grading): here they must be present.
    for stem, _, secrets in _per_notebook(trip):
        graded = trip.root / "autograded" / SOLUTION_LEARNER / trip.assignment.name / f"{stem}.ipynb"
        text = notebook_text(nbformat.read(graded, as_version=4))
        assert len(leaked(secrets.hidden, text)) == len(secrets.hidden), (
            f"the graded {stem}.ipynb lacks some hidden tests, so they did not count towards the grade"
        )


def test_feedback_contains_no_hidden_test(trip):
    for learner in (SOLUTION_LEARNER, BLANK_LEARNER):
        for stem, _, secrets in _per_notebook(trip):
            page = trip.feedback[learner].get(stem)
            assert page is not None, f"no feedback for {learner} on {stem}.ipynb; found {sorted(trip.feedback[learner])}"
            found = leaked(secrets.hidden, html_text(page))
            assert not found, (
                f"the feedback for {learner} on {stem}.ipynb shows hidden-test lines: {found}. Check that "
                "exercises/nbgrader_config.py sets GenerateFeedback.preprocessors with HideHiddenTestsInFeedback "
                f"(feedback at {trip.root / 'feedback' / learner / trip.assignment.name})"
            )
