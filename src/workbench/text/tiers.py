"""Text of the tier simulation report.

Formatted tables, findings and headlines generated from the numbers, the sentences that replace a plot with
nothing to show (``*_note``: ``None`` when the plot has something to show), and whether the programme's
thresholds fit the brand's spend (``fit_findings``). Aggregates only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.i18n import check_language, join_list, money, money_compact, number, pct, t
from workbench.segments import ClaimCheck
from workbench.text.overview import concentration_sentence
from workbench.tiers import ProjectedSimulation, ThresholdFit, TierProgram, TierSimulation, sweep_covers


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
    """``simulate(...).summary`` as a frame and the ``formats``/``headers`` keywords of ``workbench.notebook.table``/``table_html`` (numbers stay numbers, so they are right-aligned)."""
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
    """The target share of each tier beside the threshold it would need, as display strings."""
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
    """(downgraded, upgraded, members above the entry tier today) from a migration matrix (rows.

    Today's tier, columns: next tier, both in programme order).
    """
    m = migration.to_numpy(float)
    return float(np.tril(m, -1).sum()), float(np.triu(m, 1).sum()), float(m[1:].sum())


def findings(
    empirical: TierSimulation,
    projected: ProjectedSimulation | TierSimulation,
    *,
    concentration: ClaimCheck | None = None,
    window_days: int = 365,
    target_program: TierProgram,
    target_shares: dict[str, float],
    target_sim: TierSimulation,
    audience: pd.DataFrame,
    within: float,
    lang: str,
    currency: str = "TWD",
    fit: ThresholdFit | None = None,
) -> list[str]:
    """Plain-language findings, every figure taken from the results passed in.

    Parameters
    ----------
    empirical, projected : TierSimulation or ProjectedSimulation
        Next year on last year's spend, and on projected spend.
    concentration : ClaimCheck, optional
        ``workbench.segments.check_claim(buyers_spend(features), 0.05, ...)``: the revenue share of the top
        members over ``window_days``, the same figure (same function, same window) as the member overview's;
        without it the findings leave concentration out.
    window_days : int
        The window of ``concentration`` (stated in the sentence).
    target_program : TierProgram or None
        The thresholds for ``target_shares`` (None when they cannot be met: ``fit`` says why).
    target_shares : dict of str to float
    target_sim : TierSimulation or None
        ``simulate(spend, target_program)``.
    audience : DataFrame
        ``about_to_upgrade``.
    within : float
        Its distance below the next threshold.
    lang, currency : str
    fit : ThresholdFit, optional
        ``threshold_fit(spend, program, target_shares)``: when the thresholds do not fit, the findings open
        with why and the thresholds the targets need, and leave out what would only repeat zeros.

    Returns
    -------
    list of str
    """
    check_language(lang)
    top = empirical.program.names[-1]
    e = empirical.summary
    out = fit_findings(fit, target_sim, lang, currency) if fit is not None and not fit.fits else []
    proposed = bool(out) and fit.target_program is not None
    if e.loc[top, "members"] > 0:
        out.append(
            t(
                "tiers.finding.top_tier",
                lang,
                tier=top,
                share=pct(e.loc[top, "share"]),
                revenue_share=pct(e.loc[top, "revenue_share"], 0),
                cost=money_compact(e.loc[top, "benefit_cost"], currency, lang),
                cost_pct=pct(e.loc[top, "cost_pct"]),
            )
        )
    if e.loc["Total", "benefit_cost"] > 0:
        out.append(
            t(
                "tiers.finding.total_cost",
                lang,
                cost=money_compact(e.loc["Total", "benefit_cost"], currency, lang),
                cost_pct=pct(e.loc["Total", "cost_pct"]),
                net=money_compact(e.loc["Total", "net_revenue"], currency, lang),
            )
        )
    down, up, above = migration_counts(projected.migration)
    if e.loc[top, "members"] > 0 or projected.summary.loc[top, "members"] > 0:
        out.append(_projection_finding(projected, e, top, lang))
    if round(down) or round(up):  # means over the draws: "about 0 members" says nothing
        out.append(
            t(
                "tiers.finding.migration",
                lang,
                down=number(down),
                down_share=pct(down / above if above else np.nan),
                up=number(up),
            )
        )
    if target_program is not None and target_sim is not None and not proposed:
        out.append(_targets_sentence("tiers.finding.targets", target_sim, target_shares, lang, currency))
    if concentration is not None:
        out.append(concentration_sentence(concentration, window_days, lang))
    if len(audience):
        out.append(t("tiers.finding.audience", lang, count=number(len(audience)), within=pct(within, 0)))
    return out


def _targets_sentence(
    key: str, sim: TierSimulation, shares: dict[str, float], lang: str, currency: str
) -> str:
    """``key`` filled with the target shares, the thresholds of ``sim``'s programme for them and its cost."""
    return t(
        key,
        lang,
        targets=_targets_text(shares, lang),
        thresholds=_thresholds_text(sim.program, shares, currency, lang),
        cost_pct=pct(sim.summary.loc["Total", "cost_pct"]),
    )


def _targets_text(target_shares: dict[str, float], lang: str) -> str:
    """``Gold 5% and Silver 15%``."""
    return join_list(
        [t("tiers.finding.target_item", lang, tier=k, share=pct(v, 0)) for k, v in target_shares.items()],
        lang,
    )


def _thresholds_text(program: TierProgram, names, currency: str, lang: str) -> str:
    """``Silver NT$8,043 and Gold NT$26,072`` for the tiers in ``names``."""
    return join_list(
        [
            f"{tier.name} {_amount(tier.upgrade, program, currency)}"
            for tier in program.tiers[1:]
            if tier.name in names
        ],
        lang,
    )


def fit_findings(
    fit: ThresholdFit, target_sim: TierSimulation | None, lang: str, currency: str = "TWD"
) -> list[str]:
    """Why the programme's thresholds do not fit the spend, and the thresholds the target shares need.

    Parameters
    ----------
    fit : ThresholdFit
        ``workbench.tiers.threshold_fit`` of last year's spend.
    target_sim : TierSimulation or None
        ``simulate(spend, fit.target_program)`` (its benefit cost is quoted).
    lang, currency : str

    Returns
    -------
    list of str
        Empty when every threshold fits; else the tiers nobody (or too few, or too many) reach, then the
        proposal or why the target shares cannot be met.
    """
    check_language(lang)
    if fit.fits:
        return []
    program, rows = fit.program, fit.tiers
    if fit.buyers == 0:
        return [t("tiers.fit.no_buyers", lang)]
    out = []
    unreached = fit.with_status("unreached")
    if unreached:
        out.append(
            t(
                "tiers.fit.unreached",
                lang,
                tiers=join_list(
                    [
                        t(
                            "tiers.fit.tier_item",
                            lang,
                            tier=name,
                            threshold=_amount(rows.at[name, "threshold"], program, currency),
                        )
                        for name in unreached
                    ],
                    lang,
                ),
                quantile=pct(fit.quantile, 0),
                buyers=number(fit.buyers),
                under=_amount(fit.buyer_quantile, program, currency),
                highest=_amount(fit.highest, program, currency),
            )
        )
    for name in fit.with_status("too_high", "too_low"):
        out.append(
            t(
                f"tiers.fit.{rows.at[name, 'status']}",
                lang,
                share=pct(rows.at[name, "share"]),
                tier=name,
                threshold=_amount(rows.at[name, "threshold"], program, currency),
                target=pct(rows.at[name, "target_cumulative"], 0),
            )
        )
    target = fit.target_program
    if target is not None and target_sim is not None:
        named = rows.index[rows["target_share"].notna()]
        shares = {name: rows.at[name, "target_share"] for name in reversed(named)}  # top tier first
        out.append(_targets_sentence("tiers.fit.propose", target_sim, shares, lang, currency))
        out.extend(_benefits_finding(target_sim, lang, currency))
    elif fit.target_problem is not None:
        tier = fit.target_problem_tier
        out.append(
            t(
                f"tiers.fit.{fit.target_problem}",
                lang,
                tier=tier,
                cumulative=pct(rows.at[tier, "target_cumulative"], 0),
                buyers_share=pct(fit.buyers / fit.members),
                buyers=number(fit.buyers),
            )
        )
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
    *,
    concentration: ClaimCheck | None = None,
    window_days: int = 365,
) -> dict[str, str]:
    """The tier page's figures for the month index.

    Parameters
    ----------
    empirical, projected : TierSimulation or ProjectedSimulation
        Next year on last year's spend, and on projected spend.
    audience : DataFrame
        ``about_to_upgrade``.
    lang : str
        ``zh-TW`` or ``en``.
    concentration : ClaimCheck, optional
        As in :func:`findings`: listed under the member overview's own label (same figure, same window).
    window_days : int
        The window of ``concentration``.

    Returns
    -------
    dict of str to str
        Label -> formatted value.
    """
    top = empirical.program.names[-1]
    down, _, _ = migration_counts(projected.migration)
    out = {
        t("tiers.headline.top_share", lang, tier=top): pct(empirical.summary.loc[top, "share"]),
        t("tiers.headline.cost_pct", lang): pct(empirical.summary.loc["Total", "cost_pct"]),
        t("tiers.headline.downgrades", lang): number(down),
        t("tiers.headline.about_to_upgrade", lang): number(len(audience)),
    }
    if concentration is not None:
        label = t(
            "overview.headline.top_share",
            lang,
            top=pct(concentration.top_share, 0),
            window=number(window_days),
        )
        out[label] = pct(concentration.actual_revenue_share)
    return out


