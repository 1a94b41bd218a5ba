"""The overview's portable SQL: the log's rows and orders, the member-month table, the monthly aggregates.

Written in the portable subset of ``workbench.summary.dialects`` and rendered per engine (``dialect=``);
``TransactionLog`` runs them in DuckDB or Spark, ``workbench sql`` writes them for a warehouse.
"""

from __future__ import annotations

import pandas as pd

from workbench.schema import NO_ORDER_ID_SQL
from workbench.summary import local_time_sql, render, with_ctes


def date_sql(value) -> str:
    """A portable DATE literal of a timestamp's day."""
    return f"DATE '{pd.Timestamp(value).date().isoformat()}'"


def rows_sql(
    source: str,
    end,
    *,
    has_order_id: bool = True,
    has_channel: bool = True,
    has_discount: bool = True,
    has_store: bool = False,
    timezone: str = "UTC",
    timestamps: str = "local",
) -> str:
    """The log's rows before ``end`` (a midnight) in the canonical column types.

    Parameters
    ----------
    source : str
        The transactions table or view.
    end : timestamp
        First instant after the month (a midnight): rows on days before it are kept.
    has_order_id, has_channel, has_discount, has_store : bool
        Which optional columns ``source`` has (absent ones come out NULL, discount 0).
    timezone, timestamps : str
        ``ordered_at``'s meaning (``workbench.summary.dialects.local_time_sql``).

    Returns
    -------
    str
        A portable query with ``member_id, ordered_at, amount, order_id, channel, discount, store``.
    """
    order_id = "CAST(order_id AS VARCHAR)" if has_order_id else "CAST(NULL AS VARCHAR)"
    channel = "CAST(channel AS VARCHAR)" if has_channel else "CAST(NULL AS VARCHAR)"
    discount = "coalesce(CAST(discount AS DOUBLE), 0)" if has_discount else "CAST(0 AS DOUBLE)"
    store = "CAST(store AS VARCHAR)" if has_store else "CAST(NULL AS VARCHAR)"
    when = local_time_sql("ordered_at", timezone, timestamps)
    return f"""SELECT CAST(member_id AS VARCHAR) AS member_id, {when} AS ordered_at,
           CAST(amount AS DOUBLE) AS amount, {order_id} AS order_id, {channel} AS channel,
           {discount} AS discount, {store} AS store
    FROM {source} WHERE CAST({when} AS DATE) < {date_sql(end)}"""


def orders_query(rows: str = "rows", *, has_order_id: bool = True) -> str:
    """One row per purchase order (``member_id, order_at, amount, promo``; portable).

    Purchase rows (``amount >= 0``) grouped by ``member_id`` and ``order_id``; rows without an order id are an
    order each; ``order_at`` is the first row's time, ``promo`` 1 when any row had ``discount > 0``, else 0.
    """
    single = (
        "SELECT member_id, ordered_at AS order_at, amount, CASE WHEN discount > 0 THEN 1 ELSE 0 END AS promo "
        f"FROM {rows} WHERE amount >= 0"
    )
    if not has_order_id:
        return single
    return f"""SELECT member_id, min(ordered_at) AS order_at, sum(amount) AS amount,
           CASE WHEN max(discount) > 0 THEN 1 ELSE 0 END AS promo
    FROM {rows} WHERE amount >= 0 AND NOT ({NO_ORDER_ID_SQL})
    GROUP BY member_id, order_id
    UNION ALL
    {single} AND {NO_ORDER_ID_SQL}"""


def orders_sql(rows: str = "rows", *, has_order_id: bool = True) -> str:
    """``CREATE TEMP TABLE orders`` of ``orders_query`` (DuckDB)."""
    return f"CREATE TEMP TABLE orders AS {orders_query(rows, has_order_id=has_order_id)}"


#: columns of the member-month table (``member_month_sql``), in order
MEMBER_MONTH_COLUMNS: tuple[str, ...] = (
    "member_id",
    "month",
    "row_count",
    "purchase_rows",
    "gross",
    "returns",
    "store_revenue",
    "online_revenue",
    "orders",
)


def member_month_parts(
    rows: str = "rows", orders: str = "orders", *, has_channel: bool = True
) -> tuple[list[tuple[str, str]], str]:
    """``member_month_sql`` as (named subqueries, final SELECT), for statements that read it inline."""
    month = "CAST(date_trunc('month', {}) AS DATE)"
    if has_channel:
        store = "coalesce(sum(CASE WHEN amount >= 0 AND channel = 'store' THEN amount END), 0)"
        online = "coalesce(sum(CASE WHEN amount >= 0 AND channel = 'online' THEN amount END), 0)"
    else:
        store = online = "CAST(NULL AS DOUBLE)"
    ctes = [
        (
            "mm_rows",
            f"""SELECT member_id, {month.format("ordered_at")} AS month_start,
           count(*) AS row_count,
           sum(CASE WHEN amount >= 0 THEN 1 ELSE 0 END) AS purchase_rows,
           coalesce(sum(CASE WHEN amount >= 0 THEN amount END), 0) AS gross,
           coalesce(-sum(CASE WHEN amount < 0 THEN amount END), 0) AS returns_amount,
           {store} AS store_revenue,
           {online} AS online_revenue
    FROM {rows}
    GROUP BY member_id, {month.format("ordered_at")}""",
        ),
        (
            "mm_orders",
            f"""SELECT member_id, {month.format("order_at")} AS month_start, count(*) AS n_orders
    FROM {orders}
    GROUP BY member_id, {month.format("order_at")}""",
        ),
    ]
    select = """SELECT r.member_id AS "member_id", r.month_start AS "month",
       CAST(r.row_count AS BIGINT) AS "row_count", CAST(r.purchase_rows AS BIGINT) AS "purchase_rows",
       CAST(r.gross AS DOUBLE) AS "gross", CAST(r.returns_amount AS DOUBLE) AS "returns",
       CAST(r.store_revenue AS DOUBLE) AS "store_revenue", CAST(r.online_revenue AS DOUBLE) AS "online_revenue",
       CAST(coalesce(o.n_orders, 0) AS BIGINT) AS "orders"
FROM mm_rows r
LEFT JOIN mm_orders o ON r.member_id = o.member_id AND r.month_start = o.month_start"""
    return ctes, select


