"""One side of one workload in its own process: load the data, prepare, time the runs, measure memory.

    <venv>/bin/python benchmarks/peers/worker.py --side ours|theirs --workload ID --data DIR \
        --repeat N --result FILE

Runs under either environment (it imports only numpy, pandas and the side's module). The result is a
JSON file: ``status`` ("ok", "unavailable" when the library cannot be imported, "error"), the wall-clock
times of every run and their median, the CPU times (``process_time``: all threads of the process; less
disturbed than wall time when other work shares the machine), the answer of the last run, and memory:

- ``input_mb``: the frame as loaded, ``memory_usage(deep=True)``;
- ``baseline_mb``: the process's resident memory after loading and preparing, before the runs;
- ``extra_mb``: the most the runs added on top of that (Linux: the high-water mark ``VmHWM`` is reset
  through ``/proc/self/clear_refs`` before the runs; elsewhere the process's ``ru_maxrss`` is used);
- ``process_peak_mb``: the whole process's peak (interpreter, imports, data and runs).
"""
from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def _status_mb() -> dict[str, float]:
    """VmRSS and VmHWM of this process in MB (empty where /proc is not there)."""
    out = {}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return out


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # reset the peak resident set size (Linux >= 4.0)
        return True
    except OSError:
        return False


def _maxrss_mb() -> float | None:
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", choices=("ours", "theirs"), required=True)
    parser.add_argument("--workload", required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--result", type=Path, required=True)
    args = parser.parse_args(argv)

    result: dict = {"status": "error", "side": args.side, "workload": args.workload}
    try:
        import data

        frame = data.read(args.data)
        result["input_mb"] = data.frame_mb(frame)
        try:
            side = __import__(args.side)
            spec = side.SIDE[args.workload]
            prepare, run = spec[-2], spec[-1]
            state = prepare(frame)
        except ImportError as exc:
            result.update(status="unavailable", error=f"{type(exc).__name__}: {exc}")
            raise SystemExit(0) from None
        try:
            result["versions"] = side.versions()
        except Exception as exc:  # noqa: BLE001 -- versions are informative only
            result["versions"] = {"error": str(exc)}
        gc.collect()
        reset = _reset_peak()
        before = _status_mb().get("VmRSS")
        times, cpu, answer = [], [], None
        for _ in range(args.repeat):
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            answer = run(state)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        after = _status_mb()
        peak_total = _maxrss_mb()
        if reset and before is not None and "VmHWM" in after:
            extra = max(after["VmHWM"] - before, 0.0)
        else:
            extra = None if peak_total is None or before is None else max(peak_total - before, 0.0)
        result.update(status="ok", times_s=times, median_s=statistics.median(times), cpu_s=cpu,
                      median_cpu_s=statistics.median(cpu), answer=answer,
                      baseline_mb=before, extra_mb=extra, process_peak_mb=peak_total)
    except SystemExit:
        pass
    except BaseException as exc:  # noqa: BLE001 -- every failure is reported, never lost
        result.update(status="error", error=f"{type(exc).__name__}: {exc}", traceback=traceback.format_exc())
    args.result.write_text(json.dumps(result), encoding="utf-8")
    return 0 if result["status"] in ("ok", "unavailable") else 1


if __name__ == "__main__":
    sys.exit(main())
