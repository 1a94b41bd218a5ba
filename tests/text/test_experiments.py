"""workbench.text.experiments: findings in both languages, the sample-ratio warning first, p-values, the
brand's currency (the demo campaign analysis: tests/conftest.py)."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest

from workbench.i18n import LANGUAGES, catalog
from workbench.text import SUMMARY_FINDINGS
from workbench.text.experiments import (
    campaign_findings,
    campaign_headlines,
    economics_display,
    p_label,
    p_relation,
    srm_banner_html,
)


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


def test_a_targeting_rule_is_recommended_only_inside_the_tested_range_and_when_its_interval_supports_it():
    import pandas as pd

    from workbench.experiments import supported_policy

    policy = pd.DataFrame(
        {
            "arm": ["vip_gift"] * 4 + ["blanket_discount"] * 2,
            "share": [0.1, 0.2, 0.5, 0.85, 0.1, 0.2],
            "value_per_1000": [900.0, 1500.0, 2500.0, 4000.0, 300.0, 1200.0],
            "ci_low": [100.0, 200.0, 50.0, -800.0, 20.0, -10.0],
            "ci_high": [1700.0, 2800.0, 5000.0, 8800.0, 600.0, 2400.0],
        }
    )
    # the largest point estimate (85%) rests on noise; 50% is supported
    assert supported_policy(policy)[["arm", "share"]].tolist() == ["vip_gift", 0.5]
    # the gift reached only the top 20%: beyond it nothing was tested
    assert supported_policy(policy, {"vip_gift": 0.2})[["arm", "share"]].tolist() == ["vip_gift", 0.2]
    noise = policy.assign(ci_low=-1.0)
    assert supported_policy(noise) is None


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_the_policy_finding_never_overreaches(analysis, lang):
    from workbench.experiments import supported_policy
    from workbench.i18n import money, pct, t
    from workbench.text.experiments import column_label

    eco, s = analysis.economics, analysis.settings
    sentences = campaign_findings(analysis, lang, tested_shares={"vip_gift": 0.2})
    best = supported_policy(eco.policy, {"vip_gift": 0.2})
    if best is None:
        assert t("experiments.finding.policy_none", lang, by=column_label(s.policy_by, lang)) in sentences
    else:
        assert best["ci_low"] > 0 and (best["arm"] != "vip_gift" or best["share"] <= 0.2)
        assert any(money(best["value_per_1000"]) in x and pct(best["share"], 0) in x for x in sentences)
