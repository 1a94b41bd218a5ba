"""The coming year of a tier programme from the fitted BG/NBD + Gamma-Gamma models.

``project_spend`` draws, per member and seeded, whether the member is alive (P(alive) of
``workbench.clv``), the purchases in the horizon (min(Poisson(lambda * horizon), Geometric(p)), lambda and
p from their posteriors given alive) and their spend (Gamma-Gamma posterior); ``simulate_projection``
repeats it ``draws`` times and ``simulate``s the programme on each draw (mean and 5-95% range).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.clv import prob_alive
from workbench.errors import ArgumentError
from workbench.schema import require_columns
from workbench.tiers.program import TierProgram
from workbench.tiers.simulation import Response, migration_matrix, review_year, tier_codes, tier_summary

_PROJECTION_SALT = 0x7143_5EED
#: projection draws run in this many threads (numpy's generators and array operations release the GIL; each
#: draw has its own seeded generator and the results are gathered in seed order, so the numbers do not
#: depend on it)
PROJECTION_THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))


# --- projected spend --------------------------------------------------------------------------------
def _params(owner: str, params: dict, names: tuple[str, ...]) -> tuple[float, ...]:
    missing = [k for k in names if k not in params]
    if missing:
        raise ArgumentError(f"{owner}: parameter(s) {', '.join(missing)} missing; got {sorted(params)}")
    return tuple(float(params[k]) for k in names)


def project_spend(
    summary: pd.DataFrame,
    purchase_params: dict,
    spend_params: dict,
    *,
    horizon: float = 365.0,
    seed: int = 42,
) -> pd.DataFrame:
    """One seeded draw of each member's purchases and spend over the next ``horizon`` time units.

    ``summary`` holds ``frequency, recency, T, monetary_value`` in the time unit the models were fitted in
    (days for ``member_summary(..., freq="D")``); ``purchase_params`` = ``{r, alpha, a, b}`` (BG/NBD) and
    ``spend_params`` = ``{p, q, v}`` (Gamma-Gamma), plain dicts as ``fit_clv`` exposes them.
    Returns columns ``p_alive, alive, purchases, spend`` indexed like ``summary``.
    """
    draw = _Draws(summary, purchase_params, spend_params)
    p_alive, alive, purchases, spend = draw(horizon, seed)
    return pd.DataFrame(
        {"p_alive": p_alive, "alive": alive, "purchases": purchases.astype(np.int64), "spend": spend},
        index=summary.index,
    )


class _Draws:
    """The members' arrays and P(alive), computed once; each call is one seeded draw (``project_spend``)."""

    def __init__(self, summary: pd.DataFrame, purchase_params: dict, spend_params: dict):
        require_columns(
            summary, ("frequency", "recency", "T", "monetary_value"), "project_spend", what="the summary"
        )
        self.bgnbd = _params("project_spend purchase_params", purchase_params, ("r", "alpha", "a", "b"))
        self.gg = _params("project_spend spend_params", spend_params, ("p", "q", "v"))
        self.x = summary["frequency"].to_numpy(float)
        self.big_t = summary["T"].to_numpy(float)
        mbar = summary["monetary_value"].to_numpy(float)
        self.spent = self.x * np.where(self.x > 0, mbar, 0.0)
        self.p_alive = prob_alive(
            "bgnbd", purchase_params, self.x, summary["recency"].to_numpy(float), self.big_t
        )

    def __call__(self, horizon: float, seed: int):
        (r, alpha, a, b), (p_gg, q, v) = self.bgnbd, self.gg
        x, big_t = self.x, self.big_t
        # salted: the stream never coincides with another generator seeded with the same integer (the demo
        # data are generated with default_rng(42), whose first uniforms set the members' join times, hence T)
        rng = np.random.default_rng([int(seed), _PROJECTION_SALT])
        alive = rng.random(len(x)) < self.p_alive
        lam = rng.gamma(r + x, 1.0 / (alpha + big_t))
        drop = rng.beta(a, b + x)
        potential = rng.poisson(lam * horizon)
        last = rng.geometric(drop)
        purchases = np.where(alive, np.minimum(potential, last), 0)
        nu = rng.gamma(q + p_gg * x, 1.0 / (v + self.spent))
        spend = rng.gamma(np.maximum(purchases * p_gg, 1e-12), 1.0 / nu)
        spend = np.where(purchases > 0, spend, 0.0)
        return self.p_alive, alive, purchases, spend


