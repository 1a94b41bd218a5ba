"""Monthly KPIs with month-over-month change, from a log or from a member-month table."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from workbench.data import DataValidationError, Problem
from workbench.errors import ArgumentError
from workbench.kpis.log import TransactionLog, month_bounds, use_log
from workbench.kpis.sql import MEMBER_MONTH_COLUMNS, date_sql, join_months_sql, kpi_sql, member_month_sql
from workbench.schema import run_sql
from workbench.summary import DuckDBRunner

# column -> how its month-over-month change is measured
CHANGE_KIND: dict[str, Literal["relative", "points"]] = {
    "members": "relative",
    "new_members": "relative",
    "member_growth_rate": "points",
    "active_members": "relative",
    "orders": "relative",
    "gross_revenue": "relative",
    "returns": "relative",
    "net_revenue": "relative",
    "aov": "relative",
    "revenue_per_active": "relative",
    "repurchase_rate": "points",
    "returning_revenue_share": "points",
    "store_revenue": "relative",
    "online_revenue": "relative",
    "online_share": "points",
    "returns_rate": "points",
}
KPI_COLUMNS: tuple[str, ...] = (
    "members",
    "new_members",
    "member_growth_rate",
    "active_members",
    "returning_members",
    "orders",
    "gross_revenue",
    "returns",
    "net_revenue",
    "aov",
    "revenue_per_active",
    "repurchase_rate",
    "returning_revenue_share",
    "store_revenue",
    "online_revenue",
    "online_share",
    "returns_rate",
)


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _safe_div(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype("float64")
    return (num / den.where(den != 0)).astype("float64")


def _latest_month(transactions) -> pd.Period:
    if isinstance(transactions, pd.DataFrame):
        return pd.Period(transactions["ordered_at"].max(), freq="M")
    latest = run_sql(f"SELECT max(ordered_at) AS latest FROM read_parquet({_lit(str(transactions))})")
    latest = latest.column("latest")[0].as_py()
    return pd.Period(pd.Timestamp(latest), freq="M")


#: the Spark/DuckDB schema of a members table registered for the join months
MEMBERS_SCHEMA = "member_id STRING, joined_at TIMESTAMP_NTZ"


def _members_frame(members: pd.DataFrame) -> pd.DataFrame:
    if "member_id" not in members.columns or "joined_at" not in members.columns:
        raise ArgumentError("monthly_kpis: members needs the columns member_id and joined_at")
    return pd.DataFrame(
        {
            "member_id": members["member_id"].astype("str"),
            "joined_at": pd.to_datetime(members["joined_at"]).astype("datetime64[us]"),
        }
    )


def monthly_kpis(transactions, members: pd.DataFrame | None = None, *, month=None) -> pd.DataFrame:
    """Monthly KPIs (see the module docstring) for every month up to and including ``month``.

    Parameters
    ----------
    transactions : DataFrame, str or TransactionLog
        A canonical frame, a canonical ``.parquet`` path, or a ``TransactionLog`` (either engine; then
        ``month`` defaults to, and must equal, the log's month).
    members : DataFrame, optional
        ``member_id, joined_at`` (join dates; else the first purchase).
    month : str, optional
        ``YYYY-MM``; default the last month in the log. Rows after it are ignored.

    Returns
    -------
    DataFrame
        Indexed by a monthly ``PeriodIndex`` named ``month`` (every month of the range, zero counts where
        nothing happened) with ``KPI_COLUMNS`` and a ``<kpi>_mom`` column per ``CHANGE_KIND``.
    """
    if month is None and not isinstance(transactions, TransactionLog):
        month = _latest_month(transactions)
    with use_log(transactions, month, "monthly_kpis") as log:
        table = log.create(
            "member_months", member_month_sql(log.rows, log.orders, has_channel=log.has_channel)
        )
        return _kpis_on(log, table, members)


def member_month_kpis(member_months, members: pd.DataFrame | None = None, *, month) -> pd.DataFrame:
    """``monthly_kpis`` from a member-month table (``member_month_sql``'s result, e.g. the file an engine wrote).

    Parameters
    ----------
    member_months : DataFrame or str
        The table, or the path of its Parquet file; months after ``month`` are ignored.
    members : DataFrame, optional
        As in ``monthly_kpis``.
    month : str
        ``YYYY-MM``; the table must reach it (its last month at least ``month``).

    Returns
    -------
    DataFrame
        What ``monthly_kpis`` returns on the log the table was computed from.
    """
    last = pd.Period(month, freq="M")
    con = duckdb.connect()
    try:
        if isinstance(member_months, str | Path):
            relation = con.sql(f"SELECT * FROM read_parquet({_lit(str(member_months))})")
        else:
            relation = con.from_arrow(pa.Table.from_pandas(member_months, preserve_index=False))
        names = {c.lower(): c for c in relation.columns}
        missing = [c for c in MEMBER_MONTH_COLUMNS if c not in names]
        if missing:
            where = str(member_months) if isinstance(member_months, str | Path) else "member_months"
            message = f"the member-month table lacks the column(s) {', '.join(missing)} (see workbench sql)"
            raise DataValidationError(where, [Problem("missing_column", missing[0], message)])
        select = ", ".join(f'"{names[c]}" AS "{c}"' for c in MEMBER_MONTH_COLUMNS)
        con.register("mm_source_", relation)
        con.sql(
            f"""CREATE TEMP VIEW member_months AS SELECT {select} FROM mm_source_
            WHERE CAST("{names["month"]}" AS DATE) < {date_sql(last.end_time.normalize() + pd.Timedelta(days=1))}"""
        )
        latest = con.sql("SELECT max(month) FROM member_months").fetchall()[0][0]
        if latest is None or pd.Period(latest, freq="M") < last:
            raise ArgumentError(
                f"member_month_kpis: the member-month table ends at {latest}; it does not reach {last}"
            )
        has_channel = con.sql("SELECT count(store_revenue) FROM member_months").fetchall()[0][0] > 0
        log = _TableLog(DuckDBRunner(con), last, has_channel)
        return _kpis_on(log, "member_months", members)
    finally:
        con.close()


class _TableLog:
    """What ``_kpis_on`` needs of a log, over a member-month table alone."""

    def __init__(self, runner, month: pd.Period, has_channel: bool):
        self.runner, self.month, self.has_channel = runner, month, has_channel
        self.end = month_bounds(month)[1]

    def sql(self, query: str) -> pd.DataFrame:
        return self.runner.sql(query)

    def register(self, name: str, frame: pd.DataFrame, schema: str | None = None) -> str:
        self.runner.register(name, frame, schema)
        return name


def first_months_sql(member_months: str = "member_months") -> str:
    """Each member's first month with a purchase row, from a member-month table (portable).

    Parameters
    ----------
    member_months : str
        The member-month table or view (``member_month_sql``).

    Returns
    -------
    str
        ``member_id, month, purchase_rows`` (always 1): a member-month table of the first months only, which
        ``join_months_sql`` reads as it reads the whole one.
    """
    return f"""SELECT member_id AS "member_id", min(month) AS "month", CAST(1 AS BIGINT) AS "purchase_rows"
FROM {member_months} WHERE purchase_rows > 0 GROUP BY member_id"""


def monthly_kpi_parts(
    log, member_months: str, *, first_months: bool = True
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The monthly aggregates (``kpi_sql``) and the members' first purchase months of a log's member-month table.

    The parts of logs that hold disjoint sets of members (``TransactionLog(bucket=...)``) add up: their
    ``combine_kpi_parts`` is ``monthly_kpis`` of the whole log.

    Parameters
    ----------
    log : TransactionLog
        The log (or a member-month table's stand-in) the table belongs to.
    member_months : str
        Its member-month table (``member_month_sql``).
    first_months : bool
        Also fetch the first months (``first_months_sql``; needed for a members table's join months).

    Returns
    -------
    tuple
        ``(monthly, first_months or None)``: one row per month; one row per member who bought.
    """
    monthly = log.sql(kpi_sql(member_months))
    firsts = log.sql(first_months_sql(member_months)) if first_months else None
    return monthly, firsts


def combine_kpi_parts(parts, members: pd.DataFrame | None, *, month, end, has_channel: bool) -> pd.DataFrame:
    """``monthly_kpis`` from the parts (``monthly_kpi_parts``) of one log or of its member buckets.

    Parameters
    ----------
    parts : sequence of tuple
        ``(monthly, first_months)`` per log; the logs hold disjoint sets of members.
    members : DataFrame, optional
        ``member_id, joined_at`` (as in ``monthly_kpis``); the parts must carry first months then.
    month : str or Period
        The last month.
    end : timestamp
        The first instant after the log (``TransactionLog.end``).
    has_channel : bool
        Whether the log has a channel.

    Returns
    -------
    DataFrame
        What ``monthly_kpis`` returns.
    """
    parts = list(parts)
    if not parts:
        raise ArgumentError("combine_kpi_parts: parts must hold at least one (monthly, first_months) pair")
    last = pd.Period(month, freq="M")
    monthly = pd.concat([m for m, _ in parts], ignore_index=True)
    if len(parts) > 1:  # counts and sums over disjoint members add up month by month
        monthly = monthly.groupby("month", as_index=False, sort=True).sum()
    joins = None
    if members is not None:
        if any(f is None for _, f in parts):
            raise ArgumentError("combine_kpi_parts: with members, every part needs its first months")
        firsts = pd.concat([f for _, f in parts], ignore_index=True)
        firsts["month"] = pd.to_datetime(firsts["month"]).astype("datetime64[us]")
        frame = run_sql(
            join_months_sql("members_", "firsts_", end), members_=_members_frame(members), firsts_=firsts
        ).to_pandas()
        idx = pd.PeriodIndex(pd.to_datetime(frame["month"]), freq="M", name="month")
        joins = pd.Series(frame["n"].to_numpy(), index=idx, dtype="int64")
    return _kpi_frame(monthly, joins, last, has_channel)


def _kpis_on(log, member_months: str, members: pd.DataFrame | None) -> pd.DataFrame:
    """The KPI frame from a member-month table of ``log`` (a ``TransactionLog`` or ``_TableLog``)."""
    part = monthly_kpi_parts(log, member_months, first_months=members is not None)
    return combine_kpi_parts([part], members, month=log.month, end=log.end, has_channel=log.has_channel)


def _kpi_frame(
    monthly: pd.DataFrame, joins: pd.Series | None, last: pd.Period, has_channel: bool
) -> pd.DataFrame:
    monthly["month"] = pd.PeriodIndex(pd.to_datetime(monthly["month"]), freq="M")
    monthly = monthly.set_index("month")
    if joins is None:
        joins = monthly["first_buyers"]
    starts = [p for p in (monthly.index.min(), joins.index.min() if len(joins) else None) if p is not None]
    if not starts or pd.isna(min(starts)):
        raise ArgumentError("monthly_kpis: no transactions before the end of the requested month")
    index = pd.period_range(min(starts), last, freq="M", name="month")
    monthly = monthly.reindex(index, fill_value=0)
    new = joins.reindex(index, fill_value=0).astype("int64")
    before = int(joins[joins.index < index[0]].sum())

    out = pd.DataFrame(index=index)
    out["members"] = new.cumsum() + before
    out["new_members"] = new
    out["member_growth_rate"] = _safe_div(out["new_members"], out["members"].shift(1))
    out["active_members"] = monthly["active_members"].astype("int64")
    out["returning_members"] = monthly["returning_members"].astype("int64")
    out["orders"] = monthly["orders"].astype("int64")
    out["gross_revenue"] = monthly["gross_revenue"].astype("float64")
    out["returns"] = monthly["returns"].astype("float64")
    out["net_revenue"] = out["gross_revenue"] - out["returns"]
    out["aov"] = _safe_div(out["gross_revenue"], out["orders"])
    out["revenue_per_active"] = _safe_div(out["gross_revenue"], out["active_members"])
    out["repurchase_rate"] = _safe_div(out["returning_members"], out["active_members"])
    out["returning_revenue_share"] = _safe_div(monthly["returning_revenue"], out["gross_revenue"])
    out["store_revenue"] = monthly["store_revenue"].astype("float64")
    out["online_revenue"] = monthly["online_revenue"].astype("float64")
    out["online_share"] = _safe_div(out["online_revenue"], out["gross_revenue"])
    out["returns_rate"] = _safe_div(out["returns"], out["gross_revenue"])
    if not has_channel:
        out[["store_revenue", "online_revenue", "online_share"]] = np.nan
    for col, kind in CHANGE_KIND.items():
        prev = out[col].shift(1)
        if kind == "relative":
            out[f"{col}_mom"] = _safe_div(out[col] - prev, prev)
        else:
            out[f"{col}_mom"] = out[col] - prev
    out.attrs["rows"] = int(monthly["row_count"].sum())
    return out
