"""workbench.tiers.simulation: simulate, sweep, targets and the Pareto curve against direct pandas
computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import tier_program as program

from workbench.errors import ArgumentError
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


# --- the sweep grid follows the spend distribution ----------------------------------------------------------
def _is_nice(step: float) -> bool:
    mantissa = step / 10 ** np.floor(np.log10(step))
    return any(np.isclose(mantissa, m) for m in (1, 2, 5))


@pytest.mark.parametrize(
    ("scale", "low", "high", "n"),
    [
        (4.0, 0.5, 0.97, 50),
        (4.0, 0.8, 0.995, 50),
        (8.5, 0.5, 0.97, 50),
        (8.5, 0.5, 0.9, 8),
        (1.0, 0.2, 0.8, 30),
    ],
)
def test_threshold_grid_is_distinct_round_and_spans_the_quantiles(rng, scale, low, high, n):
    """A café (median ~NT$55) and a department store (~NT$5,000) get grids of their own scale: at most n
    distinct values, all multiples of one 1-2-5 step, inside the quantile range of positive spend."""
    from workbench.tiers import threshold_grid

    spend = np.concatenate([rng.lognormal(scale, 1.0, 5000), np.zeros(3000), [-50.0] * 10])
    grid = threshold_grid(spend, low, high, n)
    positive = spend[spend > 0]
    lo, hi = np.quantile(positive, [low, high])
    step = np.diff(grid)
    assert 2 <= len(grid) <= n
    assert np.allclose(step, step[0]) and _is_nice(step[0])  # one nice step
    assert np.allclose(grid / step[0], np.round(grid / step[0]))  # multiples of it: round thresholds
    assert lo - 1e-9 <= grid[0] and grid[-1] <= hi + 1e-9  # inside the spend's own range
    assert grid[0] - step[0] < lo and grid[-1] + step[0] > hi  # and spanning it
    assert len(grid) > n / 2.6  # the step is the smallest nice one: 1-2-5 never wastes more than 2.5x


def test_threshold_grid_of_small_baskets_has_no_duplicates(cdnow):
    """The CDNOW log's spend (a brand of small baskets): rounding to NT$100 gave duplicate thresholds and the
    sweep heatmap's pivot failed; the grid from the distribution has distinct values, and the sweep
    evaluates each pair once."""
    from workbench.tiers import threshold_grid

    spend = cdnow[cdnow["ordered_at"] >= "1997-07-01"].groupby("member_id")["amount"].sum()
    old = threshold_grid(spend, 0.5, 0.97, 50, step=100.0)
    assert len(old) < 10  # what a fixed step of NT$100 leaves of 50 thresholds
    xs, ys = threshold_grid(spend, 0.5, 0.97, 50), threshold_grid(spend, 0.8, 0.995, 50)
    assert len(np.unique(xs)) == len(xs) >= 20 and len(np.unique(ys)) == len(ys) >= 20
    assert xs.max() < 1000  # the scale of the spend, not of the programme
    grid = sweep(spend, program(), x=("Silver", xs), y=("Gold", ys))
    table = grid.pivot(index="y_threshold", columns="x_threshold", values="share_Gold")
    assert table.shape == (len(ys), len(xs))
    pair = grid[(grid["x_threshold"] == xs[1]) & (grid["y_threshold"] == ys[-1])].iloc[0]
    assert pair["share_Gold"] == pytest.approx((spend >= ys[-1]).mean())


def test_threshold_grid_degenerate_spend_and_bad_arguments():
    from workbench.errors import ArgumentError
    from workbench.tiers import threshold_grid

    assert threshold_grid([120.0] * 40, 0.5, 0.99, 50).tolist() == [120.0]  # everyone spent the same
    assert threshold_grid([0.0, -5.0], 0.5, 0.99, 50).size == 0  # nobody bought
    assert threshold_grid([0.3, 0.35, 0.4, 0.6], 0.0, 1.0, 4).tolist() == [0.3, 0.4, 0.5, 0.6]  # below 1 too
    with pytest.raises(
        ArgumentError, match=r"threshold_grid: need 0 <= low <= high <= 1; got low=0.9, high=0.5"
    ):
        threshold_grid([1.0, 2.0], 0.9, 0.5)
    with pytest.raises(ArgumentError, match=r"threshold_grid: n must be at least 1; got 0"):
        threshold_grid([1.0, 2.0], n=0)
    with pytest.raises(ArgumentError, match=r"threshold_grid: step must be positive; got -1"):
        threshold_grid([1.0, 2.0], step=-1)


def test_sweep_covers_the_programme_only_inside_the_grid(rng):
    from workbench.tiers import sweep_covers

    spend = pd.Series(np.round(rng.lognormal(8.5, 1.2, 2000)))
    prog = program()  # Silver 10,000, Gold 30,000
    inside = sweep(
        spend, prog, x=("Silver", np.array([5000.0, 15000])), y=("Gold", np.array([20000.0, 40000]))
    )
    below = sweep(spend, prog, x=("Silver", np.array([50.0, 500])), y=("Gold", np.array([200.0, 900])))
    edge = sweep(spend, prog, x=("Silver", np.array([10000.0])), y=("Gold", np.array([30000.0, 31000])))
    assert sweep_covers(inside, prog) and sweep_covers(edge, prog)
    assert not sweep_covers(below, prog)
    empty = sweep(spend, prog, x=("Silver", np.array([])), y=("Gold", np.array([])))
    assert len(empty) == 0 and not sweep_covers(empty, prog)


# --- targets that cannot be met ------------------------------------------------------------------------------
def test_share_cutoffs_and_targets_that_need_more_buyers_than_there_are():
    from workbench.tiers import TierProgramError, share_cutoffs

    spend = pd.Series([0.0] * 90 + list(np.arange(1.0, 11.0) * 100))  # 10 of 100 members bought
    cut = share_cutoffs(spend, program(), {"Gold": 0.05, "Silver": 0.15})
    assert cut.index.tolist() == ["Silver", "Gold"]
    assert cut["cumulative"].tolist() == pytest.approx([0.20, 0.05])
    assert cut["members"].tolist() == [20, 5]
    assert cut["threshold"].tolist() == [0.0, 600.0]  # the 20th highest spend is nothing
    with pytest.raises(
        TierProgramError,
        match=r"the target shares put 20.0% of members in 'Silver' or above \(20 members\), but only 10 of 100 "
        r"members have positive spend",
    ):
        thresholds_for_shares(spend, program(), {"Gold": 0.05, "Silver": 0.15})
    # Gold: the 5th highest spend; Silver (10% at or above): the 10th highest, the last member who bought
    assert thresholds_for_shares(spend, program(), {"Gold": 0.05, "Silver": 0.05}).upgrades.tolist() == [
        0.0,
        100.0,
        600.0,
    ]


def test_current_tiers_by_name_missing_members_in_the_entry_tier():
    """``current`` names map to the programme's codes (pd.Categorical as the reference); members without a
    name or not in ``current`` are in the entry tier; an unknown name is an error naming it."""
    from workbench.tiers.simulation import tier_codes

    prog = TierProgram.from_dict(
        {"tiers": [{"name": "M", "upgrade": 0}, {"name": "S", "upgrade": 100}, {"name": "G", "upgrade": 300}]}
    )
    rng = np.random.default_rng(4)
    index = pd.Index([f"{i:05d}" for i in range(500)], name="member_id")
    names = pd.Series(rng.choice(["M", "S", "G", None], size=480), index=index[rng.permutation(500)[:480]])
    expected = np.maximum(pd.Categorical(names.reindex(index), categories=["M", "S", "G"]).codes, 0)
    np.testing.assert_array_equal(tier_codes(names, index, prog), expected)
    assert tier_codes(names, index, prog).dtype == np.int8
    with pytest.raises(ArgumentError, match=r"current tier\(s\) \['Platinum'\] not in the programme's tiers"):
        tier_codes(pd.Series(["S", "Platinum"], index=index[:2]), index[:2], prog)
