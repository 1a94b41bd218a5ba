"""Monthly member KPIs with month-over-month change (the member overview report).

``monthly_kpis(transactions, members=None, month=...)`` returns one row per calendar month (a monthly
``PeriodIndex`` named ``month``) up to and including ``month``. Definitions (all amounts in the
transaction currency, after discounts):

* a *purchase row* has ``amount >= 0``; a *return row* ``amount < 0`` and counts in the month it was
  booked (not the month of the original order);
* an *order* is a distinct ``(member_id, order_id)`` among purchase rows (each purchase row when there is
  no ``order_id`` or it is empty), counted in the month of its first row; amounts count in the month of
  their row;
* ``members``: members who joined up to the end of the month (cumulative). The join date is the members
  table's ``joined_at`` when ``members`` is given (members without one fall back to their first purchase),
  otherwise the first purchase in the log; ``new_members`` joined in the month; ``member_growth_rate`` =
  ``new_members`` / ``members`` at the end of the previous month;
* ``active_members``: members with at least one purchase row in the month;
* ``gross_revenue``: sum of purchase rows; ``returns``: minus the sum of return rows (a positive amount);
  ``net_revenue`` = ``gross_revenue - returns``; ``returns_rate`` = ``returns / gross_revenue``;
* ``aov`` = ``gross_revenue / orders``; ``revenue_per_active`` = ``gross_revenue / active_members``
  (ratios use gross revenue, because this month's returns mostly belong to earlier months' orders);
* ``repurchase_rate``: share of the month's active members who had bought before the month (first
  purchase in the log in an earlier month); ``returning_members`` is their number and
  ``returning_revenue_share`` their share of the month's gross revenue. Only the log is known: in its
  first months, members who bought before it started count as first-time buyers (rates start low);
* ``store_revenue`` / ``online_revenue``: gross revenue by ``channel``; ``online_share`` = online /
  gross revenue.

Every column ``c`` in ``CHANGE_KIND`` has a ``c_mom`` column: the relative change against the previous
month for counts and amounts (``0.05`` = +5%), the difference in shares for rates (``0.01`` = +1 point).

The aggregation is plain SQL (``orders_sql``, ``kpi_sql``) run in DuckDB, so it can run where the log lives.
Tables and findings for the report (``kpi_table``, ``findings``) are in ``workbench.text.overview``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.errors import ArgumentError
from workbench.schema import NO_ORDER_ID_SQL, run_sql
from workbench.summary import timestamp_sql

# column -> how its month-over-month change is measured
CHANGE_KIND: dict[str, Literal["relative", "points"]] = {
    "members": "relative",
    "new_members": "relative",
    "member_growth_rate": "points",
    "active_members": "relative",
    "orders": "relative",
    "gross_revenue": "relative",
    "returns": "relative",
    "net_revenue": "relative",
    "aov": "relative",
    "revenue_per_active": "relative",
    "repurchase_rate": "points",
    "returning_revenue_share": "points",
    "store_revenue": "relative",
    "online_revenue": "relative",
    "online_share": "points",
    "returns_rate": "points",
}
KPI_COLUMNS: tuple[str, ...] = (
    "members",
    "new_members",
    "member_growth_rate",
    "active_members",
    "returning_members",
    "orders",
    "gross_revenue",
    "returns",
    "net_revenue",
    "aov",
    "revenue_per_active",
    "repurchase_rate",
    "returning_revenue_share",
    "store_revenue",
    "online_revenue",
    "online_share",
    "returns_rate",
)

__all__ = [
    "CHANGE_KIND",
    "KPI_COLUMNS",
    "TransactionLog",
    "kpi_sql",
    "member_month_sql",
    "month_bounds",
    "monthly_kpis",
    "open_log",
    "orders_sql",
    "use_log",
]


def month_bounds(month) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``(first instant, first instant of the next month)`` of a ``YYYY-MM`` month."""
    p = pd.Period(month, freq="M")
    return p.start_time.as_unit("us"), (p + 1).start_time.as_unit("us")


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


REQUIRED = ("member_id", "ordered_at", "amount")


