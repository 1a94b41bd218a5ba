"""The run's input data, read and validated ONCE, before anything runs or is written.

``validate_inputs(plan)`` loads the ``data:`` source of ``common.yaml`` (any kind: Parquet, CSV, DuckDB,
a database, the demo) through ``workbench.data.load_transactions``, checks the members file, chooses the
month when none is given (the latest complete month of the data) and checks that the month has
transactions. Any problem raises a ``WorkbenchError`` with one clear message (passwords masked) and
nothing has been written. The validated canonical frame is then written once, by ``write_cache``, as
``OUT/.cache/<month>/transactions.parquet`` (outside the published month), and every notebook's ``data``
parameter points at that copy (``RunPlan.prepared``): the notebooks parse and validate nothing again, and
never see a database URL or its credentials.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from workbench import files
from workbench.data import (
    VALIDATED_METADATA,
    DataParams,
    ValidatedBatches,
    can_stream,
    load_env_file,
    mask_url,
    read_members,
    validate_parquet_batches,
)
from workbench.errors import WorkbenchError
from workbench.report.fingerprint import fingerprint_inputs
from workbench.report.params import ParamsError, RunPlan
from workbench.report.publish import CACHE_DIR

CACHE_FILE = "transactions.parquet"


class InputError(WorkbenchError, ValueError):
    """The data the params name cannot be read (unsupported file, database connection, missing table)."""


@dataclass(frozen=True)
class RunInputs:
    """What the up-front validation found (the frame itself is returned beside it, to be written once)."""

    month: str
    rows: int
    fingerprint: dict[str, Any]
    guests: dict[str, Any] | None


def _read(what: str, source: str, read):
    """``read()``; any failure that is not already a workbench error becomes one line naming the source."""
    try:
        return read()
    except WorkbenchError:
        raise
    except Exception as exc:  # a driver, file-format or OS error: one message, never a traceback
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(
            mask_url(f"{what} {source}: cannot be read ({type(exc).__name__}: {detail[:300]})")
        ) from None


STREAM_ROWS = 12_000_000
"""A typed Parquet source of more rows is validated in batches (``workbench.data.validate_parquet_batches``)."""


def load_source(data: DataParams):
    """The validated canonical transactions of a ``data:`` block, any failure as one ``WorkbenchError`` naming the source (password masked).

    Parameters
    ----------
    data : DataParams
        The ``data:`` block (paths absolute).

    Returns
    -------
    DataFrame or ValidatedBatches
        ``workbench.data.load_transactions`` of the source (``DataParams.load``); for a typed Parquet file of
        more than ``STREAM_ROWS`` rows, the batches ``workbench.data.validate_parquet_batches`` validated
        into a scratch folder (memory grows with a batch, not the log; ``close()`` removes them).
    """
    if can_stream(data.transactions, data.columns, data.date_format) and (
        pq.ParquetFile(data.transactions).metadata.num_rows > STREAM_ROWS
    ):
        scratch = Path(tempfile.mkdtemp(prefix="workbench-validate-"))
        try:
            return _read(
                "data.transactions",
                data.transactions,
                lambda: validate_parquet_batches(data.transactions, scratch, **data.load_options()),
            )
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
    return _read("data.transactions", data.transactions, data.load)


def _guests(frame) -> dict[str, Any] | None:
    """The loader's report of guest rows set apart (``frame.attrs["guests"]``), as plain JSON values."""
    found = frame.attrs.get("guests") if hasattr(frame, "attrs") else None
    if found is None:
        return None
    if isinstance(found, dict):
        return {str(k): (v.item() if hasattr(v, "item") else v) for k, v in found.items()}
    return {"rows": int(found)} if isinstance(found, int | float) else {"value": str(found)}


def month_rows(frame, month: str) -> int:
    """Transactions dated in ``month``.

    Parameters
    ----------
    frame : DataFrame or ValidatedBatches
        Canonical transactions.
    month : str
        ``YYYY-MM``.

    Returns
    -------
    int
    """
    import pandas as pd

    if isinstance(frame, ValidatedBatches):
        return int(frame.month_rows.get(month, 0))
    period = pd.Period(month, freq="M")
    when = frame["ordered_at"]
    return int(((when >= period.start_time) & (when <= period.end_time)).sum())


