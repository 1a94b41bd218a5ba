"""The CLV report in words and tables: parameter table, model comparison, deciles, findings."""

from __future__ import annotations

import pandas as pd

from workbench.clv import CLVModel
from workbench.clv import clv_deciles as clv_deciles_table


# --------------------------------------------------------------------------------------------------
# report text and tables (aggregates only; every label through t())
# --------------------------------------------------------------------------------------------------
def params_display(model: CLVModel, lang: str) -> tuple[pd.DataFrame, dict]:
    """The tidy parameter table as shown in the report, and the ``table()`` keyword arguments (``formats``, ``headers``) that format and label it.

    ``table(frame, lang, **kwargs)``.
    """
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
    """Plain-language findings, most important first (the report shows five, the rest collapsed), every number computed here from the inputs.

    Value concentration, totals, the holdout check, fit caveats, activity, the model comparison, spend.

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
