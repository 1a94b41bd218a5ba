"""A campaign seen from a monthly report: which look this month is, and the trend across the month-ends.

* ``campaign_look(window_start, window_end, month)``: where the report month falls in the campaign window:
  ``"not_started"`` (the month ends before the window starts), ``"running"`` (the month ends before
  ``window_end``: look ``k`` of ``K``, one look per month-end of the window, the last at ``window_end``) or
  ``"ended"`` (the final, fixed-horizon analysis);
* ``sequential_tuning_for(frame, arm, first, second, ...)``: ``N*`` of a comparison, from the planned
  size (params) or the assignment list;
* ``monitor_campaign(campaign, transactions, look, settings)``: the always-valid effects of this look, the
  targeted-vs-blanket decision on net profit per member (``sequential_decision``), and the trend: the same
  estimate and its intervals at every month-end since the start, measured from the log (no stored
  history): the earlier looks' tables come with the campaign (``load_campaign(..., looks=look.look_ends)``,
  one reading of the log), else from ``transactions``.

No words here: the report's sentences live in ``workbench.text.experiments``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from workbench.errors import ArgumentError
from workbench.experiments.analysis import analyze, arm_codes, numeric_column
from workbench.experiments.campaign import CampaignSettings
from workbench.experiments.costs import add_costs
from workbench.experiments.monitoring import SequentialDecision, sequential_decision
from workbench.experiments.outcomes import CampaignData, campaign_frame
from workbench.experiments.roi import member_profit

LookStatus = Literal["not_started", "running", "ended"]

#: The per-member column ``monitor_campaign`` decides on: ``member_profit`` (net incremental profit).
PROFIT_COLUMN = "net_profit"

#: Columns of ``CampaignMonitor.trend``.
TREND_COLUMNS: tuple[str, ...] = (
    "look_number",
    "as_of",
    "n_targeted",
    "n_blanket",
    "estimate",
    "ci_low",
    "ci_high",
    "fixed_ci_low",
    "fixed_ci_high",
    "p_value",
    "outcome",
)


def _date(value, owner: str, name: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(value).normalize()
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"{owner}: {name} must be a date such as '2026-09-01'; got {value!r}") from exc


@dataclass(frozen=True)
class CampaignLook:
    """Where a report month falls in a campaign window (dates as ``YYYY-MM-DD`` text).

    ``as_of`` is the last day measured (the month's last day, at most ``window_end``; ``None`` before the
    start); ``look`` is ``k`` (0 before the start), ``looks`` is ``K``; ``look_ends`` the last day of every
    look up to this one (the trend's points, the last is ``as_of``).
    """

    month: str
    window_start: str
    window_end: str
    status: LookStatus
    look: int
    looks: int
    as_of: str | None
    look_ends: tuple[str, ...]

    @property
    def running(self) -> bool:
        """True while the window is open at the month's end (analysed with the always-valid intervals)."""
        return self.status == "running"


def campaign_look(window_start, window_end, month: str) -> CampaignLook:
    """The look a report month is of a campaign running from ``window_start`` to ``window_end``.

    Parameters
    ----------
    window_start, window_end : date
        The campaign window, both days included.
    month : str
        The report month, ``YYYY-MM``.

    Returns
    -------
    CampaignLook
        One look per month-end inside the window and one at ``window_end`` (a window of September and
        October has two: 30 September and 31 October). A month ending before ``window_end`` is look ``k``
        of ``K`` of a running campaign; a month ending on or after it is the ended campaign (``k = K``).
    """
    owner = "campaign_look"
    start = _date(window_start, owner, "window_start")
    end = _date(window_end, owner, "window_end")
    if end < start:
        raise ArgumentError(f"{owner}: window_end {window_end!r} is before window_start {window_start!r}")
    try:
        period = pd.Period(str(month), freq="M")
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"{owner}: month must be YYYY-MM such as '2026-09'; got {month!r}") from exc
    month_end = period.end_time.normalize()
    month_ends = pd.period_range(start, end, freq="M").end_time.normalize()
    ends = [d for d in month_ends if d < end] + [end]
    labels = tuple(str(d.date()) for d in ends)
    common = {"month": str(period), "window_start": str(start.date()), "window_end": str(end.date())}
    if month_end < start:
        return CampaignLook(**common, status="not_started", look=0, looks=len(ends), as_of=None, look_ends=())
    if month_end >= end:
        return CampaignLook(
            **common, status="ended", look=len(ends), looks=len(ends), as_of=labels[-1], look_ends=labels
        )
    k = sum(d <= month_end for d in ends)
    return CampaignLook(
        **common, status="running", look=k, looks=len(ends), as_of=labels[k - 1], look_ends=labels[:k]
    )


