"""The models' log-likelihoods over distinct patterns, each term evaluated where it varies.

A fit sees the distinct ``(frequency, recency, T)`` rows with member counts as weights (``patterns``), yet
most terms of the likelihoods depend on fewer variables: on ``x`` alone (the gamma functions), on ``(x, T)``
or on ``(x, recency)``. There are far fewer distinct values of those (1M members, days: ~150 frequencies and
~45k pairs of each kind against ~600k patterns), so each term is computed once per distinct value and
gathered; only the terms' combination runs per pattern. The operations and their order are lifetimes' own
(``BetaGeoFitter``, ``ModifiedBetaGeoFitter``, ``GammaGammaFitter``), so the
likelihood values are the same, bit for bit, at a fraction of the cost; the BG/NBD-family and Gamma-Gamma
versions are autograd functions like lifetimes' (the gradient's sums then run in another order). The
Pareto/NBD likelihood (plain numpy, no gradient) is rearranged further (``_pareto_parts``): equal to the
per-pattern formula to rounding, about 1e-15 relative.

lifetimes passes the same arrays to every evaluation of a fit, so the distinct values are found once per fit
(:func:`_layout`, cached by the arrays' identity).
"""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pandas as pd
from autograd.scipy.special import gammaln as agammaln
from scipy.special import gammaln

from workbench.clv.formulas import a0_term

_CACHE: list = []  # [(arrays, layout)] of the last fits (lifetimes passes the same arrays every evaluation)
_CACHE_SIZE = 4
_PAIR_WEIGHTS: list = []  # [(weights, pair codes, weights per pair)] of the last Pareto/NBD fits


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values, each value's code)."""
    codes, uniques = pd.factorize(values)
    return np.asarray(uniques, dtype=float), codes.astype(np.int64, copy=False)


def _pairs(x: np.ndarray, x_codes, u_codes, u_uniques) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (x, u) pairs, from the codes of x and of u: (x of each pair, u of each pair, pair codes)."""
    codes, first = pd.factorize(x_codes * len(u_uniques) + u_codes)
    order = np.empty(len(first), dtype=np.int64)
    order[codes] = np.arange(len(codes))  # one row of each pair
    return x[order], u_uniques[u_codes[order]], codes.astype(np.int64, copy=False)


def _layout(*arrays) -> dict:
    """Distinct x, (x, T), (x, recency), T and recency of the patterns (``arrays`` = x, recency, T), each with the patterns' codes; for Gamma-Gamma (``arrays`` = x, m) the distinct x, and log(m) and x * m."""
    for cached, layout in _CACHE:
        if len(cached) == len(arrays) and all(a is b for a, b in zip(cached, arrays, strict=True)):
            return layout
    x = np.asarray(arrays[0], dtype=float)
    ux, x_codes = _factorize(x)
    layout = {"x": ux, "x_codes": x_codes, "positive": np.asarray(arrays[0]) > 0}
    if len(arrays) == 3:
        for name, u in (("rec", arrays[1]), ("T", arrays[2])):
            uu, u_codes = _factorize(np.asarray(u, dtype=float))
            layout[name] = (uu, u_codes)
            layout[f"x_{name}"] = _pairs(x, x_codes, u_codes, uu)
    else:
        m = np.asarray(arrays[1], dtype=float)
        layout["log_m"], layout["xm"] = np.log(m), x * m
    _CACHE.insert(0, (arrays, layout))
    del _CACHE[_CACHE_SIZE:]
    return layout


