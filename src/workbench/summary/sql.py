"""The member summary as portable SQL: one query that a warehouse, Spark or DuckDB runs where the data lives.

``summary_sql`` computes, per member, what ``workbench.summary.member_summary`` computes (lifetimes'
``frequency, recency, T, monetary_value`` plus the descriptive columns), in the portable subset of
``workbench.summary.dialects`` and rendered for the engine asked for. Periods are integer indexes from
whole-day differences and ``extract`` (``period_sql``); the observation end's period is an integer computed
in Python (``period_index``), so that every engine agrees on them.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from workbench.errors import ArgumentError
from workbench.schema import NO_ORDER_ID_SQL
from workbench.summary.dialects import render

Freq = Literal["h", "D", "W", "M"]
Returns = Literal["exclude", "include"]
FREQS: tuple[str, ...] = ("h", "D", "W", "M")

#: lifetimes' columns of the summary, and the descriptive ones beside them
MODEL_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
DESCRIPTIVE_COLUMNS = [
    "orders",
    "total_spend",
    "returns_amount",
    "net_spend",
    "first_purchase",
    "last_purchase",
]
#: columns of ``summary_sql``'s result, in order
SUMMARY_COLUMNS: tuple[str, ...] = ("member_id", *MODEL_COLUMNS, *DESCRIPTIVE_COLUMNS)


def _day_sql(column: str) -> str:
    return f"date_diff('day', DATE '1970-01-01', CAST({column} AS DATE))"


def period_sql(column: str, freq: str) -> str:
    """SQL for the integer period index of a timestamp column (differences are what matter).

    Parameters
    ----------
    column : str
        A timestamp column or expression.
    freq : {"h", "D", "W", "M"}
        Hours, days, Monday-Sunday weeks (pandas ``W-SUN``), calendar months.

    Returns
    -------
    str
        A BIGINT expression: days since 1970-01-01 (``D``), ``day * 24 + hour`` (``h``), ``floor((day + 3) / 7)``
        (``W``; 1969-12-29 was a Monday), ``year * 12 + month - 1`` (``M``).
    """
    day = _day_sql(column)
    if freq == "D":
        return day
    if freq == "h":  # not date_diff('hour'): Spark counts elapsed hours, truncated toward zero before 1970
        return f"CAST({day} * 24 + extract(hour FROM {column}) AS BIGINT)"
    if freq == "W":
        return f"CAST(floor(({day} + 3) / 7) AS BIGINT)"
    if freq == "M":
        return f"CAST(extract(year FROM {column}) * 12 + extract(month FROM {column}) - 1 AS BIGINT)"
    raise ArgumentError(f"member_summary: freq must be one of {FREQS}, got {freq!r}")


def period_index(value, freq: str) -> int:
    """The period index ``period_sql`` gives a timestamp, computed in Python (for a literal).

    Parameters
    ----------
    value : anything ``pd.Timestamp`` accepts
    freq : {"h", "D", "W", "M"}

    Returns
    -------
    int
    """
    ts = pd.Timestamp(value)
    day = (ts.normalize() - pd.Timestamp("1970-01-01")).days
    if freq == "D":
        return day
    if freq == "h":
        return day * 24 + ts.hour
    if freq == "W":
        return (day + 3) // 7  # Python floors like SQL floor()
    if freq == "M":
        return ts.year * 12 + ts.month - 1
    raise ArgumentError(f"member_summary: freq must be one of {FREQS}, got {freq!r}")


def check_options(freq: str, returns: str) -> None:
    """Raise ``ArgumentError`` unless ``freq`` is one of ``FREQS`` and ``returns`` is exclude/include."""
    if freq not in FREQS:
        raise ArgumentError(f"member_summary: freq must be one of {FREQS}, got {freq!r}")
    if returns not in ("exclude", "include"):
        raise ArgumentError(f"member_summary: returns must be 'exclude' or 'include', got {returns!r}")


def timestamp_sql(value) -> str:
    """A SQL TIMESTAMP literal for anything ``pd.Timestamp`` accepts (DuckDB; not for portable statements)."""
    return f"TIMESTAMP '{pd.Timestamp(value).isoformat(sep=' ')}'"


def summary_ctes(
    table: str, observation_end, *, freq: str, returns: str, has_order_id: bool
) -> list[tuple[str, str]]:
    """The named subqueries of ``summary_sql`` (``sm_src, sm_periods, sm_model, sm_descr``), for statements that join the summary to more per-member columns; ``sm_model`` and ``sm_descr`` are keyed by member_id."""
    check_options(freq, returns)
    period = period_sql("ordered_at", freq)
    obs = period_index(observation_end, freq)
    is_purchase = "amount >= 0" if returns == "exclude" else "1 = 1"
    order_key = "order_id" if has_order_id else "CAST(NULL AS VARCHAR)"
    # an order: a distinct order_id; a row without one (NULL or empty) is an order of its own
    orders = (
        f"count(DISTINCT CASE WHEN amount >= 0 AND NOT ({NO_ORDER_ID_SQL}) THEN order_id END)"
        f" + sum(CASE WHEN amount >= 0 AND {NO_ORDER_ID_SQL} THEN 1 ELSE 0 END)"
        if has_order_id
        else "sum(CASE WHEN amount >= 0 THEN 1 ELSE 0 END)"
    )
    return [
        (
            "sm_src",
            f"""SELECT member_id, ordered_at, amount, {order_key} AS order_id, {period} AS period_idx,
           CASE WHEN {is_purchase} THEN 1 ELSE 0 END AS is_purchase
    FROM {table}
    WHERE {period} <= {obs}""",
        ),
        (
            "sm_periods",
            """SELECT member_id, period_idx, sum(amount) AS period_amount,
           min(period_idx) OVER (PARTITION BY member_id) AS first_period
    FROM sm_src
    WHERE is_purchase = 1
    GROUP BY member_id, period_idx""",
        ),
        (
            "sm_model",
            f"""SELECT member_id,
           count(*) - 1 AS n_repeat,
           max(period_idx) - min(period_idx) AS recency_periods,
           {obs} - min(period_idx) AS t_periods,
           sum(period_amount) AS amount_sum,
           sum(CASE WHEN period_idx = first_period THEN period_amount ELSE 0 END) AS first_amount
    FROM sm_periods
    GROUP BY member_id""",
        ),
        (
            "sm_descr",
            f"""SELECT member_id,
           {orders} AS n_orders,
           coalesce(sum(CASE WHEN amount >= 0 THEN amount END), 0) AS total_spend,
           coalesce(-sum(CASE WHEN amount < 0 THEN amount END), 0) AS returns_amount,
           min(CASE WHEN is_purchase = 1 THEN ordered_at END) AS first_purchase,
           max(CASE WHEN is_purchase = 1 THEN ordered_at END) AS last_purchase
    FROM sm_src
    GROUP BY member_id""",
        ),
    ]


#: the select list of ``summary_sql`` over ``sm_model m`` joined to ``sm_descr d``
SUMMARY_SELECT = """m.member_id AS "member_id",
       CAST(m.n_repeat AS DOUBLE) AS "frequency",
       CAST(m.recency_periods AS DOUBLE) AS "recency",
       CAST(m.t_periods AS DOUBLE) AS "T",
       CASE WHEN m.n_repeat > 0
            THEN CAST(m.amount_sum - m.first_amount AS DOUBLE) / CAST(m.n_repeat AS DOUBLE)
            ELSE CAST(0 AS DOUBLE) END AS "monetary_value",
       CAST(d.n_orders AS BIGINT) AS "orders",
       CAST(d.total_spend AS DOUBLE) AS "total_spend",
       CAST(d.returns_amount AS DOUBLE) AS "returns_amount",
       CAST(d.total_spend - d.returns_amount AS DOUBLE) AS "net_spend",
       d.first_purchase AS "first_purchase",
       d.last_purchase AS "last_purchase\""""


