"""The ``cdcourse`` command: one sub-command group per part of the kit.

Each group lives in its own module under ``cdcourse.commands`` and defines ``HELP`` (one line) and
``register(parser)``, which adds its sub-commands and sets ``func`` on each. Groups are imported
only when used, so ``cdcourse --help`` stays fast.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

from cdcourse.errors import CdcourseError

#: group name -> module defining HELP and register(parser); a module that is absent is skipped.
GROUPS = {
    "datasets": "cdcourse.commands.datasets",
    "sampling": "cdcourse.commands.sampling",
    "clean": "cdcourse.commands.cleaning",
    "privacy": "cdcourse.commands.privacy",
    "quality": "cdcourse.commands.quality",
    "grade": "cdcourse.commands.grade",
}


def _available_groups() -> dict[str, str]:
    return {name: mod for name, mod in GROUPS.items() if importlib.util.find_spec(mod) is not None}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser, with the one group named in ``argv`` fully registered."""
    parser = argparse.ArgumentParser(
        prog="cdcourse",
        description="Citizen Data Course Kit: datasets, sampling, cleaning, privacy, quality and grading.",
    )
    from cdcourse import __version__

    parser.add_argument("--version", action="version", version=f"cdcourse {__version__}")
    sub = parser.add_subparsers(dest="group", metavar="GROUP")
    wanted = next((a for a in (argv or []) if not a.startswith("-")), None)
    for name, modname in _available_groups().items():
        if name == wanted:
            module = importlib.import_module(modname)
            group_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
            module.register(group_parser)
        else:
            # Help text without importing the module (and its heavy dependencies).
            sub.add_parser(name, help=f"'cdcourse {name} --help' for its commands", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code (0 ok, 2 bad input)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0 if not argv else 2
    try:
        result = func(args)
    except CdcourseError as err:
        print(f"cdcourse: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`cdcourse datasets list | head -2`): not an error of ours. Point stdout
        # at devnull so Python's own flush at exit does not raise again.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
