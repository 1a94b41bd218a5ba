"""Simulate a tier programme for the coming year: spend sources, behavioural response, sweep and targets.

Spend for the coming year comes from

* ``Replay.trailing(12)``: last year's empirical qualifying spend per member, or
* ``project_spend``: one seeded draw per member from the fitted BG/NBD + Gamma-Gamma models, given the
  member's ``(frequency, recency, T, monetary_value)``: alive ~ Bernoulli(P(alive)); if alive, purchase rate
  lambda ~ Gamma(r + x, alpha + T) and drop-out probability p ~ Beta(a, b + x) (their posteriors given alive);
  purchases in the horizon = min(Poisson(lambda * horizon), Geometric(p)) (the member drops out right after
  the Geometric(p)-th purchase); spend rate nu ~ Gamma(q + p_gg * x, v + x * mbar); the year's spend is the
  sum of the purchases' values, each Gamma(p_gg, nu), i.e. Gamma(purchases * p_gg, nu).

``simulate`` applies the annual review to that spend (renewal and downgrade relative to the member's current
tier, when given) and returns per-tier members, revenue and benefit cost, and the migration matrix. ``sweep``
evaluates a grid of thresholds for two tiers by qualification on spend alone (sort once, then
``searchsorted`` and cumulative sums); ``thresholds_for_shares`` is the inverse (quantiles).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pandas as pd

from workbench.errors import ArgumentError
from workbench.settings import bounded, build, validate
from workbench.tiers.program import TierProgram, TierProgramError, next_year_tier

SUMMARY_COLUMNS = [
    "members",
    "share",
    "revenue",
    "revenue_share",
    "benefit_cost",
    "cost_pct",
    "net_revenue",
]


# --- simulate ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Response:
    """Behavioural response: goal-gradient uplift near the next threshold, churn after a downgrade.

    ``distance``: members whose spend is within this share below their goal (the renewal threshold of the
    current tier when they would fall short of it, else the next tier's upgrade threshold) spend ``uplift``
    more (0.1 = +10%); ``churn_penalty``: share of a downgraded member's spend lost (a sensitivity).
    """

    distance: float = field(default=0.0, metadata=bounded(0, 1))
    uplift: float = field(default=0.0, metadata=bounded(0, 5))
    churn_penalty: float = field(default=0.0, metadata=bounded(0, 1))

    _error: ClassVar = TierProgramError

    def __post_init__(self):
        validate(self)

    @classmethod
    def from_dict(cls, mapping) -> Response:
        """Build from the ``response:`` mapping of ``params/tier_simulation.yaml``."""
        return build(cls, mapping)


@dataclass
class TierSimulation:
    """The coming year simulated: per member (spend, tier, cost), per tier (summary) and the migration."""

    program: TierProgram
    members: pd.DataFrame  # spend, simulated_spend, current, tier, near_goal, downgraded, cost
    summary: pd.DataFrame  # per tier (+ Total): SUMMARY_COLUMNS
    migration: pd.DataFrame  # counts: current tier (rows) x next tier (columns)

    @property
    def total(self) -> pd.Series:
        """The summary's ``Total`` row."""
        return self.summary.loc["Total"]


def tier_codes(current, index: pd.Index, program: TierProgram) -> np.ndarray:
    """Tier codes (int8, 0 = entry tier) of ``current`` tier names aligned with ``index``; missing = entry tier.

    Parameters
    ----------
    current : Series of tier names indexed by member_id, or None (everyone in the entry tier).
    index : the members to align with.
    program : the programme whose tier names the codes number.

    Returns
    -------
    numpy.ndarray of int8, one code per entry of ``index``.
    """
    if current is None:
        return np.zeros(len(index), dtype=np.int8)
    current = pd.Series(current)
    if not (current.index is index or len(current.index) == len(index) and current.index.equals(index)):
        current = current.reindex(index)
    # the distinct names (hashed once), then each one's position among the programme's tiers
    codes, uniques = pd.factorize(current, use_na_sentinel=True)
    names = [None if pd.isna(u) else u for u in uniques]
    unknown = sorted({u for u in names if u is not None and u not in program.names})
    if unknown:
        raise ArgumentError(
            f"simulate: current tier(s) {unknown} not in the programme's tiers {program.names}"
        )
    lookup = np.array([program.names.index(u) for u in names] + [0], dtype=np.int8)  # -1 (missing) -> 0
    return lookup[codes]


def migration_matrix(current: np.ndarray, tier: np.ndarray, program: TierProgram) -> pd.DataFrame:
    """Member counts from today's tier (rows, ``current``) to next year's (columns, ``tier``), every tier listed."""
    k = len(program.tiers)
    counts = np.bincount(np.asarray(current, np.int64) * k + tier, minlength=k * k).reshape(k, k)
    names = program.names
    return pd.DataFrame(counts, index=pd.Index(names, name="current"), columns=pd.Index(names, name="tier"))


def tier_summary(spend, tier_codes, program: TierProgram) -> pd.DataFrame:
    """Per-tier members, share, revenue, revenue share, benefit cost, cost % of revenue, net revenue (+ Total)."""
    spend = np.asarray(spend, dtype=float)
    codes = np.asarray(tier_codes, dtype=np.int64)
    k = len(program.tiers)
    cost = program.member_cost(codes, spend)
    members = np.bincount(codes, minlength=k).astype(float)
    revenue = np.bincount(codes, weights=spend, minlength=k)
    benefit = np.bincount(codes, weights=cost, minlength=k)
    frame = pd.DataFrame(
        {"members": members, "revenue": revenue, "benefit_cost": benefit}, index=program.names
    )
    frame.loc["Total"] = frame.sum()
    n, total_rev = members.sum(), revenue.sum()
    frame["share"] = frame["members"] / n if n else np.nan
    frame["revenue_share"] = frame["revenue"] / total_rev if total_rev else np.nan
    frame["cost_pct"] = frame["benefit_cost"] / frame["revenue"].where(frame["revenue"] > 0)
    frame["net_revenue"] = frame["revenue"] - frame["benefit_cost"]
    frame["members"] = frame["members"].astype(np.int64)
    frame.index.name = "tier"
    return frame[SUMMARY_COLUMNS]


def simulate(
    spend: pd.Series,
    program: TierProgram,
    *,
    current: pd.Series | None = None,
    response: Response | None = None,
) -> TierSimulation:
    """Next year's tiers from a year of ``spend`` per member (indexed by member_id).

    With ``current`` (tier names by member_id; missing members are in the entry tier) the review keeps
    members who meet their renewal threshold and downgrades the others by the programme's rule; without it
    members qualify on spend alone. Grace periods only delay a downgrade and are not applied here.
    """
    response = response or Response()
    spend = pd.Series(spend, dtype=float)
    s = spend.to_numpy(float)
    cur = tier_codes(current, spend.index, program)
    simulated, tier, near, downgraded = review_year(
        s, cur if current is not None else None, program, response
    )
    members = pd.DataFrame(
        {
            "spend": s,
            "simulated_spend": simulated,
            "current": pd.Categorical.from_codes(cur, program.names, ordered=True),
            "tier": pd.Categorical.from_codes(tier, program.names, ordered=True),
            "near_goal": near,
            "downgraded": downgraded,
            "cost": program.member_cost(tier, simulated),
        },
        index=spend.index,
    )
    migration = migration_matrix(cur, tier, program)
    return TierSimulation(program, members, tier_summary(simulated, tier, program), migration)


def review_year(s: np.ndarray, cur: np.ndarray | None, program: TierProgram, response: Response):
    """``simulate`` on arrays: (simulated spend, next year's tier codes, near goal, downgraded) per member.

    Parameters
    ----------
    s : a year's spend per member.
    cur : today's tier codes (``tier_codes``), or None to qualify on spend alone.
    program : the programme.
    response : the behavioural response.

    Returns
    -------
    tuple of numpy arrays: simulated spend (float), tier codes (int8), near goal (bool), downgraded (bool).
    """
    base = next_year_tier(s, program, cur)
    now = np.zeros(len(s), dtype=np.int8) if cur is None else cur
    ups, rens = program.upgrades, program.renewals
    top = len(program.tiers) - 1
    goal = np.where(
        base < now,
        rens[now],
        np.where(base < top, ups[np.minimum(base.astype(int) + 1, top)], np.inf),
    )
    near = (response.distance > 0) & np.isfinite(goal) & (s < goal) & (s >= (1 - response.distance) * goal)
    simulated = np.where(near, s * (1 + response.uplift), s)
    tier = next_year_tier(simulated, program, cur)
    downgraded = tier < now
    simulated = np.where(downgraded, simulated * (1 - response.churn_penalty), simulated)
    return simulated, tier, near, downgraded


# --- sweep and targets ----------------------------------------------------------------------------------
def _nice_step(value: float) -> float:
    """The smallest "nice" step (1, 2 or 5 x 10^k) at or above ``value`` (> 0).

    Parameters
    ----------
    value : float
        The spacing the step must cover.

    Returns
    -------
    float
        ``1, 2, 5, 10, 20, 50, ...`` (or ``0.1, 0.2, 0.5, ...`` below 1).
    """
    if not np.isfinite(value) or value <= 0:
        raise ArgumentError(f"_nice_step: value must be a positive number; got {value!r}")
    power = 10.0 ** np.floor(np.log10(value))
    for mantissa in (1.0, 2.0, 5.0, 10.0):
        step = mantissa * power
        if step >= value * (1 - 1e-12):
            return float(step)
    return float(10.0 * power)  # pragma: no cover - the loop always returns


def threshold_grid(
    spend, low: float = 0.5, high: float = 0.99, n: int = 50, *, step: float | None = None
) -> np.ndarray:
    """Distinct, rounded thresholds spanning the ``low`` to ``high`` quantile of positive spend.

    The grid follows the brand's spend, whatever its scale: a café's NT$50-400 a year as well as a department
    store's NT$5,000-300,000. Its step is the smallest nice step (1, 2 or 5 x 10^k) that keeps at
    most ``n`` values between the two quantiles, and every value is a multiple of it, so the values are
    distinct and round (NT$20, NT$40, ... or NT$1,000, NT$2,000, ...).

    Parameters
    ----------
    spend : array-like
        A year of qualifying spend per member (non-positive values are left out).
    low, high : float
        Quantiles of positive spend the grid spans, ``0 <= low <= high <= 1``.
    n : int
        At most this many thresholds (at least 1).
    step : float, optional
        A fixed rounding step instead of the nice one (the values are rounded to it and made distinct).

    Returns
    -------
    ndarray
        Increasing, distinct, positive thresholds (fewer than ``n`` when the spend spans few steps, one
        when every buyer spent the same, none when no member has positive spend).
    """
    if not 0 <= low <= high <= 1:
        raise ArgumentError(f"threshold_grid: need 0 <= low <= high <= 1; got low={low!r}, high={high!r}")
    if int(n) < 1:
        raise ArgumentError(f"threshold_grid: n must be at least 1; got {n!r}")
    n = int(n)
    s = np.asarray(spend, dtype=float)
    s = s[np.isfinite(s) & (s > 0)]
    if not len(s):
        return np.array([], dtype=float)
    lo, hi = np.quantile(s, [low, high])
    if step is not None:
        if not step > 0:
            raise ArgumentError(f"threshold_grid: step must be positive; got {step!r}")
        values = np.round(np.linspace(lo, hi, n) / step) * step
        return np.unique(values[values > 0])
    # a spacing of at least (hi - lo) / (n - 1), never finer than about 1% of the values themselves
    spacing = max((hi - lo) / max(n - 1, 1), hi * 0.01)
    grid_step = _nice_step(spacing)
    eps = 1e-9  # 0.6 / 0.1 is 5.999999999999999
    first = max(np.ceil(lo / grid_step - eps), 1.0)
    last = max(np.floor(hi / grid_step + eps), first)
    return np.round(np.arange(first, last + 1) * grid_step, 10)  # 0.1 * 3 is 0.30000000000000004


def sweep(
    spend,
    program: TierProgram,
    *,
    x: tuple[str, np.ndarray],
    y: tuple[str, np.ndarray],
) -> pd.DataFrame:
    """Evaluate every pair of upgrade thresholds for two tiers (``x`` = (tier name, values), ``y`` likewise).

    Members qualify on spend alone (the launch view: no current tiers). One row per pair with
    ``x_threshold, y_threshold, valid`` (thresholds increasing), per tier ``members_<tier>, share_<tier>,
    revenue_<tier>, revenue_share_<tier>, cost_<tier>``, and ``revenue, cost, cost_pct, net_revenue``.
    Invalid pairs hold NaN. Sorts the spend once; each pair costs a ``searchsorted``.
    """
    names = program.names
    for tier_name, _ in (x, y):
        if tier_name not in names[1:]:
            raise TierProgramError(f"sweep: tier {tier_name!r} is not an upgradable tier of {names}")
    if x[0] == y[0]:
        raise TierProgramError(f"sweep: x and y must be different tiers, got {x[0]!r} twice")
    s = np.sort(np.asarray(spend, dtype=float))
    n = len(s)
    csum = np.concatenate([[0.0], np.cumsum(s)])
    cpos = np.concatenate([[0.0], np.cumsum(np.maximum(s, 0.0))])
    xv, yv = np.asarray(x[1], dtype=float), np.asarray(y[1], dtype=float)
    gx, gy = np.meshgrid(xv, yv, indexing="ij")
    cells = gx.size
    u = np.tile(program.upgrades, (cells, 1))
    u[:, names.index(x[0])] = gx.ravel()
    u[:, names.index(y[0])] = gy.ravel()
    valid = np.all(np.diff(u, axis=1) > 0, axis=1)
    u[:, 0] = -np.inf
    lo = np.searchsorted(s, u, side="left")  # members below each tier's threshold
    hi = np.concatenate([lo[:, 1:], np.full((cells, 1), n)], axis=1)
    members = (hi - lo).astype(float)
    revenue = csum[hi] - csum[lo]
    pos_rev = cpos[hi] - cpos[lo]
    fixed, rate = program.cost_terms()
    cost = fixed[None, :] * members + rate[None, :] * pos_rev
    total_rev = csum[n]
    out = {"x_threshold": gx.ravel(), "y_threshold": gy.ravel(), "valid": valid}
    for k, name in enumerate(names):
        out[f"members_{name}"] = members[:, k]
        out[f"share_{name}"] = members[:, k] / n
        out[f"revenue_{name}"] = revenue[:, k]
        out[f"revenue_share_{name}"] = revenue[:, k] / total_rev
        out[f"cost_{name}"] = cost[:, k]
    out["revenue"] = np.full(cells, total_rev)
    out["cost"] = cost.sum(axis=1)
    out["cost_pct"] = out["cost"] / total_rev
    out["net_revenue"] = total_rev - out["cost"]
    frame = pd.DataFrame(out)
    numeric = [c for c in frame.columns if c not in ("x_threshold", "y_threshold", "valid")]
    frame.loc[~valid, numeric] = np.nan
    frame.attrs.update(x_tier=x[0], y_tier=y[0])
    return frame


def share_cutoffs(spend, program: TierProgram, shares: dict[str, float]) -> pd.DataFrame:
    """The spend at which each named tier would start for the target ``shares`` (no programme built).

    Parameters
    ----------
    spend : array-like
        A year of qualifying spend per member.
    program : TierProgram
        Its tier names (the entry tier first).
    shares : dict of str to float
        Tier name above the entry tier -> share of members in exactly that tier (see
        ``thresholds_for_shares``).

    Returns
    -------
    DataFrame
        Indexed by tier (programme order, named tiers only): ``share`` (the target), ``cumulative`` (the
        share at or above the tier), ``members`` (k = round(cumulative x members), at least 1) and
        ``threshold`` (the spend of the k-th highest member; 0 or less when fewer members than k spent
        anything).
    """
    s = np.sort(np.asarray(spend, dtype=float))
    n = len(s)
    names = program.names
    unknown = [k for k in shares if k not in names[1:]]
    if unknown:
        raise TierProgramError(f"thresholds_for_shares: tier(s) {unknown} not upgradable tiers of {names}")
    if not n:
        raise TierProgramError("thresholds_for_shares: no members in the spend")
    cum = 0.0
    rows = {}
    for name in reversed(names[1:]):
        if name not in shares:
            continue
        cum += float(shares[name])
        if not 0 < cum < 1:
            raise TierProgramError(
                f"thresholds_for_shares: cumulative share down to {name!r} must be in (0, 1), got {cum}"
            )
        k = max(int(round(cum * n)), 1)
        rows[name] = (float(shares[name]), cum, k, float(s[n - k]))
    order = [name for name in names if name in rows]
    frame = pd.DataFrame(
        [rows[name] for name in order],
        index=pd.Index(order, name="tier"),
        columns=["share", "cumulative", "members", "threshold"],
    )
    frame["members"] = frame["members"].astype(np.int64)
    return frame


def sweep_covers(grid: pd.DataFrame, program: TierProgram) -> bool:
    """Whether ``program``'s thresholds for the two swept tiers lie inside the ``sweep`` grid's range.

    Parameters
    ----------
    grid : DataFrame
        A ``sweep`` result (``attrs`` name the x and y tiers).
    program : TierProgram

    Returns
    -------
    bool
        False for an empty grid, or when either threshold is below the lowest or above the highest value
        swept (a mark there would sit on the edge, at a pair that was never evaluated).
    """
    if not len(grid):
        return False
    names = program.names
    x = program.upgrades[names.index(grid.attrs["x_tier"])]
    y = program.upgrades[names.index(grid.attrs["y_tier"])]
    xs, ys = grid["x_threshold"], grid["y_threshold"]
    return bool(xs.min() <= x <= xs.max() and ys.min() <= y <= ys.max())


def thresholds_for_shares(spend, program: TierProgram, shares: dict[str, float]) -> TierProgram:
    """The programme with upgrade thresholds set so that each named tier holds about its target share.

    ``shares`` maps tier names above the entry tier to the share of members that should reach exactly that
    tier (e.g. ``{"Gold": 0.05, "Silver": 0.15}``: top 5% Gold, next 15% Silver); each threshold is the spend
    of the k-th highest member, k = round(cumulative share from the top x members). Renewal thresholds keep
    their ratio to the upgrade threshold.

    Parameters
    ----------
    spend : array-like
        A year of qualifying spend per member.
    program : TierProgram
        The programme whose thresholds are replaced.
    shares : dict of str to float
        Target share of members per tier.

    Returns
    -------
    TierProgram

    Raises
    ------
    TierProgramError
        When the shares cannot be met: fewer members spent anything than the shares put in a tier or above
        (a threshold would be 0), or ties in the spend give two tiers the same threshold.
    """
    cutoffs = share_cutoffs(spend, program, shares)
    unmet = cutoffs[cutoffs["threshold"] <= 0]
    if len(unmet):
        name = unmet.index[-1]
        buyers = int((np.asarray(spend, dtype=float) > 0).sum())
        raise TierProgramError(
            f"thresholds_for_shares: the target shares put {cutoffs.at[name, 'cumulative']:.1%} of members in "
            f"{name!r} or above ({cutoffs.at[name, 'members']:,} members), but only {buyers:,} of "
            f"{len(np.asarray(spend)):,} members have positive spend"
        )
    return program.with_thresholds(cutoffs["threshold"].to_dict())


def pareto(spend) -> pd.DataFrame:
    """Cumulative share of revenue by cumulative share of members, highest spenders first (with the origin)."""
    s = np.sort(np.maximum(np.asarray(spend, dtype=float), 0.0))[::-1]
    n = len(s)
    total = s.sum()
    return pd.DataFrame(
        {
            "member_share": np.arange(n + 1) / n,
            "revenue_share": np.concatenate([[0.0], np.cumsum(s) / total]) if total > 0 else np.zeros(n + 1),
        }
    )
