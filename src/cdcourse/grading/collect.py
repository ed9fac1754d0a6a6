"""``cdcourse grade collect``: put learners' submissions into ``submitted/<learner>/<assignment>/``.

From a learning platform's download (``--zip``), any of these layouts is understood, at any depth of folders::

    <learner_id>/<assignment>.ipynb                 one folder per learner
    <learner_id>_<anything>.ipynb                   learner id first in the file name
    <anything>_<learner_id>_<anything>/<file>.ipynb  platform folders such as "Ama Owusu_s01_assignsubmission_file"

A learner id is recognised only if it is on the roster (the gradebook), so names are never guessed. A file
whose learner cannot be found, a notebook with an unexpected name that cannot be matched, a file that is not a
notebook, or one that is not valid JSON is reported with the reason; nothing stops the others. With a
JupyterHub exchange, ``collect`` without ``--zip`` runs nbgrader's own collect.
"""
from __future__ import annotations

import hashlib
import re
import zipfile
from datetime import datetime
from pathlib import Path, PurePosixPath

import nbformat

from cdcourse.errors import CdcourseError
from cdcourse.grading._env import nbgrader_environment
from cdcourse.grading.cohort import Cohort
from cdcourse.grading.report import StepReport

COLUMNS = ("learner", "file", "status", "notes")
_JUNK_PARTS = {"__MACOSX", ".ipynb_checkpoints"}
MAX_NOTEBOOK_BYTES = 100 * 2**20  # a notebook with outputs is rarely over a few MB; a bigger file is not read


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def find_learner(path: PurePosixPath, ids: set[str]) -> tuple[str | None, str]:
    """The roster id a zip member belongs to, and the part of the file name left after the id.

    Folders are searched from the outermost; a part is the id itself, starts with ``<id>_``/``<id>-``, or
    holds the id between underscores. The longest matching id wins (``s1`` never steals ``s10``'s work).

    >>> find_learner(PurePosixPath("s01/sampling.ipynb"), {"s01", "s02"})
    ('s01', 'sampling')
    >>> find_learner(PurePosixPath("s10_sampling (1).ipynb"), {"s1", "s10"})
    ('s10', 'sampling (1)')
    >>> find_learner(PurePosixPath("Ama Owusu_s02_assignsubmission_file/work.ipynb"), {"s01", "s02"})
    ('s02', 'work')
    >>> find_learner(PurePosixPath("zz9/sampling.ipynb"), {"s01"})
    (None, 'sampling')
    """
    stem = path.stem
    for part in list(path.parts[:-1]) + [stem]:
        candidates = []
        for lid in ids:
            if part == lid:
                candidates.append((len(lid), lid, stem if part != stem else ""))
            elif part.startswith((lid + "_", lid + "-", lid + " ")):
                candidates.append((len(lid), lid, part[len(lid) + 1:] if part == stem else stem))
            elif re.search(rf"(^|[_\s-]){re.escape(lid)}([_\s-]|$)", part):
                candidates.append((len(lid), lid, stem))
        if candidates:
            _, lid, rest = max(candidates)
            return lid, rest
    return None, stem


def match_notebook(name: str, expected: list[str]) -> str | None:
    """Which notebook of the assignment a submitted file name stands for, or None.

    >>> match_notebook("sampling (1)", ["sampling"]), match_notebook("Sampling-Copy1", ["sampling"])
    ('sampling', 'sampling')
    >>> match_notebook("cleaning", ["sampling", "sampling_extra"]) is None
    True
    """
    if name in expected:
        return name
    normal = _normal(name)
    hits = [e for e in expected if _normal(e) and _normal(e) in normal]
    return max(hits, key=len) if hits else None


def _why_invalid(data: bytes) -> str | None:
    try:
        nbformat.reads(data.decode("utf-8"), as_version=4)
    except UnicodeDecodeError:
        return "not UTF-8 text"
    except Exception as exc:  # noqa: BLE001
        cause = exc.__cause__ or exc
        if hasattr(cause, "lineno"):
            return f"not valid JSON ({cause.msg} at line {cause.lineno}, column {cause.colno})"
        return str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
    return None


