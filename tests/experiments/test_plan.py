"""workbench.experiments.plan: eligible audience, stratified seeded assignment, power against the closed form,
budget against a hand computation; bad designs rejected by name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.audience import AudienceRuleError, member_attributes, select
from workbench.experiments import CampaignPlan, plan_campaign
from workbench.settings import SettingsError

RULE = {
    "all": [
        {"attr": "days_since_last_purchase", "le": 365},
        {"not": {"attr": "member_type", "in": ["sleeping", "churning"]}},
    ]
}
PLAN = {
    "audience": RULE,
    "arms": [
        {"name": "control", "share": 2},
        {"name": "blanket_discount", "share": 1, "offer": "10% off", "discount_rate": 0.1},
        {"name": "vip_gift", "share": 1, "offer": "a NT$200 gift", "per_member": 200, "per_order": 10},
    ],
    "start": "2026-11-01",
    "end": "2026-11-30",
    "strata": "spend_365d",
    "quantiles": 5,
    "seed": 7,
}


@pytest.fixture(scope="module")
def attrs(demo):
    return member_attributes(demo.transactions, demo.members, as_of="2026-10-31")


@pytest.fixture(scope="module")
def planned(attrs):
    return plan_campaign(attrs, CampaignPlan.from_dict(PLAN))


def test_eligible_members_are_assigned_in_the_design_shares_within_strata(attrs, planned):
    eligible = select(attrs, RULE)
    a = planned.assignments
    assert list(a.columns) == ["member_id", "arm", "stratum", "assigned_at"]
    assert a["member_id"].tolist() == eligible.tolist() and planned.eligible == len(eligible)
    assert (a["assigned_at"] == pd.Timestamp("2026-11-01")).all()
    per = a.groupby(["stratum", "arm"], observed=True).size().unstack()
    size = per.sum(axis=1)
    expected = np.outer(size, [0.5, 0.25, 0.25])
    assert np.abs(per[["control", "blanket_discount", "vip_gift"]].to_numpy() - expected).max() <= 1
    # strata are quintiles of spend_365d among the eligible
    spend = attrs.loc[a["member_id"], "spend_365d"].to_numpy()
    medians = pd.Series(spend).groupby(a["stratum"].to_numpy()).median()
    assert medians.is_monotonic_decreasing and len(medians) == 5  # Q1 = the highest spend
    again = plan_campaign(attrs, CampaignPlan.from_dict(PLAN))
    pd.testing.assert_frame_equal(a, again.assignments)
    other = plan_campaign(attrs, CampaignPlan.from_dict({**PLAN, "seed": 8}))
    assert not a["arm"].equals(other.assignments["arm"])
    assert planned.funnel["members"].iloc[-1] == len(eligible) and planned.members == len(attrs)


def test_budget_is_members_times_the_offer_on_their_recent_behaviour(attrs, planned):
    a = planned.assignments.set_index("member_id")
    scale = 30 / 30
    arms = planned.arms.set_index("arm")
    for arm, row in arms.iterrows():
        mine = attrs.loc[a.index[a["arm"] == arm]]
        revenue = mine["spend_30d"].sum() * scale
        orders = mine["orders_30d"].sum() * scale
        assert row["members"] == len(mine)
        assert row["expected_revenue"] == pytest.approx(revenue)
        expected = {
            "control": 0.0,
            "blanket_discount": 0.1 * revenue,
            "vip_gift": 200 * len(mine) + 10 * orders,
        }[arm]
        assert row["budget"] == pytest.approx(expected)
    assert planned.budget == pytest.approx(arms["budget"].sum()) and planned.budget > 0
    assert arms.loc["vip_gift", "offer"] == "a NT$200 gift" and arms["share"].tolist() == [0.5, 0.25, 0.25]


def test_power_matches_the_closed_form(attrs, planned):
    eligible = attrs.loc[planned.assignments["member_id"]]
    n = len(eligible)
    z = stats.norm.ppf
    crit = z(1 - 0.05 / 2 / 2) + z(0.8)  # Bonferroni over two treatment arms
    n0, n1 = 0.5 * n, 0.25 * n
    sd = eligible["spend_30d"].std(ddof=1)
    power = planned.power.set_index(["arm", "metric"])
    assert power.loc[("vip_gift", "revenue"), "mde"] == pytest.approx(
        crit * sd * np.sqrt(1 / n0 + 1 / n1), rel=1e-3
    )
    p0 = (eligible["orders_30d"] > 0).mean()
    h = crit * np.sqrt(1 / n0 + 1 / n1)  # Cohen's h detectable
    p1 = np.sin(np.arcsin(np.sqrt(p0)) + h / 2) ** 2
    assert power.loc[("blanket_discount", "converted"), "mde"] == pytest.approx(p1 - p0, rel=1e-3)
    assert power.loc[("vip_gift", "converted"), "baseline"] == pytest.approx(p0)
    assert planned.baseline["days"] == 30 and planned.baseline["conversion"] == pytest.approx(p0)


def test_longer_campaigns_scale_the_expectations(attrs):
    longer = plan_campaign(attrs, CampaignPlan.from_dict({**PLAN, "end": "2026-12-30", "baseline_days": 90}))
    eligible = attrs.loc[longer.assignments["member_id"]]
    assert longer.baseline["revenue"] == pytest.approx(eligible["spend_90d"].mean() * 60 / 90)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"control": "holdout"},
            r"CampaignPlan\.control must be one of the arms \(control, blanket_discount, vip_gift\); got 'holdout'",
        ),
        (
            {"arms": [{"name": "control"}]},
            r"CampaignPlan\.arms must list at least two arms with distinct names; got \['control'\]",
        ),
        (
            {"arms": [{"name": "control"}, {"name": "vip gift"}]},
            r"CampaignPlan\.arms\['vip gift'\]\.name must be letters, digits, _ or - \(it names files\); got 'vip gift'",
        ),
        (
            {"arms": [{"name": "control"}, {"name": "a", "discount_rate": 1.5}]},
            r"CampaignPlan\.arms\['a'\]\.discount_rate must be between 0 and 1; got 1\.5",
        ),
        (
            {"audience": {"attr": "spend_365", "ge": 1}},
            r"CampaignPlan\.audience\.attr must be one of the member attributes .*did you mean 'spend_365d'",
        ),
        (
            {"end": "2026-10-01"},
            r"CampaignPlan\.end must not be before start \(2026-11-01\); got '2026-10-01'",
        ),
        ({"start": "someday"}, r"CampaignPlan\.start must be a date such as '2026-11-01'; got 'someday'"),
        (
            {"channels": ["sms", "fax"]},
            r"CampaignPlan\.channels\[1\] must be one of 'sms', 'edm', 'line', 'meta'; got 'fax'",
        ),
        ({"baseline_days": 60}, r"CampaignPlan\.baseline_days must be one of 30, 90, 180, 365; got 60"),
        ({"arm": "x"}, r"CampaignPlan: unknown key 'arm' \(did you mean 'arms'\?\)"),
    ],
)
def test_bad_plans_are_rejected_by_name(change, message):
    with pytest.raises(SettingsError, match=message):
        CampaignPlan.from_dict({**PLAN, **change})


def test_plans_that_do_not_fit_the_attributes(attrs):
    with pytest.raises(
        AudienceRuleError,
        match=r"CampaignPlan\.audience\.attr must be one of the computed attributes .*tier needs a tier programme",
    ):
        plan_campaign(attrs, {**PLAN, "audience": {"attr": "tier", "eq": "Gold"}})
    with pytest.raises(
        SettingsError, match=r"CampaignPlan\.strata must be one of the attributes .*got 'clv_12m'"
    ):
        plan_campaign(attrs, {**PLAN, "strata": "clv_12m"})
    text_strata = plan_campaign(attrs, {**PLAN, "strata": "home_store"})
    assert set(text_strata.assignments["stratum"].astype(str)) <= set(attrs["home_store"].dropna())
