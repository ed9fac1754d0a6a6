"""One nbgrader round trip of an assignment, in a throwaway copy of its course root.

The round trip is what an instructor does for a cohort, with two made-up learners:

1. ``nbgrader generate_assignment`` writes the learners' version (``release/<name>/``);
2. the source notebook (the model solutions) is submitted by ``solution_learner`` and the unanswered
   release by ``blank_learner``;
3. ``nbgrader autograde`` grades both, ``nbgrader generate_feedback`` writes their feedback HTML;
4. the scores are read back from the gradebook.

nbgrader runs as ``python -m nbgrader`` with the interpreter of the tests (the repo's ``.venv``), in a
subprocess, so its traitlets singletons and logging never leak into pytest, and its kernels are the
venv's ``python3`` kernel (jupyter_client starts a kernelspec whose command is ``python`` with the
interpreter that launched it). User-level Jupyter and IPython configuration is shut out.

``shared_round_trip`` runs it once per test session even when pytest-xdist spreads one assignment's tests
over several workers (pytest 9.2 with pytest-xdist 3.8 ignores ``xdist_group``, pytest-xdist#1386).

The helpers that find secret lines (solutions, hidden tests) and look for them in a notebook or an HTML
page are separate functions, so other test modules (for example the instructor workflow) can reuse them.
"""
from __future__ import annotations

import html
import json
import keyword
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

SOLUTION_DELIMITERS = ("BEGIN SOLUTION", "END SOLUTION")
HIDDEN_DELIMITERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
SOLUTION_LEARNER = "solution_learner"
BLANK_LEARNER = "blank_learner"
# folders and files nbgrader writes into a course root; never copied into the throwaway root
GENERATED = ("release", "submitted", "autograded", "feedback", "gradebook.db", ".ipynb_checkpoints")
# seconds one nbgrader command may take before the harness gives up on it (the per-cell timeout is in
# nbgrader_config.py; this only stops a hung nbgrader process)
COMMAND_TIMEOUT = 900
COURSE_ID = "cdcourse"  # as in exercises/nbgrader_config.py


class RoundTripError(RuntimeError):
    """An nbgrader step failed; the message carries the command, exit code and nbgrader's log."""


# --------------------------------------------------------------------------------------------------
# finding assignments and what they contain


@dataclass(frozen=True)
class Assignment:
    """An nbgrader assignment: ``<course_root>/source/<name>/`` with one or more notebooks."""

    name: str
    course_root: Path

    @property
    def source_dir(self) -> Path:
        return self.course_root / "source" / self.name

    @property
    def notebooks(self) -> list[Path]:
        return sorted(p for p in self.source_dir.glob("*.ipynb") if not p.name.startswith("."))


