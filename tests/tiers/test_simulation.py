"""workbench.tiers.simulation: simulate, sweep, targets and the Pareto curve against direct pandas
computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import tier_program as program

from workbench.tiers import Response, TierProgram, pareto, simulate, sweep, thresholds_for_shares


def direct_summary(spend: pd.Series, tiers: pd.Series, prog: TierProgram) -> pd.DataFrame:
    b = {t.name: t.benefits for t in prog.tiers}
    c = prog.costs
    cost = pd.Series(
        [
            b[t].birthday_voucher * c.voucher_redemption
            + b[t].gift
            + max(s, 0)
            * (b[t].discount + c.member_day_share * (b[t].member_day_multiplier - 1) * c.point_value)
            for s, t in zip(spend, tiers, strict=True)
        ],
        index=spend.index,
    )
    frame = pd.DataFrame({"spend": spend, "tier": tiers, "cost": cost})
    g = frame.groupby("tier").agg(
        members=("spend", "size"), revenue=("spend", "sum"), benefit_cost=("cost", "sum")
    )
    return g.reindex(prog.names, fill_value=0)


def test_simulate_matches_direct_pandas(rng):
    spend = pd.Series(np.round(rng.lognormal(8.5, 1.2, 3000)), index=[f"{i:05d}" for i in range(3000)])
    prog = program()
    sim = simulate(spend, prog)
    tiers = pd.cut(spend, [-np.inf, 10000, 30000, np.inf], right=False, labels=prog.names).astype(str)
    d = direct_summary(spend, tiers, prog)
    s = sim.summary
    np.testing.assert_array_equal(s.loc[prog.names, "members"], d["members"])
    np.testing.assert_allclose(s.loc[prog.names, "share"], d["members"] / 3000)
    np.testing.assert_allclose(s.loc[prog.names, "revenue_share"], d["revenue"] / spend.sum())
    np.testing.assert_allclose(s.loc[prog.names, "benefit_cost"], d["benefit_cost"])
    np.testing.assert_allclose(s.loc[prog.names, "cost_pct"], d["benefit_cost"] / d["revenue"])
    np.testing.assert_allclose(s.loc["Total", "net_revenue"], spend.sum() - d["benefit_cost"].sum())


def test_simulate_with_current_tiers_and_response(rng):
    n = 4000
    ids = [f"{i:05d}" for i in range(n)]
    spend = pd.Series(np.round(rng.lognormal(8.8, 1.1, n)), index=ids)
    current = pd.Series(rng.choice(["Member", "Silver", "Gold"], n, p=[0.7, 0.2, 0.1]), index=ids)
    prog = program()
    resp = Response(distance=0.15, uplift=0.10, churn_penalty=0.3)
    sim = simulate(spend, prog, current=current, response=resp)
    # direct: goal = renewal of the current tier if the base outcome falls below it, else next upgrade
    up = {"Member": 0, "Silver": 10000, "Gold": 30000}
    ren = {"Member": 0, "Silver": 8000, "Gold": 24000}
    order = ["Member", "Silver", "Gold"]

    def outcome(s, cur):
        sup = max((k for k in order if s >= up[k]), key=order.index)
        if order.index(sup) > order.index(cur) or cur == "Member":
            return sup if order.index(sup) >= order.index(cur) else cur
        if s >= ren[cur]:
            return cur
        return max([k for k in order[1 : order.index(cur)] if s >= ren[k]], key=order.index, default="Member")

    expected_tier, expected_spend = [], []
    for s, cur in zip(spend, current, strict=True):
        base = outcome(s, cur)
        if order.index(base) < order.index(cur):
            goal = ren[cur]
        elif base != "Gold":
            goal = up[order[order.index(base) + 1]]
        else:
            goal = np.inf
        s2 = s * 1.1 if 0.85 * goal <= s < goal else s
        t = outcome(s2, cur)
        if order.index(t) < order.index(cur):
            s2 *= 0.7
        expected_tier.append(t)
        expected_spend.append(s2)
    assert sim.members["tier"].astype(str).tolist() == expected_tier
    np.testing.assert_allclose(sim.members["simulated_spend"], expected_spend)
    assert sim.members["near_goal"].sum() > 50
    mig = pd.crosstab(current, pd.Series(expected_tier, index=ids)).reindex(
        index=order, columns=order, fill_value=0
    )
    np.testing.assert_array_equal(sim.migration.to_numpy(), mig.to_numpy())
    d = direct_summary(pd.Series(expected_spend, index=ids), pd.Series(expected_tier, index=ids), prog)
    np.testing.assert_allclose(sim.summary.loc[order, "benefit_cost"], d["benefit_cost"])


def test_sweep_matches_per_cell_pandas(rng):
    spend = pd.Series(np.round(rng.lognormal(8.5, 1.2, 2000)))
    spend.iloc[:20] = -100.0  # net returns
    prog = program()
    xs, ys = np.array([5000.0, 8000, 12000, 20000]), np.array([15000.0, 30000, 45000])
    sw = sweep(spend, prog, x=("Silver", xs), y=("Gold", ys))
    assert len(sw) == 12
    for _, row in sw.iterrows():
        if row["x_threshold"] >= row["y_threshold"]:
            assert not row["valid"] and np.isnan(row["share_Gold"])
            continue
        p2 = prog.with_thresholds({"Silver": row["x_threshold"], "Gold": row["y_threshold"]})
        bins = [-np.inf, row["x_threshold"], row["y_threshold"], np.inf]
        tiers = pd.cut(spend, bins, right=False, labels=prog.names).astype(str)
        d = direct_summary(spend, tiers, p2)
        for name in prog.names:
            assert row[f"members_{name}"] == d.loc[name, "members"]
            assert row[f"revenue_share_{name}"] == pytest.approx(d.loc[name, "revenue"] / spend.sum())
            assert row[f"cost_{name}"] == pytest.approx(d.loc[name, "benefit_cost"])
        assert row["cost_pct"] == pytest.approx(d["benefit_cost"].sum() / spend.sum())


def test_thresholds_for_shares_hits_targets(rng):
    spend = pd.Series(rng.lognormal(8.5, 1.2, 10000))
    prog = thresholds_for_shares(spend, program(), {"Gold": 0.05, "Silver": 0.15})
    shares = simulate(spend, prog).summary["share"]
    assert shares["Gold"] == pytest.approx(0.05, abs=1e-4)
    assert shares["Silver"] == pytest.approx(0.15, abs=1e-4)
    assert prog.tiers[2].upgrade == pytest.approx(np.quantile(spend, 0.95), rel=1e-3)
    assert prog.tiers[2].renewal / prog.tiers[2].upgrade == pytest.approx(0.8)


def test_pareto_curve(rng):
    spend = rng.lognormal(8, 1, 1000)
    curve = pareto(spend)
    top10 = np.sort(spend)[::-1][:100].sum() / spend.sum()
    assert curve.loc[100, "revenue_share"] == pytest.approx(top10)
    assert curve["revenue_share"].iloc[-1] == pytest.approx(1.0)
