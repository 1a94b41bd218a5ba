"""Analysis of randomized campaign experiments: each arm against the control.

Statistics are computed from sufficient statistics (``SampleStats``: n, sum, sum of squares), in the
style of GrowthBook's gbstats, so that the same functions serve a 1M-member table, per-segment cells
and thousands of simulated experiments (the fields may be numpy arrays):

* binary metrics: two-proportion z-test. The **p-value uses the pooled** standard error (the usual
  test of H0: p_arm = p_control); the **CI for the difference is unpooled** (Wald);
* continuous metrics: Welch's t-test (unequal variances, Welch-Satterthwaite df) with a t CI;
* relative lift ``mean_arm / mean_control - 1`` with a delta-method normal CI (arms independent);
* regression adjustment (CUPED as OLS) with a pre-period covariate and HC1 robust errors
  (statsmodels), reporting the variance reduction achieved over the unadjusted estimate;
* Holm/BH correction (``adjust_pvalues``); effects by segment live in ``experiment_segments``.

A data problem in one metric (missing column, non-numeric or missing values, a "binary" column that
is not 0/1, too few members) comes back in that metric's ``error`` column while the other metrics
are analysed; bad settings (unknown control arm, metric kind, alpha) raise ``ValueError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from workbench.schema import orders_per_member

MetricKind = Literal["binary", "continuous"]
METRIC_KINDS: tuple[str, ...] = ("binary", "continuous")
# the outcome columns a campaign analysis reads by default, with their kind
DEFAULT_METRICS = {"converted": "binary", "orders": "continuous", "revenue": "continuous"}
CORRECTIONS: tuple[str, ...] = ("holm", "fdr_bh", "none")

RESULT_COLUMNS = [
    "arm",
    "metric",
    "kind",
    "n_arm",
    "n_control",
    "mean_arm",
    "mean_control",
    "abs_lift",
    "abs_ci_low",
    "abs_ci_high",
    "rel_lift",
    "rel_ci_low",
    "rel_ci_high",
    "p_value",
    "p_adjusted",
    "method",
    "error",
]


@dataclass(frozen=True)
class SampleStats:
    """Sufficient statistics of one sample (fields may be arrays: one sample per element)."""

    n: float | np.ndarray
    sum: float | np.ndarray
    sum_sq: float | np.ndarray

    @classmethod
    def from_values(cls, values) -> SampleStats:
        v = np.asarray(values, dtype=float)
        return cls(n=float(v.size), sum=float(v.sum()), sum_sq=float(np.dot(v, v)))

    @property
    def mean(self):
        return np.asarray(self.sum) / np.asarray(self.n)

    @property
    def variance(self):
        """Sample variance (ddof=1), clipped at 0 against rounding."""
        n = np.asarray(self.n, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.maximum((np.asarray(self.sum_sq) - np.asarray(self.sum) ** 2 / n) / (n - 1), 0.0)


@dataclass(frozen=True)
class Effect:
    """An arm-vs-control comparison (fields are floats, or arrays for vectorised input)."""

    mean_arm: float | np.ndarray
    mean_control: float | np.ndarray
    abs_lift: float | np.ndarray
    abs_se: float | np.ndarray
    abs_ci_low: float | np.ndarray
    abs_ci_high: float | np.ndarray
    rel_lift: float | np.ndarray
    rel_ci_low: float | np.ndarray
    rel_ci_high: float | np.ndarray
    p_value: float | np.ndarray
    method: str


def _z(alpha: float) -> float:
    return float(stats.norm.ppf(1.0 - alpha / 2.0))


def _check_alpha(alpha: float, owner: str) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"{owner}: alpha must be in (0, 1), got {alpha!r}")


def relative_lift(mean_arm, var_mean_arm, mean_control, var_mean_control, alpha: float = 0.05, cov=0.0):
    """``mean_arm / mean_control - 1`` with its delta-method CI: (rel, se, low, high).

    ``var_mean_*`` are the variances of the two means, ``cov`` their covariance (0 for independent arms).
    NaN where the control mean is 0.
    """
    ma, mc = np.asarray(mean_arm, float), np.asarray(mean_control, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mc_safe = np.where(mc == 0, np.nan, mc)
        rel = ma / mc_safe - 1.0
        var = var_mean_arm / mc_safe**2 + ma**2 * var_mean_control / mc_safe**4 - 2 * ma * cov / mc_safe**3
        se = np.sqrt(np.maximum(var, 0.0))
    z = _z(alpha)
    return rel, se, rel - z * se, rel + z * se


def two_proportion_test(arm: SampleStats, control: SampleStats, alpha: float = 0.05) -> Effect:
    """Two-proportion z-test: pooled SE for the p-value, unpooled (Wald) SE for the CI."""
    _check_alpha(alpha, "two_proportion_test")
    n1, n0 = np.asarray(arm.n, float), np.asarray(control.n, float)
    p1, p0 = arm.mean, control.mean
    diff = p1 - p0
    v1, v0 = p1 * (1 - p1) / n1, p0 * (1 - p0) / n0
    se = np.sqrt(v1 + v0)
    pooled = (np.asarray(arm.sum) + np.asarray(control.sum)) / (n1 + n0)
    se_pooled = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.norm.sf(np.abs(diff / se_pooled))
    p = np.where(se_pooled > 0, p, np.nan)
    z = _z(alpha)
    rel, _, rlo, rhi = relative_lift(p1, v1, p0, v0, alpha)
    return Effect(
        p1,
        p0,
        diff,
        se,
        diff - z * se,
        diff + z * se,
        rel,
        rlo,
        rhi,
        _scalar(p),
        "z-test (pooled p, unpooled CI)",
    )


def welch_test(arm: SampleStats, control: SampleStats, alpha: float = 0.05) -> Effect:
    """Welch's unequal-variance t-test with a t CI for the difference of means."""
    _check_alpha(alpha, "welch_test")
    n1, n0 = np.asarray(arm.n, float), np.asarray(control.n, float)
    m1, m0 = arm.mean, control.mean
    v1, v0 = arm.variance / n1, control.variance / n0
    se = np.sqrt(v1 + v0)
    diff = m1 - m0
    with np.errstate(divide="ignore", invalid="ignore"):
        df = (v1 + v0) ** 2 / (v1**2 / (n1 - 1) + v0**2 / (n0 - 1))
        tstat = diff / se
    p = np.where(se > 0, 2 * stats.t.sf(np.abs(tstat), df), np.nan)
    q = stats.t.ppf(1 - alpha / 2, np.where(se > 0, df, 1.0))
    rel, _, rlo, rhi = relative_lift(m1, v1, m0, v0, alpha)
    return Effect(m1, m0, diff, se, diff - q * se, diff + q * se, rel, rlo, rhi, _scalar(p), "welch t-test")


