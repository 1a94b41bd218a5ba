"""Transactions -> per-member summary (the RFM sufficient statistics of lifetimes), computed in DuckDB.

``member_summary`` returns exactly what ``lifetimes.utils.summary_data_from_transaction_data`` returns
(same definitions, same numbers) for ``freq`` of days and weeks, and defines months the way lifetimes
would if its ``freq='M'`` worked (whole calendar months between periods). Definitions, per member:

* a *period* is the day (``D``), the Monday-Sunday week (``W``, pandas' ``W-SUN``) or the calendar
  month (``M``) of a purchase; rows in the same period are one purchase occasion, amounts summed;
* ``frequency`` = purchase periods - 1 (repeat purchases); ``recency`` = last period - first period;
  ``T`` = period of ``observation_end`` - first period; ``monetary_value`` = mean amount of the repeat
  periods (0 when there are none);
* like lifetimes, a row counts up to the end of the *period* that holds ``observation_end``.

Returns (negative amounts) are excluded from the model columns by default (``returns="exclude"``): a day
holding only a return is not a purchase. ``returns="include"`` reproduces lifetimes, which treats return
rows like any other row. The heavy lifting is one SQL statement (``summary_sql``), so a brand whose log
lives in a warehouse can run the same step there and hand the workbench its result.
"""

from __future__ import annotations

from typing import Literal

import duckdb
import pandas as pd
import pyarrow as pa

Freq = Literal["D", "W", "M"]
Returns = Literal["exclude", "include"]

_FREQS = ("D", "W", "M")
MODEL_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
DESCRIPTIVE_COLUMNS = [
    "orders",
    "total_spend",
    "returns_amount",
    "net_spend",
    "first_purchase",
    "last_purchase",
]


def _period_expr(column: str, freq: str) -> str:
    """SQL for the integer period index of a timestamp column (differences are what matter)."""
    day = f"date_diff('day', DATE '1970-01-01', CAST({column} AS DATE))"
    if freq == "D":
        return day
    if freq == "W":  # pandas W-SUN: weeks run Monday..Sunday; 1969-12-29 was a Monday
        return f"CAST(floor(({day} + 3) / 7) AS BIGINT)"
    if freq == "M":
        return f"(year({column}) * 12 + month({column}) - 1)"
    raise ValueError(f"member_summary: freq must be one of {_FREQS}, got {freq!r}")


def _check(freq: str, returns: str) -> None:
    if freq not in _FREQS:
        raise ValueError(f"member_summary: freq must be one of {_FREQS}, got {freq!r}")
    if returns not in ("exclude", "include"):
        raise ValueError(f"member_summary: returns must be 'exclude' or 'include', got {returns!r}")


def _ts(value) -> str:
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
    _check(freq, returns)
    period = _period_expr("ordered_at", freq)
    obs_period = _period_expr(_ts(observation_end), freq)
    is_purchase = "amount >= 0" if returns == "exclude" else "TRUE"
    order_key = "order_id" if has_order_id else "NULL"
    orders = "count(DISTINCT order_id)" if has_order_id else "count(*)"
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
           {orders} FILTER (WHERE amount >= 0) AS orders,
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


def _arrow(transactions: pd.DataFrame, columns: list[str]) -> pa.Table:
    missing = [c for c in ("member_id", "ordered_at", "amount") if c not in transactions.columns]
    if missing:
        raise ValueError(
            f"member_summary: required column(s) missing from transactions: {', '.join(missing)}"
        )
    return pa.Table.from_pandas(transactions[columns], preserve_index=False)


def _to_frame(result: pa.Table) -> pd.DataFrame:
    frame = result.to_pandas()
    frame["member_id"] = frame["member_id"].astype("str")
    frame["orders"] = frame["orders"].astype("int64")
    for col in ("first_purchase", "last_purchase"):
        frame[col] = frame[col].astype("datetime64[us]")
    return frame.set_index("member_id")


