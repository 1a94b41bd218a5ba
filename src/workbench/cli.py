"""The ``workbench`` command: ``demo``, ``validate``, ``report``, ``sql``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def _cmd_demo(args: argparse.Namespace) -> int:
    from workbench.data import write_demo

    t0 = time.perf_counter()
    print(f"workbench demo: generating {args.members:,} members (seed {args.seed}) ...", flush=True)
    done = write_demo(args.members, args.seed, args.out, batch=args.batch)
    print(
        f"workbench demo: {done.transactions:,} transactions, {done.campaign_members:,} campaign members "
        f"in {done.batches} batch(es) -> {done.out} ({time.perf_counter() - t0:.1f} s)",
        flush=True,
    )
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    """``workbench validate --params FILE``: load + validate the data a params file names; exit 0/1.

    Credentials of a database source come from the environment or a ``.env`` beside the params file;
    every line printed has URL passwords masked (``workbench.data.mask_url``), and any failure is one
    message, never a traceback. Guest rows the loader set apart are counted with their revenue.
    """
    from workbench.data import (
        DataParams,
        DataValidationError,
        describe_transactions,
        expand_env,
        guest_totals,
        load_env_file,
        mask_url,
    )
    from workbench.errors import WorkbenchError

    secret_url: list[str] = []  # the URL connected with: its password masked wherever a driver quotes it

    def say(text: str = "", **kw) -> None:
        print(mask_url(text, secret_url[0] if secret_url else None), **kw)

    path = Path(args.params)
    say(f"workbench validate: {path}")
    try:
        load_env_file(path if path.is_dir() else path.parent)
        params = DataParams.from_yaml(path)
    except WorkbenchError as exc:
        say(f"  cannot read the params: {exc}", file=sys.stderr)
        say("FAILED")
        return 1
    if not params.transactions:  # a run from an engine's result files (workbench sql)
        from workbench.results import describe_results

        try:
            lines = describe_results(params)
        except (DataValidationError, OSError) as exc:
            say(f"  cannot read the result files: {exc}")
            say("FAILED")
            return 1
        for label, text in lines:
            say(f"  {label:<18}{text}")
        say("OK")
        return 0
    try:
        secret_url.append(expand_env(params.transactions))
    except WorkbenchError:
        pass  # a variable that is not set: params.load() says which
    say(f"  {'source':<18}{params.transactions}" + (f" (table {params.table})" if params.table else ""))
    try:
        tx = params.load()
    except DataValidationError as exc:
        say(f"  {'problems':<18}{len(exc.problems)}")
        if exc.convention:
            say(f"  ({exc.convention})")
        for p in exc.problems:
            say(f"  - {p.message}")
        say("FAILED")
        return 1
    except Exception as exc:  # a file type, a database connection or table: one line, never a traceback
        detail = " ".join(str(exc).split()) or type(exc).__name__
        prefix = "" if isinstance(exc, WorkbenchError) else f"{type(exc).__name__}: "
        say(f"  cannot load: {prefix}{detail[:500]}")
        say("FAILED")
        return 1
    for label, text in describe_transactions(tx, params.currency):
        say(f"  {label:<18}{text}")
    guests = guest_totals(tx)
    total = float(tx["amount"].sum()) + guests["revenue"]
    share = f", {guests['revenue'] / total:.1%} of revenue" if guests["rows"] and total else ""
    say(
        f"  {'guest rows':<18}{guests['rows']:,} (set apart: {params.currency} {guests['revenue']:,.2f}{share})"
    )
    dropped = tx.attrs.get("duplicates_dropped", 0)
    if dropped:
        say(f"  {'duplicates':<18}{dropped:,} verbatim repeats dropped (duplicate_rows: drop)")
    say(f"  {'problems':<18}none")
    say("OK")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from workbench.report import report_cli

    return report_cli(args)


def _cmd_sql(args: argparse.Namespace) -> int:
    """``workbench sql --params DIR --dialect D --out DIR``: the result statements for a warehouse; exit 0/2."""
    from workbench.errors import WorkbenchError
    from workbench.results import ResultSpec, write_statements
    from workbench.settings import read_yaml

    folder = Path(args.params)
    try:
        common = read_yaml(folder / "common.yaml")
        clv = read_yaml(folder / "clv.yaml") if (folder / "clv.yaml").is_file() else {}
        overview = (
            read_yaml(folder / "member_overview.yaml") if (folder / "member_overview.yaml").is_file() else {}
        )
        month = args.month or common.get("month")
        if not month:
            raise WorkbenchError(f"{folder / 'common.yaml'}: month is empty; give --month YYYY-MM")
        spec = ResultSpec(
            month=str(month),
            freq=clv.get("time_unit", "D"),
            window_days=int(overview.get("window_days", 365)),
            table=args.table,
            timezone=(common.get("data") or {}).get("timezone", "UTC"),
            timestamps=args.timestamps,
            without=tuple(args.without or ()),
        )
        written = write_statements(spec, args.dialect, args.out)
    except WorkbenchError as exc:
        print(f"workbench sql: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"workbench sql: wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``workbench`` command line: one sub-command per job (demo, validate, report, sql, ...)."""
    parser = argparse.ArgumentParser(prog="workbench", description="Member Campaign Workbench")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="write the deterministic demo brand (members, transactions, campaign)")
    p.add_argument("--members", type=int, default=5000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--out", default="data/demo")
    p.add_argument(
        "--batch", type=int, default=500_000, help="members generated and written at a time (memory ~ batch)"
    )
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("validate", help="load and validate the data named in a params file")
    p.add_argument("--params", required=True, help="params YAML (a common params file)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("report", help="run the monthly report notebooks and publish HTML")
    p.add_argument("--month", help="YYYY-MM (default: the latest complete month of the data)")
    p.add_argument("--params", default="params", help="params folder")
    p.add_argument("--out", default="reports", help="output folder")
    p.add_argument(
        "--jobs",
        type=int,
        help="notebooks run at once (default: report.yaml's jobs; 0 chooses by CPU cores and memory)",
    )
    p.add_argument("--only", action="append", help="run only this notebook (repeatable)")
    p.add_argument(
        "--wait",
        type=float,
        default=None,
        help="seconds to wait for another run into the same output folder, then stop with exit 3 "
        "(default 300)",
    )
    p.set_defaults(func=_cmd_report)

    from workbench.summary.dialects import DIALECTS

    p = sub.add_parser(
        "sql", help="write the result statements (member summary, member months) for an engine"
    )
    p.add_argument(
        "--params", default="params", help="params folder (month, time zone, time_unit, window_days)"
    )
    p.add_argument("--dialect", required=True, choices=DIALECTS)
    p.add_argument("--out", required=True, help="folder for summary.sql, member_months.sql and README.md")
    p.add_argument("--month", help="YYYY-MM (default: month of common.yaml)")
    p.add_argument("--table", default="transactions", help="the transactions table (default: transactions)")
    p.add_argument(
        "--timestamps", choices=["local", "instant"], default="local", help="what ordered_at holds"
    )
    p.add_argument(
        "--without",
        action="append",
        choices=["order_id", "channel", "discount"],
        help="a column the table lacks (repeatable)",
    )
    p.set_defaults(func=_cmd_sql)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``workbench`` with ``argv`` (default: the process arguments); the exit code."""
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
