"""The course website: every lesson executed and turned into a static HTML page, with an index along the chain.

``make site`` runs ``python -m cdcourse.site --out _site``. For each ``course/NN_name.ipynb``:

1. the lesson runs top to bottom in a fresh kernel (nbclient, the venv's ``python3``), in a temporary copy of
   ``course/`` so nothing is written beside the sources, with plots drawn inline as a learner sees them. Any
   error in any cell stops the build with the lesson, the cell and the error (exit code 1): a site is never
   published with a broken lesson in it;
2. the executed notebook becomes ``NN_name.html`` (nbconvert's JupyterLab template, images embedded), with a
   bar on top: back to the index, the lesson's stage of the data value chain, previous / next lesson, and a
   **Launch in Binder** link that opens that very notebook in JupyterLab on mybinder.org.

``index.html`` lists the lessons under the stages of the data value chain (Open Data Watch / Data2X:
collection, publication, uptake, impact), each with its minutes and objectives, and ``syllabus.html`` is
``course/README.md``. The output folder is self-contained (upload it to any static host; ``.nojekyll`` is
there for GitHub Pages).

Binder links point at ``--binder-repo OWNER/REPO`` (or ``CDCOURSE_BINDER_REPO``), else at the GitHub
repository of the ``origin`` remote, else at the placeholder ``OWNER/REPO`` (with a warning): set it for a
fork. ``--binder-ref`` is the branch (default ``main``).

Examples
--------
>>> stage_of("05_release")
'Publication'
>>> stage_of("09_influence_and_change")
'Uptake · Impact'
>>> binder_url("my-org/course-kit", "main", "course/00_welcome.ipynb")
'https://mybinder.org/v2/gh/my-org/course-kit/main?labpath=course%2F00_welcome.ipynb'
"""
from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import quote

from cdcourse.errors import CdcourseError

__all__ = ["Lesson", "SiteResult", "binder_url", "build_site", "discover_lessons", "main", "stage_of"]

PLACEHOLDER_REPO = "OWNER/REPO"
BINDER_BASE = "https://mybinder.org/v2/gh"
BADGE = "https://mybinder.org/badge_logo.svg"
CELL_TIMEOUT = 120  # seconds per cell, as the notebook tests allow
MARKER = ".cdcourse-site"  # marks an output folder this module made, so a rebuild may empty it
# The data value chain (Open Data Watch / Data2X): four stages of three steps each, in order.
VALUE_CHAIN = (
    ("Collection", ("identify", "collect", "process")),
    ("Publication", ("analyze", "release", "disseminate")),
    ("Uptake", ("connect", "incentivize", "influence")),
    ("Impact", ("use", "change", "reuse")),
)
START = "Getting started"


class SiteError(CdcourseError):
    """The site cannot be built; the message names the lesson and what went wrong."""


# --------------------------------------------------------------------------------------------------
# lessons and the chain


def stage_of(stem: str) -> str:
    """The value-chain stage(s) a lesson covers, from the step words of its file name (``NN_step_...``).

    A lesson that names no step (the welcome) is ``"Getting started"``; one that spans stages names them
    in chain order, joined by " · ".
    """
    words = set(re.sub(r"^\d+_?", "", stem).lower().split("_"))
    stages = [stage for stage, steps in VALUE_CHAIN if words & set(steps)]
    return " · ".join(stages) if stages else START


def steps_of(stem: str) -> list[str]:
    """The value-chain steps named in a lesson's file name, in chain order.

    >>> steps_of("08_use_and_reuse")
    ['use', 'reuse']
    """
    words = set(re.sub(r"^\d+_?", "", stem).lower().split("_"))
    return [step for _, steps in VALUE_CHAIN for step in steps if step in words]


def binder_url(repo: str, ref: str, path: str) -> str:
    """The mybinder.org address that opens ``path`` of GitHub repository ``repo`` at ``ref`` in JupyterLab."""
    return f"{BINDER_BASE}/{repo}/{quote(ref, safe='')}?labpath={quote(path, safe='')}"


