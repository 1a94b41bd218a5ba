"""Money side of a campaign experiment: bootstrap revenue lift, cost and ROI per arm, targeting policies.

Accounting (per member assigned, each arm minus control; all CIs are seeded Poisson-bootstrap
percentile intervals from one joint bootstrap per arm, see ``experiment_bootstrap``):

* ``incremental_revenue``: revenue (after discounts, as booked) arm minus control;
* ``campaign_cost``: gifts (recipients x unit cost) plus discounts actually redeemed, including those
  on purchases that would have happened anyway (arm minus control, normally control = 0);
* ``incremental_gross_margin``: ``margin x`` incremental revenue *at list price* (revenue + discount):
  the margin the incremental goods earn before the campaign pays for them. (Using revenue after
  discounts here and subtracting the discount as a cost would count the discount twice.);
* ``net_incremental_profit`` = incremental gross margin - campaign cost
  (= margin x incremental revenue - (1 - margin) x discounts - gifts);
* ``roi`` = net incremental profit / campaign cost;
* ``cost_per_incremental_revenue`` = campaign cost / incremental revenue (NT$ spent per extra NT$ of
  revenue; NaN when the revenue lift is not positive, CI NaN when its CI includes 0).

Policy evaluation: the rule "treat only the top ``k`` share by ``policy_by`` (a pre-period column)"
is valued, from the randomized data, as ``1,000 x k x`` (mean profit of the arm - mean profit of the
control among the top-``k`` members): the net incremental profit per 1,000 members of the population.
Its CIs come from a second Poisson bootstrap of the profit column by policy bin (``policy_resamples``,
default 2,000: the bins multiply the distinct rows, and a curve needs less precision than a verdict).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from workbench.errors import ArgumentError
from workbench.experiments.analysis import arm_codes, numeric_column
from workbench.experiments.bootstrap import BootstrapSums, percentile_ci, poisson_bootstrap

ECONOMICS_QUANTITIES = (
    "incremental_revenue",
    "campaign_cost",
    "incremental_gross_margin",
    "net_incremental_profit",
    "roi",
    "cost_per_incremental_revenue",
)
# column order of the bootstrapped matrix
_R, _RCAP, _D, _G = 0, 1, 2, 3


@dataclass(frozen=True)
class Verdict:
    """Head-to-head of a targeted and a blanket arm on net incremental profit per member."""

    targeted: str
    blanket: str
    outcome: str  # "targeted_better" | "blanket_better" | "inconclusive"
    profit_difference: float  # targeted - blanket, per member
    ci_low: float
    ci_high: float
    roi_targeted: float
    roi_blanket: float
    arm_status: dict  # arm -> "profitable" | "loss" | "inconclusive"


@dataclass(frozen=True)
class CampaignEconomics:
    """Cost and ROI of a campaign: revenue lift by bootstrap, economics per arm, the targeting policy and its verdict."""

    revenue_bootstrap: pd.DataFrame  # arm, variant, cap, abs_lift, CIs, rel_lift, CIs
    economics: pd.DataFrame  # arm, quantity, estimate, ci_low, ci_high, total, n_arm
    policy: pd.DataFrame  # arm, share, members_per_1000, value_per_1000, ci_low, ci_high
    verdict: Verdict | None
    resamples: int
    policy_resamples: int
    cap: float | None


def member_profit(revenue, discount_cost, gift_cost, margin: float) -> np.ndarray:
    """Each member's contribution: ``margin x (revenue + discount) - discount - gift``.

    The difference of its means between an arm and the control is the arm's net incremental profit per
    member (see the module docstring); for the control (no campaign cost) it is ``margin x revenue``.

    Parameters
    ----------
    revenue, discount_cost, gift_cost : array-like
        Per member: revenue after discounts, discounts redeemed, gifts handed out (currency units).
    margin : float
        Gross margin on list-price revenue.

    Returns
    -------
    ndarray
    """
    r, d, g = (np.asarray(v, dtype=float) for v in (revenue, discount_cost, gift_cost))
    return margin * (r + d) - d - g


def policy_bins(values: np.ndarray, steps: int) -> np.ndarray:
    """Bin 0 = the top 1/steps by ``values``, bin 1 the next, ...; ties broken by row order."""
    ranks = pd.Series(-np.asarray(values, float)).rank(method="first").to_numpy() - 1
    return np.minimum((ranks * steps // len(values)).astype(np.int64), steps - 1)


def campaign_economics(
    frame: pd.DataFrame,
    arm: str,
    control: str,
    *,
    margin: float,
    revenue: str = "revenue",
    discount_cost: str | None = "discount_cost",
    gift_cost: str | None = "gift_cost",
    policy_by: str | None = "pre_spend",
    policy_steps: int = 20,
    cap_quantile: float | None = None,
    targeted: str | None = None,
    blanket: str | None = None,
    resamples: int = 10_000,
    policy_resamples: int = 2_000,
    seed: int = 42,
    alpha: float = 0.05,
) -> CampaignEconomics:
    """Bootstrap revenue lift, per-arm cost/ROI with CIs, policy curve and the targeted-vs-blanket verdict."""
    owner = "campaign_economics"
    if not 0.0 <= margin <= 1.0:
        raise ArgumentError(f"{owner}: margin must be a share in [0, 1], got {margin!r}")
    if cap_quantile is not None and not 0.5 < cap_quantile < 1.0:
        raise ArgumentError(f"{owner}: cap_quantile must be in (0.5, 1) or None, got {cap_quantile!r}")
    for name, value in (("resamples", resamples), ("policy_resamples", policy_resamples)):
        if not isinstance(value, int | np.integer) or value < 100:
            raise ArgumentError(f"{owner}: {name} must be an integer >= 100, got {value!r}")
    if not 1 <= policy_steps <= 100:
        raise ArgumentError(f"{owner}: policy_steps must be in [1, 100], got {policy_steps!r}")
    codes, names = arm_codes(frame, arm, control)
    for role, name in (("targeted", targeted), ("blanket", blanket)):
        if name is not None and name not in names[1:]:
            raise ArgumentError(f"{owner}: {role} arm {name!r} is not a treatment arm; arms: {names[1:]}")
    r = numeric_column(frame, revenue, owner)
    d = numeric_column(frame, discount_cost, owner)
    g = numeric_column(frame, gift_cost, owner)
    cap = float(np.quantile(r, cap_quantile)) if cap_quantile is not None else None
    rcap = np.minimum(r, cap) if cap is not None else r
    x = np.column_stack([r, rcap, d, g])
    steps = policy_steps if policy_by is not None else 1
    bins = (
        policy_bins(numeric_column(frame, policy_by, owner), steps)
        if policy_by is not None
        else np.zeros(len(frame), np.int64)
    )

    profit = member_profit(r, d, g, margin)
    boot: dict[str, BootstrapSums] = {}
    point: dict[str, BootstrapSums] = {}
    pboot: dict[str, BootstrapSums] = {}
    ppoint: dict[str, BootstrapSums] = {}

    def run(task: tuple[int, bool]):
        i, policy = task
        sel = codes == i
        if policy:
            return poisson_bootstrap(
                profit[sel],
                bins[sel],
                steps,
                resamples=policy_resamples,
                rng=np.random.default_rng([seed, i, 1]),
            )
        return poisson_bootstrap(x[sel], resamples=resamples, rng=np.random.default_rng([seed, i]))

    # each arm's two bootstraps (own seeded stream each, so the order they run in changes nothing), the main
    # ones first, two at a time: numpy releases the GIL; one BLAS thread each (threaded BLAS on top of two workers
    # oversubscribes the cores, and its float32 sums would depend on the number of cores)
    tasks = [(i, False) for i in range(len(names))] + [(i, True) for i in range(len(names))]
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(tasks, pool.map(run, tasks), strict=True))
    for i, name in enumerate(names):
        sel = codes == i
        boot[name], pboot[name] = results[(i, False)], results[(i, True)]
        point[name] = BootstrapSums(
            counts=np.array([[sel.sum()]], float), sums=x[sel].sum(axis=0)[None, None, :]
        )
        n_g = np.bincount(bins[sel], minlength=steps).astype(float)
        ppoint[name] = BootstrapSums(
            counts=n_g[None, :],
            sums=np.bincount(bins[sel], weights=profit[sel], minlength=steps)[None, :, None],
        )

    def summarise(fn, policy: bool = False) -> tuple[float, float, float]:
        est = float(fn(ppoint if policy else point)[0])
        lo, hi = percentile_ci(fn(pboot if policy else boot), alpha)
        return est, float(lo), float(hi)

    rev_rows, eco_rows, pol_rows = [], [], []
    pop_counts = np.bincount(bins, minlength=steps).astype(float)
    top_share = np.cumsum(pop_counts) / pop_counts.sum()
    for a in names[1:]:
        n_arm = int((codes == names.index(a)).sum())
        for variant, col in (("uncapped", _R), ("capped", _RCAP)):
            if variant == "capped" and cap is None:
                continue
            row = {"arm": a, "variant": variant, "cap": cap if variant == "capped" else np.nan}
            row["abs_lift"], row["abs_ci_low"], row["abs_ci_high"] = summarise(
                lambda s, a=a, c=col: _mean(s[a], c) - _mean(s[control], c)
            )
            row["rel_lift"], row["rel_ci_low"], row["rel_ci_high"] = summarise(
                lambda s, a=a, c=col: _mean(s[a], c) / _mean(s[control], c) - 1
            )
            row["method"] = f"Poisson bootstrap, B={resamples}, percentile"
            rev_rows.append(row)
        fns = _economics_functions(a, control, margin)
        for q in ECONOMICS_QUANTITIES:
            est, lo, hi = summarise(fns[q])
            eco_rows.append(
                {"arm": a, "quantity": q, "estimate": est, "ci_low": lo, "ci_high": hi, "n_arm": n_arm}
            )
        rev_lo = next(
            r_["ci_low"] for r_ in eco_rows if r_["arm"] == a and r_["quantity"] == "incremental_revenue"
        )
        cpr = eco_rows[-1]
        if not rev_lo > 0:  # ratio to a revenue lift that may be zero: no meaningful interval
            cpr["ci_low"] = cpr["ci_high"] = np.nan
        for j in range(steps):
            est, lo, hi = summarise(
                lambda s, a=a, j=j: 1000 * top_share[j] * _top_profit_diff(s[a], s[control], j), policy=True
            )
            pol_rows.append(
                {
                    "arm": a,
                    "share": (j + 1) / steps,
                    "population_share": top_share[j],
                    "value_per_1000": est,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
    economics = pd.DataFrame(eco_rows)
    economics["total"] = np.where(
        economics["quantity"].isin(["roi", "cost_per_incremental_revenue"]),
        np.nan,
        economics["estimate"] * economics["n_arm"],
    )
    verdict = None
    if targeted is not None and blanket is not None:
        verdict = _verdict(point, boot, targeted, blanket, control, margin, alpha, economics)
    return CampaignEconomics(
        revenue_bootstrap=pd.DataFrame(rev_rows),
        economics=economics,
        policy=pd.DataFrame(pol_rows),
        verdict=verdict,
        resamples=resamples,
        policy_resamples=policy_resamples,
        cap=cap,
    )


def _mean(s: BootstrapSums, col: int) -> np.ndarray:
    n, tot = s.total()
    with np.errstate(divide="ignore", invalid="ignore"):
        return tot[:, col] / n


def _top_profit_diff(sa: BootstrapSums, sc: BootstrapSums, j: int) -> np.ndarray:
    """Mean profit contribution, arm minus control, among the members of policy bins 0..j."""
    top = slice(0, j + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return sa.sums[:, top, 0].sum(axis=1) / sa.counts[:, top].sum(axis=1) - sc.sums[:, top, 0].sum(
            axis=1
        ) / sc.counts[:, top].sum(axis=1)


def _economics_functions(a: str, c: str, margin: float) -> dict:
    def cost(s):
        return (_mean(s[a], _D) + _mean(s[a], _G)) - (_mean(s[c], _D) + _mean(s[c], _G))

    def rev(s):
        return _mean(s[a], _R) - _mean(s[c], _R)

    def gm(s):
        return margin * (rev(s) + _mean(s[a], _D) - _mean(s[c], _D))

    def profit(s):
        return gm(s) - cost(s)

    def ratio(num, den):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 0, num / den, np.nan)

    return {
        "incremental_revenue": rev,
        "campaign_cost": cost,
        "incremental_gross_margin": gm,
        "net_incremental_profit": profit,
        "roi": lambda s: ratio(profit(s), cost(s)),
        "cost_per_incremental_revenue": lambda s: ratio(cost(s), rev(s)),
    }


def _verdict(point, boot, targeted, blanket, control, margin, alpha, economics) -> Verdict:
    ft = _economics_functions(targeted, control, margin)["net_incremental_profit"]
    fb = _economics_functions(blanket, control, margin)["net_incremental_profit"]
    # both arms minus the same control: the control cancels, the arms are resampled independently
    est = float(ft(point)[0] - fb(point)[0])
    lo, hi = percentile_ci(ft(boot) - fb(boot), alpha)
    outcome = "targeted_better" if lo > 0 else "blanket_better" if hi < 0 else "inconclusive"
    status = {}
    for a in (targeted, blanket):
        row = economics[(economics["arm"] == a) & (economics["quantity"] == "net_incremental_profit")].iloc[0]
        status[a] = "profitable" if row["ci_low"] > 0 else "loss" if row["ci_high"] < 0 else "inconclusive"

    def roi(a):
        return float(
            economics[(economics["arm"] == a) & (economics["quantity"] == "roi")]["estimate"].iloc[0]
        )

    return Verdict(targeted, blanket, outcome, est, float(lo), float(hi), roi(targeted), roi(blanket), status)


def supported_policy(policy: pd.DataFrame, tested_shares: dict[str, float] | None = None) -> pd.Series | None:
    """The targeting rule a finding may recommend, or ``None`` when there is none.

    The most profitable row of the policy curve among those inside the randomised range (an arm's share at
    most its ``tested_shares`` entry; the curve itself covers only the randomised members) whose interval
    lies above zero.

    Parameters
    ----------
    policy : DataFrame
        ``CampaignEconomics.policy`` (arm, share, value_per_1000, ci_low, ci_high).
    tested_shares : dict of str to float, optional
        Per arm, the top share its offer actually reached.

    Returns
    -------
    Series or None
        The row recommended.
    """
    limits = pd.Series(tested_shares or {}, dtype=float)
    limit = policy["arm"].map(limits).fillna(1.0).to_numpy(dtype=float)
    inside = (policy["share"].to_numpy(dtype=float) <= limit + 1e-9) & (
        policy["ci_low"].to_numpy(dtype=float) > 0
    )
    candidates = policy[inside]
    if not len(candidates):
        return None
    return candidates.loc[candidates["value_per_1000"].idxmax()]
