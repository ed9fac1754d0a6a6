"""The pieces of the instructor workflow that need no nbgrader round trip: roster, zip layouts, submission
inspection, leak detection, reports, kernel limits, the sandbox command, and the execution guard.

The whole cycle on real assignments is in tests/test_grading_workflow.py (fixture) and
tests/test_grading_course.py (a course assignment).
"""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from cdcourse.errors import CdcourseError
from cdcourse.grading import leaks
from cdcourse.grading.cohort import Learner, read_roster
from cdcourse.grading.collect import find_learner, match_notebook
from cdcourse.grading.report import StepReport

REPO = Path(__file__).resolve().parents[1]
FIXTURE_SOURCE = REPO / "tests" / "fixtures" / "course" / "source" / "fixture_weights" / "fixture_weights.ipynb"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


# --------------------------------------------------------------------------------------------------
# roster


def test_roster_reads_learners_ignoring_a_bom_blank_lines_and_extra_columns(tmp_path):
    path = write(tmp_path / "r.csv", "\ufeffID,First_Name,last_name,email,group\n"
                                     "s01,Ama,Owusu,ama@example.org,A\n\n"
                                     "s02,Kofi,\"Mensah, Jr.\",,B\n")
    assert read_roster(path) == [Learner("s01", "Ama", "Owusu", "ama@example.org"),
                                 Learner("s02", "Kofi", "Mensah, Jr.", "")]


@pytest.mark.parametrize("text, words", [
    ("id,first_name,email\ns01,Ama,a@b.org\n", ["no column 'last_name'", "columns are id, first_name, email"]),
    ("id,first_name,last_name,email\ns01,A,B,\ns01,C,D,\n", ["line 3", "'s01' repeats line 2"]),
    ("id,first_name,last_name,email\ns 01,A,B,\n", ["line 2", "id 's 01'", "letters, digits"]),
    ("id,first_name,last_name,email\n,A,B,\n", ["line 2: id is empty"]),
    ("id,first_name,last_name,email\ns01,A,B,not-an-email\n", ["email 'not-an-email'"]),
    ("id,first_name,last_name,email\n../x,A,B,\n", ["id '../x'"]),
    ("", ["is empty"]),
    ("id,first_name,last_name,email\n", ["lists no learners"]),
])
def test_a_bad_roster_is_refused_with_the_line_and_the_problem(tmp_path, text, words):
    path = write(tmp_path / "r.csv", text)
    with pytest.raises(CdcourseError) as err:
        read_roster(path)
    for word in words:
        assert word in str(err.value)


def test_a_roster_that_is_not_utf8_or_missing_is_refused(tmp_path):
    with pytest.raises(CdcourseError, match="does not exist"):
        read_roster(tmp_path / "nope.csv")
    path = tmp_path / "latin.csv"
    path.write_bytes("id,first_name,last_name,email\ns01,Jos\xe9,B,\n".encode("latin-1"))
    with pytest.raises(CdcourseError, match="not UTF-8"):
        read_roster(path)


def test_init_with_a_bad_roster_creates_nothing(tmp_path):
    from cdcourse.grading import init_cohort

    bad = write(tmp_path / "r.csv", "id,name\ns01,Ama\n")
    with pytest.raises(CdcourseError, match="no column"):
        init_cohort(tmp_path / "cohort", bad)
    assert not (tmp_path / "cohort").exists()


def test_init_refuses_a_folder_that_holds_something_else(tmp_path):
    from cdcourse.grading import init_cohort

    roster = write(tmp_path / "r.csv", "id,first_name,last_name,email\ns01,A,B,\n")
    (tmp_path / "busy").mkdir()
    write(tmp_path / "busy" / "thesis.docx", "")
    with pytest.raises(CdcourseError, match="not empty"):
        init_cohort(tmp_path / "busy", roster)


def test_cli_reports_a_bad_roster_with_exit_code_2(tmp_path, capsys):
    from cdcourse.cli import main

    bad = write(tmp_path / "r.csv", "id,first_name,last_name,email\ns01,A,B,x\n")
    assert main(["grade", "init", str(tmp_path / "c"), "--roster", str(bad)]) == 2
    assert "email 'x'" in capsys.readouterr().err


