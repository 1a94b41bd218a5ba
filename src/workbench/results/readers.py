"""Reading an engine's result files back, and the notebooks' inputs from either start (files or log)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from workbench.data import DataParams, DataValidationError, Problem, read_members
from workbench.errors import ArgumentError
from workbench.kpis import (
    MEMBER_MONTH_COLUMNS,
    TransactionLog,
    combine_kpi_parts,
    member_month_kpis,
    member_month_sql,
    monthly_kpi_parts,
    monthly_kpis,
)
from workbench.results.statements import FEATURE_COLUMNS, SUMMARY_FILE_COLUMNS, observation_end_of
from workbench.segments import SegmentSettings, features_frame, member_features
from workbench.summary import SUMMARY_COLUMNS, bucket_count, member_summary, source_rows, spark_session


def _read(path, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    frame = pd.read_parquet(path) if isinstance(path, str | Path) else path.copy()
    canonical = {c.lower(): c for c in columns}  # engines that fold names to lower case (Trino)
    frame = frame.rename(columns={c: canonical.get(str(c).lower(), c) for c in frame.columns})
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        message = f"the {what} lacks the column(s) {', '.join(missing)} (see workbench sql)"
        raise DataValidationError(
            str(path) if isinstance(path, str | Path) else what,
            [Problem("missing_column", missing[0], message)],
        )
    return frame


def describe_results(source: DataParams) -> list[tuple[str, str]]:
    """What ``workbench validate`` prints for a run that starts from result files (their columns checked).

    Parameters
    ----------
    source : DataParams
        Naming ``summary`` and ``member_months``.

    Returns
    -------
    list of (label, text)
    """
    summary = _read(source.summary, SUMMARY_FILE_COLUMNS, "summary file")
    months = _read(source.member_months, MEMBER_MONTH_COLUMNS, "member-month table")
    made = {
        c: ", ".join(map(str, summary[c].dropna().unique()))
        for c in ("freq", "observation_end", "window_days")
    }
    span = pd.to_datetime(months["month"])
    return [
        ("summary", f"{source.summary}: {len(summary):,} members"),
        (
            "  computed for",
            f"periods {made['freq']}, observation end {made['observation_end']}, window {made['window_days']} days",
        ),
        ("member_months", f"{source.member_months}: {len(months):,} member-months"),
        ("  months", f"{span.min():%Y-%m} to {span.max():%Y-%m}" if len(span) else "none"),
    ]


def _check_made_for(frame: pd.DataFrame, path, column: str, expected, what: str) -> None:
    values = frame[column].dropna().unique()
    if len(values) != 1 or str(values[0]) != str(expected):
        got = ", ".join(map(str, values)) or "none"
        raise DataValidationError(
            str(path),
            [
                Problem(
                    "result_mismatch",
                    column,
                    f"the {what} was computed for {column} {got}; this run needs {expected}",
                )
            ],
        )


def read_summary(path, *, observation_end, freq: str) -> pd.DataFrame:
    """The member summary from a summary result file, as ``member_summary`` returns it.

    Parameters
    ----------
    path : str, Path or DataFrame
        The summary file (Parquet) or its frame.
    observation_end : timestamp
        The run's observation end; the file must have been computed for it.
    freq : str
        The run's periods; the file must have been computed in them.

    Returns
    -------
    DataFrame
        Indexed by ``member_id`` (sorted) with ``member_summary``'s columns and dtypes.
    """
    frame = _read(path, SUMMARY_FILE_COLUMNS, "summary file")
    _check_made_for(frame, path, "freq", freq, "summary file")
    _check_made_for(
        frame, path, "observation_end", pd.Timestamp(observation_end).isoformat(sep=" "), "summary file"
    )
    out = frame[list(SUMMARY_COLUMNS)].copy()
    out["member_id"] = out["member_id"].astype("str")
    for col in ("frequency", "recency", "T", "monetary_value", "total_spend", "returns_amount", "net_spend"):
        out[col] = out[col].astype("float64")
    out["orders"] = out["orders"].astype("int64")
    for col in ("first_purchase", "last_purchase"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[us]")
    return out.set_index("member_id").sort_index()


def read_features(path, month, settings: SegmentSettings | None = None) -> pd.DataFrame:
    """The member overview's per-member figures from a summary result file, as ``member_features`` returns them.

    Parameters
    ----------
    path : str, Path or DataFrame
        The summary file (Parquet) or its frame.
    month : str
        ``YYYY-MM``; the file must have been computed for it.
    settings : SegmentSettings, optional
        Its ``window_days`` must be the file's.

    Returns
    -------
    DataFrame
    """
    settings = settings or SegmentSettings()
    frame = _read(path, SUMMARY_FILE_COLUMNS, "summary file")
    _check_made_for(
        frame, path, "observation_end", observation_end_of(month).isoformat(sep=" "), "summary file"
    )
    _check_made_for(frame, path, "window_days", settings.window_days, "summary file")
    seg = frame.loc[frame["seg_orders"].notna(), ["member_id", *(f"seg_{c}" for c in FEATURE_COLUMNS)]]
    seg = seg.rename(columns={f"seg_{c}": c for c in FEATURE_COLUMNS}).sort_values(
        "member_id", ignore_index=True
    )
    as_of = pd.Period(month, freq="M").end_time.normalize() + pd.Timedelta(days=1)
    has_discount = bool(seg["window_promo_orders"].notna().any())
    return features_frame(seg, as_of.as_unit("us"), str(pd.Period(month, freq="M")), has_discount)


def _spark(source: DataParams):
    return spark_session(source.spark, timezone=source.timezone)


def overview_inputs(
    source: DataParams, month, settings: SegmentSettings | None = None
) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    """The member overview's inputs: (rows in the log up to the month's end, ``monthly_kpis``, ``member_features``).

    Parameters
    ----------
    source : DataParams
        The run's ``data:`` params: from ``member_months`` + ``summary`` when they are named (no log), else
        from the log (in Spark when ``spark:`` is set, where the log is a Parquet path or ``table:``).
    month : str
        ``YYYY-MM``.
    settings : SegmentSettings, optional

    Returns
    -------
    tuple
        ``(rows, kpis, features)``.
    """
    settings = settings or SegmentSettings()
    members = read_members(source.members)
    if source.member_months or source.summary:
        if not (source.member_months and source.summary):
            raise ArgumentError(
                "overview_inputs: data needs both summary and member_months to start from results"
            )
        kpis = member_month_kpis(source.member_months, members, month=month)
        return kpis.attrs["rows"], kpis, read_features(source.summary, month, settings)
    if source.spark:
        log = TransactionLog(source.table or source.transactions, month, engine="spark", spark=_spark(source))
    else:
        path = source.log_input()
        if isinstance(path, str | Path):
            buckets = bucket_count(source_rows(path), bucket_rows=OVERVIEW_BUCKET_ROWS)
            if buckets > 1:
                return _overview_by_members(path, month, members, settings, buckets)
        log = TransactionLog(path, month)
    with log:
        rows = log.row_count()
        kpis = monthly_kpis(log, members)
        features = member_features(log, month, settings)
    return rows, kpis, features


OVERVIEW_BUCKET_ROWS = 12_000_000
"""Rows of the log the overview aggregates in one DuckDB pass at most: a larger validated Parquet log is read in
member buckets (``TransactionLog(bucket=...)``), so the cached orders and member-month tables of one pass stay
within a few hundred MB each however many rows the log has. 12M, as ``summary.BUCKET_ROWS``: the 1M-member demo
(9.1M rows) stays in one pass (buckets re-read the file: ~1 s more there, for 0.8 GiB less it does not need)."""


def _overview_by_members(path, month, members, settings, buckets: int):
    """``overview_inputs`` of a large validated log, one member bucket at a time (the same figures)."""
    rows, parts, features = 0, [], []
    for i in range(buckets):
        with TransactionLog(path, month, bucket=(i, buckets)) as log:
            rows += log.row_count()
            table = log.create(
                "member_months", member_month_sql(log.rows, log.orders, has_channel=log.has_channel)
            )
            parts.append(monthly_kpi_parts(log, table, first_months=members is not None))
            features.append(member_features(log, month, settings))
            end, has_channel = log.end, log.has_channel
    kpis = combine_kpi_parts(parts, members, month=month, end=end, has_channel=has_channel)
    attrs = dict(features[0].attrs)
    out = pd.concat(features).sort_index(kind="stable")
    out.attrs.update(attrs)
    return rows, kpis, out


def clv_summary(source: DataParams, observation_end, freq: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The CLV report's member summary and, when there is one, the log.

    Parameters
    ----------
    source : DataParams
        From ``summary`` when it is named (no log: returns ``None`` for it), else from the log (the summary
        in Spark when ``spark:`` is set).
    observation_end : timestamp
    freq : str

    Returns
    -------
    tuple
        ``(summary, transactions or None)``: the transactions as ``DataParams.log_input`` gives them (the
        path of the run's validated Parquet copy, or a frame), for ``calibration_and_holdout`` and ``tracking``.
    """
    if source.summary:
        return read_summary(source.summary, observation_end=observation_end, freq=freq), None
    tx = source.log_input()  # the run's validated Parquet copy stays on disk (aggregated in DuckDB)
    if source.spark:
        spark_source = source.table or source.transactions
        return member_summary(spark_source, observation_end, freq, engine="spark", spark=_spark(source)), tx
    return member_summary(tx, observation_end, freq), tx
