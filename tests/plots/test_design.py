"""workbench.plots.design: the funnel and the budget bars drawn from the designed campaign."""

from __future__ import annotations

import numpy as np
import pytest
from design_kit import default_design

from workbench.audience import member_attributes
from workbench.experiments import CampaignPlan, plan_campaign


@pytest.fixture(scope="module")
def planned(demo):
    attrs = member_attributes(demo.transactions, demo.members, as_of="2026-10-31")
    return plan_campaign(attrs, CampaignPlan.from_dict(default_design()))


def test_funnel_and_budget(planned):
    from workbench.plots.design import budget, funnel

    ax = funnel(planned.funnel, lang="en")
    bars = [p.get_width() for p in ax.patches]
    assert bars == planned.funnel["members"].tolist()
    assert ax.get_title() == "Members left after each condition"
    ax.figure.canvas.draw()
    labels = {round(t.get_position()[1]): t.get_text() for t in ax.get_yticklabels()}
    assert labels[0] == "All members" and labels[len(bars) - 1] == "top 40% by Net spend, last 365 days"
    assert ax.yaxis_inverted()  # the first step (all members) on top
    ax = budget(planned.arms, lang="zh-TW", currency="HKD")
    np.testing.assert_allclose([p.get_height() for p in ax.patches], planned.arms["budget"])
    assert ax.get_title() == "各組預估預算" and [t.get_text() for t in ax.get_xticklabels()] == [
        "對照組",
        "全面折扣",
        "VIP 贈禮",
    ]
    assert "HK$" in ax.yaxis.get_major_formatter()(2000, 0)
