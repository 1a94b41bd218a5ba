"""The whole campaign analysis in one call, configured from params YAML, plus its plain-language findings.

``CampaignSettings.from_dict(params["analysis"])`` -> ``analyze_campaign(frame, settings)`` ->
``CampaignAnalysis`` (SRM first, effects, regression-adjusted effects, segments, balance, money side) ->
``campaign_findings(result, lang)``. The notebook ``campaign_ab.ipynb`` and the benchmark call exactly this.
The findings, verdict and display tables are in ``workbench.text.experiments``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from workbench import files
from workbench.experiments.analysis import DEFAULT_METRICS, analyze, arm_codes
from workbench.experiments.design import PowerDesign, balance_table, minimum_detectable_effect
from workbench.experiments.roi import CampaignEconomics, campaign_economics, policy_bins, supported_policy
from workbench.experiments.segments import segment_effects
from workbench.experiments.stats import MetricKind, srm_check
from workbench.settings import bounded, build, settings_error, validate


@dataclass(frozen=True)
class CampaignSettings:
    """How to analyse a campaign table (one row per member: arm, outcomes, pre-period covariates, costs)."""

    arm: str = "arm"
    control: str = "control"
    targeted: str | None = "vip_gift"
    blanket: str | None = "blanket_discount"
    metrics: Mapping[str, MetricKind] = field(default_factory=lambda: dict(DEFAULT_METRICS))
    expected_shares: tuple[float, ...] | None = (
        None  # design shares in arm order (control first); None = equal
    )
    covariate: str | None = "pre_spend"
    segment: str | None = "stratum"
    balance_covariates: tuple[str, ...] = ("pre_spend", "pre_orders")
    revenue: str = "revenue"
    discount_cost: str | None = "discount_cost"
    gift_cost: str | None = "gift_cost"
    margin: float = field(default=0.45, metadata=bounded(0, 1))
    resamples: int = field(default=10_000, metadata=bounded(1))
    policy_resamples: int = field(default=2_000, metadata=bounded(1))
    cap_quantile: float | None = field(default=0.999, metadata=bounded(above=0, high=1))
    policy_by: str | None = "pre_spend"
    policy_steps: int = field(default=20, metadata=bounded(2))
    alpha: float = field(default=0.05, metadata=bounded(above=0, high=0.5))
    correction: Literal["holm", "fdr_bh"] = "holm"
    srm_threshold: float = field(default=0.001, metadata=bounded(above=0, high=0.5))
    seed: int = 42

    def __post_init__(self):
        validate(self)
        if not self.metrics:
            raise settings_error(self, "metrics", "must map at least one column to its kind; got {}")

    @classmethod
    def from_dict(cls, mapping: Mapping | None) -> CampaignSettings:
        """Build from the params YAML mapping (``analysis:`` in ``params/campaign_ab.yaml``).

        Parameters
        ----------
        mapping : Mapping or None
            Keys as the fields; ``None`` = the defaults.

        Returns
        -------
        CampaignSettings
        """
        return build(cls, mapping)


@dataclass(frozen=True)
class CampaignAnalysis:
    """A campaign's analysis: arm counts and SRM, balance, effects (adjusted when a covariate is set), segments and economics."""

    settings: CampaignSettings
    arm_counts: pd.DataFrame  # arm, members, share, expected_share
    srm_p: float
    srm_ok: bool
    effects: pd.DataFrame  # analyze(): unadjusted
    adjusted: pd.DataFrame | None  # analyze(covariate=...)
    segments: pd.DataFrame | None
    balance: pd.DataFrame | None
    economics: CampaignEconomics | None
    design: pd.Series | None = None  # revenue MDE at 80% power for this split (minimum_detectable_effect row)


def revenue_mde(frame: pd.DataFrame, settings: CampaignSettings, shares: np.ndarray) -> pd.Series | None:
    """The smallest revenue-per-member effect this campaign could detect (80% power, its own split).

    The control arm's mean and standard deviation of ``settings.revenue`` are the baseline; ``None``
    without that column or with fewer than two control members.
    """
    if settings.revenue not in frame.columns:
        return None
    codes, _ = arm_codes(frame, settings.arm, settings.control)
    y = pd.to_numeric(frame[settings.revenue], errors="coerce").to_numpy(dtype=float)[codes == 0]
    if np.isfinite(y).sum() < 2:
        return None
    sd = float(np.nanstd(y, ddof=1))
    if not sd > 0:
        return None
    design = PowerDesign(
        "continuous", float(np.nanmean(y)), sd=sd, shares=tuple(shares), alpha=settings.alpha
    )
    mde = minimum_detectable_effect(design, len(frame))
    return mde.iloc[0]


