"""The kernel manager of grading kernels: limits always, a bubblewrap sandbox on request.

nbgrader's ``Execute`` starts kernels with jupyter_client; :class:`ConfinedKernelManager` changes only how
the kernel process is started:

- always through :mod:`cdcourse.grading._launch` (memory and file-size limits, killed with its grader);
- with ``sandbox=True``, inside ``bwrap`` (see :mod:`cdcourse.grading.sandbox`). The kernel then has no
  network, so it talks to the grader over Unix sockets (``transport="ipc"``) in a folder both can reach, and
  it is interrupted by a message rather than a signal (a signal would stop ``bwrap``, not the kernel).
"""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode


class ConfinedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernels start with limits, optionally sandboxed."""

    memory_mb = Integer(0, help="address-space limit of the kernel in MB (0: none)").tag(config=True)
    file_mb = Integer(1024, help="largest file the kernel may write, in MB (0: none)").tag(config=True)
    sandbox = Bool(False, help="run the kernel inside a bubblewrap sandbox").tag(config=True)
    writable = List(Unicode(), help="folders the sandboxed kernel may write (besides its connection folder)"
                    ).tag(config=True)
    scratch = Unicode("", help="folder mounted as /tmp in the sandbox").tag(config=True)
    hide = List(Unicode(), help="folders never visible in the sandbox (the course root)").tag(config=True)
    pid_file = Unicode("", help="file to which each kernel's process id is appended").tag(config=True)

    def _runtime(self) -> Path:
        from jupyter_core.paths import jupyter_runtime_dir

        runtime = Path(jupyter_runtime_dir())
        runtime.mkdir(parents=True, exist_ok=True)
        return runtime

    async def _async_pre_start_kernel(self, **kw):
        runtime = self._runtime()
        name = uuid.uuid4().hex[:8]
        # in the runtime folder (the grader's workspace), so the batch can tell its kernels by their command line
        self.connection_file = str(runtime / f"kernel-{name}.json")
        if self.sandbox:
            self.transport = "ipc"
            # short: a Unix socket path must stay under ~100 characters
            self.ip = str(runtime / f"k{name}")
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        if self.sandbox:
            self.kernel_spec.interrupt_mode = "message"
        return kernel_cmd, kw

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        if self.sandbox:
            from cdcourse.grading.sandbox import bwrap_command, kernel_environment

            runtime = self._runtime()
            scratch = Path(self.scratch) if self.scratch else runtime / "scratch"
            scratch.mkdir(parents=True, exist_ok=True)
            cwd = self._launch_args.get("cwd") if isinstance(self._launch_args, dict) else None
            cmd = bwrap_command(
                writable=[Path(p) for p in self.writable] + [runtime],
                scratch=scratch, hide=[Path(p) for p in self.hide], cwd=Path(cwd) if cwd else None,
                env=kernel_environment(),
            ) + ["--"] + cmd
        return [sys.executable, "-m", "cdcourse.grading._launch", "--memory-mb", str(self.memory_mb),
                "--file-mb", str(self.file_mb), "--parent", str(os.getpid()), "--"] + cmd

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await super()._async_launch_kernel(kernel_cmd, **kw)
        if self.pid_file and self.provisioner is not None and getattr(self.provisioner, "pid", None):
            with open(self.pid_file, "a", encoding="utf-8") as handle:
                handle.write(f"{self.provisioner.pid}\n")
