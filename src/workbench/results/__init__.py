"""The engine's result files.

The statements that compute them where the data lives, and the readers that start a monthly run from them
instead of the transaction log.

A brand whose log lives in a warehouse or a data lake runs the heavy step there (``workbench sql`` writes the
statements, ``result_statements`` returns them) and hands the workbench two tables, named in the ``data:``
params as ``summary:`` and ``member_months:``:

* ``summary`` (``SUMMARY_FILE_COLUMNS``): one row per member who bought up to the observation end (the end of
  the month): ``workbench.summary.member_summary``'s columns at ``freq`` (the CLV report's ``time_unit``),
  the member overview's per-member figures as of the end of the month (``seg_*``: ``features_sql``'s columns,
  the trailing window of ``window_days``), and what they were computed for (``freq``, ``observation_end``,
  ``window_days``);
* ``member_months`` (``workbench.kpis.MEMBER_MONTH_COLUMNS``): one row per member and month with a row in the
  log, before the end of the month; ``workbench.kpis.member_month_kpis`` computes the monthly KPI table from it.

``overview_inputs`` and ``clv_summary`` give the notebooks the same frames from either start: the files when
the params name them, else the log (in DuckDB, or in Spark when the params have a ``spark:`` block).
"""

from workbench.results.readers import (
    clv_summary,
    describe_results,
    overview_inputs,
    read_features,
    read_summary,
)
from workbench.results.statements import (
    FEATURE_COLUMNS,
    SUMMARY_FILE_COLUMNS,
    ResultSpec,
    observation_end_of,
    result_statements,
    statements_readme,
    write_statements,
)

__all__ = [
    "FEATURE_COLUMNS",
    "SUMMARY_FILE_COLUMNS",
    "ResultSpec",
    "clv_summary",
    "describe_results",
    "observation_end_of",
    "overview_inputs",
    "read_features",
    "read_summary",
    "result_statements",
    "statements_readme",
    "write_statements",
]
