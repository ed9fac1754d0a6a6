"""The synthetic citizen-data world of the Republic of Lumeria.

One seeded population of a fictional country, and every dataset of the course drawn from it:
``population`` (the truth), ``official_statistics`` (with deliberate gaps), ``community_survey``
(a two-stage sample with exact weights), ``community_survey_raw`` (the same interviews as a mobile
tool exports them, with problems injected), ``participatory_map``, ``social_audit``,
``crowd_reports``, and ``problem_log`` (every injected problem, to grade cleaning against truth).

Examples
--------
>>> from cdcourse.datasets import load, names
>>> "community_survey" in names()
True
>>> survey = load("community_survey")
>>> str(survey["sex"].dtype)
'category'
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from cdcourse._validate import require_number
from cdcourse.datasets import _fields
from cdcourse.datasets import _geo
from cdcourse.datasets._fields import DATASETS
from cdcourse.errors import CdcourseError

__all__ = ["DATASETS", "generate", "load", "names", "boundary", "district_boundaries", "geography", "data_dir",
           "describe", "contains", "DEFAULT_SEED"]

DEFAULT_SEED = 2024
MAX_SCALE = 200.0
_FILES = [f"{n}.csv" for n in DATASETS] + ["datapackage.json", "codebook.md"]


def names() -> list[str]:
    """Names of the datasets that :func:`load` accepts, in teaching order.

    >>> names()[:2]
    ['population', 'official_statistics']
    """
    return list(DATASETS)


def describe(name: str) -> str:
    """One-paragraph description of a dataset (from the same metadata as the codebook).

    >>> describe("population").startswith("Every person")
    True
    """
    return _dataset(name).description


def _dataset(name: str) -> _fields.Dataset:
    if not isinstance(name, str) or name not in DATASETS:
        raise CdcourseError(f"dataset {name!r} is not known; valid datasets are: {', '.join(DATASETS)}")
    return DATASETS[name]


# ---- generating ------------------------------------------------------------------------------

def _build(seed: int, scale: float, bar=None) -> dict[str, pd.DataFrame]:
    """Every dataset of one world, keyed by name; ``bar`` (a tqdm bar or None) ticks per step."""
    from cdcourse.datasets import _citizen, _official, _population, _survey

    state: dict = {}

    def population():
        state["population"], state["_eas"] = _population.generate_population(seed, scale)

    def survey():
        state["community_survey"], state["community_survey_raw"], state["_log_survey"] = \
            _survey.generate_survey(state["population"], state["_eas"], seed)

    def official():
        state["official_statistics"], state["_log_official"] = _official.generate_official(state["population"], seed)

    def citizen(fn, name):
        def run():
            state[name], state[f"_log_{name}"] = fn(state["_eas"], seed, scale)
        return run

    steps = [("population", population), ("survey", survey), ("official statistics", official),
             ("participatory map", citizen(_citizen.participatory_map, "participatory_map")),
             ("social audit", citizen(_citizen.social_audit, "social_audit")),
             ("crowd reports", citizen(_citizen.crowd_reports, "crowd_reports"))]
    for label, fn in steps:
        if bar is not None:
            bar.set_postfix_str(label)
        fn()
        if bar is not None:
            bar.update(1)
    log = pd.concat([state["_log_survey"], state["_log_official"], state["_log_participatory_map"],
                     state["_log_social_audit"], state["_log_crowd_reports"]], ignore_index=True)
    state["problem_log"] = log[_fields.PROBLEM_LOG.columns].fillna("").astype(str)
    return {name: state[name] for name in DATASETS}


_BUILD_STEPS = 6


def _show_progress(progress: bool | None, scale: float) -> bool:
    if progress is not None:
        return bool(progress)
    # Only worth a bar on long runs, and only where a person watches a terminal.
    return scale >= 5 and sys.stderr is not None and sys.stderr.isatty()


def generate(out_dir: str | os.PathLike, seed: int = DEFAULT_SEED, scale: float = 1.0, *,
             progress: bool | None = None) -> dict[str, Path]:
    """Generate the whole synthetic world into ``out_dir`` and return the CSV paths by name.

    Parameters
    ----------
    out_dir : folder to write to (created if missing). Files are written to a temporary folder
        inside it first and moved into place only when all succeeded, so a failure leaves any
        existing files untouched.
    seed : whole number >= 0; the same seed gives byte-identical files.
    scale : size of the world; 1.0 is about 50,000 persons in 11,000 households, 20 about 1M.
    progress : show a tqdm progress bar; default only for scale >= 5 on a terminal.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = generate(tmp, seed=1, scale=0.05)
    ...     sorted(paths)[:3]
    ['community_survey', 'community_survey_raw', 'crowd_reports']
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise CdcourseError(f"seed must be a whole number >= 0; got {seed!r}")
    require_number(scale, "scale", low=0, low_inclusive=False, high=MAX_SCALE)
    seed, scale = int(seed), float(scale)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise CdcourseError(f"out_dir {str(out)!r} exists and is not a folder; give a folder to write to")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise CdcourseError(f"out_dir {str(out)!r} cannot be created ({err.strerror}); give a writable folder") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise CdcourseError(f"out_dir {str(out)!r} is not writable; give a writable folder")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=".cdcourse-partial-", dir=out))
    except OSError as err:
        raise CdcourseError(f"out_dir {str(out)!r} is not writable ({err.strerror}); give a writable folder") from None
    bar = None
    if _show_progress(progress, scale):
        from tqdm.auto import tqdm

        bar = tqdm(total=_BUILD_STEPS + 1, desc="Generating Lumeria", unit="step")
    try:
        frames = _build(seed, scale, bar)
        from cdcourse.datasets import _package

        if bar is not None:
            bar.set_postfix_str("writing files")

        for name, ds in DATASETS.items():
            _package.write_csv(frames[name], ds, tmp / f"{name}.csv")
        counts = {name: len(df) for name, df in frames.items()}
        _package.write_datapackage(tmp, counts, seed=seed, scale=scale)
        (tmp / "codebook.md").write_text(
            _package.codebook(frames, frames["problem_log"], seed=seed, scale=scale), encoding="utf-8", newline="\n")
        for f in _FILES:
            os.replace(tmp / f, out / f)
        if bar is not None:
            bar.update(1)
    except OSError as err:
        raise CdcourseError(f"could not write the datasets to out_dir {str(out)!r}: {err}") from None
    finally:
        if bar is not None:
            bar.close()
        shutil.rmtree(tmp, ignore_errors=True)
    _PARSED.clear()
    return {name: out / f"{name}.csv" for name in DATASETS}


