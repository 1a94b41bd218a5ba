"""The result statements: the two queries that compute an engine's result files where the data lives.

``result_statements(ResultSpec(...), dialect)`` returns them; ``write_statements`` writes them with a README
of the tables they expect and produce (``workbench sql``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from workbench.kpis import MEMBER_MONTH_COLUMNS, orders_query
from workbench.kpis.sql import date_sql, member_month_parts
from workbench.segments import features_parts
from workbench.settings import bounded, validate
from workbench.summary import SUMMARY_COLUMNS, local_time_sql, render, summary_ctes, with_ctes
from workbench.summary.sql import SUMMARY_SELECT

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
