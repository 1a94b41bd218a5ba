"""workbench.plots.clv: artists, not pixels (fixtures in tests/conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest
from kit import CDNOW_CAL_END, CDNOW_END

from workbench import clv as wc


def test_plot_tracking_and_buckets(cdnow_models, cdnow_sample_tx, cdnow_cal_holdout):
    from workbench.plots import clv as plots

    track = wc.tracking(cdnow_models["bgnbd"], cdnow_sample_tx, CDNOW_CAL_END, CDNOW_END)
    ax = plots.tracking(track, lang="en")
    assert ax.get_title() == "Cumulative repeat purchases, actual vs model"
    assert ax.get_xlabel() == "Week" and ax.get_ylabel() == "Cumulative repeat purchases"
    actual, model, cal = ax.get_lines()
    np.testing.assert_array_equal(actual.get_ydata(), track["actual"])
    assert cal.get_xdata()[0] == 39

    buckets = wc.frequency_buckets(wc.holdout_comparison(cdnow_models["bgnbd"], cdnow_cal_holdout))
    ax = plots.frequency_buckets(buckets, lang="zh-TW")
    assert ax.get_title() == "依估計期購買次數分組的驗證期購買"
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights[: len(buckets)], buckets["actual"])
    np.testing.assert_allclose(heights[len(buckets) :], buckets["predicted"])
    assert [tl.get_text() for tl in ax.get_xticklabels()] == buckets["frequency_cal"].tolist()


def test_plot_matrices_distribution_deciles(demo_model, demo_summary):
    from workbench.plots import clv as plots

    mat = demo_model.frequency_recency_matrix("prob_alive", max_frequency=8, bins=20)
    ax = plots.frequency_recency_matrix(mat, "prob_alive", lang="en", time_unit="D")
    assert ax.get_title() == "Probability a member is still active"
    assert ax.get_xlabel() == "Time of last purchase (days after the first)"
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), mat.to_numpy())

    pred = demo_model.predict(demo_summary, 12)
    ax = plots.clv_distribution(pred["clv"], lang="en", currency="TWD", months=12)
    assert ax.get_title() == "Distribution of projected 12-month value"
    assert sum(p.get_height() for p in ax.patches) == (pred["clv"] >= 1).sum()  # under 1 NT$ not drawn

    deciles = wc.clv_deciles(pred["clv"])
    ax = plots.clv_deciles(deciles, lang="zh-TW")
    assert ax.get_ylabel() == "占總價值比例"
    np.testing.assert_allclose([p.get_height() for p in ax.patches], deciles["share"])
    with pytest.raises(ValueError, match="what must be 'prob_alive' or 'expected_purchases', got 'x'"):
        plots.frequency_recency_matrix(mat, "x")
