"""workbench.text.tiers: findings, headlines and tables generated from the numbers, in both languages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import tier_program as program

from workbench.segments import check_claim
from workbench.tiers import simulate, thresholds_for_shares


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
        concentration=check_claim(spend[spend > 0], 0.05, 0.2),
        target_program=target,
        target_shares={"Gold": 0.05, "Silver": 0.15},
        target_sim=simulate(spend, target),
        audience=audience,
        within=0.2,
        lang=lang,
    )
    from workbench.i18n import pct

    top = spend.sort_values(ascending=False).iloc[: int(np.ceil(0.05 * len(spend)))]
    assert pct(top.sum() / spend.sum()) in sentences[-2]  # the concentration passed in, as the overview's
    assert (
        pct(check_claim(spend[spend > 0], 0.05, 0.2).actual_revenue_share)
        in tr.headlines(
            emp, proj, audience, lang, concentration=check_claim(spend[spend > 0], 0.05, 0.2)
        ).values()
    )
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


# --- a programme that does not fit the brand's spend ---------------------------------------------------------
TARGETS = {"Gold": 0.05, "Silver": 0.15}


@pytest.fixture
def cafe(rng):
    """A brand of small baskets: 3,000 members, 2,000 of whom spent ~NT$55 (median) last year."""
    spend = np.concatenate([np.round(rng.lognormal(4.0, 1.0, 2000), 2), np.zeros(1000)])
    return pd.Series(spend, index=[f"{i:05d}" for i in range(3000)])


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_findings_say_why_the_thresholds_do_not_fit_and_propose_ones_that_do(cafe, lang):
    from workbench.i18n import money, number, pct
    from workbench.text import tiers as tr
    from workbench.tiers import threshold_fit

    prog = program()
    fit = threshold_fit(cafe, prog, TARGETS)
    target_sim = simulate(cafe, fit.target_program)
    emp = simulate(cafe, prog, current=pd.Series("Member", index=cafe.index))
    sentences = tr.findings(
        emp,
        emp,
        concentration=check_claim(cafe[cafe > 0], 0.05, 0.2),
        target_program=fit.target_program,
        target_shares=TARGETS,
        target_sim=target_sim,
        audience=pd.DataFrame(columns=["tier", "next_tier"]),
        within=0.2,
        lang=lang,
        fit=fit,
    )
    positive = cafe[cafe > 0]
    first, proposal = sentences[0], sentences[1]
    for figure in (money(10000), money(30000), number(len(positive)), money(np.quantile(positive, 0.95))):
        assert figure in first
    assert money(positive.max()) in first
    ranked = np.sort(cafe.to_numpy())[::-1]
    for k in (150, 600):  # Gold: the 150th highest spend (5%); Silver: the 600th (20% at or above)
        assert money(ranked[k - 1]) in proposal
    assert pct(target_sim.summary.loc["Total", "cost_pct"]) in proposal
    if lang == "en":
        assert first.startswith(
            "No member reaches Silver (NT$10,000) and Gold (NT$30,000) on the last 12 months' spend"
        )
        assert (
            "do not fit this brand's spend. For Gold 5% and Silver 15%, they would be Silver NT$" in proposal
        )
    else:
        assert first.startswith(
            "以近 12 個月消費計算，沒有任何會員達到 Silver（NT$10,000） 和 Gold（NT$30,000）"
        )
        assert "不符合此品牌的消費規模" in proposal
    # a birthday voucher of NT$200 and a NT$300 gift for a NT$100 a year member: benefits cost more than revenue
    assert target_sim.summary.loc["Gold", "cost_pct"] > 1
    assert pct(target_sim.summary.loc["Gold", "cost_pct"], 0) in sentences[2]
    assert money(500 * 0.5 + 300) in sentences[2]  # Gold's fixed benefits (kit's costs: redemption 50%)
    # nothing that would only repeat zeros: no top-tier or cost sentence, no second target sentence, no audience
    assert not any(pct(0.0) + " " in s for s in sentences)
    assert sum(money(ranked[149]) in s for s in sentences) == 1
    assert len(sentences) == 4  # + the Pareto sentence


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_fit_findings_for_shares_far_from_the_targets_and_unmet_targets(lang):
    from workbench.i18n import number, pct
    from workbench.text import tiers as tr
    from workbench.tiers import threshold_fit

    spend = pd.Series(np.arange(1.0, 1001.0) * 20)  # 20 .. 20,000: Silver (10,000) reached by 50%
    fit = threshold_fit(spend, program(), TARGETS)
    assert fit.tiers["status"].tolist() == ["fits", "unreached"]  # 50% vs 20% at Silver fits; Gold nobody
    (first, *_) = tr.fit_findings(fit, simulate(spend, fit.target_program), lang)
    assert "Gold" in first and "Silver" not in first
    gold_high = program(tier_changes={"Gold": {"upgrade": 19_900, "renewal": 19_900}})
    fit = threshold_fit(spend, gold_high, TARGETS)  # 0.6% reach Gold against 5%
    sentences = tr.fit_findings(fit, simulate(spend, fit.target_program), lang)
    assert pct(fit.tiers.at["Gold", "share"]) in sentences[0] and "5%" in sentences[0]
    assert ("Only " if lang == "en" else "只有") in sentences[0]
    few = pd.Series([0.0] * 950 + [50_000.0] * 50)  # 5% bought, all above both thresholds
    fit = threshold_fit(few, program(), TARGETS)
    assert fit.fits is False and fit.with_status("too_high", "too_low") == ["Silver"]  # 5% vs 20%
    sentences = tr.fit_findings(fit, None, lang)
    assert number(50) in sentences[-1] and pct(0.05) in sentences[-1] and "20%" in sentences[-1]
    assert tr.fit_findings(threshold_fit(spend * 0 + 40_000, program()), None, lang) == []  # all reach: fits


def test_plot_notes_and_sweep_text(cafe):
    from workbench.text import tiers as tr
    from workbench.tiers import sweep, threshold_fit, threshold_grid

    prog = program()
    current = pd.Series("Member", index=cafe.index)
    emp = simulate(cafe, prog, current=current)
    history = pd.DataFrame(
        {"Member": [3000, 3000], "Silver": [0, 0], "Gold": [0, 0]}, index=["2026-09", "2026-10"]
    )
    fit = threshold_fit(cafe, prog, TARGETS)
    notes = tr.plot_notes(history, emp, emp, cafe, fit.target_program, "en")
    assert set(notes) == {"history", "shares", "migration"}
    assert (
        notes["shares"]
        == "Every member would stay in Member on this spend: there is no mix of tiers to plot."
    )
    nobody = tr.plot_notes(history, emp, emp, cafe * 0, None, "zh-TW")
    assert set(nobody) == {"history", "shares", "migration", "spend", "targets"}
    busy = simulate(cafe * 300, prog, current=current)  # ~NT$16,500 a year: tiers fill up
    assert tr.plot_notes(history.assign(Silver=[5, 9]), busy, busy, cafe * 300, prog, "en") == {}
    grid = sweep(
        cafe,
        prog,
        x=("Silver", threshold_grid(cafe, 0.5, 0.97)),
        y=("Gold", threshold_grid(cafe, 0.8, 0.995)),
    )
    text = tr.sweep_text(grid, prog, "en")
    assert f"{len(grid):,} threshold pairs" in text
    assert "The current programme (Silver NT$10,000 and Gold NT$30,000) lies outside this range" in text
    grid = sweep(cafe * 300, prog, x=("Silver", [5000.0, 20000]), y=("Gold", [25000.0, 40000]))
    assert tr.sweep_text(grid, prog, "en").endswith("the cross marks the current programme.")
    assert tr.sweep_text(grid.iloc[:0], prog, "en").startswith("No member has positive spend")