def with_ctes(ctes: list[tuple[str, str]], query: str) -> str:
    """``WITH name AS (sql), ... query``: named subqueries in front of a query.

    Parameters
    ----------
    ctes : list of (name, sql)
        The subqueries, in order (each may read the ones before it).
    query : str
        The final SELECT.

    Returns
    -------
    str
    """
    if not ctes:
        return query
    body = ",\n".join(f"{name} AS (\n    {sql}\n)" for name, sql in ctes)
    return f"WITH {body}\n{query}"


def summary_sql(
    table: str = "transactions",
    observation_end="2099-12-31",
    *,
    freq: Freq = "D",
    returns: Returns = "exclude",
    has_order_id: bool = True,
    dialect: str = "duckdb",
    pretty: bool = False,
) -> str:
    """The member-summary query over ``table`` (columns member_id, ordered_at, amount[, order_id]).

    Parameters
    ----------
    table : str
        The transactions table or view (``ordered_at`` in the brand's local time).
    observation_end : anything ``pd.Timestamp`` accepts
        End of the observation period; rows count up to the end of the period that holds it.
    freq : {"h", "D", "W", "M"}
    returns : {"exclude", "include"}
        As in ``member_summary``.
    has_order_id : bool
        Whether ``table`` has an ``order_id`` column.
    dialect : str
        One of ``workbench.summary.dialects.DIALECTS``.
    pretty : bool
        Indented layout (for files a person reads).

    Returns
    -------
    str
        One query with the columns ``SUMMARY_COLUMNS``, one row per member with a purchase, by member_id.
    """
    ctes = summary_ctes(table, observation_end, freq=freq, returns=returns, has_order_id=has_order_id)
    query = f"""SELECT {SUMMARY_SELECT}
FROM sm_model m
JOIN sm_descr d ON m.member_id = d.member_id
ORDER BY m.member_id"""
    return render(with_ctes(ctes, query), dialect, pretty=pretty)
