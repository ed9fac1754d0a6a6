"""``cdcourse sampling``: plan a sample size, draw a sample, and estimate with standard errors from a CSV.

Examples::

    cdcourse sampling size --p 0.25 --margin 0.12 --relative --deff 1.5 --response-rate 0.9
    cdcourse sampling size --sd 20 --margin 2 --cluster-size 15 --icc 0.05
    cdcourse sampling estimate survey.csv --y water_minutes --weight weight --strata stratum --psu psu --by district
    cdcourse sampling estimate survey.csv --y improved_water --stat proportion --weight weight --psu psu
    cdcourse sampling draw frame.csv --design stratified --strata district --n 600 --seed 1 --out sample.csv
"""
from __future__ import annotations

import argparse
import sys

import pandas as pd

from cdcourse.errors import CdcourseError

HELP = "plan sample sizes, draw samples, and estimate means, totals and proportions with survey standard errors"


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``size``, ``estimate`` and ``draw`` commands."""
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.set_defaults(func=lambda args: _no_command(parser))

    size = sub.add_parser("size", help="number of units to select for a proportion (--p) or a mean (--sd)",
                          description="Number of units to select so the estimate is within --margin at the "
                                      "given confidence, after design effect, finite population and non-response.")
    what = size.add_mutually_exclusive_group(required=True)
    what.add_argument("--p", type=float, help="expected proportion, between 0 and 1 (0.5 if unknown)")
    what.add_argument("--sd", type=float, help="expected standard deviation, for a mean")
    size.add_argument("--margin", type=float, required=True, help="half-width of the interval you accept")
    size.add_argument("--relative", action="store_true", help="--margin is a fraction of --p (e.g. 0.12)")
    size.add_argument("--confidence", type=float, default=0.95)
    size.add_argument("--deff", type=float, default=None, help="design effect (default 1, or from --icc)")
    size.add_argument("--cluster-size", type=float, default=None, help="interviews per cluster, with --icc")
    size.add_argument("--icc", type=float, default=None, help="intra-cluster correlation, with --cluster-size")
    size.add_argument("--response-rate", type=float, default=1.0, help="expected response rate, e.g. 0.9")
    size.add_argument("--population", type=float, default=None, help="population size, for the correction")
    size.set_defaults(func=_size)

    est = sub.add_parser("estimate", help="weighted mean, total or proportion with SE, CI, CV and deff",
                         description="Design-based estimate from a survey CSV (Taylor linearisation, "
                                     "with-replacement PSUs; t interval with PSUs minus strata df).")
    est.add_argument("data", help="CSV file, one row per record")
    est.add_argument("--y", required=True, help="column to estimate")
    est.add_argument("--weight", required=True, help="weight column")
    est.add_argument("--strata", default=None)
    est.add_argument("--psu", default=None)
    est.add_argument("--fpc", default=None, help="column: PSUs in the stratum population (or sampling fraction)")
    est.add_argument("--by", default=None, help="domain column: one estimate per level")
    est.add_argument("--stat", choices=["mean", "total", "proportion"], default="mean")
    est.add_argument("--level", default=None, help="for --stat proportion: the value of --y that counts")
    est.add_argument("--confidence", type=float, default=0.95)
    est.add_argument("--ci", choices=["t", "normal"], default="t")
    est.add_argument("--lonely-psu", choices=["error", "certainty", "remove", "adjust", "average"], default="error")
    est.add_argument("--format", choices=["table", "csv", "json"], default="table")
    est.set_defaults(func=_estimate)

    draw = sub.add_parser("draw", help="draw a sample from a frame CSV, with inclusion probabilities and weights",
                          description="Draw a sample from a frame CSV and write it with inclusion_prob and "
                                      "design_weight columns.")
    draw.add_argument("frame", help="CSV file, one row per unit")
    draw.add_argument("--design", choices=["srs", "systematic", "stratified", "pps", "two-stage"], required=True)
    draw.add_argument("--n", type=int, help="sample size (stratified: total; pps/two-stage: per stratum)")
    draw.add_argument("--strata", default=None)
    draw.add_argument("--allocation", choices=["proportional", "equal", "neyman"], default="proportional")
    draw.add_argument("--y", default=None, help="for Neyman allocation: column whose stratum SDs drive it")
    draw.add_argument("--size", default=None, help="PPS measure-of-size column")
    draw.add_argument("--psu", default=None, help="two-stage: PSU column")
    draw.add_argument("--take", type=int, default=None, help="two-stage: units per PSU (default all)")
    draw.add_argument("--unit", default=None, help="two-stage: column of second-stage units (e.g. household)")
    draw.add_argument("--seed", type=int, required=True, help="random seed (required: samples must be reproducible)")
    draw.add_argument("--out", default=None, help="output CSV (default: standard output)")
    draw.set_defaults(func=_draw)


def _no_command(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _read_csv(path: str, param: str) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise CdcourseError(f"{param} file {path!r} does not exist") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise CdcourseError(f"{param} file {path!r} is not a readable CSV: {err}") from None


def _size(args: argparse.Namespace) -> int:
    from cdcourse import sampling

    deff = args.deff
    if args.icc is not None or args.cluster_size is not None:
        if args.icc is None or args.cluster_size is None:
            raise CdcourseError("--icc and --cluster-size go together (deff = 1 + (cluster size - 1) x icc)")
        if deff is not None:
            raise CdcourseError("give either --deff or --icc with --cluster-size, not both")
        deff = sampling.design_effect_cluster(args.cluster_size, args.icc)
    common = dict(confidence=args.confidence, deff=1.0 if deff is None else deff,
                  response_rate=args.response_rate, population=args.population)
    if args.p is not None:
        n = sampling.sample_size_proportion(args.p, args.margin, relative=args.relative, **common)
    else:
        if args.relative:
            raise CdcourseError("--relative applies to a proportion (--p), not to a mean (--sd)")
        n = sampling.sample_size_mean(args.sd, args.margin, **common)
    for label, value in n.steps:
        print(f"{label:<72} {value:>12,.2f}")
    print(n.summary())
    return 0


def _coerce_level(column: pd.Series, level: str | None):
    """The --level text as the column's own type (CSV columns come back as bool or numbers)."""
    if level is None:
        return None
    if pd.api.types.is_bool_dtype(column):
        lowered = level.strip().lower()
        if lowered in {"true", "1", "yes"}:
            return True
        if lowered in {"false", "0", "no"}:
            return False
        raise CdcourseError(f"level {level!r} is not True or False, the values of this column")
    if pd.api.types.is_numeric_dtype(column):
        try:
            return float(level)
        except ValueError:
            raise CdcourseError(f"level {level!r} is not a number, the values of this column") from None
    return level


