"""Benchmark: the full campaign analysis on a 1M-member demo brand (~640,000 members in the experiment).

Times ``analyze_campaign`` (SRM, z/Welch effects, OLS-HC1 adjusted effects, segment effects with the
interaction test, balance, and the money side with 10,000 Poisson-bootstrap resamples per arm plus the
policy curve) against reference implementations timed in the same run:

* scipy / statsmodels tests per arm and metric (``ttest_ind``, ``proportions_ztest``) vs ``analyze``;
* statsmodels formula OLS with HC1 (``smf.ols(...).fit(cov_type="HC1")``) vs ``analyze(covariate=...)``;
* a plain numpy index bootstrap of the revenue lift (``rng.integers`` + gather + mean per resample),
  timed on 50 resamples and extrapolated to 10,000 (running it in full would take minutes).

Run: ``.venv/bin/python benchmarks/bench_experiments.py`` (or ``make bench``).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
OUT = HERE / "results" / "experiments.md"
MEMBERS = 1_000_000
RESAMPLES = 10_000


def load_campaign() -> tuple[pd.DataFrame, dict]:
    path, truth_path = DATA / "campaign_1m.parquet", DATA / "campaign_1m_truth.json"
    if not path.exists() or not truth_path.exists():
        from workbench.data import generate_demo

        t0 = time.perf_counter()
        demo = generate_demo(MEMBERS, seed=42)
        DATA.mkdir(parents=True, exist_ok=True)
        demo.campaign.to_parquet(path, index=False)
        truth_path.write_text(json.dumps(demo.truth), encoding="utf-8")
        print(f"generated the {MEMBERS:,}-member demo in {time.perf_counter() - t0:.1f} s (cached in {DATA})")
    return pd.read_parquet(path), json.loads(truth_path.read_text(encoding="utf-8"))


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def main() -> None:
    from scipy import stats
    from statsmodels.stats.proportion import proportions_ztest

    from workbench.experiments import CampaignSettings, analyze, analyze_campaign

    frame, truth = load_campaign()
    n = len(frame)
    arms = ["blanket_discount", "vip_gift"]
    metrics = {"converted": "binary", "orders": "continuous", "revenue": "continuous"}
    print(f"experiment: {n:,} members in {frame['arm'].nunique()} arms; {os.cpu_count()} CPU(s)")

    # warm-up: imports (statsmodels, scipy) and first-call costs are not part of any timing below
    import statsmodels.formula.api  # noqa: F401

    analyze_campaign(frame.head(3000), CampaignSettings(resamples=100, policy_resamples=100))

    # 1. the whole analysis
    settings = CampaignSettings(resamples=RESAMPLES)
    load = os.getloadavg()[0]
    cpu0 = time.process_time()
    result, t_full = timed(lambda: analyze_campaign(frame, settings))
    cpu_full = time.process_time() - cpu0
    print(
        f"full analysis incl. {RESAMPLES:,} bootstrap resamples: {t_full:.1f} s wall, {cpu_full:.1f} s CPU "
        f"(target < 30 s; machine load average {load:.1f} on {os.cpu_count()} CPUs)"
    )

    # 2. unadjusted tests vs scipy/statsmodels per arm and metric
    _, t_ours = timed(lambda: analyze(frame, "arm", "control", metrics))

    def reference_tests():
        ctrl = frame[frame["arm"] == "control"]
        for a in arms:
            g = frame[frame["arm"] == a]
            proportions_ztest([g["converted"].sum(), ctrl["converted"].sum()], [len(g), len(ctrl)])
            for m in ("orders", "revenue"):
                stats.ttest_ind(g[m], ctrl[m], equal_var=False)

    _, t_ref = timed(reference_tests)

    # 3. adjusted effects vs statsmodels formula OLS HC1
    _, t_adj = timed(lambda: analyze(frame, "arm", "control", metrics, covariate="pre_spend"))

    def reference_ols():
        import statsmodels.formula.api as smf

        for a in arms:
            sub = frame[frame["arm"].isin(["control", a])].assign(
                treat=lambda d, a=a: (d["arm"] == a).astype(float)
            )
            for m in metrics:
                smf.ols(f"{m} ~ treat + pre_spend", data=sub).fit(cov_type="HC1")

    _, t_ols = timed(reference_ols)

    # 4. naive numpy bootstrap of the revenue lift (one arm vs control), extrapolated
    rng = np.random.default_rng(0)
    y1 = frame.loc[frame["arm"] == "vip_gift", "revenue"].to_numpy()
    y0 = frame.loc[frame["arm"] == "control", "revenue"].to_numpy()
    k = 50

    def naive():
        return [
            y1[rng.integers(0, len(y1), len(y1))].mean() - y0[rng.integers(0, len(y0), len(y0))].mean()
            for _ in range(k)
        ]

    _, t_naive = timed(naive)
    t_naive_full = t_naive / k * RESAMPLES * 2  # 2 treatment arms
    from workbench.experiments import campaign_economics

    _, t_eco = timed(
        lambda: campaign_economics(
            frame, "arm", "control", margin=0.45, policy_by=None, cap_quantile=None, resamples=RESAMPLES
        )
    )

    # truth check on the big experiment
    te = truth["campaign"]["true_effects"]
    covered = [r.abs_ci_low <= te[r.arm][r.metric] <= r.abs_ci_high for r in result.adjusted.itertuples()]
    boot = result.economics.revenue_bootstrap.query("variant == 'uncapped'")
    covered += [r.abs_ci_low <= te[r.arm]["revenue"] <= r.abs_ci_high for r in boot.itertuples()]
    print(f"true effects inside their 95% CIs: {sum(covered)} of {len(covered)}; SRM p = {result.srm_p:.3f}")
    print(f"verdict: {result.economics.verdict.outcome}")

    rows = [
        ("full analysis (`analyze_campaign`, 10,000 resamples)", t_full, None, None),
        (
            "z-test / Welch, 2 arms x 3 metrics (`analyze`)",
            t_ours,
            "scipy `ttest_ind` + statsmodels `proportions_ztest`",
            t_ref,
        ),
        (
            "OLS-HC1 adjusted, 2 arms x 3 metrics (`analyze(covariate=)`)",
            t_adj,
            "statsmodels `smf.ols(...).fit(cov_type='HC1')`",
            t_ols,
        ),
        (
            "revenue bootstrap, 3 arms x 10,000 (`campaign_economics`, no policy curve)",
            t_eco,
            f"numpy index bootstrap, 2 arms + control ({k} resamples timed, x{RESAMPLES // k} extrapolated)",
            t_naive_full,
        ),
    ]
    for name, ours, ref, t in rows:
        extra = f"   reference {t:.2f} s ({ref}), ratio {t / ours:.1f}x" if t else ""
        print(f"{name}: {ours:.2f} s{extra}")

    lines = [
        f"### Campaign experiments ({n:,} members in the experiment, 1M-member demo, {os.cpu_count()} CPUs)",
        "",
        "| step | workbench (s) | reference | reference (s) | speed-up |",
        "|---|---:|---|---:|---:|",
    ]
    for name, ours, ref, t in rows:
        lines.append(
            f"| {name} | {ours:.2f} | {ref or '–'} | {f'{t:.2f}' if t else '–'} | {f'{t / ours:.1f}x' if t else '–'} |"
        )
    lines += [
        "",
        f"True effects inside their 95% CIs: {sum(covered)} of {len(covered)}; SRM p = {result.srm_p:.3f}; "
        f"verdict: {result.economics.verdict.outcome}. Full analysis: {t_full:.1f} s wall, {cpu_full:.1f} s CPU "
        f"(all threads), load average {load:.1f} when it started. Target: < 30 s on 2 cores.",
        "",
        "Command: `.venv/bin/python benchmarks/bench_experiments.py`",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
