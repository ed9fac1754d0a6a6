"""Grade one submission in its own process and workspace (the batch in :mod:`cdcourse.grading.batch` runs
one of these per submission, N at a time).

The workspace is a small nbgrader course root of its own::

    WS/course/source/<assignment>/            copy of the cohort's source folder
    WS/course/submitted/<student>/<assignment>/   copy of the submission (a misnamed notebook renamed)
    WS/gradebook.db                            copy of the cohort's gradebook, taken when the batch started
    WS/rt/  WS/scratch/                        the kernel's connection folder and /tmp (sandbox)

nbgrader's ``Autograde`` runs here exactly as ``nbgrader autograde`` would, with the cohort's configuration,
writing to the copy of the gradebook. The batch then reads the grades from ``WS/result.json`` and writes them
into the cohort's gradebook itself, one submission at a time. So a learner's code never runs in the process
that holds the real gradebook, two kernels never write to it at once, and a crash here costs this
submission only.

Importing this module imports nbgrader: the batch preloads it once in a fork server, so each worker starts in
milliseconds rather than seconds.
"""
from __future__ import annotations

import json
import os
import traceback
from pathlib import Path

import jupyter_client.asynchronous  # noqa: F401 -- preloaded, with everything below, once in the fork server
import nbgrader.apps  # noqa: F401
import nbgrader.converters  # noqa: F401
from jupyter_client.provisioning.factory import KernelProvisionerFactory
from nbgrader.api import Gradebook

from cdcourse.grading import kernels, preprocessors  # noqa: F401
from cdcourse.grading._env import load_config, sqlite_url

KernelProvisionerFactory.instance()  # scans the installed provisioners (entry points) once, not per kernel

RESULT = "result.json"


def read_submission(db_url: str, course_id: str, assignment: str, student: str) -> dict:
    """The autograder's results for one submission, as plain data."""
    with Gradebook(db_url, course_id=course_id) as gb:
        sub = gb.find_submission(assignment, student)
        data = {"timestamp": sub.timestamp.isoformat() if sub.timestamp else None, "notebooks": {}}
        for nb in sub.notebooks:
            data["notebooks"][nb.name] = {
                "late_penalty": nb.late_submission_penalty,
                "grades": {g.name: {"auto_score": g.auto_score, "max_score": g.max_score,
                                    "needs_manual_grade": g.needs_manual_grade} for g in nb.grades},
                "comments": {c.name: c.auto_comment for c in nb.comments},
            }
    return data


def _grade(spec: dict, ws: Path) -> dict:
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    assignment, student = spec["assignment"], spec["student"]
    course = ws / "course"
    db_url = sqlite_url(ws / "gradebook.db")
    cfg = load_config(Path(spec["course_root"]))
    cfg.CourseDirectory.root = str(course)
    cfg.CourseDirectory.db_url = db_url
    cfg.CourseDirectory.course_id = spec["course_id"]
    cfg.Autograde.sanitize_preprocessors = preprocessors.SANITIZE_PREPROCESSORS
    cfg.Autograde.autograde_preprocessors = preprocessors.AUTOGRADE_PREPROCESSORS
    cfg.RepairSubmission.release_root = spec["release_root"]
    if spec.get("timeout"):
        cfg.GuardedExecute.timeout = int(spec["timeout"])
    if spec.get("memory_mb") is not None:
        cfg.ConfinedKernelManager.memory_mb = int(spec["memory_mb"])
    cfg.ConfinedKernelManager.sandbox = bool(spec.get("sandbox"))
    cfg.ConfinedKernelManager.writable = [str(course / "autograded" / student / assignment)]
    cfg.ConfinedKernelManager.scratch = str(ws / "scratch")
    cfg.ConfinedKernelManager.hide = [spec["course_root"], str(ws)]
    cfg.ConfinedKernelManager.pid_file = str(ws / "kernel.pids")
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    preprocessors.EVENTS.clear()
    outcome = api.autograde(assignment, student, force=True, create=True)
    result = {"ok": bool(outcome.get("success")), "events": list(preprocessors.EVENTS),
              "log": outcome.get("log", ""), "error": outcome.get("error")}
    if result["ok"]:
        result["submission"] = read_submission(db_url, spec["course_id"], assignment, student)
    return result


def grade_one(spec: dict) -> None:
    """Entry point of a worker process: grade ``spec``'s submission and write ``result.json``."""
    ws = Path(spec["workspace"])
    log = open(ws / "worker.log", "w", encoding="utf-8")  # noqa: SIM115 -- lives as long as the process
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    os.environ.update(spec["env"])
    os.environ["JUPYTER_RUNTIME_DIR"] = str(ws / "rt")
    os.chdir(ws)
    result: dict = {"ok": False}
    try:
        result = _grade(spec, ws)
    except BaseException as exc:  # noqa: BLE001 -- everything is reported to the batch, which carries on
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(),
                  "events": list(preprocessors.EVENTS)}
    finally:
        tmp = ws / (RESULT + ".tmp")
        tmp.write_text(json.dumps(result, default=str), encoding="utf-8")
        os.replace(tmp, ws / RESULT)
        log.flush()
