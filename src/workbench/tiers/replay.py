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
import pyarrow as pa
import pyarrow.compute as pc

from workbench import files
from workbench.schema import NO_ORDER_ID_SQL, run_sql
from workbench.tiers.program import (
    EVENTS,
    TierProgram,
    Window,
    review_outcome,
    supported_tier,
)


# --- monthly matrices -----------------------------------------------------------------------------------
@dataclass
class MonthlyActivity:
    """Member x month matrices (rows: ``member_ids`` sorted; columns: ``months``)."""

    member_ids: np.ndarray
    months: pd.PeriodIndex
    purchases: np.ndarray | None  # spend of purchase orders (>= 0)
    returns: np.ndarray | None  # returns (<= 0)
    orders: np.ndarray | None  # purchase orders
    max_order: np.ndarray | None  # largest single order of the month
    # (a matrix not asked for in ``monthly_activity(..., matrices=...)`` is None)

    def metric(self, program: TierProgram) -> np.ndarray:
        if program.metric == "orders":
            return self.orders
        return self.purchases + self.returns if program.returns_deducted else self.purchases


def _as_of_bounds(as_of) -> tuple[pd.Timestamp, bool]:
    """(exclusive end timestamp, whether the month of ``as_of`` counts as complete).

    A date includes its whole day; a timestamp with a time includes rows up to that instant. The month's
    review runs when ``as_of`` falls on the last day of its month.
    """
    ts = pd.Timestamp(as_of)
    end = ts.normalize() + pd.Timedelta(days=1) if ts == ts.normalize() else ts + pd.Timedelta(microseconds=1)
    complete = ts.normalize() == ts.to_period("M").end_time.normalize()
    return end, bool(complete)


ACTIVITY_MATRICES = ("purchases", "returns", "orders", "max_order")


def needed_matrices(program: TierProgram) -> tuple[str, ...]:
    """The member x month matrices a programme's replay reads."""
    need = ["orders"] if program.metric == "orders" else ["purchases"]
    if program.metric == "spend" and program.returns_deducted:
        need.append("returns")
    if any(t.fast_upgrade is not None for t in program.tiers):
        need.append("max_order")
    return tuple(need)


