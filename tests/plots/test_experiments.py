"""workbench.plots.experiments: lift, segment lift, cost vs margin and policy curve drawn from the analysis."""

from __future__ import annotations

import numpy as np
import pytest


def test_plots(analysis):
    from workbench.plots.experiments import plot_cost_margin, plot_lift, plot_policy_curve, plot_segment_lift

    ax = plot_lift(analysis.adjusted, lang="en")
    assert ax.get_title() == "Relative lift vs control (95% CI)"
    assert len(ax.containers) == 6
    ax = plot_segment_lift(analysis.segments, lang="zh-TW")
    assert len(ax.containers) == 2 and "十分位" in ax.get_xlabel()
    # segments read back as text sort 1, 10, 2, ...: the plot puts numbered segments in number order
    as_text = analysis.segments.assign(segment=analysis.segments["segment"].astype(str)).sort_values(
        "segment"
    )
    ax = plot_segment_lift(as_text, lang="en")
    ticks = [label.get_text() for label in ax.get_xticklabels()]
    assert ticks == [str(k) for k in range(1, len(ticks) + 1)] and len(ticks) == 10
    ax = plot_cost_margin(analysis.economics.economics, lang="en")
    x, y = ax.containers[0].lines[0].get_data()
    eco = analysis.economics.economics.set_index(["arm", "quantity"])["estimate"]
    assert x[0] == pytest.approx(eco[("blanket_discount", "campaign_cost")])
    assert y[0] == pytest.approx(eco[("blanket_discount", "incremental_gross_margin")])
    ax = plot_policy_curve(analysis.economics.policy, lang="en")
    assert len(ax.lines) == 3  # two arms + zero line
    assert ax.get_ylabel() == "Net profit per 1,000 members (NT$)"


def test_trend_plot(campaign_monitors):
    """One point per month-end look; the wide bar is the always-valid interval, the narrow the fixed one."""
    from matplotlib.collections import LineCollection

    from workbench.plots.experiments import plot_lift, plot_trend

    trend = campaign_monitors["2026-10"].trend
    ax = plot_trend(trend, lang="en", currency="HKD")
    assert ax.get_title() == "Targeted minus blanket: net profit per member by month-end"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["30 Sep 2026", "31 Oct 2026"]
    bars = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(bars) == 2
    for bar, (low, high) in zip(
        bars, (("ci_low", "ci_high"), ("fixed_ci_low", "fixed_ci_high")), strict=True
    ):
        ends = np.array([(seg[0][1], seg[1][1]) for seg in bar.get_segments()])
        np.testing.assert_allclose(ends, trend[[low, high]].to_numpy(dtype=float), rtol=1e-12)
    assert bars[0].get_linewidth()[0] > bars[1].get_linewidth()[0]
    x, y = ax.lines[0].get_data()
    assert list(y) == pytest.approx(trend["estimate"].tolist())
    assert "HK$" in ax.yaxis.get_major_formatter()(100.0, 0)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Always-valid 95% interval", "Fixed-horizon 95% interval", "Estimate"]
    ax = plot_lift(campaign_monitors["2026-09"].effects, lang="en")  # a running campaign's effects
    assert ax.get_title() == "Relative lift vs control so far (always-valid 95% intervals)"
    ax = plot_trend(campaign_monitors["2026-09"].trend, lang="zh-TW")
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "2026年9月30日"
    ] and "精準減全面" in ax.get_title()
