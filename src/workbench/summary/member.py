"""Transactions -> per-member summary (the RFM sufficient statistics of lifetimes), computed in DuckDB.

``member_summary`` returns exactly what ``lifetimes.utils.summary_data_from_transaction_data`` returns
(same definitions, same numbers) for ``freq`` of days and weeks, and defines months the way lifetimes
would if its ``freq='M'`` worked (whole calendar months between periods). Definitions, per member:

* a *period* is the hour (``h``), the day (``D``), the Monday-Sunday week (``W``, pandas' ``W-SUN``) or the calendar
  month (``M``) of a purchase; rows in the same period are one purchase occasion, amounts summed;
* ``frequency`` = purchase periods - 1 (repeat purchases); ``recency`` = last period - first period;
  ``T`` = period of ``observation_end`` - first period; ``monetary_value`` = mean amount of the repeat
  periods (0 when there are none);
* like lifetimes, a row counts up to the end of the *period* that holds ``observation_end``.

Returns (negative amounts) are excluded from the model columns by default (``returns="exclude"``): a day
holding only a return is not a purchase. ``returns="include"`` reproduces lifetimes, which treats return
rows like any other row.

Three engines compute the same numbers: ``engine="numpy"`` (default; exact integer keys from
``workbench.summary.keys`` and one sort, the fastest here), ``engine="duckdb"``, which runs ``summary_sql``
(one portable query) in DuckDB, and ``engine="spark"``, which runs the same query, rendered for Spark, in a
Spark session on a pandas frame, a Spark DataFrame or table, or a Parquet path where the data lives; the
same query rendered for a warehouse (``workbench sql``) lets a brand run the step there.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
import pyarrow as pa

from workbench.errors import ArgumentError
from workbench.schema import REQUIRED_COLUMNS, ColumnsError, require_columns, run_sql
from workbench.summary.fast import numpy_summary
from workbench.summary.sql import (
    MODEL_COLUMNS,
    SUMMARY_COLUMNS,
    Freq,
    Returns,
    check_options,
    summary_sql,
)

Engine = Literal["numpy", "duckdb", "spark"]
ENGINES: tuple[str, ...] = ("numpy", "duckdb", "spark")


def arrow_table(transactions: pd.DataFrame, columns: list[str], owner: str = "member_summary") -> pa.Table:
    """The ``columns`` of a transaction frame as an Arrow table (for DuckDB), required columns checked."""
    require_columns(transactions, REQUIRED_COLUMNS, owner, what="transactions")
    return pa.Table.from_pandas(transactions[columns], preserve_index=False)


def _to_frame(result: pa.Table | pd.DataFrame) -> pd.DataFrame:
    frame = result.to_pandas() if isinstance(result, pa.Table) else result
    frame["member_id"] = frame["member_id"].astype("str")
    frame["orders"] = frame["orders"].astype("int64")
    for col in ("first_purchase", "last_purchase"):
        frame[col] = frame[col].astype("datetime64[us]")
    return frame.set_index("member_id")


def _duckdb_summary(transactions: pd.DataFrame, observation_end, freq: str, returns: str) -> pd.DataFrame:
    has_order = "order_id" in transactions.columns
    cols = ["member_id", "ordered_at", "amount"] + (["order_id"] if has_order else [])
    table = arrow_table(transactions, cols)
    sql = summary_sql("transactions", observation_end, freq=freq, returns=returns, has_order_id=has_order)
    return _to_frame(run_sql(sql, transactions=table))


def _spark_summary(transactions, observation_end, freq: str, returns: str, spark) -> pd.DataFrame:
    from workbench.summary.engines import SparkRunner

    runner = SparkRunner(spark)
    try:
        source, columns = runner.source(transactions, runner.name("source"))
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            raise ColumnsError(
                f"member_summary: required column(s) missing from transactions: {', '.join(missing)} "
                f"(columns: {', '.join(columns) or 'none'})"
            )
        has_order = "order_id" in columns
        typed = runner.name("transactions")
        runner.create(
            typed,
            "SELECT CAST(member_id AS VARCHAR) AS member_id, CAST(ordered_at AS TIMESTAMP) AS ordered_at, "
            "CAST(amount AS DOUBLE) AS amount"
            + (", CAST(order_id AS VARCHAR) AS order_id" if has_order else "")
            + f" FROM {source}",
        )
        sql = summary_sql(typed, observation_end, freq=freq, returns=returns, has_order_id=has_order)
        frame = runner.sql(sql)
    finally:
        runner.close()
    frame.columns = list(SUMMARY_COLUMNS)  # engines that fold names to lower case
    for col in MODEL_COLUMNS + ["total_spend", "returns_amount", "net_spend"]:
        frame[col] = frame[col].astype("float64")
    return _to_frame(frame)


def member_summary(
    transactions: pd.DataFrame,
    observation_end,
    freq: Freq = "D",
    *,
    returns: Returns = "exclude",
    engine: Engine = "numpy",
    spark=None,
    freq_multiplier: float = 1,
) -> pd.DataFrame:
    """Per-member ``frequency, recency, T, monetary_value`` (lifetimes' definitions) plus descriptive columns.

    Parameters
    ----------
    transactions : canonical transaction frame (``member_id``, ``ordered_at``, ``amount``[, ``order_id``]);
        with ``engine="spark"`` also a Spark DataFrame, a Spark table name or a Parquet path.
    observation_end : end of the observation period (anything ``pd.Timestamp`` accepts).
    freq : ``"h"`` hours, ``"D"`` days, ``"W"`` weeks, ``"M"`` calendar months.
    returns : ``"exclude"`` (default) drops return rows from the model columns; ``"include"`` treats
        them like lifetimes does.
    engine : ``"numpy"`` (default, fastest), ``"duckdb"`` or ``"spark"`` (run ``summary_sql``); same numbers.
    spark : the ``SparkSession`` for ``engine="spark"`` (default ``workbench.summary.spark_session()``, local).
    freq_multiplier : as in lifetimes: ``recency`` and ``T`` are divided by it. ``freq="h",
        freq_multiplier=24`` gives times in days at hour resolution, so that several purchases on one day
        stay separate purchases (the continuous-time models see them as such).

    Returns a frame indexed by ``member_id`` (sorted) with ``frequency, recency, T, monetary_value``
    (float64) and ``orders, total_spend, returns_amount, net_spend, first_purchase, last_purchase``.
    """
    check_options(freq, returns)
    if engine not in ENGINES:
        raise ArgumentError(f"member_summary: engine must be one of {ENGINES}, got {engine!r}")
    if not freq_multiplier > 0:
        raise ArgumentError(f"member_summary: freq_multiplier must be positive, got {freq_multiplier!r}")
    if engine == "spark":
        out = _spark_summary(transactions, observation_end, freq, returns, spark)
    else:
        require_columns(transactions, REQUIRED_COLUMNS, "member_summary", what="transactions")
        if engine == "duckdb":
            out = _duckdb_summary(transactions, observation_end, freq, returns)
        else:
            out = numpy_summary(transactions, observation_end, freq, returns)
    if freq_multiplier != 1:
        out["recency"] /= freq_multiplier
        out["T"] /= freq_multiplier
    return out


def lifetimes_reference(
    transactions: pd.DataFrame, observation_end, freq: str = "D", freq_multiplier: float = 1
) -> pd.DataFrame:
    """The same summary by ``lifetimes.utils.summary_data_from_transaction_data`` (reference; slow)."""
    from lifetimes.utils import summary_data_from_transaction_data

    return summary_data_from_transaction_data(
        transactions,
        "member_id",
        "ordered_at",
        monetary_value_col="amount",
        observation_period_end=pd.Timestamp(observation_end),
        freq=freq,
        freq_multiplier=freq_multiplier,
    )
