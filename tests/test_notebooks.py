"""Every lesson notebook keeps the course's promises, and every committed notebook is clean.

Lessons are ``course/*.ipynb``; a new lesson is picked up by adding the file. For each lesson:

- it is committed without outputs, execution counts or widget state;
- its first markdown cell has a ``# Title``, ``Teaching: N min · Exercises: M min`` and ``Objectives``
  with bullets; one of its last cells has ``Key points`` (3 to 5 bullets) and one ``Further reading``;
- it reads data only through ``cdcourse.datasets.load`` (no ``pd.read_csv`` of a path, no file literals);
- it runs top to bottom headless (marked ``notebook`` and ``slow``): a copy of ``course/`` in a temporary
  folder is the working directory, the kernel is the venv's ``python3``, matplotlib draws with Agg, each
  cell has ``CELL_TIMEOUT`` seconds. A failure names the cell index and shows its traceback.

Before the first lesson lands, ``test_lesson_notebooks_are_discovered`` passes on its own, so a run of this
module never ends with pytest's "no tests collected" exit code.

Beyond lessons, ``test_committed_notebook_has_no_outputs`` covers every notebook in the repository
(``course/``, ``exercises/source/`` solutions and the fixtures under ``tests/fixtures/``).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "course"
CELL_TIMEOUT = 120  # seconds per cell; a lesson cell should take a few seconds on a laptop
KEY_POINTS_BULLETS = (3, 5)
LAST_CELLS = 3  # "Key points" and "Further reading" must sit within the last cells of a lesson

LESSONS = sorted(COURSE.glob("*.ipynb"))


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


def _committed_notebooks() -> list[Path]:
    """Tracked notebooks, plus untracked ones in the folders that hold notebooks (so a new file is checked too)."""
    found = set()
    for folder in (COURSE, REPO / "exercises" / "source", REPO / "tests" / "fixtures"):
        found.update(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--", "*.ipynb"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout
        found.update(REPO / name for name in listed.split("\0") if name and (REPO / name).exists())
    except (OSError, subprocess.CalledProcessError):
        pass  # not a git checkout (an unpacked release): the folders above are what we have
    return sorted(found)


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _lessons():
    if not LESSONS:
        return [pytest.param(None, id="no-lessons", marks=pytest.mark.skip(reason="no lesson notebooks in course/ yet"))]
    return [pytest.param(p, id=p.stem) for p in LESSONS]


def _bullets(text: str) -> list[str]:
    return [line for line in text.splitlines() if re.match(r"\s*([-*+]|\d+[.)])\s+\S", line)]


def _plain(text: str) -> str:
    """Markdown without emphasis marks, so '**Teaching:** 40 min' reads as 'Teaching: 40 min'."""
    return re.sub(r"[*_`]", "", text)


# --------------------------------------------------------------------------------------------------
# every notebook in the repository


def test_lesson_notebooks_are_discovered():
    # Always runs, so this module collects at least one test while course/ has no lessons yet.
    assert COURSE.is_dir(), "course/ is missing; lesson notebooks live in course/<NN>_<stage>.ipynb"
    assert all(p.suffix == ".ipynb" and p.parent == COURSE for p in LESSONS)


@pytest.mark.parametrize("path", [pytest.param(p, id=_rel(p)) for p in _committed_notebooks()])
def test_committed_notebook_has_no_outputs(path):
    check_clean(_read(path), _rel(path))


def check_clean(nb, where: str) -> None:
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None)]
    assert not dirty, (
        f"{where}: cells {dirty} have outputs or an execution count; commit notebooks clean: "
        f"`.venv/bin/jupyter nbconvert --clear-output --inplace {where}`"
    )
    assert "widgets" not in nb.metadata, (
        f"{where}: the notebook stores widget state (metadata.widgets); delete it "
        "(`nb.metadata.pop('widgets')` with nbformat) and turn off Settings > Save Widget State Automatically"
    )


# --------------------------------------------------------------------------------------------------
# lesson structure


def check_opening(nb, where: str) -> None:
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    assert first is not None, f"{where}: no markdown cell; the lesson must open with a title, timings and objectives"
    text = _plain(first.source)
    assert re.search(r"^#\s+\S", text, re.M), f"{where}: the first markdown cell needs a title line '# NN · Stage: ...'"
    assert re.search(r"Teaching:\s*\d+\s*min\w*\s*[·•|,;-]?\s*Exercises:\s*\d+\s*min", text), (
        f"{where}: the first markdown cell needs the line 'Teaching: N min · Exercises: M min'"
    )
    after = re.split(r"^\W*Objectives\b.*$", text, maxsplit=1, flags=re.M | re.I)
    assert len(after) == 2, f"{where}: the first markdown cell needs an 'Objectives' heading followed by bullets"
    assert _bullets(after[1]), f"{where}: list the objectives as bullets ('- ...') under 'Objectives'"


@pytest.mark.parametrize("lesson", _lessons())
def test_lesson_opens_with_title_timings_and_objectives(lesson):
    check_opening(_read(lesson), _rel(lesson))


def _closing_cell(nb, heading: str):
    """Index and text of a markdown cell among the last cells whose heading line names ``heading``."""
    start = max(0, len(nb.cells) - LAST_CELLS)
    for index in range(start, len(nb.cells)):
        cell = nb.cells[index]
        if cell.cell_type == "markdown" and re.search(rf"^\W*{heading}\b", _plain(cell.source), re.M | re.I):
            return index, cell.source
    return None, None


def check_closing(nb, where: str) -> None:
    index, text = _closing_cell(nb, "Key points")
    assert index is not None, f"{where}: one of the last {LAST_CELLS} cells must be a markdown 'Key points' cell"
    low, high = KEY_POINTS_BULLETS
    count = len(_bullets(text))
    assert low <= count <= high, f"{where} cell {index}: 'Key points' has {count} bullets; write {low} to {high}"
    index, text = _closing_cell(nb, "Further reading")
    assert index is not None, (
        f"{where}: one of the last {LAST_CELLS} cells must be a markdown 'Further reading' section "
        "(entries from shared/reading-list.txt)"
    )
    assert _bullets(text), f"{where} cell {index}: list the further reading as bullets"


@pytest.mark.parametrize("lesson", _lessons())
def test_lesson_closes_with_key_points_and_further_reading(lesson):
    check_closing(_read(lesson), _rel(lesson))


# file reads that bypass cdcourse.datasets.load; in-memory text (io.StringIO) is fine
FILE_READS = [
    (re.compile(r"\bread_(csv|excel|parquet|table|json|feather|fwf|stata|spss|sas|pickle|orc|xml|html)\s*\((?!\s*(io\.)?StringIO)"),
     "reads a file with pandas"),
    (re.compile(r"\b(np|numpy)\.(loadtxt|genfromtxt|load|fromfile)\s*\("), "reads a file with NumPy"),
    (re.compile(r"\bopen\s*\(\s*[rbfuRBFU]*[\"']"), "opens a file by path"),
    (re.compile(r"[\"'][^\"'\n]*(datasets/|\.csv\b|\.xlsx?\b|\.parquet\b)[^\"'\n]*[\"']"), "names a data file"),
]


def _code_lines(source: str):
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "%", "!")):
            yield number, line


def check_data_access(nb, where: str) -> None:
    problems = [
        f"cell {index} line {number} {what}: {line.strip()}"
        for index, cell in enumerate(nb.cells) if cell.cell_type == "code"
        for number, line in _code_lines(cell.source)
        for pattern, what in FILE_READS if pattern.search(line)
    ]
    assert not problems, (
        f"{where} reads data around cdcourse.datasets.load:\n  " + "\n  ".join(problems)
        + "\nLoad course data with `from cdcourse.datasets import load; load('<name>')`, so the lesson runs "
        "wherever it is opened (Binder, a copy, the tests)."
    )


@pytest.mark.parametrize("lesson", _lessons())
def test_lesson_reads_data_only_through_datasets_load(lesson):
    check_data_access(_read(lesson), _rel(lesson))


# --------------------------------------------------------------------------------------------------
# execution


def run_lesson(path: Path, course_dir: Path, tmp_path: Path, where: str) -> None:
    """Execute ``path`` headless in a copy of ``course_dir``; fail with the cell index and traceback."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    from harness.nbgrader_roundtrip import isolated_env

    work = tmp_path / "course"
    shutil.copytree(course_dir, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    nb = _read(work / path.name)
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(work)}},
    )
    with client.setup_kernel(cwd=str(work), env=isolated_env(tmp_path)):
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except CellTimeoutError:
                pytest.fail(f"{where} cell {index} ran longer than {CELL_TIMEOUT} s:\n{cell.source}", pytrace=False)
            except DeadKernelError as exc:
                pytest.fail(f"{where} cell {index} killed the kernel ({exc}):\n{cell.source}", pytrace=False)
            except CellExecutionError as exc:
                pytest.fail(f"{where} cell {index} raised an error:\n{exc}", pytrace=False)


