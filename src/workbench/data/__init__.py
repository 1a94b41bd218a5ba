"""Transaction data: reading sources, parsing real exports, validation, the ``data:`` params block, the demo.

Public names:

* ``load_transactions(source, columns=None, date_format="auto", **opts)``: any source -> the canonical
  frame of ``workbench.schema``, validated (``DataValidationError`` lists every problem with its rows);
  guest rows (``DEFAULT_GUEST_IDS``) left out and counted (``guest_totals``);
* ``DataParams``: the ``data:`` block of a params file (one class for ``workbench validate`` and the report);
* ``describe_transactions``: facts about a loaded frame (rows, members, dates, returns, channels);
* ``read_members`` / ``read_assignments``: the members table (contact columns only on request) and a campaign's
  assignment list, read and validated like the transactions;
* ``mask_url`` / ``expand_env`` / ``load_env_file``: database credentials never shown, kept in the
  environment or a ``.env`` beside the params;
* ``validate_parquet_batches`` / ``can_stream``: a large typed Parquet log validated batch by batch;
* ``is_validated_parquet`` / ``parquet_source_sql``: the run's validated Parquet copy of the log, which the
  report path aggregates in DuckDB (``DataParams.log_input``);
* ``generate_demo`` / ``load_cdnow``: the synthetic demo brand and the real CDNOW log; ``write_demo`` writes
  the demo's files, a large brand in batches of members.
"""

from workbench.data.amounts import parse_amounts
from workbench.data.cache import VALIDATED_METADATA, is_validated_parquet, parquet_source_sql
from workbench.data.dates import parse_dates
from workbench.data.demo import (
    DEMO_END,
    DEMO_LATEST_MONTH,
    DEMO_START,
    TRUTH_BGNBD,
    TRUTH_GAMMA_GAMMA,
    CampaignDesign,
    DemoData,
    generate_demo,
    lifetimes_data_file,
    load_cdnow,
)
from workbench.data.demo_batches import DemoWritten, write_demo
from workbench.data.describe import describe_transactions
from workbench.data.ids import DEFAULT_GUEST_IDS
from workbench.data.loader import guest_totals, load_transactions
from workbench.data.members import CONTACT_COLUMNS, read_assignments, read_members
from workbench.data.params import DataParams
from workbench.data.parsing import CHANNEL_LABELS, channel_of
from workbench.data.sources import ENV_FILE, expand_env, load_env_file, mask_url
from workbench.data.stream import ValidatedBatches, can_stream, validate_parquet_batches
from workbench.data.validation import DataValidationError, Problem

__all__ = [
    "CHANNEL_LABELS",
    "CONTACT_COLUMNS",
    "DEFAULT_GUEST_IDS",
    "DEMO_END",
    "DEMO_LATEST_MONTH",
    "DEMO_START",
    "TRUTH_BGNBD",
    "TRUTH_GAMMA_GAMMA",
    "ValidatedBatches",
    "VALIDATED_METADATA",
    "CampaignDesign",
    "DataParams",
    "DataValidationError",
    "DemoData",
    "DemoWritten",
    "ENV_FILE",
    "Problem",
    "can_stream",
    "channel_of",
    "describe_transactions",
    "expand_env",
    "generate_demo",
    "guest_totals",
    "is_validated_parquet",
    "lifetimes_data_file",
    "load_cdnow",
    "load_env_file",
    "load_transactions",
    "mask_url",
    "parse_amounts",
    "parse_dates",
    "parquet_source_sql",
    "read_assignments",
    "read_members",
    "validate_parquet_batches",
    "write_demo",
]
