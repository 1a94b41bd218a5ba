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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from workbench.errors import ArgumentError

MetricKind = Literal["binary", "continuous"]
METRIC_KINDS: tuple[str, ...] = ("binary", "continuous")
CORRECTIONS: tuple[str, ...] = ("holm", "fdr_bh", "none")


@dataclass(frozen=True)
class SampleStats:
    """Sufficient statistics of one sample (fields may be arrays: one sample per element)."""

    n: float | np.ndarray
    sum: float | np.ndarray
    sum_sq: float | np.ndarray

    @classmethod
    def from_values(cls, values) -> SampleStats:
        """The sufficient statistics (n, sum, sum of squares) of a sample."""
        v = np.asarray(values, dtype=float)
        return cls(n=float(v.size), sum=float(v.sum()), sum_sq=float(np.dot(v, v)))

    @property
    def mean(self):
        """The sample mean (an array when the fields are)."""
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

    def row(self, i: int | None = None) -> dict[str, float]:
        """The ``EFFECT_FIELDS`` as floats (element ``i`` of vectorised fields)."""
        return {
            f: float(
                np.asarray(getattr(self, f))[i]
                if i is not None and np.ndim(getattr(self, f))
                else getattr(self, f)
            )
            for f in EFFECT_FIELDS
        }


#: The fields of an ``Effect`` that a result row shows (``analyze``, ``segment_effects``).
EFFECT_FIELDS: tuple[str, ...] = (
    "mean_arm",
    "mean_control",
    "abs_lift",
    "abs_ci_low",
    "abs_ci_high",
    "rel_lift",
    "rel_ci_low",
    "rel_ci_high",
    "p_value",
)


def z_value(alpha: float) -> float:
    """The two-sided normal quantile for ``alpha`` (1.96 for 0.05)."""
    return float(stats.norm.ppf(1.0 - alpha / 2.0))


def check_alpha(alpha: float, owner: str) -> None:
    """Raise ``ArgumentError`` naming ``owner`` unless 0 < alpha < 1."""
    if not 0.0 < alpha < 1.0:
        raise ArgumentError(f"{owner}: alpha must be in (0, 1), got {alpha!r}")


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
    z = z_value(alpha)
    return rel, se, rel - z * se, rel + z * se


def two_proportion_test(arm: SampleStats, control: SampleStats, alpha: float = 0.05) -> Effect:
    """Two-proportion z-test: pooled SE for the p-value, unpooled (Wald) SE for the CI."""
    check_alpha(alpha, "two_proportion_test")
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
    z = z_value(alpha)
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
    check_alpha(alpha, "welch_test")
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
        raise ArgumentError(
            f"srm_check: counts and expected_shares must be 1-d of the same length >= 2, got {obs.shape} and {shares.shape}"
        )
    if np.any(shares <= 0) or np.any(~np.isfinite(shares)):
        raise ArgumentError(f"srm_check: expected_shares must be positive, got {list(shares)}")
    if np.any(obs < 0) or obs.sum() <= 0:
        raise ArgumentError(f"srm_check: counts must be non-negative with a positive total, got {list(obs)}")
    expected = shares / shares.sum() * obs.sum()
    return float(stats.chisquare(obs, expected).pvalue)


def adjust_pvalues(p_values, method: str = "holm") -> np.ndarray:
    """Holm (family-wise) or Benjamini-Hochberg (``fdr_bh``) adjusted p-values; NaNs are left out."""
    if method not in CORRECTIONS:
        raise ArgumentError(f"adjust_pvalues: method must be one of {CORRECTIONS}, got {method!r}")
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


# ----------------------------------------------------------------------------------------------
# outcomes from the transaction log
