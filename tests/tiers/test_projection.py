"""workbench.tiers.projection: seeded, reproducible projections that match lifetimes' expectations, and
the averaged simulation of several draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import tier_program as program

from workbench.clv import prob_alive
from workbench.tiers import Response, project_spend, simulate


def probability_alive(summary, params):
    """BG/NBD P(alive) of the CLV room, on a summary frame."""
    return prob_alive("bgnbd", params, summary["frequency"], summary["recency"], summary["T"])


PURCHASE = {"r": 0.75, "alpha": 20.0, "a": 0.8, "b": 6.0}


SPEND = {"p": 6.0, "q": 4.0, "v": 750.0}


PROFILES = pd.DataFrame(
    {"frequency": [0, 2, 10, 10], "recency": [0, 100, 600, 480], "T": [300, 400, 700, 700]},
    index=["new", "light", "loyal", "lapsing"],
).assign(monetary_value=[0.0, 900.0, 1600.0, 1200.0])


def test_projection_seeded_and_reproducible():
    a = project_spend(PROFILES, PURCHASE, SPEND, seed=7)
    b = project_spend(PROFILES, PURCHASE, SPEND, seed=7)
    pd.testing.assert_frame_equal(a, b)
    big = PROFILES.loc[PROFILES.index.repeat(500)]
    c = project_spend(big, PURCHASE, SPEND, seed=8)
    assert not c["spend"].equals(project_spend(big, PURCHASE, SPEND, seed=9)["spend"])


def test_projection_matches_lifetimes_expectations():
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    bg = BetaGeoFitter()
    bg.params_ = pd.Series(PURCHASE)
    gg = GammaGammaFitter()
    gg.params_ = pd.Series(SPEND)
    f, r, t = PROFILES["frequency"], PROFILES["recency"], PROFILES["T"]
    np.testing.assert_allclose(
        probability_alive(PROFILES, PURCHASE), bg.conditional_probability_alive(f, r, t)
    )
    reps = 40_000
    big = PROFILES.loc[PROFILES.index.repeat(reps)]
    draws = project_spend(big, PURCHASE, SPEND, horizon=365, seed=3)
    by = draws.groupby(level=0, sort=False)
    exp_n = bg.conditional_expected_number_of_purchases_up_to_time(365, f, r, t)
    gg_mean = np.where(
        f > 0, gg.conditional_expected_average_profit(f, PROFILES["monetary_value"]), 6.0 * 750 / 3
    )
    mean_n, se_n = by["purchases"].mean(), by["purchases"].std() / np.sqrt(reps)
    mean_s, se_s = by["spend"].mean(), by["spend"].std() / np.sqrt(reps)
    # standard errors floored at what a Poisson count with the expected mean would give (guards profiles whose
    # draws are almost all zero)
    se_n = np.maximum(se_n, np.sqrt(exp_n.to_numpy() / reps))
    se_s = np.maximum(se_s, gg_mean * np.sqrt(2 * exp_n.to_numpy() / reps))
    assert np.all(np.abs(mean_n - exp_n.to_numpy()) < 4 * se_n)
    assert np.all(np.abs(mean_s - exp_n.to_numpy() * gg_mean) < 4 * se_s)
    assert by["alive"].mean().to_numpy() == pytest.approx(bg.conditional_probability_alive(f, r, t), abs=0.01)


def test_simulate_projection_averages_seeded_draws():
    from workbench.tiers import draw_seeds, simulate_projection

    base = PROFILES.loc[PROFILES.index.repeat(300)]
    base.index = [f"{i:05d}" for i in range(len(base))]
    prog = program(
        tier_changes={
            "Silver": {"upgrade": 3000, "renewal": 2000},
            "Gold": {"upgrade": 12000, "renewal": 9000},
        }
    )
    current = pd.Series("Silver", index=base.index)
    res = simulate_projection(base, PURCHASE, SPEND, prog, current=current, seed=5, draws=4)
    seeds = draw_seeds(5, 4)
    assert res.seeds == seeds and len(set(seeds)) == 4
    sims = [
        simulate(project_spend(base, PURCHASE, SPEND, seed=s)["spend"], prog, current=current) for s in seeds
    ]
    shares = np.array([s.summary.loc["Gold", "share"] for s in sims])
    assert res.summary.loc["Gold", "share"] == pytest.approx(shares.mean())
    assert res.intervals.loc["Gold", "share_low"] == pytest.approx(np.quantile(shares, 0.05))
    np.testing.assert_allclose(res.migration, sum(s.migration for s in sims) / 4)
    again = simulate_projection(base, PURCHASE, SPEND, prog, current=current, seed=5, draws=4)
    pd.testing.assert_frame_equal(res.summary, again.summary)
    assert shares.std() > 0  # the draws differ


def test_projection_stream_independent_of_the_demo_generator(demo):
    """The demo is generated with default_rng(42); a projection with seed 42 must not reuse its uniforms
    (they set the members' join times, so alive draws would correlate with T)."""
    from workbench.summary import member_summary

    summ = member_summary(demo.transactions, "2026-10-31", freq="D")
    truth_bg = {k: demo.truth["bgnbd"][k] for k in ("r", "alpha", "a", "b")}
    truth_gg = {k: demo.truth["gamma_gamma"][k] for k in ("p", "q", "v")}
    p = probability_alive(summ, truth_bg)
    alive = project_spend(summ, truth_bg, truth_gg, seed=42)["alive"].sum()
    assert abs(alive - p.sum()) < 4 * np.sqrt((p * (1 - p)).sum())


def test_a_tier_no_draw_reaches_has_no_interval_and_no_warning():
    """Thresholds far above every projected spend (a programme that does not fit the brand): the upper tiers
    are empty in every draw, their cost % of revenue is undefined (NaN) and numpy's "All-NaN slice" warning,
    which a report would print, is not raised."""
    import warnings

    from workbench.tiers import simulate_projection

    base = PROFILES.loc[PROFILES.index.repeat(50)]
    base.index = [f"{i:05d}" for i in range(len(base))]
    prog = program(
        tier_changes={"Silver": {"upgrade": 1e9, "renewal": 1e9}, "Gold": {"upgrade": 2e9, "renewal": 2e9}}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = simulate_projection(base, PURCHASE, SPEND, prog, seed=5, draws=3)
    assert res.summary.loc[["Silver", "Gold"], "members"].sum() == 0
    assert res.intervals.loc[["Silver", "Gold"], ["cost_pct_low", "cost_pct_high"]].isna().all().all()
    assert res.intervals.loc["Member", "cost_pct_low"] == 0.0


def _three_tiers():
    """Member / Silver / Gold with renewal thresholds and benefits (the projection tests' programme)."""
    from workbench.tiers import TierProgram

    return TierProgram.from_dict(
        {
            "tiers": [
                {"name": "Member", "upgrade": 0},
                {"name": "Silver", "upgrade": 10000, "renewal": 8000, "benefits": {"discount": 0.03}},
                {"name": "Gold", "upgrade": 30000, "renewal": 24000, "benefits": {"gift": 300}},
            ]
        }
    )


def test_simulate_projection_equals_simulate_on_each_draw(demo):
    """The array path of simulate_projection gives what ``simulate`` gives on each draw reindexed to the
    member base (members without a summary row spend nothing), tier codes by name."""
    from workbench.summary import member_summary
    from workbench.tiers import draw_seeds, replay, simulate_projection

    prog = _three_tiers()
    current = replay(demo.transactions, prog, "2026-10-31").tier_names()
    summary = member_summary(demo.transactions, "2026-10-31", freq="D").iloc[::2]  # half the members
    response = Response(distance=0.1, uplift=0.1, churn_penalty=0.2)
    res = simulate_projection(
        summary, PURCHASE, SPEND, prog, current=current, response=response, seed=9, draws=3
    )
    sims = [
        simulate(
            project_spend(summary, PURCHASE, SPEND, seed=s)["spend"].reindex(current.index, fill_value=0.0),
            prog,
            current=current,
            response=response,
        )
        for s in draw_seeds(9, 3)
    ]
    mean = sum(s.summary for s in sims) / 3
    np.testing.assert_allclose(res.summary.to_numpy(float), mean.to_numpy(float), rtol=1e-12)
    np.testing.assert_allclose(res.migration.to_numpy(), (sum(s.migration for s in sims) / 3).to_numpy())
    assert list(res.migration.index) == prog.names and res.migration.index.name == "current"


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_simulate_projection_same_numbers_in_any_number_of_threads(demo, monkeypatch, threads):
    """Draws run in threads (each its own seeded generator, gathered in seed order): the same result, to
    the bit, as one draw after another."""
    from workbench.summary import member_summary
    from workbench.tiers import projection, replay, simulate_projection

    prog = _three_tiers()
    current = replay(demo.transactions, prog, "2026-10-31").tier_names()
    summary = member_summary(demo.transactions, "2026-10-31", freq="D")

    def run(n):
        monkeypatch.setattr(projection, "PROJECTION_THREADS", n)
        return simulate_projection(summary, PURCHASE, SPEND, prog, current=current, seed=5, draws=5)

    serial, threaded = run(1), run(threads)
    pd.testing.assert_frame_equal(threaded.summary, serial.summary, check_exact=True)
    pd.testing.assert_frame_equal(threaded.intervals, serial.intervals, check_exact=True)
    pd.testing.assert_frame_equal(threaded.migration, serial.migration, check_exact=True)
    assert threaded.seeds == serial.seeds
