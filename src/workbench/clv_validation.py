"""Calibration/holdout validation of the CLV purchase models.

Input is ``workbench.summary.calibration_and_holdout`` output (lifetimes' column names). The functions
compare what a model fitted on the calibration period predicts for the holdout period with what members
actually did: per member, in total, by calibration frequency, and week by week as cumulative repeat
purchases of the whole cohort (the "tracking plot"), which we compute ourselves by a convolution of
first-purchase counts with the model's E[X(t)] (lifetimes' ``expected_cumulative_transactions`` loops
over dates and breaks on pandas 3).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.clv import PURCHASE_MODELS, CLVModel, fit_clv
from workbench.clv import clv_deciles as clv_deciles_table
from workbench.summary import period_sql, timestamp_sql

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
        raise ValueError(f"calibration_summary: required column(s) missing: {', '.join(missing)}")
    return cal_holdout[list(CAL_COLUMNS)].rename(columns=CAL_COLUMNS)


def holdout_comparison(model: CLVModel, cal_holdout: pd.DataFrame) -> pd.DataFrame:
    """Per member: calibration frequency, actual and predicted holdout repeat purchases, and the error."""
    for col in ("frequency_holdout", "duration_holdout"):
        if col not in cal_holdout.columns:
            raise ValueError(f"holdout_comparison: required column missing: {col}")
    cal = calibration_summary(cal_holdout)
    durations = cal_holdout["duration_holdout"].unique()
    if len(durations) != 1:
        raise ValueError(f"holdout_comparison: duration_holdout must be one value, got {len(durations)}")
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


def _daily_counts(transactions: pd.DataFrame, calibration_end, observation_end, freq: str):
    """First-purchase days of the cohort and its repeat purchase occasions per day (DuckDB)."""
    missing = [c for c in ("member_id", "ordered_at", "amount") if c not in transactions.columns]
    if missing:
        raise ValueError(f"tracking: required column(s) missing from transactions: {', '.join(missing)}")
    table = pa.Table.from_pandas(transactions[["member_id", "ordered_at", "amount"]], preserve_index=False)
    period = period_sql("ordered_at", freq)
    obs_period = period_sql(timestamp_sql(observation_end), freq)
    sql = f"""
    WITH p AS (
        SELECT member_id, {period} AS period, min(CAST(ordered_at AS DATE)) AS day
        FROM tx WHERE amount >= 0 AND {period} <= {obs_period}
        GROUP BY member_id, period
    ),
    f AS (SELECT member_id, min(period) AS first_period, min(day) AS first_day FROM p GROUP BY member_id),
    cohort AS (SELECT * FROM f WHERE first_day <= CAST({timestamp_sql(calibration_end)} AS DATE))
    SELECT 'birth' AS kind, first_day AS day, count(*) AS n FROM cohort GROUP BY first_day
    UNION ALL
    SELECT 'repeat', p.day, count(*) FROM p JOIN cohort USING (member_id)
    WHERE p.period > cohort.first_period GROUP BY p.day
    """
    con = duckdb.connect()
    try:
        con.register("tx", table)
        counts = con.sql(sql).df()
    finally:
        con.close()
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
        raise ValueError("tracking: no purchases on or before calibration_end")
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


# --------------------------------------------------------------------------------------------------
# report text and tables (aggregates only; every label through t())
# --------------------------------------------------------------------------------------------------
def params_display(model: CLVModel, lang: str) -> tuple[pd.DataFrame, dict]:
    """The tidy parameter table as shown in the report, and the ``table()`` keyword arguments
    (``formats``, ``headers``) that format and label it: ``table(frame, lang, **kwargs)``."""
    from workbench.i18n import pct, t

    p = model.params
    level = pct(float(p["ci_level"].iloc[0]), 0)
    frame = pd.DataFrame(
        {
            "component": [t(f"clv.model.{m}", lang) for m in p["model"]],
            "param": p["param"].to_numpy(),
            "estimate": p["estimate"].to_numpy(),
            "se": p["se"].to_numpy(),
            "ci": [f"{lo:,.4g} – {hi:,.4g}" for lo, hi in zip(p["ci_low"], p["ci_high"], strict=True)],
        }
    )
    sig = lambda digits: lambda v: f"{v:,.{digits}g}"  # noqa: E731
    return frame, {
        "formats": {"estimate": sig(4), "se": sig(3)},
        "headers": {
            "component": t("clv.col.component", lang),
            "param": t("clv.col.param", lang),
            "estimate": t("clv.col.estimate", lang),
            "se": t("clv.col.se", lang),
            "ci": t("clv.col.ci", lang, level=level),
        },
    }


def comparison_display(table: pd.DataFrame, lang: str) -> tuple[pd.DataFrame, dict]:
    """``compare_purchase_models`` table as shown in the report, with ``table()`` keyword arguments."""
    from workbench.i18n import number, pct, t

    cols = [
        "log_likelihood",
        "predicted_total",
        "actual_total",
        "total_error_pct",
        "mae",
        "bucket_mae",
        "correlation",
    ]
    frame = table[cols].copy()
    frame.insert(0, "model", [t(f"clv.model.{m}", lang) for m in table["model"]])
    return frame, {
        "formats": {
            "log_likelihood": lambda v: number(v, 1),
            "predicted_total": number,
            "actual_total": number,
            "total_error_pct": lambda v: pct(v, 1, signed=True),
            "mae": lambda v: number(v, 3),
            "bucket_mae": lambda v: number(v, 3),
            "correlation": lambda v: number(v, 3),
        },
        "headers": {c: t(f"clv.col.{c}", lang) for c in ["model", *cols]},
    }


def deciles_display(deciles: pd.DataFrame, lang: str, currency: str = "TWD") -> tuple[pd.DataFrame, dict]:
    """``clv_deciles`` table as shown in the report, with ``table()`` keyword arguments."""
    from workbench.i18n import money, number, pct, t

    cols = ["decile", "members", "mean", "total", "share", "cumulative_share"]
    keys = {"mean": "mean_clv", "total": "total_clv"}
    return deciles[cols].copy(), {
        "formats": {
            "decile": str,
            "members": number,
            "mean": lambda v: money(v, currency),
            "total": lambda v: money(v, currency),
            "share": pct,
            "cumulative_share": pct,
        },
        "headers": {c: t(f"clv.col.{keys.get(c, c)}", lang) for c in cols},
    }


def findings(
    summary: pd.DataFrame,
    predictions: pd.DataFrame,
    model: CLVModel,
    comparison: pd.DataFrame,
    *,
    lang: str,
    currency: str = "TWD",
    months: int = 12,
    calibration_end=None,
    holdout_months: int | None = None,
    lapsed_months: float = 6,
    good_error: float = 0.10,
) -> list[str]:
    """Plain-language findings, most important first (the report shows five, the rest collapsed), every
    number computed here from the inputs: value concentration, totals, the holdout check, fit caveats,
    activity, the model comparison, spend.

    ``comparison`` is the ``compare_purchase_models`` table; its row for ``model.purchase_model`` gives the holdout
    figures. ``summary`` (the fitting summary) gives recency for the "not bought for a while" group.
    """
    from workbench.i18n import date_label, money, number, pct, t

    deciles = clv_deciles_table(predictions["clv"])
    out = []
    clv = predictions["clv"]
    out.append(
        t(
            "clv.finding.top_decile",
            lang,
            share=pct(deciles["share"].iloc[0]),
            months=months,
            value=money(deciles["total"].iloc[0], currency),
            share20=pct(deciles["cumulative_share"].iloc[1]),
        )
    )
    out.append(
        t(
            "clv.finding.total",
            lang,
            members=number(len(predictions)),
            months=months,
            purchases=number(predictions["expected_purchases"].sum()),
            value=money(clv.sum(), currency),
            mean=money(clv.mean(), currency),
        )
    )
    if len(comparison) and calibration_end is not None:
        row = comparison.set_index("model").loc[model.purchase_model]
        key = (
            "clv.finding.holdout_good"
            if abs(row["total_error_pct"]) <= good_error
            else "clv.finding.holdout_poor"
        )
        out.append(
            t(
                key,
                lang,
                cal_end=date_label(calibration_end, lang),
                holdout=t("clv.holdout_length", lang, months=holdout_months),
                predicted=number(row["predicted_total"]),
                actual=number(row["actual_total"]),
                error=pct(row["total_error_pct"], 1, signed=True),
            )
        )
    for diag in model.diagnostics.values():
        if diag.retried:
            out.append(
                t(
                    "clv.finding.fit_retry",
                    lang,
                    model=t(f"clv.model.{diag.model}", lang),
                    tol=f"{diag.tol:g}",
                    penalizer=f"{diag.penalizer:g}",
                    share=pct(diag.penalty_share, 2),
                )
            )
    alive = predictions["prob_alive"] > 0.5
    lapsed = (summary["T"] - summary["recency"]) > model.periods(lapsed_months)
    out.append(
        t(
            "clv.finding.alive",
            lang,
            share=pct(alive.mean()),
            share_lapsed=pct(alive[lapsed].mean()) if lapsed.any() else "–",
        )
    )
    if len(comparison) > 1 and calibration_end is not None:
        best = comparison.loc[comparison["bucket_mae"].idxmin()]
        out.append(
            t(
                "clv.finding.best_model",
                lang,
                best=t(f"clv.model.{best['model']}", lang),
                best_mae=number(best["bucket_mae"], 3),
                used=t(f"clv.model.{model.purchase_model}", lang),
            )
        )
    if model.spend_model is not None:
        ex = model.spend_exclusions
        out.append(
            t(
                "clv.finding.spend",
                lang,
                aov=money(predictions["expected_order_value"].mean(), currency),
                used=number(ex["used"]),
                excluded=number(ex["no_repeat_purchase"] + ex["non_positive_spend"]),
            )
        )
    return out


__all__ = [
    "calibration_summary",
    "comparison_display",
    "deciles_display",
    "findings",
    "params_display",
    "compare_purchase_models",
    "frequency_buckets",
    "holdout_comparison",
    "holdout_metrics",
    "tracking",
]
