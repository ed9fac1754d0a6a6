"""``cdcourse datasets``: list the synthetic datasets, or generate a world into a folder."""
from __future__ import annotations

import argparse
import time

HELP = "list the synthetic Lumeria datasets or generate them (seeded, any scale)"


def _folder() -> tuple[object, str]:
    """The folder load() would read, without generating anything; or None and why there is none."""
    import os

    from cdcourse.datasets import DATASETS, _cache_dir, _repo_datasets, data_dir
    from cdcourse.errors import CdcourseError

    if os.environ.get("CDCOURSE_DATA"):
        try:
            return data_dir(), ""
        except CdcourseError as err:
            return None, str(err)
    for candidate in (_repo_datasets(), _cache_dir()):
        if all((candidate / f"{n}.csv").is_file() for n in DATASETS):
            return candidate, ""
    return None, ("no data files yet: the first load() generates them into the user cache, or run "
                  "'cdcourse datasets generate --out DIR' and set CDCOURSE_DATA=DIR")


def _list(args: argparse.Namespace) -> int:
    import sys

    from cdcourse.datasets import DATASETS

    folder = None
    if not args.names_only:
        # Listing never generates data; it says why row counts are missing instead.
        folder, why = _folder()
        if folder is None:
            print(f"no row counts: {why}", file=sys.stderr)
    for name, ds in DATASETS.items():
        if args.names_only:
            print(name)
            continue
        rows = ""
        if folder is not None and (folder / f"{name}.csv").is_file():
            with open(folder / f"{name}.csv", "rb") as fh:
                rows = f"{sum(1 for _ in fh) - 1:>8,} rows  "
        print(f"{name:<22}{rows}{ds.title}")
    if folder is not None and not args.names_only:
        print(f"\nfolder: {folder}")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from cdcourse.datasets import generate

    t0 = time.perf_counter()
    paths = generate(args.out, seed=args.seed, scale=args.scale, progress=None if not args.quiet else False)
    took = time.perf_counter() - t0
    if not args.quiet:
        for name, path in paths.items():
            print(f"{name:<22}{path.stat().st_size / 1e6:8.2f} MB  {path}")
        print(f"generated seed={args.seed} scale={args.scale:g} in {took:.1f} s into {args.out}")
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    p = sub.add_parser("list", help="the dataset names, row counts and titles")
    p.add_argument("--names-only", action="store_true", help="print only the names, one per line")
    p.set_defaults(func=_list)
    g = sub.add_parser("generate", help="generate every dataset, the data package and the codebook into a folder")
    g.add_argument("--out", required=True, help="folder to write to (created if missing)")
    g.add_argument("--seed", type=int, default=2024, help="random seed (default 2024, the committed world)")
    g.add_argument("--scale", type=float, default=1.0,
                   help="world size: 1 is about 50,000 persons, 20 about 1 million (default 1)")
    g.add_argument("--quiet", action="store_true", help="print nothing and show no progress bar")
    g.set_defaults(func=_generate)