@pytest.mark.notebook
@pytest.mark.slow
@pytest.mark.parametrize("lesson", _lessons())
def test_lesson_runs_top_to_bottom(lesson, tmp_path):
    run_lesson(lesson, COURSE, tmp_path, _rel(lesson))


# --------------------------------------------------------------------------------------------------
# the checks themselves, proven on a tiny lesson written here (they must work before lessons land)


def _tiny_lesson(*, opening: str | None = None, code: str | None = None, key_points: int = 3):
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    opening = opening or (
        "# 00 · Harness check: a tiny lesson\n**Teaching:** 5 min · **Exercises:** 5 min\n\n"
        "## Objectives\n- Add two numbers.\n"
    )
    cells = [
        new_markdown_cell(opening),
        new_code_cell(code or (
            "from pathlib import Path\nimport matplotlib\nimport matplotlib.pyplot as plt\n"
            "fig, ax = plt.subplots()\nax.plot([1, 2], [3, 4])\ntotal = 1 + 2"
        )),
        new_code_cell(
            "assert total == 3\nassert Path.cwd().name == 'course', Path.cwd()\n"
            "assert matplotlib.get_backend().lower() == 'agg', matplotlib.get_backend()"
        ),
        new_markdown_cell("## Key points\n" + "".join(f"- point {i}\n" for i in range(key_points))),
        new_markdown_cell("## Further reading\n- The Copenhagen Framework on Citizen Data, UN Statistics Division"),
    ]
    return new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


