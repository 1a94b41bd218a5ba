"""The campaign analysis in words, tables and HTML: findings, verdict, headline figures, display tables.

Everything here formats a ``workbench.experiments.CampaignAnalysis``; nothing computes a statistic.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from workbench.experiments import (
    DEFAULT_METRICS,
    CampaignAnalysis,
    CampaignEconomics,
    CampaignLook,
    CampaignMonitor,
    supported_policy,
)
from workbench.i18n import catalog, date_label, join_list, money, money_compact, number, pct, t
from workbench.text.html import paragraph_html


def arm_label(arm: str, lang: str) -> str:
    """Display name of an arm (``experiments.arm.<name>`` when the catalog has it, else the name)."""
    key = f"experiments.arm.{arm}"
    return t(key, lang) if key in catalog() else str(arm)


def column_label(column: str | None, lang: str) -> str:
    """Display name of a data column (``experiments.column.<name>`` when the catalog has it)."""
    key = f"experiments.column.{column}"
    return t(key, lang) if key in catalog() else str(column)


def points(value: float, lang: str) -> str:
    """A difference of two rates in percentage points: ``0.031`` -> ``+3.1 pp``."""
    return t("experiments.pp", lang, value=f"{value * 100:+.1f}")


def p_label(p: float) -> str:
    """A p-value for a table cell: ``0.012``, or ``< 0.001``."""
    return "< 0.001" if p < 0.001 else number(p, 3)


def p_relation(p: float) -> str:
    """A p-value for a sentence, with its relation sign: ``= 0.012`` or ``< 0.001``.

    Messages write ``p {p}``, so the text reads "p = 0.012" or "p < 0.001" (never "p = < 0.001").
    """
    label = p_label(p)
    return label if label.startswith("<") else f"= {label}"


def _ci(lo: float, hi: float, fmt) -> str:
    return f"{fmt(lo)} – {fmt(hi)}"


def campaign_findings(
    result: CampaignAnalysis,
    lang: str,
    currency: str = "TWD",
    monitor: CampaignMonitor | None = None,
    *,
    tested_shares: dict[str, float] | None = None,
) -> list[str]:
    """Findings as sentences in ``lang``, the decision first (the report shows the first few as its summary).

    Order: a FAILED sample-ratio check (everything below is suspect), the targeted-vs-blanket verdict, cost,
    profit and ROI per arm, the revenue then conversion lifts, a passed sample-ratio check, the best targeting
    rule (:func:`supported_policy`: only inside what was randomised and only when its interval is above
    zero, else a sentence saying no rule is supported), the variance reduction of the covariate adjustment,
    and the segment interactions.

    Parameters
    ----------
    result : CampaignAnalysis
        The campaign's analysis (``analyze_campaign``).
    lang : str
        ``zh-TW`` or ``en``.
    currency : str
        Of the amounts.
    monitor : CampaignMonitor, optional
        ``monitor_campaign`` of the report month; while the campaign runs, the decision comes from its
        always-valid interval (``decision_sentence``), the lifts are its always-valid
        effects, and the money side, policy and segments (verdicts from a noisy month) are left out.
    tested_shares : dict of str to float, optional
        Per arm, the top share of the randomised members (by ``policy_by``) its offer actually reached, e.g.
        ``{"vip_gift": 0.2}`` for a gift handed only to the top 20%: rules beyond it are not recommended.

    Returns
    -------
    list of str
    """
    s = result.settings
    running = monitor is not None and monitor.look.running
    srm = t(
        "experiments.finding.srm_ok" if result.srm_ok else "experiments.finding.srm_bad",
        lang,
        p=p_relation(result.srm_p),
    )
    out = [] if result.srm_ok else [srm]
    eco = None if running else result.economics
    if running and monitor.decision is not None:
        out.append(decision_sentence(monitor, lang, currency))
    if eco is not None and eco.verdict is not None:
        out.append(verdict_sentence(eco, lang, currency))
    if eco is not None:
        e = eco.economics.set_index(["arm", "quantity"])
        for arm in eco.economics["arm"].unique():
            profit = e.loc[(arm, "net_incremental_profit")]
            out.append(
                t(
                    "experiments.finding.money",
                    lang,
                    arm=arm_label(arm, lang),
                    cost=money(e.loc[(arm, "campaign_cost"), "estimate"], currency),
                    profit=money(profit["estimate"], currency),
                    ci=_ci(profit["ci_low"], profit["ci_high"], lambda v: money(v, currency)),
                    roi=pct(e.loc[(arm, "roi"), "estimate"], 0, signed=True),
                )
            )
    table = result.adjusted if result.adjusted is not None else result.effects
    table = monitor.effects if running else table
    rows = [
        row
        for row in table.itertuples(index=False)
        if row.metric in (s.revenue, "converted") and not (isinstance(row.error, str) and row.error)
    ]
    rows.sort(key=lambda row: row.metric != s.revenue)  # revenue first; stable: arms keep their order
    for row in rows:
        fmt = (lambda v: money(v, currency)) if row.metric == s.revenue else (lambda v: points(v, lang))
        sig = row.p_adjusted < s.alpha
        out.append(
            t(
                f"experiments.finding.effect_{'sig' if sig else 'ns'}",
                lang,
                arm=arm_label(row.arm, lang),
                metric=t(f"experiments.metric.{row.metric}", lang)
                if row.metric in DEFAULT_METRICS
                else row.metric,
                lift=fmt(row.abs_lift),
                rel=pct(row.rel_lift, 1, signed=True),
                ci=_ci(row.abs_ci_low, row.abs_ci_high, fmt),
                p=p_relation(row.p_adjusted),
            )
        )
    if result.srm_ok:
        out.append(srm)
    if eco is not None and s.policy_by and len(eco.policy):
        best = supported_policy(eco.policy, tested_shares)
        if best is None:
            out.append(t("experiments.finding.policy_none", lang, by=column_label(s.policy_by, lang)))
        else:
            out.append(
                t(
                    "experiments.finding.policy",
                    lang,
                    arm=arm_label(best["arm"], lang),
                    share=pct(best["share"], 0),
                    by=column_label(s.policy_by, lang),
                    value=money(best["value_per_1000"], currency),
                    ci=_ci(best["ci_low"], best["ci_high"], lambda v: money(v, currency)),
                )
            )
    if s.covariate and "variance_reduction" in table:
        vr = table.loc[table["metric"] == s.revenue, "variance_reduction"].dropna()
        if len(vr):
            out.append(
                t(
                    "experiments.finding.cuped",
                    lang,
                    covariate=column_label(s.covariate, lang),
                    vr=pct(float(vr.mean()), 0),
                )
            )
    if not running and result.segments is not None and "interaction_p" in result.segments:
        seg = result.segments[result.segments["metric"] == s.revenue].drop_duplicates("arm")
        for row in seg.itertuples(index=False):
            key = (
                "experiments.finding.segment_differs"
                if row.interaction_p < s.alpha
                else "experiments.finding.segment_same"
            )
            out.append(
                t(
                    key,
                    lang,
                    arm=arm_label(row.arm, lang),
                    segment=column_label(s.segment, lang),
                    p=p_relation(row.interaction_p),
                )
            )
    return out


def look_label(look: CampaignLook, lang: str) -> str:
    """``look 1 of 2`` / ``第 1 次檢視（共 2 次）``.

    Parameters
    ----------
    look : CampaignLook
        From ``workbench.experiments.campaign_look``.
    lang : str
        ``zh-TW`` or ``en``.

    Returns
    -------
    str
    """
    return t("experiments.look.label", lang, k=look.look, n=look.looks)


def decision_sentence(monitor: CampaignMonitor, lang: str, currency: str = "TWD") -> str:
    """The targeted-vs-blanket decision of a running campaign, read from the always-valid interval only.

    "Targeted beats blanket" only when the interval of the difference in net profit per member lies above
    zero ("blanket beats targeted" below); otherwise "not yet decided" with the current estimate.

    Parameters
    ----------
    monitor : CampaignMonitor
        With a ``decision`` (both arms in the campaign).
    lang : str
        ``zh-TW`` or ``en``.
    currency : str
        Of the amounts.

    Returns
    -------
    str
    """
    d = monitor.decision
    fmt = lambda v: money(v, currency)  # noqa: E731
    flip = d.outcome == "blanket_better"
    lo, hi = (-d.ci_high, -d.ci_low) if flip else (d.ci_low, d.ci_high)
    return t(
        f"experiments.decision.{d.outcome}",
        lang,
        targeted=arm_label(d.targeted, lang),
        blanket=arm_label(d.blanket, lang),
        diff=fmt(abs(d.estimate)),
        signed=fmt(d.estimate),
        ci=f"{fmt(lo)} – {fmt(hi)}",
        p=p_relation(d.p_value),
        look=look_label(monitor.look, lang),
    )


def verdict_sentence(eco: CampaignEconomics, lang: str, currency: str = "TWD") -> str:
    """The targeted-vs-blanket verdict in plain language ("inconclusive" when the CI includes zero)."""
    v = eco.verdict
    lo, hi = (v.ci_low, v.ci_high) if v.outcome != "blanket_better" else (-v.ci_high, -v.ci_low)
    return t(
        f"experiments.verdict.{v.outcome}",
        lang,
        targeted=arm_label(v.targeted, lang),
        blanket=arm_label(v.blanket, lang),
        diff=money(abs(v.profit_difference), currency),
        ci=_ci(lo, hi, lambda x: money(x, currency)),
    )


# ----------------------------------------------------------------------------------------------
# report pieces for notebooks/campaign_ab.ipynb (aggregates only)


def srm_banner_html(result: CampaignAnalysis, lang: str) -> str:
    """The sample-ratio result as a prominent, escaped banner (green when passed, red when not)."""
    import html

    key = "experiments.srm_ok_banner" if result.srm_ok else "experiments.srm_bad_banner"
    color, border = ("#e8f5e9", "#2e7d32") if result.srm_ok else ("#ffebee", "#c62828")
    text = html.escape(t(key, lang, p=p_relation(result.srm_p)))
    return (
        f'<div class="wb-srm" style="background:{color};border-left:6px solid {border};'
        f'padding:0.8em 1em;font-size:1.1em;font-weight:bold">{text}</div>'
    )


def campaign_headlines(
    result: CampaignAnalysis,
    lang: str,
    currency: str = "TWD",
    *,
    status: str | None = None,
    running: bool = False,
) -> dict[str, str]:
    """2-4 headline figures: the campaign status, SRM, the verdict, and net profit per member of the arms.

    Parameters
    ----------
    result : CampaignAnalysis
        The campaign's analysis.
    lang : str
        ``zh-TW`` or ``en``.
    currency : str
        Of the amounts.
    status : str, optional
        ``workbench.text.looks.campaign_status`` of the report month, shown first.
    running : bool
        The campaign is still running: no verdict or profit (they would be read from a noisy month).

    Returns
    -------
    dict
        Label -> value, at most 4 (the month's index shows them).
    """
    p = p_relation(result.srm_p)
    out = {} if status is None else {t("experiments.status.heading", lang): status}
    out[t("experiments.headline.srm", lang)] = t(
        f"experiments.headline.srm_{'ok' if result.srm_ok else 'bad'}", lang, p=p
    )
    eco = result.economics
    if eco is None or running:
        return out
    if eco.verdict is not None:
        v = eco.verdict
        out[t("experiments.headline.verdict", lang)] = t(f"experiments.headline.outcome.{v.outcome}", lang)
        arms = [v.targeted, v.blanket]
    else:
        arms = list(dict.fromkeys(eco.economics["arm"]))[:2]
    for arm in arms:
        row = eco.economics[
            (eco.economics["arm"] == arm) & (eco.economics["quantity"] == "net_incremental_profit")
        ]
        out[t("experiments.headline.profit", lang, arm=arm_label(arm, lang))] = money(
            row["estimate"].iloc[0], currency
        )
    return dict(list(out.items())[:4])


def _formatter(metric: str, kind: str, s_revenue: str, lang: str, currency: str):

    if metric == s_revenue:
        return lambda v: money(v, currency)
    if kind == "binary":
        return lambda v: pct(v, 1)
    return lambda v: number(v, 3)


def effects_display(effects: pd.DataFrame, lang: str, currency: str = "TWD", revenue: str = "revenue"):
    """The effects table as display strings (per-metric units) and ``table()`` options."""
    rows = []
    for r in effects.itertuples(index=False):
        if isinstance(r.error, str) and r.error:
            continue
        level = _formatter(r.metric, r.kind, revenue, lang, currency)
        diff = (lambda v: points(v, lang)) if r.kind == "binary" and r.metric != revenue else level
        rows.append(
            {
                "arm": arm_label(r.arm, lang),
                "metric": t(f"experiments.metric.{r.metric}", lang)
                if r.metric in DEFAULT_METRICS
                else r.metric,
                "control": level(r.mean_control),
                "group": level(r.mean_arm),
                "lift": f"{diff(r.abs_lift)} ({pct(r.rel_lift, 1, signed=True)})",
                "ci": _ci(r.abs_ci_low, r.abs_ci_high, diff),
                "p": p_label(r.p_adjusted),
            }
        )
    frame = pd.DataFrame(rows, columns=["arm", "metric", "control", "group", "lift", "ci", "p"])
    return frame, {"headers": {c: t(f"experiments.col.{c}", lang) for c in frame.columns}}


def economics_display(economics: pd.DataFrame, lang: str, currency: str = "TWD"):
    """Cost/ROI table as display strings and ``table()`` options."""
    one = money(1, currency)  # "Cost per NT$1 of incremental revenue" in the brand's currency
    rows = []
    for r in economics.itertuples(index=False):
        if r.quantity == "roi":
            fmt = lambda v: pct(v, 0, signed=True)  # noqa: E731
        elif r.quantity == "cost_per_incremental_revenue":
            fmt = lambda v: money(v, currency, 2)  # noqa: E731
        else:
            fmt = lambda v: money(v, currency)  # noqa: E731
        rows.append(
            {
                "arm": arm_label(r.arm, lang),
                "quantity": t(f"experiments.quantity.{r.quantity}", lang, one=one),
                "estimate": fmt(r.estimate),
                "ci": _ci(r.ci_low, r.ci_high, fmt) if np.isfinite(r.ci_low) else "–",
                "total": money_compact(r.total, currency, lang) if np.isfinite(r.total) else "–",
            }
        )
    frame = pd.DataFrame(rows, columns=["arm", "quantity", "estimate", "ci", "total"])
    return frame, {"headers": {c: t(f"experiments.col.{c}", lang) for c in frame.columns}}


def truth_display(
    effects: pd.DataFrame, true_effects: Mapping, lang: str, currency: str = "TWD", revenue: str = "revenue"
):
    """Estimated vs recorded true effects (demo data) with whether each truth lies inside the CI."""
    rows = []
    for r in effects.itertuples(index=False):
        true = true_effects.get(r.arm, {}).get(r.metric)
        if true is None or not np.isfinite(r.abs_lift):
            continue
        fmt = (
            (lambda v: points(v, lang))
            if r.kind == "binary"
            else _formatter(r.metric, r.kind, revenue, lang, currency)
        )
        inside = r.abs_ci_low <= true <= r.abs_ci_high
        rows.append(
            {
                "arm": arm_label(r.arm, lang),
                "metric": t(f"experiments.metric.{r.metric}", lang)
                if r.metric in DEFAULT_METRICS
                else r.metric,
                "truth": fmt(true),
                "estimate": fmt(r.abs_lift),
                "ci": _ci(r.abs_ci_low, r.abs_ci_high, fmt),
                "covered": t("experiments.yes" if inside else "experiments.no", lang),
            }
        )
    frame = pd.DataFrame(rows, columns=["arm", "metric", "truth", "estimate", "ci", "covered"])
    return frame, {"headers": {c: t(f"experiments.col.{c}", lang) for c in frame.columns}}


def verdict_html(eco: CampaignEconomics, lang: str, currency: str = "TWD") -> str:
    """The verdict sentence as escaped, emphasised HTML (arm names are data text)."""
    import html

    return f'<p class="wb-verdict"><strong>{html.escape(verdict_sentence(eco, lang, currency))}</strong></p>'


def design_sentence(result: CampaignAnalysis, lang: str, currency: str = "TWD") -> str:
    """How big an effect on revenue per member this experiment could detect (``CampaignAnalysis.design``)."""
    row = result.design
    if row is None:
        return ""
    return t(
        "experiments.design_sentence",
        lang,
        members=number(int(result.arm_counts["members"].sum())),
        mde=money(row["mde"], currency),
        rel=pct(row["mde_relative"], 1),
        arms=len(result.arm_counts) - 1,
    )


def balance_display(balance: pd.DataFrame, lang: str):
    """Covariate balance (standardised mean differences) as display strings and ``table()`` options."""
    frame = pd.DataFrame(
        {
            "arm": [arm_label(a, lang) for a in balance["arm"]],
            "covariate": [column_label(c, lang) for c in balance["covariate"]],
            "smd": [number(v, 3) for v in balance["smd"]],
            "balanced": [t("experiments.yes" if b else "experiments.no", lang) for b in balance["balanced"]],
        }
    )
    return frame, {"headers": {c: t(f"experiments.col.{c}", lang) for c in frame.columns}}


def outcomes_source_html(campaign, lang: str) -> str:
    """Where the report's outcomes came from, as an escaped paragraph (a note).

    Parameters
    ----------
    campaign : workbench.experiments.CampaignData
        ``load_campaign`` output: measured from the log over the window for the members of the assignment list
        with costs from params, or the campaign table's own columns.
    lang : str
        ``zh-TW`` or ``en``.

    Returns
    -------
    str
        ``<p class="wb-note">...</p>``.
    """
    if campaign.measured:
        costs = getattr(campaign.costs, "arms", {}) or {}
        text = t(
            "experiments.source_measured",
            lang,
            members=number(len(campaign.frame)),
            listing=campaign.source,
            log=campaign.transactions,
            start=date_label(campaign.start, lang),
            end=date_label(campaign.end, lang),
            costs=join_list([arm_label(a, lang) for a in costs], lang)
            if costs
            else t("experiments.no_costs", lang),
        )
    else:
        text = t("experiments.source_table", lang, table=campaign.source)
    return paragraph_html(text, note=True)
