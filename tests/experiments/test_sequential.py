"""workbench.experiments.sequential and ``analyze(sequential_tuning=N*)``: GrowthBook's pinned values, the
formulas written out, the covariate adjustment against a plain numpy computation, the fixed-horizon results
unchanged, never narrower than fixed-horizon intervals, and A/A simulations of six monthly looks (members
enrolled month by month; a cohort assigned at the start whose outcomes accumulate), vectorised through
per-campaign sufficient statistics; run with ``-s`` to see the rates the README quotes.

Golden values: ``gbstats`` (github.com/growthbook/growthbook @ 8f1db4456915a8e7b7faf23d5632ca7219d2f469,
``packages/stats/tests/frequentist/test_tests.py``, class ``TestSequentialTTest``, which compares
``np.round(x, 5)``; ``packages/stats/tests/test_gbstats.py::TestAnalyzeMetricDfSequential``, 9 decimals).
Those tests feed sufficient statistics (n, sum, sum of squares; for CUPED also the covariate's and the sum
of products); here member-level frames with exactly those statistics go through ``analyze``. The
unrounded values in ``GBSTATS_HEAD`` are what that gbstats commit returns for the same inputs (run in a
scratch environment; absolute-lift variants included), checked to 1e-9.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from workbench.errors import ArgumentError
from workbench.experiments import (
    CovariateStats,
    SampleStats,
    analyze,
    confidence_sequence,
    cuped_sequential_test,
    pooled_theta,
    regression_adjusted,
    sequential_test,
    two_proportion_test,
    welch_test,
)

# --- frames with given sufficient statistics --------------------------------------------------------------


def _orthonormal(n: int, k: int, rng) -> np.ndarray:
    """``k`` orthonormal columns of length ``n``, each orthogonal to the constant vector."""
    q, _ = np.linalg.qr(np.column_stack([np.ones(n), rng.standard_normal((n, k))]))
    return q[:, 1:]


def _values(n, total, total_sq, rng, covariate=None):
    """``n`` values with the given sum and sum of squares; with ``covariate = (sum, sum_sq, sum_of_products)``
    also a covariate column with those statistics (and that sum of products with the values)."""
    u = _orthonormal(n, 2, rng)
    a0, a1 = total / n, math.sqrt(total_sq - total**2 / n)
    y = a0 + a1 * u[:, 0]
    if covariate is None:
        return y, None
    xs, xss, xy = covariate
    b0 = xs / n
    b1 = (xy - n * a0 * b0) / a1
    x = b0 + b1 * u[:, 0] + math.sqrt(xss - n * b0**2 - b1**2) * u[:, 1]
    return y, x


def _frame(control, treatment, rng, binary=False):
    """Control and treatment members: ``(n, sum, sum_sq[, (pre_sum, pre_sum_sq, sum_of_products)])`` each."""
    parts = []
    for name, spec in (("control", control), ("treatment", treatment)):
        n, total, total_sq, *cov = spec
        if binary:
            y, x = np.r_[np.ones(int(total)), np.zeros(n - int(total))], None
        else:
            y, x = _values(n, total, total_sq, rng, cov[0] if cov else None)
        part = pd.DataFrame({"arm": name, "y": y})
        if x is not None:
            part["pre"] = x
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    for spec, part in zip((control, treatment), parts, strict=True):
        n, total, total_sq, *cov = spec  # the frame has exactly the pinned statistics
        assert (len(part), part["y"].sum(), (part["y"] ** 2).sum()) == pytest.approx(
            (n, total, total_sq), rel=1e-12
        )
        if cov:
            got = (part["pre"].sum(), (part["pre"] ** 2).sum(), (part["y"] * part["pre"]).sum())
            assert got == pytest.approx(cov[0], rel=1e-9, abs=1e-9)
    return frame


MEANS = ((3000, 1396.87, 52377.9767), (3461, 2422.7, 134698.29))
PROPORTIONS = ((3000, 1396, 1396), (3461, 2422, 2422))
CUPED = (
    (3000, 1396.87, 52377.9767, (16.87, 527.9767, 1.0)),
    (3461, 2422.7, 134698.29, (22.7, 1348.29, 1.0)),
)
TEST_GBSTATS = ((100, 270, 848.79), (120, 300, 869))  # QUERY_OUTPUT dimension "one": variation 0 vs 1


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(12)
    return {
        "means": _frame(*MEANS, rng),
        "prop": _frame(*PROPORTIONS, rng, binary=True),
        "cuped": _frame(*CUPED, rng),
        "df": _frame(*TEST_GBSTATS, rng),
    }


def _seq(frames, case, n_star, **kw):
    kind = "binary" if case == "prop" else "continuous"
    covariate = "pre" if case == "cuped" else None
    res = analyze(frames[case], "arm", "control", {"y": kind}, covariate, sequential_tuning=n_star, **kw)
    assert len(res) == 1 and pd.isna(res["error"].iloc[0])
    return res.iloc[0]


# (test in gbstats' test_tests.py, case, N*, expected, ci low, ci high, p-value): relative lift, 5 decimals
GOLDEN = [
    ("test_sequential_test_runs", "means", 1000, 0.50336, -0.55844, 1.56516, 1.0),
    ("test_sequential_test_runs_prop", "prop", 5000, 0.50386, 0.40098, 0.60675, 0.0),
    ("test_sequential_test_runs_ra", "cuped", 5000, 0.50338, -0.50969, 1.51646, 1.0),
]


@pytest.mark.parametrize("name,case,n_star,expected,low,high,p", GOLDEN, ids=[g[0] for g in GOLDEN])
def test_gbstats_golden_values(frames, name, case, n_star, expected, low, high, p):
    row = _seq(frames, case, n_star)
    assert np.round(row["rel_lift"], 5) == expected
    assert (np.round(row["rel_ci_low"], 5), np.round(row["rel_ci_high"], 5)) == (low, high)
    assert np.round(row["rel_p_value"], 5) == p
    assert row["method"].startswith(f"always-valid confidence sequence (N*={n_star:,})")
    assert row["sequential_tuning"] == n_star


def test_gbstats_tuning_as_expected(frames):
    """test_sequential_test_tuning_as_expected: N* = 10 widest, N* = 6461 (= n_A + n_B) narrowest."""
    below, near, above = (_seq(frames, "means", n) for n in (10, 6461, 10000))
    for wide, narrow in ((below, above), (below, near), (above, near)):
        assert wide["rel_ci_low"] < narrow["rel_ci_low"] and wide["rel_ci_high"] > narrow["rel_ci_high"]


def test_gbstats_analyze_metric_df_sequential(frames):
    """test_gbstats.py::TestAnalyzeMetricDfSequential: N* = 600, 9 decimals; N* = 1 gives a lower bound."""
    row = _seq(frames, "df", 600)
    assert (row["mean_control"], row["mean_arm"]) == pytest.approx((2.7, 2.5), rel=1e-12)
    assert np.round(row["rel_lift"], 9) == -0.074074074
    assert np.round(row["rel_p_value"], 9) == 0.892332229
    assert np.round(row["rel_ci_low"], 9) == -0.233322085
    assert _seq(frames, "df", 1)["rel_ci_low"] < row["rel_ci_low"]


# gbstats @ 8f1db44, unrounded: (case, relative?, N*) -> (estimate, ci low, ci high, p-value)
GBSTATS_HEAD = {
    ("means", True, 1000): (0.5033610858562358, -0.5584405051077315, 1.5651626768202032, 1.0),
    ("means", False, 1000): (0.23437666666666668, -0.17908917909394972, 0.6478425124272831, 1.0),
    ("means", True, 5000): (0.5033610858562358, -0.5097177608556427, 1.5164399325681144, 1.0),
    ("means", False, 5000): (
        0.23437666666666668,
        -0.16011652842982782,
        0.6288698617631612,
        0.7601250075467714,
    ),
    ("means", True, 10): (0.5033610858562358, -0.7678482306106569, 1.7745704023231286, 1.0),
    ("means", True, 6461): (0.5033610858562358, -0.5086146655205721, 1.5153368372330438, 1.0),
    ("means", True, 10000): (0.5033610858562358, -0.5148453538427125, 1.5215675255551842, 0.9538458772232895),
    ("prop", True, 5000): (0.5038633516821496, 0.4009784966859415, 0.6067482066783576, 5.174716682839778e-44),
    ("prop", False, 5000): (
        0.23446441298276027,
        0.19804879693925878,
        0.2708800290262618,
        6.300128463364595e-76,
    ),
    ("cuped", True, 5000): (0.503383995601997, -0.509694174070741, 1.516462165274735, 1.0),
    ("cuped", False, 5000): (
        0.2343873339788538,
        -0.16010558651893275,
        0.6288802544766403,
        0.7600207129748536,
    ),
    ("df", True, 600): (-0.07407407407407414, -0.23332208516976455, 0.08517393702161626, 0.8923322285852282),
    ("df", True, 1): (-0.07407407407407414, -0.2599571391421548, 0.1118089909940065, 1.0),
}


@pytest.mark.parametrize("key", list(GBSTATS_HEAD), ids=["-".join(map(str, k)) for k in GBSTATS_HEAD])
def test_unrounded_gbstats_values(frames, key):
    case, relative, n_star = key
    row = _seq(frames, case, n_star)
    cols = ("rel_lift", "rel_ci_low", "rel_ci_high", "rel_p_value") if relative else (
        "abs_lift", "abs_ci_low", "abs_ci_high", "p_value"
    )  # fmt: skip
    assert [row[c] for c in cols] == pytest.approx(GBSTATS_HEAD[key], rel=1e-9, abs=1e-300)


# --- the formulas, written out ----------------------------------------------------------------------------


def test_confidence_sequence_is_eq_9_and_eq_155():
    """Waudby-Smith et al. eq. 9 (half-width), 155 (p-value), 161 (rho), written out here."""
    est, se, n, n_star, alpha = 0.8, 0.31, 4200.0, 5000.0, 0.05
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / n_star
    s2 = se**2 * n
    half = math.sqrt(s2) * math.sqrt(
        2 * (n * rho2 + 1) / (n**2 * rho2) * math.log(math.sqrt(n * rho2 + 1) / alpha)
    )
    e_value = math.exp(rho2 * (est**2 * n / se**2) / (2 * (n * rho2 + 1))) / math.sqrt(n * rho2 + 1)
    low, high, p = confidence_sequence(est, se, n, sequential_tuning=n_star, alpha=alpha)
    assert (low, high) == pytest.approx((est - half, est + half), rel=1e-13)
    assert p == pytest.approx(min(1.0, 1.0 / e_value), rel=1e-13)
    # the width depends on n and N* only through n / N*; smallest near n = N* (eq. 161 puts it at ~0.97 N*)
    assert confidence_sequence(est, se, 2 * n, sequential_tuning=2 * n_star)[0] == pytest.approx(
        low, rel=1e-12
    )
    widths = [confidence_sequence(0.0, 1.0, n, sequential_tuning=m)[1] for m in (1e3, 0.97 * n, 2e4)]
    assert widths[1] < min(widths[0], widths[2])


@pytest.mark.parametrize("alpha", [0.01, 0.05, 0.2])
@pytest.mark.parametrize("n", [40, 5000, 250_000])
def test_p_value_is_dual_to_the_interval(alpha, n):
    z = np.linspace(0.0, 8.0, 801)
    low, high, p = confidence_sequence(z, 1.0, n, sequential_tuning=5000, alpha=alpha)
    assert np.array_equal(p <= alpha, (low > 0) | (high < 0))
    boundary = confidence_sequence(0.0, 1.0, n, sequential_tuning=5000, alpha=alpha)[1]
    assert confidence_sequence(boundary, 1.0, n, sequential_tuning=5000, alpha=alpha)[2] == pytest.approx(
        alpha
    )
    assert boundary > stats.norm.ppf(1 - alpha / 2)  # always wider than the fixed z interval


def test_sequential_test_vectorised_equals_scalar(rng):
    y1, y0 = rng.exponential(2.0, (4, 300)), rng.exponential(2.2, (4, 280))
    vec = sequential_test(
        SampleStats(np.full(4, 300.0), y1.sum(1), (y1**2).sum(1)),
        SampleStats(np.full(4, 280.0), y0.sum(1), (y0**2).sum(1)),
        "continuous",
        sequential_tuning=1000,
    )
    for i in range(4):
        one = sequential_test(
            SampleStats.from_values(y1[i]),
            SampleStats.from_values(y0[i]),
            "continuous",
            sequential_tuning=1000,
        )
        assert one.abs_ci_low == pytest.approx(vec.abs_ci_low[i], rel=1e-12)
        assert one.rel_p_value == pytest.approx(vec.rel_p_value[i], rel=1e-12)
        # the estimate and standard error are Welch's
        welch = welch_test(SampleStats.from_values(y1[i]), SampleStats.from_values(y0[i]))
        assert (one.abs_lift, one.abs_se, one.rel_lift) == pytest.approx(
            (welch.abs_lift, welch.abs_se, welch.rel_lift)
        )


def test_cuped_against_plain_numpy(hillstrom):
    """Pooled theta and the adjusted difference computed here from the member rows."""
    sub = hillstrom[hillstrom["segment"].isin(["Mens E-Mail", "No E-Mail"])]
    res = analyze(sub, "segment", "No E-Mail", {"spend": "continuous"}, "history", sequential_tuning=40_000)
    row = res.iloc[0]
    y, x = sub["spend"].to_numpy(), sub["history"].to_numpy()
    treated = (sub["segment"] == "Mens E-Mail").to_numpy()
    theta = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    adj = y - theta * x
    diff = adj[treated].mean() - adj[~treated].mean()
    se = np.sqrt(adj[treated].var(ddof=1) / treated.sum() + adj[~treated].var(ddof=1) / (~treated).sum())
    low, high, p = confidence_sequence(diff, se, len(sub), sequential_tuning=40_000)
    assert (row["abs_lift"], row["abs_ci_low"], row["abs_ci_high"], row["p_value"]) == pytest.approx(
        (diff, low, high, p), rel=1e-9
    )
    raw_se = np.sqrt(y[treated].var(ddof=1) / treated.sum() + y[~treated].var(ddof=1) / (~treated).sum())
    assert row["variance_reduction"] == pytest.approx(1 - se**2 / raw_se**2, rel=1e-9)
    assert row["method"].endswith("CUPED (pooled theta) on history")
    # the estimate agrees with OLS y ~ arm + covariate (a within-arm slope) to a small share of its SE
    ols = regression_adjusted(y, treated.astype(float), x)
    assert abs(ols["abs_lift"] - diff) < 0.01 * se and ols["abs_se"] == pytest.approx(se, rel=1e-3)


def test_pooled_theta_binary_uses_n_denominators(rng):
    y = (rng.random(500) < 0.3).astype(float)
    x = y * 2 + rng.normal(size=500)
    a, c = CovariateStats.from_values(y[:250], x[:250]), CovariateStats.from_values(y[250:], x[250:])
    assert pooled_theta(a, c, "binary") == pytest.approx(np.cov(y, x, ddof=0)[0, 1] / np.var(x), rel=1e-12)
    flat = CovariateStats.from_values(y[:250], np.ones(250))
    assert pooled_theta(flat, CovariateStats.from_values(y[250:], np.ones(250)), "continuous") == 0.0
    assert cuped_sequential_test(flat, flat, "binary", sequential_tuning=500).variance_reduction == 0.0


# --- analyze: None unchanged, sequential never narrower ------------------------------------------------------

DEMO_METRICS = {"converted": "binary", "orders": "continuous", "revenue": "continuous"}


@pytest.mark.parametrize("covariate", [None, "pre_spend"])
def test_fixed_horizon_unchanged_bit_for_bit(demo, covariate):
    """sequential_tuning=None is today's analysis: the fixed-horizon tests' numbers, exactly."""
    c = demo.campaign
    default = analyze(c, "arm", "control", DEMO_METRICS, covariate)
    explicit = analyze(c, "arm", "control", DEMO_METRICS, covariate, sequential_tuning=None)
    pd.testing.assert_frame_equal(default, explicit, check_exact=True)
    assert "rel_p_value" not in default and "sequential_tuning" not in default
    for _, row in default.iterrows():
        sel = c["arm"].isin([row["arm"], "control"]).to_numpy()
        y, treated = c.loc[sel, row["metric"]].to_numpy(float), (c.loc[sel, "arm"] == row["arm"]).to_numpy()
        a, b = SampleStats.from_values(y[treated]), SampleStats.from_values(y[~treated])
        eff = (two_proportion_test if row["kind"] == "binary" else welch_test)(a, b)
        expected = eff.row()
        if covariate:
            adj = regression_adjusted(y, treated.astype(float), c.loc[sel, covariate].to_numpy(float))
            expected = {
                **expected,
                **{k: adj[k] for k in ("abs_lift", "abs_ci_low", "abs_ci_high", "p_value")},
            }
            assert row["method"] == f"OLS HC1 adjusted for {covariate}"
        for key in ("abs_lift", "abs_ci_low", "abs_ci_high", "p_value"):
            assert row[key] == pytest.approx(expected[key], rel=1e-12, abs=1e-300)


def _random_campaign(rng) -> tuple[pd.DataFrame, float, float]:
    arms = ["control", "b", "c"][: rng.integers(2, 4)]
    sizes = rng.integers(20, 3000, len(arms))
    arm = np.repeat(arms, sizes)
    n = len(arm)
    pre = rng.lognormal(rng.normal(5, 1), rng.uniform(0.3, 1.8), n) * (rng.random(n) < rng.uniform(0.3, 1))
    scale = rng.uniform(0.2, 3.0, len(arms))[np.repeat(np.arange(len(arms)), sizes)]  # heteroskedastic arms
    spend = np.maximum(0, rng.uniform(0, 1) * pre + scale * rng.lognormal(4, 1.2, n) * (rng.random(n) < 0.4))
    frame = pd.DataFrame({"arm": arm, "spend": spend, "bought": (spend > 0).astype(int), "pre": pre})
    return frame, float(rng.choice([0.01, 0.05, 0.1, 0.2])), float(n * rng.uniform(0.05, 20))


def test_sequential_never_narrower_than_fixed_horizon():
    """Random campaigns (2-3 arms of 20-3,000 members, heavy tails, zeros, unequal variances), every metric
    kind, with and without the covariate, alpha 1-20%, N* from 1/20 to 20 times the size."""
    rng = np.random.default_rng(2026)
    metrics = {"spend": "continuous", "bought": "binary"}
    checked = 0
    for _ in range(120):
        frame, alpha, n_star = _random_campaign(rng)
        for covariate in (None, "pre"):
            common = {"alpha": alpha, "correction": "none"}  # (statsmodels' Holm runs gc.collect() each call)
            fixed = analyze(frame, "arm", "control", metrics, covariate, **common)
            seq = analyze(frame, "arm", "control", metrics, covariate, **common, sequential_tuning=n_star)
            ok = fixed["error"].isna().to_numpy() & seq["error"].isna().to_numpy()
            for part in ("abs", "rel"):
                f_lo, f_hi = fixed[f"{part}_ci_low"].to_numpy()[ok], fixed[f"{part}_ci_high"].to_numpy()[ok]
                s_lo, s_hi = seq[f"{part}_ci_low"].to_numpy()[ok], seq[f"{part}_ci_high"].to_numpy()[ok]
                assert np.all(s_hi - s_lo >= f_hi - f_lo)
                if covariate is None:  # same estimate: the always-valid interval contains the fixed one
                    assert np.all((s_lo <= f_lo) & (s_hi >= f_hi))
            checked += int(ok.sum())
    assert checked > 400


def test_tiny_arms_welch_quantile_floor():
    """Where the Welch t quantile (2 members a side: 2 degrees of freedom, 4.30) exceeds the sequence's
    factor (3.035 at n = N*), the interval is Welch's and the p-value not below Welch's."""
    frame = pd.DataFrame({"arm": ["control"] * 2 + ["t"] * 2, "y": [1.0, 2.0, 2.0, 3.0]})
    fixed = analyze(frame, "arm", "control", {"y": "continuous"}).iloc[0]
    seq = analyze(frame, "arm", "control", {"y": "continuous"}, sequential_tuning=4).iloc[0]
    assert stats.t.ppf(0.975, 2) > confidence_sequence(0.0, 1.0, 4, sequential_tuning=4)[1]
    assert (seq["abs_ci_low"], seq["abs_ci_high"]) == pytest.approx(
        (fixed["abs_ci_low"], fixed["abs_ci_high"])
    )
    assert seq["p_value"] >= fixed["p_value"]


def test_degenerate_inputs_follow_the_fixed_conventions():
    frame = pd.DataFrame({"arm": ["control"] * 4 + ["t"] * 4, "y": [0.0] * 8, "z": [0, 0, 0, 0, 1, 0, 1, 1]})
    res = analyze(frame, "arm", "control", {"y": "continuous", "z": "binary"}, sequential_tuning=100)
    y, z = res.iloc[0], res.iloc[1]
    assert np.isnan(y["p_value"]) and y["error"].startswith("zero_variance") and y["abs_ci_low"] == 0.0
    assert np.isnan(z["rel_lift"]) and np.isnan(z["rel_p_value"])  # the control mean is 0
    assert z["p_value"] < 1 and pd.isna(z["error"])


def test_bad_tuning_rejected(demo):
    for bad in (0, -5, float("nan"), float("inf"), True, "5000"):
        with pytest.raises(
            ArgumentError, match=r"analyze: sequential_tuning must be a positive number .*; got"
        ):
            analyze(demo.campaign, "arm", "control", DEMO_METRICS, sequential_tuning=bad)
    with pytest.raises(
        ArgumentError, match="sequential_test: kind must be 'binary' or 'continuous'; got 'money'"
    ):
        sequential_test(SampleStats(3, 1, 1), SampleStats(3, 1, 1), "money", sequential_tuning=10)
    with pytest.raises(ArgumentError, match=r"CovariateStats.from_values: .* got shapes \(3,\) and \(2,\)"):
        CovariateStats.from_values([1, 2, 3], [1, 2])


# --- A/A simulation: six monthly looks --------------------------------------------------------------------

LOOKS, ALPHA = 6, 0.05


def _rates(fixed_p: np.ndarray, seq: tuple) -> dict:
    low, high, p = seq
    assert np.array_equal(p <= ALPHA, (low > 0) | (high < 0))  # reject <=> the interval excludes 0
    return {
        "fixed, final look": float(np.mean(fixed_p[:, -1] < ALPHA)),
        "fixed, any look": float(np.mean((fixed_p < ALPHA).any(axis=1))),
        "always-valid, any look": float(np.mean((p <= ALPHA).any(axis=1))),
    }


def _run_looks(stats_a, stats_b, kind, n_star):
    test = two_proportion_test if kind == "binary" else welch_test
    a, b = (SampleStats(*(np.asarray(f) for f in s)) for s in (stats_a, stats_b))
    fixed = test(a, b, ALPHA)
    seq = sequential_test(a, b, kind, sequential_tuning=n_star, alpha=ALPHA)
    return _rates(fixed.p_value, (seq.abs_ci_low, seq.abs_ci_high, seq.p_value))


def _report(design, rates, **about):
    print(f"\nA/A {design} ({', '.join(f'{k}={v}' for k, v in about.items())}):")
    for metric, r in rates.items():
        print(f"  {metric}: " + ", ".join(f"{k} {v:.1%}" for k, v in r.items()))


def _check(rates, inflated: float):
    for r in rates.values():
        assert 0.035 <= r["fixed, final look"] <= 0.065  # each look alone is a correct 5% test
        assert r["fixed, any look"] > inflated  # acting on the first "significant" month
        assert r["always-valid, any look"] <= 0.05


def test_aa_rolling_enrolment_six_monthly_looks(population):
    """4,000 A/A campaigns enrolling 400 members per arm each month (demo control revenue as the outcome,
    bought = revenue > 0), looked at after every month; N* = the planned 4,800."""
    campaigns, per_month, seed = 4000, 400, 20261201
    rng = np.random.default_rng(seed)
    n = np.broadcast_to(per_month * np.arange(1.0, LOOKS + 1), (campaigns, LOOKS))
    sums = {}  # (arm, metric) -> cumulative (sum, sum of squares), each (campaigns, looks)
    for arm in "ab":
        y = [population[rng.integers(0, len(population), (campaigns, per_month))] for _ in range(LOOKS)]
        for metric, monthly in (("spend", y), ("bought", [(v > 0).astype(float) for v in y])):
            total = np.cumsum(np.column_stack([v.sum(1) for v in monthly]), axis=1)
            total_sq = np.cumsum(np.column_stack([(v * v).sum(1) for v in monthly]), axis=1)
            sums[arm, metric] = (total, total_sq)
    n_star = 2 * LOOKS * per_month
    rates = {
        metric: _run_looks((n, *sums["a", metric]), (n, *sums["b", metric]), kind, n_star)
        for metric, kind in (("spend", "continuous"), ("bought", "binary"))
    }
    _report(
        "rolling enrolment", rates, campaigns=campaigns, seed=seed, per_arm_month=per_month, n_star=n_star
    )
    _check(rates, inflated=0.12)  # independent increments: ~15.5% for 6 equally spaced looks


def test_aa_fixed_cohort_six_monthly_looks(demo):
    """2,000 A/A campaigns of 1,000 members per arm, all assigned at the start, outcomes accumulating: look k
    is each member's spend (and whether they bought) over the first k months. Members' real monthly paths
    from the demo log (March-August 2026, before the demo's campaign), resampled; N* = 2,000."""
    tx = demo.transactions
    tx = tx[(tx["amount"] >= 0) & (tx["ordered_at"] >= "2026-03-01") & (tx["ordered_at"] < "2026-09-01")]
    monthly = (
        tx.assign(month=tx["ordered_at"].dt.month)
        .pivot_table(index="member_id", columns="month", values="amount", aggfunc="sum", fill_value=0.0)
        .reindex(demo.campaign["member_id"], fill_value=0.0)
        .to_numpy()
    )
    paths = {"spend": np.cumsum(monthly, axis=1), "bought": (np.cumsum(monthly, axis=1) > 0).astype(float)}
    assert paths["spend"].shape[1] == LOOKS
    campaigns, n, seed = 2000, 1000, 20261202
    rng = np.random.default_rng(seed)
    idx = {arm: rng.integers(0, len(monthly), (campaigns, n)) for arm in "ab"}
    rates = {}
    for metric, kind in (("spend", "continuous"), ("bought", "binary")):
        per_arm = []
        for arm in "ab":
            v = paths[metric][idx[arm]]  # (campaigns, n, looks)
            per_arm.append((np.full((campaigns, LOOKS), float(n)), v.sum(1), (v * v).sum(1)))
        rates[metric] = _run_looks(*per_arm, kind, 2 * n)
    _report("fixed cohort", rates, campaigns=campaigns, seed=seed, per_arm=n, n_star=2 * n)
    _check(rates, inflated=0.08)  # a member's months are correlated, so less inflation than above
