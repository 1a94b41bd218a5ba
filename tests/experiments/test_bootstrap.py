"""workbench.experiments.bootstrap: the Poisson bootstrap against normal theory, and the coverage of its
percentile intervals by simulation (population: the demo campaign's control revenue, conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from workbench.experiments import percentile_ci, poisson_bootstrap

N = 1000  # members per arm in each simulated experiment (as in test_stats.py)


def test_poisson_bootstrap_agrees_with_normal_theory(rng):
    y = np.where(rng.random(40_000) < 0.3, np.round(rng.lognormal(6.5, 1.0, 40_000)), 0.0)
    boot = poisson_bootstrap(y, resamples=4000, rng=np.random.default_rng(1)).means()[:, 0]
    se = y.std(ddof=1) / np.sqrt(len(y))
    assert boot.std() == pytest.approx(se, rel=0.05)
    assert boot.mean() == pytest.approx(y.mean(), abs=0.1 * se)
    lo, hi = percentile_ci(boot)
    z = stats.norm.ppf(0.975)
    assert (lo, hi) == pytest.approx((y.mean() - z * se, y.mean() + z * se), abs=0.15 * se)
    # seeded: same seed, same draws; groups add up to the total
    grouped = poisson_bootstrap(y, np.arange(len(y)) % 3, 3, resamples=50, rng=np.random.default_rng(2))
    assert grouped.counts.shape == (50, 3) and grouped.sums.shape == (50, 3, 1)
    again = poisson_bootstrap(y, np.arange(len(y)) % 3, 3, resamples=50, rng=np.random.default_rng(2))
    np.testing.assert_array_equal(grouped.sums, again.sums)


def test_poisson_bootstrap_coverage(population):
    """Percentile CIs from the Poisson bootstrap: 600 A/B experiments x 1,000 resamples per arm."""
    rng = np.random.default_rng(8)
    lift, sims = 0.15, 600
    true_effect = lift * population.mean()
    hits = 0
    for _ in range(sims):
        ya = population[rng.integers(0, len(population), N)] * (1 + lift)
        yb = population[rng.integers(0, len(population), N)]
        da = poisson_bootstrap(ya, resamples=1000, rng=rng).means()[:, 0]
        db = poisson_bootstrap(yb, resamples=1000, rng=rng).means()[:, 0]
        lo, hi = percentile_ci(da - db)
        hits += lo <= true_effect <= hi
    # 600 simulations: standard error ~0.9 points; bounds at ~2.5 SE around 95%
    assert 0.925 <= hits / sims <= 0.975, hits / sims
