"""Monitoring a running campaign: the effect at every look, and the decision the intervals allow.

* ``look_effects(looks, ...)``: for the campaign table of each look (e.g. outcomes from the start to each
  month-end), the estimates with their fixed-horizon and their always-valid intervals, one tidy frame;
  from sufficient statistics per look, ``sequential_test`` / ``welch_test`` / ``two_proportion_test``
  take arrays with one element per look directly;
* ``sequential_decision(frame, ...)``: "targeted_better", "blanket_better" or "not_yet_decided", read only
  from the always-valid interval of the difference between the targeted and the blanket arm, never from a
  look's fixed-horizon interval.

No words here: the report's sentences live in ``workbench.text``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from workbench.errors import ArgumentError
from workbench.experiments.analysis import analyze
from workbench.experiments.sequential import check_sequential_tuning
from workbench.experiments.stats import MetricKind

#: The ``interval`` column of ``look_effects``: which kind of interval a row carries.
LOOK_INTERVALS: tuple[str, ...] = ("fixed_horizon", "always_valid")

DecisionOutcome = Literal["targeted_better", "blanket_better", "not_yet_decided"]


def look_effects(
    looks: Mapping[object, pd.DataFrame],
    arm: str,
    control: str,
    metrics: Mapping[str, MetricKind],
    covariate: str | None = None,
    *,
    sequential_tuning: float,
    alpha: float = 0.05,
    correction: str = "holm",
) -> pd.DataFrame:
    """Every arm against the control at every look, with fixed-horizon and always-valid intervals.

    Parameters
    ----------
    looks : Mapping
        Look label (e.g. the month-end) -> the campaign table at that look, in look order; each table is
        what ``analyze`` takes (one row per member).
    arm, control, metrics, covariate, alpha, correction
        As for ``analyze``.
    sequential_tuning : float
        ``N*`` for the always-valid intervals: the planned total of the two arms compared.

    Returns
    -------
    DataFrame
        ``look`` (the label), ``look_number`` (1, 2, ...), ``interval`` (``"fixed_horizon"``: what
        ``analyze`` gives for an ended campaign; ``"always_valid"``: ``analyze(sequential_tuning=...)``),
        then the columns of ``analyze``; two rows per look, arm and metric.
    """
    if not isinstance(looks, Mapping) or not looks:
        raise ArgumentError(
            f"look_effects: looks must be a non-empty mapping look -> campaign table; got {type(looks).__name__}"
        )
    tuning = check_sequential_tuning(sequential_tuning, "look_effects")
    parts = []
    for number, (label, frame) in enumerate(looks.items(), start=1):
        if not isinstance(frame, pd.DataFrame):
            raise ArgumentError(
                f"look_effects: the table of look {label!r} must be a DataFrame; got {type(frame).__name__}"
            )
        for interval, n_star in zip(LOOK_INTERVALS, (None, tuning), strict=True):
            res = analyze(
                frame,
                arm,
                control,
                metrics,
                covariate,
                alpha=alpha,
                correction=correction,
                sequential_tuning=n_star,
            )
            res.insert(0, "interval", interval)
            res.insert(0, "look_number", number)
            res.insert(0, "look", [label] * len(res))
            parts.append(res)
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class SequentialDecision:
    """Targeted against blanket on one metric, from the always-valid interval of their difference.

    ``estimate``, ``ci_low``, ``ci_high`` and ``p_value`` are of ``targeted - blanket`` (per member for a
    continuous metric, a difference of shares for a binary one); the interval is the confidence sequence's
    (valid whenever the campaign is looked at); ``outcome`` is ``"targeted_better"`` when it lies above
    zero, ``"blanket_better"`` below, else ``"not_yet_decided"`` (also when it could not be computed:
    ``error`` says why).
    """

    outcome: DecisionOutcome
    targeted: str
    blanket: str
    metric: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n_targeted: int
    n_blanket: int
    sequential_tuning: float
    alpha: float
    method: str
    error: str | None = None


def sequential_decision(
    frame: pd.DataFrame,
    arm: str,
    targeted: str,
    blanket: str,
    metric: str,
    kind: MetricKind = "continuous",
    covariate: str | None = None,
    *,
    sequential_tuning: float,
    alpha: float = 0.05,
) -> SequentialDecision:
    """Whether the targeted arm beats the blanket arm on ``metric``, as far as the campaign shows so far.

    Parameters
    ----------
    frame : DataFrame
        The campaign table at this look (one row per member; other arms are left out).
    arm : str
        The arm column.
    targeted, blanket : str
        The two arms compared (``targeted - blanket``).
    metric : str
        The outcome column (e.g. revenue or net profit per member).
    kind : {"binary", "continuous"}
        The metric's kind.
    covariate : str, optional
        A pre-period column for the CUPED-adjusted difference.
    sequential_tuning : float
        ``N*``: the planned total of the targeted and the blanket arm.
    alpha : float
        1 - the simultaneous coverage of the always-valid interval.

    Returns
    -------
    SequentialDecision
    """
    tuning = check_sequential_tuning(sequential_tuning, "sequential_decision")
    if targeted == blanket:
        raise ArgumentError(
            f"sequential_decision: targeted and blanket must be two different arms; got {targeted!r} twice"
        )
    if arm not in frame.columns:
        raise ArgumentError(
            f"sequential_decision: arm column {arm!r} not in the frame (columns: {list(frame.columns)})"
        )
    labels = frame[arm].astype(str)
    present = set(labels.unique())
    for role, name in (("targeted", targeted), ("blanket", blanket)):
        if name not in present:
            raise ArgumentError(
                f"sequential_decision: {role} arm {name!r} not among the arms {sorted(present)}"
            )
    res = analyze(
        frame.loc[labels.isin([targeted, blanket]).to_numpy()],
        arm,
        blanket,
        {metric: kind},
        covariate,
        alpha=alpha,
        correction="none",
        sequential_tuning=tuning,
    )
    row = res.iloc[0]
    low, high = float(row["abs_ci_low"]), float(row["abs_ci_high"])
    outcome: DecisionOutcome = "not_yet_decided"
    if pd.isna(row["error"]) and low > 0:
        outcome = "targeted_better"
    elif pd.isna(row["error"]) and high < 0:
        outcome = "blanket_better"
    return SequentialDecision(
        outcome,
        targeted,
        blanket,
        metric,
        float(row["abs_lift"]),
        low,
        high,
        float(row["p_value"]),
        int(row["n_arm"]),
        int(row["n_control"]),
        tuning,
        alpha,
        str(row["method"]) if isinstance(row["method"], str) else "",
        None if pd.isna(row["error"]) else str(row["error"]),
    )
