"""Plots of the member overview report.

Each takes data (and ``ax=None``), labels through ``t()`` in the report language, and returns the Axes
(``kpi_trends`` returns the Figure); none loads data or saves files.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from workbench.i18n import (
    check_language,
    compact,
    currency_symbol,
    money,
    money_compact,
    month_label,
    number,
    pct,
    t,
)
from workbench.plots.base import axes, titles
from workbench.text.overview import KPI_FORMAT

DEFAULT_TRENDS: tuple[str, ...] = ("active_members", "net_revenue", "repurchase_rate", "aov")
STORE_COLOR, ONLINE_COLOR = "#4C72B0", "#DD8452"


def _formatter(kind: str, currency: str, lang: str) -> FuncFormatter:
    """Tick labels: shares as %, amounts and counts in full below 100,000, abbreviated (萬 / M) above."""
    if kind == "share":
        return FuncFormatter(lambda x, _: pct(x, 0))
    if kind == "money":
        return FuncFormatter(
            lambda x, _: money(x, currency) if abs(x) < 1e5 else money_compact(x, currency, lang, 2)
        )
    return FuncFormatter(lambda x, _: number(x) if abs(x) < 1e5 else compact(x, lang, 2))


def _month_ticks(ax, index: pd.PeriodIndex, lang: str, step: int | None = None) -> None:
    """Month labels every ``step`` months, counted back from the latest month (always labelled)."""
    step = step or max(1, int(np.ceil(len(index) / 5)))
    pos = np.arange(len(index))[::-1][::step][::-1]
    ax.set_xticks(pos, [month_label(index[i], lang) for i in pos], rotation=30, ha="right")


def kpi_trend(
    kpis: pd.DataFrame,
    column: str,
    *,
    lang: str = "zh-TW",
    currency: str = "TWD",
    months: int = 13,
    ax=None,
):
    """Line of one KPI over the last ``months`` months; the latest month is marked."""
    check_language(lang)
    data = kpis[column].iloc[-months:]
    ax = axes(ax, (7, 3.5))
    x = np.arange(len(data))
    ax.plot(x, data.to_numpy(), marker="o", markersize=3, color=STORE_COLOR)
    if len(data):
        ax.plot(x[-1:], data.to_numpy()[-1:], marker="o", markersize=7, color=ONLINE_COLOR)
    ax.yaxis.set_major_formatter(_formatter(KPI_FORMAT.get(column, "count"), currency, lang))
    _month_ticks(ax, data.index, lang)
    ax.set(title=t(f"overview.kpi.{column}", lang), xlabel="")
    ax.grid(False, axis="x")
    return ax


def kpi_trends(
    kpis: pd.DataFrame,
    columns=DEFAULT_TRENDS,
    *,
    lang: str = "zh-TW",
    currency: str = "TWD",
    months: int = 13,
    fig=None,
):
    """Small multiples of ``columns`` (two per row) over the last ``months`` months; returns the Figure."""
    columns = list(columns)
    rows = int(np.ceil(len(columns) / 2))
    if fig is None:
        fig = plt.figure(figsize=(10, 3.2 * rows), layout="constrained")
    axes = fig.subplots(rows, 2, squeeze=False).ravel()
    for ax, col in zip(axes, columns, strict=False):
        kpi_trend(kpis, col, lang=lang, currency=currency, months=months, ax=ax)
    for ax in axes[len(columns) :]:
        ax.set_visible(False)
    fig.suptitle(t("overview.plot.trends_title", lang))
    return fig


def channel_revenue(
    kpis: pd.DataFrame, *, lang: str = "zh-TW", currency: str = "TWD", months: int = 13, ax=None
):
    """Stacked bars of store and online gross revenue per month."""
    check_language(lang)
    data = kpis[["store_revenue", "online_revenue"]].iloc[-months:].fillna(0.0)
    ax = axes(ax, (7, 3.5))
    x = np.arange(len(data))
    store, online = data["store_revenue"].to_numpy(), data["online_revenue"].to_numpy()
    ax.bar(x, store, color=STORE_COLOR, label=t("overview.plot.channel.store", lang))
    ax.bar(x, online, bottom=store, color=ONLINE_COLOR, label=t("overview.plot.channel.online", lang))
    ax.yaxis.set_major_formatter(_formatter("money", currency, lang))
    _month_ticks(ax, data.index, lang)
    ax.set(
        title=t("overview.plot.channel_title", lang),
        ylabel=t("overview.plot.revenue", lang, currency=currency_symbol(currency)),
        xlabel="",
    )
    top = float((store + online).max()) if len(data) else 0.0
    if top > 0:
        ax.set_ylim(0, top * 1.2)  # room for the legend above the bars
    ax.legend(loc="upper left", ncols=2, frameon=False)
    ax.grid(False, axis="x")
    return ax


def segment_shares(summary: pd.DataFrame, *, kind: str = "segment", lang: str = "zh-TW", ax=None):
    """Horizontal bars: each segment's share of members next to its share of revenue.

    ``summary`` is a ``workbench.segments.segment_summary`` frame; ``kind`` picks the label catalog
    (``"segment"`` for member types, ``"nes"`` for NES).
    """
    check_language(lang)
    ax = axes(ax, (7, 0.45 * len(summary) + 1.5))
    y = np.arange(len(summary))
    h = 0.4
    ax.barh(
        y - h / 2,
        summary["member_share"].to_numpy(),
        h,
        color=STORE_COLOR,
        label=t("overview.col.member_share", lang),
    )
    ax.barh(
        y + h / 2,
        summary["revenue_share"].fillna(0).to_numpy(),
        h,
        color=ONLINE_COLOR,
        label=t("overview.col.revenue_share", lang),
    )
    ax.set_yticks(y, [t(f"overview.{kind}.{name}", lang) for name in summary.index])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(_formatter("share", "TWD", lang))
    ax.set(title=t("overview.plot.segments_title", lang), xlabel=t("overview.plot.share", lang))
    ax.legend(loc="lower right", frameon=False)
    ax.grid(False, axis="y")
    return ax


def lorenz(
    curve: pd.DataFrame,
    marks: pd.DataFrame | None = None,
    *,
    lang: str = "zh-TW",
    window_days: int = 365,
    ax=None,
    max_points: int = 2000,
):
    """Pareto curve (``workbench.segments.lorenz_curve``) with the ``concentration`` rows marked."""
    check_language(lang)
    ax = axes(ax, (6, 4.5))
    if len(curve) > max_points:  # thin out for the embedded image; keep both ends
        idx = np.unique(np.linspace(0, len(curve) - 1, max_points).round().astype(int))
        curve = curve.iloc[idx]
    ax.plot(curve["member_share"], curve["revenue_share"], color=STORE_COLOR)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label=t("overview.plot.equality", lang))
    if marks is not None:
        for _, m in marks.iterrows():
            ax.plot([m["top_share"]], [m["revenue_share"]], marker="o", color=ONLINE_COLOR)
            ax.annotate(
                t("overview.plot.top_label", lang, top=pct(m["top_share"], 0), share=pct(m["revenue_share"])),
                (m["top_share"], m["revenue_share"]),
                textcoords="offset points",
                xytext=(10, -4),
                va="top",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
            )
    ax.xaxis.set_major_formatter(_formatter("share", "TWD", lang))
    ax.yaxis.set_major_formatter(_formatter("share", "TWD", lang))
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1.02),
        title=t("overview.plot.lorenz_title", lang, window=number(window_days)),
        xlabel=t("overview.plot.lorenz_x", lang),
        ylabel=t("overview.plot.lorenz_y", lang),
    )
    ax.legend(loc="lower right", frameon=False)
    return ax


def rfm_grid(rfm: pd.DataFrame, *, lang: str = "zh-TW", ax=None):
    """Heatmap of member counts by R score (rows) and F score (columns), best scores top right."""
    check_language(lang)
    bins = int(max(rfm["r"].max(), rfm["f"].max())) if len(rfm) else 1
    counts = pd.crosstab(rfm["r"], rfm["f"]).reindex(
        index=range(bins, 0, -1), columns=range(1, bins + 1), fill_value=0
    )
    ax = axes(ax, (5.5, 4.5))
    ax.imshow(counts.to_numpy(), cmap="Blues", aspect="auto")
    ax.grid(False)
    top = counts.to_numpy().max() or 1
    for i, r in enumerate(counts.index):
        for j, f in enumerate(counts.columns):
            v = counts.at[r, f]
            ax.text(
                j,
                i,
                number(v),
                ha="center",
                va="center",
                fontsize=10,
                color="white" if v > top * 0.6 else "black",
            )
    ax.set_xticks(range(len(counts.columns)), [str(c) for c in counts.columns])
    ax.set_yticks(range(len(counts.index)), [str(r) for r in counts.index])
    titles(ax, lang, "overview.plot.rfm_title", "overview.plot.rfm_f", "overview.plot.rfm_r")
    return ax
