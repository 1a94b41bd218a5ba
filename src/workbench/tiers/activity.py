"""The log aggregated per member and calendar month: what a tier programme's replay reads.

Orders: rows sharing an ``order_id`` (within a member) are one order, valued at the sum of their amounts and
dated by their first row; a row without an order id (null or empty) is an order of its own. An order of
negative value is a return. Per member and month of the order's date: ``purchases`` (sum of the orders of value
>= 0), ``returns`` (sum of the negative ones, <= 0), ``orders`` (orders of positive value) and ``max_order``
(the largest order value, at least 0).

Two engines compute the same matrices: ``engine="numpy"`` (default; exact integer codes of
``workbench.summary.keys`` and ``bincount``) and ``engine="duckdb"``, one SQL statement over a frame, an
Arrow table or a Parquet file (so the log can stay on disk).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.errors import ArgumentError
from workbench.schema import NO_ORDER_ID_SQL, run_sql
from workbench.summary.keys import dense_codes, encode
from workbench.tiers.program import TierProgram, Window

Engine = Literal["numpy", "duckdb"]
ACTIVITY_MATRICES = ("purchases", "returns", "orders", "max_order")
_REQUIRED = ("member_id", "ordered_at", "amount")
_EPOCH_MONTH = 1970 * 12  # month number (year * 12 + month - 1) of datetime64's month 0


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

    def metric(self, program: TierProgram, months=slice(None)) -> np.ndarray:
        """The programme's metric (spend net of returns, spend, or orders) per member and month.

        Parameters
        ----------
        program : the programme (its ``metric`` and ``returns_deducted``).
        months : the month columns to return (an index or a slice; default all).

        Returns
        -------
        numpy.ndarray: member x month (a column for an integer index).
        """
        if program.metric == "orders":
            return self.orders[:, months]
        if program.returns_deducted:
            return self.purchases[:, months] + self.returns[:, months]
        return self.purchases[:, months]


def as_of_bounds(as_of) -> tuple[pd.Timestamp, bool]:
    """(exclusive end timestamp, whether the month of ``as_of`` counts as complete).

    A date includes its whole day; a timestamp with a time includes rows up to that instant. The month's
    review runs when ``as_of`` falls on the last day of its month.
    """
    ts = pd.Timestamp(as_of)
    end = ts.normalize() + pd.Timedelta(days=1) if ts == ts.normalize() else ts + pd.Timedelta(microseconds=1)
    complete = ts.normalize() == ts.to_period("M").end_time.normalize()
    return end, bool(complete)


def needed_matrices(program: TierProgram) -> tuple[str, ...]:
    """The member x month matrices a programme's replay reads."""
    need = ["orders"] if program.metric == "orders" else ["purchases"]
    if program.metric == "spend" and program.returns_deducted:
        need.append("returns")
    if any(t.fast_upgrade is not None for t in program.tiers):
        need.append("max_order")
    return tuple(need)


