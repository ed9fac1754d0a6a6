"""What a learner sees in a real browser: JupyterLab in headless Chromium, driven by Playwright.

The server is the venv's JupyterLab on 127.0.0.1 with a token, serving a temporary folder that holds a copy of
``course/`` and the learner's copy of a released assignment (the harness fixture ``fixture_weights``, released
with nbgrader). It is configured as ``binder/postBuild`` configures Binder: the instructor-only nbgrader panels
are off. The browser is Debian's Chromium at ``/usr/bin/chromium`` (``.ci/run`` installs it); Playwright never
downloads one. Without that executable the tests are skipped, with the reason.

Checked, as a learner would see it:

- ``course/00_welcome.ipynb``: Run ▸ Run All Cells finishes with no error output; the dataset explorer renders
  its controls and, when the learner picks another "Disaggregate by" in its dropdown, its table changes to the
  new grouping; self-check results (✓ Correct / ✗ Incorrect / ○ Not attempted) appear; a chart is shown as an
  image that has really loaded.
- the released assignment: the notebook toolbar has nbgrader's Validate button, and pressing it gives a
  validation report; the Nbgrader menu offers the assignment list but not the instructor's formgrader.

On a failure, ``test-artifacts/<test>.png`` (full-page screenshot), ``.html`` and ``.server.log`` are written
(the folder is git-ignored; CI keeps it). All tests are marked ``browser`` and ``slow``.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from browser.lab import (
    REPO,
    JupyterLab,
    chromium_path,
    launch_chromium,
    on_failure_save_artifacts,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WELCOME = "00_welcome.ipynb"
ASSIGNMENT = "fixture_weights"
RUN_ALL_TIMEOUT = 240_000  # ms for Run All Cells on the welcome lesson (about 20 s on a laptop)
STEP_TIMEOUT = 60_000  # ms for one visible change after an action
CODE_PROMPTS_DONE = """() => {
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""


@pytest.fixture
def chromium():
    path = chromium_path()
    if path is None:
        pytest.skip("no Chromium at /usr/bin/chromium (install Debian's package `chromium`, as .ci/run does, "
                    "or set CDCOURSE_CHROMIUM to its path); Playwright is never allowed to download one")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("playwright is not installed in the venv; it is part of the test extra (`make test`)")
    return path


def _release_fixture_assignment(workdir: Path) -> Path:
    """The learner's copy of the released fixture assignment, as nbgrader generates it."""
    from harness.nbgrader_roundtrip import Assignment, copy_course_root, isolated_env, nbgrader

    fixture = Assignment(ASSIGNMENT, REPO / "tests" / "fixtures" / "course")
    root = workdir / "instructor"
    copy_course_root(fixture, root, REPO / "exercises" / "nbgrader_config.py")
    nbgrader(root, isolated_env(workdir), "generate_assignment", ASSIGNMENT, "--force")
    return root / "release" / ASSIGNMENT


@pytest.fixture
def lab(chromium, tmp_path):
    """A learner's JupyterLab on a copy of course/ and a released assignment; one per test.

    One server and one browser per test, not per module: pytest-xdist may run this module's tests on both
    workers (not every version honours the xdist_group mark), and module fixtures would then start twice.
    """
    root = tmp_path / "learner"
    shutil.copytree(REPO / "course", root / "course", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(_release_fixture_assignment(tmp_path), root / ASSIGNMENT)
    with JupyterLab(root, tmp_path / "server", learner=True) as server:
        yield server


@pytest.fixture
def page(lab, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, tmp_path / "chromium-profile", chromium_path())
        browser.set_default_timeout(STEP_TIMEOUT)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def _open_notebook(page, lab: JupyterLab, path: str) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(lab.lab(path), wait_until="domcontentloaded")
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell").first.wait_for(state="visible")
    # should JupyterLab still ask which kernel to use, take the notebook's own (Python 3), as a learner would
    select = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept", has_text="Select")
    try:
        select.wait_for(state="visible", timeout=3000)
        select.click()
    except PlaywrightTimeout:
        pass
    # the kernel is up when the toolbar's status says idle
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator[data-status='idle']") \
        .wait_for(state="attached", timeout=RUN_ALL_TIMEOUT)


def _menu(page, *path: str) -> None:
    """Click through the menu bar, for example ``_menu(page, "Run", "Run All Cells")``."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(path[0])}$")).click()
    for label in path[1:]:
        page.locator(".lm-Menu:visible .lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(label)}$")).click()


def run_all_without_error(page) -> None:
    _menu(page, "Run", "Run All Cells")
    page.wait_for_function(CODE_PROMPTS_DONE, timeout=RUN_ALL_TIMEOUT)
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(state="attached")
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                          has_text=re.compile(r"Traceback|Error\b.*most recent call"))
    assert errors.count() == 0, f"Run All Cells showed an error:\n{errors.first.inner_text()[:3000]}"
    prompts = page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_inner_texts()
    numbers = [int(m[1]) for p in prompts if (m := re.search(r"\[(\d+)\]", p))]
    assert len(numbers) == len(prompts) and numbers == sorted(numbers), f"cells ran out of order: {prompts}"


def explorer_answers_a_dropdown_change(page) -> None:
    explorer = page.locator(".jp-OutputArea-output .widget-vbox", has_text="Dataset explorer").first
    explorer.scroll_into_view_if_needed()
    explorer.wait_for(state="visible")
    by = explorer.locator(".widget-dropdown", has_text="Disaggregate by").locator("select")
    assert by.is_visible() and by.is_enabled(), "the explorer's 'Disaggregate by' dropdown is not usable"
    output = explorer.locator(".widget-output")
    table = output.locator("table").first
    table.wait_for(state="visible")
    before = table.inner_text()
    current = by.input_value()
    options = [o for o in by.locator("option").all_inner_texts() if o.strip()]
    choice = next((o for o in options if o != current and o in ("sex", "settlement", "urban_rural")),
                  next(o for o in options if o != current))
    by.select_option(label=choice)
    page.wait_for_function(
        "([el, before]) => el.querySelector('table') && el.querySelector('table').innerText !== before",
        arg=[output.element_handle(), before], timeout=STEP_TIMEOUT,
    )
    after = output.locator("table").first.inner_text()
    assert choice in after, f"after choosing {choice!r} the explorer's table does not show it:\n{after[:800]}"
    chart = output.locator("img").first
    chart.wait_for(state="visible")  # the chart follows the table into the output a moment later
    assert chart.evaluate("i => i.complete && i.naturalWidth > 0"), "the explorer's chart did not load"


def self_check_results_appear(page) -> None:
    results = page.locator(".jp-OutputArea-output div[role='status']")
    labels = {results.nth(i).get_attribute("aria-label") for i in range(results.count())}
    assert "Correct" in labels, f"no ✓ Correct self-check result is shown; found {sorted(filter(None, labels))}"
    assert "Not attempted" in labels, "the unanswered exercises do not say 'Not attempted'"
    first = page.locator(".jp-OutputArea-output div[role='status'][aria-label='Correct']").first
    assert "Correct" in first.inner_text()


def plots_are_loaded_images(page) -> None:
    images = page.locator(".jp-Notebook .jp-OutputArea-output.jp-RenderedImage img")
    assert images.count() >= 2, f"expected the map and the pyramid as images; found {images.count()}"
    sizes = images.evaluate_all("imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])")
    assert all(done and w > 200 and h > 150 for done, w, h in sizes), f"an image did not load: {sizes}"


@on_failure_save_artifacts
def test_welcome_lesson_runs_with_a_live_explorer_self_checks_and_plots(page, lab):
    _open_notebook(page, lab, f"course/{WELCOME}")
    run_all_without_error(page)
    explorer_answers_a_dropdown_change(page)
    self_check_results_appear(page)
    plots_are_loaded_images(page)


@on_failure_save_artifacts
def test_released_assignment_validates_and_learners_see_no_instructor_panels(page, lab):
    _open_notebook(page, lab, f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    button = page.locator(".jp-NotebookPanel-toolbar .validate-button")
    button.wait_for(state="visible")
    assert "Validate" in button.inner_text()
    button.click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(state="visible", timeout=RUN_ALL_TIMEOUT)
    text = dialog.inner_text()
    # the release is unanswered, so nbgrader reports failing cells (or, at the least, a validation result)
    assert re.search(r"Validation|failed|passes all the tests", text), f"unexpected validation dialog:\n{text}"
    assert "error running the validate command" not in text, f"validation could not run:\n{text}"
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")

    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    items = page.locator(".lm-Menu:visible .lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    assert any("Assignment List" in i for i in items), f"the Nbgrader menu lacks the assignment list: {items}"
    assert not any(re.search(r"Formgrader|Course List", i) for i in items), (
        f"a learner sees instructor panels in the Nbgrader menu: {items}")
