"""Validating a large typed Parquet log in batches, so that memory grows with the batch, not the log.

``validate_parquet_batches(path, folder, ...)`` checks a ``.parquet`` file exactly as ``load_transactions``
does, a batch at a time: one DuckDB pass splits the rows into ``batches`` files by a key that keeps together
every pair of rows a check compares (the rows of one order, by ``order_id``; a row without an order id by
the hash of the whole row, so a row repeated verbatim meets its twin), then each batch goes through the
loader's own checks with the rows' numbers in the file (``file_row_number``), and its canonical frame is
written to ``folder``. The first batch with a problem raises its ``DataValidationError`` (rows numbered as
in the file). ``ValidatedBatches`` carries what the report needs of the whole log without holding it:
rows, guests, the first and last purchase time, rows per month, and ``write`` (one canonical Parquet file,
appended batch by batch).

Only typed Parquet is streamed (``ordered_at`` a timestamp, ``amount`` a number, no ``columns`` mapping, the
default ``date_format``): nothing is inferred from a column as a whole (a text date's convention, a decimal
comma), so a batch is judged as the whole log would be. Anything else is loaded whole
(``can_stream`` is False).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workbench.data.loader import _canonical, check_options, guest_totals
from workbench.data.sources import _POSITIONAL, Source
from workbench.errors import ArgumentError
from workbench.schema import duckdb_connect

DEFAULT_BATCH_ROWS = 4_000_000


def can_stream(source, columns=None, date_format="auto") -> bool:
    """Whether ``source`` is a typed Parquet file that ``validate_parquet_batches`` checks batch by batch.

    Parameters
    ----------
    source : str or Path
        The ``data.transactions`` value.
    columns : mapping, optional
        The ``columns:`` mapping (must be empty: headers already canonical).
    date_format : str
        Must be ``auto`` (the timestamps are typed; nothing to parse).

    Returns
    -------
    bool
    """
    if columns or date_format != "auto" or not isinstance(source, str | Path):
        return False
    path = Path(source)
    if path.suffix != ".parquet" or not path.is_file():
        return False
    try:
        schema = pq.read_schema(path)
    except Exception:  # unreadable: the whole-file loader reports it
        return False
    names = set(schema.names)
    if not {"member_id", "ordered_at", "amount"} <= names:
        return False
    when = schema.field("ordered_at").type
    return (
        pa.types.is_timestamp(when)
        and when.tz is None
        and (
            pa.types.is_floating(schema.field("amount").type)
            or pa.types.is_integer(schema.field("amount").type)
        )
    )


@dataclass
class ValidatedBatches:
    """The validated canonical log as batch files in ``folder`` (see the module docstring)."""

    name: str
    files: list[Path] = field(default_factory=list)
    rows: int = 0
    guests: dict = field(default_factory=lambda: {"rows": 0, "revenue": 0.0, "member_revenue": 0.0})
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    month_rows: Counter = field(default_factory=Counter)

    folder: Path | None = None

    def __len__(self) -> int:
        return self.rows

    @property
    def attrs(self) -> dict:
        """As a loaded frame's ``attrs``: the guests the loader set apart (summed over the batches)."""
        return {"guests": dict(self.guests)}

    def close(self) -> None:
        """Remove the batch files' folder."""
        import shutil

        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)

    def add(self, frame: pd.DataFrame, path: Path) -> None:
        """Record a validated batch (written to ``path``)."""
        self.files.append(path)
        self.rows += len(frame)
        found = frame.attrs.get("guests") or {}
        self.guests["rows"] += int(found.get("rows", 0))
        self.guests["revenue"] += float(found.get("revenue", 0.0))
        self.guests["member_revenue"] += float(found.get("member_revenue", 0.0))
        when = frame["ordered_at"]
        if len(when):
            lo, hi = when.min(), when.max()
            self.first = lo if self.first is None else min(self.first, lo)
            self.last = hi if self.last is None else max(self.last, hi)
            months = when.to_numpy().astype("datetime64[M]")
            values, counts = np.unique(months, return_counts=True)
            self.month_rows.update({str(v)[:7]: int(c) for v, c in zip(values, counts, strict=True)})

    def write(self, target, metadata: dict | None = None) -> Path:
        """Append every batch to one Parquet file ``target`` (schema metadata ``metadata`` added).

        Parameters
        ----------
        target : str or Path
            The file (written through a temporary path by the caller, e.g. ``workbench.files.atomic_path``).
        metadata : dict of str, optional
            Extra schema metadata.

        Returns
        -------
        Path
        """
        writer = None
        try:
            for path in self.files:
                table = pq.read_table(path)
                if writer is None:
                    attrs = {"PANDAS_ATTRS": json.dumps(self.attrs)}  # the guests, as to_parquet keeps attrs
                    schema = table.schema.with_metadata(
                        {**(table.schema.metadata or {}), **attrs, **(metadata or {})}
                    )
                    writer = pq.ParquetWriter(target, schema)
                writer.write_table(table.cast(writer.schema))
        finally:
            if writer is not None:
                writer.close()
        return Path(target)


