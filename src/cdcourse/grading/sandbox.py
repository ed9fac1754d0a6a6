"""Confine a grading kernel with bubblewrap (``bwrap``, Debian package ``bubblewrap``).

The kernel runs in new user, mount, PID, network, IPC, UTS and cgroup namespaces with no capabilities:

- **files**: the new root holds only what a Python kernel needs, read-only: the system's ``/usr`` (and the
  ``/bin``, ``/lib`` links), a few files of ``/etc`` (the loader cache, time zone, users and groups), the
  interpreter (``sys.base_prefix``), the virtual environment (``sys.prefix``), the folder the ``cdcourse``
  package is imported from, and the course datasets. Writable: the learner's own notebook folder, the kernel's
  connection folder, and a private scratch folder mounted as ``/tmp`` that is deleted after grading. Nothing
  else of the machine exists inside: not the course root (source notebooks, gradebook, other learners'
  work), not the instructor's home, not the grader's own workspace. ``/dev/shm`` is a private 64 MB file
  system (memory the address-space limit does not count);
- **network**: only a loopback interface of its own; the host's network and its ``127.0.0.1`` services are
  unreachable. The kernel talks to the grader over Unix sockets in its connection folder;
- **processes**: it sees only its own processes, cannot signal the grader, and dies with it
  (``--die-with-parent``); ``--new-session`` keeps it away from the instructor's terminal;
- **environment**: cleared, then set to a short list (no tokens or passwords of the instructor's shell).

What it does not do: limit CPU time (the per-cell timeout does), memory (``RLIMIT_AS`` is set by the kernel
launcher, see :mod:`cdcourse.grading._launch`), the number of processes, or disk use of the learner's own folder
and ``/tmp`` beyond a per-file size limit; and it cannot stop learner code from reading what it is given on
purpose (the notebook, the course datasets, the installed packages) or from tampering with its own grade inside
its own kernel. It shares the host's Linux kernel: a kernel exploit is out of its reach.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

#: system paths bound read-only when present (links such as /bin -> usr/bin are recreated as links)
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
#: single files or folders of /etc a Python kernel reads
ETC_PATHS = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/nsswitch.conf",
             "/etc/passwd", "/etc/group", "/etc/hosts", "/etc/fonts", "/etc/mime.types")
SANDBOX_UID = 1000
SHM_BYTES = 64 * 2**20


def bwrap() -> str | None:
    return shutil.which("bwrap")


def readable_roots() -> list[Path]:
    """Folders a kernel must read: the interpreter, the environment, the cdcourse package, the datasets."""
    import cdcourse

    roots = [Path(sys.base_prefix), Path(sys.prefix), Path(cdcourse.__file__).resolve().parents[1]]
    try:
        from cdcourse.datasets import data_dir

        roots.append(Path(data_dir()))
    except Exception:  # noqa: BLE001 -- no datasets available: assignments that need them fail visibly
        pass
    return roots


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def bwrap_command(*, writable: list[Path], scratch: Path, hide: list[Path] = (), cwd: Path | None = None,
                  env: dict[str, str] | None = None, readable: list[Path] | None = None) -> list[str]:
    """The ``bwrap ...`` prefix that runs a command confined as described in this module's docstring.

    ``writable`` folders are bound read-write at their own paths (the learner's folder, the connection
    folder); ``scratch`` becomes ``/tmp``; folders in ``hide`` are masked with an empty file system when
    they would otherwise be visible under a readable root.
    """
    exe = bwrap()
    if exe is None:
        raise FileNotFoundError("bwrap")
    args = [exe, "--unshare-all", "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
            "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--hostname", "grader"]
    for path in SYSTEM_PATHS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ETC_PATHS:
        args += ["--ro-bind-try", path, path]
    # /tmp (and /proc, /dev) before the readable roots: a kit or course kept under /tmp (a CI clone, a
    # workshop laptop) is then bound on top of the private scratch /tmp instead of being hidden by it.
    # /dev/shm is memory the kernel's address-space limit does not count: keep it small.
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm",
             "--bind", str(scratch), "/tmp"]
    roots = readable_roots() if readable is None else list(readable)
    bound: list[Path] = []
    for root in roots:
        for variant in dict.fromkeys([Path(os.path.realpath(root)), Path(os.path.abspath(root))]):
            if variant.exists() and not any(_inside(variant, b) for b in bound):
                args += ["--ro-bind", str(Path(os.path.realpath(variant))), str(variant)]
                bound.append(variant)
    for folder in hide:
        folder = Path(os.path.realpath(folder))
        if any(_inside(folder, b) for b in bound):
            args += ["--tmpfs", str(folder)]
    for folder in writable:
        folder = Path(os.path.realpath(folder))
        args += ["--bind", str(folder), str(folder)]
    if cwd is not None:
        args += ["--chdir", str(os.path.realpath(cwd))]
    args.append("--clearenv")
    for key, value in (env or {}).items():
        args += ["--setenv", key, value]
    return args


def kernel_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a sandboxed kernel."""
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/.matplotlib",
        "IPYTHONDIR": "/tmp/.ipython",
        "PYTHONNOUSERSITE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
    }
    try:
        from cdcourse.datasets import data_dir

        env["CDCOURSE_DATA"] = str(data_dir())
    except Exception:  # noqa: BLE001
        pass
    env.update(extra or {})
    return env


@functools.lru_cache(maxsize=1)
def sandbox_problem() -> str | None:
    """``None`` when kernels can be confined on this machine, else the reason they cannot.

    The check starts this interpreter inside the sandbox exactly as a grading kernel would start.
    """
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux (bubblewrap); this is {sys.platform}"
    if bwrap() is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap); 'bwrap' is not on PATH"
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cdcourse-sandbox-check-") as tmp:
        scratch = Path(tmp) / "tmp"
        scratch.mkdir()
        cmd = bwrap_command(writable=[Path(tmp)], scratch=scratch, env=kernel_environment()) + [
            sys.executable, "-c", "import socket, cdcourse; print('ok')"]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap could not start a confined Python: {exc}"
    if done.returncode != 0 or "ok" not in done.stdout:
        detail = (done.stderr or done.stdout).strip().splitlines()
        return ("bubblewrap is installed but cannot create the namespaces it needs (user namespaces may be "
                f"disabled, e.g. kernel.unprivileged_userns_clone=0 or a container without them): "
                f"{detail[-1] if detail else 'exit code ' + str(done.returncode)}")
    return None
