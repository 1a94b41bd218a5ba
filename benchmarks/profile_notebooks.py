"""Profile of the CLV and tier notebooks' computation (their first code cells, without plots), cProfile.

Runs the same calls as ``notebooks/clv.ipynb`` and ``notebooks/tier_simulation.ipynb`` with the default
parameters (``params/``) on a demo folder, and prints the wall time of each step and the profile's top
entries by cumulative time. Not part of ``make bench`` (no reference implementation to compare with).

    .venv/bin/python -m workbench.cli demo --members 1000000 --out data/demo1m
    .venv/bin/python benchmarks/profile_notebooks.py data/demo1m [--top 25] [--only clv|tiers]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent


class Steps:
    """Wall time of each named step."""

    def __init__(self):
        self.times: list[tuple[str, float]] = []

    def run(self, name, fn):
        t0 = time.perf_counter()
        out = fn()
        self.times.append((name, time.perf_counter() - t0))
        return out


def _params(name: str) -> dict:
    return yaml.safe_load((ROOT / "params" / f"{name}.yaml").read_text(encoding="utf-8"))


def clv_cell(demo: Path, month: str, steps: Steps) -> None:
    """The computation of notebooks/clv.ipynb (first code cell after the parameters)."""
    from workbench import clv as wc
    from workbench.data import DataParams
    from workbench.summary import calibration_and_holdout, member_summary

    p = _params("clv")
    data = {"transactions": str(demo / "transactions.parquet"), "currency": "TWD", "timezone": "Asia/Taipei"}
    tx = steps.run("load", lambda: DataParams.from_dict(data).load())
    obs_end = pd.Period(month, freq="M").end_time.floor("s")
    cal_end = (pd.Period(month, freq="M") - p["holdout_months"]).end_time.floor("s")
    unit = p["time_unit"]
    summary = steps.run("member_summary", lambda: member_summary(tx, obs_end, freq=unit))
    model = steps.run("fit_clv", lambda: wc.fit_clv(summary, p["purchase_model"], time_unit=unit))
    pred = steps.run(
        "predict",
        lambda: model.predict(
            summary,
            p["horizon_months"],
            discount_rate_monthly=p["discount_rate_monthly"],
            gross_margin=p["gross_margin"],
        ),
    )
    steps.run("clv_deciles", lambda: wc.clv_deciles(pred["clv"]))
    cal_holdout = steps.run(
        "calibration_and_holdout", lambda: calibration_and_holdout(tx, cal_end, obs_end, freq=unit)
    )
    models = list(dict.fromkeys([p["purchase_model"], *p["compare_models"]]))
    _, fitted = steps.run(
        "compare_purchase_models",
        lambda: wc.compare_purchase_models(cal_holdout, models, time_unit=unit),
    )
    chosen = fitted[p["purchase_model"]]
    steps.run("tracking", lambda: wc.tracking(chosen, tx, cal_end, obs_end, freq=unit))
    steps.run("frequency_buckets", lambda: wc.frequency_buckets(wc.holdout_comparison(chosen, cal_holdout)))
    age = float(summary["T"].max())
    steps.run("frequency_recency_matrix", lambda: model.frequency_recency_matrix("prob_alive", T=age))


def tiers_cell(demo: Path, month: str, steps: Steps) -> None:
    """The computation of notebooks/tier_simulation.ipynb (first code cell after the parameters)."""
    from workbench import tiers as ts
    from workbench.clv import fit_clv
    from workbench.data import DataParams
    from workbench.summary import member_summary

    p = _params("tier_simulation")
    data = {"transactions": str(demo / "transactions.parquet"), "currency": "TWD", "timezone": "Asia/Taipei"}
    tx = steps.run("load", lambda: DataParams.from_dict(data).load())
    prog = ts.TierProgram.from_dict(p["program"])
    as_of = pd.Period(month, freq="M").end_time.normalize()
    history = steps.run("replay", lambda: ts.replay(tx, prog, as_of))
    current = history.tier_names()
    last_year = history.trailing(12)
    steps.run("simulate", lambda: ts.simulate(last_year, prog, current=current))
    summary = steps.run("member_summary", lambda: member_summary(tx, as_of, freq="D"))
    fitted = steps.run("fit_clv", lambda: fit_clv(summary, purchase_model="bgnbd"))
    steps.run(
        "simulate_projection",
        lambda: ts.simulate_projection(
            summary,
            fitted.purchase_params,
            fitted.spend_params,
            prog,
            current=current,
            response=ts.Response.from_dict(p["response"]),
            horizon=p["projection_horizon_days"],
            seed=42,
            draws=p["projection_draws"],
        ),
    )
    x_tier, y_tier = prog.names[-2], prog.names[-1]
    size = p["sweep_size"]
    steps.run(
        "sweep",
        lambda: ts.sweep(
            last_year,
            prog,
            x=(x_tier, ts.threshold_grid(last_year, 0.5, 0.97, size)),
            y=(y_tier, ts.threshold_grid(last_year, 0.8, 0.995, size)),
        ),
    )
    steps.run("about_to_upgrade", lambda: ts.about_to_upgrade(history, within=p["about_to_upgrade_within"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("demo", type=Path)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--only", choices=("clv", "tiers"))
    args = parser.parse_args()
    cells = {"clv": clv_cell, "tiers": tiers_cell}
    for name, cell in cells.items():
        if args.only and name != args.only:
            continue
        steps = Steps()
        load0 = os.getloadavg()[0]
        profile = cProfile.Profile()
        t0 = time.perf_counter()
        profile.runcall(cell, args.demo, args.month, steps)
        wall = time.perf_counter() - t0
        print(
            f"== {name}: {wall:.1f} s wall under cProfile (load average {load0:.1f} -> {os.getloadavg()[0]:.1f})"
        )
        for step, seconds in steps.times:
            print(f"   {step:<26} {seconds:7.2f} s")
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
