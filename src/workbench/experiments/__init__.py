"""Randomized campaign experiments: statistics, analysis, design and assignment, outcomes, bootstrap, ROI.

* ``analyze(frame, arm, control, metrics, covariate=None)``: each arm against the control (z-test, Welch,
  relative lift, CUPED/OLS adjustment), one tidy row per arm and metric;
* ``srm_check``, ``adjust_pvalues``, ``segment_effects``;
* ``sample_size``, ``minimum_detectable_effect``, ``assign_arms``, ``balance_table``: design;
* ``campaign_outcomes``, ``campaign_frame``, ``load_campaign``: outcomes and covariates of assigned members
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
from workbench.experiments.costs import ArmCost, CampaignCosts, add_costs
from workbench.experiments.design import (
    PowerDesign,
    assign_arms,
    balance_table,
    minimum_detectable_effect,
    sample_size,
)
from workbench.experiments.outcomes import (
    OUTCOME_COLUMNS,
    CampaignData,
    campaign_frame,
    campaign_outcomes,
    load_campaign,
)
from workbench.experiments.plan import CampaignPlan, PlannedArm, PlannedCampaign, plan_campaign
from workbench.experiments.roi import CampaignEconomics, Verdict, campaign_economics, policy_bins
from workbench.experiments.segments import segment_effects
from workbench.experiments.sendlists import (
    CHANNELS,
    COUNTRIES,
    MIN_LIST_SIZE,
    SendLists,
    contact_lists,
    write_campaign_files,
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
    "CHANNELS",
    "COUNTRIES",
    "DEFAULT_METRICS",
    "MIN_LIST_SIZE",
    "OUTCOME_COLUMNS",
    "RESULT_COLUMNS",
    "ArmCost",
    "CampaignAnalysis",
    "CampaignCosts",
    "CampaignData",
    "CampaignEconomics",
    "CampaignPlan",
    "CampaignSettings",
    "Effect",
    "PlannedArm",
    "PlannedCampaign",
    "PowerDesign",
    "SampleStats",
    "SendLists",
    "Verdict",
    "add_costs",
    "adjust_pvalues",
    "analyze",
    "analyze_campaign",
    "arm_codes",
    "assign_arms",
    "balance_table",
    "campaign_economics",
    "campaign_frame",
    "campaign_outcomes",
    "contact_lists",
    "load_campaign",
    "minimum_detectable_effect",
    "percentile_ci",
    "plan_campaign",
    "poisson_bootstrap",
    "policy_bins",
    "regression_adjusted",
    "relative_lift",
    "revenue_mde",
    "sample_size",
    "segment_effects",
    "srm_check",
    "two_proportion_test",
    "welch_test",
    "write_campaign_files",
    "write_policy_audience",
]
