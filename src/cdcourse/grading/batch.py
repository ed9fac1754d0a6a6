"""``cdcourse grade autograde``: grade every submission of an assignment, N at a time, safely with the gradebook.

How a batch works
    1. Every ``submitted/<learner>/<assignment>/`` folder is inspected: a notebook with another name than the
       assignment's is graded under the right name (and the summary says so); a file that is not a valid
       notebook is reported and not graded. A fingerprint of the files (and of the assignment's source) is
       compared with the ledger in ``.cdcourse/autograde/<assignment>.json``: a submission graded before whose
       files did not change is skipped (``force=True`` grades it again).
    2. The gradebook is copied once (SQLite's backup API, a consistent snapshot even while the formgrader is
       open). Each submission is then graded by nbgrader in its own process, with its own kernel, in its own
       temporary course root holding a copy of that snapshot (:mod:`cdcourse.grading._worker`); ``jobs`` of them
       run at a time.
    3. As each finishes, this process alone writes its grades into the cohort's gradebook (one short
       transaction, retried while another program holds the database), puts the graded notebook in
       ``autograded/``, and records the fingerprint in the ledger. Grades are keyed by (assignment, learner,
       cell) and overwritten, never appended, so grading again can neither lose nor duplicate a grade, and a
       batch stopped half way (Ctrl-C, a reboot) continues where it stopped when run again.

A submission whose grading process does not finish within a generous wall-clock limit (the per-cell limit
times the number of cells, plus restarts) is stopped and reported; the batch goes on.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import multiprocessing.connection
import os
import shutil
import signal
import sqlite3
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from cdcourse.errors import CdcourseError
from cdcourse.grading._env import jupyter_environment, nbgrader_environment
from cdcourse.grading.cohort import Cohort
from cdcourse.grading.report import StepReport

DEFAULT_CELL_TIMEOUT = 30  # nbgrader's own default, when the configuration sets none
MAX_RESTARTS = 2  # GuardedExecute.max_kernel_restarts
COLUMNS = ("learner", "score", "status", "notes")


@dataclass
class Submission:
    """One learner's submitted folder, as inspected before grading."""

    student: str
    folder: Path
    notebooks: dict[str, Path] = field(default_factory=dict)  # notebook stem -> file graded as that notebook
    notes: list[str] = field(default_factory=list)
    problem: str = ""
    fingerprint: str = ""


# --------------------------------------------------------------------------------------------------
# inspecting submissions


def _why_not_a_notebook(exc: Exception) -> str:
    cause = exc.__cause__ or exc
    if isinstance(cause, json.JSONDecodeError):
        return f"not valid JSON: {cause.msg} at line {cause.lineno}, column {cause.colno}"
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


def inspect_submission(student: str, folder: Path, expected: list[str]) -> Submission:
    """Which file to grade as each notebook of the assignment, and whether the submission can be graded."""
    sub = Submission(student, folder)
    found = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    by_stem = {p.stem: p for p in found}
    sub.notebooks = {s: by_stem[s] for s in expected if s in by_stem}
    missing = [s for s in expected if s not in sub.notebooks]
    extra = [p for p in found if p.stem not in expected]
    if len(missing) == 1 and len(extra) == 1:  # one notebook, wrong name: no doubt which it is
        sub.notebooks[missing[0]] = extra[0]
        sub.notes.append(f"wrong file name {extra[0].name!r}: graded as {missing[0]}.ipynb")
        missing, extra = [], []
    if extra:
        sub.notes.append(f"ignored {', '.join(repr(p.name) for p in extra)}: not a notebook of this assignment")
    if not sub.notebooks:
        names = ", ".join(repr(p.name) for p in found) or "no notebook"
        sub.problem = (f"no notebook of this assignment: expected {', '.join(s + '.ipynb' for s in expected)}, "
                       f"found {names}")
        return sub
    if missing:
        sub.notes.append(f"no {', '.join(s + '.ipynb' for s in missing)}: those notebooks score 0")
    for stem, path in sub.notebooks.items():
        try:
            nb = nbformat.read(path, as_version=4)
            if not isinstance(nb.get("cells"), list):
                raise ValueError("it has no list of cells")
        except Exception as exc:  # noqa: BLE001 -- any unreadable file is reported the same way
            sub.problem = (f"{path.name} is not a valid notebook ({_why_not_a_notebook(exc)}); ask the learner for "
                           "a new copy and collect again")
            return sub
    return sub