def _scalar(x):
    return float(x) if np.ndim(x) == 0 else x


def srm_check(counts: Sequence[float], expected_shares: Sequence[float]) -> float:
    """Sample-ratio-mismatch check: chi-square goodness-of-fit p-value of the arm counts.

    A small p-value (conventionally < 0.001) means the split differs from the design: the randomisation
    or the data pipeline is broken, and effects should not be trusted until that is explained.
    """
    obs = np.asarray(counts, dtype=float)
    shares = np.asarray(expected_shares, dtype=float)
    if obs.ndim != 1 or obs.shape != shares.shape or obs.size < 2:
        raise ValueError(
            f"srm_check: counts and expected_shares must be 1-d of the same length >= 2, got {obs.shape} and {shares.shape}"
        )
    if np.any(shares <= 0) or np.any(~np.isfinite(shares)):
        raise ValueError(f"srm_check: expected_shares must be positive, got {list(shares)}")
    if np.any(obs < 0) or obs.sum() <= 0:
        raise ValueError(f"srm_check: counts must be non-negative with a positive total, got {list(obs)}")
    expected = shares / shares.sum() * obs.sum()
    return float(stats.chisquare(obs, expected).pvalue)


def adjust_pvalues(p_values, method: str = "holm") -> np.ndarray:
    """Holm (family-wise) or Benjamini-Hochberg (``fdr_bh``) adjusted p-values; NaNs are left out."""
    if method not in CORRECTIONS:
        raise ValueError(f"adjust_pvalues: method must be one of {CORRECTIONS}, got {method!r}")
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if method == "none" or not ok.any():
        out[ok] = p[ok]
        return out
    from statsmodels.stats.multitest import multipletests

    out[ok] = multipletests(p[ok], method=method)[1]
    return out


