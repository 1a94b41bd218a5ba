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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.tiers import TierProgram, TierProgramError, next_year_tier

_PROJECTION_SALT = 0x7143_5EED

SUMMARY_COLUMNS = [
    "members",
    "share",
    "revenue",
    "revenue_share",
    "benefit_cost",
    "cost_pct",
    "net_revenue",
]


# --- projected spend --------------------------------------------------------------------------------
def _params(owner: str, params: dict, names: tuple[str, ...]) -> tuple[float, ...]:
    missing = [k for k in names if k not in params]
    if missing:
        raise ValueError(f"{owner}: parameter(s) {', '.join(missing)} missing; got {sorted(params)}")
    return tuple(float(params[k]) for k in names)


def probability_alive(summary: pd.DataFrame, purchase_params: dict) -> np.ndarray:
    """BG/NBD P(alive | x, t_x, T) (Fader, Hardie & Lee 2005, eq. 11), computed in log space."""
    r, alpha, a, b = _params("probability_alive", purchase_params, ("r", "alpha", "a", "b"))
    x = summary["frequency"].to_numpy(float)
    t_x = summary["recency"].to_numpy(float)
    big_t = summary["T"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = (
            np.log(a)
            - np.log(np.maximum(b + x - 1.0, 1e-300))
            + (r + x) * (np.log(alpha + big_t) - np.log(alpha + t_x))
        )
    return np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(log_ratio, 700.0))), 1.0)


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
    for col in ("frequency", "recency", "T", "monetary_value"):
        if col not in summary.columns:
            raise ValueError(f"project_spend: required column {col!r} missing from summary")
    r, alpha, a, b = _params("project_spend purchase_params", purchase_params, ("r", "alpha", "a", "b"))
    p_gg, q, v = _params("project_spend spend_params", spend_params, ("p", "q", "v"))
    # salted: the stream never coincides with another generator seeded with the same integer (the demo data
    # are generated with default_rng(42), whose first uniforms set the members' join times, hence T)
    rng = np.random.default_rng([int(seed), _PROJECTION_SALT])
    x = summary["frequency"].to_numpy(float)
    big_t = summary["T"].to_numpy(float)
    mbar = summary["monetary_value"].to_numpy(float)
    n = len(x)
    p_alive = probability_alive(summary, purchase_params)
    alive = rng.random(n) < p_alive
    lam = rng.gamma(r + x, 1.0 / (alpha + big_t))
    drop = rng.beta(a, b + x)
    potential = rng.poisson(lam * horizon)
    last = rng.geometric(drop)
    purchases = np.where(alive, np.minimum(potential, last), 0)
    nu = rng.gamma(q + p_gg * x, 1.0 / (v + x * np.where(x > 0, mbar, 0.0)))
    spend = rng.gamma(np.maximum(purchases * p_gg, 1e-12), 1.0 / nu)
    spend = np.where(purchases > 0, spend, 0.0)
    return pd.DataFrame(
        {"p_alive": p_alive, "alive": alive, "purchases": purchases.astype(np.int64), "spend": spend},
        index=summary.index,
    )


@dataclass(frozen=True)
class ModelParams:
    """Fitted parameters for ``project_spend`` and where they came from (``"clv"`` or ``"lifetimes"``)."""

    purchase: dict
    spend: dict
    source: str


def fit_projection_params(summary: pd.DataFrame, *, penalizer: float = 0.0) -> ModelParams:
    """BG/NBD and Gamma-Gamma parameters for ``project_spend``.

    Uses ``workbench.clv.fit_clv`` when that module exists, else fits lifetimes' ``BetaGeoFitter`` and
    ``GammaGammaFitter`` directly (Gamma-Gamma on members with repeat purchases and positive value).
    """
    try:
        from workbench.clv import fit_clv
    except ImportError:
        fit_clv = None
    if fit_clv is not None:
        model = fit_clv(summary, purchase_model="bgnbd", penalizer=penalizer)
        return ModelParams(dict(model.purchase_params), dict(model.spend_params), "clv")
    import warnings

    from lifetimes import BetaGeoFitter, GammaGammaFitter

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bg = BetaGeoFitter(penalizer_coef=penalizer)
        bg.fit(summary["frequency"], summary["recency"], summary["T"])
        rep = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
        gg = GammaGammaFitter(penalizer_coef=penalizer)
        gg.fit(rep["frequency"], rep["monetary_value"])
    return ModelParams(
        {k: float(bg.params_[k]) for k in ("r", "alpha", "a", "b")},
        {k: float(gg.params_[k]) for k in ("p", "q", "v")},
        "lifetimes",
    )


# --- simulate ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Response:
    """Behavioural response: goal-gradient uplift near the next threshold, churn after a downgrade.

    ``distance``: members whose spend is within this share below their goal (the renewal threshold of the
    current tier when they would fall short of it, else the next tier's upgrade threshold) spend ``uplift``
    more (0.1 = +10%); ``churn_penalty``: share of a downgraded member's spend lost (a sensitivity).
    """

    distance: float = 0.0
    uplift: float = 0.0
    churn_penalty: float = 0.0

    def __post_init__(self):
        for name, high in (("distance", 1.0), ("uplift", 5.0), ("churn_penalty", 1.0)):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= high:
                raise ValueError(f"Response: field {name!r} must be between 0 and {high}, got {value!r}")


@dataclass
class TierSimulation:
    program: TierProgram
    members: pd.DataFrame  # spend, simulated_spend, current, tier, near_goal, downgraded, cost
    summary: pd.DataFrame  # per tier (+ Total): SUMMARY_COLUMNS
    migration: pd.DataFrame  # counts: current tier (rows) x next tier (columns)

    @property
    def total(self) -> pd.Series:
        return self.summary.loc["Total"]