def fingerprint(folder: Path, source: Path) -> str:
    """SHA-256 of the submission's files and of the assignment's source: what a grade depends on."""
    digest = hashlib.sha256()
    for label, root in (("submission", folder), ("source", source)):
        digest.update(label.encode())
        for path in sorted(p for p in root.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------------
# the ledger: what was graded from which files


class Ledger:
    """``.cdcourse/autograde/<assignment>.json``: learner -> fingerprint, score and notes of the last grading."""

    def __init__(self, cohort: Cohort, assignment: str):
        self.path = cohort.state / "autograde" / f"{assignment}.json"
        try:
            self.records: dict[str, dict] = json.loads(self.path.read_text(encoding="utf-8"))["learners"]
        except (OSError, ValueError, KeyError):
            self.records = {}

    def record(self, student: str, entry: dict) -> None:
        self.records[student] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"learners": self.records}, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)  # atomic: an interrupted batch never leaves half a ledger


# --------------------------------------------------------------------------------------------------
# writing results into the cohort


def _parse_time(text: str | None):
    return datetime.fromisoformat(text) if text else None


def merge_into_gradebook(cohort: Cohort, assignment: str, student: str, data: dict, *, attempts: int = 8) -> list[str]:
    """Write one submission's autograder results into the cohort's gradebook, in one transaction.

    Replicates what nbgrader's ``SaveAutoGrades`` does (auto scores, "needs manual grade", "No response"
    comments, late penalty) on the cohort's gradebook. Retried while the database is locked by another
    program (the formgrader, a second terminal).
    """
    from nbgrader.api import MissingEntry
    from sqlalchemy.exc import OperationalError

    import warnings

    from sqlalchemy.exc import SAWarning

    notes: list[str] = []
    for attempt in range(attempts):
        try:
            with warnings.catch_warnings(), cohort.gradebook() as gb:
                # nbgrader's own session handling warns on every new submission; nothing to act on
                warnings.simplefilter("ignore", SAWarning)
                try:
                    gb.find_student(student)
                except MissingEntry:
                    gb.add_student(student)
                    notes.append("not on the roster: added to the gradebook")
                stamp = _parse_time(data.get("timestamp"))
                sub = gb.update_or_create_submission(assignment, student, **({"timestamp": stamp} if stamp else {}))
                for nb in sub.notebooks:
                    graded = data["notebooks"].get(nb.name)
                    if graded is None:
                        continue
                    for grade in nb.grades:
                        if grade.name in graded["grades"]:
                            grade.auto_score = graded["grades"][grade.name]["auto_score"]
                            grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
                    for comment in nb.comments:
                        comment.auto_comment = graded["comments"].get(comment.name)
                    nb.late_submission_penalty = graded.get("late_penalty")
                gb.db.commit()
            return notes
        except OperationalError as exc:
            if "locked" not in str(exc).lower() or attempt == attempts - 1:
                raise
            time.sleep(min(0.25 * 2 ** attempt, 10))
    return notes


def _remove_tree(path: Path) -> None:
    def writable(func, name, _):
        os.chmod(name, 0o700)
        func(name)

    if path.exists():
        shutil.rmtree(path, onerror=writable)


def _install(src: Path, dst: Path) -> None:
    """Replace ``dst`` by a copy of ``src`` (the graded notebooks) with two renames."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    new, old = dst.parent / f".{dst.name}.new", dst.parent / f".{dst.name}.old"
    _remove_tree(new)
    _remove_tree(old)
    shutil.copytree(src, new)
    if dst.exists():
        os.rename(dst, old)
    os.rename(new, dst)
    _remove_tree(old)


def score_of(data: dict) -> tuple[float, float, bool]:
    """(points, maximum, whether a person still has to grade something) of a submission's results."""
    points = maximum = 0.0
    manual = False
    for nb in data["notebooks"].values():
        for grade in nb["grades"].values():
            points += grade["auto_score"] or 0.0
            maximum += grade["max_score"] or 0.0
            manual = manual or bool(grade["needs_manual_grade"])
    return points, maximum, manual


def _score_text(points: float, maximum: float, manual: bool) -> str:
    return f"{points:g} / {maximum:g}" + (" + manual" if manual else "")


# --------------------------------------------------------------------------------------------------
# processes


def _context():
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        # the fork server imports nbgrader once; every worker then starts from it in milliseconds
        ctx.set_forkserver_preload(["cdcourse.grading._worker"])
        return ctx
    return multiprocessing.get_context("spawn")


