"""workbench.experiments.design: sample size and MDE against closed forms, stratified assignment and
balance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.experiments import (
    PowerDesign,
    assign_arms,
    balance_table,
    minimum_detectable_effect,
    sample_size,
)


def test_sample_size_matches_closed_form():
    z = stats.norm.ppf
    # two arms, conversion 10% -> 12%: Var(2 asin sqrt(p_hat)) = 1/n, so n = 2 (z_{.975} + z_{.8})^2 / h^2
    h = 2 * np.arcsin(np.sqrt(0.12)) - 2 * np.arcsin(np.sqrt(0.10))
    out = sample_size(PowerDesign("binary", 0.10, shares=(0.5, 0.5)), 0.02)
    assert out["n_control"].iloc[0] == int(np.ceil(2 * (z(0.975) + z(0.8)) ** 2 / h**2))
    # the textbook normal-approximation formula on the proportions themselves gives nearly the same n
    pbar = 0.11
    n_classic = (
        z(0.975) * np.sqrt(2 * pbar * (1 - pbar)) + z(0.8) * np.sqrt(0.1 * 0.9 + 0.12 * 0.88)
    ) ** 2 / 0.02**2
    assert out["n_control"].iloc[0] == pytest.approx(n_classic, rel=0.01)
    # three arms, unequal allocation (control 50%), revenue sd 1500, Bonferroni alpha / 2
    three = PowerDesign("continuous", 700, sd=1500, shares=(0.5, 0.25, 0.25))
    out = sample_size(three, 50)
    d = 50 / 1500
    n0 = (z(1 - 0.025 / 2) + z(0.8)) ** 2 * (1 + 1 / 0.5) / d**2
    assert out["n_control"].iloc[0] == pytest.approx(n0, abs=1)
    assert out["n_arm"].iloc[0] == pytest.approx(n0 * 0.5, abs=1)
    assert out["total"].iloc[0] == pytest.approx(n0 / 0.5, abs=3)
    # MDE is the inverse of the sample size
    mde = minimum_detectable_effect(three, int(out["total"].iloc[0]))
    assert mde["mde"].iloc[0] == pytest.approx(50, rel=1e-3)
    mde = minimum_detectable_effect(PowerDesign("binary", 0.10), 20_000)
    back = sample_size(PowerDesign("binary", 0.10, correction="none"), float(mde["mde"].iloc[0]))
    assert back["n_control"].iloc[0] == pytest.approx(10_000, abs=2)
    with pytest.raises(ValueError, match="shares must list >= 2 positive numbers"):
        PowerDesign("binary", 0.1, shares=(1.0,))
    with pytest.raises(ValueError, match=r"PowerDesign.sd is needed for a continuous metric \(sd > 0\)"):
        PowerDesign("continuous", 700)


def test_stratified_assignment_and_balance(demo):
    members = demo.campaign[["member_id", "pre_spend", "pre_orders"]]
    arms = ["control", "discount", "gift"]
    a = assign_arms(members, arms, (0.5, 0.25, 0.25), strata="pre_spend", quantiles=10, seed=7)
    assert a["member_id"].tolist() == members["member_id"].tolist()
    pd.testing.assert_frame_equal(
        a, assign_arms(members, arms, (0.5, 0.25, 0.25), strata="pre_spend", quantiles=10, seed=7)
    )
    assert not a["arm"].equals(
        assign_arms(members, arms, (0.5, 0.25, 0.25), strata="pre_spend", quantiles=10, seed=8)["arm"]
    )
    counts = pd.crosstab(a["stratum"], a["arm"])
    size = counts.sum(axis=1).to_numpy()[:, None]
    assert (
        np.abs(counts.to_numpy() - size * np.array([0.5, 0.25, 0.25])) <= 1
    ).all()  # floor + remainder: within one
    frame = members.assign(arm=a["arm"])
    bal = balance_table(frame, "arm", "control", ["pre_spend", "pre_orders"])
    x = frame.loc[frame["arm"] == "gift", "pre_spend"]
    c = frame.loc[frame["arm"] == "control", "pre_spend"]
    smd = (x.mean() - c.mean()) / np.sqrt((x.var() + c.var()) / 2)
    assert bal.query("arm == 'gift' and covariate == 'pre_spend'")["smd"].iloc[0] == pytest.approx(
        smd, rel=1e-9
    )
    assert bal["balanced"].all()
    with pytest.raises(ValueError, match="assign_arms: 3 arms but 2 shares"):
        assign_arms(members, arms, (0.5, 0.5))
