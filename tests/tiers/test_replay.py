"""workbench.tiers.replay: the rules on hand-made histories and against an independent per-member
reference, the monthly table, members about to upgrade, rows without an order id."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import tier_program as program

from workbench.schema import finalize_transactions
from workbench.tiers import TierProgram, about_to_upgrade, assign_tiers, replay


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


@pytest.mark.parametrize(
    "config", [{}, CONFIGS[2], CONFIGS[4], CONFIGS[7]], ids=["default", "grace", "rolling", "carry"]
)
def test_replay_on_the_demo_matches_the_reference_and_the_sql_engine(demo, config):
    """On the demo log (its NT$ programme thresholds): tiers equal the per-member reference for a sample of
    members, and the numpy aggregation gives the same tiers, events and qualifying values as the DuckDB one."""
    tx = demo.transactions
    prog = program(**{k: (dict(v) if isinstance(v, dict) else v) for k, v in config.items()})
    ours = replay(tx, prog, "2026-10-31")
    sql = replay(tx, prog, "2026-10-31", engine="duckdb")
    np.testing.assert_array_equal(ours.tiers, sql.tiers)
    np.testing.assert_allclose(ours.qualifying, sql.qualifying, rtol=1e-12)
    pd.testing.assert_frame_equal(ours.events, sql.events)
    sample = pd.Series(ours.member_ids).iloc[::25]
    expected = reference_tiers(tx[tx["member_id"].isin(sample)], prog, "2026-10-31")
    assert ours.tier_names()[list(expected)].to_dict() == expected
    assert len(set(expected.values())) == len(prog.tiers)  # the sample reaches every tier


@pytest.mark.parametrize("in_memory", [True, False], ids=["read", "duckdb"])
def test_replay_of_the_validated_copy_is_the_frames(demo, tmp_path, monkeypatch, in_memory):
    """The run's validated Parquet copy as a path: read when small, else aggregated in DuckDB (the log never
    loaded): the same tiers, events and qualifying values as the frame, and the per-member reference."""
    import workbench.summary.member as sm
    from workbench import files
    from workbench.data import VALIDATED_METADATA

    monkeypatch.setattr(sm, "IN_MEMORY_ROWS", sm.IN_MEMORY_ROWS if in_memory else 0)
    path = str(files.write_parquet(tmp_path / "tx.parquet", demo.transactions, metadata=VALIDATED_METADATA))
    prog = program()
    ours, frame = replay(path, prog, "2026-10-31"), replay(demo.transactions, prog, "2026-10-31")
    np.testing.assert_array_equal(ours.tiers, frame.tiers)
    np.testing.assert_array_equal(ours.qualifying, frame.qualifying)
    pd.testing.assert_frame_equal(ours.events, frame.events)
    sample = pd.Series(ours.member_ids).iloc[::40]
    expected = reference_tiers(
        demo.transactions[demo.transactions["member_id"].isin(sample)], prog, "2026-10-31"
    )
    assert ours.tier_names()[list(expected)].to_dict() == expected


@pytest.mark.parametrize("returns_deducted", [True, False])
def test_trailing_year_equals_pandas(demo, returns_deducted):
    """``Replay.trailing(12)`` (summed from the month records the replay keeps) against plain pandas: orders valued
    at their rows' sum, dated by their first row, net of returns or purchases only, over Nov 2025-Oct 2026."""
    prog = TierProgram.from_dict(
        {
            "tiers": [{"name": "M", "upgrade": 0}, {"name": "S", "upgrade": 10000, "renewal": 8000}],
            "returns_deducted": returns_deducted,
        }
    )
    history = replay(demo.transactions, prog, "2026-10-31")
    assert history.activity.bounds[-1] == len(history.activity.member)  # records, not a member x month matrix
    tx = demo.transactions[demo.transactions["ordered_at"] < "2026-11-01"]
    orders = tx.groupby(["member_id", "order_id"], observed=True).agg(
        value=("amount", "sum"), first=("ordered_at", "min")
    )
    orders = orders[orders["first"] >= "2025-11-01"]
    if not returns_deducted:
        orders = orders[orders["value"] >= 0]
    expected = orders.groupby(level="member_id")["value"].sum()
    got = history.trailing(12)
    expected = expected.reindex(got.index, fill_value=0.0)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-6)