@dataclass(frozen=True)
class Lesson:
    """A lesson notebook and what the index shows of it."""

    path: Path
    title: str
    minutes: str
    objectives: tuple[str, ...]

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def stage(self) -> str:
        return stage_of(self.stem)

    @property
    def page(self) -> str:
        return f"{self.stem}.html"


def _plain(text: str) -> str:
    return re.sub(r"[*_`]", "", text)


def read_lesson(path: Path) -> Lesson:
    """Title, minutes and objectives from the first markdown cell (the course's lesson opening)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    title = next((re.sub(r"^#+\s*", "", line).strip() for line in first.splitlines() if line.startswith("#")),
                 path.stem)
    minutes = next((m.group(0) for m in [re.search(r"Teaching:\s*\d+\s*min.*?Exercises:\s*\d+\s*min", _plain(first))]
                    if m), "")
    objectives: list[str] = []
    after = re.split(r"^\W*Objectives\b.*$", first, maxsplit=1, flags=re.M | re.I)
    if len(after) == 2:
        for line in after[1].splitlines():
            match = re.match(r"\s*[-*+]\s+(.*\S)", line)
            if match:
                objectives.append(match.group(1))
            elif objectives and line.strip() and not line.startswith(" "):
                break
    return Lesson(path=path, title=title, minutes=minutes, objectives=tuple(objectives))


def discover_lessons(course_dir: Path) -> list[Lesson]:
    """The lesson notebooks of ``course_dir`` (``NN_name.ipynb``), in teaching order."""
    paths = sorted(p for p in Path(course_dir).glob("*.ipynb") if re.match(r"\d+_", p.name))
    return [read_lesson(p) for p in paths]


# --------------------------------------------------------------------------------------------------
# executing


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # plots inline, as in JupyterLab (a test run may have set Agg)
    return env


def execute_lesson(path: str, course_dir: str, timeout: int = CELL_TIMEOUT) -> tuple[str, str | None, float]:
    """Run one lesson in a temporary copy of its folder: (notebook JSON, error or None, seconds).

    A top-level function (not a method) so a process pool can run several lessons side by side.
    """
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="cdcourse-site-") as tmp:
        work = Path(tmp) / "course"
        shutil.copytree(course_dir, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        nb = nbformat.read(work / Path(path).name, as_version=4)
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                                resources={"metadata": {"path": str(work)}})
        error = None
        try:
            client.execute(cwd=str(work), env=_kernel_env())
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
            index = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"
                          and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
            where = f"cell {index}" if index is not None else "a cell"
            error = f"{where} failed: {type(exc).__name__}: {str(exc).strip()[-3000:]}"
        return nbformat.writes(nb), error, time.perf_counter() - start


# --------------------------------------------------------------------------------------------------
# pages

CSS = """
.cdc-bar { position: sticky; top: 0; z-index: 100; display: flex; flex-wrap: wrap; gap: 0.4em 1.2em;
  align-items: center; padding: 0.55em 1.2em; background: #1f3b57; color: #fff;
  font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.cdc-bar a { color: #fff; }
.cdc-bar .cdc-home { font-weight: 600; text-decoration: none; }
.cdc-bar .cdc-stage { opacity: 0.9; }
.cdc-bar .cdc-spacer { flex: 1; }
.cdc-bar img, .cdc-launch img { vertical-align: middle; }
.cdc-foot { display: flex; justify-content: space-between; padding: 1.2em; border-top: 1px solid #ccc;
  font: 15px/1.4 system-ui, sans-serif; }
body.cdc-index { max-width: 60em; margin: 0 auto; padding: 0 1.2em 3em;
  font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; }
.cdc-index h2 { margin-top: 1.6em; border-bottom: 2px solid #1f3b57; padding-bottom: 0.2em; }
.cdc-index .cdc-lesson { margin: 1em 0 1.4em; }
.cdc-index .cdc-lesson h3 { margin: 0 0 0.2em; }
.cdc-index .cdc-meta { color: #444; margin: 0 0 0.3em; }
.cdc-index a { color: #0b5394; }
"""


def _bar(lesson: Lesson, prev: Lesson | None, nxt: Lesson | None, launch: str) -> str:
    steps = ", ".join(steps_of(lesson.stem))
    stage = html.escape(lesson.stage + (f": {steps}" if steps else ""))
    prev_link = f'<a href="{prev.page}" rel="prev">‹ {html.escape(prev.stem)}</a>' if prev else ""
    next_link = f'<a href="{nxt.page}" rel="next">{html.escape(nxt.stem)} ›</a>' if nxt else ""
    return (
        f'<style>{CSS}</style><nav class="cdc-bar" aria-label="Course navigation">'
        f'<a class="cdc-home" href="index.html">Citizen Data Course Kit</a>'
        f'<span class="cdc-stage">Value chain · {stage}</span><span class="cdc-spacer"></span>'
        f"{prev_link}{next_link}"
        f'<a class="cdc-launch" href="{html.escape(launch)}"><img src="{BADGE}" alt="Launch this lesson in Binder" '
        f'height="20"></a></nav>'
    )


def _foot(prev: Lesson | None, nxt: Lesson | None) -> str:
    prev_link = f'<a href="{prev.page}">‹ {html.escape(prev.title)}</a>' if prev else "<span></span>"
    next_link = f'<a href="{nxt.page}">{html.escape(nxt.title)} ›</a>' if nxt else '<a href="index.html">Back to the index</a>'
    return f'<nav class="cdc-foot" aria-label="Previous and next lesson">{prev_link}{next_link}</nav>'


def _with_chrome(page: str, bar: str, foot: str) -> str:
    page, found = re.subn(r"(<body[^>]*>)", lambda m: m.group(1) + bar, page, count=1)
    if not found:
        raise SiteError("nbconvert's page has no <body> tag; cannot add the navigation")
    return re.sub(r"(</body>)", lambda m: foot + m.group(1), page, count=1)


def _index(lessons: list[Lesson], repo: str, ref: str, has_syllabus: bool) -> str:
    sections: list[tuple[str, list[Lesson]]] = []
    for lesson in lessons:  # consecutive lessons of the same stage share a heading; teaching order is kept
        if sections and sections[-1][0] == lesson.stage:
            sections[-1][1].append(lesson)
        else:
            sections.append((lesson.stage, [lesson]))
    parts = []
    for stage, members in sections:
        steps = [s for name, ss in VALUE_CHAIN if name in stage.split(" · ") for s in ss]
        sub = f' <small>({", ".join(steps)})</small>' if steps else ""
        parts.append(f"<section><h2>{html.escape(stage)}{sub}</h2>")
        for lesson in members:
            launch = binder_url(repo, ref, f"course/{lesson.path.name}")
            objectives = "".join(f"<li>{html.escape(_plain(o))}</li>" for o in lesson.objectives)
            parts.append(
                f'<article class="cdc-lesson"><h3><a href="{lesson.page}">{html.escape(lesson.title)}</a></h3>'
                f'<p class="cdc-meta">{html.escape(lesson.minutes)} · '
                f'<a href="{html.escape(launch)}">launch in Binder</a></p>'
                + (f"<ul>{objectives}</ul>" if objectives else "") + "</article>"
            )
        parts.append("</section>")
    whole = binder_url(repo, ref, f"course/{lessons[0].path.name}") if lessons else "#"
    syllabus = ' The <a href="syllabus.html">syllabus</a> has the timings and a two-day workshop plan.' if has_syllabus else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Citizen Data Course Kit: lessons</title><style>{CSS}</style></head>
<body class="cdc-index"><main>
<h1>Citizen Data Course Kit</h1>
<p>Lessons on <strong>citizen data</strong>, in the order of the data value chain (collection, publication,
uptake, impact). Each page shows a lesson run from top to bottom on synthetic data from the Republic of
Lumeria. To run it yourself, with working widgets and self-checks, launch it in Binder (nothing to install)
or run <code>make lab</code> in a copy of the repository.{syllabus}</p>
<p><a class="cdc-launch" href="{html.escape(whole)}"><img src="{BADGE}" alt="Launch the course in Binder"
height="20"></a></p>
{''.join(parts)}
</main></body></html>
"""


def _syllabus(readme: Path) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    body = markdown2html_mistune(readme.read_text(encoding="utf-8"))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Citizen Data Course Kit: syllabus</title><style>{CSS}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 0.25em 0.5em; }}</style></head>
<body class="cdc-index"><main><p><a href="index.html">‹ Lessons</a></p>{body}</main></body></html>
"""


# --------------------------------------------------------------------------------------------------
# building


@dataclass
class SiteResult:
    """What a build wrote: the output folder, the pages, and seconds per lesson."""

    out_dir: Path
    pages: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    binder_repo: str = PLACEHOLDER_REPO


def default_binder_repo(repo_dir: Path) -> str:
    """``OWNER/REPO`` from ``CDCOURSE_BINDER_REPO``, else from a GitHub ``origin`` remote, else the placeholder."""
    if os.environ.get("CDCOURSE_BINDER_REPO"):
        return os.environ["CDCOURSE_BINDER_REPO"]
    try:
        url = subprocess.run(["git", "remote", "get-url", "origin"], cwd=repo_dir, capture_output=True,
                             text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        url = ""
    match = re.search(r"github\.com[:/]([^/]+/[^/]+?)(?:\.git)?/?$", url)
    return match.group(1) if match else PLACEHOLDER_REPO


def _prepare_out(out_dir: Path) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / MARKER).exists():
            raise SiteError(f"out_dir {str(out_dir)!r} is not empty and was not made by the site builder; "
                            "choose an empty or new folder")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MARKER).write_text("made by python -m cdcourse.site; rebuilt from scratch each time\n", encoding="utf-8")
    (out_dir / ".nojekyll").write_text("", encoding="utf-8")


def build_site(course_dir: Path, out_dir: Path, *, binder_repo: str = PLACEHOLDER_REPO, binder_ref: str = "main",
               jobs: int = 1, timeout: int = CELL_TIMEOUT, log=None) -> SiteResult:
    """Execute every lesson of ``course_dir`` and write the website to ``out_dir``.

    Parameters
    ----------
    course_dir : the folder of lesson notebooks (``NN_name.ipynb``) and, optionally, ``README.md``.
    out_dir : where the pages go; emptied first if a previous build made it, refused if it holds other files.
    binder_repo, binder_ref : the GitHub repository (``OWNER/REPO``) and branch the Binder links open.
    jobs : lessons run side by side (each in its own kernel).
    timeout : seconds one cell may run.
    log : a callable taking one line of progress (``print`` for the command line), or None.

    Raises
    ------
    SiteError : no lesson, a lesson with an error in any cell (naming the lesson and cell), or an unusable
        ``out_dir``. Nothing is left half-built in ``out_dir`` when a lesson fails.
    """
    from nbconvert import HTMLExporter
    import nbformat

    course_dir, out_dir = Path(course_dir), Path(out_dir)
    lessons = discover_lessons(course_dir)
    if not lessons:
        raise SiteError(f"course_dir {str(course_dir)!r} has no lesson notebooks (NN_name.ipynb)")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", binder_repo):
        raise SiteError(f"binder_repo must be 'OWNER/REPO' (a GitHub repository); got {binder_repo!r}")
    say = log or (lambda line: None)
    executed: dict[str, tuple[str, float]] = {}
    failures: dict[str, str] = {}
    args = [(str(l.path), str(course_dir), timeout) for l in lessons]
    if jobs > 1 and len(lessons) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(lessons)), mp_context=get_context("spawn")) as pool:
            results = pool.map(execute_lesson, *zip(*args))
            for lesson, (text, error, seconds) in zip(lessons, results):
                _collect(lesson, text, error, seconds, executed, failures, say)
    else:
        for lesson, arg in zip(lessons, args):
            text, error, seconds = execute_lesson(*arg)
            _collect(lesson, text, error, seconds, executed, failures, say)
    if failures:
        raise SiteError("the site was not built; these lessons fail:\n" + "\n".join(
            f"- course/{name}: {error}" for name, error in failures.items()))

    _prepare_out(out_dir)
    exporter = HTMLExporter(template_name="lab")
    result = SiteResult(out_dir=out_dir, binder_repo=binder_repo,
                        seconds={name: round(s, 1) for name, (_, s) in executed.items()})
    for i, lesson in enumerate(lessons):
        prev = lessons[i - 1] if i > 0 else None
        nxt = lessons[i + 1] if i + 1 < len(lessons) else None
        nb = nbformat.reads(executed[lesson.path.name][0], as_version=4)
        nb.metadata["title"] = lesson.title  # nbconvert's <title>
        body, _ = exporter.from_notebook_node(nb)
        launch = binder_url(binder_repo, binder_ref, f"course/{lesson.path.name}")
        page = _with_chrome(body, _bar(lesson, prev, nxt, launch), _foot(prev, nxt))
        (out_dir / lesson.page).write_text(page, encoding="utf-8")
        result.pages.append(out_dir / lesson.page)
    readme = course_dir / "README.md"
    if readme.exists():
        (out_dir / "syllabus.html").write_text(_syllabus(readme), encoding="utf-8")
        result.pages.append(out_dir / "syllabus.html")
    (out_dir / "index.html").write_text(_index(lessons, binder_repo, binder_ref, readme.exists()), encoding="utf-8")
    result.pages.insert(0, out_dir / "index.html")
    return result


def _collect(lesson, text, error, seconds, executed, failures, say) -> None:
    if error:
        failures[lesson.path.name] = error
        say(f"FAILED {lesson.path.name} after {seconds:.1f} s")
    else:
        executed[lesson.path.name] = (text, seconds)
        say(f"ran {lesson.path.name} in {seconds:.1f} s")


def main(argv: list[str] | None = None) -> int:
    """``python -m cdcourse.site``: build the course website; exit code 1 when a lesson fails."""
    repo_dir = Path.cwd()
    parser = argparse.ArgumentParser(prog="python -m cdcourse.site",
                                     description="Build the course website: every lesson executed, as static HTML.")
    parser.add_argument("--course", type=Path, default=repo_dir / "course", help="lesson folder (default: course)")
    parser.add_argument("--out", type=Path, default=repo_dir / "_site", help="output folder (default: _site)")
    parser.add_argument("--binder-repo", default=None,
                        help="GitHub OWNER/REPO the Binder links open (default: CDCOURSE_BINDER_REPO, the origin "
                             f"remote, else the placeholder {PLACEHOLDER_REPO})")
    parser.add_argument("--binder-ref", default="main", help="branch the Binder links open (default: main)")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="lessons run side by side (default: 2 or the number of cores, if fewer)")
    parser.add_argument("--timeout", type=int, default=CELL_TIMEOUT, help="seconds one cell may run")
    args = parser.parse_args(argv)
    repo = args.binder_repo or default_binder_repo(repo_dir)
    if repo == PLACEHOLDER_REPO:
        print(f"note: Binder links use the placeholder {PLACEHOLDER_REPO}; pass --binder-repo OWNER/REPO or set "
              "CDCOURSE_BINDER_REPO", file=sys.stderr)
    start = time.perf_counter()
    try:
        result = build_site(args.course, args.out, binder_repo=repo, binder_ref=args.binder_ref, jobs=args.jobs,
                            timeout=args.timeout, log=print)
    except CdcourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {len(result.pages)} pages to {result.out_dir} in {time.perf_counter() - start:.0f} s; "
          f"open {result.out_dir / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