def _benefits_finding(sim: TierSimulation, lang: str, currency: str) -> list[str]:
    """A sentence when some tier's benefits would cost more than its revenue (fixed vouchers and gifts of a programme written for higher spend), else nothing."""
    program, summary = sim.program, sim.summary
    over = [tier for tier in program.tiers[1:] if summary.at[tier.name, "cost_pct"] > 1]
    if not over:
        return []
    fixed = {tier.name: tier.cost_terms(program.costs)[0] for tier in program.tiers[1:]}
    return [
        t(
            "tiers.fit.benefits",
            lang,
            items=join_list(
                [
                    t(
                        "tiers.fit.cost_item",
                        lang,
                        tier=tier.name,
                        cost_pct=pct(summary.at[tier.name, "cost_pct"], 0),
                    )
                    for tier in over
                ],
                lang,
            ),
            fixed=join_list([f"{name} {money(v, currency)}" for name, v in fixed.items() if v > 0], lang),
        )
    ]


# --- sentences in place of plots with nothing to show ----------------------------------------------------
def plot_notes(
    history: pd.DataFrame,
    empirical: TierSimulation,
    projected: ProjectedSimulation | TierSimulation,
    spend,
    target_program: TierProgram | None,
    lang: str,
) -> dict[str, str]:
    """The sentences that replace the tier page's plots and tables with nothing to show, by part.

    Parameters
    ----------
    history : DataFrame
        ``Replay.tier_table()`` (months x tiers).
    empirical, projected : TierSimulation or ProjectedSimulation
        Next year on last year's and on projected spend.
    spend : array-like
        Last year's qualifying spend per member.
    target_program : TierProgram or None
        ``ThresholdFit.target_program`` (None: the target shares cannot be met; the findings say why).
    lang : str

    Returns
    -------
    dict of str to str
        ``history`` (no member above the entry tier at any month end), ``shares`` (every member stays in
        the entry tier on last year's spend), ``migration`` (everyone in the entry tier today and next
        year), ``spend`` (no member with positive spend: the distribution and the Pareto curve),
        ``targets`` (no thresholds for the target shares). A part with something to show has no key.
    """
    check_language(lang)
    program = empirical.program
    entry = program.names[0]
    notes = {}
    if not (history.shape[0] and history.iloc[:, 1:].to_numpy().sum() > 0):
        notes["history"] = t("tiers.empty.history", lang, entry=entry)
    if empirical.summary.loc[program.names[1:], "members"].sum() == 0:
        notes["shares"] = t("tiers.empty.shares", lang, entry=entry)
    m = projected.migration.to_numpy(float)
    if m.sum() - m[0, 0] <= 0:
        notes["migration"] = t("tiers.empty.migration", lang, entry=entry)
    if not (np.asarray(spend, dtype=float) > 0).any():
        notes["spend"] = t("tiers.empty.spend", lang)
    if target_program is None:
        notes["targets"] = t("tiers.empty.targets", lang)
    return notes


