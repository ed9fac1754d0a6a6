"""Start a grading kernel with resource limits: ``python -m cdcourse.grading._launch [options] -- COMMAND ...``.

Sets the limits, asks Linux to kill the kernel when the grading process that started it dies (so a stopped
batch never leaves learners' code running), then replaces itself with COMMAND (the kernel, or ``bwrap``
wrapping the kernel). Kept free of heavy imports: it runs once per kernel start.

Limits (0 = none):

- ``--memory-mb``: address space (``RLIMIT_AS``). A learner's allocation beyond it raises ``MemoryError`` in
  the cell instead of pushing the machine into swap or the out-of-memory killer;
- ``--file-mb``: size of any one file the kernel writes (``RLIMIT_FSIZE``).
"""
from __future__ import annotations

import os
import signal
import sys


def _limit(which: int, megabytes: int) -> None:
    import resource

    if megabytes > 0:
        value = megabytes * 1024 * 1024
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value if hard == resource.RLIM_INFINITY else hard))


def _die_with_parent(parent: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if parent and os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def main(argv: list[str]) -> None:
    if "--" not in argv:
        sys.exit("usage: python -m cdcourse.grading._launch [--memory-mb N] [--file-mb N] [--parent PID] -- COMMAND")
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1:]
    values = {"--memory-mb": 0, "--file-mb": 0, "--parent": 0}
    for name, value in zip(options[::2], options[1::2]):
        values[name] = int(value)
    if os.name == "posix":
        import resource

        _limit(resource.RLIMIT_AS, values["--memory-mb"])
        _limit(resource.RLIMIT_FSIZE, values["--file-mb"])
        if values["--file-mb"] > 0:  # a write beyond the limit fails with EFBIG instead of killing the kernel
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        _die_with_parent(values["--parent"])
    os.execvp(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
