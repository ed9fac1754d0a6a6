"""nbgrader preprocessors that keep one damaged submission from costing a grade or stopping a batch.

What nbgrader 0.9.6 does with a damaged submission, measured on the fixture assignment, and what these add:

============================================  ==========================================  ==============================
learner did                                   nbgrader 0.9.6                              with these preprocessors
============================================  ==========================================  ==============================
edited a test cell's code                     restores it from the gradebook (checksum)    same, and says so
changed a test cell to markdown               restores the type and code                   same, and says so
deleted a test cell                           no score for it; "needs manual grade"        restored from the gradebook
                                              forever (jupyter/nbgrader#1682)              and run
deleted the answer and its test               same                                         both restored (answer as
                                                                                           released: unanswered)
duplicated a graded or answer cell            ``SchemaTooOldError``: the submission        the last copy is graded, the
                                              fails and ``nbgrader autograde`` stops the   others run as plain cells
                                              whole batch (jupyter/nbgrader#1083)
cleared "grade"/"locked" on a test cell       ``Inconsistent checksums``: fails            flags restored, then graded
changed a cell's grade_id                     metadata validation error: fails             the cell runs as plain code;
                                                                                           the test cell is restored
kernel killed (``os._exit``, SIGKILL)         ``DeadKernelError``: fails                   cell scored 0, kernel
                                                                                           restarted, earlier cells
                                                                                           replayed, grading goes on
loop that ignores the interrupt               "Timeout waiting for IOPub output": fails    same as a killed kernel
output flood                                  whole output kept in memory, then cut to     output beyond a byte budget
                                              1000 lines                                   dropped while it arrives
============================================  ==========================================  ==============================

Every repair is recorded in :data:`EVENTS` (one grading process grades one submission), so the instructor's
summary says what happened to whom.
"""
from __future__ import annotations

import asyncio
import copy
import signal
import uuid
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer, Unicode

from cdcourse.grading.kernels import ConfinedKernelManager

#: what happened while grading the current submission: dicts with kind, cell and message
EVENTS: list[dict[str, str]] = []


def note(kind: str, message: str, cell: str = "") -> None:
    EVENTS.append({"kind": kind, "cell": cell, "message": message})


def _label(cell, index: int) -> str:
    """A cell's grade_id, or its position for the learner's own cells."""
    meta = cell.get("metadata", {}).get("nbgrader")
    return (meta.get("grade_id") if isinstance(meta, dict) else None) or f"cell {index + 1}"


# --------------------------------------------------------------------------------------------------
# before nbgrader's own checks: put the notebook back into the released shape