class TransactionLog:
    """The transaction log up to the end of ``month``, held in DuckDB for the overview's aggregations.

    ``transactions`` is a canonical frame or the path of a canonical ``.parquet`` file (loaded and validated
    by ``workbench.data.load_transactions``). Two relations are built once and shared by ``monthly_kpis`` and
    ``workbench.segments.member_features``:

    * ``rows``: ``member_id, ordered_at, amount, order_id, channel, discount, store`` of rows before the end
      of ``month`` (``order_id``/``channel``/``store`` NULL and ``discount`` 0 when the columns are absent);
    * ``orders``: one row per purchase order (``member_id, order_at, amount, promo``): purchase rows
      (``amount >= 0``) grouped by ``member_id`` and ``order_id``; rows without an order id are an order
      each; ``order_at`` is the first row's time, ``promo`` whether any row had ``discount > 0``.

    ``end`` (optional) ends the log earlier than the month's end: the exclusive instant up to which rows are
    kept, within the month (``workbench.audience.member_attributes`` uses the day after its ``as_of``, so
    member types as of a month's last day are exactly the overview's).

    Use as a context manager (or call ``close()``).
    """

    def __init__(self, transactions, month, *, end=None):
        self.month = pd.Period(month, freq="M")
        self.start, self.end = month_bounds(self.month)
        if end is not None:
            end = pd.Timestamp(end).as_unit("us")
            if not self.start < end <= self.end:
                raise ArgumentError(
                    f"TransactionLog: end must lie in month {self.month} (after {self.start}, at most "
                    f"{self.end}); got {end}"
                )
            self.end = end
        self.con = duckdb.connect(config={"preserve_insertion_order": False})
        try:
            self._build(transactions)
        except Exception:
            self.con.close()
            raise

    def _build(self, transactions) -> None:
        if isinstance(transactions, str | Path):
            path = str(transactions)
            if not path.endswith(".parquet"):
                raise ValueError(f"TransactionLog: a path must name a .parquet file, got {path!r}")
            from workbench.data import load_transactions

            # a file is checked like every other source: nothing runs on data that failed validation
            transactions = load_transactions(path)
        if isinstance(transactions, pd.DataFrame):
            columns = list(transactions.columns)
            keep = [c for c in (*REQUIRED, "order_id", "channel", "discount", "store") if c in columns]
            if all(c in columns for c in REQUIRED):
                self.con.register("source_", pa.Table.from_pandas(transactions[keep], preserve_index=False))
            source = "source_"
        else:
            raise TypeError(
                f"TransactionLog: transactions must be a DataFrame or a .parquet path, got {type(transactions)}"
            )
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise ValueError(
                f"TransactionLog: required column(s) missing from transactions: {', '.join(missing)}"
            )
        self.has_order_id = "order_id" in columns
        self.has_channel = "channel" in columns
        self.has_discount = "discount" in columns
        self.has_store = "store" in columns
        order_id = "CAST(order_id AS VARCHAR)" if self.has_order_id else "CAST(NULL AS VARCHAR)"
        channel = "CAST(channel AS VARCHAR)" if self.has_channel else "CAST(NULL AS VARCHAR)"
        discount = "coalesce(CAST(discount AS DOUBLE), 0)" if self.has_discount else "CAST(0 AS DOUBLE)"
        store = "CAST(store AS VARCHAR)" if self.has_store else "CAST(NULL AS VARCHAR)"
        self.con.sql(
            f"""CREATE TEMP VIEW rows AS
            SELECT CAST(member_id AS VARCHAR) AS member_id, CAST(ordered_at AS TIMESTAMP) AS ordered_at,
                   CAST(amount AS DOUBLE) AS amount, {order_id} AS order_id, {channel} AS channel,
                   {discount} AS discount, {store} AS store
            FROM {source} WHERE ordered_at < {timestamp_sql(self.end)}"""
        )
        self.con.sql(orders_sql("rows", has_order_id=self.has_order_id))

    def sql(self, query: str) -> pd.DataFrame:
        return self.con.sql(query).to_df()

    def row_count(self) -> int:
        return int(self.con.sql("SELECT count(*) FROM rows").fetchall()[0][0])

    def close(self) -> None:
        self.con.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def use_log(transactions, month, owner: str) -> Iterator[TransactionLog]:
    """The ``TransactionLog`` to aggregate over: ``transactions`` itself when it is one (``month``, when given,
    must be its month), else a log opened for ``month`` and closed afterwards.

    Parameters
    ----------
    transactions : TransactionLog, DataFrame or str
        A log, a canonical frame or a canonical ``.parquet`` path.
    month : str or None
        ``YYYY-MM``; required unless ``transactions`` is a log.
    owner : str
        The caller, named in errors.
    """
    if isinstance(transactions, TransactionLog):
        if month is not None and pd.Period(month, freq="M") != transactions.month:
            raise ArgumentError(
                f"{owner}: month {month!r} differs from the TransactionLog's month {transactions.month}"
            )
        yield transactions
        return
    if month is None:
        raise ArgumentError(f"{owner}: month is required unless transactions is a TransactionLog")
    with TransactionLog(transactions, month) as log:
        yield log


