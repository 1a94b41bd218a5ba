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

from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.data import is_validated_parquet, parquet_source_sql
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


IN_MEMORY_ROWS = 12_000_000
"""A validated Parquet log of at most this many rows is summarised in memory (its four columns read, about
45 bytes a row, by the numpy engine, the fastest); a larger one in DuckDB where it lies (memory bounded)."""


def in_memory_log(transactions, columns, *, max_rows: int | None = None):
    """``transactions`` as a frame of ``columns`` when it is a validated Parquet path of at most ``max_rows`` rows; otherwise ``transactions`` itself (a frame, or a large path for DuckDB).

    Parameters
    ----------
    transactions : DataFrame, str or Path
        The log, or the path of the run's validated Parquet copy.
    columns : sequence of str
        The columns to read (those present).
    max_rows : int, optional
        The largest log read into memory (default ``IN_MEMORY_ROWS``).

    Returns
    -------
    DataFrame or str or Path
    """
    if not isinstance(transactions, str | Path) or not is_validated_parquet(transactions):
        return transactions
    meta = pq.ParquetFile(transactions)
    if meta.metadata.num_rows > (IN_MEMORY_ROWS if max_rows is None else max_rows):
        return transactions
    present = [c for c in columns if c in meta.schema_arrow.names]
    return meta.read(columns=present).to_pandas()


def log_relation(transactions, columns, owner: str) -> tuple[str, dict, list[str]]:
    """Where a DuckDB query over the log reads from: a frame (its ``columns`` as Arrow, registered as ``tx``) or the path of the run's validated canonical Parquet copy (read where it lies, nothing loaded).

    Parameters
    ----------
    transactions : DataFrame, pyarrow.Table, str or Path
        The canonical log, or a Parquet file marked as validated (``workbench.data.is_validated_parquet``).
    columns : sequence of str
        The columns the query needs (those present are taken; the required ones must be).
    owner : str
        The caller, named in errors.

    Returns
    -------
    tuple
        ``(relation, tables, present)``: the SQL relation text, the tables to register for
        ``workbench.schema.run_sql``, and the log's column names.
    """
    if isinstance(transactions, str | Path):
        if not is_validated_parquet(transactions):
            raise ArgumentError(
                f"{owner}: a path must name the run's validated Parquet copy of the log (workbench report's "
                f"cache); load {str(transactions)!r} with workbench.data.load_transactions first"
            )
        present = pq.read_schema(transactions).names
        missing = [c for c in REQUIRED_COLUMNS if c not in present]
        if missing:
            raise ColumnsError(f"{owner}: required column(s) missing from transactions: {', '.join(missing)}")
        return parquet_source_sql(transactions), {}, present
    if isinstance(transactions, pa.Table):
        present = transactions.column_names
        missing = [c for c in REQUIRED_COLUMNS if c not in present]
        if missing:
            raise ColumnsError(f"{owner}: required column(s) missing from transactions: {', '.join(missing)}")
        return "tx", {"tx": transactions.select([c for c in columns if c in present])}, present
    present = list(transactions.columns)
    return "tx", {"tx": arrow_table(transactions, [c for c in columns if c in present], owner)}, present


BUCKET_ROWS = 12_000_000
"""Rows of the log one DuckDB pass of a per-member query aggregates at most: a larger log is summarised in
member buckets (``member_buckets``), so the pass's hash tables (a member's distinct orders and days) stay
within DuckDB's memory cap (``workbench.schema.duckdb_connect``): the 91.5M-row log of the 10M-member demo
needed more than 3 GB in one pass."""


