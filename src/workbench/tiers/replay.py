"""Tier programmes as data, and their replay over a transaction history.

A programme (``TierProgram``) is built once from the params YAML shape by ``TierProgram.from_dict``::

    tiers:
      - {name: Member, upgrade: 0}
      - {name: Silver, upgrade: 10000, renewal: 8000, benefits: {birthday_voucher: 200, discount: 0.03}}
      - {name: Gold, upgrade: 30000, renewal: 24000, fast_upgrade: 20000,
         benefits: {birthday_voucher: 500, member_day_multiplier: 2, gift: 300, discount: 0.05}}
    metric: spend            # spend | orders
    window: calendar_year    # calendar_year | rolling_12m | lifetime
    review: annual           # annual (at the end of review_month) | monthly
    upgrade_timing: immediate  # immediate (at the end of the month the threshold is crossed) | review
    downgrade: to_supported  # to_supported | one_step
    grace_months: 0
    returns_deducted: true
    carry_over: false
    costs: {voucher_redemption: 0.6, point_value: 0.01, member_day_share: 0.25}

Rules, applied month by month (``replay``) at each month end, in this order:

1. *Qualifying value* ``q``: the metric (spend, net of returns when ``returns_deducted``; or orders) summed
   over the window: the calendar year to date, the trailing 12 months, or the whole history; plus the carried
   excess (``carry_over``).
2. *Fast upgrade*: one order of at least a tier's ``fast_upgrade`` moves a member up to that tier at once.
3. *Immediate upgrade* (``upgrade_timing: immediate``): ``q`` at or above a higher tier's ``upgrade`` moves the
   member up to the highest such tier.
4. *Grace*: a member in grace keeps the tier; the metric of each grace month is added to the ``q`` of the failed
   review; reaching the tier's ``renewal`` ends grace as a renewal, otherwise the last grace month downgrades.
5. *Review* (end of ``review_month``, or every month): ``q`` at or above a higher tier's ``upgrade`` upgrades;
   otherwise ``q`` at or above the own tier's ``renewal`` renews; otherwise the member goes into grace
   (``grace_months > 0``) or is downgraded: ``to_supported`` = the highest lower tier whose ``renewal`` ``q``
   meets, ``one_step`` = one tier down at most (never below the supported tier).
6. *Carry-over* (calendar-year window only): at the annual review, a member who upgraded or renewed (tier
   above the entry tier) has ``q`` above that tier's threshold (its ``upgrade`` when reached in that year, else
   its ``renewal``) credited to the next year's ``q``; a downgrade or grace carries nothing.

Benefit cost of a member in a tier for a year with spend ``s`` (``CostModel`` holds the programme-wide rates):
``birthday_voucher * voucher_redemption + gift + s * (discount + member_day_share * (member_day_multiplier - 1)
* point_value)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench import files
from workbench.errors import ArgumentError
from workbench.tiers.activity import (
    Engine,
    MonthCells,
    WindowSums,
    as_of_bounds,
    month_cells,
    needed_matrices,
)
from workbench.tiers.program import EVENTS, TierProgram, review_outcome, supported_tier


# --- replay -----------------------------------------------------------------------------------------------
@dataclass
class Replay:
    """A programme replayed over a history: tier codes per member and month, events, final state."""

    program: TierProgram
    member_ids: np.ndarray
    months: pd.PeriodIndex
    tiers: np.ndarray  # int8 codes, member x month (state at each month end)
    qualifying: np.ndarray  # final qualifying value per member (incl. carried excess)
    events: pd.DataFrame  # member_id, month, event, from_tier, to_tier
    activity: MonthCells  # the programme's metric per member and month, by month (``metric_column``)

    def tier_names(self, month=None) -> pd.Series:
        """Every member's tier name at the end of ``month`` (default the last month replayed)."""
        j = -1 if month is None else self.months.get_loc(pd.Period(month, freq="M"))
        names = np.asarray(self.program.names, dtype=object)[self.tiers[:, j]]
        return pd.Series(
            names, index=pd.Index(self.member_ids, name="member_id", dtype="str"), name="tier", dtype="str"
        )

    def tier_table(self) -> pd.DataFrame:
        """Members per tier at each month end (rows: months; columns: tiers)."""
        counts = np.stack([(self.tiers == k).sum(axis=0) for k in range(len(self.program.tiers))], axis=1)
        return pd.DataFrame(counts, index=self.months.astype(str), columns=self.program.names)

    def trailing(self, months: int = 12) -> pd.Series:
        """The metric summed over the last ``months`` months (e.g. last year's qualifying spend).

        Parameters
        ----------
        months : int
            How many month columns, counted back from the last one replayed (all of them when fewer).

        Returns
        -------
        pandas.Series
            One value per member (``spend``), indexed by member_id.
        """
        values = np.zeros(len(self.member_ids))
        for j in range(max(len(self.months) - months, 0), len(self.months)):
            values += self.activity.metric_column(self.program, j)
        return pd.Series(values, index=pd.Index(self.member_ids, name="member_id", dtype="str"), name="spend")


