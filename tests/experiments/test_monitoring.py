"""workbench.experiments.monitoring: the effects at every look of the demo campaign (outcomes recomputed from
the log up to each look), and the targeted-vs-blanket decision read from the always-valid interval only."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workbench.errors import ArgumentError
from workbench.experiments import (
    LOOK_INTERVALS,
    analyze,
    campaign_outcomes,
    look_effects,
    sequential_decision,
)

METRICS = {"converted": "binary", "orders": "continuous", "revenue": "continuous"}
LOOK_ENDS = ("2026-09-07", "2026-09-14", "2026-09-21", "2026-09-30")


@pytest.fixture(scope="module")
def looks(demo) -> dict[str, pd.DataFrame]:
    """The demo campaign (starts 1 September 2026) as it looked at each weekly look."""
    assigned = demo.campaign[["member_id", "arm", "pre_spend"]]
    return {end: campaign_outcomes(demo.transactions, assigned, "2026-09-01", end) for end in LOOK_ENDS}


@pytest.mark.parametrize("covariate", [None, "pre_spend"])
def test_look_effects_are_analyze_at_each_look(looks, covariate):
    n_star = 2 * len(next(iter(looks.values()))) / 3  # two of the three equal arms
    res = look_effects(looks, "arm", "control", METRICS, covariate, sequential_tuning=n_star)
    assert len(res) == len(LOOK_ENDS) * len(LOOK_INTERVALS) * 2 * len(METRICS)
    assert list(res.columns[:3]) == ["look", "look_number", "interval"]
    for number, (end, frame) in enumerate(looks.items(), start=1):
        for interval, tuning in zip(LOOK_INTERVALS, (None, n_star), strict=True):
            part = res[(res["look"] == end) & (res["interval"] == interval)]
            assert (part["look_number"] == number).all()
            expected = analyze(frame, "arm", "control", METRICS, covariate, sequential_tuning=tuning)
            pd.testing.assert_frame_equal(
                part[expected.columns].reset_index(drop=True), expected, check_exact=True
            )
            others = part.columns.difference([*expected.columns, "look", "look_number", "interval"])
            assert part[others].isna().all().all()  # the sequential-only columns, on the fixed rows


def test_look_effects_against_plain_pandas(looks):
    n_star = 8000
    res = look_effects(looks, "arm", "control", {"revenue": "continuous"}, sequential_tuning=n_star)
    for end, frame in looks.items():
        g = frame.groupby("arm", observed=True)["revenue"].agg(["mean", "var", "size"])
        for arm in ("blanket_discount", "vip_gift"):
            diff = g.loc[arm, "mean"] - g.loc["control", "mean"]
            se = math.sqrt(
                g.loc[arm, "var"] / g.loc[arm, "size"] + g.loc["control", "var"] / g.loc["control", "size"]
            )
            n = g.loc[arm, "size"] + g.loc["control", "size"]
            rho2 = (-2 * math.log(0.05) + math.log(-2 * math.log(0.05) + 1)) / n_star
            half = se * math.sqrt(2 * (n * rho2 + 1) / (n * rho2) * math.log(math.sqrt(n * rho2 + 1) / 0.05))
            rows = res[(res["look"] == end) & (res["arm"] == arm)].set_index("interval")
            assert rows.loc["always_valid", "abs_lift"] == pytest.approx(diff, rel=1e-9)
            lo, hi = rows.loc["always_valid", ["abs_ci_low", "abs_ci_high"]]
            assert (lo, hi) == pytest.approx((diff - half, diff + half), rel=1e-9)
            f_lo, f_hi = rows.loc["fixed_horizon", ["abs_ci_low", "abs_ci_high"]]
            assert lo < f_lo < f_hi < hi
    # outcomes accumulate: members' revenue so far never falls from one look to the next
    means = res[res["interval"] == "fixed_horizon"].groupby("look")["mean_control"].first()
    assert means.is_monotonic_increasing


def test_look_effects_bad_input(looks):
    with pytest.raises(ArgumentError, match="look_effects: looks must be a non-empty mapping"):
        look_effects([], "arm", "control", METRICS, sequential_tuning=100)
    with pytest.raises(
        ArgumentError, match="look_effects: the table of look 'x' must be a DataFrame; got list"
    ):
        look_effects({"x": []}, "arm", "control", METRICS, sequential_tuning=100)
    with pytest.raises(ArgumentError, match="look_effects: sequential_tuning must be a positive number"):
        look_effects(looks, "arm", "control", METRICS, sequential_tuning=None)


# --- the decision ----------------------------------------------------------------------------------------


def _pair(z: float, rng, n: int = 2000) -> pd.DataFrame:
    """Targeted and blanket arms whose difference in means is exactly ``z`` Welch standard errors."""
    t, b = rng.gamma(2.0, 500.0, n), rng.gamma(2.0, 500.0, n)
    se = math.sqrt(t.var(ddof=1) / n + b.var(ddof=1) / n)
    t = t - (t.mean() - b.mean()) + z * se
    control = rng.gamma(2.0, 100.0, 500)  # a third arm, which the decision leaves out
    return pd.DataFrame(
        {
            "arm": ["vip_gift"] * n + ["blanket_discount"] * n + ["control"] * 500,
            "profit": np.r_[t, b, control],
        }
    )


@pytest.mark.parametrize(
    "z,outcome",
    [(4.5, "targeted_better"), (-4.5, "blanket_better"), (2.5, "not_yet_decided"), (0.3, "not_yet_decided")],
)
def test_decision_follows_the_always_valid_interval(rng, z, outcome):
    frame = _pair(z, rng)
    d = sequential_decision(frame, "arm", "vip_gift", "blanket_discount", "profit", sequential_tuning=4000)
    assert d.outcome == outcome and d.error is None
    assert (d.n_targeted, d.n_blanket, d.sequential_tuning, d.alpha) == (2000, 2000, 4000.0, 0.05)
    # the interval, written out: Welch standard error, eq. 9 half-width at n = N* (factor 3.035)
    t, b = (frame.loc[frame["arm"] == a, "profit"] for a in ("vip_gift", "blanket_discount"))
    se = math.sqrt(t.var() / len(t) + b.var() / len(b))
    assert d.estimate == pytest.approx(z * se, rel=1e-9)
    assert (d.ci_low, d.ci_high) == pytest.approx((z * se - 3.0352 * se, z * se + 3.0352 * se), rel=1e-4)
    assert (d.p_value <= 0.05) == (outcome != "not_yet_decided")


def test_a_significant_fixed_look_is_not_a_decision(rng):
    """z = 2.5: the fixed-horizon test of this look says p < 0.05; the decision waits."""
    frame = _pair(2.5, rng)
    fixed = analyze(frame, "arm", "blanket_discount", {"profit": "continuous"}, correction="none")
    row = fixed[fixed["arm"] == "vip_gift"].iloc[0]
    assert row["p_value"] < 0.05 and row["abs_ci_low"] > 0
    d = sequential_decision(frame, "arm", "vip_gift", "blanket_discount", "profit", sequential_tuning=4000)
    assert d.outcome == "not_yet_decided" and d.ci_low < 0 < d.ci_high


def test_decision_with_covariate_and_data_errors(demo):
    c = demo.campaign
    n_star = float(c["arm"].isin(["vip_gift", "blanket_discount"]).sum())
    d = sequential_decision(
        c, "arm", "vip_gift", "blanket_discount", "revenue", covariate="pre_spend", sequential_tuning=n_star
    )
    pair = c[c["arm"].isin(["vip_gift", "blanket_discount"])]
    row = analyze(
        pair, "arm", "blanket_discount", {"revenue": "continuous"}, "pre_spend", sequential_tuning=n_star
    )
    assert (d.estimate, d.ci_low, d.ci_high) == (
        row["abs_lift"][0],
        row["abs_ci_low"][0],
        row["abs_ci_high"][0],
    )
    assert d.method.endswith("CUPED (pooled theta) on pre_spend")
    missing = sequential_decision(
        c, "arm", "vip_gift", "blanket_discount", "margin", sequential_tuning=n_star
    )
    assert missing.outcome == "not_yet_decided" and missing.error.startswith("missing_column")


def test_decision_bad_arguments(demo):
    c = demo.campaign
    with pytest.raises(
        ArgumentError, match="sequential_decision: targeted and blanket must be two different arms"
    ):
        sequential_decision(c, "arm", "vip_gift", "vip_gift", "revenue", sequential_tuning=100)
    with pytest.raises(
        ArgumentError, match=r"sequential_decision: blanket arm 'coupon' not among the arms \["
    ):
        sequential_decision(c, "arm", "vip_gift", "coupon", "revenue", sequential_tuning=100)
    with pytest.raises(ArgumentError, match="sequential_decision: arm column 'group' not in the frame"):
        sequential_decision(c, "group", "vip_gift", "blanket_discount", "revenue", sequential_tuning=100)
    with pytest.raises(
        ArgumentError, match="sequential_decision: sequential_tuning must be a positive number"
    ):
        sequential_decision(c, "arm", "vip_gift", "blanket_discount", "revenue", sequential_tuning=-1)
