"""What every cleaning step returns, and the log that records and replays a whole cleaning.

A step function takes the data first (so it fits ``df.pipe``), never changes it, and returns a
:class:`Cleaned`: the new frame plus a :class:`Step` saying what changed. A :class:`CleaningLog`
collects the steps; because each step stores its function name and parameters in plain JSON, the
log can be saved, read back and replayed on the raw file to reproduce the cleaned one.
"""
from __future__ import annotations

import datetime as _dt
import functools
import html
import inspect
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cdcourse._validate import require_frame
from cdcourse.errors import CdcourseError

#: step name -> function, so a saved log can be replayed by name.
_STEPS: dict[str, Callable[..., Cleaned]] = {}


@dataclass(frozen=True, eq=False)
class Step:
    """One cleaning step as an auditor sees it: what ran, with which settings, and what it touched.

    Attributes
    ----------
    function : the step function's name (``keep_consented``, ``parse_dates``, ...).
    params : its settings, as plain JSON values, enough to run it again.
    rows_in, rows_out : rows before and after the step.
    rows_affected : rows dropped, changed or flagged by the step.
    cells_changed : cells whose value changed (dropped rows are not counted here).
    summary : one plain-language sentence.
    details : a small table of what changed (counts by reason, by label, by format, ...).
    """

    function: str
    params: dict[str, Any]
    rows_in: int
    rows_out: int
    rows_affected: int
    cells_changed: int
    summary: str
    details: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def rows_dropped(self) -> int:
        return self.rows_in - self.rows_out

    def to_dict(self, *, details: bool = True) -> dict[str, Any]:
        """The step as plain JSON values (details as a list of records)."""
        out = {
            "function": self.function,
            "params": self.params,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_dropped": self.rows_dropped,
            "rows_affected": self.rows_affected,
            "cells_changed": self.cells_changed,
            "summary": self.summary,
        }
        if details:
            out["details"] = _jsonable(self.details.to_dict(orient="records"))
        return out

    def to_frame(self) -> pd.DataFrame:
        return self.details.copy()

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>{html.escape(self.function)}</b>: {html.escape(self.summary)}<br>"
            f"rows {self.rows_in:,} → {self.rows_out:,}; rows affected {self.rows_affected:,}; "
            f"cells changed {self.cells_changed:,}</p>"
        )
        return head + (self.details.to_html(index=False, max_rows=30) if len(self.details) else "")

    def __str__(self) -> str:
        return (
            f"{self.function}: {self.summary} (rows {self.rows_in} -> {self.rows_out}, "
            f"rows affected {self.rows_affected}, cells changed {self.cells_changed})"
        )


@dataclass(frozen=True, eq=False)
class Cleaned:
    """The result of one cleaning step: the new ``data`` and the ``step`` record.

    It unpacks as a pair, ``clean, step = keep_consented(raw)``; add it to a :class:`CleaningLog`
    with ``log.add(result)``, which returns the data for the next step.
    """

    data: pd.DataFrame
    step: Step

    def __iter__(self) -> Iterator[Any]:
        yield self.data
        yield self.step

    def to_frame(self) -> pd.DataFrame:
        """The step's details table."""
        return self.step.to_frame()

    def _repr_html_(self) -> str:
        return self.step._repr_html_()

    def __str__(self) -> str:
        return str(self.step)