def validate_inputs(plan: RunPlan):
    """Read and validate every input of ``plan`` once and choose the month; nothing is written.

    Parameters
    ----------
    plan : RunPlan
        From ``load_plan`` (``month`` may be ``""``).

    Returns
    -------
    inputs : RunInputs
        The month, the data fingerprint, the guests the loader set apart.
    frame : DataFrame
        The validated canonical transactions (for :func:`write_cache`).

    Raises
    ------
    DataValidationError
        Bad rows (the message lists column, rows and values: for the analyst's console only).
    InputError
        A source that cannot be read (a file type, a database connection or table).
    ParamsError
        A month without transactions.
    """
    data = plan.common.data
    load_env_file(plan.params_dir)  # credentials of a database source (never written anywhere)
    if not data.transactions:  # a run from an engine's result files (workbench sql): no log to validate
        from workbench.results import describe_results

        _read("data.member_months", data.member_months, lambda: describe_results(data))
        month = plan.month or _read(
            "data.member_months", data.member_months, lambda: result_files_month(data)
        )
        return RunInputs(month, 0, fingerprint_inputs(plan, None), None), None
    frame = load_source(data)
    if data.members:
        _read("data.members", data.members, lambda: read_members(data.members))
    month = plan.month or latest_complete_month(frame)
    if month_rows(frame, month) == 0:
        span = ""
        if len(frame):
            lo, hi = (
                (frame.first, frame.last)
                if isinstance(frame, ValidatedBatches)
                else (frame["ordered_at"].min(), frame["ordered_at"].max())
            )
            span = f" (the data covers {lo:%Y-%m-%d} to {hi:%Y-%m-%d})"
        raise ParamsError(
            f"month {month}: data.transactions {mask_url(data.transactions)} has no transactions in that "
            f"month{span}; choose another --month or month in common.yaml"
        )
    fingerprint = fingerprint_inputs(plan, frame)
    return RunInputs(month, len(frame), fingerprint, _guests(frame)), frame


def cache_path(out: Path, month: str) -> Path:
    """Where the run's validated copy of the transactions is written: ``OUT/.cache/<month>/``."""
    return out / CACHE_DIR / month / CACHE_FILE


def write_cache(frame, out: Path, month: str) -> Path:
    """Write the validated canonical frame once for the run (atomically) and return its path.

    Parameters
    ----------
    frame : DataFrame or ValidatedBatches
        The validated transactions.
    out : Path
        The output folder.
    month : str
        The report month.

    Returns
    -------
    Path
        ``OUT/.cache/<month>/transactions.parquet``, marked as validated (``workbench.data.VALIDATED_METADATA``):
        the notebooks aggregate it in DuckDB without loading it into pandas.
    """
    target = cache_path(out, month)
    if isinstance(frame, ValidatedBatches):  # appended batch by batch, then the batches removed
        with files.atomic_path(target) as tmp:
            frame.write(tmp, VALIDATED_METADATA)
        frame.close()
        return target
    # a scratch copy, read by every notebook and removed after the run: uncompressed (the 1M-member demo's
    # 9.1M rows: written in 1.3 s instead of 2.5 s, read in 0.5 s instead of 1.1 s), dictionaries only for
    # the categorical columns (ids and amounts would only fall back from them)
    categorical = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    options = {"compression": "none", "use_dictionary": categorical}
    return files.write_parquet(target, frame, metadata=VALIDATED_METADATA, options=options)


def result_files_month(data: DataParams) -> str:
    """The month a run from an engine's result files is for: the last month of ``data.member_months``.

    Parameters
    ----------
    data : DataParams
        A ``data:`` block without ``transactions`` and with ``member_months`` (paths absolute).

    Returns
    -------
    str
        ``YYYY-MM``.
    """
    import pandas as pd

    months = pd.read_parquet(data.member_months, columns=["month"])["month"]
    if months.empty:
        raise ParamsError(f"data.member_months {data.member_months!r} has no rows: give --month")
    return str(pd.Period(pd.Timestamp(months.max()), freq="M"))


def latest_complete_month(transactions) -> str:
    """The last calendar month the transactions cover to its final day (else the month before).

    Parameters
    ----------
    transactions : DataFrame or ValidatedBatches
        The validated canonical frame (``ordered_at``).

    Returns
    -------
    str
        ``YYYY-MM``.
    """
    import pandas as pd

    if len(transactions) == 0:
        raise ParamsError("data.transactions has no rows: cannot choose a default month")
    latest = pd.Timestamp(
        transactions.last if isinstance(transactions, ValidatedBatches) else transactions["ordered_at"].max()
    )
    period = pd.Period(latest, freq="M")
    if latest.normalize() < period.end_time.normalize():
        period -= 1
    return str(period)
