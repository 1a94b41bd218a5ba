"""The log aggregated per member and calendar month: what a tier programme's replay reads.

Orders: rows sharing an ``order_id`` (within a member) are one order, valued at the sum of their amounts and
dated by their first row; a row without an order id (null or empty) is an order of its own. An order of
negative value is a return. Per member and month of the order's date: ``purchases`` (sum of the orders of value
>= 0), ``returns`` (sum of the negative ones, <= 0), ``orders`` (orders of positive value) and ``max_order``
(the largest order value, at least 0).

Two engines compute the same matrices: ``engine="numpy"`` (default; exact integer codes of
``workbench.summary.keys`` and ``bincount``) and ``engine="duckdb"``, one SQL statement over a frame, an
Arrow table or a Parquet file (so the log can stay on disk). ``month_cells`` returns them as records grouped
by month (``MonthCells``: a month's column on demand, the same numbers), which is what the replay walks, so
memory grows with members and their active months, never with a member x month float matrix;
``monthly_activity`` builds the dense matrices from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.errors import ArgumentError
from workbench.schema import NO_ORDER_ID_SQL, duckdb_connect
from workbench.summary import in_memory_log
from workbench.summary.keys import dense_codes, encode
from workbench.tiers.program import TierProgram, Window

Engine = Literal["numpy", "duckdb"]
ACTIVITY_MATRICES = ("purchases", "returns", "orders", "max_order")
_REQUIRED = ("member_id", "ordered_at", "amount")
_EPOCH_MONTH = 1970 * 12  # month number (year * 12 + month - 1) of datetime64's month 0
#: DuckDB's memory for the member-month aggregation of a log of at most ``CELLS_CAPPED_ROWS`` rows (its hash
#: tables spill beyond it): the tier page's kernel stays within its budget at 3M members (27.4M rows). A larger
#: log gets the default cap (``workbench.schema.duckdb_connect``): at 1 GB the 91.5M-row log of the 10M demo
#: ran out of memory.
CELLS_DUCKDB_MEMORY = "1GB"
CELLS_CAPPED_ROWS = 30_000_000


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


@dataclass
class MonthCells:
    """The log's weights per member, grouped by calendar month: a month's column without the whole matrix.

    Records ``bounds[j]:bounds[j + 1]`` are month ``j``'s: ``member`` (int32 codes into ``member_ids``) and
    ``weights[name]`` for each matrix of ``ACTIVITY_MATRICES`` asked for (and ``"net"``, purchases plus
    returns of a member's month, where the records are whole months). A record is one order (engine numpy,
    in the log's order) or one member's month (engine duckdb); a month's column is the ``bincount`` of its
    records (their maximum for ``max_order``), the same numbers as the column of the member x month matrix.
    Memory: 4 bytes a record plus 8 per weight, and a member vector per column built.
    """

    member_ids: np.ndarray
    months: pd.PeriodIndex
    member: np.ndarray
    bounds: np.ndarray
    weights: dict[str, np.ndarray]

    def column(self, name: str, j: int) -> np.ndarray:
        """Month ``j``'s column of matrix ``name`` (one value per member, 0 without a record).

        Parameters
        ----------
        name : str
            A key of ``weights``.
        j : int
            The month's position in ``months``.

        Returns
        -------
        numpy.ndarray
            float64, one value per member.
        """
        lo, hi = int(self.bounds[j]), int(self.bounds[j + 1])
        if name == "max_order":
            out = np.zeros(len(self.member_ids))
            np.maximum.at(out, self.member[lo:hi], self.weights[name][lo:hi])
            return out
        return np.bincount(
            self.member[lo:hi], weights=self.weights[name][lo:hi], minlength=len(self.member_ids)
        )

    def metric_column(self, program: TierProgram, j: int) -> np.ndarray:
        """Month ``j``'s column (as :meth:`column`) of the programme's metric: ``MonthlyActivity.metric``'s numbers.

        Parameters
        ----------
        program : TierProgram
            Its ``metric`` and ``returns_deducted``; ``j`` as for :meth:`column`.

        Returns
        -------
        numpy.ndarray
            As :meth:`column`: float64, one value per member.
        """
        if program.metric == "orders":
            return self.column("orders", j)
        if not program.returns_deducted:
            return self.column("purchases", j)
        if "net" in self.weights:
            return self.column("net", j)
        return self.column("purchases", j) + self.column("returns", j)

    def matrix(self, name: str) -> np.ndarray:
        """The member x month matrix ``name`` (month columns contiguous), column by column.

        Parameters
        ----------
        name : str
            A key of ``weights``.

        Returns
        -------
        numpy.ndarray
            float64, members x months.
        """
        out = np.empty((len(self.member_ids), len(self.months)), order="F")
        for j in range(len(self.months)):
            out[:, j] = self.column(name, j)
        return out

    def where(self, name: str, keep: np.ndarray) -> MonthCells:
        """The records of ``keep`` (a mask over the records) with weight ``name`` only.

        Parameters
        ----------
        name : str
            The weight kept.
        keep : numpy.ndarray of bool
            One flag per record.

        Returns
        -------
        MonthCells
            The same members and months.
        """
        before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
        return MonthCells(
            self.member_ids,
            self.months,
            self.member[keep],
            before[self.bounds],
            {name: self.weights[name][keep]},
        )


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
        with ``engine="duckdb"`` also an Arrow table; or the path of a Parquet file in the canonical contract
        (the run's validated copy: read for numpy up to ``workbench.summary.IN_MEMORY_ROWS`` rows, else
        aggregated in DuckDB).
    as_of : the last day (or instant) that counts.
    start : an earlier first month for the columns (default: the month of the first order).
    matrices : which of ``purchases, returns, orders, max_order`` to build (the others are None).
    engine : ``"numpy"`` (default, fastest on a frame) or ``"duckdb"``; the same matrices.

    Returns
    -------
    MonthlyActivity with member ids sorted and months from the first order's month to ``as_of``'s month.
    """
    cells = month_cells(transactions, as_of, start=start, matrices=matrices, engine=engine)
    mats = {name: cells.matrix(name) if name in matrices else None for name in ACTIVITY_MATRICES}
    return MonthlyActivity(member_ids=cells.member_ids, months=cells.months, **mats)


def month_cells(
    transactions,
    as_of,
    *,
    start=None,
    matrices: tuple[str, ...] = ACTIVITY_MATRICES,
    engine: Engine = "numpy",
    net: bool = False,
) -> MonthCells:
    """The log up to ``as_of`` as records grouped by month (``MonthCells``): ``monthly_activity`` without the matrices.

    Parameters
    ----------
    transactions, as_of, start, matrices, engine
        As for :func:`monthly_activity`.
    net : bool
        With the duckdb engine and both ``purchases`` and ``returns`` asked for, they come as one ``"net"``
        weight instead (their sum per member and month: the spend net of returns, 8 bytes a record less).

    Returns
    -------
    MonthCells
    """
    unknown = [m for m in matrices if m not in ACTIVITY_MATRICES]
    if unknown:
        raise ArgumentError(f"monthly_activity: matrices must be among {ACTIVITY_MATRICES}, got {unknown}")
    end, _ = as_of_bounds(as_of)
    if engine == "numpy" and isinstance(transactions, str | Path):
        # the run's validated copy: read when small (numpy, the fastest), else aggregated where it lies
        transactions = in_memory_log(transactions, [*_REQUIRED, "order_id"])
        if isinstance(transactions, str | Path):
            engine = "duckdb"
    if engine == "numpy":
        if not isinstance(transactions, pd.DataFrame):
            raise ArgumentError(
                "monthly_activity: engine='numpy' needs a transaction frame, got "
                f"{type(transactions).__name__} (use engine='duckdb' for a Parquet path or an Arrow table)"
            )
        _check_columns(transactions.columns)
        ids, member, month, values = _numpy_cells(transactions, end, matrices)
    elif engine == "duckdb":
        ids, member, month, values = _duckdb_cells(transactions, end, matrices, net=net)
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
    # records grouped by month, in their order within a month (a stable sort: the sums add up as before)
    offset = (month - m0).astype(np.int16 if len(months) < 1 << 15 else np.int64)
    del month
    order = np.argsort(offset, kind="stable")
    bounds = np.searchsorted(offset[order], np.arange(len(months) + 1), side="left")
    del offset
    member = np.asarray(member).astype(np.int32 if len(ids) < 1 << 31 else np.int64, copy=False)[order]
    weights = {name: values.pop(name)[order] for name in list(values)}
    del order
    return MonthCells(ids.to_numpy(zero_copy_only=False).astype(object), months, member, bounds, weights)


def duckdb_cap(rows: int) -> dict:
    """DuckDB settings for a tier query over a log of ``rows`` rows: ``CELLS_DUCKDB_MEMORY`` up to ``CELLS_CAPPED_ROWS``.

    Parameters
    ----------
    rows : int
        The log's rows.

    Returns
    -------
    dict
        ``{"memory_limit": ...}``, or empty (the default cap) for a larger log.
    """
    return {"memory_limit": CELLS_DUCKDB_MEMORY} if rows <= CELLS_CAPPED_ROWS else {}


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


def _duckdb_cells(transactions, end: pd.Timestamp, matrices, *, net: bool = False):
    """The same cells by DuckDB over a frame, an Arrow table or a Parquet file: one record per member and month.

    The cells are aggregated once into a temporary table; the members' ids come back once each (sorted by
    ``encode``, like the numpy engine's) and every cell as an integer code, so no id text is held per cell.
    DuckDB runs with at most ``CELLS_DUCKDB_MEMORY`` for its operators on a log of up to ``CELLS_CAPPED_ROWS``
    rows (spilling beyond it), with the default cap on a larger one.
    """
    import pyarrow.parquet as pq

    if isinstance(transactions, (str, Path)):
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
    purchases = "coalesce(sum(value) FILTER (WHERE value >= 0), 0)"
    returns = "coalesce(sum(value) FILTER (WHERE value < 0), 0)"
    exprs = {
        "purchases": purchases,
        "returns": returns,
        "orders": "count(*) FILTER (WHERE value > 0)",
        "max_order": "greatest(max(value), 0)",
    }
    net = net and "purchases" in matrices and "returns" in matrices
    wanted = [m for m in matrices if not (net and m in ("purchases", "returns"))]
    if net:
        exprs["net"] = f"{purchases} + {returns}"
        wanted.append("net")
    select = ", ".join(f"{exprs[name]} AS {name}" for name in wanted)
    rows = pq.ParquetFile(path).metadata.num_rows if not tables else len(table)
    con = duckdb_connect({**duckdb_cap(rows), "preserve_insertion_order": False})
    try:
        for name, table in tables.items():
            con.register(name, table)
        con.execute(
            f"""CREATE TEMP TABLE cells AS
            WITH orders AS ({orders})
            SELECT member_id, CAST(year(first_at) * 12 + month(first_at) - 1 AS INTEGER) AS m, {select}
            FROM orders GROUP BY member_id, m"""
        )
        _, ids = encode(con.sql("SELECT DISTINCT member_id FROM cells").to_arrow_table().column(0))
        con.register("ids", pa.table({"member_id": ids, "code": np.arange(len(ids), dtype=np.int32)}))
        agg = con.sql(
            f"SELECT i.code, c.m, {', '.join(f'c.{name}' for name in wanted)} FROM cells c JOIN ids i USING (member_id)"
        ).fetchnumpy()
    finally:
        con.close()
    month = agg.pop("m").astype(np.int64)
    codes = agg.pop("code")
    values = {name: np.asarray(agg.pop(name), dtype=np.float64) for name in wanted}
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