class RepairSubmission(NbGraderPreprocessor):
    """Give a submission back the structure of the released notebook, from the gradebook's copy of the cells.

    Runs before nbgrader's ``DeduplicateIds``/``OverwriteCells``/``CheckCellMetadata``: after it, every cell
    nbgrader knows appears exactly once, with the cell type and nbgrader flags of the source, and every cell
    nbgrader does not know carries no nbgrader metadata. nbgrader then restores the code of locked cells
    (tests, setup) from the gradebook as usual. The learner's own code is never changed.
    """

    release_root = Unicode(
        "", help="the course root's release folder; the released notebook gives the order of the cells"
    ).tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        self.notebook_id, self.assignment_id = info["notebook"], info["assignment"]
        with Gradebook(info["db_url"]) as gb:
            try:
                source_nb = gb.find_notebook(self.notebook_id, self.assignment_id)
            except MissingEntry:
                return nb, resources
            self.source = {c.name: c for c in source_nb.source_cells}
            self.points = {c.name: float(c.max_score) for c in source_nb.grade_cells}
            self.points.update({c.name: float(c.max_score) for c in source_nb.task_cells})
            self.solutions = {c.name for c in source_nb.solution_cells}
            self.tasks = {c.name for c in source_nb.task_cells}
            self.grades = {c.name for c in source_nb.grade_cells}
            # detach what we need from the session before it closes
            self.source = {name: (c.cell_type, bool(c.locked), c.source, c.checksum) for name, c in self.source.items()}
        self.release = self._released_cells()
        self._drop_unknown_metadata(nb)
        self._drop_duplicates(nb)
        self._restore_flags(nb)
        self._restore_missing(nb)
        return nb, resources

    # the released notebook: order of the cells and what the learner was given
    def _released_cells(self) -> list[tuple[str, str]]:
        path = Path(self.release_root) / self.assignment_id / f"{self.notebook_id}.ipynb" if self.release_root else None
        if path is None or not path.is_file():
            return [(name, "") for name in self.source]  # no order known: restored cells go at the end
        released = nbformat.read(path, as_version=4)
        return [(gid, cell.source) for cell in released.cells
                if (gid := (cell.metadata.get("nbgrader") or {}).get("grade_id")) in self.source]

    def _drop_unknown_metadata(self, nb) -> None:
        for index, cell in enumerate(nb.cells):
            meta = cell.get("metadata", {})
            if "nbgrader" not in meta:
                continue
            nbg = meta["nbgrader"]
            gid = nbg.get("grade_id") if isinstance(nbg, dict) else None
            if gid in self.source:
                continue
            del meta["nbgrader"]
            if gid:
                note("repaired", f"has nbgrader metadata with the unknown id {gid!r}; it runs as the learner's own "
                     "code and is not graded", f"cell {index + 1}")

    def _drop_duplicates(self, nb) -> None:
        last: dict[str, int] = {}
        for index, cell in enumerate(nb.cells):
            if (gid := (cell.metadata.get("nbgrader") or {}).get("grade_id")) is not None:
                last[gid] = index
        for index, cell in enumerate(nb.cells):
            gid = (cell.metadata.get("nbgrader") or {}).get("grade_id")
            if gid is not None and last[gid] != index:
                del cell.metadata["nbgrader"]
                note("repaired", f"appears more than once; the last copy is graded and the others run as plain "
                     "cells", gid)

    def _expected_meta(self, gid: str) -> dict:
        cell_type, locked, _, checksum = self.source[gid]
        meta = {"schema_version": 3, "grade": gid in self.grades, "solution": gid in self.solutions,
                "locked": locked, "grade_id": gid}
        if gid in self.tasks:
            meta["task"] = True
        if gid in self.points:
            meta["points"] = self.points[gid]
        if checksum:
            meta["checksum"] = checksum
        return meta

    def _restore_flags(self, nb) -> None:
        released = dict(self.release)
        for index, cell in enumerate(nb.cells):
            nbg = cell.metadata.get("nbgrader")
            if not nbg:
                continue
            gid = nbg["grade_id"]
            expected = self._expected_meta(gid)
            changed = sorted(k for k in ("grade", "solution", "locked", "task", "points")
                             if k in expected and nbg.get(k) != expected[k] or k not in expected and nbg.get(k))
            cell_type = self.source[gid][0]
            if cell.cell_type != cell_type:
                self._set_type(nb, index, cell_type)
                note("repaired", f"was changed to a {cell.cell_type} cell; graded as the original {cell_type} cell",
                     gid)
                cell = nb.cells[index]
            if changed:
                note("repaired", f"had its nbgrader settings changed ({', '.join(changed)}); restored", gid)
            new = {**{k: v for k, v in nbg.items() if k not in ("task", "points")}, **expected}
            if "cell_type" in new:
                new["cell_type"] = cell_type
            cell.metadata["nbgrader"] = new
            if (expected["locked"] and released.get(gid)
                    and cell.source not in (released[gid], self.source[gid][2])):
                note("repaired", "is a locked cell that was edited; graded with the original", gid)

    @staticmethod
    def _set_type(nb, index: int, cell_type: str) -> None:
        old = nb.cells[index]
        new = new_code_cell(old.source) if cell_type == "code" else new_markdown_cell(old.source)
        new.metadata = old.metadata
        if "id" in old:
            new.id = old.id
        nb.cells[index] = new

    def _restore_missing(self, nb) -> None:
        present = {(c.metadata.get("nbgrader") or {}).get("grade_id") for c in nb.cells} - {None}
        for order, (gid, _) in enumerate(self.release):
            if gid in present:
                continue
            cell_type, _, source, _ = self.source[gid]
            cell = new_code_cell(source) if cell_type == "code" else new_markdown_cell(source)
            cell.id = uuid.uuid4().hex[:8]
            cell.metadata["nbgrader"] = self._expected_meta(gid)
            # after the nearest earlier cell of the release that the notebook has (restored ones included)
            before = [g for g, _ in self.release[:order] if g in present]
            position = 0
            if before:
                position = 1 + next(i for i, c in enumerate(nb.cells)
                                    if (c.metadata.get("nbgrader") or {}).get("grade_id") == before[-1])
            nb.cells.insert(position, cell)
            present.add(gid)
            if gid in self.solutions:
                note("repaired", "answer cell was deleted; restored as released (unanswered)", gid)
            elif gid in self.grades:
                note("repaired", "test cell was deleted; restored from the gradebook and run", gid)
            elif cell_type == "code":
                note("repaired", "locked code cell was deleted; restored from the gradebook and run", gid)


