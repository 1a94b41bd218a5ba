"""Calibration/holdout validation of the CLV purchase models.

Input is ``workbench.summary.calibration_and_holdout`` output (lifetimes' column names). The functions
compare what a model fitted on the calibration period predicts for the holdout period with what members
actually did: per member, in total, by calibration frequency, and week by week as cumulative repeat
purchases of the whole cohort (the "tracking plot"), which we compute ourselves by a convolution of
first-purchase counts with the model's E[X(t)] (lifetimes' ``expected_cumulative_transactions`` loops
over dates and breaks on pandas 3).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.clv.formulas import PURCHASE_MODELS
from workbench.clv.model import CLVModel, fit_clv
from workbench.errors import ArgumentError
from workbench.schema import run_sql
from workbench.summary import (
    BUCKET_ROWS,
    log_relation,
    member_buckets,
    period_sql,
    source_rows,
    timestamp_sql,
)

CAL_COLUMNS = {
    "frequency_cal": "frequency",
    "recency_cal": "recency",
    "T_cal": "T",
    "monetary_value_cal": "monetary_value",
}
#: days per model time unit, to place the tracking grid (days) on the model's clock
DAYS_PER_UNIT = {"D": 1.0, "W": 7.0, "M": 365.25 / 12}


def calibration_summary(cal_holdout: pd.DataFrame) -> pd.DataFrame:
    """The calibration columns of a calibration/holdout frame under the summary names ``fit_clv`` reads."""
    missing = [c for c in CAL_COLUMNS if c not in cal_holdout.columns]
    if missing:
        raise ArgumentError(f"calibration_summary: required column(s) missing: {', '.join(missing)}")
    return cal_holdout[list(CAL_COLUMNS)].rename(columns=CAL_COLUMNS)


def holdout_comparison(model: CLVModel, cal_holdout: pd.DataFrame) -> pd.DataFrame:
    """Per member: calibration frequency, actual and predicted holdout repeat purchases, and the error."""
    for col in ("frequency_holdout", "duration_holdout"):
        if col not in cal_holdout.columns:
            raise ArgumentError(f"holdout_comparison: required column missing: {col}")
    cal = calibration_summary(cal_holdout)
    durations = cal_holdout["duration_holdout"].unique()
    if len(durations) != 1:
        raise ArgumentError(f"holdout_comparison: duration_holdout must be one value, got {len(durations)}")
    predicted = model.expected_purchases(cal, float(durations[0]))
    out = pd.DataFrame(
        {
            "frequency_cal": cal["frequency"],
            "actual": cal_holdout["frequency_holdout"].astype(float),
            "predicted": predicted,
        }
    )
    out["error"] = out["predicted"] - out["actual"]
    return out


def holdout_metrics(comparison: pd.DataFrame) -> dict[str, float]:
    """Members, actual and predicted totals, total error %, MAE, RMSE and the per-member correlation."""
    actual, predicted = comparison["actual"], comparison["predicted"]
    total_a, total_p = float(actual.sum()), float(predicted.sum())
    return {
        "members": int(len(comparison)),
        "actual_total": total_a,
        "predicted_total": total_p,
        "total_error_pct": (total_p - total_a) / total_a if total_a else float("nan"),
        "mae": float((predicted - actual).abs().mean()),
        "rmse": float(np.sqrt(((predicted - actual) ** 2).mean())),
        "correlation": float(np.corrcoef(actual, predicted)[0, 1]) if len(actual) > 1 else float("nan"),
    }


def frequency_buckets(comparison: pd.DataFrame, max_frequency: int = 7) -> pd.DataFrame:
    """Mean actual and predicted holdout purchases by calibration frequency 0, 1, ..., ``max_frequency``+."""
    x = comparison["frequency_cal"].clip(upper=max_frequency).astype(int)
    labels = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    table = (
        comparison.assign(bucket=x)
        .groupby("bucket")
        .agg(members=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean"))
        .reindex(range(max_frequency + 1))
    )
    table.index = pd.Index(labels, name="frequency_cal")
    table["members"] = table["members"].fillna(0).astype(int)
    return table.reset_index()


TRACKING_BUCKET_ROWS = BUCKET_ROWS
"""Rows of the log ``tracking`` counts in one DuckDB pass at most (its member-period table would otherwise
take 1.6 GiB at the 27M rows of the 3M-member demo; in three buckets 0.8)."""


def _daily_counts(transactions, calibration_end, observation_end, freq: str):
    """First-purchase days of the cohort and its repeat purchase occasions per day (DuckDB; a frame or the run's validated Parquet copy).

    A log of more than ``TRACKING_BUCKET_ROWS`` rows is counted in member buckets (``member_buckets``; the
    counts of disjoint members add up), so the member-period hash table of one pass stays small.
    """
    if isinstance(transactions, pd.DataFrame):
        missing = [c for c in ("member_id", "ordered_at", "amount") if c not in transactions.columns]
        if missing:
            raise ArgumentError(
                f"tracking: required column(s) missing from transactions: {', '.join(missing)}"
            )
    source, tables, _ = log_relation(transactions, ["member_id", "ordered_at", "amount"], "tracking")
    period = period_sql("ordered_at", freq)
    obs_period = period_sql(timestamp_sql(observation_end), freq)

    def sql(relation: str) -> str:
        return f"""
    WITH p AS (
        SELECT member_id, {period} AS period, min(CAST(ordered_at AS DATE)) AS day
        FROM {relation} WHERE amount >= 0 AND {period} <= {obs_period}
        GROUP BY member_id, period
    ),
    f AS (SELECT member_id, min(period) AS first_period, min(day) AS first_day FROM p GROUP BY member_id),
    cohort AS (SELECT * FROM f WHERE first_day <= CAST({timestamp_sql(calibration_end)} AS DATE))
    SELECT 'birth' AS kind, first_day AS day, count(*) AS n FROM cohort GROUP BY first_day
    UNION ALL
    SELECT 'repeat', p.day, count(*) FROM p JOIN cohort USING (member_id)
    WHERE p.period > cohort.first_period GROUP BY p.day
    """

    buckets = member_buckets(source, source_rows(transactions), bucket_rows=TRACKING_BUCKET_ROWS)
    parts = [run_sql(sql(bucket), **tables).to_pandas() for bucket in buckets]
    counts = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    if len(parts) > 1:
        counts = counts.groupby(["kind", "day"], as_index=False, sort=False)["n"].sum()
    counts["day"] = pd.to_datetime(counts["day"])
    return counts


def tracking(
    model: CLVModel,
    transactions: pd.DataFrame,
    calibration_end,
    observation_end,
    *,
    freq: str = "D",
    step_days: int = 7,
    days_per_unit: float | None = None,
) -> pd.DataFrame:
    """Cumulative repeat purchases of the calibration cohort, actual vs the model, every ``step_days``.

    The cohort is the members whose first purchase is on or before ``calibration_end``; a repeat purchase
    is a purchase period (``freq``, as in the summary the model was fitted on) after the member's first.
    The expected count at day d is the sum over members of E[X(d - first day)] (in model time units via
    ``days_per_unit``: 1 for days, 7 for weeks, 30.44 for months), a convolution of the daily first-purchase
    counts with E[X] on a daily grid. Rows: ``day`` (days since the cohort's first purchase), ``date``,
    ``actual``, ``predicted`` (cumulative), ``period`` ("calibration" or "holdout").
    """
    counts = _daily_counts(transactions, calibration_end, observation_end, freq)
    if counts.empty:
        raise ArgumentError("tracking: no purchases on or before calibration_end")
    start = counts["day"].min()
    end = pd.Timestamp(observation_end).normalize()
    n_days = int((end - start).days) + 1
    idx = ((counts["day"] - start).dt.days).to_numpy()
    births = np.bincount(
        idx[counts["kind"].to_numpy() == "birth"],
        weights=counts["n"][counts["kind"] == "birth"],
        minlength=n_days,
    )
    rep_mask = (counts["kind"] == "repeat").to_numpy() & (idx < n_days)
    repeats = np.bincount(idx[rep_mask], weights=counts["n"].to_numpy()[rep_mask], minlength=n_days)[:n_days]
    unit = days_per_unit or DAYS_PER_UNIT[model.time_unit]
    # at the end of day d a member whose first purchase was on day b has age d - b (as T in the summary)
    lags = np.arange(n_days, dtype=float)
    expected = model.expected_repeat_purchases(lags / unit)
    predicted = np.convolve(births[:n_days], expected)[:n_days]
    actual = np.cumsum(repeats)
    grid = np.arange(step_days - 1, n_days, step_days)
    if grid[-1] != n_days - 1:
        grid = np.append(grid, n_days - 1)
    cal_day = (pd.Timestamp(calibration_end).normalize() - start).days
    return pd.DataFrame(
        {
            "step": np.arange(1, len(grid) + 1),
            "day": grid + 1,
            "date": start + pd.to_timedelta(grid, unit="D"),
            "actual": actual[grid],
            "predicted": predicted[grid],
            "period": np.where(grid <= cal_day, "calibration", "holdout"),
        }
    )


def compare_purchase_models(
    cal_holdout: pd.DataFrame,
    models=PURCHASE_MODELS,
    *,
    time_unit: str = "D",
    max_frequency: int = 7,
) -> tuple[pd.DataFrame, dict[str, CLVModel]]:
    """Fit each purchase model on the calibration period and score it on the holdout, side by side.

    Returns a table (one row per model: log-likelihood, AIC, holdout totals, total error %, MAE, RMSE,
    correlation, bucket MAE over calibration frequencies, tolerance/penalizer used) and the fitted models.
    """
    cal = calibration_summary(cal_holdout)
    rows, fitted = [], {}
    for name in models:
        model = fit_clv(cal, name, spend_model=None, time_unit=time_unit)
        comp = holdout_comparison(model, cal_holdout)
        metrics = holdout_metrics(comp)
        buckets = frequency_buckets(comp, max_frequency)
        diag = model.diagnostics["purchase"]
        rows.append(
            {
                "model": name,
                "log_likelihood": model.log_likelihood(),
                "aic": 2 * len(model.purchase_params) - 2 * model.log_likelihood(),
                **metrics,
                "bucket_mae": float((buckets["predicted"] - buckets["actual"]).abs().mean()),
                "tol": diag.tol,
                "penalizer": diag.penalizer,
            }
        )
        fitted[name] = model
    return pd.DataFrame(rows), fitted