def sequential_tuning_for(
    frame: pd.DataFrame,
    arm: str,
    first: str,
    second: str,
    *,
    planned_members: float | None = None,
    shares: dict[str, float] | None = None,
) -> float:
    """``N*`` of the comparison ``first`` vs ``second``: the planned total of the two arms.

    Parameters
    ----------
    frame : DataFrame
        The assignment list (or the campaign table), one row per assigned member.
    arm : str
        Its arm column.
    first, second : str
        The two arms compared.
    planned_members : float, optional
        The campaign's planned size over all arms (params); ``None``: the members of the two arms in
        ``frame`` (every member assigned at the start, as the assignment list has them).
    shares : dict, optional
        Arm -> design share (any scale), to split ``planned_members``; ``None``: equal shares.

    Returns
    -------
    float
    """
    owner = "sequential_tuning_for"
    labels = frame[arm].astype(str)
    arms = list(pd.unique(labels))
    for name in (first, second):
        if name not in arms:
            raise ArgumentError(f"{owner}: arm {name!r} not among the arms {arms}")
    if planned_members is None:
        return float(labels.isin([first, second]).sum())
    ok = isinstance(planned_members, int | float) and not isinstance(planned_members, bool)
    if not ok or not np.isfinite(planned_members) or planned_members <= 0:
        raise ArgumentError(
            f"{owner}: planned_members must be a positive number or None; got {planned_members!r}"
        )
    weights = {a: 1.0 for a in arms} if shares is None else {a: float(shares.get(a, 0.0)) for a in arms}
    total = sum(weights.values())
    return float(planned_members) * (weights[first] + weights[second]) / total


@dataclass(frozen=True)
class CampaignMonitor:
    """A running (or ended) campaign at one look.

    ``effects``: every arm against the control with the always-valid intervals (``analyze`` with
    ``sequential_tuning=effects_tuning``, the mean ``N*`` of the arm-control pairs); ``decision``: targeted vs blanket on ``metric`` (net profit per member) from the
    always-valid interval of their difference at ``N* = sequential_tuning`` (``None`` without both arms); ``trend``: that difference at
    every look (``TREND_COLUMNS``; only the current look when the table holds its own outcomes).
    """

    look: CampaignLook
    sequential_tuning: float
    effects_tuning: float
    effects: pd.DataFrame
    decision: SequentialDecision | None
    trend: pd.DataFrame
    metric: str = PROFIT_COLUMN
    recomputed: bool = True


def with_profit(frame: pd.DataFrame, settings: CampaignSettings) -> pd.DataFrame:
    """``frame`` with ``net_profit`` per member (``member_profit`` of the settings' revenue and cost columns).

    Parameters
    ----------
    frame : DataFrame
        The campaign table; a cost column the settings name but the table lacks counts as zero.
    settings : CampaignSettings
        ``revenue``, ``discount_cost``, ``gift_cost`` and ``margin``.

    Returns
    -------
    DataFrame
        A copy with the ``net_profit`` column.
    """
    owner = "with_profit"

    def column(name):
        return numeric_column(frame, name if name in frame.columns else None, owner)

    out = frame.copy()
    out[PROFIT_COLUMN] = member_profit(
        numeric_column(frame, settings.revenue, owner),
        column(settings.discount_cost),
        column(settings.gift_cost),
        settings.margin,
    )
    return out


def _decide(frame: pd.DataFrame, s: CampaignSettings, tuning: float, cov) -> SequentialDecision:
    return sequential_decision(
        frame,
        s.arm,
        s.targeted,
        s.blanket,
        PROFIT_COLUMN,
        "continuous",
        cov,
        sequential_tuning=tuning,
        alpha=s.alpha,
    )


def _trend_row(frame: pd.DataFrame, d: SequentialDecision, number: int, as_of: str, s, cov) -> dict:
    pair = frame.loc[frame[s.arm].astype(str).isin([s.targeted, s.blanket]).to_numpy()]
    fixed = analyze(
        pair, s.arm, s.blanket, {PROFIT_COLUMN: "continuous"}, cov, alpha=s.alpha, correction="none"
    )
    return {
        "look_number": number,
        "as_of": as_of,
        "n_targeted": d.n_targeted,
        "n_blanket": d.n_blanket,
        "estimate": d.estimate,
        "ci_low": d.ci_low,
        "ci_high": d.ci_high,
        "fixed_ci_low": float(fixed["abs_ci_low"].iloc[0]),
        "fixed_ci_high": float(fixed["abs_ci_high"].iloc[0]),
        "p_value": d.p_value,
        "outcome": d.outcome,
    }


