"""The demo campaign end to end (truth recovery), cost/ROI/policy against plain pandas, the bootstrap
against normal theory, design (power, assignment, balance), settings, findings and plots."""

from __future__ import annotations

import dataclasses
import html
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.data import generate_demo
from workbench.experiments import (
    CampaignSettings,
    PowerDesign,
    analyze_campaign,
    assign_arms,
    balance_table,
    campaign_economics,
    minimum_detectable_effect,
    percentile_ci,
    poisson_bootstrap,
    sample_size,
)
from workbench.i18n import LANGUAGES, catalog
from workbench.text import SUMMARY_FINDINGS
from workbench.text.experiments import (
    campaign_findings,
    campaign_headlines,
    economics_display,
    p_label,
    p_relation,
    srm_banner_html,
    verdict_sentence,
)

MARGIN = 0.45


@pytest.fixture(scope="module")
def big_demo():
    """50,000 members (~32,000 in the campaign): 5,000 is too small to pin the effects down."""
    return generate_demo(50_000, seed=42)


@pytest.fixture(scope="module")
def analysis(big_demo):
    return analyze_campaign(big_demo.campaign, CampaignSettings(resamples=2000, policy_resamples=500, seed=3))


def test_recovers_true_effects_within_cis(big_demo, analysis):
    truth = big_demo.truth["campaign"]["true_effects"]
    assert analysis.srm_ok and analysis.srm_p > 0.5
    for table in (analysis.effects, analysis.adjusted):
        assert len(table) == 6
        for row in table.itertuples(index=False):
            true = truth[row.arm][row.metric]
            assert row.abs_ci_low <= true <= row.abs_ci_high, (row.arm, row.metric, row.method, true)
    boot = analysis.economics.revenue_bootstrap.query("variant == 'uncapped'")
    for row in boot.itertuples(index=False):
        assert row.abs_ci_low <= truth[row.arm]["revenue"] <= row.abs_ci_high
    # the pre-period covariate helps: the adjusted revenue CIs are narrower
    vr = analysis.adjusted.query("metric == 'revenue'")["variance_reduction"]
    assert (vr > 0.1).all()


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


