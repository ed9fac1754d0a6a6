"""A cohort's nbgrader course root: creating it from the kit's exercises, its roster, and where things are.

A cohort root made by :func:`init_cohort` looks like this (nbgrader's own layout, plus the kit's records)::

    DIR/
      nbgrader_config.py        this cohort's settings (loads kit_nbgrader_config.py, adds robust autograding)
      kit_nbgrader_config.py    a copy of the kit's exercises/nbgrader_config.py, taken at init
      source/<assignment>/      the assignments with solutions and hidden tests (instructors only)
      gradebook.db              nbgrader's gradebook: learners, released assignments, grades
      release/ submitted/ autograded/ feedback/    written by the later steps
      .cdcourse/                the kit's records: autograde ledger (for resuming), grading logs
"""
from __future__ import annotations

import csv
import json
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path

from cdcourse.errors import CdcourseError
from cdcourse.grading._env import (
    CONFIG_NAME,
    COURSE_ID,
    KIT_CONFIG_NAME,
    STATE_DIR,
    kit_course_root,
    load_config,
    nbgrader_environment,
    sqlite_url,
)
from cdcourse.grading.report import StepReport

ROSTER_COLUMNS = ("id", "first_name", "last_name", "email")
#: learner ids name folders (submitted/<id>/...) and appear in file names from learning platforms
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
EMAIL_PATTERN = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")
ASSIGNMENT_PATTERN = ID_PATTERN
MAX_LISTED = 10


# --------------------------------------------------------------------------------------------------
# roster


@dataclass(frozen=True)
class Learner:
    """One row of the roster."""

    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""


def read_roster(path: str | Path) -> list[Learner]:
    """The learners of a roster CSV with the columns ``id, first_name, last_name, email``.

    The file is UTF-8 (a spreadsheet's byte-order mark is fine); extra columns are ignored. Every problem
    is reported at once, with its line number.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "roster.csv")
    >>> _ = open(path, "w").write("id,first_name,last_name,email\\ns01,Ama,Owusu,ama@example.org\\n")
    >>> read_roster(path)
    [Learner(id='s01', first_name='Ama', last_name='Owusu', email='ama@example.org')]
    """
    path = Path(path)
    if not path.is_file():
        raise CdcourseError(f"roster {str(path)!r} does not exist; give a CSV file with the columns "
                            f"{', '.join(ROSTER_COLUMNS)}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CdcourseError(f"roster {str(path)!r} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it "
                            "as 'CSV UTF-8'") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not header:
        raise CdcourseError(f"roster {str(path)!r} is empty; expected a header line {','.join(ROSTER_COLUMNS)} "
                            "and one line per learner")
    missing = [c for c in ROSTER_COLUMNS if c not in header]
    if missing:
        raise CdcourseError(f"roster {str(path)!r} has no column {', '.join(repr(m) for m in missing)}; its columns "
                            f"are {', '.join(header)}; expected {', '.join(ROSTER_COLUMNS)}")
    reader.fieldnames = header
    learners, problems, seen = [], [], {}
    for line, row in enumerate(reader, start=2):
        values = {c: (row.get(c) or "").strip() for c in ROSTER_COLUMNS}
        if not any(values.values()):
            continue  # a blank line
        lid, email = values["id"], values["email"]
        if not lid:
            problems.append(f"line {line}: id is empty")
        elif not ID_PATTERN.match(lid):
            problems.append(f"line {line}: id {lid!r} may only use letters, digits, '.', '_' and '-', starting "
                            "with a letter or digit (ids name folders)")
        elif lid in seen:
            problems.append(f"line {line}: id {lid!r} repeats line {seen[lid]}")
        else:
            seen[lid] = line
        if email and not EMAIL_PATTERN.match(email):
            problems.append(f"line {line}: email {email!r} of {lid or 'this learner'} is not an e-mail address")
        learners.append(Learner(**values))
    if problems:
        shown = "; ".join(problems[:MAX_LISTED]) + (f"; ... ({len(problems) - MAX_LISTED} more)"
                                                     if len(problems) > MAX_LISTED else "")
        raise CdcourseError(f"roster {str(path)!r} has {len(problems)} problem(s): {shown}")
    if not learners:
        raise CdcourseError(f"roster {str(path)!r} lists no learners; add one line per learner under the header")
    return learners


# --------------------------------------------------------------------------------------------------
# a cohort's course root