def _timestamp(member: zipfile.ZipInfo, fixed: datetime | None) -> str:
    when = fixed or datetime(*member.date_time)
    if when.tzinfo is None:
        when = when.astimezone()  # a zip stores local wall time; nbgrader compares in UTC
    return when.isoformat()


def _checked_dest(cohort: Cohort, student: str, assignment: str) -> Path:
    dest = (cohort.root / "submitted" / student / assignment).resolve()
    if cohort.root / "submitted" not in dest.parents:
        raise CdcourseError(f"learner id {student!r} would write outside {cohort.root / 'submitted'}")
    return dest


def collect_zip(course: str | Path, assignment: str, zip_path: str | Path, *, timestamp: str | None = None,
                progress: bool = False) -> StepReport:
    """Collect ``assignment`` from a learning platform's zip of submissions (layouts: see the module docstring).

    Parameters
    ----------
    course : the cohort's course root.
    assignment : the assignment's name.
    zip_path : the downloaded zip.
    timestamp : submission time for every file (ISO, e.g. ``2025-03-01T17:00+01:00``); by default each
        file's time in the zip, read as this computer's local time. nbgrader compares it with the due date.
    progress : show a progress bar on standard error.
    """
    from tqdm import tqdm

    cohort = Cohort.open(course)
    cohort.require_assignment(assignment)
    expected = cohort.notebook_names(assignment)
    fixed = None
    if timestamp:
        try:
            fixed = datetime.fromisoformat(timestamp)
        except ValueError:
            raise CdcourseError(f"timestamp {timestamp!r} is not an ISO date-time such as 2025-03-01T17:00+01:00") \
                from None
    zip_path = Path(zip_path)
    if not zip_path.is_file():
        raise CdcourseError(f"zip file {str(zip_path)!r} does not exist")
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        raise CdcourseError(f"{str(zip_path)!r} is not a zip file; download the submissions as one zip") from None
    roster = set(cohort.learners())
    rows: list[dict] = []
    # learner -> notebook -> (member, data); the newest file wins when a learner sent two for one notebook
    chosen: dict[str, dict[str, tuple[zipfile.ZipInfo, bytes, list[str]]]] = {}
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        for member in tqdm(members, desc=f"collect {assignment}", unit="file", disable=not progress):
            path = PurePosixPath(member.filename.replace("\\", "/"))
            if _JUNK_PARTS & set(path.parts) or any(p.startswith(".") for p in path.parts):
                continue
            student, rest = find_learner(path, roster)
            if member.file_size > MAX_NOTEBOOK_BYTES:
                rows.append({"learner": student or "?", "file": str(path), "status": "ignored",
                             "notes": [f"{member.file_size / 2**20:.0f} MB: too large for a notebook (limit "
                                       f"{MAX_NOTEBOOK_BYTES // 2**20} MB)"]})
                continue
            if path.suffix.lower() != ".ipynb":
                rows.append({"learner": student or "?", "file": str(path), "status": "ignored",
                             "notes": ["not a notebook (.ipynb)"]})
                continue
            if student is None:
                guess = path.parts[0] if len(path.parts) > 1 else re.split(r"[_\s-]", path.stem)[0]
                rows.append({"learner": "?", "file": str(path), "status": "unknown learner",
                             "notes": [f"no roster id in the path (first part {guess!r}); add the learner to the "
                                       "roster (cdcourse grade init DIR --roster roster.csv) and collect again"]})
                continue
            notebook = match_notebook(rest, expected) if rest else None
            notes = []
            if notebook is None and len(expected) == 1:
                notebook = expected[0]
            if notebook is None:
                rows.append({"learner": student, "file": str(path), "status": "wrong file name",
                             "notes": [f"cannot tell which notebook {path.name!r} is; expected "
                                       f"{', '.join(e + '.ipynb' for e in expected)}"]})
                continue
            if path.stem != notebook:
                notes.append(f"saved as {notebook}.ipynb (was {path.name!r})")
            data = archive.read(member)
            previous = chosen.setdefault(student, {}).get(notebook)
            if previous is not None:
                keep_new = member.date_time >= previous[0].date_time
                older, newer = (previous[0], member) if keep_new else (member, previous[0])
                rows.append({"learner": student, "file": older.filename, "status": "ignored",
                             "notes": [f"older than {newer.filename!r}, also for {notebook}.ipynb"]})
                if not keep_new:
                    continue
            chosen[student][notebook] = (member, data, notes)
    for student in sorted(chosen):
        dest = _checked_dest(cohort, student, assignment)
        for notebook, (member, data, notes) in sorted(chosen[student].items()):
            target = dest / f"{notebook}.ipynb"
            invalid = _why_invalid(data)
            same = target.is_file() and hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()
            status = "unchanged" if same else ("updated" if target.exists() else "collected")
            if not same:
                dest.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                (dest / "timestamp.txt").write_text(_timestamp(member, fixed), encoding="utf-8")
            if invalid:
                notes = notes + [f"{invalid}: stored, but autograde cannot grade it; ask for a new copy"]
                status = f"{status}, invalid"
            rows.append({"learner": student, "file": member.filename, "status": status, "notes": notes})
    return _summary(cohort, assignment, rows, f"collect {assignment} from {zip_path.name}")


