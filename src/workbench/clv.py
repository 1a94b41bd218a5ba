"""Customer lifetime value: BG/NBD, Pareto/NBD or MBG/NBD for purchases and Gamma-Gamma for spend.

``fit_clv(summary)`` fits the models with the ``lifetimes`` fitters and returns a :class:`CLVModel` whose
predictions (probability alive, expected purchases, expected order value, discounted CLV) are our own
vectorised numpy, computed once per distinct ``(frequency, recency, T)`` pattern. lifetimes is the only
engine this module touches, so a later switch (e.g. to PyMC-Marketing) changes this file alone.

How lifetimes 0.11.3 is tamed on this stack:

* fits use the distinct ``(frequency, recency, T)`` rows with member counts as ``weights`` (the same
  likelihood, hence the same parameters, over far fewer rows); Gamma-Gamma likewise on
  ``(frequency, monetary_value)``;
* ``import lifetimes`` and every BG/NBD likelihood evaluation call ``warnings.simplefilter("ignore",
  FutureWarning)`` process-wide, and failed fits ``print`` the optimizer result: every lifetimes call runs
  inside :func:`_quiet`, which restores the warning filters, captures stdout and records warnings in the
  fit diagnostics;
* the fitters raise ``ConvergenceError`` on scipy's "precision loss" status even at the optimum: a failure
  is retried with looser tolerances, then with a small penalizer grid; the attempt that was used is in
  ``CLVModel.diagnostics`` and the notebook reports it. All attempts failing raises :class:`CLVFitError`.

Large fits are warm-started: a fit on a binomial thinning of the patterns to ~20k gives the start values
and BFGS's initial inverse Hessian, so the full fit takes a few iterations instead of ~20 (same gradient
tolerance, same estimates to ~1e-6). Standard errors come from the Hessian of the mean negative
log-likelihood in log-parameters: forward differences of lifetimes' autograd gradient (the fitters' own
optimizer call is kept, only autograd's nested Hessian, ~40% of a large fit, is replaced), and of the
likelihood for Pareto/NBD, which lifetimes fits without one. CIs are Wald intervals on the log scale
(``estimate * exp(+-z * se_log)``), so they stay positive. Pareto/NBD uses a sign-aware A_0 (lifetimes'
returns NaN when recency = T for frequent buyers).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from scipy.special import expit, hyp2f1
from scipy.stats import norm

PurchaseModel = Literal["bgnbd", "pareto_nbd", "mbgnbd"]
SpendModel = Literal["gamma_gamma"]
TimeUnit = Literal["D", "W", "M"]

PURCHASE_MODELS: tuple[str, ...] = ("bgnbd", "pareto_nbd", "mbgnbd")
PURCHASE_PARAMS: dict[str, tuple[str, ...]] = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
    "mbgnbd": ("r", "alpha", "a", "b"),
}
SPEND_PARAMS: tuple[str, ...] = ("p", "q", "v")
TIME_UNITS: tuple[str, ...] = ("D", "W", "M")
#: model time units per calendar month (average Gregorian month)
PERIODS_PER_MONTH: dict[str, float] = {"D": 365.25 / 12, "W": 365.25 / 12 / 7, "M": 1.0}
SUMMARY_COLUMNS = ("frequency", "recency", "T")
TOLERANCES: tuple[float, ...] = (1e-7, 1e-6, 1e-5)
PENALIZERS: tuple[float, ...] = (1e-4, 1e-3, 1e-2)
PARETO_TOLERANCES: tuple[float, ...] = (1e-5, 1e-4, 1e-3)
WARM_START_PATTERNS = 20_000  # BFGS fitters; Nelder-Mead (Pareto/NBD) gains from a start already at 2,000
WARM_START_PATTERNS_PARETO = 2_000


class CLVFitError(RuntimeError):
    """A model did not converge with any tolerance or penalizer tried; ``attempts`` lists them."""

    def __init__(self, message: str, attempts: list[dict]):
        super().__init__(message)
        self.attempts = attempts


@contextlib.contextmanager
def _quiet():
    """Run lifetimes code without leaking its process-wide warning filters or its prints.

    Yields ``(stdout buffer, list of caught warnings)``; the caller stores them in the diagnostics.
    """
    buffer = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(buffer):
        warnings.simplefilter("always")
        with np.errstate(all="ignore"):
            yield buffer, caught


def _lifetimes():
    with _quiet():
        import lifetimes
        import lifetimes.utils
    return lifetimes


@dataclass(frozen=True)
class FitDiagnostics:
    """How one model was fitted: the attempt used and everything tried before it."""

    model: str
    tol: float
    penalizer: float
    members: int
    patterns: int
    neg_log_likelihood: (
        float  # lifetimes' mean negative log-likelihood per member (rescaled time, no penalty)
    )
    log_likelihood: float  # total log-likelihood in the data's time unit (comparable with published values)
    penalty_share: float  # penalizer term / objective (0 without a penalizer)
    attempts: tuple[dict, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def retried(self) -> bool:
        """True when the fit needed a looser tolerance or a larger penalizer than first asked for."""
        first, last = self.attempts[0], self.attempts[-1]
        return (last["tol"], last["penalizer"]) != (first["tol"], first["penalizer"])

    def as_dict(self) -> dict:
        return {
            "model": self.model,
            "tol": self.tol,
            "penalizer": self.penalizer,
            "members": self.members,
            "patterns": self.patterns,
            "attempts": len(self.attempts),
            "log_likelihood": self.log_likelihood,
            "penalty_share": self.penalty_share,
        }


def _check_frame(summary: pd.DataFrame, columns, owner: str = "fit_clv") -> None:
    if not isinstance(summary, pd.DataFrame):
        raise TypeError(f"{owner}: summary must be a DataFrame, got {type(summary).__name__}")
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise ValueError(
            f"{owner}: required column(s) missing from summary: {', '.join(missing)} "
            f"(expects lifetimes' frequency, recency, T[, monetary_value]; present: {', '.join(map(str, summary.columns))})"
        )
    x = summary[list(columns)].to_numpy(dtype=float)
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        raise ValueError(f"{owner}: non-finite values in {', '.join(columns)} at row(s) {rows}")
    if "recency" in columns and "T" in columns:
        bad = summary["recency"].to_numpy() > summary["T"].to_numpy()
        if bad.any():
            raise ValueError(f"{owner}: recency > T at row(s) {np.flatnonzero(bad)[:5].tolist()}")


def _choice(owner: str, name: str, value, allowed) -> None:
    if value not in allowed:
        raise ValueError(f"{owner}: {name} must be one of {tuple(allowed)}, got {value!r}")


def patterns(frame: pd.DataFrame, columns=SUMMARY_COLUMNS) -> tuple[pd.DataFrame, np.ndarray]:
    """Distinct rows of ``columns`` with a ``weights`` column (member count), and each row's pattern number.

    Hash-based: each column is factorized, the codes combined into one integer key, and that key factorized
    (about 0.1 s for a million members).
    """
    columns = list(columns)
    key = np.zeros(len(frame), dtype=np.int64)
    for col in columns:
        codes, uniques = pd.factorize(frame[col].to_numpy(dtype=float))
        key = key * len(uniques) + codes  # < 2**63 for any realistic summary (distinct values per column)
    codes, first = pd.factorize(key)
    order = np.empty(len(first), dtype=np.int64)
    order[codes] = np.arange(len(codes))  # one row of each pattern (the last; any will do)
    unique = pd.DataFrame({c: frame[c].to_numpy(dtype=float)[order] for c in columns})
    unique["weights"] = np.bincount(codes, minlength=len(unique))
    return unique, codes


# --------------------------------------------------------------------------------------------------
# fitting
# --------------------------------------------------------------------------------------------------
def _stable_log_a0(params, freq, recency, age):
    """log A_0 of the Pareto/NBD likelihood (Fader-Hardie note 009, eq. 19-20), sign-aware.

    lifetimes computes log(p1/q1^k - p2/q2^k) with ``logsumexp(b=[1, -1])``, which returns NaN when the two
    terms cancel (recency = T, common for frequent buyers in daily data): A_0 is then 0 (log = -inf).
    """
    r, alpha, s, beta = params
    if alpha < beta:
        low, high, t = alpha, beta, r + freq
    else:
        low, high, t = beta, alpha, s + 1.0
    rsf = r + s + freq
    with np.errstate(all="ignore"):
        first = np.log(hyp2f1(rsf, t, rsf + 1.0, (high - low) / (high + recency))) - rsf * np.log(
            high + recency
        )
        second = np.log(hyp2f1(rsf, t, rsf + 1.0, (high - low) / (high + age))) - rsf * np.log(high + age)
        gap = second - first
        return np.where(gap < 0, first + np.log1p(-np.exp(np.minimum(gap, 0.0))), -np.inf)


_STABLE_PARETO = None


def _stable_pareto_class():
    """lifetimes' ParetoNBDFitter with :func:`_stable_log_a0` in its likelihood (same optimizer, same API)."""
    global _STABLE_PARETO
    if _STABLE_PARETO is None:
        base = _lifetimes().ParetoNBDFitter
        from scipy.special import gammaln

        def conditional_log_likelihood(params, freq, rec, T):
            r, alpha, s, beta = params
            x = freq
            a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
            log_a0 = _stable_log_a0(params, x, rec, T)
            a2 = np.logaddexp(
                -(r + x) * np.log(alpha + T) - s * np.log(beta + T), np.log(s) + log_a0 - np.log(r + s + x)
            )
            return a1 + a2

        def negative_log_likelihood(params, freq, rec, T, weights, penalizer_coef):
            if np.any(np.asarray(params) <= 0.0):
                return np.inf
            ll = conditional_log_likelihood(params, freq, rec, T)
            return -(weights * ll).sum() / weights.mean() + penalizer_coef * np.sum(np.asarray(params) ** 2)

        _STABLE_PARETO = type(
            "StableParetoNBDFitter",
            (base,),
            {
                "_log_A_0": staticmethod(_stable_log_a0),
                "_conditional_log_likelihood": staticmethod(conditional_log_likelihood),
                "_negative_log_likelihood": staticmethod(negative_log_likelihood),
            },
        )
    return _STABLE_PARETO