@dataclass(frozen=True)
class Cohort:
    """An nbgrader course root with its configuration loaded (see the module docstring for the layout)."""

    root: Path

    @classmethod
    def open(cls, root: str | Path) -> "Cohort":
        root = Path(root).resolve()
        if not (root / CONFIG_NAME).is_file():
            raise CdcourseError(
                f"{root} is not a course root: it has no {CONFIG_NAME}. Create one with 'cdcourse grade init DIR "
                "--roster roster.csv' and pass it with --course DIR (or run the command inside it)")
        return cls(root)

    @cached_property
    def config(self):
        return load_config(self.root)

    @property
    def course_id(self) -> str:
        return self.config.CourseDirectory.get("course_id", COURSE_ID) or COURSE_ID

    @property
    def db_url(self) -> str:
        return self.config.CourseDirectory.get("db_url") or sqlite_url(self.root / "gradebook.db")

    @property
    def db_path(self) -> Path:
        url = self.db_url
        if not url.startswith("sqlite:///"):
            raise CdcourseError(f"the gradebook is {url!r}; the kit's grading steps work with nbgrader's default "
                                "SQLite gradebook (a sqlite:/// db_url)")
        return Path(url[len("sqlite:///"):])

    @property
    def exchange_root(self) -> str | None:
        """The exchange folder when this cohort's configuration sets one (JupyterHub), else None."""
        exchange = self.config.get("Exchange", {})
        return exchange.get("root") if "root" in exchange else None

    @property
    def state(self) -> Path:
        return self.root / STATE_DIR

    def assignments(self) -> list[str]:
        source = self.root / "source"
        return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb"))) \
            if source.is_dir() else []

    def require_assignment(self, name: str) -> Path:
        """The source folder of assignment ``name``; a clear error naming the valid ones if there is none."""
        if not isinstance(name, str) or not ASSIGNMENT_PATTERN.match(name or ""):
            raise CdcourseError(f"assignment {name!r} is not a valid assignment name")
        folder = self.root / "source" / name
        if not folder.is_dir() or not any(folder.glob("*.ipynb")):
            raise CdcourseError(f"assignment {name!r} is not in {self.root / 'source'}; the assignments are: "
                                f"{', '.join(self.assignments()) or '(none)'}")
        return folder

    def notebook_names(self, name: str) -> list[str]:
        """Stems of the assignment's notebooks (from the release when it exists, else from the source)."""
        release = self.root / "release" / name
        folder = release if release.is_dir() and any(release.glob("*.ipynb")) else self.require_assignment(name)
        return sorted(p.stem for p in folder.glob("*.ipynb"))

    def gradebook(self):
        from nbgrader.api import Gradebook

        return Gradebook(self.db_url, course_id=self.course_id)

    def learners(self) -> dict[str, Learner]:
        """The learners in the gradebook, by id."""
        with nbgrader_environment(), self.gradebook() as gb:
            return {s.id: Learner(s.id, s.first_name or "", s.last_name or "", s.email or "") for s in gb.students}

    def released(self, name: str) -> bool:
        from nbgrader.api import MissingEntry

        with nbgrader_environment(), self.gradebook() as gb:
            try:
                gb.find_assignment(name)
            except MissingEntry:
                return False
        return (self.root / "release" / name).is_dir()

    def api(self, config=None):
        """nbgrader's ``NbGraderAPI`` on this course root (with this cohort's configuration)."""
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        config = config or self.config
        config.CourseDirectory.root = str(self.root)
        return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


# --------------------------------------------------------------------------------------------------
# init


CONFIG_TEMPLATE = '''"""nbgrader configuration of this cohort (written by `cdcourse grade init` on {created}).

nbgrader reads this file when it runs in this folder (`nbgrader ...`, the formgrader), and every
`cdcourse grade ...` step reads it too. It loads the kit's settings from kit_nbgrader_config.py (a copy of the
kit's exercises/nbgrader_config.py: the time limit per cell, feedback without hidden tests), keeps this cohort's
gradebook in this folder, and turns on the kit's robust autograding (cdcourse.grading.preprocessors): damaged
notebooks are repaired from the gradebook, a killed or stuck kernel costs one cell, output floods are cut.
Change settings here, below the load_subconfig line, not in kit_nbgrader_config.py.
"""
import os

c = get_config()  # noqa: F821 -- provided by traitlets when it loads this file
HERE = os.path.dirname(os.path.abspath(__file__))  # noqa: F821 -- __file__ is set by traitlets

load_subconfig(os.path.join(HERE, "{kit_config}"))  # noqa: F821

c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")

from cdcourse.grading.preprocessors import AUTOGRADE_PREPROCESSORS, SANITIZE_PREPROCESSORS  # noqa: E402

c.Autograde.sanitize_preprocessors = SANITIZE_PREPROCESSORS
c.Autograde.autograde_preprocessors = AUTOGRADE_PREPROCESSORS
c.RepairSubmission.release_root = os.path.join(HERE, "release")
# Address-space limit of each grading kernel in MB (learner code that allocates more gets a MemoryError).
c.ConfinedKernelManager.memory_mb = {memory_mb}

# JupyterHub exchange: with a root set, `cdcourse grade release` also releases to it, `cdcourse grade collect NAME`
# collects from it and `cdcourse grade feedback` returns feedback through it.
{exchange}
'''