def _key_sql(names: list[str]) -> str:
    """The hash that keeps the rows a check compares in one batch."""
    whole = "hash(" + ", ".join(f'"{c}"' for c in names) + ")"
    if "order_id" not in names:
        return whole
    return f"CASE WHEN coalesce(CAST(order_id AS VARCHAR), '') = '' THEN {whole} ELSE hash(CAST(order_id AS VARCHAR)) END"


def validate_parquet_batches(
    path, folder, *, batch_rows: int = DEFAULT_BATCH_ROWS, **opts
) -> ValidatedBatches:
    """Validate the typed Parquet log ``path`` batch by batch into canonical batch files in ``folder``.

    Parameters
    ----------
    path : str or Path
        A file for which ``can_stream`` is True.
    folder : str or Path
        A scratch folder, created when missing (``ValidatedBatches.close`` removes it).
    batch_rows : int
        About this many rows per batch (memory grows with it).
    **opts
        ``load_transactions``' options (``timezone``, ``currency``, ``observation_end``, ``guest_ids``, ...).

    Returns
    -------
    ValidatedBatches

    Raises
    ------
    DataValidationError
        The first batch's problems, its rows numbered as in the file.
    """
    if isinstance(batch_rows, bool) or not isinstance(batch_rows, int) or batch_rows < 1:
        raise ArgumentError(
            f"validate_parquet_batches: batch_rows must be a whole number >= 1; got {batch_rows!r}"
        )
    check_options("auto", opts)
    path, folder = Path(path), Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows = pq.ParquetFile(path).metadata.num_rows
    k = max(1, -(-rows // batch_rows))
    names = pq.read_schema(path).names
    raw = folder / "raw"
    quoted = str(path).replace("'", "''")
    con = duckdb_connect({"preserve_insertion_order": False, "temp_directory": str(folder / "spill")})
    try:
        con.execute(
            f"""COPY (SELECT *, CAST({_key_sql(names)} % {k} AS INTEGER) AS wb_batch
                      FROM read_parquet('{quoted}', file_row_number = true))
                TO '{str(raw).replace(chr(39), chr(39) * 2)}' (FORMAT parquet, PARTITION_BY (wb_batch))"""
        )
    finally:
        con.close()
    out = ValidatedBatches(str(path), folder=folder)
    # guests an earlier run set apart (a copy written from a loaded frame keeps them in its metadata)
    out.guests.update({k: v for k, v in guest_totals(path).items() if k != "member_revenue"})
    for i, part in enumerate(sorted(raw.glob("wb_batch=*/*.parquet"))):
        table = pq.read_table(part)
        table = table.drop([c for c in ("wb_batch",) if c in table.column_names])
        numbers = table.column("file_row_number").to_numpy() + 1
        frame = table.drop(["file_row_number"]).to_pandas()
        del table
        src = Source(frame[[c for c in names if c in frame.columns]], str(path), _POSITIONAL, numbers)
        valid = _canonical(src, None, "auto", opts)
        del frame, src
        target = folder / f"valid-{i:04d}.parquet"
        pq.write_table(pa.Table.from_pandas(valid, preserve_index=False), target)
        out.add(valid, target)
        part.unlink()
        del valid
    return out