def test_cli_steps_need_a_course_root(tmp_path, capsys):
    from cdcourse.cli import main

    assert main(["grade", "autograde", "sampling", "--course", str(tmp_path)]) == 2
    assert "not a course root" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------------
# zip layouts


@pytest.mark.parametrize("path, learner, rest", [
    ("s01/sampling.ipynb", "s01", "sampling"),
    ("submissions/s01/sampling.ipynb", "s01", "sampling"),
    ("s01_sampling.ipynb", "s01", "sampling"),
    ("s01-sampling-v2.ipynb", "s01", "sampling-v2"),
    ("Ama Owusu_s01_assignsubmission_file_/sampling.ipynb", "s01", "sampling"),
    ("owusuama_s01_12345_sampling.ipynb", "s01", "owusuama_s01_12345_sampling"),
    ("s10/sampling.ipynb", "s10", "sampling"),
    ("s1_sampling.ipynb", "s1", "sampling"),
    ("stranger/sampling.ipynb", None, "sampling"),
])
def test_a_learner_is_found_in_common_platform_layouts(path, learner, rest):
    found, left = find_learner(PurePosixPath(path), {"s01", "s02", "s1", "s10"})
    assert (found, left) == (learner, rest)
    assert match_notebook(left, ["sampling", "cleaning"]) == "sampling"


def test_a_notebook_name_is_matched_only_when_unambiguous():
    assert match_notebook("Sampling (2)", ["sampling", "cleaning"]) == "sampling"
    assert match_notebook("part_b", ["part_a", "part_b"]) == "part_b"
    assert match_notebook("Untitled", ["part_a", "part_b"]) is None


def _fake_cohort(tmp_path: Path) -> Path:
    root = tmp_path / "cohort"
    (root / "source" / "sampling").mkdir(parents=True)
    write(root / "nbgrader_config.py", "c = get_config()\n")
    nbformat.write(new_notebook(), root / "source" / "sampling" / "sampling.ipynb")
    return root


def test_collect_refuses_a_file_that_is_not_a_zip_and_an_unknown_assignment(tmp_path):
    from cdcourse.grading import collect_zip

    root = _fake_cohort(tmp_path)
    fake = write(tmp_path / "subs.zip", "not a zip")
    with pytest.raises(CdcourseError, match="is not a zip file"):
        collect_zip(root, "sampling", fake)
    with pytest.raises(CdcourseError, match="assignments are: sampling"):
        collect_zip(root, "sampel", fake)
    with pytest.raises(CdcourseError, match="timestamp 'yesterday'"):
        collect_zip(root, "sampling", fake, timestamp="yesterday")


# --------------------------------------------------------------------------------------------------
# inspecting a submitted folder


def _nb(tmp: Path, name: str, text: str | None = None) -> Path:
    path = tmp / name
    if text is None:
        nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]), path)
    else:
        path.write_text(text)
    return path


def test_a_single_notebook_with_the_wrong_name_is_graded_under_the_right_one(tmp_path):
    from cdcourse.grading.batch import inspect_submission

    _nb(tmp_path, "Untitled (3).ipynb")
    sub = inspect_submission("s01", tmp_path, ["sampling"])
    assert not sub.problem and sub.notebooks["sampling"].name == "Untitled (3).ipynb"
    assert "wrong file name 'Untitled (3).ipynb'" in sub.notes[0]


def test_invalid_json_is_reported_with_line_and_column(tmp_path):
    from cdcourse.grading.batch import inspect_submission

    _nb(tmp_path, "sampling.ipynb", '{"cells": [')
    sub = inspect_submission("s01", tmp_path, ["sampling"])
    assert "not valid JSON" in sub.problem and "line 1, column 12" in sub.problem


