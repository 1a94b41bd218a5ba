"""workbench.plots.experiments: lift, segment lift, cost vs margin and policy curve drawn from the analysis."""

from __future__ import annotations

import pytest


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