def member_month_sql(
    rows: str = "rows", orders: str = "orders", *, has_channel: bool = True, dialect: str = "duckdb"
) -> str:
    """The member-month table: one row per member and calendar month with a row in the log.

    Parameters
    ----------
    rows, orders : str
        A ``TransactionLog``'s rows and orders (``rows_sql``, ``orders_query``).
    has_channel : bool
        Whether the log has a channel (else ``store_revenue``/``online_revenue`` are NULL).
    dialect : str
        One of ``workbench.summary.dialects.DIALECTS``.

    Returns
    -------
    str
        A query with ``MEMBER_MONTH_COLUMNS``: ``month`` (DATE, the first day), ``row_count`` (rows),
        ``purchase_rows`` (rows with ``amount >= 0``), ``gross`` (their sum), ``returns`` (minus the sum of
        the return rows), ``store_revenue``/``online_revenue`` (gross by channel), ``orders`` (purchase orders
        whose first row is in the month). ``monthly_kpis`` needs nothing else.
    """
    ctes, select = member_month_parts(rows, orders, has_channel=has_channel)
    return render(with_ctes(ctes, select), dialect)


def kpi_sql(member_months: str = "member_months", *, dialect: str = "duckdb") -> str:
    """Monthly aggregates from the member-month table (``member_month_sql``) that ``monthly_kpis`` reads.

    Parameters
    ----------
    member_months : str
        The member-month table or view.
    dialect : str
        One of ``workbench.summary.dialects.DIALECTS``.

    Returns
    -------
    str
        One row per month: ``month, row_count, gross_revenue, returns, store_revenue, online_revenue, orders,
        active_members, returning_members, returning_revenue, first_buyers``.
    """
    sql = f"""WITH kp_first AS (
    SELECT member_id, min(month) AS first_month FROM {member_months} WHERE purchase_rows > 0 GROUP BY member_id
),
kp_month AS (
    SELECT mm.month AS month_start,
           sum(mm.row_count) AS row_count,
           sum(mm.gross) AS gross_revenue,
           sum(mm.returns) AS returns_amount,
           sum(mm.store_revenue) AS store_revenue,
           sum(mm.online_revenue) AS online_revenue,
           sum(mm.orders) AS n_orders,
           sum(CASE WHEN mm.purchase_rows > 0 THEN 1 ELSE 0 END) AS active_members,
           sum(CASE WHEN mm.purchase_rows > 0 AND mm.month > f.first_month THEN 1 ELSE 0 END) AS returning_members,
           sum(CASE WHEN mm.purchase_rows > 0 AND mm.month > f.first_month THEN mm.gross ELSE 0 END)
               AS returning_revenue
    FROM {member_months} mm LEFT JOIN kp_first f ON mm.member_id = f.member_id
    GROUP BY mm.month
),
kp_new AS (SELECT first_month, count(*) AS first_buyers FROM kp_first GROUP BY first_month)
SELECT m.month_start AS "month", CAST(m.row_count AS BIGINT) AS "row_count",
       CAST(m.gross_revenue AS DOUBLE) AS "gross_revenue", CAST(m.returns_amount AS DOUBLE) AS "returns",
       CAST(m.store_revenue AS DOUBLE) AS "store_revenue", CAST(m.online_revenue AS DOUBLE) AS "online_revenue",
       CAST(m.n_orders AS BIGINT) AS "orders", CAST(m.active_members AS BIGINT) AS "active_members",
       CAST(m.returning_members AS BIGINT) AS "returning_members",
       CAST(m.returning_revenue AS DOUBLE) AS "returning_revenue",
       CAST(coalesce(n.first_buyers, 0) AS BIGINT) AS "first_buyers"
FROM kp_month m LEFT JOIN kp_new n ON m.month_start = n.first_month
ORDER BY m.month_start"""
    return render(sql, dialect)


def join_months_sql(members: str, member_months: str, end) -> str:
    """New members per join month: a members table's ``joined_at``, else the first purchase month (portable)."""
    joined = "coalesce(CAST(m.joined_at AS TIMESTAMP), CAST(f.first_month AS TIMESTAMP))"
    return f"""WITH jm_first AS (
    SELECT member_id, min(month) AS first_month FROM {member_months} WHERE purchase_rows > 0 GROUP BY member_id
)
SELECT CAST(date_trunc('month', {joined}) AS DATE) AS "month", count(*) AS "n"
FROM {members} m FULL OUTER JOIN jm_first f ON CAST(m.member_id AS VARCHAR) = f.member_id
WHERE CAST({joined} AS DATE) < {date_sql(end)}
GROUP BY CAST(date_trunc('month', {joined}) AS DATE)
ORDER BY CAST(date_trunc('month', {joined}) AS DATE)"""