def test_a_folder_without_any_notebook_of_the_assignment_is_reported(tmp_path):
    from cdcourse.grading.batch import inspect_submission

    _nb(tmp_path, "a.ipynb")
    _nb(tmp_path, "b.ipynb")
    sub = inspect_submission("s01", tmp_path, ["sampling"])
    assert sub.problem.startswith("no notebook of this assignment") and "'a.ipynb', 'b.ipynb'" in sub.problem


def test_a_missing_second_notebook_scores_zero_and_extra_ones_are_ignored(tmp_path):
    from cdcourse.grading.batch import inspect_submission

    _nb(tmp_path, "part_a.ipynb")
    _nb(tmp_path, "scratch.ipynb")
    _nb(tmp_path, "old.ipynb")
    sub = inspect_submission("s01", tmp_path, ["part_a", "part_b"])
    assert list(sub.notebooks) == ["part_a"]
    assert any("ignored 'old.ipynb', 'scratch.ipynb'" in n for n in sub.notes)
    assert any("no part_b.ipynb" in n for n in sub.notes)


def test_the_fingerprint_changes_with_any_file_and_only_then(tmp_path):
    from cdcourse.grading.batch import fingerprint

    sub, src = tmp_path / "sub", tmp_path / "src"
    sub.mkdir()
    src.mkdir()
    _nb(sub, "a.ipynb")
    write(src / "a.ipynb", "{}")
    first = fingerprint(sub, src)
    assert fingerprint(sub, src) == first
    write(sub / "timestamp.txt", "2025-03-01T10:00:00+00:00")
    second = fingerprint(sub, src)
    assert second != first
    write(src / "a.ipynb", "{ }")
    assert fingerprint(sub, src) != second


# --------------------------------------------------------------------------------------------------
# leaks


def test_hidden_lines_match_the_assignment_harness_on_the_fixture():
    from harness.nbgrader_roundtrip import secret_lines as harness_secrets

    nb = nbformat.read(FIXTURE_SOURCE, as_version=4)
    assert set(leaks.secret_lines(nb)) == set(harness_secrets(nb).hidden)
    assert set(leaks.secret_lines(nb, solutions=True)) == set(harness_secrets(nb).hidden) | set(
        harness_secrets(nb).solution)


def test_a_hidden_line_is_found_in_highlighted_html():
    page = ('<div class="highlight"><pre><span class="k">assert</span> <span class="n">sample_size</span>'
            '<span class="p">(</span><span class="mf">0.5</span>, 0.05, deff=2.0) == 769, '
            '&quot;the design effect is not applied correctly&quot;</pre></div>')
    secrets = leaks.secret_lines(nbformat.read(FIXTURE_SOURCE, as_version=4))
    assert leaks.find_leaks(secrets, leaks.page_text(page)) == [
        'assert sample_size(0.5, 0.05, deff=2.0) == 769, "the design effect is not applied correctly"']
    assert leaks.find_leaks(secrets, leaks.page_text("<p>assert sample_size(0.5, 0.05) == 385</p>")) == []


# --------------------------------------------------------------------------------------------------
# reports


def test_a_report_prints_as_an_aligned_table_and_converts_to_a_frame():
    report = StepReport("autograde demo", ("learner", "score", "notes"),
                        ({"learner": "s01", "score": "5 / 7", "notes": ["a", "b"]},
                         {"learner": "s002", "score": "", "notes": []}), ("1 graded",), ok=False)
    lines = report.table().splitlines()
    assert lines[0] == "autograde demo"
    assert lines[1].index("score") == lines[3].index("5 / 7")
    assert lines[3].endswith("a; b") and lines[-1] == "* 1 graded"
    frame = report.to_frame()
    assert list(frame.columns) == ["learner", "score", "notes"] and len(frame) == 2
    assert "needs your attention" in report._repr_html_()
    assert report.column("score") == {"s01": "5 / 7", "s002": ""}


# --------------------------------------------------------------------------------------------------
# kernel limits and the sandbox command


