"""nbgrader configuration for the Citizen Data Course Kit (this folder is the nbgrader course root).

Run nbgrader from this folder (``cd exercises && ../.venv/bin/nbgrader ...``) or pass
``--CourseDirectory.root=exercises``; either way this file is loaded.

What differs from nbgrader's defaults, and why:

- the gradebook lives in this folder, next to this file, so a copy of the course root (as the tests
  make) carries its own gradebook and never writes into the real one;
- a per-cell timeout, so a submission that loops forever costs one cell, not the whole batch;
- feedback never shows hidden tests. nbgrader 0.9.6 puts hidden tests back into the autograded notebook and
  renders them in the feedback HTML on purpose (jupyter/nbgrader#917); we want learners to see *that* a hidden
  test failed and its message, not the test itself, so that tests can be reused with the next cohort. The
  hidden region is replaced by one comment line, and the traceback of an error in such a cell is cut down to
  its last line (``AssertionError: <message>``), because an IPython traceback quotes the lines around the one
  that failed.
"""
from __future__ import annotations

import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file

HERE = os.path.dirname(os.path.abspath(__file__))  # noqa: F821 -- __file__ is set by traitlets

c.CourseDirectory.course_id = "cdcourse"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")

# Seconds one cell may run during autograding before it is stopped and scored as an error. The course
# assignments load a dataset and fit small models; 120 s leaves ample room on a slow laptop.
c.ExecutePreprocessor.timeout = 120

HIDDEN_PLACEHOLDER = "# (hidden tests ran here; they count towards this cell's points)"


class HideHiddenTestsInFeedback(ClearHiddenTests):
    """Remove hidden tests from the autograded notebook before it is rendered as feedback.

    Keeps the cell's visible tests and its outputs, replaces each hidden region by one comment line, and
    shortens error tracebacks in those cells to the final ``Name: message`` line.
    """

    def _remove_hidden_test_region(self, cell):
        kept, inside, removed = [], False, False
        for line in cell.source.split("\n"):
            if self.begin_test_delimeter in line:
                if inside:
                    raise RuntimeError(f"nested '{self.begin_test_delimeter}' in cell:\n{cell.source}")
                inside = removed = True
                # keep the indentation of the marker so the placeholder sits where the tests were
                kept.append(line[: len(line) - len(line.lstrip())] + HIDDEN_PLACEHOLDER)
            elif self.end_test_delimeter in line:
                inside = False
            elif not inside:
                kept.append(line)
        if inside:
            raise RuntimeError(f"'{self.begin_test_delimeter}' without '{self.end_test_delimeter}' in cell:\n{cell.source}")
        cell.source = "\n".join(kept)
        return removed

    def preprocess_cell(self, cell, resources, cell_index):
        removed = cell.cell_type == "code" and self._remove_hidden_test_region(cell)
        if removed:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    name, message = output.get("ename", "Error"), output.get("evalue", "")
                    output["traceback"] = [f"{name}: {message}" if message else f"{name} (raised by this cell's tests)"]
        return cell, resources


c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTestsInFeedback, CSSHTMLHeaderPreprocessor]
