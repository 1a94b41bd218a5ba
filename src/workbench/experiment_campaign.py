"""The whole campaign analysis in one call, configured from params YAML, plus its plain-language findings.

``CampaignSettings.from_dict(params["analysis"])`` -> ``analyze_campaign(frame, settings)`` ->
``CampaignAnalysis`` (SRM first, effects, regression-adjusted effects, segments, balance, money side) ->
``campaign_findings(result, lang)``. The notebook ``campaign_ab.ipynb`` and the benchmark call exactly this.
The findings, verdict and display tables live in ``workbench.experiment_display`` and are re-exported here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from workbench.experiment_design import balance_table
from workbench.experiment_display import (  # re-exported: the notebook and callers use them from here
    arm_label,
    balance_display,
    campaign_findings,
    campaign_headlines,
    column_label,
    design_sentence,
    economics_display,
    effects_display,
    p_label,
    p_relation,
    points,
    srm_banner_html,
    truth_display,
    verdict_html,
    verdict_sentence,
    write_policy_audience,
)
from workbench.experiment_roi import CampaignEconomics, campaign_economics
from workbench.experiment_segments import segment_effects
from workbench.experiments import DEFAULT_METRICS, METRIC_KINDS, analyze, arm_codes, srm_check


@dataclass(frozen=True)
class CampaignSettings:
    """How to analyse a campaign table (one row per member: arm, outcomes, pre-period covariates, costs)."""

    arm: str = "arm"
    control: str = "control"
    targeted: str | None = "vip_gift"
    blanket: str | None = "blanket_discount"
    metrics: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_METRICS))
    expected_shares: tuple[float, ...] | None = (
        None  # design shares in arm order (control first); None = equal
    )
    covariate: str | None = "pre_spend"
    segment: str | None = "stratum"
    balance_covariates: tuple[str, ...] = ("pre_spend", "pre_orders")
    revenue: str = "revenue"
    discount_cost: str | None = "discount_cost"
    gift_cost: str | None = "gift_cost"
    margin: float = 0.45
    resamples: int = 10_000
    policy_resamples: int = 2_000
    cap_quantile: float | None = 0.999
    policy_by: str | None = "pre_spend"
    policy_steps: int = 20
    alpha: float = 0.05
    correction: Literal["holm", "fdr_bh"] = "holm"
    srm_threshold: float = 0.001
    seed: int = 42

    def __post_init__(self):
        if not isinstance(self.metrics, Mapping) or not self.metrics:
            raise ValueError(f"CampaignSettings.metrics must map column -> kind, got {self.metrics!r}")
        for col, kind in self.metrics.items():
            if kind not in METRIC_KINDS:
                raise ValueError(
                    f"CampaignSettings.metrics[{col!r}] must be one of {METRIC_KINDS}, got {kind!r}"
                )
        if self.correction not in ("holm", "fdr_bh"):
            raise ValueError(
                f"CampaignSettings.correction must be 'holm' or 'fdr_bh', got {self.correction!r}"
            )
        if not 0.0 <= self.margin <= 1.0:
            raise ValueError(f"CampaignSettings.margin must be a share in [0, 1], got {self.margin!r}")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"CampaignSettings.alpha must be in (0, 1), got {self.alpha!r}")
        if not 0.0 < self.srm_threshold < 1.0:
            raise ValueError(f"CampaignSettings.srm_threshold must be in (0, 1), got {self.srm_threshold!r}")
        if self.expected_shares is not None:
            object.__setattr__(self, "expected_shares", tuple(float(s) for s in self.expected_shares))
        object.__setattr__(self, "balance_covariates", tuple(self.balance_covariates))

    @classmethod
    def from_dict(cls, mapping: Mapping | None) -> CampaignSettings:
        """Build from the params YAML mapping; unknown keys are an error naming the allowed ones."""
        mapping = dict(mapping or {})
        allowed = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(mapping) - allowed)
        if unknown:
            raise ValueError(f"CampaignSettings: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
        return cls(**mapping)


@dataclass(frozen=True)
class CampaignAnalysis:
    settings: CampaignSettings
    arm_counts: pd.DataFrame  # arm, members, share, expected_share
    srm_p: float
    srm_ok: bool
    effects: pd.DataFrame  # analyze(): unadjusted
    adjusted: pd.DataFrame | None  # analyze(covariate=...)
    segments: pd.DataFrame | None
    balance: pd.DataFrame | None
    economics: CampaignEconomics | None


def analyze_campaign(frame: pd.DataFrame, settings: CampaignSettings | None = None) -> CampaignAnalysis:
    """SRM check, effects (raw and adjusted), segments, balance and the money side of a campaign table."""
    s = settings or CampaignSettings()
    codes, names = arm_codes(frame, s.arm, s.control)
    counts = np.bincount(codes, minlength=len(names))
    shares = np.asarray(s.expected_shares if s.expected_shares is not None else [1.0] * len(names), float)
    if shares.size != len(names):
        raise ValueError(
            f"CampaignSettings.expected_shares has {shares.size} values for {len(names)} arms {names}"
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
    return CampaignAnalysis(
        s, arm_counts, srm_p, bool(srm_p >= s.srm_threshold), effects, adjusted, segments, balance, economics
    )


__all__ = [
    "DEFAULT_METRICS",
    "CampaignAnalysis",
    "CampaignSettings",
    "analyze_campaign",
    "arm_label",
    "balance_display",
    "campaign_findings",
    "campaign_headlines",
    "column_label",
    "design_sentence",
    "economics_display",
    "effects_display",
    "p_label",
    "p_relation",
    "points",
    "srm_banner_html",
    "truth_display",
    "verdict_html",
    "verdict_sentence",
    "write_policy_audience",
]
