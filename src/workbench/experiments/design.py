"""Designing a campaign experiment: sample size / MDE, stratified assignment, covariate balance.

* ``sample_size`` / ``minimum_detectable_effect``: per treatment arm against the control, for a binary
  metric (conversion; Cohen's h effect size) or a continuous one (revenue per member; effect / SD),
  with statsmodels' ``NormalIndPower``; ``k`` arms with unequal allocation via ``shares`` (control
  first), and a Bonferroni split of ``alpha`` over the ``k - 1`` comparisons unless ``correction="none"``.
* ``assign_arms``: stratified, seeded, reproducible assignment: within each stratum a shuffled block of
  arm labels in the design shares (remainders go to randomly chosen arms), exported as a table.
* ``balance_table``: standardised mean differences of pre-period covariates, arm vs control.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from workbench.errors import ArgumentError
from workbench.experiments.analysis import arm_codes
from workbench.settings import bounded, settings_error, validate


def normalized_shares(shares, owner: str) -> np.ndarray:
    """Design shares (control first) as fractions summing to 1; ``ArgumentError`` unless >= 2 positive numbers."""
    s = np.asarray(shares, dtype=float)
    if s.ndim != 1 or s.size < 2 or np.any(~np.isfinite(s)) or np.any(s <= 0):
        raise ArgumentError(
            f"{owner}: shares must list >= 2 positive numbers (control first), got {list(np.ravel(s))}"
        )
    return s / s.sum()


@dataclass(frozen=True)
class PowerDesign:
    """What a power calculation needs besides the size or the effect: the metric and the split.

    Parameters
    ----------
    kind : {"binary", "continuous"}
        The metric: a rate (two-proportion test, Cohen's h) or a mean (two-sample z, sd known).
    baseline : float
        The control rate (binary) or mean (continuous).
    sd : float, optional
        The standard deviation of a continuous metric.
    shares : tuple of float
        Design shares, control first (normalised to sum 1).
    alpha : float
        Two-sided level of each arm-vs-control test (before the correction).
    power : float
        The power wanted.
    correction : {"bonferroni", "none"}
        Bonferroni divides ``alpha`` by the number of treatment arms.
    """

    kind: Literal["binary", "continuous"]
    baseline: float
    sd: float | None = field(default=None, metadata=bounded(above=0))
    shares: tuple[float, ...] = (0.5, 0.5)
    alpha: float = field(default=0.05, metadata=bounded(above=0, high=0.5))
    power: float = field(default=0.8, metadata=bounded(above=0, high=0.9999))
    correction: Literal["bonferroni", "none"] = "bonferroni"

    def __post_init__(self):
        validate(self)
        s = np.asarray(self.shares, dtype=float)
        if s.size < 2 or np.any(~np.isfinite(s)) or np.any(s <= 0):
            raise settings_error(
                self, "shares", f"must list >= 2 positive numbers (control first); got {list(s)}"
            )
        object.__setattr__(self, "shares", tuple(float(v) for v in s / s.sum()))
        if self.kind == "binary" and not 0.0 < self.baseline < 1.0:
            raise settings_error(
                self, "baseline", f"of a binary metric must be in (0, 1); got {self.baseline!r}"
            )
        if self.kind == "continuous" and self.sd is None:
            raise settings_error(self, "sd", "is needed for a continuous metric (sd > 0); got None")

    @property
    def test_alpha(self) -> float:
        """The level of each arm-vs-control test after the correction."""
        arms = len(self.shares) - 1
        return self.alpha / arms if self.correction == "bonferroni" else self.alpha

    def effect_size(self, mde: float) -> float:
        """The standardised effect of an absolute increase ``mde`` (Cohen's h, or mde / sd)."""
        from statsmodels.stats.proportion import proportion_effectsize

        if self.kind == "binary":
            if not 0.0 < self.baseline + mde < 1.0:
                raise ArgumentError(
                    f"PowerDesign: baseline + mde must be in (0, 1) for a binary metric; got {self.baseline + mde!r}"
                )
            return abs(float(proportion_effectsize(self.baseline + mde, self.baseline)))
        return abs(mde) / float(self.sd)


def sample_size(design: PowerDesign, mde: float) -> pd.DataFrame:
    """Members needed to detect an absolute effect ``mde`` with the design's power in every arm-vs-control test.

    Parameters
    ----------
    design : PowerDesign
        Metric, baseline, split, alpha, power and correction.
    mde : float
        The absolute increase to detect (rate points for binary metrics).

    Returns
    -------
    DataFrame
        One row per treatment arm (``arm`` = 1..k-1) with the control and arm sizes that arm needs and the
        corrected ``alpha``; ``total`` is the experiment size at the design shares that satisfies every arm.
    """
    from statsmodels.stats.power import NormalIndPower

    s, a = np.asarray(design.shares), design.test_alpha
    es = design.effect_size(mde)
    rows = []
    for j in range(1, s.size):
        ratio = s[j] / s[0]
        n_control = float(
            NormalIndPower().solve_power(effect_size=es, alpha=a, power=design.power, ratio=ratio)
        )
        rows.append(
            {
                "arm": j,
                "share": s[j],
                "n_control": int(np.ceil(n_control)),
                "n_arm": int(np.ceil(n_control * ratio)),
                "alpha": a,
            }
        )
    out = pd.DataFrame(rows)
    out["total"] = int(np.ceil((out["n_control"] / s[0]).max()))
    return out


def minimum_detectable_effect(design: PowerDesign, n_total: int) -> pd.DataFrame:
    """Smallest absolute (and relative) increase each arm can detect with ``n_total`` members.

    Parameters
    ----------
    design : PowerDesign
        The test: its metric and baseline, the arms' split, alpha (corrected for several arms) and power.
    n_total : int
        Members in the experiment (all arms).

    Returns
    -------
    DataFrame
        One row per treatment arm: ``arm, share, n_control, n_arm, mde, mde_relative``.
    """
    from statsmodels.stats.power import NormalIndPower

    s, a = np.asarray(design.shares), design.test_alpha
    if n_total < 4 * s.size:
        raise ArgumentError(
            f"minimum_detectable_effect: n_total must be at least {4 * s.size}, got {n_total!r}"
        )
    rows = []
    for j in range(1, s.size):
        n0 = n_total * s[0]
        es = float(NormalIndPower().solve_power(nobs1=n0, alpha=a, power=design.power, ratio=s[j] / s[0]))
        if design.kind == "binary":  # invert Cohen's h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p0))
            p1 = np.sin(min(np.pi / 2, es / 2 + np.arcsin(np.sqrt(design.baseline)))) ** 2
            mde = float(p1 - design.baseline)
        else:
            mde = es * float(design.sd)
        rows.append(
            {
                "arm": j,
                "share": s[j],
                "n_control": int(n0),
                "n_arm": int(n_total * s[j]),
                "mde": mde,
                "mde_relative": mde / design.baseline if design.baseline else np.nan,
            }
        )
    return pd.DataFrame(rows)


def assign_arms(
    members: pd.DataFrame,
    arms: Sequence[str],
    shares: Sequence[float] | None = None,
    *,
    strata: str | None = None,
    quantiles: int | None = None,
    seed: int = 42,
    id_column: str = "member_id",
) -> pd.DataFrame:
    """Stratified, seeded assignment: a table ``member_id, stratum, arm`` in the members' order.

    ``strata`` names a column defining the strata (e.g. tier); with ``quantiles`` it is cut into that
    many quantile groups (e.g. pre-period spend or CLV deciles), labelled ``Q1`` (the highest) to ``Qk``. Within each stratum, the arm labels are
    laid out in the design shares (floor), the remaining places go to arms drawn with the shares, and the
    block is shuffled. Same input and seed, same table.
    """
    names = [str(a) for a in arms]
    if len(names) < 2 or len(set(names)) != len(names):
        raise ArgumentError(f"assign_arms: arms must be >= 2 distinct names, got {names}")
    s = normalized_shares(shares if shares is not None else [1.0] * len(names), "assign_arms")
    if s.size != len(names):
        raise ArgumentError(f"assign_arms: {len(names)} arms but {s.size} shares")
    if id_column not in members.columns:
        raise ArgumentError(f"assign_arms: id column {id_column!r} not in the members frame")
    if members[id_column].duplicated().any():
        raise ArgumentError(
            f"assign_arms: {id_column!r} has duplicates, e.g. {members.loc[members[id_column].duplicated(), id_column].iloc[:3].tolist()}"
        )
    n = len(members)
    if strata is None:
        stratum = np.zeros(n, dtype=np.int64)
        labels = ["all"]
    else:
        if strata not in members.columns:
            raise ArgumentError(f"assign_arms: strata column {strata!r} not in the members frame")
        col = members[strata]
        if col.isna().any():
            raise ArgumentError(
                f"assign_arms: strata column {strata!r} has missing values (rows {np.flatnonzero(col.isna().to_numpy())[:5].tolist()})"
            )
        if quantiles is not None:
            if not 2 <= quantiles <= 100:
                raise ArgumentError(f"assign_arms: quantiles must be in [2, 100], got {quantiles!r}")
            ranks = col.rank(method="first").to_numpy() - 1
            stratum = np.minimum(ranks * quantiles // n, quantiles - 1).astype(np.int64)
            labels = [
                f"Q{quantiles - i}" for i in range(quantiles)
            ]  # Q1 = the highest values, as every decile
        else:
            cat = pd.Categorical(col)
            stratum, labels = cat.codes.astype(np.int64), [str(c) for c in cat.categories]
    rng = np.random.default_rng(seed)
    arm_idx = np.empty(n, dtype=np.int64)
    for g in range(len(labels)):
        rows = np.flatnonzero(stratum == g)
        if rows.size == 0:
            continue
        counts = np.floor(s * rows.size).astype(int)
        extra = (
            rng.choice(len(names), size=rows.size - counts.sum(), replace=False, p=s)
            if rows.size > counts.sum()
            else []
        )
        counts[np.asarray(extra, dtype=int)] += 1
        arm_idx[rows] = rng.permutation(np.repeat(np.arange(len(names)), counts))
    return pd.DataFrame(
        {
            id_column: members[id_column].to_numpy(),
            "stratum": pd.Categorical.from_codes(stratum, labels),
            "arm": pd.Categorical.from_codes(arm_idx, names),
        }
    )


def balance_table(
    frame: pd.DataFrame, arm: str, control: str, covariates: Sequence[str], *, threshold: float = 0.1
) -> pd.DataFrame:
    """Standardised mean differences of pre-period covariates, each arm vs control.

    SMD = (mean_arm - mean_control) / sqrt((var_arm + var_control) / 2); ``balanced`` = |SMD| < threshold
    (0.1 is the usual rule of thumb). Also a Welch p-value per covariate (expect ~5% below 0.05).
    """
    from scipy import stats

    codes, names = arm_codes(frame, arm, control)
    rows = []
    for cov in covariates:
        if cov not in frame.columns:
            raise ArgumentError(f"balance_table: covariate {cov!r} not in the frame")
        x = pd.to_numeric(
            frame[cov].astype(float) if frame[cov].dtype == bool else frame[cov], errors="coerce"
        ).to_numpy(dtype=float)
        c = x[codes == 0]
        for j, a in enumerate(names[1:], start=1):
            t = x[codes == j]
            pooled = np.sqrt((np.nanvar(t, ddof=1) + np.nanvar(c, ddof=1)) / 2)
            smd = (np.nanmean(t) - np.nanmean(c)) / pooled if pooled > 0 else 0.0
            p = stats.ttest_ind(t, c, equal_var=False, nan_policy="omit").pvalue
            rows.append(
                {
                    "arm": a,
                    "covariate": cov,
                    "mean_arm": np.nanmean(t),
                    "mean_control": np.nanmean(c),
                    "smd": float(smd),
                    "p_value": float(p),
                    "balanced": bool(abs(smd) < threshold),
                }
            )
    return pd.DataFrame(rows)