def test_poisson_bootstrap_agrees_with_normal_theory(rng):
    y = np.where(rng.random(40_000) < 0.3, np.round(rng.lognormal(6.5, 1.0, 40_000)), 0.0)
    boot = poisson_bootstrap(y, resamples=4000, rng=np.random.default_rng(1)).means()[:, 0]
    se = y.std(ddof=1) / np.sqrt(len(y))
    assert boot.std() == pytest.approx(se, rel=0.05)
    assert boot.mean() == pytest.approx(y.mean(), abs=0.1 * se)
    lo, hi = percentile_ci(boot)
    z = stats.norm.ppf(0.975)
    assert (lo, hi) == pytest.approx((y.mean() - z * se, y.mean() + z * se), abs=0.15 * se)
    # seeded: same seed, same draws; groups add up to the total
    grouped = poisson_bootstrap(y, np.arange(len(y)) % 3, 3, resamples=50, rng=np.random.default_rng(2))
    assert grouped.counts.shape == (50, 3) and grouped.sums.shape == (50, 3, 1)
    again = poisson_bootstrap(y, np.arange(len(y)) % 3, 3, resamples=50, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(grouped.sums, again.sums)


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


def test_sample_size_matches_closed_form():
    z = stats.norm.ppf
    # two arms, conversion 10% -> 12%: Var(2 asin sqrt(p_hat)) = 1/n, so n = 2 (z_{.975} + z_{.8})^2 / h^2
    h = 2 * np.arcsin(np.sqrt(0.12)) - 2 * np.arcsin(np.sqrt(0.10))
    out = sample_size(PowerDesign("binary", 0.10, shares=(0.5, 0.5)), 0.02)
    assert out["n_control"].iloc[0] == int(np.ceil(2 * (z(0.975) + z(0.8)) ** 2 / h**2))
    # the textbook normal-approximation formula on the proportions themselves gives nearly the same n
    pbar = 0.11
    n_classic = (
        z(0.975) * np.sqrt(2 * pbar * (1 - pbar)) + z(0.8) * np.sqrt(0.1 * 0.9 + 0.12 * 0.88)
    ) ** 2 / 0.02**2
    assert out["n_control"].iloc[0] == pytest.approx(n_classic, rel=0.01)
    # three arms, unequal allocation (control 50%), revenue sd 1500, Bonferroni alpha / 2
    three = PowerDesign("continuous", 700, sd=1500, shares=(0.5, 0.25, 0.25))
    out = sample_size(three, 50)
    d = 50 / 1500
    n0 = (z(1 - 0.025 / 2) + z(0.8)) ** 2 * (1 + 1 / 0.5) / d**2
    assert out["n_control"].iloc[0] == pytest.approx(n0, abs=1)
    assert out["n_arm"].iloc[0] == pytest.approx(n0 * 0.5, abs=1)
    assert out["total"].iloc[0] == pytest.approx(n0 / 0.5, abs=3)
    # MDE is the inverse of the sample size
    mde = minimum_detectable_effect(three, int(out["total"].iloc[0]))
    assert mde["mde"].iloc[0] == pytest.approx(50, rel=1e-3)
    mde = minimum_detectable_effect(PowerDesign("binary", 0.10), 20_000)
    back = sample_size(PowerDesign("binary", 0.10, correction="none"), float(mde["mde"].iloc[0]))
    assert back["n_control"].iloc[0] == pytest.approx(10_000, abs=2)
    with pytest.raises(ValueError, match="shares must list >= 2 positive numbers"):
        PowerDesign("binary", 0.1, shares=(1.0,))
    with pytest.raises(ValueError, match=r"PowerDesign.sd is needed for a continuous metric \(sd > 0\)"):
        PowerDesign("continuous", 700)


def test_stratified_assignment_and_balance(demo):
    members = demo.campaign[["member_id", "pre_spend", "pre_orders"]]
    arms = ["control", "discount", "gift"]
    a = assign_arms(members, arms, (0.5, 0.25, 0.25), strata="pre_spend", quantiles=10, seed=7)
    assert a["member_id"].tolist() == members["member_id"].tolist()
    pd.testing.assert_frame_equal(
        a, assign_arms(members, arms, (0.5, 0.25, 0.25), strata="pre_spend", quantiles=10, seed=7)
    )
    assert not a["arm"].equals(
        assign_arms(members, arms, (0.5, 0.25, 0.25), strata="pre_spend", quantiles=10, seed=8)["arm"]
    )
    counts = pd.crosstab(a["stratum"], a["arm"])
    size = counts.sum(axis=1).to_numpy()[:, None]
    assert (
        np.abs(counts.to_numpy() - size * np.array([0.5, 0.25, 0.25])) <= 1
    ).all()  # floor + remainder: within one
    frame = members.assign(arm=a["arm"])
    bal = balance_table(frame, "arm", "control", ["pre_spend", "pre_orders"])
    x = frame.loc[frame["arm"] == "gift", "pre_spend"]
    c = frame.loc[frame["arm"] == "control", "pre_spend"]
    smd = (x.mean() - c.mean()) / np.sqrt((x.var() + c.var()) / 2)
    assert bal.query("arm == 'gift' and covariate == 'pre_spend'")["smd"].iloc[0] == pytest.approx(
        smd, rel=1e-9
    )
    assert bal["balanced"].all()
    with pytest.raises(ValueError, match="assign_arms: 3 arms but 2 shares"):
        assign_arms(members, arms, (0.5, 0.5))


def test_settings_from_dict():
    s = CampaignSettings.from_dict(
        {"margin": 0.4, "metrics": {"revenue": "continuous"}, "expected_shares": [1, 1, 1]}
    )
    assert s.margin == 0.4 and s.expected_shares == (1.0, 1.0, 1.0)
    with pytest.raises(
        ValueError, match=r"CampaignSettings: unknown key 'marign' \(did you mean 'margin'\?\)"
    ):
        CampaignSettings.from_dict({"marign": 0.4})
    with pytest.raises(ValueError, match=r"CampaignSettings.metrics\['revenue'\] must be one of"):
        CampaignSettings(metrics={"revenue": "money"})
    with pytest.raises(ValueError, match="CampaignSettings.correction must be"):
        CampaignSettings(correction="bonferroni")


def test_findings_in_both_languages(analysis):
    keys = [k for k in catalog() if k.startswith("experiments.")]
    assert all(set(LANGUAGES) <= set(catalog()[k]) for k in keys)
    en = campaign_findings(analysis, "en")
    zh = campaign_findings(analysis, "zh-TW")
    assert len(en) == len(zh) >= 8
    # the decision first (the summary shows the first SUMMARY_FINDINGS, the rest is collapsed): verdict,
    # money per arm, the revenue lifts; the passed sample-ratio check after the lifts
    assert en[0].startswith("Targeted beats blanket") and zh[0].startswith("精準勝過全面")
    assert en[1].startswith("Blanket 10% discount: cost") and en[2].startswith("VIP gift (top 20%): cost")
    assert [s.split(":")[0] for s in en[3:5]] == ["Blanket 10% discount", "VIP gift (top 20%)"]
    assert all("Revenue per member changed by" in s for s in en[3:5])
    assert all("Conversion changed by" in s for s in en[5:7])
    assert en[7].startswith("Group sizes match the design") and zh[7].startswith("各組人數符合設計")
    assert SUMMARY_FINDINGS >= 3  # verdict and money per arm are in the summary, not in "more findings"


def test_failed_sample_ratio_check_comes_first(analysis):
    failed = dataclasses.replace(analysis, srm_ok=False, srm_p=2e-7)
    ok = campaign_findings(analysis, "en")
    for lang, start in (("en", "Group sizes do NOT match the design"), ("zh-TW", "各組人數與設計不符")):
        out = campaign_findings(failed, lang)
        assert out[0].startswith(start)
        assert len(out) == len(ok)  # the warning moves to the front, it is not added twice
        assert sum("sample-ratio" in s or "樣本比例" in s for s in out) == 1
    assert campaign_findings(failed, "en")[1:] == [s for s in ok if "sample-ratio" not in s]


def test_p_values_read_p_equals_or_p_below():
    assert p_relation(0.0234) == "= 0.023" and p_relation(0.5) == "= 0.500"
    assert p_relation(0.0004) == "< 0.001" and p_relation(0.0) == "< 0.001"
    assert p_label(0.0004) == "< 0.001" and p_label(0.0234) == "0.023"  # table cells: no relation sign


def test_tiny_p_values_in_sentences_and_banners(analysis):
    failed = dataclasses.replace(analysis, srm_ok=False, srm_p=2e-7)
    assert (analysis.adjusted["p_adjusted"] < 0.001).any()  # the demo effects include one below 0.001
    en, zh = campaign_findings(failed, "en"), campaign_findings(failed, "zh-TW")
    assert "(sample-ratio check p < 0.001)" in en[0] and "（樣本比例檢查 p < 0.001）" in zh[0]
    assert any("p < 0.001 after correction" in s for s in en)
    assert any("校正後 p < 0.001" in s for s in zh)
    assert any(re.search(r"p = 0\.\d{3} after correction", s) for s in en)  # not every p is tiny
    banners = [html.unescape(srm_banner_html(failed, lang)) for lang in LANGUAGES]
    heads = [campaign_headlines(failed, lang) for lang in LANGUAGES]
    texts = [*en, *zh, *banners, *(v for h in heads for v in h.values())]
    assert not [s for s in texts if re.search(r"p\s*=\s*<|p\s*=\s*0\.000\b", s)]
    assert "p < 0.001" in banners[0] and "p < 0.001" in banners[1]
    assert "FAILED (p < 0.001)" in heads[1].values()


def test_money_tables_and_sentences_use_the_brand_currency(analysis):
    for lang in LANGUAGES:
        frame, _ = economics_display(analysis.economics.economics, lang, "HKD")
        cells = " ".join(frame.to_numpy().ravel())
        assert "HK$1" in cells and "NT$" not in cells
        findings = " ".join(campaign_findings(analysis, lang, "HKD"))
        assert "HK$" in findings and "NT$" not in findings
    frame, _ = economics_display(analysis.economics.economics, "en", "TWD")
    assert "Cost per NT$1 of incremental revenue" in frame["quantity"].tolist()
    frame, _ = economics_display(analysis.economics.economics, "zh-TW", "HKD")
    assert "每 HK$1 增量營收的成本" in frame["quantity"].tolist()


def test_plots(analysis):
    from workbench.plots.experiments import plot_cost_margin, plot_lift, plot_policy_curve, plot_segment_lift

    ax = plot_lift(analysis.adjusted, lang="en")
    assert ax.get_title() == "Relative lift vs control (95% CI)"
    assert len(ax.containers) == 6
    ax = plot_segment_lift(analysis.segments, lang="zh-TW")
    assert len(ax.containers) == 2 and "十分位" in ax.get_xlabel()
    ax = plot_cost_margin(analysis.economics.economics, lang="en")
    x, y = ax.containers[0].lines[0].get_data()
    eco = analysis.economics.economics.set_index(["arm", "quantity"])["estimate"]
    assert x[0] == pytest.approx(eco[("blanket_discount", "campaign_cost")])
    assert y[0] == pytest.approx(eco[("blanket_discount", "incremental_gross_margin")])
    ax = plot_policy_curve(analysis.economics.policy, lang="en")
    assert len(ax.lines) == 3  # two arms + zero line
    assert ax.get_ylabel() == "Net profit per 1,000 members (NT$)"
