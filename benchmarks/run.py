"""Run the performance workloads under benchmarks/ and print a table: median time, peak memory, rows/s.

    python benchmarks/run.py                 # every workload      (make bench)
    python benchmarks/run.py sampling k_anon # names containing either word (make bench ARGS="sampling")
    python benchmarks/run.py --list          # what would run

A workload file is ``benchmarks/bench_<name>.py`` defining ``WORKLOADS``, a list of dicts::

    {"name": str, "setup": callable() -> state, "run": callable(state) -> None, "rows": int,
     "repeat": int (optional, default --repeat)}

Each workload runs in a fresh Python process: it imports its file, calls ``setup`` once, then times
``run(state)`` ``repeat`` times. So the peak memory reported (the process's maximum resident set size,
``resource.getrusage``) belongs to that workload alone: interpreter + imports + setup + runs. With
``--tracemalloc`` the Python-level allocation peak of the runs alone is reported too (slower runs).

Results go to ``benchmarks/results/latest.json`` (git-ignored). The exit code is 1 if any workload
raised, timed out or is malformed (each is named), 2 if the arguments select nothing.
"""
from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_REPEAT = 5
DEFAULT_TIMEOUT = 3600  # seconds per workload (setup + all repeats)
REQUIRED = {"name": str, "setup": callable, "run": callable, "rows": int}


class WorkloadError(Exception):
    """A workload file or entry that does not follow the WORKLOADS contract."""


# --------------------------------------------------------------------------------------------------
# finding workloads


def load_module(path: Path):
    """Import a workload file by path under a private module name (its folder is importable for helpers)."""
    if str(path.parent) not in sys.path:
        sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"_bench_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_workload(workload, where: str) -> None:
    if not isinstance(workload, dict):
        raise WorkloadError(f"{where}: a workload must be a dict with keys name, setup, run, rows; got {type(workload).__name__}")
    for key, kind in REQUIRED.items():
        if key not in workload:
            raise WorkloadError(f"{where}: workload {workload.get('name', '?')!r} has no {key!r}; keys are {sorted(workload)}")
        value = workload[key]
        ok = callable(value) if kind is callable else isinstance(value, kind) and not isinstance(value, bool)
        if not ok:
            expected = "a callable" if kind is callable else kind.__name__
            raise WorkloadError(f"{where}: workload {workload['name']!r} key {key!r} is {value!r}; expected {expected}")
    if workload["rows"] <= 0:
        raise WorkloadError(f"{where}: workload {workload['name']!r} has rows={workload['rows']}; expected > 0")
    repeat = workload.get("repeat")
    if repeat is not None and (not isinstance(repeat, int) or isinstance(repeat, bool) or repeat < 1):
        raise WorkloadError(f"{where}: workload {workload['name']!r} has repeat={repeat!r}; expected an int >= 1")


