"""Benchmark: always-valid (sequential) analysis of the 1M-member demo campaign (~640,000 members).

Times ``analyze(..., sequential_tuning=N*)`` without and with the covariate against, in the same run, the
fixed-horizon ``analyze`` and the statsmodels references of ``bench_experiments.py`` (scipy ``ttest_ind`` +
statsmodels ``proportions_ztest``; formula OLS with HC1), and checks that the sequential estimates are the
fixed-horizon ones (unadjusted: equal; CUPED with pooled theta vs OLS: within 1% of a standard error) and
its intervals wider. N* = the campaign's two-arm total (each arm with the control).

Run: ``.venv/bin/python benchmarks/bench_sequential.py`` (or ``make bench``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from bench_experiments import load_campaign, timed

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "sequential.md"
REPEAT = 3


def best(fn, repeat: int = REPEAT):
    """The result of the first call and the best wall time of ``repeat`` calls."""
    out, times = None, []
    for i in range(repeat):
        res, t = timed(fn)
        out = res if i == 0 else out
        times.append(t)
    return out, min(times)


def main() -> None:
    import statsmodels.formula.api as smf
    from scipy import stats
    from statsmodels.stats.proportion import proportions_ztest

    from workbench.experiments import analyze

    frame, _ = load_campaign()
    arms = ["blanket_discount", "vip_gift"]
    metrics = {"converted": "binary", "orders": "continuous", "revenue": "continuous"}
    n_star = float(2 * (frame["arm"] == "control").sum())
    load0 = os.getloadavg()[0]
    print(f"experiment: {len(frame):,} members; N* = {n_star:,.0f}; load average {load0:.1f}")
    analyze(frame.head(3000), "arm", "control", metrics, "pre_spend", sequential_tuning=n_star)  # warm-up

    seq, t_seq = best(lambda: analyze(frame, "arm", "control", metrics, sequential_tuning=n_star))
    fixed, t_fixed = best(lambda: analyze(frame, "arm", "control", metrics))

    def reference_tests():
        ctrl = frame[frame["arm"] == "control"]
        for a in arms:
            g = frame[frame["arm"] == a]
            proportions_ztest([g["converted"].sum(), ctrl["converted"].sum()], [len(g), len(ctrl)])
            for m in ("orders", "revenue"):
                stats.ttest_ind(g[m], ctrl[m], equal_var=False)

    _, t_ref = best(reference_tests)
    kw = {"covariate": "pre_spend"}
    seq_adj, t_seq_adj = best(
        lambda: analyze(frame, "arm", "control", metrics, sequential_tuning=n_star, **kw)
    )
    fixed_adj, t_fixed_adj = best(lambda: analyze(frame, "arm", "control", metrics, **kw))

    def reference_ols():
        for a in arms:
            sub = frame[frame["arm"].isin(["control", a])].assign(
                treat=lambda d, a=a: (d["arm"] == a).astype(float)
            )
            for m in metrics:
                smf.ols(f"{m} ~ treat + pre_spend", data=sub).fit(cov_type="HC1")

    _, t_ols = best(reference_ols, 1)
    load1 = os.getloadavg()[0]

    same = np.array_equal(seq["abs_lift"], fixed["abs_lift"])
    wider = bool(
        np.all((seq["abs_ci_high"] - seq["abs_ci_low"]) > (fixed["abs_ci_high"] - fixed["abs_ci_low"]))
    )
    se = (fixed_adj["abs_ci_high"] - fixed_adj["abs_ci_low"]) / (2 * 1.959963984540054)
    gap = float(np.max(np.abs(seq_adj["abs_lift"] - fixed_adj["abs_lift"]) / se))
    ratio = float(
        np.min(
            (seq_adj["abs_ci_high"] - seq_adj["abs_ci_low"])
            / (fixed_adj["abs_ci_high"] - fixed_adj["abs_ci_low"])
        )
    )
    print(f"sequential: {t_seq:.3f} s (fixed {t_fixed:.3f} s, scipy/statsmodels {t_ref:.3f} s)")
    print(
        f"sequential CUPED: {t_seq_adj:.3f} s (fixed OLS-HC1 {t_fixed_adj:.3f} s, statsmodels {t_ols:.3f} s)"
    )
    print(f"unadjusted estimates equal: {same}; intervals wider: {wider}")
    print(f"CUPED vs OLS: estimates within {gap:.1e} SE; always-valid / fixed width >= {ratio:.2f}")

    rows = [
        ("always-valid, 2 arms x 3 metrics (`analyze(sequential_tuning=)`)", t_seq, "fixed-horizon `analyze`", t_fixed),
        ("", None, "scipy `ttest_ind` + statsmodels `proportions_ztest`", t_ref),
        ("always-valid CUPED (`analyze(covariate=, sequential_tuning=)`)", t_seq_adj, "fixed `analyze(covariate=)` (OLS-HC1)", t_fixed_adj),
        ("", None, "statsmodels `smf.ols(...).fit(cov_type='HC1')`", t_ols),
    ]  # fmt: skip
    lines = [
        f"### Always-valid campaign analysis ({len(frame):,} members, 1M-member demo, N* = {n_star:,.0f})",
        "",
        "| step | workbench (s) | reference | reference (s) | workbench / reference |",
        "|---|---:|---|---:|---:|",
    ]
    ours = None
    for name, t, ref, t_r in rows:
        ours = t if t is not None else ours
        lines.append(f"| {name} | {'' if t is None else f'{t:.3f}'} | {ref} | {t_r:.3f} | {ours / t_r:.2f} |")
    lines += [
        "",
        f"Best of {REPEAT} (statsmodels OLS: 1 run). Unadjusted estimates equal to the fixed-horizon ones: "
        f"{'yes' if same else 'no'}; always-valid intervals wider: {'yes' if wider else 'no'}. CUPED (pooled "
        f"theta) vs OLS-HC1: estimates within {gap:.1e} standard errors, intervals {ratio:.2f}x as wide or "
        f"more. Load average {load0:.1f} at the start, {load1:.1f} at the end (2 cores, shared).",
        "",
        "Command: `.venv/bin/python benchmarks/bench_sequential.py`",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
