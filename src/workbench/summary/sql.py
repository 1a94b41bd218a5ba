"""The member summary as SQL: one GROUP BY statement that a warehouse can run where the data lives.

``summary_sql`` computes, per member, what ``workbench.summary.member_summary`` computes (lifetimes'
``frequency, recency, T, monetary_value`` plus the descriptive columns); periods are integer indexes
from day differences (``period_sql``), so that engines agree on them.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from workbench.errors import ArgumentError
from workbench.schema import NO_ORDER_ID_SQL

Freq = Literal["h", "D", "W", "M"]
Returns = Literal["exclude", "include"]
FREQS: tuple[str, ...] = ("h", "D", "W", "M")


def period_sql(column: str, freq: str) -> str:
    """SQL for the integer period index of a timestamp column (differences are what matter)."""
    if freq == "h":
        return f"date_diff('hour', TIMESTAMP '1970-01-01 00:00:00', CAST({column} AS TIMESTAMP))"
    day = f"date_diff('day', DATE '1970-01-01', CAST({column} AS DATE))"
    if freq == "D":
        return day
    if freq == "W":  # pandas W-SUN: weeks run Monday..Sunday; 1969-12-29 was a Monday
        return f"CAST(floor(({day} + 3) / 7) AS BIGINT)"
    if freq == "M":
        return f"(year({column}) * 12 + month({column}) - 1)"
    raise ArgumentError(f"member_summary: freq must be one of {FREQS}, got {freq!r}")


def check_options(freq: str, returns: str) -> None:
    """Raise ``ArgumentError`` unless ``freq`` is one of ``FREQS`` and ``returns`` is exclude/include."""
    if freq not in FREQS:
        raise ArgumentError(f"member_summary: freq must be one of {FREQS}, got {freq!r}")
    if returns not in ("exclude", "include"):
        raise ArgumentError(f"member_summary: returns must be 'exclude' or 'include', got {returns!r}")


def timestamp_sql(value) -> str:
    """A SQL TIMESTAMP literal for anything ``pd.Timestamp`` accepts."""
    return f"TIMESTAMP '{pd.Timestamp(value).isoformat(sep=' ')}'"


def summary_sql(
    table: str = "transactions",
    observation_end="2099-12-31",
    *,
    freq: Freq = "D",
    returns: Returns = "exclude",
    has_order_id: bool = True,
) -> str:
    """The member-summary SQL over ``table`` (columns member_id, ordered_at, amount[, order_id]).

    Plain GROUP BY SQL with ``date_diff``, portable to a warehouse; the workbench runs it in DuckDB.
    """
    check_options(freq, returns)
    period = period_sql("ordered_at", freq)
    obs_period = period_sql(timestamp_sql(observation_end), freq)
    is_purchase = "amount >= 0" if returns == "exclude" else "TRUE"
    order_key = "order_id" if has_order_id else "NULL"
    # an order: a distinct order_id; a row without one (NULL or empty) is an order of its own
    orders = (
        f"(count(DISTINCT order_id) FILTER (WHERE amount >= 0 AND NOT ({NO_ORDER_ID_SQL}))"
        f" + count(*) FILTER (WHERE amount >= 0 AND {NO_ORDER_ID_SQL}))"
        if has_order_id
        else "count(*) FILTER (WHERE amount >= 0)"
    )
    return f"""
WITH rows AS (
    SELECT member_id, ordered_at, amount, {order_key} AS order_id, {period} AS period,
           {is_purchase} AS purchase
    FROM {table}
    WHERE {period} <= {obs_period}
),
periods AS (
    SELECT member_id, period, sum(amount) AS value
    FROM rows WHERE purchase
    GROUP BY member_id, period
),
model AS (
    SELECT member_id,
           count(*) - 1 AS frequency,
           max(period) - min(period) AS recency,
           {obs_period} - min(period) AS "T",
           coalesce((sum(value) - arg_min(value, period)) / nullif(count(*) - 1, 0), 0) AS monetary_value
    FROM periods
    GROUP BY member_id
),
descr AS (
    SELECT member_id,
           {orders} AS orders,
           coalesce(sum(amount) FILTER (WHERE amount >= 0), 0) AS total_spend,
           coalesce(-sum(amount) FILTER (WHERE amount < 0), 0) AS returns_amount,
           min(ordered_at) FILTER (WHERE purchase) AS first_purchase,
           max(ordered_at) FILTER (WHERE purchase) AS last_purchase
    FROM rows
    GROUP BY member_id
)
SELECT model.member_id,
       CAST(frequency AS DOUBLE) AS frequency, CAST(recency AS DOUBLE) AS recency,
       CAST("T" AS DOUBLE) AS "T", CAST(monetary_value AS DOUBLE) AS monetary_value,
       orders, total_spend, returns_amount, total_spend - returns_amount AS net_spend,
       first_purchase, last_purchase
FROM model JOIN descr USING (member_id)
ORDER BY model.member_id
"""
