"""A workshop on JupyterHub, for real: one instructor, two learners, nbgrader's exchange in between.

A local JupyterHub (from the venv) listens on 127.0.0.1 behind ``configurable-http-proxy`` (the Python
implementation from PyPI, in the venv; the Node.js one from npm works the same when it is on PATH), with
``DummyAuthenticator`` and ``SimpleLocalProcessSpawner``: each user gets a real ``jupyterhub-singleuser`` server
(JupyterLab with the nbgrader server extensions) in a home folder of their own. The test is the hub's admin
service; it starts the learners' servers and asks the hub for a token per learner, then acts through the proxy
exactly as the Assignments tab does in the browser.

The cycle (with the harness fixture assignment ``fixture_weights``, small and quick to grade):

1. the instructor creates the cohort's course root with the roster and the exchange folder, and releases the
   assignment into the exchange;
2. each learner lists the course's assignments and fetches the release through their own server
   (``/user/<name>/assignments/fetch``);
3. learner ``amina`` saves the model answers through the Contents API, as JupyterLab saves a notebook; learner
   ``bongani`` leaves the release unanswered; both submit through their servers;
4. the instructor collects and autogrades, and the gradebook gives amina every autograded point and bongani none;
5. the instructor generates and releases feedback; amina fetches it through her server, and it holds no
   hidden test.

The instructor's steps are the kit's commands, as the instructor guide gives them (``cdcourse grade init``,
``release``, ``collect``, ``autograde``, ``feedback``), run in a shell as on the hub's terminal. Where the kit has no
``cdcourse grade`` (an older checkout), the same steps run as nbgrader's own commands.

One stand-in, because every single-user server here runs as the same Unix account (the test does not create
system accounts, and on a machine where the interpreter lives in a private home folder no other account could
run it): nbgrader names a submission after the Unix account, so each learner's server is given
``CourseDirectory.student_id`` = its hub user name (``JUPYTERHUB_USER``), and ``collect`` does not compare the
submission's owner with that name. On The Littlest JupyterHub each learner is a Unix account of their own, and
on Zero to JupyterHub the account is ``jovyan`` and nbgrader reads ``JUPYTERHUB_USER`` itself
(``docs/jupyterhub.md``).

Marked ``slow``; skipped, with the reason, when jupyterhub or a proxy is not installed.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from harness.nbgrader_roundtrip import (
    COURSE_ID,
    autograded_test_points,
    html_text,
    leaked,
    secret_lines,
)

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("hub")]

REPO = Path(__file__).resolve().parents[1]
FIXTURE_ROOT = REPO / "tests" / "fixtures" / "course"
ASSIGNMENT = "fixture_weights"
INSTRUCTOR = "instructor"
ANSWERING, BLANK = "amina", "bongani"
LEARNERS = (ANSWERING, BLANK)
START_TIMEOUT = 90  # seconds for the hub, or one single-user server, to come up
COMMAND_TIMEOUT = 600  # seconds for one instructor command (autograde runs the notebooks)
VENV_BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proxy_command() -> str | None:
    """configurable-http-proxy: the venv's (Python, from PyPI) first, else one on PATH (Node.js, from npm)."""
    local = VENV_BIN / "configurable-http-proxy"
    return str(local) if local.exists() else shutil.which("configurable-http-proxy")


HUB_CONFIG = """\
# JupyterHub for the workshop-cycle test: loopback only, throwaway state in {state!r}.
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.pid_file = {state!r} + "/proxy.pid"
c.JupyterHub.db_url = "sqlite:///" + {state!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {state!r} + "/cookie_secret"
c.JupyterHub.pid_file = {state!r} + "/jupyterhub.pid"

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allowed_users = {users!r}
c.Authenticator.admin_users = {{{instructor!r}}}

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {homes!r} + "/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--allow-root"] if {as_root!r} else []
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = {start_timeout}
c.Spawner.http_timeout = {start_timeout}
c.Spawner.environment = {{
    # the site-wide configuration a workshop server keeps in /etc/jupyter: the course and the exchange
    "JUPYTER_CONFIG_PATH": {site_config!r},
    "MPLBACKEND": "Agg",
}}

c.JupyterHub.services = [{{"name": "workshop-test", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "workshop-test",
    "scopes": ["admin:users", "admin:servers", "tokens", "list:users", "read:users"],
    "services": ["workshop-test"],
}}]
"""

