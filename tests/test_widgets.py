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
    # thresholds out of order: an error is shown, the last valid result is kept
    last = panel.result
    panel.thresholds["Silver"].value = 25000
    assert "thresholds must increase" in panel.error and panel.result is last
    panel.thresholds["Gold"].value = 40000
    assert panel.error is None
    assert panel.result.summary.loc["Silver", "members"] == ((spend >= 25000) & (spend < 40000)).sum()
