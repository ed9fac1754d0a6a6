"""Comparing two sides' answers and times: agreement, ratios, targets and the printed table.

Pure functions on plain data (standard library only), so ``tests/test_peers_harness.py`` checks them
on tiny inputs without the peer environment.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

#: Issue 11's targets, as the least acceptable ratio peer time / our time (None: no target).
TARGETS: dict[str, float] = {
    "l_diversity": 20.0,
    "t_closeness": 20.0,
    "taylor_domains": 10.0,
    "validation": 1.0,  # "faster than pandera": anything above 1
}


def median(times: Sequence[float]) -> float | None:
    """Median of the timed runs (None when there are none)."""
    return statistics.median(times) if times else None


def ratio(our_seconds: float | None, peer_seconds: float | None) -> float | None:
    """How many times faster we are: peer time / our time (None when either is unknown)."""
    if our_seconds is None or peer_seconds is None or our_seconds <= 0:
        return None
    return peer_seconds / our_seconds


def _close(a: float, b: float, rtol: float, atol: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= atol + rtol * max(abs(a), abs(b))


def _flatten(answer: Any, prefix: str = "") -> dict[str, Any]:
    """{"se": {"3": 0.1}} -> {"se[3]": 0.1}: one entry per compared value."""
    if isinstance(answer, Mapping):
        out: dict[str, Any] = {}
        for key, value in answer.items():
            out.update(_flatten(value, f"{prefix}[{key}]" if prefix else str(key)))
        return out
    return {prefix: answer}


def agree(ours: Mapping, theirs: Mapping, compare: str = "exact", *, rtol: float = 0.0,
          atol: float = 0.0) -> tuple[bool, str]:
    """Whether two answers agree, and a short description for the table.

    Both answers are nested dicts of numbers. ``compare="exact"`` needs every value equal;
    ``"close"`` needs ``|a - b| <= atol + rtol * max(|a|, |b|)``. The same keys must be present on both
    sides (a domain or rule missing on one side is a disagreement, named in the description).

    >>> agree({"k": 2}, {"k": 2})
    (True, 'equal (1 value)')
    >>> agree({"se": {"a": 1.0}}, {"se": {"a": 1.0 + 1e-12}}, "close", rtol=1e-8)[0]
    True
    """
    if compare not in ("exact", "close"):
        raise ValueError(f"compare must be 'exact' or 'close'; got {compare!r}")
    a, b = _flatten(ours), _flatten(theirs)
    only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
    if only_a or only_b:
        parts = []
        if only_a:
            parts.append(f"only ours: {', '.join(only_a[:3])}" + (" ..." if len(only_a) > 3 else ""))
        if only_b:
            parts.append(f"only peer: {', '.join(only_b[:3])}" + (" ..." if len(only_b) > 3 else ""))
        return False, "; ".join(parts)
    bad = []
    worst = 0.0
    for key in a:
        x, y = a[key], b[key]
        if compare == "exact":
            if x != y:
                bad.append(f"{key}: {x!r} vs {y!r}")
        else:
            if not _close(float(x), float(y), rtol, atol):
                bad.append(f"{key}: {x!r} vs {y!r}")
            elif x != y and max(abs(x), abs(y)) > 0:
                worst = max(worst, abs(x - y) / max(abs(x), abs(y)))
    n = len(a)
    if bad:
        return False, f"{len(bad)} of {n} differ: " + "; ".join(bad[:3]) + (" ..." if len(bad) > 3 else "")
    values = f"{n} value{'s' if n != 1 else ''}"
    if compare == "close":
        return True, f"within {rtol:g} ({values}; largest rel. diff {worst:.1e})"
    return True, f"equal ({values})"


def verdict(workload_id: str, r: float | None) -> str:
    """'met' / 'MISSED' against the issue's target for this workload, '' when it has none."""
    target = TARGETS.get(workload_id)
    if target is None:
        return ""
    if r is None:
        return "n/a"
    return "met" if r > target or (target > 1 and r >= target) else "MISSED"


def target_text(workload_id: str) -> str:
    target = TARGETS.get(workload_id)
    if target is None:
        return ""
    return "> 1x" if target == 1 else f">= {target:g}x"


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def times_x(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.1f}x" if value < 100 else f"{value:,.0f}x"


def megabytes(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


COLUMNS = ["workload", "rows", "ours s", "peer", "peer s", "ratio", "target", "cpu ratio", "answers",
           "input MB", "ours +MB", "peer +MB"]


def table_rows(results: Sequence[Mapping]) -> list[list[str]]:
    """One row of strings per compared workload (see :data:`COLUMNS`).

    Each result holds: ``id``, ``name``, ``rows``, ``ours`` and ``peer`` (each a worker result with
    ``status``, ``median_s``, optionally ``median_cpu_s``, ``extra_mb``, ``input_mb``; the peer's may
    hold ``error``), ``library``, and ``agreement`` (bool or None) with ``agreement_text``. The target is
    judged on the wall-clock ratio; the CPU-time ratio is shown beside it because it is less disturbed
    by other work on the machine.
    """
    out = []
    for r in results:
        ours, peer = r.get("ours") or {}, r.get("peer") or {}
        our_s = ours.get("median_s") if ours.get("status") == "ok" else None
        peer_s = peer.get("median_s") if peer.get("status") == "ok" else None
        rt = ratio(our_s, peer_s)
        cpu = ratio(ours.get("median_cpu_s") if our_s is not None else None,
                    peer.get("median_cpu_s") if peer_s is not None else None)
        if peer.get("status") != "ok":
            answers = f"peer {peer.get('status', 'not run')}"
        elif ours.get("status") != "ok":
            answers = f"ours {ours.get('status', 'not run')}"
        else:
            answers = "agree" if r.get("agreement") else "DISAGREE"
        target = target_text(r["id"])
        if target:
            target = f"{target} {verdict(r['id'], rt)}"
        out.append([
            r["name"], f"{r['rows']:,}", seconds(our_s), r.get("library", ""), seconds(peer_s), times_x(rt), target,
            times_x(cpu), answers, megabytes(ours.get("input_mb")), megabytes(ours.get("extra_mb")),
            megabytes(peer.get("extra_mb")),
        ])
    return out


def format_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else [len(h) for h in header]

    def line(cells):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """The same table in Markdown (for benchmarks/README.md)."""
    aligns = ["---"] + ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(aligns) + " |"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def growth(sizes: Sequence[int], times: Sequence[float]) -> float | None:
    """Exponent b of time ~ rows^b between the two largest sizes (1 = linear); None if unknown.

    >>> round(growth([1000, 10000], [0.1, 1.0]), 2)
    1.0
    >>> round(growth([1000, 10000], [0.1, 10.0]), 2)
    2.0
    """
    pairs = [(s, t) for s, t in zip(sizes, times) if t is not None and t > 0]
    if len(pairs) < 2:
        return None
    (s1, t1), (s2, t2) = pairs[-2], pairs[-1]
    if s1 == s2:
        return None
    return math.log(t2 / t1) / math.log(s2 / s1)