def bgnbd_negative_log_likelihood(log_params, freq, rec, T, weights, penalizer_coef):
    """``BetaGeoFitter._negative_log_likelihood`` (Fader, Hardie & Lee 2005, section 7) over distinct terms."""
    params = anp.exp(log_params)
    r, alpha, a, b = params
    lay = _layout(freq, rec, T)
    ux = lay["x"]
    a12 = agammaln(r + ux) - agammaln(r) + r * anp.log(alpha)
    a12 = a12 + (agammaln(a + b) + agammaln(b + ux) - agammaln(b) - agammaln(a + b + ux))
    tx, tt, t_codes = lay["x_T"]
    rx, rr, r_codes = lay["x_rec"]
    a3 = (-(r + tx) * anp.log(alpha + tt))[t_codes]
    a4 = (anp.log(a) - anp.log(b + anp.maximum(rx, 1) - 1) - (r + rx) * anp.log(rr + alpha))[r_codes]
    top = anp.maximum(a3, a4)
    inner = anp.log(anp.exp(a3 - top) + anp.exp(a4 - top) * lay["positive"])
    ll = weights * (a12[lay["x_codes"]] + inner + top)
    return -ll.sum() / weights.sum() + penalizer_coef * sum(params**2)


def mbgnbd_negative_log_likelihood(log_params, freq, rec, T, weights, penalizer_coef):
    """``ModifiedBetaGeoFitter._negative_log_likelihood`` (Batislam et al. 2007) over distinct terms."""
    params = anp.exp(log_params)
    r, alpha, a, b = params
    lay = _layout(freq, rec, T)
    ux, x_codes = lay["x"], lay["x_codes"]
    a1 = agammaln(r + ux) - agammaln(r) + r * anp.log(alpha)
    a2 = agammaln(a + b) + agammaln(b + ux + 1) - agammaln(b) - agammaln(a + b + ux + 1)
    tx, tt, t_codes = lay["x_T"]
    a3 = (-(r + tx) * anp.log(alpha + tt))[t_codes]
    (ut, ut_codes), (ur, ur_codes) = lay["T"], lay["rec"]
    gap = anp.log(alpha + ut)[ut_codes] - anp.log(alpha + ur)[ur_codes]
    a4 = (anp.log(a) - anp.log(b + ux))[x_codes] + (r + ux)[x_codes] * gap
    ll = weights * ((a1 + a2)[x_codes] + a3 + anp.logaddexp(a4, 0))
    return -ll.sum() / weights.sum() + penalizer_coef * sum(params**2)


def gamma_gamma_negative_log_likelihood(log_params, frequency, avg_monetary_value, weights, penalizer_coef):
    """``GammaGammaFitter._negative_log_likelihood`` (Fader & Hardie, note 025, eq. 1a) over distinct terms."""
    params = anp.exp(log_params)
    p, q, v = params
    lay = _layout(frequency, avg_monetary_value)
    ux, codes = lay["x"], lay["x_codes"]
    px = (p * ux)[codes]
    head = (agammaln(p * ux + q) - agammaln(p * ux) - agammaln(q) + q * anp.log(v))[codes]
    values = head + (px - 1) * lay["log_m"] + px * anp.log(ux)[codes] - (px + q) * anp.log(lay["xm"] + v)
    return -(values * weights).sum() / weights.sum() + penalizer_coef * sum(params**2)


def _pareto_parts(params, freq, rec, T):
    """The Pareto/NBD log-likelihood split as ``head[pair] + tail`` per pattern (``pair`` = its (x, T) pair).

    ``head`` (per distinct (x, T) pair) holds lifetimes' A_1 and the "alive" term -(r+x) log(alpha+T) -
    s log(beta+T); ``tail`` (per pattern) is log(1 + exp(d)) with d = log s + log A_0 - log(r+s+x) minus the
    alive term: lifetimes' ``logaddexp(alive, log s + log A_0 - log(r+s+x))`` written as
    alive + softplus(d), which costs a few passes over the patterns instead of ``logaddexp``'s branches.
    A_0 (sign-aware, ``combine_log_a0``) is its two terms per distinct pair, combined per pattern as
    u + log1p(-exp(min(v - u, 0))) (u at recency, v at T; -inf where they cancel).
    """
    r, alpha, s, beta = params
    lay = _layout(freq, rec, T)
    x_rec, rec_u, rec_codes = lay["x_rec"]
    x_age, age_u, age_codes = lay["x_T"]
    alive = -(r + x_age) * np.log(alpha + age_u) - s * np.log(beta + age_u)
    head = gammaln(r + x_age) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + alive
    shift = np.log(s) - np.log(r + s + x_age) - alive
    with np.errstate(all="ignore"):
        u = np.take(a0_term(params, x_rec, rec_u), rec_codes)
        d = np.take(a0_term(params, x_age, age_u), age_codes)
        d -= u
        np.minimum(d, 0.0, out=d)
        np.exp(d, out=d)
        np.negative(d, out=d)
        np.log1p(d, out=d)  # log A_0 - u
        d += u
        d += np.take(shift, age_codes)
        tail = np.abs(d)
        np.negative(tail, out=tail)
        np.exp(tail, out=tail)
        np.log1p(tail, out=tail)
        np.maximum(d, 0.0, out=d)
        tail += d  # softplus(d) = max(d, 0) + log1p(exp(-|d|))
    return head, age_codes, tail