# --------------------------------------------------------------------------------------------------
# execution that survives dead and stuck kernels, and floods of output


def _error_output(ename: str, message: str):
    return new_output("error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


_POLL_TASKS = ("_async_poll_output_msg", "_async_poll_kernel_alive", "_async_poll_for_reply")


class GuardedExecute(Execute):
    """nbgrader's ``Execute``, made to finish every notebook it starts.

    - A cell that kills the kernel, or loops in a way the interrupt cannot stop, gets an error output with the
      reason (so it scores 0); the kernel is restarted, the earlier code cells are run again without keeping
      their outputs, and grading goes on with the next cell. After ``max_kernel_restarts`` restarts the
      remaining cells are marked as not run (they score 0).
    - Output beyond ``max_output_bytes`` per cell is dropped while it arrives (an error is always kept, and
      so is the fact that a cell wrote to stderr, because both decide a score).
    - Kernels start through :class:`~cdcourse.grading.kernels.ConfinedKernelManager` (memory limit, optional
      sandbox).
    """

    max_output_bytes = Integer(1_000_000, help="bytes of output kept per cell").tag(config=True)
    max_kernel_restarts = Integer(2, help="kernel restarts per notebook before the rest is not run").tag(config=True)

    def __init__(self, **kw):
        kw.setdefault("kernel_manager_class", ConfinedKernelManager)
        super().__init__(**kw)

    def preprocess(self, nb, resources=None, km=None):
        self._restarts = 0
        self._given_up = ""
        self._failed: set[int] = set()
        self._out_bytes: dict[int, int] = {}
        self._truncated: set[int] = set()
        self._replaying = False
        self.error_on_timeout = {
            "ename": "CellTimeoutError",
            "evalue": f"stopped after {self.timeout} s, the time limit per cell",
            "traceback": [f"CellTimeoutError: this cell was stopped after {self.timeout} s, the time limit per cell"],
        }
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        label = _label(cell, index)
        if self._given_up:
            cell.outputs = [_error_output("NotRun", self._given_up)]
            return cell, self.resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError) as exc:
            cell = self.nb.cells[index]
            reason = self._failure_reason(exc)
            cell.setdefault("outputs", []).append(_error_output("KernelStopped", reason))
            self._failed.add(index)
            note("kernel", reason, label)
            self._recover(index, label)
            return cell, self.resources
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            if out.get("ename") == "CellTimeoutError":
                note("timeout", f"stopped after {self.timeout} s (the time limit per cell); scored with what "
                     "completed", label)
            elif out.get("ename") == "MemoryError":
                note("memory", "ran out of memory (MemoryError): the grading kernel's memory is limited", label)
        return cell, resources

    # -- what went wrong --------------------------------------------------------------------------
    def _failure_reason(self, exc: Exception) -> str:
        if isinstance(exc, CellTimeoutError):
            return (f"this cell did not stop when interrupted after {self.timeout} s (the time limit per cell); "
                    "the kernel was stopped")
        code = None
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        if process is not None:
            try:
                code = process.wait(timeout=2)
            except Exception:  # noqa: BLE001 -- no exit status to report
                code = None
        if code is None:
            return "the kernel stopped while running this cell"
        if code < 0 or code > 128:
            number = -code if code < 0 else code - 128
            try:
                name = signal.Signals(number).name
            except ValueError:
                name = f"signal {number}"
            hint = " (the memory limit, the system's out-of-memory killer, or the code killed itself)" \
                if number == signal.SIGKILL else ""
            return f"the kernel was killed by {name} while running this cell{hint}"
        return f"the kernel exited with code {code} while running this cell"

    # -- carrying on after a dead or stuck kernel -------------------------------------------------
    def _recover(self, index: int, label: str) -> None:
        if self._restarts >= self.max_kernel_restarts:
            self._given_up = (f"not run: the kernel stopped {self._restarts + 1} times, last in {label}; "
                              "later cells were not run")
            note("kernel", f"kernel stopped {self._restarts + 1} times; the cells after {label} were not run", label)
            self._run(self._async_stop_kernel())
            return
        self._restarts += 1
        self._run(self._async_fresh_kernel())
        replayed = 0
        self._replaying = True
        try:
            for earlier in range(index):
                original = self.nb.cells[earlier]
                if (original.cell_type != "code" or not original.source.strip() or earlier in self._failed
                        or any(o.get("ename") == "CellTimeoutError" for o in original.get("outputs", []))):
                    continue
                try:
                    self.execute_cell(copy.deepcopy(original), earlier, store_history=False)
                finally:
                    self.nb.cells[earlier] = original  # the replay's outputs are not kept
                replayed += 1
        except (DeadKernelError, CellTimeoutError):
            self._given_up = f"not run: the kernel stopped again while the cells before {label} were replayed"
            note("kernel", f"the kernel stopped again while the cells before {label} were replayed; later cells "
                 "were not run", label)
            self._run(self._async_stop_kernel())
            return
        finally:
            self._replaying = False
        note("kernel", f"kernel restarted after {label}; {replayed} earlier code cells replayed, grading went on",
             label)

    def _run(self, coro):
        from jupyter_core.utils import ensure_event_loop

        return ensure_event_loop().run_until_complete(coro)

    @staticmethod
    def _cancel_poll_tasks() -> None:
        # nbclient leaves its output poller running when a cell times out; it would swallow the next cell's output
        for task in asyncio.all_tasks():
            if task is not asyncio.current_task() and getattr(task.get_coro(), "__name__", "") in _POLL_TASKS:
                task.cancel()

    async def _async_stop_kernel(self) -> None:
        from jupyter_core.utils import ensure_async

        self._cancel_poll_tasks()
        try:
            await ensure_async(self.km.shutdown_kernel(now=True))
        except Exception:  # noqa: BLE001 -- already gone
            pass

    async def _async_fresh_kernel(self) -> None:
        from jupyter_core.utils import ensure_async

        await self._async_stop_kernel()
        try:
            await ensure_async(self.km.cleanup_resources())
        except Exception:  # noqa: BLE001 -- nothing left to clean
            pass
        if self.kc is not None:
            try:
                await ensure_async(self.kc.stop_channels())
            except Exception:  # noqa: BLE001
                pass
        self.kc = None
        self.km = self.create_kernel_manager()
        await self.async_start_new_kernel()
        await self.async_start_new_kernel_client()

    # -- output budget ----------------------------------------------------------------------------
    def output(self, outs, msg, display_id, cell_index):
        kind, content = msg["msg_type"], msg.get("content", {})
        if kind == "error" or self._replaying:
            return super().output(outs, msg, display_id, cell_index)
        if kind == "stream":
            size = len(content.get("text", ""))
        else:
            size = sum(len(str(v)) for v in content.get("data", {}).values())
        before = self._out_bytes.get(cell_index, 0)
        self._out_bytes[cell_index] = before + size
        if before + size <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        room = self.max_output_bytes - before
        if kind == "stream" and room > 0:  # one message can hold megabytes: keep its first part
            part = {**msg, "content": {**content, "text": content.get("text", "")[:room]}}
            super().output(outs, part, display_id, cell_index)
        if cell_index not in self._truncated:
            self._truncated.add(cell_index)
            # not a stream: nbgrader's LimitOutput would cut it with the flood it explains
            outs.append(new_output("display_data", data={
                "text/plain": f"[output beyond {self.max_output_bytes:,} characters was dropped by the grader]"}))
            note("output", f"printed more than {self.max_output_bytes:,} characters; the rest was dropped",
                 _label(self.nb.cells[cell_index], cell_index))
        if kind == "stream" and content.get("name") == "stderr" and not any(
                o.get("output_type") == "stream" and o.get("name") == "stderr" for o in outs):
            # a cell that writes to stderr scores 0 in nbgrader: keep that fact, not the flood
            outs.append(new_output("stream", name="stderr", text="[output to stderr dropped by the grader]\n"))
        if kind == "execute_result":  # a cell's value can be a partial score; keep it
            return super().output(outs, msg, display_id, cell_index)
        return None


def _pipelines():
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearOutput,
        DeduplicateIds,
        IgnorePattern,
        LimitOutput,
        OverwriteCells,
        OverwriteKernelspec,
        SaveAutoGrades,
    )

    # nbgrader 0.9.6's own lists, with RepairSubmission first and Execute replaced by GuardedExecute
    sanitize = [ClearOutput, RepairSubmission, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata]
    autograde = [GuardedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
                 AssignLatePenalties, CheckCellMetadata]
    return sanitize, autograde


#: ``Autograde.sanitize_preprocessors`` and ``Autograde.autograde_preprocessors`` for a cohort's config
SANITIZE_PREPROCESSORS, AUTOGRADE_PREPROCESSORS = _pipelines()