def replay(transactions, program: TierProgram, as_of, *, engine: Engine = "numpy") -> Replay:
    """Apply ``program`` month by month to the history up to ``as_of``; vectorised over members.

    Parameters
    ----------
    transactions : canonical transaction frame (or, with ``engine="duckdb"``, an Arrow table or a Parquet
        path; see :func:`monthly_activity`).
    program : the tier programme.
    as_of : the last day that counts; the month's review runs when it is the month's last day.
    engine : how the log is aggregated per member and month (``"numpy"`` or ``"duckdb"``; same numbers).

    Returns
    -------
    Replay: tier codes per member and month, the events, the final qualifying value, the activity.
    """
    cells = month_cells(transactions, as_of, matrices=needed_matrices(program), engine=engine, net=True)
    fast = [(k, t.fast_upgrade) for k, t in enumerate(program.tiers) if t.fast_upgrade is not None]
    largest_orders = None
    if fast:  # only orders that reach a fast-upgrade threshold matter: kept apart, the rest dropped
        lowest = min(threshold for _, threshold in fast)
        largest_orders = cells.where("max_order", cells.weights["max_order"] >= lowest)
        del cells.weights["max_order"]
    _, complete = as_of_bounds(as_of)
    n, n_months = len(cells.member_ids), len(cells.months)
    windows = WindowSums(cells.months, program.window)
    ups, rens = program.upgrades, program.renewals
    use_carry = program.carry_over

    tier = np.zeros(n, dtype=np.int8)
    carry = np.zeros(n)
    grace_left = np.zeros(n, dtype=np.int16)
    grace_q = np.zeros(n)
    reached = np.zeros(n, dtype=bool)  # tier reached by an upgrade since the last review
    tiers = np.zeros((n, n_months), dtype=np.int8)
    ev_rows, ev_month, ev_kind, ev_from, ev_to = [], [], [], [], []

    def record(mask, kind, before, after, j):
        idx = np.flatnonzero(mask)
        if len(idx):
            ev_rows.append(idx)
            ev_month.append(np.full(len(idx), j))
            ev_kind.append(np.full(len(idx), EVENTS.index(kind), dtype=np.int8))
            ev_from.append(before[idx])
            ev_to.append(after[idx])

    q_window = np.zeros(n)
    for j, month in enumerate(cells.months):
        x_j = cells.metric_column(program, j)
        q_window = windows.step(x_j)
        q = q_window + carry
        # fast upgrade: one large order
        if fast:
            # the highest tier whose fast-upgrade threshold the month's largest order meets
            largest = largest_orders.column("max_order", j)
            fast_to = np.zeros(n, dtype=np.int8)
            for k, threshold in fast:
                fast_to[largest >= threshold] = k
            moved = fast_to > tier
            record(moved, "fast_upgrade", tier, fast_to, j)
            tier = np.where(moved, fast_to, tier).astype(np.int8)
            reached |= moved
            grace_left[moved] = 0
        if program.upgrade_timing == "immediate":
            up = supported_tier(q, ups)
            moved = up > tier
            record(moved, "upgrade", tier, up, j)
            tier = np.where(moved, up, tier).astype(np.int8)
            reached |= moved
            grace_left[moved] = 0
        # grace months run
        in_grace = grace_left > 0
        if in_grace.any():
            grace_q = np.where(in_grace, grace_q + x_j, grace_q)
            ok = in_grace & (grace_q >= rens[tier])
            record(ok, "renewal", tier, tier, j)
            grace_left[ok] = 0
            grace_left[in_grace & ~ok] -= 1
            ends = in_grace & ~ok & (grace_left == 0)
            if ends.any():
                after, _ = review_outcome(grace_q, tier, program)  # grace_q < renewal: a downgrade target
                record(ends, "downgrade", tier, after, j)
                tier = np.where(ends, after, tier).astype(np.int8)
        # the review
        is_review = program.review == "monthly" or month.month == program.review_month
        if j == n_months - 1 and not complete:
            is_review = False
        if is_review:
            eligible = (grace_left == 0) & ~in_grace  # a member whose grace ran this month: next review
            after, outcome = review_outcome(q, tier, program)
            up_m = eligible & (outcome == 1)
            ren_m = eligible & (outcome == 2)
            fail_m = eligible & (outcome == 3)
            record(up_m, "upgrade", tier, after, j)
            record(ren_m, "renewal", tier, tier, j)
            reached |= up_m
            if program.grace_months > 0:
                record(fail_m, "grace", tier, tier, j)
                grace_left[fail_m] = program.grace_months
                grace_q[fail_m] = q[fail_m]
                new_tier = np.where(up_m, after, tier).astype(np.int8)
            else:
                record(fail_m, "downgrade", tier, after, j)
                new_tier = np.where(up_m | fail_m, after, tier).astype(np.int8)
            if use_carry:
                thr = np.where(reached, ups[new_tier], rens[new_tier])
                carry = np.where((new_tier > 0) & ~fail_m, np.maximum(q - thr, 0.0), 0.0)
            tier = new_tier
            reached[:] = False
        tiers[:, j] = tier
    final_q = q_window + carry if n_months else np.zeros(n)

    names = np.asarray(program.names, dtype=object)
    if ev_rows:
        rows, month_idx = np.concatenate(ev_rows), np.concatenate(ev_month)
        order = np.lexsort((month_idx, rows))  # member ids are sorted, so row order is id order
        rows, month_idx = rows[order], month_idx[order]
        month_labels = np.asarray(cells.months.astype(str), dtype=object)
        events = pd.DataFrame(
            {
                "member_id": pd.array(cells.member_ids[rows], dtype="str"),
                "month": pd.array(month_labels[month_idx], dtype="str"),
                "event": pd.Categorical.from_codes(np.concatenate(ev_kind)[order], EVENTS),
                "from_tier": pd.array(names[np.concatenate(ev_from)[order]], dtype="str"),
                "to_tier": pd.array(names[np.concatenate(ev_to)[order]], dtype="str"),
            }
        )
    else:
        events = pd.DataFrame(columns=["member_id", "month", "event", "from_tier", "to_tier"])
    return Replay(program, cells.member_ids, cells.months, tiers, final_q, events, cells)


