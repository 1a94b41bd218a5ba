"""workbench.clv.likelihoods: each model's likelihood over distinct terms equals lifetimes' per-pattern one."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from autograd import grad
from scipy.special import gammaln

from workbench.clv import likelihoods
from workbench.clv.formulas import stable_log_a0
from workbench.clv.patterns import patterns


def _lifetimes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes
    return lifetimes


def _purchase_arrays(summary):
    unique, _ = patterns(summary)
    scale = 1.0 / unique["T"].max()
    return (
        unique["frequency"].to_numpy().astype(int),
        unique["recency"].to_numpy() * scale,
        unique["T"].to_numpy() * scale,
        unique["weights"].to_numpy(),
    )


POINTS = [np.log([0.25, 0.1, 0.8, 2.5]), np.log([0.9, 0.02, 0.3, 5.0]), np.log([2.0, 0.5, 1.5, 1.2])]


@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd"])
@pytest.mark.parametrize("data", ["demo", "cdnow"])
def test_purchase_likelihoods_equal_lifetimes(model, data, demo_summary, cdnow_cal):
    lt = _lifetimes()
    ref = {"bgnbd": lt.BetaGeoFitter, "mbgnbd": lt.ModifiedBetaGeoFitter}[model]._negative_log_likelihood
    ours = getattr(likelihoods, f"{model}_negative_log_likelihood")
    x, rec, T, w = _purchase_arrays(demo_summary if data == "demo" else cdnow_cal)
    for point in POINTS:
        for pen in (0.0, 0.01):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = ref(point, x, rec, T, w, pen)
            assert ours(point, x, rec, T, w, pen) == expected  # the same operations on the same values
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g_ref = grad(ref)(point, x, rec, T, w, 0.0)
        np.testing.assert_allclose(grad(ours)(point, x, rec, T, w, 0.0), g_ref, rtol=1e-9)


def test_gamma_gamma_likelihood_equals_lifetimes(demo_summary):
    lt = _lifetimes()
    rep = demo_summary[(demo_summary["frequency"] > 0) & (demo_summary["monetary_value"] > 0)]
    unique, _ = patterns(rep, ("frequency", "monetary_value"))
    f, m, w = (unique[c].to_numpy() for c in ("frequency", "monetary_value", "weights"))
    for point in (np.log([6.0, 4.0, 700.0]), np.log([2.0, 9.0, 50.0])):
        expected = lt.GammaGammaFitter._negative_log_likelihood(point, f, m, w, 0.0)
        assert likelihoods.gamma_gamma_negative_log_likelihood(point, f, m, w, 0.0) == expected
        np.testing.assert_allclose(
            grad(likelihoods.gamma_gamma_negative_log_likelihood)(point, f, m, w, 0.0),
            grad(lt.GammaGammaFitter._negative_log_likelihood)(point, f, m, w, 0.0),
            rtol=1e-9,
        )


def test_pareto_likelihood_equals_the_per_pattern_formula(demo_summary, cdnow_cal):
    """Against the Pareto/NBD likelihood written out per pattern (lifetimes' formula, our sign-aware A_0)."""
    for summary in (demo_summary, cdnow_cal):
        x, rec, T, _ = _purchase_arrays(summary)
        for params in ([0.6, 0.05, 0.4, 0.3], [1.5, 0.2, 0.9, 0.05]):
            r, alpha, s, beta = params
            per_pattern = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)) + np.logaddexp(
                -(r + x) * np.log(alpha + T) - s * np.log(beta + T),
                np.log(s) + stable_log_a0(params, x, rec, T) - np.log(r + s + x),
            )
            ours = likelihoods.pareto_conditional_log_likelihood(params, x, rec, T)
            # rearranged (alive + softplus instead of logaddexp): equal to rounding
            np.testing.assert_allclose(ours, per_pattern, rtol=1e-12, atol=1e-12)
            w = np.arange(1, len(x) + 1) % 7 + 1  # uneven weights: the pair sums must follow them
            expected = -(w * per_pattern).sum() / w.mean() + 0.01 * np.sum(np.square(params))
            nll = likelihoods.pareto_negative_log_likelihood(params, x, rec, T, w, 0.01)
            assert nll == pytest.approx(expected, rel=1e-12)


def test_distinct_terms_follow_the_arrays_not_their_length(demo_summary):
    """The per-fit cache is keyed by the arrays themselves: other values of the same length are recomputed."""
    lt = _lifetimes()
    x, rec, T, w = _purchase_arrays(demo_summary)
    point = POINTS[0]
    likelihoods.bgnbd_negative_log_likelihood(point, x, rec, T, w, 0.0)
    rng = np.random.default_rng(3)
    x2 = rng.permutation(x)
    rec2 = np.minimum(rng.permutation(rec), T)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = lt.BetaGeoFitter._negative_log_likelihood(point, x2, rec2, T, w, 0.0)
    assert likelihoods.bgnbd_negative_log_likelihood(point, x2, rec2, T, w, 0.0) == expected