def _jsonable(value: Any) -> Any:
    """Plain JSON values for a step's parameters or details (tuples become lists, numpy scalars numbers)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if np.isnan(value) else value
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date)):
        return value.isoformat()
    if value is pd.NaT or value is pd.NA:
        return None
    if hasattr(value, "to_dict") and callable(value.to_dict) and not isinstance(value, pd.DataFrame):
        return _jsonable(value.to_dict())
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((_jsonable(v) for v in value), key=str)
    if isinstance(value, (list, tuple, np.ndarray, pd.Index, pd.Series)):
        return [_jsonable(v) for v in list(value)]
    raise CdcourseError(
        f"a cleaning step parameter of type {type(value).__name__} ({value!r}) cannot be saved in the "
        "cleaning log; use numbers, strings, lists or dicts"
    )


def cleaning_step(func: Callable[..., tuple[pd.DataFrame, pd.DataFrame, str, int, int]]) -> Callable[..., Cleaned]:
    """Turn a step body into a logged, replayable step.

    The body returns ``(new_data, details, summary, rows_affected, cells_changed)``; the wrapper
    checks the input frame, records the parameters and row counts, and registers the step by name.
    """
    sig = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(data: pd.DataFrame, *args: Any, **kwargs: Any) -> Cleaned:
        require_frame(data, "data", allow_empty=True)
        try:
            bound = sig.bind(data, *args, **kwargs)
        except TypeError as err:
            raise CdcourseError(f"{func.__name__}: {err}") from None
        bound.apply_defaults()
        params = _jsonable({k: v for k, v in bound.arguments.items() if k != "data"})
        new, details, summary, rows_affected, cells_changed = func(*bound.args, **bound.kwargs)
        step = Step(
            function=func.__name__,
            params=params,
            rows_in=len(data),
            rows_out=len(new),
            rows_affected=int(rows_affected),
            cells_changed=int(cells_changed),
            summary=summary,
            details=details.reset_index(drop=True),
        )
        return Cleaned(new, step)

    _STEPS[func.__name__] = wrapper
    return wrapper


def step_names() -> list[str]:
    """Names of the steps a cleaning log can replay.

    >>> "keep_consented" in step_names()
    True
    """
    return sorted(_STEPS)


def _kind(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number"
    if isinstance(value, (pd.Timestamp, np.datetime64, _dt.date)):
        return "time"
    return type(value).__name__


def changed_mask(before: pd.Series, after: pd.Series) -> np.ndarray:
    """Boolean array: cells whose value differs.

    Missing equals missing; numbers compare by value (34 is 34.0); text and numbers never match
    ('12' differs from 12), so a conversion counts as a change.

    >>> changed_mask(pd.Series(["12", None, 3]), pd.Series([12, None, 3.0])).tolist()
    [True, False, False]
    """
    b_na = before.isna().to_numpy(dtype=bool)
    a_na = after.isna().to_numpy(dtype=bool)
    both = ~b_na & ~a_na
    same = np.zeros(len(before), dtype=bool)
    plain = before.dtype == after.dtype and isinstance(before.dtype, np.dtype) and before.dtype != object
    if plain:
        same[both] = before.to_numpy()[both] == after.to_numpy()[both]
    else:
        b = before.to_numpy(dtype=object)
        a = after.to_numpy(dtype=object)
        idx = np.flatnonzero(both)
        same[idx] = [_kind(x) == _kind(y) and bool(x == y) for x, y in zip(b[idx], a[idx])]
    return ~((b_na & a_na) | (both & same))


class CleaningLog:
    """Every step of a cleaning, in order, ready to show to a data user, save, and replay.

    ``add(result)`` records a step and returns its data, so a cleaning reads top to bottom; or use
    ``df.pipe(log.run, step_function, **settings)``. ``replay(raw)`` runs the same steps with the
    same settings on the raw data and returns a new log whose ``data`` is the reproduced result.

    Examples
    --------
    >>> from cdcourse.cleaning import keep_consented, set_missing
    >>> raw = pd.DataFrame({"consent": ["yes", "no", "Y"], "age": [34, 20, -99]})
    >>> log = CleaningLog(source="example")
    >>> df = log.add(keep_consented(raw, "consent"))
    >>> df = df.pipe(log.run, set_missing, {"age": [-99]})
    >>> log.to_frame()[["function", "rows_in", "rows_out", "cells_changed"]]
             function  rows_in  rows_out  cells_changed
    0  keep_consented        3         2              1
    1     set_missing        2         2              1
    >>> CleaningLog.from_json(log.to_json()).replay(raw).data.equals(df)
    True
    """

    def __init__(self, source: str | None = None, steps: list[Step] | None = None) -> None:
        self.source = source
        self.steps: list[Step] = list(steps or [])
        #: the data after the last recorded step (None before the first)
        self.data: pd.DataFrame | None = None

    def add(self, result: Cleaned) -> pd.DataFrame:
        """Record a step's result and return its data."""
        if not isinstance(result, Cleaned):
            raise CdcourseError(
                f"CleaningLog.add expects the result of a cleaning step (Cleaned), got {type(result).__name__}"
            )
        self.steps.append(result.step)
        self.data = result.data
        return result.data

    def run(self, data: pd.DataFrame, function: Callable[..., Cleaned] | str, /, *args: Any, **kwargs: Any) -> pd.DataFrame:
        """Run one step on ``data``, record it, return the new data (``df.pipe(log.run, step, ...)``)."""
        return self.add(_lookup(function)(data, *args, **kwargs))

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def to_frame(self) -> pd.DataFrame:
        """One row per step: function, settings, rows in/out/dropped/affected, cells changed, summary."""
        rows = [
            {
                "step": i + 1,
                "function": s.function,
                "params": json.dumps(s.params, ensure_ascii=False)[:200],
                "rows_in": s.rows_in,
                "rows_out": s.rows_out,
                "rows_dropped": s.rows_dropped,
                "rows_affected": s.rows_affected,
                "cells_changed": s.cells_changed,
                "summary": s.summary,
            }
            for i, s in enumerate(self.steps)
        ]
        columns = ["step", "function", "params", "rows_in", "rows_out", "rows_dropped",
                   "rows_affected", "cells_changed", "summary"]
        return pd.DataFrame(rows, columns=columns)

    def _repr_html_(self) -> str:
        frame = self.to_frame().drop(columns="params")
        title = f"Cleaning log of {html.escape(self.source)}" if self.source else "Cleaning log"
        total_drop = int(frame["rows_dropped"].sum()) if len(frame) else 0
        total_cells = int(frame["cells_changed"].sum()) if len(frame) else 0
        return (
            f"<p><b>{title}</b>: {len(self.steps)} steps, {total_drop:,} rows dropped, "
            f"{total_cells:,} cells changed.</p>" + frame.to_html(index=False)
        )

    def __repr__(self) -> str:
        return f"CleaningLog(source={self.source!r}, steps={[s.function for s in self.steps]})"

    def to_dict(self, *, details: bool = True) -> dict[str, Any]:
        from cdcourse import __version__

        return {
            "source": self.source,
            "cdcourse_version": __version__,
            "steps": [s.to_dict(details=details) for s in self.steps],
        }

    def to_json(self, path: str | Path | None = None, *, details: bool = True) -> str:
        """The log as JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(details=details), indent=2, ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, text_or_path: str | Path) -> CleaningLog:
        """Read a log saved with :meth:`to_json` (JSON text or a file path)."""
        text = str(text_or_path)
        if not text.lstrip().startswith("{"):
            path = Path(text_or_path)
            if not path.is_file():
                raise CdcourseError(f"cleaning log file {str(path)!r} does not exist")
            text = path.read_text(encoding="utf-8")
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as err:
            raise CdcourseError(f"cleaning log is not valid JSON: {err}") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("steps"), list):
            raise CdcourseError("cleaning log JSON must be an object with a 'steps' list")
        steps = []
        for i, s in enumerate(raw["steps"]):
            if not isinstance(s, dict) or "function" not in s or "params" not in s:
                raise CdcourseError(f"cleaning log step {i + 1} needs 'function' and 'params'; got {s!r}")
            _lookup(s["function"])
            steps.append(
                Step(
                    function=s["function"],
                    params=s["params"],
                    rows_in=int(s.get("rows_in", 0)),
                    rows_out=int(s.get("rows_out", 0)),
                    rows_affected=int(s.get("rows_affected", 0)),
                    cells_changed=int(s.get("cells_changed", 0)),
                    summary=str(s.get("summary", "")),
                    details=pd.DataFrame(s.get("details", [])),
                )
            )
        return cls(source=raw.get("source"), steps=steps)

    def replay(self, raw: pd.DataFrame) -> CleaningLog:
        """Run every step again, with the same settings, on ``raw``; returns the new log (``.data``).

        Compare the new log's counts with this one's (``to_frame()``) to show the cleaning is
        reproducible.
        """
        require_frame(raw, "raw", allow_empty=True)
        out = CleaningLog(source=self.source)
        data = raw
        for step in self.steps:
            data = out.add(_lookup(step.function)(data, **step.params))
        out.data = data
        return out


def _lookup(function: Callable[..., Cleaned] | str) -> Callable[..., Cleaned]:
    if callable(function):
        return function
    if function not in _STEPS:
        raise CdcourseError(
            f"cleaning step {function!r} is unknown; known steps are: {', '.join(step_names())}"
        )
    return _STEPS[function]
