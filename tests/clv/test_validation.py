"""workbench.clv.validation: calibration/holdout on the CDNOW sample against the published figures,
tracking against lifetimes, model comparison (fixtures in tests/conftest.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from kit import CDNOW_CAL_END, CDNOW_END
from kit import lifetimes_quietly as _lifetimes

from workbench import clv as wc


def test_cdnow_sample_matches_the_paper(cdnow_cal, cdnow_cal_holdout):
    assert len(cdnow_cal) == 2357
    assert cdnow_cal["frequency"].sum() == 2457  # repeat purchases in the 39 calibration weeks
    assert cdnow_cal_holdout["frequency_holdout"].sum() == 1882
    first = cdnow_cal.loc["0001"]
    assert (first["frequency"], round(first["recency"], 2), round(first["T"], 2)) == (2, 30.43, 38.86)


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


def _per_pattern_fitters():
    """The fitters as they were before ``workbench.clv.likelihoods``: lifetimes' own likelihoods, per pattern."""
    import warnings

    from scipy.special import gammaln

    from workbench.clv import fit, pareto
    from workbench.clv.formulas import stable_log_a0

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes as lt

    def pareto_ll(params, freq, rec, T):
        r, alpha, s, beta = params
        a1 = gammaln(r + freq) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        a2 = np.logaddexp(
            -(r + freq) * np.log(alpha + T) - s * np.log(beta + T),
            np.log(s) + stable_log_a0(params, freq, rec, T) - np.log(r + s + freq),
        )
        return a1 + a2

    def pareto_nll(params, freq, rec, T, weights, penalizer_coef):
        if np.any(np.asarray(params) <= 0.0):
            return np.inf
        ll = pareto_ll(params, freq, rec, T)
        return -(weights * ll).sum() / weights.mean() + penalizer_coef * np.sum(np.asarray(params) ** 2)

    plain = {
        name: type(base.__name__, (base,), {"_fit": fit._fit_numerical_hessian})
        for name, base in (
            ("bgnbd", lt.BetaGeoFitter),
            ("mbgnbd", lt.ModifiedBetaGeoFitter),
            ("gamma_gamma", lt.GammaGammaFitter),
        )
    }
    plain["pareto_nbd"] = type(
        "StableParetoNBDFitter",
        (lt.ParetoNBDFitter,),
        {
            "_fit": pareto.fit,  # the same optimiser: this compares the likelihoods
            "_log_A_0": staticmethod(stable_log_a0),
            "_conditional_log_likelihood": staticmethod(pareto_ll),
            "_negative_log_likelihood": staticmethod(pareto_nll),
        },
    )
    return plain


@pytest.mark.parametrize("data", ["demo", "cdnow"])
def test_model_comparison_equals_the_per_pattern_fits(data, demo, cdnow_cal_holdout, monkeypatch):
    """The comparison and holdout validation on distinct-term likelihoods give the numbers of the fits on
    lifetimes' per-pattern likelihoods: parameters to 4 significant digits, holdout metrics to 1e-6."""
    from workbench.clv import fit
    from workbench.summary import calibration_and_holdout

    if data == "demo":
        ch = calibration_and_holdout(demo.transactions, "2026-02-28", "2026-08-31", freq="D")
        unit = "D"
    else:
        ch, unit = cdnow_cal_holdout, "W"
    ours, fitted = wc.compare_purchase_models(ch, time_unit=unit)
    buckets = wc.frequency_buckets(wc.holdout_comparison(fitted["bgnbd"], ch))
    monkeypatch.setattr(fit, "_FITTERS", _per_pattern_fitters())
    ref, ref_fitted = wc.compare_purchase_models(ch, time_unit=unit)
    ref_buckets = wc.frequency_buckets(wc.holdout_comparison(ref_fitted["bgnbd"], ch))
    numeric = [c for c in ref.columns if c != "model"]
    np.testing.assert_allclose(ours[numeric].to_numpy(float), ref[numeric].to_numpy(float), rtol=1e-6, atol=0)
    np.testing.assert_allclose(buckets["predicted"], ref_buckets["predicted"], rtol=1e-6)
    for name, model in fitted.items():
        for k, v in ref_fitted[name].purchase_params.items():
            assert f"{model.purchase_params[k]:.4g}" == f"{v:.4g}", (name, k)


def test_tracking_of_the_validated_copy_is_the_frames(cdnow_models, cdnow_sample_tx, tmp_path):
    """The run's validated Parquet copy as a path (DuckDB over the file): the published CDNOW counts
    (4,339 repeat purchases at week 78, 2,457 at week 39) and the frame's whole table."""
    from workbench import files
    from workbench.data import VALIDATED_METADATA

    path = str(files.write_parquet(tmp_path / "tx.parquet", cdnow_sample_tx, metadata=VALIDATED_METADATA))
    weekly = cdnow_models["bgnbd"]
    ours = wc.tracking(weekly, path, CDNOW_CAL_END, CDNOW_END, freq="D", step_days=7)
    assert ours.iloc[-1]["actual"] == 4339 and ours.loc[ours["step"] == 39, "actual"].item() == 2457
    pd.testing.assert_frame_equal(
        ours, wc.tracking(weekly, cdnow_sample_tx, CDNOW_CAL_END, CDNOW_END, freq="D", step_days=7)
    )


def test_tracking_in_member_buckets_is_one_pass(cdnow_models, cdnow_sample_tx, tmp_path, monkeypatch):
    """A log above TRACKING_BUCKET_ROWS is counted in member buckets: the same table as one pass."""
    from workbench import files
    from workbench.clv import validation
    from workbench.data import VALIDATED_METADATA

    path = str(files.write_parquet(tmp_path / "tx.parquet", cdnow_sample_tx, metadata=VALIDATED_METADATA))
    weekly = cdnow_models["bgnbd"]
    whole = wc.tracking(weekly, path, CDNOW_CAL_END, CDNOW_END, freq="D", step_days=7)
    monkeypatch.setattr(validation, "TRACKING_BUCKET_ROWS", len(cdnow_sample_tx) // 4)
    bucketed = wc.tracking(weekly, path, CDNOW_CAL_END, CDNOW_END, freq="D", step_days=7)
    assert bucketed.iloc[-1]["actual"] == 4339
    pd.testing.assert_frame_equal(bucketed, whole)
