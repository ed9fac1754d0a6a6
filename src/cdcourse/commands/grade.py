"""``cdcourse grade``: run a graded cohort, one command per step (the instructor guide is exercises/README.md).

Commands
--------
``cdcourse grade init DIR --roster roster.csv [--from COURSE_ROOT] [--exchange DIR]``
    Create the cohort's nbgrader course root from the kit's exercises and add the learners.
``cdcourse grade release NAME [--duedate ISO]``
    Generate the learners' version (and release it to the exchange, if one is configured).
``cdcourse grade collect NAME --zip FILE`` / ``cdcourse grade collect NAME``
    Collect submissions from a learning platform's zip, or from the exchange.
``cdcourse grade autograde NAME [--jobs N] [--timeout S] [--force] [--sandbox]``
    Grade every submission, N at a time; rerun to resume.
``cdcourse grade feedback NAME``
    Feedback for every graded learner, checked for hidden tests.
``cdcourse grade export --out grades.csv``
    Every learner's grades as CSV.

Every command except ``init`` works on the course root given with ``--course DIR`` (default: the current
folder), shows a progress bar on standard error and prints a summary table. Exit code 0 when all went well,
1 when something needs the instructor (the table says what), 2 for bad input.
"""
from __future__ import annotations

import argparse
import signal
import sys

HELP = "run a graded cohort with nbgrader: init, release, collect, autograde, feedback, export"


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def course(p):
        p.add_argument("--course", default=".", metavar="DIR",
                       help="the cohort's course root (default: the current folder)")

    init = sub.add_parser("init", help="create a cohort's course root with its learners",
                          description="Create an nbgrader course root for a cohort from the kit's exercises/ and "
                          "add the roster's learners to its gradebook. Run it again with a new roster to add learners.")
    init.add_argument("dir", help="the new course root (a new or empty folder, or an existing cohort root)")
    init.add_argument("--roster", required=True, help="CSV with the columns id, first_name, last_name, email")
    init.add_argument("--from", dest="source", help="course root to copy assignments from (default: exercises/)")
    init.add_argument("--exchange", help="nbgrader exchange folder of your JupyterHub (optional)")
    init.add_argument("--course-id", default="cdcourse", help="nbgrader course id (default: %(default)s)")
    init.add_argument("--memory-mb", type=int, default=4096,
                      help="memory limit of a grading kernel in MB (default: %(default)s)")
    init.set_defaults(func=_init)

    rel = sub.add_parser("release", help="generate the learners' version of an assignment",
                         description="Run nbgrader generate_assignment (and release_assignment when an exchange is "
                         "configured), then check that the release shows no solution and no hidden test.")
    rel.add_argument("name", help="the assignment (a folder of source/)")
    rel.add_argument("--duedate", help="due date-time with time zone, e.g. 2025-03-07T17:00+01:00")
    course(rel)
    rel.set_defaults(func=_release)

    col = sub.add_parser("collect", help="collect submissions from a platform's zip or the exchange",
                         description="With --zip: copy each learner's notebook from a learning platform's download "
                         "into submitted/<learner>/<assignment>/ (layouts: <id>/<name>.ipynb, <id>_<anything>.ipynb, "
                         "platform folders holding the id). Without --zip: nbgrader collect from the exchange. "
                         "Unknown learners and unexpected file names are reported, not fatal.")
    col.add_argument("name", help="the assignment")
    col.add_argument("--zip", dest="zip_path", metavar="FILE", help="the platform's zip of submissions")
    col.add_argument("--timestamp", help="submission time for every file of the zip (ISO); default: each file's "
                     "time in the zip")
    course(col)
    col.set_defaults(func=_collect)

    ag = sub.add_parser("autograde", help="grade every submission, N at a time (rerun to resume)",
                        description="Grade every collected submission with nbgrader, each in its own process and "
                        "kernel, N at a time; the gradebook is written by this process only. Submissions graded "
                        "before whose files did not change are skipped (--force grades them again), so an "
                        "interrupted run continues where it stopped. Autograding RUNS THE LEARNERS' CODE: use "
                        "--sandbox unless you trust it (exercises/README.md).")
    ag.add_argument("name", help="the assignment")
    ag.add_argument("--jobs", type=int, default=1, help="submissions graded at once (default: %(default)s)")
    ag.add_argument("--timeout", type=float, help="seconds per cell before it is stopped (default: the course's "
                    "nbgrader_config.py, 120 in the kit)")
    ag.add_argument("--force", action="store_true", help="grade again submissions that did not change")
    ag.add_argument("--sandbox", action="store_true", help="run kernels confined with bubblewrap: no network, no "
                    "access to the course root or your files, writes only in the learner's folder")
    ag.add_argument("--memory-mb", type=int, help="memory limit of a grading kernel in MB (default: the course's)")
    ag.add_argument("--student", action="append", metavar="ID", help="grade only this learner (repeatable)")
    course(ag)
    ag.set_defaults(func=_autograde)

    fb = sub.add_parser("feedback", help="feedback for every graded learner, without hidden tests",
                        description="Run nbgrader generate_feedback for every graded learner and check every page: "
                        "a page that shows a hidden-test line is withheld and reported.")
    fb.add_argument("name", help="the assignment")
    fb.add_argument("--student", action="append", metavar="ID", help="only this learner (repeatable)")
    course(fb)
    fb.set_defaults(func=_feedback)

    ex = sub.add_parser("export", help="write every learner's grades to a CSV",
                        description="Grades of every learner for every released assignment, with the columns of "
                        "'nbgrader export' plus needs_manual_grade.")
    ex.add_argument("--out", required=True, help="the CSV file to write, e.g. grades.csv")
    ex.add_argument("--assignment", action="append", metavar="NAME", help="only this assignment (repeatable)")
    course(ex)
    ex.set_defaults(func=_export)


def _show(report) -> int:
    print(report.table(max_width=240))
    return 0 if report.ok else 1


def _init(args) -> int:
    from cdcourse.grading.cohort import init_cohort

    return _show(init_cohort(args.dir, args.roster, source=args.source, exchange=args.exchange,
                             course_id=args.course_id, memory_mb=args.memory_mb, progress=True))


def _release(args) -> int:
    from cdcourse.grading.workflow import release

    return _show(release(args.course, args.name, duedate=args.duedate, progress=True))


def _collect(args) -> int:
    from cdcourse.grading.collect import collect_exchange, collect_zip

    if args.zip_path:
        return _show(collect_zip(args.course, args.name, args.zip_path, timestamp=args.timestamp, progress=True))
    return _show(collect_exchange(args.course, args.name, progress=True))


def _autograde(args) -> int:
    from cdcourse.grading.batch import autograde

    def stop(signum, frame):  # a polite kill stops the batch like Ctrl-C: grades so far are kept
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        report = autograde(args.course, args.name, jobs=args.jobs, timeout=args.timeout, force=args.force,
                           sandbox=args.sandbox, memory_mb=args.memory_mb, students=args.student, progress=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
    code = _show(report)
    if report.details.get("interrupted"):
        print("cdcourse: interrupted; run the same command again to continue", file=sys.stderr)
        return 130
    return code


def _feedback(args) -> int:
    from cdcourse.grading.workflow import feedback

    return _show(feedback(args.course, args.name, students=args.student, progress=True))


def _export(args) -> int:
    from cdcourse.grading.workflow import export

    return _show(export(args.course, args.out, assignments=args.assignment, progress=True))