def test_checks_accept_a_well_formed_lesson():
    nb = _tiny_lesson()
    check_opening(nb, "tiny.ipynb")
    check_closing(nb, "tiny.ipynb")
    check_data_access(nb, "tiny.ipynb")


@pytest.mark.parametrize(
    "lesson, check, message",
    [
        pytest.param(_tiny_lesson(opening="# A title\n## Objectives\n- x"), check_opening,
                     "Teaching: N min · Exercises: M min", id="no-timings"),
        pytest.param(_tiny_lesson(opening="# A title\nTeaching: 5 min · Exercises: 5 min"), check_opening,
                     "'Objectives' heading", id="no-objectives"),
        pytest.param(_tiny_lesson(key_points=2), check_closing, "has 2 bullets; write 3 to 5", id="two-key-points"),
        pytest.param(_tiny_lesson(code="import pandas as pd\ndf = pd.read_csv('../datasets/population.csv')"),
                     check_data_access, "cell 1 line 2 reads a file with pandas", id="read-csv"),
    ],
)
def test_checks_say_what_to_fix(lesson, check, message):
    with pytest.raises(AssertionError) as failure:
        check(lesson, "tiny.ipynb")
    assert message in str(failure.value)


def test_clean_check_names_the_cells_with_outputs():
    from nbformat.v4 import new_output

    nb = _tiny_lesson()
    nb.cells[2].execution_count = 4
    nb.cells[2].outputs = [new_output("stream", name="stdout", text="3\n")]
    check_clean(_tiny_lesson(), "tiny.ipynb")
    with pytest.raises(AssertionError, match=r"tiny\.ipynb: cells \[2\] have outputs.*--clear-output"):
        check_clean(nb, "tiny.ipynb")


def test_inline_text_data_is_not_a_file_read():
    check_data_access(_tiny_lesson(code="import io, pandas as pd\ndf = pd.read_csv(io.StringIO('a,b\\n1,2'))"), "tiny.ipynb")


@pytest.mark.notebook
@pytest.mark.slow
def test_run_lesson_executes_in_a_copy_of_the_course_folder(tmp_path):
    course = tmp_path / "src" / "course"
    course.mkdir(parents=True)
    nbformat.write(_tiny_lesson(), course / "tiny.ipynb")
    run_lesson(course / "tiny.ipynb", course, tmp_path / "run", "tiny.ipynb")
    assert not list(course.glob("*.png")) and len(list(course.iterdir())) == 1  # the original is untouched


@pytest.mark.notebook
@pytest.mark.slow
def test_run_lesson_names_the_failing_cell_and_its_error(tmp_path):
    course = tmp_path / "src" / "course"
    course.mkdir(parents=True)
    nb = _tiny_lesson()
    nb.cells[2].source = "ratio = total / 0"
    nbformat.write(nb, course / "broken.ipynb")
    with pytest.raises(pytest.fail.Exception, match=r"(?s)broken\.ipynb cell 2 raised an error:.*ZeroDivisionError"):
        run_lesson(course / "broken.ipynb", course, tmp_path / "run", "broken.ipynb")
