"""The `cdcourse` command itself: groups, help, exit codes, and errors as one line."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from cdcourse import cli
from cdcourse._validate import require_positive_weights
from cdcourse.errors import CdcourseError


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("cdcourse 0.")


def test_no_arguments_prints_help_and_succeeds(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    for group in ("datasets", "sampling", "clean", "privacy", "quality", "grade"):
        assert group in out


def test_unknown_group_is_a_usage_error():
    with pytest.raises(SystemExit) as stop:
        cli.main(["nonsense"])
    assert stop.value.code == 2


def test_bad_input_is_one_line_on_stderr_with_exit_code_2(capsys):
    code = cli.main(["sampling", "size", "--p", "1.5", "--margin", "0.05"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("cdcourse: error: ") and "p must be" in err and "Traceback" not in err


def test_a_closed_pipe_ends_quietly():
    # `cdcourse datasets list | head -1`: the reader leaves early; no traceback, exit 0.
    proc = subprocess.run(
        f"{sys.executable} -m cdcourse.cli datasets list | head -1",
        shell=True, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr
    assert proc.stdout.count("\n") == 1


def test_weights_given_as_text_are_named_as_not_numbers():
    frame = pd.DataFrame({"w": ["1.5", "heavy", None]})
    with pytest.raises(CdcourseError, match=r"weight column 'w' has 1 value that is not a number \(e\.g\. 'heavy'"):
        require_positive_weights(frame, "w")


def test_infinite_bounds_read_as_open_intervals():
    from cdcourse._validate import require_number

    with pytest.raises(CdcourseError, match=r"in \[1, inf\); got 0\.5$"):
        require_number(0.5, "deff", low=1, high=float("inf"))
