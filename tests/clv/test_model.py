"""workbench.clv.model (CLVModel, fit_clv): predictions against lifetimes, CLV, time units, the
frequency/recency matrix, non-finite results (fixtures in tests/conftest.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from kit import lifetimes_quietly as _lifetimes

from workbench import clv as wc
from workbench.summary import member_summary


def test_cdnow_expected_purchases_of_the_paper_customer(cdnow_models):
    one = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
    assert cdnow_models["bgnbd"].expected_purchases(one, 39.0).iloc[0] == pytest.approx(1.226, abs=5e-4)


@pytest.mark.parametrize("model", ["bgnbd", "pareto_nbd", "mbgnbd"])
def test_predictions_equal_lifetimes(cdnow_models, cdnow_cal, model):
    fitted = cdnow_models[model]
    f = fitted.purchase_fitter
    x, r, T = cdnow_cal["frequency"], cdnow_cal["recency"], cdnow_cal["T"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_alive = np.asarray(
            f.conditional_probability_alive(x.to_numpy(), r.to_numpy(), T.to_numpy()), dtype=float
        )
        ref_exp = np.asarray(
            f.conditional_expected_number_of_purchases_up_to_time(26.0, x, r, T), dtype=float
        )
        ref_unc = np.asarray(
            f.expected_number_of_purchases_up_to_time(np.array([1.0, 10.0, 52.0])), dtype=float
        )
    np.testing.assert_allclose(fitted.prob_alive(cdnow_cal).to_numpy(), ref_alive, rtol=1e-9)
    np.testing.assert_allclose(fitted.expected_purchases(cdnow_cal, 26.0).to_numpy(), ref_exp, rtol=1e-9)
    np.testing.assert_allclose(fitted.expected_repeat_purchases([1.0, 10.0, 52.0]), ref_unc, rtol=1e-9)


def test_clv_equals_lifetimes_customer_lifetime_value(demo_model, demo_summary):
    s = demo_summary
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = demo_model.spend_fitter.customer_lifetime_value(
            demo_model.purchase_fitter,
            s["frequency"],
            s["recency"],
            s["T"],
            s["monetary_value"],
            time=6,
            discount_rate=0.02,
            freq="D",
        )
        ref_aov = demo_model.spend_fitter.conditional_expected_average_profit(
            s["frequency"], s["monetary_value"]
        )
    ours = demo_model.predict(s, 6, discount_rate_monthly=0.02, periods_per_month=30)
    np.testing.assert_allclose(ours["clv"].to_numpy(), ref.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(ours["expected_order_value"].to_numpy(), ref_aov.to_numpy(), rtol=1e-12)
    margin = demo_model.predict(s, 6, discount_rate_monthly=0.02, gross_margin=0.45, periods_per_month=30)
    np.testing.assert_allclose(margin["clv"].to_numpy(), 0.45 * ref.to_numpy(), rtol=1e-8)


def test_predict_columns_and_horizons(demo_model, demo_summary):
    pred = demo_model.predict(demo_summary, 12, discount_rate_monthly=0.01, gross_margin=0.45)
    assert pred.columns.tolist() == ["prob_alive", "expected_purchases", "expected_order_value", "clv"]
    assert pred.index.equals(demo_summary.index)
    assert pred["prob_alive"].between(0, 1).all() and (pred["clv"] >= 0).all()
    np.testing.assert_allclose(
        pred["expected_purchases"], demo_model.expected_purchases(demo_summary, months=12), rtol=1e-12
    )
    # no discount, full margin: CLV = expected order value x expected purchases
    flat = demo_model.predict(demo_summary, 12, discount_rate_monthly=0.0)
    np.testing.assert_allclose(
        flat["clv"], flat["expected_order_value"] * flat["expected_purchases"], rtol=1e-10
    )
    assert demo_model.periods(12) == pytest.approx(365.25)
    with pytest.raises(ValueError, match="gross_margin must be in \\[0, 1\\], got 45"):
        demo_model.predict(demo_summary, 12, gross_margin=45)


def test_monthly_time_unit(demo):
    """Months are calendar months (the summary's freq='M', which lifetimes cannot do): horizons in months are
    model periods, and the fit and predictions agree with plain lifetimes on the same monthly summary.

    (On the demo, monthly BG/NBD over-predicts a year of holdout purchase-months by about a quarter: a
    purchase month caps frequent buyers at one purchase a month, which the Poisson model does not know.
    Days or weeks are the better clock for a brand with frequent buyers.)"""
    monthly = member_summary(demo.transactions, "2026-08-31", freq="M")
    assert (monthly["T"] % 1 == 0).all() and monthly["T"].max() == 33  # Nov 2023 .. Aug 2026
    model = wc.fit_clv(monthly, time_unit="M")
    assert model.periods(12) == 12
    lt = _lifetimes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = lt.BetaGeoFitter().fit(monthly["frequency"], monthly["recency"], monthly["T"])
        ref_12 = ref.conditional_expected_number_of_purchases_up_to_time(
            12, monthly["frequency"], monthly["recency"], monthly["T"]
        )
    for name, value in ref.params_.items():
        assert model.purchase_params[name] == pytest.approx(value, rel=1e-4), name
    np.testing.assert_allclose(model.expected_purchases(monthly, months=12), ref_12, rtol=1e-3)


def test_frequency_recency_matrix(demo_model):
    mat = demo_model.frequency_recency_matrix("prob_alive", max_frequency=5, T=300, bins=11)
    assert mat.shape == (6, 11)
    assert (mat.loc[0] == 1.0).all()  # no repeat purchase: alive by BG/NBD's definition
    assert (mat.loc[3].diff().dropna() >= 0).all()  # a later last purchase: more likely alive
    exp = demo_model.frequency_recency_matrix("expected_purchases", max_frequency=5, T=300, bins=11)
    row = pd.DataFrame({"frequency": [3.0], "recency": [exp.columns[4]], "T": [300.0]})
    assert exp.loc[3].iloc[4] == pytest.approx(demo_model.expected_purchases(row, months=12).iloc[0])


def test_predict_refuses_non_finite_results(demo_model, demo_summary):
    broken = wc.CLVModel(
        **{**demo_model.__dict__, "purchase_params": {**demo_model.purchase_params, "a": 1.0}}
    )
    # a = 1 makes BG/NBD's (a + b + x - 1) / (a - 1) infinite: an error, not NaN CLVs
    with pytest.raises(
        FloatingPointError, match=r"member\(s\) got non-finite predictions from the bgnbd model"
    ):
        broken.predict(demo_summary, 12)