def _codes(current, index: pd.Index, program: TierProgram) -> np.ndarray:
    if current is None:
        return np.zeros(len(index), dtype=np.int8)
    cur = pd.Series(current).reindex(index)
    unknown = sorted(set(cur.dropna().unique()) - set(program.names))
    if unknown:
        raise ValueError(f"simulate: current tier(s) {unknown} not in the programme's tiers {program.names}")
    mapping = {name: k for k, name in enumerate(program.names)}
    return cur.map(mapping).fillna(0).to_numpy().astype(np.int8)


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
    cur = _codes(current, spend.index, program)
    base = next_year_tier(s, program, cur if current is not None else None)
    ups, rens = program.upgrades, program.renewals
    top = len(program.tiers) - 1
    goal = np.where(
        base < cur,
        rens[cur],
        np.where(base < top, ups[np.minimum(base.astype(int) + 1, top)], np.inf),
    )
    near = (response.distance > 0) & np.isfinite(goal) & (s < goal) & (s >= (1 - response.distance) * goal)
    simulated = np.where(near, s * (1 + response.uplift), s)
    tier = next_year_tier(simulated, program, cur if current is not None else None)
    downgraded = tier < cur
    simulated = np.where(downgraded, simulated * (1 - response.churn_penalty), simulated)
    names = pd.Categorical.from_codes(tier, program.names, ordered=True)
    cur_names = pd.Categorical.from_codes(cur, program.names, ordered=True)
    members = pd.DataFrame(
        {
            "spend": s,
            "simulated_spend": simulated,
            "current": cur_names,
            "tier": names,
            "near_goal": near,
            "downgraded": downgraded,
            "cost": program.member_cost(tier, simulated),
        },
        index=spend.index,
    )
    migration = pd.crosstab(members["current"], members["tier"], dropna=False)
    migration = migration.reindex(index=program.names, columns=program.names, fill_value=0)
    return TierSimulation(program, members, tier_summary(simulated, tier, program), migration)


# --- sweep and targets ----------------------------------------------------------------------------------
def threshold_grid(
    spend, low: float = 0.5, high: float = 0.99, n: int = 50, *, step: float = 100.0
) -> np.ndarray:
    """``n`` thresholds from the ``low`` to the ``high`` quantile of positive spend, rounded to ``step``."""
    s = np.asarray(spend, dtype=float)
    s = s[s > 0]
    lo, hi = np.quantile(s, [low, high])
    return np.round(np.linspace(lo, hi, n) / step) * step


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


def thresholds_for_shares(spend, program: TierProgram, shares: dict[str, float]) -> TierProgram:
    """The programme with upgrade thresholds set so that each named tier holds about its target share.

    ``shares`` maps tier names above the entry tier to the share of members that should reach exactly that
    tier (e.g. ``{"Gold": 0.05, "Silver": 0.15}``: top 5% Gold, next 15% Silver); each threshold is the spend
    of the k-th highest member, k = round(cumulative share from the top x members). Renewal thresholds keep
    their ratio to the upgrade threshold.
    """
    s = np.sort(np.asarray(spend, dtype=float))
    n = len(s)
    names = program.names
    unknown = [k for k in shares if k not in names[1:]]
    if unknown:
        raise TierProgramError(f"thresholds_for_shares: tier(s) {unknown} not upgradable tiers of {names}")
    cum = 0.0
    upgrades = {}
    for name in reversed(names[1:]):
        if name not in shares:
            continue
        cum += float(shares[name])
        if not 0 < cum < 1:
            raise TierProgramError(
                f"thresholds_for_shares: cumulative share down to {name!r} must be in (0, 1), got {cum}"
            )
        k = max(int(round(cum * n)), 1)
        upgrades[name] = float(s[n - k])
    return program.with_thresholds(upgrades)


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


# --- projection over several draws ------------------------------------------------------------------------
@dataclass
class ProjectedSimulation:
    """``simulate`` on ``draws`` seeded projection draws: mean per-tier summary and migration, and the 5% / 95%
    points of each tier's share and cost % of revenue across draws (the spread of one year's outcome)."""

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
        raise ValueError(f"simulate_projection: draws must be at least 1, got {draws!r}")
    index = members if members is not None else (current.index if current is not None else summary.index)
    seeds = draw_seeds(seed, draws)
    sims = []
    for s in seeds:
        spend = project_spend(summary, purchase_params, spend_params, horizon=horizon, seed=s)["spend"]
        sims.append(
            simulate(spend.reindex(index, fill_value=0.0), program, current=current, response=response)
        )
    stacked = np.stack([sim.summary.to_numpy(float) for sim in sims])
    first = sims[0].summary
    mean = pd.DataFrame(stacked.mean(axis=0), index=first.index, columns=first.columns)
    cols = list(first.columns)
    share = stacked[:, :, cols.index("share")]
    cost = stacked[:, :, cols.index("cost_pct")]
    intervals = pd.DataFrame(
        {
            "share_low": np.quantile(share, 0.05, axis=0),
            "share_high": np.quantile(share, 0.95, axis=0),
            "cost_pct_low": np.nanquantile(cost, 0.05, axis=0),
            "cost_pct_high": np.nanquantile(cost, 0.95, axis=0),
        },
        index=first.index,
    )
    migration = sum(sim.migration.astype(float) for sim in sims) / draws
    return ProjectedSimulation(program, mean, intervals, migration, draws, seeds)
