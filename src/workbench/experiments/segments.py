"""Effects by segment (tier, RFM or CLV decile) with an interaction test and multiple-comparison correction."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import ArgumentError
from workbench.experiments.analysis import _check_metrics, _metric_values, _take, arm_codes, grouped_stats
from workbench.experiments.stats import (
    MetricKind,
    SampleStats,
    adjust_pvalues,
    check_alpha,
    two_proportion_test,
    welch_test,
)


def segment_effects(
    frame: pd.DataFrame,
    arm: str,
    control: str,
    metrics: Mapping[str, MetricKind],
    segment: str,
    *,
    alpha: float = 0.05,
    correction: str = "holm",
) -> pd.DataFrame:
    """Effects of every arm on every metric within each level of ``segment``.

    One row per (arm, metric, segment) with the ``analyze`` columns plus ``segment``,
    ``interaction_p`` (per arm and metric: Wald test that the effect is the same in every segment; it
    equals the joint test of the arm x segment interaction terms in the saturated OLS model
    ``y ~ C(segment) * arm`` with HC1 errors) and ``p_adjusted`` (``correction`` across all rows).
    Cells with fewer than 2 members or no variation are left out of the interaction test.
    """
    check_alpha(alpha, "segment_effects")
    _check_metrics(metrics, "segment_effects")
    if segment not in frame.columns:
        raise ArgumentError(f"segment_effects: segment column {segment!r} not in the frame")
    codes, names = arm_codes(frame, arm, control)
    seg = pd.Categorical(frame[segment])
    if (seg.codes < 0).any():
        raise ArgumentError(f"segment_effects: segment column {segment!r} has missing values")
    levels = [str(c) for c in seg.categories]
    s_codes = seg.codes.astype(np.int64)
    n_seg, k = len(levels), len(names)
    rows = []
    for metric, kind in metrics.items():
        values, error = _metric_values(frame, metric, kind)
        if error is not None:
            rows += [{"arm": a, "metric": metric, "segment": None, "error": error} for a in names[1:]]
            continue
        g = grouped_stats(values, codes * n_seg + s_codes, k * n_seg)
        ctrl = _take(g, np.arange(n_seg))
        test = two_proportion_test if kind == "binary" else welch_test
        for j, a in enumerate(names[1:], start=1):
            trt = _take(g, np.arange(j * n_seg, (j + 1) * n_seg))
            with np.errstate(divide="ignore", invalid="ignore"):
                eff = test(trt, ctrl, alpha)
            inter = _interaction_p(trt, ctrl)
            for s, level in enumerate(levels):
                rows.append(
                    {
                        "arm": a,
                        "metric": metric,
                        "segment": level,
                        "n_arm": int(trt.n[s]),
                        "n_control": int(ctrl.n[s]),
                        **eff.row(s),
                        "interaction_p": inter,
                        "method": eff.method,
                        "error": None,
                    }
                )
    out = pd.DataFrame(rows)
    out["p_adjusted"] = (
        adjust_pvalues(out["p_value"].to_numpy(dtype=float), correction) if "p_value" in out else np.nan
    )
    out.insert(2, "segment_column", segment)
    return out


def _interaction_p(trt: SampleStats, ctrl: SampleStats) -> float:
    """Heterogeneity Wald test of per-segment effects with HC1 cell variances (see ``segment_effects``)."""
    n1, n0 = np.asarray(trt.n, float), np.asarray(ctrl.n, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        hc0_1 = (np.asarray(trt.sum_sq) - np.asarray(trt.sum) ** 2 / n1) / n1**2
        hc0_0 = (np.asarray(ctrl.sum_sq) - np.asarray(ctrl.sum) ** 2 / n0) / n0**2
    ok = (n1 >= 2) & (n0 >= 2)
    ok &= (hc0_1 > 0) | (hc0_0 > 0)
    if ok.sum() < 2:
        return np.nan
    n_obs = n1[ok].sum() + n0[ok].sum()
    scale = n_obs / (n_obs - 2 * ok.sum())  # HC1: n / (n - parameters) in the saturated model
    var = (np.maximum(hc0_1[ok], 0) + np.maximum(hc0_0[ok], 0)) * scale
    tau = trt.mean[ok] - ctrl.mean[ok]
    w = 1.0 / var
    pooled = np.sum(w * tau) / np.sum(w)
    q = float(np.sum(w * (tau - pooled) ** 2))
    return float(stats.chi2.sf(q, ok.sum() - 1))
