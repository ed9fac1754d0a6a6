"""The course website (``make site``, ``python -m cdcourse.site``) shows every lesson executed, in value-chain order.

Fast: stage and step names from lesson file names; the real lessons are found in teaching order with their
titles, minutes and objectives; the index groups them under the stages of the data value chain in order; Binder
links open the right notebook.

Slow (they start kernels): a tiny course builds into pages with outputs, images, navigation and Binder links; a
lesson with an error stops the build, naming the lesson and the cell, and leaves the previous site untouched; the
real course builds through the command ``make site`` runs (exit code 0, one page per lesson, plots embedded, no
error output anywhere).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cdcourse import site
from cdcourse.errors import CdcourseError

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "course"
REPO_SLUG = "example-org/course-kit"
SITE_TIMEOUT = 1800  # seconds for the whole real build (about 3 minutes for ten lessons on two cores)


def test_stage_of_follows_the_value_chain():
    assert site.stage_of("00_welcome") == "Getting started"
    assert [site.stage_of(s) for s in ("01_identify", "02_collect", "03_process")] == ["Collection"] * 3
    assert [site.stage_of(s) for s in ("04_analyze", "05_release", "06_disseminate")] == ["Publication"] * 3
    assert site.stage_of("07_connect") == "Uptake"
    assert site.stage_of("08_use_and_reuse") == "Impact"
    assert site.stage_of("09_influence_and_change") == "Uptake · Impact"


def test_binder_url_opens_the_notebook_in_jupyterlab():
    assert site.binder_url("org/repo", "main", "course/05_release.ipynb") == (
        "https://mybinder.org/v2/gh/org/repo/main?labpath=course%2F05_release.ipynb")


def test_real_lessons_are_found_in_teaching_order_with_their_openings():
    lessons = site.discover_lessons(COURSE)
    if not lessons:
        pytest.skip("no lessons in course/ yet")
    numbers = [int(l.stem.split("_")[0]) for l in lessons]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    for lesson in lessons:
        assert lesson.title and lesson.title != lesson.stem, f"{lesson.path.name}: no '# title' line found"
        assert re.match(r"Teaching: \d+ min", lesson.minutes), f"{lesson.path.name}: minutes {lesson.minutes!r}"
        assert lesson.objectives, f"{lesson.path.name}: no objectives found"


def test_index_lists_lessons_under_the_value_chain_stages_in_order():
    lessons = [site.Lesson(Path(f"course/{stem}.ipynb"), f"Title {stem}", "Teaching: 5 min · Exercises: 5 min", ("x",))
               for stem in ("00_welcome", "01_identify", "02_collect", "04_analyze", "07_connect", "08_use_and_reuse")]
    page = site._index(lessons, "org/repo", "main", has_syllabus=True)
    headings = [h.strip() for h in re.findall(r"<h2>([^<]+)", page)]
    assert headings == ["Getting started", "Collection", "Publication", "Uptake", "Impact"]
    links = re.findall(r'<h3><a href="([^"]+)"', page)
    assert links == [f"{l.stem}.html" for l in lessons], "the index must keep the teaching order"
    assert page.count("labpath=course%2F") == len(lessons) + 1  # one per lesson and one for the course
    assert 'href="syllabus.html"' in page


def test_binder_repo_must_look_like_owner_slash_repo(tmp_path):
    course = _tiny_course(tmp_path)
    with pytest.raises(CdcourseError, match=r"binder_repo must be 'OWNER/REPO'.*'not a repo'"):
        site.build_site(course, tmp_path / "out", binder_repo="not a repo")


def test_build_refuses_to_empty_a_folder_it_did_not_make(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "thesis.docx").write_text("precious")
    with pytest.raises(CdcourseError, match="not made by the site builder"):
        site._prepare_out(tmp_path / "out")
    assert (tmp_path / "out" / "thesis.docx").read_text() == "precious"


# --------------------------------------------------------------------------------------------------
# builds


def _lesson(title: str, code: str) -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_markdown_cell(f"# {title}\n\nTeaching: 5 min · Exercises: 5 min\n\n**Objectives**\n\n- Draw a line.\n"),
        new_code_cell(code),
        new_markdown_cell("## Key points\n\n- a\n- b\n- c\n"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


PLOT = "import matplotlib.pyplot as plt\nplt.plot([1, 2], [3, 4])\nplt.show()\nprint('plotted', 6 * 7)"


def _tiny_course(tmp_path: Path, *, broken: bool = False) -> Path:
    course = tmp_path / "course"
    course.mkdir(parents=True)
    nbformat.write(_lesson("00 · Welcome", PLOT), course / "00_welcome.ipynb")
    nbformat.write(_lesson("03 · Process", "1 / 0" if broken else "print('cleaned')"), course / "03_process.ipynb")
    (course / "README.md").write_text("# Syllabus\n\n| # | lesson |\n|---|---|\n| 00 | welcome |\n")
    return course


@pytest.mark.slow
@pytest.mark.notebook
def test_tiny_course_builds_pages_with_outputs_navigation_and_binder_links(tmp_path):
    result = site.build_site(_tiny_course(tmp_path), tmp_path / "out", binder_repo=REPO_SLUG)
    names = sorted(p.name for p in result.pages)
    assert names == ["00_welcome.html", "03_process.html", "index.html", "syllabus.html"]
    welcome = (tmp_path / "out" / "00_welcome.html").read_text(encoding="utf-8")
    assert "plotted 42" in welcome, "the page shows the lesson's executed output"
    assert re.search(r'<img[^>]+src="data:image/png;base64,', welcome), "the plot is embedded as an image"
    assert 'href="03_process.html" rel="next"' in welcome and 'href="index.html"' in welcome
    assert site.binder_url(REPO_SLUG, "main", "course/00_welcome.ipynb").replace("&", "&amp;") in welcome
    process = (tmp_path / "out" / "03_process.html").read_text(encoding="utf-8")
    assert 'href="00_welcome.html" rel="prev"' in process and "Value chain · Collection: process" in process
    assert "<table>" in (tmp_path / "out" / "syllabus.html").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.notebook
def test_a_failing_lesson_stops_the_build_and_keeps_the_previous_site(tmp_path):
    out = tmp_path / "out"
    site.build_site(_tiny_course(tmp_path / "good"), out, binder_repo=REPO_SLUG)
    before = (out / "index.html").read_text(encoding="utf-8")
    with pytest.raises(CdcourseError, match=r"(?s)course/03_process\.ipynb: cell 1 failed.*ZeroDivisionError"):
        site.build_site(_tiny_course(tmp_path / "bad", broken=True), out, binder_repo=REPO_SLUG)
    assert (out / "index.html").read_text(encoding="utf-8") == before


@pytest.mark.slow
@pytest.mark.notebook
def test_make_site_builds_the_whole_course(tmp_path):
    lessons = site.discover_lessons(COURSE)
    if not lessons:
        pytest.skip("no lessons in course/ yet")
    out = tmp_path / "_site"
    # the command `make site` runs, with the project's interpreter
    done = subprocess.run([sys.executable, "-m", "cdcourse.site", "--out", str(out), "--binder-repo", REPO_SLUG],
                          cwd=REPO, capture_output=True, text=True, timeout=SITE_TIMEOUT)
    assert done.returncode == 0, f"the site build failed:\n{(done.stdout + done.stderr)[-6000:]}"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'<h3><a href="([^"]+)"', index) == [l.page for l in lessons]
    for lesson in lessons:
        page = (out / lesson.page).read_text(encoding="utf-8")
        assert 'class="cdc-bar"' in page, f"{lesson.page} lacks the navigation bar"
        assert f"labpath=course%2F{lesson.path.name}" in page, f"{lesson.page} lacks its Binder link"
        assert "Traceback (most recent call last)" not in page, f"{lesson.page} shows an error"
    images = sum(len(re.findall(r'src="data:image/png;base64,', (out / l.page).read_text(encoding="utf-8")))
                 for l in lessons)
    assert images >= len(lessons) // 2, f"only {images} plots embedded across {len(lessons)} lessons"
    print(done.stdout)  # seconds per lesson, shown with pytest -s
