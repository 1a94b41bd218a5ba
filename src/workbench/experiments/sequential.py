"""Always-valid inference for a campaign that is analysed while it runs: the asymptotic confidence sequence.

A campaign re-analysed every month is looked at several times; a fixed-horizon 95% interval read at every
look excludes zero in some month far more often than 5% of the time when there is no effect. An
*asymptotic confidence sequence* (Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas, "Time-uniform central
limit theory and asymptotic confidence sequences", arXiv:2103.06476, eqs. 9, 155 and 161) is a sequence of
intervals that covers the true effect at every look simultaneously, with probability 1 - alpha
(asymptotically), however often and whenever one looks. This is the sequential test of GrowthBook's
``gbstats`` (``packages/stats/gbstats/frequentist/tests.py``, MIT licence; Eppo uses the same formula);
this module is the workbench's own implementation, checked against the values ``gbstats`` pins in its tests.

With ``n = n_arm + n_control`` (the total of the two arms compared), ``se`` the standard error of the
effect estimate (absolute difference or relative lift, the same estimate and standard error a fixed-horizon
normal interval would use), the tuning ``N*`` (``sequential_tuning``: the planned total of the two arms,
where the sequence is tightest; gbstats' default is 5000) and ``t = n rho^2`` with

    rho^2 = (-2 ln alpha + ln(-2 ln alpha + 1)) / N*                          (eq. 161)

the interval is ``estimate +/- se * sqrt(2 (t + 1) / t * ln(sqrt(t + 1) / alpha))`` (eq. 9) and the
always-valid p-value is ``min(1, sqrt(t + 1) * exp(-t z^2 / (2 (t + 1))))`` with ``z = estimate / se``
(eq. 155); ``p <= alpha`` exactly when the interval excludes zero. The half-width factor is at least
3.035 at alpha = 5% (at ``n`` near ``N*``; 1.55 times the fixed 1.96) and grows slowly away from it.

The time-uniform guarantee is about a growing sample (members enrolled month by month). When every member
is assigned at the start and only their outcomes accumulate, ``n`` is the same at every look, so the
sequence is a fixed interval (+/- 3.035 standard errors at ``n = N*``, a 0.24% error per look): its any-look
error stays at or below 5% for up to 20 looks by the union bound (the README gives both simulated rates).

Moments follow ``gbstats``: proportions with variance ``p (1 - p)``, means with the ``n - 1`` sample
variance, the relative lift ``mean_arm / mean_control - 1`` with the delta-method variance (arms
independent: the control mean squared, and to the fourth power, in the denominators), and the
covariate-adjusted (CUPED) estimate with ``theta`` = cov(outcome, covariate) / var(covariate) pooled over
both arms of the comparison, ``theta = 0`` (no adjustment) when either pooled variance is zero. For means,
the interval is never narrower than the fixed-horizon Welch t interval of the same data: where the Welch
quantile exceeds the sequence's factor (arms of a handful of members) it is used instead, and the p-value is
then never below the Welch p-value.

Everything takes sufficient statistics (``SampleStats``, ``CovariateStats``) whose fields may be arrays (one
comparison per element: arms, looks, simulated campaigns), so a look at a 1M-member campaign and 10,000
simulated campaigns cost the same code.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

import numpy as np
from scipy import stats

from workbench.errors import ArgumentError
from workbench.experiments.stats import Effect, MetricKind, SampleStats, check_alpha, relative_lift

#: ``gbstats``' default tuning: the total of the two arms at which the sequence is tightest.
DEFAULT_SEQUENTIAL_TUNING = 5000


@dataclass(frozen=True)
class SequentialEffect(Effect):
    """An ``Effect`` whose intervals and p-value are those of the confidence sequence.

    Besides the ``Effect`` fields: ``rel_p_value`` (the always-valid p-value of the relative lift, dual to
    its interval), ``sequential_tuning`` (``N*``), and for a covariate-adjusted estimate ``theta`` (the
    pooled CUPED coefficient) and ``variance_reduction`` (1 - its variance / the unadjusted variance).
    """

    rel_p_value: float | np.ndarray
    sequential_tuning: float
    theta: float | np.ndarray | None = None
    variance_reduction: float | np.ndarray | None = None


@dataclass(frozen=True)
class CovariateStats:
    """Sufficient statistics of one arm for a covariate-adjusted comparison (fields may be arrays).

    ``outcome`` and ``covariate`` are the ``SampleStats`` of the metric and of the pre-period covariate over
    the same members; ``cross`` is the sum of their products.
    """

    outcome: SampleStats
    covariate: SampleStats
    cross: float | np.ndarray

    @classmethod
    def from_values(cls, outcome, covariate) -> CovariateStats:
        """The statistics of paired outcome and covariate values.

        Parameters
        ----------
        outcome, covariate : array-like
            One value per member, the same members in the same order.

        Returns
        -------
        CovariateStats
        """
        y, x = np.asarray(outcome, float), np.asarray(covariate, float)
        if y.shape != x.shape or y.ndim != 1:
            raise ArgumentError(
                f"CovariateStats.from_values: outcome and covariate must be 1-d of the same length; "
                f"got shapes {y.shape} and {x.shape}"
            )
        return cls(SampleStats.from_values(y), SampleStats.from_values(x), float(np.dot(y, x)))


def check_sequential_tuning(value, owner: str) -> float:
    """``value`` as a float when it is a usable ``N*``; ``ArgumentError`` naming ``owner`` otherwise.

    Parameters
    ----------
    value : object
        The tuning ``N*``: a positive, finite number of members (the planned total of the two arms).
    owner : str
        The function named in the error.

    Returns
    -------
    float
    """
    ok = isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value) and value > 0
    if not ok:
        raise ArgumentError(
            f"{owner}: sequential_tuning must be a positive number of members (N*, the planned total of the "
            f"two arms compared) or None; got {value!r}"
        )
    return float(value)


def _rho2(alpha: float, tuning: float) -> float:
    """rho^2 of eq. 161: the mixture that makes the sequence tightest at a total of ``tuning`` members."""
    return (-2.0 * np.log(alpha) + np.log(-2.0 * np.log(alpha) + 1.0)) / tuning


def _factor(n, tuning: float, alpha: float):
    """Half-width of the sequence in standard errors at a total of ``n`` members (eq. 9)."""
    t = np.asarray(n, float) * _rho2(alpha, tuning)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(2.0 * (t + 1.0) / t * np.log(np.sqrt(t + 1.0) / alpha))


def _p_value(estimate, se, n, tuning: float, alpha: float):
    """Always-valid p-value (eq. 155); NaN where the standard error is 0 or not finite."""
    t = np.asarray(n, float) * _rho2(alpha, tuning)
    se = np.asarray(se, float)
    ok = np.isfinite(se) & (se > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z2 = (np.asarray(estimate, float) / np.where(ok, se, np.nan)) ** 2
        p = np.minimum(1.0, np.sqrt(t + 1.0) * np.exp(-t * z2 / (2.0 * (t + 1.0))))
    return np.where(ok, p, np.nan)


def confidence_sequence(estimate, se, n, *, sequential_tuning: float, alpha: float = 0.05):
    """The always-valid interval and p-value of an effect estimate at a total of ``n`` members.

    Parameters
    ----------
    estimate : float or array
        The effect estimate (a difference, or a relative lift).
    se : float or array
        Its standard error (the one a fixed-horizon normal interval would use).
    n : float or array
        The total of the two arms compared at this look.
    sequential_tuning : float
        ``N*``, the planned total of the two arms (where the sequence is tightest).
    alpha : float
        1 - the simultaneous coverage over all looks.

    Returns
    -------
    tuple of (low, high, p_value)
        Floats or arrays (the broadcast shape of the inputs); the p-value is NaN where ``se`` is 0.
    """
    tuning = check_sequential_tuning(sequential_tuning, "confidence_sequence")
    check_alpha(alpha, "confidence_sequence")
    est = np.asarray(estimate, float)
    half = _factor(n, tuning, alpha) * np.asarray(se, float)
    return _out(est - half), _out(est + half), _out(_p_value(est, se, n, tuning, alpha))


def _out(x):
    return float(x) if np.ndim(x) == 0 else x


def sequential_test(
    arm: SampleStats,
    control: SampleStats,
    kind: MetricKind,
    *,
    sequential_tuning: float,
    alpha: float = 0.05,
) -> SequentialEffect:
    """An arm against the control with the confidence sequence's intervals and p-values.

    Parameters
    ----------
    arm, control : SampleStats
        Sufficient statistics of the two arms (fields may be arrays: one comparison per element).
    kind : {"binary", "continuous"}
        Proportions (variance ``p (1 - p)``) or means (``n - 1`` sample variance).
    sequential_tuning : float
        ``N*``, the planned total of the two arms.
    alpha : float
        1 - the simultaneous coverage over all looks.

    Returns
    -------
    SequentialEffect
        The estimates are those of the fixed-horizon tests (``two_proportion_test``, ``welch_test``); the
        absolute and relative intervals and p-values are always-valid. The p-value is NaN where neither
        arm varies.
    """
    tuning = check_sequential_tuning(sequential_tuning, "sequential_test")
    check_alpha(alpha, "sequential_test")
    n1, n0 = np.asarray(arm.n, float), np.asarray(control.n, float)
    m1, m0 = arm.mean, control.mean
    if kind == "binary":
        v1, v0 = m1 * (1 - m1) / n1, m0 * (1 - m0) / n0
    elif kind == "continuous":
        v1, v0 = arm.variance / n1, control.variance / n0
    else:
        raise ArgumentError(f"sequential_test: kind must be 'binary' or 'continuous'; got {kind!r}")
    diff, se = m1 - m0, np.sqrt(v1 + v0)
    factor = p = None
    if kind == "continuous":  # never narrower than the fixed Welch t interval of the same data
        with np.errstate(divide="ignore", invalid="ignore"):
            df = np.where(se > 0, (v1 + v0) ** 2 / (v1**2 / (n1 - 1) + v0**2 / (n0 - 1)), 1.0)
            p = np.maximum(_p_value(diff, se, n1 + n0, tuning, alpha), 2 * stats.t.sf(np.abs(diff / se), df))
        factor = np.maximum(_factor(n1 + n0, tuning, alpha), stats.t.ppf(1 - alpha / 2, df))
    rel, rel_se, _, _ = relative_lift(m1, v1, m0, v0, alpha)
    label = "z (unpooled)" if kind == "binary" else "normal, Welch SE"
    return _effect(m1, m0, diff, se, rel, rel_se, n1 + n0, tuning, alpha, label, factor=factor, p=p)


def _effect(m1, m0, diff, se, rel, rel_se, n, tuning, alpha, label, *, factor=None, p=None, **extra):
    """The ``SequentialEffect`` of these estimates and standard errors at a total of ``n`` members (``factor``/``p``.

    The absolute half-width in SEs and p-value, when not the sequence's own).
    """
    base = _factor(n, tuning, alpha)
    factor = base if factor is None else factor
    p = _p_value(diff, se, n, tuning, alpha) if p is None else p
    return SequentialEffect(
        *(_out(v) for v in (m1, m0, diff, se, diff - factor * se, diff + factor * se)),
        *(_out(v) for v in (rel, rel - base * rel_se, rel + base * rel_se, p)),
        f"always-valid confidence sequence (N*={_tuning_label(tuning)}), {label}",
        _out(_p_value(rel, rel_se, n, tuning, alpha)),
        tuning,
        **{k: _out(v) for k, v in extra.items()},
    )


def _tuning_label(tuning: float) -> str:
    return f"{tuning:,.0f}" if tuning == round(tuning) else f"{tuning:,.6g}"


def _moments(n, total, total_sq, kind: str):
    """(mean, variance) with gbstats' denominators: ``n`` for proportions, ``n - 1`` for means."""
    n = np.asarray(n, float)
    ddof = 0.0 if kind == "binary" else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.asarray(total, float) / n
        var = (np.asarray(total_sq, float) - np.asarray(total, float) * mean) / (n - ddof)
    return mean, np.maximum(var, 0.0)


def _covariance(n, sum_x, sum_y, sum_xy, kind: str):
    n = np.asarray(n, float)
    ddof = 0.0 if kind == "binary" else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.asarray(sum_xy, float) - np.asarray(sum_x, float) * np.asarray(sum_y, float) / n) / (
            n - ddof
        )


