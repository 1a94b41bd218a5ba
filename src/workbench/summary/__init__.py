"""Transactions -> per-member summary: lifetimes' ``frequency, recency, T, monetary_value`` and more.

* ``member_summary(transactions, observation_end, freq="D", engine=...)``: the RFM sufficient statistics,
  exactly as ``lifetimes.utils.summary_data_from_transaction_data`` defines them, plus descriptive columns;
  engines ``numpy`` (default), ``duckdb`` and ``spark`` give the same numbers;
* ``calibration_and_holdout``: the calibration/holdout split of lifetimes' ``calibration_and_holdout_data``;
* ``summary_sql``, ``period_sql``, ``timestamp_sql``: the same summary as portable SQL, for where the data
  lives; ``render`` writes a portable statement in one of ``DIALECTS`` (``workbench.summary.dialects``);
* ``log_relation``: where a DuckDB query reads the log from (a frame, or the run's validated Parquet copy);
  ``member_buckets`` / ``run_by_members`` / ``bucket_filter``: a per-member query over a large log in
  disjoint member buckets (``hash(member_id) % k``), so memory is bounded by a bucket, not the log;
* ``spark_session``, ``SparkSettings``, ``DuckDBRunner``, ``SparkRunner``: the engines the SQL runs on.
"""

from workbench.summary.dialects import DIALECTS, TIMESTAMPS, local_time_sql, render
from workbench.summary.engines import DuckDBRunner, EngineError, SparkRunner, SparkSettings, spark_session
from workbench.summary.holdout import calibration_and_holdout
from workbench.summary.member import (
    BUCKET_ROWS,
    ENGINES,
    IN_MEMORY_ROWS,
    bucket_count,
    bucket_filter,
    in_memory_log,
    lifetimes_reference,
    log_relation,
    member_buckets,
    member_summary,
    run_by_members,
    source_rows,
)
from workbench.summary.sql import (
    DESCRIPTIVE_COLUMNS,
    MODEL_COLUMNS,
    SUMMARY_COLUMNS,
    period_index,
    period_sql,
    summary_ctes,
    summary_sql,
    timestamp_sql,
    with_ctes,
)

__all__ = [
    "BUCKET_ROWS",
    "DESCRIPTIVE_COLUMNS",
    "DIALECTS",
    "ENGINES",
    "IN_MEMORY_ROWS",
    "MODEL_COLUMNS",
    "SUMMARY_COLUMNS",
    "TIMESTAMPS",
    "DuckDBRunner",
    "EngineError",
    "SparkRunner",
    "SparkSettings",
    "bucket_count",
    "bucket_filter",
    "calibration_and_holdout",
    "in_memory_log",
    "lifetimes_reference",
    "local_time_sql",
    "log_relation",
    "member_buckets",
    "member_summary",
    "period_index",
    "period_sql",
    "render",
    "run_by_members",
    "source_rows",
    "spark_session",
    "summary_ctes",
    "summary_sql",
    "timestamp_sql",
    "with_ctes",
]
