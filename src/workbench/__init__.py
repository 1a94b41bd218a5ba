"""Member Campaign Workbench: CLV, tier simulation and campaign experiments for membership programmes.

Public names are imported lazily (``workbench.member_summary`` loads only ``workbench.summary``), so that
``import workbench`` stays cheap and does not pull in lifetimes or statsmodels until they are used.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "load_transactions": "data",
    "DataValidationError": "validation",
    "DataParams": "data_params",
    "TRANSACTION_COLUMNS": "schema",
    "member_summary": "summary",
    "calibration_and_holdout": "summary",
    "generate_demo": "demo",
    "load_cdnow": "demo",
    "TierProgram": "tiers",
    "assign_tiers": "tiers",
    "about_to_upgrade": "tiers",
    "project_spend": "tier_sim",
    "thresholds_for_shares": "tier_sim",
    "TierPanel": "widgets",
    "analyze": "experiments",
    "srm_check": "experiments",
    "segment_effects": "experiment_segments",
    "campaign_outcomes": "experiments",
    "sample_size": "experiment_design",
    "minimum_detectable_effect": "experiment_design",
    "assign_arms": "experiment_design",
    "balance_table": "experiment_design",
    "campaign_economics": "experiment_roi",
    "CampaignSettings": "experiment_campaign",
    "analyze_campaign": "experiment_campaign",
    "fit_clv": "clv",
    "CLVModel": "clv",
    "clv_deciles": "clv",
    "top_decile_share": "clv",
    "compare_purchase_models": "clv_validation",
    "monthly_kpis": "kpis",
    "TransactionLog": "kpis",
    "open_log": "kpis",
    "SegmentSettings": "segments",
    "member_features": "segments",
    "rfm_scores": "segments",
    "nes": "segments",
    "member_types": "segments",
    "segment_summary": "segments",
    "concentration": "segments",
    "lorenz_curve": "segments",
    "check_claim": "segments",
    "load_plan": "params",
    "ParamsError": "params",
    "run_report": "report",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}")
    return getattr(importlib.import_module(f"workbench.{module}"), name)


def __dir__():
    return sorted(set(globals()) | set(__all__))
