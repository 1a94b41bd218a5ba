"""workbench.text.looks: the look in plain words, the status for the month's index, the decision sentence that
follows the always-valid interval, the trend table (the demo campaign's monitors: tests/conftest.py)."""

from __future__ import annotations

import dataclasses
import html

import pytest

from workbench.experiments import campaign_look
from workbench.i18n import LANGUAGES, catalog
from workbench.text.experiments import (
    campaign_findings,
    campaign_headlines,
    decision_sentence,
    look_label,
)
from workbench.text.looks import (
    campaign_status,
    decision_html,
    look_banner_html,
    look_sentence,
    trend_display,
    trend_note_html,
)


def test_catalog_keys_in_both_languages():
    keys = [
        k
        for k in catalog()
        if k.startswith(("experiments.look.", "experiments.status.", "experiments.trend."))
    ]
    assert len(keys) > 20
    assert all(set(LANGUAGES) <= set(catalog()[k]) for k in keys)


def test_the_page_says_which_analysis_it_is(campaign_monitors):
    running, ended = campaign_monitors["2026-09"].look, campaign_monitors["2026-10"].look
    assert (
        look_label(running, "en") == "look 1 of 2"
        and look_label(running, "zh-TW") == "第 1 次檢視（共 2 次）"
    )
    en = look_sentence(running, "en")
    assert en.startswith(
        "The campaign is still running (1 Sep 2026 to 31 Oct 2026): this report is look 1 of 2"
    )
    assert "outcomes up to 30 Sep 2026" in en and "always-valid" in en
    zh = look_sentence(running, "zh-TW")
    assert zh.startswith("活動仍在進行中（2026年9月1日 至 2026年10月31日）：本報告是第 1 次檢視（共 2 次）")
    assert "隨時有效" in zh
    assert look_sentence(ended, "en").startswith("The campaign ended on 31 Oct 2026")
    assert "fixed-horizon 95% intervals" in look_sentence(ended, "en")
    assert look_sentence(ended, "zh-TW").startswith("活動已於 2026年10月31日 結束")
    before = campaign_look("2026-09-01", "2026-10-31", "2026-08")
    assert look_sentence(before, "en").startswith("The campaign starts on 1 Sep 2026")
    assert 'class="wb-look wb-look-running"' in look_banner_html(running, "en")


def test_status_for_the_index(campaign_monitors, analysis):
    running = campaign_monitors["2026-09"]
    assert running.decision.outcome == "not_yet_decided"  # the demo's first month is too noisy to decide
    assert campaign_status(running.look, running, None, "en") == "running, look 1 of 2: not yet decided"
    assert campaign_status(running.look, running, None, "zh-TW") == "進行中，第 1 次檢視（共 2 次）：尚未定論"
    decided = dataclasses.replace(
        running, decision=dataclasses.replace(running.decision, outcome="targeted_better")
    )
    assert (
        campaign_status(running.look, decided, None, "en")
        == "running, look 1 of 2: decided, targeted beats blanket"
    )
    ended = campaign_monitors["2026-10"].look
    verdict = analysis.economics.verdict
    assert verdict.outcome == "targeted_better"
    assert campaign_status(ended, None, verdict, "en") == "ended: decided, targeted beats blanket"
    unclear = dataclasses.replace(verdict, outcome="inconclusive")
    assert campaign_status(ended, None, unclear, "en") == "ended: no clear difference"
    assert campaign_status(ended, None, unclear, "zh-TW") == "已結束：無明顯差異"
    before = campaign_look("2026-09-01", "2026-10-31", "2026-08")
    assert campaign_status(before, None, None, "en") == "not started (starts 1 Sep 2026)"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_decision_follows_the_interval(campaign_monitors, lang):
    m = campaign_monitors["2026-09"]
    d = m.decision
    text = decision_sentence(m, lang)
    assert d.ci_low <= 0 <= d.ci_high
    start = "Not yet decided (look 1 of 2)" if lang == "en" else "尚未定論（第 1 次檢視（共 2 次））"
    assert text.startswith(start)
    assert "beats" not in text and "勝過" not in text  # never a verdict from a noisy month
    for outcome, en, zh in (
        ("targeted_better", "Targeted beats blanket", "精準勝過全面"),
        ("blanket_better", "Blanket beats targeted", "全面勝過精準"),
    ):
        lo, hi = (5.0, 80.0) if outcome == "targeted_better" else (-80.0, -5.0)
        decided = dataclasses.replace(
            m, decision=dataclasses.replace(d, outcome=outcome, ci_low=lo, ci_high=hi)
        )
        sentence = decision_sentence(decided, lang)
        assert sentence.startswith(en if lang == "en" else zh)
        assert "NT$5 – NT$80" in sentence  # the interval of the winner's advantage
    marked = dataclasses.replace(m, decision=dataclasses.replace(d, targeted="<b>vip</b>"))
    out = decision_html(marked, lang)
    assert "<b>vip</b>" not in out and "&lt;b&gt;vip&lt;/b&gt;" in out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_trend_table(campaign_monitors, lang):
    m = campaign_monitors["2026-10"]
    frame, options = trend_display(m, lang, "HKD")
    assert list(frame.columns) == ["look", "as_of", "estimate", "always_valid", "fixed", "decision"]
    assert len(frame) == 2 and set(options["headers"]) == set(frame.columns)
    assert frame["look"].iloc[1] == ("look 2 of 2" if lang == "en" else "第 2 次檢視（共 2 次）")
    assert frame["as_of"].iloc[0] == ("30 Sep 2026" if lang == "en" else "2026年9月30日")
    cells = " ".join(frame.to_numpy().ravel())
    assert "HK$" in cells and "NT$" not in cells
    note = html.unescape(trend_note_html(m, lang))
    assert ("fixed-horizon analysis" in note) if lang == "en" else ("固定樣本分析" in note)
    assert "fixed-horizon analysis" not in html.unescape(trend_note_html(campaign_monitors["2026-09"], "en"))


def test_running_findings_and_headlines(campaign_monitors, analysis):
    """While running: the decision (not the verdict) first, no money, policy or segments; headlines carry the
    status and no verdict."""
    m = campaign_monitors["2026-09"]
    assert m.look.running
    final = campaign_findings(analysis, "en")
    running = campaign_findings(analysis, "en", monitor=m)
    assert running[0].startswith("Not yet decided (look 1 of 2)")
    assert not [s for s in running if ": cost " in s or "targeting rule" in s or "differs across" in s]
    assert not [s for s in running if s.startswith("Targeted beats blanket")]
    assert any(s.startswith("Targeted beats blanket") for s in final)
    status = campaign_status(m.look, m, None, "en")
    heads = campaign_headlines(analysis, "en", status=status, running=True)
    assert list(heads) == ["Campaign status", "Sample-ratio check"]
    assert heads["Campaign status"] == "running, look 1 of 2: not yet decided"
    ended = campaign_headlines(analysis, "zh-TW", status="已結束：已有定論，精準勝過全面")
    assert list(ended)[0] == "活動狀態" and len(ended) == 4 and "精準對比全面" in ended
