"""Benchmark: reading a PostgreSQL source, Arrow-native (ADBC) against pandas.read_sql (SQLAlchemy + psycopg).

A throwaway PostgreSQL server (tests/pg_kit.py: initdb + pg_ctl) gets the demo's log of ~1M rows as a table
(``member_id text, ordered_at timestamp, amount numeric(12,2), order_id text, channel text,
discount numeric(12,2), store text``). Then, in the same run, alternating, best of ``--repeat``:

* the raw read: ``workbench.data.sources.read_postgres_arrow`` (ADBC's PostgreSQL driver, binary COPY into
  Arrow) against ``pandas.read_sql(sa.select(table), conn)`` (what the loader did before);
* the whole ``load_transactions(url, table=...)`` (read + validation to the canonical frame), with the ADBC
  path and with it switched off (the SQLAlchemy path), and the two canonical frames compared.

    .venv/bin/python benchmarks/bench_postgres.py [--members 110000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
RESULTS = HERE / "results" / "postgres.md"


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=110_000)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    import sqlalchemy as sa
    from pg_kit import execute, postgres_server

    from workbench.data import generate_demo, load_transactions, sources

    tx = generate_demo(args.members, seed=42).transactions
    load0 = os.getloadavg()[0]
    with postgres_server() as url:
        csv_text = tx.drop(columns="is_return").to_csv(index=False)
        execute(
            url,
            "CREATE TABLE sales (member_id text, ordered_at timestamp, amount numeric(12, 2), order_id text, "
            "channel text, discount numeric(12, 2), store text)",
            csv_text,
        )
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))

        def read_sql():
            with engine.connect() as conn:
                table = sa.Table("sales", sa.MetaData(), autoload_with=conn)
                return pd.read_sql(sa.select(table), conn)

        def arrow():
            frame = sources.read_postgres_arrow(url, "sales", None)
            assert frame is not None, "the ADBC read failed"
            return frame

        real = sources.read_postgres_arrow
        rounds: dict[str, list[float]] = {k: [] for k in ("raw_adbc", "raw_sql", "load_adbc", "load_sql")}
        frames = {}
        for _ in range(args.repeat):  # alternate: the machine is shared
            t, _ = best(arrow, 1)
            rounds["raw_adbc"].append(t)
            t, _ = best(read_sql, 1)
            rounds["raw_sql"].append(t)
            t, frames["adbc"] = best(lambda: load_transactions(url, table="sales"), 1)
            rounds["load_adbc"].append(t)
            sources.read_postgres_arrow = lambda *a: None
            try:
                t, frames["sql"] = best(lambda: load_transactions(url, table="sales"), 1)
            finally:
                sources.read_postgres_arrow = real
            rounds["load_sql"].append(t)
        engine.dispose()
    load1 = os.getloadavg()[0]
    key = "order_id"
    same = (
        frames["adbc"]
        .sort_values(key, ignore_index=True)
        .equals(frames["sql"].sort_values(key, ignore_index=True))
    )
    b = {k: min(v) for k, v in rounds.items()}
    raw_ratio, load_ratio = b["raw_sql"] / b["raw_adbc"], b["load_sql"] / b["load_adbc"]
    print(
        {k: round(v, 2) for k, v in b.items()}, f"raw {raw_ratio:.1f}x, load {load_ratio:.1f}x, same {same}"
    )
    lines = [
        "### PostgreSQL source: Arrow-native read (ADBC) vs pandas.read_sql",
        "",
        "| rows | step | ADBC (s) | SQLAlchemy + pandas.read_sql (s) | speed-up | same canonical frame |",
        "|---:|---|---:|---:|---:|---|",
        f"| {len(tx):,} | raw read of the table | {b['raw_adbc']:.2f} | {b['raw_sql']:.2f} | {raw_ratio:.1f}x | |",
        f"| {len(tx):,} | `load_transactions(url, table=)` (read + validation) | {b['load_adbc']:.2f} | "
        f"{b['load_sql']:.2f} | {load_ratio:.1f}x | {'yes' if same else 'NO'} |",
        "",
        f"Best of {args.repeat}, alternating, in one run, against a local PostgreSQL server (pg_kit); "
        f"{os.cpu_count()} shared cores, 1-minute load average {load0:.1f} at the start and {load1:.1f} at "
        "the end. `adbc-driver-postgresql` 1.13.0 (binary COPY into Arrow; NUMERIC as float64) against "
        "SQLAlchemy 2 + psycopg 3 `pandas.read_sql`. Target: at least 5x on the read. "
        "Command: `.venv/bin/python benchmarks/bench_postgres.py`.",
    ]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
