"""``cdcourse quality``: measure a CSV's quality and score it for official reuse.

Commands
--------
``cdcourse quality report DATA.csv [--schema datapackage.json] [--resource NAME] [--matrix FILE]
[--answers FILE] [--reference-date D] --out report.html [--json report.json]``
    Profile the CSV (completeness, validity against the Table Schema, uniqueness on the schema's
    primary key, timeliness on its first date field), score the reuse matrix and write a
    self-contained HTML report (and JSON with ``--json``).
``cdcourse quality matrix [--out FILE]``
    Write the default scoring matrix as JSON, for an NSO to adapt and pass back with ``--matrix``.
``cdcourse quality answers [--matrix FILE] [--out FILE]``
    Write an answers template for the human-scored criteria (questions and level descriptors).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cdcourse.errors import CdcourseError

HELP = "measure a CSV's data quality and score it for reuse in official statistics (HTML + JSON report)"


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    rep = sub.add_parser("report", help="profile a CSV, score the reuse matrix, write an HTML (and JSON) report",
                         description="Profile a CSV, score the reuse matrix and write a self-contained HTML report. "
                         "Measures that cannot be computed (no schema: validity; no reference date: timeliness) are "
                         "reported as missing, never as 100 %.")
    rep.add_argument("data", help="the CSV file")
    rep.add_argument("--schema", help="a datapackage.json or Table Schema JSON (validity, missing values, primary key)")
    rep.add_argument("--resource", help="the data package resource to use (default: the one whose path matches the CSV)")
    rep.add_argument("--matrix", help="a scoring matrix JSON (full, or an override of the default); default: the course's own")
    rep.add_argument("--answers", help="JSON criterion -> level (or {level, evidence}) for the human-scored criteria")
    rep.add_argument("--reference-date", help="date the data's age is measured at, e.g. 2024-06-30 (timeliness)")
    rep.add_argument("--date-column", help="column holding each record's date (default: the schema's first date field)")
    rep.add_argument("--window-days", type=float, default=365, help="records at most this old count as timely (365)")
    rep.add_argument("--key", help="comma-separated key columns for uniqueness (default: the schema's primary key, "
                     "else whole records)")
    rep.add_argument("--ignore", default="", help="comma-separated columns to ignore when comparing whole records")
    rep.add_argument("--applicable", action="append", default=[], metavar="COLUMN=CONDITION",
                     help="skip pattern for completeness, e.g. 'education=age >= 15' (repeatable)")
    rep.add_argument("--title", help="report title")
    rep.add_argument("--out", required=True, help="the HTML report to write")
    rep.add_argument("--json", dest="json_out", help="also write the report as JSON here")
    rep.set_defaults(func=_report)

    mat = sub.add_parser("matrix", help="write the default scoring matrix as JSON (to adapt)")
    mat.add_argument("--out", help="file to write (default: standard output)")
    mat.set_defaults(func=_matrix)

    ans = sub.add_parser("answers", help="write an answers template for the human-scored criteria")
    ans.add_argument("--matrix", help="a scoring matrix JSON (default: the course's own)")
    ans.add_argument("--out", help="file to write (default: standard output)")
    ans.set_defaults(func=_answers)


def _split(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def read_csv(path: str | Path, schema: dict | None = None):
    """Read a CSV as text (so that validity sees exactly what is in the file), with the schema's missing values."""
    import pandas as pd

    from cdcourse.quality.schema import missing_values

    path = Path(path)
    if not path.is_file():
        raise CdcourseError(f"data file {str(path)!r} does not exist")
    codes = list(missing_values(schema)) if schema is not None else [""]
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=codes or [""])
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as err:
        raise CdcourseError(f"data file {str(path)!r} could not be read as CSV: {err}") from None


def _report(args: argparse.Namespace) -> int:
    from cdcourse import quality
    from cdcourse.quality.schema import date_fields, read_schema

    schema = read_schema(args.schema, args.resource, data_path=args.data) if args.schema else None
    data = read_csv(args.data, schema)
    applicable = {}
    for item in args.applicable:
        col, sep, cond = item.partition("=")
        if not sep or not col.strip() or not cond.strip():
            raise CdcourseError(f"--applicable must look like 'COLUMN=CONDITION' (e.g. 'education=age >= 15'); got {item!r}")
        applicable[col.strip()] = cond.strip()
    if applicable:
        import pandas as pd

        # conditions compare numbers: give the columns they mention numeric types where they parse
        for col in data.columns:
            if any(col in cond for cond in applicable.values()):
                converted = pd.to_numeric(data[col], errors="coerce")
                if converted.notna().sum() >= data[col].notna().sum():
                    data[col] = converted
    date_column = args.date_column
    if date_column is None:
        candidates = [c for c in date_fields(schema) if c in data.columns]
        date_column = candidates[0] if candidates else None
    matrix = quality.load_matrix(args.matrix) if args.matrix else quality.default_matrix()
    answers = quality.load_answers(args.answers) if args.answers else None
    name = Path(args.data).name
    prof = quality.profile(data, dataset=name, schema=schema, key=_split(args.key) or None, ignore=_split(args.ignore),
                           date_column=date_column, reference_date=args.reference_date, window_days=args.window_days,
                           applicable=applicable or None)
    result = quality.assess(prof, answers, matrix=matrix)
    quality.write_report(args.out, prof, result, json_path=args.json_out, title=args.title)
    score = "missing" if result.score != result.score else f"{result.score:.1f} %"
    missing = [m.name for m in prof.measures.values() if not m.computed]
    print(f"{name}: {prof.n_rows:,} records; verdict: {result.verdict} (score {score})")
    if missing:
        print(f"  not measured (shown as missing, not 100 %): {', '.join(missing)}")
    print(f"  wrote {args.out}" + (f" and {args.json_out}" if args.json_out else ""))
    return 0


def _write(text: str, out: str | None) -> None:
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(text, encoding="utf-8")
        print(f"wrote {out}")
    else:
        sys.stdout.write(text)


def _matrix(args: argparse.Namespace) -> int:
    from cdcourse.quality import default_matrix

    _write(json.dumps(default_matrix().to_dict(), indent=2, ensure_ascii=False) + "\n", args.out)
    return 0


def _answers(args: argparse.Namespace) -> int:
    from cdcourse.quality import default_matrix, load_matrix, matrix_template

    matrix = load_matrix(args.matrix) if args.matrix else default_matrix()
    _write(json.dumps(matrix_template(matrix), indent=2, ensure_ascii=False) + "\n", args.out)
    return 0
