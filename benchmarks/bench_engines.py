"""Benchmark: the member summary and the monthly KPI table on each engine (numpy, DuckDB, local Spark).

One 1M-row demo log (the one bench_summary.py writes, made here if missing) in one run: the Spark session's
start-up (a fresh JVM), then each engine's first and second run from the same Parquet file, results checked
equal to the default engine. Local Spark is for tests and a laptop; a brand's cluster runs the real thing.

    .venv/bin/python benchmarks/bench_engines.py
"""

from __future__ import annotations

import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
RESULTS = HERE / "results" / "engines.md"
OBS_END = "2026-10-31 23:59:59"


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> int:
    import os

    import numpy as np
    import pandas as pd

    from workbench import kpis as wk
    from workbench.data import generate_demo
    from workbench.summary import member_summary, spark_session

    DATA.mkdir(exist_ok=True)
    path = DATA / "summary_log_1M.parquet"
    if not path.exists():
        generate_demo(110_000, seed=42).transactions.to_parquet(path)
    tx = pd.read_parquet(path)
    load = os.getloadavg()[0]
    rows = []
    ref, _ = _timed(lambda: member_summary(tx, OBS_END, "D"))
    spark, start = _timed(lambda: spark_session({"master": "local[2]", "driver_memory": "2g"}))
    runs = {
        "numpy (default)": lambda: member_summary(tx, OBS_END, "D"),
        "duckdb": lambda: member_summary(tx, OBS_END, "D", engine="duckdb"),
        "spark, Parquet path": lambda: member_summary(str(path), OBS_END, "D", engine="spark", spark=spark),
    }
    for name, fn in runs.items():
        first, t1 = _timed(fn)
        _, t2 = _timed(fn)
        same = first.index.equals(ref.index) and np.allclose(
            first[["frequency", "recency", "T", "monetary_value"]],
            ref[["frequency", "recency", "T", "monetary_value"]],
            rtol=1e-12,
        )
        rows.append(("member summary (D)", name, t1, t2, same))
        print(rows[-1], flush=True)
    kref = wk.monthly_kpis(tx, month="2026-10")

    def kpis_spark():
        with wk.TransactionLog(str(path), "2026-10", engine="spark", spark=spark) as log:
            return wk.monthly_kpis(log)

    for name, fn in {
        "duckdb (default)": lambda: wk.monthly_kpis(tx, month="2026-10"),
        "spark, Parquet path": kpis_spark,
    }.items():
        first, t1 = _timed(fn)
        _, t2 = _timed(fn)
        same = first.index.equals(kref.index) and np.allclose(
            first.to_numpy(float), kref.to_numpy(float), rtol=1e-12, equal_nan=True
        )
        rows.append(("monthly KPI table", name, t1, t2, same))
        print(rows[-1], flush=True)
    spark.stop()
    lines = [
        f"### Engines: member summary and monthly KPIs ({len(tx):,} rows, {tx['member_id'].nunique():,} members)",
        "",
        "| step | engine | first run (s) | second run (s) | same result |",
        "|---|---|---:|---:|---|",
        f"| Spark session start-up (local[2], fresh JVM) | spark | {start:.1f} | – | – |",
    ]
    lines += [f"| {s} | {e} | {a:.2f} | {b:.2f} | {'yes' if ok else 'NO'} |" for s, e, a, b, ok in rows]
    lines += [
        "",
        f"Same machine, one run (2 shared cores, load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the "
        "end). Same result: members and the model columns (or every KPI) equal to 1e-12 relative. Command: "
        "`.venv/bin/python benchmarks/bench_engines.py`.",
    ]
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
