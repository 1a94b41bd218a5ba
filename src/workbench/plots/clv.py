"""Plots of the CLV models.

Each takes data (and ``ax=None``), labels through ``t()`` in the report language, and returns the Axes; none
loads data or saves files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, PercentFormatter

from workbench.errors import ArgumentError
from workbench.i18n import check_language, money, t
from workbench.plots.base import axes, money_formatter, titles

ACTUAL_COLOR = "#4C72B0"
PREDICTED_COLOR = "#DD8452"


def frequency_recency_matrix(
    matrix: pd.DataFrame,
    what: str = "prob_alive",
    *,
    lang: str = "zh-TW",
    months: float = 12,
    time_unit: str = "D",
    ax=None,
):
    """Heatmap of ``CLVModel.frequency_recency_matrix`` output (rows frequency, columns recency).

    ``what`` is ``"prob_alive"`` or ``"expected_purchases"`` (over ``months``); high frequency at the top.
    """
    check_language(lang)
    if what not in ("prob_alive", "expected_purchases"):
        raise ArgumentError(
            f"frequency_recency_matrix: what must be 'prob_alive' or 'expected_purchases', got {what!r}"
        )
    ax = axes(ax, (7.5, 4.5))
    values = matrix.to_numpy(dtype=float)
    rec = matrix.columns.to_numpy(dtype=float)
    freq = matrix.index.to_numpy(dtype=float)
    extent = (rec.min(), rec.max(), freq.min() - 0.5, freq.max() + 0.5)
    image = ax.imshow(
        values,
        origin="lower",
        aspect="auto",
        extent=extent,
        cmap="viridis" if what == "prob_alive" else "magma",
        vmin=0,
        vmax=1 if what == "prob_alive" else None,
        interpolation="nearest",
    )
    ax.grid(False)
    cbar = ax.figure.colorbar(image, ax=ax)
    unit = t(f"clv.unit.{time_unit}", lang)
    if what == "prob_alive":
        title, label = t("clv.plot.palive_title", lang), t("clv.plot.palive_axis", lang)
        cbar.ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    else:
        title = t("clv.plot.expected_title", lang, months=months)
        label = t("clv.plot.expected_axis", lang, months=months)
    cbar.set_label(label)
    ax.set(
        title=title,
        xlabel=t("clv.plot.recency_axis", lang, unit=unit),
        ylabel=t("clv.plot.frequency_axis", lang),
    )
    return ax


def tracking(track: pd.DataFrame, *, lang: str = "zh-TW", ax=None):
    """Cumulative repeat purchases, actual vs model, with the end of calibration marked (``workbench.clv.tracking`` output)."""
    check_language(lang)
    ax = axes(ax, (7.5, 4))
    x = track["step"].to_numpy()
    ax.plot(x, track["actual"], color=ACTUAL_COLOR, linewidth=2, label=t("clv.plot.actual", lang))
    ax.plot(
        x,
        track["predicted"],
        color=PREDICTED_COLOR,
        linewidth=2,
        linestyle="--",
        label=t("clv.plot.model", lang),
    )
    cal = track.loc[track["period"] == "calibration", "step"]
    if len(cal) and len(cal) < len(track):
        ax.axvline(
            cal.max(), color="grey", linewidth=1, linestyle=":", label=t("clv.plot.calibration_end", lang)
        )
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    titles(ax, lang, "clv.plot.tracking_title", "clv.plot.week_axis", "clv.plot.cumulative_axis")
    ax.legend(loc="upper left", frameon=False)
    return ax


def frequency_buckets(buckets: pd.DataFrame, *, lang: str = "zh-TW", ax=None):
    """Mean holdout purchases by calibration frequency, actual vs predicted, as paired bars (``workbench.clv.frequency_buckets`` output)."""
    check_language(lang)
    ax = axes(ax, (7.5, 4))
    pos = np.arange(len(buckets))
    width = 0.4
    ax.bar(pos - width / 2, buckets["actual"], width, color=ACTUAL_COLOR, label=t("clv.plot.actual", lang))
    ax.bar(
        pos + width / 2, buckets["predicted"], width, color=PREDICTED_COLOR, label=t("clv.plot.model", lang)
    )
    ax.set_xticks(pos, buckets["frequency_cal"].astype(str))
    titles(ax, lang, "clv.plot.buckets_title", "clv.plot.frequency_cal_axis", "clv.plot.holdout_axis")
    ax.legend(loc="upper left", frameon=False)
    return ax


def clv_distribution(
    clv, *, lang: str = "zh-TW", currency: str = "TWD", months: int = 12, bins: int = 50, ax=None
):
    """Histogram of member CLV of at least 1 currency unit on log-spaced bins, with the median and the top-decile cut (both over all members) marked."""
    check_language(lang)
    everyone = np.asarray(clv, dtype=float)
    everyone = everyone[np.isfinite(everyone)]
    values = everyone[everyone >= 1.0]
    ax = axes(ax, (7.5, 4))
    if len(values):
        lo = values.min()
        edges = np.geomspace(lo, max(values.max(), lo * 1.01) * 1.01, bins + 1)
        ax.hist(values, bins=edges, color="#B0B7C3", edgecolor="white", linewidth=0.4)
        ax.set_xscale("log")
        median, cut = np.median(everyone), np.quantile(everyone, 0.9)
        ax.axvline(
            median,
            color=ACTUAL_COLOR,
            linewidth=1.5,
            label=t("clv.plot.median", lang, value=money(median, currency)),
        )
        ax.axvline(
            cut,
            color=PREDICTED_COLOR,
            linewidth=1.5,
            linestyle="--",
            label=t("clv.plot.top_cut", lang, value=money(cut, currency)),
        )
        ax.legend(loc="upper right", frameon=False)
    ax.xaxis.set_major_formatter(money_formatter(currency, lang))
    titles(
        ax, lang, "clv.plot.distribution_title", "clv.plot.clv_axis", "clv.plot.members_axis", months=months
    )
    return ax


def clv_deciles(deciles: pd.DataFrame, *, lang: str = "zh-TW", ax=None):
    """Share of total projected value by CLV decile (1 = highest), bars labelled with the share (``workbench.clv.clv_deciles`` output)."""
    check_language(lang)
    ax = axes(ax, (7.5, 4))
    bars = ax.bar(deciles["decile"].astype(str), deciles["share"], color=ACTUAL_COLOR)
    ax.bar_label(bars, labels=[f"{s:.0%}" for s in deciles["share"]], padding=2, fontsize=10)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    titles(ax, lang, "clv.plot.deciles_title", "clv.plot.decile_axis", "clv.plot.share_axis")
    return ax


__all__ = ["clv_deciles", "clv_distribution", "frequency_buckets", "frequency_recency_matrix", "tracking"]
