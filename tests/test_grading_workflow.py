"""A whole cohort cycle on the fixture assignment: init, release, collect, autograde (interrupted, resumed,
repeated, forced), sandbox, feedback, export, with every kind of broken submission in the batch.

The cycle runs once per test run (``cycle``): pytest-xdist 3.8 on pytest 9.2 ignores ``xdist_group``
(pytest-xdist#1386), so the first worker that needs it builds it under a file lock in the run's shared
folder and stores every step's report; other workers wait and read it. The tests only read.

Expected scores are worked by hand from the fixture (tests/fixtures/build_fixture.py): 2 points for
``weighted_mean`` (one test cell), 1 + 2 points for ``sample_size`` (two test cells), and a written answer
worth 2 points graded by a person (unanswered here, so it scores 0 and needs no grading). A learner who
answers like the model solution gets 5 autograded points; a cell that fails before ``weighted_mean`` is
defined costs its 2 points.
"""
from __future__ import annotations

import csv
import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest

from fixtures.submissions import broken

REPO = Path(__file__).resolve().parents[1]
FIXTURE_ROOT = REPO / "tests" / "fixtures" / "course"
NAME = "fixture_weights"
NB = f"{NAME}.ipynb"
TIMEOUT = 4  # seconds per cell: the fixture's cells take milliseconds
MEMORY_MB = 1536
pytestmark = [pytest.mark.slow, pytest.mark.nbgrader, pytest.mark.xdist_group("grading-fixture")]

# learner -> (how the submission is made, expected autograded points, words the notes must contain)
CASES = {
    "good": ("answered", 5, []),
    "blank": ("release", 0, []),
    "half": ("half", 2, []),
    "raises": ("answered+raise_first_answer", 3, []),
    "loop": ("answered+loop_first_answer", 3, ["weighted_mean", "time limit per cell"]),
    "hang": ("answered+hang_first_answer", 3, ["weighted_mean", "did not stop when interrupted", "kernel restarted"]),
    "exit": ("answered+exit_first_answer", 3, ["weighted_mean", "exited with code 3", "kernel restarted"]),
    "kill": ("answered+kill_first_answer", 3, ["weighted_mean", "SIGKILL", "kernel restarted"]),
    "memory": ("answered+memory_after_first_answer", 5, ["weighted_mean", "MemoryError"]),
    "flood": ("answered+flood_after_first_answer", 5, ["weighted_mean", "the rest was dropped", "time limit per cell"]),
    "deleted": ("answered+delete_first_test", 5, ["test_weighted_mean", "test cell was deleted"]),
    "deleted2": ("answered+delete_first_answer_and_test", 3, ["weighted_mean", "answer cell was deleted"]),
    "dup_test": ("answered+duplicate_first_test", 5, ["test_weighted_mean", "more than once"]),
    "dup_answer": ("answered+duplicate_first_answer", 5, ["weighted_mean", "more than once"]),
    "edited": ("release+edit_every_test", 0, ["locked cell that was edited"]),
    "nometa": ("answered+strip_first_test_metadata", 5, ["test cell was deleted"]),
    "renamed_id": ("release+rename_first_test", 0, ["unknown id 'my_own_cell'"]),
    "unlocked": ("answered+unlock_first_test", 5, ["nbgrader settings changed"]),
    "markdown": ("release+first_test_to_markdown", 0, ["markdown cell"]),
    "wrongname": ("answered", 5, []),  # sent as wrongname/Untitled.ipynb: renamed by collect
    "misnamed": ("answered", 5, ["wrong file name 'Untitled.ipynb'"]),  # put in submitted/ directly
    "snoop": ("snoop", 5, []),
    "probe": ("probe", 5, []),
    "resubmit": ("half", 2, []),
}
NOT_GRADED = {"badjson": "not valid JSON"}
# graded a second time with force=True (the damage that takes the most machinery), and in the sandbox
FORCED = ["good", "blank", "hang", "kill", "flood", "deleted2", "dup_answer"]
SANDBOXED = ["probe", "kill", "loop"]
ROSTER = sorted(set(CASES) - {"misnamed"}) + ["badjson", "absent"]


# --------------------------------------------------------------------------------------------------
# building the cycle once


@contextmanager
def _lock(path: Path):
    import fcntl

    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _release_nb(root: Path):
    return nbformat.read(root / "release" / NAME / NB, as_version=4)


def _source_nb(root: Path):
    return nbformat.read(root / "source" / NAME / NB, as_version=4)