def discover(bench_dir: Path) -> tuple[list[dict], list[dict]]:
    """Workloads of every ``bench_*.py`` in ``bench_dir`` as plain records, and the files that failed to load."""
    found, broken = [], []
    for path in sorted(bench_dir.glob("bench_*.py")):
        try:
            workloads = getattr(load_module(path), "WORKLOADS", None)
            if not isinstance(workloads, (list, tuple)):
                raise WorkloadError(f"{path.name}: defines no WORKLOADS list")
            for index, workload in enumerate(workloads):
                check_workload(workload, f"{path.name} WORKLOADS[{index}]")
                found.append({"file": path.name, "index": index, "name": workload["name"],
                              "rows": workload["rows"], "repeat": workload.get("repeat")})
        except Exception as exc:  # noqa: BLE001 -- a broken file is reported, and the others still run
            broken.append({"file": path.name, "name": f"{path.name} (all workloads)", "status": "error",
                           "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})
    return found, broken


def select(workloads: list[dict], filters: list[str]) -> list[dict]:
    """Workloads whose file stem or name contains any filter (case-insensitive); all when no filter."""
    if not filters:
        return workloads
    wanted = [f.lower() for f in filters]
    return [w for w in workloads if any(f in f"{Path(w['file']).stem} {w['name']}".lower() for f in wanted)]


# --------------------------------------------------------------------------------------------------
# the child process: one workload


def peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def child(path: Path, index: int, repeat: int, result_file: Path, use_tracemalloc: bool) -> int:
    result = {"status": "error"}
    try:
        workload = load_module(path).WORKLOADS[index]
        repeat = workload.get("repeat") or repeat
        start = time.perf_counter()
        state = workload["setup"]()
        result["setup_s"] = time.perf_counter() - start
        result["setup_peak_mb"] = peak_rss_mb()
        if use_tracemalloc:
            import tracemalloc

            tracemalloc.start()
        times = []
        for _ in range(repeat):
            gc.collect()  # garbage of the previous repeat is not charged to this one
            start = time.perf_counter()
            workload["run"](state)
            times.append(time.perf_counter() - start)
        if use_tracemalloc:
            result["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / (1024 * 1024)
            tracemalloc.stop()
        result.update(status="ok", repeat=repeat, times_s=times, median_s=statistics.median(times),
                      min_s=min(times), peak_mb=peak_rss_mb())
    except BaseException as exc:  # noqa: BLE001 -- report anything, including SystemExit from a workload
        result.update(error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    result_file.write_text(json.dumps(result), encoding="utf-8")
    return 0 if result["status"] == "ok" else 1


# --------------------------------------------------------------------------------------------------
# the parent: run, print, save


def run_one(workload: dict, bench_dir: Path, repeat: int, timeout: float, use_tracemalloc: bool) -> dict:
    record = {"file": workload["file"], "name": workload["name"], "rows": workload["rows"]}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        result_file = Path(tmp) / "result.json"
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(bench_dir / workload["file"]),
               str(workload["index"]), "--repeat", str(repeat), "--result-file", str(result_file)]
        if use_tracemalloc:
            cmd.append("--tracemalloc")
        env = dict(os.environ, MPLBACKEND="Agg")
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            return {**record, "status": "error", "error": f"did not finish within {timeout:g} s (--timeout)"}
        if result_file.exists():
            record.update(json.loads(result_file.read_text(encoding="utf-8")))
        else:  # the process died before writing (killed, out of memory, crashed interpreter)
            record.update(status="error", error=f"the workload process exited with code {done.returncode} "
                                                f"without a result")
        if record["status"] != "ok":
            record["output"] = (done.stdout + done.stderr)[-4000:]
    if record["status"] == "ok":
        record["rows_per_s"] = workload["rows"] / record["median_s"] if record["median_s"] > 0 else None
    return record


COLUMNS = [("workload", 52, "<"), ("rows", 11, ">"), ("median s", 9, ">"), ("min s", 9, ">"),
           ("peak MB", 9, ">"), ("rows/s", 13, ">")]


def row(values: list[str]) -> str:
    return "  ".join(f"{v:{align}{width}}" for v, (_, width, align) in zip(values, COLUMNS))


def seconds(value: float) -> str:
    return f"{value:.3f}" if value >= 0.01 else f"{value:.1e}"


def format_row(r: dict) -> str:
    name = r["name"] if len(r["name"]) <= COLUMNS[0][1] else r["name"][: COLUMNS[0][1] - 1] + "…"
    if r["status"] != "ok":
        return row([name, f"{r.get('rows', 0):,}", "FAILED", "", "", ""])
    peak = "" if r.get("peak_mb") is None else f"{r['peak_mb']:,.0f}"
    speed = "" if r.get("rows_per_s") is None else f"{r['rows_per_s']:,.0f}"
    return row([name, f"{r['rows']:,}", seconds(r["median_s"]), seconds(r["min_s"]), peak, speed])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("filters", nargs="*", help="run only workloads whose file or name contains one of these")
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT, help="timed runs per workload (default %(default)s; a workload's own 'repeat' wins)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per workload (default %(default)s)")
    parser.add_argument("--dir", type=Path, default=HERE, help="folder with bench_*.py files (default: this folder)")
    parser.add_argument("--out", type=Path, default=None, help="JSON results file (default: <dir>/results/latest.json)")
    parser.add_argument("--tracemalloc", action="store_true", help="also report the Python allocation peak of the runs")
    parser.add_argument("--list", action="store_true", help="list the selected workloads and exit")
    parser.add_argument("--child", nargs=2, metavar=("FILE", "INDEX"), help=argparse.SUPPRESS)
    parser.add_argument("--result-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error(f"--repeat must be >= 1, got {args.repeat}")

    if args.child:
        return child(Path(args.child[0]), int(args.child[1]), args.repeat, args.result_file, args.tracemalloc)

    bench_dir = args.dir.resolve()
    workloads, broken = discover(bench_dir)
    chosen = select(workloads, args.filters)
    broken = [b for b in broken if not args.filters or any(f.lower() in b["file"].lower() for f in args.filters)]
    if args.filters and not chosen and not broken:
        names = "\n  ".join(f"{w['file']}: {w['name']}" for w in workloads) or "(none)"
        print(f"no workload matches {args.filters}; the workloads are:\n  {names}", file=sys.stderr)
        return 2
    if args.list:
        for w in chosen:
            print(f"{w['file']}: {w['name']} ({w['rows']:,} rows)")
        return 0
    if not chosen and not broken:
        print(f"no bench_*.py workloads in {bench_dir}")
        return 0

    # the name column fits the longest selected name, within reason
    width = min(90, max([len("workload")] + [len(w["name"]) for w in chosen + broken]))
    COLUMNS[0] = ("workload", width, "<")
    print(row([c[0] for c in COLUMNS]))
    print(row(["-" * c[1] for c in COLUMNS]))
    results = list(broken)
    for b in broken:
        print(format_row(b), flush=True)
    for w in chosen:
        record = run_one(w, bench_dir, args.repeat, args.timeout, args.tracemalloc)
        results.append(record)
        print(format_row(record), flush=True)

    # A workload file may define summary(records) -> str for figures that compare its own workloads
    # (ratios between variants, for example); it sees only that file's successful records.
    for file in dict.fromkeys(w["file"] for w in chosen):
        mine = [r for r in results if r["file"] == file and r["status"] == "ok"]
        summary = getattr(load_module(bench_dir / file), "summary", None)
        if mine and callable(summary):
            try:
                text = summary(mine)
            except Exception as err:  # noqa: BLE001 -- a broken summary must not hide the table
                text = f"(summary of {file} failed: {type(err).__name__}: {err})"
            if text:
                print(f"\n{text.rstrip()}")

    out = args.out or bench_dir / "results" / "latest.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "filters": args.filters,
        "default_repeat": args.repeat,
        "results": results,
    }, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults written to {out}")

    failed = [r for r in results if r["status"] != "ok"]
    for r in failed:
        print(f"\nFAILED {r['file']}: {r['name']}: {r['error']}", file=sys.stderr)
        detail = r.get("traceback") or r.get("output")
        if detail:
            print(detail.rstrip(), file=sys.stderr)
    if failed:
        print(f"\n{len(failed)} of {len(results)} workloads failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
