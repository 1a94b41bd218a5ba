"""Randomized campaign experiments: statistics, analysis, design and assignment, outcomes, bootstrap, ROI.

* ``analyze(frame, arm, control, metrics, covariate=None, *, sequential_tuning=None)``: each arm against the
  control (z-test, Welch, relative lift, CUPED/OLS adjustment; with ``sequential_tuning=N*`` the always-valid
  intervals and p-values of a running campaign), one tidy row per arm and metric;
* ``sequential_test``, ``cuped_sequential_test``, ``confidence_sequence``: the asymptotic confidence sequence
  on sufficient statistics; ``look_effects`` (every look, fixed and always-valid) and
  ``sequential_decision`` (targeted vs blanket from the always-valid interval): monitoring a running campaign;
* ``srm_check``, ``adjust_pvalues``, ``segment_effects``;
* ``sample_size``, ``minimum_detectable_effect``, ``assign_arms``, ``balance_table``: design;
* ``campaign_outcomes``: outcomes of assigned members measured from the log;
* ``campaign_economics``: cost, margin and ROI per arm with bootstrap intervals, the verdict, the policy;
* ``CampaignSettings`` + ``analyze_campaign``: the whole analysis of one campaign.
"""

from workbench.experiments.analysis import (
    DEFAULT_METRICS,
    RESULT_COLUMNS,
    analyze,
    arm_codes,
    regression_adjusted,
)
from workbench.experiments.bootstrap import percentile_ci, poisson_bootstrap
from workbench.experiments.campaign import (
    CampaignAnalysis,
    CampaignSettings,
    analyze_campaign,
    revenue_mde,
    write_policy_audience,
)
from workbench.experiments.design import (
    PowerDesign,
    assign_arms,
    balance_table,
    minimum_detectable_effect,
    sample_size,
)
from workbench.experiments.monitoring import (
    LOOK_INTERVALS,
    SequentialDecision,
    look_effects,
    sequential_decision,
)
from workbench.experiments.outcomes import campaign_outcomes
from workbench.experiments.roi import CampaignEconomics, Verdict, campaign_economics, policy_bins
from workbench.experiments.segments import segment_effects
from workbench.experiments.sequential import (
    DEFAULT_SEQUENTIAL_TUNING,
    CovariateStats,
    SequentialEffect,
    confidence_sequence,
    cuped_sequential_test,
    pooled_theta,
    sequential_test,
)
from workbench.experiments.stats import (
    Effect,
    SampleStats,
    adjust_pvalues,
    relative_lift,
    srm_check,
    two_proportion_test,
    welch_test,
)

__all__ = [
    "DEFAULT_METRICS",
    "DEFAULT_SEQUENTIAL_TUNING",
    "LOOK_INTERVALS",
    "RESULT_COLUMNS",
    "CampaignAnalysis",
    "CampaignEconomics",
    "CampaignSettings",
    "CovariateStats",
    "Effect",
    "PowerDesign",
    "SampleStats",
    "SequentialDecision",
    "SequentialEffect",
    "Verdict",
    "adjust_pvalues",
    "analyze",
    "analyze_campaign",
    "arm_codes",
    "assign_arms",
    "balance_table",
    "campaign_economics",
    "campaign_outcomes",
    "confidence_sequence",
    "cuped_sequential_test",
    "look_effects",
    "minimum_detectable_effect",
    "percentile_ci",
    "poisson_bootstrap",
    "policy_bins",
    "pooled_theta",
    "regression_adjusted",
    "relative_lift",
    "revenue_mde",
    "sample_size",
    "segment_effects",
    "sequential_decision",
    "sequential_test",
    "srm_check",
    "two_proportion_test",
    "welch_test",
    "write_policy_audience",
]
