"""workbench.widgets: the tier panel (no browser: drive the sliders, read the result)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import tier_program as program


def test_tier_panel_updates_on_slider_changes(rng):
    from workbench.widgets import TierPanel

    spend = pd.Series(np.round(rng.lognormal(8.5, 1.2, 5000)), index=[f"{i:05d}" for i in range(5000)])
    panel = TierPanel(spend, program(), lang="en")
    assert panel.result.summary.loc["Gold", "share"] == pytest.approx((spend >= 30000).mean())
    panel.thresholds["Gold"].value = 20000
    assert panel.result.summary.loc["Gold", "share"] == pytest.approx((spend >= 20000).mean())
    assert panel.result.summary.loc["Silver", "members"] == ((spend >= 10000) & (spend < 20000)).sum()
    assert sorted(line.get_xdata()[0] for line in panel.ax.lines) == [
        8000,
        10000,
        16000,
        20000,
    ]  # renewal x0.8
    # benefit sliders change the cost: Gold discount 5% -> 10% adds 5% of Gold revenue
    gold_rev = spend[spend >= 20000].sum()
    before = panel.result.summary.loc["Total", "benefit_cost"]
    panel.discounts["Gold"].value = 0.10
    assert panel.result.summary.loc["Total", "benefit_cost"] - before == pytest.approx(0.05 * gold_rev)
    panel.vouchers["Silver"].value = 400  # +200 face value x 0.5 redemption per Silver member
    silver_n = ((spend >= 10000) & (spend < 20000)).sum()
    assert panel.result.summary.loc["Silver", "benefit_cost"] == pytest.approx(
        silver_n * (400 * 0.5) + spend[(spend >= 10000) & (spend < 20000)].sum() * (0.03 + 0.2 * 1 * 0.01)
    )
    assert "NT$" in panel.status.value and "<table" in panel.table.value
    # thresholds out of order: an error is shown, the last valid result is kept and marked out of date
    last = panel.result
    panel.thresholds["Silver"].value = 25000
    assert panel.error == (
        "Not a valid programme: the Gold threshold (NT$20,000) must be above the Silver threshold "
        "(NT$25,000). The table and the plot below still show the last valid setting."
    )
    assert panel.result is last and panel.stale
    assert "Out of date: last valid setting" in panel.table.value and "wb-stale" in panel.table._dom_classes
    assert "wb-stale" in panel.output._dom_classes and "wb-panel-error" in panel.status.value
    panel.thresholds["Gold"].value = 40000
    assert panel.error is None and not panel.stale and "wb-stale" not in panel.table._dom_classes
    assert "Out of date" not in panel.table.value
    assert panel.result.summary.loc["Silver", "members"] == ((spend >= 25000) & (spend < 40000)).sum()


def test_tier_panel_speaks_the_ui_language_with_units(rng):
    from workbench.widgets import TierPanel

    spend = pd.Series(np.round(rng.lognormal(8.5, 1.2, 2000)), index=[f"{i:05d}" for i in range(2000)])
    panel = TierPanel(spend, program(), lang="zh-TW", currency="HKD")
    assert panel.thresholds["Gold"].description == "Gold 升等門檻（HK$）"
    assert panel.vouchers["Silver"].description == "Silver 生日禮券（HK$）"
    assert panel.discounts["Silver"].description == "Silver 折扣（%）"
    assert 'class="wb-table"' in panel.table.value and ".wb-panel table" in panel.widget.children[0].value
    panel.thresholds["Gold"].value = 5000
    assert panel.error == (
        "設定無效：Gold 門檻（HK$5,000）須高於 Silver 門檻（HK$10,000）。下方表格與圖仍是上一個有效設定的結果。"
    )
    assert "已過期" in panel.table.value