def _fit_numerical_hessian(
    self, minimizing_function_args, initial_params, params_size, disp, tol=1e-7, bounds=None, **kwargs
):
    """lifetimes' ``BaseFitter._fit`` (same optimizer call, so the same estimates), with the Hessian at the
    optimum by forward differences of the autograd gradient: 4 gradient passes instead of autograd's
    nested ``hessian``, which took about 40% of a fit on a million members. No ``print`` on failure."""
    from autograd import grad, value_and_grad
    from scipy.optimize import minimize

    options = {"disp": disp, **kwargs}
    x0 = 0.1 * np.ones(params_size) if initial_params is None else initial_params
    objective = self._negative_log_likelihood
    output = minimize(
        value_and_grad(objective),
        jac=True,
        method=None,
        tol=tol,
        x0=x0,
        args=minimizing_function_args,
        options=options,
        bounds=bounds,
    )
    if not output.success:
        raise _lifetimes().utils.ConvergenceError(f"The model did not converge: {output.message}")
    gradient = grad(objective)
    k, h = len(output.x), 1e-6
    hess = np.empty((k, k))
    for i in range(k):
        step = np.zeros(k)
        step[i] = h
        hess[i] = (gradient(output.x + step, *minimizing_function_args) - output.jac) / h
    return output.x, output.fun, (hess + hess.T) / 2


