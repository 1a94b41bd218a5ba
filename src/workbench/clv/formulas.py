"""Closed forms of the CLV purchase models (BG/NBD, Pareto/NBD, MBG/NBD), vectorised numpy.

The formulas are lifetimes' (the tests compare with it): P(alive), the conditional expectation
E[X(t) | x, t_x, T] = P(alive) * m(x) * (1 - g(t; x, T)) split so that the horizon part g is evaluated once
per distinct (x, T), and E[X(t)] for a new member. Pareto/NBD uses a sign-aware A_0 (lifetimes' returns
NaN when recency = T for frequent buyers); ``workbench.clv.fit`` puts the same A_0 in the fitter's likelihood.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy.special import expit, hyp2f1

PurchaseModel = Literal["bgnbd", "pareto_nbd", "mbgnbd"]

PURCHASE_MODELS: tuple[str, ...] = ("bgnbd", "pareto_nbd", "mbgnbd")
PURCHASE_PARAMS: dict[str, tuple[str, ...]] = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
    "mbgnbd": ("r", "alpha", "a", "b"),
}
SPEND_PARAMS: tuple[str, ...] = ("p", "q", "v")


def stable_log_a0(params, freq, recency, age):
    """Log A_0 of the Pareto/NBD likelihood (Fader-Hardie note 009, eq. 19-20), sign-aware.

    lifetimes computes log(p1/q1^k - p2/q2^k) with ``logsumexp(b=[1, -1])``, which returns NaN when the two
    terms cancel (recency = T, common for frequent buyers in daily data): A_0 is then 0 (log = -inf).
    """
    return combine_log_a0(a0_term(params, freq, recency), a0_term(params, freq, age))


def a0_term(params, freq, u):
    """log(2F1(r+s+x, t; r+s+x+1; (high-low)/(high+u))) - (r+s+x) log(high+u): A_0's term at u = recency or T.

    A function of (x, u) alone, so a likelihood over many patterns can evaluate it once per distinct pair.
    """
    r, alpha, s, beta = params
    if alpha < beta:
        low, high, t = alpha, beta, r + freq
    else:
        low, high, t = beta, alpha, s + 1.0
    rsf = r + s + freq
    with np.errstate(all="ignore"):
        return np.log(hyp2f1(rsf, t, rsf + 1.0, (high - low) / (high + u))) - rsf * np.log(high + u)


def combine_log_a0(first, second):
    """Log A_0 from its terms at recency (``first``) and at T (``second``); -inf where they cancel."""
    with np.errstate(all="ignore"):
        gap = second - first
        return np.where(gap < 0, first + np.log1p(-np.exp(np.minimum(gap, 0.0))), -np.inf)


def palive_terms(model: str, params: dict, x, tx, T):
    """(P(alive), multiplier) such that E[X(t) | x, tx, T] = P(alive) * multiplier * (1 - g(t))."""
    if model == "pareto_nbd":
        r, alpha, s, beta = (params[k] for k in PURCHASE_PARAMS[model])
        log_a0 = stable_log_a0([r, alpha, s, beta], x, tx, T)
        palive = 1.0 / (
            1.0
            + np.exp(
                np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + T) + s * np.log(beta + T) + log_a0
            )
        )
        return palive, (r + x) * (beta + T) / ((alpha + T) * (s - 1.0))
    r, alpha, a, b = (params[k] for k in PURCHASE_PARAMS[model])
    if model == "bgnbd":
        log_div = (r + x) * np.log((alpha + T) / (alpha + tx)) + np.log(a / (b + np.maximum(x, 1) - 1))
        palive = np.where(x == 0, 1.0, expit(-log_div))
        return palive, (a + b + x - 1) / (a - 1)
    log_div = (r + x) * np.log((alpha + T) / (alpha + tx)) + np.log(a / (b + x))
    return expit(-log_div), (a + b + x) / (a - 1)


def prob_alive(model: str, params: dict, x, tx, T) -> np.ndarray:
    """P(alive | x, t_x, T) of the purchase model (BG/NBD: Fader, Hardie & Lee 2005, eq. 11)."""
    return np.asarray(palive_terms(model, params, x, tx, T)[0], dtype=float)


def hyp_tail(model: str, params: dict, t: float, x, T) -> np.ndarray:
    """g(t) of the conditional expectation (the part that depends on the horizon t)."""
    if model == "pareto_nbd":
        s, beta = params["s"], params["beta"]
        return ((beta + T) / (beta + T + t)) ** (s - 1.0)
    r, alpha, a, b = (params[k] for k in PURCHASE_PARAMS[model])
    if model == "bgnbd":
        A, B, C = r + x, b + x, a + b + x - 1
    else:
        A, B, C = r + x, b + x + 1, a + b + x
    z = t / (alpha + T + t)
    A, B, C, z = np.broadcast_arrays(A, B, C, z)
    log_h = np.log(hyp2f1(A, B, C, z))
    bad = ~np.isfinite(log_h)
    if bad.any():  # Euler's transformation where the direct series overflows (as lifetimes does)
        a_, b_, c_, z_ = A[bad], B[bad], C[bad], z[bad]
        log_h[bad] = np.log(hyp2f1(c_ - a_, c_ - b_, c_, z_)) + (c_ - a_ - b_) * np.log(1 - z_)
    return np.exp(log_h + (r + x) * np.log((alpha + T) / (alpha + T + t)))


def unconditional_purchases(model: str, params: dict, t) -> np.ndarray:
    """E[X(t)] for a new member (repeat purchases in t periods after the first purchase)."""
    t = np.asarray(t, dtype=float)
    if model == "pareto_nbd":
        r, alpha, s, beta = (params[k] for k in PURCHASE_PARAMS[model])
        return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))
    r, alpha, a, b = (params[k] for k in PURCHASE_PARAMS[model])
    if model == "bgnbd":
        return (
            (a + b - 1)
            / (a - 1)
            * (1 - hyp2f1(r, b, a + b - 1, t / (alpha + t)) * (alpha / (alpha + t)) ** r)
        )
    return b / (a - 1) * (1 - hyp2f1(r, b + 1, a + b, t / (alpha + t)) * (alpha / (alpha + t)) ** r)


__all__ = [
    "PURCHASE_MODELS",
    "PURCHASE_PARAMS",
    "SPEND_PARAMS",
    "PurchaseModel",
    "a0_term",
    "combine_log_a0",
    "hyp_tail",
    "palive_terms",
    "stable_log_a0",
    "unconditional_purchases",
]