# ----------------------------------------------------------------------------------------------
# frames -> sufficient statistics


def arm_codes(frame: pd.DataFrame, arm: str, control: str) -> tuple[np.ndarray, list[str]]:
    """Integer code per row (0 = control, 1.. = treatment arms in category/sorted order), arm names."""
    if arm not in frame.columns:
        raise ValueError(f"experiments: arm column {arm!r} not in the frame (columns: {list(frame.columns)})")
    col = frame[arm]
    if col.isna().any():
        rows = np.flatnonzero(col.isna().to_numpy())[:5].tolist()
        raise ValueError(f"experiments: arm column {arm!r} has missing values (rows {rows})")
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = [str(c) for c in col.cat.categories]
        raw = col.cat.codes.to_numpy()
        used = np.bincount(raw, minlength=len(cats)) > 0
        names = [c for c, u in zip(cats, used, strict=True) if u]
    else:
        cat = pd.Categorical(col.astype(str))
        cats, raw = [str(c) for c in cat.categories], cat.codes
        names = sorted(cats)
    if control not in names:
        raise ValueError(f"experiments: control arm {control!r} not among the arms {names}")
    ordered = [control] + [a for a in names if a != control]
    if len(ordered) < 2:
        raise ValueError(f"experiments: need at least one arm besides the control {control!r}")
    lookup = np.full(len(cats), -1, dtype=np.int64)
    for i, name in enumerate(ordered):
        lookup[cats.index(name)] = i
    codes = lookup[raw]
    return codes, ordered


def _metric_values(frame: pd.DataFrame, column: str, kind: str) -> tuple[np.ndarray | None, str | None]:
    """The metric as float array, or (None, error message) for a data problem."""
    if column not in frame.columns:
        return None, f"missing_column: {column!r} not in the frame"
    col = frame[column]
    if col.dtype == bool:
        col = col.astype(int)
    if not pd.api.types.is_numeric_dtype(col):
        return None, f"not_numeric: column {column!r} has dtype {col.dtype}"
    v = col.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(v)
    if bad.any():
        return (
            None,
            f"missing_values: {int(bad.sum())} row(s) without a value, e.g. rows {np.flatnonzero(bad)[:5].tolist()}",
        )
    if kind == "binary" and not np.isin(v, (0.0, 1.0)).all():
        rows = np.flatnonzero(~np.isin(v, (0.0, 1.0)))
        return (
            None,
            f"not_binary: {len(rows)} value(s) not 0/1, e.g. rows {rows[:5].tolist()}: {v[rows[:3]].tolist()}",
        )
    return v, None


def grouped_stats(values: np.ndarray, codes: np.ndarray, k: int) -> SampleStats:
    """Per-group sufficient statistics (arrays of length ``k``) of ``values`` by integer ``codes``."""
    return SampleStats(
        n=np.bincount(codes, minlength=k).astype(float),
        sum=np.bincount(codes, weights=values, minlength=k),
        sum_sq=np.bincount(codes, weights=values * values, minlength=k),
    )


def _take(s: SampleStats, i) -> SampleStats:
    return SampleStats(np.asarray(s.n)[i], np.asarray(s.sum)[i], np.asarray(s.sum_sq)[i])


def _check_metrics(metrics: Mapping[str, str], owner: str) -> None:
    if not isinstance(metrics, Mapping) or not metrics:
        raise ValueError(f"{owner}: metrics must be a non-empty mapping column -> kind, got {metrics!r}")
    for col, kind in metrics.items():
        if kind not in METRIC_KINDS:
            raise ValueError(f"{owner}: metric {col!r} has kind {kind!r}; allowed: {METRIC_KINDS}")


