"""Customer lifetime value: BG/NBD, Pareto/NBD or MBG/NBD for purchases and Gamma-Gamma for spend.

``fit_clv(summary)`` fits the models (with lifetimes, through ``workbench.clv.fit``) and returns a
:class:`CLVModel` whose predictions (probability alive, expected purchases, expected order value,
discounted CLV) are our own vectorised numpy (``workbench.clv.formulas``), computed once per distinct
``(frequency, recency, T)`` pattern (``workbench.clv.patterns``). Deciles and the audience file are in
``workbench.clv.deciles``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from workbench.clv.fit import FitDiagnostics, fit_purchase_model, fit_spend_model
from workbench.clv.formulas import (
    SPEND_PARAMS,
    PurchaseModel,
    hyp_tail,
    palive_terms,
    unconditional_purchases,
)
from workbench.clv.patterns import SUMMARY_COLUMNS, check_choice, check_summary, patterns
from workbench.errors import ArgumentError

SpendModel = Literal["gamma_gamma"]
TimeUnit = Literal["D", "W", "M"]

TIME_UNITS: tuple[str, ...] = ("D", "W", "M")
#: model time units per calendar month (average Gregorian month)
PERIODS_PER_MONTH: dict[str, float] = {"D": 365.25 / 12, "W": 365.25 / 12 / 7, "M": 1.0}


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
    check_choice("fit_clv", "time_unit", time_unit, TIME_UNITS)
    check_choice("fit_clv", "spend_model", spend_model, ("gamma_gamma", None))
    if not 0 < ci_level < 1:
        raise ArgumentError(f"fit_clv: ci_level must be in (0, 1), got {ci_level!r}")
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
        check_summary(frame, columns, owner="CLVModel")
        return patterns(frame, columns)

    def _expected_grid(self, unique: pd.DataFrame, times) -> tuple[np.ndarray, np.ndarray]:
        """P(alive) and E[X(t)] per pattern for each t in ``times`` (shape patterns x len(times)).

        E[X(t) | x, t_x, T] = P(alive | x, t_x, T) * m(x) * (1 - g(t; x, T)): recency enters through P(alive)
        only, so the hypergeometric part g is evaluated once per distinct (x, T), far fewer than patterns.
        """
        x, tx, T = (unique[c].to_numpy(dtype=float) for c in SUMMARY_COLUMNS)
        with np.errstate(all="ignore"):
            palive, mult = palive_terms(self.purchase_model, self.purchase_params, x, tx, T)
            out = np.zeros((len(x), len(times)))
            if len(times) and np.any(np.asarray(times) != 0):
                xt, codes = patterns(unique, ("frequency", "T"))
                xs, Ts = xt["frequency"].to_numpy(), xt["T"].to_numpy()
                scale = palive * mult
                for j, t in enumerate(times):
                    if t != 0:
                        tail = hyp_tail(self.purchase_model, self.purchase_params, float(t), xs, Ts)
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
            raise ArgumentError("CLVModel.expected_purchases: give exactly one of periods or months")
        t = periods if periods is not None else self.periods(months)
        unique, codes = self._arrays(frame)
        _, grid = self._expected_grid(unique, [float(t)])
        return pd.Series(grid[codes, 0], index=frame.index, name="expected_purchases")

    def expected_order_value(self, frame: pd.DataFrame) -> pd.Series:
        """Gamma-Gamma conditional expected spend per purchase (the population mean for x = 0)."""
        if self.spend_model is None:
            raise ArgumentError("CLVModel: fitted without a spend model (spend_model=None)")
        check_summary(frame, ("frequency", "monetary_value"), owner="CLVModel")
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
            raise ArgumentError(f"CLVModel.predict: months must be a positive integer, got {months!r}")
        if discount_rate_monthly < 0:
            raise ArgumentError(
                f"CLVModel.predict: discount_rate_monthly must be >= 0, got {discount_rate_monthly!r}"
            )
        if not 0 <= gross_margin <= 1:
            raise ArgumentError(f"CLVModel.predict: gross_margin must be in [0, 1], got {gross_margin!r}")
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
            return unconditional_purchases(self.purchase_model, self.purchase_params, t)

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
        check_choice("CLVModel.frequency_recency_matrix", "what", what, ("expected_purchases", "prob_alive"))
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
