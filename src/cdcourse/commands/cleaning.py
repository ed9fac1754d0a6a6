"""``cdcourse clean``: validate a CSV against rules or a Table Schema, list rules, replay a cleaning log.

Exit codes: 0 when the data pass every rule (or the command succeeded), 1 when ``validate`` found
failures, 2 for bad input (an unknown column, a malformed rule, a missing file).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "validate a CSV against rules or a Table Schema, list schema rules, replay a cleaning log"


def _read_text_csv(path: str, missing: list[str]):
    """A CSV read as text, so a type or range rule sees exactly what the file holds."""
    import pandas as pd

    from cdcourse.errors import CdcourseError

    if not Path(path).is_file():
        raise CdcourseError(f"data file {path!r} does not exist")
    try:
        data = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=missing or [""])
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise CdcourseError(f"data file {path!r} could not be read as CSV: {err}") from None
    # rows are numbered as lines of the file (the header is line 1), as a spreadsheet shows them
    data.index = pd.RangeIndex(2, len(data) + 2, name="line")
    return data


def _rules(args: argparse.Namespace) -> list:
    from cdcourse.cleaning import as_rules, rules_from_schema
    from cdcourse.errors import CdcourseError

    rules = []
    if args.schema:
        rules += rules_from_schema(args.schema, args.resource, types=args.types)
    if args.rules:
        path = Path(args.rules)
        if not path.is_file():
            raise CdcourseError(f"rules file {args.rules!r} does not exist")
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise CdcourseError(f"rules file {args.rules!r} is not valid JSON: {err}") from None
        rules += as_rules(spec.get("rules", spec) if isinstance(spec, dict) else spec)
    if not rules:
        raise CdcourseError("no rules: give --schema (with --resource for a data package) and/or --rules FILE.json")
    return as_rules(rules)


def _validate(args: argparse.Namespace) -> int:
    from cdcourse.cleaning import validate
    from cdcourse.cleaning.validation import missing_values

    rules = _rules(args)
    missing = missing_values(args.schema, args.resource) if args.schema else [""]
    data = _read_text_csv(args.data, missing)
    report = validate(data, rules)
    summary = report.summary()
    with_failures = summary[summary["failures"] > 0] if not args.all_rules else summary
    print(f"{args.data}: {len(data):,} rows, {len(rules)} rules, {report.n_failures:,} failures "
          f"on {int(report.failed().sum()):,} rows")
    if len(with_failures):
        print(with_failures[["rule", "failures", "example_rows"]].to_string(index=False))
    if args.out:
        report.to_frame().rename(columns={"row": "line"}).to_csv(args.out, index=False)
        print(f"every failure ({report.n_failures:,} rows) written to {args.out}")
    return 0 if report.passed else 1


def _list_rules(args: argparse.Namespace) -> int:
    rules = _rules(args)
    json.dump({"rules": [r.to_dict() for r in rules]}, sys.stdout, indent=2, ensure_ascii=False, default=str)
    print()
    return 0


def _replay(args: argparse.Namespace) -> int:
    import pandas as pd

    from cdcourse.cleaning import CleaningLog
    from cdcourse.errors import CdcourseError

    log = CleaningLog.from_json(args.log)
    if Path(args.data).is_file():
        raw = pd.read_csv(args.data)
        for col in args.parse_dates or []:
            if col not in raw.columns:
                raise CdcourseError(f"--parse-dates column {col!r} is not a column of {args.data}")
            raw[col] = pd.to_datetime(raw[col], errors="coerce")
    else:
        from cdcourse.datasets import load

        raw = load(args.data)
    result = log.replay(raw)
    result.data.to_csv(args.out, index=False)
    print(result.to_frame().drop(columns="params").to_string(index=False))
    print(f"{len(result.data):,} rows written to {args.out}")
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def rule_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--schema", help="a Frictionless data package or Table Schema (JSON)")
        p.add_argument("--resource", help="the resource name inside a data package (e.g. community_survey)")
        p.add_argument("--rules", help="a JSON file with a list of rules ({'kind': 'range', 'column': 'age', ...})")
        p.add_argument("--types", action="store_true", help="also check that each field reads as its schema type")

    v = sub.add_parser("validate", help="check every rule on every row; print failures per rule (never capped)")
    v.add_argument("data", help="the CSV file to check (read as text)")
    rule_options(v)
    v.add_argument("--out", help="write every failure (line, rule, column, value) to this CSV")
    v.add_argument("--all-rules", action="store_true", help="list rules that pass too")
    v.set_defaults(func=_validate)

    r = sub.add_parser("rules", help="print the rules a schema (and/or a rules file) defines, as JSON")
    rule_options(r)
    r.set_defaults(func=_list_rules)

    p = sub.add_parser("replay", help="run a saved cleaning log on a raw CSV (or a dataset name)")
    p.add_argument("data", help="raw CSV file, or a dataset name such as community_survey_raw")
    p.add_argument("--log", required=True, help="the cleaning log JSON (CleaningLog.to_json)")
    p.add_argument("--out", required=True, help="where to write the cleaned CSV")
    p.add_argument("--parse-dates", nargs="*", metavar="COLUMN", help="columns of the CSV to read as datetimes first")
    p.set_defaults(func=_replay)