def bucket_count(rows: int, *, bucket_rows: int | None = None) -> int:
    """How many member buckets a per-member pass over ``rows`` rows of the log takes (1: one pass).

    Parameters
    ----------
    rows : int
        Rows of the log.
    bucket_rows : int, optional
        Rows per bucket at most, on average (default ``BUCKET_ROWS``).

    Returns
    -------
    int
        ``ceil(rows / bucket_rows)``, at least 1.
    """
    return max(1, -(-int(rows) // int(bucket_rows or BUCKET_ROWS)))


def bucket_filter(bucket: int, buckets: int) -> str:
    """The SQL condition that keeps the members of bucket ``bucket`` of ``buckets`` (``hash(member_id) % k``).

    Parameters
    ----------
    bucket : int
        The bucket, ``0 <= bucket < buckets``.
    buckets : int
        The number of buckets; every member (a missing id included) is in exactly one.

    Returns
    -------
    str
    """
    if not 0 <= int(bucket) < int(buckets):
        raise ArgumentError(f"bucket_filter: bucket must be in 0..{int(buckets) - 1}; got {bucket!r}")
    return f"hash(member_id) % {int(buckets)} = {int(bucket)}"


def member_buckets(source: str, rows: int, *, bucket_rows: int | None = None) -> list[str]:
    """The relation ``source`` split into disjoint sets of members, each of about ``bucket_rows`` rows.

    Parameters
    ----------
    source : str
        A DuckDB relation (a table name or a parenthesised query) with a ``member_id`` column.
    rows : int
        Its number of rows (a Parquet file's metadata gives it without a scan).
    bucket_rows : int, optional
        Rows per bucket (default ``BUCKET_ROWS``).

    Returns
    -------
    list of str
        One relation per bucket (``bucket_filter``: every member in exactly one); ``[source]`` when
        the log fits one pass. A per-member query run on each and the results concatenated equals the query
        on the whole.
    """
    k = bucket_count(rows, bucket_rows=bucket_rows)
    if k <= 1:
        return [source]
    return [f"(SELECT * FROM {source} WHERE {bucket_filter(i, k)}) AS bucket_{i}" for i in range(k)]


def run_by_members(make_sql, source: str, rows: int, **tables) -> pa.Table:
    """``make_sql(relation)`` run on each member bucket of ``source`` (``member_buckets``).

    The parts are concatenated and sorted by ``member_id``, as one query over ``source`` would return them.

    Parameters
    ----------
    make_sql : callable
        ``relation -> SQL`` of a per-member query (one row per member, ``member_id`` a column).
    source : str
        The relation.
    rows : int
        Rows of ``source``.
    **tables
        Tables to register (``workbench.schema.run_sql``).

    Returns
    -------
    pyarrow.Table
    """
    buckets = member_buckets(source, rows)
    if len(buckets) == 1:
        return run_sql(make_sql(source), **tables)
    parts = [run_sql(make_sql(bucket), **tables) for bucket in buckets]
    return pa.concat_tables(parts).sort_by("member_id")


def source_rows(transactions) -> int:
    """Rows of a log given as a frame, an Arrow table or the run's validated Parquet copy (its metadata)."""
    if isinstance(transactions, str | Path):
        return pq.ParquetFile(transactions).metadata.num_rows
    return len(transactions)


def _to_frame(result: pa.Table | pd.DataFrame) -> pd.DataFrame:
    frame = result.to_pandas() if isinstance(result, pa.Table) else result
    frame["member_id"] = frame["member_id"].astype("str")
    frame["orders"] = frame["orders"].astype("int64")
    for col in ("first_purchase", "last_purchase"):
        frame[col] = frame[col].astype("datetime64[us]")
    return frame.set_index("member_id")


def _duckdb_summary(transactions, observation_end, freq: str, returns: str) -> pd.DataFrame:
    cols = ["member_id", "ordered_at", "amount", "order_id"]
    source, tables, present = log_relation(transactions, cols, "member_summary")
    has_order = "order_id" in present

    def sql(relation: str) -> str:
        return summary_sql(relation, observation_end, freq=freq, returns=returns, has_order_id=has_order)

    return _to_frame(run_by_members(sql, source, source_rows(transactions), **tables))


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
    transactions : canonical transaction frame (``member_id``, ``ordered_at``, ``amount``[, ``order_id``]),
        or the path of the run's validated Parquet copy (``workbench.data.is_validated_parquet``: up to
        ``IN_MEMORY_ROWS`` rows its four columns are read and summarised by the engine; a larger log is
        aggregated in DuckDB whatever the engine, never loaded into pandas); with ``engine="spark"`` also a Spark
        DataFrame, a Spark table name or a Parquet path.
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
        # the run's validated Parquet copy: read when small (numpy), else aggregated where it lies (DuckDB)
        transactions = in_memory_log(transactions, ["member_id", "ordered_at", "amount", "order_id"])
        if isinstance(transactions, str | Path):
            out = _duckdb_summary(transactions, observation_end, freq, returns)
            out.index = out.index.astype(pd.StringDtype("pyarrow"))  # the numpy engine's index, exactly
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
