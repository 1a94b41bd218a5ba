"""The engine's result files: the statements that compute them where the data lives, and the readers that
start a monthly run from them instead of the transaction log.

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

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from workbench.data import DataParams, DataValidationError, Problem, read_members
from workbench.errors import ArgumentError
from workbench.kpis import MEMBER_MONTH_COLUMNS, TransactionLog, member_month_kpis, monthly_kpis, orders_query
from workbench.kpis.sql import date_sql, member_month_parts
from workbench.segments import SegmentSettings, features_frame, features_parts, member_features
from workbench.settings import bounded, validate
from workbench.summary import (
    SUMMARY_COLUMNS,
    local_time_sql,
    member_summary,
    render,
    spark_session,
    summary_ctes,
    with_ctes,
)
from workbench.summary.sql import SUMMARY_SELECT

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

#: the member overview's per-member columns in the summary file (``seg_`` + ``features_sql``'s names)
FEATURE_COLUMNS: tuple[str, ...] = (
    "first_purchase",
    "last_purchase",
    "orders",
    "spend",
    "window_orders",
    "window_spend",
    "window_promo_orders",
    "window_first",
    "window_last",
    "returns",
)
SUMMARY_FILE_COLUMNS: tuple[str, ...] = (
    *SUMMARY_COLUMNS,
    *(f"seg_{c}" for c in FEATURE_COLUMNS),
    "freq",
    "observation_end",
    "window_days",
)
_OPTIONAL = ("order_id", "channel", "discount")


def observation_end_of(month) -> pd.Timestamp:
    """The observation end of a monthly run: the last second of ``month`` (as the CLV report uses it)."""
    return pd.Period(month, freq="M").end_time.floor("s")


@dataclass(frozen=True)
class ResultSpec:
    """What the result statements compute: for which month, in which periods, over which table.

    Parameters
    ----------
    month : str
        ``YYYY-MM``: the summary's observation end is its last second, the tables stop at its end.
    freq : {"h", "D", "W", "M"}
        Periods of the summary (the CLV report's ``time_unit``).
    window_days : int
        The overview's trailing window (``SegmentSettings.window_days``).
    returns : {"exclude", "include"}
        As in ``member_summary``.
    table : str
        The transactions table where the data lives.
    timezone : str
        The brand's IANA time zone.
    timestamps : {"local", "instant"}
        What ``ordered_at`` holds (``workbench.summary.local_time_sql``).
    without : tuple of str
        Optional columns the table lacks (``order_id``, ``channel``, ``discount``).
    """

    month: str
    freq: Literal["h", "D", "W", "M"] = "D"
    window_days: int = field(default=365, metadata=bounded(1))
    returns: Literal["exclude", "include"] = "exclude"
    table: str = "transactions"
    timezone: str = "UTC"
    timestamps: Literal["local", "instant"] = "local"
    without: tuple[Literal["order_id", "channel", "discount"], ...] = ()

    def __post_init__(self):
        validate(self)


def _source_ctes(spec: ResultSpec) -> list[tuple[str, str]]:
    when = local_time_sql("ordered_at", spec.timezone, spec.timestamps)
    order_id = "CAST(NULL AS VARCHAR)" if "order_id" in spec.without else "CAST(order_id AS VARCHAR)"
    channel = "CAST(NULL AS VARCHAR)" if "channel" in spec.without else "CAST(channel AS VARCHAR)"
    discount = "CAST(0 AS DOUBLE)" if "discount" in spec.without else "coalesce(CAST(discount AS DOUBLE), 0)"
    end = pd.Period(spec.month, freq="M").end_time.normalize() + pd.Timedelta(days=1)
    return [
        (
            "wb_source",
            f"""SELECT CAST(member_id AS VARCHAR) AS member_id, {when} AS ordered_at,
           CAST(amount AS DOUBLE) AS amount, {order_id} AS order_id, {channel} AS channel,
           {discount} AS discount
    FROM {spec.table}""",
        ),
        ("wb_rows", f"SELECT * FROM wb_source WHERE CAST(ordered_at AS DATE) < {date_sql(end)}"),
        ("wb_orders", orders_query("wb_rows", has_order_id="order_id" not in spec.without)),
    ]


def result_statements(spec: ResultSpec, dialect: str = "duckdb", *, pretty: bool = True) -> dict[str, str]:
    """The two statements that compute the result files, in ``dialect``.

    Parameters
    ----------
    spec : ResultSpec
    dialect : str
        One of ``workbench.summary.DIALECTS``.
    pretty : bool
        Indented layout.

    Returns
    -------
    dict
        ``{"summary": query, "member_months": query}``: each one query over ``spec.table`` whose result is
        the file of that name (``SUMMARY_FILE_COLUMNS``, ``MEMBER_MONTH_COLUMNS``).
    """
    source = _source_ctes(spec)
    end = pd.Period(spec.month, freq="M").end_time.normalize() + pd.Timedelta(days=1)
    obs = observation_end_of(spec.month)
    has_order = "order_id" not in spec.without
    model = summary_ctes("wb_source", obs, freq=spec.freq, returns=spec.returns, has_order_id=has_order)
    ft_ctes, ft_select = features_parts(
        end, spec.window_days, has_discount="discount" not in spec.without, rows="wb_rows", orders="wb_orders"
    )
    ft_final = (
        "ft_final",
        f"{ft_select}\n    FROM ft_member p LEFT JOIN ft_returns r ON p.member_id = r.member_id",
    )
    seg = ",\n       ".join(f'f."{c}" AS "seg_{c}"' for c in FEATURE_COLUMNS)
    summary = with_ctes(
        [*source, *model, *ft_ctes, ft_final],
        f"""SELECT {SUMMARY_SELECT},
       {seg},
       '{spec.freq}' AS "freq", '{obs.isoformat(sep=" ")}' AS "observation_end",
       CAST({spec.window_days} AS BIGINT) AS "window_days"
FROM sm_model m
JOIN sm_descr d ON m.member_id = d.member_id
LEFT JOIN ft_final f ON f."member_id" = m.member_id
ORDER BY m.member_id""",
    )
    mm_ctes, mm_select = member_month_parts("wb_rows", "wb_orders", has_channel="channel" not in spec.without)
    months = with_ctes([*source, *mm_ctes], f"{mm_select}\nORDER BY r.member_id, r.month_start")
    return {
        "summary": render(summary, dialect, pretty=pretty),
        "member_months": render(months, dialect, pretty=pretty),
    }


# --- readers ----------------------------------------------------------------------------------------------


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
        log = TransactionLog(source.load(), month)
    with log:
        rows = log.row_count()
        kpis = monthly_kpis(log, members)
        features = member_features(log, month, settings)
    return rows, kpis, features


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
        ``(summary, transactions or None)``.
    """
    if source.summary:
        return read_summary(source.summary, observation_end=observation_end, freq=freq), None
    tx = source.load()
    if source.spark:
        spark_source = source.table or source.transactions
        return member_summary(spark_source, observation_end, freq, engine="spark", spark=_spark(source)), tx
    return member_summary(tx, observation_end, freq), tx


# --- the statement files ----------------------------------------------------------------------------------

_README = """# Result statements ({dialect})

Written by `workbench sql` for the monthly run of {month}. Run each statement where the transaction log
lives and save its result as the file named below (Parquet); then point the `data:` block of the params at
them and run the reports without the log:

```yaml
data:
  summary: {summary_file}
  member_months: {months_file}
  members: ...            # optional, as before (join dates)
```

## Expects: the table `{table}`

| column | type | notes |
|---|---|---|
| member_id | text | kept as text (leading zeros) |
| ordered_at | timestamp | {time_note} |
| amount | double | after discounts; negative = return |
{optional_rows}
Rows are order lines or orders; rows with the same `order_id` are one order; a row without one (NULL or
empty) is an order of its own.

## Produces

* `summary.sql` -> **summary**: one row per member who bought up to {obs} (the observation end):
  `{summary_cols}` (`member_summary`, periods `{freq}`); the member overview's figures as of the end of
  {month}, window {window_days} days: `{seg_cols}`; and what it was computed for: `freq`, `observation_end`,
  `window_days` (the reports check them).
* `member_months.sql` -> **member_months**: one row per member and calendar month with a row before the end
  of {month}: `{mm_cols}` (`month` is the month's first day).

Periods are whole-day differences (weeks run Monday to Sunday); nothing here depends on the engine's time
zone setting{tz_note}.
"""


def statements_readme(spec: ResultSpec, dialect: str) -> str:
    """The README that ``workbench sql`` writes beside the statements: the tables they expect and produce.

    Parameters
    ----------
    spec : ResultSpec
    dialect : str

    Returns
    -------
    str
        Markdown.
    """
    notes = {
        "order_id": "text; optional (NULL or empty: an order of its own)",
        "channel": "text; optional: `store` / `online`",
        "discount": "double; optional: discount granted on the row (promotion share)",
    }
    optional = "".join(f"| {c} | {notes[c]} |  |\n" for c in _OPTIONAL if c not in spec.without)
    optional = (
        optional.replace(" |  |\n", " |\n")
        .replace("text; optional", "text | optional")
        .replace("double; optional", "double | optional")
    )
    if spec.timestamps == "local":
        time_note = f"the brand's local wall time ({spec.timezone}), without a time zone"
        tz_note = ""
    else:
        time_note = f"instants (with a time zone, or UTC); converted to wall time in {spec.timezone}"
        tz_note = f": instants are converted to {spec.timezone} wall time first"
    return _README.format(
        dialect=dialect,
        month=spec.month,
        summary_file="results/summary.parquet",
        months_file="results/member_months.parquet",
        table=spec.table,
        time_note=time_note,
        optional_rows=optional,
        obs=observation_end_of(spec.month).isoformat(sep=" "),
        summary_cols=", ".join(SUMMARY_COLUMNS),
        freq=spec.freq,
        window_days=spec.window_days,
        seg_cols=", ".join(f"seg_{c}" for c in FEATURE_COLUMNS),
        mm_cols=", ".join(MEMBER_MONTH_COLUMNS),
        tz_note=tz_note,
    )


def write_statements(spec: ResultSpec, dialect: str, out_dir) -> list[Path]:
    """Write ``summary.sql``, ``member_months.sql`` and ``README.md`` (what they expect and produce) to ``out_dir``.

    Parameters
    ----------
    spec : ResultSpec
    dialect : str
        One of ``workbench.summary.DIALECTS``.
    out_dir : str or Path

    Returns
    -------
    list of Path
        The files written.
    """
    from workbench import files

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, sql in result_statements(spec, dialect).items():
        head = f"-- {name}: workbench result statement ({dialect}) for {spec.month}; see README.md\n"
        written.append(files.write_text(out / f"{name}.sql", head + sql + ";\n"))
    written.append(files.write_text(out / "README.md", statements_readme(spec, dialect)))
    return written