_FITTERS: dict = {}


def _fitter_class(model: str):
    """The lifetimes fitter for ``model``: BG/NBD, MBG/NBD and Gamma-Gamma with :func:`_fit_numerical_hessian`,
    Pareto/NBD with the sign-aware A_0 (:func:`_stable_pareto_class`)."""
    if model not in _FITTERS:
        lt = _lifetimes()
        if model == "pareto_nbd":
            _FITTERS[model] = _stable_pareto_class()
        else:
            base = {
                "bgnbd": lt.BetaGeoFitter,
                "mbgnbd": lt.ModifiedBetaGeoFitter,
                "gamma_gamma": lt.GammaGammaFitter,
            }[model]
            _FITTERS[model] = type(base.__name__, (base,), {"_fit": _fit_numerical_hessian})
    return _FITTERS[model]


def _attempt_grid(tolerances, penalizer: float, penalizers) -> list[tuple[float, float]]:
    grid = [(tol, penalizer) for tol in tolerances]
    grid += [(tolerances[-1], pen) for pen in penalizers if pen > penalizer]
    return grid


def _warm_start(model: str, data: dict, penalizer: float, extra: dict) -> dict:
    """Start values from a fit on a binomial thinning of the patterns to about ``WARM_START_PATTERNS``.

    Returns lifetimes ``fit`` keyword arguments: ``initial_params`` (its parametrisation: log-parameters
    with time scaled to max(T) = 1; raw scaled parameters for Pareto/NBD) and, for the BFGS fitters, the
    inverse Hessian of that fit as BFGS's starting ``hess_inv0``. The full fit then needs a few iterations
    instead of about twenty, and still stops on the same gradient tolerance. Empty for small data or when
    the thinned fit fails.
    """
    weights = np.asarray(data["weights"])
    target = WARM_START_PATTERNS_PARETO if model == "pareto_nbd" else WARM_START_PATTERNS
    if len(weights) <= target:
        return {}
    rng = np.random.default_rng(0)
    thinned = rng.binomial(weights, target / len(weights))
    keep = thinned > 0
    sub = {k: (thinned[keep] if k == "weights" else np.asarray(v)[keep]) for k, v in data.items()}
    try:
        with _quiet():
            fitter = _fitter_class(model)(penalizer_coef=penalizer).fit(**sub, **extra)
    except (_lifetimes().utils.ConvergenceError, np.linalg.LinAlgError, ValueError, FloatingPointError):
        return {}
    params = fitter.params_.to_numpy(dtype=float)
    if not (np.all(np.isfinite(params)) and np.all(params > 0)):
        return {}
    if model == "gamma_gamma":
        scaled = params
    else:
        scale = 1.0 / np.max(data["T"])
        scaled = params * np.array([1.0, scale, 1.0, scale if model == "pareto_nbd" else 1.0])
    if model == "pareto_nbd":
        return {"initial_params": scaled}
    hess_inv = np.linalg.inv(fitter._hessian_)
    hess_inv = (hess_inv + hess_inv.T) / 2
    try:
        np.linalg.cholesky(hess_inv)
    except np.linalg.LinAlgError:
        return {"initial_params": np.log(scaled)}
    return {"initial_params": np.log(scaled), "hess_inv0": hess_inv}


