"""The monthly KPIs in words and tables: formatted values, month-over-month changes, findings.

``kpi_table`` puts this month's KPIs next to last month's; ``findings`` writes three to five plain
sentences for management from the numbers of ``workbench.kpis.monthly_kpis``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from workbench.i18n import check_language, money, month_label, number, pct, pct_points, t
from workbench.kpis import CHANGE_KIND, KPI_COLUMNS
from workbench.segments import ClaimCheck

# how each KPI is formatted in tables and findings
KPI_FORMAT: dict[str, Literal["count", "money", "share"]] = {
    "members": "count",
    "new_members": "count",
    "member_growth_rate": "share",
    "active_members": "count",
    "returning_members": "count",
    "orders": "count",
    "gross_revenue": "money",
    "returns": "money",
    "net_revenue": "money",
    "aov": "money",
    "revenue_per_active": "money",
    "repurchase_rate": "share",
    "returning_revenue_share": "share",
    "store_revenue": "money",
    "online_revenue": "money",
    "online_share": "share",
    "returns_rate": "share",
}


CHANNEL_KPIS: tuple[str, ...] = ("store_revenue", "online_revenue", "online_share")
"""The KPIs of the store / online split (NaN throughout when the log has no channel column)."""


def channel_note(kpis: pd.DataFrame, *, lang: str = "zh-TW", months: int = 13) -> str | None:
    """The sentence in place of ``plots.overview.channel_revenue`` when there is no split to show.

    Parameters
    ----------
    kpis : DataFrame
        ``workbench.kpis.monthly_kpis``.
    lang : str
    months : int
        The months the plot would show (the last ``months``).

    Returns
    -------
    str or None
        Why there is no plot (no channel column, or no revenue labelled store or online in those months);
        None when the plot has something to show.
    """
    check_language(lang)
    shown = kpis[["store_revenue", "online_revenue"]].iloc[-months:]
    if shown.isna().all().all():
        return t("overview.empty.no_channel", lang)
    if not (shown.fillna(0.0).to_numpy() > 0).any():
        return t("overview.empty.channel", lang, months=number(len(shown)))
    return None


def guest_note(guests: dict | None, *, lang: str = "zh-TW", currency: str = "TWD") -> str | None:
    """The sentence on guest sales left out of the member figures; None when the export has none.

    Parameters
    ----------
    guests : dict or None
        ``workbench.data.guest_totals``: ``rows``, ``revenue``, ``member_revenue`` (the whole export).
    lang, currency : str
        The report language and the brand's currency.

    Returns
    -------
    str or None
        Plain text (display it with ``workbench.notebook.paragraph``).
    """
    if not guests or not guests.get("rows"):
        return None
    total = guests["member_revenue"] + guests["revenue"]
    share = pct(guests["member_revenue"] / total) if total > 0 else "–"
    return t(
        "overview.guests",
        lang,
        rows=number(guests["rows"]),
        revenue=money(guests["revenue"], currency),
        share=share,
    )


def format_value(value: float, kind: str, currency: str = "TWD") -> str:
    """``value`` shown as ``kind`` says: money, a share or a count."""
    if kind == "money":
        return money(value, currency)
    if kind == "share":
        return pct(value)
    return number(value)


def format_change(change: float, kind: str, lang: str = "zh-TW") -> str:
    """``+5.0%`` for a relative change, ``+1.2 pp`` (``+1.2 個百分點``) for a change of a rate."""
    if change is None or pd.isna(change):
        return "–"
    if abs(change) < 0.0005:  # shown as 0.0: no "-0.0"
        change = 0.0
    if kind == "points":
        return pct_points(change, lang)
    return pct(change, signed=True)


def kpi_table(
    kpis: pd.DataFrame, month, *, lang: str = "zh-TW", currency: str = "TWD", columns=None
) -> pd.DataFrame:
    """The month's KPIs next to last month's and the change, formatted, with translated headers.

    Parameters
    ----------
    kpis : DataFrame
        ``workbench.kpis.monthly_kpis``.
    month : str or Period
        The report month.
    lang, currency : str
    columns : list of str, optional
        The KPIs to show; by default every KPI but ``returning_members``, and without the channel KPIs
        when the log has no channel column.

    Returns
    -------
    DataFrame
        One row per KPI: its name, this month, last month and the change (formatted text).
    """
    check_language(lang)
    p = pd.Period(month, freq="M")
    if columns is None:  # without a channel column the store / online rows would only hold dashes
        skip = {"returning_members", *(CHANNEL_KPIS if kpis["store_revenue"].isna().all() else ())}
        columns = [c for c in KPI_COLUMNS if c not in skip]
    columns = list(columns)
    rows = []
    for col in columns:
        kind = KPI_FORMAT[col]
        now = kpis.at[p, col]
        prev = kpis.at[p - 1, col] if (p - 1) in kpis.index else np.nan
        change = kpis.at[p, f"{col}_mom"] if f"{col}_mom" in kpis.columns else np.nan
        rows.append(
            {
                t("overview.col.kpi", lang): t(f"overview.kpi.{col}", lang),
                month_label(p, lang): format_value(now, kind, currency),
                month_label(p - 1, lang): format_value(prev, kind, currency),
                t("overview.col.change", lang): format_change(change, CHANGE_KIND.get(col, "relative"), lang),
            }
        )
    return pd.DataFrame(rows)


def findings(
    kpis: pd.DataFrame,
    month,
    *,
    lang: str = "zh-TW",
    currency: str = "TWD",
    claim=None,
    window_days: int = 365,
    nes_summary: pd.DataFrame | None = None,
    churning_members: int | None = None,
    sleeping_days: int = 365,
    churning_days: int = 180,
) -> list[str]:
    """Three to five plain sentences for management, generated from the numbers.

    ``claim`` is a ``workbench.segments.ClaimCheck``; ``nes_summary`` a ``segment_summary`` of NES (row
    ``sleeping`` is used) and ``churning_members`` the number of members flagged churning.
    """
    check_language(lang)
    p = pd.Period(month, freq="M")
    row = kpis.loc[p]
    has_prev = (p - 1) in kpis.index
    rel = lambda col: format_change(row[f"{col}_mom"], "relative", lang)  # noqa: E731
    pts = lambda col: format_change(row[f"{col}_mom"], "points", lang)  # noqa: E731
    out = []
    if has_prev:
        out.append(
            t(
                "overview.finding.activity",
                lang,
                month=month_label(p, lang),
                prev_month=month_label(p - 1, lang),
                active=number(row["active_members"]),
                active_change=rel("active_members"),
                net=money(row["net_revenue"], currency),
                net_change=rel("net_revenue"),
            )
        )
        a, r = row["active_members_mom"], row["revenue_per_active_mom"]
        if pd.notna(a) and pd.notna(r):
            if np.sign(a) * np.sign(r) < 0:
                key = "driver_offset"
            else:
                key = "driver_buyers" if abs(np.log1p(a)) >= abs(np.log1p(r)) else "driver_spend"
            out.append(
                t(
                    f"overview.finding.{key}",
                    lang,
                    revenue_change=rel("gross_revenue"),
                    active_change=rel("active_members"),
                    rpa_change=rel("revenue_per_active"),
                    rpa=money(row["revenue_per_active"], currency),
                )
            )
    else:
        out.append(
            t(
                "overview.finding.activity_first",
                lang,
                month=month_label(p, lang),
                active=number(row["active_members"]),
                net=money(row["net_revenue"], currency),
            )
        )
    out.append(
        t(
            "overview.finding.repurchase",
            lang,
            repurchase=pct(row["repurchase_rate"]),
            repurchase_change=pts("repurchase_rate"),
            returning_share=pct(row["returning_revenue_share"]),
            new_members=number(row["new_members"]),
            growth=pct(row["member_growth_rate"]),
        )
    )
    if claim is not None:
        key = "claim_holds" if claim.holds else "claim_fails"
        out.append(
            t(
                f"overview.finding.{key}",
                lang,
                top=pct(claim.top_share, 0),
                claimed=pct(claim.claimed_revenue_share, 0),
                actual=pct(claim.actual_revenue_share),
                needed=pct(claim.members_needed_share),
                window=number(window_days),
            )
        )
    if nes_summary is not None and churning_members is not None:
        out.append(
            t(
                "overview.finding.sleeping",
                lang,
                sleeping=pct(nes_summary.at["sleeping", "member_share"]),
                sleeping_n=number(nes_summary.at["sleeping", "members"]),
                churning_n=number(churning_members),
                sleeping_days=number(sleeping_days),
                churning_days=number(churning_days),
            )
        )
    return out[:5]


def concentration_sentence(concentration: ClaimCheck, window_days: int, lang: str) -> str:
    """The member overview's concentration figure in a sentence that names its window.

    For the pages that restate it (the tier page's finding and its Pareto section), from the same
    ``ClaimCheck`` the overview's headline shows.

    Parameters
    ----------
    concentration : ClaimCheck
        ``segments.check_claim(segments.buyers_spend(features), top, ...)``.
    window_days : int
        Its window.
    lang : str
        ``zh-TW`` or ``en``.

    Returns
    -------
    str
    """
    return t(
        "tiers.finding.pareto",
        lang,
        members=pct(concentration.top_share, 0),
        revenue=pct(concentration.actual_revenue_share),
        window=number(window_days),
    )
