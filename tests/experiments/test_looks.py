"""workbench.experiments.looks: which look a report month is, N* from the plan or the list, and the trend of
the demo campaign recomputed from the log at each month-end, checked against plain numpy (pooled-theta CUPED
and the confidence sequence's half-width written out from the paper's equations)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from workbench.errors import ArgumentError
from workbench.experiments import (
    TREND_COLUMNS,
    CampaignData,
    CampaignSettings,
    campaign_look,
    member_profit,
    monitor_campaign,
    sequential_tuning_for,
    with_profit,
)


@pytest.mark.parametrize(
    ("start", "end", "month", "status", "k", "n", "as_of", "ends"),
    [
        ("2026-09-01", "2026-10-31", "2026-08", "not_started", 0, 2, None, ()),
        ("2026-09-01", "2026-10-31", "2026-09", "running", 1, 2, "2026-09-30", ("2026-09-30",)),
        ("2026-09-01", "2026-10-31", "2026-10", "ended", 2, 2, "2026-10-31", ("2026-09-30", "2026-10-31")),
        ("2026-09-01", "2026-10-31", "2027-01", "ended", 2, 2, "2026-10-31", ("2026-09-30", "2026-10-31")),
        # a window ending mid-month: its last look is window_end, not the month-end
        ("2026-09-01", "2026-10-15", "2026-10", "ended", 2, 2, "2026-10-15", ("2026-09-30", "2026-10-15")),
        # starting mid-month: the first look is that month's end
        ("2026-08-15", "2026-10-31", "2026-09", "running", 2, 3, "2026-09-30", ("2026-08-31", "2026-09-30")),
        # a one-month window is never seen running by a monthly report
        ("2026-09-01", "2026-09-30", "2026-09", "ended", 1, 1, "2026-09-30", ("2026-09-30",)),
        ("2025-12-10", "2026-03-31", "2026-01", "running", 2, 4, "2026-01-31", ("2025-12-31", "2026-01-31")),
    ],
)
def test_campaign_look(start, end, month, status, k, n, as_of, ends):
    look = campaign_look(start, end, month)
    assert (look.status, look.look, look.looks, look.as_of, look.look_ends) == (status, k, n, as_of, ends)
    assert look.running == (status == "running")
    # independently: K = number of calendar months the window touches
    assert n == len(pd.period_range(start, end, freq="M"))


def test_campaign_look_rejects_bad_input():
    with pytest.raises(
        ArgumentError, match=r"campaign_look: month must be YYYY-MM such as '2026-09'; got '2026-13'"
    ):
        campaign_look("2026-09-01", "2026-10-31", "2026-13")
    with pytest.raises(ArgumentError, match=r"campaign_look: window_end '2026-08-01' is before window_start"):
        campaign_look("2026-09-01", "2026-08-01", "2026-09")
    with pytest.raises(
        ArgumentError, match=r"campaign_look: window_start must be a date such as '2026-09-01'"
    ):
        campaign_look("soon", "2026-10-31", "2026-09")


def test_sequential_tuning_from_the_list_or_the_plan():
    frame = pd.DataFrame({"arm": ["control"] * 5 + ["blanket"] * 4 + ["vip"] * 3})
    assert sequential_tuning_for(frame, "arm", "vip", "blanket") == 7.0  # members of the two arms
    assert sequential_tuning_for(frame, "arm", "vip", "control", planned_members=3000) == 2000.0
    shares = {"control": 2, "blanket": 1, "vip": 1}
    assert (
        sequential_tuning_for(frame, "arm", "vip", "control", planned_members=3000, shares=shares) == 2250.0
    )
    with pytest.raises(ArgumentError, match=r"sequential_tuning_for: arm 'gift' not among the arms"):
        sequential_tuning_for(frame, "arm", "gift", "control")
    with pytest.raises(ArgumentError, match=r"planned_members must be a positive number or None; got -5"):
        sequential_tuning_for(frame, "arm", "vip", "control", planned_members=-5)


def _plain_row(frame: pd.DataFrame, settings: CampaignSettings, n_star: float, alpha: float = 0.05):
    """targeted - blanket on net profit per member with pooled-theta CUPED, and the confidence sequence's
    interval, written out with numpy (Waudby-Smith et al. eqs. 9 and 161)."""
    s = settings
    r = frame["revenue"].to_numpy(float)
    d, g = frame["discount_cost"].to_numpy(float), frame["gift_cost"].to_numpy(float)
    y = s.margin * (r + d) - d - g
    x = frame[s.covariate].to_numpy(float)
    arm = frame[s.arm].astype(str).to_numpy()
    a, b = arm == s.targeted, arm == s.blanket
    both = a | b
    theta = np.cov(y[both], x[both])[0, 1] / np.var(x[both], ddof=1)
    adj = y - theta * x
    est = adj[a].mean() - adj[b].mean()
    se = math.sqrt(adj[a].var(ddof=1) / a.sum() + adj[b].var(ddof=1) / b.sum())
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / n_star
    t = (a.sum() + b.sum()) * rho2
    half = se * math.sqrt(2 * (t + 1) / t * math.log(math.sqrt(t + 1) / alpha))
    return est, est - half, est + half


def test_trend_is_recomputed_from_the_log_at_each_month_end(campaign_monitors, demo):
    running, ended = campaign_monitors["2026-09"], campaign_monitors["2026-10"]
    assert list(ended.trend.columns) == list(TREND_COLUMNS)
    assert ended.trend["as_of"].tolist() == ["2026-09-30", "2026-10-31"]
    assert running.trend["as_of"].tolist() == ["2026-09-30"]
    # the running month's look is the ended month's first point: the trend needs no stored history
    pd.testing.assert_frame_equal(running.trend, ended.trend.iloc[:1])
    settings = CampaignSettings()
    tx = demo.transactions
    members = demo.assignments.set_index("member_id")
    n_star = float(members["arm"].astype(str).isin([settings.targeted, settings.blanket]).sum())
    assert ended.sequential_tuning == n_star
    for row in ended.trend.itertuples(index=False):
        # outcomes and costs per member from the log, with plain pandas
        hi = pd.Timestamp(row.as_of) + pd.Timedelta(days=1)
        win = tx[(tx["ordered_at"] >= "2026-09-01") & (tx["ordered_at"] < hi) & (tx["amount"] >= 0)]
        win = win[win["member_id"].isin(members.index)]
        frame = members.assign(
            revenue=win.groupby("member_id")["amount"].sum().reindex(members.index, fill_value=0.0),
            discount=win.groupby("member_id")["discount"].sum().reindex(members.index, fill_value=0.0),
        )
        arm = frame["arm"].astype(str)
        frame["discount_cost"] = frame["discount"]  # discount_column: true in every arm (params)
        frame["gift_cost"] = np.where((arm == "vip_gift") & (frame["gift_recipient"] == 1), 200.0, 0.0)
        pre = tx[(tx["ordered_at"] >= "2025-09-01") & (tx["ordered_at"] < "2026-09-01")]
        frame["pre_spend"] = pre.groupby("member_id")["amount"].sum().reindex(members.index, fill_value=0.0)
        est, lo, hi_ = _plain_row(frame.reset_index(), settings, n_star)
        assert row.estimate == pytest.approx(est, rel=1e-9, abs=1e-9)
        assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi_), rel=1e-9, abs=1e-9)


def test_decision_follows_the_always_valid_interval_only(campaign_monitors):
    for monitor in campaign_monitors.values():
        t = monitor.trend
        expected = np.where(
            t["ci_low"] > 0,
            "targeted_better",
            np.where(t["ci_high"] < 0, "blanket_better", "not_yet_decided"),
        )
        assert t["outcome"].tolist() == expected.tolist()
        last = t.iloc[-1]
        d = monitor.decision
        assert (d.outcome, d.estimate, d.ci_low, d.ci_high) == (
            last["outcome"],
            last["estimate"],
            last["ci_low"],
            last["ci_high"],
        )
        # the always-valid interval is never narrower than the fixed-horizon one of the same look
        assert ((t["ci_high"] - t["ci_low"]) >= (t["fixed_ci_high"] - t["fixed_ci_low"])).all()
    # a look whose fixed-horizon interval excludes zero is still "not yet decided" when the always-valid one does not
    both = pd.concat([m.trend for m in campaign_monitors.values()])
    noisy = both[(both["fixed_ci_low"] > 0) & (both["ci_low"] <= 0)]
    assert (noisy["outcome"] == "not_yet_decided").all()


def test_running_effects_are_always_valid(campaign_monitors):
    running = campaign_monitors["2026-09"]
    fx = running.effects
    assert fx["method"].str.startswith("always-valid confidence sequence").all()
    assert fx["sequential_tuning"].eq(running.effects_tuning).all()
    assert running.look.running and running.recomputed


def test_a_large_effect_is_decided_while_running(demo):
    """A synthetic campaign whose targeted arm earns NT$500 more per member: decided at look 1 of 2."""
    rng = np.random.default_rng(5)
    n = 3000
    arm = np.repeat(["control", "blanket_discount", "vip_gift"], n)
    pre = rng.gamma(2.0, 500.0, 3 * n)
    revenue = rng.gamma(1.0, 400.0, 3 * n) + 0.2 * pre + np.where(arm == "vip_gift", 500.0, 0.0)
    frame = pd.DataFrame(
        {"arm": arm, "revenue": revenue, "pre_spend": pre, "converted": (revenue > 300).astype(int)}
    )
    frame["orders"] = frame["converted"]
    look = campaign_look("2026-09-01", "2026-10-31", "2026-09")
    data = CampaignData(frame, False, "campaign.parquet", "transactions", "2026-09-01", "2026-09-30")
    monitor = monitor_campaign(data, None, look, CampaignSettings(resamples=200, policy_resamples=100))
    assert not monitor.recomputed and len(monitor.trend) == 1 and monitor.trend["look_number"].tolist() == [1]
    assert monitor.decision.outcome == "targeted_better" and monitor.decision.ci_low > 0
    # and the same table with the effect removed is not decided
    flat = frame.assign(revenue=np.where(arm == "vip_gift", revenue - 500.0, revenue))
    flat_monitor = monitor_campaign(dataclasses.replace(data, frame=flat), None, look, CampaignSettings())
    assert flat_monitor.decision.outcome == "not_yet_decided"


def test_monitor_rejects_a_look_it_cannot_show(campaign_monitors, demo):
    settings = CampaignSettings()
    frame = demo.campaign
    data = CampaignData(frame, True, "assignments.csv", "transactions", "2026-09-01", "2026-10-31")
    before = campaign_look("2026-09-01", "2026-10-31", "2026-08")
    with pytest.raises(
        ArgumentError, match=r"monitor_campaign: the campaign starts on 2026-09-01, after month 2026-08"
    ):
        monitor_campaign(data, demo.transactions, before, settings)
    look = campaign_look("2026-09-01", "2026-10-31", "2026-09")
    with pytest.raises(ArgumentError, match=r"measured up to 2026-10-31, but look 1 ends on 2026-09-30"):
        monitor_campaign(data, demo.transactions, look, settings)


def test_profit_per_member_is_the_economics_accounting(analysis, big_demo):
    """The mean difference of member_profit between an arm and the control is the bootstrap table's net
    incremental profit point estimate."""
    c = big_demo.campaign
    profit = with_profit(c, analysis.settings)["net_profit"].to_numpy()
    np.testing.assert_allclose(
        profit, member_profit(c["revenue"], c["discount_cost"], c["gift_cost"], analysis.settings.margin)
    )
    eco = analysis.economics.economics.set_index(["arm", "quantity"])["estimate"]
    arm = c["arm"].astype(str).to_numpy()
    for a in ("blanket_discount", "vip_gift"):
        diff = profit[arm == a].mean() - profit[arm == "control"].mean()
        assert diff == pytest.approx(eco[(a, "net_incremental_profit")], rel=1e-9)


def test_monitor_reads_the_earlier_looks_measured_with_the_table(campaign_monitors, demo):
    """A table loaded with its earlier looks (``CampaignData.looks``, one reading of the log) needs no log:
    the same trend, decision and effects as recomputing each look from the transactions."""
    from pathlib import Path

    import yaml

    from workbench.experiments import CampaignCosts, CampaignData, add_costs, campaign_frames

    params = yaml.safe_load((Path(__file__).resolve().parents[2] / "params" / "campaign_ab.yaml").read_text())
    costs = CampaignCosts.from_dict(params["costs"])
    settings = CampaignSettings.from_dict({**params["analysis"], "resamples": 200, "policy_resamples": 100})
    look = campaign_look(params["window_start"], params["window_end"], "2026-10")
    frames = campaign_frames(
        demo.transactions, demo.assignments, start=look.window_start, ends=look.look_ends
    )
    priced = {end: add_costs(f, costs) for end, f in frames.items()}
    table = priced.pop(look.as_of)
    data = CampaignData(
        table, True, "assignments.csv", "transactions", look.window_start, look.as_of, costs, priced
    )
    ours = monitor_campaign(data, None, look, settings)
    theirs = campaign_monitors["2026-10"]
    assert ours.recomputed and theirs.recomputed and len(ours.trend) == len(look.look_ends) == 2
    pd.testing.assert_frame_equal(ours.trend, theirs.trend)
    pd.testing.assert_frame_equal(ours.effects, theirs.effects)
    assert ours.decision == theirs.decision
    # without the earlier looks and without a log, only this look is shown
    alone = monitor_campaign(dataclasses.replace(data, looks=None), None, look, settings)
    assert not alone.recomputed and alone.trend["look_number"].tolist() == [2]
