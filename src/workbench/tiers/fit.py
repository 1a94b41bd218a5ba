"""Do a programme's thresholds fit a brand's spend? Who reaches each tier, against the target shares.

A programme written for a department store (Silver at NT$10,000 a year) says nothing about a café whose best
members spend NT$400: nobody reaches a tier, every simulated figure is zero, and the report would print a
page of empty plots. ``threshold_fit`` measures the mismatch so that the report can say so first, and
proposes the thresholds that the target shares would need (``thresholds_for_shares``).

A tier's threshold is judged by the share of members whose spend reaches it (that tier or higher):

* ``unreached``: no member reaches it;
* ``too_high``: fewer than ``1 / tolerance`` of the target share at or above the tier reach it;
* ``too_low``: more than ``tolerance`` times that target share reach it;
* ``fits``: otherwise (and for a reached tier without a target share).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from workbench.errors import ArgumentError
from workbench.tiers.program import TierProgram, TierProgramError
from workbench.tiers.simulation import share_cutoffs

FitStatus = Literal["unreached", "too_high", "fits", "too_low"]
TargetProblem = Literal["few_buyers", "ties", "order"]

FIT_COLUMNS = ["threshold", "members", "share", "target_share", "target_cumulative", "needed", "status"]


@dataclass(frozen=True)
class ThresholdFit:
    """How the thresholds of ``program`` fit a year of spend (see the module docstring).

    Attributes
    ----------
    program : TierProgram
        The programme judged.
    tiers : DataFrame
        One row per tier above the entry tier (programme order): ``threshold`` (upgrade), ``members`` and
        ``share`` reaching it (spend at or above it), ``target_share`` (that tier's own target, NaN
        without one), ``target_cumulative`` (the target share at or above it), ``needed`` (the threshold
        the targets would need, NaN without one) and ``status``.
    members, buyers : int
        Members in the spend, and those with positive spend.
    quantile : float
        The quantile of buyers' spend reported in ``buyer_quantile`` (0.95: "95% spent under ...").
    buyer_quantile, highest : float
        That quantile of positive spend, and the highest spend (NaN without buyers).
    target_program : TierProgram or None
        The programme with the thresholds the target shares need (``thresholds_for_shares``); None without
        target shares or when they cannot be met (``target_problem``).
    target_problem : {"few_buyers", "ties", "order"} or None
        Why the target shares cannot be met: fewer members spent anything than the shares put in
        ``target_problem_tier`` or above (``few_buyers``), tied spend gives ``target_problem_tier`` the
        threshold of the tier below (``ties``), or its threshold falls out of order with a tier that has no
        target share (``order``).
    target_problem_tier : str or None
    tolerance : float
        The factor of the ``too_high`` / ``too_low`` statuses.
    """

    program: TierProgram
    tiers: pd.DataFrame
    members: int
    buyers: int
    quantile: float
    buyer_quantile: float
    highest: float
    target_program: TierProgram | None
    target_problem: TargetProblem | None
    target_problem_tier: str | None
    tolerance: float

    @property
    def fits(self) -> bool:
        """Whether every tier's threshold fits."""
        return bool((self.tiers["status"] == "fits").all())

    def with_status(self, *statuses: FitStatus) -> list[str]:
        """The tiers whose status is one of ``statuses`` (programme order)."""
        return [name for name, status in self.tiers["status"].items() if status in statuses]


def threshold_fit(
    spend,
    program: TierProgram,
    target_shares: dict[str, float] | None = None,
    *,
    tolerance: float = 3.0,
    quantile: float = 0.95,
) -> ThresholdFit:
    """Judge ``program``'s upgrade thresholds against a year of ``spend`` and the ``target_shares``.

    Parameters
    ----------
    spend : array-like
        A year of qualifying spend per member (all members of the programme, zero for those who bought
        nothing), e.g. ``Replay.trailing(12)``.
    program : TierProgram
        The programme whose thresholds are judged.
    target_shares : dict of str to float, optional
        Tier name -> share of members in exactly that tier (as for ``thresholds_for_shares``).
    tolerance : float
        A tier fits while the share reaching it is within this factor of its cumulative target (> 1).
    quantile : float
        The quantile of buyers' spend to report (in (0, 1)).

    Returns
    -------
    ThresholdFit
    """
    if not tolerance > 1:
        raise ArgumentError(f"threshold_fit: tolerance must be greater than 1; got {tolerance!r}")
    if not 0 < quantile < 1:
        raise ArgumentError(f"threshold_fit: quantile must be in (0, 1); got {quantile!r}")
    s = np.asarray(spend, dtype=float)
    n = len(s)
    positive = s[s > 0]
    shares = dict(target_shares or {})
    cutoffs = share_cutoffs(s, program, shares) if shares and n else None
    rows = []
    for tier in program.tiers[1:]:
        reached = int((s >= tier.upgrade).sum())
        share = reached / n if n else 0.0
        has_target = cutoffs is not None and tier.name in cutoffs.index
        target = cutoffs.at[tier.name, "share"] if has_target else np.nan
        cumulative = cutoffs.at[tier.name, "cumulative"] if has_target else np.nan
        needed = cutoffs.at[tier.name, "threshold"] if has_target else np.nan
        if reached == 0:
            status = "unreached"
        elif has_target and share < cumulative / tolerance:
            status = "too_high"
        elif has_target and share > cumulative * tolerance:
            status = "too_low"
        else:
            status = "fits"
        rows.append((tier.upgrade, reached, share, target, cumulative, needed, status))
    frame = pd.DataFrame(rows, index=pd.Index(program.names[1:], name="tier"), columns=FIT_COLUMNS)
    frame["members"] = frame["members"].astype(np.int64)
    target_program, problem, problem_tier = None, None, None
    if cutoffs is not None:
        unmet = cutoffs.index[cutoffs["threshold"] <= 0]
        if len(unmet):
            problem, problem_tier = "few_buyers", str(unmet[-1])
            frame.loc[list(unmet), "needed"] = np.nan
        else:
            try:
                target_program = program.with_thresholds(cutoffs["threshold"].to_dict())
            except TierProgramError:  # thresholds must increase
                tied = np.flatnonzero(np.diff(cutoffs["threshold"].to_numpy()) <= 0)
                problem = "ties" if len(tied) else "order"
                problem_tier = str(cutoffs.index[tied[0] + 1] if len(tied) else cutoffs.index[-1])
    return ThresholdFit(
        program=program,
        tiers=frame,
        members=n,
        buyers=len(positive),
        quantile=float(quantile),
        buyer_quantile=float(np.quantile(positive, quantile)) if len(positive) else np.nan,
        highest=float(positive.max()) if len(positive) else np.nan,
        target_program=target_program,
        target_problem=problem,
        target_problem_tier=problem_tier,
        tolerance=float(tolerance),
    )