def _ours(pid: int, marker: str) -> bool:
    """Whether process ``pid`` is still a grading kernel of this batch (its command line names our workspace)."""
    try:
        return marker in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def _stop_kernels(ws: Path) -> None:
    pids = ws / "kernel.pids"
    if not pids.exists():
        return
    for line in pids.read_text(encoding="utf-8").split():
        pid = int(line)
        if _ours(pid, str(ws)):  # never signal a process id that was reused by someone else
            for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                try:
                    kill()
                except OSError:
                    pass


def _stop(proc, ws: Path) -> None:
    if proc.is_alive():
        proc.kill()
    proc.join(10)
    _stop_kernels(ws)


def _snapshot(cohort: Cohort, dest: Path) -> None:
    source = sqlite3.connect(f"file:{cohort.db_path}?mode=ro", uri=True)
    target = sqlite3.connect(dest)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def _seed_matplotlib(scratch: Path) -> None:
    """Copy the font cache into the sandbox's /tmp: a missing cache makes matplotlib warn on stderr, which
    nbgrader would count against a test cell."""
    try:
        import matplotlib

        cache = Path(matplotlib.get_cachedir())
    except Exception:  # noqa: BLE001
        return
    target = scratch / ".matplotlib"
    target.mkdir(parents=True, exist_ok=True)
    for path in cache.glob("fontlist*.json"):
        shutil.copyfile(path, target / path.name)


