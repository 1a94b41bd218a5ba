"""Plots of the tier simulation.

Each takes data (and ``ax=None``), labels through ``t()`` in the report language, and returns the Axes; none
loads data or saves files.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from workbench.i18n import check_language, pct, t
from workbench.plots.base import axes, money_formatter, titles
from workbench.tiers import TierProgram, pareto

TIER_COLORS = ("#8C8C8C", "#4C72B0", "#DD8452", "#55A868", "#C44E52")


def spend_distribution(
    spend, program: TierProgram, *, lang: str = "zh-TW", currency: str = "TWD", bins: int = 60, ax=None
):
    """Histogram of members' positive annual spend (log-spaced bins) with the upgrade thresholds as solid lines and the renewal thresholds as dashed lines, one colour per tier."""
    check_language(lang)
    s = np.asarray(spend, dtype=float)
    s = s[s > 0]
    ax = axes(ax, (7.5, 4))
    if len(s):
        edges = np.geomspace(max(s.min(), 1.0), s.max() * 1.01, bins + 1)
        ax.hist(s, bins=edges, color="#B0B7C3", edgecolor="white", linewidth=0.4)
        ax.set_xscale("log")
    for k, tier in enumerate(program.tiers[1:], start=1):
        color = TIER_COLORS[k % len(TIER_COLORS)]
        ax.axvline(
            tier.upgrade, color=color, linewidth=2, label=t("tiers.plot.upgrade_line", lang, tier=tier.name)
        )
        if tier.renewal < tier.upgrade:
            ax.axvline(tier.renewal, color=color, linewidth=1.2, linestyle="--")
    ax.xaxis.set_major_formatter(money_formatter(currency, lang))
    titles(ax, lang, "tiers.plot.spend_title", "tiers.plot.spend_axis", "tiers.plot.members_axis")
    ax.legend(loc="upper right", frameon=False)
    return ax


def sweep_heatmap(
    grid: pd.DataFrame,
    value: str,
    *,
    lang: str = "zh-TW",
    currency: str = "TWD",
    mark: tuple[float, float] | None = None,
    ticks: int = 5,
    ax=None,
):
    """Heatmap of one ``sweep`` column (``share_<tier>`` or ``cost_pct``) over the threshold grid; x and y are the two swept tiers' upgrade thresholds.

    ``mark`` = the current programme's pair, drawn as a cross when it lies inside the grid
    (``workbench.tiers.sweep_covers``; the report then says so).
    """
    check_language(lang)
    x_tier, y_tier = grid.attrs.get("x_tier", "x"), grid.attrs.get("y_tier", "y")
    table = grid.pivot(index="y_threshold", columns="x_threshold", values=value)
    ax = axes(ax, (6.5, 5))
    xs, ys = table.columns.to_numpy(float), table.index.to_numpy(float)
    data = np.ma.masked_invalid(table.to_numpy(float))
    image = ax.imshow(data, origin="lower", aspect="auto", cmap="viridis", interpolation="nearest")
    cbar = ax.figure.colorbar(image, ax=ax, fraction=0.05)
    cbar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: pct(v, 0)))
    for axis, values in (("x", xs), ("y", ys)):
        pos, labels = round_ticks(values, currency, lang, ticks)
        if axis == "x":
            ax.set_xticks(pos, labels, rotation=30, ha="right")
        else:
            ax.set_yticks(pos, labels)
    if mark is not None and xs[0] <= mark[0] <= xs[-1] and ys[0] <= mark[1] <= ys[-1]:
        # outside the grid, np.interp would put the cross on the edge, at a pair never evaluated
        mx = np.interp(mark[0], xs, np.arange(len(xs)))
        my = np.interp(mark[1], ys, np.arange(len(ys)))
        ax.plot([mx], [my], marker="X", markersize=11, color="white", markeredgecolor="black")
    if value == "cost_pct":
        title = t("tiers.plot.cost_heatmap_title", lang)
    else:
        title = t("tiers.plot.share_heatmap_title", lang, tier=value.removeprefix("share_"))
    ax.set(
        title=title,
        xlabel=t("tiers.plot.threshold_axis", lang, tier=x_tier),
        ylabel=t("tiers.plot.threshold_axis", lang, tier=y_tier),
    )
    ax.grid(False)
    return ax


def round_ticks(values, currency: str, lang: str, ticks: int = 5) -> tuple[np.ndarray, list[str]]:
    """Round tick amounts for an axis of cells ``0..len(values)-1`` holding increasing amounts ``values``.

    Multiples of 1, 2, 2.5 or 5 x 10^k, placed where they fall between the cells, labelled in one style
    (``plots.base.money_formatter``), about ``ticks`` of them.

    Parameters
    ----------
    values : array-like
        The cells' amounts, increasing.
    currency, lang : str
        The labels' currency and language.
    ticks : int
        About how many ticks.

    Returns
    -------
    (ndarray, list of str)
        Positions in cell units and their labels.
    """
    from matplotlib.ticker import MaxNLocator

    values = np.asarray(values, dtype=float)
    if len(values) < 2 or values[0] == values[-1]:
        return np.arange(len(values), dtype=float), money_formatter(currency, lang).format_ticks(values)
    nice = MaxNLocator(nbins=ticks, steps=[1, 2, 2.5, 5, 10]).tick_values(values[0], values[-1])
    nice = nice[(nice >= values[0] - 1e-9) & (nice <= values[-1] + 1e-9)]
    positions = np.interp(nice, values, np.arange(len(values), dtype=float))
    return positions, money_formatter(currency, lang).format_ticks(nice)