SNOOP = ("def _show(info):\n    print(info.raw_cell)\n\n"
         "get_ipython().events.register('pre_run_cell', _show)  # prints every later cell, hidden tests too")


def _probe_code(root: Path, outside: Path, port: int) -> str:
    return f'''
import json as _json, os as _os, socket as _socket
_probe = {{}}
def _try(name, action):
    try:
        _probe[name] = "ok " + repr(action())[:40]
    except BaseException as exc:
        _probe[name] = "blocked " + type(exc).__name__
_try("read_source", lambda: open({str(root / "source" / NAME / NB)!r}).read(40))
_try("read_gradebook", lambda: open({str(root / "gradebook.db")!r}, "rb").read(16))
_try("read_grader_workspace", lambda: open("../../../../gradebook.db", "rb").read(16))
_try("read_instructor_file", lambda: open({str(outside / "secret.txt")!r}).read())
_try("write_course_root", lambda: open({str(root / "pwned.txt")!r}, "w").write("x"))
_try("write_outside", lambda: open({str(outside / "pwned.txt")!r}, "w").write("x"))
_try("write_own_folder", lambda: open("mine.txt", "w").write("x"))
_try("connect_host_service", lambda: _socket.create_connection(("127.0.0.1", {port}), timeout=3).close())
_try("read_environment_secret", lambda: _os.environ["CDCOURSE_PROBE_SECRET"])
_try("signal_instructor_process", lambda: _os.kill({os.getpid()}, 0))
print("PROBE " + _json.dumps(_probe))
'''


def _submission(kind: str, root: Path, extra: dict):
    source, release = _source_nb(root), _release_nb(root)
    base, _, damage = kind.partition("+")
    if base == "answered":
        nb = broken.answered(source, release)
    elif base == "release":
        nb = release
    elif base == "half":  # weighted_mean answered, sample_size left as released
        nb = broken.answered(source, release)
        nb.cells[[broken.grade_id(c) for c in nb.cells].index("sample_size")] = \
            release.cells[[broken.grade_id(c) for c in release.cells].index("sample_size")]
    elif base == "snoop":
        nb = broken.answered(source, release)
        nb.cells[broken.first_answer(nb)].source += "\n" + SNOOP
    elif base == "probe":
        nb = broken.answered(source, release)
        nb.cells[broken.first_answer(nb)].source += "\n" + _probe_code(root, extra["outside"], extra["port"])
    else:
        raise ValueError(kind)
    return broken.damage(nb, damage) if damage else nb


def _zip(root: Path, path: Path, extra: dict) -> None:
    def text(nb) -> str:
        return nbformat.writes(nb)

    with zipfile.ZipFile(path, "w") as archive:
        def put(name, data, when=(2025, 3, 1, 10, 0, 0)):
            archive.writestr(zipfile.ZipInfo(name, date_time=when), data)

        for learner, (kind, _, _) in CASES.items():
            if learner in ("misnamed", "good", "blank", "half", "wrongname"):
                continue
            put(f"{learner}/{NB}", text(_submission(kind, root, extra)))
        put(f"good/{NB}", text(_submission("answered", root, extra)))  # one folder per learner
        put("good/notes.txt", "my notes")  # not a notebook
        put(f"__MACOSX/good/._{NB}", "junk")  # skipped
        put(f"blank/{NB}", text(_submission("answered", root, extra)), when=(2025, 2, 27, 9, 0, 0))  # older
        put(f"blank_{NB}", text(_submission("release", root, extra)))  # id first in the file name; newer
        put(f"Half Learner_half_assignsubmission_file/{NAME} (1).ipynb", text(_submission("half", root, extra)))
        put("wrongname/Untitled.ipynb", text(_submission("answered", root, extra)))
        put(f"stranger/{NB}", text(_submission("answered", root, extra)))  # not on the roster
        put(f"badjson/{NB}", broken.INVALID_JSON)


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _ledger(root: Path) -> dict:
    path = root / ".cdcourse" / "autograde" / f"{NAME}.json"
    try:
        return json.loads(path.read_text())["learners"]
    except (OSError, ValueError, KeyError):
        return {}


