"""The ``workbench`` command: ``demo``, ``validate``, ``report``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _cmd_demo(args: argparse.Namespace) -> int:
    from workbench.data import generate_demo

    t0 = time.perf_counter()
    print(f"workbench demo: generating {args.members:,} members (seed {args.seed}) ...", flush=True)
    data = generate_demo(args.members, args.seed)
    out = data.write(args.out)
    print(
        f"workbench demo: {len(data.transactions):,} transactions, {len(data.campaign):,} campaign members "
        f"-> {out} ({time.perf_counter() - t0:.1f} s)",
        flush=True,
    )
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    """``workbench validate --params FILE``: load + validate the data a params file names; exit 0/1.

    Every failure is a message and exit 1, never a traceback; a database password is never printed.
    """
    from workbench.data import DataParams, DataValidationError, describe_transactions, guest_totals, mask_url
    from workbench.errors import WorkbenchError

    path = Path(args.params)
    print(f"workbench validate: {path}")
    try:
        params = DataParams.from_yaml(path)
    except WorkbenchError as exc:
        print(f"  cannot read the params: {exc}", file=sys.stderr)
        print("FAILED")
        return 1
    source = mask_url(params.transactions, params.transactions)
    print(f"  {'source':<18}{source}" + (f" (table {params.table})" if params.table else ""))
    try:
        tx = params.load()
    except DataValidationError as exc:
        print(f"  {'problems':<18}{len(exc.problems)}")
        if exc.convention:
            print(f"  ({exc.convention})")
        for p in exc.problems:
            print(f"  - {mask_url(p.message, params.transactions)}")
        print("FAILED")
        return 1
    except (WorkbenchError, OSError, ValueError, TypeError) as exc:
        print(f"  cannot load: {mask_url(str(exc), params.transactions)}")
        print("FAILED")
        return 1
    except Exception as exc:  # never a traceback for the user: name the error, keep the secret out
        print(f"  cannot load ({type(exc).__name__}): {mask_url(str(exc), params.transactions)}")
        print("FAILED")
        return 1
    for label, text in describe_transactions(tx, params.currency):
        print(f"  {label:<18}{text}")
    guests = guest_totals(tx)
    member_revenue = float(tx["amount"].sum())
    total = member_revenue + guests["revenue"]
    share = f", {guests['revenue'] / total:.1%} of revenue" if guests["rows"] and total else ""
    print(
        f"  {'guest rows':<18}{guests['rows']:,} (set apart: {params.currency} {guests['revenue']:,.2f}{share})"
    )
    dropped = tx.attrs.get("duplicates_dropped", 0)
    if dropped:
        print(f"  {'duplicates':<18}{dropped:,} verbatim repeats dropped (duplicate_rows: drop)")
    print(f"  {'problems':<18}none")
    print("OK")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from workbench.report import report_cli

    return report_cli(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workbench", description="Member Campaign Workbench")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="write the deterministic demo brand (members, transactions, campaign)")
    p.add_argument("--members", type=int, default=5000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", default="data/demo")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("validate", help="load and validate the data named in a params file")
    p.add_argument("--params", required=True, help="params YAML (a common params file)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("report", help="run the monthly report notebooks and publish HTML")
    p.add_argument("--month", help="YYYY-MM (default: the latest complete month of the data)")
    p.add_argument("--params", default="params", help="params folder")
    p.add_argument("--out", default="reports", help="output folder")
    p.add_argument("--only", action="append", help="run only this notebook (repeatable)")
    p.set_defaults(func=_cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
