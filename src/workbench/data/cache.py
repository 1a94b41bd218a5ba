"""The run's validated canonical Parquet copy of the log, and how the report path reads it without pandas.

``workbench report`` validates the ``data:`` source once and writes the canonical frame as one Parquet file
(``workbench.report.inputs.write_cache``) whose schema metadata carries ``VALIDATED_METADATA``. A file with
that mark is trusted as validated: ``is_validated_parquet`` recognises it, ``DataParams.log_input`` hands its
path (not a frame) to the computations, and they aggregate it in DuckDB (``parquet_source_sql``), so the
log itself never enters pandas and memory grows with members, not rows. Any other file is loaded and
validated by ``load_transactions`` as before.
"""

from __future__ import annotations

from pathlib import Path

VALIDATED_KEY = "workbench.validated"
VALIDATED_METADATA: dict[str, str] = {VALIDATED_KEY: "canonical transactions"}
"""Schema metadata of a Parquet file that holds validated canonical transactions."""


def is_validated_parquet(path) -> bool:
    """Whether ``path`` names a Parquet file written as a validated canonical copy.

    Parameters
    ----------
    path : str or Path or object
        Anything; only a ``.parquet`` path whose schema metadata has ``VALIDATED_METADATA`` counts.

    Returns
    -------
    bool
    """
    if not isinstance(path, str | Path) or not str(path).endswith(".parquet") or not Path(path).is_file():
        return False
    import pyarrow.parquet as pq

    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception:  # not a Parquet file after all: the loader reports it
        return False
    return meta.get(VALIDATED_KEY.encode()) == VALIDATED_METADATA[VALIDATED_KEY].encode()


def parquet_source_sql(path) -> str:
    """DuckDB's ``read_parquet('...')`` of ``path``, quoted, for use as a relation in a query.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    str
    """
    return "read_parquet('" + str(path).replace("'", "''") + "')"
