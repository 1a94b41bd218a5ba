"""workbench.experiments.roi: cost, margin, ROI and the policy curve against plain pandas, capping and the
verdict, the bootstrap revenue interval on Hillstrom against Welch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import HILLSTROM_ARMS as ARMS
from kit import HILLSTROM_CONTROL as CONTROL
from kit import hillstrom_row as _row

from workbench.experiments import campaign_economics
from workbench.text.experiments import verdict_sentence

MARGIN = 0.45


def test_economics_point_estimates_match_pandas(big_demo, analysis):
    c = big_demo.campaign
    m = c.groupby("arm", observed=True)[["revenue", "discount_cost", "gift_cost"]].mean()
    eco = analysis.economics.economics.set_index(["arm", "quantity"])["estimate"]
    for arm in ("blanket_discount", "vip_gift"):
        d_rev = m.loc[arm, "revenue"] - m.loc["control", "revenue"]
        cost = (
            m.loc[arm, ["discount_cost", "gift_cost"]].sum()
            - m.loc["control", ["discount_cost", "gift_cost"]].sum()
        )
        gm = MARGIN * (d_rev + m.loc[arm, "discount_cost"] - m.loc["control", "discount_cost"])
        assert eco[(arm, "incremental_revenue")] == pytest.approx(d_rev, rel=1e-9)
        assert eco[(arm, "campaign_cost")] == pytest.approx(cost, rel=1e-9)
        assert eco[(arm, "incremental_gross_margin")] == pytest.approx(gm, rel=1e-9)
        assert eco[(arm, "net_incremental_profit")] == pytest.approx(gm - cost, rel=1e-9)
        assert eco[(arm, "roi")] == pytest.approx((gm - cost) / cost, rel=1e-9)
    # gift cost = recipients x unit cost; the blanket arm pays discounts on baseline purchases too
    gift = c[c["arm"] == "vip_gift"]
    assert gift["gift_cost"].sum() == 200.0 * gift["gift_recipient"].sum()
    assert eco[("blanket_discount", "campaign_cost")] > 0.1 * m.loc["control", "revenue"] * 0.9
    v = analysis.economics.verdict
    assert v.outcome == "targeted_better" and v.ci_low > 0
    profit = eco.xs("net_incremental_profit", level="quantity")
    assert v.profit_difference == pytest.approx(profit["vip_gift"] - profit["blanket_discount"], rel=1e-9)


def test_policy_curve_matches_pandas(big_demo, analysis):
    c = big_demo.campaign.copy()
    c["profit"] = MARGIN * (c["revenue"] + c["discount_cost"]) - c["discount_cost"] - c["gift_cost"]
    order = (-c["pre_spend"]).rank(method="first")
    pol = analysis.economics.policy
    eco = analysis.economics.economics.set_index(["arm", "quantity"])["estimate"]
    for share in (0.2, 0.5, 1.0):
        top = c[order <= np.ceil(share * len(c))]  # the top share, rounded up to whole members
        means = top.groupby("arm", observed=True)["profit"].mean()
        for arm in ("blanket_discount", "vip_gift"):
            got = pol.loc[(pol["arm"] == arm) & np.isclose(pol["share"], share), "value_per_1000"].iloc[0]
            expected = 1000 * len(top) / len(c) * (means[arm] - means["control"])
            assert got == pytest.approx(expected, rel=1e-9)
            if share == 1.0:
                assert got == pytest.approx(1000 * eco[(arm, "net_incremental_profit")], rel=1e-9)
    assert (pol["ci_low"] <= pol["value_per_1000"]).all() and (pol["value_per_1000"] <= pol["ci_high"]).all()


def test_capping_and_inconclusive_verdict(rng):
    n = 3000
    frame = pd.DataFrame(
        {
            "arm": np.repeat(["control", "gift", "discount"], n),
            "revenue": np.where(rng.random(3 * n) < 0.3, rng.lognormal(6, 1.2, 3 * n), 0.0),
            "discount_cost": np.r_[np.zeros(2 * n), np.full(n, 5.0)],
            "gift_cost": np.r_[np.zeros(n), np.full(n, 5.0), np.zeros(n)],
            "pre_spend": rng.gamma(2.0, 500.0, 3 * n),
        }
    )
    eco = campaign_economics(
        frame,
        "arm",
        "control",
        margin=MARGIN,
        cap_quantile=0.99,
        targeted="gift",
        blanket="discount",
        resamples=1000,
        seed=1,
    )
    assert eco.cap == pytest.approx(np.quantile(frame["revenue"], 0.99))
    capped = eco.revenue_bootstrap.query("variant == 'capped'")
    uncapped = eco.revenue_bootstrap.query("variant == 'uncapped'")
    assert (
        (capped["abs_ci_high"].to_numpy() - capped["abs_ci_low"].to_numpy())
        < (uncapped["abs_ci_high"].to_numpy() - uncapped["abs_ci_low"].to_numpy())
    ).all()
    v = eco.verdict
    assert v.outcome == "inconclusive" and v.ci_low < 0 < v.ci_high
    assert verdict_sentence(eco, "en").startswith("Inconclusive")
    assert "尚無定論" in verdict_sentence(eco, "zh-TW")
    with pytest.raises(ValueError, match="targeted arm 'vip' is not a treatment arm"):
        campaign_economics(frame, "arm", "control", margin=MARGIN, targeted="vip", blanket="discount")
    with pytest.raises(ValueError, match="margin must be a share"):
        campaign_economics(frame, "arm", "control", margin=45)


def test_bootstrap_revenue_ci_on_hillstrom_agrees_with_welch(hillstrom, result):
    """99% zeros and a long tail: the percentile bootstrap of the spend lift should still be close to the
    Welch interval at n ~ 21,000 per arm (within 10% of its width), and the capped version narrower."""
    from workbench.experiments import campaign_economics

    eco = campaign_economics(
        hillstrom, "segment", CONTROL, margin=0.5, revenue="spend", discount_cost=None, gift_cost=None,
        policy_by="history", policy_steps=5, cap_quantile=0.999, resamples=2000, policy_resamples=200, seed=11,
    )  # fmt: skip
    boot = eco.revenue_bootstrap.set_index(["arm", "variant"])
    for arm in ARMS:
        welch = _row(result, arm, "spend")
        width = welch["abs_ci_high"] - welch["abs_ci_low"]
        b = boot.loc[(arm, "uncapped")]
        assert b["abs_lift"] == pytest.approx(welch["abs_lift"], rel=1e-9)
        assert b["abs_ci_low"] == pytest.approx(welch["abs_ci_low"], abs=0.1 * width)
        assert b["abs_ci_high"] == pytest.approx(welch["abs_ci_high"], abs=0.1 * width)
        c = boot.loc[(arm, "capped")]
        assert c["abs_ci_high"] - c["abs_ci_low"] < b["abs_ci_high"] - b["abs_ci_low"]
    # no costs: profit = margin x revenue, so the full-population policy value is 1,000 x margin x lift
    pol = eco.policy[np.isclose(eco.policy["share"], 1.0)].set_index("arm")["value_per_1000"]
    for arm in ARMS:
        assert pol[arm] == pytest.approx(1000 * 0.5 * _row(result, arm, "spend")["abs_lift"], rel=1e-9)
