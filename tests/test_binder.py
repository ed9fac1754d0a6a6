"""The Binder environment (``binder/``) is complete, pinned, current, and runs every lesson.

Fast checks: ``binder/requirements.txt`` pins every package with ``==`` and equals what
``binder/make_requirements.py`` generates now from ``pyproject.toml`` and ``requirements/constraints.txt``
(so ``make lock`` without ``make binder`` is caught); ``runtime.txt`` asks for a Python the kit supports;
``postBuild`` turns off exactly the instructor-only nbgrader extensions.

Slow (marked ``slow``): what Binder does, without Docker. A copy of the repository (as repo2docker copies
it), a fresh ``python -m venv``, ``pip install -r binder/requirements.txt``, then ``binder/postBuild`` with
that environment first on PATH. Then: ``pip check`` passes; the instructor panels are off and the learner
ones on; every lesson in ``course/`` runs top to bottom with nbclient in that environment's own kernel.
pip needs the package index (or its cache) for the install; nothing else leaves the machine.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
LESSONS = sorted((REPO / "course").glob("*.ipynb"))
INSTRUCTOR_PLUGINS = ["formgrader", "course-list", "create-assignment"]
LEARNER_PLUGINS = ["assignment-list", "validate-assignment"]
INSTRUCTOR_SERVER_EXTENSIONS = ["formgrader", "course_list"]
LEARNER_SERVER_EXTENSIONS = ["assignment_list", "validate_assignment"]
# what repo2docker would not copy into the image, or what is ours alone
NOT_COPIED = (".git", ".venv", ".pytest_cache", ".hypothesis", "_site", "test-artifacts", "build", "dist",
              "__pycache__", ".ipynb_checkpoints", "*.egg-info", "release", "submitted", "autograded",
              "feedback", "gradebook.db", "benchmarks")
PIP_TIMEOUT = 900  # seconds for the whole install; with a warm pip cache it takes well under a minute
CELL_TIMEOUT = 120  # as tests/test_notebooks.py


def _generator():
    spec = importlib.util.spec_from_file_location("binder_make_requirements", BINDER / "make_requirements.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------------------
# fast


def test_binder_requirements_pin_every_package_exactly():
    lines = [l for l in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines()
             if l.strip() and not l.startswith("#")]
    loose = [l for l in lines if not re.fullmatch(r"[A-Za-z0-9._-]+==[^\s=<>~!;]+", l)]
    assert lines and not loose, f"binder/requirements.txt has lines that are not 'name==version': {loose}"
    names = [l.split("==")[0].lower() for l in lines]
    for needed in ("nbgrader", "jupyterlab", "ipywidgets", "pandas", "matplotlib", "ipykernel"):
        assert needed in names, f"binder/requirements.txt lacks {needed}"
    assert "pytest" not in names, "binder/requirements.txt holds test tools; learners need only the runtime"


def test_binder_requirements_match_pyproject_and_constraints():
    generator = _generator()
    try:
        expected = generator.generate()
    except generator.BinderError as exc:
        pytest.fail(f"binder/requirements.txt cannot be generated from this .venv: {exc}")
    committed = (BINDER / "requirements.txt").read_text(encoding="utf-8")
    if committed != expected:
        import difflib

        diff = "".join(difflib.unified_diff(committed.splitlines(True), expected.splitlines(True),
                                            "binder/requirements.txt", "generated", n=0))
        pytest.fail(f"binder/requirements.txt is out of date; run `make binder` and commit it:\n{diff}")


def test_binder_runtime_is_a_python_the_kit_supports():
    runtime = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert match, f"binder/runtime.txt is {runtime!r}; repo2docker expects 'python-X.Y'"
    floor = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    low = tuple(int(x) for x in re.search(r">=\s*(\d+)\.(\d+)", floor).groups())
    assert (int(match[1]), int(match[2])) >= low, f"binder/runtime.txt asks for {runtime}; the kit needs {floor}"


def test_postbuild_turns_off_only_the_instructor_extensions():
    script = (BINDER / "postBuild").read_text(encoding="utf-8")
    assert os.access(BINDER / "postBuild", os.X_OK), "binder/postBuild must be executable (chmod +x)"
    assert script.startswith("#!"), "binder/postBuild needs a shebang line"
    assert re.search(r"pip install[^\n]*(-e|--editable) \.", script), "postBuild must install the kit itself"
    for name in INSTRUCTOR_PLUGINS:
        assert name in script, f"postBuild does not turn off the instructor panel {name}"
    for name in LEARNER_PLUGINS + LEARNER_SERVER_EXTENSIONS:
        assert name not in script, f"postBuild mentions the learner extension {name}; learners need it"


# --------------------------------------------------------------------------------------------------
# slow: a Binder-like environment built from binder/ alone

RUNNER = r'''
"""Run each lesson given on the command line in a copy of its folder; print one JSON line per lesson."""
import json, shutil, sys, tempfile, time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

timeout = int(sys.argv[1])
for name in sys.argv[2:]:
    lesson = Path(name)
    work = Path(tempfile.mkdtemp()) / "course"
    shutil.copytree(lesson.parent, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    nb = nbformat.read(work / lesson.name, as_version=4)
    start = time.perf_counter()
    error = None
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(work)}}).execute()
    except CellExecutionError as exc:
        error = str(exc)[-3000:]
    except Exception as exc:  # a dead kernel, a timeout: say what
        error = f"{type(exc).__name__}: {exc}"[-3000:]
    print(json.dumps({"lesson": lesson.name, "seconds": round(time.perf_counter() - start, 1), "error": error}),
          flush=True)
'''


def _run(cmd, *, env, cwd, timeout, what):
    try:
        done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{what} did not finish within {timeout} s: {' '.join(map(str, cmd))}", pytrace=False)
    if done.returncode != 0:
        pytest.fail(f"{what} failed (exit code {done.returncode}): {' '.join(map(str, cmd))}\n"
                    f"{(done.stdout + done.stderr)[-6000:]}", pytrace=False)
    return done.stdout


def build_binder_env(base: Path) -> tuple[Path, Path, dict[str, str]]:
    """(repository copy, venv, environment) of a Binder-like build from binder/ alone, under ``base``."""
    repo = base / "repo"
    shutil.copytree(REPO, repo, ignore=shutil.ignore_patterns(*NOT_COPIED), symlinks=True)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    home = base / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "IPYTHON", "PYTHON", "VIRTUAL_ENV", "CDCOURSE", "PIP_REQUIRE"))}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv), HOME=str(home),
        XDG_CACHE_HOME=str(base / "cache"), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        IPYTHONDIR=str(home / ".ipython"), MPLBACKEND="Agg", PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    # keep pip's download cache: CI runs this often with the same pins
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    python = str(venv / "bin" / "python")
    # --no-compile: Python compiles on first import anyway; skipping it here saves much of the install time
    _run([python, "-m", "pip", "install", "--quiet", "--no-compile", "-r", "binder/requirements.txt"], env=env,
         cwd=repo, timeout=PIP_TIMEOUT, what="pip install -r binder/requirements.txt")
    _run(["bash", "binder/postBuild"], env=env, cwd=repo, timeout=PIP_TIMEOUT, what="binder/postBuild")
    return repo, venv, env


def _server_extension_text(venv, env, cwd) -> str:
    done = subprocess.run([str(venv / "bin" / "jupyter"), "server", "extension", "list"], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    return re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)  # jupyter colours the words


def check_consistent(repo: Path, venv: Path, env: dict[str, str]) -> None:
    python = str(venv / "bin" / "python")
    _run([python, "-m", "pip", "check"], env=env, cwd=repo, timeout=120, what="pip check")
    where = _run([python, "-c", "from cdcourse.datasets import data_dir; print(data_dir())"],
                 env=env, cwd=repo, timeout=120, what="cdcourse.datasets.data_dir()").strip()
    assert Path(where) == repo / "datasets", f"the Binder environment reads data from {where}, not the repository"


def check_learner_panels(repo: Path, venv: Path, env: dict[str, str]) -> None:
    page_config = venv / "etc" / "jupyter" / "labconfig" / "page_config.json"
    disabled = json.loads(page_config.read_text(encoding="utf-8")).get("disabledExtensions", {})
    disabled = [k for k, v in (disabled.items() if isinstance(disabled, dict) else ((d, True) for d in disabled)) if v]
    for plugin in INSTRUCTOR_PLUGINS:
        assert f"@jupyter/nbgrader:{plugin}" in disabled, f"{plugin} is still on for learners; disabled: {disabled}"
    for plugin in LEARNER_PLUGINS:
        assert f"@jupyter/nbgrader:{plugin}" not in disabled, f"the learner panel {plugin} is off"
    text = _server_extension_text(venv, env, repo)
    for ext in INSTRUCTOR_SERVER_EXTENSIONS:
        assert re.search(rf"nbgrader\.server_extensions\.{ext}\s+disabled", text), (
            f"server extension {ext} is not disabled:\n{text}")
    for ext in LEARNER_SERVER_EXTENSIONS:
        assert re.search(rf"nbgrader\.server_extensions\.{ext}\s+enabled", text), (
            f"server extension {ext} is not enabled:\n{text}")


def check_lessons_run(venv: Path, env: dict[str, str], repo: Path, workdir: Path) -> None:
    runner = workdir / "run_lessons.py"
    runner.write_text(RUNNER, encoding="utf-8")
    lessons = [str(repo / "course" / p.name) for p in LESSONS]
    done = subprocess.run([str(venv / "bin" / "python"), str(runner), str(CELL_TIMEOUT), *lessons], env=env,
                          cwd=workdir, capture_output=True, text=True, timeout=CELL_TIMEOUT * 40 * len(lessons))
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    ran = {r["lesson"] for r in results}
    assert ran == {p.name for p in LESSONS}, (
        f"the runner stopped early (exit code {done.returncode}); ran {sorted(ran)}:\n{done.stderr[-4000:]}")
    failed = {r["lesson"]: r["error"] for r in results if r["error"]}
    assert not failed, "lessons fail in the Binder environment:\n" + "\n\n".join(f"{k}:\n{v}" for k, v in failed.items())


# One test for the whole build: pytest-xdist may spread a module's tests over workers (the xdist_group mark is
# not honoured by every version), and each worker would then build its own environment.
@pytest.mark.slow
@pytest.mark.notebook
def test_binder_environment_is_complete_shows_learner_panels_and_runs_every_lesson(tmp_path):
    repo, venv, env = build_binder_env(tmp_path)
    check_consistent(repo, venv, env)
    check_learner_panels(repo, venv, env)
    if LESSONS:
        check_lessons_run(venv, env, repo, tmp_path)
