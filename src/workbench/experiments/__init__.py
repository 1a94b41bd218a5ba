"""Randomized campaign experiments: statistics, analysis, design and assignment, outcomes, bootstrap, ROI.

* ``analyze(frame, arm, control, metrics, covariate=None, *, sequential_tuning=None)``: each arm against the
  control (z-test, Welch, relative lift, CUPED/OLS adjustment; with ``sequential_tuning=N*`` the always-valid
  intervals and p-values of a running campaign), one tidy row per arm and metric;
* ``sequential_test``, ``cuped_sequential_test``, ``confidence_sequence``: the asymptotic confidence sequence
  on sufficient statistics; ``look_effects`` (every look, fixed and always-valid) and
  ``sequential_decision`` (targeted vs blanket from the always-valid interval): monitoring a running campaign;
  ``campaign_look`` (which look a report month is) and ``monitor_campaign`` (this look's always-valid effects,
  the decision on net profit per member, the trend since the start recomputed from the log);
* ``srm_check``, ``adjust_pvalues``, ``segment_effects``;
* ``sample_size``, ``minimum_detectable_effect``, ``assign_arms``, ``balance_table``: design;
* ``campaign_outcomes``, ``campaign_frame`` (``campaign_frames``: several window ends, one reading), ``load_campaign``: outcomes and covariates of assigned members
  measured from the log; ``CampaignCosts`` / ``add_costs``: what each arm cost, from params;
* ``CampaignPlan`` + ``plan_campaign``: a campaign designed from member attributes (audience, arms, stratified
  assignment, power, budget); ``write_campaign_files``: its assignment list and send lists (SMS, EDM, LINE,
  Meta) into ``audience_dir``;
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
from workbench.experiments.costs import ArmCost, CampaignCosts, add_costs, reached_shares
from workbench.experiments.design import (
    PowerDesign,
    assign_arms,
    balance_table,
    minimum_detectable_effect,
    sample_size,
)
from workbench.experiments.looks import (
    PROFIT_COLUMN,
    TREND_COLUMNS,
    CampaignLook,
    CampaignMonitor,
    campaign_look,
    monitor_campaign,
    sequential_tuning_for,
    with_profit,
)
from workbench.experiments.monitoring import (
    LOOK_INTERVALS,
    SequentialDecision,
    look_effects,
    sequential_decision,
)
from workbench.experiments.outcomes import (
    OUTCOME_COLUMNS,
    CampaignData,
    campaign_frame,
    campaign_frames,
    campaign_outcomes,
    load_campaign,
)
from workbench.experiments.plan import CampaignPlan, PlannedArm, PlannedCampaign, plan_campaign
from workbench.experiments.roi import (
    CampaignEconomics,
    Verdict,
    campaign_economics,
    member_profit,
    policy_bins,
    supported_policy,
)
from workbench.experiments.segments import segment_effects
from workbench.experiments.sendlists import (
    CHANNELS,
    COUNTRIES,
    MIN_LIST_SIZE,
    SendLists,
    contact_lists,
    write_campaign_files,
)
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
    "supported_policy",
    "PROFIT_COLUMN",
    "TREND_COLUMNS",
    "CampaignLook",
    "CampaignMonitor",
    "campaign_look",
    "monitor_campaign",
    "sequential_tuning_for",
    "with_profit",
    "member_profit",
    "CHANNELS",
    "COUNTRIES",
    "DEFAULT_METRICS",
    "MIN_LIST_SIZE",
    "OUTCOME_COLUMNS",
    "DEFAULT_SEQUENTIAL_TUNING",
    "LOOK_INTERVALS",
    "RESULT_COLUMNS",
    "ArmCost",
    "CampaignAnalysis",
    "CampaignCosts",
    "CampaignData",
    "CampaignEconomics",
    "CampaignPlan",
    "CampaignSettings",
    "CovariateStats",
    "Effect",
    "PlannedArm",
    "PlannedCampaign",
    "PowerDesign",
    "SampleStats",
    "SendLists",
    "SequentialDecision",
    "SequentialEffect",
    "Verdict",
    "add_costs",
    "reached_shares",
    "adjust_pvalues",
    "analyze",
    "analyze_campaign",
    "arm_codes",
    "assign_arms",
    "balance_table",
    "campaign_economics",
    "campaign_frame",
    "campaign_frames",
    "campaign_outcomes",
    "contact_lists",
    "load_campaign",
    "confidence_sequence",
    "cuped_sequential_test",
    "look_effects",
    "minimum_detectable_effect",
    "percentile_ci",
    "plan_campaign",
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
    "write_campaign_files",
    "write_policy_audience",
]