def analyze(
    frame: pd.DataFrame,
    arm: str,
    control: str,
    metrics: Mapping[str, MetricKind],
    covariate: str | None = None,
    *,
    alpha: float = 0.05,
    correction: str = "holm",
) -> pd.DataFrame:
    """Every treatment arm against ``control`` on every metric: one row per (arm, metric).

    Columns: ``RESULT_COLUMNS`` (``p_adjusted``: ``correction`` across all arms x metrics). Without a
    covariate: z-test (binary) / Welch (continuous). With ``covariate`` (a pre-period column), the effect
    columns are regression-adjusted (OLS ``y ~ arm + covariate``, HC1; see ``regression_adjusted``) and
    the unadjusted lift, CI and p-value are kept in ``unadjusted_*`` columns with ``variance_reduction``.
    """
    _check_alpha(alpha, "analyze")
    _check_metrics(metrics, "analyze")
    if correction not in CORRECTIONS:
        raise ValueError(f"analyze: correction must be one of {CORRECTIONS}, got {correction!r}")
    codes, names = arm_codes(frame, arm, control)
    x = _covariate(frame, covariate) if covariate is not None else None
    k = len(names)
    rows = []
    for metric, kind in metrics.items():
        values, error = _metric_values(frame, metric, kind)
        counts = np.bincount(codes, minlength=k)
        if error is None and counts.min() < 2:
            error = f"too_few_members: arms {names} have {counts.tolist()} members"
        if error is not None:
            rows += [
                {
                    "arm": a,
                    "metric": metric,
                    "kind": kind,
                    "n_arm": int(counts[i]),
                    "n_control": int(counts[0]),
                    "error": error,
                }
                for i, a in enumerate(names[1:], start=1)
            ]
            continue
        g = grouped_stats(values, codes, k)
        test = two_proportion_test if kind == "binary" else welch_test
        eff = test(_take(g, np.arange(1, k)), _take(g, np.zeros(k - 1, dtype=int)), alpha)
        for j, a in enumerate(names[1:]):
            row = {
                "arm": a,
                "metric": metric,
                "kind": kind,
                "n_arm": int(g.n[j + 1]),
                "n_control": int(g.n[0]),
            }
            for f in (
                "mean_arm",
                "mean_control",
                "abs_lift",
                "abs_ci_low",
                "abs_ci_high",
                "rel_lift",
                "rel_ci_low",
                "rel_ci_high",
                "p_value",
            ):
                row[f] = (
                    float(np.asarray(getattr(eff, f))[j])
                    if np.ndim(getattr(eff, f))
                    else float(getattr(eff, f))
                )
            row["method"] = eff.method
            row["error"] = (
                None if np.isfinite(row["p_value"]) else "zero_variance: no variation in either arm"
            )
            if covariate is not None:
                row.update(_adjusted_row(x, covariate, values, codes, j + 1, row, alpha))
            rows.append(row)
    out = pd.DataFrame(rows)
    for c in RESULT_COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    out["p_adjusted"] = adjust_pvalues(out["p_value"].to_numpy(dtype=float), correction)
    extra = [c for c in out.columns if c not in RESULT_COLUMNS]
    return out[RESULT_COLUMNS + extra].astype({"n_arm": "int64", "n_control": "int64"})


