"""workbench.clv / text.clv / plots.clv: published CDNOW values, lifetimes parity, demo truth recovery."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench import clv as wc
from workbench.clv import fit as clv_fit
from workbench.clv.patterns import patterns
from workbench.data import DEMO_START, generate_demo, lifetimes_data_file
from workbench.schema import finalize_transactions
from workbench.summary import calibration_and_holdout, member_summary
from workbench.text import clv as words

CDNOW_CAL_END, CDNOW_END = "1997-09-30", "1998-06-30"
SUMMARY = ["frequency", "recency", "T", "monetary_value"]


def _lifetimes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes
        import lifetimes.utils
    return lifetimes


# --------------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cdnow_sample_tx() -> pd.DataFrame:
    """The 2,357-customer CDNOW sample of the BG/NBD paper (lifetimes' CDNOW_sample.txt: master id,
    sample id, date, CDs, dollars)."""
    raw = pd.read_csv(
        lifetimes_data_file("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["master_id", "customer_id", "date", "cds", "amount"],
        dtype={"master_id": str, "customer_id": str, "date": str},
    )
    return finalize_transactions(
        pd.DataFrame(
            {
                "member_id": raw["customer_id"],
                "ordered_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
                "amount": raw["amount"],
            }
        )
    )


@pytest.fixture(scope="module")
def cdnow_cal_holdout(cdnow_sample_tx) -> pd.DataFrame:
    """Calibration 1997-01-01..09-30 and holdout to 1998-06-30 in weeks (days / 7, as in the paper)."""
    ch = calibration_and_holdout(cdnow_sample_tx, CDNOW_CAL_END, CDNOW_END, freq="D")
    ch[["recency_cal", "T_cal", "duration_holdout"]] /= 7.0
    return ch


@pytest.fixture(scope="module")
def cdnow_cal(cdnow_cal_holdout) -> pd.DataFrame:
    return wc.calibration_summary(cdnow_cal_holdout)


@pytest.fixture(scope="module")
def cdnow_models(cdnow_cal) -> dict[str, wc.CLVModel]:
    return {m: wc.fit_clv(cdnow_cal, m, time_unit="W") for m in wc.PURCHASE_MODELS}


@pytest.fixture(scope="module")
def demo_summary(demo) -> pd.DataFrame:
    """Daily summary of the 5,000-member demo before the September 2026 campaign."""
    return member_summary(demo.transactions, "2026-08-31", freq="D")


@pytest.fixture(scope="module")
def demo_model(demo_summary) -> wc.CLVModel:
    return wc.fit_clv(demo_summary, time_unit="D")


def _estimates(model: wc.CLVModel) -> pd.Series:
    return model.params.set_index("param")["estimate"]


# --------------------------------------------------------------------------------------------------
# published CDNOW values (Fader, Hardie & Lee 2005; Fader & Hardie note 025)
# --------------------------------------------------------------------------------------------------
def test_cdnow_sample_matches_the_paper(cdnow_cal, cdnow_cal_holdout):
    assert len(cdnow_cal) == 2357
    assert cdnow_cal["frequency"].sum() == 2457  # repeat purchases in the 39 calibration weeks
    assert cdnow_cal_holdout["frequency_holdout"].sum() == 1882
    first = cdnow_cal.loc["0001"]
    assert (first["frequency"], round(first["recency"], 2), round(first["T"], 2)) == (2, 30.43, 38.86)


@pytest.mark.parametrize(
    ("model", "published"),
    [
        ("bgnbd", {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
        ("pareto_nbd", {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}),
    ],
)
def test_cdnow_purchase_params_published(cdnow_models, model, published):
    got = cdnow_models[model].purchase_params
    assert list(got) == list(published)
    for name, value in published.items():
        assert got[name] == pytest.approx(value, rel=0.01), name


def test_cdnow_log_likelihoods_published(cdnow_models):
    # BG/NBD paper: LL = -9582.4 (BG/NBD) and -9595.0 (Pareto/NBD) on weekly time
    assert cdnow_models["bgnbd"].log_likelihood() == pytest.approx(-9582.4, abs=0.1)
    assert cdnow_models["pareto_nbd"].log_likelihood() == pytest.approx(-9595.0, abs=0.1)


def test_cdnow_gamma_gamma_published(cdnow_models):
    spend = cdnow_models["bgnbd"].spend_params
    assert list(spend) == ["p", "q", "v"]
    for name, value in {"p": 6.25, "q": 3.74, "v": 15.44}.items():
        assert spend[name] == pytest.approx(value, rel=0.01), name
    ex = cdnow_models["bgnbd"].spend_exclusions
    assert ex == {"members": 2357, "used": 946, "no_repeat_purchase": 1411, "non_positive_spend": 0}


def test_cdnow_expected_purchases_of_the_paper_customer(cdnow_models):
    one = pd.DataFrame({"frequency": [2.0], "recency": [30.43], "T": [38.86]})
    assert cdnow_models["bgnbd"].expected_purchases(one, 39.0).iloc[0] == pytest.approx(1.226, abs=5e-4)


def test_cdnow_tracking_week_78(cdnow_models, cdnow_sample_tx):
    weekly = cdnow_models["bgnbd"]
    track = wc.tracking(weekly, cdnow_sample_tx, CDNOW_CAL_END, CDNOW_END, freq="D", step_days=7)
    assert len(track) == 78
    last = track.iloc[-1]
    assert last["step"] == 78 and last["date"] == pd.Timestamp(CDNOW_END)
    assert last["actual"] == 4339
    assert last["predicted"] == pytest.approx(4339, rel=0.05)
    assert track.loc[track["step"] == 39, "actual"].item() == 2457
    assert (track["period"] == "calibration").sum() == 39


def test_tracking_matches_lifetimes_expected_cumulative_transactions(cdnow_cal_holdout, cdnow_sample_tx):
    """Independent check of the convolution against lifetimes' (slow, date-looping) implementation."""
    ch = cdnow_cal_holdout.copy()
    ch[["recency_cal", "T_cal"]] *= 7.0  # back to days
    daily = wc.fit_clv(wc.calibration_summary(ch), spend_model=None, time_unit="D")
    ours = wc.tracking(daily, cdnow_sample_tx, CDNOW_CAL_END, CDNOW_END, step_days=1)
    tx = cdnow_sample_tx.rename(columns={"member_id": "id", "ordered_at": "date"})[["id", "date"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _lifetimes().utils.expected_cumulative_transactions(
            daily.purchase_fitter, tx, "date", "id", 546
        )
    np.testing.assert_array_equal(ours["actual"].to_numpy()[[272, 545]], ref["actual"].to_numpy()[[272, 545]])
    np.testing.assert_allclose(
        ours["predicted"].to_numpy()[[272, 545]], ref["predicted"].to_numpy()[[272, 545]], rtol=0.01
    )


def test_cdnow_holdout_validation(cdnow_models, cdnow_cal_holdout):
    comp = wc.holdout_comparison(cdnow_models["bgnbd"], cdnow_cal_holdout)
    metrics = wc.holdout_metrics(comp)
    assert metrics["actual_total"] == 1882
    a, p = comp["actual"].to_numpy(), comp["predicted"].to_numpy()
    assert metrics["predicted_total"] == pytest.approx(p.sum())
    assert metrics["total_error_pct"] == pytest.approx(p.sum() / a.sum() - 1)
    assert metrics["mae"] == pytest.approx(np.abs(p - a).mean())
    assert metrics["correlation"] == pytest.approx(np.corrcoef(a, p)[0, 1])
    buckets = wc.frequency_buckets(comp, max_frequency=7)
    assert buckets["frequency_cal"].tolist() == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert buckets["members"].sum() == 2357
    ref = comp.groupby(comp["frequency_cal"].clip(upper=7))["actual"].mean().to_numpy()
    np.testing.assert_allclose(buckets["actual"].to_numpy(), ref)
    # the paper's conditional expectations: members with no repeat purchase bought 0.24 on average
    assert buckets.loc[0, "actual"] == pytest.approx(0.237, abs=0.001)


def test_compare_purchase_models_cdnow(cdnow_cal_holdout):
    table, fitted = wc.compare_purchase_models(cdnow_cal_holdout, time_unit="W")
    assert table["model"].tolist() == list(wc.PURCHASE_MODELS)
    assert set(fitted) == set(wc.PURCHASE_MODELS)
    bg = table.set_index("model").loc["bgnbd"]
    assert bg["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)
    assert bg["aic"] == pytest.approx(2 * 4 + 2 * 9582.43, abs=0.2)
    assert (table["actual_total"] == 1882).all()


# --------------------------------------------------------------------------------------------------
# parity with lifetimes
# --------------------------------------------------------------------------------------------------
def test_weighted_fit_equals_plain_lifetimes(demo_summary, demo_model):
    lt = _lifetimes()
    s = demo_summary
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bg = lt.BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
        rep = s[s["frequency"] > 0]
        gg = lt.GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    for name, value in bg.params_.items():
        assert demo_model.purchase_params[name] == pytest.approx(value, rel=1e-4), name
    for name, value in gg.params_.items():
        assert demo_model.spend_params[name] == pytest.approx(value, rel=1e-4), name
    diag = demo_model.diagnostics["purchase"]
    assert diag.members == len(s) and diag.patterns < diag.members
    # standard errors agree with lifetimes' (its delta-method diagonal is correct)
    se = demo_model.params.set_index("param")["se"]
    for name, value in bg.standard_errors_.items():
        assert se[name] == pytest.approx(value, rel=1e-3), name


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


def test_pareto_stable_where_lifetimes_returns_nan():
    """Frequent buyers whose last purchase is on the last day: lifetimes' A_0 cancels to log(-tiny) = NaN."""
    model = wc.CLVModel(
        purchase_model="pareto_nbd",
        spend_model=None,
        time_unit="D",
        purchase_params={"r": 1.055, "alpha": 34.97, "s": 0.83, "beta": 264.7},
        spend_params={},
        params=pd.DataFrame(),
        diagnostics={},
        spend_exclusions={},
        members=0,
    )
    frame = pd.DataFrame({"frequency": [112.0, 5.0], "recency": [780.0, 100.0], "T": [780.0, 780.0]})
    alive = model.prob_alive(frame)
    assert alive.iloc[0] == pytest.approx(1.0)
    assert 0 < alive.iloc[1] < 1
    assert np.isfinite(model.expected_purchases(frame, 30.0)).all()


# --------------------------------------------------------------------------------------------------
# fitting behaviour: warnings, retries, exclusions, input errors
# --------------------------------------------------------------------------------------------------
def test_lifetimes_warning_filters_do_not_leak(demo_summary, capsys):
    wc.fit_clv(demo_summary.head(2000), "bgnbd")
    assert not any(f[0] == "ignore" and f[2] is FutureWarning for f in warnings.filters)
    with pytest.warns(FutureWarning, match="still visible"):
        warnings.warn("still visible", FutureWarning, stacklevel=1)
    assert capsys.readouterr().out == ""


def test_convergence_failure_is_retried_and_reported(demo_summary, capsys):
    # BFGS cannot reach a gradient norm of 1e-14: lifetimes raises ConvergenceError (and prints the result)
    fitter, table, diag = clv_fit.fit_purchase_model(demo_summary, tolerances=(1e-14, 1e-6))
    assert [a["ok"] for a in diag.attempts] == [False, True]
    assert "precision loss" in diag.attempts[0]["error"] or "did not converge" in diag.attempts[0]["error"]
    assert diag.tol == 1e-6 and diag.penalizer == 0.0 and diag.retried
    assert capsys.readouterr().out == ""  # lifetimes' print of the failed optimizer result is captured
    assert table["estimate"].notna().all()


def test_penalizer_grid_then_clear_error(demo_summary):
    with pytest.raises(
        wc.CLVFitError,
        match=r"bgnbd did not converge with any of 2 attempts \(tol=1e-14/penalizer=0, tol=1e-14/penalizer=0.001\)",
    ) as info:
        clv_fit.fit_purchase_model(demo_summary, tolerances=(1e-14,), penalizers=(1e-3,))
    assert [a["penalizer"] for a in info.value.attempts] == [0.0, 1e-3]


def test_penalizer_used_when_unpenalized_fits_fail(demo_summary, monkeypatch):
    """An unpenalized fit that never converges (simulated) falls through the tolerances to the penalizer grid."""
    lt = _lifetimes()

    class Stubborn(lt.BetaGeoFitter):
        def fit(self, *args, **kwargs):
            if self.penalizer_coef == 0:
                raise lt.utils.ConvergenceError("simulated")
            return super().fit(*args, **kwargs)

    original = clv_fit._fitter_class
    monkeypatch.setattr(clv_fit, "_fitter_class", lambda m: Stubborn if m == "bgnbd" else original(m))
    model = wc.fit_clv(demo_summary)
    diag = model.diagnostics["purchase"]
    assert [(a["tol"], a["penalizer"], a["ok"]) for a in diag.attempts] == [
        (1e-7, 0.0, False),
        (1e-6, 0.0, False),
        (1e-5, 0.0, False),
        (1e-5, 1e-4, True),
    ]
    assert diag.penalizer == 1e-4 and 0 < diag.penalty_share < 0.01
    notes = words.findings(demo_summary, model.predict(demo_summary), model, pd.DataFrame(), lang="en")
    assert any("penalizer 0.0001" in n for n in notes)


def test_spend_exclusions_counted():
    rng = np.random.default_rng(5)
    n = 400
    x = rng.integers(0, 6, n).astype(float)
    m = np.where(x > 0, rng.gamma(6.0, 50.0, n), 0.0)
    m[:7] = np.where(x[:7] > 0, 0.0, m[:7])  # repeat buyers with no positive spend
    s = pd.DataFrame({"frequency": x, "monetary_value": m})
    sample, ex = clv_fit.spend_sample(s)
    assert ex["no_repeat_purchase"] == int((x == 0).sum())
    assert ex["non_positive_spend"] == int(((x > 0) & (m <= 0)).sum())
    assert ex["used"] == len(sample) == int(((x > 0) & (m > 0)).sum())
    assert ex["used"] + ex["no_repeat_purchase"] + ex["non_positive_spend"] == n


def test_input_errors(demo_summary):
    with pytest.raises(ValueError, match="required column\\(s\\) missing from summary: T"):
        wc.fit_clv(demo_summary.drop(columns="T"))
    with pytest.raises(ValueError, match="purchase_model must be one of .* got 'bg'"):
        wc.fit_clv(demo_summary, "bg")
    with pytest.raises(ValueError, match="time_unit must be one of .* got 'H'"):
        wc.fit_clv(demo_summary, time_unit="H")
    bad = demo_summary.copy()
    bad.iloc[3, bad.columns.get_loc("recency")] = bad.iloc[3]["T"] + 1
    with pytest.raises(ValueError, match="recency > T at row\\(s\\) \\[3\\]"):
        wc.fit_clv(bad)


def test_patterns_roundtrip(demo_summary):
    unique, codes = patterns(demo_summary)
    assert unique["weights"].sum() == len(demo_summary)
    np.testing.assert_array_equal(
        unique[["frequency", "recency", "T"]].to_numpy()[codes],
        demo_summary[["frequency", "recency", "T"]].to_numpy(),
    )
    assert len(unique) == len(demo_summary[["frequency", "recency", "T"]].drop_duplicates())


# --------------------------------------------------------------------------------------------------
# demo: recovery of the generating parameters
# --------------------------------------------------------------------------------------------------
def _order_level_summary(tx: pd.DataFrame, end: str) -> pd.DataFrame:
    """Each order a purchase at its exact time (days): the process the demo simulates (pandas, independent)."""
    tx = tx.loc[(tx["amount"] >= 0) & (tx["ordered_at"] < pd.Timestamp(end))]
    t = (tx["ordered_at"] - DEMO_START).dt.total_seconds().to_numpy() / 86400
    f = pd.DataFrame({"m": tx["member_id"].to_numpy(), "t": t, "amount": tx["amount"].to_numpy()})
    g = f.groupby("m")
    first = g["t"].transform("min")
    end_t = (pd.Timestamp(end) - DEMO_START).total_seconds() / 86400
    out = pd.DataFrame(
        {"frequency": g.size() - 1.0, "recency": g["t"].max() - g["t"].min(), "T": end_t - g["t"].min()}
    )
    out["monetary_value"] = f.loc[f["t"] > first].groupby("m")["amount"].mean().reindex(out.index).fillna(0.0)
    return out


@pytest.fixture(scope="module")
def demo30k():
    return generate_demo(30_000, seed=42)


def test_demo_truth_recovered_within_cis(demo30k):
    """BG/NBD and Gamma-Gamma estimates cover the generating parameters.

    Seven parameters are checked at once, so each CI is at the Bonferroni level 1 - 0.05/7 (99.3%): the
    family of intervals covers all seven truths with probability >= 95% (with plain 95% intervals one
    of seven misses about a third of the time, and a test on that would fail by chance). The summary is
    order-level (each order a purchase at its exact time), the process the demo simulates; the fit window
    ends before the September 2026 campaign. The data layer's daily summary: see the xfail below.
    """
    s = _order_level_summary(demo30k.transactions, "2026-09-01")
    level = 1 - 0.05 / 7
    model = wc.fit_clv(s, ci_level=level)
    truth = {**demo30k.truth["bgnbd"], **demo30k.truth["gamma_gamma"]}
    table = model.params.set_index("param")
    for name in ["r", "alpha", "a", "b", "p", "q", "v"]:
        row = table.loc[name]
        assert row["ci_low"] <= truth[name] <= row["ci_high"], (name, truth[name], row.to_dict())


def test_warm_started_fit_equals_plain_lifetimes(demo30k):
    """Above 20k patterns the fit starts from a thinned-data fit; it must land where plain lifetimes does."""
    s = _order_level_summary(demo30k.transactions, "2026-09-01")
    model = wc.fit_clv(s)
    diag = model.diagnostics["purchase"]
    assert diag.patterns > clv_fit.WARM_START_PATTERNS and diag.attempts[0]["warm_start"]
    lt = _lifetimes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bg = lt.BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
        rep = s[s["frequency"] > 0]
        gg = lt.GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    for name, value in bg.params_.items():
        assert model.purchase_params[name] == pytest.approx(value, rel=2e-5), name
    for name, value in gg.params_.items():
        assert model.spend_params[name] == pytest.approx(value, rel=2e-5), name
    se = model.params.set_index("param")["se"]
    for name, value in bg.standard_errors_.items():
        assert se[name] == pytest.approx(value, rel=1e-3), name


def test_demo_truth_recovered_from_hourly_member_summary(demo30k):
    """The data layer's own summary at hour resolution (times in days) recovers the truth too.

    A daily summary merges a member's same-day orders into one purchase (lifetimes' definition); with
    the demo's rates about 3% of member-days hold two or more orders, which biases alpha ~9% high. Hour
    periods with ``freq_multiplier=24`` keep them apart (the demo keeps the continuous time of day).
    """
    s = member_summary(demo30k.transactions, "2026-08-31 23:59:59", freq="h", freq_multiplier=24)
    model = wc.fit_clv(s, ci_level=1 - 0.05 / 7)
    table = model.params.set_index("param")
    truth = {**demo30k.truth["bgnbd"], **demo30k.truth["gamma_gamma"]}
    for name in ["r", "alpha", "a", "b", "p", "q", "v"]:
        row = table.loc[name]
        assert row["ci_low"] <= truth[name] <= row["ci_high"], (name, truth[name], row.to_dict())


# --------------------------------------------------------------------------------------------------
# predictions, time units, deciles, audiences
# --------------------------------------------------------------------------------------------------
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


def test_deciles_against_numpy(rng):
    values = pd.Series(rng.lognormal(7, 1.2, 1003), index=[f"{i:05d}" for i in range(1003)])
    table = wc.clv_deciles(values)
    assert table["decile"].tolist() == list(range(1, 11))
    assert table["members"].sum() == 1003 and table["members"].max() - table["members"].min() <= 1
    assert table["share"].sum() == pytest.approx(1.0)
    assert table["mean"].is_monotonic_decreasing
    top = np.sort(values.to_numpy())[::-1][: table["members"].iloc[0]]
    assert wc.top_decile_share(values) == pytest.approx(top.sum() / values.sum())
    deciles = wc.assign_deciles(values)
    assert deciles.value_counts().sort_index().tolist() == table["members"].tolist()


def test_audience_only_when_asked(demo_model, demo_summary, tmp_path):
    pred = demo_model.predict(demo_summary, 12)
    assert wc.export_audience(pred, "") is None
    path = wc.export_audience(pred, tmp_path / "aud")
    out = pd.read_csv(path, dtype={"member_id": str})
    assert out.columns.tolist() == ["member_id", "clv_decile", "clv", "prob_alive"]
    assert len(out) == wc.clv_deciles(pred["clv"])["members"].iloc[0]
    assert (out["clv_decile"] == 1).all() and out["member_id"].str.len().eq(7).all()
    assert set(out["member_id"]) == set(pred["clv"].nlargest(len(out)).index)


def test_frequency_recency_matrix(demo_model):
    mat = demo_model.frequency_recency_matrix("prob_alive", max_frequency=5, T=300, bins=11)
    assert mat.shape == (6, 11)
    assert (mat.loc[0] == 1.0).all()  # no repeat purchase: alive by BG/NBD's definition
    assert (mat.loc[3].diff().dropna() >= 0).all()  # a later last purchase: more likely alive
    exp = demo_model.frequency_recency_matrix("expected_purchases", max_frequency=5, T=300, bins=11)
    row = pd.DataFrame({"frequency": [3.0], "recency": [exp.columns[4]], "T": [300.0]})
    assert exp.loc[3].iloc[4] == pytest.approx(demo_model.expected_purchases(row, months=12).iloc[0])


def test_findings_are_generated_from_numbers(demo_model, demo_summary):
    pred = demo_model.predict(demo_summary, 12, gross_margin=0.45)
    comparison = pd.DataFrame(
        [
            {
                "model": "bgnbd",
                "predicted_total": 110.0,
                "actual_total": 100.0,
                "total_error_pct": 0.10,
                "bucket_mae": 0.2,
            }
        ]
    )
    en = words.findings(
        demo_summary, pred, demo_model, comparison, lang="en", calibration_end="2026-04-30", holdout_months=6
    )
    zh = words.findings(
        demo_summary,
        pred,
        demo_model,
        comparison,
        lang="zh-TW",
        calibration_end="2026-04-30",
        holdout_months=6,
    )
    assert len(en) == len(zh) >= 5
    share = wc.top_decile_share(pred["clv"])
    assert f"{share * 100:.1f}%" in en[0] and f"{share * 100:.1f}%" in zh[0]
    assert "+10.0%" in en[2] and "110" in en[2]  # validation right after the value figures
    assert "前 10%" in zh[0]


# --------------------------------------------------------------------------------------------------
# plots: artists, not pixels
# --------------------------------------------------------------------------------------------------
def test_plot_tracking_and_buckets(cdnow_models, cdnow_sample_tx, cdnow_cal_holdout):
    from workbench.plots import clv as plots

    track = wc.tracking(cdnow_models["bgnbd"], cdnow_sample_tx, CDNOW_CAL_END, CDNOW_END)
    ax = plots.tracking(track, lang="en")
    assert ax.get_title() == "Cumulative repeat purchases, actual vs model"
    assert ax.get_xlabel() == "Week" and ax.get_ylabel() == "Cumulative repeat purchases"
    actual, model, cal = ax.get_lines()
    np.testing.assert_array_equal(actual.get_ydata(), track["actual"])
    assert cal.get_xdata()[0] == 39

    buckets = wc.frequency_buckets(wc.holdout_comparison(cdnow_models["bgnbd"], cdnow_cal_holdout))
    ax = plots.frequency_buckets(buckets, lang="zh-TW")
    assert ax.get_title() == "依估計期購買次數分組的驗證期購買"
    heights = [p.get_height() for p in ax.patches]
    np.testing.assert_allclose(heights[: len(buckets)], buckets["actual"])
    np.testing.assert_allclose(heights[len(buckets) :], buckets["predicted"])
    assert [tl.get_text() for tl in ax.get_xticklabels()] == buckets["frequency_cal"].tolist()


def test_plot_matrices_distribution_deciles(demo_model, demo_summary):
    from workbench.plots import clv as plots

    mat = demo_model.frequency_recency_matrix("prob_alive", max_frequency=8, bins=20)
    ax = plots.frequency_recency_matrix(mat, "prob_alive", lang="en", time_unit="D")
    assert ax.get_title() == "Probability a member is still active"
    assert ax.get_xlabel() == "Time of last purchase (days after the first)"
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), mat.to_numpy())

    pred = demo_model.predict(demo_summary, 12)
    ax = plots.clv_distribution(pred["clv"], lang="en", currency="TWD", months=12)
    assert ax.get_title() == "Distribution of projected 12-month value"
    assert sum(p.get_height() for p in ax.patches) == (pred["clv"] >= 1).sum()  # under 1 NT$ not drawn

    deciles = wc.clv_deciles(pred["clv"])
    ax = plots.clv_deciles(deciles, lang="zh-TW")
    assert ax.get_ylabel() == "占總價值比例"
    np.testing.assert_allclose([p.get_height() for p in ax.patches], deciles["share"])
    with pytest.raises(ValueError, match="what must be 'prob_alive' or 'expected_purchases', got 'x'"):
        plots.frequency_recency_matrix(mat, "x")


# --------------------------------------------------------------------------------------------------
# the report notebook
# --------------------------------------------------------------------------------------------------
NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "clv.ipynb"


def test_notebook_committed_clean_and_params_file_matches():
    import yaml

    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert nb["cells"][0]["metadata"].get("tags") == ["parameters"]
    assert all(
        not c.get("outputs") and c.get("execution_count") is None
        for c in nb["cells"]
        if c["cell_type"] == "code"
    )
    params = yaml.safe_load((NOTEBOOK.parents[1] / "params" / "clv.yaml").read_text(encoding="utf-8"))
    source = "".join(nb["cells"][0]["source"])
    for key in params:
        assert f"\n{key} = " in source, key


@pytest.mark.slow  # two kernel runs of the report notebook (~10-20 s each)
@pytest.mark.parametrize("language", ["en", "zh-TW"])
def test_notebook_runs_on_small_demo(tmp_path, language):
    import papermill

    from workbench.notebook import HEADLINES_MIME

    demo = generate_demo(3000, seed=7)
    demo.write(tmp_path / "data")
    params = {
        name: str(tmp_path / "data" / f"{name}.parquet") for name in ("transactions", "members", "campaign")
    }
    params["truth"] = str(tmp_path / "data" / "truth.json")
    audience = tmp_path / "audience" if language == "zh-TW" else ""
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK),
        str(out),
        parameters={**params, "language": language, "audience_dir": str(audience)},
        kernel_name="python3",
        cwd=str(NOTEBOOK.parent),
        progress_bar=False,
    )
    outputs = [o for c in json.loads(out.read_text(encoding="utf-8"))["cells"] for o in c.get("outputs", [])]
    assert not [o for o in outputs if o["output_type"] in ("error", "stream")]  # no errors, warnings, prints
    heads = [o["data"][HEADLINES_MIME] for o in outputs if HEADLINES_MIME in o.get("data", {})]
    assert len(heads) == 1 and len(heads[0]) == 4
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 6
    text = json.dumps(
        [{k: v for k, v in o.get("data", {}).items() if k != "image/png"} for o in outputs],
        ensure_ascii=False,
    )
    ids = demo.members["member_id"]
    assert not any(m in text for m in (ids.iloc[0], ids.iloc[len(ids) // 2], ids.iloc[-1]))  # aggregates only
    assert ("前 10% 的會員" if language == "zh-TW" else "The top 10% of members") in text
    if audience:
        written = pd.read_csv(audience / "clv_audience.csv", dtype={"member_id": str})
        assert len(written) > 0 and (written["clv_decile"] == 1).all()
    else:
        assert not (tmp_path / "audience").exists()


def test_predict_refuses_non_finite_results(demo_model, demo_summary):
    broken = wc.CLVModel(
        **{**demo_model.__dict__, "purchase_params": {**demo_model.purchase_params, "a": 1.0}}
    )
    # a = 1 makes BG/NBD's (a + b + x - 1) / (a - 1) infinite: an error, not NaN CLVs
    with pytest.raises(
        FloatingPointError, match=r"member\(s\) got non-finite predictions from the bgnbd model"
    ):
        broken.predict(demo_summary, 12)
