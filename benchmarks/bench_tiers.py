"""Benchmark: the 50 x 50 Silver/Gold threshold sweep on 1,000,000 members, workbench.tiers.sweep (sort
once, searchsorted + cumulative sums) vs a naive per-threshold-pair pandas implementation (pd.cut + groupby
for every pair), same spend vector, same run, results asserted equal. Also times the monthly replay of the
programme over the 1M-member log, the inverse (thresholds for target shares) and the projection draw.

    .venv/bin/python benchmarks/bench_tiers.py            # full run (the naive sweep takes a few minutes)
    .venv/bin/python benchmarks/bench_tiers.py --quick    # 50,000 members, 10 x 10 grid (smoke run)
    .venv/bin/python benchmarks/bench_tiers.py --memory CACHE DEMO_DIR   # the tier notebook's memory

``--memory`` runs notebooks/tier_simulation.ipynb in this process statement by statement (its parameters as
``benchmarks/profile_report.py`` sets them, the log from CACHE, the report's validated copy) and prints each
statement's peak resident set size (the kernel's high-water mark, reset before each statement through
/proc/self/clear_refs: DuckDB's and Arrow's memory included) and the whole run's peak. Linux only.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
RESULTS = HERE / "results" / "tiers.md"
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from workbench.data import generate_demo  # noqa: E402
from workbench.summary import member_summary  # noqa: E402
from workbench.tiers import (  # noqa: E402
    Response,
    TierProgram,
    draw_seeds,
    project_spend,
    replay,
    simulate,
    simulate_projection,
    sweep,
    threshold_grid,
    thresholds_for_shares,
)

AS_OF = "2026-10-31"
PROGRAM = {
    "tiers": [
        {"name": "Member", "upgrade": 0},
        {
            "name": "Silver",
            "upgrade": 10000,
            "renewal": 8000,
            "benefits": {"birthday_voucher": 200, "member_day_multiplier": 2, "discount": 0.03},
        },
        {
            "name": "Gold",
            "upgrade": 30000,
            "renewal": 24000,
            "fast_upgrade": 20000,
            "benefits": {"birthday_voucher": 500, "member_day_multiplier": 3, "gift": 300, "discount": 0.05},
        },
    ],
    "window": "calendar_year",
}


def naive_sweep(spend: pd.Series, program: TierProgram, x, y) -> pd.DataFrame:
    """Reference: for every threshold pair, bin all members with pd.cut and aggregate with groupby."""
    names = program.names
    rows = []
    for xv in x[1]:
        for yv in y[1]:
            row = {"x_threshold": xv, "y_threshold": yv}
            try:
                prog = program.with_thresholds({x[0]: xv, y[0]: yv}, keep_renewal_ratio=False)
            except ValueError:
                row["valid"] = False
                rows.append(row)
                continue
            row["valid"] = True
            tier = pd.cut(spend, [-np.inf, *prog.upgrades[1:], np.inf], right=False, labels=False)
            frame = pd.DataFrame({"tier": tier, "spend": spend, "cost": prog.member_cost(tier, spend)})
            g = frame.groupby("tier").agg(
                members=("spend", "size"), revenue=("spend", "sum"), cost=("cost", "sum")
            )
            g = g.reindex(range(len(names)), fill_value=0)
            for k, name in enumerate(names):
                row[f"members_{name}"] = g.loc[k, "members"]
                row[f"revenue_{name}"] = g.loc[k, "revenue"]
                row[f"cost_{name}"] = g.loc[k, "cost"]
            row["cost"] = g["cost"].sum()
            rows.append(row)
    return pd.DataFrame(rows)


def check_equal(fast: pd.DataFrame, naive: pd.DataFrame, names: list[str]) -> None:
    assert (fast["valid"].to_numpy() == naive["valid"].to_numpy()).all()
    ok = fast["valid"].to_numpy()
    for name in names:
        np.testing.assert_array_equal(fast.loc[ok, f"members_{name}"], naive.loc[ok, f"members_{name}"])
        np.testing.assert_allclose(
            fast.loc[ok, f"revenue_{name}"], naive.loc[ok, f"revenue_{name}"], rtol=1e-9
        )
        np.testing.assert_allclose(fast.loc[ok, f"cost_{name}"], naive.loc[ok, f"cost_{name}"], rtol=1e-9)
    np.testing.assert_allclose(fast.loc[ok, "cost"], naive.loc[ok, "cost"], rtol=1e-9)


def load_log(members: int) -> pd.DataFrame:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"tiers_demo_{members}_transactions.parquet"
    if path.exists():
        return pd.read_parquet(path)
    t0 = time.perf_counter()
    tx = generate_demo(members, seed=42).transactions
    tx.to_parquet(path, index=False)
    print(f"generated demo log: {members:,} members, {len(tx):,} rows in {time.perf_counter() - t0:.1f} s")
    return tx


class Timer:
    """Wall and CPU time of a block (CPU time of this process, all threads: less sensitive to other load)."""

    def __enter__(self):
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def _memory() -> tuple[float, float]:
    """(resident, peak since the last reset) of this process in GiB, from /proc/self/status."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 2**20
    return found["VmRSS"], found["VmHWM"]


