"""Each arm of a campaign against the control.

``analyze`` (z-test, Welch, relative lift, CUPED/OLS, or the always-valid confidence sequence of a running
campaign), one tidy row per arm and metric, and the helpers that turn a campaign table into per-arm sufficient
statistics.

A data problem in one metric comes back in that metric's ``error`` column while the others are analysed;
bad arguments raise ``ArgumentError``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import ArgumentError
from workbench.experiments.sequential import (
    CovariateStats,
    check_sequential_tuning,
    cuped_sequential_test,
    sequential_test,
)
from workbench.experiments.stats import (
    CORRECTIONS,
    EFFECT_FIELDS,
    METRIC_KINDS,
    MetricKind,
    SampleStats,
    adjust_pvalues,
    check_alpha,
    relative_lift,
    two_proportion_test,
    welch_test,
    z_value,
)

# the outcome columns a campaign analysis reads by default, with their kind
DEFAULT_METRICS = {"converted": "binary", "orders": "continuous", "revenue": "continuous"}


RESULT_COLUMNS = [
    "arm",
    "metric",
    "kind",
    "n_arm",
    "n_control",
    *EFFECT_FIELDS,
    "p_adjusted",
    "method",
    "error",
]


def arm_codes(frame: pd.DataFrame, arm: str, control: str) -> tuple[np.ndarray, list[str]]:
    """Integer code per row (0 = control, 1.. = treatment arms in category/sorted order), arm names."""
    if arm not in frame.columns:
        raise ArgumentError(
            f"experiments: arm column {arm!r} not in the frame (columns: {list(frame.columns)})"
        )
    col = frame[arm]
    if col.isna().any():
        rows = np.flatnonzero(col.isna().to_numpy())[:5].tolist()
        raise ArgumentError(f"experiments: arm column {arm!r} has missing values (rows {rows})")
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
        raise ArgumentError(f"experiments: control arm {control!r} not among the arms {names}")
    ordered = [control] + [a for a in names if a != control]
    if len(ordered) < 2:
        raise ArgumentError(f"experiments: need at least one arm besides the control {control!r}")
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
        raise ArgumentError(f"{owner}: metrics must be a non-empty mapping column -> kind, got {metrics!r}")
    for col, kind in metrics.items():
        if kind not in METRIC_KINDS:
            raise ArgumentError(f"{owner}: metric {col!r} has kind {kind!r}; allowed: {METRIC_KINDS}")


def analyze(
    frame: pd.DataFrame,
    arm: str,
    control: str,
    metrics: Mapping[str, MetricKind],
    covariate: str | None = None,
    *,
    alpha: float = 0.05,
    correction: str = "holm",
    sequential_tuning: float | None = None,
) -> pd.DataFrame:
    """Every treatment arm against ``control`` on every metric: one row per (arm, metric).

    Parameters
    ----------
    frame : DataFrame
        One row per member: the arm, the metric columns and, with ``covariate``, the pre-period column.
    arm, control : str
        The arm column and the name of the control arm in it.
    metrics : Mapping
        Metric column -> ``"binary"`` (0/1) or ``"continuous"``.
    covariate : str, optional
        A pre-period column: the effects are covariate-adjusted and the unadjusted lift, CI and p-value
        are kept in ``unadjusted_*`` columns with ``variance_reduction``.
    alpha : float
        1 - the confidence (simultaneous over all looks with ``sequential_tuning``).
    correction : {"holm", "fdr_bh", "none"}
        Adjustment of the p-values across all arms x metrics (``p_adjusted``).
    sequential_tuning : float, optional
        ``None`` (the default): fixed-horizon results, the analysis of a campaign that has ended. A number
        ``N*`` (the planned total of the two arms compared, e.g. ``DEFAULT_SEQUENTIAL_TUNING``): the
        absolute and relative intervals and the p-values are the always-valid ones of the asymptotic
        confidence sequence (``workbench.experiments.sequential``), valid at every look of a running
        campaign; two more columns: ``rel_p_value`` (dual to the relative interval) and
        ``sequential_tuning``.

    Returns
    -------
    DataFrame
        ``RESULT_COLUMNS`` (plus the extra columns above); ``method`` says which test was used. Fixed
        horizon: z-test (binary) / Welch (continuous), with ``covariate`` OLS ``y ~ arm + covariate`` with
        HC1 errors (see ``regression_adjusted``). Sequential: the same estimates for proportions and means,
        CUPED with ``theta`` pooled over the two arms for ``covariate`` (``cuped_sequential_test``).
    """
    check_alpha(alpha, "analyze")
    tuning = None if sequential_tuning is None else check_sequential_tuning(sequential_tuning, "analyze")
    _check_metrics(metrics, "analyze")
    if correction not in CORRECTIONS:
        raise ArgumentError(f"analyze: correction must be one of {CORRECTIONS}, got {correction!r}")
    codes, names = arm_codes(frame, arm, control)
    x = numeric_column(frame, covariate, "analyze") if covariate is not None else None
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
        arms, ctrl = np.arange(1, k), np.zeros(k - 1, dtype=int)
        if tuning is None:
            test = two_proportion_test if kind == "binary" else welch_test
            eff = test(_take(g, arms), _take(g, ctrl), alpha)
        else:
            eff = sequential_test(_take(g, arms), _take(g, ctrl), kind, sequential_tuning=tuning, alpha=alpha)
            if covariate is not None:
                cs = CovariateStats(g, grouped_stats(x, codes, k), np.bincount(codes, values * x, k))
                cuped = cuped_sequential_test(
                    _take_covariate(cs, arms),
                    _take_covariate(cs, ctrl),
                    kind,
                    sequential_tuning=tuning,
                    alpha=alpha,
                )
        for j, a in enumerate(names[1:]):
            row = {
                "arm": a,
                "metric": metric,
                "kind": kind,
                "n_arm": int(g.n[j + 1]),
                "n_control": int(g.n[0]),
            }
            row.update(eff.row(j))
            row["method"] = eff.method
            row["error"] = (
                None if np.isfinite(row["p_value"]) else "zero_variance: no variation in either arm"
            )
            if tuning is not None:
                row["rel_p_value"] = float(eff.rel_p_value[j])
                row["sequential_tuning"] = tuning
            if covariate is not None and tuning is None:
                row.update(_adjusted_row(x, covariate, values, codes, j + 1, row, alpha))
            elif covariate is not None:
                row.update(_cuped_row(cuped, j, covariate, row))
            rows.append(row)
    out = pd.DataFrame(rows)
    for c in RESULT_COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    out["p_adjusted"] = adjust_pvalues(out["p_value"].to_numpy(dtype=float), correction)
    extra = [c for c in out.columns if c not in RESULT_COLUMNS]
    return out[RESULT_COLUMNS + extra].astype({"n_arm": "int64", "n_control": "int64"})


def numeric_column(frame: pd.DataFrame, name: str | None, owner: str) -> np.ndarray:
    """Column ``name`` of ``frame`` as finite floats (zeros when ``name`` is None); ``ArgumentError`` naming ``owner``, the column and the first bad rows otherwise."""
    if name is None:
        return np.zeros(len(frame))
    if name not in frame.columns:
        raise ArgumentError(f"{owner}: column {name!r} not in the frame (columns: {list(frame.columns)})")
    v = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v)
    if bad.any():
        raise ArgumentError(
            f"{owner}: column {name!r} has {int(bad.sum())} missing/non-numeric value(s), e.g. rows {np.flatnonzero(bad)[:5].tolist()}"
        )
    return v


def _take_covariate(s: CovariateStats, i) -> CovariateStats:
    return CovariateStats(_take(s.outcome, i), _take(s.covariate, i), np.asarray(s.cross)[i])


def _cuped_row(eff, j: int, covariate: str, row: dict) -> dict:
    """The covariate-adjusted always-valid columns of arm ``j`` (the unadjusted ones kept aside)."""
    fields = (*EFFECT_FIELDS[2:], "rel_p_value", "variance_reduction")  # all but the (unadjusted) means
    return {
        "unadjusted_lift": row["abs_lift"],
        "unadjusted_ci_low": row["abs_ci_low"],
        "unadjusted_ci_high": row["abs_ci_high"],
        "unadjusted_p_value": row["p_value"],
        **{f: float(np.asarray(getattr(eff, f))[j]) for f in fields},
        "method": f"{eff.method} on {covariate}",
    }


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
    Var(unadjusted Welch effect). Solved in closed form (the 3 x 3 normal equations and the HC1 sandwich
    from a few passes over the members; statsmodels' ``OLS(...).fit(cov_type="HC1")`` gives the same
    numbers to rounding, tested).
    """
    y = np.asarray(y, float)
    t = np.asarray(treated, float)
    x = np.asarray(x, float)
    xc = x - np.mean(x) if np.ptp(x) > 0 else np.zeros_like(x)  # a constant: nothing (not rounding) to fit
    b, v = _ols_hc1(np.column_stack([1.0 - t, t, xc]), y)
    diff = b[1] - b[0]
    se = float(np.sqrt(v[0, 0] + v[1, 1] - 2 * v[0, 1]))
    z = z_value(alpha)
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


def _ols_hc1(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and their HC1 covariance, ``n / (n - rank) (X'X)^-1 X' diag(e^2) X (X'X)^-1``.

    The columns are scaled to unit norm first (the normal equations' conditioning is then that of the
    correlations, not of the units); a singular ``X'X`` (e.g. a constant covariate) is solved with the
    pseudo-inverse, as statsmodels does.
    """
    n = len(design)
    norm = np.sqrt(np.einsum("ij,ij->j", design, design))
    norm[norm == 0] = 1.0
    unit = design / norm
    xtx = unit.T @ unit
    k = np.linalg.matrix_rank(xtx)  # the residual degrees of freedom are n - rank, as statsmodels'
    xtx_inv = np.linalg.pinv(xtx)
    b = xtx_inv @ (unit.T @ y)
    scaled = unit * (y - unit @ b)[:, None]
    v = xtx_inv @ (scaled.T @ scaled) @ xtx_inv * (n / (n - k))
    return b / norm, v / np.outer(norm, norm)