def _interrupted_run(root: Path) -> dict:
    """Start the CLI, stop it with Ctrl-C (SIGINT) once two submissions are graded, return what it left."""
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    cmd = [sys.executable, "-m", "cdcourse.cli", "grade", "autograde", NAME, "--course", str(root), "--jobs", "2",
           "--timeout", str(TIMEOUT), "--memory-mb", str(MEMORY_MB)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 300
    family: set[int] = set()
    while len(_ledger(root)) < 2 and time.monotonic() < deadline and proc.poll() is None:
        family |= _descendants(proc.pid)
        time.sleep(0.2)
    family |= _descendants(proc.pid)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    time.sleep(2)  # kernels get SIGKILL from the batch; give the kernel a moment to reap them
    return {"returncode": proc.returncode, "stdout": out, "stderr": err[-3000:], "graded_before_stop": len(_ledger(root)),
            "left_running": sorted(p for p in family if _alive(p))}


def _report(step) -> dict:
    return dataclasses.asdict(step)


def _probe_result(root: Path) -> dict:
    nb = nbformat.read(root / "autograded" / "probe" / NAME / NB, as_version=4)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "")
            if "PROBE " in text:
                return json.loads(text.split("PROBE ", 1)[1].splitlines()[0])
    return {}


@contextmanager
def _timed(seconds: dict, step: str):
    start = time.perf_counter()
    yield
    seconds[step] = round(time.perf_counter() - start, 1)


def build_cycle(folder: Path) -> dict:
    from cdcourse.grading import autograde, collect_zip, export, feedback, init_cohort, release, sandbox_problem

    root = folder / "cohort"
    outside = folder / "instructor-files"
    outside.mkdir(parents=True)
    (outside / "secret.txt").write_text("the instructor's secret")
    roster = folder / "roster.csv"
    with open(roster, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "first_name", "last_name", "email"])
        for learner in ROSTER:
            last = "Owusu, Jr." if learner == "good" else learner.title()  # a comma, for the export
            writer.writerow([learner, "Ama", last, f"{learner}@example.org"])
    seconds: dict[str, float] = {}
    steps = {}
    with _timed(seconds, "init"):
        steps["init"] = _report(init_cohort(root, roster, source=FIXTURE_ROOT))
    with _timed(seconds, "release"):
        steps["release"] = _report(release(root, NAME))

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]
    threading.Thread(target=lambda: [server.accept()[0].close() for _ in iter(int, 1)], daemon=True).start()
    extra = {"outside": outside, "port": port}

    _zip(root, folder / "submissions.zip", extra)
    with _timed(seconds, "collect"):
        steps["collect"] = _report(collect_zip(root, NAME, folder / "submissions.zip"))
    misnamed = root / "submitted" / "misnamed" / NAME
    misnamed.mkdir(parents=True)
    nbformat.write(_submission("answered", root, extra), misnamed / "Untitled.ipynb")

    grade = dict(jobs=2, timeout=TIMEOUT, memory_mb=MEMORY_MB)
    os.environ["CDCOURSE_PROBE_SECRET"] = "instructor-token-123"
    try:
        with _timed(seconds, "interrupted"):
            interrupted = _interrupted_run(root)
        with _timed(seconds, "first"):
            steps["first"] = _report(autograde(root, NAME, **grade))
        probe_open = _probe_result(root)
        with _timed(seconds, "again"):
            steps["again"] = _report(autograde(root, NAME, **grade))
        nbformat.write(_submission("answered", root, extra), root / "submitted" / "resubmit" / NAME / NB)
        with _timed(seconds, "changed"):
            steps["changed"] = _report(autograde(root, NAME, **grade))
        with _timed(seconds, "forced"):
            steps["forced"] = _report(autograde(root, NAME, force=True, students=FORCED, **grade))
        problem = sandbox_problem()
        probe_sandboxed = {}
        if problem is None:
            with _timed(seconds, "sandboxed"):
                steps["sandboxed"] = _report(autograde(root, NAME, force=True, sandbox=True, students=SANDBOXED,
                                                       **grade))
            probe_sandboxed = _probe_result(root)
    finally:
        os.environ.pop("CDCOURSE_PROBE_SECRET", None)
        server.close()
    with _timed(seconds, "feedback"):
        steps["feedback"] = _report(feedback(root, NAME))
    with _timed(seconds, "export"):
        steps["export"] = _report(export(root, folder / "grades.csv"))
    return {"root": str(root), "outside": str(outside), "csv": str(folder / "grades.csv"), "steps": steps,
            "interrupted": interrupted, "probe_open": probe_open, "probe_sandboxed": probe_sandboxed,
            "sandbox_problem": problem, "seconds": seconds}


