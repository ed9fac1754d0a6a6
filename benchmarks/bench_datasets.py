"""Dataset workloads: generating the synthetic Lumeria world.

- the default world (seed 2024, scale 1: about 50,000 persons), as ``make datasets`` does;
- a world of about 1 million persons (scale 20), as analysts use to try the library at size;
- loading the committed population with its declared types (parse once, then copies).

Each run writes into a fresh temporary folder, so a run measures generation plus writing the CSVs,
the data package and the codebook. ``rows`` is the number of persons.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from cdcourse import datasets


def _setup_dir() -> dict:
    return {"dirs": []}


def _generate(scale: float):
    def run(state: dict) -> None:
        out = Path(tempfile.mkdtemp(prefix="cdcourse-bench-"))
        try:
            datasets.generate(out, seed=2024, scale=scale, progress=False)
        finally:
            shutil.rmtree(out, ignore_errors=True)

    return run


def _setup_load() -> dict:
    datasets._PARSED.clear()
    return {}


def _load(state: dict) -> None:
    datasets._PARSED.clear()  # measure the parse, not the cache
    datasets.load("population")


WORKLOADS = [
    {"name": "datasets.generate default world (scale 1)", "setup": _setup_dir, "run": _generate(1.0),
     "rows": 49_902},
    {"name": "datasets.generate 1M-person world (scale 20)", "setup": _setup_dir, "run": _generate(20.0),
     "rows": 1_024_835, "repeat": 3},
    {"name": "datasets.load population (typed parse)", "setup": _setup_load, "run": _load, "rows": 49_902},
]