def collect_exchange(course: str | Path, assignment: str, *, progress: bool = False) -> StepReport:
    """Collect ``assignment`` from the JupyterHub exchange with nbgrader's own collect, then check the files."""
    cohort = Cohort.open(course)
    cohort.require_assignment(assignment)
    if not cohort.exchange_root:
        raise CdcourseError(f"{cohort.root} has no exchange configured (c.Exchange.root in nbgrader_config.py); "
                            "collect a platform's download with --zip FILE, or re-create the cohort with --exchange")
    before = {p.parent.name: fingerprint_folder(p) for p in (cohort.root / "submitted").glob(f"*/{assignment}")}
    with nbgrader_environment():
        outcome = cohort.api().collect(assignment, update=True)
    if not outcome.get("success"):
        error = (outcome.get("error") or outcome.get("log") or "").strip().splitlines()
        raise CdcourseError(f"nbgrader could not collect {assignment!r} from {cohort.exchange_root}: "
                            f"{error[-1] if error else 'unknown error'}")
    roster = set(cohort.learners())
    expected = cohort.notebook_names(assignment)
    rows = []
    for folder in sorted((cohort.root / "submitted").glob(f"*/{assignment}")):
        student = folder.parent.name
        now = fingerprint_folder(folder)
        status = "unchanged" if before.get(student) == now else ("updated" if student in before else "collected")
        notes = [] if student in roster else ["not on the roster: graded anyway, and added to the gradebook"]
        names = sorted(p.stem for p in folder.glob("*.ipynb"))
        for stem in names:
            if stem not in expected:
                notes.append(f"unexpected notebook {stem}.ipynb (expected {', '.join(e + '.ipynb' for e in expected)})")
            elif (invalid := _why_invalid((folder / f"{stem}.ipynb").read_bytes())):
                notes.append(f"{stem}.ipynb is {invalid}")
        rows.append({"learner": student, "file": ", ".join(n + ".ipynb" for n in names), "status": status,
                     "notes": notes})
    return _summary(cohort, assignment, rows, f"collect {assignment} from the exchange")


def fingerprint_folder(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def _summary(cohort: Cohort, assignment: str, rows: list[dict], title: str) -> StepReport:
    roster = cohort.learners()
    have = {p.parent.name for p in (cohort.root / "submitted").glob(f"*/{assignment}")}
    for lid in sorted(set(roster) - have):
        rows.append({"learner": lid, "file": "", "status": "missing", "notes": ["no submission yet"]})
    problems = [r for r in rows if r["status"] in ("unknown learner", "wrong file name") or "invalid" in r["status"]]
    collected = sum(1 for r in rows if r["status"].split(",")[0] in ("collected", "updated"))
    notes = [f"{collected} notebook(s) collected or updated, {len(problems)} problem(s), "
             f"{sum(1 for r in rows if r['status'] == 'missing')} learner(s) without a submission",
             f"next: cdcourse grade autograde {assignment} --course {cohort.root}"]
    rows.sort(key=lambda r: (r["learner"] == "?", r["learner"], r["file"]))
    return StepReport(title, COLUMNS, tuple(rows), tuple(notes), ok=not problems)
