"""Tier programmes (Member / Silver / Gold): settings, replay over the log, simulation, sweeps, projection.

* ``TierProgram.from_dict(mapping)``: the programme (tiers, thresholds, benefits, windows, review rules);
* ``assign_tiers(transactions, program, as_of)`` / ``replay``: every member's tier month by month;
* ``simulate``, ``sweep``, ``threshold_grid``, ``thresholds_for_shares``, ``pareto``: the coming year;
* ``buyers_window_spend``: the overview's revenue concentration input (window buyers' spend), lean;
* ``threshold_fit``: whether the thresholds fit the brand's spend at all, and what the target shares need;
* ``project_spend``, ``simulate_projection``: the coming year from the fitted BG/NBD + Gamma-Gamma models.
"""

from workbench.tiers.activity import monthly_activity
from workbench.tiers.concentration import buyers_window_spend
from workbench.tiers.fit import ThresholdFit, threshold_fit
from workbench.tiers.program import (
    Benefits,
    CostModel,
    Tier,
    TierProgram,
    TierProgramError,
    next_year_tier,
)
from workbench.tiers.projection import (
    ProjectedSimulation,
    draw_seeds,
    project_spend,
    simulate_projection,
)
from workbench.tiers.replay import (
    Replay,
    about_to_upgrade,
    assign_tiers,
    replay,
    write_audience,
)
from workbench.tiers.simulation import (
    Response,
    TierSimulation,
    pareto,
    share_cutoffs,
    simulate,
    sweep,
    sweep_covers,
    threshold_grid,
    thresholds_for_shares,
)

__all__ = [
    "Benefits",
    "CostModel",
    "ProjectedSimulation",
    "Replay",
    "Response",
    "Tier",
    "TierProgram",
    "ThresholdFit",
    "TierProgramError",
    "TierSimulation",
    "about_to_upgrade",
    "assign_tiers",
    "buyers_window_spend",
    "draw_seeds",
    "monthly_activity",
    "next_year_tier",
    "pareto",
    "project_spend",
    "replay",
    "share_cutoffs",
    "simulate",
    "simulate_projection",
    "sweep",
    "sweep_covers",
    "threshold_fit",
    "threshold_grid",
    "thresholds_for_shares",
    "write_audience",
]