# ---- loading ---------------------------------------------------------------------------------

_PARSED: dict[tuple, pd.DataFrame] = {}


def _repo_datasets() -> Path:
    return Path(__file__).resolve().parents[3] / "datasets"


def _cache_dir() -> Path:
    from cdcourse import __version__

    base = os.environ.get("XDG_CACHE_HOME") or os.environ.get("LOCALAPPDATA") or str(Path.home() / ".cache")
    return Path(base) / "cdcourse" / f"datasets-{__version__}-seed{DEFAULT_SEED}"


def data_dir() -> Path:
    """The folder :func:`load` reads from.

    In order: the environment variable ``CDCOURSE_DATA``; the repository's ``datasets/``; else a
    user cache folder, where the default world is generated on first use.
    """
    env = os.environ.get("CDCOURSE_DATA")
    if env:
        path = Path(env)
        if not (path / "population.csv").is_file():
            raise CdcourseError(
                f"CDCOURSE_DATA is {env!r} but that folder has no population.csv; point it at a folder made by "
                "'cdcourse datasets generate --out DIR' or unset it")
        return path
    repo = _repo_datasets()
    if all((repo / f"{n}.csv").is_file() for n in DATASETS):
        return repo
    cache = _cache_dir()
    if not all((cache / f"{n}.csv").is_file() for n in DATASETS):
        generate(cache, seed=DEFAULT_SEED, scale=1.0)
    return cache