def analyze_campaign(frame: pd.DataFrame, settings: CampaignSettings | None = None) -> CampaignAnalysis:
    """SRM check, effects (raw and adjusted), segments, balance and the money side of a campaign table."""
    s = settings or CampaignSettings()
    codes, names = arm_codes(frame, s.arm, s.control)
    counts = np.bincount(codes, minlength=len(names))
    shares = np.asarray(s.expected_shares if s.expected_shares is not None else [1.0] * len(names), float)
    if shares.size != len(names):
        raise settings_error(
            s,
            "expected_shares",
            f"must have one share per arm ({len(names)}: {names}); got {shares.size} values",
        )
    srm_p = srm_check(counts, shares)
    arm_counts = pd.DataFrame(
        {
            "arm": names,
            "members": counts,
            "share": counts / counts.sum(),
            "expected_share": shares / shares.sum(),
        }
    )
    common = {"alpha": s.alpha, "correction": s.correction}
    effects = analyze(frame, s.arm, s.control, s.metrics, **common)
    adjusted = (
        analyze(frame, s.arm, s.control, s.metrics, covariate=s.covariate, **common) if s.covariate else None
    )
    segments = segment_effects(frame, s.arm, s.control, s.metrics, s.segment, **common) if s.segment else None
    present = [c for c in s.balance_covariates if c in frame.columns]
    balance = balance_table(frame, s.arm, s.control, present) if present else None
    economics = None
    if s.revenue in frame.columns:
        economics = campaign_economics(
            frame,
            s.arm,
            s.control,
            margin=s.margin,
            revenue=s.revenue,
            discount_cost=s.discount_cost,
            gift_cost=s.gift_cost,
            policy_by=s.policy_by,
            policy_steps=s.policy_steps,
            cap_quantile=s.cap_quantile,
            targeted=s.targeted if s.targeted in names else None,
            blanket=s.blanket if s.blanket in names else None,
            resamples=s.resamples,
            policy_resamples=s.policy_resamples,
            seed=s.seed,
            alpha=s.alpha,
        )
    design = revenue_mde(frame, s, counts / counts.sum())
    return CampaignAnalysis(
        s,
        arm_counts,
        srm_p,
        bool(srm_p >= s.srm_threshold),
        effects,
        adjusted,
        segments,
        balance,
        economics,
        design,
    )


def write_policy_audience(
    frame: pd.DataFrame,
    result: CampaignAnalysis,
    audience_dir,
    month: str,
    *,
    id_column: str = "member_id",
    tested_shares: Mapping[str, float] | None = None,
):
    """CSV of the members the supported targeting rule would treat; None when nothing is written.

    The rule is the one the report may recommend (``supported_policy``: inside what was randomised, its
    interval above zero); without one, or without ``audience_dir``, no file is written.

    Parameters
    ----------
    frame : DataFrame
        The campaign table (``id_column`` and ``policy_by``).
    result : CampaignAnalysis
        Its analysis (``economics.policy``).
    audience_dir : str, Path or None
        The brand's audience folder.
    month : str
        The report month (``campaign_targets_<month>.csv``).
    id_column : str
        The member id column.
    tested_shares : Mapping of str to float, optional
        Per arm, the share its offer reached (``reached_shares``).

    Returns
    -------
    Path or None
        The file written.
    """
    eco, s = result.economics, result.settings
    if not audience_dir or eco is None or not s.policy_by or not len(eco.policy):
        return None
    best = supported_policy(eco.policy, dict(tested_shares or {}))
    if best is None:
        return None
    bins = policy_bins(frame[s.policy_by].to_numpy(dtype=float), s.policy_steps)
    chosen = bins < round(best["share"] * s.policy_steps)
    targets = frame.loc[chosen, [id_column, s.policy_by]].assign(offer=best["arm"])
    return files.write_audience(targets, audience_dir, f"campaign_targets_{month}")