def open_log(
    source, month, *, columns: dict | None = None, date_format: str = "auto", **opts
) -> TransactionLog:
    """A ``TransactionLog`` of ``source`` up to the end of ``month``.

    Every source, a canonical ``.parquet`` file included, goes through the validating loader
    ``workbench.data.load_transactions(source, columns, date_format, **opts)`` (so the overview sees only
    data that passed its checks; a bad file raises its ``DataValidationError``). The loader keeps
    already-canonical columns as they are, and DuckDB reads the frame through Arrow without a copy.
    """
    from workbench.data import load_transactions

    return TransactionLog(
        load_transactions(source, columns=columns or None, date_format=date_format, **opts), month
    )


def orders_sql(rows: str = "rows", *, has_order_id: bool = True) -> str:
    """``CREATE TEMP TABLE orders``: one row per purchase order (see ``TransactionLog``)."""
    single = f"SELECT member_id, ordered_at AS order_at, amount, discount > 0 AS promo FROM {rows} WHERE amount >= 0"
    if not has_order_id:
        return f"CREATE TEMP TABLE orders AS {single}"
    return f"""CREATE TEMP TABLE orders AS
    SELECT member_id, min(ordered_at) AS order_at, sum(amount) AS amount, max(discount) > 0 AS promo
    FROM {rows} WHERE amount >= 0 AND NOT ({NO_ORDER_ID_SQL})
    GROUP BY member_id, order_id
    UNION ALL
    {single} AND {NO_ORDER_ID_SQL}"""


def member_month_sql(rows: str = "rows") -> list[str]:
    """Temp tables ``member_month`` (gross purchases per member and month) and ``first_month`` (month of
    each member's first purchase) that ``kpi_sql`` reads."""
    return [
        f"""CREATE OR REPLACE TEMP TABLE member_month AS
        SELECT member_id, date_trunc('month', ordered_at) AS month, sum(amount) AS gross
        FROM {rows} WHERE amount >= 0 GROUP BY ALL""",
        """CREATE OR REPLACE TEMP TABLE first_month AS
        SELECT member_id, min(month) AS first_month FROM member_month GROUP BY member_id""",
    ]


def kpi_sql(rows: str = "rows", orders: str = "orders") -> str:
    """Monthly aggregates from a ``TransactionLog``'s ``rows``/``orders`` and ``member_month_sql``'s tables."""
    return f"""
WITH active AS (
    SELECT mm.month,
           count(*) AS active_members,
           count(*) FILTER (WHERE mm.month > f.first_month) AS returning_members,
           coalesce(sum(mm.gross) FILTER (WHERE mm.month > f.first_month), 0) AS returning_revenue
    FROM member_month mm JOIN first_month f USING (member_id)
    GROUP BY mm.month
),
money AS (
    SELECT date_trunc('month', ordered_at) AS month,
           coalesce(sum(amount) FILTER (WHERE amount >= 0), 0) AS gross_revenue,
           coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS returns,
           coalesce(sum(amount) FILTER (WHERE amount >= 0 AND channel = 'store'), 0) AS store_revenue,
           coalesce(sum(amount) FILTER (WHERE amount >= 0 AND channel = 'online'), 0) AS online_revenue
    FROM {rows} GROUP BY 1
),
order_counts AS (SELECT date_trunc('month', order_at) AS month, count(*) AS orders FROM {orders} GROUP BY 1),
first_purchases AS (SELECT first_month AS month, count(*) AS first_buyers FROM first_month GROUP BY 1)
SELECT money.month, gross_revenue, returns, store_revenue, online_revenue,
       coalesce(orders, 0) AS orders, coalesce(active_members, 0) AS active_members,
       coalesce(returning_members, 0) AS returning_members, coalesce(returning_revenue, 0) AS returning_revenue,
       coalesce(first_buyers, 0) AS first_buyers
FROM money
LEFT JOIN order_counts USING (month) LEFT JOIN active USING (month) LEFT JOIN first_purchases USING (month)
ORDER BY money.month
"""