def pareto_conditional_log_likelihood(params, freq, rec, T):
    """Lifetimes' Pareto/NBD log-likelihood per pattern, with the sign-aware A_0 of ``stable_log_a0``.

    A_0's hypergeometric terms are evaluated once per distinct (x, recency) and (x, T) pair, the terms of x
    and T once per (x, T) pair; only their combination runs per pattern (plain numpy: no autograd). Equal
    to the per-pattern formula to rounding (the tests: 1e-12 relative).

    Parameters
    ----------
    params : sequence of float
        ``(r, alpha, s, beta)``, time scaled as the patterns.
    freq, rec, T : numpy.ndarray
        The patterns' frequency, recency and T (the same arrays at every evaluation of a fit).

    Returns
    -------
    numpy.ndarray
        The log-likelihood of each pattern.
    """
    head, age_codes, tail = _pareto_parts(params, freq, rec, T)
    tail += np.take(head, age_codes)
    return tail


def _pair_weights(age_codes: np.ndarray, n_pairs: int, weights) -> tuple[np.ndarray, np.ndarray]:
    """(The weights summed per (x, T) pair, the weights as floats), cached with the weights array.

    lifetimes passes the same weights array at every evaluation of a fit.
    """
    for cached, codes, summed in _PAIR_WEIGHTS:
        if cached is weights and codes is age_codes:
            return summed
    as_float = np.asarray(weights, dtype=float)
    summed = (np.bincount(age_codes, weights=as_float, minlength=n_pairs), as_float)
    _PAIR_WEIGHTS.insert(0, (weights, age_codes, summed))
    del _PAIR_WEIGHTS[_CACHE_SIZE:]
    return summed


def pareto_negative_log_likelihood(params, freq, rec, T, weights, penalizer_coef):
    """The Pareto/NBD fitter's objective (lifetimes divides by the mean weight), infinite outside params > 0.

    The weighted sum of the per-(x, T) terms runs over the pairs (their summed weights), only the A_0 part
    over the patterns.

    Parameters
    ----------
    params : sequence of float
        ``(r, alpha, s, beta)``, time scaled as the patterns.
    freq, rec, T, weights : numpy.ndarray
        The patterns and their member counts.
    penalizer_coef : float
        lifetimes' L2 penalizer.

    Returns
    -------
    float
    """
    if np.any(np.asarray(params) <= 0.0):
        return np.inf
    head, age_codes, tail = _pareto_parts(params, freq, rec, T)
    pair_w, w = _pair_weights(age_codes, len(head), weights)
    total = float(np.einsum("i,i->", head, pair_w)) + float(
        np.einsum("i,i->", tail, w)
    )  # not BLAS: its threads cost more
    return -total / np.mean(weights) + penalizer_coef * np.sum(np.asarray(params) ** 2)


__all__ = [
    "bgnbd_negative_log_likelihood",
    "gamma_gamma_negative_log_likelihood",
    "mbgnbd_negative_log_likelihood",
    "pareto_conditional_log_likelihood",
    "pareto_negative_log_likelihood",
]