def monthly_activity(
    transactions: pd.DataFrame, as_of, *, start=None, matrices: tuple[str, ...] = ACTIVITY_MATRICES
) -> MonthlyActivity:
    """Aggregate the log per member and calendar month up to ``as_of`` (a date: the whole day counts), in DuckDB.

    Rows sharing an ``order_id`` are one order (its value is their sum); a row without ``order_id`` (or with an
    empty one) is an order. Orders of negative value are returns.
    """
    missing = [c for c in ("member_id", "ordered_at", "amount") if c not in transactions.columns]
    if missing:
        raise ValueError(f"tiers: required column(s) missing from transactions: {', '.join(missing)}")
    end, _ = _as_of_bounds(as_of)
    cols = ["member_id", "ordered_at", "amount"] + (
        ["order_id"] if "order_id" in transactions.columns else []
    )
    table = pa.Table.from_pandas(transactions[cols], preserve_index=False)
    cutoff = f"TIMESTAMP '{end.isoformat(sep=' ')}'"
    if "order_id" in cols:
        orders = f"""
        SELECT member_id, sum(amount) AS value, min(ordered_at) AS first_at
        FROM tx WHERE ordered_at < {cutoff} AND NOT ({NO_ORDER_ID_SQL}) GROUP BY member_id, order_id
        UNION ALL
        SELECT member_id, amount, ordered_at FROM tx WHERE ordered_at < {cutoff} AND {NO_ORDER_ID_SQL}"""
    else:
        orders = (
            f"SELECT member_id, amount AS value, ordered_at AS first_at FROM tx WHERE ordered_at < {cutoff}"
        )
    sql = f"""
    WITH orders AS ({orders})
    SELECT member_id, year(first_at) * 12 + month(first_at) - 1 AS m,
           coalesce(sum(value) FILTER (WHERE value >= 0), 0) AS purchases,
           coalesce(sum(value) FILTER (WHERE value < 0), 0) AS returns,
           count(*) FILTER (WHERE value > 0) AS orders,
           greatest(max(value), 0) AS max_order
    FROM orders GROUP BY member_id, m
    """
    agg = run_sql(sql, tx=table)
    last = end - pd.Timedelta(microseconds=1)
    m_end = last.year * 12 + last.month - 1
    m_col = agg.column("m").to_numpy().astype(np.int64)
    m0 = int(m_col.min()) if len(m_col) else m_end
    if start is not None:
        m0 = min(m0, pd.Timestamp(start).year * 12 + pd.Timestamp(start).month - 1)
    months = pd.period_range(
        pd.Period(year=m0 // 12, month=m0 % 12 + 1, freq="M"), periods=m_end - m0 + 1, freq="M"
    )
    # member codes in sorted id order, computed in Arrow (hashing; no Python strings per row)
    id_col = pc.cast(agg.column("member_id"), pa.large_string())
    unique = pc.unique(id_col)
    ids = unique.take(pc.sort_indices(unique))
    codes = pc.index_in(id_col, value_set=ids).to_numpy()
    col = m_col - m0
    shape = (len(ids), len(months))
    mats = {}
    for name in ACTIVITY_MATRICES:
        if name not in matrices:
            mats[name] = None
            continue
        mat = np.zeros(shape, dtype=float, order="F")  # month columns contiguous: the replay walks months
        mat[codes, col] = agg.column(name).to_numpy().astype(float)
        mats[name] = mat
    ids = ids.to_numpy(zero_copy_only=False).astype(object)
    return MonthlyActivity(member_ids=ids, months=months, **mats)


def window_sums(values: np.ndarray, months: pd.PeriodIndex, window: Window) -> np.ndarray:
    """Qualifying sums per member and month for the window (calendar year to date, trailing 12, lifetime)."""
    csum = np.cumsum(values, axis=1)
    if window == "lifetime":
        return csum
    out = csum.copy()
    if window == "rolling_12m":
        out[:, 12:] -= csum[:, :-12]
        return out
    # calendar year to date: subtract the cumulative sum at the previous December
    month_no = np.asarray(months.month)
    prev_dec = np.full(len(months), -1)
    last = -1
    for j, mo in enumerate(month_no):
        prev_dec[j] = last
        if mo == 12:
            last = j
    has = prev_dec >= 0
    out[:, has] -= csum[:, prev_dec[has]]
    return out


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
    activity: MonthlyActivity

    def tier_names(self, month=None) -> pd.Series:
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
        """The metric summed over the last ``months`` months (e.g. last year's qualifying spend)."""
        values = self.activity.metric(self.program)[:, -months:].sum(axis=1)
        return pd.Series(values, index=pd.Index(self.member_ids, name="member_id", dtype="str"), name="spend")


def replay(transactions: pd.DataFrame, program: TierProgram, as_of) -> Replay:
    """Apply ``program`` month by month to the history up to ``as_of``; vectorised over members."""
    act = monthly_activity(transactions, as_of, matrices=needed_matrices(program))
    _, complete = _as_of_bounds(as_of)
    n, n_months = len(act.member_ids), len(act.months)
    x = act.metric(program)
    q_window = window_sums(x, act.months, program.window)
    ups, rens = program.upgrades, program.renewals
    fast = np.array([t.fast_upgrade if t.fast_upgrade is not None else np.inf for t in program.tiers])
    has_fast = np.isfinite(fast).any()
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

    for j, month in enumerate(act.months):
        q = q_window[:, j] + carry
        # fast upgrade: one large order
        if has_fast:
            # the highest tier whose fast-upgrade threshold the month's largest order meets
            met = act.max_order[:, j][:, None] >= fast[None, :]
            fast_to = np.where(met.any(axis=1), len(fast) - 1 - np.argmax(met[:, ::-1], axis=1), 0).astype(
                np.int8
            )
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
            grace_q = np.where(in_grace, grace_q + x[:, j], grace_q)
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
    final_q = q_window[:, -1] + carry if n_months else np.zeros(n)

    names = np.asarray(program.names, dtype=object)
    if ev_rows:
        rows, month_idx = np.concatenate(ev_rows), np.concatenate(ev_month)
        order = np.lexsort((month_idx, rows))  # member ids are sorted, so row order is id order
        rows, month_idx = rows[order], month_idx[order]
        month_labels = np.asarray(act.months.astype(str), dtype=object)
        events = pd.DataFrame(
            {
                "member_id": pd.array(act.member_ids[rows], dtype="str"),
                "month": pd.array(month_labels[month_idx], dtype="str"),
                "event": pd.Categorical.from_codes(np.concatenate(ev_kind)[order], EVENTS),
                "from_tier": pd.array(names[np.concatenate(ev_from)[order]], dtype="str"),
                "to_tier": pd.array(names[np.concatenate(ev_to)[order]], dtype="str"),
            }
        )
    else:
        events = pd.DataFrame(columns=["member_id", "month", "event", "from_tier", "to_tier"])
    return Replay(program, act.member_ids, act.months, tiers, final_q, events, act)


def assign_tiers(transactions: pd.DataFrame, program: TierProgram, as_of) -> pd.Series:
    """Tier name per member_id as of ``as_of`` (members with a transaction up to then), by replaying the history."""
    return replay(transactions, program, as_of).tier_names()


def about_to_upgrade(result: Replay, within: float = 0.2) -> pd.DataFrame:
    """Members whose current qualifying value is within ``within`` (share of the threshold) below the next tier.

    Columns: tier, qualifying, next_tier, threshold, gap; indexed by member_id (an audience list: export it only
    when asked to).
    """
    if not 0 < within <= 1:
        raise ValueError(f"about_to_upgrade: within must be in (0, 1], got {within!r}")
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