@dataclasses.dataclass
class Cycle:
    root: Path
    outside: Path
    csv: Path
    steps: dict
    interrupted: dict
    probe_open: dict
    probe_sandboxed: dict
    sandbox_problem: str | None
    seconds: dict

    def rows(self, step: str) -> dict[str, dict]:
        return {r["learner"]: r for r in self.steps[step]["rows"]}

    def points(self, step: str, learner: str) -> float:
        return float(self.rows(step)[learner]["score"].split("/")[0])

    def notes(self, step: str, learner: str) -> str:
        return " | ".join(self.rows(step)[learner]["notes"])


@pytest.fixture(scope="module")
def cycle(tmp_path_factory) -> Cycle:
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "grading-fixture-cycle"
    with _lock(shared / "grading-fixture-cycle.lock"):
        done, failed = folder / "cycle.json", folder / "failed.txt"
        if failed.exists():
            pytest.fail(f"building the cycle failed in another worker: {failed.read_text()}")
        if not done.exists():
            if folder.exists():
                shutil.rmtree(folder)
            folder.mkdir()
            try:
                data = build_cycle(folder)
            except Exception as exc:
                failed.write_text(f"{type(exc).__name__}: {exc}")
                raise
            done.write_text(json.dumps(data, default=str))
        data = json.loads(done.read_text())
    return Cycle(root=Path(data["root"]), outside=Path(data["outside"]), csv=Path(data["csv"]), steps=data["steps"],
                 interrupted=data["interrupted"], probe_open=data["probe_open"],
                 probe_sandboxed=data["probe_sandboxed"], sandbox_problem=data["sandbox_problem"],
                 seconds=data["seconds"])


def gradebook_scores(root: Path) -> dict[str, tuple[float, float, int]]:
    """learner -> (score, max score, number of submission rows), read with nbgrader's own API."""
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(root / "gradebook.db"), course_id="cdcourse") as gb:
        subs = gb.find_assignment(NAME).submissions
        counts: dict[str, int] = {}
        for s in subs:
            counts[s.student.id] = counts.get(s.student.id, 0) + 1
        return {s.student.id: (s.score, s.max_score, counts[s.student.id]) for s in subs}


# --------------------------------------------------------------------------------------------------
# init, release, collect


def test_init_puts_every_roster_learner_in_the_gradebook(cycle):
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(cycle.root / "gradebook.db"), course_id="cdcourse") as gb:
        ids = {s.id for s in gb.students}
        good = gb.find_student("good")
        assert (good.last_name, good.email) == ("Owusu, Jr.", "good@example.org")
    assert set(ROSTER) <= ids
    assert {r["status"] for r in cycle.steps["init"]["rows"]} == {"added"}


def test_init_writes_a_cohort_config_that_extends_the_kit_config(cycle):
    text = (cycle.root / "nbgrader_config.py").read_text()
    assert "load_subconfig" in text and "kit_nbgrader_config.py" in text
    assert (cycle.root / "kit_nbgrader_config.py").read_text() == (REPO / "exercises" / "nbgrader_config.py").read_text()


def test_release_reports_points_and_hidden_tests(cycle):
    (row,) = cycle.steps["release"]["rows"]
    assert (row["test cells"], row["autograded points"], row["hidden-test cells"], row["manual points"]) == (3, 5, 2, 2)
    assert (cycle.root / "release" / NAME / NB).is_file()


def test_collect_understands_folder_prefix_and_platform_layouts(cycle):
    rows = cycle.steps["collect"]["rows"]
    by = {(r["learner"], r["file"]): r for r in rows}
    assert by[("good", f"good/{NB}")]["status"] == "collected"
    assert by[("blank", f"blank_{NB}")]["status"] == "collected"
    half = by[("half", f"Half Learner_half_assignsubmission_file/{NAME} (1).ipynb")]
    assert half["status"] == "collected" and "saved as fixture_weights.ipynb" in half["notes"][0]
    for learner in ("good", "blank", "half", "wrongname"):
        assert (cycle.root / "submitted" / learner / NAME / NB).is_file(), learner
        assert (cycle.root / "submitted" / learner / NAME / "timestamp.txt").is_file(), learner


def test_collect_keeps_the_newest_of_two_files_for_one_notebook(cycle):
    older = [r for r in cycle.steps["collect"]["rows"] if r["file"] == f"blank/{NB}"]
    assert older and older[0]["status"] == "ignored" and "older than" in older[0]["notes"][0]
    collected = nbformat.read(cycle.root / "submitted" / "blank" / NAME / NB, as_version=4)
    assert collected == _release_nb(cycle.root)