def memory_profile(cache: Path, demo: Path) -> float:
    """The tier notebook statement by statement: each one's peak RSS; returns the run's peak (GiB)."""
    import ast
    import contextlib
    import io
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sys.path.insert(0, str(HERE))
    from profile_report import notebook_params

    nb = json.loads((ROOT / "notebooks" / "tier_simulation.ipynb").read_text(encoding="utf-8"))
    params = notebook_params("tier_simulation", cache.resolve(), demo.resolve())
    env: dict = {}
    overall, t_all = 0.0, time.perf_counter()
    os.chdir(ROOT / "notebooks")
    for cell in (c for c in nb["cells"] if c["cell_type"] == "code"):
        source = "".join(cell["source"])
        for node in ast.parse(source).body:
            Path("/proc/self/clear_refs").write_text("5")  # resets the high-water mark
            t0 = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(ast.Module([node], []), "tier_simulation", "exec"), env)
            plt.close("all")
            rss, peak = _memory()
            overall = max(overall, peak)
            if peak - rss > 0.1 or time.perf_counter() - t0 > 0.5:
                line = ast.get_source_segment(source, node).splitlines()[0][:64]
                print(f"{time.perf_counter() - t0:7.1f} s  rss {rss:5.2f}  peak {peak:5.2f} GiB  {line}")
        if "parameters" in cell["metadata"].get("tags", []):
            env.update(params)
    print(
        f"tier_simulation: {time.perf_counter() - t_all:.1f} s, peak {overall:.2f} GiB (load {os.getloadavg()[0]:.1f})"
    )
    return overall


