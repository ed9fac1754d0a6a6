"""Where things are and the process environment nbgrader needs.

nbgrader shells out to ``alembic`` when it creates a gradebook, so the interpreter's ``bin`` folder must be on
``PATH``; user-level Jupyter and IPython configuration (a ``~/.jupyter/nbgrader_config.py``, IPython startup
scripts) must not change how a cohort is graded. :func:`nbgrader_environment` sets both for the duration of a
step and restores the caller's environment afterwards.
"""
from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cdcourse.errors import CdcourseError

#: the repository checkout this package was installed from (editable install), if any
REPO = Path(__file__).resolve().parents[3]
#: the folder inside a course root where the kit keeps its own records (ledger, logs)
STATE_DIR = ".cdcourse"
#: the course root's own nbgrader configuration, and the kit's settings it loads
CONFIG_NAME = "nbgrader_config.py"
KIT_CONFIG_NAME = "kit_nbgrader_config.py"
COURSE_ID = "cdcourse"


def kit_course_root() -> Path:
    """The kit's nbgrader course root (``exercises/`` of the checkout).

    Raises a :class:`CdcourseError` when the package is not installed from a checkout, because the graded
    assignments are not part of the installed package.
    """
    root = REPO / "exercises"
    if not (root / CONFIG_NAME).is_file():
        raise CdcourseError(
            f"the kit's exercises/ folder was not found next to the package (looked in {root}); pass the course "
            "root to copy from with --from DIR"
        )
    return root


def venv_bin() -> str:
    return str(Path(sys.executable).parent)


def jupyter_environment(workdir: Path) -> dict[str, str]:
    """Variables for nbgrader and its kernels: this interpreter first, no user Jupyter/IPython config.

    ``workdir`` receives the empty configuration folders (it must outlive the processes that use them).
    """
    workdir = Path(workdir)
    (workdir / "jupyter-config").mkdir(parents=True, exist_ok=True)
    (workdir / "ipython").mkdir(parents=True, exist_ok=True)
    path = os.environ.get("PATH", "")
    extra = os.environ.get("JUPYTER_PATH")
    return {
        "PATH": venv_bin() + (os.pathsep + path if path else ""),
        "JUPYTER_CONFIG_DIR": str(workdir / "jupyter-config"),  # ignores ~/.jupyter/nbgrader_config.py
        "IPYTHONDIR": str(workdir / "ipython"),  # ignores the user's IPython startup scripts
        # the interpreter's own python3 kernelspec wins over one in the user's data folder
        "JUPYTER_PATH": os.pathsep.join([str(Path(sys.prefix) / "share" / "jupyter")] + ([extra] if extra else [])),
        "MPLBACKEND": "Agg",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # debugpy's startup warning would otherwise reach kernel stderr
        # one thread per numerical library: --jobs N kernels share the cores instead of fighting over them
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",  # fewer malloc arenas: less address space reserved under the memory limit
    }


@contextmanager
def nbgrader_environment() -> Iterator[dict[str, str]]:
    """Set :func:`jupyter_environment` in ``os.environ`` for the block; restore the caller's afterwards."""
    with tempfile.TemporaryDirectory(prefix="cdcourse-jupyter-") as tmp:
        env = jupyter_environment(Path(tmp))
        saved = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            yield env
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def load_config(course_root: Path):
    """The traitlets ``Config`` of a course root's ``nbgrader_config.py`` (and what it loads)."""
    from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

    course_root = Path(course_root)
    try:
        return PyFileConfigLoader(CONFIG_NAME, path=str(course_root)).load_config()
    except ConfigFileNotFound:
        raise CdcourseError(
            f"{course_root} has no {CONFIG_NAME}; it is not an nbgrader course root (make one with "
            "'cdcourse grade init DIR --roster roster.csv')"
        ) from None
    except Exception as exc:  # a syntax error or a failing import in the instructor's config file
        raise CdcourseError(f"{course_root / CONFIG_NAME} could not be loaded: {type(exc).__name__}: {exc}") from exc


def sqlite_url(path: Path) -> str:
    return "sqlite:///" + str(Path(path).resolve())