def test_collect_reports_problems_without_stopping(cycle):
    rows = cycle.steps["collect"]["rows"]
    unknown = [r for r in rows if r["status"] == "unknown learner"]
    assert [r["file"] for r in unknown] == [f"stranger/{NB}"]
    assert "roster" in unknown[0]["notes"][0]
    assert not (cycle.root / "submitted" / "stranger").exists()
    wrong = next(r for r in rows if r["file"] == "wrongname/Untitled.ipynb")
    assert wrong["status"] == "collected" and "Untitled.ipynb" in wrong["notes"][0]
    invalid = next(r for r in rows if r["learner"] == "badjson")
    assert invalid["status"] == "collected, invalid" and "not valid JSON" in invalid["notes"][0]
    ignored = next(r for r in rows if r["file"] == "good/notes.txt")
    assert ignored["status"] == "ignored"
    assert any(r["learner"] == "absent" and r["status"] == "missing" for r in rows)
    assert not any("__MACOSX" in r["file"] for r in rows)
    assert cycle.steps["collect"]["ok"] is False  # problems are flagged to the instructor


# --------------------------------------------------------------------------------------------------
# autograde: every learner graded or reported, with the right score


@pytest.mark.parametrize("learner", sorted(CASES))
def test_each_submission_gets_the_score_worked_by_hand(cycle, learner):
    _, points, words = CASES[learner]
    row = cycle.rows("first")[learner]
    assert row["status"] in ("graded", "unchanged"), (learner, row)
    assert cycle.points("first", learner) == points, (learner, row)
    notes = cycle.notes("first", learner)
    for word in words:
        assert word in notes, f"{learner}: {word!r} not in the notes {notes!r}"


def test_a_broken_file_is_reported_with_its_reason_and_not_graded(cycle):
    for learner, reason in NOT_GRADED.items():
        row = cycle.rows("first")[learner]
        assert row["status"] == "not graded" and reason in cycle.notes("first", learner)
    assert "badjson" not in gradebook_scores(cycle.root)
    assert cycle.steps["first"]["ok"] is False


def test_the_gradebook_holds_exactly_one_grade_per_learner_matching_the_report(cycle):
    scores = gradebook_scores(cycle.root)
    assert set(scores) == set(CASES)
    last_grading = {learner: step for step in ("first", "changed", "forced", "sandboxed") if step in cycle.steps
                    for learner, row in cycle.rows(step).items() if row["status"] in ("graded", "unchanged")}
    for learner, (score, maximum, rows) in scores.items():
        assert rows == 1, learner
        assert maximum == 7.0
        assert score == cycle.points(last_grading[learner], learner), learner


def test_killed_and_stuck_kernels_leave_an_explaining_error_in_the_graded_notebook(cycle):
    for learner, text in (("kill", "killed by SIGKILL"), ("hang", "did not stop when interrupted"),
                          ("exit", "exited with code 3")):
        nb = nbformat.read(cycle.root / "autograded" / learner / NAME / NB, as_version=4)
        cell = nb.cells[broken.first_answer(nb)]
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert errors and errors[-1].ename == "KernelStopped" and text in errors[-1].evalue, learner


def test_an_output_flood_is_cut_while_it_arrives(cycle):
    path = cycle.root / "autograded" / "flood" / NAME / NB
    assert path.stat().st_size < 1_500_000
    outputs = [o for c in nbformat.read(path, as_version=4).cells for o in c.get("outputs", [])]
    assert any("dropped by the grader" in o.get("data", {}).get("text/plain", "") for o in outputs)


def test_stopping_a_batch_keeps_its_grades_and_leaves_no_learner_code_running(cycle):
    stopped = cycle.interrupted
    assert stopped["returncode"] == 130, stopped
    assert stopped["graded_before_stop"] >= 2
    assert stopped["left_running"] == [], "processes of the stopped batch still run"
    unchanged = [r for r in cycle.steps["first"]["rows"] if r["status"] == "unchanged"]
    assert len(unchanged) == stopped["graded_before_stop"]  # resumed: what was graded is not graded again


def test_grading_again_skips_every_unchanged_submission(cycle):
    statuses = {r["learner"]: r["status"] for r in cycle.steps["again"]["rows"]}
    assert {s for learner, s in statuses.items() if learner not in NOT_GRADED} == {"unchanged"}
    for learner in CASES:
        assert cycle.rows("again")[learner]["score"] == cycle.rows("first")[learner]["score"]


