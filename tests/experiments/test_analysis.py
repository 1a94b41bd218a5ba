"""workbench.experiments on the real Hillstrom e-mail experiment, against published figures and an
independent statsmodels/scipy computation written here; error handling; outcomes from the log."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from workbench.experiments import (
    SampleStats,
    adjust_pvalues,
    analyze,
    campaign_outcomes,
    segment_effects,
    srm_check,
    welch_test,
)

CONTROL = "No E-Mail"
ARMS = ("Mens E-Mail", "Womens E-Mail")
METRICS = {"visit": "binary", "conversion": "binary", "spend": "continuous"}


@pytest.fixture(scope="module")
def hillstrom(hillstrom_path) -> pd.DataFrame:
    return pd.read_csv(hillstrom_path)


@pytest.fixture(scope="module")
def result(hillstrom) -> pd.DataFrame:
    return analyze(hillstrom, "segment", CONTROL, METRICS)


def _row(result, arm, metric):
    r = result[(result["arm"] == arm) & (result["metric"] == metric)]
    assert len(r) == 1
    return r.iloc[0]


def test_published_hillstrom_figures(hillstrom, result):
    # README / ybenjo/cibook_by_python ch1.py: Mens 21,307 rows, conv 0.012531, spend 1.422617;
    # control 21,306 rows, conv 0.005726, spend 0.652789
    conv = _row(result, "Mens E-Mail", "conversion")
    spend = _row(result, "Mens E-Mail", "spend")
    assert (conv["n_arm"], conv["n_control"]) == (21307, 21306)
    assert conv["mean_arm"] == pytest.approx(0.012531, abs=5e-7)
    assert conv["mean_control"] == pytest.approx(0.005726, abs=5e-7)
    assert spend["mean_arm"] == pytest.approx(1.422617, abs=5e-7)
    assert spend["mean_control"] == pytest.approx(0.652789, abs=5e-7)
    assert _row(result, "Womens E-Mail", "conversion")["n_arm"] == 21387
    # README: chi-square against 1/3 each, p = 0.90
    counts = hillstrom["segment"].value_counts()[[CONTROL, *ARMS]].to_numpy()
    assert round(srm_check(counts, [1 / 3] * 3), 2) == 0.90


def test_result_columns(result):
    expected = [
        "arm", "metric", "n_arm", "n_control", "mean_arm", "mean_control", "abs_lift", "abs_ci_low", "abs_ci_high",
        "rel_lift", "rel_ci_low", "rel_ci_high", "p_value", "method",
    ]  # fmt: skip
    assert set(expected) <= set(result.columns)
    assert len(result) == len(ARMS) * len(METRICS)
    assert result["error"].isna().all()


@pytest.mark.parametrize("arm", ARMS)
@pytest.mark.parametrize("metric", ["visit", "conversion"])
def test_binary_matches_statsmodels(hillstrom, result, arm, metric):
    y1 = hillstrom.loc[hillstrom["segment"] == arm, metric].to_numpy()
    y0 = hillstrom.loc[hillstrom["segment"] == CONTROL, metric].to_numpy()
    row = _row(result, arm, metric)
    assert row["abs_lift"] == pytest.approx(y1.mean() - y0.mean(), rel=1e-12)
    # pooled z-test p-value
    _, p = proportions_ztest([y1.sum(), y0.sum()], [len(y1), len(y0)])
    assert row["p_value"] == pytest.approx(p, rel=1e-9, abs=1e-300)
    # unpooled Wald CI for the difference
    lo, hi = confint_proportions_2indep(y1.sum(), len(y1), y0.sum(), len(y0), method="wald", compare="diff")
    assert (row["abs_ci_low"], row["abs_ci_high"]) == pytest.approx((lo, hi), rel=1e-9)
    assert row["method"].startswith("z-test")


@pytest.mark.parametrize("arm", ARMS)
def test_continuous_matches_welch(hillstrom, result, arm):
    y1 = hillstrom.loc[hillstrom["segment"] == arm, "spend"].to_numpy()
    y0 = hillstrom.loc[hillstrom["segment"] == CONTROL, "spend"].to_numpy()
    row = _row(result, arm, "spend")
    t = stats.ttest_ind(y1, y0, equal_var=False)
    assert row["p_value"] == pytest.approx(t.pvalue, rel=1e-9)
    lo, hi = CompareMeans(DescrStatsW(y1), DescrStatsW(y0)).tconfint_diff(usevar="unequal")
    assert (row["abs_ci_low"], row["abs_ci_high"]) == pytest.approx((lo, hi), rel=1e-9)
    # delta-method relative CI, written out: Var(m1/m0) ~ v1/m0^2 + m1^2 v0/m0^4
    m1, m0 = y1.mean(), y0.mean()
    v1, v0 = y1.var(ddof=1) / len(y1), y0.var(ddof=1) / len(y0)
    se = np.sqrt(v1 / m0**2 + m1**2 * v0 / m0**4)
    z = stats.norm.ppf(0.975)
    assert row["rel_lift"] == pytest.approx(m1 / m0 - 1, rel=1e-12)
    assert (row["rel_ci_low"], row["rel_ci_high"]) == pytest.approx(
        (m1 / m0 - 1 - z * se, m1 / m0 - 1 + z * se), rel=1e-9
    )


def test_regression_adjusted_matches_statsmodels_ols_hc1(hillstrom):
    res = analyze(
        hillstrom, "segment", CONTROL, {"spend": "continuous", "visit": "binary"}, covariate="history"
    )
    for arm in ARMS:
        sub = hillstrom[hillstrom["segment"].isin([arm, CONTROL])].assign(
            treat=lambda d, arm=arm: (d["segment"] == arm).astype(float)
        )
        for metric in ("spend", "visit"):
            fit = smf.ols(f"{metric} ~ treat + history", data=sub).fit(cov_type="HC1")
            row = _row(res, arm, metric)
            assert row["abs_lift"] == pytest.approx(fit.params["treat"], rel=1e-9)
            lo, hi = fit.conf_int().loc["treat"]
            assert (row["abs_ci_low"], row["abs_ci_high"]) == pytest.approx((lo, hi), rel=1e-9)
            assert row["p_value"] == pytest.approx(fit.pvalues["treat"], rel=1e-6)
            raw = smf.ols(f"{metric} ~ treat", data=sub).fit(cov_type="HC1")
            # HC1 on the unadjusted model differs from Welch only by n/(n-2) vs per-arm n-1 factors
            vr = 1 - fit.bse["treat"] ** 2 / raw.bse["treat"] ** 2
            assert row["variance_reduction"] == pytest.approx(vr, abs=2e-4)
            assert row["unadjusted_lift"] == pytest.approx(raw.params["treat"], rel=1e-9)
            assert row["method"] == "OLS HC1 adjusted for history"
            # relative lift: adjusted arm mean / adjusted control mean - 1, delta method with their covariance
            cell = sub.assign(ctrl=1 - sub["treat"], hc=sub["history"] - sub["history"].mean())
            means = smf.ols(f"{metric} ~ 0 + ctrl + treat + hc", data=cell).fit(cov_type="HC1")
            b0, b1 = means.params["ctrl"], means.params["treat"]
            v = means.cov_params()
            grad = np.array([-b1 / b0**2, 1 / b0])
            se = np.sqrt(grad @ v.loc[["ctrl", "treat"], ["ctrl", "treat"]].to_numpy() @ grad)
            z = stats.norm.ppf(0.975)
            assert row["rel_lift"] == pytest.approx(b1 / b0 - 1, rel=1e-9)
            assert (row["rel_ci_low"], row["rel_ci_high"]) == pytest.approx(
                (b1 / b0 - 1 - z * se, b1 / b0 - 1 + z * se), rel=1e-9
            )


def test_segment_effects_and_interaction_match_saturated_ols(hillstrom):
    seg = segment_effects(hillstrom, "segment", CONTROL, {"spend": "continuous"}, "zip_code")
    assert len(seg) == 2 * 3
    for arm in ARMS:
        sub = hillstrom[hillstrom["segment"].isin([arm, CONTROL])].assign(
            treat=lambda d, arm=arm: (d["segment"] == arm).astype(float)
        )
        fit = smf.ols("spend ~ C(zip_code) * treat", data=sub).fit(cov_type="HC1")
        names = [n for n in fit.params.index if ":treat" in n]
        wald = fit.wald_test(", ".join(f"{n} = 0" for n in names), scalar=True)
        rows = seg[seg["arm"] == arm]
        assert rows["interaction_p"].iloc[0] == pytest.approx(float(wald.pvalue), rel=1e-6)
        for level in ("Rural", "Urban"):
            y = sub.loc[sub["zip_code"] == level]
            t = stats.ttest_ind(y.loc[y.treat == 1, "spend"], y.loc[y.treat == 0, "spend"], equal_var=False)
            assert rows.loc[rows["segment"] == level, "p_value"].iloc[0] == pytest.approx(t.pvalue, rel=1e-9)
    assert seg["p_adjusted"].to_numpy() == pytest.approx(multipletests(seg["p_value"], method="holm")[1])


def test_holm_and_bh_adjustment(result):
    p = result["p_value"].to_numpy()
    assert result["p_adjusted"].to_numpy() == pytest.approx(multipletests(p, method="holm")[1])
    assert adjust_pvalues([0.01, np.nan, 0.04], "fdr_bh") == pytest.approx([0.02, np.nan, 0.04], nan_ok=True)


def test_vectorised_sufficient_statistics_equal_scalar(rng):
    y1, y0 = rng.exponential(2.0, (5, 300)), rng.exponential(2.2, (5, 280))
    vec = welch_test(
        SampleStats(np.full(5, 300.0), y1.sum(1), (y1**2).sum(1)),
        SampleStats(np.full(5, 280.0), y0.sum(1), (y0**2).sum(1)),
    )
    for i in range(5):
        assert vec.p_value[i] == pytest.approx(
            stats.ttest_ind(y1[i], y0[i], equal_var=False).pvalue, rel=1e-9
        )


def test_srm_detects_mismatch():
    assert srm_check([5000, 5300], [0.5, 0.5]) < 0.01
    assert srm_check([5000, 5000], [0.5, 0.5]) == pytest.approx(1.0)
    assert srm_check([2000, 1000, 1000], [2, 1, 1]) == pytest.approx(1.0)  # shares are normalised
    with pytest.raises(ValueError, match="srm_check: expected_shares must be positive"):
        srm_check([10, 10], [0.5, 0.0])
    with pytest.raises(ValueError, match="same length"):
        srm_check([10, 10, 10], [0.5, 0.5])


def test_data_problem_in_one_metric_keeps_the_rest(hillstrom):
    frame = hillstrom.assign(
        bad_spend=hillstrom["spend"].where(hillstrom.index != 7), label=hillstrom["channel"]
    )
    metrics = {
        "spend": "continuous",
        "bad_spend": "continuous",
        "history": "binary",
        "label": "continuous",
        "nope": "binary",
    }
    res = analyze(frame, "segment", CONTROL, metrics)
    errors = res.groupby("metric")["error"].first()
    assert errors["bad_spend"].startswith("missing_values: 1 row") and "[7]" in errors["bad_spend"]
    assert errors["history"].startswith("not_binary")
    assert errors["label"].startswith("not_numeric")
    assert errors["nope"].startswith("missing_column")
    assert pd.isna(errors["spend"])
    assert res.loc[res["metric"] == "spend", "p_value"].notna().all()


def test_bad_settings_raise(hillstrom):
    with pytest.raises(ValueError, match="control arm 'Nobody' not among the arms"):
        analyze(hillstrom, "segment", "Nobody", METRICS)
    with pytest.raises(ValueError, match="metric 'spend' has kind 'money'; allowed"):
        analyze(hillstrom, "segment", CONTROL, {"spend": "money"})
    with pytest.raises(ValueError, match="alpha must be in"):
        analyze(hillstrom, "segment", CONTROL, METRICS, alpha=5)
    with pytest.raises(ValueError, match="arm column 'group'"):
        analyze(hillstrom, "group", CONTROL, METRICS)
    with pytest.raises(ValueError, match="analyze: column 'pre' not in the frame"):
        analyze(hillstrom, "segment", CONTROL, METRICS, covariate="pre")


def test_campaign_outcomes_reproduce_demo_table(demo):
    c = demo.campaign
    truth = demo.truth["campaign"]
    out = campaign_outcomes(demo.transactions, c[["member_id", "arm"]], truth["start"], truth["end"])
    assert out["member_id"].tolist() == c["member_id"].tolist()
    for col in ("orders", "converted", "revenue"):
        np.testing.assert_array_equal(out[col].to_numpy(), c[col].to_numpy(), err_msg=col)
    assert out["revenue"].sum() > 0
    # the window is inclusive of its end date: a purchase late on the last day counts
    tx = demo.transactions
    late = pd.DataFrame(
        {
            "member_id": [c["member_id"].iloc[0]],
            "ordered_at": [pd.Timestamp(truth["end"]) + pd.Timedelta(hours=23)],
            "amount": [100.0],
        }
    )
    more = campaign_outcomes(
        pd.concat([tx[["member_id", "ordered_at", "amount"]], late]),
        c[["member_id"]],
        truth["start"],
        truth["end"],
    )
    assert more["revenue"].iloc[0] == c["revenue"].iloc[0] + 100.0
    with pytest.raises(ValueError, match="campaign_outcomes: transactions is missing column"):
        campaign_outcomes(tx.drop(columns="amount"), c, truth["start"], truth["end"])


def test_campaign_outcomes_rows_without_order_id(demo):
    """A purchase row without an order id is an order of its own: the member converted."""
    c = demo.campaign
    truth = demo.truth["campaign"]
    tx = demo.transactions.copy()
    in_window = (tx["ordered_at"] >= truth["start"]) & (
        tx["ordered_at"] < pd.Timestamp(truth["end"]) + pd.Timedelta(days=1)
    )
    buyer = tx.loc[in_window & (tx["amount"] > 0), "member_id"].iloc[0]
    mine = in_window & (tx["member_id"] == buyer) & (tx["amount"] >= 0)
    tx["order_id"] = tx["order_id"].where(~mine, None)
    out = campaign_outcomes(tx, c[["member_id", "arm"]], truth["start"], truth["end"]).set_index("member_id")
    assert out.at[buyer, "orders"] == int(mine.sum())
    assert out.at[buyer, "converted"] == 1


def test_bootstrap_revenue_ci_on_hillstrom_agrees_with_welch(hillstrom, result):
    """99% zeros and a long tail: the percentile bootstrap of the spend lift should still be close to the
    Welch interval at n ~ 21,000 per arm (within 10% of its width), and the capped version narrower."""
    from workbench.experiments import campaign_economics

    eco = campaign_economics(
        hillstrom, "segment", CONTROL, margin=0.5, revenue="spend", discount_cost=None, gift_cost=None,
        policy_by="history", policy_steps=5, cap_quantile=0.999, resamples=2000, policy_resamples=200, seed=11,
    )  # fmt: skip
    boot = eco.revenue_bootstrap.set_index(["arm", "variant"])
    for arm in ARMS:
        welch = _row(result, arm, "spend")
        width = welch["abs_ci_high"] - welch["abs_ci_low"]
        b = boot.loc[(arm, "uncapped")]
        assert b["abs_lift"] == pytest.approx(welch["abs_lift"], rel=1e-9)
        assert b["abs_ci_low"] == pytest.approx(welch["abs_ci_low"], abs=0.1 * width)
        assert b["abs_ci_high"] == pytest.approx(welch["abs_ci_high"], abs=0.1 * width)
        c = boot.loc[(arm, "capped")]
        assert c["abs_ci_high"] - c["abs_ci_low"] < b["abs_ci_high"] - b["abs_ci_low"]
    # no costs: profit = margin x revenue, so the full-population policy value is 1,000 x margin x lift
    pol = eco.policy[np.isclose(eco.policy["share"], 1.0)].set_index("arm")["value_per_1000"]
    for arm in ARMS:
        assert pol[arm] == pytest.approx(1000 * 0.5 * _row(result, arm, "spend")["abs_lift"], rel=1e-9)
