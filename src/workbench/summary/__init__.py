"""Transactions -> per-member summary: lifetimes' ``frequency, recency, T, monetary_value`` and more.

* ``member_summary(transactions, observation_end, freq="D", engine=...)``: the RFM sufficient statistics,
  exactly as ``lifetimes.utils.summary_data_from_transaction_data`` defines them, plus descriptive columns;
* ``calibration_and_holdout``: the calibration/holdout split of lifetimes' ``calibration_and_holdout_data``;
* ``summary_sql``, ``period_sql``, ``timestamp_sql``: the same summary as SQL, for where the data lives.
"""

from workbench.summary.holdout import calibration_and_holdout
from workbench.summary.member import DESCRIPTIVE_COLUMNS, MODEL_COLUMNS, lifetimes_reference, member_summary
from workbench.summary.sql import period_sql, summary_sql, timestamp_sql

__all__ = [
    "DESCRIPTIVE_COLUMNS",
    "MODEL_COLUMNS",
    "calibration_and_holdout",
    "lifetimes_reference",
    "member_summary",
    "period_sql",
    "summary_sql",
    "timestamp_sql",
]