def test_a_changed_submission_is_graded_again_and_only_it(cycle):
    graded = [r["learner"] for r in cycle.steps["changed"]["rows"] if r["status"] == "graded"]
    assert graded == ["resubmit"]
    assert cycle.points("changed", "resubmit") == 5


def test_forced_regrading_gives_the_same_grades(cycle):
    assert sorted(cycle.rows("forced")) == sorted(FORCED)
    for learner in FORCED:
        assert cycle.rows("forced")[learner]["status"] == "graded"
        assert cycle.rows("forced")[learner]["score"] == cycle.rows("first")[learner]["score"], learner


# --------------------------------------------------------------------------------------------------
# the sandbox


def test_without_sandbox_learner_code_runs_with_the_instructors_privileges(cycle):
    probe = cycle.probe_open
    assert probe, "the probe printed nothing"
    for action in ("read_source", "read_gradebook", "read_grader_workspace", "read_instructor_file",
                   "write_course_root", "write_outside", "write_own_folder", "connect_host_service",
                   "read_environment_secret", "signal_instructor_process"):
        assert probe[action].startswith("ok"), (action, probe[action])


def test_sandboxed_learner_code_cannot_read_write_or_connect_outside_its_folder(cycle):
    if cycle.sandbox_problem:
        pytest.skip(f"kernels cannot be confined here: {cycle.sandbox_problem}")
    probe = cycle.probe_sandboxed
    assert probe, "the sandboxed probe printed nothing"
    blocked = {a: r for a, r in probe.items() if r.startswith("blocked")}
    assert set(blocked) == {"read_source", "read_gradebook", "read_grader_workspace", "read_instructor_file",
                            "write_course_root", "write_outside", "connect_host_service",
                            "read_environment_secret", "signal_instructor_process"}, probe
    assert probe["write_own_folder"].startswith("ok")
    assert (cycle.root / "autograded" / "probe" / NAME / "mine.txt").is_file()


def test_sandboxed_grading_gives_the_same_scores(cycle):
    if cycle.sandbox_problem:
        pytest.skip(f"kernels cannot be confined here: {cycle.sandbox_problem}")
    for learner in SANDBOXED:
        assert cycle.rows("sandboxed")[learner]["status"] == "graded"
        assert cycle.rows("sandboxed")[learner]["score"] == cycle.rows("first")[learner]["score"], learner
    assert "SIGKILL" in cycle.notes("sandboxed", "kill")
    assert "time limit per cell" in cycle.notes("sandboxed", "loop")  # the interrupt reaches a confined kernel


# --------------------------------------------------------------------------------------------------
# feedback and export


def test_feedback_pages_show_no_hidden_test_line(cycle):
    from harness.nbgrader_roundtrip import html_text, leaked, secret_lines

    secrets = secret_lines(_source_nb(cycle.root)).hidden
    assert secrets
    pages = sorted((cycle.root / "feedback").glob(f"*/{NAME}/{NAME}.html"))
    assert {p.parent.parent.name for p in pages} == set(CASES) - {"snoop"}
    for page in pages:
        assert not leaked(secrets, html_text(page.read_text())), page


def test_feedback_withholds_a_page_where_the_learners_code_printed_hidden_tests(cycle):
    row = next(r for r in cycle.steps["feedback"]["rows"] if r["learner"] == "snoop")
    assert row["status"] == "withheld" and "hidden-test line" in row["notes"][0]
    assert not (cycle.root / "feedback" / "snoop" / NAME / f"{NAME}.html").exists()
    graded = nbformat.read(cycle.root / "autograded" / "snoop" / NAME / NB, as_version=4)
    assert "BEGIN HIDDEN TESTS" in "".join(o.get("text", "") for c in graded.cells for o in c.get("outputs", []))
    assert cycle.steps["feedback"]["ok"] is False


def test_export_writes_every_learner_with_the_gradebook_scores(cycle):
    with open(cycle.csv, newline="") as handle:
        table = list(csv.DictReader(handle))
    by = {r["student_id"]: r for r in table}
    assert set(by) == set(ROSTER) | {"misnamed"}
    assert by["good"]["last_name"] == "Owusu, Jr."  # quoted, so the comma stays in the name
    scores = gradebook_scores(cycle.root)
    for learner, row in by.items():
        expected = scores.get(learner, (0.0, 7.0, 0))[0]
        assert float(row["score"]) == expected, learner
        assert float(row["max_score"]) == 7.0
    assert by["absent"]["timestamp"] == "" and float(by["absent"]["score"]) == 0