def _safe_div(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype("float64")
    return (num / den.where(den != 0)).astype("float64")


def _latest_month(transactions) -> pd.Period:
    if isinstance(transactions, pd.DataFrame):
        return pd.Period(transactions["ordered_at"].max(), freq="M")
    latest = run_sql(f"SELECT max(ordered_at) AS latest FROM read_parquet({_lit(str(transactions))})")
    latest = latest.column("latest")[0].as_py()
    return pd.Period(pd.Timestamp(latest), freq="M")


def monthly_kpis(transactions, members: pd.DataFrame | None = None, *, month=None) -> pd.DataFrame:
    """Monthly KPIs (see the module docstring) for every month up to and including ``month``.

    ``transactions``: a canonical frame, a canonical ``.parquet`` path, or a ``TransactionLog`` (then
    ``month`` defaults to, and must equal, the log's month). ``month`` defaults to the last month in the
    log. Rows after ``month`` are ignored. Months without activity inside the range are present with zero
    counts. Returns a frame indexed by a monthly ``PeriodIndex`` named ``month`` with ``KPI_COLUMNS`` and a
    ``<kpi>_mom`` column per ``CHANGE_KIND``.
    """
    if month is None and not isinstance(transactions, TransactionLog):
        month = _latest_month(transactions)
    with use_log(transactions, month, "monthly_kpis") as log:
        last, end, has_channel = log.month, log.end, log.has_channel
        for statement in member_month_sql():
            log.con.sql(statement)
        monthly = log.sql(kpi_sql())
        joins = _join_months(log.con, members, end) if members is not None else None

    monthly["month"] = pd.PeriodIndex(pd.to_datetime(monthly["month"]), freq="M")
    monthly = monthly.set_index("month")
    if joins is None:
        joins = monthly["first_buyers"]
    starts = [p for p in (monthly.index.min(), joins.index.min() if len(joins) else None) if p is not None]
    if not starts or pd.isna(min(starts)):
        raise ValueError("monthly_kpis: no transactions before the end of the requested month")
    index = pd.period_range(min(starts), last, freq="M", name="month")
    monthly = monthly.reindex(index, fill_value=0)
    new = joins.reindex(index, fill_value=0).astype("int64")
    before = int(joins[joins.index < index[0]].sum())

    out = pd.DataFrame(index=index)
    out["members"] = new.cumsum() + before
    out["new_members"] = new
    out["member_growth_rate"] = _safe_div(out["new_members"], out["members"].shift(1))
    out["active_members"] = monthly["active_members"].astype("int64")
    out["returning_members"] = monthly["returning_members"].astype("int64")
    out["orders"] = monthly["orders"].astype("int64")
    out["gross_revenue"] = monthly["gross_revenue"].astype("float64")
    out["returns"] = monthly["returns"].astype("float64")
    out["net_revenue"] = out["gross_revenue"] - out["returns"]
    out["aov"] = _safe_div(out["gross_revenue"], out["orders"])
    out["revenue_per_active"] = _safe_div(out["gross_revenue"], out["active_members"])
    out["repurchase_rate"] = _safe_div(out["returning_members"], out["active_members"])
    out["returning_revenue_share"] = _safe_div(monthly["returning_revenue"], out["gross_revenue"])
    out["store_revenue"] = monthly["store_revenue"].astype("float64")
    out["online_revenue"] = monthly["online_revenue"].astype("float64")
    out["online_share"] = _safe_div(out["online_revenue"], out["gross_revenue"])
    out["returns_rate"] = _safe_div(out["returns"], out["gross_revenue"])
    if not has_channel:
        out[["store_revenue", "online_revenue", "online_share"]] = np.nan
    for col, kind in CHANGE_KIND.items():
        prev = out[col].shift(1)
        if kind == "relative":
            out[f"{col}_mom"] = _safe_div(out[col] - prev, prev)
        else:
            out[f"{col}_mom"] = out[col] - prev
    return out


def _join_months(con: duckdb.DuckDBPyConnection, members: pd.DataFrame, end: pd.Timestamp) -> pd.Series:
    """New members per join month from the members table (first purchase where ``joined_at`` is missing)."""
    if "member_id" not in members.columns or "joined_at" not in members.columns:
        raise ValueError("monthly_kpis: members needs the columns member_id and joined_at")
    con.register("members_", pa.Table.from_pandas(members[["member_id", "joined_at"]], preserve_index=False))
    frame = con.sql(
        f"""
        WITH everyone AS (
            SELECT CAST(m.joined_at AS TIMESTAMP) AS joined_at, f.first_month
            FROM members_ m FULL OUTER JOIN first_month f ON CAST(m.member_id AS VARCHAR) = f.member_id
        )
        SELECT date_trunc('month', coalesce(joined_at, first_month)) AS month, count(*) AS n
        FROM everyone WHERE coalesce(joined_at, first_month) < {timestamp_sql(end)} GROUP BY 1 ORDER BY 1
        """
    ).to_df()
    idx = pd.PeriodIndex(pd.to_datetime(frame["month"]), freq="M", name="month")
    return pd.Series(frame["n"].to_numpy(), index=idx, dtype="int64")


# --- presentation ---------------------------------------------------------------------------------------