def _fit_with_retries(model: str, data: dict, tolerances, penalizer: float, penalizers, extra: dict):
    """Fit ``model`` with lifetimes (warm-started on large data); on failure retry looser tolerances, then the
    penalizer grid, from lifetimes' own start values."""
    cls = _fitter_class(model)
    convergence_error = _lifetimes().utils.ConvergenceError
    warm = _warm_start(model, data, penalizer, extra)
    grid = [(tol, pen, {}) for tol, pen in _attempt_grid(tolerances, penalizer, penalizers)]
    if warm:
        grid.insert(0, (tolerances[0], penalizer, warm))
    attempts: list[dict] = []
    for tol, pen, start in grid:
        with _quiet() as (out, caught):
            try:
                fitter = cls(penalizer_coef=pen).fit(**data, tol=tol, **{**extra, **start})
                params = fitter.params_.to_numpy(dtype=float)
                ok = bool(np.all(np.isfinite(params)) and np.all(params > 0))
                error = "" if ok else f"non-finite or non-positive parameters {params.tolist()}"
            except (convergence_error, np.linalg.LinAlgError) as exc:
                printed = [
                    ln.split(":", 1)[1].strip() for ln in out.getvalue().splitlines() if "message:" in ln
                ]
                fitter, error = None, "; ".join([*printed, " ".join(str(exc).split())])
        attempts.append(
            {"tol": tol, "penalizer": pen, "warm_start": bool(start), "ok": not error, "error": error}
        )
        if not error:
            messages = tuple(sorted({f"{w.category.__name__}: {w.message}" for w in caught}))
            return fitter, attempts, messages
    tried = ", ".join(f"tol={a['tol']:g}/penalizer={a['penalizer']:g}" for a in attempts)
    raise CLVFitError(
        f"fit_clv: {model} did not converge with any of {len(attempts)} attempts ({tried}); "
        f"last error: {attempts[-1]['error']}",
        attempts,
    )


def _log_hessian(model: str, fitter, data: dict) -> np.ndarray:
    """Hessian of the mean negative log-likelihood with respect to the log-parameters."""
    if model != "pareto_nbd":
        return np.asarray(fitter._hessian_, dtype=float)
    # Pareto/NBD: lifetimes has no Hessian; central differences in log-parameters, time scaled as in its fit
    x, rec, T, w = (np.asarray(data[k], dtype=float) for k in ("frequency", "recency", "T", "weights"))
    scale = 1.0 / T.max()
    theta = fitter.params_.to_numpy(dtype=float) * np.array([1.0, scale, 1.0, scale])
    cll = type(fitter)._conditional_log_likelihood
    pen = fitter.penalizer_coef

    def f(log_theta):
        p = np.exp(log_theta)
        return -(w * cll(p, x, rec * scale, T * scale)).sum() / w.sum() + pen * np.sum(p**2)

    k, h = len(theta), 1e-4
    base = np.log(theta)
    H = np.empty((k, k))
    with _quiet():
        for i in range(k):
            for j in range(i, k):
                ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
                H[i, j] = H[j, i] = (
                    f(base + ei + ej) - f(base + ei - ej) - f(base - ei + ej) + f(base - ei - ej)
                ) / (4 * h * h)
    return H


def _param_table(
    component: str, model: str, fitter, hessian: np.ndarray, n: float, ci_level: float, method: str
):
    est = fitter.params_.astype(float)
    with np.errstate(all="ignore"):
        cov_log = np.linalg.pinv(hessian) / n
    se_log = np.sqrt(np.clip(np.diag(cov_log), 0, None))
    z = norm.ppf(0.5 + ci_level / 2)
    return pd.DataFrame(
        {
            "component": component,
            "model": model,
            "param": est.index,
            "estimate": est.to_numpy(),
            "se": est.to_numpy() * se_log,
            "ci_low": est.to_numpy() * np.exp(-z * se_log),
            "ci_high": est.to_numpy() * np.exp(z * se_log),
            "ci_level": ci_level,
            "method": method,
        }
    )