def _prepare(batch: Path, cohort: Cohort, assignment: str, sub: Submission, snapshot: Path, sandbox: bool) -> Path:
    ws = Path(tempfile.mkdtemp(prefix="g", dir=batch))
    course = ws / "course"
    shutil.copytree(cohort.root / "source" / assignment, course / "source" / assignment,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    dest = course / "submitted" / sub.student / assignment
    shutil.copytree(sub.folder, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for stem, path in sub.notebooks.items():
        if path.stem != stem:
            os.replace(dest / path.name, dest / f"{stem}.ipynb")
    for path in dest.glob("*.ipynb"):
        if path.stem not in sub.notebooks:
            path.unlink()  # ignored notebooks (see inspect_submission)
    shutil.copyfile(snapshot, ws / "gradebook.db")
    for folder in ("rt", "scratch", "jupyter"):
        (ws / folder).mkdir()
    if sandbox:
        _seed_matplotlib(ws / "scratch")
    return ws


def _code_cells(cohort: Cohort, assignment: str) -> int:
    folder = cohort.root / "release" / assignment
    total = 0
    for path in folder.glob("*.ipynb"):
        total += sum(1 for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
    return max(total, 1)


def cell_timeout(cohort: Cohort, timeout: float | None) -> int:
    if timeout:
        return int(timeout)
    for section in ("GuardedExecute", "Execute", "ExecutePreprocessor"):
        value = cohort.config.get(section, {}).get("timeout")
        if isinstance(value, (int, float)) and value > 0:
            return int(value)
    return DEFAULT_CELL_TIMEOUT


# --------------------------------------------------------------------------------------------------
# the batch


def autograde(course: str | Path, assignment: str, *, jobs: int = 1, timeout: float | None = None,
              force: bool = False, sandbox: bool = False, memory_mb: int | None = None,
              students: list[str] | None = None, progress: bool = False,
              submission_timeout: float | None = None) -> StepReport:
    """Grade every submission of ``assignment`` in ``course``, ``jobs`` at a time.

    Parameters
    ----------
    course : the cohort's course root.
    assignment : the assignment's name (released with :func:`~cdcourse.grading.workflow.release`).
    jobs : submissions graded at the same time, each in its own process and kernel.
    timeout : seconds one cell may run before it is interrupted and scored 0 (default: the course's
        configuration, 120 s in the kit).
    force : grade again submissions that were graded before and did not change.
    sandbox : run each kernel confined with bubblewrap (see :mod:`cdcourse.grading.sandbox`); an error if it
        cannot be confined on this machine.
    memory_mb : address-space limit of a grading kernel (default: the course's configuration).
    students : grade only these learners.
    progress : show a progress bar on standard error.
    submission_timeout : wall-clock seconds after which one submission's grading is stopped (default: the
        per-cell limit times the number of cells, three times over, plus a minute).

    Returns
    -------
    StepReport with one row per learner: score (autograded points / maximum, "+ manual" while a written
    answer waits for a person), status (graded, unchanged, not graded, interrupted) and notes (every repair,
    timeout, stopped kernel or truncated output, with the cell it concerns).
    """
    from tqdm import tqdm

    from cdcourse import _validate
    from cdcourse.grading import _worker
    from cdcourse.grading.sandbox import sandbox_problem

    jobs = int(_validate.require_number(jobs, "jobs", low=1, integer=True))
    if timeout is not None:
        _validate.require_number(timeout, "timeout", low=1)
    if memory_mb is not None:
        _validate.require_number(memory_mb, "memory_mb", low=0, integer=True)
    cohort = Cohort.open(course)
    source = cohort.require_assignment(assignment)
    if not cohort.released(assignment):
        raise CdcourseError(f"assignment {assignment!r} has not been released in {cohort.root}; run "
                            f"'cdcourse grade release {assignment}' first")
    if sandbox and (problem := sandbox_problem()):
        raise CdcourseError(f"--sandbox cannot confine kernels on this machine: {problem}. Grade without --sandbox "
                            "only if you trust the submissions (see exercises/README.md)")
    expected = cohort.notebook_names(assignment)
    folders = sorted(p.parent for p in (cohort.root / "submitted").glob(f"*/{assignment}") if p.is_dir())
    if students:
        wanted = set(students)
        unknown = wanted - {f.name for f in folders}
        if unknown:
            raise CdcourseError(f"no submission of {assignment!r} from {', '.join(sorted(unknown))}; submissions "
                                f"exist from {', '.join(f.name for f in folders) or 'nobody'}")
        folders = [f for f in folders if f.name in wanted]
    ledger = Ledger(cohort, assignment)
    rows: dict[str, dict] = {}
    todo: list[Submission] = []
    with nbgrader_environment():
        with cohort.gradebook() as gb:
            in_gradebook = {s.student.id for s in gb.find_assignment(assignment).submissions}
        for folder in folders:
            student = folder.name
            sub = inspect_submission(student, folder / assignment, expected)
            if sub.problem:
                rows[student] = {"learner": student, "score": "", "status": "not graded",
                                 "notes": [sub.problem] + sub.notes}
                continue
            sub.fingerprint = fingerprint(sub.folder, source)
            done = ledger.records.get(student, {})
            graded_dir = cohort.root / "autograded" / student / assignment
            if (not force and done.get("fingerprint") == sub.fingerprint and student in in_gradebook
                    and graded_dir.is_dir()):
                rows[student] = {"learner": student, "score": done.get("score", ""), "status": "unchanged",
                                 "notes": [f"graded {done.get('graded_at', 'before')} from the same files; skipped "
                                           "(force to grade again)"] + list(done.get("notes", []))}
                continue
            todo.append(sub)

        limit_per_cell = cell_timeout(cohort, timeout)
        cells = _code_cells(cohort, assignment)
        limit = submission_timeout or limit_per_cell * (cells + 2) * (MAX_RESTARTS + 1) + 60
        start = time.monotonic()
        interrupted = False
        batch = Path(tempfile.mkdtemp(prefix="cdcourse-grade-"))
        try:
            snapshot = batch / "gradebook-snapshot.db"
            if todo:
                _snapshot(cohort, snapshot)
            # a kernel sees the instructor's environment, as under plain nbgrader (the sandbox replaces it)
            env = {**os.environ, **jupyter_environment(batch / "env")}
            ctx = _context()
            pending = deque(todo)
            running: dict = {}
            bar = tqdm(total=len(todo), desc=f"autograde {assignment}", unit="submission", disable=not progress)
            try:
                while pending or running:
                    while pending and len(running) < jobs:
                        sub = pending.popleft()
                        ws = _prepare(batch, cohort, assignment, sub, snapshot, sandbox)
                        spec = {"workspace": str(ws), "course_root": str(cohort.root), "course_id": cohort.course_id,
                                "assignment": assignment, "student": sub.student,
                                "release_root": str(cohort.root / "release"), "timeout": timeout,
                                "memory_mb": memory_mb, "sandbox": sandbox, "env": env}
                        proc = ctx.Process(target=_worker.grade_one, args=(spec,), name=f"grade-{sub.student}")
                        proc.start()
                        running[proc.sentinel] = (proc, sub, ws, time.monotonic())
                    ready = set(multiprocessing.connection.wait(list(running), timeout=0.5))
                    for sentinel in list(running):
                        proc, sub, ws, started = running[sentinel]
                        overdue = time.monotonic() - started > limit
                        if sentinel not in ready and not overdue:
                            continue
                        del running[sentinel]
                        if overdue and sentinel not in ready:
                            _stop(proc, ws)
                        else:
                            proc.join()
                            _stop_kernels(ws)
                        rows[sub.student] = _finish(cohort, assignment, sub, ws, proc, ledger,
                                                    overdue=overdue and sentinel not in ready, limit=limit)
                        _remove_tree(ws)
                        bar.update(1)
            except KeyboardInterrupt:
                interrupted = True
                for proc, sub, ws, _ in running.values():
                    _stop(proc, ws)
                    _remove_tree(ws)
                    rows[sub.student] = {"learner": sub.student, "score": "", "status": "interrupted",
                                         "notes": ["grading was stopped; run the command again to grade it"]}
                for sub in pending:
                    rows[sub.student] = {"learner": sub.student, "score": "", "status": "interrupted",
                                         "notes": ["not graded yet; run the command again to grade it"]}
            finally:
                bar.close()
        finally:
            _remove_tree(batch)
    ordered = tuple(rows[k] for k in sorted(rows))
    counts = {s: sum(1 for r in ordered if r["status"] == s) for s in ("graded", "unchanged", "not graded",
                                                                     "interrupted")}
    manual = sum(1 for r in ordered if "manual" in str(r["score"]))
    notes = [f"{counts['graded']} graded, {counts['unchanged']} unchanged (skipped), {counts['not graded']} not "
             f"graded{', ' + str(counts['interrupted']) + ' interrupted' if counts['interrupted'] else ''}; "
             f"jobs {jobs}, {limit_per_cell} s per cell{', sandboxed' if sandbox else ''}, "
             f"{time.monotonic() - start:.0f} s"]
    if manual:
        notes.append(f"{manual} submission(s) have a written answer to grade by hand: open the formgrader "
                     f"(JupyterLab 'Nbgrader > Formgrader', or 'nbgrader formgrader' in {cohort.root})")
    if counts["not graded"]:
        notes.append("'not graded' submissions keep no new grade; see exercises/README.md, 'Late and broken "
                     f"submissions'; grading logs are in {cohort.state / 'logs' / assignment}")
    if interrupted:
        notes.append("interrupted: every grade written so far is kept; run the same command again to continue")
    return StepReport(f"autograde {assignment}", COLUMNS, ordered, tuple(notes),
                      ok=not (counts["not graded"] or interrupted),
                      details={"interrupted": interrupted, "counts": counts})


def _finish(cohort: Cohort, assignment: str, sub: Submission, ws: Path, proc, ledger: Ledger, *, overdue: bool,
            limit: float) -> dict:
    logs = cohort.state / "logs" / assignment
    logs.mkdir(parents=True, exist_ok=True)
    if (ws / "worker.log").exists():
        shutil.copyfile(ws / "worker.log", logs / f"{sub.student}.log")
    row = {"learner": sub.student, "score": "", "status": "not graded", "notes": list(sub.notes)}
    try:
        result = json.loads((ws / _result_name()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        result = None
    if result is not None:  # nbgrader's own log and any error, for the instructor who wants the details
        with open(logs / f"{sub.student}.log", "a", encoding="utf-8") as handle:
            handle.write("\n--- nbgrader log ---\n" + (result.get("log") or ""))
            for key in ("error", "traceback"):
                if result.get(key):
                    handle.write(f"\n--- {key} ---\n{result[key]}")
    if overdue:
        row["notes"].insert(0, f"grading did not finish within {limit:.0f} s and was stopped; its kernel was stopped "
                               "too. Look at the notebook for an endless loop and grade it again with --force")
        return row
    if result is None:
        row["notes"].insert(0, f"the grading process ended without a result (exit code {proc.exitcode}); see "
                               f"{logs / (sub.student + '.log')}")
        return row
    events = [f"{e['cell']}: {e['message']}" if e.get("cell") else e["message"] for e in result.get("events", [])]
    if not result.get("ok"):
        error = (result.get("error") or "").strip().splitlines()
        row["notes"] = [f"nbgrader could not grade it: {error[-1] if error else 'unknown error'}; see "
                        f"{logs / (sub.student + '.log')}"] + row["notes"] + events
        return row
    data = result["submission"]
    row["notes"] += merge_into_gradebook(cohort, assignment, sub.student, data)
    _install(ws / "course" / "autograded" / sub.student / assignment,
             cohort.root / "autograded" / sub.student / assignment)
    points, maximum, manual = score_of(data)
    row.update(score=_score_text(points, maximum, manual), status="graded")
    row["notes"] += events
    ledger.record(sub.student, {"fingerprint": sub.fingerprint, "score": row["score"], "notes": row["notes"],
                                "graded_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    return row


def _result_name() -> str:
    from cdcourse.grading._worker import RESULT

    return RESULT
