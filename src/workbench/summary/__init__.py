"""Transactions -> per-member summary: lifetimes' ``frequency, recency, T, monetary_value`` and more.

* ``member_summary(transactions, observation_end, freq="D", engine=...)``: the RFM sufficient statistics,
  exactly as ``lifetimes.utils.summary_data_from_transaction_data`` defines them, plus descriptive columns;
  engines ``numpy`` (default), ``duckdb`` and ``spark`` give the same numbers;
* ``calibration_and_holdout``: the calibration/holdout split of lifetimes' ``calibration_and_holdout_data``;
* ``summary_sql``, ``period_sql``, ``timestamp_sql``: the same summary as portable SQL, for where the data
  lives; ``render`` writes a portable statement in one of ``DIALECTS`` (``workbench.summary.dialects``);
* ``spark_session``, ``SparkSettings``, ``DuckDBRunner``, ``SparkRunner``: the engines the SQL runs on.
"""

from workbench.summary.dialects import DIALECTS, TIMESTAMPS, local_time_sql, render
from workbench.summary.engines import DuckDBRunner, EngineError, SparkRunner, SparkSettings, spark_session
from workbench.summary.holdout import calibration_and_holdout
from workbench.summary.member import ENGINES, lifetimes_reference, member_summary
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
    "DESCRIPTIVE_COLUMNS",
    "DIALECTS",
    "ENGINES",
    "MODEL_COLUMNS",
    "SUMMARY_COLUMNS",
    "TIMESTAMPS",
    "DuckDBRunner",
    "EngineError",
    "SparkRunner",
    "SparkSettings",
    "calibration_and_holdout",
    "lifetimes_reference",
    "local_time_sql",
    "member_summary",
    "period_index",
    "period_sql",
    "render",
    "spark_session",
    "summary_ctes",
    "summary_sql",
    "timestamp_sql",
    "with_ctes",
]
