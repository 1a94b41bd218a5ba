"""workbench.plots.tiers: thresholds, heatmaps, migration, Pareto curve and history drawn from the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import tier_program as program

from workbench.tiers import simulate, sweep


def test_plots_draw_thresholds_heatmaps_migration_and_pareto(rng):
    from workbench.plots import tiers as plots
    from workbench.tiers import threshold_grid

    spend = pd.Series(np.round(rng.lognormal(8.5, 1.2, 3000)))
    prog = program()
    ax = plots.spend_distribution(spend, prog, lang="en")
    assert [line.get_xdata()[0] for line in ax.lines] == [10000, 8000, 30000, 24000]
    assert ax.get_title() == "Annual spend per member and tier thresholds"
    assert sum(p.get_height() for p in ax.patches) == (spend > 0).sum()
    xs, ys = threshold_grid(spend, 0.5, 0.9, 8), threshold_grid(spend, 0.8, 0.99, 6)
    grid = sweep(spend, prog, x=("Silver", xs), y=("Gold", ys))
    ax = plots.sweep_heatmap(grid, "share_Gold", lang="zh-TW", mark=(10000, 30000))
    assert ax.get_title() == "Gold 會員占比" and ax.get_xlabel() == "Silver 升等門檻"
    shown = ax.images[0].get_array()
    assert shown.shape == (len(ys), len(xs)) and len(xs) >= 3 and len(ys) >= 3
    np.testing.assert_allclose(
        shown.filled(np.nan), grid.pivot(index="y_threshold", columns="x_threshold", values="share_Gold")
    )
    sim = simulate(spend, prog, current=pd.Series("Silver", index=spend.index))
    ax = plots.migration_matrix(sim.migration, lang="en")
    texts = [tx.get_text() for tx in ax.texts]
    assert texts[3].split("\n")[0] == f"{sim.migration.loc['Silver', 'Member']:,}"
    ax = plots.pareto_curve(spend, prog, lang="en")
    x, y = ax.lines[2].get_data()  # the Silver point
    assert x[0] == pytest.approx((spend >= 10000).mean())
    assert y[0] == pytest.approx(spend[spend >= 10000].sum() / spend.sum())
    # with the simulation's summary the marks are the table's figures (renewals keep some members in Gold)
    kept = simulate(spend, prog, current=pd.Series("Gold", index=spend.index))
    gold = kept.summary.loc["Gold"]
    assert gold["share"] != pytest.approx((spend >= 30000).mean())  # the two definitions differ here
    ax = plots.pareto_curve(spend, prog, summary=kept.summary, lang="en")
    x, y = ax.lines[3].get_data()  # the Gold point
    assert (x[0], y[0]) == pytest.approx((gold["share"], gold["revenue_share"]))
    assert f"{gold['share'] * 100:.1f}%" in ax.texts[1].get_text()
    assert f"{gold['revenue_share'] * 100:.1f}%" in ax.texts[1].get_text()
    table = pd.DataFrame(
        {"Member": [5, 4, 3], "Silver": [1, 2, 3], "Gold": [0, 1, 1]}, index=["2026-08", "2026-09", "2026-10"]
    )
    ax = plots.tier_history(table, lang="en")
    top = ax.collections[1].get_paths()[0].vertices[:, 1].max()
    assert top == 4  # Silver + Gold in the last month, entry tier left out
    assert [tx.get_text() for tx in ax.get_legend().get_texts()] == ["Silver", "Gold"]
    ax = plots.tier_shares(sim.summary, lang="en")
    assert [p.get_height() for p in ax.patches[:3]] == pytest.approx(sim.summary["share"].iloc[:3].tolist())


def test_sweep_heatmap_of_small_baskets_marks_only_a_programme_inside_the_grid(cdnow):
    """CDNOW's spend against Silver 10,000 / Gold 30,000: the heatmap draws (its pivot once failed on
    duplicate thresholds), and the programme, far outside the grid, gets no cross on the grid's edge."""
    from workbench.plots import tiers as plots
    from workbench.tiers import threshold_grid

    spend = cdnow[cdnow["ordered_at"] >= "1997-07-01"].groupby("member_id")["amount"].sum()
    xs, ys = threshold_grid(spend, 0.5, 0.97, 50), threshold_grid(spend, 0.8, 0.995, 50)
    grid = sweep(spend, program(), x=("Silver", xs), y=("Gold", ys))
    ax = plots.sweep_heatmap(grid, "cost_pct", lang="en", mark=(10000, 30000))
    assert ax.images[0].get_array().shape == (len(ys), len(xs))
    assert not ax.lines  # no cross
    inside = (float(xs[len(xs) // 2]), float(ys[-2]))
    ax = plots.sweep_heatmap(grid, "cost_pct", lang="en", mark=inside)
    (cross,) = ax.lines
    assert cross.get_xdata()[0] == pytest.approx(len(xs) // 2) and cross.get_ydata()[0] == pytest.approx(
        len(ys) - 2
    )
    labels = [tick.get_text() for tick in ax.get_xticklabels()]
    first = float(
        labels[0].removeprefix("NT$").replace(",", "")
    )  # round thresholds, in the spend's own scale
    assert xs[0] <= first <= xs[-1] and labels[0] == f"NT${first:,.0f}"


def test_heatmap_ticks_are_round_amounts_in_one_style():
    import re

    from workbench.plots.tiers import round_ticks

    values = np.arange(12_300, 45_001, 700.0)  # a sweep grid whose cells are not round
    pos, labels = round_ticks(values, "TWD", "zh-TW")
    amounts = [float(re.sub(r"[^\d.]", "", label)) for label in labels]
    assert len(labels) >= 3 and all(label.startswith("NT$") and "萬" not in label for label in labels)
    step = np.diff(amounts)
    assert np.allclose(step, step[0])
    mantissa = step[0] / 10 ** np.floor(np.log10(step[0]))
    assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
    assert all(a % step[0] == 0 for a in amounts)
    np.testing.assert_allclose(pos, (np.array(amounts) - 12_300) / 700)
    big, big_labels = round_ticks(np.arange(50_000, 400_001, 10_000.0), "TWD", "zh-TW")
    assert all("萬" in label for label in big_labels)  # compact on every tick of an axis above NT$100,000
