"""With a JupyterHub exchange: release puts the assignment there, learners fetch and submit with nbgrader's own
exchange, ``collect NAME`` brings the submissions in, and feedback goes back through the exchange.

Learners are simulated with nbgrader's exchange classes in this process (as ``nbgrader fetch_assignment`` and
``nbgrader submit --student ID`` would run in their JupyterHub servers).
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from fixtures.submissions import broken

REPO = Path(__file__).resolve().parents[1]
NAME = "fixture_weights"
pytestmark = [pytest.mark.slow, pytest.mark.nbgrader]


def _learner(exchange: Path, home: Path, student: str, answer) -> None:
    """Fetch the assignment into ``home``, let ``answer`` edit it, submit it as ``student``."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeFetchAssignment, ExchangeSubmit
    from traitlets.config import Config

    config = Config()
    config.Exchange.root = str(exchange)
    config.Exchange.assignment_dir = str(home)
    config.CourseDirectory.course_id = "cdcourse"
    config.CourseDirectory.root = str(home)
    coursedir = CourseDirectory(config=config)
    coursedir.assignment_id = NAME
    ExchangeFetchAssignment(coursedir=coursedir, authenticator=Authenticator(config=config), config=config).start()
    path = home / NAME / f"{NAME}.ipynb"
    nbformat.write(answer(nbformat.read(path, as_version=4)), path)
    coursedir.student_id = student
    ExchangeSubmit(coursedir=coursedir, authenticator=Authenticator(config=config), config=config).start()


def test_an_exchange_cycle_releases_collects_grades_and_returns_feedback(tmp_path):
    from cdcourse.grading import autograde, collect_exchange, feedback, init_cohort, release

    exchange = tmp_path / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # nbgrader requires a world-writable exchange root
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,email\ns01,Ama,Owusu,\ns02,Kofi,Mensah,\ns03,Esi,Boateng,\n")
    root = tmp_path / "cohort"
    init_cohort(root, roster, source=REPO / "tests" / "fixtures" / "course", exchange=exchange)
    released = release(root, NAME)
    assert any("released to the exchange" in n for n in released.notes)
    assert (exchange / "cdcourse" / "outbound" / NAME / f"{NAME}.ipynb").is_file()

    source = nbformat.read(root / "source" / NAME / f"{NAME}.ipynb", as_version=4)
    _learner(exchange, tmp_path / "s01", "s01", lambda nb: broken.answered(source, nb))
    _learner(exchange, tmp_path / "s02", "s02", lambda nb: nb)

    collected = collect_exchange(root, NAME)
    status = collected.column("status")
    assert (status["s01"], status["s02"], status["s03"]) == ("collected", "collected", "missing")
    assert (root / "submitted" / "s01" / NAME / "timestamp.txt").is_file()

    graded = autograde(root, NAME, jobs=2, timeout=10)
    assert graded.column("score") == {"s01": "5 / 7", "s02": "0 / 7"}

    returned = feedback(root, NAME)
    assert returned.ok and set(returned.column("status").values()) == {"written"}
    assert all("released to the exchange" in " ".join(n) for n in returned.column("notes").values())
    assert len(list((exchange / "cdcourse" / "feedback").glob("*.html"))) == 2


def test_collect_without_an_exchange_says_how_to_collect(tmp_path):
    from cdcourse.errors import CdcourseError
    from cdcourse.grading import collect_exchange

    root = tmp_path / "cohort"
    (root / "source" / NAME).mkdir(parents=True)
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    nbformat.write(nbformat.v4.new_notebook(), root / "source" / NAME / f"{NAME}.ipynb")
    with pytest.raises(CdcourseError, match="--zip FILE"):
        collect_exchange(root, NAME)