# --- projection over several draws ------------------------------------------------------------------------
@dataclass
class ProjectedSimulation:
    """``simulate`` on ``draws`` seeded projection draws.

    Mean per-tier summary and migration, and the 5% / 95% points of each tier's share and cost % of revenue
    across draws (the spread of one year's outcome).
    """

    program: TierProgram
    summary: pd.DataFrame  # mean over draws (members as a mean count)
    intervals: pd.DataFrame  # per tier: share_low, share_high, cost_pct_low, cost_pct_high
    migration: pd.DataFrame  # mean counts
    draws: int
    seeds: tuple[int, ...]


def draw_seeds(seed: int, draws: int) -> tuple[int, ...]:
    """Independent seeds for ``draws`` projection draws, derived from ``seed`` (``numpy.random.SeedSequence``)."""
    return tuple(int(s) for s in np.random.SeedSequence(seed).generate_state(draws))


def simulate_projection(
    summary: pd.DataFrame,
    purchase_params: dict,
    spend_params: dict,
    program: TierProgram,
    *,
    current: pd.Series | None = None,
    members: pd.Index | None = None,
    response: Response | None = None,
    horizon: float = 365.0,
    seed: int = 42,
    draws: int = 20,
) -> ProjectedSimulation:
    """Project each member's spend ``draws`` times (``project_spend``) and ``simulate`` the programme on each.

    ``members``: the member base to simulate (default: ``current``'s index, else the summary's); members
    without a summary row spend nothing.
    """
    if draws < 1:
        raise ArgumentError(f"simulate_projection: draws must be at least 1, got {draws!r}")
    index = members if members is not None else (current.index if current is not None else summary.index)
    seeds = draw_seeds(seed, draws)
    draw = _Draws(summary, purchase_params, spend_params)
    cur = tier_codes(current, index, program)
    cur_or_none = cur if current is not None else None
    response = response or Response()
    # summary rows -> positions in ``index`` (members without a summary row spend nothing), found once
    same = summary.index is index or (len(summary.index) == len(index) and summary.index.equals(index))
    pos = None if same else index.get_indexer(summary.index)

    def one(s: int):
        spend = draw(horizon, s)[3]
        if pos is not None:
            full = np.zeros(len(index))
            full[pos[pos >= 0]] = spend[pos >= 0]
            spend = full
        simulated, tier, _, _ = review_year(spend, cur_or_none, program, response)
        return tier_summary(simulated, tier, program), migration_matrix(cur, tier, program)

    if PROJECTION_THREADS > 1 and len(seeds) > 1:
        with ThreadPoolExecutor(min(PROJECTION_THREADS, len(seeds))) as pool:
            sims = list(pool.map(one, seeds))  # in seed order
    else:
        sims = [one(s) for s in seeds]
    stacked = np.stack([summary_.to_numpy(float) for summary_, _ in sims])
    first = sims[0][0]
    mean = pd.DataFrame(stacked.mean(axis=0), index=first.index, columns=first.columns)
    cols = list(first.columns)
    share = stacked[:, :, cols.index("share")]
    cost = stacked[:, :, cols.index("cost_pct")]
    intervals = pd.DataFrame(
        {
            "share_low": np.quantile(share, 0.05, axis=0),
            "share_high": np.quantile(share, 0.95, axis=0),
            "cost_pct_low": _nan_quantile(cost, 0.05),
            "cost_pct_high": _nan_quantile(cost, 0.95),
        },
        index=first.index,
    )
    migration = sum(m.astype(float) for _, m in sims) / draws
    return ProjectedSimulation(program, mean, intervals, migration, draws, seeds)


def _nan_quantile(values: np.ndarray, q: float) -> np.ndarray:
    """``np.nanquantile(values, q, axis=0)``, NaN (without numpy's "All-NaN slice" warning) for a column that is NaN in every draw (a tier no draw puts a member in has no cost % of revenue)."""
    out = np.full(values.shape[1], np.nan)
    some = ~np.isnan(values).all(axis=0)
    if some.any():
        out[some] = np.nanquantile(values[:, some], q, axis=0)
    return out
