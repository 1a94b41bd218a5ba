"""Campaign experiment plots: lift, lift by segment, cost vs margin, policy curve, the trend across looks.

Each takes result frames from ``workbench.experiments`` / ``experiment_roi`` and ``ax=None``, draws with
matplotlib, labels through ``workbench.i18n.t`` and returns the Axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from workbench.i18n import CURRENCY_SYMBOLS, date_label, t
from workbench.plots.base import axes, money_formatter, titles
from workbench.text.experiments import arm_label, column_label

_PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def _metric_label(metric: str, lang: str) -> str:
    from workbench.i18n import catalog

    key = f"experiments.metric.{metric}"
    return t(key, lang) if key in catalog() else metric


def plot_lift(effects: pd.DataFrame, *, lang: str = "zh-TW", ax=None):
    """Relative lift per arm and metric with its 95% CI (horizontal error bars), zero line.

    The title says "always-valid" when the effects' ``method`` is the confidence sequence (a running campaign).
    """
    ax = axes(ax, (9, 0.5 * len(effects) + 1.5))
    ok = effects[effects["rel_lift"].notna()].reset_index(drop=True)
    arms = list(dict.fromkeys(ok["arm"]))
    labels = []
    for i, row in ok.iterrows():
        color = _PALETTE[arms.index(row["arm"]) % len(_PALETTE)]
        y = len(ok) - 1 - i
        ax.errorbar(
            row["rel_lift"],
            y,
            xerr=[[row["rel_lift"] - row["rel_ci_low"]], [row["rel_ci_high"] - row["rel_lift"]]],
            fmt="o",
            color=color,
            capsize=4,
            label=arm_label(row["arm"], lang) if row["arm"] not in [lab for lab, _ in labels] else None,
        )
        labels.append((row["arm"], y))
    ax.axvline(0, color="grey", lw=1, ls="--")
    ax.set_yticks(range(len(ok)))
    ax.set_yticklabels(
        [
            f"{arm_label(a, lang)} · {_metric_label(m, lang)}"
            for a, m in zip(ok["arm"][::-1], ok["metric"][::-1], strict=True)
        ]
    )
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:+.0%}"))
    always_valid = (
        effects["method"].astype(str).str.startswith("always-valid").any() if "method" in effects else False
    )
    title = "experiments.plot.lift_title_always_valid" if always_valid else "experiments.plot.lift_title"
    ax.set(title=t(title, lang), xlabel=t("experiments.plot.rel_lift", lang))
    return ax


def plot_segment_lift(
    segments: pd.DataFrame, *, metric: str = "revenue", lang: str = "zh-TW", currency: str = "TWD", ax=None
):
    """Absolute effect of each arm within each segment, with 95% CIs (one colour per arm)."""
    ax = axes(ax, (7, 4))
    seg = segments[(segments["metric"] == metric) & segments["abs_lift"].notna()]
    levels = list(dict.fromkeys(seg["segment"]))
    numbers = pd.to_numeric(pd.Series(levels, dtype=object), errors="coerce")
    if (
        len(levels) and numbers.notna().all()
    ):  # deciles and other numbered segments in number order (1, 2, ..., 10)
        levels = [levels[i] for i in np.argsort(numbers.to_numpy(dtype=float), kind="stable")]
    arms = list(dict.fromkeys(seg["arm"]))
    width = 0.8 / max(len(arms), 1)
    for j, a in enumerate(arms):
        d = seg[seg["arm"] == a].set_index("segment").reindex(levels)
        x = np.arange(len(levels)) + (j - (len(arms) - 1) / 2) * width
        ax.errorbar(
            x,
            d["abs_lift"],
            yerr=[d["abs_lift"] - d["abs_ci_low"], d["abs_ci_high"] - d["abs_lift"]],
            fmt="o",
            capsize=3,
            color=_PALETTE[j % len(_PALETTE)],
            label=arm_label(a, lang),
        )
    ax.axhline(0, color="grey", lw=1, ls="--")
    ax.set_xticks(range(len(levels)))
    ax.set_xticklabels(levels)
    column = segments["segment_column"].iloc[0] if "segment_column" in segments and len(segments) else ""
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    ax.set(
        title=t("experiments.plot.segment_title", lang),
        xlabel=t("experiments.plot.segment_axis", lang, segment=column_label(column, lang)),
        ylabel=t("experiments.plot.effect_axis", lang, currency=symbol),
    )
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_cost_margin(economics: pd.DataFrame, *, lang: str = "zh-TW", currency: str = "TWD", ax=None):
    """Per arm.

    Campaign cost (x) vs incremental gross margin (y) per member, both with CIs; above the diagonal the arm
    pays for itself.
    """
    ax = axes(ax, (6, 5))
    e = economics.set_index(["arm", "quantity"])
    arms = list(dict.fromkeys(economics["arm"]))
    hi = 0.0
    for j, a in enumerate(arms):
        c, m = e.loc[(a, "campaign_cost")], e.loc[(a, "incremental_gross_margin")]
        ax.errorbar(
            c["estimate"],
            m["estimate"],
            xerr=[[c["estimate"] - c["ci_low"]], [c["ci_high"] - c["estimate"]]],
            yerr=[[m["estimate"] - m["ci_low"]], [m["ci_high"] - m["estimate"]]],
            fmt="o",
            ms=8,
            capsize=4,
            color=_PALETTE[j % len(_PALETTE)],
            label=arm_label(a, lang),
        )
        hi = max(hi, c["ci_high"], m["ci_high"])
    line = np.array([0.0, hi * 1.1 if hi > 0 else 1.0])
    ax.plot(line, line, color="grey", ls="--", lw=1, label=t("experiments.plot.break_even", lang))
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    ax.axhline(0, color="grey", lw=0.5)
    titles(
        ax,
        lang,
        "experiments.plot.cost_title",
        "experiments.plot.cost_axis",
        "experiments.plot.margin_axis",
        currency=symbol,
    )
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_policy_curve(
    policy: pd.DataFrame, *, by: str = "pre_spend", lang: str = "zh-TW", currency: str = "TWD", ax=None
):
    """Net incremental profit per 1,000 members against the share targeted, one line + CI band per arm."""
    ax = axes(ax, (7, 4))
    for j, (a, d) in enumerate(policy.groupby("arm", sort=False)):
        color = _PALETTE[j % len(_PALETTE)]
        ax.plot(d["share"], d["value_per_1000"], marker="o", ms=3, color=color, label=arm_label(a, lang))
        ax.fill_between(d["share"], d["ci_low"], d["ci_high"], color=color, alpha=0.2, lw=0)
    ax.axhline(0, color="grey", lw=1, ls="--")
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    ax.set(
        title=t("experiments.plot.policy_title", lang),
        xlabel=t("experiments.plot.policy_x", lang, by=column_label(by, lang)),
        ylabel=t("experiments.plot.policy_y", lang, currency=symbol),
        xlim=(0, 1.02),
    )
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_trend(trend: pd.DataFrame, *, lang: str = "zh-TW", currency: str = "TWD", ax=None):
    """Targeted minus blanket at each month-end look, with its always-valid and fixed-horizon intervals.

    The estimate (points and line), its always-valid interval (wide bar), its fixed-horizon interval (narrow
    bar) and a zero line.

    Parameters
    ----------
    trend : DataFrame
        ``CampaignMonitor.trend`` (``as_of, estimate, ci_low, ci_high, fixed_ci_low, fixed_ci_high``).
    lang, currency : str
        Report language; currency of the amounts.
    ax : Axes, optional
        Where to draw (a new figure when None).

    Returns
    -------
    Axes
    """
    ax = axes(ax, (7, 4))
    x = np.arange(len(trend))
    est = trend["estimate"].to_numpy(dtype=float)
    for low, high, width, color, key in (
        ("ci_low", "ci_high", 10, "#9ecae1", "experiments.plot.trend_always_valid"),
        ("fixed_ci_low", "fixed_ci_high", 3, "#3182bd", "experiments.plot.trend_fixed"),
    ):
        lo, hi = trend[low].to_numpy(dtype=float), trend[high].to_numpy(dtype=float)
        ax.vlines(x, lo, hi, colors=color, lw=width, label=t(key, lang))
    ax.plot(x, est, "o-", color="#08306b", label=t("experiments.plot.trend_estimate", lang))
    ax.axhline(0, color="grey", lw=1, ls="--")
    ax.set_xticks(x)
    ax.set_xticklabels([date_label(d, lang) for d in trend["as_of"]])
    ax.set_xlim(-0.5, len(trend) - 0.5)
    ax.yaxis.set_major_formatter(money_formatter(currency, lang))
    titles(ax, lang, "experiments.plot.trend_title", "experiments.plot.trend_x")
    ax.legend(loc="best", fontsize="small")
    return ax
