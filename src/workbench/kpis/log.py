"""The transaction log up to the end of a month, where the overview's SQL runs (DuckDB or Spark)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow.parquet as pq

from workbench.errors import ArgumentError
from workbench.kpis.sql import orders_query, rows_sql
from workbench.schema import duckdb_connect
from workbench.summary import DuckDBRunner, SparkRunner, bucket_filter

REQUIRED = ("member_id", "ordered_at", "amount")


def month_bounds(month) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``(first instant, first instant of the next month)`` of a ``YYYY-MM`` month."""
    p = pd.Period(month, freq="M")
    return p.start_time.as_unit("us"), (p + 1).start_time.as_unit("us")


class TransactionLog:
    """The transaction log up to the end of ``month``, held where the overview's aggregations run.

    ``transactions`` is a canonical frame or the path of a canonical ``.parquet`` file (the run's validated
    copy, ``workbench.data.is_validated_parquet``, is read by DuckDB where it lies; any other file is loaded and
    validated by ``workbench.data.load_transactions``); with ``engine="spark"`` also a Spark DataFrame, a Spark table
    name or a Parquet path that Spark reads where it lives. Two relations are built once and shared by
    ``monthly_kpis`` and ``workbench.segments.member_features`` (their names are ``self.rows`` and
    ``self.orders``):

    * ``rows``: ``member_id, ordered_at, amount, order_id, channel, discount, store`` of rows before the end
      of ``month`` (``rows_sql``; ``order_id``/``channel``/``store`` NULL and ``discount`` 0 when absent);
    * ``orders``: one row per purchase order (``orders_query``: ``member_id, order_at, amount, promo``).

    Parameters
    ----------
    transactions : DataFrame, str or pyspark.sql.DataFrame
        The log (see above).
    month : str
        ``YYYY-MM``.
    engine : {"duckdb", "spark"}
        Where the SQL runs: an in-process DuckDB (default) or a Spark session.
    spark : pyspark.sql.SparkSession, optional
        The session for ``engine="spark"``; default ``workbench.summary.spark_session()`` (local).
    end : timestamp, optional
        Ends the log earlier than the month's end: the midnight up to which rows are kept, within the month
        (``workbench.audience.member_attributes`` uses the day after its ``as_of``, so member types as of a
        month's last day are exactly the overview's).
    bucket : tuple of int, optional
        ``(i, k)``: only the members of bucket ``i`` of ``k`` (``workbench.summary.bucket_filter``, DuckDB
        only). The per-member figures of the ``k`` buckets, put together, are those of the whole log; each
        bucket's relations take about ``1/k`` of the memory (``workbench.results.overview_inputs``).

    Use as a context manager (or call ``close()``).
    """

    def __init__(
        self,
        transactions,
        month,
        *,
        engine: Literal["duckdb", "spark"] = "duckdb",
        spark=None,
        end=None,
        bucket: tuple[int, int] | None = None,
    ):
        self.month = pd.Period(month, freq="M")
        self.start, self.end = month_bounds(self.month)
        if end is not None:
            end = pd.Timestamp(end).as_unit("us")
            if not self.start < end <= self.end or end != end.normalize():
                raise ArgumentError(
                    f"TransactionLog: end must be a midnight in month {self.month} (after {self.start}, at "
                    f"most {self.end}); got {end}"
                )
            self.end = end
        self.engine = engine
        self.bucket = None if bucket is None else (int(bucket[0]), int(bucket[1]))
        if self.bucket is not None:
            bucket_filter(*self.bucket)  # checks 0 <= i < k
            if engine != "duckdb":
                raise ArgumentError(f"TransactionLog: bucket needs engine='duckdb'; got engine={engine!r}")
        self.con = None
        if engine == "duckdb":
            self.con = duckdb_connect({"preserve_insertion_order": False})
            self.runner = DuckDBRunner(self.con)
        elif engine == "spark":
            self.runner = SparkRunner(spark)
        else:
            raise ArgumentError(f"TransactionLog: engine must be 'duckdb' or 'spark', got {engine!r}")
        self.rows, self.orders = self.runner.name("rows"), self.runner.name("orders")
        try:
            self._build(transactions)
        except Exception:
            self.close()
            raise

    def _build(self, transactions) -> None:
        if self.engine == "spark":
            source, columns = self.runner.source(transactions, self.runner.name("source"))
        else:
            source, columns = self._duckdb_source(transactions)
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise ArgumentError(
                f"TransactionLog: required column(s) missing from transactions: {', '.join(missing)}"
            )
        self.has_order_id = "order_id" in columns
        self.has_channel = "channel" in columns
        self.has_discount = "discount" in columns
        self.has_store = "store" in columns
        if self.bucket is not None:
            self.con.execute(
                f"CREATE VIEW source_bucket_ AS SELECT * FROM {source} WHERE {bucket_filter(*self.bucket)}"
            )
            source = "source_bucket_"
        rows = rows_sql(
            source,
            self.end,
            has_order_id=self.has_order_id,
            has_channel=self.has_channel,
            has_discount=self.has_discount,
            has_store=self.has_store,
        )
        self.runner.create(self.rows, rows)
        self.runner.create(self.orders, orders_query(self.rows, has_order_id=self.has_order_id), cache=True)

    def _duckdb_source(self, transactions) -> tuple[str, list[str]]:
        if isinstance(transactions, str | Path):
            path = str(transactions)
            if not path.endswith(".parquet"):
                raise ArgumentError(f"TransactionLog: a path must name a .parquet file, got {path!r}")
            from workbench.data import is_validated_parquet, load_transactions, parquet_source_sql

            if is_validated_parquet(path):  # the run's validated copy: DuckDB reads it where it lies
                columns = pq.read_schema(path).names
                keep = [c for c in (*REQUIRED, "order_id", "channel", "discount", "store") if c in columns]
                if all(c in columns for c in REQUIRED):
                    self.con.execute(
                        f"CREATE VIEW source_ AS SELECT {', '.join(keep)} FROM {parquet_source_sql(path)}"
                    )
                return "source_", columns

            # a file is checked like every other source: nothing runs on data that failed validation
            transactions = load_transactions(path)
        if not isinstance(transactions, pd.DataFrame):
            raise TypeError(
                f"TransactionLog: transactions must be a DataFrame or a .parquet path, got {type(transactions)}"
            )
        columns = list(transactions.columns)
        keep = [c for c in (*REQUIRED, "order_id", "channel", "discount", "store") if c in columns]
        if all(c in columns for c in REQUIRED):
            self.runner.register("source_", transactions[keep])
        return "source_", columns

    def sql(self, query: str) -> pd.DataFrame:
        """The result of a portable query (rendered for the engine) as a pandas frame."""
        return self.runner.sql(query)

    def create(self, name: str, query: str) -> str:
        """Materialise a portable query as a (temporary) table of this log; returns its name."""
        table = self.runner.name(name)
        self.runner.create(table, query, cache=True)
        return table

    def register(self, name: str, frame: pd.DataFrame, schema: str | None = None) -> str:
        """A pandas frame as a (temporary) table of this log; returns its name."""
        table = self.runner.name(name)
        self.runner.register(table, frame, schema)
        return table

    def row_count(self) -> int:
        """The number of rows in the log up to the month's end."""
        return int(self.sql(f'SELECT count(*) AS "n" FROM {self.rows}')["n"].iloc[0])

    def close(self) -> None:
        """Release the engine's relations (and the DuckDB connection)."""
        self.runner.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@contextlib.contextmanager
def use_log(transactions, month, owner: str) -> Iterator[TransactionLog]:
    """The ``TransactionLog`` to aggregate over.

    ``transactions`` itself when it is one (``month``, when given, must be its month), else a log opened for
    ``month`` and closed afterwards.

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
