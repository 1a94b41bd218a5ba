"""Text of the tier simulation report: formatted tables, findings and headlines generated from the numbers,
and the audience export. Aggregates only, except ``write_audience`` (member ids, on request)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.i18n import check_language, join_list, money, money_compact, number, pct, t
from workbench.tiers import ProjectedSimulation, TierProgram, TierSimulation


def threshold_text(program: TierProgram, lang: str, currency: str = "TWD") -> str:
    """``Silver NT$10,000 (renewal NT$8,000), Gold ...`` in the report language."""
    items = [
        t(
            "tiers.threshold_item",
            lang,
            tier=tier.name,
            upgrade=_amount(tier.upgrade, program, currency),
            renewal=_amount(tier.renewal, program, currency),
        )
        for tier in program.tiers[1:]
    ]
    return join_list(items, lang)


def _amount(value: float, program: TierProgram, currency: str) -> str:
    return money(value, currency) if program.metric == "spend" else number(value)


def summary_table(summary: pd.DataFrame, lang: str, currency: str = "TWD") -> tuple[pd.DataFrame, dict]:
    """``simulate(...).summary`` as a frame and the ``formats``/``headers`` keywords of
    ``workbench.notebook.table``/``table_html`` (numbers stay numbers, so they are right-aligned)."""
    check_language(lang)
    frame = summary.reset_index()
    frame["tier"] = [t("tiers.total", lang) if i == "Total" else i for i in frame["tier"]]
    money_fmt = lambda v: money(v, currency)  # noqa: E731
    formats = {
        "members": number,
        "share": pct,
        "revenue": money_fmt,
        "revenue_share": pct,
        "benefit_cost": money_fmt,
        "cost_pct": pct,
        "net_revenue": money_fmt,
    }
    headers = {col: t(f"tiers.col.{col}", lang) for col in ["tier", *formats]}
    return frame, {"formats": formats, "headers": headers}


def targets_display(
    program: TierProgram, shares: dict[str, float], lang: str, currency: str = "TWD"
) -> pd.DataFrame:
    rows = []
    for tier in program.tiers[1:]:
        if tier.name not in shares:
            continue
        rows.append(
            {
                t("tiers.col.tier", lang): tier.name,
                t("tiers.col.target_share", lang): pct(shares[tier.name]),
                t("tiers.col.threshold", lang): _amount(tier.upgrade, program, currency),
                t("tiers.col.renewal", lang): _amount(tier.renewal, program, currency),
            }
        )
    return pd.DataFrame(rows)


def audience_counts(audience: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Members about to upgrade, counted by current and next tier (aggregate; no member ids)."""
    counts = audience.groupby(["tier", "next_tier"], sort=False).size().reset_index(name="n")
    return pd.DataFrame(
        {
            t("tiers.col.tier", lang): counts["tier"],
            t("tiers.col.next_tier", lang): counts["next_tier"],
            t("tiers.col.members", lang): [number(v) for v in counts["n"]],
        }
    )


def migration_counts(migration: pd.DataFrame) -> tuple[float, float, float]:
    """(downgraded, upgraded, members above the entry tier today) from a migration matrix (rows: today's
    tier, columns: next tier, both in programme order)."""
    m = migration.to_numpy(float)
    return float(np.tril(m, -1).sum()), float(np.triu(m, 1).sum()), float(m[1:].sum())


def findings(
    empirical: TierSimulation,
    projected: ProjectedSimulation | TierSimulation,
    *,
    spend: pd.Series,
    target_program: TierProgram,
    target_shares: dict[str, float],
    target_sim: TierSimulation,
    audience: pd.DataFrame,
    within: float,
    lang: str,
    currency: str = "TWD",
) -> list[str]:
    """Plain-language findings, every figure taken from the results passed in."""
    check_language(lang)
    top = empirical.program.names[-1]
    e = empirical.summary
    out = [
        t(
            "tiers.finding.top_tier",
            lang,
            tier=top,
            share=pct(e.loc[top, "share"]),
            revenue_share=pct(e.loc[top, "revenue_share"], 0),
            cost=money_compact(e.loc[top, "benefit_cost"], currency, lang),
            cost_pct=pct(e.loc[top, "cost_pct"]),
        ),
        t(
            "tiers.finding.total_cost",
            lang,
            cost=money_compact(e.loc["Total", "benefit_cost"], currency, lang),
            cost_pct=pct(e.loc["Total", "cost_pct"]),
            net=money_compact(e.loc["Total", "net_revenue"], currency, lang),
        ),
        _projection_finding(projected, e, top, lang),
    ]
    down, up, above = migration_counts(projected.migration)
    out.append(
        t(
            "tiers.finding.migration",
            lang,
            down=number(down),
            down_share=pct(down / above if above else np.nan),
            up=number(up),
        )
    )
    targets = join_list(
        [t("tiers.finding.target_item", lang, tier=k, share=pct(v, 0)) for k, v in target_shares.items()],
        lang,
    )
    thresholds = join_list(
        [
            f"{tier.name} {_amount(tier.upgrade, target_program, currency)}"
            for tier in target_program.tiers[1:]
            if tier.name in target_shares
        ],
        lang,
    )
    out.append(
        t(
            "tiers.finding.targets",
            lang,
            targets=targets,
            thresholds=thresholds,
            cost_pct=pct(target_sim.summary.loc["Total", "cost_pct"]),
        )
    )
    s = np.sort(np.maximum(spend.to_numpy(float), 0.0))[::-1]
    if s.sum() > 0:
        k = max(1, int(round(0.05 * len(s))))
        out.append(
            t("tiers.finding.pareto", lang, members=pct(0.05, 0), revenue=pct(s[:k].sum() / s.sum(), 0))
        )
    out.append(t("tiers.finding.audience", lang, count=number(len(audience)), within=pct(within, 0)))
    return out


def _projection_finding(projected, e: pd.DataFrame, top: str, lang: str) -> str:
    p = projected.summary
    values = {
        "tier": top,
        "share": pct(p.loc[top, "share"]),
        "empirical": pct(e.loc[top, "share"]),
        "cost_pct": pct(p.loc["Total", "cost_pct"]),
    }
    if isinstance(projected, ProjectedSimulation):
        iv = projected.intervals
        return t(
            "tiers.finding.projection_draws",
            lang,
            draws=number(projected.draws),
            low=pct(iv.loc[top, "share_low"]),
            high=pct(iv.loc[top, "share_high"]),
            **values,
        )
    return t("tiers.finding.projection", lang, **values)


def headlines(
    empirical: TierSimulation,
    projected: ProjectedSimulation | TierSimulation,
    audience: pd.DataFrame,
    lang: str,
) -> dict[str, str]:
    top = empirical.program.names[-1]
    down, _, _ = migration_counts(projected.migration)
    return {
        t("tiers.headline.top_share", lang, tier=top): pct(empirical.summary.loc[top, "share"]),
        t("tiers.headline.cost_pct", lang): pct(empirical.summary.loc["Total", "cost_pct"]),
        t("tiers.headline.downgrades", lang): number(down),
        t("tiers.headline.about_to_upgrade", lang): number(len(audience)),
    }