def _diagnostics(model, fitter, attempts, messages, members, n_patterns) -> FitDiagnostics:
    params = fitter.params_.to_numpy(dtype=float)
    if model in ("bgnbd", "mbgnbd", "pareto_nbd"):
        scaled = params * np.array([1.0, fitter._scale, 1.0, fitter._scale if model == "pareto_nbd" else 1.0])
    else:
        scaled = params
    objective = float(fitter._negative_log_likelihood_)
    penalty = fitter.penalizer_coef * float(np.sum(scaled**2))
    nll = objective - penalty
    if model == "pareto_nbd":  # lifetimes divides the summed likelihood by mean(weights), not by their sum
        nll /= n_patterns
    log_lik = -nll * members
    if model != "gamma_gamma":  # lifetimes rescales time to max(T) = 1; back to the data's time unit
        data = fitter.data
        log_lik += float((data["frequency"] * data["weights"]).sum()) * np.log(fitter._scale)
    return FitDiagnostics(
        model=model,
        tol=attempts[-1]["tol"],
        penalizer=attempts[-1]["penalizer"],
        members=int(members),
        patterns=int(n_patterns),
        neg_log_likelihood=nll,
        log_likelihood=float(log_lik),
        penalty_share=abs(penalty / objective) if objective else 0.0,
        attempts=tuple(attempts),
        warnings=messages,
    )


def fit_purchase_model(
    summary: pd.DataFrame,
    model: PurchaseModel = "bgnbd",
    *,
    penalizer: float = 0.0,
    tolerances=None,
    penalizers=PENALIZERS,
    ci_level: float = 0.95,
):
    """Fit a purchase model on the distinct (frequency, recency, T) rows; returns (fitter, table, diagnostics)."""
    _choice("fit_clv", "purchase_model", model, PURCHASE_MODELS)
    _check_frame(summary, SUMMARY_COLUMNS)
    if len(summary) == 0:
        raise ValueError("fit_clv: summary has no rows")
    unique, _ = patterns(summary)
    data = {
        "frequency": unique["frequency"].to_numpy(),
        "recency": unique["recency"].to_numpy(),
        "T": unique["T"].to_numpy(),
        "weights": unique["weights"].to_numpy(),
    }
    if model == "pareto_nbd":
        tolerances = tolerances or PARETO_TOLERANCES
        extra = {"initial_params": np.ones(4), "maxiter": 10_000}
    else:
        tolerances = tolerances or TOLERANCES
        extra = {}
    fitter, attempts, messages = _fit_with_retries(model, data, tolerances, penalizer, penalizers, extra)
    hessian = _log_hessian(model, fitter, data)
    method = (
        "Hessian (finite differences), log-scale Wald"
        if model == "pareto_nbd"
        else "Hessian (differenced autograd gradient), log-scale Wald"
    )
    table = _param_table("purchase", model, fitter, hessian, len(summary), ci_level, method)
    return fitter, table, _diagnostics(model, fitter, attempts, messages, len(summary), len(unique))