def main(argv: list[str]) -> int:
    if "--memory" in argv:
        at = argv.index("--memory")
        memory_profile(Path(argv[at + 1]), Path(argv[at + 2]))
        return 0
    quick = "--quick" in argv
    load_before = os.getloadavg()[0]
    members, size = (50_000, 10) if quick else (1_000_000, 50)
    tx = load_log(members)
    program = TierProgram.from_dict(PROGRAM)

    t_replay, t_replay_sql = [], []
    for _ in range(2):  # alternating, best of 2
        with Timer() as t:
            history = replay(tx, program, AS_OF)
        t_replay.append(t)
        with Timer() as t:
            history_sql = replay(tx, program, AS_OF, engine="duckdb")
        t_replay_sql.append(t)
    t_replay = min(t_replay, key=lambda t: t.wall)
    t_replay_sql = min(t_replay_sql, key=lambda t: t.wall)
    assert np.array_equal(history.tiers, history_sql.tiers)
    pd.testing.assert_frame_equal(history.events, history_sql.events)
    n_months = len(history.months)
    spend = history.trailing(12)
    print(
        f"replay: {len(spend):,} members x {n_months} months in {t_replay.wall:.2f} s (CPU {t_replay.cpu:.1f} s); "
        f"with the DuckDB aggregation {t_replay_sql.wall:.2f} s; same tiers and events",
        flush=True,
    )

    x = ("Silver", threshold_grid(spend, 0.5, 0.97, size))
    y = ("Gold", threshold_grid(spend, 0.8, 0.995, size))
    shape = f"{len(x[1])} x {len(y[1])}"  # at most size x size: distinct multiples of a 1-2-5 step
    with Timer() as t_fast:
        fast = sweep(spend, program, x=x, y=y)
    print(f"sweep {shape} (workbench): {t_fast.wall:.3f} s (CPU {t_fast.cpu:.3f} s)", flush=True)
    with Timer() as t_naive:
        naive = naive_sweep(spend, program, x, y)
    print(f"sweep {shape} (naive pandas per pair): {t_naive.wall:.1f} s (CPU {t_naive.cpu:.1f} s)")
    check_equal(fast, naive, program.names)
    ratio, cpu_ratio = t_naive.wall / t_fast.wall, t_naive.cpu / t_fast.cpu
    print(
        f"results equal ({int(fast['valid'].sum())} valid pairs); workbench is {ratio:,.0f}x faster "
        f"(CPU time: {cpu_ratio:,.0f}x)"
    )

    summary = member_summary(tx, AS_OF, freq="D")
    current = history.tier_names()
    params = ({"r": 0.75, "alpha": 20.0, "a": 0.8, "b": 6.0}, {"p": 6.0, "q": 4.0, "v": 750.0})
    response = Response(distance=0.1, uplift=0.1)
    draws = 5 if quick else 20
    with Timer() as t_proj:
        proj = simulate_projection(
            summary, *params, program, current=current, response=response, seed=42, draws=draws
        )
    with Timer() as t_proj_ref:  # the composition of the public steps, per draw
        sims = [
            simulate(
                project_spend(summary, *params, seed=s)["spend"].reindex(current.index, fill_value=0.0),
                program,
                current=current,
                response=response,
            )
            for s in draw_seeds(42, draws)
        ]
    np.testing.assert_allclose(
        proj.summary.to_numpy(float), (sum(x.summary for x in sims) / draws).to_numpy(float), rtol=1e-12
    )
    print(
        f"projection, {draws} draws: {t_proj.wall:.1f} s vs {t_proj_ref.wall:.1f} s per-draw simulate",
        flush=True,
    )

    with Timer() as t_inverse:
        thresholds_for_shares(spend, program, {"Gold": 0.05, "Silver": 0.15})
    with Timer() as t_project:
        project_spend(
            summary, {"r": 0.75, "alpha": 20.0, "a": 0.8, "b": 6.0}, {"p": 6.0, "q": 4.0, "v": 750.0}, seed=42
        )
    print(f"thresholds for target shares: {t_inverse.wall:.3f} s; projection draw: {t_project.wall:.2f} s")
    load_after = os.getloadavg()[0]

    if quick:
        return 0
    lines = [
        f"### Tier simulation ({len(spend):,} members, {len(tx):,} rows, {shape} threshold sweep)",
        "",
        "| step | workbench wall (CPU) | reference wall (CPU) | ratio wall (CPU) |",
        "|---|---:|---:|---:|",
        f"| Silver x Gold sweep, {len(fast):,} pairs | {t_fast.wall:.2f} s ({t_fast.cpu:.2f} s) | "
        f"{t_naive.wall:.1f} s ({t_naive.cpu:.1f} s), pandas `pd.cut` + `groupby` per pair | "
        f"{ratio:,.0f}x ({cpu_ratio:,.0f}x) |",
        f"| replay: monthly tiers, {n_months} months | {t_replay.wall:.1f} s ({t_replay.cpu:.1f} s) | "
        f"{t_replay_sql.wall:.1f} s ({t_replay_sql.cpu:.1f} s), the same replay on the DuckDB member-month "
        f"aggregate | {t_replay_sql.wall / t_replay.wall:.1f}x ({t_replay_sql.cpu / t_replay.cpu:.1f}x) |",
        f"| projected year, {draws} draws (`simulate_projection`) | {t_proj.wall:.1f} s ({t_proj.cpu:.1f} s) | "
        f"{t_proj_ref.wall:.1f} s ({t_proj_ref.cpu:.1f} s), `simulate(project_spend(...))` per draw | "
        f"{t_proj_ref.wall / t_proj.wall:.1f}x ({t_proj_ref.cpu / t_proj.cpu:.1f}x) |",
        f"| thresholds for target shares (Gold 5%, Silver 15%) | {t_inverse.wall:.2f} s | – | – |",
        f"| BG/NBD + Gamma-Gamma projection draw | {t_project.wall:.2f} s | – | – |",
        "",
        "Same spend vector (last 12 months, net of returns) and same results (member counts equal, revenue and "
        "cost to 1e-9; replay: the same tiers and events; projection: the same summary) in the same run; replay "
        f"best of 2, alternating; 1-minute load average {load_before:.1f} at the start and "
        f"{load_after:.1f} at the end on {os.cpu_count()} cores (CPU time counts all of this process's threads). "
        "Command: `.venv/bin/python benchmarks/bench_tiers.py`.",
    ]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
