"""workbench.plots.overview: the member overview's plots, artists checked against the data."""

from __future__ import annotations

import numpy as np
import pytest

from workbench import kpis as wk
from workbench import segments as ws
from workbench.i18n import pct, t
from workbench.plots import overview as plots

MONTH = "2026-10"


@pytest.fixture(scope="module")
def overview(demo):
    kpis = wk.monthly_kpis(demo.transactions, demo.members[["member_id", "joined_at"]], month=MONTH)
    features = ws.member_features(demo.transactions, MONTH)
    return kpis, features


@pytest.mark.parametrize("lang", ["zh-TW", "en"])
def test_kpi_trends(overview, lang):
    kpis, _ = overview
    ax = plots.kpi_trend(kpis, "repurchase_rate", lang=lang, months=6)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), kpis["repurchase_rate"].iloc[-6:].to_numpy())
    assert ax.get_title() == t("overview.kpi.repurchase_rate", lang)
    assert [x.get_text() for x in ax.get_xticklabels()][-1].endswith(
        "10月" if lang == "zh-TW" else "Oct 2026"
    )
    fig = plots.kpi_trends(kpis, ["active_members", "net_revenue", "aov"], lang=lang, months=13)
    visible = [a for a in fig.axes if a.get_visible()]
    assert [a.get_title() for a in visible] == [
        t(f"overview.kpi.{c}", lang) for c in ("active_members", "net_revenue", "aov")
    ]
    np.testing.assert_allclose(visible[1].lines[0].get_ydata(), kpis["net_revenue"].iloc[-13:].to_numpy())


def test_channel_revenue(overview):
    kpis, _ = overview
    ax = plots.channel_revenue(kpis, lang="en", months=12)
    store, online = ax.containers
    np.testing.assert_allclose([b.get_height() for b in store], kpis["store_revenue"].iloc[-12:])
    np.testing.assert_allclose([b.get_height() for b in online], kpis["online_revenue"].iloc[-12:])
    np.testing.assert_allclose([b.get_y() for b in online], kpis["store_revenue"].iloc[-12:])  # stacked
    assert ax.get_ylabel() == "Revenue (NT$)" and [x.get_text() for x in ax.get_legend().get_texts()] == [
        "Store",
        "Online",
    ]


def test_segment_shares_and_rfm(overview):
    _, features = overview
    types = ws.member_types(features)
    summary = ws.segment_summary(types, features["window_spend"])
    ax = plots.segment_shares(summary, kind="segment", lang="zh-TW")
    members, revenue = ax.containers
    np.testing.assert_allclose([b.get_width() for b in members], summary["member_share"])
    np.testing.assert_allclose([b.get_width() for b in revenue], summary["revenue_share"])
    assert [x.get_text() for x in ax.get_yticklabels()][0] == "高消費總額"
    rfm = ws.rfm_scores(features)
    ax = plots.rfm_grid(rfm, lang="en")
    image = ax.images[0].get_array()
    assert image[0, -1] == ((rfm["r"] == 5) & (rfm["f"] == 5)).sum()  # best R (top row), best F (right)
    assert image.sum() == len(rfm)


def test_lorenz_plot(overview):
    _, features = overview
    buyers = features.loc[features["window_orders"] > 0, "window_spend"]
    marks = ws.concentration(buyers, [0.05, 0.2])
    ax = plots.lorenz(ws.lorenz_curve(buyers), marks, lang="en", max_points=500)
    curve = ax.lines[0]
    assert len(curve.get_xdata()) <= 500 and curve.get_xdata()[0] == 0 and curve.get_xdata()[-1] == 1
    points = [line for line in ax.lines if line.get_marker() == "o"]
    np.testing.assert_allclose([p.get_ydata()[0] for p in points], marks["revenue_share"])
    assert ax.texts[0].get_text() == f"top 5%: {pct(marks.loc[0, 'revenue_share'])}"