def _covariate(frame: pd.DataFrame, covariate: str) -> np.ndarray:
    if covariate not in frame.columns:
        raise ValueError(
            f"analyze: covariate {covariate!r} not in the frame (columns: {list(frame.columns)})"
        )
    x = pd.to_numeric(frame[covariate], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(x)
    if bad.any():
        raise ValueError(
            f"analyze: covariate {covariate!r} has {int(bad.sum())} missing/non-numeric value(s), e.g. rows {np.flatnonzero(bad)[:5].tolist()}"
        )
    return x


def _adjusted_row(x, covariate, values, codes, arm_code, row, alpha) -> dict:
    sel = (codes == 0) | (codes == arm_code)
    adj = regression_adjusted(values[sel], (codes[sel] == arm_code).astype(float), x[sel], alpha=alpha)
    return {
        "unadjusted_lift": row["abs_lift"],
        "unadjusted_ci_low": row["abs_ci_low"],
        "unadjusted_ci_high": row["abs_ci_high"],
        "unadjusted_p_value": row["p_value"],
        "abs_lift": adj["abs_lift"],
        "abs_ci_low": adj["abs_ci_low"],
        "abs_ci_high": adj["abs_ci_high"],
        "rel_lift": adj["rel_lift"],
        "rel_ci_low": adj["rel_ci_low"],
        "rel_ci_high": adj["rel_ci_high"],
        "p_value": adj["p_value"],
        "variance_reduction": adj["variance_reduction"],
        "method": f"OLS HC1 adjusted for {covariate}",
    }


def regression_adjusted(y: np.ndarray, treated: np.ndarray, x: np.ndarray, *, alpha: float = 0.05) -> dict:
    """CUPED as OLS: ``y ~ control + treated + (x - mean x)`` (no intercept), HC1 robust covariance.

    The two arm coefficients are the covariate-adjusted means, so the treatment effect is their
    difference (identical to the coefficient of ``treated`` in ``y ~ 1 + treated + x``) and the relative
    lift uses the full covariance in the delta method. ``variance_reduction`` = 1 - Var(adjusted effect) /
    Var(unadjusted Welch effect).
    """
    from statsmodels.regression.linear_model import OLS

    y = np.asarray(y, float)
    t = np.asarray(treated, float)
    xc = np.asarray(x, float) - np.mean(x)
    design = np.column_stack([1.0 - t, t, xc])
    fit = OLS(y, design, missing="none", hasconst=True).fit(cov_type="HC1")
    b, v = fit.params, fit.cov_params()
    diff = b[1] - b[0]
    se = float(np.sqrt(v[0, 0] + v[1, 1] - 2 * v[0, 1]))
    z = _z(alpha)
    rel, _, rlo, rhi = relative_lift(b[1], v[1, 1], b[0], v[0, 0], alpha, cov=v[0, 1])
    unadj = welch_test(SampleStats.from_values(y[t == 1]), SampleStats.from_values(y[t == 0]), alpha)
    return {
        "abs_lift": float(diff),
        "abs_se": se,
        "abs_ci_low": float(diff - z * se),
        "abs_ci_high": float(diff + z * se),
        "rel_lift": float(rel),
        "rel_ci_low": float(rlo),
        "rel_ci_high": float(rhi),
        "p_value": float(2 * stats.norm.sf(abs(diff / se))) if se > 0 else np.nan,
        "slope": float(b[2]),
        "variance_reduction": float(1.0 - se**2 / unadj.abs_se**2) if unadj.abs_se > 0 else np.nan,
    }


# ----------------------------------------------------------------------------------------------
# outcomes from the transaction log


def campaign_outcomes(transactions: pd.DataFrame, assignments: pd.DataFrame, start, end) -> pd.DataFrame:
    """Per-member outcomes over the window ``[start, end]`` (dates inclusive) from the transaction log.

    Purchase rows only (``amount >= 0`` and not a return; return rows are excluded): ``orders`` = orders
    placed (distinct ``order_id`` when present, else rows), ``converted`` = orders > 0, ``revenue`` = sum
    of ``amount``. Every member of ``assignments`` (which must have ``member_id``) gets a row, 0 when
    they bought nothing; returns ``assignments`` with these three columns (replacing any of that name).
    """
    for name, cols in (
        ("transactions", ("member_id", "ordered_at", "amount")),
        ("assignments", ("member_id",)),
    ):
        frame = transactions if name == "transactions" else assignments
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"campaign_outcomes: {name} is missing column(s) {missing}")
    lo = pd.Timestamp(start).normalize()
    hi = pd.Timestamp(end).normalize() + pd.Timedelta(days=1)
    if hi <= lo:
        raise ValueError(f"campaign_outcomes: end {end!r} is before start {start!r}")
    when = transactions["ordered_at"]
    amount = transactions["amount"].to_numpy(dtype=float)
    keep = (when >= lo).to_numpy() & (when < hi).to_numpy() & (amount >= 0) & ~np.signbit(amount)
    if "is_return" in transactions.columns:
        keep &= ~transactions["is_return"].to_numpy(dtype=bool)
    win = transactions.loc[keep]
    grouped = win.groupby("member_id", sort=False, observed=True)
    orders = orders_per_member(win)
    revenue = grouped["amount"].sum()
    ids = assignments["member_id"].astype(str)
    out = assignments.drop(
        columns=[c for c in ("orders", "converted", "revenue") if c in assignments.columns]
    ).copy()
    out["orders"] = ids.map(orders).fillna(0).astype("int64").to_numpy()
    out["converted"] = (out["orders"] > 0).astype("int64")
    out["revenue"] = ids.map(revenue).fillna(0.0).astype(float).to_numpy()
    return out
