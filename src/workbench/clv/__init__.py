"""Customer lifetime value: BG/NBD, Pareto/NBD or MBG/NBD purchases and Gamma-Gamma spend (``lifetimes``).

* ``fit_clv(summary, purchase_model="bgnbd", spend_model="gamma_gamma")`` -> ``CLVModel`` (parameters with
  standard errors keyed by lifetimes' names, predictions, P(alive), CLV);
* ``compare_purchase_models``, ``holdout_comparison``, ``holdout_metrics``, ``frequency_buckets``,
  ``tracking``: validation on a calibration/holdout split;
* ``clv_deciles``, ``assign_deciles``, ``top_decile_share``, ``export_audience``: deciles (1 = highest value).
"""

from workbench.clv.deciles import assign_deciles, clv_deciles, export_audience, top_decile_share
from workbench.clv.fit import CLVFitError, FitDiagnostics
from workbench.clv.formulas import PURCHASE_MODELS, prob_alive
from workbench.clv.model import CLVModel, fit_clv
from workbench.clv.validation import (
    calibration_summary,
    compare_purchase_models,
    frequency_buckets,
    holdout_comparison,
    holdout_metrics,
    tracking,
)

__all__ = [
    "PURCHASE_MODELS",
    "CLVFitError",
    "CLVModel",
    "FitDiagnostics",
    "assign_deciles",
    "calibration_summary",
    "clv_deciles",
    "compare_purchase_models",
    "export_audience",
    "fit_clv",
    "frequency_buckets",
    "holdout_comparison",
    "holdout_metrics",
    "prob_alive",
    "top_decile_share",
    "tracking",
]
