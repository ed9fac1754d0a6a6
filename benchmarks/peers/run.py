"""Side-by-side with the peers: the same workloads on the same data, cdcourse vs pycanon, samplics, pandera.

    make bench-peers                              # build .venv-peers if needed, run everything at 1M rows
    make bench-peers ARGS="--only taylor"         # workloads whose id contains "taylor"
    make bench-peers ARGS="--rows 100000 --repeat 3"
    make bench-peers ARGS="--scaling"             # ours only, 10k/100k/1M/10M rows: the README's scaling table

The peers pin older numpy and pandas, so they live in their own environment (``.venv-peers``, built from
``benchmarks/peers/requirements.txt`` on first use). Our side runs in the project's ``.venv``. The data
are generated once (seeded, ``data.py``) into a temporary folder as ``.npy`` columns, and every run of
either side reads those same files in a fresh process (``worker.py``), so each side's peak memory is
its own.

For every workload the runner prints our median time, the peer's, the ratio (peer / ours: how many
times faster we are), the issue's target, whether the answers agree (k, l and counts exactly; t, the
estimates and SEs within a relative tolerance), the input frame's size and the memory each run added
on top of it. Results (every time, every answer, versions, machine) go to
``benchmarks/results/peers.json`` (git-ignored).

A peer that fails to install or import is reported ("peer unavailable") and the others still run.
Exit code: 1 if any answer disagrees or our side fails, else 0.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import venv
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import compare  # noqa: E402
import workloads as wl  # noqa: E402

REQUIREMENTS = HERE / "requirements.txt"
DEFAULT_VENV = ROOT / ".venv-peers"
SCALING_SIZES = [10_000, 100_000, 1_000_000, 10_000_000]


# --------------------------------------------------------------------------------------------------
# the peer environment


def _venv_python(path: Path) -> Path:
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_peer_venv(path: Path, log) -> dict:
    """Create ``path`` and install the peers (once per version of requirements.txt).

    Returns {"python": str | None, "failed": {package: reason}}. Everything is installed in one pip call
    (one resolution); if that fails, each package is tried alone so one broken peer does not hide the
    others.
    """
    stamp = path / f".installed-{hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:12]}"
    python = _venv_python(path)
    failed_file = path / ".failed.json"
    if stamp.exists() and python.exists():
        failed = json.loads(failed_file.read_text()) if failed_file.exists() else {}
        return {"python": str(python), "failed": failed}
    if not python.exists():
        log(f"creating {path} (the peers' own environment) ...")
        try:
            venv.EnvBuilder(with_pip=True, clear=False).create(path)
        except Exception as exc:  # noqa: BLE001
            return {"python": None, "failed": {"(environment)": f"could not create {path}: {exc}"}}
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    log(f"installing the peers from {os.path.relpath(REQUIREMENTS, ROOT)} (a minute or two, once) ...")
    done = subprocess.run(pip + ["-r", str(REQUIREMENTS)], capture_output=True, text=True)
    failed: dict[str, str] = {}
    if done.returncode != 0:
        log("  installing them together failed; trying each alone")
        for line in REQUIREMENTS.read_text().splitlines():
            req = line.split("#", 1)[0].strip()
            if not req:
                continue
            one = subprocess.run(pip + [req], capture_output=True, text=True)
            if one.returncode != 0:
                tail = (one.stderr or one.stdout).strip().splitlines()[-1:] or ["(no output)"]
                failed[req] = tail[0][:300]
                log(f"  {req}: FAILED to install: {failed[req]}")
    failed_file.write_text(json.dumps(failed))
    stamp.write_text("")
    return {"python": str(python), "failed": failed}


# --------------------------------------------------------------------------------------------------
# running one side


def run_worker(python: str, side: str, workload: str, data_dir: Path, repeat: int, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="peers-") as tmp:
        result_file = Path(tmp) / "result.json"
        cmd = [python, str(HERE / "worker.py"), "--side", side, "--workload", workload, "--data", str(data_dir),
               "--repeat", str(repeat), "--result", str(result_file)]
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONWARNINGS="ignore")
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=str(HERE))
        except subprocess.TimeoutExpired:
            return {"status": "error", "error": f"did not finish within {timeout:g} s (--timeout)"}
        if result_file.exists():
            result = json.loads(result_file.read_text())
        else:
            result = {"status": "error", "error": f"worker exited with code {done.returncode} without a result"}
        if result["status"] == "error":
            result["output"] = (done.stdout + done.stderr)[-3000:]
        return result


def make_data(kinds: set[str], rows: int, root: Path, python: str, log) -> dict[str, Path]:
    """Generate each data set once (in our environment; both sides only read it)."""
    folders = {}
    for kind in sorted(kinds):
        folder = root / f"{kind}-{rows}"
        if not (folder / "meta.json").exists():
            log(f"generating {kind} data, {rows:,} rows ...")
            code = f"import sys; sys.path.insert(0, {str(HERE)!r}); import data; data.write({kind!r}, {rows}, {str(folder)!r})"
            subprocess.run([python, "-c", code], check=True)
        folders[kind] = folder
    return folders


def machine() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()}
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            info["memory_gib"] = round(int(fh.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info["openblas_env"] = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")}
    return info


# --------------------------------------------------------------------------------------------------
# the two modes


def compare_mode(args, log) -> int:
    chosen = [w for w in wl.WORKLOADS if not args.only or any(o in w["id"] for o in args.only)]
    if not chosen:
        log(f"no workload matches {args.only}; ids are: {', '.join(w['id'] for w in wl.WORKLOADS)}")
        return 2
    env = {"python": None, "failed": {}} if args.no_peers else ensure_peer_venv(args.peer_venv, log)
    data_root = args.data_dir or Path(tempfile.mkdtemp(prefix="cdcourse-peers-"))
    folders = make_data({w["data"] for w in chosen}, args.rows, data_root, sys.executable, log)
    results = []
    for w in chosen:
        log(f"{w['name']}: ours ...")
        ours = run_worker(sys.executable, "ours", w["id"], folders[w["data"]], args.repeat, args.timeout)
        if env["python"] is None:
            peer = {"status": "unavailable", "error": "; ".join(f"{k}: {v}" for k, v in env["failed"].items())
                    or "peers not run (--no-peers)"}
        else:
            repeat = args.peer_repeat or w.get("peer_repeat", args.repeat)
            log(f"{w['name']}: {w['peer']} ({repeat} runs) ...")
            peer = run_worker(env["python"], "theirs", w["id"], folders[w["data"]], repeat, args.timeout)
        record = {"id": w["id"], "name": w["name"], "rows": args.rows, "library": w["peer"], "ours": ours, "peer": peer}
        if ours["status"] == "ok" and peer["status"] == "ok":
            ok, text = compare.agree(ours["answer"], peer["answer"], w["compare"], rtol=w.get("rtol", 0.0),
                                     atol=w.get("atol", 0.0))
            record.update(agreement=ok, agreement_text=text)
        results.append(record)
        row = compare.table_rows([record])[0]
        log("  " + "  ".join(f"{h}={v}" for h, v in zip(compare.COLUMNS[2:], row[2:])))

    print()
    print(compare.format_table(compare.COLUMNS, compare.table_rows(results)))
    print("\nratio = peer time / our time (wall-clock medians; the target is judged on it); cpu ratio = the same on\n"
          "CPU time (less disturbed by other work on the machine); +MB = memory a run added on top of the frame")
    print("\nanswers:")
    for r in results:
        ours, peer = r["ours"], r["peer"]
        if ours["status"] != "ok":
            print(f"  {r['name']}: OUR SIDE FAILED: {ours.get('error')}\n{ours.get('output', '')}")
        elif peer["status"] == "unavailable":
            print(f"  {r['name']}: {r['library']} unavailable ({peer.get('error')}); ours = {_short(ours['answer'])}")
        elif peer["status"] != "ok":
            print(f"  {r['name']}: {r['library']} failed: {peer.get('error')}\n{peer.get('output', '')}")
        else:
            print(f"  {r['name']}: {'agree' if r['agreement'] else 'DISAGREE'}: {r['agreement_text']}; "
                  f"ours = {_short(ours['answer'])}")
    versions = next((r["ours"].get("versions") for r in results if r["ours"].get("versions")), {})
    peer_versions = next((r["peer"].get("versions") for r in results if r["peer"].get("versions")), {})
    print(f"\nours:  {_versions(versions)}\npeers: {_versions(peer_versions)}")
    if env["failed"]:
        print("peers that did not install: " + "; ".join(f"{k} ({v})" for k, v in env["failed"].items()))
    _save(args, {"mode": "compare", "rows": args.rows, "results": results, "versions": versions,
                 "peer_versions": peer_versions, "install_failures": env["failed"]})
    if not args.data_dir:
        shutil.rmtree(data_root, ignore_errors=True)
    bad = [r for r in results if r["ours"]["status"] != "ok" or r.get("agreement") is False]
    return 1 if bad else 0


def scaling_mode(args, log) -> int:
    chosen = [w for w in wl.WORKLOADS if not args.only or any(o in w["id"] for o in args.only)]
    sizes = args.sizes or SCALING_SIZES
    data_root = args.data_dir or Path(tempfile.mkdtemp(prefix="cdcourse-scaling-"))
    table: dict[str, dict[int, dict]] = {w["id"]: {} for w in chosen}
    for rows in sizes:
        folders = make_data({w["data"] for w in chosen}, rows, data_root, sys.executable, log)
        for w in chosen:
            repeat = args.repeat if rows < 10_000_000 else max(1, min(args.repeat, 3))
            log(f"{w['name']}, {rows:,} rows ...")
            res = run_worker(sys.executable, "ours", w["id"], folders[w["data"]], repeat, args.timeout)
            table[w["id"]][rows] = res
            if res["status"] != "ok":
                log(f"  FAILED: {res.get('error')}")
            else:
                log(f"  median {res['median_s']:.3f} s, input {res['input_mb']:.0f} MB, +{res['extra_mb']:.0f} MB")
        if not args.data_dir:
            for folder in folders.values():
                shutil.rmtree(folder, ignore_errors=True)
    labels = [f"{s:,}" if s < 1_000_000 else f"{s // 1_000_000}M" for s in sizes]
    time_rows, memory_rows = [], []
    for w in chosen:
        cells, mem, cpus = [], [], []
        for s in sizes:
            r = table[w["id"]].get(s, {})
            if r.get("status") == "ok":
                cells.append(f"{compare.seconds(r['median_s'])} ({compare.seconds(r.get('median_cpu_s'))})")
                mem.append(f"{compare.megabytes(r['input_mb'])} + {compare.megabytes(r['extra_mb'])}")
                cpus.append(r.get("median_cpu_s") or r["median_s"])
            else:
                cells.append("failed")
                mem.append("failed")
                cpus.append(None)
        g = compare.growth(sizes, cpus)
        time_rows.append([w["name"]] + cells + ["-" if g is None else f"{g:.2f}"])
        memory_rows.append([w["name"]] + mem)
    growth_label = f"growth {labels[-2]}->{labels[-1]}" if len(sizes) > 1 else "growth"
    print()
    print(compare.markdown_table(["seconds: wall (CPU)"] + [f"{x} rows" for x in labels] + [growth_label], time_rows))
    print("\ngrowth: exponent b of CPU time ~ rows^b between the two largest sizes (1 = linear)\n")
    print(compare.markdown_table(["MB: input + added by the run"] + [f"{x} rows" for x in labels], memory_rows))
    _save(args, {"mode": "scaling", "sizes": sizes, "results": table})
    if not args.data_dir:
        shutil.rmtree(data_root, ignore_errors=True)
    return 0


def _short(answer) -> str:
    text = json.dumps(answer)
    return text if len(text) <= 90 else text[:87] + "..."


def _versions(v: dict) -> str:
    return ", ".join(f"{k} {x}" for k, x in v.items() if x) or "(unknown)"


def _save(args, payload: dict) -> None:
    out = args.out or ROOT / "benchmarks" / "results" / ("peers-scaling.json" if args.scaling else "peers.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(), **payload}
    out.write_text(json.dumps(payload, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"\nresults written to {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of every data set (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of our side (default %(default)s)")
    parser.add_argument("--peer-repeat", type=int, default=None,
                        help="timed runs of the peers (default: per workload, 2-3; t-closeness takes minutes)")
    parser.add_argument("--only", nargs="*", default=[], help="workload ids containing any of these words")
    parser.add_argument("--peer-venv", type=Path, default=DEFAULT_VENV, help="the peers' environment (default %(default)s)")
    parser.add_argument("--no-peers", action="store_true", help="run our side only")
    parser.add_argument("--scaling", action="store_true", help="our side at 10k, 100k, 1M and 10M rows")
    parser.add_argument("--sizes", type=int, nargs="*", help="row counts for --scaling")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per side and workload")
    parser.add_argument("--data-dir", type=Path, default=None, help="keep the generated data here (reused)")
    parser.add_argument("--out", type=Path, default=None, help="JSON results file")
    args = parser.parse_args(argv)
    if args.repeat < 1 or (args.peer_repeat is not None and args.peer_repeat < 1):
        parser.error("--repeat and --peer-repeat must be >= 1")

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    return scaling_mode(args, log) if args.scaling else compare_mode(args, log)


if __name__ == "__main__":
    sys.exit(main())
