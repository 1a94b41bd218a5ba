"""Tier programmes: validation, replay rules on hand-made histories and against a per-member reference,
simulation / sweep / targets against direct pandas computations, seeded projection."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from workbench.clv import prob_alive
from workbench.schema import finalize_transactions
from workbench.tiers import (
    Response,
    TierProgram,
    TierProgramError,
    about_to_upgrade,
    assign_tiers,
    pareto,
    project_spend,
    replay,
    simulate,
    sweep,
    thresholds_for_shares,
)


def probability_alive(summary, params):
    """BG/NBD P(alive) of the CLV room, on a summary frame."""
    return prob_alive("bgnbd", params, summary["frequency"], summary["recency"], summary["T"])


BASE = {
    "tiers": [
        {"name": "Member", "upgrade": 0},
        {
            "name": "Silver",
            "upgrade": 10000,
            "renewal": 8000,
            "benefits": {"birthday_voucher": 200, "member_day_multiplier": 2, "discount": 0.03},
        },
        {
            "name": "Gold",
            "upgrade": 30000,
            "renewal": 24000,
            "benefits": {"birthday_voucher": 500, "member_day_multiplier": 3, "gift": 300, "discount": 0.05},
        },
    ],
    "costs": {"voucher_redemption": 0.5, "point_value": 0.01, "member_day_share": 0.2},
}


def program(**changes) -> TierProgram:
    spec = {**BASE, "tiers": [dict(t) for t in BASE["tiers"]]}
    tier_changes = changes.pop("tier_changes", {})
    for t in spec["tiers"]:
        t.update(tier_changes.get(t["name"], {}))
    spec.update(changes)
    return TierProgram.from_dict(spec)


def make_tx(rows) -> pd.DataFrame:
    """rows: (member_id, date, amount[, order_id]); order ids default to one per row."""
    frame = pd.DataFrame(
        [
            {
                "member_id": r[0],
                "ordered_at": r[1],
                "amount": r[2],
                "order_id": r[3] if len(r) > 3 else f"o{i}",
            }
            for i, r in enumerate(rows)
        ]
    )
    return finalize_transactions(frame)


def tier_of(rows, prog, as_of, member="001") -> str:
    return assign_tiers(make_tx(rows), prog, as_of)[member]


# --- validation ---------------------------------------------------------------------------------------
def test_from_dict_builds_frozen_program_and_round_trips():
    prog = program(window="rolling_12m", review_month=6, grace_months=2)
    assert prog.names == ["Member", "Silver", "Gold"]
    assert prog.tiers[2].benefits.gift == 300
    assert prog.costs.voucher_redemption == 0.5
    with pytest.raises(dataclasses.FrozenInstanceError):
        prog.window = "lifetime"
    assert TierProgram.from_dict(prog.to_dict()) == prog
    assert program().tiers[0].renewal == 0  # renewal defaults to upgrade


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"windw": "lifetime"}, r"TierProgram: unknown key 'windw' \(did you mean 'window'\?\)"),
        (
            {"tier_changes": {"Gold": {"upgarde": 5}}},
            r"TierProgram\.tiers\['Gold'\]: unknown key 'upgarde' \(did you mean 'upgrade'\?\)",
        ),
        (
            {"tier_changes": {"Silver": {"benefits": {"cashback": 1}}}},
            r"TierProgram\.tiers\['Silver'\]\.benefits: unknown key 'cashback'",
        ),
        (
            {"tier_changes": {"Gold": {"upgrade": 9000, "renewal": 9000}}},
            r"TierProgram\.tiers\['Gold'\]\.upgrade must be greater than the upgrade of tier 'Silver' \(10000\): thresholds must increase; got 9000",
        ),
        (
            {"tier_changes": {"Silver": {"renewal": 12000}}},
            r"TierProgram\.tiers\['Silver'\]\.renewal must not exceed the tier's upgrade \(10000\); got 12000",
        ),
        (
            {"tier_changes": {"Member": {"upgrade": 100}}},
            r"TierProgram\.tiers\['Member'\]\.upgrade must be 0 for the entry tier; got 100",
        ),
        (
            {"tier_changes": {"Gold": {"upgrade": "lots"}}},
            r"TierProgram\.tiers\['Gold'\]\.upgrade must be a number; got 'lots'",
        ),
        (
            {"tier_changes": {"Gold": {"benefits": {"discount": 1.5}}}},
            r"TierProgram\.tiers\['Gold'\]\.benefits\.discount must be between 0 and 1; got 1\.5",
        ),
        (
            {"window": "fiscal_year"},
            r"TierProgram\.window must be one of 'calendar_year', 'rolling_12m', 'lifetime'; got 'fiscal_year'",
        ),
        (
            {"downgrade": "two_steps"},
            r"TierProgram\.downgrade must be one of 'to_supported', 'one_step'; got 'two_steps'",
        ),
        (
            {"upgrade_timing": "never"},
            r"TierProgram\.upgrade_timing must be one of 'immediate', 'review'; got 'never'",
        ),
        ({"metric": "visits"}, r"TierProgram\.metric must be one of 'spend', 'orders'; got 'visits'"),
        ({"grace_months": 1.5}, r"TierProgram\.grace_months must be an integer; got 1\.5"),
        ({"returns_deducted": "yes"}, r"TierProgram\.returns_deducted must be true or false; got 'yes'"),
        (
            {"carry_over": True, "window": "rolling_12m"},
            r"TierProgram\.carry_over needs window 'calendar_year'; got window='rolling_12m'",
        ),
        (
            {"review": "monthly"},
            r"TierProgram\.review must be 'annual' with review_month 12 for window 'calendar_year'; got review='monthly', review_month=12",
        ),
        ({"costs": {"point_value": 2}}, r"TierProgram\.costs\.point_value must be between 0 and 1; got 2\.0"),
        ({"costs": {"points": 2}}, r"TierProgram\.costs: unknown key 'points'"),
    ],
)
def test_invalid_programs_name_tier_and_field(changes, match):
    with pytest.raises(TierProgramError, match=match):
        program(**changes)


def test_tier_count_and_duplicates():
    with pytest.raises(TierProgramError, match=r"TierProgram\.tiers must hold 2 to 5 tiers; got 1"):
        TierProgram.from_dict({"tiers": [{"name": "Member", "upgrade": 0}]})
    with pytest.raises(TierProgramError, match="repeated: Gold"):
        TierProgram.from_dict({"tiers": [{"name": "Gold", "upgrade": 0}, {"name": "Gold", "upgrade": 5}]})
    with pytest.raises(
        TierProgramError, match=r"TierProgram.tiers\['Silver'\]: missing required key 'upgrade'"
    ):
        TierProgram.from_dict({"tiers": [{"name": "Member", "upgrade": 0}, {"name": "Silver"}]})


# --- replay rules on hand-made histories --------------------------------------------------------------------
def test_immediate_vs_review_upgrade():
    rows = [("001", "2024-03-05", 6000), ("001", "2024-09-10", 5000)]
    assert tier_of(rows, program(), "2024-08-31") == "Member"
    assert tier_of(rows, program(), "2024-09-30") == "Silver"  # 11,000 >= 10,000 at the end of September
    review = program(upgrade_timing="review")
    assert tier_of(rows, review, "2024-11-30") == "Member"
    assert tier_of(rows, review, "2024-12-15") == "Member"  # December not complete: no review yet
    assert tier_of(rows, review, "2024-12-31") == "Silver"


def test_renewal_and_downgrade_rules():
    gold_2024 = [("001", "2024-02-01", 35000)]
    silver_2024 = [("001", "2024-02-01", 12000)]
    # Silver renews with 9,000 >= 8,000 in 2025; 7,000 falls to Member
    assert tier_of([*silver_2024, ("001", "2025-05-01", 9000)], program(), "2026-01-31") == "Silver"
    assert tier_of([*silver_2024, ("001", "2025-05-01", 7000)], program(), "2026-01-31") == "Member"
    # Gold with 2,000 in 2025: to the supported tier (Member) or one step (Silver)
    low = [*gold_2024, ("001", "2025-05-01", 2000)]
    assert tier_of(low, program(), "2026-01-31") == "Member"
    assert tier_of(low, program(downgrade="one_step"), "2026-01-31") == "Silver"
    # Gold with 9,000: meets Silver's renewal threshold, so both rules give Silver
    mid = [*gold_2024, ("001", "2025-05-01", 9000)]
    assert tier_of(mid, program(), "2026-01-31") == "Silver"
    assert tier_of(mid, program(downgrade="one_step"), "2026-01-31") == "Silver"
    events = replay(make_tx(low), program(), "2026-01-31").events
    assert events[["month", "event", "from_tier", "to_tier"]].values.tolist() == [
        ["2024-02", "upgrade", "Member", "Gold"],
        ["2024-12", "renewal", "Gold", "Gold"],
        ["2025-12", "downgrade", "Gold", "Member"],
    ]


def test_grace_period():
    prog = program(grace_months=3)
    history = [("001", "2024-02-01", 12000), ("001", "2025-05-01", 7000)]  # Silver fails renewal in 2025
    # no spend in grace: keeps Silver through February, downgraded at the end of the third grace month
    assert tier_of(history, prog, "2026-02-28") == "Silver"
    assert tier_of(history, prog, "2026-03-31") == "Member"
    # 7,000 + 500 (Jan) + 1,000 (Feb) = 8,500 >= 8,000: renewed in February, still Silver after grace
    rescued = [*history, ("001", "2026-01-10", 500), ("001", "2026-02-10", 1000)]
    assert tier_of(rescued, prog, "2026-04-30") == "Silver"
    ev = replay(make_tx(rescued), prog, "2026-04-30").events
    assert ev["event"].astype(str).tolist()[-2:] == ["grace", "renewal"]
    assert ev["month"].tolist()[-2:] == ["2025-12", "2026-02"]


def test_returns_deducted_or_not():
    rows = [("001", "2024-03-01", 11000), ("001", "2024-03-10", -2000)]
    assert tier_of(rows, program(returns_deducted=True), "2024-12-31") == "Member"  # 9,000
    assert tier_of(rows, program(returns_deducted=False), "2024-12-31") == "Silver"  # 11,000


def test_fast_upgrade_uses_one_order():
    prog = program(upgrade_timing="review", tier_changes={"Gold": {"fast_upgrade": 20000}})
    assert tier_of([("001", "2024-05-03", 21000)], prog, "2024-05-31") == "Gold"
    two_orders = [("001", "2024-05-03", 10500, "A"), ("001", "2024-05-03", 10500, "B")]
    assert tier_of(two_orders, prog, "2024-05-31") == "Member"
    assert tier_of(two_orders, prog, "2024-12-31") == "Silver"  # 21,000 at the review
    two_lines = [("001", "2024-05-03", 10500, "A"), ("001", "2024-05-03", 10500, "A")]
    assert tier_of(two_lines, prog, "2024-05-31") == "Gold"  # lines of one order


def test_carry_over():
    rows = [("001", "2024-03-01", 38000), ("001", "2025-03-01", 17000)]
    # 2024: Gold with 8,000 above the 30,000 threshold; 2025: 17,000 + 8,000 = 25,000 >= 24,000 renews
    assert tier_of(rows, program(carry_over=True), "2026-01-31") == "Gold"
    assert tier_of(rows, program(carry_over=False), "2026-01-31") == "Silver"
    r = replay(make_tx(rows), program(carry_over=True), "2026-01-31")
    assert r.qualifying[0] == pytest.approx(25000 - 24000)  # renewed: excess over the renewal threshold


def test_window_types():
    rows = [("001", "2024-09-01", 6000), ("001", "2025-02-01", 5000)]
    assert tier_of(rows, program(window="calendar_year"), "2025-02-28") == "Member"
    assert tier_of(rows, program(window="rolling_12m"), "2025-02-28") == "Silver"
    assert tier_of(rows, program(window="lifetime"), "2025-02-28") == "Silver"
    slow = [("001", f"{y}-06-01", 4000) for y in (2024, 2025, 2026)]
    assert tier_of(slow, program(window="lifetime"), "2026-06-30") == "Silver"
    assert tier_of(slow, program(window="rolling_12m"), "2026-06-30") == "Member"
    # rolling window with a monthly review: downgraded once the 12 months no longer hold 8,000
    rolling = program(window="rolling_12m", review="monthly")
    once = [("001", "2024-03-01", 12000)]
    assert tier_of(once, rolling, "2025-02-28") == "Silver"
    assert tier_of(once, rolling, "2025-03-31") == "Member"


def test_orders_metric():
    prog = program(
        metric="orders",
        tier_changes={"Silver": {"upgrade": 4, "renewal": 3}, "Gold": {"upgrade": 10, "renewal": 8}},
    )
    rows = [("001", f"2024-0{m}-01", 100) for m in range(1, 6)]
    assert tier_of(rows, prog, "2024-05-31") == "Silver"
    assert tier_of(rows, prog, "2024-03-31") == "Member"


def test_assign_tiers_shape_and_as_of():
    rows = [("00042", "2024-03-01", 12000), ("00007", "2024-03-01", 100), ("00099", "2025-01-01", 50000)]
    out = assign_tiers(make_tx(rows), program(), "2024-12-31")
    assert out.to_dict() == {"00007": "Member", "00042": "Silver"}  # 00099 not yet a member; zeros kept
    assert out.index.name == "member_id"
    assert out.dtype == "str"


# --- replay against an independent per-member reference ---------------------------------------------------
def reference_tiers(tx: pd.DataFrame, prog: TierProgram, as_of: str) -> dict[str, str]:
    """Plain per-member, per-month Python loop over pandas groupby sums (independent of the vectorised replay)."""
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    tx = tx[tx["ordered_at"] < end]
    orders = tx.groupby(["member_id", "order_id"]).agg(value=("amount", "sum"), at=("ordered_at", "min"))
    orders = orders.reset_index()
    orders["month"] = orders["at"].dt.to_period("M")
    months = pd.period_range(orders["month"].min(), pd.Timestamp(as_of).to_period("M"), freq="M")
    ups, rens = list(prog.upgrades), list(prog.renewals)
    fast = [t.fast_upgrade for t in prog.tiers]
    k_max = len(ups) - 1

    def metric(frame):
        if prog.metric == "orders":
            return float((frame["value"] > 0).sum())
        v = frame["value"]
        return float(v.sum() if prog.returns_deducted else v[v >= 0].sum())

    def supported(q):
        return max(k for k in range(k_max + 1) if k == 0 or q >= ups[k])

    def lower_target(q, tier):
        target = max([k for k in range(1, tier) if q >= rens[k]], default=0)
        return max(target, tier - 1) if prog.downgrade == "one_step" else target

    out = {}
    for member, mine in orders.groupby("member_id"):
        per_month = {m: (metric(g), g["value"].max()) for m, g in mine.groupby("month")}
        tier, carry, grace_left, grace_q, reached = 0, 0.0, 0, 0.0, False
        for i, month in enumerate(months):
            if prog.window == "calendar_year":
                q = sum(v for m, (v, _) in per_month.items() if m.year == month.year and m <= month)
            elif prog.window == "rolling_12m":
                q = sum(v for m, (v, _) in per_month.items() if month - 12 < m <= month)
            else:
                q = sum(v for m, (v, _) in per_month.items() if m <= month)
            q += carry
            this_metric, big = per_month.get(month, (0.0, None))
            if any(f is not None for f in fast) and big is not None:
                hits = [k for k in range(1, k_max + 1) if fast[k] is not None and big >= fast[k]]
                if hits and max(hits) > tier:
                    tier, reached, grace_left = max(hits), True, 0
            if prog.upgrade_timing == "immediate" and supported(q) > tier:
                tier, reached, grace_left = supported(q), True, 0
            was_in_grace = grace_left > 0
            if was_in_grace:
                grace_q += this_metric
                if grace_q >= rens[tier]:
                    grace_left = 0
                else:
                    grace_left -= 1
                    if grace_left == 0:
                        tier = lower_target(grace_q, tier)
            complete = i < len(months) - 1 or pd.Timestamp(as_of) == month.end_time.normalize()
            is_review = prog.review == "monthly" or month.month == prog.review_month
            if is_review and complete and not was_in_grace and grace_left == 0:
                sup = supported(q)
                failed = False
                if sup > tier:
                    tier, reached = sup, True
                elif tier > 0 and q < rens[tier]:
                    failed = True
                    if prog.grace_months > 0:
                        grace_left, grace_q = prog.grace_months, q
                    else:
                        tier = lower_target(q, tier)
                if prog.carry_over:
                    thr = ups[tier] if reached else rens[tier]
                    carry = max(q - thr, 0.0) if tier > 0 and not failed else 0.0
                reached = False
        out[member] = prog.names[tier]
    return out


def random_history(rng, members=60) -> pd.DataFrame:
    rows = []
    days = pd.date_range("2023-01-01", "2026-10-31", freq="D")
    for m in range(members):
        level = rng.choice([300, 1500, 4000])
        n = rng.poisson(rng.choice([2, 8, 20]))
        for i in range(n):
            day = days[rng.integers(len(days))]
            amount = float(np.round(rng.gamma(2.0, level)))
            order = f"{m}-{i}"
            rows.append((f"{m:04d}", day, amount, order))
            if rng.random() < 0.3:  # a second line of the same order
                rows.append((f"{m:04d}", day, float(np.round(rng.gamma(2.0, level / 2))), order))
            if rng.random() < 0.08:
                rows.append((f"{m:04d}", day + pd.Timedelta(days=5), -np.round(amount / 2), order + "-R"))
    return make_tx(rows)


CONFIGS = [
    {},
    {"upgrade_timing": "review"},
    {"downgrade": "one_step", "grace_months": 2},
    {"returns_deducted": False, "carry_over": True},
    {"window": "rolling_12m", "review": "monthly", "grace_months": 3, "downgrade": "one_step"},
    {"window": "rolling_12m", "review_month": 6, "upgrade_timing": "review"},
    {"window": "lifetime", "tier_changes": {"Gold": {"fast_upgrade": 9000}}},
    {"carry_over": True, "upgrade_timing": "review", "tier_changes": {"Silver": {"fast_upgrade": 6000}}},
    {
        "metric": "orders",
        "tier_changes": {"Silver": {"upgrade": 5, "renewal": 3}, "Gold": {"upgrade": 12, "renewal": 9}},
    },
]


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in c.items()) or "default"
)
@pytest.mark.parametrize("as_of", ["2025-12-31", "2026-10-17"])
def test_replay_matches_per_member_reference(rng, config, as_of):
    tx = random_history(rng)
    prog = program(**{k: (dict(v) if isinstance(v, dict) else v) for k, v in config.items()})
    got = assign_tiers(tx, prog, as_of).to_dict()
    expected = reference_tiers(tx, prog, as_of)
    assert got == expected
    # the history exercises the rules the configuration switches on
    kinds = set(replay(tx, prog, as_of).events["event"].astype(str))
    assert {"upgrade", "renewal", "downgrade"} <= kinds
    assert ("grace" in kinds) == (prog.grace_months > 0)
    assert ("fast_upgrade" in kinds) == any(t.fast_upgrade is not None for t in prog.tiers)


def test_replay_monthly_table_and_about_to_upgrade(rng):
    tx = random_history(rng, members=80)
    prog = program()
    r = replay(tx, prog, "2026-10-31")
    assert r.tier_table().sum(axis=1).eq(len(r.member_ids)).all()
    # about to upgrade: direct computation from the year-to-date net spend (calendar year, no carry)
    ytd = tx[tx["ordered_at"].dt.year == 2026].groupby("member_id")["amount"].sum()
    tiers = r.tier_names()
    ytd = ytd.reindex(tiers.index, fill_value=0.0)
    nxt = tiers.map({"Member": 10000.0, "Silver": 30000.0, "Gold": np.nan})
    expected = sorted(tiers.index[(ytd < nxt) & (ytd >= 0.8 * nxt)])
    got = about_to_upgrade(r, within=0.2)
    assert sorted(got.index) == expected
    np.testing.assert_allclose(got["gap"], (nxt - ytd)[got.index])


# --- simulation, sweep, targets -------------------------------------------------------------------------------
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


# --- projection ---------------------------------------------------------------------------------------------
PURCHASE = {"r": 0.75, "alpha": 20.0, "a": 0.8, "b": 6.0}
SPEND = {"p": 6.0, "q": 4.0, "v": 750.0}
PROFILES = pd.DataFrame(
    {"frequency": [0, 2, 10, 10], "recency": [0, 100, 600, 480], "T": [300, 400, 700, 700]},
    index=["new", "light", "loyal", "lapsing"],
).assign(monetary_value=[0.0, 900.0, 1600.0, 1200.0])


def test_projection_seeded_and_reproducible():
    a = project_spend(PROFILES, PURCHASE, SPEND, seed=7)
    b = project_spend(PROFILES, PURCHASE, SPEND, seed=7)
    pd.testing.assert_frame_equal(a, b)
    big = PROFILES.loc[PROFILES.index.repeat(500)]
    c = project_spend(big, PURCHASE, SPEND, seed=8)
    assert not c["spend"].equals(project_spend(big, PURCHASE, SPEND, seed=9)["spend"])


def test_projection_matches_lifetimes_expectations():
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    bg = BetaGeoFitter()
    bg.params_ = pd.Series(PURCHASE)
    gg = GammaGammaFitter()
    gg.params_ = pd.Series(SPEND)
    f, r, t = PROFILES["frequency"], PROFILES["recency"], PROFILES["T"]
    np.testing.assert_allclose(
        probability_alive(PROFILES, PURCHASE), bg.conditional_probability_alive(f, r, t)
    )
    reps = 40_000
    big = PROFILES.loc[PROFILES.index.repeat(reps)]
    draws = project_spend(big, PURCHASE, SPEND, horizon=365, seed=3)
    by = draws.groupby(level=0, sort=False)
    exp_n = bg.conditional_expected_number_of_purchases_up_to_time(365, f, r, t)
    gg_mean = np.where(
        f > 0, gg.conditional_expected_average_profit(f, PROFILES["monetary_value"]), 6.0 * 750 / 3
    )
    mean_n, se_n = by["purchases"].mean(), by["purchases"].std() / np.sqrt(reps)
    mean_s, se_s = by["spend"].mean(), by["spend"].std() / np.sqrt(reps)
    # standard errors floored at what a Poisson count with the expected mean would give (guards profiles whose
    # draws are almost all zero)
    se_n = np.maximum(se_n, np.sqrt(exp_n.to_numpy() / reps))
    se_s = np.maximum(se_s, gg_mean * np.sqrt(2 * exp_n.to_numpy() / reps))
    assert np.all(np.abs(mean_n - exp_n.to_numpy()) < 4 * se_n)
    assert np.all(np.abs(mean_s - exp_n.to_numpy() * gg_mean) < 4 * se_s)
    assert by["alive"].mean().to_numpy() == pytest.approx(bg.conditional_probability_alive(f, r, t), abs=0.01)


# --- widgets panel (no browser: drive the sliders, read the result) ----------------------------------------
def test_tier_panel_updates_on_slider_changes(rng):
    from workbench.widgets import TierPanel

    spend = pd.Series(np.round(rng.lognormal(8.5, 1.2, 5000)), index=[f"{i:05d}" for i in range(5000)])
    panel = TierPanel(spend, program(), lang="en")
    assert panel.result.summary.loc["Gold", "share"] == pytest.approx((spend >= 30000).mean())
    panel.thresholds["Gold"].value = 20000
    assert panel.result.summary.loc["Gold", "share"] == pytest.approx((spend >= 20000).mean())
    assert panel.result.summary.loc["Silver", "members"] == ((spend >= 10000) & (spend < 20000)).sum()
    assert sorted(line.get_xdata()[0] for line in panel.ax.lines) == [
        8000,
        10000,
        16000,
        20000,
    ]  # renewal x0.8
    # benefit sliders change the cost: Gold discount 5% -> 10% adds 5% of Gold revenue
    gold_rev = spend[spend >= 20000].sum()
    before = panel.result.summary.loc["Total", "benefit_cost"]
    panel.discounts["Gold"].value = 0.10
    assert panel.result.summary.loc["Total", "benefit_cost"] - before == pytest.approx(0.05 * gold_rev)
    panel.vouchers["Silver"].value = 400  # +200 face value x 0.5 redemption per Silver member
    silver_n = ((spend >= 10000) & (spend < 20000)).sum()
    assert panel.result.summary.loc["Silver", "benefit_cost"] == pytest.approx(
        silver_n * (400 * 0.5) + spend[(spend >= 10000) & (spend < 20000)].sum() * (0.03 + 0.2 * 1 * 0.01)
    )
    assert "NT$" in panel.status.value and "<table" in panel.table.value
    # thresholds out of order: an error is shown, the last valid result is kept
    last = panel.result
    panel.thresholds["Silver"].value = 25000
    assert "thresholds must increase" in panel.error and panel.result is last
    panel.thresholds["Gold"].value = 40000
    assert panel.error is None
    assert panel.result.summary.loc["Silver", "members"] == ((spend >= 25000) & (spend < 40000)).sum()


# --- plots and report text ------------------------------------------------------------------------------------
def test_plots_draw_thresholds_heatmaps_migration_and_pareto(rng):
    from workbench.plots import tiers as plots
    from workbench.tiers import threshold_grid

    spend = pd.Series(np.round(rng.lognormal(8.5, 1.2, 3000)))
    prog = program()
    ax = plots.spend_distribution(spend, prog, lang="en")
    assert [line.get_xdata()[0] for line in ax.lines] == [10000, 8000, 30000, 24000]
    assert ax.get_title() == "Annual spend per member and tier thresholds"
    assert sum(p.get_height() for p in ax.patches) == (spend > 0).sum()
    grid = sweep(
        spend,
        prog,
        x=("Silver", threshold_grid(spend, 0.5, 0.9, 8)),
        y=("Gold", threshold_grid(spend, 0.8, 0.99, 6)),
    )
    ax = plots.sweep_heatmap(grid, "share_Gold", lang="zh-TW", mark=(10000, 30000))
    assert ax.get_title() == "Gold 會員占比" and ax.get_xlabel() == "Silver 升等門檻"
    shown = ax.images[0].get_array()
    assert shown.shape == (6, 8)
    np.testing.assert_allclose(
        shown.filled(np.nan), grid.pivot(index="y_threshold", columns="x_threshold", values="share_Gold")
    )
    sim = simulate(spend, prog, current=pd.Series("Silver", index=spend.index))
    ax = plots.migration_matrix(sim.migration, lang="en")
    texts = [tx.get_text() for tx in ax.texts]
    assert texts[3].split("\n")[0] == f"{sim.migration.loc['Silver', 'Member']:,}"
    ax = plots.pareto_curve(spend, prog, lang="en")
    x, y = ax.lines[2].get_data()  # the Silver point
    assert x[0] == pytest.approx((spend >= 10000).mean())
    assert y[0] == pytest.approx(spend[spend >= 10000].sum() / spend.sum())
    table = pd.DataFrame(
        {"Member": [5, 4, 3], "Silver": [1, 2, 3], "Gold": [0, 1, 1]}, index=["2026-08", "2026-09", "2026-10"]
    )
    ax = plots.tier_history(table, lang="en")
    top = ax.collections[1].get_paths()[0].vertices[:, 1].max()
    assert top == 4  # Silver + Gold in the last month, entry tier left out
    assert [tx.get_text() for tx in ax.get_legend().get_texts()] == ["Silver", "Gold"]
    ax = plots.tier_shares(sim.summary, lang="en")
    assert [p.get_height() for p in ax.patches[:3]] == pytest.approx(sim.summary["share"].iloc[:3].tolist())


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_report_text_generated_from_numbers(rng, tmp_path, lang):
    from workbench import tiers
    from workbench.text import table_html
    from workbench.text import tiers as tr

    spend = pd.Series(np.round(rng.lognormal(8.5, 1.2, 2000)), index=[f"{i:05d}" for i in range(2000)])
    prog = program()
    current = pd.Series("Member", index=spend.index)
    emp = simulate(spend, prog, current=current)
    proj = simulate(spend * 0.8, prog, current=current)
    target = thresholds_for_shares(spend, prog, {"Gold": 0.05, "Silver": 0.15})
    audience = pd.DataFrame(
        {"tier": ["Member"], "next_tier": ["Silver"], "qualifying": [9000.0]}, index=["00001"]
    )
    sentences = tr.findings(
        emp,
        proj,
        spend=spend,
        target_program=target,
        target_shares={"Gold": 0.05, "Silver": 0.15},
        target_sim=simulate(spend, target),
        audience=audience,
        within=0.2,
        lang=lang,
    )
    from workbench.i18n import pct

    gold_share = pct((spend >= 30000).mean())
    assert gold_share in sentences[0]
    assert pct(emp.summary.loc["Total", "cost_pct"]) in sentences[1]
    assert f"{target.tiers[2].upgrade:,.0f}" in sentences[4]
    heads = tr.headlines(emp, proj, audience, lang)
    assert list(heads.values())[0] == gold_share and list(heads.values())[3] == "1"
    frame, kwargs = tr.summary_table(emp.summary, lang)
    html_text = table_html(frame, lang, **kwargs)
    assert f"{(spend >= 30000).sum():,}" in html_text
    assert tiers.write_audience(audience, "", "2026-10") is None
    path = tiers.write_audience(audience, tmp_path / "aud", "2026-10")
    assert pd.read_csv(path, dtype={"member_id": str})["member_id"].tolist() == ["00001"]


# --- the notebook, end to end on a small demo ------------------------------------------------------------------
@pytest.mark.slow  # one kernel run of the report notebook (~15-30 s)
def test_notebook_runs_on_small_demo(tmp_path):
    import json
    from pathlib import Path

    import papermill

    from workbench.data import generate_demo
    from workbench.notebook import HEADLINES_MIME

    generate_demo(3000, seed=7).write(tmp_path / "data")
    nb = Path(__file__).resolve().parents[2] / "notebooks" / "tier_simulation.ipynb"
    out = tmp_path / "out.ipynb"
    params = {
        name: str(tmp_path / "data" / f"{name}.parquet") for name in ("transactions", "members", "campaign")
    }
    papermill.execute_notebook(
        str(nb),
        str(out),
        parameters={**params, "language": "en", "sweep_size": 10},
        kernel_name="python3",
        cwd=str(nb.parent),
        progress_bar=False,
    )
    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    outputs = [o for c in cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] in ("error", "stream")]  # no errors, warnings, prints
    heads = [o["data"][HEADLINES_MIME] for o in outputs if HEADLINES_MIME in o.get("data", {})]
    assert len(heads) == 1 and len(heads[0]) == 4
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 6
    text = json.dumps([{k: v for k, v in o.get("data", {}).items() if k != "image/png"} for o in outputs])
    assert "0000001" not in text and "0002999" not in text  # aggregates only: no member ids


def test_simulate_projection_averages_seeded_draws():
    from workbench.tiers import draw_seeds, simulate_projection

    base = PROFILES.loc[PROFILES.index.repeat(300)]
    base.index = [f"{i:05d}" for i in range(len(base))]
    prog = program(
        tier_changes={
            "Silver": {"upgrade": 3000, "renewal": 2000},
            "Gold": {"upgrade": 12000, "renewal": 9000},
        }
    )
    current = pd.Series("Silver", index=base.index)
    res = simulate_projection(base, PURCHASE, SPEND, prog, current=current, seed=5, draws=4)
    seeds = draw_seeds(5, 4)
    assert res.seeds == seeds and len(set(seeds)) == 4
    sims = [
        simulate(project_spend(base, PURCHASE, SPEND, seed=s)["spend"], prog, current=current) for s in seeds
    ]
    shares = np.array([s.summary.loc["Gold", "share"] for s in sims])
    assert res.summary.loc["Gold", "share"] == pytest.approx(shares.mean())
    assert res.intervals.loc["Gold", "share_low"] == pytest.approx(np.quantile(shares, 0.05))
    np.testing.assert_allclose(res.migration, sum(s.migration for s in sims) / 4)
    again = simulate_projection(base, PURCHASE, SPEND, prog, current=current, seed=5, draws=4)
    pd.testing.assert_frame_equal(res.summary, again.summary)
    assert shares.std() > 0  # the draws differ


def test_projection_stream_independent_of_the_demo_generator(demo):
    """The demo is generated with default_rng(42); a projection with seed 42 must not reuse its uniforms
    (they set the members' join times, so alive draws would correlate with T)."""
    from workbench.summary import member_summary

    summ = member_summary(demo.transactions, "2026-10-31", freq="D")
    truth_bg = {k: demo.truth["bgnbd"][k] for k in ("r", "alpha", "a", "b")}
    truth_gg = {k: demo.truth["gamma_gamma"][k] for k in ("p", "q", "v")}
    p = probability_alive(summ, truth_bg)
    alive = project_spend(summ, truth_bg, truth_gg, seed=42)["alive"].sum()
    assert abs(alive - p.sum()) < 4 * np.sqrt((p * (1 - p)).sum())


def test_rows_without_order_id_are_orders_of_their_own():
    """Empty and missing order ids: each row is an order (two 600 rows are not one 1,200 order)."""
    from workbench.tiers import monthly_activity

    tx = pd.DataFrame(
        {
            "member_id": pd.array(["001", "001", "001", "002"], dtype="str"),
            "ordered_at": pd.to_datetime(["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]),
            "amount": [600.0, 600.0, 700.0, 500.0],
            "order_id": pd.array(["", "", None, "A1"], dtype="str"),
        }
    )
    act = monthly_activity(tx, "2026-03-31")
    month = list(act.months).index(pd.Period("2026-03", "M"))
    assert act.orders[:, month].tolist() == [3, 1]
    assert act.max_order[:, month].tolist() == [700.0, 500.0]
    assert act.purchases[:, month].tolist() == [1900.0, 500.0]
