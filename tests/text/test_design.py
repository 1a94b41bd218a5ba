"""workbench.text.design: the design brief's words, tables and HTML in both languages, counts and money only,
data and params text escaped, the under-1,000 warning."""

from __future__ import annotations

import html
import re

import pytest
from design_kit import default_design

from workbench.audience import AudienceRule, member_attributes
from workbench.experiments import CampaignPlan, plan_campaign, write_campaign_files
from workbench.i18n import money, number
from workbench.text import design as words
from workbench.text.html import heading_html, paragraph_html

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def planned(demo):
    attrs = member_attributes(demo.transactions, demo.members, as_of="2026-10-31")
    arms = [dict(a) for a in default_design()["arms"]]
    arms[1]["offer"] = XSS  # params text on the page
    return plan_campaign(attrs, CampaignPlan.from_dict({**default_design(), "arms": arms}))


@pytest.fixture(scope="module")
def lists(demo, planned):
    return write_campaign_files(planned.assignments, demo.members, None)


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_findings_and_headlines_state_the_design(planned, lists, lang):
    found = words.design_findings(planned, lists, lang, "HKD")
    assert 3 <= len(found) <= 5 and all(len(s) > 15 for s in found)
    text = " ".join(found)
    assert number(planned.eligible) in text and money(planned.budget, "HKD") in text and "NT$" not in text
    assert len(lists.small) and found[0] == words.t(
        "design.finding.lists_small", lang, count=len(lists.small), total=len(lists.lists), min="1,000"
    )  # the 5,000-member demo gives lists under 1,000: said first
    heads = words.design_headlines(planned, lang, "HKD")
    assert list(heads.values())[:2] == [number(planned.eligible), money(planned.budget, "HKD")]
    mde = planned.power.loc[planned.power["metric"] == "revenue", "mde"].iloc[0]
    assert list(heads.values())[2] == money(mde, "HKD") and money(mde, "HKD") in text


def test_tables_are_aggregates_in_the_language(planned, lists):
    frame, options = words.funnel_display(planned, "zh-TW")
    assert frame["condition"].tolist() == [
        "全部會員",
        "距最近一次購買天數 ≤ 365",
        "非（會員類型 為 [沉睡, 流失中] 之一）",
        "近 365 天淨消費前 40%",
    ]
    assert options["headers"]["members"] == "會員數"
    frame, _ = words.arms_display(planned, "en", "TWD")
    assert frame["arm"].tolist() == ["Control", "Blanket discount", "VIP gift"]
    assert frame["offer"].tolist()[0] == "none (control)" and frame["budget"].iloc[0] == "NT$0"
    frame, _ = words.power_display(planned, "en")
    assert set(frame["metric"]) == {"Conversion", "Revenue per member"} and frame["mde"].iloc[0].endswith(
        "pp"
    )
    frame, options = words.lists_display(lists, "en")
    assert options["headers"]["small"] == "Under 1,000" and set(frame["small"]) == {"yes"}  # 5,000 members
    assert len(frame) == 8  # two treatment arms x four channels; no member id anywhere
    ids = set(planned.assignments["member_id"])
    for table in (words.funnel_display(planned, "en")[0], words.arms_display(planned, "en")[0], frame):
        assert not ids & set(table.astype(str).to_numpy().ravel())


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_html_pieces_escape_params_text_and_warn_of_small_lists(planned, lists, lang):
    shown = words.arms_display(planned, lang)[0]
    assert XSS in shown["offer"].tolist()  # the table helper escapes it (tests/report/test_safety.py)
    page = (
        heading_html(words.t("design.title", lang), 1)
        + words.intro_html(planned, lang)
        + words.lists_notes_html(lists, lang)
    )
    page += words.definitions_html(planned, lang)
    assert "<script" not in page
    assert 'class="wb-warning"' in words.lists_notes_html(lists, lang)
    banner = re.search(r'<div class="wb-warning"[^>]*>(.*?)</div>', page).group(1)
    assert "1,000" in html.unescape(banner)
    rule = AudienceRule.from_dict({"attr": "home_store", "eq": XSS})
    assert XSS in words.rule_text(rule, lang)
    assert "&lt;script&gt;" in paragraph_html(words.rule_text(rule, lang))


def test_rule_values_are_shown_by_name_and_in_the_currency():
    rule = AudienceRule.from_dict(
        {
            "all": [
                {"attr": "spend_365d", "ge": 3000},
                {"attr": "nes", "eq": "new"},
                {"attr": "p_alive", "gt": 0.5},
            ]
        }
    )
    assert words.rule_text(rule, "en", "HKD") == (
        "Net spend, last 365 days ≥ HK$3,000 and New / existing / sleeping = New and Probability still active > 50%"
    )
    assert (
        words.rule_text(rule, "zh-TW")
        == "近 365 天淨消費 ≥ NT$3,000 且 新客／既有／沉睡 = 新客 且 仍活躍機率 > 50%"
    )