def discover_assignments(*course_roots: Path) -> list[Assignment]:
    """Every ``source/<name>/`` folder holding at least one notebook, under the given course roots."""
    found = []
    for root in course_roots:
        source = Path(root) / "source"
        if not source.is_dir():
            continue
        for folder in sorted(p for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")):
            assignment = Assignment(folder.name, Path(root))
            if assignment.notebooks:
                found.append(assignment)
    return found


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def autograded_test_points(nb) -> dict[str, float]:
    """``grade_id -> points`` of the autograded test cells (graded code cells that are not answers)."""
    return {
        meta["grade_id"]: float(meta.get("points", 0))
        for cell in nb.cells
        if (meta := nbgrader_meta(cell)).get("grade") and not meta.get("solution") and not meta.get("task")
        and cell.cell_type == "code"
    }


def manually_graded_points(nb) -> dict[str, float]:
    """``grade_id -> points`` of the cells a person grades (written answers and task cells)."""
    return {
        meta["grade_id"]: float(meta.get("points", 0))
        for cell in nb.cells
        if (meta := nbgrader_meta(cell)).get("task") or (meta.get("grade") and meta.get("solution"))
    }


def region_lines(source: str, delimiters: tuple[str, str]) -> list[str]:
    """Lines strictly between the begin and end delimiter lines of every region in ``source``.

    >>> region_lines("a = 1\\n### BEGIN SOLUTION\\nb = 2\\n### END SOLUTION\\nc = 3", SOLUTION_DELIMITERS)
    ['b = 2']
    """
    begin, end = delimiters
    inside, lines = False, []
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def is_telling(line: str) -> bool:
    """Whether a line says something about the answer (not blank, not a comment, not a lone keyword or bracket).

    >>> [is_telling(s) for s in ["n = 385", "    return total", "# hint", ")", "else:", "pass", ""]]
    [True, True, False, False, False, False, False]
    """
    text = line.strip()
    if not text or text.startswith("#"):
        return False
    words = re.findall(r"[A-Za-z_][A-Za-z_0-9]*|\d+", text)
    return not (len(words) == 0 or (len(words) == 1 and keyword.iskeyword(words[0])))


def normalise(text: str) -> str:
    """Collapse runs of whitespace, so a line matches however it was re-indented or wrapped in HTML spans."""
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Secrets:
    """Lines of a source notebook that learners must never see: solution lines and hidden-test lines.

    A line that also appears outside every secret region (an import repeated in a locked cell, say) is
    not secret and is left out, so the checks never flag what the learner is meant to see.
    """

    solution: dict[str, str]  # normalised line -> "cell <grade_id>", where it comes from
    hidden: dict[str, str]


def secret_lines(nb) -> Secrets:
    solution: dict[str, str] = {}
    hidden: dict[str, str] = {}
    public: set[str] = set()
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        where = f"cell {meta.get('grade_id', '?')}"
        src = cell.source
        if meta.get("solution"):
            if SOLUTION_DELIMITERS[0] in src:
                secret = region_lines(src, SOLUTION_DELIMITERS)
            else:  # without delimiters nbgrader replaces the whole answer cell with a stub
                secret = src.splitlines()
            solution.update({normalise(s): where for s in secret if is_telling(s)})
        else:
            secret = []
        if HIDDEN_DELIMITERS[0] in src:
            hid = region_lines(src, HIDDEN_DELIMITERS)
            hidden.update({normalise(s): where for s in hid if is_telling(s)})
            secret = secret + hid
        secret_set = set(secret)
        public.update(normalise(s) for s in src.splitlines() if s not in secret_set and is_telling(s))
    return Secrets(
        solution={k: v for k, v in solution.items() if k not in public},
        hidden={k: v for k, v in hidden.items() if k not in public},
    )


def notebook_text(nb) -> str:
    """Everything a learner can read in a notebook: cell sources and text outputs, normalised per line."""
    parts = []
    for cell in nb.cells:
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.extend(out.get("traceback", []))
            parts.extend(str(v) for v in out.get("data", {}).values())
    return "\n".join(normalise(line) for line in "\n".join(parts).splitlines())


def html_text(page: str) -> str:
    """The visible text of an HTML page (tags, styles and scripts removed, entities decoded)."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", "", page)
    return "\n".join(normalise(line) for line in html.unescape(page).splitlines())


def leaked(secrets: dict[str, str], text: str) -> list[str]:
    """The secret lines (with where they come from) that occur in ``text``; the text is normalised."""
    flat = normalise(text)
    return [f"{line!r} (from {where})" for line, where in secrets.items() if line in flat]


# --------------------------------------------------------------------------------------------------
# running nbgrader


@dataclass
class RoundTrip:
    """Everything the checks need after one round trip; ``root`` is the throwaway course root."""

    assignment: Assignment
    root: Path
    release: dict[str, nbformat.NotebookNode] = field(default_factory=dict)  # notebook stem -> release
    # learner -> notebook stem -> grade_id -> (auto_score, max_score); auto_score is None when a person grades
    scores: dict[str, dict[str, dict[str, tuple[float | None, float]]]] = field(default_factory=dict)
    feedback: dict[str, dict[str, str]] = field(default_factory=dict)  # learner -> notebook stem -> HTML
    seconds: dict[str, float] = field(default_factory=dict)  # step -> wall seconds

    @property
    def source(self) -> dict[str, nbformat.NotebookNode]:
        return {p.stem: nbformat.read(p, as_version=4) for p in self.assignment.notebooks}


def isolated_env(workdir: Path) -> dict[str, str]:
    """Environment for nbgrader and its kernels: the venv first, no user Jupyter/IPython config, no GUI."""
    env = dict(os.environ)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    env["JUPYTER_CONFIG_DIR"] = str(workdir / ".jupyter-config")  # empty: ignores ~/.jupyter/nbgrader_config.py
    env["IPYTHONDIR"] = str(workdir / ".ipython")  # empty: ignores the user's startup scripts
    env["JUPYTER_PATH"] = os.pathsep.join(
        [str(Path(sys.prefix) / "share" / "jupyter")] + ([env["JUPYTER_PATH"]] if env.get("JUPYTER_PATH") else [])
    )  # the venv's python3 kernelspec wins over one in the user's data dir
    env["MPLBACKEND"] = "Agg"
    env.pop("JUPYTER_RUNTIME_DIR", None)
    return env


def nbgrader(root: Path, env: dict[str, str], *args: str) -> str:
    """Run one nbgrader command on the course root; return its log, raise RoundTripError on failure."""
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={root}"]
    try:
        done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise RoundTripError(f"`nbgrader {' '.join(args)}` did not finish within {COMMAND_TIMEOUT} s in {root}") from exc
    log = (done.stdout + done.stderr).strip()
    if done.returncode != 0:
        raise RoundTripError(
            f"`nbgrader {' '.join(args)}` failed with exit code {done.returncode} in {root}; its log:\n{log}"
        )
    return log


def copy_course_root(assignment: Assignment, root: Path, config: Path) -> None:
    """Copy the course root without nbgrader's output or other assignments, with ``config`` as its config."""
    def ignore(folder: str, names: list[str]) -> list[str]:
        here = Path(folder)
        skipped = [n for n in names if n in GENERATED] if here == assignment.course_root else []
        if here == assignment.course_root / "source":
            skipped += [n for n in names if n != assignment.name]
        return skipped

    shutil.copytree(assignment.course_root, root, ignore=ignore)
    shutil.copyfile(config, root / "nbgrader_config.py")


def run_round_trip(assignment: Assignment, workdir: Path, config: Path) -> RoundTrip:
    """Release, submit (solutions and blank), autograde and generate feedback; read back the results."""
    workdir = Path(workdir)
    root = workdir / "course"
    copy_course_root(assignment, root, Path(config))
    env = isolated_env(workdir)
    name = assignment.name
    seconds: dict[str, float] = {}

    def step(label: str, *args: str) -> None:
        start = time.perf_counter()
        nbgrader(root, env, *args)
        seconds[label] = round(time.perf_counter() - start, 2)

    step("generate_assignment", "generate_assignment", name, "--force")
    shutil.copytree(root / "source" / name, root / "submitted" / SOLUTION_LEARNER / name)
    shutil.copytree(root / "release" / name, root / "submitted" / BLANK_LEARNER / name)
    step("autograde", "autograde", name, "--force")
    step("generate_feedback", "generate_feedback", name, "--force")
    (workdir / DONE).write_text(json.dumps({"seconds": seconds}), encoding="utf-8")
    return load_round_trip(assignment, workdir)


DONE = "round-trip.json"  # written last, so its presence means the round trip finished
FAILED = "round-trip-error.txt"


def load_round_trip(assignment: Assignment, workdir: Path) -> RoundTrip:
    """Read the results of a finished round trip from its folder (see ``run_round_trip``)."""
    from nbgrader.api import Gradebook  # imported late: only the round trip needs nbgrader's database layer

    root = Path(workdir) / "course"
    name = assignment.name
    trip = RoundTrip(assignment=assignment, root=root)
    trip.seconds = json.loads((Path(workdir) / DONE).read_text(encoding="utf-8"))["seconds"]
    release_dir = root / "release" / name
    trip.release = {p.stem: nbformat.read(p, as_version=4) for p in sorted(release_dir.glob("*.ipynb"))}
    with Gradebook("sqlite:///" + str(root / "gradebook.db"), course_id=COURSE_ID) as gb:
        for learner in (SOLUTION_LEARNER, BLANK_LEARNER):
            trip.scores[learner] = {}
            for nb_path in assignment.notebooks:
                submitted = gb.find_submission_notebook(nb_path.stem, name, learner)
                trip.scores[learner][nb_path.stem] = {
                    g.name: (g.auto_score, float(g.max_score)) for g in submitted.grades
                }
    for learner in (SOLUTION_LEARNER, BLANK_LEARNER):
        folder = root / "feedback" / learner / name
        trip.feedback[learner] = {p.stem: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.html"))}
    return trip


@contextmanager
def _exclusive(lock: Path):
    """Hold an exclusive lock on ``lock`` (POSIX); a no-op where ``fcntl`` does not exist."""
    try:
        import fcntl
    except ImportError:  # Windows: callers use a per-process folder instead
        yield
        return
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def shared_round_trip(assignment: Assignment, shared_dir: Path, config: Path) -> RoundTrip:
    """The round trip of ``assignment``, run once per test session however the tests are spread.

    ``shared_dir`` is a folder every pytest-xdist worker of the session sees. The first worker to ask runs
    the round trip under a lock; the others wait and read its results (or re-raise its error). So an
    assignment costs one round trip even when its tests land on several workers.
    """
    try:
        import fcntl  # noqa: F401
    except ImportError:
        shared_dir = Path(shared_dir) / f"pid-{os.getpid()}"  # no lock available: keep workers apart
    workdir = Path(shared_dir) / f"nbgrader-{assignment.name}"
    workdir.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(workdir.parent / f"nbgrader-{assignment.name}.lock"):
        if (workdir / FAILED).exists():
            raise RoundTripError((workdir / FAILED).read_text(encoding="utf-8"))
        if not (workdir / DONE).exists():
            if workdir.exists():
                shutil.rmtree(workdir)
            workdir.mkdir()
            try:
                return run_round_trip(assignment, workdir, config)
            except Exception as exc:
                (workdir / FAILED).write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")
                raise
        return load_round_trip(assignment, workdir)
