"""workbench.experiments.analysis on the real Hillstrom e-mail experiment, against published figures and
an independent statsmodels/scipy computation written here; error handling."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from kit import HILLSTROM_ARMS as ARMS
from kit import HILLSTROM_CONTROL as CONTROL
from kit import HILLSTROM_METRICS as METRICS
from kit import hillstrom_row as _row
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from workbench.experiments import analyze, srm_check


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


@pytest.mark.parametrize("constant_covariate", [False, True], ids=["covariate", "constant"])
def test_regression_adjusted_closed_form_equals_statsmodels_ols(constant_covariate):
    """The closed-form OLS + HC1 of ``regression_adjusted`` against statsmodels' OLS on the same design
    (``y ~ 0 + control + treated + centred x``), on skewed spend with money-sized covariates; a constant
    covariate (a singular design) is solved as statsmodels' pseudo-inverse solves it."""
    from statsmodels.regression.linear_model import OLS

    from workbench.experiments import regression_adjusted

    rng = np.random.default_rng(7)
    n = 20_000
    t = (rng.random(n) < 0.4).astype(float)
    x = np.full(n, 1234.5) if constant_covariate else rng.gamma(0.7, 20_000.0, n)
    y = rng.gamma(0.5, 800.0, n) * (rng.random(n) < 0.3) + 0.05 * x + 40.0 * t
    ours = regression_adjusted(y, t, x)
    xc = np.zeros(n) if constant_covariate else x - x.mean()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' warning about the singular design of the constant case
        fit = OLS(y, np.column_stack([1 - t, t, xc]), hasconst=True).fit(cov_type="HC1")
    b, v = fit.params, fit.cov_params()
    se = np.sqrt(v[0, 0] + v[1, 1] - 2 * v[0, 1])
    assert ours["abs_lift"] == pytest.approx(b[1] - b[0], rel=1e-10)
    assert ours["abs_se"] == pytest.approx(se, rel=1e-10)
    assert ours["slope"] == pytest.approx(b[2], rel=1e-9, abs=1e-12)
    assert ours["p_value"] == pytest.approx(2 * stats.norm.sf(abs((b[1] - b[0]) / se)), rel=1e-8)
    if constant_covariate:
        assert abs(ours["variance_reduction"]) < 1e-3  # nothing to adjust for: HC1 vs Welch factors only
    else:
        assert ours["variance_reduction"] > 0.5  # the covariate explains most of the spend