SITE_NBGRADER_CONFIG = """\
# Site-wide nbgrader configuration of the workshop hub (on a real server: /etc/jupyter/nbgrader_config.py).
import os

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.Exchange.root = {exchange!r}
# Stand-in for separate Unix accounts (see tests/test_hub.py): name a learner's submission after their hub user.
if os.environ.get("JUPYTERHUB_USER") and os.environ["JUPYTERHUB_USER"] != {instructor!r}:
    c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]
"""


@dataclass
class Hub:
    url: str
    token: str
    base: Path
    log: Path
    process: subprocess.Popen
    user_tokens: dict[str, str] = field(default_factory=dict)

    @property
    def exchange(self) -> Path:
        return self.base / "exchange"

    def home(self, user: str) -> Path:
        return self.base / "homes" / user

    def request(self, method: str, path: str, *, token: str | None = None, body=None, query=None):
        """JSON answer of ``method path`` through the proxy (``path`` starts with /hub/api or /user/<name>)."""
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = json.dumps(body).encode() if body is not None else (b"" if method in ("POST", "PUT") else None)
        req = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"token {token or self.token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=COMMAND_TIMEOUT) as answer:
                text = answer.read().decode()
        except urllib.error.HTTPError as exc:
            raise AssertionError(
                f"{method} {path} answered {exc.code}: {exc.read().decode(errors='replace')[:2000]}\n"
                f"hub log:\n{self.log_tail()}") from None
        return json.loads(text) if text.strip() else None

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:] if self.log.exists() else ""

    def start_server(self, user: str) -> None:
        self.request("POST", f"/hub/api/users/{user}/server")
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            info = self.request("GET", f"/hub/api/users/{user}")
            server = (info.get("servers") or {}).get("")
            if server and server.get("ready"):
                self.user_tokens[user] = self.request(
                    "POST", f"/hub/api/users/{user}/tokens", body={"note": "workshop test"})["token"]
                return
            time.sleep(0.5)
        raise AssertionError(f"the server of {user} did not start within {START_TIMEOUT} s:\n{self.log_tail()}")

    def as_learner(self, user: str, method: str, path: str, **kwargs):
        """What the learner's JupyterLab asks of their own server (``path`` after ``/user/<name>``)."""
        return self.request(method, f"/user/{user}{path}", token=self.user_tokens[user], **kwargs)


