"""workbench.text.tiers: findings, headlines and tables generated from the numbers, in both languages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import tier_program as program

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
