"""Profile of the monthly report's notebooks as the report runs them: cell by cell, cProfile, no kernel.

Each notebook of params/report.yaml (or ``--only NAME``) is executed in this process the way papermill
would (its parameters cell, then the params of ``params/common.yaml`` and ``params/<name>.yaml`` with the
``data:`` block pointing at ``CACHE``, then every code cell; plots drawn with Agg and closed). Prints the
wall time of each code cell and the top entries of the profile by cumulative time. ``CACHE`` is a validated
canonical Parquet copy of the log as `workbench report` writes it (``--make-cache SOURCE`` writes one from a
demo's transactions.parquet). Not part of ``make bench`` (nothing to compare with).

    .venv/bin/python benchmarks/profile_report.py CACHE --demo DEMO_DIR [--only clv] [--top 20]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def make_cache(source: Path, cache: Path) -> None:
    from workbench import files
    from workbench.data import VALIDATED_METADATA, load_transactions

    files.write_parquet(cache, load_transactions(str(source)), metadata=VALIDATED_METADATA)


def notebook_params(name: str, cache: Path, demo: Path) -> dict:
    common = yaml.safe_load((ROOT / "params" / "common.yaml").read_text(encoding="utf-8"))
    data = {k: v for k, v in common["data"].items()}
    data.update(
        transactions=str(cache),
        members=str(demo / "members.parquet"),
        campaign=str(demo / "assignments.csv"),
        truth=str(demo / "truth.json"),
        columns={},
    )
    own = ROOT / "params" / f"{name}.yaml"
    values = yaml.safe_load(own.read_text(encoding="utf-8")) if own.is_file() else {}
    values = values or {}
    return {
        "month": "2026-10",
        "language": common["language"],
        "seed": common["seed"],
        "data": data,
        **values,
    }


def profile(name: str, cache: Path, demo: Path, top: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nb = json.loads((ROOT / "notebooks" / f"{name}.ipynb").read_text(encoding="utf-8"))
    cells = [
        ("".join(c["source"]), c["metadata"].get("tags", [])) for c in nb["cells"] if c["cell_type"] == "code"
    ]
    env: dict = {}
    params = notebook_params(name, cache, demo)
    prof = cProfile.Profile()
    times = []
    cwd = os.getcwd()
    os.chdir(ROOT / "notebooks")
    try:
        for i, (src, tags) in enumerate(cells):
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                prof.enable()
                exec(compile(src, f"{name}[{i}]", "exec"), env)
                if "parameters" in tags:
                    env.update(params)
                prof.disable()
            plt.close("all")
            times.append(
                (i, time.perf_counter() - t0, src.strip().splitlines()[0][:70] if src.strip() else "")
            )
    finally:
        os.chdir(cwd)
    total = sum(t for _, t, _ in times)
    print(f"== {name}: {total:.1f} s in {len(times)} code cells (load average {os.getloadavg()[0]:.1f})")
    for i, t, first in times:
        print(f"   cell {i:2d} {t:7.2f} s  {first}")
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:6000])


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("cache", type=Path)
    ap.add_argument("--demo", type=Path, required=True)
    ap.add_argument("--make-cache", action="store_true", help="write CACHE from DEMO/transactions.parquet")
    ap.add_argument("--only", action="append")
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args(argv)
    if args.make_cache:
        make_cache(args.demo / "transactions.parquet", args.cache)
    listed = yaml.safe_load((ROOT / "params" / "report.yaml").read_text(encoding="utf-8"))["notebooks"]
    names = args.only or [e["name"] for e in listed if e.get("default", True)]
    for name in names:
        profile(name, args.cache.resolve(), args.demo.resolve(), args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
