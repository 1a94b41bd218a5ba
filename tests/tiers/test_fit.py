"""workbench.tiers.fit: whether a programme's thresholds fit a brand's spend, against plain pandas/numpy on the
real CDNOW log and on spend built to land in each status."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kit import tier_program as program

from workbench.errors import ArgumentError
from workbench.tiers import simulate, threshold_fit, thresholds_for_shares

TARGETS = {"Gold": 0.05, "Silver": 0.15}


@pytest.fixture(scope="module")
def cdnow_year(cdnow) -> pd.Series:
    """Every CDNOW customer's spend from July 1997 to June 1998 (0 for those who bought nothing), in pandas."""
    window = cdnow[(cdnow["ordered_at"] >= "1997-07-01") & (cdnow["ordered_at"] < "1998-07-01")]
    members = pd.Index(cdnow["member_id"].unique())
    return window.groupby("member_id")["amount"].sum().reindex(members, fill_value=0.0)


def test_a_department_store_programme_on_the_cdnow_log(cdnow_year):
    """Silver at 10,000 and Gold at 30,000 a year against CDNOW's spend (highest ~7,000): nobody reaches
    either tier, and the thresholds for the target shares are the spend of the 5% and 20% highest."""
    prog = program()
    fit = threshold_fit(cdnow_year, prog, TARGETS)
    positive = cdnow_year[cdnow_year > 0]
    assert not fit.fits
    assert fit.with_status("unreached") == ["Silver", "Gold"]
    assert fit.tiers["members"].tolist() == [0, 0]
    assert fit.members == len(cdnow_year) == 23570
    assert fit.buyers == len(positive)
    assert fit.highest == pytest.approx(positive.max()) and fit.highest < 10000
    assert fit.buyer_quantile == pytest.approx(np.quantile(positive, 0.95))
    ranked = np.sort(cdnow_year.to_numpy())[::-1]
    gold, silver = ranked[round(0.05 * len(ranked)) - 1], ranked[round(0.20 * len(ranked)) - 1]
    assert fit.tiers["needed"].tolist() == pytest.approx([silver, gold])
    assert fit.tiers["target_cumulative"].tolist() == pytest.approx([0.20, 0.05])
    assert fit.target_problem is None
    proposed = fit.target_program
    assert proposed.upgrades.tolist() == thresholds_for_shares(cdnow_year, prog, TARGETS).upgrades.tolist()
    shares = simulate(cdnow_year, proposed).summary["share"]
    assert shares["Gold"] == pytest.approx((cdnow_year >= gold).mean()) == pytest.approx(0.05, abs=0.002)
    assert shares["Silver"] == pytest.approx(((cdnow_year >= silver) & (cdnow_year < gold)).mean())


def test_statuses_follow_the_share_reaching_each_tier():
    # 1,000 members spending 1..1,000: a threshold t is reached by (1001 - t) / 1000 of them
    spend = pd.Series(np.arange(1.0, 1001.0))
    far_up = program(
        tier_changes={"Silver": {"upgrade": 951, "renewal": 951}, "Gold": {"upgrade": 991, "renewal": 991}}
    )
    fit = threshold_fit(spend, far_up, TARGETS)
    assert fit.tiers["share"].tolist() == pytest.approx([0.05, 0.01])  # targets 20% and 5%: under a third
    assert fit.with_status("too_high") == ["Silver", "Gold"]
    low = program(
        tier_changes={"Silver": {"upgrade": 301, "renewal": 301}, "Gold": {"upgrade": 901, "renewal": 901}}
    )
    fit = threshold_fit(spend, low, TARGETS)
    assert fit.tiers["share"].tolist() == pytest.approx([0.70, 0.10])
    assert fit.tiers["status"].tolist() == ["too_low", "fits"]  # 70% > 3 x 20%; 10% is within 3x of 5%
    assert not fit.fits
    near = program(
        tier_changes={"Silver": {"upgrade": 701, "renewal": 701}, "Gold": {"upgrade": 971, "renewal": 971}}
    )
    fit = threshold_fit(spend, near, TARGETS)
    assert fit.fits and fit.with_status("fits") == ["Silver", "Gold"]
    assert not threshold_fit(spend, near, TARGETS, tolerance=1.2).fits  # 3% against 5%: too far at 1.2x
    untargeted = threshold_fit(spend, far_up)  # no target shares: a reached tier fits
    assert untargeted.fits and untargeted.target_program is None and untargeted.target_problem is None
    assert untargeted.tiers["needed"].isna().all()


def test_target_shares_that_cannot_be_met():
    few = pd.Series([0.0] * 900 + list(np.arange(1.0, 101.0)))  # 10% of members bought
    fit = threshold_fit(few, program(), TARGETS)
    assert fit.target_program is None
    assert (fit.target_problem, fit.target_problem_tier) == ("few_buyers", "Silver")
    assert np.isnan(fit.tiers.at["Silver", "needed"]) and fit.tiers.at["Gold", "needed"] == 51.0
    same = pd.Series([500.0] * 100)  # everyone spent the same: Silver and Gold would both start at 500
    fit = threshold_fit(same, program(), TARGETS)
    assert (fit.target_problem, fit.target_problem_tier) == ("ties", "Gold")
    spend = pd.Series(np.arange(1.0, 1001.0))  # Gold alone at the 95th percentile falls below Silver 10,000
    fit = threshold_fit(spend, program(), {"Gold": 0.05})
    assert (fit.target_problem, fit.target_problem_tier) == ("order", "Gold")
    nobody = threshold_fit(pd.Series([0.0, -20.0, 0.0]), program(), TARGETS)
    assert nobody.buyers == 0 and np.isnan(nobody.buyer_quantile) and np.isnan(nobody.highest)
    assert nobody.with_status("unreached") == ["Silver", "Gold"]


def test_bad_arguments_are_named():
    with pytest.raises(ArgumentError, match=r"threshold_fit: tolerance must be greater than 1; got 1"):
        threshold_fit([1.0], program(), tolerance=1)
    with pytest.raises(ArgumentError, match=r"threshold_fit: quantile must be in \(0, 1\); got 1.0"):
        threshold_fit([1.0], program(), quantile=1.0)