def member_summary(
    transactions: pd.DataFrame,
    observation_end,
    freq: Freq = "D",
    *,
    returns: Returns = "exclude",
) -> pd.DataFrame:
    """Per-member ``frequency, recency, T, monetary_value`` (lifetimes' definitions) plus descriptive columns.

    Parameters
    ----------
    transactions : canonical transaction frame (``member_id``, ``ordered_at``, ``amount``[, ``order_id``]).
    observation_end : end of the observation period (anything ``pd.Timestamp`` accepts).
    freq : ``"D"`` days, ``"W"`` weeks, ``"M"`` calendar months.
    returns : ``"exclude"`` (default) drops return rows from the model columns; ``"include"`` treats
        them like lifetimes does.

    Returns a frame indexed by ``member_id`` (sorted) with ``frequency, recency, T, monetary_value``
    (float64) and ``orders, total_spend, returns_amount, net_spend, first_purchase, last_purchase``.
    """
    _check(freq, returns)
    has_order = "order_id" in transactions.columns
    cols = ["member_id", "ordered_at", "amount"] + (["order_id"] if has_order else [])
    table = _arrow(transactions, cols)
    con = duckdb.connect()
    try:
        con.register("transactions", table)
        sql = summary_sql("transactions", observation_end, freq=freq, returns=returns, has_order_id=has_order)
        result = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    return _to_frame(result)


def calibration_and_holdout(
    transactions: pd.DataFrame,
    calibration_end,
    observation_end,
    freq: Freq = "D",
    *,
    returns: Returns = "exclude",
) -> pd.DataFrame:
    """Calibration/holdout summary with the columns ``lifetimes.utils.calibration_and_holdout_data`` defines.

    ``frequency_cal, recency_cal, T_cal, monetary_value_cal`` (the member summary of rows up to
    ``calibration_end``), ``frequency_holdout`` (purchase periods after ``calibration_end`` up to
    ``observation_end``), ``monetary_value_holdout`` (mean amount of the holdout purchase rows) and
    ``duration_holdout`` (periods between the two ends). Only members seen in calibration are rows; like
    lifetimes, the split compares timestamps (a row at ``calibration_end`` 10:00 is holdout when
    ``calibration_end`` is a date). Works where lifetimes' own function fails under pandas 3.
    """
    _check(freq, returns)
    cal_end = pd.Timestamp(calibration_end)
    obs_end = pd.Timestamp(observation_end)
    if cal_end >= obs_end:
        raise ValueError(
            f"calibration_and_holdout: calibration_end ({cal_end}) must be before observation_end ({obs_end})"
        )
    times = transactions["ordered_at"]
    cal = member_summary(transactions.loc[times <= cal_end], cal_end, freq, returns=returns)
    cal = cal[MODEL_COLUMNS].add_suffix("_cal")

    hold_mask = (times > cal_end) & (times <= obs_end)
    if returns == "exclude":
        hold_mask &= transactions["amount"] >= 0
    table = _arrow(transactions.loc[hold_mask], ["member_id", "ordered_at", "amount"])
    con = duckdb.connect()
    try:
        con.register("holdout", table)
        hold = (
            con.sql(
                f"""SELECT member_id, CAST(count(DISTINCT {_period_expr("ordered_at", freq)}) AS DOUBLE)
                       AS frequency_holdout, avg(amount) AS monetary_value_holdout
                FROM holdout GROUP BY member_id"""
            )
            .to_arrow_table()
            .to_pandas()
        )
        duration = con.sql(
            f"SELECT {_period_expr(_ts(obs_end), freq)} - {_period_expr(_ts(cal_end), freq)}"
        ).fetchall()[0][0]
    finally:
        con.close()
    hold["member_id"] = hold["member_id"].astype("str")
    out = cal.join(hold.set_index("member_id"), how="left").fillna(0.0)
    out["duration_holdout"] = float(duration)
    return out


def lifetimes_reference(transactions: pd.DataFrame, observation_end, freq: str = "D") -> pd.DataFrame:
    """The same summary by ``lifetimes.utils.summary_data_from_transaction_data`` (reference; slow)."""
    from lifetimes.utils import summary_data_from_transaction_data

    return summary_data_from_transaction_data(
        transactions,
        "member_id",
        "ordered_at",
        monetary_value_col="amount",
        observation_period_end=pd.Timestamp(observation_end),
        freq=freq,
    )


__all__ = ["member_summary", "calibration_and_holdout", "summary_sql", "MODEL_COLUMNS", "lifetimes_reference"]