def migration_matrix(migration: pd.DataFrame, *, lang: str = "zh-TW", ax=None):
    """Current tier (rows) to next year's tier (columns).

    Cells show member counts and row shares; the colour is the row share.
    """
    check_language(lang)
    counts = migration.to_numpy(float)
    rows = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    ax = axes(ax, (5.5, 4.2))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            color = "white" if shares[i, j] > 0.6 else "black"
            ax.text(
                j, i, f"{counts[i, j]:,.0f}\n{pct(shares[i, j], 0)}", ha="center", va="center", color=color
            )
    ax.set_xticks(range(len(migration.columns)), list(migration.columns))
    ax.set_yticks(range(len(migration.index)), list(migration.index))
    titles(
        ax, lang, "tiers.plot.migration_title", "tiers.plot.next_tier_axis", "tiers.plot.current_tier_axis"
    )
    ax.grid(False)
    return ax


def pareto_curve(
    spend, program: TierProgram, *, summary: pd.DataFrame | None = None, lang: str = "zh-TW", ax=None
):
    """Cumulative revenue share by cumulative member share (top spenders first), with each tier marked.

    Parameters
    ----------
    spend : array-like
        Last year's qualifying spend per member (the curve).
    program : TierProgram
        The programme (its tiers above the entry tier are marked).
    summary : DataFrame, optional
        ``simulate(spend, program).summary``: each mark is then that tier and the tiers above it as the page's
        table states them (members who qualify by renewal or fast upgrade included), so plot and table agree.
        Without it, the members at or above each upgrade threshold.
    lang : str
        ``zh-TW`` or ``en``.
    ax : Axes, optional

    Returns
    -------
    Axes
    """
    check_language(lang)
    s = np.asarray(spend, dtype=float)
    curve = pareto(s)
    step = max(1, len(curve) // 2000)
    ax = axes(ax, (6, 4.5))
    ax.plot(curve["member_share"].iloc[::step], curve["revenue_share"].iloc[::step], color="#4C72B0")
    ax.plot([0, 1], [0, 1], color="#BBBBBB", linestyle=":")
    ordered = np.sort(np.maximum(s, 0))[::-1]
    for k, tier in enumerate(program.tiers[1:], start=1):
        if summary is not None:
            above = [t.name for t in program.tiers[k:]]
            share_m = float(summary.loc[above, "share"].sum())
            share_r = float(summary.loc[above, "revenue_share"].sum())
        else:
            n_at = int((s >= tier.upgrade).sum())
            share_m = n_at / len(s) if len(s) else 0.0
            share_r = ordered[:n_at].sum() / ordered.sum() if ordered.sum() > 0 else 0.0
        color = TIER_COLORS[k % len(TIER_COLORS)]
        ax.plot([share_m], [share_r], marker="o", markersize=8, color=color, linestyle="none")
        ax.annotate(
            t(
                "tiers.plot.pareto_point",
                lang,
                tier=tier.name,
                members=pct(share_m, 1),
                revenue=pct(share_r, 1),
            ),
            (share_m, share_r),
            xytext=(8, -14),
            textcoords="offset points",
            color=color,
        )
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: pct(v, 0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: pct(v, 0)))
    ax.set(
        title=t("tiers.plot.pareto_title", lang),
        xlabel=t("tiers.plot.member_share_axis", lang),
        ylabel=t("tiers.plot.revenue_share_axis", lang),
        xlim=(0, 1),
        ylim=(0, 1.02),
    )
    return ax


def tier_shares(summary: pd.DataFrame, *, lang: str = "zh-TW", ax=None):
    """Bars per tier: share of members next to share of revenue (``simulate(...).summary``)."""
    check_language(lang)
    data = summary.drop(index="Total", errors="ignore")
    ax = axes(ax, (6, 3.8))
    x = np.arange(len(data))
    ax.bar(x - 0.2, data["share"], width=0.4, color="#B0B7C3", label=t("tiers.col.share", lang))
    ax.bar(
        x + 0.2, data["revenue_share"], width=0.4, color="#4C72B0", label=t("tiers.col.revenue_share", lang)
    )
    ax.set_xticks(x, list(data.index))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: pct(v, 0)))
    ax.set(title=t("tiers.plot.shares_title", lang), ylabel="")
    ax.legend(frameon=False)
    return ax


def tier_history(table: pd.DataFrame, *, lang: str = "zh-TW", months: int = 24, ax=None):
    """Members per tier at each month end (``Replay.tier_table()``), stacked, for the last ``months`` months; the entry tier is left out so that the upper tiers stay readable."""
    from workbench.i18n import month_label

    check_language(lang)
    data = table.iloc[-months:, 1:]
    ax = axes(ax, (7.5, 3.8))
    x = np.arange(len(data))
    colors = [TIER_COLORS[k % len(TIER_COLORS)] for k in range(1, table.shape[1])]
    ax.stackplot(x, data.to_numpy().T, labels=list(data.columns), colors=colors, alpha=0.85)
    step = max(1, int(np.ceil(len(data) / 8)))
    ax.set_xticks(x[::step], [month_label(m, lang) for m in data.index[::step]], rotation=30, ha="right")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set(title=t("tiers.plot.history_title", lang), xlabel="", ylabel=t("tiers.plot.members_axis", lang))
    ax.legend(loc="upper left", frameon=False)
    return ax