def spend_sample(summary: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Members the Gamma-Gamma model is fitted on (repeat buyers with positive mean spend), and the excluded counts."""
    _check_frame(summary, ("frequency", "monetary_value"))
    repeat = summary["frequency"] > 0
    positive = summary["monetary_value"] > 0
    excluded = {
        "members": len(summary),
        "used": int((repeat & positive).sum()),
        "no_repeat_purchase": int((~repeat).sum()),
        "non_positive_spend": int((repeat & ~positive).sum()),
    }
    return summary.loc[repeat & positive], excluded


def fit_spend_model(
    summary: pd.DataFrame,
    *,
    penalizer: float = 0.0,
    tolerances=TOLERANCES,
    penalizers=PENALIZERS,
    ci_level: float = 0.95,
):
    """Gamma-Gamma on repeat buyers with positive mean spend; returns (fitter, table, diagnostics, exclusions)."""
    sample, exclusions = spend_sample(summary)
    if exclusions["used"] < 10:
        raise ValueError(
            f"fit_clv: Gamma-Gamma needs repeat buyers with positive monetary_value; found {exclusions['used']}"
        )
    unique, _ = patterns(sample, ("frequency", "monetary_value"))
    data = {
        "frequency": unique["frequency"].to_numpy(),
        "monetary_value": unique["monetary_value"].to_numpy(),
        "weights": unique["weights"].to_numpy(),
    }
    fitter, attempts, messages = _fit_with_retries("gamma_gamma", data, tolerances, penalizer, penalizers, {})
    table = _param_table(
        "spend",
        "gamma_gamma",
        fitter,
        fitter._hessian_,
        len(sample),
        ci_level,
        "Hessian (differenced autograd gradient), log-scale Wald",
    )
    return (
        fitter,
        table,
        _diagnostics("gamma_gamma", fitter, attempts, messages, len(sample), len(unique)),
        exclusions,
    )


def fit_clv(
    summary: pd.DataFrame,
    purchase_model: PurchaseModel = "bgnbd",
    spend_model: SpendModel | None = "gamma_gamma",
    *,
    time_unit: TimeUnit = "D",
    penalizer: float = 0.0,
    ci_level: float = 0.95,
) -> CLVModel:
    """Fit a purchase model and (unless ``spend_model=None``) Gamma-Gamma on a member summary.

    Parameters
    ----------
    summary : any frame with ``frequency, recency, T`` (and ``monetary_value`` for the spend model), e.g.
        ``workbench.summary.member_summary`` output; one row per member.
    purchase_model : ``"bgnbd"`` (default), ``"pareto_nbd"`` or ``"mbgnbd"``.
    spend_model : ``"gamma_gamma"`` or ``None`` (purchases only).
    time_unit : the unit of ``recency`` and ``T`` (``"D"``, ``"W"``, ``"M"``); used to turn months into
        model time for horizons and CLV.
    penalizer : starting L2 penalizer (lifetimes' ``penalizer_coef``); retries may raise it.
    ci_level : level of the parameter CIs.
    """
    _choice("fit_clv", "time_unit", time_unit, TIME_UNITS)
    _choice("fit_clv", "spend_model", spend_model, ("gamma_gamma", None))
    if not 0 < ci_level < 1:
        raise ValueError(f"fit_clv: ci_level must be in (0, 1), got {ci_level!r}")
    fitter, table, diag = fit_purchase_model(summary, purchase_model, penalizer=penalizer, ci_level=ci_level)
    tables, diags = [table], {"purchase": diag}
    spend_fitter, exclusions = None, {}
    if spend_model is not None:
        spend_fitter, s_table, s_diag, exclusions = fit_spend_model(
            summary, penalizer=penalizer, ci_level=ci_level
        )
        tables.append(s_table)
        diags["spend"] = s_diag
    return CLVModel(
        purchase_model=purchase_model,
        spend_model=spend_model,
        time_unit=time_unit,
        purchase_params={k: float(v) for k, v in fitter.params_.items()},
        spend_params={k: float(v) for k, v in spend_fitter.params_.items()}
        if spend_fitter is not None
        else {},
        params=pd.concat(tables, ignore_index=True),
        diagnostics=diags,
        spend_exclusions=exclusions,
        members=len(summary),
        purchase_fitter=fitter,
        spend_fitter=spend_fitter,
    )


# --------------------------------------------------------------------------------------------------
# predictions (vectorised; formulas as in lifetimes, tested against it)
# --------------------------------------------------------------------------------------------------
def _log_palive_terms(model: str, params: dict, x, tx, T):
    """(P(alive), multiplier) such that E[X(t) | x, tx, T] = P(alive) * multiplier * (1 - g(t))."""
    if model == "pareto_nbd":
        r, alpha, s, beta = (params[k] for k in PURCHASE_PARAMS[model])
        log_a0 = _stable_log_a0([r, alpha, s, beta], x, tx, T)
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


def _hyp_tail(model: str, params: dict, t: float, x, T) -> np.ndarray:
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


def _unconditional(model: str, params: dict, t) -> np.ndarray:
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


@dataclass
class CLVModel:
    """A fitted purchase (+ spend) model with per-member predictions. Build it with :func:`fit_clv`."""

    purchase_model: str
    spend_model: str | None
    time_unit: str
    purchase_params: dict[str, float]
    spend_params: dict[str, float]
    params: pd.DataFrame
    diagnostics: dict[str, FitDiagnostics]
    spend_exclusions: dict[str, int]
    members: int
    purchase_fitter: object = field(repr=False, default=None)
    spend_fitter: object = field(repr=False, default=None)

    # ---- helpers -------------------------------------------------------------------------------
    def periods(self, months: float, periods_per_month: float | None = None) -> float:
        """Model time units in ``months`` calendar months."""
        return months * (periods_per_month or PERIODS_PER_MONTH[self.time_unit])

    def _arrays(self, frame: pd.DataFrame, columns=SUMMARY_COLUMNS):
        _check_frame(frame, columns, owner="CLVModel")
        unique, codes = patterns(frame, columns)
        return unique, codes

    def _expected_grid(self, unique: pd.DataFrame, times) -> tuple[np.ndarray, np.ndarray]:
        """P(alive) and E[X(t)] per pattern for each t in ``times`` (shape patterns x len(times)).

        E[X(t) | x, t_x, T] = P(alive | x, t_x, T) * m(x) * (1 - g(t; x, T)): recency enters through P(alive)
        only, so the hypergeometric part g is evaluated once per distinct (x, T), far fewer than patterns.
        """
        x, tx, T = (unique[c].to_numpy(dtype=float) for c in SUMMARY_COLUMNS)
        with np.errstate(all="ignore"):
            palive, mult = _log_palive_terms(self.purchase_model, self.purchase_params, x, tx, T)
            out = np.zeros((len(x), len(times)))
            if len(times) and np.any(np.asarray(times) != 0):
                xt, codes = patterns(unique, ("frequency", "T"))
                xs, Ts = xt["frequency"].to_numpy(), xt["T"].to_numpy()
                scale = palive * mult
                for j, t in enumerate(times):
                    if t != 0:
                        tail = _hyp_tail(self.purchase_model, self.purchase_params, float(t), xs, Ts)
                        out[:, j] = scale * (1.0 - tail[codes])
        return np.asarray(palive, dtype=float), out

    # ---- per-member predictions ------------------------------------------------------------------
    def prob_alive(self, frame: pd.DataFrame) -> pd.Series:
        """Probability that each member is still active at the end of observation."""
        unique, codes = self._arrays(frame)
        palive, _ = self._expected_grid(unique, [])
        return pd.Series(palive[codes], index=frame.index, name="prob_alive")

    def expected_purchases(
        self, frame: pd.DataFrame, periods: float | None = None, *, months: float | None = None
    ):
        """Expected repeat purchases of each member in the next ``periods`` model time units (or ``months``)."""
        if (periods is None) == (months is None):
            raise ValueError("CLVModel.expected_purchases: give exactly one of periods or months")
        t = periods if periods is not None else self.periods(months)
        unique, codes = self._arrays(frame)
        _, grid = self._expected_grid(unique, [float(t)])
        return pd.Series(grid[codes, 0], index=frame.index, name="expected_purchases")

    def expected_order_value(self, frame: pd.DataFrame) -> pd.Series:
        """Gamma-Gamma conditional expected spend per purchase (the population mean for x = 0)."""
        if self.spend_model is None:
            raise ValueError("CLVModel: fitted without a spend model (spend_model=None)")
        _check_frame(frame, ("frequency", "monetary_value"), owner="CLVModel")
        p, q, v = (self.spend_params[k] for k in SPEND_PARAMS)
        x = frame["frequency"].to_numpy(dtype=float)
        m = frame["monetary_value"].to_numpy(dtype=float)
        weight = p * x / (p * x + q - 1)
        value = (1 - weight) * (v * p / (q - 1)) + weight * m
        return pd.Series(value, index=frame.index, name="expected_order_value")

    def predict(
        self,
        frame: pd.DataFrame,
        months: int = 12,
        *,
        discount_rate_monthly: float = 0.01,
        gross_margin: float = 1.0,
        periods_per_month: float | None = None,
    ) -> pd.DataFrame:
        """Per member: ``prob_alive``, ``expected_purchases`` (next ``months``), ``expected_order_value``, ``clv``.

        CLV = gross_margin * expected order value * sum over months k = 1..N of (expected purchases in
        month k) / (1 + discount_rate_monthly) ** k, the discounted cash flow of lifetimes'
        ``customer_lifetime_value`` (which uses 30 days or 4.345 weeks per month; pass
        ``periods_per_month`` to match it), computed once per distinct (frequency, recency, T).
        """
        if int(months) != months or months < 1:
            raise ValueError(f"CLVModel.predict: months must be a positive integer, got {months!r}")
        if discount_rate_monthly < 0:
            raise ValueError(
                f"CLVModel.predict: discount_rate_monthly must be >= 0, got {discount_rate_monthly!r}"
            )
        if not 0 <= gross_margin <= 1:
            raise ValueError(f"CLVModel.predict: gross_margin must be in [0, 1], got {gross_margin!r}")
        unique, codes = self._arrays(frame)
        step = periods_per_month or PERIODS_PER_MONTH[self.time_unit]
        times = step * np.arange(int(months) + 1)
        palive, grid = self._expected_grid(unique, times)
        with np.errstate(all="ignore"):  # non-finite results are reported below
            monthly = np.diff(grid, axis=1)
            discounted = monthly @ (1.0 + discount_rate_monthly) ** -np.arange(1, int(months) + 1)
        out = pd.DataFrame(
            {"prob_alive": palive[codes], "expected_purchases": grid[codes, -1]}, index=frame.index
        )
        if self.spend_model is not None:
            eov = self.expected_order_value(frame).to_numpy()
            out["expected_order_value"] = eov
            out["clv"] = gross_margin * eov * discounted[codes]
        bad = ~np.isfinite(out.to_numpy(dtype=float)).all(axis=1)
        if bad.any():  # never hand on a silent NaN
            rows = np.flatnonzero(bad)[:5].tolist()
            raise FloatingPointError(
                f"CLVModel.predict: {int(bad.sum())} member(s) got non-finite predictions from the "
                f"{self.purchase_model} model (rows {rows}; params {self.purchase_params})"
            )
        return out

    def clv(self, frame: pd.DataFrame, months: int = 12, **kwargs) -> pd.Series:
        """Discounted CLV per member over ``months`` (see :meth:`predict` for the options)."""
        return self.predict(frame, months, **kwargs)["clv"]

    def expected_repeat_purchases(self, t) -> np.ndarray:
        """E[X(t)] for a member who has just made the first purchase (the tracking-plot building block)."""
        with np.errstate(all="ignore"):
            return _unconditional(self.purchase_model, self.purchase_params, t)

    def log_likelihood(self) -> float:
        """Log-likelihood of the purchase model at the estimates, in the data's time unit (penalty excluded)."""
        return self.diagnostics["purchase"].log_likelihood

    def frequency_recency_matrix(
        self,
        what: Literal["expected_purchases", "prob_alive"] = "prob_alive",
        *,
        max_frequency: int | None = None,
        T: float | None = None,
        months: float = 12,
        bins: int = 40,
    ) -> pd.DataFrame:
        """P(alive) or expected purchases (next ``months``) for a member of age ``T`` over a frequency x recency grid."""
        _choice("CLVModel.frequency_recency_matrix", "what", what, ("expected_purchases", "prob_alive"))
        fitted = self.purchase_fitter.data
        T = float(T if T is not None else fitted["T"].max())
        max_frequency = int(
            max_frequency
            if max_frequency is not None
            else np.quantile(np.repeat(fitted["frequency"], fitted["weights"]), 0.99)
        )
        recency = np.linspace(0, T, bins)
        freq = np.arange(max_frequency + 1, dtype=float)
        ff, rr = np.meshgrid(freq, recency, indexing="ij")
        grid = pd.DataFrame({"frequency": ff.ravel(), "recency": rr.ravel(), "T": T})
        grid.loc[grid["frequency"] == 0, "recency"] = 0.0
        if what == "prob_alive":
            values = self.prob_alive(grid).to_numpy()
        else:
            values = self.expected_purchases(grid, months=months).to_numpy()
        return pd.DataFrame(
            values.reshape(ff.shape),
            index=pd.Index(freq.astype(int), name="frequency"),
            columns=pd.Index(np.round(recency, 1), name="recency"),
        )


# --------------------------------------------------------------------------------------------------
# value concentration and audiences
# --------------------------------------------------------------------------------------------------
def clv_deciles(clv: pd.Series) -> pd.DataFrame:
    """Members in ten equal groups by CLV (decile 1 = the highest), with each decile's share of the total."""
    values = pd.Series(clv, dtype=float).dropna()
    if len(values) < 10:
        raise ValueError(f"clv_deciles: needs at least 10 members, got {len(values)}")
    rank = values.rank(method="first", ascending=False).to_numpy()
    decile = np.minimum(((rank - 1) * 10 // len(values)).astype(int) + 1, 10)
    table = (
        pd.DataFrame({"decile": decile, "clv": values.to_numpy()})
        .groupby("decile")["clv"]
        .agg(members="size", total="sum", mean="mean", min="min", max="max")
        .reset_index()
    )
    table["share"] = table["total"] / table["total"].sum()
    table["cumulative_share"] = table["share"].cumsum()
    return table


def assign_deciles(clv: pd.Series) -> pd.Series:
    """The CLV decile (1 = highest) of each member, aligned with ``clv``."""
    rank = clv.rank(method="first", ascending=False)
    return pd.Series(
        np.minimum(((rank - 1) * 10 // rank.notna().sum()) + 1, 10), index=clv.index, name="clv_decile"
    )


def top_decile_share(clv: pd.Series) -> float:
    """Share of the total projected value held by the 10% of members with the highest CLV."""
    return float(clv_deciles(clv)["share"].iloc[0])


def export_audience(
    predictions: pd.DataFrame, directory: str | Path, *, deciles=(1,), name: str = "clv_audience.csv"
) -> Path | None:
    """Write the member ids of the given CLV deciles (with decile, CLV and P(alive)) to ``directory/name``.

    Returns ``None`` and writes nothing when ``directory`` is empty: audiences leave the workbench only
    when a parameter asks for them.
    """
    if not directory:
        return None
    if "clv" not in predictions.columns:
        raise ValueError("export_audience: predictions need a 'clv' column (CLVModel.predict output)")
    decile = assign_deciles(predictions["clv"])
    chosen = predictions.loc[decile.isin(list(deciles))]
    out = pd.DataFrame(
        {
            "member_id": chosen.index.astype(str),
            "clv_decile": decile.loc[chosen.index].astype(int).to_numpy(),
            "clv": chosen["clv"].round(2).to_numpy(),
            "prob_alive": chosen["prob_alive"].round(4).to_numpy(),
        }
    ).sort_values("clv", ascending=False)
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    target = path / name
    tmp = path / f".{name}.tmp"
    out.to_csv(tmp, index=False, encoding="utf-8")
    tmp.replace(target)
    return target


__all__ = [
    "CLVFitError",
    "CLVModel",
    "FitDiagnostics",
    "PURCHASE_MODELS",
    "assign_deciles",
    "clv_deciles",
    "export_audience",
    "fit_clv",
    "fit_purchase_model",
    "fit_spend_model",
    "patterns",
    "spend_sample",
    "top_decile_share",
]