def pooled_theta(arm: CovariateStats, control: CovariateStats, kind: MetricKind):
    """CUPED's ``theta``: cov(outcome, covariate) / var(covariate) over both arms combined.

    Parameters
    ----------
    arm, control : CovariateStats
        The two arms compared (fields may be arrays).
    kind : {"binary", "continuous"}
        ``n`` denominators for proportions, ``n - 1`` for means (as ``gbstats``).

    Returns
    -------
    float or array
        0 where the pooled variance of the outcome or of the covariate is 0.
    """
    y, x = arm.outcome, arm.covariate
    cy, cx = control.outcome, control.covariate
    n = np.asarray(y.n, float) + np.asarray(cy.n, float)
    sy, sx = np.asarray(y.sum) + np.asarray(cy.sum), np.asarray(x.sum) + np.asarray(cx.sum)
    _, var_y = _moments(n, sy, np.asarray(y.sum_sq) + np.asarray(cy.sum_sq), kind)
    _, var_x = _moments(n, sx, np.asarray(x.sum_sq) + np.asarray(cx.sum_sq), kind)
    cov = _covariance(n, sy, sx, np.asarray(arm.cross) + np.asarray(control.cross), kind)
    ok = (var_x > 0) & (var_y > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(np.where(ok, cov / np.where(ok, var_x, 1.0), 0.0))


def _adjusted_arm(s: CovariateStats, theta, kind: str):
    """Unadjusted mean, adjusted mean, variance of the adjusted outcome, covariate variance, covariance and outcome variance of one arm."""
    mean_y, var_y = _moments(s.outcome.n, s.outcome.sum, s.outcome.sum_sq, kind)
    mean_x, var_x = _moments(s.covariate.n, s.covariate.sum, s.covariate.sum_sq, kind)
    cov = _covariance(s.outcome.n, s.outcome.sum, s.covariate.sum, s.cross, kind)
    var_adj = np.maximum(var_y + theta**2 * var_x - 2 * theta * cov, 0.0)
    return mean_y, mean_y - theta * mean_x, var_adj, var_x, cov, var_y


def cuped_sequential_test(
    arm: CovariateStats,
    control: CovariateStats,
    kind: MetricKind,
    *,
    sequential_tuning: float,
    alpha: float = 0.05,
) -> SequentialEffect:
    """The covariate-adjusted (CUPED) effect with the confidence sequence's intervals and p-values.

    The adjusted mean of an arm is ``mean(outcome) - theta * mean(covariate)`` with ``theta`` pooled over
    both arms (``pooled_theta``); its variance is ``var(outcome) + theta^2 var(covariate) - 2 theta cov``
    per arm. The relative lift is ``(adjusted arm - adjusted control) / control mean`` (the unadjusted
    control mean, as ``gbstats``) with ``gbstats``' delta-method variance.

    Parameters
    ----------
    arm, control : CovariateStats
        The two arms compared (fields may be arrays: one comparison per element).
    kind : {"binary", "continuous"}
        How the outcome's moments are taken (see ``pooled_theta``).
    sequential_tuning, alpha : float
        As for ``sequential_test``: ``N*`` and 1 - the simultaneous coverage over all looks.

    Returns
    -------
    SequentialEffect
        ``mean_arm``/``mean_control`` are the unadjusted means; ``theta`` and ``variance_reduction``
        (1 - the adjusted variance of the difference / the unadjusted one) are filled in.
    """
    tuning = check_sequential_tuning(sequential_tuning, "cuped_sequential_test")
    check_alpha(alpha, "cuped_sequential_test")
    if kind not in ("binary", "continuous"):
        raise ArgumentError(f"cuped_sequential_test: kind must be 'binary' or 'continuous'; got {kind!r}")
    theta = np.asarray(pooled_theta(arm, control, kind), float)
    n1, n0 = np.asarray(arm.outcome.n, float), np.asarray(control.outcome.n, float)
    m1, a1, w1, _, _, u1 = _adjusted_arm(arm, theta, kind)
    m0, a0, w0, vx0, c0, u0 = _adjusted_arm(control, theta, kind)
    diff = a1 - a0
    var = w1 / n1 + w0 / n0
    se = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        m0_safe = np.where(m0 == 0, np.nan, m0)
        rel = diff / m0_safe
        ratio = m1 / m0_safe
        rel_var = w1 / (n1 * m0_safe**2) + (u0 * ratio**2 - 2 * theta * c0 * ratio + theta**2 * vx0) / (
            n0 * m0_safe**2
        )
        rel_se = np.sqrt(np.maximum(rel_var, 0.0))
        unadjusted = u1 / n1 + u0 / n0
        reduction = np.where(unadjusted > 0, 1.0 - var / unadjusted, np.nan)
    label = "CUPED (pooled theta)"
    return _effect(
        m1,
        m0,
        diff,
        se,
        rel,
        rel_se,
        n1 + n0,
        tuning,
        alpha,
        label,
        theta=theta,
        variance_reduction=reduction,
    )