def _parse(path: Path, ds: _fields.Dataset) -> pd.DataFrame:
    read_as = {}
    for f in ds.fields:
        if f.type == "integer":
            read_as[f.name] = "Int64"
        elif f.type == "number":
            read_as[f.name] = "float64"
        else:
            read_as[f.name] = "string"
    df = pd.read_csv(path, dtype=read_as, keep_default_na=False, na_values=[""])
    missing = [c for c in ds.columns if c not in df.columns]
    if missing:
        raise CdcourseError(f"{path} lacks the columns {', '.join(missing)}; regenerate it with "
                            "'cdcourse datasets generate'")
    for f in ds.fields:
        col = df[f.name]
        if f.type == "integer" and f.required and not col.isna().any():
            df[f.name] = col.astype("int64")
        elif f.type == "boolean":
            df[f.name] = col.map({"true": True, "false": False}).astype("boolean")
        elif f.type == "date":
            df[f.name] = pd.to_datetime(col, format="%Y-%m-%d")
        elif f.type == "datetime":
            df[f.name] = pd.to_datetime(col, format="%Y-%m-%dT%H:%M:%S")
        elif f.is_category:
            df[f.name] = col.astype(pd.CategoricalDtype(list(f.enum), ordered=f.ordered))
    return df[ds.columns]


def load(name: str) -> pd.DataFrame:
    """One dataset of the synthetic world as a typed DataFrame (a fresh copy on every call).

    Categorical columns are pandas ``category`` (education and age_group ordered), dates and
    date-times ``datetime64``, identifiers and free text ``string``, yes/no ``boolean``, whole
    numbers ``int64`` (``Int64`` where a value may be missing).

    Examples
    --------
    >>> pop = load("population")
    >>> pop["person_id"].is_unique
    True
    >>> load("nope")
    Traceback (most recent call last):
    ...
    cdcourse.errors.CdcourseError: dataset 'nope' is not known; valid datasets are: population, ...
    """
    ds = _dataset(name)
    path = data_dir() / f"{name}.csv"
    if not path.is_file():
        raise CdcourseError(f"dataset {name!r} has no file {path}; regenerate with 'cdcourse datasets generate'")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _PARSED:
        _PARSED[key] = _parse(path, ds)
    # A deep copy, so that one caller's changes never reach another's frame.
    return _PARSED[key].copy(deep=True)


# ---- geography -------------------------------------------------------------------------------

def boundary() -> np.ndarray:
    """The country outline as an (n, 2) array of (lon, lat) vertices (closed implicitly).

    >>> boundary().shape[1]
    2
    """
    return _geo.COUNTRY.copy()


def district_boundaries() -> dict[str, np.ndarray]:
    """District code -> (n, 2) array of (lon, lat) vertices of the district's polygon.

    >>> sorted(district_boundaries())[:2]
    ['D01', 'D02']
    """
    return {k: v.copy() for k, v in _geo.district_polygons().items()}


def geography() -> pd.DataFrame:
    """Regions, districts and enumeration areas of the loaded world, one row per EA.

    Columns: region_code, region, district_code, district, ea_id, urban_rural, settlement,
    households (frame count) and persons.

    >>> geo = geography()
    >>> int(geo["district_code"].nunique())
    12
    """
    pop = load("population")
    keys = ["region_code", "region", "district_code", "district", "ea_id", "urban_rural", "settlement"]
    out = (pop.groupby(keys, observed=True, sort=False)
           .agg(households=("household_id", "nunique"), persons=("person_id", "size"))
           .reset_index())
    return out.sort_values("ea_id", kind="stable").reset_index(drop=True)


def contains(lon, lat, polygon: np.ndarray | None = None) -> np.ndarray:
    """Which points lie inside ``polygon`` (default: the country).

    >>> contains([31.5, 40.0], [-2.5, -2.5]).tolist()
    [True, False]
    """
    poly = _geo.COUNTRY if polygon is None else np.asarray(polygon, dtype=float)
    return _geo.points_in_polygon(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), poly)
