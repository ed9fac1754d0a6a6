"""benchmarks/run.py times workloads in their own processes, reports them, and fails loudly on errors.

The runner is driven on tiny workload files written to ``tmp_path``, never on the real (heavy) workloads.
No assertion depends on how fast this machine is.
"""
from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"

TINY = '''
import numpy as np

CALLS = []


def _count(state):
    CALLS.append(1)          # module state: reset only if each workload has its own process
    assert len(CALLS) <= 3, "run called more often than 'repeat' in one process"


def _big():
    return np.ones(80 * 1024 * 1024 // 8)   # 80 MB, held by the state


WORKLOADS = [
    {"name": "small sum", "setup": lambda: list(range(1000)), "run": sum, "rows": 1000},
    {"name": "big block", "setup": _big, "run": lambda a: float(a.sum()), "rows": 10_485_760, "repeat": 2},
    {"name": "counted", "setup": lambda: None, "run": _count, "rows": 5, "repeat": 3},
]
'''

BROKEN = '''
def _boom(state):
    raise ValueError("weights must be > 0")


WORKLOADS = [
    {"name": "fine", "setup": lambda: 1, "run": lambda s: None, "rows": 1},
    {"name": "raising workload", "setup": lambda: 1, "run": _boom, "rows": 1},
]
'''


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")


def _run(bench_dir: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    out = bench_dir / "out.json"
    done = subprocess.run(
        [sys.executable, str(RUN), "--dir", str(bench_dir), "--out", str(out), "--repeat", "3", *args],
        capture_output=True, text=True, timeout=300,
    )
    return done, (json.loads(out.read_text()) if out.exists() else None)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench-tiny")
    _write(folder, "bench_tiny.py", TINY)
    return _run(folder)


def test_every_workload_is_reported_with_median_peak_memory_and_rows_per_second(tiny_run):
    done, report = tiny_run
    assert done.returncode == 0, done.stdout + done.stderr
    header = done.stdout.splitlines()[0]
    for column in ("workload", "rows", "median s", "peak MB", "rows/s"):
        assert column in header
    assert [r["name"] for r in report["results"]] == ["small sum", "big block", "counted"]
    for line in ("small sum", "big block", "counted"):
        assert any(l.startswith(line) for l in done.stdout.splitlines()), done.stdout
    for r in report["results"]:
        assert r["status"] == "ok"
        assert r["median_s"] == statistics.median(r["times_s"])
        assert r["min_s"] == min(r["times_s"])
        assert r["rows_per_s"] == pytest.approx(r["rows"] / r["median_s"])


def test_repeat_defaults_to_the_option_and_a_workload_may_set_its_own(tiny_run):
    _, report = tiny_run
    repeats = {r["name"]: len(r["times_s"]) for r in report["results"]}
    assert repeats == {"small sum": 3, "big block": 2, "counted": 3}


def test_peak_memory_belongs_to_each_workload_alone(tiny_run):
    # The 80 MB block is measured in its own process: it shows in that row and not in the next one.
    _, report = tiny_run
    peak = {r["name"]: r["peak_mb"] for r in report["results"]}
    assert peak["big block"] - peak["small sum"] > 60
    assert peak["counted"] < peak["big block"] - 60


def test_a_raising_workload_fails_the_run_and_is_named(tmp_path):
    _write(tmp_path, "bench_broken.py", BROKEN)
    done, report = _run(tmp_path)
    assert done.returncode == 1
    assert "FAILED bench_broken.py: raising workload: ValueError: weights must be > 0" in done.stderr
    status = {r["name"]: r["status"] for r in report["results"]}
    assert status == {"fine": "ok", "raising workload": "error"}  # the others still ran


def test_a_malformed_workload_file_is_reported(tmp_path):
    _write(tmp_path, "bench_nokey.py", 'WORKLOADS = [{"name": "no rows", "setup": list, "run": len}]\n')
    _write(tmp_path, "bench_none.py", "X = 1\n")
    done, report = _run(tmp_path)
    assert done.returncode == 1
    assert "workload 'no rows' has no 'rows'" in done.stderr
    assert "bench_none.py: defines no WORKLOADS list" in done.stderr
    assert {r["file"] for r in report["results"]} == {"bench_nokey.py", "bench_none.py"}


def test_a_filter_selects_workloads_by_file_or_name(tmp_path):
    _write(tmp_path, "bench_tiny.py", TINY)
    _write(tmp_path, "bench_broken.py", BROKEN)
    done, report = _run(tmp_path, "SMALL", "counted")
    assert done.returncode == 0, done.stderr
    assert [r["name"] for r in report["results"]] == ["small sum", "counted"]
    done, report = _run(tmp_path, "broken")
    assert [r["name"] for r in report["results"]] == ["fine", "raising workload"]


def test_a_filter_that_matches_nothing_lists_the_workloads(tmp_path):
    _write(tmp_path, "bench_tiny.py", TINY)
    done, report = _run(tmp_path, "sampling")
    assert done.returncode == 2
    assert "no workload matches ['sampling']" in done.stderr and "bench_tiny.py: small sum" in done.stderr
    assert report is None


def test_results_default_to_the_git_ignored_results_folder(tmp_path):
    _write(tmp_path, "bench_tiny.py", 'WORKLOADS = [{"name": "one", "setup": int, "run": abs, "rows": 1}]\n')
    done = subprocess.run([sys.executable, str(RUN), "--dir", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    saved = json.loads((tmp_path / "results" / "latest.json").read_text())
    assert saved["results"][0]["name"] == "one"
    repo = RUN.parents[1]
    if shutil.which("git") and (repo / ".git").exists():
        ignored = subprocess.run(["git", "check-ignore", "-q", "benchmarks/results/latest.json"], cwd=repo)
        assert ignored.returncode == 0, "benchmarks/results/ must be git-ignored"


def test_a_workload_file_may_print_a_summary_of_its_own_results(tmp_path):
    _write(tmp_path, "bench_pair.py", textwrap.dedent("""
        WORKLOADS = [{"name": "fast", "setup": int, "run": abs, "rows": 1},
                     {"name": "also fast", "setup": int, "run": abs, "rows": 1}]

        def summary(records):
            return "compared: " + ", ".join(sorted(r["name"] for r in records))
    """))
    done = subprocess.run([sys.executable, str(RUN), "--dir", str(tmp_path), "--out", str(tmp_path / "r.json")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "compared: also fast, fast" in done.stdout
