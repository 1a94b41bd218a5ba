"""Fitting the CLV models with lifetimes: the adapter between ``lifetimes`` 0.11.3 and ``workbench.clv``.

:func:`fit_purchase_model` (BG/NBD, Pareto/NBD or MBG/NBD) and :func:`fit_spend_model` (Gamma-Gamma) return
the fitted lifetimes fitter, a parameter table with standard errors and CIs, and :class:`FitDiagnostics`.
lifetimes is the only engine this module touches, so a later switch (e.g. to PyMC-Marketing) changes this
file; ``workbench.clv.fit_clv`` builds the public :class:`~workbench.clv.CLVModel` from these results.

How lifetimes 0.11.3 is tamed on this stack:

* fits use the distinct ``(frequency, recency, T)`` rows with member counts as ``weights`` (the same
  likelihood, hence the same parameters, over far fewer rows); Gamma-Gamma likewise on
  ``(frequency, monetary_value)``; the likelihoods are lifetimes' own, evaluated term by term where each
  term varies (``workbench.clv.likelihoods``: same values, a fraction of the work);
* ``import lifetimes`` and every BG/NBD likelihood evaluation call ``warnings.simplefilter("ignore",
  FutureWarning)`` process-wide, and failed fits ``print`` the optimizer result: every lifetimes call runs
  inside :func:`_quiet`, which restores the warning filters, captures stdout and records warnings in the
  fit diagnostics;
* the fitters raise ``ConvergenceError`` on scipy's "precision loss" status even at the optimum: a failure
  is retried with looser tolerances, then with a small penalizer grid; the attempt that was used is in
  ``CLVModel.diagnostics`` and the notebook reports it. All attempts failing raises :class:`CLVFitError`.

Large fits are warm-started: a fit on a binomial thinning of the patterns to ~20k gives the start values
and BFGS's initial inverse Hessian, so the full fit takes a few iterations instead of ~20 (same gradient
tolerance, same estimates to ~1e-6). A warm-started Pareto/NBD fit (thinned to ~2k patterns) runs BFGS
in log-parameters from the thinned fit's values and inverse Hessian (``workbench.clv.pareto``) instead of
lifetimes' Nelder-Mead. Standard errors come from the Hessian of the mean negative log-likelihood in
log-parameters: forward differences of lifetimes' autograd gradient (the fitters' own
optimizer call is kept, only autograd's nested Hessian, ~40% of a large fit, is replaced), and of the
likelihood for Pareto/NBD, which lifetimes fits without one. CIs are Wald intervals on the log scale
(``estimate * exp(+-z * se_log)``), so they stay positive. Pareto/NBD is fitted with the sign-aware A_0 of
``workbench.clv.formulas`` (lifetimes' returns NaN when recency = T for frequent buyers).
"""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from workbench.clv import likelihoods, pareto
from workbench.clv.formulas import PURCHASE_MODELS, PurchaseModel, stable_log_a0
from workbench.clv.patterns import SUMMARY_COLUMNS, check_choice, check_summary, patterns
from workbench.errors import ArgumentError, WorkbenchError

TOLERANCES: tuple[float, ...] = (1e-7, 1e-6, 1e-5)
PENALIZERS: tuple[float, ...] = (1e-4, 1e-3, 1e-2)
PARETO_TOLERANCES: tuple[float, ...] = (1e-5, 1e-4, 1e-3)
WARM_START_PATTERNS = 20_000  # BFGS fitters; Pareto/NBD's thinned fit (Nelder-Mead) needs only 2,000
WARM_START_PATTERNS_PARETO = 2_000


class CLVFitError(WorkbenchError, RuntimeError):
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
        """The fit's settings and outcome as plain JSON values (for ``run.json`` and the report)."""
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