def write_config(root: Path, *, course_id: str = COURSE_ID, exchange: str | None = None,
                 memory_mb: int = 4096) -> None:
    exchange_line = f"c.Exchange.root = {str(exchange)!r}" if exchange else "# c.Exchange.root = \"/srv/nbgrader/exchange\""
    (root / CONFIG_NAME).write_text(CONFIG_TEMPLATE.format(
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d"), kit_config=KIT_CONFIG_NAME, course_id=course_id,
        memory_mb=int(memory_mb), exchange=exchange_line), encoding="utf-8")


def init_cohort(directory: str | Path, roster: str | Path, *, source: str | Path | None = None,
                exchange: str | Path | None = None, course_id: str = COURSE_ID, memory_mb: int = 4096,
                progress: bool = False) -> StepReport:
    """Create a cohort's course root from the kit's exercises and add the roster's learners to its gradebook.

    Parameters
    ----------
    directory : the new course root; it must not exist, be empty, or already be a cohort root (then only the
        roster is added: new learners are created, known ones updated, nobody is removed).
    roster : CSV with the columns ``id, first_name, last_name, email`` (see :func:`read_roster`).
    source : the course root to copy the assignments and kit settings from (default: the kit's exercises/).
    exchange : the nbgrader exchange folder of a JupyterHub, if the cohort uses one.
    course_id : nbgrader's course id (the exchange keeps courses apart by it).
    memory_mb : address-space limit of each grading kernel.
    progress : show a progress bar on standard error.

    Examples
    --------
    >>> import tempfile, os
    >>> folder = tempfile.mkdtemp()
    >>> roster = os.path.join(folder, "roster.csv")
    >>> _ = open(roster, "w").write("id,first_name,last_name,email\\ns01,Ama,Owusu,\\n")
    >>> report = init_cohort(os.path.join(folder, "cohort"), roster)  # doctest: +SKIP
    >>> report.column("status")["s01"]  # doctest: +SKIP
    'added'
    """
    from tqdm import tqdm

    learners = read_roster(roster)  # a bad roster stops everything before a file is written
    root = Path(directory).resolve()
    existing = root.exists() and any(root.iterdir())
    if existing and not (root / CONFIG_NAME).is_file():
        raise CdcourseError(f"{root} exists and is not empty, and is not a course root; choose a new folder")
    created = not existing
    if created:
        kit = Path(source).resolve() if source else kit_course_root()
        if not (kit / "source").is_dir() or not any((kit / "source").glob("*/*.ipynb")):
            raise CdcourseError(f"{kit} has no assignments (source/<name>/<name>.ipynb); pass a course root with --from")
        kit_config = kit / CONFIG_NAME if (kit / CONFIG_NAME).is_file() else kit_course_root() / CONFIG_NAME
        root.mkdir(parents=True, exist_ok=True)
        shutil.copytree(kit / "source", root / "source",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", ".*"))
        shutil.copyfile(kit_config, root / KIT_CONFIG_NAME)
        write_config(root, course_id=course_id, exchange=str(exchange) if exchange else None, memory_mb=memory_mb)
        (root / STATE_DIR).mkdir(exist_ok=True)
        (root / STATE_DIR / "cohort.json").write_text(json.dumps({
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "from": str(kit),
        }, indent=2), encoding="utf-8")
        (root / ".gitignore").write_text(
            "# learners' work and grades: never commit\nsubmitted/\nautograded/\nfeedback/\ngradebook.db\n.cdcourse/\n",
            encoding="utf-8")
    cohort = Cohort.open(root)
    rows = []
    with nbgrader_environment(), cohort.gradebook() as gb:
        known = {s.id for s in gb.students}
        for learner in tqdm(learners, desc="add learners", unit="learner", disable=not progress):
            gb.update_or_create_student(learner.id, first_name=learner.first_name or None,
                                        last_name=learner.last_name or None, email=learner.email or None)
            rows.append({"learner": learner.id, "name": f"{learner.first_name} {learner.last_name}".strip(),
                         "email": learner.email, "status": "updated" if learner.id in known else "added"})
    assignments = cohort.assignments()
    notes = [f"course root {root} ({'created' if created else 'existing: roster added'})",
             f"assignments: {', '.join(assignments)}",
             f"next: cdcourse grade release NAME --course {root}"]
    return StepReport("init", ("learner", "name", "email", "status"), tuple(rows), tuple(notes),
                      details={"root": str(root), "assignments": assignments})