@pytest.fixture(scope="module")
def hub():
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        pytest.skip("jupyterhub is not installed in the venv (it is part of the test extra: `make test`)")
    proxy = _proxy_command()
    if proxy is None:
        pytest.skip("no configurable-http-proxy: the Python one comes with the test extra, "
                    "or `npm install -g configurable-http-proxy`")
    import tempfile

    # Not under pytest's tmp folder: JupyterHub and the single-user servers only need ordinary folders, and a
    # short path keeps the log readable.
    base = Path(tempfile.mkdtemp(prefix="cdcourse-hub-"))
    (base / "state").mkdir()
    (base / "homes").mkdir()
    (base / "site-config").mkdir()
    exchange = base / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)  # every learner writes into the exchange's inbound folder
    (base / "site-config" / "nbgrader_config.py").write_text(SITE_NBGRADER_CONFIG.format(
        course_id=COURSE_ID, exchange=str(exchange), instructor=INSTRUCTOR), encoding="utf-8")
    token = secrets.token_hex(24)
    port = _free_port()
    config = base / "state" / "jupyterhub_config.py"
    config.write_text(HUB_CONFIG.format(
        state=str(base / "state"), port=port, hub_port=_free_port(), proxy_api_port=_free_port(), proxy=proxy,
        password=secrets.token_hex(8), users={INSTRUCTOR, *LEARNERS}, instructor=INSTRUCTOR,
        homes=str(base / "homes"), singleuser=str(VENV_BIN / "jupyterhub-singleuser"),
        as_root=hasattr(os, "geteuid") and os.geteuid() == 0, start_timeout=START_TIMEOUT,
        site_config=str(base / "site-config"), token=token,
    ), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    log = base / "jupyterhub.log"
    with open(log, "wb") as handle:
        process = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=base / "state",
                                   env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    server = Hub(f"http://127.0.0.1:{port}", token, base, log, process)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterHub exited with code {process.returncode}:\n{server.log_tail()}")
            try:
                server.request("GET", "/hub/api/")
                break
            except (AssertionError, urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterHub did not answer within {START_TIMEOUT} s:\n{server.log_tail()}")
                time.sleep(0.5)
        yield server
    finally:
        for user in (INSTRUCTOR, *LEARNERS):
            try:
                server.request("DELETE", f"/hub/api/users/{user}/server")
            except Exception:  # noqa: BLE001 - best effort: the hub stops what is left when it exits
                pass
        process.terminate()  # the hub stops the proxy and the single-user servers it started
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


def _instructor(hub: Hub, *args: str, cwd: Path | None = None) -> str:
    """Run a command in the instructor's course root, as the instructor would in a terminal on the hub."""
    root = cwd or hub.home(INSTRUCTOR) / "course"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
    env.update(PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}", HOME=str(hub.home(INSTRUCTOR)),
               JUPYTER_CONFIG_PATH=str(hub.base / "site-config"), IPYTHONDIR=str(hub.home(INSTRUCTOR) / ".ipython"),
               MPLBACKEND="Agg")
    done = subprocess.run(list(args), cwd=root, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    log = (done.stdout + done.stderr).strip()
    shown = " ".join(Path(a).name if i == 0 else a for i, a in enumerate(args[2:] if args[1] == "-m" else args))
    assert done.returncode == 0, f"the instructor's `{shown}` failed (exit code {done.returncode}):\n{log}"
    return log


def _nbgrader(hub: Hub, *args: str) -> str:
    return _instructor(hub, sys.executable, "-m", "nbgrader", *args)


def _kit_grade_command() -> bool:
    """Whether this checkout has ``cdcourse grade`` (the instructor workflow on top of nbgrader)."""
    import importlib.util

    return importlib.util.find_spec("cdcourse.commands.grade") is not None


class Instructor:
    """The instructor's steps, with ``cdcourse grade`` when the kit has it, else with nbgrader's commands."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.kit = _kit_grade_command()
        self.course = hub.home(INSTRUCTOR) / "course"

    def grade(self, *args: str) -> str:
        return _instructor(self.hub, str(VENV_BIN / "cdcourse"), "grade", *args, "--course", str(self.course))

    def set_up(self) -> None:
        if self.kit:
            roster = self.hub.home(INSTRUCTOR) / "roster.csv"
            roster.parent.mkdir(parents=True, exist_ok=True)
            roster.write_text("id,first_name,last_name,email\namina,Amina,Diallo,\nbongani,Bongani,Dlamini,\n",
                              encoding="utf-8")
            _instructor(self.hub, str(VENV_BIN / "cdcourse"), "grade", "init", str(self.course), "--roster",
                        str(roster), "--from", str(FIXTURE_ROOT), "--exchange", str(self.hub.exchange), cwd=roster.parent)
        else:
            self.course.mkdir(parents=True)
            shutil.copytree(FIXTURE_ROOT / "source", self.course / "source")
            shutil.copyfile(REPO / "exercises" / "nbgrader_config.py", self.course / "nbgrader_config.py")
        # every submission here belongs to the same Unix account (see the module docstring)
        with open(self.course / "nbgrader_config.py", "a", encoding="utf-8") as config:
            config.write("\nc.CollectApp.check_owner = False\n")

    def release(self) -> None:
        if self.kit:
            self.grade("release", ASSIGNMENT)
        else:
            _nbgrader(self.hub, "generate_assignment", ASSIGNMENT, "--force")
            _nbgrader(self.hub, "release_assignment", ASSIGNMENT, "--force")

    def collect_and_autograde(self) -> None:
        if self.kit:
            self.grade("collect", ASSIGNMENT)
            self.grade("autograde", ASSIGNMENT)
        else:
            _nbgrader(self.hub, "collect", ASSIGNMENT)
            _nbgrader(self.hub, "autograde", ASSIGNMENT, "--force")

    def return_feedback(self) -> None:
        if self.kit:
            self.grade("feedback", ASSIGNMENT)
        else:
            _nbgrader(self.hub, "generate_feedback", ASSIGNMENT, "--force")
            _nbgrader(self.hub, "release_feedback", ASSIGNMENT)


def test_workshop_cycle_release_fetch_submit_collect_autograde_feedback(hub):
    # 1. the instructor prepares the cohort's course root in their home and releases the assignment
    instructor = Instructor(hub)
    course = instructor.course
    hub.start_server(INSTRUCTOR)
    instructor.set_up()
    instructor.release()
    assert (hub.exchange / COURSE_ID / "outbound" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists(), (
        "release_assignment put nothing into the exchange")

    # 2. each learner sees the release in their Assignments list and fetches it through their own server
    for learner in LEARNERS:
        hub.start_server(learner)
        listed = hub.as_learner(learner, "GET", "/assignments", query={"course_id": COURSE_ID})
        released = [a for a in listed["value"] if a["assignment_id"] == ASSIGNMENT]
        assert released and released[0]["status"] == "released", f"{learner} does not see the release: {listed}"
        hub.as_learner(learner, "POST", "/assignments/fetch",
                       query={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
        fetched = hub.home(learner) / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert fetched.exists(), f"fetch put nothing in {learner}'s home; it holds {sorted(hub.home(learner).iterdir())}"

    # 3. amina answers (saving through the Contents API, as JupyterLab does); bongani does not; both submit
    source = nbformat.read(FIXTURE_ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    hub.as_learner(ANSWERING, "PUT", f"/api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
                   body={"type": "notebook", "format": "json", "content": source})
    for learner in LEARNERS:
        answer = hub.as_learner(learner, "POST", "/assignments/submit",
                                query={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
        assert answer.get("success", True) is not False, f"{learner}'s submission failed: {answer}"
    inbound = sorted(p.name.split("+")[0] for p in (hub.exchange / COURSE_ID / "inbound").iterdir())
    assert inbound == sorted(LEARNERS), f"the exchange's inbound folder holds submissions of {inbound}"

    # 4. the instructor collects and autogrades
    instructor.collect_and_autograde()
    for learner in LEARNERS:
        assert (course / "submitted" / learner / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists(), (
            f"collect did not bring in {learner}'s submission")
    wanted = autograded_test_points(source)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id=COURSE_ID) as gradebook:
        scores = {
            learner: {g.name: g.auto_score for g in
                      gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, learner).grades if g.name in wanted}
            for learner in LEARNERS
        }
    assert scores[ANSWERING] == wanted, f"{ANSWERING}'s answers scored {scores[ANSWERING]}; expected {wanted}"
    assert not any(scores[BLANK].values()), f"the unanswered submission of {BLANK} earned points: {scores[BLANK]}"

    # 5. feedback goes back through the exchange, without the hidden tests
    instructor.return_feedback()
    hub.as_learner(ANSWERING, "POST", "/assignments/fetch_feedback",
                   query={"course_id": COURSE_ID, "assignment_id": ASSIGNMENT})
    pages = sorted((hub.home(ANSWERING) / ASSIGNMENT / "feedback").rglob("*.html"))
    assert pages, f"{ANSWERING} fetched no feedback"
    shown = leaked(secret_lines(source).hidden, html_text(pages[-1].read_text(encoding="utf-8")))
    assert not shown, f"the feedback {ANSWERING} fetched shows hidden tests: {shown}"