def monthly_activity(
    transactions,
    as_of,
    *,
    start=None,
    matrices: tuple[str, ...] = ACTIVITY_MATRICES,
    engine: Engine = "numpy",
) -> MonthlyActivity:
    """Aggregate the log per member and calendar month up to ``as_of`` (a date: the whole day counts).

    Parameters
    ----------
    transactions : canonical transaction frame (``member_id``, ``ordered_at``, ``amount``[, ``order_id``]);
        with ``engine="duckdb"`` also an Arrow table or the path of a Parquet file in the canonical contract.
    as_of : the last day (or instant) that counts.
    start : an earlier first month for the columns (default: the month of the first order).
    matrices : which of ``purchases, returns, orders, max_order`` to build (the others are None).
    engine : ``"numpy"`` (default, fastest on a frame) or ``"duckdb"``; the same matrices.

    Returns
    -------
    MonthlyActivity with member ids sorted and months from the first order's month to ``as_of``'s month.
    """
    unknown = [m for m in matrices if m not in ACTIVITY_MATRICES]
    if unknown:
        raise ArgumentError(f"monthly_activity: matrices must be among {ACTIVITY_MATRICES}, got {unknown}")
    end, _ = as_of_bounds(as_of)
    if engine == "numpy":
        if not isinstance(transactions, pd.DataFrame):
            raise ArgumentError(
                "monthly_activity: engine='numpy' needs a transaction frame, got "
                f"{type(transactions).__name__} (use engine='duckdb' for a Parquet path or an Arrow table)"
            )
        _check_columns(transactions.columns)
        ids, member, month, values = _numpy_cells(transactions, end, matrices)
    elif engine == "duckdb":
        ids, member, month, values = _duckdb_cells(transactions, end, matrices)
    else:
        raise ArgumentError(f"monthly_activity: engine must be 'numpy' or 'duckdb', got {engine!r}")
    last = end - pd.Timedelta(microseconds=1)
    m_end = last.year * 12 + last.month - 1
    m0 = int(month.min()) if len(month) else m_end
    if start is not None:
        m0 = min(m0, pd.Timestamp(start).year * 12 + pd.Timestamp(start).month - 1)
    months = pd.period_range(
        pd.Period(year=m0 // 12, month=m0 % 12 + 1, freq="M"), periods=m_end - m0 + 1, freq="M"
    )
    n = len(ids)
    flat = (month - m0) * n + member  # month columns contiguous (Fortran order): the replay walks months
    size = n * len(months)
    mats = {}
    for name in ACTIVITY_MATRICES:
        if name not in matrices:
            mats[name] = None
        elif name == "max_order":
            mat = np.zeros(size)
            np.maximum.at(mat, flat, values[name])
            mats[name] = mat.reshape(len(months), n).T
        else:
            mats[name] = np.bincount(flat, weights=values[name], minlength=size).reshape(len(months), n).T
    return MonthlyActivity(
        member_ids=ids.to_numpy(zero_copy_only=False).astype(object), months=months, **mats
    )


def _check_columns(columns) -> None:
    missing = [c for c in _REQUIRED if c not in columns]
    if missing:
        raise ArgumentError(f"tiers: required column(s) missing from transactions: {', '.join(missing)}")


def _order_values(values: np.ndarray, matrices) -> dict[str, np.ndarray]:
    """The per-order weights of each matrix (summed per member and month; ``max_order`` by maximum)."""
    out = {}
    if "purchases" in matrices:
        out["purchases"] = np.maximum(values, 0.0)
    if "returns" in matrices:
        out["returns"] = np.minimum(values, 0.0)
    if "orders" in matrices:
        out["orders"] = (values > 0).astype(np.float64)
    if "max_order" in matrices:
        out["max_order"] = values
    return out


def _numpy_cells(tx: pd.DataFrame, end: pd.Timestamp, matrices):
    """(sorted member ids, then per order: member code, month number, weights per matrix), by numpy."""
    times = tx["ordered_at"].to_numpy().astype("datetime64[us]", copy=False)
    keep = times < np.datetime64(end.to_datetime64(), "us")
    amount = tx["amount"].to_numpy(dtype=np.float64)
    ids = tx["member_id"].array
    order_ids = tx["order_id"].array if "order_id" in tx.columns else None
    if not keep.all():
        times, amount, ids = times[keep], amount[keep], ids[keep]
        order_ids = order_ids[keep] if order_ids is not None else None
    month = times.astype("datetime64[M]").view(np.int64) + _EPOCH_MONTH
    codes, uniques = encode(ids, dense=False)
    used = np.zeros(len(uniques), dtype=bool)
    used[codes] = True
    if not used.all():  # codes with gaps: renumber the members that have rows
        renumber = np.cumsum(used) - 1
        codes, uniques = renumber[codes], uniques.filter(pa.array(used))
    if order_ids is None:
        return uniques, codes, month, _order_values(amount, matrices)
    group, n_groups, missing = dense_codes(order_ids)
    with_id = slice(None) if missing is None else ~missing
    member, when, value = codes[with_id], month[with_id], amount[with_id]
    owner = np.full(n_groups, -1, dtype=np.int64)
    owner[group] = member
    if not np.array_equal(owner[group], member):  # an order id used by two members: two orders
        _, group = np.unique(member * n_groups + group, return_inverse=True)
        n_groups = int(group.max()) + 1
        owner = np.empty(n_groups, dtype=np.int64)
        owner[group] = member
    if n_groups == len(group):  # one row per order
        o_value = np.empty(n_groups)
        o_value[group] = value
        o_month = np.empty(n_groups, dtype=np.int64)
        o_month[group] = when
    else:
        o_value = np.bincount(group, weights=value, minlength=n_groups)
        o_month = np.full(n_groups, np.iinfo(np.int64).max)
        np.minimum.at(o_month, group, when)  # the month of the order's first row
    if missing is not None:  # rows without an order id: orders of their own
        owner = np.concatenate([owner, codes[missing]])
        o_month = np.concatenate([o_month, month[missing]])
        o_value = np.concatenate([o_value, amount[missing]])
    return uniques, owner, o_month, _order_values(o_value, matrices)


def _duckdb_cells(transactions, end: pd.Timestamp, matrices):
    """The same cells by one DuckDB statement over a frame, an Arrow table or a Parquet file."""
    if isinstance(transactions, (str, Path)):
        import pyarrow.parquet as pq

        path = Path(transactions)
        columns = pq.read_schema(path).names
        source, tables = f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')", {}
    elif isinstance(transactions, (pd.DataFrame, pa.Table)):
        columns = (
            list(transactions.columns)
            if isinstance(transactions, pd.DataFrame)
            else transactions.column_names
        )
        cols = [c for c in (*_REQUIRED, "order_id") if c in columns]
        table = (
            pa.Table.from_pandas(transactions[cols], preserve_index=False)
            if isinstance(transactions, pd.DataFrame)
            else transactions.select(cols)
        )
        source, tables = "tx", {"tx": table}
    else:
        raise ArgumentError(
            "monthly_activity: transactions must be a frame, an Arrow table or a Parquet path, got "
            f"{type(transactions).__name__}"
        )
    _check_columns(columns)
    cutoff = f"TIMESTAMP '{end.isoformat(sep=' ')}'"
    if "order_id" in columns:
        orders = f"""
        SELECT member_id, sum(amount) AS value, min(ordered_at) AS first_at
        FROM {source} WHERE ordered_at < {cutoff} AND NOT ({NO_ORDER_ID_SQL}) GROUP BY member_id, order_id
        UNION ALL
        SELECT member_id, amount, ordered_at FROM {source} WHERE ordered_at < {cutoff} AND {NO_ORDER_ID_SQL}"""
    else:
        orders = f"SELECT member_id, amount AS value, ordered_at AS first_at FROM {source} WHERE ordered_at < {cutoff}"
    sql = f"""
    WITH orders AS ({orders})
    SELECT member_id, year(first_at) * 12 + month(first_at) - 1 AS m,
           coalesce(sum(value) FILTER (WHERE value >= 0), 0) AS purchases,
           coalesce(sum(value) FILTER (WHERE value < 0), 0) AS returns,
           count(*) FILTER (WHERE value > 0) AS orders,
           greatest(max(value), 0) AS max_order
    FROM orders GROUP BY member_id, m
    """
    agg = run_sql(sql, **tables)
    codes, ids = encode(agg.column("member_id"))  # sorted ids (exact integer keys when they apply)
    month = agg.column("m").to_numpy().astype(np.int64)
    values = {name: agg.column(name).to_numpy().astype(np.float64) for name in matrices}
    return ids, codes, month, values


def window_sums(values: np.ndarray, months: pd.PeriodIndex, window: Window) -> np.ndarray:
    """Qualifying sums per member and month for the window (calendar year to date, trailing 12, lifetime)."""
    out = np.empty_like(values)
    running = WindowSums(months, window)
    for j in range(values.shape[1]):
        out[:, j] = running.step(values[:, j])
    return out


class WindowSums:
    """The window's qualifying sums month by month, from a running cumulative sum (one vector per month).

    The same arithmetic as cumulative sums over the whole member x month matrix minus the cumulative sum at
    the previous December (calendar year) or 12 months earlier (trailing 12), without holding the matrices.
    """

    def __init__(self, months: pd.PeriodIndex, window: Window):
        self.window = window
        self.month_no = np.asarray(months.month)
        self.j = 0
        self.csum = None
        self.base = None  # cumulative sum at the previous December (calendar year)
        self.history: list[np.ndarray] = []  # the last 12 cumulative sums (trailing 12 months)

    def step(self, column: np.ndarray) -> np.ndarray:
        """The qualifying sums of the next month, given the month's values."""
        self.csum = column.copy() if self.csum is None else self.csum + column
        j, self.j = self.j, self.j + 1
        if self.window == "lifetime":
            return self.csum
        if self.window == "rolling_12m":
            self.history.append(self.csum)
            if len(self.history) > 13:
                self.history.pop(0)
            return self.csum - self.history[0] if j >= 12 else self.csum
        q = self.csum - self.base if self.base is not None else self.csum
        if self.month_no[j] == 12:
            self.base = self.csum
        return q