def sweep_text(grid: pd.DataFrame, program: TierProgram, lang: str, currency: str = "TWD") -> str:
    """The paragraph above the sweep heatmaps.

    What was swept, and whether the current programme is marked (``workbench.tiers.sweep_covers``; a programme
    outside the grid is named, not marked on its edge).

    Parameters
    ----------
    grid : DataFrame
        ``workbench.tiers.sweep`` result.
    program : TierProgram
    lang, currency : str

    Returns
    -------
    str
    """
    check_language(lang)
    if not len(grid):
        return t("tiers.empty.sweep", lang)
    x_tier, y_tier = grid.attrs["x_tier"], grid.attrs["y_tier"]
    if sweep_covers(grid, program):
        return t("tiers.sweep_text", lang, cells=number(len(grid)), x_tier=x_tier, y_tier=y_tier)
    amount = lambda v: _amount(v, program, currency)  # noqa: E731
    return t(
        "tiers.sweep_outside",
        lang,
        cells=number(len(grid)),
        x_tier=x_tier,
        y_tier=y_tier,
        x_low=amount(grid["x_threshold"].min()),
        x_high=amount(grid["x_threshold"].max()),
        y_low=amount(grid["y_threshold"].min()),
        y_high=amount(grid["y_threshold"].max()),
        current=_thresholds_text(program, [x_tier, y_tier], currency, lang),
    )