def monitor_campaign(
    campaign: CampaignData,
    transactions: pd.DataFrame | None,
    look: CampaignLook,
    settings: CampaignSettings,
    *,
    planned_members: float | None = None,
) -> CampaignMonitor:
    """The always-valid view of a campaign at ``look``: effects, the decision, and the trend since the start.

    Parameters
    ----------
    campaign : CampaignData
        ``load_campaign(..., start=look.window_start, end=look.as_of, looks=look.look_ends)``: the table at
        this look (and the tables of the earlier looks, ``campaign.looks``).
    transactions : DataFrame, str, Path or None
        The log (a frame or the run's validated Parquet copy), to recompute the earlier looks of a table
        measured from it (``campaign.measured``) that ``campaign.looks`` lacks; may be ``None`` when
        ``load_campaign(..., looks=look.look_ends)`` measured them in its one reading of the log, or for a
        table that holds its own outcomes (its trend is this look only).
    look : CampaignLook
        ``campaign_look(...)`` of the report month (running or ended; not before the start).
    settings : CampaignSettings
        Arms, metrics, covariate, margin, cost columns, alpha and correction.
    planned_members : float, optional
        The campaign's planned size over all arms (``N*`` per comparison from it and the design shares);
        ``None``: ``N*`` from the assignment list.

    Returns
    -------
    CampaignMonitor
    """
    owner = "monitor_campaign"
    if look.status == "not_started":
        raise ArgumentError(f"{owner}: the campaign starts on {look.window_start}, after month {look.month}")
    if campaign.measured and campaign.end != look.as_of:
        raise ArgumentError(
            f"{owner}: the campaign table is measured up to {campaign.end}, but look {look.look} ends on "
            f"{look.as_of}; load it with end=look.as_of"
        )
    s = settings
    frame = with_profit(campaign.frame, s)
    _, arms = arm_codes(frame, s.arm, s.control)  # control first, as expected_shares
    shares = dict(zip(arms, s.expected_shares, strict=False)) if s.expected_shares else None

    def tuning_of(first: str, second: str) -> float:
        return sequential_tuning_for(
            frame, s.arm, first, second, planned_members=planned_members, shares=shares
        )

    effects_tuning = float(np.mean([tuning_of(a, s.control) for a in arms[1:]]))
    effects = analyze(
        frame,
        s.arm,
        s.control,
        s.metrics,
        s.covariate,
        alpha=s.alpha,
        correction=s.correction,
        sequential_tuning=effects_tuning,
    )
    if not (s.targeted in arms[1:] and s.blanket in arms[1:] and s.targeted != s.blanket):
        empty = pd.DataFrame(columns=list(TREND_COLUMNS))
        return CampaignMonitor(look, effects_tuning, effects_tuning, effects, None, empty, recomputed=False)
    tuning = tuning_of(s.targeted, s.blanket)
    cov = s.covariate if s.covariate in frame.columns else None
    decision = _decide(frame, s, tuning, cov)
    known = dict(campaign.looks or {}) if campaign.measured else {}
    measured_all = all(d in known for d in look.look_ends if d != look.as_of)
    recomputed = bool(campaign.measured and (transactions is not None or measured_all))
    ends = look.look_ends if recomputed else (look.as_of,)
    rows = []
    for number, as_of in enumerate(ends, start=len(look.look_ends) - len(ends) + 1):
        if as_of == look.as_of:
            rows.append(_trend_row(frame, decision, number, as_of, s, cov))
            continue
        if as_of in known:  # measured with this look's table (load_campaign(looks=...)): the same numbers
            at = with_profit(known[as_of], s)
        else:
            measured = campaign_frame(transactions, campaign.frame, start=look.window_start, end=as_of)
            at = with_profit(add_costs(measured, campaign.costs, arm=s.arm), s)
        rows.append(_trend_row(at, _decide(at, s, tuning, cov), number, as_of, s, cov))
    trend = pd.DataFrame(rows, columns=list(TREND_COLUMNS))
    return CampaignMonitor(look, tuning, effects_tuning, effects, decision, trend, recomputed=recomputed)