# --------------------------------------------------------------------------------------------------
# lifetimes fitters
# --------------------------------------------------------------------------------------------------
def _fit_numerical_hessian(
    self, minimizing_function_args, initial_params, params_size, disp, tol=1e-7, bounds=None, **kwargs
):
    """Lifetimes' ``BaseFitter._fit`` (same optimizer call, so the same estimates), with the Hessian at the optimum by forward differences of the autograd gradient.

    4 gradient passes instead of autograd's nested ``hessian``, which took about 40% of a fit on a million
    members. No ``print`` on failure.
    """
    from autograd import grad, value_and_grad
    from scipy.optimize import minimize

    options = {"disp": disp, **kwargs}
    x0 = 0.1 * np.ones(params_size) if initial_params is None else initial_params
    objective = self._negative_log_likelihood
    solver = {
        "jac": True,
        "method": None,
        "tol": tol,
        "bounds": bounds,
        "options": options,
    }  # lifetimes' call
    output = minimize(value_and_grad(objective), x0=x0, args=minimizing_function_args, **solver)
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
    """The lifetimes fitter for ``model``.

    BG/NBD, MBG/NBD and Gamma-Gamma with :func:`_fit_numerical_hessian`, Pareto/NBD with the sign-aware A_0 in
    its likelihood (same optimizer, same API).
    """
    if model not in _FITTERS:
        lt = _lifetimes()
        if model == "pareto_nbd":
            _FITTERS[model] = type(
                "StableParetoNBDFitter",
                (lt.ParetoNBDFitter,),
                {
                    "_fit": pareto.fit,
                    "_log_A_0": staticmethod(stable_log_a0),
                    "_conditional_log_likelihood": staticmethod(
                        likelihoods.pareto_conditional_log_likelihood
                    ),
                    "_negative_log_likelihood": staticmethod(likelihoods.pareto_negative_log_likelihood),
                },
            )
        else:
            base, objective = {
                "bgnbd": (lt.BetaGeoFitter, likelihoods.bgnbd_negative_log_likelihood),
                "mbgnbd": (lt.ModifiedBetaGeoFitter, likelihoods.mbgnbd_negative_log_likelihood),
                "gamma_gamma": (lt.GammaGammaFitter, likelihoods.gamma_gamma_negative_log_likelihood),
            }[model]
            _FITTERS[model] = type(
                base.__name__,
                (base,),
                {"_fit": _fit_numerical_hessian, "_negative_log_likelihood": staticmethod(objective)},
            )
    return _FITTERS[model]


# --------------------------------------------------------------------------------------------------
# fitting: warm start, retries, standard errors, diagnostics
# --------------------------------------------------------------------------------------------------
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
    if model == "pareto_nbd":  # the thinned fit's Hessian starts the full fit's BFGS (pareto.LOG_BFGS)
        hessian = _pareto_log_hessian(fitter, sub)
        hess_inv = np.linalg.inv(hessian) if np.all(np.isfinite(hessian)) else hessian
        try:
            np.linalg.cholesky((hess_inv + hess_inv.T) / 2)
        except np.linalg.LinAlgError:
            return {"initial_params": scaled}
        return {
            "initial_params": scaled,
            "fit_method": pareto.LOG_BFGS,
            "hess_inv0": (hess_inv + hess_inv.T) / 2,
        }
    hess_inv = np.linalg.inv(fitter._hessian_)
    hess_inv = (hess_inv + hess_inv.T) / 2
    try:
        np.linalg.cholesky(hess_inv)
    except np.linalg.LinAlgError:
        return {"initial_params": np.log(scaled)}
    return {"initial_params": np.log(scaled), "hess_inv0": hess_inv}


def _fit_with_retries(model: str, data: dict, tolerances, penalizer: float, penalizers, extra: dict):
    """Fit ``model`` with lifetimes (warm-started on large data); on failure retry looser tolerances, then the penalizer grid, from lifetimes' own start values."""
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


def _pareto_log_hessian(fitter, data: dict) -> np.ndarray:
    """Pareto/NBD (lifetimes has no Hessian): central differences of the mean negative log-likelihood per member in log-parameters, time scaled as in its fit."""
    x, rec, T, w = (np.asarray(data[k], dtype=float) for k in ("frequency", "recency", "T", "weights"))
    scale = 1.0 / T.max()
    theta = fitter.params_.to_numpy(dtype=float) * np.array([1.0, scale, 1.0, scale])
    nll = type(fitter)._negative_log_likelihood
    pen = fitter.penalizer_coef
    # the same arrays at every evaluation, so the likelihood finds the distinct pairs once
    rec_scaled, age_scaled, n = rec * scale, T * scale, len(w)

    def f(log_theta):
        p = np.exp(log_theta)
        return nll(p, x, rec_scaled, age_scaled, w, 0.0) / n + pen * np.sum(p**2)

    with _quiet():
        return pareto.log_hessian(f, np.log(theta))


def _log_hessian(model: str, fitter, data: dict) -> np.ndarray:
    """Hessian of the mean negative log-likelihood with respect to the log-parameters."""
    if model != "pareto_nbd":
        return np.asarray(fitter._hessian_, dtype=float)
    return _pareto_log_hessian(fitter, data)


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


# --------------------------------------------------------------------------------------------------
# public fits
# --------------------------------------------------------------------------------------------------
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
    check_choice("fit_clv", "purchase_model", model, PURCHASE_MODELS)
    check_summary(summary, SUMMARY_COLUMNS)
    if len(summary) == 0:
        raise ArgumentError("fit_clv: summary has no rows")
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
    check_summary(summary, ("frequency", "monetary_value"))
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
        raise ArgumentError(
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


__all__ = [
    "CLVFitError",
    "FitDiagnostics",
    "fit_purchase_model",
    "fit_spend_model",
    "spend_sample",
]