def assign_tiers(transactions, program: TierProgram, as_of) -> pd.Series:
    """Tier name per member_id as of ``as_of`` (members with a transaction up to then), by replaying the history."""
    return replay(transactions, program, as_of).tier_names()


def about_to_upgrade(result: Replay, within: float = 0.2) -> pd.DataFrame:
    """Members whose current qualifying value is within ``within`` (share of the threshold) below the next tier.

    Columns: tier, qualifying, next_tier, threshold, gap; indexed by member_id (an audience list: export it only
    when asked to).
    """
    if not 0 < within <= 1:
        raise ArgumentError(f"about_to_upgrade: within must be in (0, 1], got {within!r}")
    program = result.program
    tier = result.tiers[:, -1].astype(int)
    top = len(program.tiers) - 1
    nxt = np.minimum(tier + 1, top)
    thr = program.upgrades[nxt]
    gap = thr - result.qualifying
    sel = (tier < top) & (gap > 0) & (gap <= within * thr)
    names = np.asarray(program.names, dtype=object)
    return pd.DataFrame(
        {
            "tier": names[tier[sel]],
            "qualifying": result.qualifying[sel],
            "next_tier": names[nxt[sel]],
            "threshold": thr[sel],
            "gap": gap[sel],
        },
        index=pd.Index(result.member_ids[sel], name="member_id", dtype="str"),
    )


def write_audience(audience: pd.DataFrame, audience_dir: str | Path, month: str) -> Path | None:
    """Write the about-to-upgrade list (member ids) as CSV into ``audience_dir``; nothing without one."""
    table = audience.rename_axis("member_id").reset_index()
    return files.write_audience(table, audience_dir, f"tiers_about_to_upgrade_{month}")
