"""``cdcourse privacy``: disclosure-risk report, column roles, local suppression and text redaction.

Examples::

    cdcourse privacy report survey.csv --qi age,sex,district --sensitive disability --weight weight --k 3
    cdcourse privacy classify survey_raw.csv
    cdcourse privacy suppress survey.csv --qi age,sex,district --k 3 --out survey_k3.csv
    cdcourse privacy redact reports.csv --column text --out reports_redacted.csv
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

from cdcourse.errors import CdcourseError

HELP = "disclosure control: risk report, column roles, local suppression to k, redaction of free text"


def _read(path: str) -> pd.DataFrame:
    p = Path(path)
    if not p.is_file():
        raise CdcourseError(f"data file {path!r} does not exist; give the path of a CSV file")
    try:
        return pd.read_csv(p)
    except Exception as err:  # pandas raises many kinds; say which file
        raise CdcourseError(f"could not read {path!r} as CSV: {err}") from err


def _list(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def _json_number(value: object) -> int | float | None:
    """A measure for JSON: missing as null, counts as whole numbers."""
    if value is None or pd.isna(value):
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _write(frame: pd.DataFrame, path: str) -> None:
    frame.to_csv(path, index=False)
    print(f"wrote {len(frame):,} rows to {path}", file=sys.stderr)


def _report(args: argparse.Namespace) -> int:
    from cdcourse import privacy

    data = _read(args.data)
    rep = privacy.risk_report(
        data, _list(args.qi), sensitive=args.sensitive, weight=args.weight, missing=args.missing, k=args.k,
        max_individual_risk=args.max_risk, max_global_risk=args.max_global_risk, top=args.top,
    )
    if args.json:
        out = {
            "summary": {m: _json_number(v) for m, v in rep.to_frame().itertuples(index=False)},
            "verdicts": rep.verdicts.to_dict(orient="records"),
            "worst_classes": json.loads(rep.worst.to_json(orient="records")),
            "passes": rep.passes,
        }
        print(json.dumps(out, indent=2, default=str))
    else:
        print(rep.summary())
        print()
        print(rep.verdicts[["measure", "value", "rule", "threshold", "passes"]].to_string(index=False))
        print()
        print("Sources:")
        for row in rep.verdicts.itertuples(index=False):
            print(f"  {row.measure}: {row.source}")
        print()
        print(f"Riskiest {min(args.top, len(rep.classes))} classes:")
        print(rep.worst.to_string(index=False))
    if args.records:
        # A measure whose name the data already use gets a prefix, so no column is written twice.
        clash = {c: f"sdc_{c}" for c in rep.records.columns if c in data.columns}
        if clash:
            print(f"columns {', '.join(clash)} exist in the data: the measures are written as "
                  f"{', '.join(clash.values())}", file=sys.stderr)
        _write(pd.concat([data, rep.records.rename(columns=clash)], axis=1), args.records)
    return 1 if (args.strict and not rep.passes) else 0


def _classify(args: argparse.Namespace) -> int:
    from cdcourse import privacy

    roles = privacy.classify_columns(_read(args.data))
    with pd.option_context("display.max_colwidth", 80, "display.width", 200):
        print(roles.table.to_string(formatters={"unique_share": "{:.0%}".format}))
    return 0


def _suppress(args: argparse.Namespace) -> int:
    from cdcourse import privacy

    data = _read(args.data)
    res = privacy.suppress_to_k(data, _list(args.qi), k=args.k, missing=args.missing,
                                importance=_list(args.importance) or None)
    print(res._describe())
    print(res.summary.to_string())
    _write(res.data, args.out)
    return 0


def _redact(args: argparse.Namespace) -> int:
    from cdcourse import privacy

    data = _read(args.data)
    names = None
    if args.names_file:
        p = Path(args.names_file)
        if not p.is_file():
            raise CdcourseError(f"names file {args.names_file!r} does not exist; give a text file with one name a line")
        names = [line.strip() for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    new, report = privacy.redact_column(data, args.column, names=names)
    counts = report.counts
    print(f"redacted {counts['name']} name(s), {counts['phone']} phone number(s), {counts['email']} e-mail address(es)")
    _write(new, args.out)
    if args.log:
        _write(report.found, args.log)
    return 0


def register(parser: argparse.ArgumentParser) -> None:
    """Add the ``report``, ``classify``, ``suppress`` and ``redact`` commands."""
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])

    rep = sub.add_parser("report", help="k-anonymity, l-diversity, t-closeness and record risk with verdicts",
                         description="Disclosure-risk report of a CSV file, with verdicts against cited thresholds.")
    rep.add_argument("data", help="CSV file, one row per record")
    rep.add_argument("--qi", required=True, help="quasi-identifiers, comma-separated (e.g. age,sex,district)")
    rep.add_argument("--sensitive", help="sensitive attribute for l-diversity and t-closeness")
    rep.add_argument("--weight", help="sample weight column (population estimate for the individual risk)")
    rep.add_argument("--k", type=int, default=3, help="required k (3 or 5 are common; default 3)")
    rep.add_argument("--missing", choices=["category", "wildcard", "drop"], default="category",
                     help="how a missing quasi-identifier groups (default: category)")
    rep.add_argument("--max-risk", type=float, default=0.05, help="highest acceptable individual risk (default 0.05)")
    rep.add_argument("--max-global-risk", type=float, default=0.03, help="highest acceptable global risk (default 0.03)")
    rep.add_argument("--top", type=int, default=10, help="how many riskiest classes to show (default 10)")
    rep.add_argument("--records", metavar="OUT.csv", help="also write the data with per-record fk, Fk and risk")
    rep.add_argument("--json", action="store_true", help="print the report as JSON")
    rep.add_argument("--strict", action="store_true", help="exit with status 1 when a threshold is not met")
    rep.set_defaults(func=_report)

    cls = sub.add_parser("classify", help="suggest direct identifiers, quasi-identifiers and sensitive columns",
                         description="Suggest the role of every column from its name and uniqueness.")
    cls.add_argument("data", help="CSV file")
    cls.set_defaults(func=_classify)

    sup = sub.add_parser("suppress", help="suppress few values until the file is k-anonymous",
                         description="Local suppression to k-anonymity; writes the protected file.")
    sup.add_argument("data", help="CSV file")
    sup.add_argument("--qi", required=True, help="quasi-identifiers, comma-separated")
    sup.add_argument("--k", type=int, default=3, help="k to reach (default 3)")
    sup.add_argument("--missing", choices=["category", "wildcard", "drop"], default="category",
                     help="rule under which k is guaranteed (default: category)")
    sup.add_argument("--importance", help="quasi-identifiers from most to least important to keep, comma-separated")
    sup.add_argument("--out", required=True, help="where to write the protected CSV")
    sup.set_defaults(func=_suppress)

    red = sub.add_parser("redact", help="redact names, phone numbers and e-mails in a text column",
                         description="Redact personal data in one text column; writes the redacted CSV.")
    red.add_argument("data", help="CSV file")
    red.add_argument("--column", required=True, help="the free-text column")
    red.add_argument("--names-file", help="text file with names to redact, one a line")
    red.add_argument("--out", required=True, help="where to write the redacted CSV")
    red.add_argument("--log", help="where to write the list of redactions (CSV)")
    red.set_defaults(func=_redact)