def _launch(*args: str, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cdcourse.grading._launch", *args, "--", sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=60)


def test_the_kernel_launcher_limits_memory():
    done = _launch("--memory-mb", "300", code="x = bytes(600 * 2**20)")
    assert done.returncode == 1 and "MemoryError" in done.stderr
    assert _launch("--memory-mb", "300", code="x = bytes(50 * 2**20)").returncode == 0


def test_the_kernel_launcher_limits_file_size_without_killing_the_kernel(tmp_path):
    code = (f"import errno\ntry:\n    open({str(tmp_path / 'big')!r}, 'wb').write(b'x' * 3 * 2**20)\n"
            "except OSError as e:\n    print('refused', errno.errorcode[e.errno])")
    done = _launch("--file-mb", "1", code=code)
    assert done.returncode == 0 and "refused EFBIG" in done.stdout


def test_the_sandbox_binds_only_what_a_kernel_needs(tmp_path):
    from cdcourse.grading import sandbox

    if sandbox.bwrap() is None:
        pytest.skip("bubblewrap (bwrap) is not installed")
    readable = tmp_path / "env"
    course = readable / "cohort"  # a course root that happens to sit inside a readable folder
    course.mkdir(parents=True)
    mine = tmp_path / "work" / "s01"
    mine.mkdir(parents=True)
    cmd = sandbox.bwrap_command(writable=[mine], scratch=tmp_path / "scratch", hide=[course], readable=[readable],
                                env={"HOME": "/tmp"})
    pairs = list(zip(cmd, cmd[1:], cmd[2:]))
    assert ("--ro-bind", str(readable), str(readable)) in pairs
    assert ("--bind", str(mine), str(mine)) in pairs
    assert ("--tmpfs", str(course)) in list(zip(cmd, cmd[1:]))
    assert ("--bind", str(tmp_path / "scratch"), "/tmp") in pairs
    assert {"--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--clearenv"} <= set(cmd)
    assert ("--size", str(64 * 2**20), "--tmpfs") in pairs  # /dev/shm cannot hold much memory
    assert not any(a in ("--bind", "--ro-bind") and b in ("/", "/root", "/home", str(tmp_path))
                   for a, b in zip(cmd, cmd[1:]))


# --------------------------------------------------------------------------------------------------
# the execution guard, on a tiny notebook (starts a few kernels)


def _run(cells: list[str], **options):
    from cdcourse.grading.preprocessors import EVENTS, GuardedExecute

    EVENTS.clear()
    nb = new_notebook(cells=[new_code_cell(c) for c in cells],
                      metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    GuardedExecute(timeout=options.pop("timeout", 10), **options).preprocess(nb, {"metadata": {"path": "."}})
    return nb, list(EVENTS)


@pytest.mark.slow
def test_after_a_killed_kernel_earlier_cells_are_replayed_and_grading_goes_on(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nb, events = _run(["a = 41", "import os\nos._exit(5)", "print(a + 1)"])
    assert nb.cells[1].outputs[-1].ename == "KernelStopped" and "exited with code 5" in nb.cells[1].outputs[-1].evalue
    assert nb.cells[2].outputs[0].text.strip() == "42"
    assert nb.cells[0].outputs == []  # the replay's outputs are not kept
    assert any("1 earlier code cells replayed" in e["message"] for e in events)


@pytest.mark.slow
def test_after_too_many_kernel_deaths_the_rest_is_marked_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    kill = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"
    nb, events = _run(["a = 1", kill, kill, "b = 2"], max_kernel_restarts=1)
    assert [o.ename for o in nb.cells[3].outputs] == ["NotRun"]
    assert "later cells were not run" in nb.cells[3].outputs[0].evalue
    assert sum("kernel stopped 2 times" in e["message"] for e in events) == 1


def test_collect_skips_a_zip_member_too_large_to_be_a_notebook(tmp_path):
    from cdcourse.grading import collect_zip

    root = _fake_cohort(tmp_path)
    bomb = tmp_path / "subs.zip"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("s01/sampling.ipynb", b"0" * (101 * 2**20))
    report = collect_zip(root, "sampling", bomb)
    (row,) = [r for r in report.rows if r["file"] == "s01/sampling.ipynb"]
    assert row["status"] == "ignored" and "too large" in row["notes"][0]
    assert not (root / "submitted").exists()
