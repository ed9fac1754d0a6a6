"""Helpers for the real-browser tests: a JupyterLab server on loopback and Debian's Chromium under Playwright.

Nothing is downloaded: Playwright for Python drives the Chromium found at ``CDCOURSE_CHROMIUM`` or
``/usr/bin/chromium`` (Debian's package ``chromium``; ``.ci/run`` installs it), never a browser build of its own.

``JupyterLab`` starts ``jupyter lab`` from the test interpreter's environment on 127.0.0.1, on a free port, with
a random token, in a folder the test chose, with configuration of its own (no user settings, no news or update
checks, every cell rendered so the test can read all outputs). ``learner=True`` turns off the instructor-only
nbgrader panels the way ``binder/postBuild`` does, so the tests see what a Binder learner sees.

``save_artifacts`` writes a screenshot, the page's HTML and the server log under ``test-artifacts/`` when a
test fails; ``on_failure_save_artifacts`` is the decorator the tests use.
"""
from __future__ import annotations

import functools
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# As the machine's browser checks run it: no background traffic, no first-run dialogs, no GPU.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
START_TIMEOUT = 90  # seconds for JupyterLab to answer /api/status
# The nbgrader panels a learner does not need (binder/postBuild turns off the same ones).
INSTRUCTOR_PLUGINS = ("formgrader", "course-list", "create-assignment")
INSTRUCTOR_SERVER_EXTENSIONS = ("formgrader", "course_list")


def chromium_path() -> str | None:
    """The Chromium executable to drive, or None when there is none on this machine."""
    wanted = os.environ.get("CDCOURSE_CHROMIUM")
    if wanted:
        return wanted if os.access(wanted, os.X_OK) else None
    return next((p for p in CHROMIUM_CANDIDATES if os.access(p, os.X_OK)), None)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")


class JupyterLab:
    """A JupyterLab server for one test module; use as a context manager.

    Attributes: ``root`` (the folder it serves), ``url`` (``http://127.0.0.1:PORT``), ``token``, ``log``
    (path of the server's output).
    """

    def __init__(self, root: Path, workdir: Path, *, learner: bool = True) -> None:
        self.root = Path(root)
        self.workdir = Path(workdir)
        self.learner = learner
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = self.workdir / "jupyterlab.log"
        self._process: subprocess.Popen | None = None

    # -- configuration
    def _configure(self) -> dict[str, str]:
        config = self.workdir / "jupyter-config"
        settings = self.workdir / "lab-settings"
        # every cell stays in the page (JupyterLab 4 otherwise may leave cells far off screen unrendered), and
        # the notebook's own kernel starts without the "Select Kernel" dialog (which otherwise appears at times)
        _write_json(settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings",
                    {"windowingMode": "none", "autoStartDefaultKernel": True})
        # no news feed, no update check: nothing leaves the machine
        _write_json(settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
                    {"fetchNews": "false", "checkForUpdates": False})
        if self.learner:
            _write_json(config / "labconfig" / "page_config.json",
                        {"disabledExtensions": {f"@jupyter/nbgrader:{p}": True for p in INSTRUCTOR_PLUGINS}})
            _write_json(config / "jupyter_server_config.json",
                        {"ServerApp": {"jpserver_extensions": {
                            f"nbgrader.server_extensions.{e}": False for e in INSTRUCTOR_SERVER_EXTENSIONS}}})
        else:
            config.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON"))}
        venv_bin = str(Path(sys.executable).parent)
        env.update(
            PATH=venv_bin + os.pathsep + env.get("PATH", ""),
            JUPYTER_CONFIG_DIR=str(config),
            JUPYTERLAB_SETTINGS_DIR=str(settings),
            JUPYTERLAB_WORKSPACES_DIR=str(self.workdir / "lab-workspaces"),
            JUPYTER_RUNTIME_DIR=str(self.workdir / "runtime"),
            IPYTHONDIR=str(self.workdir / "ipython"),
            JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"),
        )
        env.pop("MPLBACKEND", None)  # the kernel shows plots inline, as for a learner
        return env

    def command(self) -> list[str]:
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
            "--ServerApp.open_browser=False", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
            "jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")  # containers and CI run as root; Jupyter refuses without it
        return cmd

    # -- life cycle
    def __enter__(self) -> JupyterLab:
        env = self._configure()
        self.workdir.mkdir(parents=True, exist_ok=True)
        handle = open(self.log, "wb")
        self._process = subprocess.Popen(self.command(), cwd=self.root, env=env, stdout=handle,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self._process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.api("status"), timeout=5) as answer:
                    if answer.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError(f"JupyterLab did not answer within {START_TIMEOUT} s:\n{self.log_tail()}")

    def __exit__(self, *exc) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()  # Jupyter shuts its kernels down on SIGTERM
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    # -- addresses
    def api(self, path: str) -> str:
        return f"{self.url}/api/{path}?token={self.token}"

    def lab(self, path: str) -> str:
        """The address that opens ``path`` (relative to ``root``) in JupyterLab, logged in by the token."""
        return f"{self.url}/lab/tree/{path}?token={self.token}&reset"

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def launch_chromium(playwright, user_data_dir: Path, executable: str):
    """A fresh persistent Chromium context (its own empty profile), headless, with the machine's flags."""
    return playwright.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=executable, headless=True, args=CHROMIUM_FLAGS,
        viewport={"width": 1400, "height": 1000}, chromium_sandbox=False,
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:120]


def save_artifacts(name: str, page=None, lab: JupyterLab | None = None) -> list[Path]:
    """Screenshot, HTML and server log of a failed test under ``test-artifacts/<name>.*``; returns the paths."""
    ARTIFACTS.mkdir(exist_ok=True)
    base = ARTIFACTS / _slug(name)
    saved = []
    if page is not None:
        try:
            page.screenshot(path=str(base.with_suffix(".png")), full_page=True, timeout=15000)
            saved.append(base.with_suffix(".png"))
        except Exception:  # noqa: BLE001 - a screenshot is a courtesy; the real failure is re-raised
            pass
        try:
            base.with_suffix(".html").write_text(page.content(), encoding="utf-8")
            saved.append(base.with_suffix(".html"))
        except Exception:  # noqa: BLE001
            pass
    if lab is not None and lab.log.exists():
        shutil.copyfile(lab.log, base.with_suffix(".server.log"))
        saved.append(base.with_suffix(".server.log"))
    return saved


def on_failure_save_artifacts(test):
    """Decorator: when the test fails, save what the browser showed (its page argument and its ``lab``)."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        try:
            return test(*args, **kwargs)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            page = next((v for v in kwargs.values() if hasattr(v, "screenshot")), None)
            saved = save_artifacts(test.__name__, page, kwargs.get("lab"))
            if saved and hasattr(exc, "add_note"):
                exc.add_note("saved: " + ", ".join(str(p.relative_to(REPO)) for p in saved))
            raise

    return wrapper