def _estimate(args: argparse.Namespace) -> int:
    from cdcourse import sampling

    data = _read_csv(args.data, "data")
    func = {"mean": sampling.estimate_mean, "total": sampling.estimate_total,
            "proportion": sampling.estimate_proportion}[args.stat]
    kwargs = dict(strata=args.strata, psu=args.psu, fpc=args.fpc, by=args.by, confidence=args.confidence,
                  ci=args.ci, lonely_psu=args.lonely_psu)
    if args.stat == "proportion":
        if args.y not in data.columns:
            raise CdcourseError(f"y {args.y!r} is not a column of {args.data}; columns are: {', '.join(data.columns)}")
        kwargs["level"] = _coerce_level(data[args.y], args.level)
    elif args.level is not None:
        raise CdcourseError("--level applies to --stat proportion only")
    result = func(data, args.y, args.weight, **kwargs)
    frame = result.to_frame()
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif args.format == "json":
        print(frame.to_json(orient="records", indent=2))
    else:
        print(frame.to_string(index=False, float_format=lambda v: f"{v:,.6g}"))
        print()
        print(result.summary())
    return 0


def _draw(args: argparse.Namespace) -> int:
    from cdcourse import sampling

    frame = _read_csv(args.frame, "frame")

    def need(value, flag):
        if value is None:
            raise CdcourseError(f"--design {args.design} needs {flag}")
        return value

    if args.design == "srs":
        sample = sampling.simple_random_sample(frame, need(args.n, "--n"), seed=args.seed)
    elif args.design == "systematic":
        sample = sampling.systematic_sample(frame, need(args.n, "--n"), seed=args.seed)
    elif args.design == "stratified":
        sample = sampling.stratified_sample(frame, need(args.strata, "--strata"), need(args.n, "--n"),
                                            allocation=args.allocation, y=args.y, seed=args.seed)
    elif args.design == "pps":
        sample = sampling.pps_sample(frame, need(args.size, "--size"), need(args.n, "--n"), strata=args.strata,
                                     seed=args.seed)
    else:
        sample = sampling.two_stage_sample(frame, need(args.psu, "--psu"), need(args.n, "--n"), args.take,
                                           strata=args.strata, unit=args.unit, size=args.size, seed=args.seed)
    if args.out:
        sample.to_csv(args.out, index=False)
        print(f"wrote {len(sample):,} rows to {args.out} (design weights sum to {sample['design_weight'].sum():,.1f})")
    else:
        sample.to_csv(sys.stdout, index=False)
    return 0
