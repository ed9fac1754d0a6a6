"""Benchmark: autograding a cohort of 30 submissions of one course assignment.

Four ways to grade the same 30 submissions (20 model answers, 5 half answered, 5 unanswered) of the
``anonymization`` assignment, every submission graded again each run:

- ``cdcourse grade autograde --jobs 1`` (one worker process and kernel per submission, one at a time);
- ``cdcourse grade autograde --jobs 2``;
- ``cdcourse grade autograde --jobs 2 --sandbox`` (only where bubblewrap works);
- plain ``nbgrader autograde`` with the kit's configuration (one process, one submission after the other).

The runner times each workload on its own and prints the ratios between them under its table (``summary``
below: each median over plain nbgrader's); they are also kept in ``benchmarks/results/grading.json``, and
``python benchmarks/bench_grading.py`` runs all of them once. Ratios below 1 mean faster than plain nbgrader.

Every submission is well formed, so that plain nbgrader finishes the batch (a duplicated cell would stop it).
"""
from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
ASSIGNMENT = "anonymization"
LEARNERS = 30
RESULTS = HERE / "results" / "grading.json"
sys.path.insert(0, str(REPO / "tests"))  # the broken-submission builders of the tests make the answers


def _cohort() -> dict:
    """A cohort root and a plain nbgrader course root holding the same 30 submissions."""
    import nbformat

    from cdcourse.grading import init_cohort, release
    from fixtures.submissions import broken

    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    atexit.register(shutil.rmtree, work, True)  # the runner's process ends after the workload
    roster = work / "roster.csv"
    roster.write_text("id,first_name,last_name,email\n" + "".join(f"l{i:02d},A,B,\n" for i in range(LEARNERS)))
    root = work / "cohort"
    init_cohort(root, roster)
    release(root, ASSIGNMENT)
    source = nbformat.read(root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    released = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    answered = broken.answered(source, released)
    half = nbformat.from_dict(answered)
    answers = [i for i, c in enumerate(half.cells) if broken.is_code_answer(c)]
    for i in answers[len(answers) // 2:]:
        half.cells[i] = released.cells[i]
    for i in range(LEARNERS):
        folder = root / "submitted" / f"l{i:02d}" / ASSIGNMENT
        folder.mkdir(parents=True)
        nb = answered if i < 20 else half if i < 25 else released
        nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    # plain nbgrader: the kit's own course configuration, the same release and submissions
    plain = work / "plain"
    plain.mkdir()
    shutil.copyfile(REPO / "exercises" / "nbgrader_config.py", plain / "nbgrader_config.py")
    for folder in ("source", "release", "submitted"):
        shutil.copytree(root / folder, plain / folder)
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
               JUPYTER_CONFIG_DIR=str(work / "jupyter"), IPYTHONDIR=str(work / "ipython"), MPLBACKEND="Agg")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT, "--force",
                    f"--CourseDirectory.root={plain}"], cwd=plain, env=env, check=True, capture_output=True)
    return {"work": work, "root": root, "plain": plain, "env": env}


def _record(variant: str, seconds: float) -> None:
    """Keep the latest time of each variant and the ratios to plain nbgrader in results/grading.json."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads(RESULTS.read_text())
    except (OSError, ValueError):
        data = {}
    data.setdefault("seconds", {})[variant] = round(seconds, 2)
    data["submissions"] = LEARNERS
    data["assignment"] = ASSIGNMENT
    data["cpus"] = os.cpu_count()
    plain = data["seconds"].get("plain nbgrader")
    if plain:
        data["ratio_to_plain_nbgrader"] = {k: round(v / plain, 2) for k, v in data["seconds"].items()}
    one, two = data["seconds"].get("jobs 1"), data["seconds"].get("jobs 2")
    if one and two:
        data["speedup_jobs2_over_jobs1"] = round(one / two, 2)
    RESULTS.write_text(json.dumps(data, indent=2) + "\n")
    print(f"grading {variant}: {seconds:.1f} s; ratios {data.get('ratio_to_plain_nbgrader')}", file=sys.stderr)


def _cdcourse(jobs: int, sandbox: bool = False):
    def run(state: dict) -> None:
        from cdcourse.grading import autograde

        start = time.perf_counter()
        report = autograde(state["root"], ASSIGNMENT, jobs=jobs, force=True, sandbox=sandbox)
        graded = sum(1 for r in report.rows if r["status"] == "graded")
        if graded != LEARNERS:
            raise RuntimeError(f"{graded} of {LEARNERS} graded:\n{report.table()}")
        _record(f"jobs {jobs}" + (" sandbox" if sandbox else ""), time.perf_counter() - start)
    return run


def _plain(state: dict) -> None:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force",
                    f"--CourseDirectory.root={state['plain']}"], cwd=state["plain"], env=state["env"], check=True,
                   capture_output=True)
    _record("plain nbgrader", time.perf_counter() - start)


WORKLOADS = [
    {"name": f"grading: cdcourse autograde --jobs 1, {LEARNERS} submissions", "rows": LEARNERS, "repeat": 1,
     "setup": _cohort, "run": _cdcourse(1)},
    {"name": f"grading: cdcourse autograde --jobs 2, {LEARNERS} submissions", "rows": LEARNERS, "repeat": 1,
     "setup": _cohort, "run": _cdcourse(2)},
    {"name": f"grading: plain nbgrader autograde, {LEARNERS} submissions", "rows": LEARNERS, "repeat": 1,
     "setup": _cohort, "run": _plain},
]
if shutil.which("bwrap"):
    WORKLOADS.insert(2, {"name": f"grading: cdcourse autograde --jobs 2 --sandbox, {LEARNERS} submissions",
                         "rows": LEARNERS, "repeat": 1, "setup": _cohort, "run": _cdcourse(2, sandbox=True)})


def summary(records: list[dict]) -> str:
    """The ratios the instructor workflow is judged by: each variant's median over plain nbgrader's."""
    plain = next((r["median_s"] for r in records if "plain nbgrader" in r["name"]), None)
    if not plain:
        return ""
    lines = ["grading time relative to plain nbgrader autograde (lower is faster):"]
    for r in records:
        lines.append(f"  {r['name']}: {r['median_s'] / plain:.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    state = _cohort()
    try:
        for workload in WORKLOADS:
            workload["run"](state)
    finally:
        shutil.rmtree(state["work"], ignore_errors=True)
    print(RESULTS.read_text())
